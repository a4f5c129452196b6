"""Beyond one crossover: hybrid serving, the time horizon, uncertainty and the factors besides cost.

Input documents (pydantic, → 422 naming the field), their resolution into core objects through
app/scenario's own models and resolvers, and the JSON rendering of each result. No HTTP here.
Every number carries its unit in its name; every result says how it was computed (`formulas`) and
where its defaults come from (`sources`).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict
from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from app.catalog.litellm_prices import horizon_retirement_note, status_of_prices
from app.catalog.loader import cost_parameter
from app.catalog.sources import Sources
from app.core import factors as factors_core
from app.core import horizon as horizon_core
from app.core import hybrid as hybrid_core
from app.core import uncertainty as uncertainty_core
from app.core.errors import DomainError
from app.core.self_hosted import BuyPricing
from app.core.specs import Catalog
from app.core.units import TOKENS_PER_MTOK
from app.core.workload import Workload
from app.render.result_json import estimate_json, result_to_json
from app.scenario.evaluate import ApiResult, ScenarioResult, SelfHostedResult, evaluate
from app.scenario.inputs import ApiOptionIn, DisplayText, ScenarioIn, SelfHostedOptionIn, StrictInput, WorkloadIn
from app.scenario.resolve import ResolvedSelfHosted, resolve_api, resolve_self_hosted

CONVENTIONS = {"currency": "USD", "hours_per_month": 730, "price_unit": "USD per million tokens"}

RequirementList = Annotated[
    list[factors_core.RequirementId],
    Field(
        max_length=len(factors_core.REQUIREMENTS),
        description="Requirements the team marks (see GET /api/v1/factors/requirements).",
    ),
]


def finite_or_none(value: float | None) -> float | None:
    """JSON has no infinity: an infinite break-even ("never") is null."""
    return value if value is not None and math.isfinite(value) else None


@contextmanager
def fields_renamed(mapping: dict[tuple[str | int, ...], tuple[str | int, ...]]) -> Iterator[None]:
    """Rewrite a DomainError's field path from the inner document's names to this request's."""
    try:
        yield
    except DomainError as error:
        for old, new in mapping.items():
            if tuple(error.field[: len(old)]) == old:
                error.field = new + tuple(error.field[len(old) :])
                break
        raise


def _resolve_self_hosted(
    spec: SelfHostedOptionIn, workload: Workload, catalog: Catalog, sources: Sources | None
) -> ResolvedSelfHosted:
    if sources is None:
        return resolve_self_hosted(spec, workload, catalog)
    return resolve_self_hosted(spec, workload, sources.catalog, sources.efficiencies)


def evaluate_pair(
    workload: WorkloadIn,
    api: ApiOptionIn,
    self_hosted: SelfHostedOptionIn,
    catalog: Catalog,
    prefix: tuple[str | int, ...] = (),
    sources: Sources | None = None,
) -> tuple[ScenarioResult, ApiResult, SelfHostedResult]:
    """The two options as POST /breakeven evaluates them, with errors located in this request."""
    scenario = ScenarioIn(workload=workload, options=[api, self_hosted])
    with fields_renamed({("options", 0): (*prefix, "api"), ("options", 1): (*prefix, "self_hosted")}):
        result = evaluate(scenario, catalog, sources=sources)
    api_result, sh_result = result.options
    assert isinstance(api_result, ApiResult) and isinstance(sh_result, SelfHostedResult)
    return result, api_result, sh_result


def _api_summary(result: ApiResult, workload: Workload) -> dict[str, Any]:
    prices = result.resolved.option.prices
    return {
        "name": result.resolved.option.name,
        "cost_per_request": result.breakdown.per_request,
        "cost_per_mtok": result.breakdown.per_request / workload.tokens_per_request * TOKENS_PER_MTOK,
        "input_per_mtok": prices.standard.input_per_mtok,
        "output_per_mtok": prices.standard.output_per_mtok,
        "price_source": prices.source,
        "price_as_of": prices.as_of,
    }


def _self_hosted_summary(result: SelfHostedResult) -> dict[str, Any]:
    option = result.resolved.option
    return {
        "name": option.name,
        "gpu_count_per_replica": option.gpu_count,
        "replica_monthly_cost": option.replica_monthly_cost,
        "fixed_monthly_cost": option.fixed_monthly_cost,
        "replica_requests_per_second": option.replica_requests_per_second,
        "target_utilization": option.target_utilization,
        "output_tokens_per_second": result.resolved.output_tokens_per_second,
        "capacity_source": option.capacity_source,
        "pricing_label": result.resolved.pricing_label,
        "pricing_source": option.pricing.source,
        "min_replicas": option.min_replicas,
        "redundancy": option.redundancy,
    }


# ---------------------------------------------------------------------------------------------
# Beyond cost: requirements → which option each favours and why


class OptionRefIn(StrictInput):
    name: DisplayText = Field(..., min_length=1, max_length=100)
    kind: factors_core.OptionKind


class FactorsIn(StrictInput):
    requirements: RequirementList
    options: list[OptionRefIn] | None = Field(
        None, max_length=32, description="Options to judge; default: one API, one self-hosted, one hybrid."
    )


DEFAULT_OPTION_REFS = (
    factors_core.OptionRef("API", "api"),
    factors_core.OptionRef("Self-hosted", "self_hosted"),
    factors_core.OptionRef("Hybrid", "hybrid"),
)


def requirement_json(requirement: factors_core.Requirement) -> dict[str, Any]:
    return {
        **asdict(requirement),
        "factor_label": factors_core.FACTOR_LABELS[requirement.factor],
    }


def requirements_catalog_json() -> dict[str, Any]:
    return {
        "factors": [{"id": fid, "label": label} for fid, label in factors_core.FACTOR_LABELS.items()],
        "requirements": [requirement_json(r) for r in factors_core.REQUIREMENTS],
        "count": len(factors_core.REQUIREMENTS),
        "note": "Requirements are shown beside the cost, never converted into money or a score.",
    }


def factors_json(requirement_ids: Sequence[str], options: Sequence[factors_core.OptionRef]) -> dict[str, Any]:
    result = factors_core.assess(requirement_ids, options)
    return {
        "options": [{"name": o.name, "kind": o.kind} for o in options],
        "requirements": [
            {
                **requirement_json(v.requirement),
                "favoured_options": list(v.favoured_options),
                "other_options": list(v.other_options),
                "ruled_out_options": list(v.ruled_out),
            }
            for v in result.verdicts
        ],
        "ruled_out_options": list(result.ruled_out),
        "requirements_favouring": {side: list(ids) for side, ids in result.favouring.items()},
        "note": "Shown beside the numbers: each requirement says which option it favours and why, without a "
        "dollar value or a score.",
    }


def evaluate_factors(body: FactorsIn) -> dict[str, Any]:
    refs = [factors_core.OptionRef(o.name, o.kind) for o in body.options] if body.options else list(DEFAULT_OPTION_REFS)
    return factors_json(body.requirements, refs)


def _beyond_cost(
    requirements: Sequence[str] | None, options: Sequence[factors_core.OptionRef]
) -> dict[str, Any] | None:
    """The factors besides cost for the options of this result; null when no requirement is marked."""
    return factors_json(requirements, options) if requirements else None


# ---------------------------------------------------------------------------------------------
# Hybrid


class TokenMixIn(StrictInput):
    """One side's token mix in a routed hybrid (defaults: the workload's)."""

    input_tokens: float = Field(..., ge=0, le=10_000_000, description="Input tokens per request.")
    output_tokens: float = Field(..., ge=1, le=1_000_000, description="Output tokens per request.")
    cached_input_fraction: float = Field(0.0, ge=0, le=1)
    cache_write_fraction: float = Field(0.0, ge=0, le=1)
    batchable_fraction: float = Field(0.0, ge=0, le=1)

    @model_validator(mode="after")
    def cache_shares(self) -> TokenMixIn:
        if self.cached_input_fraction + self.cache_write_fraction > 1:
            raise ValueError("cached_input_fraction + cache_write_fraction must not exceed 1")
        return self


class HybridOverflowIn(StrictInput):
    kind: Literal["hybrid"] = "hybrid"
    mode: Literal["overflow"]
    name: DisplayText = Field("Hybrid", min_length=1, max_length=100)
    api: ApiOptionIn
    self_hosted: SelfHostedOptionIn


class HybridRoutedIn(StrictInput):
    kind: Literal["hybrid"] = "hybrid"
    mode: Literal["routed"]
    name: DisplayText = Field("Hybrid", min_length=1, max_length=100)
    api: ApiOptionIn
    self_hosted: SelfHostedOptionIn
    self_hosted_share: float = Field(
        ..., ge=0, le=1, description="Share of requests (the routine ones) sent to the self-hosted model."
    )
    self_hosted_mix: TokenMixIn | None = Field(None, description="Token mix of the routine requests.")
    api_mix: TokenMixIn | None = Field(None, description="Token mix of the hard requests sent to the API.")


HourlyWeight = Annotated[float, Field(ge=0, le=1e12)]


class HybridIn(StrictInput):
    workload: WorkloadIn
    option: Annotated[HybridOverflowIn | HybridRoutedIn, Field(discriminator="mode")]
    hourly_profile: list[HourlyWeight] | None = Field(
        None,
        min_length=24,
        max_length=24,
        description="Traffic weight of each hour of the day (any scale; 24 values). Required for overflow.",
    )
    requirements: RequirementList | None = None

    @model_validator(mode="after")
    def overflow_needs_profile(self) -> HybridIn:
        if isinstance(self.option, HybridOverflowIn) and self.hourly_profile is None:
            raise ValueError(
                "hourly_profile is required for overflow: without 24 hourly weights every hour looks alike and "
                "there is nothing to overflow"
            )
        return self


def _point_json(
    point: hybrid_core.OverflowPoint, workload: Workload, gpus_per_replica: int, redundancy: int
) -> dict[str, Any]:
    volume = workload.requests_per_month
    with_redundancy = point.replicas + redundancy if point.replicas else 0
    return {
        "replicas": point.replicas,
        "replicas_with_redundancy": with_redundancy,
        "gpus": with_redundancy * gpus_per_replica,
        "monthly_cost": point.monthly_cost,
        "self_hosted_monthly_cost": point.self_hosted_monthly_cost,
        "api_monthly_cost": point.api_monthly_cost,
        "requests_per_month": {
            "self_hosted": point.self_hosted_requests_per_month,
            "api": point.api_requests_per_month,
        },
        "tokens_per_month": {
            "self_hosted": workload.requests_to_tokens(point.self_hosted_requests_per_month),
            "api": workload.requests_to_tokens(point.api_requests_per_month),
        },
        "share_of_requests": {
            "self_hosted": point.self_hosted_requests_per_month / volume,
            "api": point.api_requests_per_month / volume,
        },
        # One token mix on both sides: the token shares equal the request shares.
        "share_of_tokens": {
            "self_hosted": point.self_hosted_requests_per_month / volume,
            "api": point.api_requests_per_month / volume,
        },
        "hours_overflowing_per_day": point.hours_overflowing_per_day,
    }


def _plural(count: int) -> str:
    return "" if count == 1 else "s"


def _money(value: float) -> str:
    return f"${value:,.0f}" if abs(value) >= 100 else f"${value:,.2f}"


def evaluate_hybrid(body: HybridIn, catalog: Catalog, sources: Sources | None = None) -> dict[str, Any]:
    if isinstance(body.option, HybridOverflowIn):
        assert body.hourly_profile is not None
        return _overflow(body, body.option, body.hourly_profile, catalog, sources)
    return _routed(body, body.option, catalog, sources)


def _overflow(
    body: HybridIn, option: HybridOverflowIn, weights: list[float], catalog: Catalog, sources: Sources | None = None
) -> dict[str, Any]:
    profile = hybrid_core.normalize_profile(weights)
    peak = max(profile)
    notes: list[str] = []
    if body.workload.peak_to_average not in (1.0, peak):
        notes.append(
            f"the workload's peak_to_average ({body.workload.peak_to_average:g}) is replaced by the profile's "
            f"({peak:.3g}) in overflow mode"
        )
    # The pure options, as /breakeven computes them with the profile's peak.
    workload_in = body.workload.model_copy(update={"peak_to_average": min(100.0, peak)})
    scenario, api_result, sh_result = evaluate_pair(
        workload_in, option.api, option.self_hosted, catalog, ("option",), sources
    )
    workload = scenario.workload
    sh = sh_result.resolved.option
    inputs = hybrid_core.OverflowInputs(
        requests_per_month=workload.requests_per_month,
        profile=profile,
        api_cost_per_request=api_result.breakdown.per_request,
        replica_requests_per_second=sh.replica_requests_per_second * sh.target_utilization,
        per_replica_monthly=sh.replica_monthly_cost,
        fixed_monthly=sh.fixed_monthly_cost,
        min_replicas=sh.min_replicas,
        redundancy=sh.redundancy,
    )
    solved = hybrid_core.solve_overflow(inputs)
    best, all_api, all_sh = solved.best, solved.all_api, solved.all_self_hosted

    def point(p: hybrid_core.OverflowPoint) -> dict[str, Any]:
        return _point_json(p, workload, sh.gpu_count, sh.redundancy)

    capacity = best.replicas * inputs.replica_requests_per_second if best.replicas else 0.0
    hourly = [
        {
            "hour": hour,
            "requests_per_second": rate,
            "self_hosted_requests_per_second": min(rate, capacity) if best.replicas < inputs.peak_replicas else rate,
            "api_requests_per_second": max(0.0, rate - capacity) if best.replicas < inputs.peak_replicas else 0.0,
        }
        for hour, rate in enumerate(inputs.hourly_requests_per_second)
    ]
    if best.replicas == 0:
        cheapest = "all_api"
    elif best.replicas >= inputs.peak_replicas:
        cheapest = "all_self_hosted"
    else:
        cheapest = "hybrid"
    api_name, sh_name = option.api.name, option.self_hosted.name
    return {
        "kind": "hybrid",
        "mode": "overflow",
        "name": option.name,
        "api": _api_summary(api_result, workload),
        "self_hosted": _self_hosted_summary(sh_result),
        "workload": _workload_json(workload),
        "hourly_profile": {
            "weights_mean_1": list(profile),
            "requests_per_second": list(inputs.hourly_requests_per_second),
            "peak_to_average": peak,
        },
        "replica_requests_per_second_at_target_utilization": inputs.replica_requests_per_second,
        "best": {**point(best), "hourly": hourly},
        "all_api": point(all_api),
        "all_self_hosted": point(all_sh),
        "cheapest": cheapest,
        "savings_vs_all_api_usd_per_month": all_api.monthly_cost - best.monthly_cost,
        "savings_vs_all_self_hosted_usd_per_month": all_sh.monthly_cost - best.monthly_cost,
        "replica_curve": [
            {
                "replicas": p.replicas,
                "monthly_cost": p.monthly_cost,
                "self_hosted_monthly_cost": p.self_hosted_monthly_cost,
                "api_monthly_cost": p.api_monthly_cost,
                "api_share_of_requests": p.api_requests_per_month / workload.requests_per_month,
            }
            for p in solved.curve
        ],
        "explanation": _overflow_explanation(cheapest, best, all_api, all_sh, api_name, sh_name, workload),
        "formulas": hybrid_core.OVERFLOW_FORMULAS,
        "notes": notes,
        "scenario": result_to_json(scenario),
        "beyond_cost": _beyond_cost(
            body.requirements,
            [
                factors_core.OptionRef(api_name, "api"),
                factors_core.OptionRef(sh_name, "self_hosted"),
                factors_core.OptionRef(option.name, "hybrid"),
            ],
        ),
        "conventions": CONVENTIONS,
    }


def _overflow_explanation(
    cheapest: str,
    best: hybrid_core.OverflowPoint,
    all_api: hybrid_core.OverflowPoint,
    all_sh: hybrid_core.OverflowPoint,
    api: str,
    self_hosted: str,
    workload: Workload,
) -> str:
    alternatives = (
        f"{_money(all_api.monthly_cost)}/month all on {api} and {_money(all_sh.monthly_cost)} self-hosting the "
        f"peak hour with {all_sh.replicas} replica{_plural(all_sh.replicas)}"
    )
    if cheapest == "all_api":
        return f"No replica pays for itself: {api} alone is cheapest at {alternatives.split(' and ')[0]}."
    if cheapest == "all_self_hosted":
        return (
            f"Overflow does not help here: sizing {self_hosted} for the peak is cheapest "
            f"({_money(all_sh.monthly_cost)}/month against {_money(all_api.monthly_cost)} on {api})."
        )
    share = best.api_requests_per_month / workload.requests_per_month
    return (
        f"Run {best.replicas} replica{_plural(best.replicas)} of {self_hosted} for the base load and send the "
        f"excess of {best.hours_overflowing_per_day} busy hour{_plural(best.hours_overflowing_per_day)} a day "
        f"({share:.0%} of requests) to {api}: {_money(best.monthly_cost)}/month, against {alternatives}."
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


def _routed(body: HybridIn, option: HybridRoutedIn, catalog: Catalog, sources: Sources | None = None) -> dict[str, Any]:
    base = body.workload.to_core()
    volume = base.requests_per_month
    share = option.self_hosted_share
    with fields_renamed({("workload",): ("option", "self_hosted_mix")}):
        routine = _side_workload(base, option.self_hosted_mix, volume)
    with fields_renamed({("workload",): ("option", "api_mix")}):
        hard = _side_workload(base, option.api_mix, volume)
    with fields_renamed({(): ("option", "api")}):
        api = (resolve_api(option.api, sources.api_prices) if sources else resolve_api(option.api)).option
    with fields_renamed({(): ("option", "self_hosted")}):
        resolved = _resolve_self_hosted(option.self_hosted, routine, catalog, sources)
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
        blended_resolved = _resolve_self_hosted(option.self_hosted, blended, catalog, sources)
    blended_curve = blended_resolved.option.cost_curve(base.peak_to_average)
    all_sh_cost = blended_curve.cost(volume)
    options = {"hybrid": result.monthly_cost, "all_api": all_api_cost, "all_self_hosted": all_sh_cost}
    cheapest = min(options, key=lambda k: (options[k], k != "hybrid"))
    total_tokens = result.self_hosted.tokens_per_month + result.api.tokens_per_month

    def side(s: hybrid_core.RoutedSide, workload: Workload) -> dict[str, Any]:
        return {
            "requests_per_month": s.requests_per_month,
            "tokens_per_month": s.tokens_per_month,
            "input_tokens": workload.input_tokens,
            "output_tokens": workload.output_tokens,
            "monthly_cost": s.monthly_cost,
            "share_of_requests": s.requests_per_month / volume,
            "share_of_tokens": s.tokens_per_month / total_tokens if total_tokens > 0 else 0.0,
        }

    sh_option = resolved.option
    api_name, sh_name = option.api.name, option.self_hosted.name
    return {
        "kind": "hybrid",
        "mode": "routed",
        "name": option.name,
        "self_hosted_share_of_requests": share,
        "workload": _workload_json(base),
        "self_hosted": {
            **side(result.self_hosted, routine),
            "name": sh_name,
            "replicas": result.self_hosted.replicas,
            "gpus": (result.self_hosted.replicas or 0) * sh_option.gpu_count,
            "replica_monthly_cost": sh_option.replica_monthly_cost,
            "fixed_monthly_cost": sh_option.fixed_monthly_cost if result.self_hosted.requests_per_month else 0.0,
            "requests_per_replica_per_month": curve.requests_per_replica,
            "output_tokens_per_second": resolved.output_tokens_per_second,
            "capacity_source": sh_option.capacity_source,
            "estimate": estimate_json(resolved.estimate) if resolved.estimate else None,
            "pricing_label": resolved.pricing_label,
        },
        "api": {
            **side(result.api, hard),
            "name": api_name,
            "cost_per_request": api_hard,
            "price_source": api.prices.source,
            "price_as_of": api.prices.as_of,
        },
        "monthly_cost": result.monthly_cost,
        "all_api": {
            "monthly_cost": all_api_cost,
            "note": "every request on the API, each at its own token mix",
        },
        "all_self_hosted": {
            "monthly_cost": all_sh_cost,
            "replicas": blended_curve.replicas(volume),
            "note": "every request on the self-hosted model at the blended token mix; assumes it can handle the "
            "hard requests, which the routing exists to avoid",
        },
        "cheapest": cheapest,
        "share_curve": [
            {"self_hosted_share_of_requests": s, "monthly_cost": split(s).monthly_cost}
            for s in (i / 20 for i in range(21))
        ],
        "explanation": (
            f"Routing {share:.0%} of requests ({result.self_hosted_token_share:.0%} of tokens) to {sh_name} and the "
            f"rest to {api_name} costs {_money(result.monthly_cost)}/month, against {_money(all_api_cost)} all on "
            f"{api_name}."
        ),
        "formulas": hybrid_core.ROUTED_FORMULAS,
        "beyond_cost": _beyond_cost(
            body.requirements,
            [
                factors_core.OptionRef(api_name, "api"),
                factors_core.OptionRef(sh_name, "self_hosted"),
                factors_core.OptionRef(option.name, "hybrid"),
            ],
        ),
        "conventions": CONVENTIONS,
    }


def _workload_json(workload: Workload) -> dict[str, Any]:
    return {
        "requests_per_month": workload.requests_per_month,
        "tokens_per_month": workload.tokens_per_month,
        "input_tokens": workload.input_tokens,
        "output_tokens": workload.output_tokens,
        "tokens_per_request": workload.tokens_per_request,
    }


# ---------------------------------------------------------------------------------------------
# Time horizon


class MigrationIn(StrictInput):
    engineering_weeks: float = Field(
        horizon_core.DEFAULT_MIGRATION_ENGINEERING_WEEKS,
        ge=0,
        le=10_000,
        description="Engineer-weeks to move the workload to self-hosting (default 4: an assumption).",
    )
    usd_per_engineer_week: float | None = Field(
        None, ge=0, le=1_000_000, description="Loaded cost of an engineer-week; default: catalog salary / 52."
    )


class HorizonIn(StrictInput):
    workload: WorkloadIn
    api: ApiOptionIn
    self_hosted: SelfHostedOptionIn
    months: int = Field(horizon_core.DEFAULT_HORIZON_MONTHS, ge=1, le=120, description="Horizon in months.")
    monthly_growth: float = Field(0.0, ge=-0.5, le=0.5, description="Traffic growth per month (0.05 = +5%).")
    api_price_change_per_year: float = Field(
        horizon_core.DEFAULT_API_PRICE_CHANGE_PER_YEAR,
        gt=-1,
        le=1,
        description="Annual API price change (default −0.5, a halving a year: see sources in the response).",
    )
    gpu_price_change_per_year: float = Field(
        horizon_core.DEFAULT_GPU_PRICE_CHANGE_PER_YEAR,
        gt=-1,
        le=1,
        description="Annual change of GPU rental prices and of the price of GPUs bought later.",
    )
    migration: MigrationIn = Field(default_factory=MigrationIn)
    migrate_at_month: int | None = Field(
        None,
        ge=0,
        le=120,
        description="Your plan: months on the API before self-hosting (prototype on an API, then migrate).",
    )
    requirements: RequirementList | None = None

    @model_validator(mode="after")
    def plan_inside_horizon(self) -> HorizonIn:
        if self.migrate_at_month is not None and self.migrate_at_month > self.months:
            raise ValueError("migrate_at_month must not be after the horizon's last month")
        return self


def _plan_json(plan: horizon_core.Plan, api_only: horizon_core.Plan) -> dict[str, Any]:
    return {
        "label": plan.label,
        "switch_month": plan.switch_month,
        "months_on_api": plan.switch_month,
        "cumulative_usd": list(plan.cumulative),
        "monthly_usd": list(plan.monthly),
        "on_api_by_month": list(plan.on_api),
        "one_time_costs": [
            {"at_month": o.at_month, "migration_usd": o.migration, "hardware_usd": o.hardware, "total_usd": o.total}
            for o in plan.one_time
        ],
        "total_spend_usd": plan.total_spend,
        "residual_value_at_end_usd": plan.residual_value_at_end,
        "net_total_usd": plan.net_total,
        "gpus_owned_at_end": plan.gpus_owned_at_end,
        "payback_month": horizon_core.payback_month(plan, api_only),
        "saving_vs_api_only_usd": api_only.net_total - plan.net_total,
    }


def evaluate_horizon(body: HorizonIn, catalog: Catalog, sources: Sources | None = None) -> dict[str, Any]:
    scenario, api_result, sh_result = evaluate_pair(body.workload, body.api, body.self_hosted, catalog, (), sources)
    workload = scenario.workload
    option = sh_result.resolved.option
    week_cost = body.migration.usd_per_engineer_week
    week_source = "entered by the user"
    if week_cost is None:
        salary = cost_parameter(catalog, "ops_engineer_usd_per_year")
        week_cost = salary.value / 52
        week_source = f"{salary.name}: ${salary.value:,.0f}/year ÷ 52 ({salary.source}, {salary.as_of})"
    bought: horizon_core.BoughtHardware | None = None
    if isinstance(option.pricing, BuyPricing):
        pricing = option.pricing
        bought = horizon_core.BoughtHardware(
            gpus_per_replica=option.gpu_count,
            price_per_gpu=pricing.capex_per_gpu,
            running_per_gpu_monthly=pricing.power_per_gpu()
            + pricing.colocation_per_gpu()
            + pricing.maintenance_per_gpu(),
            depreciation_months=pricing.months,
            residual_fraction=pricing.residual_fraction,
            cost_of_capital=pricing.cost_of_capital,
        )
    migration_cost = body.migration.engineering_weeks * week_cost
    inputs = horizon_core.HorizonInputs(
        months=body.months,
        requests_per_month=workload.requests_per_month,
        monthly_growth=body.monthly_growth,
        api_cost_per_request=api_result.breakdown.per_request,
        api_price_change_per_year=body.api_price_change_per_year,
        gpu_price_change_per_year=body.gpu_price_change_per_year,
        self_hosted=option.cost_curve(workload.peak_to_average),
        migration_cost=migration_cost,
        bought=bought,
    )
    solved = horizon_core.solve_horizon(inputs)
    api_only = solved.api_only
    user_plan = solved.plans[body.migrate_at_month] if body.migrate_at_month is not None else None
    api_name, sh_name = body.api.name, body.self_hosted.name
    # A plan that stays on the API past the model's retirement date cannot be followed as priced.
    retirement = horizon_retirement_note(status_of_prices(api_result.resolved.option.prices), api_name, body.months)
    retirement_notes = [retirement] if retirement else []
    return {
        "months": body.months,
        "api": _api_summary(api_result, workload),
        "self_hosted": {**_self_hosted_summary(sh_result), "hardware": "bought" if bought else "rented"},
        "assumptions": {
            "requests_per_month_at_month_1": workload.requests_per_month,
            "monthly_growth": body.monthly_growth,
            "api_price_change_per_year": body.api_price_change_per_year,
            "gpu_price_change_per_year": body.gpu_price_change_per_year,
            "migration_engineering_weeks": body.migration.engineering_weeks,
            "migration_usd_per_engineer_week": week_cost,
            "migration_cost_usd": migration_cost,
            "depreciation_months": bought.depreciation_months if bought else None,
            "residual_fraction": bought.residual_fraction if bought else None,
        },
        "sources": {
            "api_price_change_per_year": horizon_core.API_PRICE_CHANGE_SOURCE
            if body.api_price_change_per_year == horizon_core.DEFAULT_API_PRICE_CHANGE_PER_YEAR
            else "entered by the user",
            "api_price_change_alternatives": {
                "epoch_ai_slowest_milestone": horizon_core.EPOCH_SLOWEST_API_PRICE_CHANGE_PER_YEAR,
                "default": horizon_core.DEFAULT_API_PRICE_CHANGE_PER_YEAR,
                "no_change": 0.0,
            },
            "gpu_price_change_per_year": horizon_core.GPU_PRICE_CHANGE_SOURCE
            if body.gpu_price_change_per_year == horizon_core.DEFAULT_GPU_PRICE_CHANGE_PER_YEAR
            else "entered by the user",
            "migration_usd_per_engineer_week": week_source,
            "migration_engineering_weeks": "Breakeven's assumption (serving setup, evaluation, load tests, cut-over)"
            if body.migration.engineering_weeks == horizon_core.DEFAULT_MIGRATION_ENGINEERING_WEEKS
            else "entered by the user",
        },
        "monthly_comparison": [
            {
                "month": c.month,
                "requests_per_month": c.requests_per_month,
                "tokens_per_month": workload.requests_to_tokens(c.requests_per_month),
                "api_monthly_usd": c.api_monthly,
                "self_hosted_monthly_usd": c.self_hosted_monthly,
            }
            for c in solved.comparison
        ],
        "crossover_month": solved.crossover_month,
        "api_cheaper_again_from_month": solved.api_cheaper_again_from_month,
        "payback_month": solved.payback_month,
        "payback_of": "hardware purchase and migration" if bought else "migration",
        "plans": {
            "api_only": _plan_json(api_only, api_only),
            "self_hosted_from_start": _plan_json(solved.self_hosted_from_start, api_only),
            "cheapest": _plan_json(solved.cheapest, api_only),
            "yours": _plan_json(user_plan, api_only) if user_plan else None,
        },
        "net_total_by_switch_month": [
            {"switch_month": p.switch_month, "label": p.label, "net_total_usd": p.net_total} for p in solved.plans
        ],
        "cheapest_plan": solved.cheapest.label,
        "explanation": " ".join([_horizon_explanation(solved, api_name, sh_name, bool(bought)), *retirement_notes]),
        "notes": retirement_notes,
        "formulas": horizon_core.FORMULAS,
        "scenario": result_to_json(scenario),
        "beyond_cost": _beyond_cost(
            body.requirements,
            [factors_core.OptionRef(api_name, "api"), factors_core.OptionRef(sh_name, "self_hosted")],
        ),
        "conventions": CONVENTIONS,
    }


def _horizon_explanation(solved: horizon_core.HorizonResult, api: str, self_hosted: str, bought: bool) -> str:
    months = solved.inputs.months
    cheapest = solved.cheapest
    api_total = solved.api_only.net_total
    if cheapest.switch_month >= months:
        text = (
            f"Over {months} months staying on {api} is cheapest ({_money(api_total)}): self-hosting {self_hosted} "
            "does not pay for itself within the horizon."
        )
    else:
        plan = (
            f"self-host {self_hosted} from the start"
            if cheapest.switch_month == 0
            else f"use {api} until month {cheapest.switch_month}, then self-host {self_hosted}"
        )
        text = (
            f"Over {months} months the cheapest plan is to {plan}: {_money(cheapest.net_total)} net, against "
            f"{_money(api_total)} on {api} throughout."
        )
        if bought and horizon_core.payback_month(cheapest, solved.api_only) is None:
            text += " It wins only through the hardware's residual value at the end, not by its cash spend."
    if solved.crossover_month is not None:
        text += f" {self_hosted}'s monthly cost drops below {api}'s in month {solved.crossover_month}"
        if solved.api_cheaper_again_from_month is not None:
            text += (
                f", until falling API prices make {api} cheaper again from month {solved.api_cheaper_again_from_month}"
            )
        text += "."
    if solved.payback_month is not None:
        what = "the purchase and the migration" if bought else "the migration"
        text += f" Self-hosting from the start pays back {what} in month {solved.payback_month}."
    return text


# ---------------------------------------------------------------------------------------------
# Uncertainty


class RangeIn(StrictInput):
    low: float = Field(..., ge=0.01, le=1, description="Factor on the entered value at the low end (0.01–1).")
    high: float = Field(..., ge=1, le=100, description="Factor on the entered value at the high end (1–100).")


class RangesIn(StrictInput):
    throughput: RangeIn | None = Field(None, description="Default: the estimator's error band, or ±10% if measured.")
    gpu_price: RangeIn | None = None
    api_price: RangeIn | None = None
    utilization: RangeIn | None = None
    peak_to_average: RangeIn | None = None
    ops_cost: RangeIn | None = None


class UncertaintyIn(StrictInput):
    workload: WorkloadIn
    api: ApiOptionIn
    self_hosted: SelfHostedOptionIn
    ranges: RangesIn = Field(default_factory=RangesIn)
    draws: int = Field(10_000, ge=1_000, le=1_000_000, description="Monte Carlo draws.")
    seed: int = Field(0, ge=0, le=2**32 - 1, description="Random seed: the same seed gives the same answer.")
    requirements: RequirementList | None = None


def _percentiles_json(p: uncertainty_core.Percentiles, to_tokens: float | None = None) -> dict[str, Any]:
    scale = to_tokens or 1.0
    return {
        "p10": finite_or_none(p.p10 * scale),
        "p50": finite_or_none(p.p50 * scale),
        "p90": finite_or_none(p.p90 * scale),
        "share_of_draws_never": p.share_infinite,
    }


def evaluate_uncertainty(body: UncertaintyIn, catalog: Catalog, sources: Sources | None = None) -> dict[str, Any]:
    scenario, api_result, sh_result = evaluate_pair(body.workload, body.api, body.self_hosted, catalog, (), sources)
    workload = scenario.workload
    option = sh_result.resolved.option
    curve = option.cost_curve(workload.peak_to_average)
    params = uncertainty_core.BreakevenParams(
        api_cost_per_request=api_result.breakdown.per_request,
        replica_monthly=curve.per_replica_monthly,
        requests_per_replica=curve.requests_per_replica,
        fixed_monthly=curve.fixed_monthly,
        min_replicas=curve.min_replicas,
        redundancy=curve.redundancy,
        utilization=option.target_utilization,
        peak_to_average=workload.peak_to_average,
    )
    estimate = sh_result.resolved.estimate
    if option.capacity_source == "estimated" and estimate is not None:
        band = estimate.error_band
        throughput = uncertainty_core.FactorRange(min(1.0, band.low_factor), max(1.0, band.high_factor))
        throughput_source = (
            f"the estimator's error band ({band.low_factor:g}–{band.high_factor:g}× of the estimate, "
            f"{band.rows} calibration rows{', extrapolated' if band.extrapolated else ''})"
        )
    else:
        throughput = uncertainty_core.MEASURED_THROUGHPUT_RANGE
        throughput_source = "±10% around the measured throughput (Breakeven's assumption)"
    salary = cost_parameter(catalog, "ops_engineer_usd_per_year")
    low = (salary.low or salary.value) / salary.value
    high = (salary.high or salary.value) / salary.value
    ops_range = uncertainty_core.FactorRange(min(1.0, low), max(1.0, high))
    ops_source = f"{salary.name} range ${salary.low or 0:,.0f}–${salary.high or 0:,.0f}/year ({salary.source})"
    overrides = {
        input_id: uncertainty_core.FactorRange(r.low, r.high)
        for input_id in uncertainty_core.INPUT_IDS
        if (r := getattr(body.ranges, input_id)) is not None
    }
    inputs = uncertainty_core.default_inputs(throughput, throughput_source, ops_range, ops_source, overrides)
    volume = workload.requests_per_month
    tokens_per_request = workload.tokens_per_request
    bars = uncertainty_core.tornado(params, inputs, volume)
    mc = uncertainty_core.monte_carlo(params, inputs, volume, body.draws, body.seed)
    base = scenario.breakevens[0].solution
    api_name, sh_name = body.api.name, body.self_hosted.name

    def never(value: float) -> bool:
        return math.isinf(value)

    return {
        "api": _api_summary(api_result, workload),
        "self_hosted": _self_hosted_summary(sh_result),
        "workload": _workload_json(workload),
        "base": {
            "stays_cheaper_above_requests_per_month": base.stays_cheaper_above,
            "stays_cheaper_above_tokens_per_month": workload.requests_to_tokens(base.stays_cheaper_above)
            if base.stays_cheaper_above is not None
            else None,
            "first_crossover_requests_per_month": base.first_crossover,
            "api_monthly_cost": api_result.monthly_cost,
            "self_hosted_monthly_cost": sh_result.monthly_cost,
        },
        "inputs": [
            {
                "id": spec.id,
                "label": spec.label,
                "acts_on": {
                    "a": "api_cost_per_request",
                    "c": "replica_monthly_cost",
                    "Q": "requests_per_replica",
                    "F": "fixed_monthly_cost",
                }[spec.target],
                "low_factor": spec.range.low,
                "high_factor": spec.range.high,
                "source": spec.source,
            }
            for spec in inputs
        ],
        "tornado": {
            "metric": "stays_cheaper_above_requests_per_month",
            "note": "each input alone at the ends of its range, the others at their entered values; widest first; "
            "null = self-hosting never stays cheaper at that end",
            "bars": [
                {
                    "input": bar.input.id,
                    "label": bar.input.label,
                    "low_factor": bar.input.range.low,
                    "high_factor": bar.input.range.high,
                    "break_even_at_low_requests_per_month": finite_or_none(bar.at_low),
                    "break_even_at_high_requests_per_month": finite_or_none(bar.at_high),
                    "break_even_at_low_tokens_per_month": finite_or_none(bar.at_low * tokens_per_request),
                    "break_even_at_high_tokens_per_month": finite_or_none(bar.at_high * tokens_per_request),
                    "never_at_low": never(bar.at_low),
                    "never_at_high": never(bar.at_high),
                    "swing_requests_per_month": finite_or_none(bar.swing),
                    "first_crossover_at_low_requests_per_month": finite_or_none(bar.first_crossover_at_low),
                    "first_crossover_at_high_requests_per_month": finite_or_none(bar.first_crossover_at_high),
                    "self_hosted_minus_api_monthly_usd_at_low": bar.difference_at_low,
                    "self_hosted_minus_api_monthly_usd_at_high": bar.difference_at_high,
                }
                for bar in bars
            ],
        },
        "monte_carlo": {
            "draws": mc.draws,
            "seed": mc.seed,
            "distribution": "each input independently, split triangular over its range (mode and median at the "
            "entered value)",
            "break_even_requests_per_month": _percentiles_json(mc.stays_cheaper_above),
            "break_even_tokens_per_month": _percentiles_json(mc.stays_cheaper_above, tokens_per_request),
            "first_crossover_requests_per_month": _percentiles_json(mc.first_crossover),
            "at_volume_requests_per_month": volume,
            "api_monthly_usd": _percentiles_json(mc.api_monthly),
            "self_hosted_monthly_usd": _percentiles_json(mc.self_hosted_monthly),
            "self_hosted_minus_api_monthly_usd": _percentiles_json(mc.difference_monthly),
            "probability_self_hosted_cheaper": mc.probability_self_hosted_cheaper,
        },
        "explanation": _uncertainty_explanation(mc, bars, api_name, sh_name, volume),
        "formulas": uncertainty_core.FORMULAS,
        "scenario": result_to_json(scenario),
        "beyond_cost": _beyond_cost(
            body.requirements,
            [factors_core.OptionRef(api_name, "api"), factors_core.OptionRef(sh_name, "self_hosted")],
        ),
        "conventions": CONVENTIONS,
    }


def _uncertainty_explanation(
    mc: uncertainty_core.MonteCarloResult,
    bars: list[uncertainty_core.TornadoBar],
    api: str,
    self_hosted: str,
    volume: float,
) -> str:
    band = mc.stays_cheaper_above

    def volume_text(value: float) -> str:
        return "never" if math.isinf(value) else f"{value:,.0f}"

    text = (
        f"At {volume:,.0f} requests/month, {self_hosted} is cheaper than {api} in "
        f"{mc.probability_self_hosted_cheaper:.0%} of {mc.draws:,} draws. The volume above which it stays cheaper "
        f"is {volume_text(band.p10)} / {volume_text(band.p50)} / {volume_text(band.p90)} requests/month "
        "(P10 / P50 / P90)"
    )
    if bars and bars[0].swing > 0:
        text += f"; {bars[0].input.label.lower()} moves it most"
    return text + "."
