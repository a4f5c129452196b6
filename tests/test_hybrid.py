"""Hybrid serving: overflow to the API above n self-hosted replicas, and a routed share (app/core/hybrid.py)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.errors import DomainError
from app.core.hybrid import (
    OverflowInputs,
    normalize_profile,
    overflow_point,
    routed_split,
    solve_overflow,
)
from app.core.self_hosted import RentPricing, ReplicaStepCost, SelfHostedOption
from app.core.units import SECONDS_PER_MONTH

# The worked example (also the OpenAPI example of POST /api/v1/hybrid):
# one replica = 1 H100 at $2/GPU-hour = $1,460/month, serving 1,000 output tokens/s = 2 requests/s of 500
# output tokens, at 100% target utilization. Traffic: 20 hours a day at 2 requests/s, 4 hours at 6 requests/s.
# A day holds 20 × 7,200 + 4 × 21,600 = 230,400 requests; a month (730 h = 30.4167 days) 7,008,000.
# API: 500 input + 500 output tokens at $1/Mtok each = $0.001 per request.
#   all API:            7,008,000 × $0.001                                   = $7,008
#   all self-hosted:    3 replicas (6 req/s peak / 2)                        = $4,380
#   1 replica + API:    $1,460 + 4 h × (6 − 2) req/s × 3,600 s × 30.4167 d × $0.001
#                       = $1,460 + 1,752,000 requests × $0.001               = $3,212  ← cheapest
#   2 replicas + API:   $2,920 + 4 h × 2 req/s × 3,600 × 30.4167 × $0.001    = $3,796
WORKED_PROFILE = [1.0] * 9 + [3.0] * 4 + [1.0] * 11
WORKED = OverflowInputs(
    requests_per_month=7_008_000,
    profile=normalize_profile(WORKED_PROFILE),
    api_cost_per_request=0.001,
    replica_requests_per_second=2.0,
    per_unit_monthly=1460.0,
    fixed_monthly=0.0,
)


def test_worked_example_overflow_beats_both_pure_options() -> None:
    result = solve_overflow(WORKED)
    assert result.all_api.monthly_cost == pytest.approx(7008.0)
    assert result.all_self_hosted.replicas == 3
    assert result.all_self_hosted.monthly_cost == pytest.approx(4380.0)
    assert result.best.replicas == 1
    assert result.best.monthly_cost == pytest.approx(3212.0)
    assert result.best.api_requests_per_month == pytest.approx(1_752_000)
    assert result.best.self_hosted_requests_per_month == pytest.approx(5_256_000)
    assert result.best.hours_overflowing_per_day == 4
    assert overflow_point(WORKED, 2).monthly_cost == pytest.approx(3796.0)
    costs = {p.replicas: p.monthly_cost for p in result.curve}
    assert costs == pytest.approx({0: 7008.0, 1: 3212.0, 2: 3796.0, 3: 4380.0})


def test_worked_example_rates_and_peak() -> None:
    assert WORKED.peak_to_average == pytest.approx(2.25)
    rates = WORKED.hourly_requests_per_second
    assert rates[0] == pytest.approx(2.0) and rates[9] == pytest.approx(6.0)
    assert sum(rates) * SECONDS_PER_MONTH / 24 == pytest.approx(7_008_000)


def test_all_self_hosted_matches_the_plain_option_at_the_profiles_peak() -> None:
    option = SelfHostedOption(
        name="Llama",
        gpu_count=1,
        pricing=RentPricing(per_gpu_hour=2.0),
        replica_requests_per_second=2.0,
        target_utilization=1.0,
    )
    curve = option.cost_curve(peak_to_average=WORKED.peak_to_average)
    assert solve_overflow(WORKED).all_self_hosted.monthly_cost == pytest.approx(curve.cost(7_008_000))
    assert curve.replicas(7_008_000) == WORKED.peak_replicas == 3


@pytest.mark.parametrize(
    ("weights", "expected"),
    [
        pytest.param([1.0] * 24, [1.0] * 24, id="flat"),
        pytest.param([2.0] * 12 + [0.0] * 12, [2.0] * 12 + [0.0] * 12, id="half-day"),
        pytest.param([5.0] + [0.0] * 23, [24.0] + [0.0] * 23, id="one-hour"),
    ],
)
def test_profile_is_scaled_to_a_mean_of_one(weights: list[float], expected: list[float]) -> None:
    assert normalize_profile(weights) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        pytest.param([1.0] * 23, "24 values", id="too-short"),
        pytest.param([1.0] * 23 + [-1.0], "0 or more", id="negative"),
        pytest.param([0.0] * 24, "all 24 values are 0", id="no-traffic"),
        pytest.param([1.0] * 23 + [math.nan], "0 or more", id="nan"),
    ],
)
def test_bad_profiles_name_the_field(weights: list[float], message: str) -> None:
    with pytest.raises(DomainError, match=message) as raised:
        normalize_profile(weights)
    assert raised.value.field[0] == "hourly_profile"


def test_min_replicas_and_redundancy() -> None:
    inputs = OverflowInputs(
        requests_per_month=7_008_000,
        profile=WORKED.profile,
        api_cost_per_request=0.001,
        replica_requests_per_second=2.0,
        per_unit_monthly=1460.0,
        fixed_monthly=500.0,
        min_replicas=2,
        redundancy=1,
    )
    result = solve_overflow(inputs)
    assert {p.replicas for p in result.curve} == {0, 2, 3}
    # 2 replicas + 1 spare + fixed: 500 + 3 × 1,460 + 876,000 × $0.001 = $5,756, below all API ($7,008) and
    # 3 replicas + 1 spare ($6,340); 1 replica is not allowed (min_replicas = 2).
    assert overflow_point(inputs, 2).monthly_cost == pytest.approx(500 + 3 * 1460 + 876)
    assert result.best.replicas == 2
    assert overflow_point(inputs, 0).self_hosted_monthly_cost == 0  # no replicas, no fixed costs


def test_nothing_overflows_when_the_base_covers_the_peak() -> None:
    cheap_replicas = OverflowInputs(
        requests_per_month=7_008_000,
        profile=WORKED.profile,
        api_cost_per_request=0.01,
        replica_requests_per_second=2.0,
        per_unit_monthly=100.0,
        fixed_monthly=0.0,
    )
    result = solve_overflow(cheap_replicas)
    assert result.best.replicas == result.all_self_hosted.replicas == 3
    assert result.best.api_requests_per_month == 0


def test_expensive_replicas_leave_everything_on_the_api() -> None:
    dear = OverflowInputs(
        requests_per_month=7_008_000,
        profile=WORKED.profile,
        api_cost_per_request=0.0001,
        replica_requests_per_second=2.0,
        per_unit_monthly=1460.0,
        fixed_monthly=0.0,
    )
    assert solve_overflow(dear).best.replicas == 0


# Hypothesis: the overflow optimum is never worse than all-API or all-self-hosted, and equals a brute-force
# search over every replica count.

profiles = st.lists(st.floats(min_value=0, max_value=100, allow_nan=False), min_size=24, max_size=24).filter(
    lambda w: sum(w) > 0
)


@st.composite
def overflow_inputs(draw: st.DrawFn) -> OverflowInputs:
    rate = draw(st.floats(min_value=0.05, max_value=50))
    volume = draw(st.floats(min_value=1e4, max_value=2e8))
    return OverflowInputs(
        requests_per_month=volume,
        profile=normalize_profile(draw(profiles)),
        api_cost_per_request=draw(st.floats(min_value=1e-6, max_value=0.05)),
        replica_requests_per_second=rate,
        per_unit_monthly=draw(st.floats(min_value=10, max_value=50_000)),
        fixed_monthly=draw(st.floats(min_value=0, max_value=50_000)),
        min_replicas=draw(st.integers(min_value=0, max_value=4)),
        redundancy=draw(st.integers(min_value=0, max_value=2)),
    )


@settings(max_examples=300, deadline=None)
@given(overflow_inputs())
def test_overflow_optimum_is_never_worse_than_either_pure_option(inputs: OverflowInputs) -> None:
    result = solve_overflow(inputs)
    assert result.best.monthly_cost <= result.all_api.monthly_cost
    assert result.best.monthly_cost <= result.all_self_hosted.monthly_cost
    assert result.best.self_hosted_requests_per_month + result.best.api_requests_per_month == pytest.approx(
        inputs.requests_per_month
    )


@settings(max_examples=200, deadline=None)
@given(overflow_inputs())
def test_overflow_optimum_equals_brute_force(inputs: OverflowInputs) -> None:
    peak = inputs.peak_replicas
    if peak > 2000:
        return  # brute force is for small fleets; the candidate search is the same either way
    allowed = [0, *range(inputs.lowest_replicas, peak + 1)]
    brute = min(overflow_point(inputs, n).monthly_cost for n in allowed)
    assert solve_overflow(inputs).best.monthly_cost == pytest.approx(brute, rel=1e-12)


def test_routed_share_worked_by_hand() -> None:
    # 1,000,000 requests; 70% routine (600 in / 200 out) on self-hosted replicas of 1,000,000 requests a month
    # at $1,460 each + $1,000 fixed; 30% hard (1,500 in / 800 out) at $0.01 per request on the API.
    curve = ReplicaStepCost(fixed_monthly=1000, per_unit_monthly=1460, requests_per_replica=1_000_000)
    result = routed_split(
        requests_per_month=1_000_000,
        self_hosted_share=0.7,
        self_hosted_curve=curve,
        self_hosted_tokens_per_request=800,
        api_cost_per_request=0.01,
        api_tokens_per_request=2300,
    )
    assert result.self_hosted.requests_per_month == pytest.approx(700_000)
    assert result.self_hosted.replicas == 1
    assert result.self_hosted.monthly_cost == pytest.approx(2460)
    assert result.api.monthly_cost == pytest.approx(3000)
    assert result.monthly_cost == pytest.approx(5460)
    # tokens: 700,000 × 800 = 560M self-hosted, 300,000 × 2,300 = 690M API
    assert result.self_hosted_token_share == pytest.approx(560 / 1250)


def test_routed_share_of_zero_runs_no_replicas() -> None:
    curve = ReplicaStepCost(fixed_monthly=1000, per_unit_monthly=1460, requests_per_replica=1_000_000)
    result = routed_split(
        requests_per_month=1_000_000,
        self_hosted_share=0.0,
        self_hosted_curve=curve,
        self_hosted_tokens_per_request=800,
        api_cost_per_request=0.01,
        api_tokens_per_request=2300,
    )
    assert result.self_hosted.monthly_cost == 0 and result.self_hosted.replicas == 0
    assert result.monthly_cost == pytest.approx(10_000)
