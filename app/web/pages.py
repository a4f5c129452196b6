"""HTML pages: the calculator at `/` and its JSON twin at `/scenario.json`.

Both read the same query string (app/web/forms.py), evaluate the same scenario, and render one
result: as HTML (a verdict, a cost table, the chart, every formula with its numbers) or as the JSON
API's body. `?partial=1` answers only the parts of the page that change as the user types, for the
page's JavaScript to swap in.
"""

from __future__ import annotations

import functools
import hashlib
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
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

from app.catalog.api_prices import GENAI_PRICES_VERSION, list_api_models, snapshot_as_of
from app.catalog.litellm_prices import menu_suffix, status_of_prices
from app.catalog.litellm_prices import today as litellm_today
from app.catalog.loader import cost_parameter, maintenance_parameter_id, needs_host_server
from app.catalog.sources import Sources
from app.core.api_cost import ApiPrices
from app.core.errors import DomainError
from app.core.factors import REQUIREMENTS
from app.core.self_hosted import RENTAL_TERMS, BuyPricing, RentPricing
from app.core.specs import Catalog
from app.core.throughput import ENGINES
from app.core.units import HOURS_PER_MONTH, MONTHS_PER_YEAR, SECONDS_PER_HOUR, TOKENS_PER_MTOK
from app.render.chart_series import PALETTE
from app.render.format import entered_price, money, number, percent, plural, price_per_mtok, tokens, volume
from app.render.result_json import result_to_json
from app.render.sentences import pair_explanation
from app.scenario.evaluate import ApiResult, PairResult, ScenarioResult, SelfHostedResult, option_name
from app.scenario.inputs import ApiOptionIn, BuyIn, ScenarioIn, SelfHostedOptionIn, WorkloadIn
from app.scenario.resolve import resolve_api
from app.scenario.usage_import import ImportFailed, UsageImporter
from app.web.api import FiniteJSONResponse
from app.web.beyond_view import BeyondView, beyond_view
from app.web.deps import CatalogDep, SettingsDep
from app.web.errors import error_response, query_errors
from app.web.evaluation_cache import Evaluation, evaluate_form_once, get_evaluation_cache
from app.web.form_fields import ALL_FIELDS, BEYOND_FIELDS, CONTROL_KEYS, HOURLY_KEY, ROW_KEY, WORKLOAD_KEYS
from app.web.form_numbers import format_number
from app.web.forms import FormState, Row, clean_pairs, parse_query
from app.web.presets import presets
from app.web.query_codec import scenario_to_query, workload_to_pairs
from app.web.security import error_page, link_base

ROOT = Path(__file__).resolve().parent.parent.parent
templates = Jinja2Templates(directory=ROOT / "templates")
router = APIRouter()

ENGINE_LABELS = {"vllm": "vLLM", "sglang": "SGLang", "tensorrt-llm": "TensorRT-LLM", "generic": "generic"}
TERM_LABELS = {
    "on_demand": "On demand",
    "spot": "Spot",
    "reserved_1y": "Reserved 1 year",
    "reserved_3y": "Reserved 3 years",
}

# Providers listed first in the API provider menu: the closed-model labs a finance lead compares.
FEATURED_PROVIDERS = ("openai", "anthropic", "google", "mistral", "deepseek", "x-ai")


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


def default_of(key: str) -> str:
    spec = ALL_FIELDS.get(key.split(".", 2)[-1] if ROW_KEY.match(key) else key)
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
}
PROFILE_LABELS = {
    "flat": "Flat (every hour alike)",
    "business_hours": "Business hours (09–18 UTC at 3×)",
    "evening_peak": "Evening peak (18–23 UTC at 4×)",
    "custom": "Custom (24 weights below)",
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
            spec = ALL_FIELDS.get(match[3])
            row_key = f"{match[1]}.{match[2]}"
            label = f"{_row_name(state, row_key)}: {spec.label if spec else match[3]}"
            href = f"#f-{key}"
        elif re.fullmatch(r"(api|sh)\.\d+", key):
            label, href = _row_name(state, key), f"#row-{key}"
        else:
            spec = ALL_FIELDS.get(key)
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
    inline_values=inline_values,
    static_url=static_url,
    default_of=default_of,
    prefixed=prefixed,
    opened=opened,
    error_links=error_links,
    api_model_status=status_of_prices,  # the results' "retires on …" and price-check notes
)


# ---------------------------------------------------------------------------------------------
# The result as the page shows it


@dataclass(frozen=True)
class WorkLine:
    label: str
    expression: str
    value: str


@dataclass(frozen=True)
class OptionWork:
    name: str
    kind: str
    lines: list[WorkLine]
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SourceLine:
    figure: str
    value: str
    source: str
    as_of: str


@dataclass(frozen=True)
class TableRow:
    name: str
    kind: str
    monthly_cost: float
    cost_per_mtok: float
    cost_per_request: float
    replicas: str
    capacity: str
    capacity_note: str
    cheapest: bool
    color: str
    price_caveat: str = ""  # beside a self-hosted option whose catalog price is an estimate or unsure


@dataclass(frozen=True)
class ResultView:
    verdict: str
    details: list[str]
    rows: list[TableRow]
    chart_alt: str
    envelope: list[str]
    work: list[OptionWork]
    pairs: list[OptionWork]
    sources: list[SourceLine]
    volume_line: str


def _tokens_phrase(result: ScenarioResult, requests: float) -> str:
    return tokens(result.workload.requests_to_tokens(requests))


def verdict(result: ScenarioResult) -> tuple[str, list[str]]:
    """The headline sentence, then what else a reader needs to act on it."""
    workload = result.workload
    your_volume = workload.requests_per_month
    at = f"At {volume(your_volume)} requests/month"
    apis = [o for o in result.options if isinstance(o, ApiResult)]
    hosted = [o for o in result.options if isinstance(o, SelfHostedResult)]
    details: list[str] = []
    if apis and hosted:
        api = min(apis, key=lambda o: o.monthly_cost)
        sh = min(hosted, key=lambda o: o.monthly_cost)
        pair = _pair(result, option_name(api), option_name(sh))
        head = (
            f"{at}, self-hosting {option_name(sh)} costs {money(sh.monthly_cost)}/month "
            f"vs {money(api.monthly_cost)} on {option_name(api)}"
        )
        solution = pair.solution
        if solution.first_crossover is None or solution.stays_cheaper_above is None:
            head += "; it never becomes cheaper at any volume."
        elif solution.stays_cheaper_above <= solution.first_crossover * 1.0000001:
            head += (
                f"; it becomes cheaper above {volume(solution.first_crossover)} requests/month "
                "and stays cheaper from there on."
            )
        else:
            head += (
                f"; it becomes cheaper above {volume(solution.first_crossover)} requests/month "
                f"and stays cheaper above {volume(solution.stays_cheaper_above)}."
            )
        saving = api.monthly_cost - sh.monthly_cost
        if saving > 0:
            details.append(
                f"Self-hosting saves {money(saving)}/month ({saving / api.monthly_cost:.0%}) at your volume."
            )
        elif saving < 0 and solution.first_crossover is not None and solution.first_crossover >= your_volume:
            details.append(
                f"{option_name(api)} is {money(-saving)}/month cheaper at your volume; self-hosting needs "
                f"{number(solution.first_crossover / your_volume, 1)}× your traffic to break even."
            )
        elif saving < 0 and solution.stays_cheaper_above is not None:
            details.append(
                f"{option_name(api)} is {money(-saving)}/month cheaper at your volume, which falls where a newly "
                f"added replica tips the balance back; self-hosting stays cheaper above "
                f"{volume(solution.stays_cheaper_above)} requests/month."
            )
        details.append(pair_explanation(pair))
    else:
        group: list[ApiResult | SelfHostedResult] = [*apis] if apis else [*hosted]
        best = min(group, key=lambda o: o.monthly_cost)
        kind = "API" if apis else "self-hosted option"
        head = f"{at}, {option_name(best)} is the cheapest {kind} at {money(best.monthly_cost)}/month."
        if len(group) == 1:
            details.append("Add an API option and a self-hosted option to see where self-hosting breaks even.")
    if any(isinstance(o, SelfHostedResult) and o.resolved.option.capacity_source == "estimated" for o in hosted):
        details.append(
            "Self-hosted throughput is estimated (see the range in the table); enter a measured figure to firm it up."
        )
    return head, details


def _pair(result: ScenarioResult, api: str, self_hosted: str) -> PairResult:
    return next(p for p in result.breakevens if p.api == api and p.self_hosted == self_hosted)


def _band(sh: SelfHostedResult) -> str:
    estimate = sh.resolved.estimate
    if sh.resolved.option.capacity_source == "measured" or estimate is None:
        return "measured"
    band = estimate.error_band
    tps = sh.resolved.output_tokens_per_second
    return f"estimated; likely {number(tps * band.low_factor)}–{number(tps * band.high_factor)} tok/s"


def table_rows(result: ScenarioResult) -> list[TableRow]:

    workload = result.workload
    mtok = workload.tokens_per_month / TOKENS_PER_MTOK
    rows = []
    for index, option in enumerate(result.options):
        name = option_name(option)
        common: dict[str, Any] = {
            "name": name,
            "monthly_cost": option.monthly_cost,
            "cost_per_mtok": option.monthly_cost / mtok,
            "cost_per_request": option.monthly_cost / workload.requests_per_month,
            "cheapest": name == result.cheapest,
            "color": PALETTE[index % len(PALETTE)],
        }
        if isinstance(option, ApiResult):
            rows.append(TableRow(kind="API", replicas="–", capacity="no limit", capacity_note="", **common))
        else:
            resolved = option.resolved
            gpus = option.replicas * resolved.option.gpu_count
            rows.append(
                TableRow(
                    kind="self-hosted",
                    replicas=f"{plural(option.replicas, 'replica')} × {plural(resolved.option.gpu_count, 'GPU')}"
                    f" = {plural(gpus, 'GPU')}",
                    capacity=f"{volume(option.requests_per_replica)} req/month per replica "
                    f"({number(resolved.output_tokens_per_second)} tok/s)",
                    capacity_note=_band(option),
                    price_caveat=price_caveat(resolved),
                    **common,
                )
            )
    return rows


def price_caveat(resolved: Any) -> str:
    """'Price: estimate: … (catalog confidence: medium)' for a catalog price the catalog itself
    doubts (offers.toml `notes`/`confidence`); empty for a checked or typed price."""
    if not resolved.price_caveat:
        return ""
    return f"Price: {resolved.price_caveat} (catalog confidence: {resolved.price_confidence})."


MAX_ENVELOPE_LINES = 8


def envelope_lines(result: ScenarioResult) -> list[str]:
    """Which option is cheapest over which volumes, in words; short ranges keep their digits."""
    lines = []
    for segment in result.envelope:
        name = result.name_of(segment.option_index)
        start, end = volume(segment.start), volume(segment.end)
        if start == end:
            start, end = number(segment.start), number(segment.end)
        if segment.start <= 0:
            lines.append(f"Up to {end} requests/month: {name}")
        elif segment.end >= result.envelope_up_to:
            lines.append(f"Above {start} requests/month: {name}")
        else:
            lines.append(f"{start} to {end} requests/month: {name}")
    if len(lines) > MAX_ENVELOPE_LINES:
        hidden = len(lines) - MAX_ENVELOPE_LINES
        lines = [*lines[: MAX_ENVELOPE_LINES - 1], f"… {hidden} more ranges …", lines[-1]]
    return lines


def _api_work(result: ApiResult, workload_volume: float, tokens_per_month: float, w: Any) -> OptionWork:
    prices = result.resolved.option.prices
    b = result.breakdown
    input_tokens = w.input_tokens
    cached = input_tokens * w.cached_input_fraction
    written = input_tokens * w.cache_write_fraction
    uncached = input_tokens - cached - written
    lines: list[WorkLine] = []
    blend = ""
    if b.batch_share > 0:
        blend = f" (blend: {percent(1 - b.batch_share)} standard, {percent(b.batch_share)} batch)"
    for label, token_count, cost in (
        ("Uncached input", uncached, b.uncached_input),
        ("Cached input", cached, b.cached_input),
        ("Cache writes", written, b.cache_write),
        ("Output", w.output_tokens, b.output),
    ):
        if token_count <= 0:
            continue
        price = cost * TOKENS_PER_MTOK / token_count
        lines.append(WorkLine(label, f"{number(token_count)} tokens × {price_per_mtok(price)}{blend}", money(cost)))
    if b.discount:
        gross = b.per_request + b.discount
        lines.append(
            WorkLine(
                "Negotiated discount",
                f"{percent(result.resolved.option.negotiated_discount)} × {money(gross)}",
                money(-b.discount),
            )
        )
    lines.append(WorkLine("Cost per request", "sum of the above", money(b.per_request)))
    lines.append(
        WorkLine(
            "Monthly cost", f"{money(b.per_request)} × {number(workload_volume)} requests", money(result.monthly_cost)
        )
    )
    lines.append(
        WorkLine(
            "Per million tokens",
            f"{money(result.monthly_cost)} ÷ {number(tokens_per_month / TOKENS_PER_MTOK)} Mtok",
            price_per_mtok(result.monthly_cost / (tokens_per_month / TOKENS_PER_MTOK)),
        )
    )
    notes = [_prices_note(prices)]
    if b.tier == "long_context":
        notes.append("The request's input exceeds the long-context threshold: long-context prices apply.")
    notes += list(b.notes)
    return OptionWork(result.resolved.option.name, "api", lines, notes)


def _prices_note(prices: ApiPrices) -> str:
    standard = prices.standard
    used = [f"input {price_per_mtok(standard.input_per_mtok)}", f"output {price_per_mtok(standard.output_per_mtok)}"]
    if standard.cached_input_per_mtok is not None:
        used.append(f"cached input {price_per_mtok(standard.cached_input_per_mtok)}")
    if standard.cache_write_per_mtok is not None:
        used.append(f"cache write {price_per_mtok(standard.cache_write_per_mtok)}")
    if prices.batch is not None:
        used.append(f"batch input {price_per_mtok(prices.batch.input_per_mtok)}")
        used.append(f"batch output {price_per_mtok(prices.batch.output_per_mtok)}")
    text = "Prices used: " + ", ".join(used)
    if prices.long_context_threshold_tokens:
        text += f"; long-context prices above {prices.long_context_threshold_tokens:,} input tokens"
    return text + "."


def _self_hosted_work(result: SelfHostedResult, spec: SelfHostedOptionIn, catalog: Catalog, w: Any) -> OptionWork:
    resolved = result.resolved
    option = resolved.option
    tps = resolved.output_tokens_per_second
    rps = option.replica_requests_per_second
    q = result.requests_per_replica
    volume = w.requests_per_month
    lines: list[WorkLine] = []
    estimate = resolved.estimate
    if option.capacity_source == "measured":
        lines.append(WorkLine("Throughput per replica", "measured, as entered", f"{number(tps)} tok/s"))
    elif estimate is not None:
        band = estimate.error_band
        model = resolved.model.name if resolved.model else "the model"
        gpu = resolved.gpu.name if resolved.gpu else "GPU"
        lines.append(
            WorkLine(
                "Throughput per replica",
                f"estimated: {model} in {resolved.precision} on {option.gpu_count} × {gpu} with {resolved.engine}, "
                f"{estimate.bound}-bound at {estimate.concurrency:,} requests in flight; likely range "
                f"×{band.low_factor:.2f}–×{band.high_factor:.2f} = {number(tps * band.low_factor)}–"
                f"{number(tps * band.high_factor)} tok/s",
                f"{number(tps)} tok/s",
            )
        )
    lines.append(
        WorkLine(
            "Requests per second", f"{number(tps)} tok/s ÷ {number(w.output_tokens)} output tokens", number(rps, 2)
        )
    )
    lines.append(
        WorkLine(
            "Requests per replica per month",
            f"{number(rps, 2)} × {HOURS_PER_MONTH:g} h × {SECONDS_PER_HOUR:,.0f} s × "
            f"{percent(option.target_utilization)} utilization ÷ {w.peak_to_average:g} peak-to-average",
            number(q),
        )
    )
    load = math.ceil(volume / q - 1e-9) if volume > 0 else 0
    lines.append(
        WorkLine(
            "Replicas",
            f"max({option.min_replicas} minimum, ⌈{number(volume)} ÷ {number(q)}⌉ = {load:,})"
            f" + {option.redundancy} spare",
            f"{result.replicas:,}",
        )
    )
    pricing = option.pricing
    per_gpu = pricing.monthly_cost_per_gpu()
    if isinstance(pricing, RentPricing):
        lines.append(
            WorkLine(
                "Rent per GPU-month",
                f"{entered_price(pricing.per_gpu_hour)}/GPU-hour ({pricing.term.replace('_', ' ')}) "
                f"× {HOURS_PER_MONTH:g} h",
                money(per_gpu),
            )
        )
    else:
        lines += _buy_lines(pricing)
    lines.append(
        WorkLine(
            "Replica cost per month",
            f"{plural(option.gpu_count, 'GPU')} × {money(per_gpu)}",
            money(option.replica_monthly_cost),
        )
    )
    fixed = option.fixed_monthly_cost
    lines.append(
        WorkLine(
            "Fixed costs per month",
            f"{option.ops_fte:g} FTE × {entered_price(option.ops_usd_per_fte_year)}/year ÷ {MONTHS_PER_YEAR} + "
            f"{money(option.platform_usd_per_month)} platform",
            money(fixed),
        )
    )
    lines.append(
        WorkLine(
            "Monthly cost",
            f"{plural(result.replicas, 'replica')} × {money(option.replica_monthly_cost)} + {money(fixed)}",
            money(result.monthly_cost),
        )
    )
    lines.append(
        WorkLine(
            "Marginal cost per request",
            f"{money(option.replica_monthly_cost)} ÷ {number(q)} requests per replica",
            money(option.replica_monthly_cost / q),
        )
    )
    notes = list(estimate.notes) if estimate is not None and option.capacity_source == "estimated" else []
    if spec.gpu_count in (None, "auto"):
        notes.insert(0, f"GPUs per replica: {option.gpu_count}, the smallest count that holds the model.")
    caveat = price_caveat(resolved)
    if caveat:
        notes.insert(0, caveat)
    return OptionWork(option.name, "self_hosted", lines, notes)


def _buy_lines(p: BuyPricing) -> list[WorkLine]:
    months = p.months
    rate = p.cost_of_capital / MONTHS_PER_YEAR
    residual = p.capex_per_gpu * p.residual_fraction
    if rate == 0:
        capital = f"({entered_price(p.capex_per_gpu)} − {money(residual)} residual) ÷ {months:g} months"
    else:
        capital = (
            f"({entered_price(p.capex_per_gpu)} − {money(residual)} residual × (1 + r)^−n) × r ÷ (1 − (1 + r)^−n), "
            f"r = {percent(p.cost_of_capital)}/12, n = {months:g} months"
        )
    kw = p.watts_per_gpu / 1000
    return [
        WorkLine("Capital per GPU-month", capital, money(p.capital_recovery_per_gpu())),
        WorkLine(
            "Power per GPU-month",
            f"{number(p.watts_per_gpu)} W × {percent(p.power_draw_fraction)} draw × PUE {p.pue:g} × "
            f"{HOURS_PER_MONTH:g} h ÷ 1000 × {entered_price(p.electricity_usd_per_kwh)}/kWh",
            money(p.power_per_gpu()),
        ),
        WorkLine(
            "Colocation per GPU-month",
            f"{kw:.3g} kW × {entered_price(p.colocation_usd_per_kw_month)}/kW-month",
            money(p.colocation_per_gpu()),
        ),
        WorkLine(
            "Maintenance per GPU-month",
            f"{entered_price(p.capex_per_gpu)} × {percent(p.maintenance_fraction_per_year)}/year ÷ 12",
            money(p.maintenance_per_gpu()),
        ),
    ]


def _pair_work(pair: PairResult, result: ScenarioResult) -> OptionWork:
    s = pair.solution
    lines = [
        WorkLine(f"{pair.api}: cost per request", "from its prices (above)", money(s.api_cost_per_request)),
        WorkLine(
            f"{pair.self_hosted}: marginal cost per request",
            "replica cost ÷ requests per replica",
            money(s.self_hosted_marginal_cost_per_request),
        ),
    ]
    if s.first_crossover is not None:
        lines.append(
            WorkLine(
                "First crossover",
                "smallest volume where the self-hosted step lies below the API line; both cost "
                f"{money(s.api_cost_per_request * s.first_crossover)} there",
                f"{number(s.first_crossover)} requests/month ({_tokens_phrase(result, s.first_crossover)})",
            )
        )
    if s.stays_cheaper_above is not None:
        lines.append(
            WorkLine(
                "Stays cheaper above",
                "beyond the last replica step on which the API is still cheaper somewhere",
                f"{number(s.stays_cheaper_above)} requests/month ({_tokens_phrase(result, s.stays_cheaper_above)})",
            )
        )
    return OptionWork(f"{pair.self_hosted} vs {pair.api}", "pair", lines, [pair_explanation(pair)])


def _sources(scenario: ScenarioIn, result: ScenarioResult, catalog: Catalog) -> list[SourceLine]:
    lines: list[SourceLine] = []
    seen: set[tuple[str, str]] = set()

    def add(figure: str, value: str, source: str, as_of: str) -> None:
        if (figure, value) not in seen:
            seen.add((figure, value))
            lines.append(SourceLine(figure, value, source or "entered by the user", as_of or "–"))

    for spec, option in zip(scenario.options, result.options, strict=True):
        name = option_name(option)
        if isinstance(option, ApiResult):
            prices = option.resolved.option.prices
            label = f"{prices.provider} {prices.model}".strip() or "custom prices"
            add(f"{name}: token prices", label, prices.source, prices.as_of)
            continue
        resolved = option.resolved
        if resolved.model is not None:
            add("Model architecture", resolved.model.name, resolved.model.source, resolved.model.as_of)
        if resolved.gpu is not None:
            add("GPU specification", resolved.gpu.name, resolved.gpu.source, resolved.gpu.as_of)
        if resolved.estimate is not None and resolved.option.capacity_source == "estimated":
            add("Estimator efficiencies", resolved.engine, resolved.estimate.efficiencies.source, "")
        pricing = resolved.option.pricing
        trust = f" ({resolved.price_confidence} confidence)" if resolved.price_confidence else ""
        if isinstance(pricing, RentPricing):
            add(
                f"{name}: GPU-hour price",
                f"{entered_price(pricing.per_gpu_hour)} {pricing.term.replace('_', ' ')}{trust}",
                pricing.source,
                pricing.as_of,
            )
        else:
            purchase = f"{money(pricing.capex_per_gpu)} per GPU{trust}"
            add(f"{name}: purchase price", purchase, pricing.source, pricing.as_of)
            assert isinstance(spec, SelfHostedOptionIn) and isinstance(spec.pricing, BuyIn)
            offer = catalog.purchase_offers.get(pricing.offer_id or "")
            for attribute, parameter_id in (
                ("depreciation_years", "depreciation_years"),
                ("power_draw_fraction", "power_draw_fraction"),
                ("pue", "pue"),
                ("electricity_usd_per_kwh", "electricity_usd_per_kwh"),
                ("colocation_usd_per_kw_month", "colocation_usd_per_kw_month"),
                ("maintenance_fraction_per_year", maintenance_parameter_id(catalog, offer)),
            ):
                if getattr(spec.pricing, attribute) is None:
                    parameter = cost_parameter(catalog, parameter_id)
                    add(parameter.name, f"{parameter.value:g} {parameter.unit}", parameter.source, parameter.as_of)
        if isinstance(spec, SelfHostedOptionIn) and spec.ops_fte > 0 and spec.ops_usd_per_fte_year is None:
            parameter = cost_parameter(catalog, "ops_engineer_usd_per_year")
            add(parameter.name, f"{money(parameter.value)} per year", parameter.source, parameter.as_of)
    add("Hours per month", "730 (8,760 ÷ 12)", "Breakeven convention (DESIGN §2)", "")
    return lines


def result_view(scenario: ScenarioIn, result: ScenarioResult, catalog: Catalog) -> ResultView:
    head, details = verdict(result)
    w = result.workload
    work: list[OptionWork] = []
    for spec, option in zip(scenario.options, result.options, strict=True):
        if isinstance(option, ApiResult):
            work.append(_api_work(option, w.requests_per_month, w.tokens_per_month, w))
        else:
            assert isinstance(spec, SelfHostedOptionIn)
            work.append(_self_hosted_work(option, spec, catalog, w))
    volume_line = (
        f"{number(w.requests_per_month)} requests/month × ({number(w.input_tokens)} input + "
        f"{number(w.output_tokens)} output tokens) = {number(w.tokens_per_month)} tokens/month"
    )
    return ResultView(
        verdict=head,
        details=details,
        rows=table_rows(result),
        chart_alt=f"Monthly cost vs volume chart. {head}",
        envelope=envelope_lines(result),
        work=work,
        pairs=[_pair_work(pair, result) for pair in result.breakevens],
        sources=_sources(scenario, result, catalog),
        volume_line=volume_line,
    )


# ---------------------------------------------------------------------------------------------
# Readouts beside the form's fields: what each option resolved to


def _api_readout(prices: ApiPrices) -> str:
    s = prices.standard
    text = f"Uses {money(s.input_per_mtok)} in"
    if s.cached_input_per_mtok is not None:
        text += f" · {money(s.cached_input_per_mtok)} cached"
    text += f" · {money(s.output_per_mtok)} out per Mtok"
    if prices.batch:
        text += f"; batch {money(prices.batch.input_per_mtok)} / {money(prices.batch.output_per_mtok)}"
    if prices.as_of:
        return text + f" — {prices.provider or 'genai-prices'}, as of {prices.as_of}"
    return text + " — your prices"


def readouts(state: FormState, result: ScenarioResult | None) -> dict[str, str]:
    """What each option resolves to, shown beside it: an API's prices (even while the rest of the
    form has errors), a self-hosted option's GPUs, throughput and price once it is evaluated."""
    out: dict[str, str] = {}
    for key, spec in state.options.items():
        if isinstance(spec, ApiOptionIn) and key not in state.errors:
            try:
                out[key] = _api_readout(resolve_api(spec).option.prices)
            except DomainError:
                pass
    if result is None or state.usable is None:
        return out
    w = result.workload
    if state.value("volume_unit") == "tokens":
        out["volume"] = f"= {volume(w.requests_per_month)} requests/month"
    else:
        out["volume"] = f"= {volume(w.tokens_per_month)} tokens/month"
    for row, option in zip(state.usable_rows, result.options, strict=True):
        if isinstance(option, ApiResult):
            out[row.key] = _api_readout(option.resolved.option.prices)
        else:
            resolved = option.resolved
            pricing = resolved.option.pricing
            gpu = resolved.gpu.name if resolved.gpu else "GPU"
            text = (
                f"{resolved.option.gpu_count} × {gpu} per replica · {number(resolved.output_tokens_per_second)} tok/s "
            )
            text += resolved.option.capacity_source
            if isinstance(pricing, RentPricing):
                text += f" · {entered_price(pricing.per_gpu_hour)}/GPU-hour"
                if pricing.as_of:
                    text += f" (as of {pricing.as_of})"
            else:
                text += f" · {money(pricing.monthly_cost_per_gpu())}/GPU-month all-in"
            text += f" · {money(resolved.option.replica_monthly_cost)} per replica-month"
            out[row.key] = text
    return out


# ---------------------------------------------------------------------------------------------
# Choices for the form's menus (from the catalog)


@dataclass(frozen=True)
class Choice:
    value: str
    label: str


@functools.lru_cache(maxsize=2)
def _api_choices(day: date | None = None) -> tuple[list[Choice], dict[str, list[Choice]]]:
    """Providers, and each provider's models (plus a "featured" list), from the price snapshot.
    Built once a day (`day`: labels say "retires on …" / "retired …"): about 2,000 labels."""
    entries = [e for e in list_api_models() if not e.deprecated]
    providers: dict[str, str] = {}
    for entry in entries:
        providers.setdefault(entry.provider, entry.provider_name)
    featured = [Choice(p, providers[p]) for p in FEATURED_PROVIDERS if p in providers]
    others = sorted(
        (Choice(p, n) for p, n in providers.items() if p not in FEATURED_PROVIDERS), key=lambda c: c.label.lower()
    )
    datalists: dict[str, list[Choice]] = {}
    for entry in entries:
        label = f"{entry.provider_name} · {entry.name} · {money(entry.input_per_mtok)} / {money(entry.output_per_mtok)}"
        label += menu_suffix(entry.retires_on, entry.retired, entry.price_check)
        datalists.setdefault(entry.provider, []).append(Choice(entry.model, label))
        if entry.provider in FEATURED_PROVIDERS:
            datalists.setdefault("featured", []).append(Choice(entry.model, label))
    return featured + others, datalists


_CATALOG_CHOICES: dict[int, dict[str, Any]] = {}


def _catalog_choices(catalog: Catalog) -> dict[str, Any]:
    """The catalog's menus; computed once per catalog object (the live one is loaded once)."""
    cached = _CATALOG_CHOICES.get(id(catalog))
    if cached is not None and cached["catalog"] is catalog:
        return cached
    gpus = [Choice(g.id, f"{g.name}") for g in catalog.gpus.values()]
    rental: dict[str, list[Choice]] = {}
    for offer in catalog.rental_offers.values():
        terms = [
            f"{money(price)} {label}"
            for price, label in (
                (offer.on_demand_per_gpu_hour, "on demand"),
                (offer.spot_per_gpu_hour, "spot"),
                (offer.reserved_1y_per_gpu_hour, "1y"),
                (offer.reserved_3y_per_gpu_hour, "3y"),
            )
            if price is not None
        ]
        label = f"{offer.provider} {offer.instance} ({offer.gpus_per_instance}×) · {', '.join(terms)} /GPU-h"
        rental.setdefault(offer.gpu, []).append(Choice(offer.id, label))
    purchase = [
        Choice(o.id, f"{o.item} · {o.gpu_count}× {o.gpu} · {money(o.price_usd)} ({money(o.price_per_gpu)}/GPU)")
        for o in catalog.purchase_offers.values()
        if not needs_host_server(catalog, o)  # a lone SXM/OAM module is refused as a purchase (app/scenario/resolve.py)
    ]
    gpu_names = {g.id: g.name for g in catalog.gpus.values()}
    choices = {
        "catalog": catalog,
        "models": [Choice(m.id, f"{m.name} ({m.total_params_b:g}B)") for m in catalog.models.values()],
        "gpus": gpus,
        "rental": [(gpu_names.get(gpu, gpu), gpu, offers) for gpu, offers in rental.items()],
        "purchase": purchase,
        "precisions": [Choice(p, p) for p in ("bf16", "fp16", "fp8", "int8", "fp4", "int4", "fp32")],
        "engines": [Choice(e, ENGINE_LABELS.get(e, e)) for e in ENGINES],
        "terms": [Choice(t, TERM_LABELS[t]) for t in RENTAL_TERMS],
        "catalog_defaults": _catalog_defaults(catalog),
        "profiles": [Choice(k, v) for k, v in PROFILE_LABELS.items()],
        "requirements": [Choice(r.id, r.label) for r in REQUIREMENTS],
        "price_snapshot": f"genai-prices {GENAI_PRICES_VERSION}, as of {snapshot_as_of()}",
    }
    _CATALOG_CHOICES[id(catalog)] = choices
    return choices


def form_choices(catalog: Catalog, state: FormState) -> dict[str, Any]:
    providers, all_datalists = _api_choices(litellm_today())
    wanted = {state.value(row.prefix + "provider") for row in state.rows_of("api")} | {"featured"}
    datalists = {key: choices for key, choices in all_datalists.items() if key in wanted}
    return {**_catalog_choices(catalog), "providers": providers, "datalists": datalists}


def _catalog_defaults(catalog: Catalog) -> dict[str, str]:
    def value(parameter_id: str, scale: float = 1) -> str:
        try:
            return f"{cost_parameter(catalog, parameter_id).value * scale:g}"
        except DomainError:
            return ""

    return {
        "years": value("depreciation_years"),
        "power_draw_pct": value("power_draw_fraction", 100),
        "pue": value("pue"),
        "usd_per_kwh": value("electricity_usd_per_kwh"),
        "colo_usd_per_kw_month": value("colocation_usd_per_kw_month"),
        "ops_usd_per_fte_year": value("ops_engineer_usd_per_year"),
        "maintenance_pct": value("maintenance_fraction_per_year", 100),
    }


# ---------------------------------------------------------------------------------------------
# Routes


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
def read_home(request: Request, catalog: CatalogDep, settings: SettingsDep) -> Response:
    raw = list(request.query_params.multi_items())
    partial = request.query_params.get("partial") == "1"
    cleaned = clean_pairs(raw)
    given = [(k, v) for k, v in raw if k not in CONTROL_KEYS]
    if not partial and (given != cleaned or any(k == "remove" for k, _ in raw)):
        # A plain form submit sends every field, blank or default; the permalink keeps what matters.
        adds = [(k, v) for k, v in raw if k == "add"]
        return RedirectResponse("/?" + urlencode(cleaned + adds), status_code=303)

    scenario, state = parse_query(raw)
    state.notices[:0] = _import_notices(request.query_params)
    if not state.submitted and not state.rows:
        state.rows += [Row("api", 0, blank=True), Row("self_hosted", 1, blank=True)]
    # Evaluated once, here, for the whole page; its chart images and JSON twin find it in the cache.
    evaluation = evaluate_form_once(state, catalog, settings.max_options, get_evaluation_cache(request))
    result = evaluation.result if evaluation is not None else None
    view = result_view(state.usable, result, catalog) if result is not None and state.usable else None
    query = urlencode(cleaned)
    return render_page(request, state, scenario, result, view, catalog, query, partial=partial, evaluation=evaluation)


@dataclass(frozen=True)
class PageBanner:
    """A note above the results: a saved scenario's provenance, or what a re-run changed."""

    title: str
    lines: list[str]
    action_href: str | None = None
    action_label: str | None = None
    save_query: str | None = None  # offer "Save as a new scenario" for this permalink query


# --- snippet escaping: each wiki syntax has its own special characters, so each gets its own escaper.
# The alt text is the verdict, which carries user-chosen option names.

# Line breaks, controls, zero-width and bidi-override characters: a snippet is one line of text.
_INVISIBLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff\s]+")
# URL characters with no meaning in Markdown, HTML, Confluence or MediaWiki markup; the rest are
# percent-encoded (an already-encoded %XX stays as it is).
_URL_SAFE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._:/?#@&+=%")
# CommonMark: any ASCII punctuation may be backslash-escaped, and then is literal. Escaped here: what
# means something inside a link's text: [ ] (link), ! (image), ` (code span), < > (HTML, autolink),
# & (entity), * _ ~ (emphasis), | (GFM table cell), $ (math extensions), ( ) { } and \ itself.
_MARKDOWN_PUNCTUATION = re.compile(r"([\\`*_{}\[\]<>()!|~&$])")
# Confluence wiki markup: ! ends the image macro, | and , split its parameters, " ends the alt value,
# { } start macros ({html}), [ ] links, \ escapes. Rather than rely on backslash escapes inside macro
# parameters, these become spaces.
_CONFLUENCE_SPECIAL = re.compile(r"""[!|,"{}\[\]\\]""")


def one_line(text: str) -> str:
    return _INVISIBLE.sub(" ", text).strip()


def markup_url(url: str) -> str:
    return "".join(c if c in _URL_SAFE else "".join(f"%{b:02X}" for b in c.encode()) for c in url)


def markdown_text(text: str) -> str:
    return _MARKDOWN_PUNCTUATION.sub(r"\\\1", one_line(text))


def html_attribute(text: str) -> str:
    return str(escape(one_line(text)))  # markupsafe: & < > " ' all escaped


def confluence_text(text: str) -> str:
    return " ".join(_CONFLUENCE_SPECIAL.sub(" ", one_line(text)).split())


def mediawiki_comment(text: str) -> str:
    """Text that stays inside <!-- ... -->: no "--" (which ends a comment) and no ~~~ (a signature)."""
    text = one_line(text)
    while "--" in text or "~~~" in text:
        text = text.replace("--", "- -").replace("~~~", "~ ~ ~")
    return text


@dataclass(frozen=True)
class EmbedLinks:
    """Where this result's chart lives, and the snippets to paste it into a wiki."""

    page_url: str
    svg_url: str
    png_url: str
    embed_url: str
    csv_url: str
    alt: str
    saved: bool

    def snippets(self) -> list[tuple[str, str]]:
        """Each snippet escapes the alt text and URLs for its own syntax (wiki markup injection)."""
        page, svg, png, embed = (markup_url(u) for u in (self.page_url, self.svg_url, self.png_url, self.embed_url))
        md_alt, html_alt = markdown_text(self.alt), html_attribute(self.alt)
        return [
            ("Markdown", f"[![{md_alt}]({svg})]({page})"),
            (
                "HTML image",
                f'<a href="{html_attribute(page)}"><img src="{html_attribute(svg)}" alt="{html_alt}" width="720"></a>',
            ),
            (
                "HTML iframe",
                f'<iframe src="{html_attribute(embed)}" title="{html_alt}" width="740" height="470" loading="lazy" '
                'style="border:0"></iframe>',
            ),
            ("Confluence (wiki markup)", f'!{png}|alt="{confluence_text(self.alt)}",width=720!'),
            ("MediaWiki", f"[{page} {png}]\n<!-- {mediawiki_comment(self.alt)} -->"),
        ]


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
) -> Response:
    base = link_base(request)  # never the raw Host header: app/web/security.py
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
    if chart_src is None and view is not None and state.usable is not None:
        # The chart is the server-rendered Vega-Lite spec (app/render/chart_spec.py) of exactly what was evaluated.
        chart_src = "/chart.svg?" + scenario_to_query(state.usable)
    beyond: BeyondView | None = None
    if view is not None and result is not None and state.usable is not None:
        # A saved scenario's blocks use its frozen figures (`sources`); the form's menus, today's catalog.
        beyond_catalog = sources.catalog if sources is not None else catalog
        beyond = beyond_view(state.usable, result, state.beyond, beyond_catalog, beyond_chart_base, sources, evaluation)
    canonical = scenario_to_query(scenario) if scenario is not None and state.valid else None
    active = next((p.slug for p in presets() if canonical is not None and p.query == canonical), None)
    context = {
        "state": state,
        "view": view,
        "result": result,
        "readouts": readouts(state, result),
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
    if partial:  # a fragment for the page's script: it carries its own messages
        return templates.TemplateResponse(request, "_live.html", context)
    status = status_code or (422 if state.submitted and not state.valid else 200)
    context["choices"] = form_choices(catalog, state)
    context["blank_state"] = FormState()
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
    return FiniteJSONResponse(jsonable_encoder(result_to_json(result)))


# ---------------------------------------------------------------------------------------------
# Usage import: a CSV export fills in the workload (and the daily traffic shape)

IMPORT_CHUNK_BYTES = 1 << 20


# Why an import failed, by the fixed code the import route puts in the URL (never the message itself:
# it quotes the file, and a URL's text must not be shown as the site's own words).
_IMPORT_FAILURES = {
    "empty": "the file is empty",
    "header": "its first row is not a valid CSV header",
    "columns": "its header lacks the columns the format needs (GET /api/v1/usage-import/formats lists them)",
    "rows": "no row could be used",
}
_COUNT = re.compile(r"[0-9]{1,12}")  # ASCII digits only: str.isdigit() accepts "²", which int() refuses


def _import_notices(params: Any) -> list[str]:
    rows, rejected = params.get("import_rows"), params.get("import_rejected") or "0"
    if rows is None or not _COUNT.fullmatch(rows) or not _COUNT.fullmatch(rejected):
        return []
    counts = f"{int(rows):,} rows read, {int(rejected):,} rejected"
    if failed := params.get("import_failed"):
        why = _IMPORT_FAILURES.get(failed, "it needs request counts and token totals")
        return [
            f"The usage export could not fill in the workload ({counts}): {why}. "
            "POST it to /api/v1/usage-import to see each rejected row's reason."
        ]
    return [
        f"Workload filled in from your usage export ({counts}; rejected rows are left out"
        + ("" if rejected in (None, "0") else ", see /api/v1/usage-import for the reasons")
        + ")."
        + (" The daily traffic shape is set to the export's hours (UTC)." if params.get(HOURLY_KEY) else "")
    ]


@router.post("/import", include_in_schema=False)
async def import_usage_page(
    file: UploadFile, settings: SettingsDep, query: Annotated[str, Form(max_length=20_000)] = ""
) -> Response:
    """The page's upload form: the same parsing as POST /api/v1/usage-import; answers 303 to the
    page with the workload fields filled in and the options of `query` kept."""
    importer = UsageImporter()
    size = 0
    try:
        while chunk := await file.read(IMPORT_CHUNK_BYTES):
            size += len(chunk)
            if size > settings.max_upload_bytes:  # a page: the 413 is HTML, as the middleware's (security.py)
                limit = f"the upload exceeds the limit of {settings.max_upload_bytes:,} bytes (MAX_UPLOAD_BYTES)"
                return HTMLResponse(error_page(413, limit), status_code=413)
            await run_in_threadpool(importer.feed, chunk)  # parsing is CPU work: keep the event loop free
        summary = await run_in_threadpool(importer.finish) if size else None
        failed = "empty" if summary is None else "1"
    except ImportFailed as failure:
        summary, failed = None, failure.code
    except DomainError:
        summary, failed = None, "1"
    kept = [(k, v) for k, v in clean_pairs(query) if k not in WORKLOAD_KEYS and k not in ("h.profile", HOURLY_KEY)]
    if summary is None or summary.workload is None:
        rows, rejected = importer.rows_read, importer.rows_rejected
        status = [("import_rows", str(rows)), ("import_rejected", str(rejected)), ("import_failed", failed)]
        return RedirectResponse("/?" + urlencode(clean_pairs(query) + status), status_code=303)
    pairs = workload_to_pairs(WorkloadIn.model_validate(summary.workload))
    if summary.hourly_profile:
        pairs += [("h.profile", "custom"), (HOURLY_KEY, ",".join(format_number(w) for w in summary.hourly_profile))]
    status = [("import_rows", str(summary.rows_total)), ("import_rejected", str(summary.rows_rejected))]
    return RedirectResponse("/?" + urlencode(pairs + kept + status), status_code=303)
