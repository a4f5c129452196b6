"""HTML pages: the calculator at `/` and its JSON twin at `/scenario.json`.

Both read the same query string (app/web/forms.py), evaluate the same scenario, and render one
result: as HTML (a verdict, a cost table, the chart, every formula with its numbers) or as the JSON
API's body. `?partial=1` answers only the parts of the page that change as the user types, for the
page's JavaScript to swap in.
"""

from __future__ import annotations

import functools
import hashlib
import re
import threading
import weakref
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.encoders import jsonable_encoder
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markupsafe import Markup, escape
from starlette.concurrency import run_in_threadpool

from app.catalog.litellm_prices import status_of_prices
from app.catalog.litellm_prices import today as litellm_today
from app.catalog.sources import Sources
from app.core.errors import DomainError
from app.core.specs import Catalog
from app.render.format import money, number, percent, price_per_mtok, volume
from app.render.menus import PROFILE_LABELS, Menu, api_choices, catalog_choices
from app.render.page_view import PageBanner, ResultView, readouts, result_view, with_verdict
from app.render.result_json import result_to_json
from app.render.snippets import EmbedLinks
from app.render.usage_import import form_figures, why_no_workload
from app.scenario.evaluate import ScenarioResult
from app.scenario.inputs import ApiOptionIn, ScenarioIn
from app.scenario.usage_import import UsageImporter
from app.settings import Settings
from app.web import form_controls
from app.web.answer_cache import answer_key, get_answer_cache
from app.web.api import FiniteJSONResponse
from app.web.beyond_view import BeyondView, HeadlineAnswers, beyond_view, headline_answers, page_verdict
from app.web.deps import CatalogDep, SettingsDep
from app.web.errors import error_response, query_errors
from app.web.evaluation_cache import Evaluation, evaluate_form_once, get_evaluation_cache
from app.web.form_fields import (
    BEYOND_FIELDS,
    CONTROL_KEYS,
    HOURLY_KEY,
    ROW_KEY,
    WORKLOAD_KEYS,
    FieldSpec,
    field_spec,
)
from app.web.form_numbers import format_number
from app.web.forms import FormState, Row, clean_pairs, parse_query
from app.web.presets import presets
from app.web.query_codec import scenario_to_query, workload_to_pairs
from app.web.security import error_page, link_base
from app.web.social import page_title, saved_social_card, scenario_name

ROOT = Path(__file__).resolve().parent.parent.parent
templates = Jinja2Templates(directory=ROOT / "templates")
router = APIRouter()


# ---------------------------------------------------------------------------------------------
# Display formatting: the figures come from app/render/format.py, the one set shared with the JSON and charts


_URL = re.compile(r"https?://[^\s;,)]+")


def linkify(text: str) -> Markup:
    """Escape text and turn the URLs in it (sources cite price pages) into links."""
    escaped = str(escape(text))
    # Safe: the text is escaped first; only the URLs found in the escaped text become links.
    return Markup(_URL.sub(lambda m: f'<a href="{m[0]}" rel="noopener">{m[0]}</a>', escaped))  # noqa: S704


templates.env.filters.update(
    money=money, number=number, per_mtok=price_per_mtok, percent=percent, compact=volume, linkify=linkify
)


# ---------------------------------------------------------------------------------------------
# Template helpers: field defaults, labels for the error summary


def _spec_of(key: str) -> FieldSpec | None:
    """The field behind a key, looked up within its row's kind: an API row's `model` is not a
    self-hosted row's `model` (one flat table by field name would give both the same label)."""
    try:
        return field_spec(key)
    except KeyError:
        return None


def default_of(key: str) -> str:
    spec = _spec_of(key)
    return spec.display_default if spec else ""


def prefixed(prefix: str, names: Iterable[str]) -> list[str]:
    return [prefix + name for name in names]


def inline_values(state: FormState, prefix: str) -> list[tuple[str, str]]:
    """An inline architecture or GPU spec that came with the link (`sh.1.model.num_layers`...): the
    form has no fields for it, so it rides along in hidden inputs and the permalink keeps it."""
    return sorted((key, value) for key, value in state.values.items() if key.startswith(prefix))


def opened(state: FormState, keys: Iterable[str]) -> bool:
    """Whether a folded group of fields should start open: it holds an error or a value."""
    return any(state.error(key) or key in state.values for key in keys)


_SECTION_LABELS = {
    "form": ("Scenario", "#scenario-form"),
    "workload": ("Workload", "#workload"),
    "options": ("Options", "#api-options"),
    "volume": ("Volume per month", "#f-volume"),
    "volume_unit": ("Volume unit", "#f-volume_unit"),
    "req": ("Requirements besides cost", "#requirements"),
    "h.hourly": ("Custom daily traffic weights", "#f-h.hourly"),
    "beyond": ("Over time", "#horizon-fields"),
    "import": ("Usage export (CSV)", "#f-import-file"),
}


def _row_name(state: FormState, row_key: str) -> str:
    name_key = row_key + ".name"
    return state.values.get(name_key) or state.placeholders.get(name_key) or row_key


def error_links(state: FormState) -> list[tuple[str, str, str]]:
    """The error summary: one link per message, to the field it is about."""
    links = []
    for key, message in state.errors.items():
        if key in _SECTION_LABELS:
            label, href = _SECTION_LABELS[key]
        elif match := ROW_KEY.match(key):
            spec = _spec_of(key)
            row_key = f"{match[1]}.{match[2]}"
            label = f"{_row_name(state, row_key)}: {spec.label if spec else match[3]}"
            href = f"#f-{key}"
        elif re.fullmatch(r"(api|sh)\.\d+", key):
            label, href = _row_name(state, key), f"#row-{key}"
        else:
            spec = _spec_of(key)
            label, href = (spec.label if spec else key), f"#f-{key}"
        links.append((key, href, f"{label}: {message}"))
    return links


STATIC = ROOT / "static"


@functools.cache
def static_url(path: str) -> str:
    """A root-relative URL for a static file, with its content hash so caches can keep it forever."""
    digest = hashlib.sha256((STATIC / path).read_bytes()).hexdigest()[:10]
    return f"/static/{path}?v={digest}"


templates.env.globals.update(
    # The form's controls (app/web/form_controls.py): the option rows and the workload call them directly,
    # templates/_macros.html through `controls`, whose macros of the same names would shadow them there.
    controls=form_controls,
    field=form_controls.field,
    choice=form_controls.choice,
    message=form_controls.message,
    inline_values=inline_values,
    static_url=static_url,
    default_of=default_of,
    field_spec=field_spec,  # a control's label, unit and help text (app/web/form_fields.py)
    prefixed=prefixed,
    opened=opened,
    error_links=error_links,
    api_model_status=status_of_prices,  # the results' "retires on …" and price-check notes
)


# ---------------------------------------------------------------------------------------------
# The form's menus (app/render/menus.py), kept: built once a day, and once per catalog object


@functools.lru_cache(maxsize=2)
def _api_choices(day: date | None = None) -> tuple[Menu, dict[str, Menu]]:
    """The API menus, built once a day (`day`: their labels say "retires on …" / "retired …")."""
    return api_choices()


_CATALOG_CHOICES: dict[int, tuple[Catalog, dict[str, Any]]] = {}


def _catalog_choices(catalog: Catalog) -> dict[str, Any]:
    """The catalog's menus; computed once per catalog object (the live one is loaded once)."""
    cached = _CATALOG_CHOICES.get(id(catalog))
    if cached is not None and cached[0] is catalog:
        return cached[1]
    choices = catalog_choices(catalog)
    _CATALOG_CHOICES[id(catalog)] = (catalog, choices)
    return choices


def form_choices(catalog: Catalog, state: FormState) -> dict[str, Any]:
    providers, all_datalists = _api_choices(litellm_today())
    wanted = {state.value(row.prefix + "provider") for row in state.rows_of("api")} | {"featured"}
    datalists = {key: choices for key, choices in all_datalists.items() if key in wanted}
    return {**_catalog_choices(catalog), "providers": providers, "datalists": datalists}


# The blank rows' HTML by the menus they list: (catalog menus, API providers) -> (those two, the HTML).
# The menus are kept with it, so an id is never read again for another object.
_BLANK_ROWS: dict[tuple[int, int], tuple[dict[str, Any], Menu, Markup]] = {}


def blank_rows(catalog: Catalog) -> Markup:
    """The "add an option" rows (templates/_blank_rows.html): a blank form's rows, which depend only on
    the menus, so they are rendered once per catalog and day rather than on every view."""
    catalog_menus, providers = _catalog_choices(catalog), _api_choices(litellm_today())[0]
    key = (id(catalog_menus), id(providers))
    cached = _BLANK_ROWS.get(key)
    if cached is not None and cached[0] is catalog_menus and cached[1] is providers:
        return cached[2]
    choices = {**catalog_menus, "providers": providers}
    # Safe: the output of an autoescaping template, as the page's own.
    html = Markup(templates.get_template("_blank_rows.html").render(choices=choices, blank_state=FormState()))  # noqa: S704
    if len(_BLANK_ROWS) >= 4:  # a new day's or a new catalog's menus: the old rows are not shown again
        _BLANK_ROWS.clear()
    _BLANK_ROWS[key] = (catalog_menus, providers, html)
    return html


def form_readouts(state: FormState, result: ScenarioResult | None) -> dict[str, str]:
    """The readouts beside the form's fields (app/render/page_view.py), from the form's state."""
    api_specs = {
        k: spec for k, spec in state.options.items() if isinstance(spec, ApiOptionIn) and k not in state.errors
    }
    evaluated = result if state.usable is not None else None
    return readouts(api_specs, evaluated, [row.key for row in state.usable_rows], state.value("volume_unit"))


# ---------------------------------------------------------------------------------------------
# Routes


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def read_home(request: Request, catalog: CatalogDep, settings: SettingsDep) -> Response:
    # A live page asked again with the same query is answered from its finished bytes on the event loop
    # (app/web/answer_cache.py); anything else is built in the threadpool, off the event loop.
    answers = get_answer_cache(request)
    key = answer_key("page", request.scope["query_string"], link_base(request), str(settings.max_options))
    if (answered := answers.get(key)) is not None:
        return HTMLResponse(answered)
    response, complete = await run_in_threadpool(_home_page, request, catalog, settings)
    if complete:
        answers.put(key, bytes(response.body))
    return response


def _home_page(request: Request, catalog: Catalog, settings: Settings) -> tuple[Response, bool]:
    """The page for this query, and whether it is a complete live answer (a 200 with results and no
    errors, notices or banner: a function of the query, the data and the day alone, fit to keep)."""
    raw = list(request.query_params.multi_items())
    partial = request.query_params.get("partial") == "1"
    cleaned = clean_pairs(raw)
    given = [(k, v) for k, v in raw if k not in CONTROL_KEYS]
    # "Compare costs" on an empty form (every field blank or at its default, no row added or removed; the
    # script's fetch of an empty query too): the page says what is missing rather than doing nothing.
    nothing_given = not cleaned and bool(given or partial) and not any(k in ("add", "remove") for k, _ in raw)
    if not partial and not nothing_given and (given != cleaned or any(k == "remove" for k, _ in raw)):
        # A plain form submit sends every field, blank or default; the permalink keeps what matters.
        adds = [(k, v) for k, v in raw if k == "add"]
        return RedirectResponse("/?" + urlencode(cleaned + adds), status_code=303), False

    # An empty submit reads as the form it is, every field blank: each required field says so (422).
    scenario, state = parse_query([("volume_unit", "requests")] if nothing_given else raw)
    state.notices[:0] = _import_notices(request.query_params)
    if (nothing_given or not state.submitted) and not state.rows:
        state.rows += [Row("api", 0, blank=True), Row("self_hosted", 1, blank=True)]
    # Evaluated once, here, for the whole page; its chart images and JSON twin find it in the cache.
    evaluation = evaluate_form_once(state, catalog, settings.max_options, get_evaluation_cache(request))
    result = evaluation.result if evaluation is not None else None
    view = evaluated_view(state.usable, evaluation, catalog) if evaluation is not None and state.usable else None
    query = urlencode(cleaned)
    page = render_page(request, state, scenario, result, view, catalog, query, partial=partial, evaluation=evaluation)
    complete = view is not None and not state.errors and not state.notices and page.status_code == 200
    return page, complete


# ---------------------------------------------------------------------------------------------
# What a page derives from an evaluation, kept with it: the same query's next view renders it again
# instead of computing it again (issue 13: "compute once, render many")


@dataclass(frozen=True)
class _ViewOf:
    """An evaluation's result view (app/render/page_view.py), for the catalog it was built with."""

    catalog: Catalog
    view: ResultView


@dataclass(frozen=True)
class _AnswersOf:
    """The headline pair's answers for one evaluation, one view of it and one set of "Over time" settings:
    the verdict's horizon and Monte Carlo (`answers`), the view with that verdict, and the blocks."""

    catalog: Catalog
    base_view: ResultView
    answers: HeadlineAnswers | None
    view: ResultView
    beyond: BeyondView | None


# By evaluation, so an entry lives exactly as long as the evaluation cache (app/web/evaluation_cache.py)
# keeps its evaluation: everything here is a function of the evaluated scenario, which keys that cache
# (with the data fingerprint and the day), of the catalog (kept and compared by identity) and of the
# page's "Over time" settings (keyed below). The threadpool's workers share them under one lock.
_VIEWS: weakref.WeakKeyDictionary[Evaluation, _ViewOf] = weakref.WeakKeyDictionary()
_ANSWERS: weakref.WeakKeyDictionary[Evaluation, dict[tuple[str, str], _AnswersOf]] = weakref.WeakKeyDictionary()
_DERIVED_LOCK = threading.Lock()
MAX_SETTINGS_PER_EVALUATION = 8  # "Over time" settings tried on one scenario; more start the list afresh


def evaluated_view(scenario: ScenarioIn, evaluation: Evaluation, catalog: Catalog) -> ResultView:
    """`result_view` of the evaluation's result, computed once per evaluation and catalog. `scenario`: the
    evaluated one (the form's usable part), part of what keys the evaluation."""
    with _DERIVED_LOCK:
        kept = _VIEWS.get(evaluation)
    if kept is not None and kept.catalog is catalog:
        return kept.view
    view = result_view(scenario, evaluation.result, catalog)
    with _DERIVED_LOCK:
        _VIEWS[evaluation] = _ViewOf(catalog, view)
    return view


def _page_answers(
    state: FormState, view: ResultView, catalog: Catalog, evaluation: Evaluation | None, beyond_chart_base: str
) -> tuple[HeadlineAnswers | None, ResultView, BeyondView | None]:
    """The headline pair's answers, `view` with their verdict, and the blocks beyond one crossover, for a
    live page (today's catalog); kept with `evaluation` when `view` is its kept view (`evaluated_view`)."""
    assert state.usable is not None and evaluation is not None  # as the caller checked
    result = evaluation.result
    key = (state.beyond.model_dump_json(), beyond_chart_base)
    with _DERIVED_LOCK:
        kept = _ANSWERS.get(evaluation, {}).get(key)
    if kept is not None and kept.catalog is catalog and kept.base_view is view:
        return kept.answers, kept.view, kept.beyond
    answers = headline_answers(state.usable, result, state.beyond, catalog, None, evaluation)
    with_answers = with_verdict(view, result, page_verdict(result, answers))
    beyond = beyond_view(state.usable, result, state.beyond, catalog, beyond_chart_base, None, evaluation, answers)
    with _DERIVED_LOCK:
        settings = _ANSWERS.setdefault(evaluation, {})
        if len(settings) >= MAX_SETTINGS_PER_EVALUATION:
            settings.clear()
        settings[key] = _AnswersOf(catalog, view, answers, with_answers, beyond)
    return answers, with_answers, beyond


@dataclass(frozen=True)
class _ResultsHtmlOf:
    """A live page's rendered results section (templates/_results.html) for one view of its evaluation."""

    view: ResultView
    beyond: BeyondView | None
    html: Markup


# By evaluation, as _ANSWERS; within one, by everything else the section reads (`_results_key`).
_RESULTS_HTML: weakref.WeakKeyDictionary[Evaluation, dict[tuple[object, ...], _ResultsHtmlOf]] = (
    weakref.WeakKeyDictionary()
)
# A section is 15-70 kB (the presets' pages): with the evaluation cache's 256 entries, at most ≈36 MB. One
# deployment has one link base (PUBLIC_BASE_URL or its trusted host); two leave room for a second host or
# a changed "Over time" setting; a third starts the list afresh.
MAX_RESULTS_PER_EVALUATION = 2


def _results_key(context: dict[str, Any]) -> tuple[object, ...]:
    """What templates/_results.html reads besides the evaluation's result, for a page with no banner and
    nothing to say about its fields (no errors, no notices: `state` then shows nothing of its own). The
    view and the blocks by identity (kept with the evaluation and the "Over time" settings: `_page_answers`;
    the entry holds them, so their ids are not reused while it lives), the links by value, and the day:
    "retires on …" notes (`api_model_status`) follow today's date."""
    return (
        id(context["view"]),
        id(context["beyond"]),
        context["query"],
        context["chart_src"],
        context["embed"],
        context["profile_label"],
        litellm_today(),
    )


def _results_html(request: Request, context: dict[str, Any], evaluation: Evaluation) -> Markup:
    """templates/_results.html for a live page, rendered once per evaluation and `_results_key` (≈0.9 ms a
    view, issue 13); the page's templates put it in place of rendering the section again."""
    key = _results_key(context)
    with _DERIVED_LOCK:
        kept = _RESULTS_HTML.get(evaluation, {}).get(key)
    if kept is not None and kept.view is context["view"] and kept.beyond is context["beyond"]:
        return kept.html
    # Safe: the output of an autoescaping template, as the page's own.
    html = Markup(templates.get_template("_results.html").render({**context, "request": request}))  # noqa: S704
    with _DERIVED_LOCK:
        sections = _RESULTS_HTML.setdefault(evaluation, {})
        if len(sections) >= MAX_RESULTS_PER_EVALUATION:
            sections.clear()
        sections[key] = _ResultsHtmlOf(context["view"], context["beyond"], html)
    return html


def render_page(
    request: Request,
    state: FormState,
    scenario: ScenarioIn | None,
    result: ScenarioResult | None,
    view: ResultView | None,
    catalog: Catalog,
    query: str,
    *,
    partial: bool = False,
    banner: PageBanner | None = None,
    embed: EmbedLinks | None = None,
    chart_src: str | None = None,
    status_code: int | None = None,
    beyond_chart_base: str = "/chart.svg?",
    sources: Sources | None = None,
    evaluation: Evaluation | None = None,  # where `result` came from (app/web/evaluation_cache.py)
    saved_id: str | None = None,  # a saved scenario's page: its name as the title, link-preview tags
) -> Response:
    base = link_base(request)  # never the raw Host header: app/web/security.py
    answers: HeadlineAnswers | None = None
    beyond: BeyondView | None = None
    kept = view is not None and evaluation is not None and evaluation.result is result and sources is None
    if kept and view is not None and state.usable is not None:
        # A live page: the answers and blocks kept with its evaluation, computed on its first view.
        answers, view, beyond = _page_answers(state, view, catalog, evaluation, beyond_chart_base)
    elif view is not None and result is not None and state.usable is not None:
        # The headline pair's horizon and Monte Carlo (one a view), computed once: the verdict reads them,
        # then the blocks show them. A saved scenario's use its frozen figures (`sources`).
        beyond_catalog = sources.catalog if sources is not None else catalog
        answers = headline_answers(state.usable, result, state.beyond, beyond_catalog, sources, evaluation)
        view = with_verdict(view, result, page_verdict(result, answers))
    if embed is None and view is not None and query:
        embed = EmbedLinks(
            page_url=f"{base}/?{query}",
            svg_url=f"{base}/chart.svg?{query}",
            png_url=f"{base}/chart.png?{query}",
            embed_url=f"{base}/embed?{query}",
            csv_url=f"{base}/data.csv?{query}",
            alt=view.verdict,
            saved=False,
        )
    usable_query = None
    if chart_src is None and view is not None and state.usable is not None:
        # The chart is the server-drawn figure (app/render/chart_figures.py) of exactly what was evaluated.
        usable_query = scenario_to_query(state.usable)
        chart_src = "/chart.svg?" + usable_query
    if not kept and view is not None and result is not None and state.usable is not None:
        # A saved scenario's blocks use its frozen figures (`sources`); the form's menus, today's catalog.
        beyond_catalog = sources.catalog if sources is not None else catalog
        beyond = beyond_view(
            state.usable, result, state.beyond, beyond_catalog, beyond_chart_base, sources, evaluation, answers
        )
    canonical: str | None = None
    if scenario is not None and state.valid:
        # A valid form evaluated whole: its scenario is the chart's, encoded above already.
        encoded = usable_query is not None and scenario is state.usable
        canonical = usable_query if encoded else scenario_to_query(scenario)
    active = next((p.slug for p in presets() if canonical is not None and p.query == canonical), None)
    context = {
        "state": state,
        "view": view,
        "result": result,
        "readouts": form_readouts(state, result),
        "query": query,
        "json_href": "/scenario.json?" + query if query else None,
        "permalink": "/?" + query if query else "/",
        "presets": presets(),
        "active_preset": active,
        "submitted": state.submitted,
        "banner": banner,
        "embed": embed,
        "chart_src": chart_src,
        "beyond": beyond,
        "beyond_keys": [f.key for f in BEYOND_FIELDS if f.key != "h.profile"],
        "profile_label": PROFILE_LABELS.get(state.beyond.profile, state.beyond.profile),
    }
    saved_name = scenario_name(scenario) if saved_id is not None and scenario is not None else None
    preset_title = next((p.title for p in presets() if p.slug == active), None)
    context["page_title"] = page_title(view, preset_title, saved_name)
    if saved_id is not None and saved_name is not None and view is not None:
        context["social"] = saved_social_card(view, saved_name, base, saved_id)
    if kept and banner is None and evaluation is not None and not state.errors and not state.notices:
        context["results_html"] = _results_html(request, context, evaluation)
    if partial:  # a fragment for the page's script: it carries its own messages
        return templates.TemplateResponse(request, "_live.html", context)
    status = status_code or (422 if state.submitted and not state.valid else 200)
    context["choices"] = form_choices(catalog, state)
    context["blank_rows"] = blank_rows(catalog)
    return templates.TemplateResponse(request, "home.html", context, status_code=status)


@router.get("/scenario.json", response_class=FiniteJSONResponse, include_in_schema=False)
def read_scenario_json(request: Request, catalog: CatalogDep, settings: SettingsDep) -> Response:
    """The page's JSON twin: the same query string, the JSON API's answer (or its 422 shape)."""
    scenario, state = parse_query(list(request.query_params.multi_items()))
    evaluation = (
        evaluate_form_once(state, catalog, settings.max_options, get_evaluation_cache(request))
        if scenario is not None
        else None
    )
    result = evaluation.result if evaluation is not None else None
    if result is None or not state.valid:
        if not state.errors:
            state.add_error("form", "give a workload and at least one option")
        return error_response(422, query_errors(state.errors))
    # The page's verdict, with the headline pair's horizon (the query's h.* settings) and Monte Carlo.
    scenario_in = state.usable if state.usable is not None else scenario
    answers = headline_answers(scenario_in, result, state.beyond, catalog, None, evaluation) if scenario_in else None
    return FiniteJSONResponse(jsonable_encoder(result_to_json(result, page_verdict(result, answers))))


# ---------------------------------------------------------------------------------------------
# Usage import: a CSV export fills in the workload (and the daily traffic shape)

IMPORT_CHUNK_BYTES = 1 << 20


# Why an import failed, by the fixed code an older import put in the URL (never the message itself: it
# quotes the file, and a URL's text must not be shown as the site's own words). A failed import now answers
# the page itself, with the precise reason beside the upload field (IMPORT_KEY); these read old links.
_IMPORT_FAILURES = {
    "empty": "the file is empty",
    "header": "its first row is not a valid CSV header",
    "columns": "its header lacks the columns the format needs (see the accepted columns beside the upload)",
    "rows": "no row could be used",
}
_COUNT = re.compile(r"[0-9]{1,12}")  # ASCII digits only: str.isdigit() accepts "²", which int() refuses
IMPORT_KEY = "import"  # the upload field's message, as a form field's (templates/home.html: #e-import)
NO_FILE = "Choose a CSV file to import"


def _import_notices(params: Any) -> list[str]:
    rows, rejected = params.get("import_rows"), params.get("import_rejected") or "0"
    if rows is None or not _COUNT.fullmatch(rows) or not _COUNT.fullmatch(rejected):
        return []
    counts = f"{int(rows):,} rows read, {int(rejected):,} rejected"
    if failed := params.get("import_failed"):
        why = _IMPORT_FAILURES.get(failed, "it needs request counts and token totals")
        return [f"The usage export could not fill in the workload ({counts}): {why}."]
    return [
        f"Workload filled in from your usage export ({counts}"
        + ("" if rejected in (None, "0") else "; rows that could not be read are left out")
        + ")."
        + (" The daily traffic shape is set to the export's hours (UTC)." if params.get(HOURLY_KEY) else "")
    ]


def _import_failed_page(request: Request, catalog: Catalog, max_options: int, query: str, message: str) -> Response:
    """The page the import was posted from (its options and settings kept), answered 422 with `message`
    beside the upload field: not a redirect, since the reason quotes the file and must not ride in a URL."""
    cleaned = clean_pairs(query)
    scenario, state = parse_query(cleaned)
    state.add_error(IMPORT_KEY, message)
    if not state.rows:
        state.rows += [Row("api", 0, blank=True), Row("self_hosted", 1, blank=True)]
    evaluation = evaluate_form_once(state, catalog, max_options, get_evaluation_cache(request))
    result = evaluation.result if evaluation is not None else None
    view = result_view(state.usable, result, catalog) if result is not None and state.usable else None
    return render_page(
        request, state, scenario, result, view, catalog, urlencode(cleaned), evaluation=evaluation, status_code=422
    )


@router.post("/import", include_in_schema=False)
async def import_usage_page(
    request: Request,
    catalog: CatalogDep,
    settings: SettingsDep,
    file: UploadFile | None = None,
    query: Annotated[str, Form(max_length=20_000)] = "",
) -> Response:
    """The page's upload form: the same parsing as POST /api/v1/usage-import; answers 303 to the page with
    the workload fields filled in and the options of `query` kept, or the page itself (422) with the
    reason beside the upload field."""
    if file is None:  # "Import" pressed with no file chosen (some browsers send no part at all)
        return _import_failed_page(request, catalog, settings.max_options, query, NO_FILE)
    importer = UsageImporter()
    size = 0
    summary = None
    try:
        while chunk := await file.read(IMPORT_CHUNK_BYTES):
            size += len(chunk)
            if size > settings.max_upload_bytes:  # a page: the 413 is HTML, as the middleware's (security.py)
                limit = f"the upload exceeds the limit of {settings.max_upload_bytes:,} bytes (MAX_UPLOAD_BYTES)"
                return HTMLResponse(error_page(413, limit), status_code=413)
            await run_in_threadpool(importer.feed, chunk)  # parsing is CPU work: keep the event loop free
        if not size:  # no file chosen: browsers send an empty part with no file name
            reason = "the file is empty" if file.filename else ""
        else:
            summary = await run_in_threadpool(importer.finish)
            reason = "" if summary.workload is not None else why_no_workload(summary)
    except DomainError as failure:  # ImportFailed among them: its message is the precise reason
        reason = failure.message
    figures = form_figures(summary) if summary is not None else None
    if figures is None:
        if not reason:
            return _import_failed_page(request, catalog, settings.max_options, query, NO_FILE)
        rows, rejected = importer.rows_read, importer.rows_rejected  # a failure's own message says them
        counts = f" ({rows:,} rows read, {rejected:,} rejected)" if summary is not None else ""
        message = f"This file could not fill in the workload{counts}: {reason}."
        return _import_failed_page(request, catalog, settings.max_options, query, message)
    assert summary is not None
    kept = [(k, v) for k, v in clean_pairs(query) if k not in WORKLOAD_KEYS and k not in ("h.profile", HOURLY_KEY)]
    pairs = workload_to_pairs(figures.workload)
    if figures.hourly_profile:
        pairs += [("h.profile", "custom"), (HOURLY_KEY, ",".join(format_number(w) for w in figures.hourly_profile))]
    status = [("import_rows", str(summary.rows_total)), ("import_rejected", str(summary.rows_rejected))]
    return RedirectResponse("/?" + urlencode(pairs + kept + status), status_code=303)
