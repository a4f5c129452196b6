"""In-process page-view benchmark: the RAG preset's page, alternating with /healthz, through a TestClient.

    .venv/bin/python bench/bench_page_view.py [--views 200] [--preset rag-assistant] [--distinct]

A lighter sibling of bench/bench_server.py (which needs wrk and a quiet machine): each round is one
GET /healthz then one GET /?<preset>, both sequential, and the table gives medians and the median of
the per-round page/healthz ratios, which drift less than absolute times on a shared machine. The first
view of the preset is timed apart ("cold": nothing evaluated yet); the rest are "warm".

It also counts what one warm view evaluates (scenario evaluations, Monte Carlo runs), the figure
issue 13 is about: a page view evaluates its scenario once, and its charts reuse that evaluation.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from starlette.testclient import TestClient  # noqa: E402

from app.core import uncertainty as uncertainty_core  # noqa: E402
from app.main import create_app  # noqa: E402
from app.scenario import evaluate as evaluate_module  # noqa: E402
from app.web.presets import presets  # noqa: E402


@contextmanager
def counted(counts: Counter[str]) -> Iterator[None]:
    """Count calls of evaluate() (in every app module that imported it) and of the Monte Carlo."""
    patched: list[tuple[Any, str, Any]] = []

    def wrap(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def counting(*args: Any, **kwargs: Any) -> Any:
            counts[name] += 1
            return real(*args, **kwargs)

        return counting

    targets: dict[str, Callable[..., Any]] = {
        "evaluate": evaluate_module.evaluate,
        "monte_carlo": uncertainty_core.monte_carlo,
    }
    for name, real in targets.items():
        wrapper = wrap(name, real)
        for module in list(sys.modules.values()):
            if getattr(module, "__name__", "").startswith("app.") and getattr(module, name, None) is real:
                patched.append((module, name, real))
                setattr(module, name, wrapper)
    try:
        yield
    finally:
        for module, name, real in patched:
            setattr(module, name, real)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--views", type=int, default=200)
    parser.add_argument("--preset", default="rag-assistant", help="a preset's slug (app/web/presets.py)")
    parser.add_argument(
        "--distinct", action="store_true", help="a new volume each view: nothing is found evaluated already"
    )
    args = parser.parse_args()
    preset = next(p for p in presets() if p.slug == args.preset)
    page = "/?" + preset.query
    requests = round(preset.scenario.workload.requests_per_month)
    volume = f"volume={requests}&"
    assert volume in preset.query
    html = {"accept": "text/html"}
    with TestClient(create_app()) as client:
        client.get("/healthz")
        started = time.perf_counter()
        client.get(page, headers=html).raise_for_status()
        cold_ms = (time.perf_counter() - started) * 1000
        health_ms: list[float] = []
        page_ms: list[float] = []
        for view in range(args.views):
            url = page.replace(volume, f"volume={requests + view + 1}&") if args.distinct else page
            started = time.perf_counter()
            client.get("/healthz").raise_for_status()
            health_ms.append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            client.get(url, headers=html).raise_for_status()
            page_ms.append((time.perf_counter() - started) * 1000)
        counts: Counter[str] = Counter()
        with counted(counts):
            client.get(page, headers=html).raise_for_status()
            warm_view = dict(counts)
            counts.clear()
            for kind in ("cost", "horizon", "tornado"):
                client.get(f"/chart.svg?{preset.query}&kind={kind}").raise_for_status()
            charts = dict(counts)
    ratios = [p / h for p, h in zip(page_ms, health_ms, strict=True)]
    pages = "a new volume each view" if args.distinct else "the same page each view"
    print(f"preset {preset.slug}, {args.views} rounds (healthz, page), {pages}, sequential, in process")
    print(f"cold page view     {cold_ms:8.2f} ms")
    print(f"healthz median     {statistics.median(health_ms):8.2f} ms")
    p90 = statistics.quantiles(page_ms, n=10)[-1]
    print(f"page median        {statistics.median(page_ms):8.2f} ms   p90 {p90:.2f} ms")
    print(f"page/healthz ratio {statistics.median(ratios):8.1f}x (median of per-round ratios)")
    print(f"one warm page view: {warm_view}; then its three charts: {charts}")


if __name__ == "__main__":
    main()
