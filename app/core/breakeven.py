"""Exact break-even between a per-token API (linear in volume) and self-hosting (a step function).

API:          A(V) = a·V                                   (a = API cost per request)
Self-hosted:  S(V) = F + c·u(V),  u(V) = ceil((n(V) + r) / k),  n(V) = max(m, ceil(V/Q))
              (F fixed, c per billing unit, k replicas per unit, Q requests per replica,
              m minimum replicas, r redundancy; app/core/self_hosted.py)

Sold per GPU, k = 1 and a unit is a replica. Packed onto instances, a unit is an instance holding k
replicas. Either way S is flat on each unit step u, which carries volumes up to U(u) = (u·k − r)·Q
and starts where step u − 1 ends (the first step, u₀ = ceil((max(m, 1) + r)/k), at 0), so the
crossing with the API line is one division. "Cheaper" is strict: at a crossover both cost the same.

- The first crossover is at the first step u ≥ u₀ where S < A somewhere on the step,
  F + c·u < a·(u·k − r)·Q, i.e. u·(a·k·Q − c) > F + a·r·Q; it exists iff a·k·Q > c: the self-hosted
  marginal cost per request c/(k·Q) is below the API's a. (Steps only get relatively more expensive
  otherwise.)
- Self-hosting stays cheaper above V* once every later step is cheaper from its first volume on:
  u > u₀ and u·(a·k·Q − c) ≥ F + a·(k + r)·Q. V* is where the API line crosses the last step that
  fails this. With k = 1 these are the replica-step conditions n·(a·Q − c) > F + c·r (u = n + r).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from app.core.self_hosted import ReplicaStepCost

# How many "API is cheaper again" ranges to list between the first crossover and the point beyond
# which self-hosting stays cheaper; their total count is always reported.
MAX_LISTED_RANGES = 50
# The cheapest-option envelope is exact over its range; this bounds its work (sweep steps × curves).
# Typical scenarios need a few dozen; only options that trade places at almost every replica across
# thousands of steps reach it, and the envelope then stops where the work ran out.
MAX_ENVELOPE_WORK = 200_000


@dataclass(frozen=True)
class LinearCost:
    per_request: float

    def cost(self, requests_per_month: float) -> float:
        return self.per_request * requests_per_month


@dataclass(frozen=True)
class VolumeRange:
    """Requests per month from `start` (exclusive) to `end`."""

    start: float
    end: float


@dataclass(frozen=True)
class PairBreakeven:
    first_crossover: float | None  # requests/month; self-hosting is cheaper just above it
    stays_cheaper_above: float | None  # requests/month; self-hosting is cheaper at every volume above
    api_cheaper_again: tuple[VolumeRange, ...]  # ranges between the two where a new replica tips it back
    api_cheaper_again_count: int
    api_cost_per_request: float
    self_hosted_marginal_cost_per_request: float


class _Steps:
    """The unit steps of one ReplicaStepCost against one API line (see the module docstring)."""

    def __init__(self, api: LinearCost, self_hosted: ReplicaStepCost) -> None:
        self.a = api.per_request
        self.fixed = self_hosted.fixed_monthly
        self.c = self_hosted.per_unit_monthly
        self.q = self_hosted.requests_per_replica
        self.k = self_hosted.replicas_per_unit
        self.r = self_hosted.redundancy
        self.first_step = self_hosted.first_unit  # V > 0 needs at least one loaded replica

    def cost(self, u: int) -> float:
        return self.fixed + self.c * u

    def lower(self, u: int) -> float:
        return 0.0 if u == self.first_step else ((u - 1) * self.k - self.r) * self.q

    def upper(self, u: int) -> float:
        return (u * self.k - self.r) * self.q

    def cheaper_somewhere(self, u: int) -> bool:
        return self.cost(u) < self.a * self.upper(u)

    def cheaper_throughout(self, u: int) -> bool:
        return u > self.first_step and self.cost(u) <= self.a * self.lower(u)

    def smallest_step(self, estimate: float, holds: Callable[[int], bool]) -> int | None:
        """Smallest n ≥ first_step for which a predicate monotone in n holds, starting from the
        closed-form estimate and correcting the units that floating point may have moved; None when
        the estimate lies beyond float range or the float predicate never turns (see smallest_holding):
        no finite volume reaches such a step."""
        if not math.isfinite(estimate) or not math.isfinite(estimate * self.k * self.q):
            return None
        return smallest_holding(max(self.first_step, math.ceil(estimate)), self.first_step, holds)


# The closed forms are exact in real arithmetic and within a few units in the last place in floats,
# so the correction search takes a few steps. A predicate still false this many doublings (2^128
# replicas) past the estimate never turns in floats: the two slopes are equal to the last bit.
_MAX_GALLOP_DOUBLINGS = 128


def smallest_holding(start: int, lowest: int, holds: Callable[[int], bool]) -> int | None:
    """Smallest n ≥ `lowest` where `holds(n)`, for a predicate false then true as n grows, searched
    from `start`: galloping away from it by doubling strides, then bisecting; None if it is still
    false 2^_MAX_GALLOP_DOUBLINGS above `start`. The work is logarithmic in the distance to the
    answer, never linear in the replica count: a one-replica walk from an astronomically large
    estimate (issue 12: a GPU at 1e-25 $/hour) never finished."""
    if holds(start):
        # Gallop down: `high` holds; find a `low` below that does not (or fall under `lowest`).
        high, stride = start, 1
        while True:
            if high - stride < lowest:
                low = lowest - 1  # sentinel: holds(lowest - 1) is never evaluated
                break
            if not holds(high - stride):
                low = high - stride
                break
            high -= stride
            stride *= 2
    else:
        low, stride = start, 1
        while True:
            if stride > 2**_MAX_GALLOP_DOUBLINGS:
                return None
            if holds(low + stride):
                high = low + stride
                break
            low += stride
            stride *= 2
    # Invariant: holds(high), and not holds(low) (or low is below `lowest`).
    while high - low > 1:
        middle = (low + high) // 2
        if holds(middle):
            high = middle
        else:
            low = middle
    return high


def solve_breakeven(api: LinearCost, self_hosted: ReplicaStepCost) -> PairBreakeven:
    steps = _Steps(api, self_hosted)
    slope_gap = steps.a * steps.k * steps.q - steps.c  # API minus self-hosted cost of one unit's worth of load
    # (a free API, a = 0, gives slope_gap < 0: self-hosting is never cheaper)
    marginal = self_hosted.marginal_cost_per_request
    if slope_gap <= 0:
        return PairBreakeven(None, None, (), 0, steps.a, marginal)

    # cheaper somewhere on step u  ⟺  u > (F + a·r·Q) / slope_gap
    first_estimate = (steps.fixed + steps.a * steps.r * steps.q) / slope_gap
    first_n = steps.smallest_step(
        math.floor(first_estimate) + 1 if math.isfinite(first_estimate) else math.inf, steps.cheaper_somewhere
    )
    # cheaper throughout step u  ⟺  u ≥ (F + a·(k + r)·Q) / slope_gap
    stay_n = steps.smallest_step(
        (steps.fixed + steps.a * (steps.k + steps.r) * steps.q) / slope_gap, steps.cheaper_throughout
    )
    if first_n is None or stay_n is None:
        # Slopes within a rounding error of each other: the crossing lies beyond any volume a float holds.
        return PairBreakeven(None, None, (), 0, steps.a, marginal)
    first = max(steps.lower(first_n), steps.cost(first_n) / steps.a)
    last_mixed = stay_n - 1  # last step on which the API is still cheaper somewhere
    stays_above = min(steps.upper(last_mixed), steps.cost(last_mixed) / steps.a)

    listed: list[VolumeRange] = []
    for n in range(first_n + 1, min(last_mixed, first_n + MAX_LISTED_RANGES) + 1):
        listed.append(VolumeRange(steps.lower(n), min(steps.upper(n), steps.cost(n) / steps.a)))
    return PairBreakeven(
        first_crossover=first,
        stays_cheaper_above=max(stays_above, first),
        api_cheaper_again=tuple(listed),
        api_cheaper_again_count=max(0, last_mixed - first_n),
        api_cost_per_request=steps.a,
        self_hosted_marginal_cost_per_request=marginal,
    )


CostCurve = LinearCost | ReplicaStepCost


@dataclass(frozen=True)
class EnvelopeSegment:
    start: float  # requests/month, exclusive
    end: float  # requests/month, inclusive
    option_index: int


def _prune_dominated_steps(steps: list[tuple[int, ReplicaStepCost]]) -> list[tuple[int, ReplicaStepCost]]:
    """Drop each step curve that another wins against at every volume (cheaper, or as cheap and
    earlier). Only curves stepping at the same volumes are compared, where it is two linear
    inequalities; it keeps a duplicated option from forcing the envelope down to single steps."""

    def beats_everywhere(x: tuple[int, ReplicaStepCost], y: tuple[int, ReplicaStepCost]) -> bool:
        (ix, cx), (iy, cy) = x, y
        first = max(cx.min_replicas, 1)
        if cx.requests_per_replica != cy.requests_per_replica or first != max(cy.min_replicas, 1):
            return False
        # Same loaded replicas n at every volume. Sold per GPU (k = 1) the units are n + r, and
        # x − y = gap_at_first + (c_x − c_y)(n − first); packed (k > 1), the units are the same only
        # with the same k and r, and x − y = gap_at_first + (c_x − c_y)(u − u_first), u ≥ u_first.
        same_units = cx.replicas_per_unit == cy.replicas_per_unit and (
            cx.replicas_per_unit == 1 or cx.redundancy == cy.redundancy
        )
        if not same_units:
            return False
        gap_at_first = cx.cost_at_replicas(first) - cy.cost_at_replicas(first)
        return cx.per_unit_monthly <= cy.per_unit_monthly and (gap_at_first < 0 or (gap_at_first == 0 and ix < iy))

    return [y for y in steps if not any(x is not y and beats_everywhere(x, y) for x in steps)]


def cheapest_envelope(
    curves: Sequence[CostCurve], up_to: float, max_work: int = MAX_ENVELOPE_WORK
) -> tuple[list[EnvelopeSegment], float]:
    """Volume ranges in (0, up_to] where each curve is cheapest; ties go to the earlier curve.

    Exact, and a sweep that jumps rather than walking every unit step. From volume s, every
    step curve stays flat until its next unit boundary; up to the nearest of those the cheapest flat
    step is found by comparison and the cheapest API line (through the origin: the one with the
    lowest cost per request) crosses it at most once. Then the curve cheapest there stays
    cheapest at least as long as, against each other curve, either its cost stays below the
    other's lowest cost beyond that point, or a line bounding it from above stays below a line
    bounding the other from below: a division each, and the sweep jumps that far. The work follows
    the number of times the cheapest option changes, not the number of replicas or instances.

    Returns the segments and the volume covered: `up_to`, unless the options trade places so
    often (costs within a replica of each other across tens of thousands of steps) that
    `max_work` (sweep steps × curves) runs out first.
    """
    lines = [(i, c) for i, c in enumerate(curves) if isinstance(c, LinearCost)]
    best_line = min(lines, key=lambda item: (item[1].per_request, item[0])) if lines else None
    steps = _prune_dominated_steps([(i, c) for i, c in enumerate(curves) if isinstance(c, ReplicaStepCost)])

    pieces: list[list[float]] = []  # [start, end, curve index], merged as they come

    def push(start: float, end: float, index: int) -> None:
        if end <= start:
            return
        if pieces and pieces[-1][2] == index and pieces[-1][1] == start:
            pieces[-1][1] = end
        else:
            pieces.append([start, end, index])

    def segments() -> list[EnvelopeSegment]:
        return [EnvelopeSegment(start, end, int(index)) for start, end, index in pieces]

    if not steps:
        assert best_line is not None
        push(0.0, up_to, best_line[0])
        return segments(), up_to

    volume = 0.0
    work = 0
    while volume < up_to:
        work += len(steps) + 1
        if work > max_work:
            return segments(), volume
        # Every step curve is flat from `volume` to its next unit boundary; the nearest one ends the piece.
        counts = [c.units_just_above(volume) for _, c in steps]
        flat_end = min(up_to, min(c.volume_carried_by_units(u) for u, (_, c) in zip(counts, steps, strict=True)))
        if flat_end <= volume:  # floating point at a boundary: cannot happen with the rounding guard
            return segments(), volume
        _flat_piece(volume, flat_end, steps, counts, best_line, push)
        winner = int(pieces[-1][2])
        volume = max(flat_end, _cheapest_stays_until(winner, curves[winner], flat_end, steps, best_line))
        push(flat_end, min(volume, up_to), winner)
    return segments(), up_to


def _flat_piece(
    start: float,
    end: float,
    steps: list[tuple[int, ReplicaStepCost]],
    counts: list[int],
    best_line: tuple[int, LinearCost] | None,
    push: Callable[[float, float, int], None],
) -> None:
    """Every step curve is flat on (start, end] at `counts` units: the cheapest of them against the API line."""
    step_cost, step_index = min((c.cost_at_units(u), i) for (i, c), u in zip(steps, counts, strict=True))
    if best_line is None:
        push(start, end, step_index)
        return
    line_index, line = best_line
    # The line is below the flat step for V < step_cost / a, above it beyond.
    switch = step_cost / line.per_request if line.per_request > 0 else math.inf
    if switch >= end:
        push(start, end, line_index)
    elif switch <= start:
        push(start, end, step_index)
    else:
        push(start, switch, line_index)
        push(switch, end, step_index)


def _cheapest_stays_until(
    winner: int,
    curve: CostCurve,
    volume: float,
    steps: list[tuple[int, ReplicaStepCost]],
    best_line: tuple[int, LinearCost] | None,
) -> float:
    """A volume up to which `curve` (number `winner`), cheapest just below `volume`, stays strictly
    cheapest (`volume` itself when no such guarantee reaches past it)."""
    others: list[CostCurve] = [c for i, c in steps if i != winner]
    if best_line is not None and best_line[0] != winner:
        others.append(best_line[1])
    reach = math.inf
    for other in others:
        reach = min(reach, max(_below_floor_until(curve, other, volume), _below_slope_until(curve, other, volume)))
        if reach <= volume:
            return volume
    return reach


def _lowest_above(curve: CostCurve, volume: float) -> float:
    """The lowest cost of `curve` at any volume above `volume` (costs never fall with volume)."""
    if isinstance(curve, LinearCost):
        return curve.cost(volume)  # not reached when the cost per request is positive: a·V > a·volume
    return curve.cost_at_units(curve.units_just_above(volume))


def _below_floor_until(curve: CostCurve, other: CostCurve, volume: float) -> float:
    """While `curve` costs less than the lowest `other` costs anywhere above `volume`."""
    floor = _lowest_above(other, volume)
    if isinstance(curve, LinearCost):
        return floor / curve.per_request if curve.per_request > 0 else (math.inf if floor > 0 else volume)
    if curve.per_unit_monthly == 0:
        return math.inf if curve.cost_at_units(1) < floor else volume
    current = curve.units(volume)
    if curve.cost_at_units(current) >= floor:
        return volume
    # cost_at_units(u) < floor  ⟺  u < (floor − fixed) / per_unit
    bound = (floor - curve.fixed_monthly) / curve.per_unit_monthly
    if not math.isfinite(bound):  # a per-unit cost so small that no float volume reaches the floor
        return math.inf
    last = math.ceil(bound) - 1
    if last < current:
        return volume
    if curve.cost_at_units(last) >= floor:
        # Floating point at the limit. Cost is monotone in u: bisect between `current` (below the
        # floor) and `last` (not), rather than stepping down one unit at a time, which from an
        # astronomically large u (issue 12: a GPU at 1e-25 $/hour) never finished.
        below, at_floor = current, last
        while at_floor - below > 1:
            middle = (below + at_floor) // 2
            if curve.cost_at_units(middle) < floor:
                below = middle
            else:
                at_floor = middle
        last = below
    return curve.volume_carried_by_units(last)


def _below_slope_until(curve: CostCurve, other: CostCurve, volume: float) -> float:
    """While a line above `curve` stays below a line under `other`. With c per unit of k replicas and
    Q requests per replica, units u = ceil((n + r)/k) lie between (n + r)/k and (n + r + k − 1)/k, and
    n = max(m, ceil(V/Q)) lies between V/Q and V/Q + 1 wherever V ≥ (m − 1)·Q. So
    F + c·(r + k)/k + (c/(k·Q))·V lies above a step curve there, and F + c·r/k + (c/(k·Q))·V below it
    everywhere (with k = 1: F + c·(r + 1) and F + c·r)."""
    if isinstance(curve, LinearCost):
        upper_at_zero, upper_slope = 0.0, curve.per_request
    elif volume >= (curve.min_replicas - 1) * curve.requests_per_replica:
        k = curve.replicas_per_unit
        upper_at_zero = curve.fixed_monthly + curve.per_unit_monthly * (curve.redundancy + k) / k
        upper_slope = curve.marginal_cost_per_request
    else:
        return volume
    if isinstance(other, LinearCost):
        lower_at_zero, lower_slope = 0.0, other.per_request
    else:
        lower_at_zero = other.fixed_monthly + other.per_unit_monthly * other.redundancy / other.replicas_per_unit
        lower_slope = other.marginal_cost_per_request
    if upper_at_zero + upper_slope * volume >= lower_at_zero + lower_slope * volume:
        return volume
    if upper_slope <= lower_slope:
        return math.inf
    return (lower_at_zero - upper_at_zero) / (upper_slope - lower_slope)
