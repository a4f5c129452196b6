"""Profile one page view inside the app: the route runs in this thread, not in TestClient's.

    .venv/bin/python bench/profile_page_view.py [--views 30] [--preset rag-assistant] [--top 40] [--fresh]
                                                   [--snapshot DIR]

Each view is a raw ASGI call (bench/bench_server.py's `asgi_get`) on this thread's event loop, with
FastAPI's threadpool hop inlined (the sync route is called where it would be awaited), so cProfile sees
the route function and everything under it. `--snapshot DIR` writes every preset's page (and the blank
form, and pages that take other branches) to DIR instead, one file each, to compare a change's HTML byte
for byte (`diff -r`); each page is viewed twice, and a second view that differs from the first fails.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import logging
import pstats
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import fastapi.routing  # noqa: E402

from app.main import create_app  # noqa: E402
from app.settings import Settings  # noqa: E402
from app.web import pages as pages_module  # noqa: E402
from app.web.presets import presets  # noqa: E402
from bench.bench_server import asgi_get  # noqa: E402

# Pages beyond the presets whose controls take other branches: messages beside fields, values not in a
# menu, inline figures, buying, the custom daily shape, a volume in tokens.
SNAPSHOT_QUERIES = {
    "errors": "volume=abc&input_tokens=-5&output_tokens=x&cached_pct=200&reasoning_tokens=-1&latency=fast"
    "&api.0.provider=nosuch&api.0.model=nonexistent&api.0.input_per_mtok=-1&api.0.time_of_day=noon"
    "&sh.1.model=nosuch&sh.1.gpu=nosuchgpu&sh.1.gpu_count=zero&sh.1.pricing=buy&sh.1.years=-3&sh.1.pue=abc"
    "&sh.1.kv_precision=fp3&sh.1.engine=x&sh.1.offer=nope&sh.1.purchase_offer=nope&sh.1.redundancy=-1"
    "&h.months=abc&h.profile=custom&h.hourly=1,2&req=nosuch",
    "inline-buy": "volume=2M&volume_unit=tokens&input_tokens=1000&output_tokens=300&cache_write_pct=5"
    "&api.0.name=Mine&api.0.input_per_mtok=1&api.0.output_per_mtok=2&api.0.discount_pct=10"
    "&sh.1.name=Custom&sh.1.model=custom-arch&sh.1.model.num_layers=80&sh.1.gpu=h100-sxm&sh.1.pricing=buy"
    "&sh.1.price_per_gpu=30000&sh.1.pue=1.3&sh.1.concurrency=64&sh.1.kv_precision=fp8&h.profile=business_hours",
    "spot-measured": "volume=5000000&input_tokens=500&output_tokens=500&latency=offline"
    "&api.0.provider=deepseek&api.0.model=deepseek-chat&api.0.time_of_day=off_peak"
    "&sh.1.model=llama-3.3-70b&sh.1.gpu=h100-sxm&sh.1.gpu_count=2&sh.1.output_tps=900&sh.1.term=spot"
    "&sh.1.offer=nebius-h100-sxm-8x&sh.1.reasoning=100&h.months=24&h.growth_pct=5&req=data_residency",
}


async def _inline(func: Any, *args: Any, **kwargs: Any) -> Any:
    return func(*args, **kwargs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--views", type=int, default=30)
    parser.add_argument("--preset", default="rag-assistant", help="a preset's slug (app/web/presets.py)")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--sort", default="cumulative")
    parser.add_argument("--snapshot", type=Path, help="write each preset's page HTML here and exit")
    parser.add_argument(
        "--fresh", action="store_true", help="a new volume each view: a first view, not a repeat the answer cache holds"
    )
    args = parser.parse_args()
    fastapi.routing.run_in_threadpool = _inline  # type: ignore[assignment]
    pages_module.run_in_threadpool = _inline  # type: ignore[assignment]  # the page's own hop (async route)
    settings = Settings(data_dir=Path(tempfile.mkdtemp()), rate_limit_per_minute=1_000_000_000)
    app = create_app(settings)
    logging.getLogger("breakeven.access").disabled = True

    async def page(query: str) -> bytes:
        status, body = await asgi_get(app, "/", query)
        if status not in (200, 422) or not body:
            raise RuntimeError(f"page: HTTP {status}: {body[:200]!r}")
        return body

    if args.snapshot is not None:
        args.snapshot.mkdir(parents=True, exist_ok=True)
        rag = next(p for p in presets() if p.slug == "rag-assistant").query
        queries = {p.slug: p.query for p in presets()} | {"blank": "", "partial-rag": rag + "&partial=1"}
        queries |= SNAPSHOT_QUERIES
        for name, query in queries.items():
            first, again = asyncio.run(page(query)), asyncio.run(page(query))  # the second finds it evaluated
            if first != again:
                raise SystemExit(f"{name}: a second view differs from the first")
            (args.snapshot / f"{name}.html").write_bytes(first)
        print(f"wrote {len(queries)} pages to {args.snapshot}")
        return

    query = next(p for p in presets() if p.slug == args.preset).query

    asked = 0

    async def views(n: int) -> float:
        nonlocal asked
        started = time.perf_counter()
        for _ in range(n):
            asked += 1
            await page(query.replace("volume=3000000&", f"volume={3_000_000 + asked}&") if args.fresh else query)
        return (time.perf_counter() - started) / n * 1000

    asyncio.run(views(3))  # warm: the evaluation cache, the menus, Jinja's compiled templates
    kind = "first views (a new volume each)" if args.fresh else "repeat views"
    print(f"{args.preset}: {asyncio.run(views(args.views)):.2f} ms a view unprofiled (mean of {args.views} {kind})")
    profiler = cProfile.Profile()
    profiler.enable()
    asyncio.run(views(args.views))
    profiler.disable()
    stats = pstats.Stats(profiler).strip_dirs().sort_stats(args.sort)
    stats.print_stats(args.top)


if __name__ == "__main__":
    main()
