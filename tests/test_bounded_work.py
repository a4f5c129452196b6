"""Issue 12, "one request must never take the server down": the real server (uvicorn in a subprocess)
gets each hostile request from the issue (GPU prices on the JSON API, the page and the chart; control
characters in names; absurd numbers in the form; malformed usage exports), while /healthz is polled
alongside. Each must answer quickly with a 4xx, and /healthz must keep answering.

Before the fix, per_gpu_hour 1e-25 looped for ever on the event loop (the whole server, /healthz
included, stopped answering), 1e-22 took a quarter of a second, and 1e-320 was a 500.

This is one of the few tests that read a clock: the issue asks for bounded time. The bounds are
generous (a second for a request that now costs milliseconds, a second for a health check that
costs one) so a loaded machine does not fail them, yet a server that hangs or blocks its event
loop does, at once.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from app.web.api import FLAT_API_EXAMPLE, LLAMA_ON_H100_EXAMPLE
from tests.helpers import SERVE_COMMAND, free_port, wait_until_serving

ROOT = Path(__file__).resolve().parents[1]
HOSTILE_PRICES = ("1e-22", "1e-25", "1e-320")
# A hostile request now answers in milliseconds; before the fix 1e-25 never answered at all.
REQUEST_BOUND_S = 1.0
# /healthz costs a millisecond. The issue asks for answers within 100 ms; a shared CI machine can
# stall a process for longer now and then, so the slowest poll may take up to a second, and the
# typical (median) one must stay under 100 ms. A blocked event loop fails both at once.
HEALTHZ_MEDIAN_BOUND_S = 0.1
HEALTHZ_WORST_BOUND_S = 1.0
CLIENT_TIMEOUT_S = 10.0  # a hung server fails the test instead of hanging it

PAGE_QUERY = {
    "volume": "1000000",
    "input_tokens": "500",
    "output_tokens": "500",
    "api.0.name": "Flat API",
    "api.0.input_per_mtok": "1",
    "api.0.output_per_mtok": "1",
    "sh.1.name": "Llama on H100",
    "sh.1.model": "llama-3.3-70b",
    "sh.1.gpu": "h100-sxm",
    "sh.1.gpu_count": "1",
    "sh.1.precision": "fp8",
    "sh.1.output_tps": "500",
    "sh.1.utilization_pct": "100",
}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`breakeven serve` on a free loopback port; its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "DATA_DIR": str(tmp_path_factory.mktemp("data")),
        "LOG_LEVEL": "warning",
        "RATE_LIMIT_PER_MINUTE": "100000",  # chart renders are rate limited; this test is one client
    }
    process = subprocess.Popen(
        [sys.executable, *SERVE_COMMAND],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(process, base)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _fetch(url: str, body: dict[str, Any] | None = None) -> tuple[int, float]:
    """Status and seconds taken; a 4xx or 5xx is an answer, not an exception."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"content-type": "application/json"} if data else {})
    start = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=CLIENT_TIMEOUT_S) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        error.read()
        status = error.code
    return status, time.perf_counter() - start


class _HealthzPoller(threading.Thread):
    """Polls /healthz back to back until stopped, recording each answer's time (inf: no answer)."""

    def __init__(self, base: str) -> None:
        super().__init__(daemon=True)
        self.url = f"{base}/healthz"
        self.latencies: list[float] = []
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                status, seconds = _fetch(self.url)
                self.latencies.append(seconds if status == 200 else float("inf"))
            except OSError:
                self.latencies.append(float("inf"))
            self.stopped.wait(0.01)


def _breakeven_body(per_gpu_hour: float) -> dict[str, Any]:
    self_hosted = {**LLAMA_ON_H100_EXAMPLE, "pricing": {"kind": "rent", "per_gpu_hour": per_gpu_hour}}
    return {
        "workload": {"requests_per_month": 1_000_000, "input_tokens": 500, "output_tokens": 500},
        "options": [FLAT_API_EXAMPLE, self_hosted],
    }


def _hostile_requests(base: str) -> list[tuple[str, str, dict[str, Any] | None]]:
    requests: list[tuple[str, str, dict[str, Any] | None]] = []
    for price in HOSTILE_PRICES:
        query = urllib.parse.urlencode({**PAGE_QUERY, "sh.1.per_gpu_hour": price})
        requests += [
            (f"POST /api/v1/breakeven {price}", f"{base}/api/v1/breakeven", _breakeven_body(float(price))),
            (f"GET / {price}", f"{base}/?{query}", None),
            (f"GET /chart.svg {price}", f"{base}/chart.svg?{query}", None),
        ]
    return requests


def test_hostile_gpu_prices_answer_fast_while_healthz_keeps_answering(server: str) -> None:
    poller = _HealthzPoller(server)
    poller.start()
    try:
        answers = [(name, *_fetch(url, body)) for name, url, body in _hostile_requests(server)]
        # The smallest price a user may give still evaluates, at once.
        answers.append(("POST /api/v1/breakeven 0.0001", *_fetch(f"{server}/api/v1/breakeven", _breakeven_body(1e-4))))
        deadline = time.monotonic() + CLIENT_TIMEOUT_S
        while len(poller.latencies) < 5 and time.monotonic() < deadline:  # enough polls to judge by
            time.sleep(0.01)
    finally:
        poller.stopped.set()
        poller.join(timeout=CLIENT_TIMEOUT_S + 1)
    for name, status, seconds in answers[:-1]:
        assert 400 <= status < 500, f"{name}: {status}"
        assert seconds < REQUEST_BOUND_S, f"{name}: {seconds:.3f} s"
    name, status, seconds = answers[-1]
    assert status == 200 and seconds < REQUEST_BOUND_S, f"{name}: {status} in {seconds:.3f} s"

    latencies = sorted(poller.latencies)
    assert len(latencies) >= 5, "/healthz was barely polled while the hostile requests ran"
    assert latencies[len(latencies) // 2] < HEALTHZ_MEDIAN_BOUND_S, latencies
    assert latencies[-1] < HEALTHZ_WORST_BOUND_S, latencies


# The other single requests issue 12 found taking the server down or answering 500, each sent to the
# real server (the chart renderer's native abort only shows there: TestClient shares the process).
NAME_WITH_CONTROL = {**PAGE_QUERY, "sh.1.per_gpu_hour": "2", "api.0.name": "a\x01b"}
HOSTILE_CSVS = {
    "quote inside an unquoted field": b'timestamp,input_tokens,output_tokens\n2026-03-02T09:00:00Z,1"0,1\n',
    "a field over 131,072 characters": b"timestamp,input_tokens,output_tokens\n2026-03-02T09:00:00Z,1,"
    + b"9" * 131_073
    + b"\n",
    "1 MB of random bytes": bytes((i * 7919 + 13) % 256 for i in range(1_000_000)),
    "a request count of 5e-324": b"timestamp,requests,input_tokens,output_tokens\n2026-03-02T09:00:00Z,5e-324,1,1\n",
}


def _other_hostile_requests(base: str) -> list[tuple[str, str, bytes | dict[str, Any] | None, int | None]]:
    """(name, url, body, expected status or None for any 4xx)."""
    named = urllib.parse.urlencode(NAME_WITH_CONTROL)
    save = {"workload": _breakeven_body(2.0)["workload"], "options": [{**FLAT_API_EXAMPLE, "name": "a\x00b"}]}
    requests: list[tuple[str, str, bytes | dict[str, Any] | None, int | None]] = [
        (f"chart.svg kind={kind}, a control character in a name", f"{base}/chart.svg?{named}&kind={kind}", None, None)
        for kind in ("cost", "cost_per_mtok", "horizon", "tornado")
    ]
    requests += [
        ("chart.png, a control character in a name", f"{base}/chart.png?{named}", None, None),
        ("save, a NUL in a name", f"{base}/api/v1/scenarios", save, 422),
        (
            "page, min_replicas=1e999999",
            f"{base}/?" + urllib.parse.urlencode({**PAGE_QUERY, "sh.1.min_replicas": "1e999999"}),
            None,
            None,
        ),
    ]
    for number in ("1e999999k", "1e999998m", "-1e999999t"):
        query = urllib.parse.urlencode({**PAGE_QUERY, "volume": number})
        requests += [
            (f"{route} volume={number}", f"{base}{route}?{query}", None, None)
            for route in ("/", "/scenario.json", "/data.csv")
        ]
    requests += [
        (f"usage import, {name}", f"{base}/api/v1/usage-import", csv, 422) for name, csv in HOSTILE_CSVS.items()
    ]
    return requests


def _send(url: str, body: bytes | dict[str, Any] | None) -> tuple[int, float]:
    if isinstance(body, bytes):
        request = urllib.request.Request(url, data=body, headers={"content-type": "text/csv"})
        start = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=CLIENT_TIMEOUT_S) as response:
                response.read()
                return response.status, time.perf_counter() - start
        except urllib.error.HTTPError as error:
            error.read()
            return error.code, time.perf_counter() - start
    return _fetch(url, body)


def test_every_other_hostile_request_answers_a_4xx_fast_and_the_server_survives(server: str) -> None:
    poller = _HealthzPoller(server)
    poller.start()
    try:
        answers = [(name, expected, *_send(url, body)) for name, url, body, expected in _other_hostile_requests(server)]
    finally:
        poller.stopped.set()
        poller.join(timeout=CLIENT_TIMEOUT_S + 1)
    for name, expected, status, seconds in answers:
        assert (status == expected) if expected else (400 <= status < 500), f"{name}: {status}"
        assert seconds < REQUEST_BOUND_S * 3, f"{name}: {seconds:.3f} s"  # the 1 MB upload travels too
    # The server the fixture started once still answers: a native abort in the renderer would have ended it.
    assert _fetch(f"{server}/healthz")[0] == 200
    latencies = sorted(poller.latencies)
    assert latencies and latencies[len(latencies) // 2] < HEALTHZ_MEDIAN_BOUND_S, latencies
    assert latencies[-1] < HEALTHZ_WORST_BOUND_S, latencies
