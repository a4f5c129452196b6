"""Instances as sold (issue 14): replicas packed onto whole instances, billed by the instance.

Hand-calculated tables first (per-GPU monthly cost p = $2/GPU-hour × 730 h = $1,460; one replica
serves Q = 1 request/s × 730 h × 3600 s = 2,628,000 requests a month at 100% utilization), then
properties: the cost never falls with volume, is never below the per-GPU cost, and every solver
(break-even, envelope, Monte Carlo, overflow hybrid, chart) follows the instance staircase exactly.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from app.catalog.loader import load_catalog
from app.core.breakeven import LinearCost, solve_breakeven
from app.core.hybrid import OverflowInputs, overflow_point, solve_overflow
from app.core.self_hosted import BuyPricing, RentPricing, ReplicaStepCost, SelfHostedOption
from app.core.uncertainty import breakeven_vectorised, self_hosted_cost_vectorised
from app.render.chart_series import _staircase
from app.scenario.evaluate import SelfHostedResult, evaluate
from app.scenario.inputs import ScenarioIn

P = 2.0 * 730  # $1,460 per GPU-month
Q = 2_628_000.0  # requests per replica-month


def option(gpu_count: int, gpus_per_instance: int, redundancy: int = 0, min_replicas: int = 1) -> SelfHostedOption:
    return SelfHostedOption(
        name="x",
        gpu_count=gpu_count,
        pricing=RentPricing(per_gpu_hour=2.0),
        replica_requests_per_second=1.0,
        target_utilization=1.0,
        min_replicas=min_replicas,
        redundancy=redundancy,
        gpus_per_instance=gpus_per_instance,
    )


# (GPUs per replica g, GPUs per instance I, redundancy r, load in replicas V/Q)
#   -> (replicas incl. spares, instances, idle GPUs, monthly cost)
TABLE = [
    # An 8-GPU instance holds 4 two-GPU replicas (k = 8 // 2 = 4): 1 and 4 replicas fit on one instance,
    # the 5th opens a second: ⌈5/4⌉ = 2 instances = 16 GPUs for 10 used, 6 idle, 2 × 8 × $1,460.
    pytest.param(2, 8, 0, 1, 1, 1, 6, 8 * P, id="2gpu-on-8-one-replica"),
    pytest.param(2, 8, 0, 4, 4, 1, 0, 8 * P, id="2gpu-on-8-four-replicas-one-instance"),
    pytest.param(2, 8, 0, 5, 5, 2, 6, 16 * P, id="2gpu-on-8-fifth-replica-second-instance"),
    # 8 one-GPU replicas share one 8-GPU instance; the 9th opens another (7 idle).
    pytest.param(1, 8, 0, 8, 8, 1, 0, 8 * P, id="1gpu-on-8-eight-share"),
    pytest.param(1, 8, 0, 9, 9, 2, 7, 16 * P, id="1gpu-on-8-ninth"),
    # A 2-GPU replica with one spare on an 8-GPU instance: 3 loaded + 1 spare = 4 fit one instance;
    # a 4th loaded replica makes 5 replicas, ⌈5/4⌉ = 2 instances.
    pytest.param(2, 8, 1, 1, 2, 1, 4, 8 * P, id="2gpu-spare-on-8-one-loaded"),
    pytest.param(2, 8, 1, 3, 4, 1, 0, 8 * P, id="2gpu-spare-on-8-three-loaded"),
    pytest.param(2, 8, 1, 4, 5, 2, 6, 16 * P, id="2gpu-spare-on-8-four-loaded"),
    # 3-GPU replicas on 8: k = 2 (2 GPUs of each instance idle); 3 replicas take ⌈3/2⌉ = 2 instances, 7 idle.
    pytest.param(3, 8, 0, 3, 3, 2, 7, 16 * P, id="3gpu-on-8"),
    # g > I: a 12-GPU replica takes ⌈12/8⌉ = 2 instances (4 GPUs idle each); 3 replicas = 6 instances.
    pytest.param(12, 8, 0, 3, 3, 6, 12, 48 * P, id="12gpu-spans-two-8gpu-instances"),
    pytest.param(16, 8, 0, 2, 2, 4, 0, 32 * P, id="16gpu-spans-two-8gpu-instances"),
    # I = 1: per GPU, any count, as before instances (2 replicas × 2 GPUs × $1,460).
    pytest.param(2, 1, 0, 2, 2, 4, 0, 4 * P, id="per-gpu-unchanged"),
]


@pytest.mark.parametrize(("g", "size", "r", "load", "replicas", "instances", "idle", "cost"), TABLE)
def test_instances_table(
    g: int, size: int, r: int, load: int, replicas: int, instances: int, idle: int, cost: float
) -> None:
    opt = option(g, size, redundancy=r)
    curve = opt.cost_curve(1.0)
    volume = load * Q
    assert curve.replicas(volume) == replicas
    assert opt.instances_at_replicas(replicas) == instances
    assert opt.idle_gpus_at_replicas(replicas) == idle
    assert opt.gpus_billed_at_replicas(replicas) == instances * size
    assert curve.cost(volume) == pytest.approx(cost, rel=1e-12)


def test_a_replica_spanning_instances_says_so() -> None:
    assert option(12, 8).spans_instances and "spans 2 instances of 8 GPUs" in (option(12, 8).spans_instances_note or "")
    assert option(12, 8).spans_instances_note and "not modelled" in option(12, 8).spans_instances_note
    # Sold per GPU, or packed onto one instance: no cross-instance tensor parallelism.
    assert option(12, 1).spans_instances_note is None and option(2, 8).spans_instances_note is None


def test_a_bought_8_gpu_server_is_an_8_gpu_unit() -> None:
    # A $300,000 server of 8 GPUs, straight-line over 4 years, no power: $37,500 per GPU ÷ 48 months
    # = $781.25 per GPU-month; the server, $6,250 a month, holds 4 two-GPU replicas.
    bought = SelfHostedOption(
        name="server",
        gpu_count=2,
        pricing=BuyPricing(capex_per_gpu=37_500, depreciation_years=4, watts_per_gpu=0),
        replica_requests_per_second=1.0,
        target_utilization=1.0,
        gpus_per_instance=8,
    )
    curve = bought.cost_curve(1.0)
    assert curve.per_unit_monthly == pytest.approx(6_250)
    assert [curve.cost(n * Q) for n in (1, 4, 5)] == pytest.approx([6_250, 6_250, 12_500])


def test_break_even_on_an_8_gpu_only_offer_pays_the_whole_instance() -> None:
    # Issue 14's example: a 2-GPU replica on an offer sold only as 8-GPU instances. The smallest unit
    # costs 8 × $1,460 = $11,680 (per GPU it would be 2 × $1,460 = $2,920). Against an API at $0.002
    # a request, one instance (4 replicas, up to 4Q = 10,512,000 requests) becomes cheaper at
    # 11,680 / 0.002 = 5,840,000 (per GPU: 2,920 / 0.002 = 1,460,000). The second instance
    # ($23,360, from 10,512,000) lets the API back until 23,360 / 0.002 = 11,680,000; the third
    # ($35,040 from 21,024,000, where the API costs $42,048) is cheaper throughout.
    api = LinearCost(0.002)
    per_gpu = solve_breakeven(api, option(2, 1).cost_curve(1.0))
    instance = solve_breakeven(api, option(2, 8).cost_curve(1.0))
    assert per_gpu.first_crossover == pytest.approx(1_460_000)
    assert instance.first_crossover == pytest.approx(5_840_000)
    assert instance.stays_cheaper_above == pytest.approx(11_680_000)
    assert instance.api_cheaper_again_count == 1
    (dip,) = instance.api_cheaper_again
    assert (dip.start, dip.end) == pytest.approx((10_512_000, 11_680_000))
    # Marginal cost per request: $11,680 ÷ (4 × 2,628,000) ≈ $0.00111.
    assert instance.self_hosted_marginal_cost_per_request == pytest.approx(11_680 / (4 * Q))


# --- properties -------------------------------------------------------------------------------

options = st.builds(
    option,
    gpu_count=st.sampled_from([1, 2, 3, 4, 8, 12, 16]),
    gpus_per_instance=st.sampled_from([1, 2, 4, 8]),
    redundancy=st.integers(0, 3),
    min_replicas=st.integers(0, 5),
)


@settings(max_examples=300, deadline=None)
@given(options, st.floats(0, 1e9), st.floats(0, 1e9))
def test_cost_never_decreases_with_volume(opt: SelfHostedOption, v1: float, v2: float) -> None:
    curve = opt.cost_curve(1.0)
    low, high = sorted((v1, v2))
    assert curve.cost(low) <= curve.cost(high)
    assert curve.units(low) <= curve.units(high)


@settings(max_examples=300, deadline=None)
@given(options, st.floats(0, 1e9))
def test_instances_never_cost_less_than_per_gpu(opt: SelfHostedOption, volume: float) -> None:
    per_gpu = option(opt.gpu_count, 1, opt.redundancy, opt.min_replicas).cost_curve(1.0)
    curve = opt.cost_curve(1.0)
    assert curve.cost(volume) >= per_gpu.cost(volume) * (1 - 1e-12)
    # The bill is every GPU of the instances: instances × I × p, with no GPU unused beyond one unit.
    replicas = curve.replicas(volume)
    assert curve.cost(volume) == pytest.approx(opt.instances_at_replicas(replicas) * opt.gpus_per_instance * P)
    assert 0 <= opt.idle_gpus_at_replicas(replicas)
    assert opt.idle_gpus_at_replicas(replicas) < max(replicas, 1) * opt.gpus_per_unit


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 16), st.integers(0, 3), st.integers(0, 5), st.floats(0, 1e9))
def test_per_gpu_is_the_old_formula(g: int, r: int, minimum: int, volume: float) -> None:
    # I = 1: g·p·(max(m, ⌈V/Q⌉) + r), exactly as before instances were modelled (with its rounding
    # guard: a quotient within 1e-9 of a whole number is that number).
    curve = option(g, 1, r, minimum).cost_curve(1.0)
    quotient = volume / Q
    if round(quotient) > 0 and abs(quotient - round(quotient)) <= 1e-9 * round(quotient):
        quotient = round(quotient)
    load = max(minimum, math.ceil(quotient)) if volume > 0 else minimum
    assert curve.cost(volume) == g * P * (load + r)


curves = st.builds(
    ReplicaStepCost,
    fixed_monthly=st.one_of(st.just(0.0), st.floats(0, 50_000)),
    per_unit_monthly=st.floats(10, 100_000),
    requests_per_replica=st.floats(1e3, 1e8),
    min_replicas=st.integers(0, 5),
    redundancy=st.integers(0, 3),
    replicas_per_unit=st.integers(1, 8),
)


@settings(max_examples=300, deadline=None)
@given(curves, st.floats(1e-6, 1e-1), st.floats(1, 1e10))
def test_monte_carlo_closed_form_follows_the_instance_staircase(
    curve: ReplicaStepCost, a: float, volume: float
) -> None:
    """The vectorised break-even and cost equal solve_breakeven and ReplicaStepCost.cost for k ≥ 1."""

    def arr(x: float) -> npt.NDArray[np.float64]:
        return np.array([x])

    solved = breakeven_vectorised(
        arr(a),
        arr(curve.per_unit_monthly),
        arr(curve.requests_per_replica),
        arr(curve.fixed_monthly),
        curve.min_replicas,
        curve.redundancy,
        curve.replicas_per_unit,
    )
    exact = solve_breakeven(LinearCost(a), curve)
    first = exact.first_crossover if exact.first_crossover is not None else math.inf
    stays = exact.stays_cheaper_above if exact.stays_cheaper_above is not None else math.inf
    assert solved.first_crossover[0] == pytest.approx(first, rel=1e-9)
    assert solved.stays_cheaper_above[0] == pytest.approx(stays, rel=1e-9)
    cost = self_hosted_cost_vectorised(
        arr(curve.per_unit_monthly),
        arr(curve.requests_per_replica),
        arr(curve.fixed_monthly),
        curve.min_replicas,
        curve.redundancy,
        volume,
        curve.replicas_per_unit,
    )
    assert cost[0] == pytest.approx(curve.cost(volume), rel=1e-12)


@settings(max_examples=200, deadline=None)
@given(
    st.floats(1e4, 1e8),
    st.lists(st.floats(0, 5), min_size=24, max_size=24).filter(lambda w: sum(w) > 0),
    st.floats(1e-5, 1e-2),
    st.floats(0.01, 5),
    st.floats(100, 20_000),
    st.integers(1, 3),
    st.integers(0, 2),
    st.integers(1, 8),
)
def test_overflow_optimum_is_the_brute_force_minimum_on_instances(
    volume: float, weights: list[float], a: float, mu: float, unit: float, m: int, r: int, k: int
) -> None:
    total = sum(weights)
    inputs = OverflowInputs(
        requests_per_month=volume,
        profile=tuple(24 * w / total for w in weights),
        api_cost_per_request=a,
        replica_requests_per_second=mu,
        per_unit_monthly=unit,
        fixed_monthly=0.0,
        min_replicas=m,
        redundancy=r,
        replicas_per_unit=k,
    )
    if inputs.peak_replicas > 5_000:
        return  # keeps the brute force quick
    brute = min(
        overflow_point(inputs, n).monthly_cost for n in [0, *range(inputs.lowest_replicas, inputs.peak_replicas + 1)]
    )
    assert solve_overflow(inputs).best.monthly_cost == pytest.approx(brute, rel=1e-12)
    # All self-hosted: the /breakeven cost of the same units.
    assert solve_overflow(inputs).all_self_hosted.self_hosted_monthly_cost == pytest.approx(
        inputs.all_self_hosted_curve().cost(volume)
    )


def test_chart_staircase_steps_at_instance_boundaries() -> None:
    # 2-GPU replicas, one spare, on 8-GPU instances: instance u carries (4u − 1)·Q, so the corners are
    # at 3Q, 7Q, 11Q, each a step of one instance's $11,680.
    curve = option(2, 8, redundancy=1).cost_curve(1.0)
    points = _staircase(curve, 1.0, 12 * Q, x_pixel=10_000)
    corners = [v for (v, c), (v2, c2) in zip(points, points[1:], strict=False) if v == v2 and c2 > c]
    assert corners == pytest.approx([3 * Q, 7 * Q, 11 * Q])
    assert [c for v, c in points if v == 7 * Q] == pytest.approx([16 * P, 24 * P])


# --- the scenario: inputs, resolution, results -------------------------------------------------


def _scenario(pricing: dict[str, object], gpu_count: int = 2, volume: float = 1_000_000) -> ScenarioIn:
    return ScenarioIn.model_validate(
        {
            "workload": {"requests_per_month": volume, "input_tokens": 500, "output_tokens": 500},
            "options": [
                {"kind": "api", "name": "Flat API", "input_per_mtok": 1.0, "output_per_mtok": 1.0},
                {
                    "kind": "self_hosted",
                    "name": "Replica",
                    "gpu_count": gpu_count,
                    "output_tokens_per_second": 500,
                    "target_utilization": 1.0,
                    "pricing": pricing,
                },
            ],
        }
    )


def _self_hosted(scenario: ScenarioIn) -> SelfHostedResult:
    result = evaluate(scenario, load_catalog())
    (sh,) = [o for o in result.options if isinstance(o, SelfHostedResult)]
    return sh


@pytest.mark.parametrize(
    ("pricing", "size"),
    [
        pytest.param({"kind": "rent", "offer": "aws-p5-48xlarge-us-east-1"}, 8, id="aws-p5-sells-8"),
        pytest.param({"kind": "rent", "offer": "aws-p5-4xlarge-us-east-1"}, 1, id="aws-p5-4xlarge-sells-1"),
        pytest.param({"kind": "rent", "per_gpu_hour": 2.0}, 1, id="typed-price-per-gpu"),
        pytest.param({"kind": "rent", "per_gpu_hour": 2.0, "gpus_per_instance": 4}, 4, id="typed-instance"),
        pytest.param(
            {"kind": "rent", "offer": "aws-p5-48xlarge-us-east-1", "gpus_per_instance": 1}, 1, id="user-overrides"
        ),
        pytest.param({"kind": "buy", "offer": "hgx-h100-server"}, 8, id="bought-server-is-8"),
        pytest.param({"kind": "buy", "offer": "h100-pcie-card"}, 1, id="bought-card-is-1"),
        pytest.param({"kind": "buy", "price_per_gpu": 30_000}, 1, id="typed-purchase-per-gpu"),
    ],
)
def test_gpus_per_instance_defaults_to_the_offers(pricing: dict[str, object], size: int) -> None:
    sh = _self_hosted(_scenario(pricing, gpu_count=1))
    assert sh.gpus_per_instance == size


def test_evaluated_result_on_aws_p5_bills_the_whole_instance() -> None:
    # 1M requests/month at Q = 2,628,000: 1 replica of 2 GPUs on one p5.48xlarge (8 × H100 at
    # $6.88/GPU-hour): 8 × 6.88 × 730 = $40,179.20 a month, 6 GPUs idle (per GPU it was $10,044.80).
    sh = _self_hosted(_scenario({"kind": "rent", "offer": "aws-p5-48xlarge-us-east-1"}))
    assert (sh.replicas, sh.instances, sh.idle_gpus) == (1, 1, 6)
    assert sh.monthly_cost == pytest.approx(8 * 6.88 * 730)


def test_api_reports_instances_and_idle_gpus(client: TestClient) -> None:
    body = _scenario({"kind": "rent", "offer": "aws-p5-48xlarge-us-east-1"}, volume=5 * Q).model_dump(mode="json")
    response = client.post("/api/v1/breakeven", json=body)
    assert response.status_code == 200, response.text
    (sh,) = [o for o in response.json()["options"] if o["kind"] == "self_hosted"]
    # 5 replicas of 2 GPUs, 4 per instance: 2 instances, 16 − 10 = 6 idle, 2 × 8 × $5,022.40.
    assert (sh["replicas"], sh["gpus"], sh["gpus_per_instance"], sh["instances"], sh["idle_gpus"]) == (5, 10, 8, 2, 6)
    assert sh["monthly_cost"] == pytest.approx(16 * 6.88 * 730)
    assert sh["marginal_cost_per_request"] == pytest.approx(8 * 6.88 * 730 / (4 * Q))


def test_gpus_per_instance_is_bounded() -> None:
    with pytest.raises(ValueError, match="gpus_per_instance"):
        _scenario({"kind": "rent", "per_gpu_hour": 2.0, "gpus_per_instance": 0})
    with pytest.raises(ValueError, match="gpus_per_instance"):
        _scenario({"kind": "buy", "price_per_gpu": 30_000, "gpus_per_instance": 1025})
