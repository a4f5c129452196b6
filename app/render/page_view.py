"""The calculator page's result, as the page shows it: the verdict, the cost table, the cheapest
option over volume, "show the work" (app/render/work.py), the readouts beside the form's fields, and
the notes above the results (a saved scenario's provenance, what a re-run changed).

Pure functions from typed results (app/scenario) and the catalog to frozen view objects, which the
templates read; no HTTP and no form parsing (app/web passes the few form values a view needs).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from app.catalog.quality import QualityCell, quality_cells, quality_of
from app.core.api_cost import ApiPrices
from app.core.errors import DomainError
from app.core.self_hosted import RentPricing
from app.core.specs import Catalog
from app.core.units import TOKENS_PER_MTOK
from app.render.chart_figures import ChartKind, chart_title
from app.render.chart_series import PALETTE
from app.render.format import entered_price, money, number, plural, volume
from app.render.sentences import pair_explanation
from app.render.verdict_sentences import VerdictSentences, verdict_sentences
from app.render.work import OptionWork, SourceLine, option_work, pair_work, price_caveat, source_lines
from app.scenario.evaluate import ApiResult, PairResult, ScenarioResult, SelfHostedResult, option_name
from app.scenario.inputs import SLOW_TOKENS_PER_SECOND_PER_USER, ApiOptionIn, ScenarioIn
from app.scenario.resolve import resolve_api
from app.scenario.verdict import Verdict, compute_verdict


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
    # Its public quality score beside the others' (app/catalog/quality.py); None only where no catalog is known.
    quality: QualityCell | None = None


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
    # The verdict's horizon sentence (one of `details`), after which the page links the price-trend field.
    verdict_horizon: str | None = None


def verdict(result: ScenarioResult, computed: Verdict | None = None) -> tuple[str, list[str]]:
    """The headline sentence (app/render/verdict_sentences.py: the winner first, with its saving), then
    what else a reader needs to act on it: the verdict's other sentences, the headline pair's break-even
    and why, and a note on estimated throughput. `computed`: the verdict with the headline pair's
    horizon and Monte Carlo (app/web computes them); without it, the verdict of `result` alone."""
    sentences = verdict_sentences(computed if computed is not None else compute_verdict(result))
    details = list(sentences.lines)
    apis = [o for o in result.options if isinstance(o, ApiResult)]
    hosted = [o for o in result.options if isinstance(o, SelfHostedResult)]
    if apis and hosted:
        api = min(apis, key=lambda o: o.monthly_cost)
        sh = min(hosted, key=lambda o: o.monthly_cost)
        details.append(pair_explanation(_pair(result, option_name(api), option_name(sh))))
    elif len(result.options) == 1:
        details.append("Add an API option and a self-hosted option to see where self-hosting breaks even.")
    if any(o.resolved.option.capacity_source == "estimated" for o in hosted):
        details.append(
            "Self-hosted throughput is estimated (see the range in the table); enter a measured figure to firm it up."
        )
    return sentences.headline, details


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
    # Capability beside cost (issue 16): each option's public score against the best compared, and for an
    # API model the user chose, the catalog's open models that score close to it.
    qualities = quality_cells(
        [(option_name(o), quality_of(o), isinstance(o, ApiResult) and o.origin == "user") for o in result.options]
    )
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
            "quality": qualities[index],
        }
        if isinstance(option, ApiResult):
            rows.append(
                TableRow(
                    kind="hosted open model" if option.origin == "hosted" else "API",
                    replicas="–",
                    capacity="no limit",
                    capacity_note="speed not modelled",
                    **common,
                )
            )
        else:
            resolved = option.resolved
            gpus = option.replicas * resolved.option.gpu_count
            replicas = f"{plural(option.replicas, 'replica')} × {plural(resolved.option.gpu_count, 'GPU')}"
            replicas += f" = {plural(gpus, 'GPU')}"
            if option.gpus_per_instance > 1:
                # Issue 14: billed by the instance; its idle GPUs are paid for too.
                replicas += (
                    f" on {plural(option.instances, 'instance')} of {option.gpus_per_instance}"
                    f" ({plural(option.idle_gpus, 'GPU')} idle)"
                )
            rows.append(
                TableRow(
                    kind="self-hosted",
                    replicas=replicas,
                    capacity=f"{volume(option.requests_per_replica)} req/month per replica "
                    f"({number(resolved.output_tokens_per_second)} tok/s){_per_user(option)}",
                    capacity_note=_band(option),
                    price_caveat=price_caveat(resolved),
                    **common,
                )
            )
    return rows


def _per_user(option: SelfHostedResult) -> str:
    """The latency each user gets at the batch the replica is sized for (estimated capacity only)."""
    estimate = option.resolved.estimate
    if estimate is None or option.resolved.option.capacity_source != "estimated":
        return ""
    per_user = 1 / estimate.time_per_output_token_seconds
    slow = " (slow)" if per_user < SLOW_TOKENS_PER_SECOND_PER_USER else ""
    return (
        f"; each user gets {number(per_user, 1)} tok/s{slow}, first token in "
        f"{estimate.time_to_first_token_seconds:.2g} s"
    )


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


def result_view(
    scenario: ScenarioIn, result: ScenarioResult, catalog: Catalog, computed: Verdict | None = None
) -> ResultView:
    """`computed`: the verdict with the headline pair's horizon and Monte Carlo, where the caller has them."""
    head, details = verdict(result, computed)
    w = result.workload
    volume_line = (
        f"{number(w.requests_per_month)} requests/month × ({number(w.input_tokens)} input + "
        f"{number(w.output_tokens)} output tokens) = {number(w.tokens_per_month)} tokens/month"
    )
    return ResultView(
        verdict=head,
        details=details,
        rows=table_rows(result),
        chart_alt=_chart_alt(verdict_sentences(computed if computed is not None else compute_verdict(result))),
        envelope=envelope_lines(result),
        work=option_work(scenario, result),
        pairs=[pair_work(pair, result) for pair in result.breakevens],
        sources=source_lines(scenario, result, catalog),
        volume_line=volume_line,
    )


def with_verdict(view: ResultView, result: ScenarioResult, computed: Verdict) -> ResultView:
    """`view` with the verdict the caller computed with the headline pair's horizon and Monte Carlo."""
    head, details = verdict(result, computed)
    sentences = verdict_sentences(computed)
    return replace(
        view,
        verdict=head,
        details=details,
        chart_alt=_chart_alt(sentences),
        verdict_horizon=sentences.horizon,
    )


def _chart_alt(sentences: VerdictSentences) -> str:
    """The cost chart's alt text: what it shows, the winner, and the volumes its crossings mark."""
    return " ".join(["Monthly cost vs volume chart.", sentences.headline, *filter(None, [sentences.volumes])])


def alt_text(result: ScenarioResult, kind: ChartKind = "cost", computed: Verdict | None = None) -> str:
    """A chart image's alt text: what it shows, then the verdict's headline."""
    head, _ = verdict(result, computed)
    return f"{chart_title(kind)} chart. {head}"


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


def readouts(
    api_specs: Mapping[str, ApiOptionIn], result: ScenarioResult | None, row_keys: Iterable[str], volume_unit: str
) -> dict[str, str]:
    """What each option resolves to, shown beside it by its form row's key: an API's prices (even while
    the rest of the form has errors), a self-hosted option's GPUs, throughput and price once it is evaluated.

    `api_specs`: the form's valid API options by row key; `result`: the evaluation of the form's usable
    part (None while there is none), whose options are the rows `row_keys`, in order; `volume_unit`: the
    unit the volume was typed in, so the readout gives the other one."""
    out: dict[str, str] = {}
    keys = list(row_keys)
    # A row the result evaluated is read out from its resolved option below: resolving it again here (a
    # price look-up per API row, every view) would be overwritten. Its place is kept, so the readouts
    # keep their order (the page's script reads them in it); it resolved, so it would have had one.
    evaluated = frozenset(keys) if result is not None else frozenset()
    for key, spec in api_specs.items():
        if key in evaluated:
            out[key] = ""
            continue
        try:
            out[key] = _api_readout(resolve_api(spec).option.prices)
        except DomainError:
            pass
    if result is None:
        return out
    w = result.workload
    if volume_unit == "tokens":
        out["volume"] = f"= {volume(w.requests_per_month)} requests/month"
    else:
        out["volume"] = f"= {volume(w.tokens_per_month)} tokens/month"
    # The form's rows come first; hosted alternatives (issue 14) follow them and have no row to read out.
    for key, option in zip(keys, result.options[: len(keys)], strict=True):
        if isinstance(option, ApiResult):
            out[key] = _api_readout(option.resolved.option.prices)
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
            out[key] = text
    return out


# ---------------------------------------------------------------------------------------------
# Notes above the results: a saved scenario's provenance, what a re-run changed


@dataclass(frozen=True)
class PageBanner:
    """A note above the results: a saved scenario's provenance, or what a re-run changed."""

    title: str
    lines: list[str]
    action_href: str | None = None
    action_label: str | None = None
    save_query: str | None = None  # offer "Save as a new scenario" for this permalink query


def _saved_at(created_at: str) -> str:
    return created_at.replace("T", " ").replace("+00:00", " UTC")


def saved_banner(scenario_id: str, created_at: str, prices: Mapping[str, Any]) -> PageBanner:
    """A saved scenario's provenance; `prices`: its snapshot's genai-prices record (`as_of`, `version`)."""
    return PageBanner(
        title=f"Saved scenario {scenario_id}",
        lines=[
            f"Saved {_saved_at(created_at)} with API prices as of "
            f"{prices.get('as_of', '?')} (genai-prices {prices.get('version', '?')}) and that day's catalog figures: "
            "this page and its chart render the same forever.",
            "Editing the form below starts a new, unsaved scenario.",
        ],
        action_href=f"/s/{scenario_id}/rerun",
        action_label="Re-run with today's prices",
    )


def _change(before: float, after: float) -> str:
    if abs(after - before) <= 1e-9 * max(1.0, abs(before)):
        return "no change"
    return f"{(after - before) / before:+.1%}" if before else "new"


def _volume(value: float | None) -> str:
    return "never" if value is None else number(value)  # as the break-even sentences write a volume


def rerun_banner(
    scenario_id: str, created_at: str, then: ScenarioResult, now: ScenarioResult, query: str
) -> PageBanner:
    """What changed between a saved scenario (`then`, its frozen figures) and the same scenario with
    today's (`now`): each option's monthly cost, and each break-even that moved."""
    lines = []
    for old, new in zip(then.options, now.options, strict=True):
        lines.append(
            f"{option_name(new)}: {money(old.monthly_cost)} → {money(new.monthly_cost)} per month "
            f"({_change(old.monthly_cost, new.monthly_cost)})."
        )
    for old_pair, new_pair in zip(then.breakevens, now.breakevens, strict=True):
        before, after = old_pair.solution.stays_cheaper_above, new_pair.solution.stays_cheaper_above
        if before != after:
            lines.append(
                f"{new_pair.self_hosted} vs {new_pair.api}: stays cheaper above {_volume(before)} → "
                f"{_volume(after)} requests/month."
            )
    return PageBanner(
        title=f"Scenario {scenario_id} re-run with today's prices",
        lines=[f"Saved {_saved_at(created_at)}; what changed since:", *lines],
        action_href=f"/s/{scenario_id}",
        action_label="Back to the saved scenario",
        save_query=query,
    )
