""" "Show the work": every formula behind a result with its numbers, and where each figure came from.

Pure functions from an evaluated scenario (and the catalog its defaults came from) to lines the page
prints (templates/_results.html); no HTTP. Figures are formatted by app/render/format.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from app.catalog.loader import cost_parameter, maintenance_parameter_id
from app.core.api_cost import ApiPrices
from app.core.self_hosted import BuyPricing, RentPricing
from app.core.specs import Catalog
from app.core.throughput import ThroughputEstimate
from app.core.units import HOURS_PER_MONTH, MONTHS_PER_YEAR, SECONDS_PER_HOUR, TOKENS_PER_MTOK
from app.core.workload import Workload
from app.render.format import entered_price, money, number, percent, plural, price_per_mtok, tokens
from app.render.sentences import pair_explanation
from app.scenario.evaluate import ApiResult, PairResult, ScenarioResult, SelfHostedResult, option_name
from app.scenario.inputs import SLOW_TOKENS_PER_SECOND_PER_USER, BuyIn, ScenarioIn, SelfHostedOptionIn
from app.scenario.resolve import ResolvedSelfHosted


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


def price_caveat(resolved: ResolvedSelfHosted) -> str:
    """'Price: estimate: … (catalog confidence: medium)' for a catalog price the catalog itself
    doubts (offers.toml `notes`/`confidence`); empty for a checked or typed price."""
    if not resolved.price_caveat:
        return ""
    return f"Price: {resolved.price_caveat} (catalog confidence: {resolved.price_confidence})."


def _tokens_phrase(result: ScenarioResult, requests: float) -> str:
    return tokens(result.workload.requests_to_tokens(requests))


def _api_work(result: ApiResult, workload_volume: float, tokens_per_month: float, w: Workload) -> OptionWork:
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
        ("Reasoning (hidden output)", result.resolved.option.reasoning_tokens, b.reasoning_output),
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


def _serving_lines(resolved: ResolvedSelfHosted, estimate: ThroughputEstimate, w: Workload) -> list[WorkLine]:
    """How the replica is served: its precision, what the prefix cache saves, and the latency each user
    gets at the batch it is sized for."""
    lines: list[WorkLine] = []
    if resolved.precision_reason != "chosen":
        lines.append(WorkLine("Precision (default)", resolved.precision_reason, resolved.precision))
    if not (par := estimate.parallelism).is_plain_tensor_parallel:
        split = f"attention DP {par.attention_data_parallel} × TP {par.tensor_parallel}, EP {par.expert_parallel}"
        lines.append(WorkLine("Parallelism" + (" (default)" if par.reason != "chosen" else ""), par.reason, split))
    cached = estimate.cached_prefix_tokens_per_request
    if cached > 0:
        lines.append(
            WorkLine(
                "Prefill per request",
                f"{number(w.input_tokens)} input tokens − {number(cached)} found in the prefix cache "
                f"({percent(w.self_hosted_prefix_cache_hit_rate)} hit rate; their KV still counts in each request's "
                "memory)",
                f"{number(estimate.prefill_tokens_per_request)} tokens",
            )
        )
    all_to_all = ""
    if estimate.decode_all_to_all_seconds > 0:
        all_to_all = f" + expert all-to-all {estimate.decode_all_to_all_seconds * 1000:.3g} ms"
    lines.append(
        WorkLine(
            "Decode step",
            f"linear layers {estimate.decode_linear_seconds * 1000:.3g} ms + attention "
            f"{estimate.decode_attention_seconds * 1000:.3g} ms + communication "
            f"{estimate.decode_communication_seconds * 1000:.3g} ms{all_to_all} + fixed overhead "
            f"{estimate.decode_overhead_seconds * 1000:.3g} ms, each phase at the slower of its memory and compute "
            f"time, at {estimate.concurrency:,} requests in flight",
            f"{estimate.decode_step_seconds * 1000:.3g} ms",
        )
    )
    per_user = 1 / estimate.time_per_output_token_seconds
    target = "no latency target (offline)"
    if w.min_output_tokens_per_second_per_user is not None or w.max_time_to_first_token_seconds is not None:
        parts = []
        if w.min_output_tokens_per_second_per_user is not None:
            parts.append(f"at least {number(w.min_output_tokens_per_second_per_user, 1)} tok/s")
        if w.max_time_to_first_token_seconds is not None:
            parts.append(f"first token within {w.max_time_to_first_token_seconds:g} s")
        target = "target: " + " and ".join(parts)
    slow = (
        " (slow: below 15 tok/s, slower than chat products stream)"
        if per_user < SLOW_TOKENS_PER_SECOND_PER_USER
        else ""
    )
    lines.append(
        WorkLine(
            "Latency each user gets",
            f"{estimate.concurrency:,} requests in flight per replica; first token in "
            f"{estimate.time_to_first_token_seconds:.2g} s; {target}{slow}. The API's own speed is not modelled.",
            f"{number(per_user, 1)} tok/s per user",
        )
    )
    return lines


def _self_hosted_work(result: SelfHostedResult, spec: SelfHostedOptionIn, w: Workload) -> OptionWork:
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
    if estimate is not None and option.capacity_source == "estimated":
        lines += _serving_lines(resolved, estimate, w)
    generated = f"{number(w.output_tokens)} output tokens"
    if resolved.reasoning_tokens > 0:
        generated = f"({number(w.output_tokens)} output + {number(resolved.reasoning_tokens)} reasoning tokens)"
    lines.append(WorkLine("Requests per second", f"{number(tps)} tok/s ÷ {generated}", number(rps, 2)))
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
    sold_as_instances = option.gpus_per_instance > 1
    if sold_as_instances:
        lines.append(_instances_line(result))
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
    if sold_as_instances:
        lines.append(
            WorkLine(
                "Monthly cost",
                f"{plural(result.instances, 'instance')} × {plural(option.gpus_per_instance, 'GPU')} × "
                f"{money(per_gpu)} + {money(fixed)}",
                money(result.monthly_cost),
            )
        )
        lines.append(
            WorkLine(
                "Marginal cost per request",
                f"{money(option.unit_monthly_cost)} per {plural(option.instances_per_unit, 'instance')} ÷ "
                f"({plural(option.replicas_per_unit, 'replica')} × {number(q)} requests per replica)",
                money(result.curve.marginal_cost_per_request),
            )
        )
    else:
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
    if option.spans_instances_note:
        notes.append(option.spans_instances_note[0].upper() + option.spans_instances_note[1:] + ".")
    return OptionWork(option.name, "self_hosted", lines, notes)


def _instances_line(result: SelfHostedResult) -> WorkLine:
    """Issue 14: the offer sells whole instances of I GPUs; replicas are packed onto them."""
    option = result.resolved.option
    n, size = result.replicas, option.gpus_per_instance
    if option.spans_instances:
        how = f"{plural(n, 'replica')} × {option.instances_per_unit} instances each"
    else:
        how = f"⌈{plural(n, 'replica')} ÷ {option.replicas_per_unit} per instance⌉"
    return WorkLine(
        "Instances",
        f"{how} = {plural(result.instances, 'instance')} of {plural(size, 'GPU')}, "
        f"{plural(result.idle_gpus, 'GPU')} idle",
        f"{result.instances:,}",
    )


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


def option_work(scenario: ScenarioIn, result: ScenarioResult) -> list[OptionWork]:
    """Each option's work, in the scenario's order."""
    w = result.workload
    work: list[OptionWork] = []
    for spec, option in zip((result.evaluated_scenario or scenario).options, result.options, strict=True):
        if isinstance(option, ApiResult):
            work.append(_api_work(option, w.requests_per_month, w.tokens_per_month, w))
        else:
            assert isinstance(spec, SelfHostedOptionIn)
            work.append(_self_hosted_work(option, spec, w))
    return work


def pair_work(pair: PairResult, result: ScenarioResult) -> OptionWork:
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


def source_lines(scenario: ScenarioIn, result: ScenarioResult, catalog: Catalog) -> list[SourceLine]:
    """Where each figure the result used came from: the catalog's sources, or the user."""
    lines: list[SourceLine] = []
    seen: set[tuple[str, str]] = set()

    def add(figure: str, value: str, source: str, as_of: str) -> None:
        if (figure, value) not in seen:
            seen.add((figure, value))
            lines.append(SourceLine(figure, value, source or "entered by the user", as_of or "–"))

    for spec, option in zip((result.evaluated_scenario or scenario).options, result.options, strict=True):
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
