"""Load benchmark against a real server: uvicorn with production settings, driven by wrk.

    .venv/bin/python bench/bench_server.py [--seconds 5] [--rounds 3] [--workers 0] [--levels 1,16,64] [--charts-only]

Measures, in one run so the figures are ratios on the same machine: GET /healthz, POST
/api/v1/breakeven (two options), a cached chart (GET /chart.svg: served from the render LRU), the page
with results for a two-option query and for the RAG preset (GET /?<query>), each at 1, 16 and 64
concurrent connections; plus cold and cached chart render times in process. Needs `wrk` (Debian
package) on PATH. A repeated break-even body or page is answered from the answer cache
(app/web/answer_cache.py); the rows "a new body / a new volume each time" ask a new question on every
request (a volume numbered per wrk thread), so they measure evaluating and rendering.

--workers 0 (the default) starts the server as `make run` does: `breakeven serve`, one process, with
its JSON logging and proxy-header settings. --workers N starts `uvicorn --workers N` instead.

The endpoints take turns, cell by cell, for --rounds rounds at each level of concurrency, and
the table gives medians, each ratio the median of its rounds' ratios to the /healthz cell just
before: on a shared machine the throughput drifts by ±15% over a minute, and a ratio of two
measurements taken seconds apart is steadier than one of two taken a minute apart.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qsl

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.web.forms import parse_query  # noqa: E402
from app.web.presets import presets  # noqa: E402
from bench.bench_breakeven import TWO_OPTIONS  # noqa: E402

CHART_QUERY = (
    "volume=3000000&input_tokens=500&output_tokens=500&api.0.name=Flat+API&api.0.input_per_mtok=1"
    "&api.0.output_per_mtok=1&sh.1.name=Llama+on+H100&sh.1.model=llama-3.3-70b&sh.1.gpu=h100-sxm"
    "&sh.1.gpu_count=1&sh.1.precision=fp8&sh.1.per_gpu_hour=2&sh.1.output_tps=500"
)


LEVELS = (1, 16, 64)  # concurrent connections
RAG_PRESET = "rag-assistant"  # issue 13's page target is measured on this preset


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def settle(base: str) -> None:
    """Wait until the server has drained what the last cell left queued (64 page renders take
    ~0.5 s), so that it does not land in the next cell's tail latencies."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        started = time.perf_counter()
        httpx.get(f"{base}/healthz", timeout=10).raise_for_status()
        if time.perf_counter() - started < 0.005:
            return
        time.sleep(0.2)


# A new question on every request (issue 13's answer cache answers a repeated one from memory): each wrk
# thread numbers its requests and writes the number into the volume, so no two requests are the same.
_FRESH_LUA = """
local threads = {}
function setup(thread) table.insert(threads, thread); thread:set("id", #threads) end
local counter = 0
request = function()
  counter = counter + 1
  local volume = tostring(VOLUME_BASE + id * 100000000 + counter)
  return wrk.format(METHOD, PATH:gsub("VOLUME", volume), HEADERS, BODY and BODY:gsub("VOLUME", volume) or nil)
end
"""


def fresh_script(method: str, path: str, body: str | None = None) -> str:
    """A wrk script asking `method path` with a new volume each time: `VOLUME` in the path or body is replaced."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        headers = '{["Content-Type"] = "application/json"}' if body else "{}"
        lua.write(f"METHOD = {json.dumps(method)}\nPATH = {json.dumps(path)}\nHEADERS = {headers}\n")
        lua.write(f"BODY = {json.dumps(body) if body else 'nil'}\nVOLUME_BASE = 3000000\n{_FRESH_LUA}")
    return lua.name


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
    if non_2xx:  # reported, not fatal: one overloaded cell should not throw away a run of several minutes
        print(f"WARNING {url[:60]}… at {connections} connections: {non_2xx.group(1)} error responses", file=sys.stderr)
    return rps, percentile("50"), percentile("99")


async def asgi_get(app: object, path: str, query: str) -> tuple[int, bytes]:
    """One GET straight through the ASGI app: no HTTP, no TestClient thread hop (~1 ms by itself)."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [(b"host", b"bench")],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
        "state": {},
    }
    status = 0
    body = bytearray()

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, object]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = int(message["status"])  # type: ignore[call-overload]
        elif message["type"] == "http.response.body":
            body.extend(message.get("body", b""))  # type: ignore[arg-type]

    await app(scope, receive, send)  # type: ignore[operator]
    return status, bytes(body)


COLD_WIDTHS = (610, 630, 650, 670, 690)  # a fresh width is a render the cache has never seen


def in_process_chart_times(query: str) -> tuple[float, float, dict[tuple[str, str], float]]:
    """Cold and cached chart times in process (a raw ASGI call, no HTTP), in ms: the cost chart's SVG
    cold and cached, and each kind's SVG and PNG cold (`query` must draw all five kinds: the RAG preset).

    Cold: the first render of a query at a width not drawn before (the query's evaluation already
    made by the warm-up): the figure is built and drawn (app/render/svg_figure.py), and for a PNG rasterised
    in a render process; the median of len(COLD_WIDTHS) such renders for each kind and format."""
    from app.main import create_app
    from app.render.chart_figures import CHART_KINDS
    from app.settings import Settings

    # The same lifted rate limit as the server's: 200 renders a second would otherwise be 429s.
    settings = Settings(data_dir=Path(tempfile.mkdtemp()), rate_limit_per_minute=1_000_000_000)
    app = create_app(settings)
    logging.getLogger("breakeven.access").disabled = True  # one JSON line per request: not wanted here

    async def get(path: str, query: str) -> float:
        start = time.perf_counter()
        status, body = await asgi_get(app, path, query)
        if status != 200:
            raise RuntimeError(f"{path}: HTTP {status}: {body[:200]!r}")
        return (time.perf_counter() - start) * 1000

    async def measure() -> tuple[float, float, dict[tuple[str, str], float]]:
        await get("/chart.svg", f"{CHART_QUERY}&width=500")  # load the font tables once
        await get("/chart.png", f"{CHART_QUERY}&width=500")  # start a render process
        cold = await get("/chart.svg", f"{CHART_QUERY}&width=640")
        runs = 500
        start = time.perf_counter()
        for _ in range(runs):
            await get("/chart.svg", f"{CHART_QUERY}&width=640")
        cached = (time.perf_counter() - start) * 1000 / runs
        await get("/chart.svg", f"{query}&width=500")  # evaluate the query once
        per_kind = {}
        for kind in CHART_KINDS:
            for fmt in ("svg", "png"):
                times = [await get(f"/chart.{fmt}", f"{query}&kind={kind}&width={w}") for w in COLD_WIDTHS]
                per_kind[(kind, fmt)] = statistics.median(times)
        return cold, cached, per_kind

    return asyncio.run(measure())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--workers", type=int, default=0, help="0: one process, as `make run` starts it")
    parser.add_argument("--levels", default=",".join(map(str, LEVELS)), help="connection counts, comma-separated")
    parser.add_argument(
        "--charts-only", action="store_true", help="only the in-process chart times (no server, no wrk)"
    )
    args = parser.parse_args()
    levels = tuple(int(level) for level in args.levels.split(","))
    rag_query = next(p for p in presets() if p.slug == RAG_PRESET).query
    if args.charts_only:
        print_chart_times(rag_query)
        return
    if not shutil.which("wrk"):
        sys.exit("wrk not found: apt-get install wrk")
    _, state = parse_query(parse_qsl(CHART_QUERY))
    if state.notices:  # a misspelt key would quietly benchmark another scenario
        sys.exit(f"the chart/page query is not what the page reads: {state.notices}")

    port = free_port()
    data_dir = tempfile.mkdtemp()
    # The rate limiter would answer most of a load test with 429: lift it for the benchmark.
    server_log = open(Path(data_dir) / "server.log", "wb")  # noqa: SIM115 (closed when the server stops)
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATA_DIR": data_dir, "RATE_LIMIT_PER_MINUTE": "1000000000"}
    if args.workers == 0:  # what `make run` runs: HOST=... PORT=... .venv/bin/breakeven serve
        command = [sys.executable, "-c", "from app.cli import main; main(['serve'])"]
        env |= {"HOST": "127.0.0.1", "PORT": str(port)}
    else:
        command = [sys.executable, "-m", "uvicorn", "app.main:app", "--port", str(port), "--workers", str(args.workers)]
        command += ["--log-level", "warning", "--no-access-log", "--no-server-header"]
    server = subprocess.Popen(  # noqa: S603 (our interpreter, our app)
        command,
        cwd=ROOT,
        env=env,
        # Production logging stays on (one JSON access line per request), written to a file as a
        # log shipper would read it, rather than onto this table.
        stderr=server_log,
        stdout=server_log,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/healthz", timeout=0.5).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        # Warm every worker: a render cache is per process, and the first render loads the font tables.
        # A new connection each time, so that the kernel spreads them over the workers.
        for _ in range(8 * max(1, args.workers)):
            for path in (f"/chart.svg?{CHART_QUERY}", f"/?{CHART_QUERY}", f"/?{rag_query}"):
                httpx.get(base + path, timeout=30, headers={"Connection": "close"}).raise_for_status()
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
            lua.write('wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n')
            lua.write(f"wrk.body = {json.dumps(json.dumps(TWO_OPTIONS))}\n")
        paired = [
            ("GET /healthz", f"{base}/healthz", None),
            ("POST /api/v1/breakeven", f"{base}/api/v1/breakeven", lua.name),
        ]
        fresh_body = json.dumps(TWO_OPTIONS).replace('"requests_per_month": 3000000', '"requests_per_month": VOLUME')
        fresh_page = "/?" + rag_query.replace("volume=3000000&", "volume=VOLUME&")
        fresh_chart = "?" + rag_query.replace("volume=3000000&", "volume=VOLUME&")
        assert "VOLUME" in fresh_body and "VOLUME" in fresh_page, "the fresh scripts would repeat one question"
        fresh_api = fresh_script("POST", "/api/v1/breakeven", fresh_body)
        others = [
            ("POST /api/v1/breakeven (a new body each time)", base, fresh_api),
            ("GET /chart.svg (cached)", f"{base}/chart.svg?{CHART_QUERY}", None),
            ("GET / (page with results)", f"{base}/?{CHART_QUERY}", None),
            (f"GET / ({RAG_PRESET} preset)", f"{base}/?{rag_query}", None),
            (f"GET / ({RAG_PRESET} preset, a new volume each time)", base, fresh_script("GET", fresh_page)),
            # A chart never drawn before: its evaluation, figure and drawing (and, for PNG, the rasteriser).
            (
                f"GET /chart.svg ({RAG_PRESET}, a new volume each time)",
                base,
                fresh_script("GET", "/chart.svg" + fresh_chart),
            ),
            (
                f"GET /chart.png ({RAG_PRESET}, a new volume each time)",
                base,
                fresh_script("GET", "/chart.png" + fresh_chart),
            ),
        ]
        samples: dict[tuple[str, int], list[tuple[float, float, float]]] = {}
        for connections in levels:
            for _ in range(args.rounds):
                for label, url, script in paired + others:
                    samples.setdefault((label, connections), []).append(wrk(url, connections, args.seconds, script))
                    settle(base)
    finally:
        server.terminate()
        server.wait(timeout=20)
        server_log.close()

    cpu = platform.processor() or platform.machine()
    served = f"uvicorn --workers {args.workers}" if args.workers else "breakeven serve (one process, as `make run`)"
    print(
        f"Machine: {os.cpu_count()} CPUs ({cpu}), Python {platform.python_version()}, "
        f"{served}, wrk {args.seconds:g}s per cell, load generator on the same machine; "
        f"endpoints take turns for {args.rounds} rounds per level, medians shown."
    )
    print()
    print("| endpoint | connections | requests/s | vs /healthz | p50 ms | p99 ms |")
    print("|---|---:|---:|---:|---:|---:|")
    labels = list(dict.fromkeys(label for label, _ in samples))
    for label in labels:
        for connections in levels:
            cells = samples[(label, connections)]
            health = samples[("GET /healthz", connections)]
            # Each round's ratio against the /healthz cell measured just before it, then the median.
            ratio = statistics.median(c[0] / h[0] for c, h in zip(cells, health, strict=True))
            rps, p50, p99 = (statistics.median(c[i] for c in cells) for i in range(3))
            print(f"| {label} | {connections} | {rps:,.0f} | {ratio:.0%} | {p50:.2f} | {p99:.2f} |")
    print()
    print_chart_times(rag_query)


def print_chart_times(rag_query: str) -> None:
    cold, cached, per_kind = in_process_chart_times(rag_query)
    print(
        f"In process: cold chart render (evaluate + figure + SVG) {cold:.1f} ms; "
        f"cached chart response {cached:.2f} ms (a raw ASGI call, no HTTP)."
    )
    kinds = list(dict.fromkeys(kind for kind, _ in per_kind))
    print(f"Cold chart render per kind ({RAG_PRESET} preset, median of {len(COLD_WIDTHS)} fresh widths, ms):")
    print("| kind | SVG | PNG (scale 2) |")
    print("|---|---:|---:|")
    for kind in kinds:
        print(f"| {kind} | {per_kind[(kind, 'svg')]:.0f} | {per_kind[(kind, 'png')]:.0f} |")


if __name__ == "__main__":
    main()
