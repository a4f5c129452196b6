"""Charts and exports that live outside the app: SVG/PNG images, an iframe page, CSV, and saved
scenarios that render the same forever.

Stateless URLs take the page's permalink query (`/chart.svg?<same query as />`); saved scenarios
live under `/s/{id}`. Chart responses carry a strong ETag and answer If-None-Match with 304 before
computing anything; renders are kept in an LRU bounded in bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Body, Depends, Form, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.catalog.loader import load_catalog
from app.catalog.sources import frozen_sources
from app.core.errors import DomainError
from app.render import chart_render
from app.render.chart_figures import (
    CHART_KINDS,
    PAIR_CHART_KINDS,
    ChartKind,
    Theme,
    chart_figure,
    chart_title,
    horizon_figure,
    tornado_figure,
)
from app.render.chart_render import (
    RenderCache,
    RendererUnavailable,
    live_data_fingerprint,
    make_etag,
    render_png,
    render_svg,
)
from app.render.csv_export import result_csv
from app.render.figure import Figure
from app.render.interactivity import interactivity_figure
from app.render.page_view import alt_text, rerun_banner, result_view, saved_banner, verdict
from app.render.result_json import result_to_json
from app.render.snippets import EmbedLinks
from app.scenario.beyond import headline_evaluated, headline_pair
from app.scenario.evaluate import ScenarioResult, evaluate, snapshot_for
from app.scenario.inputs import STORED_DOCUMENT, ScenarioIn
from app.scenario.interactivity import scenario_curves
from app.settings import Settings
from app.store import USER_MESSAGE, SavedScenario, ScenarioStore, StoreUnavailable
from app.web.api import BREAKEVEN_EXAMPLE, FiniteJSONResponse
from app.web.api_saved_examples import SAVED_SCENARIO_CREATED_EXAMPLE, SAVED_SCENARIO_RESPONSE_EXAMPLE
from app.web.api_schemas import SavedScenarioCreatedOut, SavedScenarioOut, documented
from app.web.beyond_view import headline_uncertainty, horizon_data
from app.web.deps import SettingsDep
from app.web.errors import ErrorDetail, JsonError, error_response, query_errors
from app.web.evaluation_cache import Evaluation, EvaluationCache, get_evaluation_cache, live_key, saved_key
from app.web.form_fields import BeyondIn
from app.web.forms import parse_beyond, parse_query
from app.web.pages import render_page
from app.web.query_codec import beyond_to_pairs, scenario_to_query
from app.web.security import link_base

router = APIRouter()

CHART_PARAMS = frozenset({"kind", "width", "height", "theme", "scale"})
LIVE_MAX_AGE = 3600  # live prices only change with a deploy; an hour keeps wiki pages fresh enough
SAVED_CACHE_CONTROL = "public, max-age=31536000, immutable"


def get_store(request: Request) -> ScenarioStore:
    store: ScenarioStore = request.app.state.store
    return store


def get_render_cache(request: Request) -> RenderCache:
    cache: RenderCache = request.app.state.render_cache
    return cache


StoreDep = Annotated[ScenarioStore, Depends(get_store)]

STORE_UNAVAILABLE_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Saved scenarios unavailable</title></head>
<body><h1>Saved scenarios are unavailable right now</h1>
<p>{message}</p>
<p>A scenario you were saving is still in the calculator's address bar (its permalink): go back and try again in a
minute.</p>
<p><a href="/">Back to the calculator</a></p></body></html>
"""


def store_unavailable_response(request: Request, error: Exception) -> Response:
    """503 with Retry-After for a saved-scenario route while the store is down (app.store.ManagedStore).

    Users get a plain message; the file or server and the fix are in the log and at /readyz."""
    assert isinstance(error, StoreUnavailable)
    headers = {"Retry-After": str(error.retry_after_s), "Cache-Control": "no-store"}
    path = request.url.path
    if path.startswith("/api/") or path.endswith((".svg", ".png", ".csv")):  # as their 404s: JSON
        return error_response(503, [ErrorDetail(("store",), USER_MESSAGE, "store_unavailable")], headers)
    return HTMLResponse(STORE_UNAVAILABLE_PAGE.format(message=escape(USER_MESSAGE)), status_code=503, headers=headers)


CacheDep = Annotated[RenderCache, Depends(get_render_cache)]


@dataclass(frozen=True)
class ChartParams:
    kind: ChartKind = "cost"
    width: int = 720
    height: int = 400
    theme: Theme = "light"
    scale: float = 2.0  # PNG only: 2 = retina


class ChartParamError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _int_param(params: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ChartParamError(name, f"{name} must be a whole number of pixels") from None
    if not low <= value <= high:
        raise ChartParamError(name, f"{name} must be between {low} and {high}")
    return value


def chart_params(params: dict[str, str]) -> ChartParams:
    kind = params.get("kind") or "cost"
    if kind not in CHART_KINDS:
        raise ChartParamError("kind", f"kind must be one of: {', '.join(CHART_KINDS)}")
    theme = params.get("theme") or "light"
    if theme not in ("light", "dark"):
        raise ChartParamError("theme", "theme must be light or dark")
    scale_text = params.get("scale") or "2"
    try:
        scale = float(scale_text)
    except ValueError:
        raise ChartParamError("scale", "scale must be a number from 1 to 4") from None
    if not 1 <= scale <= 4:
        raise ChartParamError("scale", "scale must be a number from 1 to 4")
    return ChartParams(
        kind=kind,  # type: ignore[arg-type]
        width=_int_param(params, "width", 720, 200, 2400),
        height=_int_param(params, "height", 400, 150, 1600),
        theme=theme,  # type: ignore[arg-type]
        scale=scale,
    )


def _query_error(name: str, msg: str) -> JsonError:
    return JsonError(422, [ErrorDetail(("query", name), msg, "value_error")])


@dataclass(frozen=True)
class Resolved:
    """One scenario to draw: how to evaluate it (lazily) and what identifies its renders."""

    scenario: ScenarioIn
    identity: Any  # part of every ETag: canonical live scenario + data fingerprint, or a saved id
    saved: SavedScenario | None
    max_options: int
    beyond: BeyondIn = BeyondIn()  # the horizon settings (`h.*`), for kind=horizon
    # Where the page and the other faces of this scenario left its evaluation (app/web/evaluation_cache.py).
    evaluations: EvaluationCache | None = None

    def evaluated(self) -> Evaluation:
        """The scenario evaluated once: found in the cache (the page's, or another face's), else evaluated."""
        if self.evaluations is None:
            return Evaluation(self._evaluate())
        key = saved_key(self.saved.id) if self.saved is not None else live_key(self.scenario)
        return self.evaluations.evaluation(key, self._evaluate)

    def evaluate(self) -> ScenarioResult:
        return self.evaluated().result

    def _evaluate(self) -> ScenarioResult:
        if self.saved is not None:
            sources = frozen_sources(self.saved.snapshot, label=f"saved {self.saved.created_at}")
            return evaluate(self.scenario, sources.catalog, self.max_options, sources)
        return evaluate(self.scenario, load_catalog(), self.max_options)

    def pair_figure(self, params: ChartParams) -> Figure:
        """The figure of a chart for the headline pair (kind horizon or tornado); ValueError if the
        scenario lacks an API or a self-hosted option."""
        evaluation = self.evaluated()
        result = evaluation.result
        pair = headline_pair(self.scenario, result)
        if pair is None:
            raise ValueError(
                f"kind={params.kind} compares the cheapest API with the cheapest self-hosted option: the scenario "
                "needs at least one of each"
            )
        sources = frozen_sources(self.saved.snapshot) if self.saved is not None else None
        catalog = sources.catalog if sources is not None else load_catalog()
        w, h, theme = params.width, params.height, params.theme
        if params.kind == "horizon":
            evaluated = headline_evaluated(result, pair)
            data = horizon_data(self.scenario, pair, self.beyond, catalog, sources, evaluated)
            return horizon_figure(data, width=w, height=h, theme=theme)
        uncertainty = headline_uncertainty(evaluation, self.scenario, pair, catalog, sources)
        return tornado_figure(uncertainty, width=w, height=h, theme=theme)

    @property
    def cache_control(self) -> str:
        return SAVED_CACHE_CONTROL if self.saved is not None else f"public, max-age={LIVE_MAX_AGE}"

    @property
    def page_url(self) -> str:
        return f"/s/{self.saved.id}" if self.saved is not None else "/?" + scenario_to_query(self.scenario)


def _live(request: Request, settings: Settings) -> Resolved:
    pairs = [(k, v) for k, v in request.query_params.multi_items() if k not in CHART_PARAMS]
    scenario, state = parse_query(pairs)
    if scenario is None:
        if not state.errors:
            state.add_error("form", "give a workload and at least one option (use the page's permalink query)")
        raise JsonError(422, query_errors(state.errors))
    identity = ("live", scenario.model_dump(mode="json"), live_data_fingerprint())
    return Resolved(scenario, identity, None, settings.max_options, state.beyond, get_evaluation_cache(request))


def _saved(
    scenario_id: str,
    store: ScenarioStore,
    settings: Settings,
    request: Request | None = None,
    *,
    evaluations: EvaluationCache | None = None,
) -> Resolved:
    saved = store.get(scenario_id) if len(scenario_id) <= 32 else None
    if saved is None:
        raise JsonError(404, [ErrorDetail(("path", "scenario_id"), "no saved scenario with this id", "not_found")])
    beyond = BeyondIn()
    if request is not None:  # a saved chart of kind=horizon takes the horizon settings from its query
        beyond, errors = parse_beyond(request.query_params.multi_items())
        if errors:
            raise JsonError(422, query_errors(errors))
    # A stored document may predate today's checks on names: it loads, unreadable characters become U+FFFD.
    scenario = ScenarioIn.model_validate(saved.scenario, context=STORED_DOCUMENT)
    if evaluations is None and request is not None:
        evaluations = get_evaluation_cache(request)
    return Resolved(scenario, ("saved", saved.id), saved, settings.max_options, beyond, evaluations)


@dataclass(frozen=True)
class ChartLookup:
    """A chart request after the cheap part: its ETag and headers, and a response if the client's
    copy (304) or the render cache already answers it."""

    etag: str
    headers: dict[str, str]
    answer: Response | None


def _chart_lookup(
    request: Request, resolved: Resolved, params: ChartParams, fmt: Literal["svg", "png"], cache: RenderCache
) -> ChartLookup:
    etag = make_etag(
        resolved.identity,
        # A saved scenario's identity is its id alone: a new way of drawing (the renderer's version) must still
        # change its ETag, or a client revalidating an immutable saved chart keeps the old drawing (a 304).
        chart_render.RENDERER,
        fmt,
        params.kind,
        params.width,
        params.height,
        params.theme,
        params.scale if fmt == "png" else None,
        resolved.beyond.model_dump(mode="json") if params.kind in PAIR_CHART_KINDS else None,
    )
    headers = {"ETag": etag, "Cache-Control": resolved.cache_control, "Vary": "Accept-Encoding"}
    if etag in _if_none_match(request):
        return ChartLookup(etag, headers, Response(status_code=304, headers=headers))
    body = cache.get(etag)
    if body is not None:
        return ChartLookup(etag, headers, Response(body, media_type=MEDIA_TYPES[fmt], headers=headers))
    return ChartLookup(etag, headers, None)


MEDIA_TYPES = {"svg": "image/svg+xml", "png": "image/png"}
RENDER_RETRY_AFTER = "1"  # seconds: a fresh render process is ready in ~0.5 s (app/render/chart_render.py)


def _chart_render(
    resolved: Resolved, params: ChartParams, fmt: Literal["svg", "png"], cache: RenderCache, lookup: ChartLookup
) -> Response:
    """Evaluate, build the figure and draw it: a few ms for an SVG, tens for a PNG, so async routes run it in a
    thread."""
    if params.kind in PAIR_CHART_KINDS:
        try:
            figure = resolved.pair_figure(params)
        except (ValueError, DomainError) as error:
            raise _query_error("kind", str(error)) from None
    elif params.kind == "interactivity":
        result = resolved.evaluate()
        try:
            curves = scenario_curves(result, resolved.scenario)
            figure = interactivity_figure(curves, width=params.width, height=params.height, theme=params.theme)
        except ValueError as error:  # no estimated self-hosted option to draw
            raise _query_error("kind", str(error)) from None
    else:
        result = resolved.evaluate()
        figure = chart_figure(result, kind=params.kind, width=params.width, height=params.height, theme=params.theme)
    try:
        body = render_svg(figure) if fmt == "svg" else render_png(figure, params.scale)
    except RendererUnavailable as error:  # a crashed or hung render process: this request only, never cached
        headers = {"Retry-After": RENDER_RETRY_AFTER, "Cache-Control": "no-store"}
        raise JsonError(503, [ErrorDetail((), str(error), "renderer_unavailable")], headers) from None
    cache.put(lookup.etag, body)
    return Response(body, media_type=MEDIA_TYPES[fmt], headers=lookup.headers)


def _chart_response(
    request: Request, resolved: Resolved, params: ChartParams, fmt: Literal["svg", "png"], cache: RenderCache
) -> Response:
    lookup = _chart_lookup(request, resolved, params, fmt, cache)
    return lookup.answer or _chart_render(resolved, params, fmt, cache, lookup)


def _if_none_match(request: Request) -> set[str]:
    header = request.headers.get("if-none-match", "")
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


def _chart_params(request: Request) -> ChartParams:
    try:
        return chart_params(dict(request.query_params))
    except ChartParamError as error:
        raise _query_error(error.field, str(error)) from None


# --- stateless ------------------------------------------------------------------------------------


# Stateless charts are the hot path of wiki traffic: an async handler answers a 304 or a cached
# render on the event loop (no threadpool hop) and sends only a real render to a thread.


async def app_render_cache(request: Request) -> RenderCache:
    return get_render_cache(request)


async def _live_chart(request: Request, settings: Settings, fmt: Literal["svg", "png"], cache: RenderCache) -> Response:
    resolved = _live(request, settings)
    params = _chart_params(request)
    lookup = _chart_lookup(request, resolved, params, fmt, cache)
    if lookup.answer is not None:
        return lookup.answer
    return await run_in_threadpool(_chart_render, resolved, params, fmt, cache, lookup)


@router.get("/chart.svg", include_in_schema=False)
async def read_chart_svg(
    request: Request,
    settings: SettingsDep,
    cache: Annotated[RenderCache, Depends(app_render_cache)],
) -> Response:
    return await _live_chart(request, settings, "svg", cache)


@router.get("/chart.png", include_in_schema=False)
async def read_chart_png(
    request: Request,
    settings: SettingsDep,
    cache: Annotated[RenderCache, Depends(app_render_cache)],
) -> Response:
    return await _live_chart(request, settings, "png", cache)


@router.get("/embed", response_class=HTMLResponse, include_in_schema=False)
def read_embed(request: Request, settings: SettingsDep, cache: CacheDep) -> Response:
    return _embed(request, _live(request, settings), cache)


@router.get("/data.csv", include_in_schema=False)
def read_data_csv(request: Request, settings: SettingsDep) -> Response:
    return _csv(_live(request, settings))


# --- saved ----------------------------------------------------------------------------------------


@router.get("/s/{scenario_id}/chart.svg", include_in_schema=False)
def read_saved_chart_svg(
    scenario_id: str, request: Request, store: StoreDep, settings: SettingsDep, cache: CacheDep
) -> Response:
    return _chart(request, _saved(scenario_id, store, settings, request), "svg", cache)


@router.get("/s/{scenario_id}/chart.png", include_in_schema=False)
def read_saved_chart_png(
    scenario_id: str, request: Request, store: StoreDep, settings: SettingsDep, cache: CacheDep
) -> Response:
    return _chart(request, _saved(scenario_id, store, settings, request), "png", cache)


@router.get("/s/{scenario_id}/embed", response_class=HTMLResponse, include_in_schema=False)
def read_saved_embed(
    scenario_id: str, request: Request, store: StoreDep, settings: SettingsDep, cache: CacheDep
) -> Response:
    return _embed(request, _saved(scenario_id, store, settings, request), cache)


@router.get("/s/{scenario_id}/data.csv", include_in_schema=False)
def read_saved_data_csv(scenario_id: str, request: Request, store: StoreDep, settings: SettingsDep) -> Response:
    return _csv(_saved(scenario_id, store, settings, evaluations=get_evaluation_cache(request)))


def links(scenario_id: str, base: str = "") -> dict[str, str]:
    return {
        "page": f"{base}/s/{scenario_id}",
        "json": f"{base}/api/v1/scenarios/{scenario_id}",
        "chart_svg": f"{base}/s/{scenario_id}/chart.svg",
        "chart_png": f"{base}/s/{scenario_id}/chart.png",
        "embed": f"{base}/s/{scenario_id}/embed",
        "csv": f"{base}/s/{scenario_id}/data.csv",
    }


def save_scenario(
    scenario: ScenarioIn,
    store: ScenarioStore,
    settings: Settings,
    page_settings: list[tuple[str, str]] | None = None,
) -> SavedScenario:
    """Evaluate against live sources, then store the scenario with every figure it used, and the
    page's own settings (the horizon, profile and requirements: `h.*` and `req` query pairs)."""
    catalog = load_catalog()
    result = evaluate(scenario, catalog, settings.max_options)
    snapshot = snapshot_for(scenario, result, catalog)
    snapshot["page_settings"] = [list(pair) for pair in page_settings or []]
    # The scenario as evaluated (hosted alternatives included), whose prices the snapshot froze.
    evaluated = result.evaluated_scenario or scenario
    return store.save(evaluated.model_dump(mode="json", exclude_none=True), snapshot)


def saved_query(saved: SavedScenario, scenario: ScenarioIn) -> str:
    """The permalink query of a saved scenario, with the page settings it was saved with."""
    extra = [(str(k), str(v)) for k, v in saved.snapshot.get("page_settings", [])]
    return scenario_to_query(scenario) + ("&" + urlencode(extra) if extra else "")


@router.post(
    "/api/v1/scenarios",
    status_code=201,
    response_class=FiniteJSONResponse,
    summary="Save a scenario with today's prices frozen into it",
    response_model=None,
    responses={201: documented(SavedScenarioCreatedOut, "Saved: its id and links", SAVED_SCENARIO_CREATED_EXAMPLE)},
)
def create_scenario(
    body: Annotated[ScenarioIn, Body(openapi_examples={"design-example": {"value": BREAKEVEN_EXAMPLE}})],
    request: Request,
    store: StoreDep,
    settings: SettingsDep,
) -> dict[str, Any]:
    saved = save_scenario(body, store, settings)
    base = link_base(request)  # never the raw Host header: app/web/security.py
    return {"id": saved.id, "created_at": saved.created_at, "links": links(saved.id, base)}


@router.get(
    "/api/v1/scenarios/{scenario_id}",
    response_class=FiniteJSONResponse,
    summary="A saved scenario, evaluated with the figures frozen at save time",
    responses={
        200: documented(SavedScenarioOut, "The scenario as saved and its result", SAVED_SCENARIO_RESPONSE_EXAMPLE),
        404: {"description": "No saved scenario with this id (error shape as for 422)"},
    },
)
def read_scenario(scenario_id: str, request: Request, store: StoreDep, settings: SettingsDep) -> Response:
    resolved = _saved(scenario_id, store, settings, evaluations=get_evaluation_cache(request))
    assert resolved.saved is not None
    base = link_base(request)  # never the raw Host header: app/web/security.py
    snapshot = resolved.saved.snapshot
    return FiniteJSONResponse(
        {
            "id": resolved.saved.id,
            "created_at": resolved.saved.created_at,
            "scenario": resolved.saved.scenario,
            "prices_as_of": snapshot.get("genai_prices", {}).get("as_of"),
            "result": result_to_json(resolved.evaluate()),
            "links": links(resolved.saved.id, base),
        },
        headers={"Cache-Control": SAVED_CACHE_CONTROL},
    )


@router.post("/s", include_in_schema=False)
def save_from_page(query: Annotated[str, Form(max_length=20_000)], store: StoreDep, settings: SettingsDep) -> Response:
    """The page's "Save & share" button posts its permalink query here."""
    scenario, state = parse_query(query)
    if scenario is None:
        return RedirectResponse("/?" + query, status_code=303)
    saved = save_scenario(scenario, store, settings, beyond_to_pairs(state.beyond))
    return RedirectResponse(f"/s/{saved.id}", status_code=303)


def _saved_or_404(scenario_id: str, store: ScenarioStore, settings: Settings, request: Request) -> Resolved:
    try:
        return _saved(scenario_id, store, settings, evaluations=get_evaluation_cache(request))
    except JsonError:  # a page route: the HTML 404 page, not the JSON shape
        raise HTTPException(404, "No saved scenario has this id.") from None


@router.get("/s/{scenario_id}", response_class=HTMLResponse, include_in_schema=False)
def read_saved_page(scenario_id: str, request: Request, store: StoreDep, settings: SettingsDep) -> Response:
    resolved = _saved_or_404(scenario_id, store, settings, request)
    saved = resolved.saved
    assert saved is not None
    frozen = frozen_sources(saved.snapshot)
    # The same result as evaluating with `frozen` (a saved scenario's sources differ only in their label),
    # shared with its charts.
    evaluation = resolved.evaluated()
    result = evaluation.result
    query = saved_query(saved, resolved.scenario)
    _, state = parse_query(query)
    view = result_view(resolved.scenario, result, frozen.catalog)
    banner = saved_banner(saved.id, saved.created_at, saved.snapshot.get("genai_prices", {}))
    base = link_base(request)  # never the raw Host header: app/web/security.py
    urls = links(saved.id, base)
    embed = EmbedLinks(
        page_url=urls["page"],
        svg_url=urls["chart_svg"],
        png_url=urls["chart_png"],
        embed_url=urls["embed"],
        csv_url=urls["csv"],
        alt=alt_text(result),
        saved=True,
    )
    response = render_page(
        request,
        state,
        resolved.scenario,
        result,
        view,
        load_catalog(),
        query,
        banner=banner,
        embed=embed,
        chart_src=f"/s/{saved.id}/chart.svg?kind=cost",
        beyond_chart_base=f"/s/{saved.id}/chart.svg?",
        sources=frozen,
        evaluation=evaluation,
        saved_id=saved.id,
    )
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@router.get("/s/{scenario_id}/rerun", response_class=HTMLResponse, include_in_schema=False)
def read_saved_rerun(scenario_id: str, request: Request, store: StoreDep, settings: SettingsDep) -> Response:
    resolved = _saved_or_404(scenario_id, store, settings, request)
    saved = resolved.saved
    assert saved is not None
    then = resolved.evaluate()
    catalog = load_catalog()
    # Today's evaluation is the live scenario's: shared with the permalink's page and charts.
    evaluations = get_evaluation_cache(request)
    now_evaluation = evaluations.evaluation(
        live_key(resolved.scenario), lambda: evaluate(resolved.scenario, catalog, settings.max_options)
    )
    now = now_evaluation.result
    query = saved_query(saved, resolved.scenario)
    _, state = parse_query(query)
    banner = rerun_banner(saved.id, saved.created_at, then, now, query)
    view = result_view(resolved.scenario, now, catalog)
    return render_page(
        request, state, resolved.scenario, now, view, catalog, query, banner=banner, evaluation=now_evaluation
    )


# --- shared renderers -----------------------------------------------------------------------------


def _chart(request: Request, resolved: Resolved, fmt: Literal["svg", "png"], cache: RenderCache) -> Response:
    return _chart_response(request, resolved, _chart_params(request), fmt, cache)


EMBED_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="stylesheet" href="/static/embed.css">
</head>
<body class="theme-{theme}">
<figure>
<img src="{chart_url}" alt="{alt}" width="{width}" height="{height}">
<figcaption>{verdict} <a href="{page_url}" target="_blank" rel="noopener">Open in Breakeven</a></figcaption>
</figure>
</body>
</html>
"""


def _embed(request: Request, resolved: Resolved, cache: RenderCache) -> Response:
    params = _chart_params(request)
    result = resolved.evaluate()
    chart_query = urlencode(
        {"kind": params.kind, "width": params.width, "height": params.height, "theme": params.theme}
    )
    if params.kind in PAIR_CHART_KINDS and (beyond := urlencode(beyond_to_pairs(resolved.beyond))):
        chart_query += "&" + beyond
    if resolved.saved is not None:
        chart_url = f"/s/{resolved.saved.id}/chart.svg?{chart_query}"
    else:
        chart_url = "/chart.svg?" + scenario_to_query(resolved.scenario) + "&" + chart_query
    head, _ = verdict(result)
    html = EMBED_PAGE.format(
        title=escape(chart_title(params.kind)),
        theme=params.theme,
        chart_url=escape(chart_url),
        alt=escape(alt_text(result, params.kind)),
        width=params.width,
        height=params.height,
        verdict=escape(head),
        page_url=escape(resolved.page_url),
    )
    return HTMLResponse(html, headers={"Cache-Control": resolved.cache_control})


def _csv(resolved: Resolved) -> Response:
    return Response(
        result_csv(resolved.evaluate()),
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="breakeven.csv"',
            "Cache-Control": resolved.cache_control,
        },
    )
