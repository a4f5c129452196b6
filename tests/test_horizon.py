"""Cost over a time horizon: cumulative cost, crossover and payback months, the cheapest plan."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.errors import DomainError
from app.core.horizon import (
    DEFAULT_API_PRICE_CHANGE_PER_YEAR,
    EPOCH_SLOWEST_API_PRICE_CHANGE_PER_YEAR,
    BoughtHardware,
    HorizonInputs,
    build_plan,
    payback_month,
    plan_label,
    solve_horizon,
)
from app.core.self_hosted import ReplicaStepCost

# Flat traffic, flat prices: API $2,000/month (2,000,000 requests × $0.001); one replica $1,460/month.
ONE_REPLICA = ReplicaStepCost(fixed_monthly=0, per_unit_monthly=1460, requests_per_replica=2_628_000)


def flat(**changes: object) -> HorizonInputs:
    values: dict[str, object] = {
        "months": 36,
        "requests_per_month": 2_000_000,
        "monthly_growth": 0.0,
        "api_cost_per_request": 0.001,
        "api_price_change_per_year": 0.0,
        "gpu_price_change_per_year": 0.0,
        "self_hosted": ONE_REPLICA,
        "migration_cost": 5_400.0,
    }
    values.update(changes)
    return HorizonInputs(**values)  # type: ignore[arg-type]


def test_flat_case_worked_by_hand() -> None:
    # Saving $540/month pays back a $5,400 migration after 10 months; over 36 months self-hosting from the
    # start costs 5,400 + 36 × 1,460 = $57,960 against 36 × 2,000 = $72,000.
    result = solve_horizon(flat())
    assert result.api_only.cumulative[:3] == pytest.approx((0, 2000, 4000))
    assert result.api_only.total_spend == pytest.approx(72_000)
    assert result.self_hosted_from_start.cumulative[:2] == pytest.approx((5400, 6860))
    assert result.self_hosted_from_start.net_total == pytest.approx(57_960)
    assert result.crossover_month == 1
    assert result.payback_month == 10
    assert result.cheapest.switch_month == 0
    assert result.cheapest.label == "Self-host from the start"


def test_switch_month_plan() -> None:
    plan = build_plan(flat(), 7)
    assert plan.label == "API until month 7, then self-host"
    assert plan.on_api[:8] == (True,) * 7 + (False,)
    assert plan.cumulative[7] == pytest.approx(7 * 2000 + 5400)  # the migration is paid at the switch
    assert plan.total_spend == pytest.approx(7 * 2000 + 5400 + 29 * 1460)
    # Payback counts from the switch: 7 + 10 months.
    assert payback_month(plan, build_plan(flat(), 36)) == 17


def test_api_price_decline_applies_per_year() -> None:
    inputs = flat(api_price_change_per_year=-0.5)
    assert inputs.api_monthly(1) == pytest.approx(2000)
    assert inputs.api_monthly(13) == pytest.approx(1000)
    assert inputs.api_monthly(25) == pytest.approx(500)
    # Month 13 on, the API at $1,000 beats the $1,460 replica again.
    result = solve_horizon(inputs)
    assert result.crossover_month == 1
    assert result.api_cheaper_again_from_month is not None and 7 <= result.api_cheaper_again_from_month <= 13


def test_growth_adds_replicas() -> None:
    inputs = flat(monthly_growth=0.1)
    assert inputs.volume(1) == pytest.approx(2_000_000)
    assert inputs.volume(2) == pytest.approx(2_200_000)
    plan = build_plan(inputs, 0)
    # 2.2M fits one replica of 2.628M; month 3 (2.42M) too; month 4 (2.662M) needs two.
    assert plan.monthly[:4] == pytest.approx((1460, 1460, 1460, 2920))


def test_gpu_price_change_scales_rented_replicas() -> None:
    inputs = flat(gpu_price_change_per_year=-0.2)
    assert build_plan(inputs, 0).monthly[12] == pytest.approx(1460 * 0.8)


BOUGHT = BoughtHardware(
    gpus_per_unit=2,
    price_per_gpu=30_000,
    running_per_gpu_monthly=100,
    depreciation_months=48,
    residual_fraction=0.2,
)


def test_bought_hardware_purchase_residual_and_payback() -> None:
    # Two GPUs at $30,000 bought at month 0; $200/month to run them; book value after 36 of 48 months:
    # 30,000 × (1 − 0.8 × 36/48) = $12,000 per GPU, $24,000 for both.
    inputs = flat(bought=BOUGHT, migration_cost=0.0)
    plan = build_plan(inputs, 0)
    assert plan.one_time[0].at_month == 0 and plan.one_time[0].hardware == pytest.approx(60_000)
    assert plan.cumulative[0] == pytest.approx(60_000)
    assert plan.monthly[0] == pytest.approx(200)
    assert plan.residual_value_at_end == pytest.approx(24_000)
    assert plan.gpus_owned_at_end == 2
    assert plan.net_total == pytest.approx(60_000 + 36 * 200 - 24_000)
    # Saving $1,800/month against $2,000 on the API: cash back after 60,000 / 1,800 = 33.3 → month 34.
    assert payback_month(plan, build_plan(inputs, 36)) == 34


def test_bought_hardware_is_kept_and_depreciates_to_the_residual() -> None:
    hardware = BoughtHardware(2, 30_000, 100, depreciation_months=12, residual_fraction=0.25)
    assert hardware.book_value(30_000, 0) == 30_000
    assert hardware.book_value(30_000, 6) == pytest.approx(30_000 * (1 - 0.75 / 2))
    assert hardware.book_value(30_000, 40) == pytest.approx(7_500)
    shrinking = flat(bought=BOUGHT, monthly_growth=-0.2, requests_per_month=5_000_000)
    plan = build_plan(shrinking, 0)
    assert plan.gpus_owned_at_end == 4  # two replicas bought at the start and kept as traffic falls
    assert plan.monthly[-1] == pytest.approx(4 * 100)


def test_cost_of_capital_charges_the_book_value() -> None:
    hardware = BoughtHardware(1, 12_000, 0, depreciation_months=12, cost_of_capital=0.12)
    plan = build_plan(flat(bought=hardware, migration_cost=0.0), 0)
    assert plan.monthly[0] == pytest.approx(12_000 * 0.01)  # full book value in month 1
    assert plan.monthly[6] == pytest.approx(12_000 * 0.5 * 0.01)  # half depreciated after 6 months


@pytest.mark.parametrize(
    ("switch", "label"),
    [(0, "Self-host from the start"), (7, "API until month 7, then self-host"), (36, "API for all 36 months")],
)
def test_plan_labels(switch: int, label: str) -> None:
    assert plan_label(switch, 36) == label


def test_defaults_are_a_decline_and_inside_epochs_range() -> None:
    assert EPOCH_SLOWEST_API_PRICE_CHANGE_PER_YEAR < DEFAULT_API_PRICE_CHANGE_PER_YEAR < 0


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"months": 0}, "months"),
        ({"monthly_growth": -1.0}, "monthly_growth"),
        ({"api_price_change_per_year": -1.0}, "api_price_change_per_year"),
        ({"migration_cost": -1.0}, "migration"),
    ],
)
def test_bad_inputs_name_the_field(changes: dict[str, object], field: str) -> None:
    with pytest.raises(DomainError) as raised:
        flat(**changes)
    assert raised.value.field == (field,)


@st.composite
def horizons(draw: st.DrawFn) -> HorizonInputs:
    bought = draw(
        st.none()
        | st.builds(
            BoughtHardware,
            gpus_per_unit=st.integers(1, 8),
            price_per_gpu=st.floats(1_000, 60_000),
            running_per_gpu_monthly=st.floats(0, 1_000),
            depreciation_months=st.floats(12, 96),
            residual_fraction=st.floats(0, 0.9),
            cost_of_capital=st.floats(0, 0.3),
        )
    )
    return HorizonInputs(
        months=draw(st.integers(1, 60)),
        requests_per_month=draw(st.floats(1e3, 1e9)),
        monthly_growth=draw(st.floats(-0.3, 0.3)),
        api_cost_per_request=draw(st.floats(1e-6, 0.05)),
        api_price_change_per_year=draw(st.floats(-0.95, 0.5)),
        gpu_price_change_per_year=draw(st.floats(-0.5, 0.5)),
        self_hosted=ReplicaStepCost(
            fixed_monthly=draw(st.floats(0, 50_000)),
            per_unit_monthly=draw(st.floats(100, 50_000)),
            requests_per_replica=draw(st.floats(1e4, 1e8)),
            min_replicas=draw(st.integers(0, 3)),
            redundancy=draw(st.integers(0, 2)),
        ),
        migration_cost=draw(st.floats(0, 200_000)),
        bought=bought,
    )


@settings(max_examples=150, deadline=None)
@given(horizons())
def test_cumulative_cost_is_non_decreasing(inputs: HorizonInputs) -> None:
    result = solve_horizon(inputs)
    for plan in result.plans:
        assert len(plan.cumulative) == inputs.months + 1
        assert all(b >= a for a, b in zip(plan.cumulative, plan.cumulative[1:], strict=False))
        assert plan.residual_value_at_end >= 0


@settings(max_examples=150, deadline=None)
@given(horizons())
def test_cheapest_plan_is_no_dearer_than_any_plan(inputs: HorizonInputs) -> None:
    result = solve_horizon(inputs)
    assert all(result.cheapest.net_total <= plan.net_total + 1e-6 * max(1.0, plan.net_total) for plan in result.plans)
    assert result.api_only.switch_month == inputs.months and result.self_hosted_from_start.switch_month == 0
    assert result.api_only.residual_value_at_end == 0


def test_bought_servers_are_bought_whole() -> None:
    # Issue 14: 2-GPU replicas packed four to an 8-GPU server. 2M requests need one replica of 2.628M,
    # but a server is the smallest thing one buys: 8 GPUs × $30,000 = $240,000 at month 0, and 8 GPUs
    # run at $100 each = $800/month. (Before, the horizon bought 2 GPUs: $60,000.)
    packed = ReplicaStepCost(
        fixed_monthly=0, per_unit_monthly=8 * 1460, requests_per_replica=2_628_000, replicas_per_unit=4
    )
    server = BoughtHardware(gpus_per_unit=8, price_per_gpu=30_000, running_per_gpu_monthly=100, depreciation_months=48)
    plan = build_plan(flat(self_hosted=packed, bought=server, migration_cost=0.0), 0)
    assert plan.one_time[0].hardware == pytest.approx(240_000)
    assert plan.monthly[0] == pytest.approx(800)
    assert plan.gpus_owned_at_end == 8
    # 4 replicas of load (up to 10.512M requests) still fit the one server; a fifth buys the second.
    grown = build_plan(flat(self_hosted=packed, bought=server, migration_cost=0.0, requests_per_month=10_600_000), 0)
    assert grown.one_time[0].hardware == pytest.approx(480_000)
