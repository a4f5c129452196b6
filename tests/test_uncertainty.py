"""Uncertainty: the vectorised break-even agrees with solve_breakeven; the tornado and Monte Carlo bands."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from app.core.breakeven import LinearCost, solve_breakeven
from app.core.errors import DomainError
from app.core.self_hosted import ReplicaStepCost
from app.core.uncertainty import (
    GPU_PRICE_RANGE,
    INPUT_IDS,
    BreakevenParams,
    FactorRange,
    UncertainInput,
    breakeven_vectorised,
    default_inputs,
    monte_carlo,
    percentiles,
    self_hosted_cost_vectorised,
    split_triangular,
    tornado,
)


def _reference(a: float, c: float, q: float, fixed: float, m: int, r: int) -> tuple[float, float]:
    solution = solve_breakeven(LinearCost(a), ReplicaStepCost(fixed, c, q, m, r))
    first = solution.first_crossover if solution.first_crossover is not None else math.inf
    stays = solution.stays_cheaper_above if solution.stays_cheaper_above is not None else math.inf
    return first, stays


def test_vectorised_breakeven_matches_solve_breakeven_on_random_draws() -> None:
    rng = np.random.default_rng(7)
    size = 4000
    a = 10 ** rng.uniform(-6, -1, size)
    c = 10 ** rng.uniform(2, 5, size)
    q = 10 ** rng.uniform(4, 8, size)
    fixed = np.where(rng.random(size) < 0.3, 0.0, 10 ** rng.uniform(2, 5, size))
    for m, r in [(1, 0), (0, 0), (3, 1)]:
        solved = breakeven_vectorised(a, c, q, fixed, m, r)
        for i in range(size):
            first, stays = _reference(a[i], c[i], q[i], fixed[i], m, r)
            assert solved.first_crossover[i] == pytest.approx(first, rel=1e-12)
            assert solved.stays_cheaper_above[i] == pytest.approx(stays, rel=1e-12)


@settings(max_examples=500, deadline=None)
@given(
    a=st.floats(1e-7, 1.0),
    c=st.floats(1.0, 1e6),
    q=st.floats(1.0, 1e9),
    fixed=st.floats(0, 1e6),
    m=st.integers(0, 5),
    r=st.integers(0, 3),
)
def test_vectorised_breakeven_matches_solve_breakeven(
    a: float, c: float, q: float, fixed: float, m: int, r: int
) -> None:
    # A replica's marginal cost within the solver's replica-rounding tolerance (1e-9) of the API's price
    # puts "stays cheaper" near 2^52 requests, where the exact solver snaps quotients to whole replicas
    # and NumPy does not: a = c = 1, q = 1 + 2^-52 gave 3.4e15 vs 4.5e15 (found 2026-11-26; both far
    # beyond the input bound of 1e15 requests/month). Outside that sliver the two must agree exactly.
    assume(abs(c / q - a) > 1e-9 * a)
    solved = breakeven_vectorised(np.array([a]), np.array([c]), np.array([q]), np.array([fixed]), m, r)
    first, stays = _reference(a, c, q, fixed, m, r)
    assert solved.first_crossover[0] == pytest.approx(first, rel=1e-12)
    assert solved.stays_cheaper_above[0] == pytest.approx(stays, rel=1e-12)


@settings(max_examples=300, deadline=None)
@given(
    c=st.floats(1.0, 1e6),
    q=st.floats(1.0, 1e9),
    fixed=st.floats(0, 1e6),
    m=st.integers(0, 5),
    r=st.integers(0, 3),
    volume=st.floats(1.0, 1e12),
)
def test_vectorised_self_hosted_cost_matches_the_step_curve(
    c: float, q: float, fixed: float, m: int, r: int, volume: float
) -> None:
    cost = self_hosted_cost_vectorised(np.array([c]), np.array([q]), np.array([fixed]), m, r, volume)
    assert cost[0] == pytest.approx(ReplicaStepCost(fixed, c, q, m, r).cost(volume), rel=1e-12)


def test_whole_replica_boundary_does_not_buy_an_extra_replica() -> None:
    q = np.array([1e6 / 3])
    assert self_hosted_cost_vectorised(np.array([100.0]), q, np.array([0.0]), 1, 0, 1e6)[0] == 300


# The design's example pair: API $0.001/request; one H100 at $1,460/month serving 2,628,000 requests/month.
BASE = BreakevenParams(
    api_cost_per_request=0.001,
    replica_monthly=1460.0,
    requests_per_replica=2_628_000.0,
    fixed_monthly=0.0,
    min_replicas=1,
    redundancy=0,
    utilization=0.8,
    peak_to_average=1.5,
)


def only(input_id: str, low: float, high: float) -> list[UncertainInput]:
    """One uncertain input; the others fixed at their entered values."""
    overrides = {i: FactorRange(1.0, 1.0) for i in INPUT_IDS}
    overrides[input_id] = FactorRange(low, high)  # type: ignore[index]
    return default_inputs(FactorRange(1, 1), "", FactorRange(1, 1), "", overrides)  # type: ignore[arg-type]


def test_tornado_worked_by_hand() -> None:
    # Base: a·Q = $2,628 > c = $1,460. Step n is cheaper throughout once n·(a·Q − c) ≥ a·Q, n ≥ 2.25, so from
    # n = 3 on; the API is last cheaper on step 2, up to 2c/a = 2,920,000 requests/month.
    # API price × 0.5: a·Q = $1,314 < c: never. GPU price × 1.38: c = $2,014.80, n ≥ 2,628 / 613.2 = 4.29,
    # so the API is last cheaper on step 4, up to 4c/a = 8,059,200.
    overrides = dict.fromkeys(INPUT_IDS, FactorRange(1.0, 1.0))
    overrides["api_price"] = FactorRange(0.5, 1.0)
    overrides["gpu_price"] = FactorRange(1 / 1.38, 1.38)
    inputs = default_inputs(FactorRange(1, 1), "", FactorRange(1, 1), "", overrides)
    bars = tornado(BASE, inputs, 1_000_000)
    by_id = {bar.input.id: bar for bar in bars}
    assert by_id["api_price"].at_high == pytest.approx(2_920_000)
    assert math.isinf(by_id["api_price"].at_low)
    assert by_id["gpu_price"].at_high == pytest.approx(4 * 1460 * 1.38 / 0.001)
    assert bars[0].input.id == "api_price"  # an end that never breaks even is the widest swing
    assert bars[1].input.id == "gpu_price"
    assert by_id["api_price"].difference_at_high == pytest.approx(1460 - 1000)
    assert by_id["ops_cost"].swing == 0


@settings(max_examples=100, deadline=None)
@given(
    input_id=st.sampled_from(INPUT_IDS),
    low=st.floats(0.2, 1.0),
    high=st.floats(1.0, 3.0),
    widen_low=st.floats(0.3, 1.0),
    widen_high=st.floats(1.0, 2.0),
)
def test_a_wider_range_never_narrows_a_tornado_bar(
    input_id: str, low: float, high: float, widen_low: float, widen_high: float
) -> None:
    params = BreakevenParams(0.001, 1460.0, 2_628_000.0, 2000.0, 1, 0, 0.8, 1.5)
    narrow = tornado(params, only(input_id, low, high), 5e6)
    wide = tornado(params, only(input_id, low * widen_low, high * widen_high), 5e6)
    bar_n = next(b for b in narrow if b.input.id == input_id)
    bar_w = next(b for b in wide if b.input.id == input_id)
    assert min(bar_w.at_low, bar_w.at_high) <= min(bar_n.at_low, bar_n.at_high) * (1 + 1e-12)
    assert max(bar_w.at_low, bar_w.at_high) >= max(bar_n.at_low, bar_n.at_high) * (1 - 1e-12)


@settings(max_examples=60, deadline=None)
@given(
    input_id=st.sampled_from(INPUT_IDS),
    low=st.floats(0.3, 1.0),
    high=st.floats(1.0, 2.5),
    widen=st.floats(1.0, 3.0),
    seed=st.integers(0, 2**16),
)
def test_more_uncertainty_never_narrows_the_monte_carlo_band(
    input_id: str, low: float, high: float, widen: float, seed: int
) -> None:
    """With the seed fixed, widening an input's range moves each of its draws further from the entered value
    in the same direction; the break-even is monotone in every input, so P10 can only fall and P90 only rise."""
    params = BreakevenParams(0.001, 1460.0, 2_628_000.0, 2000.0, 1, 0, 0.8, 1.5)
    narrow = monte_carlo(params, only(input_id, low, high), 5e6, 2000, seed)
    wide = monte_carlo(params, only(input_id, low**widen, high * widen), 5e6, 2000, seed)
    for name in ("stays_cheaper_above", "first_crossover", "self_hosted_monthly", "api_monthly"):
        n, w = getattr(narrow, name), getattr(wide, name)
        assert w.p10 <= n.p10 * (1 + 1e-12)
        assert w.p90 >= n.p90 * (1 - 1e-12)


def test_all_ranges_wider_gives_a_wider_band() -> None:
    params = BreakevenParams(0.001, 1460.0, 2_628_000.0, 2000.0, 1, 0, 0.8, 1.5)
    for seed in range(5):
        inputs = default_inputs(FactorRange(0.8, 1.2), "", FactorRange(0.8, 1.2), "")
        wider = [
            UncertainInput(s.id, s.label, s.target, FactorRange(s.range.low * 0.8, s.range.high * 1.25), s.source)
            for s in inputs
        ]
        narrow = monte_carlo(params, inputs, 5e6, 20_000, seed)
        wide = monte_carlo(params, wider, 5e6, 20_000, seed)
        for name in ("stays_cheaper_above", "self_hosted_monthly", "difference_monthly"):
            n, w = getattr(narrow, name), getattr(wide, name)
            assert w.p10 <= n.p10 and w.p90 >= n.p90, name


def test_zero_width_ranges_reproduce_the_exact_answer() -> None:
    fixed = default_inputs(FactorRange(1, 1), "", FactorRange(1, 1), "", dict.fromkeys(INPUT_IDS, FactorRange(1, 1)))
    result = monte_carlo(BASE, fixed, 1_000_000, 1000, 0)
    assert result.stays_cheaper_above.p10 == result.stays_cheaper_above.p90 == pytest.approx(2_920_000)
    assert result.probability_self_hosted_cheaper == 0.0
    assert result.self_hosted_monthly.p50 == pytest.approx(1460)


def test_monte_carlo_is_seeded() -> None:
    # Its speed (10,000 draws) is measured by bench/bench_breakeven.py, not asserted here.
    inputs = default_inputs(FactorRange(0.75, 1.3), "", FactorRange(0.64, 1.3), "")
    params = BreakevenParams(0.001, 1460.0, 2_628_000.0, 2000.0, 1, 0, 0.8, 1.5)
    first = monte_carlo(params, inputs, 5e6, 10_000, 1)
    assert monte_carlo(params, inputs, 5e6, 10_000, 1) == first
    assert monte_carlo(params, inputs, 5e6, 10_000, 2) != first
    assert 0 <= first.probability_self_hosted_cheaper <= 1
    assert first.stays_cheaper_above.p10 <= first.stays_cheaper_above.p50 <= first.stays_cheaper_above.p90


def test_split_triangular_has_its_median_at_one_and_stays_in_range() -> None:
    draws = split_triangular(np.random.default_rng(0), GPU_PRICE_RANGE, 100_000)
    assert draws.min() >= GPU_PRICE_RANGE.low and draws.max() <= GPU_PRICE_RANGE.high
    assert np.median(draws) == pytest.approx(1.0, abs=0.01)


def test_percentiles_keep_never_as_infinity() -> None:
    values = np.array([1.0, 2.0, 3.0, math.inf, math.inf])
    result = percentiles(values)
    assert result.p10 == 1.0 and math.isinf(result.p90)
    assert result.share_infinite == pytest.approx(0.4)


def test_utilization_and_peak_are_clamped() -> None:
    # Utilization 0.8 × 1.5 would be 1.2: capped at 1, so Q grows by at most 1/0.8.
    bars = tornado(BASE, only("utilization", 1.0, 1.5), 1e6)
    capped = tornado(BASE, only("utilization", 1.0, 1.25), 1e6)
    assert bars[0].at_high == capped[0].at_high


@pytest.mark.parametrize(("low", "high"), [(0.0, 1.0), (1.1, 1.2), (0.5, 0.9), (0.5, math.inf)])
def test_ranges_must_straddle_the_entered_value(low: float, high: float) -> None:
    with pytest.raises(DomainError):
        FactorRange(low, high)
