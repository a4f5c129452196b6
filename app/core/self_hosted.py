"""Self-hosting cost: whole replicas of a model on rented or bought GPUs, plus fixed costs.

Replicas needed at V requests/month:
    n(V) = max(min_replicas, ceil(V × peak_to_average / (capacity × 730 h × 3600 s × utilization))) + redundancy
Monthly cost = n(V) × replica cost + ops staff + platform. The cost is a step function of V.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Literal

from app.core.errors import DomainError
from app.core.units import HOURS_PER_MONTH, MONTHS_PER_YEAR, SECONDS_PER_MONTH

RentalTerm = Literal["on_demand", "spot", "reserved_1y", "reserved_3y"]
RENTAL_TERMS: tuple[RentalTerm, ...] = ("on_demand", "spot", "reserved_1y", "reserved_3y")

# V/Q can land a hair above a whole number through float rounding (1.0000000000000002 replicas);
# ceil would then buy a replica nobody needs. Quotients within this relative distance of an
# integer are taken as that integer.
_REPLICA_ROUNDING_TOLERANCE = 1e-9
# One request per 3e22 years. The input bounds (app.scenario) stay far above it: a measured 0.001
# tok/s with 1M-token replies is 1e-9 requests/s, and a 1 GFLOPS inline GPU prefilling 10M tokens
# through a 100,000B-parameter model ~5e-13. Below it the replicas for a load overflow a float
# (issue 12: a 500); the floor guards the core against callers without those bounds.
MIN_REPLICA_REQUESTS_PER_SECOND = 1e-30


@dataclass(frozen=True)
class RentPricing:
    per_gpu_hour: float
    term: RentalTerm = "on_demand"
    offer_id: str | None = None
    source: str = "entered by the user"
    as_of: str = ""

    def __post_init__(self) -> None:
        if not self.per_gpu_hour > 0:
            raise DomainError("per_gpu_hour must be greater than 0", field=("pricing", "per_gpu_hour"))

    def monthly_cost_per_gpu(self) -> float:
        return self.per_gpu_hour * HOURS_PER_MONTH

    def breakdown_per_gpu(self) -> dict[str, float]:
        return {"rental": self.monthly_cost_per_gpu()}


@dataclass(frozen=True)
class BuyPricing:
    """Purchased hardware, amortized. Figures are per GPU (a server's price divided by its GPUs)."""

    capex_per_gpu: float
    depreciation_years: float = 4.0
    residual_fraction: float = 0.0  # resale value at the end, as a share of capex
    cost_of_capital: float = 0.0  # annual rate; 0 gives straight-line depreciation
    watts_per_gpu: float = 700.0  # provisioned power per GPU, including its share of the server
    power_draw_fraction: float = 0.7  # average draw as a share of provisioned power
    pue: float = 1.3
    electricity_usd_per_kwh: float = 0.08
    colocation_usd_per_kw_month: float = 0.0  # per provisioned kW
    maintenance_fraction_per_year: float = 0.0  # support contracts and spares, share of capex
    offer_id: str | None = None
    source: str = "entered by the user"
    as_of: str = ""

    def __post_init__(self) -> None:
        checks: list[tuple[bool, str, str]] = [
            (self.capex_per_gpu > 0, "capex_per_gpu", "must be greater than 0"),
            (self.depreciation_years > 0, "depreciation_years", "must be greater than 0"),
            (0 <= self.residual_fraction < 1, "residual_fraction", "must be at least 0 and below 1"),
            (0 <= self.cost_of_capital <= 1, "cost_of_capital", "must be between 0 and 1 (an annual rate)"),
            (self.watts_per_gpu >= 0, "watts_per_gpu", "must be 0 or more"),
            (0 <= self.power_draw_fraction <= 1, "power_draw_fraction", "must be between 0 and 1"),
            (self.pue >= 1, "pue", "must be at least 1"),
            (self.electricity_usd_per_kwh >= 0, "electricity_usd_per_kwh", "must be 0 or more"),
            (self.colocation_usd_per_kw_month >= 0, "colocation_usd_per_kw_month", "must be 0 or more"),
            (self.maintenance_fraction_per_year >= 0, "maintenance_fraction_per_year", "must be 0 or more"),
        ]
        for ok, name, rule in checks:
            if not ok:
                raise DomainError(f"{name} {rule}", field=("pricing", name))

    @property
    def months(self) -> float:
        return self.depreciation_years * MONTHS_PER_YEAR

    def capital_recovery_per_gpu(self) -> float:
        """Level monthly payment that repays capex net of the residual's present value."""
        monthly_rate = self.cost_of_capital / MONTHS_PER_YEAR
        residual = self.capex_per_gpu * self.residual_fraction
        # 1 − (1 + i)^−n, computed without cancellation: a tiny rate (1e-17) must tend to
        # straight-line, not divide by a 1 − 1.0 that rounded to zero.
        growth = math.log1p(monthly_rate) * self.months
        annuity_denominator = -math.expm1(-growth)
        if monthly_rate == 0 or annuity_denominator <= 0:
            return (self.capex_per_gpu - residual) / self.months
        discount = math.exp(-growth)
        return (self.capex_per_gpu - residual * discount) * monthly_rate / annuity_denominator

    def power_per_gpu(self) -> float:
        kwh = self.watts_per_gpu * self.power_draw_fraction * self.pue * HOURS_PER_MONTH / 1000
        return kwh * self.electricity_usd_per_kwh

    def colocation_per_gpu(self) -> float:
        return self.watts_per_gpu / 1000 * self.colocation_usd_per_kw_month

    def maintenance_per_gpu(self) -> float:
        return self.capex_per_gpu * self.maintenance_fraction_per_year / MONTHS_PER_YEAR

    def breakdown_per_gpu(self) -> dict[str, float]:
        return {
            "capital": self.capital_recovery_per_gpu(),
            "power": self.power_per_gpu(),
            "colocation": self.colocation_per_gpu(),
            "maintenance": self.maintenance_per_gpu(),
        }

    def monthly_cost_per_gpu(self) -> float:
        return sum(self.breakdown_per_gpu().values())


Pricing = RentPricing | BuyPricing


@dataclass(frozen=True)
class ReplicaStepCost:
    """Monthly cost as a step function of volume V (requests/month):
    fixed + per_replica × (max(min_replicas, ceil(V / requests_per_replica)) + redundancy)."""

    fixed_monthly: float
    per_replica_monthly: float
    requests_per_replica: float  # effective monthly capacity of one replica (after utilization, peak)
    min_replicas: int = 1
    redundancy: int = 0

    def _load_quotient(self, requests_per_month: float) -> float:
        quotient = requests_per_month / self.requests_per_replica
        nearest = round(quotient)
        if nearest > 0 and abs(quotient - nearest) <= _REPLICA_ROUNDING_TOLERANCE * nearest:
            return nearest
        return quotient

    def replicas_for_load(self, requests_per_month: float) -> int:
        """Replicas that carry the load, before redundancy: max(min_replicas, ceil(V / Q))."""
        if requests_per_month <= 0:
            return self.min_replicas
        return max(self.min_replicas, math.ceil(self._load_quotient(requests_per_month)))

    def replicas_for_load_just_above(self, requests_per_month: float) -> int:
        """Replicas for any load a little above V: the next step when V is a step boundary n·Q."""
        return max(self.min_replicas, math.floor(self._load_quotient(max(requests_per_month, 0.0))) + 1)

    def cost_at_replicas(self, replicas_for_load: int) -> float:
        return self.fixed_monthly + self.per_replica_monthly * (replicas_for_load + self.redundancy)

    def replicas(self, requests_per_month: float) -> int:
        return self.replicas_for_load(requests_per_month) + self.redundancy

    def cost(self, requests_per_month: float) -> float:
        return self.cost_at_replicas(self.replicas_for_load(requests_per_month))

    @property
    def marginal_cost_per_request(self) -> float:
        return self.per_replica_monthly / self.requests_per_replica


@dataclass(frozen=True)
class SelfHostedOption:
    name: str
    gpu_count: int  # GPUs per replica
    pricing: Pricing
    # Sustained serving capacity of one replica at the workload's token mix.
    replica_requests_per_second: float
    capacity_source: Literal["measured", "estimated"] = "measured"
    target_utilization: float = 0.8
    min_replicas: int = 1
    redundancy: int = 0  # N+k: spare replicas on top of what the load needs
    ops_fte: float = 0.0
    ops_usd_per_fte_year: float = 0.0
    platform_usd_per_month: float = 0.0
    notes: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        checks: list[tuple[bool, str, str]] = [
            (self.gpu_count >= 1, "gpu_count", "must be at least 1"),
            (
                self.replica_requests_per_second > 0,
                "output_tokens_per_second",
                "must give a positive capacity",
            ),
            (
                MIN_REPLICA_REQUESTS_PER_SECOND <= self.replica_requests_per_second < math.inf,
                "output_tokens_per_second",
                f"(measured, or estimated from the model and GPU) gives {self.replica_requests_per_second:.3g} "
                f"requests/s per replica; it must be finite and at least {MIN_REPLICA_REQUESTS_PER_SECOND:g} to "
                "count replicas: check the throughput and the GPU's and model's figures",
            ),
            (0 < self.target_utilization <= 1, "target_utilization", "must be greater than 0 and at most 1"),
            (self.min_replicas >= 0, "min_replicas", "must be 0 or more"),
            (self.redundancy >= 0, "redundancy", "must be 0 or more"),
            (self.ops_fte >= 0, "ops_fte", "must be 0 or more"),
            (self.ops_usd_per_fte_year >= 0, "ops_usd_per_fte_year", "must be 0 or more"),
            (self.platform_usd_per_month >= 0, "platform_usd_per_month", "must be 0 or more"),
        ]
        for ok, name, rule in checks:
            if not ok:
                raise DomainError(f"{name} {rule}", field=(name,))

    @property
    def replica_monthly_cost(self) -> float:
        return self.gpu_count * self.pricing.monthly_cost_per_gpu()

    @property
    def fixed_monthly_cost(self) -> float:
        return self.ops_fte * self.ops_usd_per_fte_year / MONTHS_PER_YEAR + self.platform_usd_per_month

    def requests_per_replica(self, peak_to_average: float) -> float:
        """Monthly requests one replica carries when sized for the peak at the target utilization."""
        return self.replica_requests_per_second * SECONDS_PER_MONTH * self.target_utilization / peak_to_average

    def cost_curve(self, peak_to_average: float) -> ReplicaStepCost:
        return ReplicaStepCost(
            fixed_monthly=self.fixed_monthly_cost,
            per_replica_monthly=self.replica_monthly_cost,
            requests_per_replica=self.requests_per_replica(peak_to_average),
            min_replicas=self.min_replicas,
            redundancy=self.redundancy,
        )
