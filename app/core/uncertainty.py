"""How sure is the break-even? A sensitivity tornado and a vectorised Monte Carlo.

Every uncertain input moves one of the four numbers of the break-even (app/core/breakeven.py):
a (API cost per request), c (cost of one billing unit per month: a replica's GPUs when sold per GPU,
the instance its replicas share when sold as instances), Q (requests one replica carries per month)
and F (fixed monthly cost), as a factor on its entered value (k, the replicas per unit, is exact):

    throughput ×t, utilization ×u, peak-to-average ×p  →  Q' = Q × t × u / p
    GPU price ×g → c' = c × g;   API price ×k → a' = a × k;   ops cost ×o → F' = F × o

The break-even is monotone in each of a, c, Q, F (self-hosted cost is pointwise non-increasing in Q and
non-decreasing in c and F; the API line rises with a), so the tornado's low and high ends are the
break-evens at the ends of each range.

Monte Carlo draws each factor from a split triangular distribution: mode and median at 1 (the entered
value), extremes at the range's ends, sampled as 1 + Z·(high − 1) for Z > 0 and 1 + Z·(1 − low) for
Z ≤ 0, with Z triangular on [−1, 1]. Widening a range moves every draw of that factor further from 1
in the same direction, so with a fixed seed a wider range never narrows the factor's own band.
The break-even per draw is the closed form of solve_breakeven, vectorised over the draws.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt

from app.core.breakeven import LinearCost, solve_breakeven
from app.core.errors import DomainError
from app.core.self_hosted import ReplicaStepCost

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]
InputId = Literal["throughput", "gpu_price", "api_price", "utilization", "peak_to_average", "ops_cost"]
INPUT_IDS: tuple[InputId, ...] = ("throughput", "gpu_price", "api_price", "utilization", "peak_to_average", "ops_cost")
Target = Literal["a", "c", "Q", "F"]

# Same tolerance as ReplicaStepCost: V/Q within this relative distance of a whole number is that number.
_REPLICA_ROUNDING_TOLERANCE = 1e-9

FORMULAS = {
    "requests_per_replica": "Q' = Q × throughput × utilization / peak_to_average",
    "replica_cost": "c' = c × gpu_price",
    "api_cost_per_request": "a' = a × api_price",
    "fixed_monthly": "F' = F × ops_cost",
    "stays_cheaper_above": (
        "exists iff a'·k·Q' > c'; u₀ = ceil((max(m, 1) + r)/k); u* = smallest u > u₀ with "
        "u·(a'kQ' − c') ≥ F' + a'(k + r)Q'; V* = max(first crossover, min(((u* − 1)k − r)·Q', (F' + c'·(u* − 1)) / a'))"
    ),
    "first_crossover": (
        "u₁ = smallest u ≥ u₀ with u·(a'kQ' − c') > F' + a'·r·Q'; V₁ = max(lower(u₁), (F' + c'·u₁) / a'), "
        "lower(u) = ((u − 1)k − r)·Q' (0 at u₀)"
    ),
    "factor_distribution": (
        "split triangular: 1 + Z·(high − 1) if Z > 0 else 1 + Z·(1 − low), Z ~ Triangular(−1, 0, 1)"
    ),
}


@dataclass(frozen=True)
class FactorRange:
    low: float  # factor on the entered value, 0 < low ≤ 1
    high: float  # 1 ≤ high

    def __post_init__(self) -> None:
        if not (0 < self.low <= 1 <= self.high and math.isfinite(self.high)):
            raise DomainError("a range needs 0 < low ≤ 1 ≤ high", field=("ranges",))


# Default plausible ranges (factors on the entered value). Each is a documented choice, not a measurement
# of the user's situation: the request can override every one.
# A throughput the user measured: ±10% for run-to-run noise and a prompt mix that drifts from the benchmark
# (Breakeven's assumption). An estimated throughput uses the estimator's fitted error band instead.
MEASURED_THROUGHPUT_RANGE = FactorRange(0.9, 1.1)
# GPU prices: the SemiAnalysis H100 rental index moved from $1.70 (2025-10) to $2.35 (2026-03), a factor
# of 1.38 in five months; we allow that swing either way.
GPU_PRICE_RANGE = FactorRange(1 / 1.38, 1.38)
GPU_PRICE_SOURCE = "±38%: SemiAnalysis H100 rental index $1.70 (2025-10) → $2.35 (2026-03)"
# API prices: today's list price is known; the risk is a cut during the payback period. Low end: one year
# of the horizon view's default decline (−50%/yr, see app/core/horizon.py).
API_PRICE_RANGE = FactorRange(0.5, 1.0)
API_PRICE_SOURCE = "today's price down to one year of the default −50%/yr decline (Epoch AI; see the horizon view)"
# Utilization: fleets rarely hold their target (autoscaling lag, uneven load): ±25% (assumption), at most 100%.
UTILIZATION_RANGE = FactorRange(0.75, 1.25)
UTILIZATION_SOURCE = "±25% around the target, capped at 100% (Breakeven's assumption)"
# Peak-to-average: −20% to +50% (assumption; launches and incidents skew it upwards), at least 1.
PEAK_TO_AVERAGE_RANGE = FactorRange(0.8, 1.5)
PEAK_TO_AVERAGE_SOURCE = "−20% to +50%, at least 1 (Breakeven's assumption: peaks are more often underestimated)"

INPUT_LABELS: dict[InputId, str] = {
    "throughput": "Throughput per replica",
    "gpu_price": "GPU price (replica cost)",
    "api_price": "API price",
    "utilization": "Target utilization",
    "peak_to_average": "Peak-to-average ratio",
    "ops_cost": "Ops and platform cost",
}
INPUT_TARGETS: dict[InputId, Target] = {
    "throughput": "Q",
    "gpu_price": "c",
    "api_price": "a",
    "utilization": "Q",
    "peak_to_average": "Q",
    "ops_cost": "F",
}


@dataclass(frozen=True)
class UncertainInput:
    id: InputId
    label: str
    target: Target
    range: FactorRange
    source: str


def default_inputs(
    throughput: FactorRange,
    throughput_source: str,
    ops_cost: FactorRange,
    ops_cost_source: str,
    overrides: Mapping[InputId, FactorRange] | None = None,
) -> list[UncertainInput]:
    """The six inputs with their default ranges, any of them replaced by `overrides`."""
    defaults: dict[InputId, tuple[FactorRange, str]] = {
        "throughput": (throughput, throughput_source),
        "gpu_price": (GPU_PRICE_RANGE, GPU_PRICE_SOURCE),
        "api_price": (API_PRICE_RANGE, API_PRICE_SOURCE),
        "utilization": (UTILIZATION_RANGE, UTILIZATION_SOURCE),
        "peak_to_average": (PEAK_TO_AVERAGE_RANGE, PEAK_TO_AVERAGE_SOURCE),
        "ops_cost": (ops_cost, ops_cost_source),
    }
    inputs = []
    for input_id in INPUT_IDS:
        factor_range, source = defaults[input_id]
        if overrides and input_id in overrides:
            factor_range, source = overrides[input_id], "entered by the user"
        inputs.append(UncertainInput(input_id, INPUT_LABELS[input_id], INPUT_TARGETS[input_id], factor_range, source))
    return inputs


@dataclass(frozen=True)
class BreakevenParams:
    """The pair's numbers at the entered values (see breakeven.py's notation)."""

    api_cost_per_request: float  # a
    replica_monthly: float  # c: one billing unit (= one replica when sold per GPU)
    requests_per_replica: float  # Q
    fixed_monthly: float  # F
    min_replicas: int  # m
    redundancy: int  # r
    utilization: float  # target utilization behind Q (factors on it are clamped to at most 1)
    peak_to_average: float  # behind Q (factors on it are clamped to at least 1)
    replicas_per_unit: int = 1  # k: replicas packed onto one instance (1 when sold per GPU)

    def curve(self) -> ReplicaStepCost:
        return ReplicaStepCost(
            self.fixed_monthly,
            self.replica_monthly,
            self.requests_per_replica,
            self.min_replicas,
            self.redundancy,
            self.replicas_per_unit,
        )


def _clamped_factor(target_value: float, factor: FloatArray, lowest: float, highest: float) -> FloatArray:
    """Factor on an input after clamping the input itself into [lowest, highest]."""
    return np.clip(target_value * factor, lowest, highest) / target_value


def effective_factors(
    params: BreakevenParams, inputs: Sequence[UncertainInput], draws: Mapping[InputId, FloatArray], size: int
) -> dict[Target, FloatArray]:
    """Multipliers on a, c, Q, F from per-input factor draws (inputs missing from `draws` stay at 1)."""
    result: dict[Target, FloatArray] = {t: np.ones(size) for t in ("a", "c", "Q", "F")}
    for spec in inputs:
        factor = draws.get(spec.id)
        if factor is None:
            continue
        if spec.id == "utilization":
            result["Q"] = result["Q"] * _clamped_factor(params.utilization, factor, 1e-6, 1.0)
        elif spec.id == "peak_to_average":
            result["Q"] = result["Q"] / _clamped_factor(params.peak_to_average, factor, 1.0, math.inf)
        else:
            result[spec.target] = result[spec.target] * factor
    return result


@dataclass(frozen=True)
class VectorBreakeven:
    first_crossover: FloatArray  # +inf where self-hosting is never cheaper
    stays_cheaper_above: FloatArray  # +inf where it never stays cheaper


def breakeven_vectorised(
    a: FloatArray,
    c: FloatArray,
    q: FloatArray,
    fixed: FloatArray,
    min_replicas: int,
    redundancy: int,
    replicas_per_unit: int = 1,
) -> VectorBreakeven:
    """solve_breakeven's first crossover and stays-cheaper-above for arrays of (a, c, Q, F), with c per
    unit of `replicas_per_unit` replicas: the same unit steps u (app/core/breakeven.py's docstring).

    The step predicates are evaluated on the closed-form estimate and its neighbours, correcting the
    one unit that floating point may move the estimate, as solve_breakeven does with its loops."""
    k = float(replicas_per_unit)
    r = float(redundancy)
    first_step = float(-(-(max(min_replicas, 1) + redundancy) // replicas_per_unit))
    gap = a * k * q - c
    ok = gap > 0
    safe_gap = np.where(ok, gap, 1.0)
    safe_a = np.where(a > 0, a, 1.0)

    def cost(u: FloatArray) -> FloatArray:
        return fixed + c * u

    def upper(u: FloatArray) -> FloatArray:
        return (u * k - r) * q

    def lower(u: FloatArray) -> FloatArray:
        return np.where(u == first_step, 0.0, ((u - 1) * k - r) * q)

    def somewhere(u: FloatArray) -> BoolArray:
        return np.less(cost(u), a * upper(u))

    def throughout(u: FloatArray) -> BoolArray:
        return np.greater(u, first_step) & np.less_equal(cost(u), a * lower(u))

    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        n1 = np.maximum(first_step, np.floor((fixed + a * r * q) / safe_gap) + 1)
        n1 = _correct(n1, first_step, somewhere)
        first = np.maximum(lower(n1), cost(n1) / safe_a)

        n2 = np.maximum(first_step, np.ceil((fixed + a * (k + r) * q) / safe_gap))
        n2 = _correct(n2, first_step, throughout)
        last_mixed = n2 - 1
        stays = np.minimum(upper(last_mixed), cost(last_mixed) / safe_a)
        stays = np.maximum(stays, first)

    inf = np.full_like(a, np.inf)
    return VectorBreakeven(np.where(ok, first, inf), np.where(ok, stays, inf))


def _correct(n: FloatArray, first_step: float, holds: Callable[[FloatArray], BoolArray]) -> FloatArray:
    """Smallest n ≥ first_step where the monotone predicate holds, given an estimate off by at most a step
    (and by one more at the first step, where "cheaper throughout" cannot hold by definition)."""
    down = n - 1
    n = np.where((down >= first_step) & holds(down), down, n)
    for _ in range(2):
        n = np.where(holds(n), n, n + 1)
    return n


def self_hosted_cost_vectorised(
    c: FloatArray,
    q: FloatArray,
    fixed: FloatArray,
    min_replicas: int,
    redundancy: int,
    volume: float,
    replicas_per_unit: int = 1,
) -> FloatArray:
    """ReplicaStepCost.cost(volume) for arrays of (c per unit, Q, F); inf where the count overflows."""
    with np.errstate(over="ignore", invalid="ignore"):
        quotient = volume / q
        nearest = np.round(quotient)
        snap = (nearest > 0) & (np.abs(quotient - nearest) <= _REPLICA_ROUNDING_TOLERANCE * nearest)
        quotient = np.where(snap, nearest, quotient)
        replicas = np.maximum(float(min_replicas), np.ceil(quotient)) + redundancy
        units = np.ceil(replicas / replicas_per_unit)
        return fixed + c * units


def split_triangular(rng: np.random.Generator, factor_range: FactorRange, size: int) -> FloatArray:
    z = rng.random(size) + rng.random(size) - 1.0  # Triangular(-1, 0, 1)
    return np.where(z > 0, 1 + z * (factor_range.high - 1), 1 + z * (1 - factor_range.low))


@dataclass(frozen=True)
class TornadoBar:
    input: UncertainInput
    # Break-even (stays cheaper above, requests/month) with this input at each end of its range; inf = never.
    at_low: float
    at_high: float
    first_crossover_at_low: float
    first_crossover_at_high: float
    # Self-hosted minus API monthly cost at the user's volume, at each end.
    difference_at_low: float
    difference_at_high: float

    @property
    def swing(self) -> float:
        """How far the break-even moves across the range (inf when one end never breaks even)."""
        if math.isinf(self.at_low) and math.isinf(self.at_high):
            return 0.0
        return abs(self.at_high - self.at_low)


def _at(
    params: BreakevenParams, inputs: Sequence[UncertainInput], spec: UncertainInput, factor: float
) -> tuple[float, float, float]:
    multipliers = effective_factors(params, inputs, {spec.id: np.array([factor])}, 1)
    a = params.api_cost_per_request * float(multipliers["a"][0])
    curve = ReplicaStepCost(
        params.fixed_monthly * float(multipliers["F"][0]),
        params.replica_monthly * float(multipliers["c"][0]),
        params.requests_per_replica * float(multipliers["Q"][0]),
        params.min_replicas,
        params.redundancy,
        params.replicas_per_unit,
    )
    solution = solve_breakeven(LinearCost(a), curve)
    stays = solution.stays_cheaper_above if solution.stays_cheaper_above is not None else math.inf
    first = solution.first_crossover if solution.first_crossover is not None else math.inf
    return stays, first, a


def tornado(params: BreakevenParams, inputs: Sequence[UncertainInput], volume: float) -> list[TornadoBar]:
    """Each input alone at the ends of its range, the others at their entered values; widest swing first."""
    bars: list[TornadoBar] = []
    for spec in inputs:
        ends = []
        for factor in (spec.range.low, spec.range.high):
            stays, first, a = _at(params, inputs, spec, factor)
            multipliers = effective_factors(params, inputs, {spec.id: np.array([factor])}, 1)
            sh = self_hosted_cost_vectorised(
                params.replica_monthly * multipliers["c"],
                params.requests_per_replica * multipliers["Q"],
                params.fixed_monthly * multipliers["F"],
                params.min_replicas,
                params.redundancy,
                volume,
                params.replicas_per_unit,
            )
            ends.append((stays, first, float(sh[0]) - a * volume))
        (low_stays, low_first, low_diff), (high_stays, high_first, high_diff) = ends
        bars.append(TornadoBar(spec, low_stays, high_stays, low_first, high_first, low_diff, high_diff))
    return sorted(bars, key=lambda b: (-b.swing, -abs(b.difference_at_high - b.difference_at_low)))


@dataclass(frozen=True)
class Percentiles:
    p10: float  # inf allowed (never)
    p50: float
    p90: float
    share_infinite: float  # share of draws where the value is inf (never breaks even)


def percentiles(values: FloatArray) -> Percentiles:
    # inverted_cdf returns a drawn value (no interpolation), so an inf quantile stays inf, never NaN.
    # A NaN (inf − inf where both costs overflow) is unbounded: counted with the infinities.
    values = np.where(np.isnan(values), np.inf, values)
    p10, p50, p90 = np.quantile(values, [0.1, 0.5, 0.9], method="inverted_cdf")
    return Percentiles(float(p10), float(p50), float(p90), float(np.mean(np.isinf(values))))


@dataclass(frozen=True)
class MonteCarloResult:
    draws: int
    seed: int
    stays_cheaper_above: Percentiles
    first_crossover: Percentiles
    api_monthly: Percentiles
    self_hosted_monthly: Percentiles
    difference_monthly: Percentiles  # self-hosted − API at the user's volume
    probability_self_hosted_cheaper: float


def monte_carlo(
    params: BreakevenParams, inputs: Sequence[UncertainInput], volume: float, draws: int, seed: int
) -> MonteCarloResult:
    if draws < 1:
        raise DomainError("draws must be at least 1", field=("draws",))
    rng = np.random.default_rng(seed)
    factor_draws = {spec.id: split_triangular(rng, spec.range, draws) for spec in inputs}
    multipliers = effective_factors(params, inputs, factor_draws, draws)
    a = params.api_cost_per_request * multipliers["a"]
    c = params.replica_monthly * multipliers["c"]
    q = params.requests_per_replica * multipliers["Q"]
    fixed = params.fixed_monthly * multipliers["F"]
    k = params.replicas_per_unit
    solved = breakeven_vectorised(a, c, q, fixed, params.min_replicas, params.redundancy, k)
    api = a * volume
    self_hosted = self_hosted_cost_vectorised(c, q, fixed, params.min_replicas, params.redundancy, volume, k)
    with np.errstate(invalid="ignore"):
        difference = self_hosted - api
    return MonteCarloResult(
        draws=draws,
        seed=seed,
        stays_cheaper_above=percentiles(solved.stays_cheaper_above),
        first_crossover=percentiles(solved.first_crossover),
        api_monthly=percentiles(api),
        self_hosted_monthly=percentiles(self_hosted),
        difference_monthly=percentiles(difference),
        probability_self_hosted_cheaper=float(np.mean(self_hosted < api)),
    )
