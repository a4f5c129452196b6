"""Cost over a time horizon: month by month, with traffic growth, price trends, migration and hardware.

Month m runs from m = 1 to the horizon H; time t = 0 … H counts months elapsed, so a purchase at the
start of month m happens at t = m − 1 and the cumulative cost at t includes it.

- Volume:          V_m = V_1 × (1 + monthly_growth)^(m − 1)
- API:             A_m = a × (1 + api_price_change_per_year)^((m − 1)/12) × V_m
- Rented GPUs:     S_m = fixed + per_unit × (1 + gpu_price_change_per_year)^((m − 1)/12) × units(V_m), a unit
                   being a whole instance as sold (issue 14), or one replica's GPUs when sold per GPU
- Bought GPUs:     cash, not amortized: each unit's GPUs (a whole server) are bought when the load first
                   needs them (at the GPU price of that month) and kept; every month pays fixed + running costs (power,
                   colocation, maintenance) of the installed GPUs + cost_of_capital/12 × their book value.
                   Book value falls straight-line from the price to residual_fraction × price over the
                   depreciation period; what is left at the end of the horizon is credited as residual.
- Migration:       one-time, engineering weeks × loaded cost per week, when self-hosting starts.

Plans: "API until month k, then self-host" for every k from 0 (self-host from the start) to H (API
throughout); the cheapest is the one with the lowest net total (spend − residual). Cumulative spend is
non-decreasing by construction: every monthly cost and one-time cost is 0 or more, and the residual is
reported beside it, not subtracted from it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from app.core.errors import DomainError
from app.core.self_hosted import ReplicaStepCost
from app.core.units import MONTHS_PER_YEAR

# API prices: a decline of 50% a year unless the user says otherwise.
# Epoch AI, "LLM inference prices have fallen rapidly but unequally across tasks" (2025-03-12,
# https://epoch.ai/data-insights/llm-inference-price-trends): the price of reaching a fixed benchmark
# score fell between 9x and 900x per year depending on the milestone (the slowest, 9x a year, is −89%/yr),
# and Epoch notes that the fastest drops are recent and may not persist. Those rates follow the cheapest
# model that clears a bar, so they assume switching models whenever a cheaper one appears. A team that
# stays with one provider's tier sees list-price cuts instead: Anthropic's top tier went from $15/$75 per
# Mtok (Claude 3 Opus, 2024-03) to $5/$25 (Claude Opus 4.5, 2025-11), 3x in about 20.7 months, ≈ −47% a
# year (both prices are in the genai-prices snapshot). We take the rounder −50%/yr: well inside Epoch's
# range, close to the observed list-price path, and a decline, as every source agrees.
DEFAULT_API_PRICE_CHANGE_PER_YEAR = -0.5
EPOCH_SLOWEST_API_PRICE_CHANGE_PER_YEAR = 1 / 9 - 1  # 9x cheaper per year: Epoch AI's slowest milestone
API_PRICE_CHANGE_SOURCE = (
    "Default −50%/yr. Epoch AI (2025-03-12, https://epoch.ai/data-insights/llm-inference-price-trends): the "
    "price of reaching a fixed benchmark score fell 9x–900x per year (slowest 9x/yr ≈ −89%/yr), assuming a "
    "switch to the cheapest model that clears the bar; a single provider's tier fell less: Anthropic's top tier "
    "$15/$75 per Mtok (Claude 3 Opus, 2024-03) → $5/$25 (Claude Opus 4.5, 2025-11) ≈ −47%/yr (genai-prices)."
)
# GPU rental prices: no trend by default. H100 rental fell from $8+/GPU-hour (2023 scarcity) to about $2–3
# (2024), reached $1.70 (SemiAnalysis rental index, 1-year contract, 2025-10) and rebounded to $2.35 by
# 2026-03 (+38%): a cycle, not a steady decline, so the default is 0 and the range belongs in the
# uncertainty view.
DEFAULT_GPU_PRICE_CHANGE_PER_YEAR = 0.0
GPU_PRICE_CHANGE_SOURCE = (
    "Default 0%/yr: H100 rental fell from $8+/GPU-hour (2023) to ~$2–3 (2024) and $1.70 (SemiAnalysis rental "
    "index, 1-year contract, 2025-10), then rose to $2.35 (2026-03): cyclical, no steady trend."
)
# Engineering time to move a workload from an API to self-hosting (serving setup, evaluation on your data,
# load tests, cut-over): Breakeven's assumption, to be replaced by the team's own estimate.
DEFAULT_MIGRATION_ENGINEERING_WEEKS = 4.0
DEFAULT_HORIZON_MONTHS = 36

FORMULAS = {
    "volume": "V_m = requests_per_month × (1 + monthly_growth)^(m − 1)",
    "api_monthly": "A_m = api_cost_per_request × (1 + api_price_change_per_year)^((m − 1)/12) × V_m",
    "rented_monthly": (
        "S_m = fixed + replica_cost × (1 + gpu_price_change_per_year)^((m − 1)/12) × replicas(V_m), "
        "replicas(V) = max(min_replicas, ceil(V / requests_per_replica)) + redundancy"
    ),
    "bought_monthly": (
        "S_m = fixed + installed GPUs × (power + colocation + maintenance) + cost_of_capital/12 × book value; "
        "GPUs bought when first needed at price × (1 + gpu_price_change_per_year)^((m − 1)/12) and kept"
    ),
    "book_value": "price × max(residual_fraction, 1 − (1 − residual_fraction) × age_months / depreciation_months)",
    "migration": "engineering_weeks × usd_per_engineer_week, once, when self-hosting starts",
    "cumulative": "C_t = Σ of monthly costs of months ≤ t + one-time costs paid at times ≤ t",
    "net_total": "C_H − residual value of owned hardware at the end of the horizon",
    "crossover_month": "first month with the self-hosted monthly cost (amortized, as in /breakeven) below the API's",
    "payback_month": "first month at which a plan's cumulative spend is no more than staying on the API",
}


@dataclass(frozen=True)
class BoughtHardware:
    """Purchase terms for the cash view of bought GPUs (figures per GPU)."""

    # GPUs bought together: a whole server when replicas are packed onto servers (issue 14), else one
    # replica's GPUs. The curve's units (ReplicaStepCost.units) count how many of them the load needs.
    gpus_per_unit: int
    price_per_gpu: float
    running_per_gpu_monthly: float  # power + colocation + maintenance
    depreciation_months: float
    residual_fraction: float = 0.0
    cost_of_capital: float = 0.0  # annual

    def book_value(self, price: float, age_months: float) -> float:
        depreciated = 1 - (1 - self.residual_fraction) * age_months / self.depreciation_months
        return price * max(self.residual_fraction, depreciated)


@dataclass(frozen=True)
class HorizonInputs:
    months: int
    requests_per_month: float  # in month 1
    monthly_growth: float
    api_cost_per_request: float  # today
    api_price_change_per_year: float
    gpu_price_change_per_year: float
    # Self-hosted monthly cost as in /breakeven (rent, or buy amortized), at today's prices.
    self_hosted: ReplicaStepCost
    migration_cost: float
    bought: BoughtHardware | None = None  # None: rented GPUs

    def __post_init__(self) -> None:
        checks: list[tuple[bool, str, str]] = [
            (1 <= self.months <= 600, "months", "must be between 1 and 600"),
            (self.requests_per_month > 0, "requests_per_month", "must be greater than 0"),
            (-1 < self.monthly_growth, "monthly_growth", "must be above -1"),
            (-1 < self.api_price_change_per_year, "api_price_change_per_year", "must be above -1"),
            (-1 < self.gpu_price_change_per_year, "gpu_price_change_per_year", "must be above -1"),
            (self.migration_cost >= 0, "migration", "cost must be 0 or more"),
        ]
        for ok, name, rule in checks:
            if not ok:
                raise DomainError(f"{name} {rule}", field=(name,))

    def volume(self, month: int) -> float:
        return self.requests_per_month * (1 + self.monthly_growth) ** (month - 1)

    def api_price_factor(self, month: int) -> float:
        return float((1 + self.api_price_change_per_year) ** ((month - 1) / MONTHS_PER_YEAR))

    def gpu_price_factor(self, month: int) -> float:
        return float((1 + self.gpu_price_change_per_year) ** ((month - 1) / MONTHS_PER_YEAR))

    def api_monthly(self, month: int) -> float:
        return self.api_cost_per_request * self.api_price_factor(month) * self.volume(month)

    def self_hosted_amortized_monthly(self, month: int) -> float:
        """The /breakeven monthly cost at this month's volume; rental prices follow the GPU trend."""
        curve = self.self_hosted
        factor = self.gpu_price_factor(month) if self.bought is None else 1.0
        # Billed by the unit (issue 14): whole instances, or a replica's GPUs when sold per GPU.
        return curve.fixed_monthly + curve.per_unit_monthly * factor * curve.units(self.volume(month))


@dataclass(frozen=True)
class OneTimeCost:
    at_month: int  # t: months elapsed when it is paid (0 = before month 1)
    migration: float
    hardware: float

    @property
    def total(self) -> float:
        return self.migration + self.hardware


@dataclass(frozen=True)
class Plan:
    switch_month: int  # months on the API before self-hosting: 0 = from the start, H = API throughout
    months: int
    monthly: tuple[float, ...]  # cost during months 1..H (API, or self-hosted running costs)
    on_api: tuple[bool, ...]  # per month
    one_time: tuple[OneTimeCost, ...]
    cumulative: tuple[float, ...]  # t = 0..H
    residual_value_at_end: float
    gpus_owned_at_end: int = 0
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def total_spend(self) -> float:
        return self.cumulative[-1]

    @property
    def net_total(self) -> float:
        return self.total_spend - self.residual_value_at_end

    @property
    def label(self) -> str:
        return plan_label(self.switch_month, self.months)


def plan_label(switch_month: int, months: int) -> str:
    if switch_month <= 0:
        return "Self-host from the start"
    if switch_month >= months:
        return f"API for all {months} months"
    return f"API until month {switch_month}, then self-host"


@dataclass(frozen=True)
class MonthlyFigures:
    """What every plan reads of month m (index m - 1), whatever its switch month: worked out once for a
    sweep of all switch months rather than once per plan (the same expressions, so the same floats)."""

    api_monthly: tuple[float, ...]
    units_needed: tuple[int, ...]  # servers (or replicas, when sold per GPU) the load needs
    gpu_price_factor: tuple[float, ...]
    rented_monthly: tuple[float, ...]  # self-hosted on rented GPUs


def monthly_figures(inputs: HorizonInputs) -> MonthlyFigures:
    months = range(1, inputs.months + 1)
    curve = inputs.self_hosted
    needed = tuple(curve.units(inputs.volume(month)) for month in months)
    factors = tuple(inputs.gpu_price_factor(month) for month in months)
    return MonthlyFigures(
        api_monthly=tuple(inputs.api_monthly(month) for month in months),
        units_needed=needed,
        gpu_price_factor=factors,
        rented_monthly=tuple(
            curve.fixed_monthly + curve.per_unit_monthly * factor * curve.units(inputs.volume(month))
            for factor, month in zip(factors, months, strict=True)
        ),
    )


def build_plan(inputs: HorizonInputs, switch_month: int, figures: MonthlyFigures | None = None) -> Plan:
    """`figures`: `monthly_figures(inputs)`, when the caller builds several plans of the same inputs."""
    figures = figures if figures is not None else monthly_figures(inputs)
    horizon = inputs.months
    k = min(max(switch_month, 0), horizon)
    monthly: list[float] = list(figures.api_monthly[:k])
    one_time: dict[int, OneTimeCost] = {}
    if k < horizon:
        one_time[k] = OneTimeCost(k, inputs.migration_cost, 0.0)
    lots: list[tuple[int, float, int]] = []  # (t bought, price per GPU, GPUs)
    installed = 0  # units (servers, or replicas' GPUs) owned
    hardware = inputs.bought
    curve = inputs.self_hosted
    if hardware is None:  # rented: a month's cost does not depend on when the switch was
        monthly.extend(figures.rented_monthly[k:])
    else:
        for month in range(k + 1, horizon + 1):
            needed = figures.units_needed[month - 1]
            t = month - 1
            if needed > installed:
                gpus = (needed - installed) * hardware.gpus_per_unit
                price = hardware.price_per_gpu * figures.gpu_price_factor[month - 1]
                lots.append((t, price, gpus))
                previous = one_time.get(t, OneTimeCost(t, 0.0, 0.0))
                one_time[t] = OneTimeCost(t, previous.migration, previous.hardware + price * gpus)
                installed = needed
            book = sum(hardware.book_value(price, t - bought) * gpus for bought, price, gpus in lots)
            running = installed * hardware.gpus_per_unit * hardware.running_per_gpu_monthly
            monthly.append(curve.fixed_monthly + running + book * hardware.cost_of_capital / MONTHS_PER_YEAR)

    cumulative = [one_time[0].total if 0 in one_time else 0.0]
    for t in range(1, horizon + 1):
        paid = one_time[t].total if t in one_time else 0.0
        cumulative.append(cumulative[-1] + monthly[t - 1] + paid)
    residual = 0.0
    owned = 0
    if hardware is not None:
        residual = sum(hardware.book_value(price, horizon - bought) * gpus for bought, price, gpus in lots)
        owned = sum(gpus for _, _, gpus in lots)
    return Plan(
        switch_month=k,
        months=horizon,
        monthly=tuple(monthly),
        on_api=tuple(month <= k for month in range(1, horizon + 1)),
        one_time=tuple(one_time[t] for t in sorted(one_time)),
        cumulative=tuple(cumulative),
        residual_value_at_end=residual,
        gpus_owned_at_end=owned,
    )


def payback_month(plan: Plan, api_only: Plan) -> int | None:
    """First month after the switch at which the plan has spent no more than staying on the API."""
    if plan.switch_month >= plan.months:
        return None
    for t in range(max(plan.switch_month, 0) + 1, plan.months + 1):
        if plan.cumulative[t] <= api_only.cumulative[t] * (1 + 1e-12):
            return t
    return None


@dataclass(frozen=True)
class MonthComparison:
    month: int
    requests_per_month: float
    api_monthly: float
    self_hosted_monthly: float  # amortized, as in /breakeven


@dataclass(frozen=True)
class HorizonResult:
    inputs: HorizonInputs
    api_only: Plan
    self_hosted_from_start: Plan
    cheapest: Plan
    plans: tuple[Plan, ...]  # one per switch month 0..H
    comparison: tuple[MonthComparison, ...]
    crossover_month: int | None
    api_cheaper_again_from_month: int | None
    payback_month: int | None  # of self-hosting from the start (the purchase, when bought)


def solve_horizon(inputs: HorizonInputs) -> HorizonResult:
    figures = monthly_figures(inputs)
    plans = tuple(build_plan(inputs, k, figures) for k in range(inputs.months + 1))
    api_only, from_start = plans[-1], plans[0]
    # Ties go to the later switch: the same money for less commitment.
    cheapest = min(plans, key=lambda p: (_rounded(p.net_total), -p.switch_month))
    comparison = tuple(
        MonthComparison(m, inputs.volume(m), inputs.api_monthly(m), inputs.self_hosted_amortized_monthly(m))
        for m in range(1, inputs.months + 1)
    )
    crossover = next((c.month for c in comparison if c.self_hosted_monthly < c.api_monthly), None)
    again = None
    if crossover is not None:
        again = next(
            (c.month for c in comparison if c.month > crossover and c.self_hosted_monthly >= c.api_monthly), None
        )
    return HorizonResult(
        inputs=inputs,
        api_only=api_only,
        self_hosted_from_start=from_start,
        cheapest=cheapest,
        plans=plans,
        comparison=comparison,
        crossover_month=crossover,
        api_cheaper_again_from_month=again,
        payback_month=payback_month(from_start, api_only),
    )


def _rounded(value: float) -> float:
    """Totals equal to a cent's fraction are ties (float sums of the same costs in another order)."""
    return round(value, 6) if math.isfinite(value) else value
