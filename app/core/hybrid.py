"""Hybrid serving: a self-hosted model and a per-token API sharing one workload.

Two ways to split the traffic:

- **Routed share.** A fixed share s of the requests (the routine ones) goes to the self-hosted model,
  the rest (the hard ones) to the API, each side with its own token mix. Cost = S(s·V) + a·(1 − s)·V,
  where S is the self-hosted step cost at the routine mix and a the API cost per hard request.
- **Overflow.** n always-on replicas carry the base load; in each hour of a 24-hour profile whatever
  exceeds their capacity goes to the API. With λ_h the hour's request rate and μ one replica's rate
  at the target utilization, the API serves Σ_h max(0, λ_h − n·μ) × (seconds per month / 24)
  requests a month, and cost(n) = F + c·ceil((n + r)/k) + a·overflow(n) for n ≥ 1 (c per billing
  unit of k replicas, app/core/self_hosted.py; cost(0) = a·V: no self-hosting, no fixed costs).
  Within a unit count u more replicas only take overflow off the API, so the best n for u is the
  fullest, n = u·k − r (capped at the peak's replicas, beyond which nothing overflows), and
  cost(u) = F + c·u + a·overflow(u·k − r) is convex and piecewise linear in u with kinks at
  (λ_h/μ + r)/k: the best whole u is next to a kink or at an end of the range, 25–50 candidates,
  exact. Sold per GPU (k = 1) the candidates are the replica counts next to each λ_h/μ.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from app.core.errors import DomainError
from app.core.self_hosted import ReplicaStepCost
from app.core.units import SECONDS_PER_MONTH

HOURS_PER_DAY = 24
SECONDS_PER_HOUR_OF_DAY_PER_MONTH = SECONDS_PER_MONTH / HOURS_PER_DAY  # one hour of the day, every day of a month
# The full replica-count curve is listed up to this many replicas; beyond, an even sample of it.
MAX_CURVE_POINTS = 121

OVERFLOW_FORMULAS = {
    "hourly_rate": "λ_h = requests_per_month / (730 × 3600) × w_h, with the profile w scaled to a mean of 1",
    "replica_rate": "μ = replica requests/s × target_utilization",
    "overflow_requests_per_month": "Σ_h max(0, λ_h − n·μ) × 730 × 3600 / 24",
    "monthly_cost": (
        "fixed + per_unit × ceil((n + redundancy) / replicas_per_unit) + api_cost_per_request × overflow  "
        "(n = 0: api × volume)"
    ),
    "optimum": (
        "the fullest n = u × replicas_per_unit − redundancy for each unit count u; cost(u) is convex with kinks "
        "at (λ_h/μ + redundancy) / replicas_per_unit: the best whole u is next to a kink or an end"
    ),
}

ROUTED_FORMULAS = {
    "self_hosted_requests_per_month": "share × requests_per_month",
    "api_requests_per_month": "(1 − share) × requests_per_month",
    "monthly_cost": "self_hosted_step_cost(share × V) + api_cost_per_hard_request × (1 − share) × V",
}


def normalize_profile(weights: Sequence[float]) -> tuple[float, ...]:
    """The 24 hourly weights scaled to a mean of 1 (so the peak weight is the peak-to-average ratio)."""
    if len(weights) != HOURS_PER_DAY:
        raise DomainError(
            f"hourly_profile needs 24 values (one per hour), got {len(weights)}", field=("hourly_profile",)
        )
    for hour, weight in enumerate(weights):
        if not (math.isfinite(weight) and weight >= 0):
            raise DomainError(f"hourly_profile values must be 0 or more (hour {hour})", field=("hourly_profile", hour))
    total = math.fsum(weights)
    if total <= 0:
        raise DomainError("hourly_profile must have some traffic: all 24 values are 0", field=("hourly_profile",))
    return tuple(HOURS_PER_DAY * w / total for w in weights)


@dataclass(frozen=True)
class OverflowInputs:
    requests_per_month: float
    profile: tuple[float, ...]  # 24 weights with a mean of 1 (see normalize_profile)
    api_cost_per_request: float
    replica_requests_per_second: float  # μ: one replica at the target utilization
    per_unit_monthly: float  # one billing unit (= one replica's GPUs when sold per GPU)
    fixed_monthly: float
    min_replicas: int = 1
    redundancy: int = 0
    replicas_per_unit: int = 1  # k: replicas packed onto one instance

    def __post_init__(self) -> None:
        if len(self.profile) != HOURS_PER_DAY:
            raise DomainError("hourly_profile needs 24 values", field=("hourly_profile",))
        if not self.replica_requests_per_second > 0:
            raise DomainError("replica capacity must be greater than 0", field=("self_hosted",))

    @property
    def hourly_requests_per_second(self) -> tuple[float, ...]:
        average = self.requests_per_month / SECONDS_PER_MONTH
        return tuple(average * w for w in self.profile)

    @property
    def peak_to_average(self) -> float:
        return max(self.profile)

    def all_self_hosted_curve(self) -> ReplicaStepCost:
        """The plain self-hosted option sized for the profile's peak hour (what /breakeven computes)."""
        return ReplicaStepCost(
            fixed_monthly=self.fixed_monthly,
            per_unit_monthly=self.per_unit_monthly,
            requests_per_replica=self.replica_requests_per_second * SECONDS_PER_MONTH / self.peak_to_average,
            min_replicas=self.min_replicas,
            redundancy=self.redundancy,
            replicas_per_unit=self.replicas_per_unit,
        )

    @property
    def peak_replicas(self) -> int:
        """Replicas that carry the peak hour: beyond them more replicas only add cost."""
        return self.all_self_hosted_curve().replicas_for_load(self.requests_per_month)

    @property
    def lowest_replicas(self) -> int:
        """The fewest replicas a hybrid may run (0 replicas is the all-API plan)."""
        return min(max(self.min_replicas, 1), self.peak_replicas)


@dataclass(frozen=True)
class OverflowPoint:
    replicas: int  # replicas carrying load (before redundancy); 0 = all API
    self_hosted_requests_per_month: float
    api_requests_per_month: float
    self_hosted_monthly_cost: float  # fixed + replicas (incl. redundancy); 0 when replicas = 0
    api_monthly_cost: float
    hours_overflowing_per_day: int

    @property
    def monthly_cost(self) -> float:
        return self.self_hosted_monthly_cost + self.api_monthly_cost


def overflow_point(inputs: OverflowInputs, replicas: int) -> OverflowPoint:
    volume = inputs.requests_per_month
    if replicas <= 0:
        busy_hours = sum(1 for w in inputs.profile if w > 0)
        return OverflowPoint(0, 0.0, volume, 0.0, inputs.api_cost_per_request * volume, busy_hours)
    peak = inputs.peak_replicas
    capacity = replicas * inputs.replica_requests_per_second
    if replicas >= peak:
        # Sized for the peak hour: nothing overflows (also where float rounding leaves a hair above).
        overflow, hours = 0.0, 0
    else:
        excess = [max(0.0, rate - capacity) for rate in inputs.hourly_requests_per_second]
        overflow = min(volume, math.fsum(excess) * SECONDS_PER_HOUR_OF_DAY_PER_MONTH)
        hours = sum(1 for e in excess if e > 0)
    self_hosted = inputs.all_self_hosted_curve().cost_at_replicas(replicas)
    return OverflowPoint(
        replicas=replicas,
        self_hosted_requests_per_month=volume - overflow,
        api_requests_per_month=overflow,
        self_hosted_monthly_cost=self_hosted,
        api_monthly_cost=inputs.api_cost_per_request * overflow,
        hours_overflowing_per_day=hours,
    )


def overflow_candidates(inputs: OverflowInputs) -> list[int]:
    """Replica counts where the cost can be lowest: 0, the ends, and the fullest replica count of each
    unit count beside a kink (each replica count beside a kink when k = 1)."""
    low, high = inputs.lowest_replicas, inputs.peak_replicas
    k, r = inputs.replicas_per_unit, inputs.redundancy
    # The fewest units' fullest replica count is the low end of the convex cost in units.
    candidates = {0, low, high, min(-(-(low + r) // k) * k - r, high)}
    for rate in inputs.hourly_requests_per_second:
        kink = (rate / inputs.replica_requests_per_second + r) / k  # in units
        if kink <= high + r + 1:
            for units in (math.floor(kink), math.ceil(kink)):
                candidates.add(min(units * k - r, high))
    return sorted(n for n in candidates if n == 0 or low <= n <= high)


@dataclass(frozen=True)
class OverflowResult:
    inputs: OverflowInputs
    best: OverflowPoint
    all_api: OverflowPoint
    all_self_hosted: OverflowPoint
    curve: tuple[OverflowPoint, ...]  # cost by replica count, for a chart


def solve_overflow(inputs: OverflowInputs) -> OverflowResult:
    points = [overflow_point(inputs, n) for n in overflow_candidates(inputs)]
    # Ties go to fewer replicas: the same money with less hardware to run.
    best = min(points, key=lambda p: (p.monthly_cost, p.replicas))
    all_api = overflow_point(inputs, 0)
    all_self_hosted = overflow_point(inputs, inputs.peak_replicas)
    return OverflowResult(inputs, best, all_api, all_self_hosted, tuple(_curve(inputs, best.replicas)))


def _curve(inputs: OverflowInputs, best: int) -> list[OverflowPoint]:
    low, high = inputs.lowest_replicas, inputs.peak_replicas
    if high - low + 2 <= MAX_CURVE_POINTS:
        counts = {0, *range(low, high + 1)}
    else:
        step = (high - low) / (MAX_CURVE_POINTS - 3)
        counts = {0, low, high, best, *(low + round(i * step) for i in range(MAX_CURVE_POINTS - 2))}
    return [overflow_point(inputs, n) for n in sorted(c for c in counts if c == 0 or low <= c <= high)]


@dataclass(frozen=True)
class RoutedSide:
    requests_per_month: float
    tokens_per_month: float
    monthly_cost: float
    replicas: int | None = None  # self-hosted side only


@dataclass(frozen=True)
class RoutedResult:
    self_hosted_share: float  # of requests
    self_hosted: RoutedSide
    api: RoutedSide

    @property
    def monthly_cost(self) -> float:
        return self.self_hosted.monthly_cost + self.api.monthly_cost

    @property
    def self_hosted_token_share(self) -> float:
        total = self.self_hosted.tokens_per_month + self.api.tokens_per_month
        return self.self_hosted.tokens_per_month / total if total > 0 else 0.0


def routed_split(
    *,
    requests_per_month: float,
    self_hosted_share: float,
    self_hosted_curve: ReplicaStepCost,
    self_hosted_tokens_per_request: float,
    api_cost_per_request: float,
    api_tokens_per_request: float,
) -> RoutedResult:
    """Cost of sending `self_hosted_share` of the requests to the self-hosted model and the rest to the API.

    A share of 0 runs no replicas (and pays no fixed self-hosting costs)."""
    if not 0 <= self_hosted_share <= 1:
        raise DomainError("self_hosted_share must be between 0 and 1", field=("option", "self_hosted_share"))
    sh_requests = requests_per_month * self_hosted_share
    api_requests = requests_per_month - sh_requests
    if sh_requests > 0:
        replicas: int | None = self_hosted_curve.replicas(sh_requests)
        sh_cost = self_hosted_curve.cost(sh_requests)
    else:
        replicas, sh_cost = 0, 0.0
    return RoutedResult(
        self_hosted_share=self_hosted_share,
        self_hosted=RoutedSide(sh_requests, sh_requests * self_hosted_tokens_per_request, sh_cost, replicas),
        api=RoutedSide(api_requests, api_requests * api_tokens_per_request, api_requests * api_cost_per_request),
    )
