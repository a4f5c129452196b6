"""Issue 14: the defaults a platform engineer would sign. Precision as the model is served, the
smallest GPU count that fits, an interactive latency target, and what would fit when nothing does."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from app.catalog.loader import load_catalog
from app.core.errors import DoesNotFit
from app.scenario.evaluate import SelfHostedResult, evaluate
from app.scenario.inputs import (
    INTERACTIVE_MAX_TIME_TO_FIRST_TOKEN_SECONDS,
    INTERACTIVE_MIN_OUTPUT_TOKENS_PER_SECOND,
    ScenarioIn,
    WorkloadIn,
)
from app.scenario.resolve import serving_precision

CATALOG = load_catalog()


def _scenario(workload: dict[str, Any], **self_hosted: Any) -> ScenarioIn:
    option = {
        "kind": "self_hosted",
        "name": "Self-hosted",
        "pricing": {"kind": "rent", "per_gpu_hour": 2.0},
        **self_hosted,
    }
    return ScenarioIn.model_validate({"workload": workload, "options": [option]})


def _self_hosted(scenario: ScenarioIn) -> SelfHostedResult:
    result = evaluate(scenario, CATALOG)
    option = result.options[0]
    assert isinstance(option, SelfHostedResult)
    return option


CHAT = {"requests_per_month": 1_000_000, "input_tokens": 1000, "output_tokens": 300}


@pytest.mark.parametrize(
    ("model", "gpu", "precision", "reason_has"),
    [
        ("deepseek-v3", "h200-sxm", "fp8", "ships its weights in fp8"),
        ("deepseek-r1", "h100-sxm", "fp8", "ships its weights in fp8"),
        ("gpt-oss-120b", "h100-sxm", "fp4", "ships its weights in fp4"),
        ("gpt-oss-20b", "a100-sxm-80gb", "fp4", "ships its weights in fp4"),
        ("llama-3.1-8b", "l4", "fp8", "FP8 tensor cores"),
        ("llama-3.3-70b", "h100-sxm", "fp8", "FP8 tensor cores"),
        ("llama-3.3-70b", "mi300x", "fp8", "FP8 tensor cores"),
        ("llama-3.1-8b", "a100-sxm-80gb", "bf16", "no FP8 tensor cores"),
        ("qwen2.5-7b", "a10g", "bf16", "no FP8 tensor cores"),
    ],
)
def test_auto_precision_is_how_the_model_is_served(model: str, gpu: str, precision: str, reason_has: str) -> None:
    choice = serving_precision("auto", CATALOG.models[model], CATALOG.gpus[gpu])
    assert choice.precision == precision
    assert reason_has in choice.reason


def test_a_chosen_precision_is_kept_and_said_so() -> None:
    choice = serving_precision("bf16", CATALOG.models["deepseek-v3"], CATALOG.gpus["h200-sxm"])
    assert (choice.precision, choice.reason) == ("bf16", "chosen")


@pytest.mark.parametrize(
    ("model", "gpu", "gpu_count"),
    [
        # The two standard deployments that failed by default in bf16 ("needs ~1249.8 GiB").
        ("deepseek-v3", "h200-sxm", 8),
        ("gpt-oss-120b", "h100-sxm", 1),
        ("llama-3.1-8b", "l4", 1),
    ],
)
def test_standard_deployments_fit_by_default_on_the_smallest_count(model: str, gpu: str, gpu_count: int) -> None:
    option = _self_hosted(_scenario(CHAT, model=model, gpu=gpu))
    assert option.resolved.option.gpu_count == gpu_count
    assert option.resolved.precision_reason != "chosen"


def test_the_default_workload_is_interactive_with_stated_limits() -> None:
    workload = WorkloadIn.model_validate(CHAT)
    assert workload.latency_target == "interactive"
    core = workload.to_core()
    assert core.min_output_tokens_per_second_per_user == INTERACTIVE_MIN_OUTPUT_TOKENS_PER_SECOND == 20
    assert core.max_time_to_first_token_seconds == INTERACTIVE_MAX_TIME_TO_FIRST_TOKEN_SECONDS == 2


def test_offline_has_no_target_and_refuses_limits() -> None:
    core = WorkloadIn.model_validate({**CHAT, "latency_target": "offline"}).to_core()
    assert core.min_output_tokens_per_second_per_user is None
    assert core.max_time_to_first_token_seconds is None
    with pytest.raises(ValidationError, match="offline' has no latency target"):
        WorkloadIn.model_validate({**CHAT, "latency_target": "offline", "min_output_tokens_per_second_per_user": 20})


def test_the_default_target_is_respected_in_the_sized_batch() -> None:
    option = _self_hosted(_scenario(CHAT, model="llama-3.1-8b", gpu="l4"))
    estimate = option.resolved.estimate
    assert estimate is not None
    assert 1 / estimate.time_per_output_token_seconds >= 20
    assert estimate.time_to_first_token_seconds <= 2
    # The target binds here: offline, the same replica runs a bigger batch at a lower per-user speed.
    offline = _self_hosted(_scenario({**CHAT, "latency_target": "offline"}, model="llama-3.1-8b", gpu="l4"))
    assert offline.resolved.estimate is not None
    assert offline.resolved.estimate.concurrency > estimate.concurrency
    assert 1 / offline.resolved.estimate.time_per_output_token_seconds < 20
    assert offline.monthly_cost <= option.monthly_cost


@settings(max_examples=25, deadline=None)
@given(
    looser=st.floats(min_value=5, max_value=60),
    tighter_by=st.floats(min_value=0, max_value=30),
    volume=st.floats(min_value=1e4, max_value=1e9),
)
def test_a_stricter_latency_target_never_lowers_cost(looser: float, tighter_by: float, volume: float) -> None:
    def cost(min_speed: float) -> float:
        workload = {**CHAT, "requests_per_month": volume, "min_output_tokens_per_second_per_user": min_speed}
        return _self_hosted(_scenario(workload, model="llama-3.1-8b", gpu="h100-sxm")).monthly_cost

    assert cost(looser + tighter_by) >= cost(looser)


def test_a_model_that_does_not_fit_says_what_would() -> None:
    with pytest.raises(DoesNotFit) as raised:
        evaluate(_scenario(CHAT, model="llama-3.1-405b", gpu="l4", precision="bf16"), CATALOG)
    message = raised.value.message
    assert "what would fit:" in message
    # 405B in bf16 needs ~755 GiB: no count of 24 GB L4s holds it, fp8 on eight H100s does not either,
    # so the suggestions name bigger GPUs (each with the smallest count that fits) or a lower precision.
    suggestions = message.split("what would fit:")[1]
    assert " on " in suggestions and "×" in suggestions


@pytest.mark.parametrize(("min_speed", "gpu_count"), [(20, 1), (30, 2), (40, 4)])
def test_the_default_gpu_count_grows_until_one_user_gets_the_target(min_speed: float, gpu_count: int) -> None:
    # Llama 3.1 8B in fp8 on one L4 gives one user ~21 tok/s (8 GB of weights read per token over
    # 300 GB/s at the fitted bandwidth use): 30 tok/s needs the weight reads split over two GPUs.
    workload = {**CHAT, "min_output_tokens_per_second_per_user": min_speed}
    option = _self_hosted(_scenario(workload, model="llama-3.1-8b", gpu="l4"))
    assert option.resolved.option.gpu_count == gpu_count
    assert option.resolved.estimate is not None
    assert 1 / option.resolved.estimate.time_per_output_token_seconds >= min_speed


def test_a_fixed_gpu_count_that_misses_the_target_says_so() -> None:
    workload = {**CHAT, "min_output_tokens_per_second_per_user": 30}
    with pytest.raises(Exception, match="below the 30 tokens/s required"):
        _self_hosted(_scenario(workload, model="llama-3.1-8b", gpu="l4", gpu_count=1))


LEGACY_SAVED = {
    # A scenario saved before issue 14 (what `model_dump(mode="json", exclude_none=True)` wrote then): no
    # latency_target, no prefix_cache_hit_rate, no gpus_per_instance, no hosted_alternatives.
    "workload": {
        "requests_per_month": 3_000_000.0,
        "input_tokens": 4000.0,
        "output_tokens": 400.0,
        "cached_input_fraction": 0.3,
        "cache_write_fraction": 0.0,
        "batchable_fraction": 0.0,
        "peak_to_average": 2.5,
    },
    "options": [
        {
            "kind": "self_hosted",
            "name": "Llama 3.3 70B on 2×H100",
            "model": "llama-3.3-70b",
            "gpu": "h100-sxm",
            "gpu_count": 2,
            "precision": "fp8",
            "engine": "vllm",
            "pricing": {"kind": "rent", "offer": "nebius-h100-sxm-8x", "term": "on_demand"},
            "target_utilization": 0.8,
            "min_replicas": 2,
            "redundancy": 0,
            "ops_fte": 0.5,
            "platform_usd_per_month": 0.0,
        }
    ],
}


def test_a_scenario_saved_before_the_new_defaults_keeps_its_meaning() -> None:
    # Saved scenarios never change: what the old document left out meant no latency target, no self-hosted
    # prefix caching, GPUs billed one by one, plain tensor parallelism and no hosted offers.
    from app.scenario.inputs import STORED_DOCUMENT

    saved = ScenarioIn.model_validate(LEGACY_SAVED, context=STORED_DOCUMENT)
    assert saved.hosted_alternatives is False
    assert saved.workload.latency_target == "offline" and saved.workload.prefix_cache_hit_rate == 0.0
    option = saved.options[0]
    assert option.kind == "self_hosted" and option.pricing.gpus_per_instance == 1
    result = evaluate(saved, CATALOG)
    (self_hosted,) = result.options
    assert isinstance(self_hosted, SelfHostedResult)
    assert self_hosted.resolved.option.gpus_per_instance == 1
    assert self_hosted.resolved.estimate is not None
    assert self_hosted.resolved.estimate.cached_prefix_tokens_per_request == 0
    # The same document typed in today takes today's defaults.
    today = ScenarioIn.model_validate(LEGACY_SAVED)
    assert today.hosted_alternatives and today.workload.latency_target == "interactive"


def test_a_scenario_saved_today_reads_back_as_saved() -> None:
    from app.scenario.inputs import STORED_DOCUMENT

    scenario = ScenarioIn.model_validate(LEGACY_SAVED)
    stored = scenario.model_dump(mode="json", exclude_none=True)
    assert ScenarioIn.model_validate(stored, context=STORED_DOCUMENT) == scenario
