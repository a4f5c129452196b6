"""The throughput-vs-interactivity curve (issue 15): output tokens/s per GPU against tokens/s per user as
concurrency grows, in POST /api/v1/throughput's answer and as the chart kind "interactivity"."""

from __future__ import annotations

import copy
import math
import xml.etree.ElementTree as ET
from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from app.catalog.efficiencies import efficiencies_for
from app.catalog.loader import load_catalog
from app.core.efficiencies import ENGINES
from app.core.errors import DomainError
from app.core.throughput import ServingSetup, estimate_throughput
from app.render.interactivity import interactivity_figure
from app.scenario.evaluate import SelfHostedResult, evaluate
from app.scenario.inputs import ScenarioIn, SelfHostedOptionIn
from app.scenario.interactivity import (
    InteractivityCurve,
    interactivity_curve,
    option_setup,
    scenario_curves,
    sweep_concurrencies,
)
from app.web.api import BREAKEVEN_EXAMPLE, FLAT_API_EXAMPLE, LLAMA_ON_H100_EXAMPLE, THROUGHPUT_EXAMPLE
from app.web.api_schemas import InteractivityOut
from app.web.query_codec import scenario_to_query

CATALOG = load_catalog()
LLAMA_70B, H100 = CATALOG.models["llama-3.3-70b"], CATALOG.gpus["h100-sxm"]


def setup(**overrides: Any) -> ServingSetup:
    base = ServingSetup(LLAMA_70B, H100, 2, "fp8", "fp8", "vllm", 1000, 500)
    return replace(base, **overrides)


def curve_of(example: ServingSetup) -> InteractivityCurve:
    return interactivity_curve(example, efficiencies_for(example.engine))


# --- the sweep ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("max_concurrency", "sized", "expected"),
    [
        (1, 1, (1,)),
        # Powers of two below the cap, the cap (256 is one), the sized 112 between 64 and 128.
        (256, 112, (1, 2, 4, 8, 16, 32, 64, 112, 128, 256)),
        # A memory cap of 34 sequences, sized at 29 by the latency target: 1…32, then 29 and 34.
        (34, 29, (1, 2, 4, 8, 16, 29, 32, 34)),
        # The largest engine cap (4,096, app/catalog/efficiencies.toml): 13 powers, sized at the cap.
        (4096, 4096, tuple(2**k for k in range(13))),
        # A sized concurrency above the cap (a request queues) is drawn at the cap.
        (6, 50, (1, 2, 4, 6)),
    ],
)
def test_the_sweep_is_powers_of_two_the_cap_and_the_sized_point(
    max_concurrency: int, sized: int, expected: tuple[int, ...]
) -> None:
    assert sweep_concurrencies(max_concurrency, sized) == expected


def test_each_point_reads_the_estimate_at_its_concurrency() -> None:
    example = setup(min_output_tokens_per_second_per_user=20.0, max_time_to_first_token_seconds=2.0)
    curve = curve_of(example)
    assert len(curve.points) <= 15  # bounded work: at most ~15 estimates per curve
    unconstrained = replace(example, min_output_tokens_per_second_per_user=None, max_time_to_first_token_seconds=None)
    for point in curve.points:
        estimate = estimate_throughput(replace(unconstrained, concurrency=point.concurrency), efficiencies_for("vllm"))
        assert estimate.concurrency == point.concurrency
        # Per GPU = the replica's tokens/s over its 2 GPUs; per user = 1 / the estimate's TPOT, read, not rebuilt.
        assert point.output_tokens_per_second_per_gpu == pytest.approx(estimate.output_tokens_per_second / 2)
        assert point.output_tokens_per_second_per_user * estimate.time_per_output_token_seconds == pytest.approx(1.0)
        assert point.time_to_first_token_seconds == pytest.approx(estimate.time_to_first_token_seconds)
    assert curve.points[-1].concurrency == curve.max_concurrency
    assert curve.gpu_count == 2


def test_the_sized_point_lies_on_the_curve_and_meets_the_target() -> None:
    example = setup(min_output_tokens_per_second_per_user=20.0, max_time_to_first_token_seconds=2.0)
    curve = curve_of(example)
    sized = curve.sized
    estimate = estimate_throughput(example, efficiencies_for("vllm"))  # the setup's own estimate, target enforced
    assert sized.concurrency == estimate.concurrency
    assert sized.output_tokens_per_second_per_gpu == estimate.output_tokens_per_second_per_gpu
    (on_curve,) = [p for p in curve.points if p.concurrency == sized.concurrency]
    assert on_curve.output_tokens_per_second_per_gpu == pytest.approx(sized.output_tokens_per_second_per_gpu, rel=1e-12)
    assert on_curve.output_tokens_per_second_per_user == pytest.approx(
        sized.output_tokens_per_second_per_user, rel=1e-12
    )
    assert sized.meets_latency_target and on_curve.meets_latency_target
    # The target caps the batch here (the estimator sizes the largest batch that meets it): every larger
    # concurrency of the curve misses 20 tokens/s per user, every smaller one meets it.
    assert sized.concurrency < curve.max_concurrency
    for point in curve.points:
        assert point.meets_latency_target == (point.concurrency <= sized.concurrency)
        if point.concurrency > sized.concurrency:
            assert point.output_tokens_per_second_per_user < 20.0


def test_without_a_target_every_point_meets_it_and_the_sized_point_is_the_cap() -> None:
    curve = curve_of(setup())
    assert curve.min_output_tokens_per_second_per_user is None and curve.max_time_to_first_token_seconds is None
    assert all(p.meets_latency_target for p in curve.points)
    assert curve.sized.concurrency == curve.max_concurrency == curve.points[-1].concurrency


def test_a_fixed_concurrency_is_the_sized_point_and_the_sweep_still_reaches_the_cap() -> None:
    curve = curve_of(setup(concurrency=12))
    assert curve.sized.concurrency == 12
    assert 12 in [p.concurrency for p in curve.points]
    assert curve.points[-1].concurrency == curve.max_concurrency > 12


def test_a_target_no_batch_meets_is_refused_naming_the_field() -> None:
    with pytest.raises(DomainError) as error:
        curve_of(setup(min_output_tokens_per_second_per_user=5_000.0))
    assert error.value.field == ("min_output_tokens_per_second_per_user",)


# --- the frontier, over catalog setups ----------------------------------------------------------


@given(
    st.sampled_from(sorted(CATALOG.models)),
    st.sampled_from(sorted(CATALOG.gpus)),
    st.sampled_from(("bf16", "fp8", "fp4", "int4")),
    st.sampled_from(ENGINES),
    st.integers(1, 16_000),
    st.integers(1, 4_000),
    st.sampled_from((1, 2, 4, 8)),
)
@settings(max_examples=80, deadline=None)
def test_per_gpu_throughput_never_falls_and_per_user_speed_never_rises_as_concurrency_grows(
    model: str, gpu: str, precision: str, engine: str, input_tokens: int, output_tokens: int, gpu_count: int
) -> None:
    example = ServingSetup(
        CATALOG.models[model],
        CATALOG.gpus[gpu],
        gpu_count,
        precision,
        precision,
        engine,
        input_tokens,
        output_tokens,  # type: ignore[arg-type]
    )
    try:
        curve = curve_of(example)
    except DomainError:  # does not fit, heads not divisible, context too long, …
        assume(False)
        raise
    concurrencies = [p.concurrency for p in curve.points]
    assert concurrencies == sorted(set(concurrencies)) and concurrencies[0] == 1
    assert len(curve.points) <= 15
    for before, after in zip(curve.points, curve.points[1:], strict=False):
        assert after.output_tokens_per_second_per_gpu >= before.output_tokens_per_second_per_gpu * (1 - 1e-9)
        assert after.output_tokens_per_second_per_user <= before.output_tokens_per_second_per_user * (1 + 1e-9)
    for point in curve.points:
        assert math.isfinite(point.output_tokens_per_second_per_gpu) and point.output_tokens_per_second_per_gpu > 0
        assert math.isfinite(point.output_tokens_per_second_per_user) and point.output_tokens_per_second_per_user > 0


# --- a scenario's options -----------------------------------------------------------------------

ESTIMATED: dict[str, Any] = {
    **LLAMA_ON_H100_EXAMPLE,
    "name": "Llama estimated",
    "output_tokens_per_second": None,
    "gpu_count": None,
}
SCENARIO: dict[str, Any] = {
    **copy.deepcopy(BREAKEVEN_EXAMPLE),
    "hosted_alternatives": False,
    "options": [FLAT_API_EXAMPLE, LLAMA_ON_H100_EXAMPLE, ESTIMATED],
}


def test_a_scenario_draws_its_estimated_options_at_the_setup_they_were_sized_with() -> None:
    scenario = ScenarioIn.model_validate(SCENARIO)
    result = evaluate(scenario, CATALOG)
    curves = scenario_curves(result, scenario)
    # The measured 500 tokens/s option has no curve: the estimator did not size it.
    assert [c.name for c in curves] == ["Llama estimated"]
    (option,) = [
        o for o in result.options if isinstance(o, SelfHostedResult) and o.resolved.option.name == "Llama estimated"
    ]
    spec = scenario.options[2]
    assert isinstance(spec, SelfHostedOptionIn)
    rebuilt = option_setup(option.resolved)
    assert rebuilt is not None and option.resolved.estimate is not None
    # The rebuilt setup gives the very estimate the option was priced with (auto GPU count, the target).
    assert estimate_throughput(rebuilt, option.resolved.estimate.efficiencies) == option.resolved.estimate
    assert curves[0].curve.sized.concurrency == option.resolved.estimate.concurrency
    assert (
        curves[0].curve.min_output_tokens_per_second_per_user == result.workload.min_output_tokens_per_second_per_user
    )


def test_the_figure_refuses_a_scenario_without_an_estimated_option() -> None:
    with pytest.raises(ValueError, match="kind=interactivity"):
        interactivity_figure([])


# --- JSON ---------------------------------------------------------------------------------------


def test_the_throughput_endpoint_answers_the_curve(client: TestClient) -> None:
    body = client.post("/api/v1/throughput", json=THROUGHPUT_EXAMPLE).json()
    curve = InteractivityOut.model_validate(body["interactivity"])
    assert [p.concurrency for p in curve.points] == list(
        sweep_concurrencies(curve.max_concurrency, body["concurrency"])
    )
    assert curve.sized.concurrency == body["concurrency"]
    assert curve.sized.output_tokens_per_second_per_gpu == pytest.approx(body["output_tokens_per_second_per_gpu"])
    assert curve.sized.output_tokens_per_second_per_user == pytest.approx(1 / body["time_per_output_token_seconds"])
    assert curve.gpu_count == body["gpu_count"] == 4


def test_the_throughput_endpoint_marks_the_target(client: TestClient) -> None:
    request = {**THROUGHPUT_EXAMPLE, "min_output_tokens_per_second_per_user": 40.0}
    body = client.post("/api/v1/throughput", json=request).json()
    curve = body["interactivity"]
    assert curve["min_output_tokens_per_second_per_user"] == 40.0
    met = [p["meets_latency_target"] for p in curve["points"]]
    assert met[0] and not met[-1]  # 1 user gets 40 tokens/s, the full batch does not
    assert curve["sized"]["meets_latency_target"]


# --- the chart ----------------------------------------------------------------------------------


def chart_query(scenario: dict[str, Any] = SCENARIO, **chart: Any) -> str:
    return scenario_to_query(ScenarioIn.model_validate(scenario)) + "&" + urlencode({"kind": "interactivity", **chart})


@pytest.mark.parametrize("width", [360, 720])
def test_the_chart_is_well_formed_svg_naming_its_options(client: TestClient, width: int) -> None:
    response = client.get("/chart.svg?" + chart_query(width=width))
    assert response.status_code == 200, response.text
    root = ET.fromstring(response.content)
    assert root.tag.endswith("svg") and root.get("width") == str(width)
    text = response.text
    assert "Throughput vs interactivity" in text
    assert "Llama estimated" in text and "Llama on H100" not in text  # only the estimated option has a curve
    assert "Output tokens/s per GPU" in text and "Tokens/s per user" in text
    assert "target: 20 tokens/s per user" in text and "sized: " in text


def test_the_chart_renders_as_png_and_in_an_embed(client: TestClient) -> None:
    png = client.get("/chart.png?" + chart_query(width=360, height=460, scale=1))
    assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    embed = client.get("/embed?" + chart_query())
    assert embed.status_code == 200 and "kind=interactivity" in embed.text
    assert "Throughput vs interactivity" in embed.text


def test_a_scenario_without_an_estimated_option_is_a_422_naming_kind(client: TestClient) -> None:
    measured_only = {**SCENARIO, "options": [FLAT_API_EXAMPLE, LLAMA_ON_H100_EXAMPLE]}
    response = client.get("/chart.svg?" + chart_query(measured_only))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "kind"]


def test_the_page_links_the_chart_from_each_estimated_options_work(client: TestClient) -> None:
    page = client.get("/?" + scenario_to_query(ScenarioIn.model_validate(SCENARIO)))
    assert page.status_code == 200
    links = page.text.count('class="interactivity-link"')
    assert links == 1  # the estimated option's block; the measured one has none
    assert "kind=interactivity" in page.text
