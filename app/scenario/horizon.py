"""The time horizon: cumulative cost month by month with growth, API price trends, migration and
bought hardware; the crossover month, payback and the cheapest plan."""

from __future__ import annotations

from dataclasses import dataclass

from app.catalog.litellm_prices import horizon_retirement_note, status_of_prices
from app.catalog.loader import cost_parameter
from app.catalog.sources import Sources
from app.core import factors as factors_core
from app.core import horizon as horizon_core
from app.core.self_hosted import BuyPricing
from app.core.specs import Catalog, CostParameter
from app.core.workload import Workload
from app.scenario.beyond import EvaluatedPair, evaluate_pair
from app.scenario.beyond_inputs import HorizonIn
from app.scenario.factors import FactorsAnswer, beyond_cost


@dataclass(frozen=True)
class HorizonAnswer:
    """Cost over time for one pair (POST /api/v1/horizon)."""

    request: HorizonIn
    pair: EvaluatedPair
    usd_per_engineer_week: float
    # The catalog salary a week's cost comes from; None when the request entered the week's cost.
    engineer_salary: CostParameter | None
    migration_cost_usd: float
    bought: horizon_core.BoughtHardware | None
    solved: horizon_core.HorizonResult
    user_plan: horizon_core.Plan | None  # the request's migrate_at_month, when it has one
    retirement_note: str | None  # the API model retires within the horizon
    beyond_cost: FactorsAnswer | None

    @property
    def workload(self) -> Workload:
        return self.pair.workload

    @property
    def months(self) -> int:
        return self.request.months

    @property
    def api_name(self) -> str:
        return self.request.api.name

    @property
    def self_hosted_name(self) -> str:
        return self.request.self_hosted.name


def evaluate_horizon(
    body: HorizonIn, catalog: Catalog, sources: Sources | None = None, pair: EvaluatedPair | None = None
) -> HorizonAnswer:
    """`pair`: the request's pair already evaluated by the caller (same workload, options, sources)."""
    if pair is None:
        pair = evaluate_pair(body.workload, body.api, body.self_hosted, catalog, (), sources)
    workload = pair.workload
    option = pair.self_hosted.resolved.option
    week_cost = body.migration.usd_per_engineer_week
    salary: CostParameter | None = None
    if week_cost is None:
        salary = cost_parameter(catalog, "ops_engineer_usd_per_year")
        week_cost = salary.value / 52
    bought: horizon_core.BoughtHardware | None = None
    if isinstance(option.pricing, BuyPricing):
        pricing = option.pricing
        bought = horizon_core.BoughtHardware(
            gpus_per_unit=option.gpus_per_unit,
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
        api_cost_per_request=pair.api.breakdown.per_request,
        api_price_change_per_year=body.api_price_change_per_year,
        gpu_price_change_per_year=body.gpu_price_change_per_year,
        self_hosted=option.cost_curve(workload.peak_to_average),
        migration_cost=migration_cost,
        bought=bought,
    )
    solved = horizon_core.solve_horizon(inputs)
    api_name, sh_name = body.api.name, body.self_hosted.name
    # A plan that stays on the API past the model's retirement date cannot be followed as priced.
    retirement = horizon_retirement_note(status_of_prices(pair.api.resolved.option.prices), api_name, body.months)
    return HorizonAnswer(
        request=body,
        pair=pair,
        usd_per_engineer_week=week_cost,
        engineer_salary=salary,
        migration_cost_usd=migration_cost,
        bought=bought,
        solved=solved,
        user_plan=solved.plans[body.migrate_at_month] if body.migrate_at_month is not None else None,
        retirement_note=retirement,
        beyond_cost=beyond_cost(
            body.requirements,
            [factors_core.OptionRef(api_name, "api"), factors_core.OptionRef(sh_name, "self_hosted")],
        ),
    )
