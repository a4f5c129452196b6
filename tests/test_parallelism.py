"""Attention data-parallelism and expert parallelism (issue 15): hand calculations, refusals, defaults, a property.

Specs are built inline from their public facts (DeepSeek-V3 config.json: 61 layers, hidden 7168, 128
heads, 256 routed experts, top-8, kv_lora_rank 512, qk_rope_head_dim 64; H200 SXM datasheet: 141 GB,
4.8 TB/s, NVLink 450 GB/s each way) so these tests do not depend on the catalog files.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from fastapi.testclient import TestClient
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from app.core.efficiencies import DEFAULT_EFFICIENCIES, DEFAULT_MEMORY_FRACTION
from app.core.errors import DoesNotFit, DomainError
from app.core.memory import check_fit, kv_bytes_per_token_per_gpu
from app.core.parallelism import (
    ATTENTION_DP_DEFAULT_SOURCE,
    TENSOR_PARALLEL_MEMORY_SOURCE,
    Parallelism,
    all_to_all_bytes_per_layer,
    chosen_parallelism,
    default_parallelism,
    dense_weight_bytes_per_gpu,
    expert_load_imbalance,
    routed_weight_bytes_per_gpu,
    validate_parallelism,
)
from app.core.specs import GpuSpec, ModelArchitecture
from app.core.throughput import ServingSetup, _make_plan, _prefill_compute_seconds, estimate_throughput
from app.core.units import GIB
from tests.helpers import assert_error_shape

H200 = GpuSpec(
    id="h200-sxm",
    name="H200 SXM",
    vendor="NVIDIA",
    memory_gib=141,
    memory_bandwidth_tb_s=4.8,
    dense_tflops={"bf16": 989.4, "fp8": 1978.9},
    tdp_watts=700,
    interconnect="nvlink",
    interconnect_gb_s=450,
    max_gpus_per_node=8,
    source="test",
    as_of="2026-11-26",
)
H20 = replace(H200, id="h20", memory_gib=96, memory_bandwidth_tb_s=4.0, dense_tflops={"bf16": 148, "fp8": 296})
DEEPSEEK_V3 = ModelArchitecture(
    id="deepseek-v3",
    name="DeepSeek-V3",
    hf_id="deepseek-ai/DeepSeek-V3",
    total_params_b=671.0,
    active_params_b=37.0,
    num_layers=61,
    hidden_size=7168,
    num_attention_heads=128,
    num_kv_heads=128,
    head_dim=128,
    vocab_size=129280,
    max_context=163840,
    num_experts=256,
    experts_per_token=8,
    routed_expert_params_b=653.79,
    kv_lora_rank=512,
    qk_rope_head_dim=64,
    native_precision="fp8",
)
LLAMA_70B = ModelArchitecture(
    id="llama-3.1-70b",
    name="Llama 3.1 70B",
    hf_id="meta-llama/Llama-3.1-70B",
    total_params_b=70.6,
    active_params_b=70.6,
    num_layers=80,
    hidden_size=8192,
    num_attention_heads=64,
    num_kv_heads=8,
    head_dim=128,
    vocab_size=128256,
    max_context=131072,
)
QWEN3_235B = replace(
    LLAMA_70B,
    id="qwen3-235b-a22b",
    total_params_b=235.1,
    active_params_b=22.2,
    num_layers=94,
    hidden_size=4096,
    num_kv_heads=4,
    num_experts=128,
    experts_per_token=8,
    routed_expert_params_b=227.06,
)
TP8 = Parallelism(8)
DEP8 = Parallelism(tensor_parallel=1, attention_data_parallel=8, expert_parallel=8)
# An engine without a batch cap in the way, reserving every output token's KV (context = input + output).
UNCAPPED = replace(DEFAULT_EFFICIENCIES["tensorrt-llm"], max_batch=1_000_000, kv_output_reservation=1.0)


def _setup(par: Parallelism, model: ModelArchitecture = DEEPSEEK_V3, gpu: GpuSpec = H200) -> ServingSetup:
    return ServingSetup(
        model,
        gpu,
        par.gpu_count,
        "fp8",
        "fp8",
        "tensorrt-llm",
        1024,
        1024,
        tensor_parallel=par.tensor_parallel,
        expert_parallel=par.expert_parallel,
        attention_data_parallel=par.attention_data_parallel,
    )


# ----------------------------------------------------------------------------------------------
# Weights and KV per GPU, DeepSeek-V3 FP8 on 8 × H200: TP 8 against attention DP 8 + EP 8


def test_weights_per_gpu_by_hand() -> None:
    # Routed experts 653.79e9 params, dense part 671e9 − 653.79e9 = 17.21e9; 1 byte each in fp8.
    # TP 8: dense 17.21e9 / 8 = 2.15125e9 B; routed 653.79e9 / 8 = 81.72375e9 B (together 671e9 / 8).
    assert dense_weight_bytes_per_gpu(DEEPSEEK_V3, "fp8", TP8) == pytest.approx(2.15125e9)
    assert routed_weight_bytes_per_gpu(DEEPSEEK_V3, "fp8", TP8) == pytest.approx(81.72375e9)
    # DP 8 + EP 8: the dense part whole on every GPU (17.21e9 B), the routed experts 32 per GPU (81.72375e9 B).
    assert dense_weight_bytes_per_gpu(DEEPSEEK_V3, "fp8", DEP8) == pytest.approx(17.21e9)
    assert routed_weight_bytes_per_gpu(DEEPSEEK_V3, "fp8", DEP8) == pytest.approx(81.72375e9)


def test_kv_per_gpu_and_free_memory_by_hand() -> None:
    # MLA latent per token: 61 layers × (512 + 64) × 1 byte (fp8) = 35,136 B, whole on every GPU of a TP
    # group; under DP 8 the "group" is one GPU, which holds only its own sequences.
    assert kv_bytes_per_token_per_gpu(DEEPSEEK_V3, "fp8", 8) == pytest.approx(35_136)
    assert kv_bytes_per_token_per_gpu(DEEPSEEK_V3, "fp8", DEP8.tensor_parallel) == pytest.approx(35_136)
    # Usable per GPU: 141 GiB × 0.9 = 136,257,837,465.6 B.
    # TP 8 free: 136,257,837,465.6 − 83.875e9 = 52,382,837,465.6 B.
    # DP 8 free: 136,257,837,465.6 − (17.21e9 + 81.72375e9) = 37,324,087,465.6 B.
    usable = 141 * GIB * 0.9
    assert usable == pytest.approx(136_257_837_465.6)
    free_tp = check_fit(DEEPSEEK_V3, H200, 8, "fp8", "fp8", 2048, DEFAULT_MEMORY_FRACTION, TP8)
    free_dep = check_fit(DEEPSEEK_V3, H200, 8, "fp8", "fp8", 2048, DEFAULT_MEMORY_FRACTION, DEP8)
    assert free_tp == pytest.approx(52_382_837_465.6)
    assert free_dep == pytest.approx(37_324_087_465.6)


def test_the_batch_the_kv_memory_holds_grows_by_about_the_dp_degree() -> None:
    # A sequence of 1024 + 1024 tokens holds 2048 × 35,136 = 71,958,528 B on each GPU that holds it.
    # TP 8: every GPU holds every sequence: floor(52,382,837,465.6 / 71,958,528) = 727.
    # DP 8: each GPU holds its own: floor(37,324,087,465.6 / 71,958,528) = 518 per rank, × 8 = 4,144 (5.7×).
    tp = estimate_throughput(_setup(TP8), UNCAPPED)
    dep = estimate_throughput(_setup(DEP8), UNCAPPED)
    assert tp.kv_concurrency_limit == 727
    assert dep.kv_concurrency_limit == 518 * 8
    assert dep.parallelism == DEP8
    # The engines hold several times more sequences than TP; less than 8× here because the dense
    # weights copied on every rank take 15 GB of each GPU's free memory.
    assert 5.0 < dep.kv_concurrency_limit / tp.kv_concurrency_limit < 8.0


def test_attention_dp_runs_at_most_the_recipe_batch_per_rank() -> None:
    # The KV memory holds 518 sequences per rank (above), but TensorRT-LLM's DeepSeek-R1 recipe runs
    # max_batch_size 128 per rank on H200 and 384 on B200 (app.core.parallelism): 8 × 128 = 1,024 and
    # 8 × 384 = 3,072 sequences. Plain TP is not capped by it (727, from memory).
    dep = estimate_throughput(_setup(DEP8), UNCAPPED)
    assert dep.kv_concurrency_limit == 518 * 8
    assert dep.max_concurrency == dep.concurrency == 8 * 128
    assert any("128 sequences per attention data-parallel rank" in note for note in dep.notes)
    blackwell_like = replace(H200, dense_tflops={**H200.dense_tflops, "fp4": 3957.8})
    assert estimate_throughput(_setup(DEP8, gpu=blackwell_like), UNCAPPED).concurrency == 8 * 384
    assert estimate_throughput(_setup(TP8), UNCAPPED).concurrency == 727
    # The engine's own cap still applies when lower.
    assert estimate_throughput(_setup(DEP8), replace(UNCAPPED, max_batch=600)).concurrency == 600


def test_mla_decode_attention_is_compute_bound_at_the_16_bit_peak() -> None:
    # Absorbed MLA: 4 · 128 heads · (512 + 64/2) = 278,528 FLOPs per layer per context token; at batch 256,
    # context 1024 + 1024/2 = 1,536 and 61 layers: 256 · 278,528 · 61 · 1,536 = 6.681e12 FLOPs over 8 GPUs,
    # at H200's bf16 peak 989.4 TFLOP/s (FlashMLA computes in bf16, not FP8) times decode MFU.
    eff = UNCAPPED
    est = estimate_throughput(replace(_setup(DEP8), concurrency=256), eff)
    flops = 256 * 4 * 128 * (512 + 32) * 61 * 1536
    assert flops == pytest.approx(6.681e12, rel=1e-3)
    assert est.decode_attention_seconds == pytest.approx(flops / 8 / (989.4e12 * eff.decode_mfu))


def test_all_to_all_bytes_by_hand() -> None:
    # 256 tokens × 7168 hidden × 8 experts × 2 bytes = 29,360,128 B dispatched by the replica; each of the 8
    # GPUs sends 1/8 of it (3,670,016 B), 7/8 of which goes to experts on the other GPUs: 3,211,264 B.
    assert all_to_all_bytes_per_layer(DEEPSEEK_V3, 256, DEP8) == pytest.approx(3_211_264)
    assert all_to_all_bytes_per_layer(DEEPSEEK_V3, 256, TP8) == 0.0  # no EP: no all-to-all
    # Per decode step: dispatch + combine on each of the 61 layers, over NVLink at its fitted efficiency, at the
    # busiest EP rank's bytes: 3,211,264 × 1.5427 (expert_load_imbalance, DeepSeek EP8, by hand below) = 4,953,909 B.
    eff = DEFAULT_EFFICIENCIES["tensorrt-llm"]
    nvlink = eff.tp_comm["nvlink"]
    est = estimate_throughput(replace(_setup(DEP8), concurrency=256), eff)
    expected = 2 * 61 * (nvlink.latency_s + 4_953_909 / (450e9 * nvlink.bandwidth_efficiency))
    assert est.concurrency == 256
    assert est.decode_all_to_all_seconds == pytest.approx(expected)
    # Attention TP is 1: no all-reduce at all; the MoE exchanges tokens all-to-all instead.
    assert est.decode_communication_seconds == 0.0


# Expert load imbalance (app.core.parallelism.expert_load_imbalance): 1 + 1.564·√(8/g)·z(EP)/z(32), g = E/EP held
# at ≥ 8, z(n) = Φ⁻¹((n − 0.375)/(n + 0.25)): z(2) = 0.5895, z(4) = 1.0491, z(8) = 1.4342, z(32) = 2.0667.
MIXTRAL = replace(QWEN3_235B, id="mixtral-8x7b", num_experts=8, experts_per_token=2, routed_expert_params_b=45.1)


@pytest.mark.parametrize(
    ("model", "par", "expected"),
    [
        # The measured point itself (TensorRT-LLM blog4 Table 1: DeepSeek-R1, EP32, 8 experts a rank, no EPLB).
        (DEEPSEEK_V3, Parallelism(1, 32, 32), 2.564),
        # DeepSeek EP8, 32 experts a rank: 1 + 1.564 × √(8/32) × 1.4342/2.0667 = 1 + 1.564 × 0.5 × 0.69396 = 1.5427.
        (DEEPSEEK_V3, DEP8, 1.5427),
        # Qwen3 128 experts over EP4 (32 a rank): 1 + 1.564 × 0.5 × 1.0491/2.0667 = 1.3970.
        (QWEN3_235B, Parallelism(1, 4, 4), 1.3970),
        # Mixtral 8 experts over EP8: 1 a rank, held at the measured 8: 1 + 1.564 × 1 × 1.4342/2.0667 = 2.0853.
        (MIXTRAL, Parallelism(1, 8, 8), 2.0853),
        (DEEPSEEK_V3, TP8, 1.0),  # no EP: nothing waits for a busiest rank
        (LLAMA_70B, TP8, 1.0),  # dense
    ],
)
def test_expert_load_imbalance_by_hand(model: ModelArchitecture, par: Parallelism, expected: float) -> None:
    assert expert_load_imbalance(model, par) == pytest.approx(expected, rel=2e-4)


@settings(max_examples=60, deadline=None)
@given(log_ep=st.integers(1, 8), log_experts=st.integers(3, 9))
def test_expert_load_imbalance_is_at_least_one_and_grows_with_ep(log_ep: int, log_experts: int) -> None:
    assume(log_ep <= log_experts)
    model = replace(DEEPSEEK_V3, num_experts=2**log_experts)
    wider, narrower = Parallelism(1, 2**log_ep, 2**log_ep), Parallelism(1, 2 ** (log_ep - 1), 2 ** (log_ep - 1))
    assert expert_load_imbalance(model, narrower) >= 1.0
    assert expert_load_imbalance(model, wider) > expert_load_imbalance(model, narrower)


def test_the_busiest_rank_slows_ep_prefill_and_leaves_plain_tp_alone() -> None:
    eff = DEFAULT_EFFICIENCIES["tensorrt-llm"]
    dep_setup = replace(_setup(DEP8), concurrency=256)
    dep = estimate_throughput(dep_setup, eff)
    tp = estimate_throughput(replace(_setup(TP8), concurrency=64), eff)
    # The request's FLOPs are what they are; the busiest rank's extra time is not reported as FLOPs.
    assert dep.prefill_flops_per_request == tp.prefill_flops_per_request
    # Prefill compute: the routed FLOPs (653.79e9 × 8/256 = 20.43e9 active routed parameters) get 0.5427 more on
    # the busiest rank: 2 × 20.43e9 × 0.5427 × 1024 new tokens = 2.271e13 FLOPs on top of the request's.
    plan = _make_plan(dep_setup, eff, "fp8")
    extra = 2 * 653.79e9 * 8 / 256 * 0.54267 * 1024
    expected = (dep.prefill_flops_per_request + extra) / 8 / (1978.9e12 * eff.prefill_mfu)
    assert _prefill_compute_seconds(plan) == pytest.approx(expected, rel=1e-3)
    assert tp.decode_all_to_all_seconds == 0.0


def test_the_all_reduce_runs_within_the_attention_tp_group_only() -> None:
    # Attention DP 4 × TP 2, EP 8, batch 256: each rank's 64 tokens × 7168 × 2 B = 917,504 B all-reduced over
    # its 2 GPUs (ring: 2·(2−1)/2 = 1× the message per GPU), once per layer; no MLP all-reduce under EP.
    eff = DEFAULT_EFFICIENCIES["tensorrt-llm"]
    nvlink = eff.tp_comm["nvlink"]
    par = Parallelism(tensor_parallel=2, attention_data_parallel=4, expert_parallel=8)
    est = estimate_throughput(replace(_setup(par), concurrency=256), eff)
    expected = 61 * (nvlink.latency_s + 917_504 / (450e9 * nvlink.bandwidth_efficiency))
    assert est.decode_communication_seconds == pytest.approx(expected)


def test_plain_tp_is_unchanged_by_the_new_fields() -> None:
    base = _setup(TP8)
    implicit = replace(base, tensor_parallel=None, expert_parallel=1, attention_data_parallel=1)
    assert estimate_throughput(implicit, UNCAPPED).output_tokens_per_second == pytest.approx(
        estimate_throughput(base, UNCAPPED).output_tokens_per_second
    )


# ----------------------------------------------------------------------------------------------
# Refusals


@pytest.mark.parametrize(
    ("model", "gpus", "par", "field", "words"),
    [
        (DEEPSEEK_V3, 8, Parallelism(2, 2, 8), "attention_data_parallel", "must equal gpu_count"),
        (DEEPSEEK_V3, 6, Parallelism(1, 6, 3), "expert_parallel", "divide"),  # 256 experts: EP 3 does not divide
        (DEEPSEEK_V3, 8, Parallelism(1, 8, 16), "expert_parallel", "divide"),  # EP above the GPUs
        (LLAMA_70B, 8, Parallelism(8, 1, 8), "expert_parallel", "dense"),
        (LLAMA_70B, 8, Parallelism(2, 4, 1), "attention_data_parallel", "dense"),
        (replace(DEEPSEEK_V3, num_attention_heads=12), 8, Parallelism(8, 1, 1), "gpu_count", "heads"),
        (QWEN3_235B, 6, Parallelism(3, 2, 1), "tensor_parallel", "heads"),  # 64 heads over 3
        (DEEPSEEK_V3, 8, Parallelism(0, 8, 1), "tensor_parallel", "at least 1"),
    ],
)
def test_invalid_combinations_are_refused_naming_the_field(
    model: ModelArchitecture, gpus: int, par: Parallelism, field: str, words: str
) -> None:
    with pytest.raises(DomainError) as caught:
        validate_parallelism(model, gpus, par)
    assert caught.value.field == (field,)
    assert words in caught.value.message


def test_the_estimator_refuses_an_invalid_split() -> None:
    with pytest.raises(DomainError) as caught:
        estimate_throughput(replace(_setup(TP8), attention_data_parallel=2, tensor_parallel=2), UNCAPPED)
    assert caught.value.field == ("attention_data_parallel",)


def test_dense_weights_copied_on_every_rank_that_do_not_fit_are_refused() -> None:
    # 8 × H20 (96 GiB): DP 8 puts 17.21e9 + 81.72e9 B = 92.1 GiB of weights on each GPU, over its 86.4 usable.
    with pytest.raises(DoesNotFit) as caught:
        estimate_throughput(_setup(DEP8, gpu=H20), UNCAPPED)
    assert caught.value.field == ("attention_data_parallel",)


# ----------------------------------------------------------------------------------------------
# Defaults per model family


@pytest.mark.parametrize(
    ("model", "gpus", "expected"),
    [
        (DEEPSEEK_V3, 8, DEP8),  # MLA MoE on 8 GPUs: attention DP + EP (SGLang, TensorRT-LLM, vLLM recipes)
        (DEEPSEEK_V3, 4, Parallelism(4)),  # fewer than 8 GPUs: TP
        (QWEN3_235B, 8, Parallelism(8)),  # MoE without MLA: its KV heads split under TP
        (LLAMA_70B, 8, Parallelism(8)),  # dense
    ],
)
def test_the_default_per_family(model: ModelArchitecture, gpus: int, expected: Parallelism) -> None:
    default = default_parallelism(model, gpus, H200, "fp8")
    assert (default.tensor_parallel, default.attention_data_parallel, default.expert_parallel) == (
        expected.tensor_parallel,
        expected.attention_data_parallel,
        expected.expert_parallel,
    )
    assert default.reason  # a default states its rule and source


def test_the_default_says_its_source_and_falls_back_to_tp_where_dp_would_hold_less() -> None:
    assert default_parallelism(DEEPSEEK_V3, 8, H200, "fp8").reason == ATTENTION_DP_DEFAULT_SOURCE
    assert "SGLang" in ATTENTION_DP_DEFAULT_SOURCE and "TensorRT-LLM" in ATTENTION_DP_DEFAULT_SOURCE
    on_h20 = default_parallelism(DEEPSEEK_V3, 8, H20, "fp8")
    assert on_h20.is_plain_tensor_parallel and on_h20.reason == TENSOR_PARALLEL_MEMORY_SOURCE


def test_a_partial_choice_fills_in_the_rest() -> None:
    assert chosen_parallelism(DEEPSEEK_V3, 8, None, None, None) == default_parallelism(DEEPSEEK_V3, 8)
    assert chosen_parallelism(DEEPSEEK_V3, 8, None, 8, None) == Parallelism(8, 1, 8, "chosen")  # TP 8 + EP 8
    assert chosen_parallelism(DEEPSEEK_V3, 8, None, 8, 4) == Parallelism(2, 4, 8, "chosen")
    assert chosen_parallelism(DEEPSEEK_V3, 8, 2, 8, None) == Parallelism(2, 4, 8, "chosen")


# ----------------------------------------------------------------------------------------------
# Property: for a fixed GPU count, the default's attention DP never holds fewer sequences than TP


@settings(max_examples=150, deadline=None)
@given(
    dense_b=st.floats(1.0, 60.0),
    routed_b=st.floats(50.0, 1500.0),
    layers=st.integers(8, 96),
    latent=st.sampled_from([256, 512, 1024]),
    memory_gib=st.floats(60.0, 300.0),
    input_tokens=st.integers(1, 16_000),
    output_tokens=st.integers(1, 8_000),
)
def test_dp_attention_by_default_never_holds_fewer_sequences_than_tp_for_an_mla_model(
    dense_b: float,
    routed_b: float,
    layers: int,
    latent: int,
    memory_gib: float,
    input_tokens: int,
    output_tokens: int,
) -> None:
    model = replace(
        DEEPSEEK_V3,
        total_params_b=dense_b + routed_b,
        routed_expert_params_b=routed_b,
        active_params_b=dense_b + routed_b * 8 / 256,
        num_layers=layers,
        kv_lora_rank=latent,
    )
    gpu = replace(H200, memory_gib=memory_gib)
    setup = replace(_setup(TP8, model, gpu), input_tokens=input_tokens, output_tokens=output_tokens)
    try:
        tp = estimate_throughput(setup, UNCAPPED)
    except DoesNotFit:
        assume(False)
        return
    default = default_parallelism(model, 8, gpu, "fp8", "fp8", input_tokens + output_tokens)
    chosen = replace(
        setup,
        tensor_parallel=default.tensor_parallel,
        attention_data_parallel=default.attention_data_parallel,
        expert_parallel=default.expert_parallel,
    )
    assert estimate_throughput(chosen, UNCAPPED).kv_concurrency_limit >= tp.kv_concurrency_limit


# ----------------------------------------------------------------------------------------------
# The API: null = the family's default, stated with its source; a chosen split; a refused one


DEEPSEEK_BODY = {
    "model": "deepseek-r1",
    "gpu": "h200-sxm",
    "gpu_count": 8,
    "engine": "sglang",
    "input_tokens": 1000,
    "output_tokens": 1000,
}


def test_the_api_defaults_deepseek_on_eight_gpus_to_attention_dp_and_ep(client: TestClient) -> None:
    response = client.post("/api/v1/throughput", json=DEEPSEEK_BODY)
    assert response.status_code == 200, response.text
    parallelism = response.json()["parallelism"]
    assert parallelism == {
        "tensor_parallel": 1,
        "attention_data_parallel": 8,
        "expert_parallel": 8,
        "reason": ATTENTION_DP_DEFAULT_SOURCE,
    }
    # No calibration row was fitted as attention DP + EP: the band says so and widens.
    band = response.json()["error_band"]
    assert band["extrapolated"]
    assert any("expert-parallel" in reason for reason in band["reasons"])


def test_the_api_takes_a_chosen_split(client: TestClient) -> None:
    body = {**DEEPSEEK_BODY, "attention_data_parallel": 1}
    response = client.post("/api/v1/throughput", json=body)
    assert response.status_code == 200, response.text
    chosen = response.json()
    assert chosen["parallelism"] == {
        "tensor_parallel": 8,
        "attention_data_parallel": 1,
        "expert_parallel": 1,
        "reason": "chosen",
    }
    default = client.post("/api/v1/throughput", json=DEEPSEEK_BODY).json()
    assert default["kv_concurrency_limit"] > 4 * chosen["kv_concurrency_limit"]


def test_the_api_refuses_a_split_that_does_not_multiply_to_the_gpu_count(client: TestClient) -> None:
    body = {**DEEPSEEK_BODY, "attention_data_parallel": 4, "tensor_parallel": 4}
    detail = assert_error_shape(client.post("/api/v1/throughput", json=body))
    assert "gpu_count" in detail[0]["msg"]
    assert detail[0]["loc"][-1] == "attention_data_parallel"
