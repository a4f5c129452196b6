"""Exact break-even between a per-token API (linear in volume) and self-hosting (a step function).

API:          A(V) = a·V                                   (a = API cost per request)
Self-hosted:  S(V) = F + c·(n(V) + r),  n(V) = max(m, ceil(V/Q))
              (F fixed, c per replica, Q requests per replica, m minimum replicas, r redundancy)

On step n the replica count is constant, so S is flat there and the crossing with the API line is
one division. "Cheaper" is strict: at a crossover both cost the same.

- The first crossover is at the first step n ≥ m where S < A somewhere on the step, i.e.
  n·(a·Q − c) > F + c·r; it exists iff a·Q > c: the self-hosted marginal cost per request c/Q is
  below the API's a. (Steps only get relatively more expensive otherwise.)
- Self-hosting stays cheaper above V* once every later step is cheaper from its first volume on:
  n·(a·Q − c) ≥ F + c·r + a·Q. V* is where the API line crosses the last step that fails this.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from app.core.self_hosted import ReplicaStepCost

# How many "API is cheaper again" ranges to list between the first crossover and the point beyond
# which self-hosting stays cheaper; their total count is always reported.
MAX_LISTED_RANGES = 50
# The cheapest-option envelope is exact over its range; this bounds the replica steps it walks.
MAX_ENVELOPE_STEPS = 200_000


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

    @property
    def ever_cheaper(self) -> bool:
        return self.first_crossover is not None


class _Steps:
    """The replica steps of one ReplicaStepCost against one API line."""

    def __init__(self, api: LinearCost, self_hosted: ReplicaStepCost) -> None:
        self.a = api.per_request
        self.fixed = self_hosted.fixed_monthly
        self.c = self_hosted.per_replica_monthly
        self.q = self_hosted.requests_per_replica
        self.r = self_hosted.redundancy
        self.first_step = max(self_hosted.min_replicas, 1)  # V > 0 needs at least one replica

    def cost(self, n: int) -> float:
        return self.fixed + self.c * (n + self.r)

    def lower(self, n: int) -> float:
        return 0.0 if n == self.first_step else (n - 1) * self.q

    def upper(self, n: int) -> float:
        return n * self.q

    def cheaper_somewhere(self, n: int) -> bool:
        return self.cost(n) < self.a * self.upper(n)

    def cheaper_throughout(self, n: int) -> bool:
        return n > self.first_step and self.cost(n) <= self.a * self.lower(n)

    def smallest_step(self, estimate: float, holds: Callable[[int], bool]) -> int:
        """Smallest n ≥ first_step for which a predicate monotone in n holds, starting from the
        closed-form estimate and correcting the last unit that floating point may have moved."""
        n = max(self.first_step, math.ceil(estimate) if math.isfinite(estimate) else self.first_step)
        while n > self.first_step and holds(n - 1):
            n -= 1
        while not holds(n):
            n += 1
        return n


def solve_breakeven(api: LinearCost, self_hosted: ReplicaStepCost) -> PairBreakeven:
    steps = _Steps(api, self_hosted)
    slope_gap = steps.a * steps.q - steps.c  # API minus self-hosted cost of one replica's worth of load
    # (a free API, a = 0, gives slope_gap < 0: self-hosting is never cheaper)
    marginal = self_hosted.marginal_cost_per_request
    if slope_gap <= 0:
        return PairBreakeven(None, None, (), 0, steps.a, marginal)

    fixed_excess = steps.fixed + steps.c * steps.r
    # cheaper somewhere on step n  ⟺  n > fixed_excess / slope_gap
    first_n = steps.smallest_step(math.floor(fixed_excess / slope_gap) + 1, steps.cheaper_somewhere)
    first = max(steps.lower(first_n), steps.cost(first_n) / steps.a)

    # cheaper throughout step n  ⟺  n ≥ (fixed_excess + a·Q) / slope_gap
    stay_n = steps.smallest_step((fixed_excess + steps.a * steps.q) / slope_gap, steps.cheaper_throughout)
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


def _step_boundaries(curve: ReplicaStepCost, up_to: float) -> list[float]:
    first = max(curve.min_replicas, 1)
    last = math.floor(up_to / curve.requests_per_replica)
    return [n * curve.requests_per_replica for n in range(first, last + 1)]


def cheapest_envelope(curves: Sequence[CostCurve], up_to: float) -> tuple[list[EnvelopeSegment], float]:
    """Volume ranges in (0, up_to] where each curve is cheapest; ties go to the earlier curve.

    Exact: between consecutive replica boundaries every step curve is flat, so the cheapest step
    curve is found by comparison and the cheapest API line (through the origin: the one with the
    lowest cost per request) crosses it at most once. Returns the segments and the volume actually
    covered (smaller than `up_to` only when the range holds more than MAX_ENVELOPE_STEPS steps).
    """
    lines = [(i, c) for i, c in enumerate(curves) if isinstance(c, LinearCost)]
    step_curves = [(i, c) for i, c in enumerate(curves) if isinstance(c, ReplicaStepCost)]
    best_line = min(lines, key=lambda item: (item[1].per_request, item[0])) if lines else None

    covered = up_to
    total_steps = sum(up_to / c.requests_per_replica for _, c in step_curves)
    if total_steps > MAX_ENVELOPE_STEPS:
        covered = up_to * MAX_ENVELOPE_STEPS / total_steps
    boundaries = sorted({b for _, c in step_curves for b in _step_boundaries(c, covered) if 0 < b < covered})
    boundaries.append(covered)

    segments: list[EnvelopeSegment] = []

    def push(start: float, end: float, index: int) -> None:
        if end <= start:
            return
        if segments and segments[-1].option_index == index and segments[-1].end == start:
            segments[-1] = EnvelopeSegment(segments[-1].start, end, index)
        else:
            segments.append(EnvelopeSegment(start, end, index))

    start = 0.0
    for end in boundaries:
        # Every step curve is flat on (start, end]: its cost there is its cost at `end`.
        best_step: tuple[float, int] | None = None
        for index, curve in step_curves:
            cost = curve.cost(end)
            if best_step is None or cost < best_step[0]:
                best_step = (cost, index)
        if best_step is None:
            assert best_line is not None
            push(start, end, best_line[0])
        elif best_line is None:
            push(start, end, best_step[1])
        else:
            step_cost, step_index = best_step
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
        start = end
    return segments, covered
