"""Load benchmark against a real server: uvicorn with production settings, driven by wrk.

    .venv/bin/python bench/bench_server.py [--seconds 10] [--workers 2] [--markdown]

Measures, in one run so the figures are ratios on the same machine: GET /healthz, POST
/api/v1/breakeven (two options), a cached chart (GET /chart.svg, same query: served from the render
LRU) and the page (GET /?<preset>), each at 1, 16 and 64 concurrent connections; plus cold and
cached chart render times in process. Needs `wrk` (Debian package) on PATH.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_breakeven import TWO_OPTIONS  # noqa: E402

CHART_QUERY = (
    "volume=3000000&input_tokens=500&output_tokens=500&api.0.name=Flat+API&api.0.input_per_mtok=1"
    "&api.0.output_per_mtok=1&sh.1.name=Llama+on+H100&sh.1.model=llama-3.3-70b&sh.1.gpu=h100-sxm"
    "&sh.1.gpu_count=1&sh.1.precision=fp8&sh.1.per_gpu_hour=2&sh.1.output_tokens_per_second=500"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wrk(url: str, connections: int, seconds: float, script: str | None) -> tuple[float, float, float]:
    threads = min(connections, 2)
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency", url]
    if script:
        command[1:1] = ["-s", script]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]

    def percentile(label: str) -> float:
        value, unit = re.search(rf"\s{label}%\s+([\d.]+)(us|ms|s)", out).groups()  # type: ignore[union-attr]
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non_2xx:
        raise RuntimeError(f"{url}: {non_2xx.group(1)} error responses\n{out}")
    return rps, percentile("50"), percentile("99")


def in_process_chart_times() -> tuple[float, float]:
    from fastapi.testclient import TestClient

    from app.main import create_app
    from app.settings import Settings

    with tempfile.TemporaryDirectory() as data, TestClient(create_app(Settings(data_dir=Path(data)))) as client:
        client.get("/chart.svg?" + CHART_QUERY + "&width=500")  # load vl-convert once
        start = time.perf_counter()
        client.get("/chart.svg?" + CHART_QUERY + "&width=640")
        cold = time.perf_counter() - start
        runs = 200
        start = time.perf_counter()
        for _ in range(runs):
            client.get("/chart.svg?" + CHART_QUERY + "&width=640")
        cached = (time.perf_counter() - start) / runs
    return cold * 1000, cached * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk not found: apt-get install wrk")

    port = free_port()
    data_dir = tempfile.mkdtemp()
    # The rate limiter would answer most of a load test with 429: lift it for the benchmark.
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATA_DIR": data_dir, "RATE_LIMIT_PER_MINUTE": "1000000000"}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "app.main:app",
            "--port",
            str(port),
            "--workers",
            str(args.workers),
            "--log-level",
            "warning",
            "--no-access-log",
            "--no-server-header",
        ],
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/healthz", timeout=0.5).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        # Warm every worker: a render cache is per process, and the first render loads vl-convert.
        with httpx.Client(base_url=base, timeout=30) as warm:
            for _ in range(8 * args.workers):
                warm.get(f"/chart.svg?{CHART_QUERY}")
                warm.get(f"/?{CHART_QUERY}")
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
            lua.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n')
            lua.write(f"wrk.body = {json.dumps(json.dumps(TWO_OPTIONS))}\n")
        targets = [
            ("GET /healthz", f"{base}/healthz", None),
            ("POST /api/v1/breakeven", f"{base}/api/v1/breakeven", lua.name),
            ("GET /chart.svg (cached)", f"{base}/chart.svg?{CHART_QUERY}", None),
            ("GET / (page with results)", f"{base}/?{CHART_QUERY}", None),
        ]
        rows = []
        health: dict[int, float] = {}
        for label, url, script in targets:
            for connections in (1, 16, 64):
                rps, p50, p99 = wrk(url, connections, args.seconds, script)
                if label.startswith("GET /healthz"):
                    health[connections] = rps
                ratio = rps / health[connections]
                rows.append((label, connections, rps, ratio, p50, p99))
    finally:
        server.terminate()
        server.wait(timeout=20)

    cold, cached = in_process_chart_times()
    cpu = platform.processor() or platform.machine()
    print(
        f"Machine: {os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, "
        f"uvicorn --workers {args.workers}, wrk {args.seconds:g}s per cell, load generator on the same machine."
    )
    print()
    print("| endpoint | connections | requests/s | vs /healthz | p50 ms | p99 ms |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, connections, rps, ratio, p50, p99 in rows:
        print(f"| {label} | {connections} | {rps:,.0f} | {ratio:.0%} | {p50:.2f} | {p99:.2f} |")
    print()
    print(
        f"In process: cold chart render (evaluate + Vega-Lite spec + SVG) {cold:.1f} ms; "
        f"cached chart response {cached:.2f} ms."
    )


if __name__ == "__main__":
    main()
