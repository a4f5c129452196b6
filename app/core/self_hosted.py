"""Self-hosting cost: whole replicas of a model on rented or bought GPUs, billed as whole instances, plus fixed costs.

Replicas needed at V requests/month (Q = requests one replica carries a month):
    n(V) = max(min_replicas, ceil(V × peak_to_average / (capacity × 730 h × 3600 s × utilization))) + redundancy
         = max(m, ceil(V / Q)) + r

Instances as sold (issue 14). An offer sells GPUs in instances of I = `gpus_per_instance` (1 = sold per
GPU, any count; AWS p5, Azure ND96isr, GCP a3-highgpu-8g, OCI BM.*.8 and CoreWeave HGX sell 8; a bought
8-GPU server is an 8-GPU unit, a PCIe card a 1-GPU unit). With g = gpu_count GPUs per replica:
- g ≤ I: k = I // g replicas are packed onto one instance; instances(n) = ceil(n / k), and
  instances·I − n·g GPUs sit idle. The billing unit is one instance holding k replicas.
- g > I: each replica takes m = ceil(g / I) whole instances (k = 1, the unit is m instances), leaving
  m·I − g GPUs idle per replica. With I > 1 a replica then spans instances: tensor parallelism across
  instances needs a fast network (InfiniBand / RoCE), which is not modelled (see `spans_instances_note`).
- I = 1: per GPU, exactly as before instances were modelled.
Spare replicas (redundancy) may share an instance with loaded ones.

Monthly cost = fixed + units(V) × unit cost, units(V) = ceil(n(V) / k), unit cost = GPUs per unit × per-GPU
monthly cost (rent and buy alike). Since ceil((max(m, ceil(V/Q)) + r) / k) = max(ceil((m + r)/k),
ceil((V/Q + r)/k)), the cost is a step function of V with steps of width k·Q offset by r·Q: the steps
are at instance boundaries, not replica boundaries. Unit u carries volumes up to (u·k − r)·Q.
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
    """Monthly cost as a step function of volume V (requests/month), billed in whole units:
    fixed + per_unit × ceil((max(min_replicas, ceil(V / requests_per_replica)) + redundancy) / replicas_per_unit).

    A unit is what the offer sells that holds `replicas_per_unit` replicas (one instance), or one replica
    spanning several instances (replicas_per_unit = 1). Sold per GPU, a unit is one replica's GPUs."""

    fixed_monthly: float
    per_unit_monthly: float
    requests_per_replica: float  # effective monthly capacity of one replica (after utilization, peak)
    min_replicas: int = 1
    redundancy: int = 0
    replicas_per_unit: int = 1

    def __post_init__(self) -> None:
        if self.replicas_per_unit < 1:
            raise DomainError("replicas_per_unit must be at least 1", field=("gpus_per_instance",))

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

    def units_at_replicas(self, replicas_for_load: int) -> int:
        """Billing units holding these loaded replicas and the spares: ceil((n + r) / k)."""
        return -(-(replicas_for_load + self.redundancy) // self.replicas_per_unit)

    def units(self, requests_per_month: float) -> int:
        return self.units_at_replicas(self.replicas_for_load(requests_per_month))

    def units_just_above(self, requests_per_month: float) -> int:
        """Units for any load a little above V (the next unit when V is a unit boundary)."""
        return self.units_at_replicas(self.replicas_for_load_just_above(requests_per_month))

    @property
    def first_unit(self) -> int:
        """Units at the smallest positive volume (at least one loaded replica)."""
        return self.units_at_replicas(max(self.min_replicas, 1))

    def volume_carried_by_units(self, units: int) -> float:
        """The largest volume `units` units carry: (u·k − r)·Q (their loaded replicas at full load)."""
        return (units * self.replicas_per_unit - self.redundancy) * self.requests_per_replica

    def cost_at_units(self, units: int) -> float:
        return self.fixed_monthly + self.per_unit_monthly * units

    def cost_at_replicas(self, replicas_for_load: int) -> float:
        return self.cost_at_units(self.units_at_replicas(replicas_for_load))

    def replicas(self, requests_per_month: float) -> int:
        """Replicas running at V, spares included (what the results and "show the work" print)."""
        return self.replicas_for_load(requests_per_month) + self.redundancy

    def cost(self, requests_per_month: float) -> float:
        return self.cost_at_units(self.units(requests_per_month))

    @property
    def unit_cost_per_replica(self) -> float:
        """A replica's share of its unit when the unit is full: per_unit / k (idle GPUs included)."""
        return self.per_unit_monthly / self.replicas_per_unit

    @property
    def requests_per_unit(self) -> float:
        return self.requests_per_replica * self.replicas_per_unit

    @property
    def marginal_cost_per_request(self) -> float:
        """Cost per request of the load a whole unit adds: per_unit / (k·Q)."""
        return self.per_unit_monthly / self.requests_per_unit


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
    # GPUs in the smallest unit the offer sells (1 = sold per GPU, any count): see the module docstring.
    gpus_per_instance: int = 1

    def __post_init__(self) -> None:
        checks: list[tuple[bool, str, str]] = [
            (self.gpu_count >= 1, "gpu_count", "must be at least 1"),
            (self.gpus_per_instance >= 1, "gpus_per_instance", "must be at least 1"),
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
        """The replica's own GPUs at the per-GPU price (idle GPUs of its instance not included)."""
        return self.gpu_count * self.pricing.monthly_cost_per_gpu()

    @property
    def replicas_per_unit(self) -> int:
        """k: replicas packed onto one instance (g ≤ I), else 1 (a replica takes whole instances)."""
        if self.gpu_count <= self.gpus_per_instance:
            return self.gpus_per_instance // self.gpu_count
        return 1

    @property
    def instances_per_unit(self) -> int:
        """Instances in one billing unit: 1 when replicas share an instance, else m = ceil(g / I)."""
        return -(-self.gpu_count // self.gpus_per_instance)

    @property
    def gpus_per_unit(self) -> int:
        return self.instances_per_unit * self.gpus_per_instance

    @property
    def unit_monthly_cost(self) -> float:
        """One billing unit: every GPU of its instances, at the per-GPU monthly cost (rent or buy)."""
        return self.gpus_per_unit * self.pricing.monthly_cost_per_gpu()

    @property
    def spans_instances(self) -> bool:
        """A replica needs GPUs of more than one instance (tensor parallelism across instances)."""
        return self.gpus_per_instance > 1 and self.gpu_count > self.gpus_per_instance

    @property
    def spans_instances_note(self) -> str | None:
        if not self.spans_instances:
            return None
        return (
            f"each replica of {self.gpu_count} GPUs spans {self.instances_per_unit} instances of "
            f"{self.gpus_per_instance} GPUs: tensor parallelism across instances needs a fast network "
            "(InfiniBand or RoCE), whose speed is not modelled"
        )

    def instances_at_replicas(self, replicas: int) -> int:
        """Instances billed for `replicas` replicas (spares included): ceil(n / k) units of m instances."""
        return -(-replicas // self.replicas_per_unit) * self.instances_per_unit

    def gpus_billed_at_replicas(self, replicas: int) -> int:
        return self.instances_at_replicas(replicas) * self.gpus_per_instance

    def idle_gpus_at_replicas(self, replicas: int) -> int:
        """GPUs paid for that no replica uses: instances·I − n·g."""
        return self.gpus_billed_at_replicas(replicas) - replicas * self.gpu_count

    @property
    def fixed_monthly_cost(self) -> float:
        return self.ops_fte * self.ops_usd_per_fte_year / MONTHS_PER_YEAR + self.platform_usd_per_month

    def requests_per_replica(self, peak_to_average: float) -> float:
        """Monthly requests one replica carries when sized for the peak at the target utilization."""
        return self.replica_requests_per_second * SECONDS_PER_MONTH * self.target_utilization / peak_to_average

    def cost_curve(self, peak_to_average: float) -> ReplicaStepCost:
        return ReplicaStepCost(
            fixed_monthly=self.fixed_monthly_cost,
            per_unit_monthly=self.unit_monthly_cost,
            requests_per_replica=self.requests_per_replica(peak_to_average),
            min_replicas=self.min_replicas,
            redundancy=self.redundancy,
            replicas_per_unit=self.replicas_per_unit,
        )
