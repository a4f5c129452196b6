"""Evaluation: a resolved scenario → a typed `ScenarioResult` (cost per option, break-even per
(API, self-hosted) pair, the cheapest-option envelope), computed once and rendered many ways by
`app/render`. Also the snapshot of every live figure a result used, for saving it. No HTTP."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

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
from app.scenario.hosted import HOSTED_LIMIT, is_hosted, with_hosted_alternatives
from app.scenario.inputs import ApiOptionIn, ScenarioIn, SelfHostedOptionIn
from app.scenario.resolve import ResolvedApi, ResolvedSelfHosted, _with_field_prefix, resolve_api, resolve_self_hosted

# ---------------------------------------------------------------------------------------------
# Evaluation


@dataclass(frozen=True)
class ApiResult:
    resolved: ResolvedApi
    breakdown: ApiCostBreakdown
    monthly_cost: float
    # "hosted": a hosted offer of a self-hosted option's open model (app.scenario.hosted), else "user".
    origin: Literal["user", "hosted"] = "user"


@dataclass(frozen=True)
class SelfHostedResult:
    resolved: ResolvedSelfHosted
    replicas: int
    monthly_cost: float
    curve: ReplicaStepCost  # monthly cost at any volume, for the workload's peak-to-average

    @property
    def requests_per_replica(self) -> float:
        return self.curve.requests_per_replica

    @property
    def gpus_per_instance(self) -> int:
        return self.resolved.option.gpus_per_instance

    @property
    def instances(self) -> int:
        """Whole instances billed at the user's volume (issue 14: the offer's instance is the billing unit)."""
        return self.resolved.option.instances_at_replicas(self.replicas)

    @property
    def idle_gpus(self) -> int:
        """GPUs of those instances that no replica uses, paid for all the same."""
        return self.resolved.option.idle_gpus_at_replicas(self.replicas)


@dataclass(frozen=True)
class PairResult:
    api: str
    self_hosted: str
    solution: PairBreakeven
    # One replica's figures, which the break-even sentence (app/render/sentences.py) cites; the cost is
    # the replica's share of its billing unit (an instance's idle GPUs included), so that it ÷ Q is
    # the marginal cost per request the solver compares.
    replica_monthly_cost: float
    requests_per_replica: float


@dataclass(frozen=True)
class ScenarioResult:
    workload: Workload
    options: list[ApiResult | SelfHostedResult]
    cheapest: str
    breakevens: list[PairResult]
    envelope: list[EnvelopeSegment]
    envelope_up_to: float
    notes: list[str] = field(default_factory=list)
    # The scenario as evaluated: the one given, with its hosted alternatives added when it asked for them
    # (app.scenario.hosted); `options` follow its order. What snapshot_for and a saved scenario keep. Not
    # compared: two results are equal when their figures are (a pair rebuilt from a larger scenario's
    # result, app.scenario.beyond.headline_evaluated, equals the pair evaluated alone).
    evaluated_scenario: ScenarioIn | None = field(default=None, compare=False)

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
    # The limit is on the user's options; hosted alternatives have their own (HOSTED_LIMIT).
    hosted_count = sum(1 for spec in scenario.options if is_hosted(spec))
    if len(scenario.options) - hosted_count > max_options:
        raise DomainError(f"at most {max_options} options per scenario", field=("options",))
    if hosted_count > HOSTED_LIMIT:
        raise DomainError(f"at most {HOSTED_LIMIT} options of origin 'hosted' per scenario", field=("options",))
    if scenario.hosted_alternatives:
        scenario = with_hosted_alternatives(scenario, sources)
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
    notes += fleet_warnings(results, volume)
    return ScenarioResult(
        workload=workload,
        options=results,
        cheapest=option_name(results[cheapest]),
        breakevens=pairs,
        envelope=envelope,
        envelope_up_to=covered,
        notes=notes,
        evaluated_scenario=scenario,
    )


# A fleet above this many GPUs for one workload is far more likely a volume typed wrong (a unit, extra zeros)
# than a plan: 10,000 GPUs is $14.6M/month at $2/GPU-hour, beyond what a cloud rents one customer on demand
# (capacity at that size is reserved and built to order). A decision, not a measurement (issue 16: 1e15
# requests/month was answered "34,306,644 GPUs" without a word).
MAX_SENSIBLE_GPUS = 10_000


def fleet_warnings(results: list[ApiResult | SelfHostedResult], volume: float) -> list[str]:
    """A warning when a self-hosted option needs more than MAX_SENSIBLE_GPUS at the workload's volume."""
    fleets = sorted(
        (
            (r.resolved.option.gpus_billed_at_replicas(r.replicas), option_name(r))
            for r in results
            if isinstance(r, SelfHostedResult)
        ),
        reverse=True,
    )
    over = [(gpus, name) for gpus, name in fleets if gpus > MAX_SENSIBLE_GPUS]
    if not over:
        return []
    gpus, name = over[0]
    others = f" ({len(over) - 1:,} more self-hosted options need over {MAX_SENSIBLE_GPUS:,})" if len(over) > 1 else ""
    return [
        f"{gpus:,} GPUs: check the volume. {name} needs {gpus:,} GPUs at {volume:,.0f} requests/month{others}; "
        f"more than {MAX_SENSIBLE_GPUS:,} GPUs for one workload is more likely a slip in the volume than a plan."
    ]


def _evaluate_option(
    spec: ApiOptionIn | SelfHostedOptionIn, workload: Workload, sources: Sources
) -> ApiResult | SelfHostedResult:
    if isinstance(spec, ApiOptionIn):
        resolved_api = resolve_api(spec, sources.api_prices, workload.reasoning_tokens)
        breakdown = resolved_api.option.cost_breakdown(workload)
        return ApiResult(resolved_api, breakdown, breakdown.per_request * workload.requests_per_month, spec.origin)
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
        replica_monthly_cost=curve.unit_cost_per_replica,
        requests_per_replica=curve.requests_per_replica,
    )


def snapshot_for(scenario: ScenarioIn, result: ScenarioResult, catalog: Catalog) -> dict[str, Any]:
    """The live figures `result` used, to evaluate `scenario` identically later (see app.catalog.sources).
    API prices are taken for the options as evaluated (`result.evaluated_scenario`: hosted alternatives
    included), so save that scenario beside this snapshot."""
    scenario = result.evaluated_scenario or scenario
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
