"""The exact break-even solver: hand-worked tables, then Hypothesis against a brute-force scan."""

from __future__ import annotations

import math
from random import Random

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from app.core.breakeven import CostCurve, LinearCost, cheapest_envelope, smallest_holding, solve_breakeven
from app.core.self_hosted import ReplicaStepCost

# (api $/request, fixed, per replica, requests per replica, min, redundancy) -> (first, stays, ranges)
CASES = [
    pytest.param(0.001, 0, 1460, 2_628_000, 1, 0, 1_460_000, 2_920_000, 1, id="design-example"),
    pytest.param(0.002, 0, 1460, 2_628_000, 1, 0, 730_000, 730_000, 0, id="no-dip-when-api-is-dear"),
    pytest.param(0.001, 1000, 1460, 2_628_000, 1, 0, 2_460_000, 5_380_000, 2, id="fixed-cost-shifts-crossover"),
    pytest.param(0.001, 0, 1460, 2_628_000, 3, 0, 4_380_000, 4_380_000, 0, id="min-replicas-flat-region"),
    # N+1: S = 1460 (n + 1); step 2 crosses at 4.38M, step 3 dips back until 5.84M.
    pytest.param(0.001, 0, 1460, 2_628_000, 1, 1, 4_380_000, 5_840_000, 1, id="n-plus-one"),
    pytest.param(0.0005, 0, 1460, 2_628_000, 1, 0, None, None, 0, id="marginal-above-api-never"),
    pytest.param(1460 / 2_628_000, 0, 1460, 2_628_000, 1, 0, None, None, 0, id="marginal-equal-api-never"),
]


@pytest.mark.parametrize(
    ("a", "fixed", "per_replica", "q", "min_replicas", "redundancy", "first", "stays", "ranges"), CASES
)
def test_solver_table(
    a: float,
    fixed: float,
    per_replica: float,
    q: float,
    min_replicas: int,
    redundancy: int,
    first: float | None,
    stays: float | None,
    ranges: int,
) -> None:
    curve = ReplicaStepCost(fixed, per_replica, q, min_replicas, redundancy)
    solution = solve_breakeven(LinearCost(a), curve)
    if first is None:
        assert solution.first_crossover is None and solution.stays_cheaper_above is None
    else:
        assert solution.first_crossover == pytest.approx(first, rel=1e-12)
        assert solution.stays_cheaper_above == pytest.approx(stays, rel=1e-12)
    assert solution.api_cheaper_again_count == ranges


def test_design_example_api_cheaper_again_range() -> None:
    solution = solve_breakeven(LinearCost(0.001), ReplicaStepCost(0, 1460, 2_628_000, 1, 0))
    (dip,) = solution.api_cheaper_again
    assert (dip.start, dip.end) == pytest.approx((2_628_000, 2_920_000))


def test_fixed_cost_case_by_hand() -> None:
    # S = 1000 + 1460 n; step 1 (0, 2.628M]: 2460 < 0.001 V ⟺ V > 2.46M; step 2: 3920 vs A(2.628M)=2628:
    # API cheaper again until 3.92M; step 3 from 5.256M: 5380 ≤ 5256? no → still mixed until 5.38M;
    # step 4 from 7.884M: 6840 ≤ 7884 yes. So stays cheaper above 5.38M.
    solution = solve_breakeven(LinearCost(0.001), ReplicaStepCost(1000, 1460, 2_628_000, 1, 0))
    assert solution.first_crossover == pytest.approx(2_460_000)
    assert solution.stays_cheaper_above == pytest.approx(5_380_000)
    assert solution.api_cheaper_again_count == 2


# --- brute force -------------------------------------------------------------------------------

# c is the cost of one billing unit holding k replicas (issue 14: k = 1 sold per GPU; an 8-GPU instance
# holds 8 one-GPU, 4 two-GPU, 2 three- or four-GPU replicas).
scenarios = st.builds(
    lambda a, fixed, c, q, m, r, k: (LinearCost(a), ReplicaStepCost(fixed, c, q, m, r, k)),
    a=st.floats(1e-6, 1e-1),
    fixed=st.one_of(st.just(0.0), st.floats(0, 50_000)),
    c=st.floats(10, 100_000),
    q=st.floats(1e3, 1e8),
    m=st.integers(0, 5),
    r=st.integers(0, 2),
    k=st.one_of(st.just(1), st.sampled_from([2, 4, 8]), st.integers(1, 16)),
)


def _cheaper(api: LinearCost, curve: ReplicaStepCost, v: float) -> bool:
    return curve.cost(v) < api.cost(v)


def _near(v: float, points: list[float]) -> bool:
    return any(abs(v - p) <= 1e-7 * max(1.0, abs(p)) for p in points)


@settings(max_examples=300, deadline=None)
@given(scenarios, st.lists(st.floats(0, 1), min_size=50, max_size=50))
def test_solver_agrees_with_brute_force_scan(scenario: tuple[LinearCost, ReplicaStepCost], extra: list[float]) -> None:
    api, curve = scenario
    solution = solve_breakeven(api, curve)
    q = curve.requests_per_replica
    horizon = max(solution.stays_cheaper_above or 0, q * (curve.min_replicas + 2 * curve.replicas_per_unit)) * 3
    grid = [horizon * k / 3000 for k in range(1, 3001)] + [horizon * x for x in extra if x > 0]
    # Every replica boundary: the unit boundaries (u·k − r)·Q are among them.
    boundaries = [n * q for n in range(0, int(horizon / q) + 2)]
    if solution.first_crossover is None:
        assert solution.stays_cheaper_above is None
        assert not any(_cheaper(api, curve, v) for v in grid if not _near(v, boundaries))
        return
    first, stays = solution.first_crossover, solution.stays_cheaper_above
    assert stays is not None and first <= stays
    dips = [(r.start, r.end) for r in solution.api_cheaper_again]
    fully_listed = len(dips) == solution.api_cheaper_again_count
    landmarks = [first, stays, *boundaries, *(x for d in dips for x in d)]
    for v in grid:
        if _near(v, landmarks):
            continue
        if v < first:
            assert not _cheaper(api, curve, v), v
        elif v > stays:
            assert _cheaper(api, curve, v), v
        elif fully_listed:
            in_dip = any(start < v < end for start, end in dips)
            assert _cheaper(api, curve, v) != in_dip, v
    # Tight: cheaper just above the first crossover, not cheaper just below the stay point.
    assert _cheaper(api, curve, first * (1 + 1e-9))
    assert not _cheaper(api, curve, stays * (1 - 1e-9)) or stays == first
    # At the first crossover both cost the same (it is where the API line meets a flat step).
    assert api.cost(first) == pytest.approx(curve.cost(first), rel=1e-9)


def _envelope_by_walking_every_step(curves: list[CostCurve], up_to: float) -> list[tuple[float, float, int]]:
    """Reference: the cheapest curve between every pair of consecutive replica boundaries (a superset
    of the unit boundaries (u·k − r)·Q, so every step curve is flat between them)."""
    boundaries = sorted(
        {
            n * c.requests_per_replica
            for c in curves
            if isinstance(c, ReplicaStepCost)
            for n in range(max(c.min_replicas, 1), int(up_to / c.requests_per_replica) + 1)
            if 0 < n * c.requests_per_replica < up_to
        }
    )
    pieces: list[tuple[float, float, int]] = []
    start = 0.0
    for end in [*boundaries, up_to]:
        # Step curves are flat on (start, end]; a line is cheapest at its lower end. Split where the
        # cheapest line crosses the cheapest flat step, exactly as a person would by hand.
        flat = min(((c.cost(end), i) for i, c in enumerate(curves) if isinstance(c, ReplicaStepCost)), default=None)
        line = min(((c.per_request, i) for i, c in enumerate(curves) if isinstance(c, LinearCost)), default=None)
        if flat is None or line is None:
            pieces.append((start, end, (flat or line)[1]))  # type: ignore[index]
        else:
            switch = flat[0] / line[0]
            if switch >= end:
                pieces.append((start, end, line[1]))
            elif switch <= start:
                pieces.append((start, end, flat[1]))
            else:
                pieces += [(start, switch, line[1]), (switch, end, flat[1])]
        start = end
    merged: list[tuple[float, float, int]] = []
    for piece in pieces:
        if merged and merged[-1][2] == piece[2]:
            merged[-1] = (merged[-1][0], piece[1], piece[2])
        else:
            merged.append(piece)
    return merged


envelope_curves = st.tuples(
    st.lists(scenarios, min_size=1, max_size=3),
    st.lists(st.floats(1e-6, 1e-1), min_size=0, max_size=2),
).map(lambda t: [c for _, c in t[0]] + [api for api, _ in t[0]] + [LinearCost(a) for a in t[1]])


@settings(max_examples=300, deadline=None)
@given(envelope_curves, st.floats(1e4, 1e9), st.randoms(use_true_random=False))
def test_envelope_equals_walking_every_replica_step(curves: list[CostCurve], up_to: float, rnd: Random) -> None:
    # Duplicates and shuffles: ties must still go to the earlier curve.
    curves = curves + [curves[rnd.randrange(len(curves))]]
    rnd.shuffle(curves)
    total_steps = sum(up_to / c.requests_per_replica for c in curves if isinstance(c, ReplicaStepCost))
    assume(total_steps < 20_000)  # keeps the reference fast
    segments, covered = cheapest_envelope(curves, up_to)
    expected = _envelope_by_walking_every_step(curves, up_to)
    assert covered == up_to
    assert [s.option_index for s in segments] == [index for _, _, index in expected]
    for segment, (start, end, _) in zip(segments, expected, strict=True):
        assert segment.start == pytest.approx(start, rel=1e-9)
        assert segment.end == pytest.approx(end, rel=1e-9)


@settings(max_examples=200, deadline=None)
@given(envelope_curves, st.floats(1e4, 1e12))
def test_envelope_picks_the_cheapest_everywhere(curves: list[CostCurve], up_to: float) -> None:
    segments, covered = cheapest_envelope(curves, up_to)
    assert segments[0].start == 0 and segments[-1].end == pytest.approx(covered)
    for left, right in zip(segments, segments[1:], strict=False):
        assert left.end == right.start and left.option_index != right.option_index
    for segment in segments:
        for v in (segment.start + (segment.end - segment.start) * f for f in (1e-6, 0.5, 1.0)):
            if v - segment.start <= 1e-8 * v:
                continue  # a step curve counts loads within 1e-9 of a boundary as on it (no spare replica)
            winner = curves[segment.option_index].cost(v)
            assert all(winner <= c.cost(v) * (1 + 1e-9) for c in curves)


def test_envelope_over_millions_of_replicas_is_quick_and_complete() -> None:
    # 15 tiny replicas (4 requests/month each) against an API, up to 1e10 requests/month: 2.5e9
    # replica steps per curve. The old step walk stopped after 200,000 steps, about 1% of the way.
    curves: list[CostCurve] = [LinearCost(0.001)]
    curves += [
        ReplicaStepCost(50.0 * k, 0.003 * 0.9**k * (1 + 0.2 * k), 4.0 * (1 + 0.2 * k), 1, k % 2) for k in range(15)
    ]
    # A work budget, not a stopwatch: 20,000 (sweep steps × curves) is ~1,200 steps of the sweep,
    # against 2.5e9 replica boundaries per curve. Its speed is in bench/bench_breakeven.py.
    segments, covered = cheapest_envelope(curves, 1e10, max_work=20_000)
    assert covered == 1e10
    # Marginal costs c/Q = 0.00075·0.9^k per request fall with k, all below the API's 0.001, and
    # fixed costs 50k rise with k: the API first, then ever later curves, the last at volume.
    assert segments[0].option_index == 0 and segments[-1].option_index == 15
    assert len({s.option_index for s in segments}) > 3
    for segment in segments:
        v = (segment.start + segment.end) / 2
        assert curves[segment.option_index].cost(v) <= min(c.cost(v) for c in curves) * (1 + 1e-12)


def test_envelope_of_curves_tied_across_every_step_stops_at_the_work_limit() -> None:
    # Two replicas of 1 vs one of 2 at the same price per request: equal cost at every even step,
    # so the cheapest option alternates at each replica; the envelope reports how far it got.
    curves: list[CostCurve] = [ReplicaStepCost(0, 2.0, 2.0), ReplicaStepCost(0, 1.0, 1.0)]
    segments, covered = cheapest_envelope(curves, 1e9, max_work=3_000)
    assert 0 < covered < 1e9 and segments[-1].end == covered
    assert len(segments) > 100
    # (0, 1]: 2 vs 1; (1, 2]: 2 vs 2, a tie, to the earlier curve; and so on.
    assert [s.option_index for s in segments[:4]] == [1, 0, 1, 0]


@settings(max_examples=200, deadline=None)
@given(scenarios, st.floats(1, 1e9), st.floats(1, 1e9))
def test_costs_never_decrease_with_volume(scenario: tuple[LinearCost, ReplicaStepCost], v1: float, v2: float) -> None:
    api, curve = scenario
    low, high = sorted((v1, v2))
    assert curve.cost(low) <= curve.cost(high)
    assert api.cost(low) <= api.cost(high)


# --- bounded work at the edges of the input bounds (issue 12) ------------------------------------

# The corners app.scenario's input bounds allow: per replica $0.073 (1 GPU at $0.0001/h) to $4.2e8
# (576 GPUs at $1000/h); $1e-12 (one output token at $1e-6/Mtok) to $1.1e5 per request; 2.6e-7
# (0.001 tok/s, 1M-token replies, 1% utilization, peak 100×) to 2.6e13 requests per replica a month;
# fixed costs to $9.3e9 a month; up to 100,000 minimum and 10,000 spare replicas.
# The last column is k, replicas per billing unit (up to 1024: the input bound on gpus_per_instance).
EXTREMES = [
    pytest.param(0.001, 0.0, 0.073, 2_628_000.0, 1, 0, 1, id="cheapest-gpu-design-example"),
    pytest.param(1e-12, 0.0, 0.073, 2.6e13, 1, 0, 1, id="cheapest-gpu-fastest-replica-cheapest-api"),
    pytest.param(1e-12, 9.3e9, 0.073, 2.6e13, 100_000, 10_000, 1, id="cheapest-api-every-fixed-cost"),
    pytest.param(1.1e5, 9.3e9, 4.2e8, 2.6e-7, 100_000, 10_000, 1, id="dearest-everything-slowest-replica"),
    pytest.param(1.1e5, 0.0, 0.073, 2.6e-7, 1, 0, 1, id="dearest-api-slowest-cheapest-replica"),
    pytest.param(1e-12, 0.0, 4.2e8, 2.6e13, 0, 0, 1, id="dearest-replica-cheapest-api"),
    pytest.param(0.001, 0.0, 2_628_000 * 0.001 * (1 - 1e-15), 2_628_000.0, 1, 0, 1, id="slopes-a-few-ulps-apart"),
    pytest.param(1e-12, 9.3e9, 0.073 * 1024, 2.6e13, 100_000, 10_000, 1024, id="packed-1024-every-fixed-cost"),
    pytest.param(1.1e5, 9.3e9, 4.2e8, 2.6e-7, 100_000, 10_000, 8, id="packed-8-dearest-everything"),
    pytest.param(0.001, 0.0, 4 * 2_628_000 * 0.001 * (1 - 1e-15), 2_628_000.0, 1, 0, 4, id="packed-slopes-ulps-apart"),
]


@pytest.fixture
def cost_evaluation_budget(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts ReplicaStepCost.cost_at_units calls (cost_at_replicas goes through it) and fails past
    10,000: the envelope's replica searches once stepped one replica at a time from ~1e22 (a GPU at
    1e-22 $/hour) and never ended."""
    calls = [0]
    original = ReplicaStepCost.cost_at_units

    def counted(self: ReplicaStepCost, units: int) -> float:
        calls[0] += 1
        assert calls[0] <= 10_000, "cost_at_units called over 10,000 times: work grows with a user number"
        return original(self, units)

    monkeypatch.setattr(ReplicaStepCost, "cost_at_units", counted)
    return calls


@pytest.mark.parametrize(("a", "fixed", "c", "q", "m", "r", "k"), EXTREMES)
def test_solver_and_envelope_at_the_input_bounds_are_finite(
    cost_evaluation_budget: list[int], a: float, fixed: float, c: float, q: float, m: int, r: int, k: int
) -> None:
    api, curve = LinearCost(a), ReplicaStepCost(fixed, c, q, m, r, k)
    solution = solve_breakeven(api, curve)
    if solution.first_crossover is not None:
        first, stays = solution.first_crossover, solution.stays_cheaper_above
        assert stays is not None and math.isfinite(first) and math.isfinite(stays) and first <= stays
        assert _cheaper(api, curve, first * (1 + 1e-9))
        assert _cheaper(api, curve, stays * (1 + 1e-9)) and _cheaper(api, curve, stays * 2)
        assert all(math.isfinite(x) for d in solution.api_cheaper_again for x in (d.start, d.end))
    up_to = max(1e16, 2 * (solution.stays_cheaper_above or 0))
    segments, covered = cheapest_envelope([api, curve, ReplicaStepCost(fixed, c * 1.5, q * 2, m, r, k)], up_to)
    assert math.isfinite(covered) and covered > 0
    assert all(math.isfinite(s.start) and math.isfinite(s.end) for s in segments)


# (per GPU-hour, requests per replica): issue 12's prices, below the input bounds, in the core itself.
@pytest.mark.parametrize("per_gpu_hour", [1e-22, 1e-25, 1e-300, 1e-320, 5e-324])
@pytest.mark.parametrize("replicas_per_unit", [1, 8])
def test_vanishing_replica_cost_takes_bounded_work(
    cost_evaluation_budget: list[int], per_gpu_hour: float, replicas_per_unit: int
) -> None:
    # An 8-GPU instance of 8 one-GPU replicas costs 8 GPUs.
    unit_cost = per_gpu_hour * 730 * replicas_per_unit
    api, curve = LinearCost(0.001), ReplicaStepCost(0.0, unit_cost, 2_628_000.0, 1, 0, replicas_per_unit)
    solution = solve_breakeven(api, curve)
    assert solution.first_crossover is not None and math.isfinite(solution.first_crossover)
    segments, covered = cheapest_envelope([api, curve], 1e7)
    assert covered == 1e7
    assert [s.option_index for s in segments] == [0, 1]  # the API only below a cent's worth of requests


def test_replica_search_is_logarithmic() -> None:
    # The answer up to 10^30 replicas away from the start, either way: 2·log2(10^30) ≈ 200 evaluations.
    answer = 10**30
    for start in (1, answer - 1, answer + 1, 2 * answer):
        calls: list[int] = []

        def holds(n: int, calls: list[int] = calls) -> bool:
            calls.append(n)
            return n >= answer

        assert smallest_holding(start, 1, holds) == answer
        assert len(calls) <= 2 * 100 + 4, (start, len(calls))


def test_replica_search_ends_where_the_predicate_never_turns() -> None:
    # Float slopes equal to the last bit: "cheaper" never turns true. 2^128 replicas on, it gives up.
    assert smallest_holding(5, 1, lambda n: False) is None
    assert smallest_holding(10**300, 1, lambda n: True) == 1
