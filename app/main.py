"""App factory: `create_app(settings)` assembles routes and error handlers; `app` is the default."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from app.catalog.api_prices import list_api_models, snapshot_as_of
from app.catalog.efficiencies import load_efficiencies
from app.catalog.loader import load_catalog
from app.catalog.price_refresh import use_refreshed_prices
from app.render.chart_render import RenderCache, shutdown_renderer
from app.render.text_metrics import load_chart_font
from app.settings import Settings, get_settings
from app.store import ManagedStore, StoreUnavailable
from app.web import api, api_beyond, embeds
from app.web.api_examples import HEALTH_RESPONSE_EXAMPLE, NOT_READY_RESPONSE_EXAMPLE, READY_RESPONSE_EXAMPLE
from app.web.api_schemas import HealthOut, NotReadyOut, ReadyOut, documented
from app.web.docs import install_docs
from app.web.errors import install_error_handlers
from app.web.evaluation_cache import EvaluationCache
from app.web.observability import install_observability
from app.web.security import SecurityMiddleware

ROOT = Path(__file__).resolve().parent.parent

DESCRIPTION = """
Breakeven compares a closed per-token LLM API with a self-hosted open-weight model and finds,
exactly, the monthly volume at which self-hosting becomes cheaper and the volume above which it
stays cheaper. Money in USD, a month is 730 hours, prices per million tokens.
"""


@asynccontextmanager
async def _warm_and_freeze(app: FastAPI) -> AsyncIterator[None]:
    """Load what every request reads (catalog, price snapshot, efficiencies, the charts' font) before
    the first one, then move it out of the garbage collector's sight: a full collection over those
    ~100k long-lived objects took ~60 ms, a pause every few thousand requests that set the p99."""
    load_catalog()
    list_api_models()
    snapshot_as_of()
    load_efficiencies()
    load_chart_font()
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        shutdown_renderer()  # the chart render processes (app/render/chart_render.py), if any started


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(
        title="Breakeven",
        version="0.1.0",
        description=DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        lifespan=_warm_and_freeze,
    )
    app.state.settings = settings
    use_refreshed_prices(settings.data_dir)  # opt-in: only after `breakeven prices refresh`
    install_error_handlers(app)
    install_docs(app)
    app.add_middleware(SecurityMiddleware, settings=settings)
    metrics = install_observability(app, settings)  # after every other middleware: outermost
    app.include_router(api.router)
    app.include_router(api_beyond.router)
    # Optional at run time (issue 12): a broken store is logged with its path and fix, and only
    # saved scenarios answer 503 until it works again; it is retried by itself with backoff.
    app.state.store = store = ManagedStore(settings)
    store.start()
    app.add_exception_handler(StoreUnavailable, embeds.store_unavailable_response)
    app.state.render_cache = RenderCache(settings.chart_cache_bytes, on_lookup=metrics.chart_lookup)
    # One evaluation per question: the page, its charts and its JSON twin share it (issue 13).
    app.state.evaluation_cache = EvaluationCache()
    # A repeat of the same live page or break-even body, answered from its finished bytes (issue 13).
    app.state.answer_cache = RenderCache(settings.answer_cache_bytes)
    app.include_router(embeds.router)

    @app.get(
        "/healthz",
        summary="Liveness: the app is up and its catalog loads; the store's last known state",
        response_model=None,
        responses={200: documented(HealthOut, "Up; the store's last known state", HEALTH_RESPONSE_EXAMPLE)},
    )
    async def healthz() -> dict[str, Any]:
        load_catalog()
        # Always 200: the calculator works without the store. No store I/O here (called often).
        health = store.health()
        return {"status": "ok" if health["status"] == "ok" else "degraded", "store": health}

    @app.get(
        "/readyz",
        summary="Readiness: 200 when saved scenarios can be read and written now, else 503",
        responses={
            200: documented(ReadyOut, "Saved scenarios can be read and written", READY_RESPONSE_EXAMPLE),
            503: documented(
                NotReadyOut, "The store is unavailable or read-only; see store.error", NOT_READY_RESPONSE_EXAMPLE
            ),
        },
    )
    def readyz() -> JSONResponse:
        health = store.probe()  # real I/O, within the retry backoff: a dead store is not hammered
        if health["status"] == "ok":
            return JSONResponse({"status": "ready", "store": health})
        retry_after = str(health["retry_in_s"] or 1)
        return JSONResponse(
            {"status": "not_ready", "store": health}, status_code=503, headers={"Retry-After": retry_after}
        )

    from app.web import pages

    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=ROOT / "static"), name="static")
    return app


app = create_app()
