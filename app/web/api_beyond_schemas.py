"""Response documents of the beyond-crossover endpoints, for the OpenAPI schema only.

The routes answer with app/render/beyond_json.py's bodies (FiniteJSONResponse, never re-serialised
through these models); each route declares its model in `responses={200: ...}` so /docs shows the
shape and the schemathesis suite checks every answer against it. Nested documents with their own
owners (the break-even `scenario`, a throughput `estimate`, `formulas`) are left open objects.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel

from app.core.factors import FactorId, Favours, OptionKind, RequirementId, Strength

JsonObject = dict[str, Any]


class ResponseBody(BaseModel):
    # Extra keys are forbidden: a renderer that gains a key fails the fuzz suite until its model names it.
    model_config = ConfigDict(extra="forbid")


class Conventions(ResponseBody):
    currency: str
    hours_per_month: float
    price_unit: str


class ApiSummaryOut(ResponseBody):
    name: str
    cost_per_request: float
    cost_per_mtok: float
    input_per_mtok: float
    output_per_mtok: float
    price_source: str
    price_as_of: str


class SelfHostedSummaryOut(ResponseBody):
    name: str
    gpu_count_per_replica: int
    replica_monthly_cost: float
    fixed_monthly_cost: float
    replica_requests_per_second: float
    target_utilization: float
    output_tokens_per_second: float
    capacity_source: Literal["measured", "estimated"]
    pricing_label: str
    pricing_source: str
    min_replicas: int
    redundancy: int


class WorkloadSummaryOut(ResponseBody):
    requests_per_month: float
    tokens_per_month: float
    input_tokens: float
    output_tokens: float
    tokens_per_request: float


# ---------------------------------------------------------------------------------------------
# Factors


class FactorOut(ResponseBody):
    id: FactorId
    label: str


class RequirementOut(ResponseBody):
    id: RequirementId
    factor: FactorId
    label: str
    favours: Favours
    strength: Strength
    reason: str
    caveat: str
    hybrid: str
    factor_label: str


class RequirementsCatalogOut(ResponseBody):
    """GET /api/v1/factors/requirements."""

    factors: list[FactorOut]
    requirements: list[RequirementOut]
    count: int
    note: str


class OptionRefOut(ResponseBody):
    name: str
    kind: OptionKind


class RequirementVerdictOut(RequirementOut):
    favoured_options: list[str]
    other_options: list[str]
    ruled_out_options: list[str]


class FactorsOut(ResponseBody):
    """POST /api/v1/factors, and `beyond_cost` of the other views."""

    options: list[OptionRefOut]
    requirements: list[RequirementVerdictOut]
    ruled_out_options: list[str]
    requirements_favouring: dict[str, list[str]]
    note: str


# ---------------------------------------------------------------------------------------------
# Hybrid


class SidesOut(ResponseBody):
    self_hosted: float
    api: float


class OverflowHourOut(ResponseBody):
    hour: int
    requests_per_second: float
    self_hosted_requests_per_second: float
    api_requests_per_second: float


class OverflowPointOut(ResponseBody):
    replicas: int
    replicas_with_redundancy: int
    gpus: int
    monthly_cost: float
    self_hosted_monthly_cost: float
    api_monthly_cost: float
    requests_per_month: SidesOut
    tokens_per_month: SidesOut
    share_of_requests: SidesOut
    share_of_tokens: SidesOut
    hours_overflowing_per_day: int


class OverflowBestOut(OverflowPointOut):
    hourly: list[OverflowHourOut]


class HourlyProfileOut(ResponseBody):
    weights_mean_1: list[float]
    requests_per_second: list[float]
    peak_to_average: float


class ReplicaCurvePointOut(ResponseBody):
    replicas: int
    monthly_cost: float
    self_hosted_monthly_cost: float
    api_monthly_cost: float
    api_share_of_requests: float


HybridPlanOut = Literal["all_api", "all_self_hosted", "hybrid"]


class HybridOverflowOut(ResponseBody):
    kind: Literal["hybrid"]
    mode: Literal["overflow"]
    name: str
    api: ApiSummaryOut
    self_hosted: SelfHostedSummaryOut
    workload: WorkloadSummaryOut
    hourly_profile: HourlyProfileOut
    replica_requests_per_second_at_target_utilization: float
    best: OverflowBestOut
    all_api: OverflowPointOut
    all_self_hosted: OverflowPointOut
    cheapest: HybridPlanOut
    savings_vs_all_api_usd_per_month: float
    savings_vs_all_self_hosted_usd_per_month: float
    replica_curve: list[ReplicaCurvePointOut]
    explanation: str
    formulas: dict[str, str]
    notes: list[str]
    scenario: JsonObject = Field(description="The pair as POST /api/v1/breakeven answers it.")
    beyond_cost: FactorsOut | None
    conventions: Conventions


class RoutedSideOut(ResponseBody):
    requests_per_month: float
    tokens_per_month: float
    input_tokens: float
    output_tokens: float
    monthly_cost: float
    share_of_requests: float
    share_of_tokens: float


class RoutedSelfHostedOut(RoutedSideOut):
    name: str
    replicas: int | None
    gpus: int
    replica_monthly_cost: float
    fixed_monthly_cost: float
    requests_per_replica_per_month: float
    output_tokens_per_second: float
    capacity_source: Literal["measured", "estimated"]
    estimate: JsonObject | None = Field(description="The throughput estimate, as POST /api/v1/throughput answers.")
    pricing_label: str


class RoutedApiOut(RoutedSideOut):
    name: str
    cost_per_request: float
    price_source: str
    price_as_of: str


class AllApiOut(ResponseBody):
    monthly_cost: float
    note: str


class AllSelfHostedOut(ResponseBody):
    monthly_cost: float
    replicas: int
    note: str


class ShareCurvePointOut(ResponseBody):
    self_hosted_share_of_requests: float
    monthly_cost: float


class HybridRoutedOut(ResponseBody):
    kind: Literal["hybrid"]
    mode: Literal["routed"]
    name: str
    self_hosted_share_of_requests: float
    workload: WorkloadSummaryOut
    self_hosted: RoutedSelfHostedOut
    api: RoutedApiOut
    monthly_cost: float
    all_api: AllApiOut
    all_self_hosted: AllSelfHostedOut
    cheapest: HybridPlanOut
    share_curve: list[ShareCurvePointOut]
    explanation: str
    formulas: dict[str, str]
    beyond_cost: FactorsOut | None
    conventions: Conventions


class HybridOut(RootModel[Annotated[HybridOverflowOut | HybridRoutedOut, Field(discriminator="mode")]]):
    """POST /api/v1/hybrid: the overflow or the routed answer, by `mode`."""


# ---------------------------------------------------------------------------------------------
# Horizon


class HorizonSelfHostedOut(SelfHostedSummaryOut):
    hardware: Literal["bought", "rented"]


class HorizonAssumptionsOut(ResponseBody):
    requests_per_month_at_month_1: float
    monthly_growth: float
    api_price_change_per_year: float
    gpu_price_change_per_year: float
    migration_engineering_weeks: float
    migration_usd_per_engineer_week: float
    migration_cost_usd: float
    depreciation_months: float | None
    residual_fraction: float | None


class PriceChangeAlternativesOut(ResponseBody):
    epoch_ai_slowest_milestone: float
    default: float
    no_change: float


class HorizonSourcesOut(ResponseBody):
    api_price_change_per_year: str
    api_price_change_alternatives: PriceChangeAlternativesOut
    gpu_price_change_per_year: str
    migration_usd_per_engineer_week: str
    migration_engineering_weeks: str


class MonthComparisonOut(ResponseBody):
    month: int
    requests_per_month: float
    tokens_per_month: float
    api_monthly_usd: float
    self_hosted_monthly_usd: float


class OneTimeCostOut(ResponseBody):
    at_month: int
    migration_usd: float
    hardware_usd: float
    total_usd: float


class PlanOut(ResponseBody):
    label: str
    switch_month: int
    months_on_api: int
    cumulative_usd: list[float]
    monthly_usd: list[float]
    on_api_by_month: list[bool]
    one_time_costs: list[OneTimeCostOut]
    total_spend_usd: float
    residual_value_at_end_usd: float
    net_total_usd: float
    gpus_owned_at_end: int
    payback_month: int | None
    saving_vs_api_only_usd: float


class PlansOut(ResponseBody):
    api_only: PlanOut
    self_hosted_from_start: PlanOut
    cheapest: PlanOut
    yours: PlanOut | None


class NetTotalOut(ResponseBody):
    switch_month: int
    label: str
    net_total_usd: float


class HorizonOut(ResponseBody):
    """POST /api/v1/horizon."""

    months: int
    api: ApiSummaryOut
    self_hosted: HorizonSelfHostedOut
    assumptions: HorizonAssumptionsOut
    sources: HorizonSourcesOut
    monthly_comparison: list[MonthComparisonOut]
    crossover_month: int | None
    api_cheaper_again_from_month: int | None
    payback_month: int | None
    payback_of: str
    plans: PlansOut
    net_total_by_switch_month: list[NetTotalOut]
    cheapest_plan: str
    explanation: str
    notes: list[str]
    formulas: dict[str, str]
    scenario: JsonObject = Field(description="The pair as POST /api/v1/breakeven answers it.")
    beyond_cost: FactorsOut | None
    conventions: Conventions


# ---------------------------------------------------------------------------------------------
# Uncertainty


class UncertaintyBaseOut(ResponseBody):
    stays_cheaper_above_requests_per_month: float | None
    stays_cheaper_above_tokens_per_month: float | None
    first_crossover_requests_per_month: float | None
    api_monthly_cost: float
    self_hosted_monthly_cost: float


class UncertainInputOut(ResponseBody):
    id: str
    label: str
    acts_on: Literal["api_cost_per_request", "replica_monthly_cost", "requests_per_replica", "fixed_monthly_cost"]
    low_factor: float
    high_factor: float
    source: str


class TornadoBarOut(ResponseBody):
    input: str
    label: str
    low_factor: float
    high_factor: float
    break_even_at_low_requests_per_month: float | None
    break_even_at_high_requests_per_month: float | None
    break_even_at_low_tokens_per_month: float | None
    break_even_at_high_tokens_per_month: float | None
    never_at_low: bool
    never_at_high: bool
    swing_requests_per_month: float | None
    first_crossover_at_low_requests_per_month: float | None
    first_crossover_at_high_requests_per_month: float | None
    self_hosted_minus_api_monthly_usd_at_low: float
    self_hosted_minus_api_monthly_usd_at_high: float


class TornadoOut(ResponseBody):
    metric: str
    note: str
    bars: list[TornadoBarOut]


class PercentilesOut(ResponseBody):
    p10: float | None
    p50: float | None
    p90: float | None
    share_of_draws_never: float


class MonteCarloOut(ResponseBody):
    draws: int
    seed: int
    distribution: str
    break_even_requests_per_month: PercentilesOut
    break_even_tokens_per_month: PercentilesOut
    first_crossover_requests_per_month: PercentilesOut
    at_volume_requests_per_month: float
    api_monthly_usd: PercentilesOut
    self_hosted_monthly_usd: PercentilesOut
    self_hosted_minus_api_monthly_usd: PercentilesOut
    probability_self_hosted_cheaper: float


class UncertaintyOut(ResponseBody):
    """POST /api/v1/uncertainty."""

    api: ApiSummaryOut
    self_hosted: SelfHostedSummaryOut
    workload: WorkloadSummaryOut
    base: UncertaintyBaseOut
    inputs: list[UncertainInputOut]
    tornado: TornadoOut
    monte_carlo: MonteCarloOut
    explanation: str
    formulas: dict[str, str]
    scenario: JsonObject = Field(description="The pair as POST /api/v1/breakeven answers it.")
    beyond_cost: FactorsOut | None
    conventions: Conventions


# ---------------------------------------------------------------------------------------------
# Usage import


class UsageFormatOut(ResponseBody):
    id: str
    title: str
    columns: dict[str, list[str]]
    required: list[list[str]]


class UsageFormatsOut(ResponseBody):
    """GET /api/v1/usage-import/formats."""

    formats: list[UsageFormatOut]
    column_matching: str
    timestamps: str
    max_upload_bytes_default: int


class UsageRowsOut(ResponseBody):
    total: int
    used: int
    rejected: int
    blank_lines: int


class RejectedRowOut(ResponseBody):
    line: int
    reason: str
    text: str


class UsagePeriodOut(ResponseBody):
    first: str
    last: str
    hours: float
    months: float


class UsagePerMonthOut(ResponseBody):
    requests_per_month: float | None
    tokens_per_month: float
    input_tokens_per_month: float
    output_tokens_per_month: float


class UsageSummaryOut(ResponseBody):
    """POST /api/v1/usage-import."""

    format: str
    format_title: str
    columns_used: dict[str, list[str]]
    rows: UsageRowsOut
    rejected_by_reason: dict[str, int]
    rejected_examples: list[RejectedRowOut]
    period: UsagePeriodOut
    totals: dict[str, float]
    per_month: UsagePerMonthOut
    requests_known: bool
    input_tokens_per_request: float | None
    output_tokens_per_request: float | None
    cached_input_fraction: float
    cache_write_fraction: float
    batchable_fraction: float
    hourly_profile: list[float] | None
    hourly_profile_timezone: str
    peak_to_average: float | None
    models: dict[str, float]
    workload: JsonObject | None = Field(description="Ready to POST as a scenario's workload, when complete.")
    notes: list[str]
    formulas: dict[str, str]
