"""Hybrid serving: a self-hosted base load with the peaks overflowing to the API (the cost-optimal
replica count), or a fixed share of routine requests routed to the self-hosted model."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from app.catalog.api_prices import resolve_api_prices
from app.catalog.sources import Sources
from app.core import factors as factors_core
from app.core import hybrid as hybrid_core
from app.core.api_cost import ApiOption
from app.core.self_hosted import ReplicaStepCost
from app.core.specs import Catalog
from app.core.workload import Workload
from app.scenario.beyond import EvaluatedPair, evaluate_pair, fields_renamed, resolve_self_hosted_with
from app.scenario.beyond_inputs import HybridIn, HybridOverflowIn, HybridRoutedIn, TokenMixIn
from app.scenario.factors import FactorsAnswer, beyond_cost
from app.scenario.resolve import ResolvedSelfHosted, resolve_api

HybridPlan = Literal["all_api", "all_self_hosted", "hybrid"]

# The page's default daily shape for the overflow hybrid (issue 16): the workload's own peak-to-average,
# so the hybrid's all-self-hosted plan sizes the replicas exactly as the cost table does, rather than an
# illustrative business-hours profile the user never chose.
WORKLOAD_PROFILE = "workload"
# A peak-to-average ratio is the busiest hour's rate over the mean; with nothing else known, the shape
# keeps the peak to that one hour (at midday UTC; the hour does not change the cost) and the other 23
# flat. That is the shortest peak the ratio allows: the most the overflow can save, stated, not guessed.
WORKLOAD_PROFILE_PEAK_HOUR = 12
HOURS_PER_DAY = hybrid_core.HOURS_PER_DAY


def workload_profile(peak_to_average: float) -> tuple[float, ...]:
    """24 hourly weights with a mean of 1 whose peak is `peak_to_average`: flat at 1 for a ratio of 1 or
    less; else the peak hour at the ratio and the other hours at (24 − ratio) / 23. Capped at 24 (the whole
    day's traffic in one hour), the most 24 hourly weights can show; the hybrid then says it replaced the
    workload's ratio."""
    peak = min(float(HOURS_PER_DAY), max(1.0, peak_to_average))
    rest = (HOURS_PER_DAY - peak) / (HOURS_PER_DAY - 1)
    return tuple(peak if hour == WORKLOAD_PROFILE_PEAK_HOUR else rest for hour in range(HOURS_PER_DAY))


@dataclass(frozen=True)
class OverflowHour:
    """One hour of the day under the cost-optimal overflow plan."""

    hour: int
    requests_per_second: float
    self_hosted_requests_per_second: float
    api_requests_per_second: float


@dataclass(frozen=True)
class OverflowAnswer:
    """Self-hosted base load, API overflow (POST /api/v1/hybrid, mode overflow)."""

    name: str
    api_name: str
    self_hosted_name: str
    pair: EvaluatedPair  # evaluated with the profile's peak as the workload's peak_to_average
    profile: tuple[float, ...]  # 24 weights with a mean of 1
    # The workload's own peak_to_average where the profile's replaced it; None when they agree.
    replaced_peak_to_average: float | None
    inputs: hybrid_core.OverflowInputs
    solved: hybrid_core.OverflowResult
    hours: tuple[OverflowHour, ...]
    cheapest: HybridPlan
    beyond_cost: FactorsAnswer | None

    @property
    def workload(self) -> Workload:
        return self.pair.workload


@dataclass(frozen=True)
class RoutedAnswer:
    """A fixed share of requests routed to the self-hosted model (POST /api/v1/hybrid, mode routed)."""

    name: str
    api_name: str
    self_hosted_name: str
    self_hosted_share: float
    workload: Workload  # the whole traffic, as entered
    routine: Workload  # the self-hosted side's token mix
    hard: Workload  # the API side's token mix
    api: ApiOption
    resolved: ResolvedSelfHosted  # sized for the routine mix
    curve: ReplicaStepCost
    api_cost_per_request: float  # at the hard requests' mix
    split: hybrid_core.RoutedResult
    all_api_monthly_cost: float
    all_self_hosted_monthly_cost: float
    all_self_hosted_replicas: int
    cheapest: HybridPlan
    share_curve: tuple[tuple[float, float], ...]  # (self-hosted share of requests, monthly cost)
    beyond_cost: FactorsAnswer | None


HybridAnswer = OverflowAnswer | RoutedAnswer


def evaluate_hybrid(body: HybridIn, catalog: Catalog, sources: Sources | None = None) -> HybridAnswer:
    if isinstance(body.option, HybridOverflowIn):
        assert body.hourly_profile is not None
        return _overflow(body, body.option, body.hourly_profile, catalog, sources)
    return _routed(body, body.option, catalog, sources)


def _hybrid_refs(api_name: str, self_hosted_name: str, hybrid_name: str) -> list[factors_core.OptionRef]:
    return [
        factors_core.OptionRef(api_name, "api"),
        factors_core.OptionRef(self_hosted_name, "self_hosted"),
        factors_core.OptionRef(hybrid_name, "hybrid"),
    ]


def _overflow(
    body: HybridIn, option: HybridOverflowIn, weights: list[float], catalog: Catalog, sources: Sources | None = None
) -> OverflowAnswer:
    profile = hybrid_core.normalize_profile(weights)
    peak = max(profile)
    entered_peak = body.workload.peak_to_average
    # The pure options, as /breakeven computes them with the profile's peak.
    workload_in = body.workload.model_copy(update={"peak_to_average": min(100.0, peak)})
    pair = evaluate_pair(workload_in, option.api, option.self_hosted, catalog, ("option",), sources)
    workload = pair.workload
    sh = pair.self_hosted.resolved.option
    inputs = hybrid_core.OverflowInputs(
        requests_per_month=workload.requests_per_month,
        profile=profile,
        api_cost_per_request=pair.api.breakdown.per_request,
        replica_requests_per_second=sh.replica_requests_per_second * sh.target_utilization,
        per_unit_monthly=sh.unit_monthly_cost,
        fixed_monthly=sh.fixed_monthly_cost,
        min_replicas=sh.min_replicas,
        redundancy=sh.redundancy,
        replicas_per_unit=sh.replicas_per_unit,
    )
    solved = hybrid_core.solve_overflow(inputs)
    best = solved.best
    capacity = best.replicas * inputs.replica_requests_per_second if best.replicas else 0.0
    overflowing = best.replicas < inputs.peak_replicas
    hours = tuple(
        OverflowHour(
            hour=hour,
            requests_per_second=rate,
            self_hosted_requests_per_second=min(rate, capacity) if overflowing else rate,
            api_requests_per_second=max(0.0, rate - capacity) if overflowing else 0.0,
        )
        for hour, rate in enumerate(inputs.hourly_requests_per_second)
    )
    cheapest: HybridPlan
    if best.replicas == 0:
        cheapest = "all_api"
    elif best.replicas >= inputs.peak_replicas:
        cheapest = "all_self_hosted"
    else:
        cheapest = "hybrid"
    api_name, sh_name = option.api.name, option.self_hosted.name
    return OverflowAnswer(
        name=option.name,
        api_name=api_name,
        self_hosted_name=sh_name,
        pair=pair,
        profile=profile,
        replaced_peak_to_average=None if entered_peak in (1.0, peak) else entered_peak,
        inputs=inputs,
        solved=solved,
        hours=hours,
        cheapest=cheapest,
        beyond_cost=beyond_cost(body.requirements, _hybrid_refs(api_name, sh_name, option.name)),
    )


def _side_workload(base: Workload, mix: TokenMixIn | None, requests: float) -> Workload:
    if mix is None:
        return base.at_volume(requests)
    return Workload(
        requests_per_month=requests,
        input_tokens=mix.input_tokens,
        output_tokens=mix.output_tokens,
        cached_input_fraction=mix.cached_input_fraction,
        cache_write_fraction=mix.cache_write_fraction,
        batchable_fraction=mix.batchable_fraction,
        peak_to_average=base.peak_to_average,
        min_output_tokens_per_second_per_user=base.min_output_tokens_per_second_per_user,
        max_time_to_first_token_seconds=base.max_time_to_first_token_seconds,
    )


def _blend(a: Workload, b: Workload, share_a: float, requests: float) -> Workload:
    """One workload with the request-weighted mix of two (for 'everything on one side')."""
    share_b = 1 - share_a
    input_a, input_b = a.input_tokens * share_a, b.input_tokens * share_b
    total_input = input_a + input_b

    def input_weighted(x: float, y: float) -> float:
        return (x * input_a + y * input_b) / total_input if total_input > 0 else 0.0

    return Workload(
        requests_per_month=requests,
        input_tokens=total_input,
        output_tokens=a.output_tokens * share_a + b.output_tokens * share_b,
        cached_input_fraction=input_weighted(a.cached_input_fraction, b.cached_input_fraction),
        cache_write_fraction=input_weighted(a.cache_write_fraction, b.cache_write_fraction),
        batchable_fraction=a.batchable_fraction * share_a + b.batchable_fraction * share_b,
        peak_to_average=a.peak_to_average,
        min_output_tokens_per_second_per_user=a.min_output_tokens_per_second_per_user,
        max_time_to_first_token_seconds=a.max_time_to_first_token_seconds,
    )


def _routed(body: HybridIn, option: HybridRoutedIn, catalog: Catalog, sources: Sources | None = None) -> RoutedAnswer:
    base = body.workload.to_core()
    volume = base.requests_per_month
    share = option.self_hosted_share
    with fields_renamed({("workload",): ("option", "self_hosted_mix")}):
        routine = _side_workload(base, option.self_hosted_mix, volume)
    with fields_renamed({("workload",): ("option", "api_mix")}):
        hard = _side_workload(base, option.api_mix, volume)
    with fields_renamed({(): ("option", "api")}):
        api_prices = sources.api_prices if sources else resolve_api_prices
        api = resolve_api(option.api, api_prices, base.reasoning_tokens).option
    with fields_renamed({(): ("option", "self_hosted")}):
        resolved = resolve_self_hosted_with(option.self_hosted, routine, catalog, sources)
    curve = resolved.option.cost_curve(base.peak_to_average)
    api_routine, api_hard = api.cost_per_request(routine), api.cost_per_request(hard)

    def split(s: float) -> hybrid_core.RoutedResult:
        return hybrid_core.routed_split(
            requests_per_month=volume,
            self_hosted_share=s,
            self_hosted_curve=curve,
            self_hosted_tokens_per_request=routine.tokens_per_request,
            api_cost_per_request=api_hard,
            api_tokens_per_request=hard.tokens_per_request,
        )

    result = split(share)
    all_api_cost = volume * (share * api_routine + (1 - share) * api_hard)
    blended = _blend(routine, hard, share, volume)
    with fields_renamed({(): ("option", "self_hosted")}):
        blended_resolved = resolve_self_hosted_with(option.self_hosted, blended, catalog, sources)
    blended_curve = blended_resolved.option.cost_curve(base.peak_to_average)
    all_sh_cost = blended_curve.cost(volume)
    costs: dict[HybridPlan, float] = {
        "hybrid": result.monthly_cost,
        "all_api": all_api_cost,
        "all_self_hosted": all_sh_cost,
    }
    cheapest = min(costs, key=lambda k: (costs[k], k != "hybrid"))
    api_name, sh_name = option.api.name, option.self_hosted.name
    return RoutedAnswer(
        name=option.name,
        api_name=api_name,
        self_hosted_name=sh_name,
        self_hosted_share=share,
        workload=base,
        routine=routine,
        hard=hard,
        api=api,
        resolved=resolved,
        curve=curve,
        api_cost_per_request=api_hard,
        split=result,
        all_api_monthly_cost=all_api_cost,
        all_self_hosted_monthly_cost=all_sh_cost,
        all_self_hosted_replicas=blended_curve.replicas(volume),
        cheapest=cheapest,
        share_curve=tuple((s, split(s).monthly_cost) for s in (i / 20 for i in range(21))),
        beyond_cost=beyond_cost(body.requirements, _hybrid_refs(api_name, sh_name, option.name)),
    )
