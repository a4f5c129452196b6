"""Benchmark: core time per break-even, full scenario evaluation, and the API's requests/s.

    .venv/bin/python bench/bench_breakeven.py [--seconds 5] [--clients 8]

Starts uvicorn on a free loopback port for the HTTP part and stops it afterwards.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import threading
import time
import timeit
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.catalog.efficiencies import efficiencies_for  # noqa: E402
from app.catalog.loader import load_catalog  # noqa: E402
from app.core.breakeven import LinearCost, cheapest_envelope, solve_breakeven  # noqa: E402
from app.core.self_hosted import RentPricing, ReplicaStepCost, SelfHostedOption  # noqa: E402
from app.core.throughput import ServingSetup, estimate_throughput  # noqa: E402
from app.core.uncertainty import BreakevenParams, FactorRange, default_inputs, monte_carlo  # noqa: E402
from app.scenario.evaluate import evaluate  # noqa: E402
from app.scenario.inputs import ScenarioIn  # noqa: E402
from app.web.api import BREAKEVEN_EXAMPLE  # noqa: E402

TWO_OPTIONS = {
    "workload": {"requests_per_month": 3_000_000, "input_tokens": 500, "output_tokens": 500},
    "options": [
        {"kind": "api", "name": "Flat API", "input_per_mtok": 1.0, "output_per_mtok": 1.0},
        {
            "kind": "self_hosted",
            "name": "Llama on H100",
            "gpu_count": 1,
            "pricing": {"kind": "rent", "per_gpu_hour": 2.0},
            "output_tokens_per_second": 500,
        },
    ],
}


def per_call(fn: object, number: int) -> float:
    timer = timeit.Timer(fn)  # type: ignore[arg-type]
    return min(timer.repeat(repeat=5, number=number)) / number


def bench_core() -> None:
    option = SelfHostedOption("x", 1, RentPricing(2.0), replica_requests_per_second=1.0, target_utilization=1.0)
    api = LinearCost(0.001)

    def core_breakeven() -> None:
        solve_breakeven(api, option.cost_curve(1.0))

    catalog = load_catalog()
    two = ScenarioIn.model_validate(TWO_OPTIONS)
    design = ScenarioIn.model_validate(BREAKEVEN_EXAMPLE)
    setup = ServingSetup(catalog.models["llama-3.1-70b"], catalog.gpus["h100-sxm"], 4, "fp8", "fp8", "vllm", 1000, 1000)
    efficiencies = efficiencies_for("vllm")
    estimate_us = per_call(lambda: estimate_throughput(setup, efficiencies), 2_000) * 1e6
    print(f"core estimate_throughput (70B, 4×H100):  {estimate_us:8.1f} µs")
    print(f"core solve_breakeven (2 options):        {per_call(core_breakeven, 20_000) * 1e6:8.1f} µs")
    print(f"evaluate() two-option scenario:          {per_call(lambda: evaluate(two, catalog), 2_000) * 1e6:8.1f} µs")
    print(
        f"evaluate() DESIGN example (3 options):   {per_call(lambda: evaluate(design, catalog), 2_000) * 1e6:8.1f} µs"
    )
    # The envelope's worst realistic case: 16 options, replicas of a few requests a month, a range of
    # billions of requests, so billions of replica steps. The sweep jumps over them.
    many = [LinearCost(0.001)] + [
        ReplicaStepCost(50.0 * k, 0.003 * 0.9**k * (1 + 0.2 * k), 4.0 * (1 + 0.2 * k), 1, k % 2) for k in range(15)
    ]
    envelope_ms = per_call(lambda: cheapest_envelope(many, 1e10), 20) * 1e3
    print(f"cheapest_envelope, 16 options, 1e10 req: {envelope_ms:8.1f} ms")
    inputs = default_inputs(FactorRange(0.75, 1.3), "", FactorRange(0.64, 1.3), "")
    params = BreakevenParams(0.001, 1460.0, 2_628_000.0, 2000.0, 1, 0, 0.8, 1.5)
    draws_ms = per_call(lambda: monte_carlo(params, inputs, 5e6, 10_000, 1), 20) * 1e3
    print(f"monte_carlo, 10,000 draws:               {draws_ms:8.1f} ms")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def load(label: str, base: str, method: str, path: str, body: object, seconds: float, clients: int) -> None:
    """`clients` threads send requests back to back for `seconds`; prints throughput and latency."""
    counts = [0] * clients
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    def worker(slot: int) -> None:
        with httpx.Client(base_url=base) as client:
            while time.perf_counter() < deadline:
                start = time.perf_counter()
                response = client.request(method, path, json=body)
                latencies.append(time.perf_counter() - start)
                assert response.status_code == 200, response.text
                counts[slot] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    latencies.sort()
    p50 = latencies[len(latencies) // 2] * 1000
    p99 = latencies[int(len(latencies) * 0.99)] * 1000
    print(f"{label:38s} {sum(counts) / seconds:8.0f} req/s   p50 {p50:6.1f} ms   p99 {p99:6.1f} ms")


def bench_http(seconds: float, clients: int) -> None:
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:app", "--port", str(port), "--log-level", "warning"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                httpx.get(f"{base}/healthz", timeout=0.5)
                break
            except httpx.HTTPError:
                time.sleep(0.1)
        for label, method, path, body in (
            ("GET /healthz", "GET", "/healthz", None),
            ("POST /api/v1/breakeven (2 options)", "POST", "/api/v1/breakeven", TWO_OPTIONS),
        ):
            load(label, base, method, path, body, seconds, clients)
    finally:
        server.terminate()
        server.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--no-http", action="store_true", help="only the in-process core timings")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    bench_core()
    if not args.no_http:
        bench_http(args.seconds, args.clients)


if __name__ == "__main__":
    main()
