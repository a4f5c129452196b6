"""The request documents of the views beyond one crossover (POST /api/v1/hybrid, /horizon,
/uncertainty, /factors): pydantic models whose validation errors are 422s naming the field."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from app.core import factors as factors_core
from app.core import horizon as horizon_core
from app.scenario.inputs import ApiOptionIn, DisplayText, SelfHostedOptionIn, StrictInput, WorkloadIn

RequirementList = Annotated[
    list[factors_core.RequirementId],
    Field(
        max_length=len(factors_core.REQUIREMENTS),
        description="Requirements the team marks (see GET /api/v1/factors/requirements).",
    ),
]


class OptionRefIn(StrictInput):
    name: DisplayText = Field(..., min_length=1, max_length=100)
    kind: factors_core.OptionKind


class FactorsIn(StrictInput):
    requirements: RequirementList
    options: list[OptionRefIn] | None = Field(
        None, max_length=32, description="Options to judge; default: one API, one self-hosted, one hybrid."
    )


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
