"""Evaluation: a resolved scenario → a typed `ScenarioResult` (cost per option, break-even per
(API, self-hosted) pair, the cheapest-option envelope), computed once and rendered many ways by
`app/render`. Also the snapshot of every live figure a result used, for saving it. No HTTP."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.catalog.api_prices import resolve_api_prices, snapshot_age
from app.catalog.efficiencies import efficiencies_for
from app.catalog.sources import Sources, take_snapshot
from app.core.api_cost import (
    ApiCostBreakdown,
)
from app.core.breakeven import (
    CostCurve,
    EnvelopeSegment,
    LinearCost,
    PairBreakeven,
    cheapest_envelope,
    solve_breakeven,
)
from app.core.errors import DomainError
from app.core.self_hosted import RentPricing, ReplicaStepCost
from app.core.specs import Catalog
from app.core.workload import Workload
from app.scenario.inputs import ApiOptionIn, ScenarioIn, SelfHostedOptionIn
from app.scenario.resolve import ResolvedApi, ResolvedSelfHosted, _with_field_prefix, resolve_api, resolve_self_hosted

# ---------------------------------------------------------------------------------------------
# Evaluation


@dataclass(frozen=True)
class ApiResult:
    resolved: ResolvedApi
    breakdown: ApiCostBreakdown
    monthly_cost: float


@dataclass(frozen=True)
class SelfHostedResult:
    resolved: ResolvedSelfHosted
    replicas: int
    monthly_cost: float
    curve: ReplicaStepCost  # monthly cost at any volume, for the workload's peak-to-average

    @property
    def requests_per_replica(self) -> float:
        return self.curve.requests_per_replica


@dataclass(frozen=True)
class PairResult:
    api: str
    self_hosted: str
    solution: PairBreakeven
    explanation: str


@dataclass(frozen=True)
class ScenarioResult:
    workload: Workload
    options: list[ApiResult | SelfHostedResult]
    cheapest: str
    breakevens: list[PairResult]
    envelope: list[EnvelopeSegment]
    envelope_up_to: float
    notes: list[str] = field(default_factory=list)

    def name_of(self, index: int) -> str:
        result = self.options[index]
        return result.resolved.option.name


def option_name(result: ApiResult | SelfHostedResult) -> str:
    return result.resolved.option.name


def cost_curve(result: ApiResult | SelfHostedResult) -> CostCurve:
    if isinstance(result, ApiResult):
        return LinearCost(result.breakdown.per_request)
    return result.curve


def evaluate(
    scenario: ScenarioIn, catalog: Catalog, max_options: int = 16, sources: Sources | None = None
) -> ScenarioResult:
    """Resolve and evaluate a scenario against live sources (`catalog` + today's prices), or against
    `sources` (e.g. a saved scenario's frozen snapshot, whose catalog then replaces `catalog`)."""
    if sources is None:
        sources = Sources(catalog, resolve_api_prices, efficiencies_for, "live")
    if len(scenario.options) > max_options:
        raise DomainError(f"at most {max_options} options per scenario", field=("options",))
    seen: set[str] = set()
    for index, spec in enumerate(scenario.options):
        if spec.name in seen:
            raise DomainError(
                f"option names must be unique: {spec.name!r} is used twice", field=("options", index, "name")
            )
        seen.add(spec.name)
    workload = scenario.workload.to_core()
    results: list[ApiResult | SelfHostedResult] = []
    for index, spec in enumerate(scenario.options):
        try:
            results.append(_evaluate_option(spec, workload, sources))
        except DomainError as error:
            raise _with_field_prefix(error, ("options", index)) from None

    curves = [cost_curve(r) for r in results]
    volume = workload.requests_per_month
    cheapest = min(range(len(results)), key=lambda i: (results[i].monthly_cost, i))
    pairs = [
        _pair(api, sh)
        for api in results
        if isinstance(api, ApiResult)
        for sh in results
        if isinstance(sh, SelfHostedResult)
    ]
    landmarks = [volume * 10]
    for pair in pairs:
        landmarks += [2 * v for v in (pair.solution.first_crossover, pair.solution.stays_cheaper_above) if v]
    envelope, covered = cheapest_envelope(curves, max(landmarks))
    notes: list[str] = []
    uses_catalog_prices = any(isinstance(r, ApiResult) and r.resolved.option.prices.as_of for r in results)
    if sources.label == "live" and uses_catalog_prices:
        warning = snapshot_age().warning  # a saved scenario is old on purpose: no warning there
        if warning:
            notes.append(warning)
    return ScenarioResult(
        workload=workload,
        options=results,
        cheapest=option_name(results[cheapest]),
        breakevens=pairs,
        envelope=envelope,
        envelope_up_to=covered,
        notes=notes,
    )


def _evaluate_option(
    spec: ApiOptionIn | SelfHostedOptionIn, workload: Workload, sources: Sources
) -> ApiResult | SelfHostedResult:
    if isinstance(spec, ApiOptionIn):
        resolved_api = resolve_api(spec, sources.api_prices)
        breakdown = resolved_api.option.cost_breakdown(workload)
        return ApiResult(resolved_api, breakdown, breakdown.per_request * workload.requests_per_month)
    resolved = resolve_self_hosted(spec, workload, sources.catalog, sources.efficiencies)
    curve = resolved.option.cost_curve(workload.peak_to_average)
    volume = workload.requests_per_month
    return SelfHostedResult(resolved, curve.replicas(volume), curve.cost(volume), curve)


def _pair(api: ApiResult, sh: SelfHostedResult) -> PairResult:
    curve = sh.curve
    solution = solve_breakeven(LinearCost(api.breakdown.per_request), curve)
    return PairResult(
        api=option_name(api),
        self_hosted=option_name(sh),
        solution=solution,
        explanation=explain(
            option_name(api), option_name(sh), solution, curve.per_replica_monthly, curve.requests_per_replica
        ),
    )


def _money(value: float) -> str:
    if value >= 100:
        return f"${value:,.0f}"
    if value >= 0.01:
        return f"${value:,.2f}"
    return f"${value:.3g}"


def explain(api: str, self_hosted: str, solution: PairBreakeven, replica_cost: float, replica_requests: float) -> str:
    per_request_api = solution.api_cost_per_request
    marginal = solution.self_hosted_marginal_cost_per_request
    if solution.first_crossover is None or solution.stays_cheaper_above is None:
        return (
            f"{self_hosted} is never cheaper than {api}: each replica costs {_money(replica_cost)}/month and serves "
            f"at most {replica_requests:,.0f} requests/month, {_money(marginal)} per request, which is not below "
            f"{api}'s {_money(per_request_api)} per request, so adding traffic only adds replicas that cost more "
            "than the API would."
        )
    text = (
        f"{self_hosted} becomes cheaper than {api} at {solution.first_crossover:,.0f} requests/month and stays "
        f"cheaper above {solution.stays_cheaper_above:,.0f} requests/month: at full replicas it costs "
        f"{_money(marginal)} per request against {api}'s {_money(per_request_api)}."
    )
    if solution.api_cheaper_again_count:
        ranges = solution.api_cheaper_again_count
        first = solution.api_cheaper_again[0]
        text += (
            f" In between, {ranges} range{'s' if ranges > 1 else ''} where a newly added replica makes {api} cheaper "
            f"again (the first from {first.start:,.0f} to {first.end:,.0f} requests/month)."
        )
    return text


def snapshot_for(scenario: ScenarioIn, result: ScenarioResult, catalog: Catalog) -> dict[str, Any]:
    """The live figures `result` used, to evaluate `scenario` identically later (see app.catalog.sources)."""
    gpus: set[str] = set()
    models: set[str] = set()
    rentals: set[str] = set()
    purchases: set[str] = set()
    for option in result.options:
        if isinstance(option, SelfHostedResult):
            resolved = option.resolved
            if resolved.gpu is not None:
                gpus.add(resolved.gpu.id)
            if resolved.model is not None:
                models.add(resolved.model.id)
            pricing = resolved.option.pricing
            if pricing.offer_id is not None:
                (rentals if isinstance(pricing, RentPricing) else purchases).add(pricing.offer_id)
    api_models = {(o.provider, o.model) for o in scenario.options if isinstance(o, ApiOptionIn) and o.model}
    return take_snapshot(catalog, gpus, models, rentals, purchases, api_models)
