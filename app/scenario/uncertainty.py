"""How sure the break-even is: a sensitivity tornado (each input alone at the ends of its range)
and Monte Carlo bands (all inputs drawn together), for one pair."""

from __future__ import annotations

from dataclasses import dataclass

from app.catalog.loader import cost_parameter
from app.catalog.sources import Sources
from app.core import factors as factors_core
from app.core import uncertainty as uncertainty_core
from app.core.specs import Catalog
from app.core.workload import Workload
from app.scenario.beyond import EvaluatedPair, evaluate_pair
from app.scenario.beyond_inputs import UncertaintyIn
from app.scenario.factors import FactorsAnswer, beyond_cost


@dataclass(frozen=True)
class UncertaintyAnswer:
    """Tornado and Monte Carlo for one pair (POST /api/v1/uncertainty)."""

    api_name: str
    self_hosted_name: str
    pair: EvaluatedPair
    inputs: tuple[uncertainty_core.UncertainInput, ...]  # the ranges used, with their sources
    bars: tuple[uncertainty_core.TornadoBar, ...]  # widest swing first
    monte_carlo: uncertainty_core.MonteCarloResult
    beyond_cost: FactorsAnswer | None

    @property
    def workload(self) -> Workload:
        return self.pair.workload

    @property
    def volume(self) -> float:
        return self.pair.workload.requests_per_month


def evaluate_uncertainty(
    body: UncertaintyIn, catalog: Catalog, sources: Sources | None = None, pair: EvaluatedPair | None = None
) -> UncertaintyAnswer:
    """`pair`: the request's pair already evaluated by the caller (same workload, options, sources)."""
    if pair is None:
        pair = evaluate_pair(body.workload, body.api, body.self_hosted, catalog, (), sources)
    workload = pair.workload
    option = pair.self_hosted.resolved.option
    curve = option.cost_curve(workload.peak_to_average)
    params = uncertainty_core.BreakevenParams(
        api_cost_per_request=pair.api.breakdown.per_request,
        replica_monthly=curve.per_unit_monthly,
        requests_per_replica=curve.requests_per_replica,
        fixed_monthly=curve.fixed_monthly,
        min_replicas=curve.min_replicas,
        redundancy=curve.redundancy,
        utilization=option.target_utilization,
        peak_to_average=workload.peak_to_average,
        replicas_per_unit=curve.replicas_per_unit,
    )
    estimate = pair.self_hosted.resolved.estimate
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
    bars = uncertainty_core.tornado(params, inputs, volume)
    mc = uncertainty_core.monte_carlo(params, inputs, volume, body.draws, body.seed)
    api_name, sh_name = body.api.name, body.self_hosted.name
    return UncertaintyAnswer(
        api_name=api_name,
        self_hosted_name=sh_name,
        pair=pair,
        inputs=tuple(inputs),
        bars=tuple(bars),
        monte_carlo=mc,
        beyond_cost=beyond_cost(
            body.requirements,
            [factors_core.OptionRef(api_name, "api"), factors_core.OptionRef(sh_name, "self_hosted")],
        ),
    )
