"""Table-driven tests of the API and self-hosted cost formulas, worked by hand."""

from __future__ import annotations

import math

import pytest

from app.core.api_cost import ApiOption, ApiPrices, TokenPrices
from app.core.errors import DomainError
from app.core.self_hosted import BuyPricing, RentPricing, ReplicaStepCost, SelfHostedOption
from app.core.workload import Workload

FLAT = ApiPrices(standard=TokenPrices(1.0, 1.0))
CACHED = ApiPrices(
    standard=TokenPrices(
        input_per_mtok=3.0, output_per_mtok=15.0, cached_input_per_mtok=0.3, cache_write_per_mtok=3.75
    ),
    batch=TokenPrices(input_per_mtok=1.5, output_per_mtok=7.5, cached_input_per_mtok=0.15, cache_write_per_mtok=1.875),
    long_context_threshold_tokens=200_000,
    long_context=TokenPrices(input_per_mtok=6.0, output_per_mtok=22.5, cached_input_per_mtok=0.6),
)
NO_BATCH = ApiPrices(standard=TokenPrices(2.0, 8.0))


def workload(**overrides: float) -> Workload:
    values: dict[str, float] = {"requests_per_month": 1_000_000, "input_tokens": 1000, "output_tokens": 500}
    values.update(overrides)
    return Workload(**values)  # type: ignore[arg-type]


API_CASES = [
    # prices, discount, workload overrides, expected USD per request
    pytest.param(FLAT, 0.0, {}, (1000 + 500) / 1e6, id="flat"),
    pytest.param(CACHED, 0.0, {}, (1000 * 3 + 500 * 15) / 1e6, id="standard"),
    pytest.param(CACHED, 0.0, {"cached_input_fraction": 0.5}, (500 * 3 + 500 * 0.3 + 500 * 15) / 1e6, id="cache-reads"),
    pytest.param(
        CACHED,
        0.0,
        {"cached_input_fraction": 0.5, "cache_write_fraction": 0.25},
        (250 * 3 + 500 * 0.3 + 250 * 3.75 + 500 * 15) / 1e6,
        id="cache-reads-and-writes",
    ),
    pytest.param(CACHED, 0.0, {"batchable_fraction": 1.0}, (1000 * 1.5 + 500 * 7.5) / 1e6, id="all-batch"),
    pytest.param(
        CACHED,
        0.0,
        {"batchable_fraction": 0.4},
        0.6 * (1000 * 3 + 500 * 15) / 1e6 + 0.4 * (1000 * 1.5 + 500 * 7.5) / 1e6,
        id="part-batch",
    ),
    pytest.param(NO_BATCH, 0.0, {"batchable_fraction": 1.0}, (1000 * 2 + 500 * 8) / 1e6, id="no-batch-variant"),
    pytest.param(CACHED, 0.0, {"input_tokens": 250_000}, (250_000 * 6 + 500 * 22.5) / 1e6, id="long-context-tier"),
    pytest.param(CACHED, 0.0, {"input_tokens": 200_000}, (200_000 * 3 + 500 * 15) / 1e6, id="at-threshold-standard"),
    pytest.param(FLAT, 0.2, {}, 0.8 * 1500 / 1e6, id="negotiated-discount"),
    pytest.param(NO_BATCH, 0.0, {"cached_input_fraction": 0.5}, (1000 * 2 + 500 * 8) / 1e6, id="no-cache-price"),
]


@pytest.mark.parametrize(("prices", "discount", "overrides", "expected"), API_CASES)
def test_api_cost_per_request(prices: ApiPrices, discount: float, overrides: dict[str, float], expected: float) -> None:
    option = ApiOption("x", prices, discount)
    assert option.cost_per_request(workload(**overrides)) == pytest.approx(expected, rel=1e-12)


def test_api_monthly_cost_is_linear_in_volume() -> None:
    option = ApiOption("x", CACHED)
    one = option.monthly_cost(workload(requests_per_month=1_000))
    assert option.monthly_cost(workload(requests_per_month=3_000)) == pytest.approx(3 * one)


def test_api_notes_say_when_a_price_is_missing() -> None:
    breakdown = ApiOption("x", NO_BATCH).cost_breakdown(workload(batchable_fraction=0.5, cached_input_fraction=0.2))
    assert any("batch" in note for note in breakdown.notes)
    assert any("cached" in note for note in breakdown.notes)


def test_rent_monthly_cost_per_gpu() -> None:
    assert RentPricing(2.0).monthly_cost_per_gpu() == 1460.0


BUY_CASES = [
    # capex, years, residual, rate → capital per month
    pytest.param(48_000, 4, 0.0, 0.0, 1000.0, id="straight-line"),
    pytest.param(48_000, 4, 0.25, 0.0, 750.0, id="straight-line-residual"),
    # annuity: P·i/(1-(1+i)^-n), i = 0.12/12 = 0.01, n = 48 → 48000 × 0.026334 = 1264.03
    pytest.param(48_000, 4, 0.0, 0.12, 48_000 * 0.01 / (1 - 1.01**-48), id="annuity"),
    pytest.param(48_000, 4, 0.25, 0.12, (48_000 - 12_000 * 1.01**-48) * 0.01 / (1 - 1.01**-48), id="annuity-residual"),
]


@pytest.mark.parametrize(("capex", "years", "residual", "rate", "expected"), BUY_CASES)
def test_capital_recovery(capex: float, years: float, residual: float, rate: float, expected: float) -> None:
    pricing = BuyPricing(
        capex_per_gpu=capex, depreciation_years=years, residual_fraction=residual, cost_of_capital=rate
    )
    assert pricing.capital_recovery_per_gpu() == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("rate", [1e-17, 1e-300, 1e-9])
def test_a_vanishing_cost_of_capital_tends_to_straight_line(rate: float) -> None:
    pricing = BuyPricing(capex_per_gpu=48_000, depreciation_years=4, cost_of_capital=rate)
    assert pricing.capital_recovery_per_gpu() == pytest.approx(1000.0, rel=1e-6)


def test_buy_running_costs_by_hand() -> None:
    pricing = BuyPricing(
        capex_per_gpu=30_000,
        watts_per_gpu=1000,
        power_draw_fraction=0.5,
        pue=1.4,
        electricity_usd_per_kwh=0.10,
        colocation_usd_per_kw_month=150,
        maintenance_fraction_per_year=0.12,
    )
    assert pricing.power_per_gpu() == pytest.approx(1000 * 0.5 * 1.4 * 730 / 1000 * 0.10)  # 51.10
    assert pricing.colocation_per_gpu() == pytest.approx(150.0)
    assert pricing.maintenance_per_gpu() == pytest.approx(300.0)


REPLICA_CASES = [
    # volume, peak/avg, utilization, min, redundancy → replicas (capacity 1 req/s = 2,628,000/month)
    pytest.param(1, 1.0, 1.0, 1, 0, 1, id="tiny-volume-min-one"),
    pytest.param(2_628_000, 1.0, 1.0, 1, 0, 1, id="exactly-full"),
    pytest.param(2_628_001, 1.0, 1.0, 1, 0, 2, id="one-over"),
    pytest.param(2_628_000, 2.0, 1.0, 1, 0, 2, id="peak-doubles"),
    pytest.param(2_628_000, 1.0, 0.5, 1, 0, 2, id="half-utilization"),
    pytest.param(1_000_000, 1.0, 1.0, 3, 0, 3, id="min-replicas"),
    pytest.param(5_000_000, 1.0, 1.0, 1, 1, 3, id="n-plus-one"),
    pytest.param(3 * 2_628_000 * 0.7, 1.0, 0.7, 1, 0, 3, id="float-rounding-does-not-add-a-replica"),
]


@pytest.mark.parametrize(("volume", "peak", "utilization", "min_replicas", "redundancy", "expected"), REPLICA_CASES)
def test_replicas_needed(
    volume: float, peak: float, utilization: float, min_replicas: int, redundancy: int, expected: int
) -> None:
    option = SelfHostedOption(
        name="x",
        gpu_count=2,
        pricing=RentPricing(2.0),
        replica_requests_per_second=1.0,
        target_utilization=utilization,
        min_replicas=min_replicas,
        redundancy=redundancy,
    )
    curve = option.cost_curve(peak)
    assert curve.replicas(volume) == expected
    assert curve.cost(volume) == pytest.approx(expected * 2 * 1460)


def test_fixed_costs_are_added_once() -> None:
    option = SelfHostedOption(
        name="x",
        gpu_count=1,
        pricing=RentPricing(2.0),
        replica_requests_per_second=1.0,
        ops_fte=0.5,
        ops_usd_per_fte_year=240_000,
        platform_usd_per_month=500,
    )
    curve: ReplicaStepCost = option.cost_curve(1.0)
    assert curve.cost(1) == pytest.approx(1460 + 10_000 + 500)


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: Workload(0, 10, 10), "requests_per_month"),
        (lambda: Workload(10, 10, 10, peak_to_average=0.5), "peak_to_average"),
        (
            lambda: Workload(10, 10, 10, cached_input_fraction=0.8, cache_write_fraction=0.5),
            "cache_write_fraction",
        ),
        (lambda: RentPricing(0), "per_gpu_hour"),
        (lambda: BuyPricing(capex_per_gpu=1, pue=0.9), "pue"),
        (
            lambda: SelfHostedOption("x", 1, RentPricing(1), 1.0, target_utilization=1.5),
            "target_utilization",
        ),
        (lambda: ApiOption("x", FLAT, negotiated_discount=1.0), "negotiated_discount"),
        (lambda: ApiOption("x", FLAT, reasoning_tokens=-1.0), "reasoning_tokens"),
        (lambda: Workload(10, 10, 10, reasoning_tokens=-1.0), "reasoning_tokens"),
        (lambda: Workload(10, 10, 10, prefix_cache_hit_rate=1.5), "prefix_cache_hit_rate"),
    ],
)
def test_domain_errors_name_the_field(build: object, field: str) -> None:
    with pytest.raises(DomainError) as raised:
        build()  # type: ignore[operator]
    assert raised.value.field[-1] == field
    assert field in str(raised.value)


def test_no_nan_from_extreme_but_valid_inputs() -> None:
    option = SelfHostedOption("x", 72, RentPricing(1000), 1e-9, target_utilization=1e-6)
    curve = option.cost_curve(100)
    assert math.isfinite(curve.cost(1e15))
