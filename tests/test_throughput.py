"""The throughput estimator: formulas against hand calculations, then invariants as properties.

Specs are built inline from the reference CSVs (`../shared/data/gpu-specs.csv`,
`model-configs.csv`) so these tests do not depend on the catalog files.
"""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from app.core.efficiencies import DEFAULT_EFFICIENCIES, ENGINES, CommEfficiency, Efficiencies
from app.core.errors import DoesNotFit, DomainError
from app.core.memory import kv_bytes_per_token, kv_bytes_per_token_per_gpu, smallest_fitting_gpu_count, weight_bytes
from app.core.specs import GpuSpec, ModelArchitecture
from app.core.throughput import ServingSetup, ThroughputEstimate, estimate_throughput
from app.core.units import GIB, Precision


def _gpu(
    id: str,
    memory_gib: float,
    bandwidth_tb_s: float,
    tflops: dict[Precision, float],
    interconnect: str = "nvlink",
    link_gb_s: float = 450.0,
) -> GpuSpec:
    return GpuSpec(
        id=id,
        name=id,
        vendor="test",
        memory_gib=memory_gib,
        memory_bandwidth_tb_s=bandwidth_tb_s,
        dense_tflops=tflops,
        tdp_watts=700,
        interconnect=interconnect,  # type: ignore[arg-type]
        interconnect_gb_s=link_gb_s,
        max_gpus_per_node=8,
        source="gpu-specs.csv",
        as_of="2025",
    )


H100 = _gpu("h100-sxm", 80, 3.35, {"bf16": 989.4, "fp16": 989.4, "fp8": 1978.9, "int8": 1978.9})
A100 = _gpu("a100-sxm-80gb", 80, 2.039, {"bf16": 312, "fp16": 312, "int8": 624, "int4": 1248}, link_gb_s=300)
B200 = _gpu("b200", 180, 8.0, {"bf16": 2250, "fp16": 2250, "fp8": 4500, "int8": 4500, "fp4": 9000}, link_gb_s=900)
L40S = _gpu("l40s", 48, 0.864, {"bf16": 362.05, "fp16": 362.05, "fp8": 733, "int8": 733}, "none", 0)
GPUS = (H100, A100, B200, L40S)


def _model(
    id: str, p: float, p_act: float, layers: int, hidden: int, heads: int, kv: int, dh: int, **kw: object
) -> ModelArchitecture:
    return ModelArchitecture(
        id=id,
        name=id,
        hf_id=id,
        total_params_b=p,
        active_params_b=p_act,
        num_layers=layers,
        hidden_size=hidden,
        num_attention_heads=heads,
        num_kv_heads=kv,
        head_dim=dh,
        vocab_size=128256,
        max_context=131072,
        **kw,  # type: ignore[arg-type]
    )


LLAMA_8B = _model("llama-3.1-8b", 8.03, 8.03, 32, 4096, 32, 8, 128)
LLAMA_70B = _model("llama-3.1-70b", 70.6, 70.6, 80, 8192, 64, 8, 128)
MIXTRAL = _model(
    "mixtral-8x7b",
    46.7,
    12.9,
    32,
    4096,
    32,
    8,
    128,
    num_experts=8,
    experts_per_token=2,
    routed_expert_params_b=45.1,
)
QWEN3_235B = _model("qwen3-235b-a22b", 235.1, 22.2, 94, 4096, 64, 4, 128, num_experts=128, experts_per_token=8)
DEEPSEEK_V3 = _model(
    "deepseek-v3",
    671,
    37,
    61,
    7168,
    128,
    128,
    128,
    num_experts=256,
    experts_per_token=8,
    kv_lora_rank=512,
    qk_rope_head_dim=64,
)
GEMMA_2_9B = _model("gemma-2-9b", 9.24, 9.24, 42, 3584, 16, 8, 256, sliding_window=4096, sliding_window_layers=21)
MODELS = (LLAMA_8B, LLAMA_70B, MIXTRAL, QWEN3_235B, GEMMA_2_9B)


def setup(**overrides: object) -> ServingSetup:
    base = ServingSetup(
        model=LLAMA_70B,
        gpu=H100,
        gpu_count=4,
        precision="fp8",
        kv_cache_precision="fp8",
        engine="vllm",
        input_tokens=1000,
        output_tokens=1000,
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


# Efficiencies of an ideal engine: 100% of peak, no overheads, so steps can be checked by hand.
IDEAL = Efficiencies(
    engine="generic",
    decode_mbu=1.0,
    decode_mfu=1.0,
    prefill_mfu=1.0,
    step_overhead_s=0.0,
    per_sequence_overhead_s=0.0,
    tp_comm={"nvlink": CommEfficiency(0.0, 1.0), "pcie": CommEfficiency(0.0, 1.0)},
    max_batch=100_000,
    memory_fraction=0.9,
)


# --- memory formulas ---------------------------------------------------------------------------


class TestKvBytes:
    def test_llama_3_1_70b_gqa_bf16_is_320_kib(self) -> None:
        # 2 (K and V) × 80 layers × 8 KV heads × 128 head dim × 2 bytes
        assert kv_bytes_per_token(LLAMA_70B, "bf16") == 327_680 == 320 * 1024

    def test_fp8_kv_halves_it(self) -> None:
        assert kv_bytes_per_token(LLAMA_70B, "fp8") == 163_840

    def test_deepseek_v3_mla_caches_the_latent(self) -> None:
        # 61 layers × (kv_lora_rank 512 + rope 64) × 2 bytes: the latent, not 2·n_kv·d_h
        assert kv_bytes_per_token(DEEPSEEK_V3, "bf16") == 61 * 576 * 2 == 70_272

    def test_gemma_sliding_window_layers_hold_the_window_only(self) -> None:
        full = 2 * 42 * 8 * 256 * 2
        assert kv_bytes_per_token(GEMMA_2_9B, "bf16") == full == 344_064
        assert kv_bytes_per_token(GEMMA_2_9B, "bf16", context_tokens=4096) == full
        # At 32k context the 21 sliding layers keep 4,096 of 32,768 tokens: 21 + 21/8 layers' worth.
        at_32k = kv_bytes_per_token(GEMMA_2_9B, "bf16", context_tokens=32_768)
        assert at_32k == pytest.approx(2 * (21 + 21 * 4096 / 32768) * 8 * 256 * 2)
        assert at_32k * 32_768 == pytest.approx(21 * 32_768 * 8192 + 21 * 4096 * 8192)

    def test_tensor_parallel_splits_kv_heads_but_replicates_below_one_per_gpu(self) -> None:
        assert kv_bytes_per_token_per_gpu(LLAMA_70B, "bf16", 4) == 327_680 / 4
        assert kv_bytes_per_token_per_gpu(LLAMA_70B, "bf16", 8) == 327_680 / 8
        # Qwen3-235B has 4 KV heads: at TP8 each GPU still holds one whole head.
        assert kv_bytes_per_token_per_gpu(QWEN3_235B, "fp8", 8) == 2 * 94 * 1 * 128 * 1

    def test_mla_latent_is_replicated_on_every_rank(self) -> None:
        assert kv_bytes_per_token_per_gpu(DEEPSEEK_V3, "fp8", 8) == 61 * 576


class TestWeightsAndFit:
    def test_weight_bytes(self) -> None:
        assert weight_bytes(LLAMA_70B, "bf16") == pytest.approx(141.2e9)
        assert weight_bytes(LLAMA_70B, "fp8") == pytest.approx(70.6e9)
        assert weight_bytes(LLAMA_70B, "fp4") == pytest.approx(70.6e9 * (0.5 + 1 / 32))

    def test_70b_bf16_does_not_fit_one_h100_and_says_how_much_it_needs(self) -> None:
        with pytest.raises(DoesNotFit) as caught:
            estimate_throughput(setup(gpu_count=1, precision="bf16", kv_cache_precision="bf16"))
        error = caught.value
        assert error.required_gib == pytest.approx(131.5, abs=0.05)
        assert error.available_gib == pytest.approx(72.0)
        assert "131.5 GiB" in str(error) and "72.0 GiB" in str(error) and "141.2 GB" in str(error)
        assert error.field == ("gpu_count",)

    def test_70b_bf16_on_four_h100s_gives_a_positive_estimate(self) -> None:
        estimate = estimate_throughput(setup(gpu_count=4, precision="bf16", kv_cache_precision="bf16"))
        assert estimate.output_tokens_per_second > 0
        assert estimate.weights_gib == pytest.approx(131.5, abs=0.05)
        assert estimate.kv_cache_gib_available == pytest.approx(4 * 80 * 0.9 - 131.5, abs=0.05)

    def test_weights_that_fit_but_leave_no_room_for_kv(self) -> None:
        # 70B FP8 is 65.8 GiB, under 72 GiB usable, but 6 GiB of FP8 KV holds ~39k tokens, not 64k.
        with pytest.raises(DoesNotFit, match="KV cache"):
            estimate_throughput(setup(gpu_count=1, input_tokens=60_000, output_tokens=4_000))
        assert estimate_throughput(setup(gpu_count=1)).output_tokens_per_second > 0

    def test_smallest_fitting_gpu_count(self) -> None:
        assert smallest_fitting_gpu_count(LLAMA_70B, H100, "bf16", "bf16", 1000, 1000) == 2
        assert smallest_fitting_gpu_count(LLAMA_70B, H100, "fp8", "fp8", 1000, 1000) == 1
        assert smallest_fitting_gpu_count(LLAMA_8B, L40S, "bf16", "bf16", 1000, 1000) == 1
        with pytest.raises(DoesNotFit, match="GiB"):
            smallest_fitting_gpu_count(DEEPSEEK_V3, H100, "fp8", "fp8", 1000, 1000)  # 625 GiB > 8 × 72


# --- step model against hand calculations ----------------------------------------------------------


class TestStepByHand:
    def test_batch_one_decode_reads_weights_and_kv_once(self) -> None:
        estimate = estimate_throughput(setup(model=LLAMA_8B, gpu_count=1, concurrency=1), IDEAL)
        # 8.03 GB of FP8 weights + 1,500 tokens of context × 65,536 B of FP8 KV, at 3.35 TB/s
        step = (8.03e9 + 1500 * 65_536) / 3.35e12
        assert estimate.decode_step_seconds == pytest.approx(step)
        assert estimate.bound == "memory"
        # Prefill 1,000 tokens: 2·P·s + causal attention 2·s²·(32 heads × 128) per layer / 2 ... at FP8 peak
        prefill = (2 * 8.03e9 * 1000 + 4 * 4096 * 32 * 1000 * 1000 / 2) / 1978.9e12
        assert estimate.prefill_seconds_per_request == pytest.approx(prefill)
        # One user: the prefill, then 1,000 steps
        assert estimate.output_tokens_per_second == pytest.approx(1000 / (prefill + 1000 * step))
        # TPOT is the time between tokens after the first: at batch 1 no other request's prefill
        # interleaves, so it is the step alone (it was step + prefill/1000 when it folded the request's
        # own prefill in). TTFT is the prefill alone on an idle replica: compute-bound here.
        assert estimate.time_per_output_token_seconds == pytest.approx(step)
        assert estimate.time_to_first_token_seconds == pytest.approx(prefill)
        assert estimate.end_to_end_seconds == pytest.approx(prefill + 999 * step)

    def test_large_batch_decode_is_compute_bound(self) -> None:
        estimate = estimate_throughput(setup(model=LLAMA_8B, gpu_count=1, input_tokens=128, output_tokens=128), IDEAL)
        batch = estimate.concurrency
        context = 128 + 64
        memory = (8.03e9 + batch * context * 65_536) / 3.35e12
        compute = batch * (2 * 8.03e9 + 4 * 4096 * 32 * context) / 1978.9e12
        assert estimate.bound == "compute" and compute > memory
        # Per phase (issue 15): the linear layers are compute-bound (2·P·B FLOPs over the weight reads),
        # the attention is bound by its KV reads; the two run one after the other, so they add.
        linear = max(8.03e9 / 3.35e12, batch * 2 * 8.03e9 / 1978.9e12)
        attention = max(batch * context * 65_536 / 3.35e12, batch * 4 * 4096 * 32 * context / 1978.9e12)
        assert linear == batch * 2 * 8.03e9 / 1978.9e12
        assert attention == batch * context * 65_536 / 3.35e12
        assert estimate.decode_linear_seconds == pytest.approx(linear)
        assert estimate.decode_attention_seconds == pytest.approx(attention)
        assert estimate.decode_step_seconds == pytest.approx(linear + attention)
        assert estimate.decode_step_seconds > max(memory, compute)  # the old single roofline

    def test_max_concurrency_comes_from_kv_memory_at_the_average_context(self) -> None:
        estimate = estimate_throughput(setup(gpu_count=4), IDEAL)
        free_per_gpu = (4 * 80 * 0.9 * GIB - 70.6e9) / 4
        per_sequence = 163_840 / 4 * 1500  # FP8 KV split over 4 GPUs, at 1,000 + 1,000/2 tokens
        assert estimate.max_concurrency == int(free_per_gpu // per_sequence)

    def test_moe_weights_touched_grow_with_batch(self) -> None:
        one = estimate_throughput(setup(model=MIXTRAL, gpu_count=2, concurrency=1), IDEAL)
        routed, dense = 45.1e9, 46.7e9 - 45.1e9
        kv = 1500 * 65_536 / 2

        def comm(batch: int) -> float:  # 2 ring all-reduces per layer at TP2 over 450 GB/s
            return 2 * 32 * (2 * (2 - 1) / 2) * batch * 4096 * 2 / 450e9

        # Batch 1 touches the dense part and 2 of 8 experts: 1 − (1 − 2/8)^1 = 1/4 of the routed weights.
        step_one = (dense / 2 + routed / 2 * 0.25 + kv) / 3.35e12 + comm(1)
        assert one.decode_step_seconds == pytest.approx(step_one)
        four = estimate_throughput(setup(model=MIXTRAL, gpu_count=2, concurrency=4), IDEAL)
        touched = 1 - 0.75**4
        step = (dense / 2 + routed / 2 * touched + 4 * kv) / 3.35e12 + comm(4)
        assert four.decode_step_seconds == pytest.approx(step)

    def test_tensor_parallel_all_reduces_cost_latency_and_bandwidth(self) -> None:
        link = replace(IDEAL, tp_comm={"nvlink": CommEfficiency(latency_s=10e-6, bandwidth_efficiency=0.5)})
        base = estimate_throughput(setup(concurrency=8), IDEAL)
        with_comm = estimate_throughput(setup(concurrency=8), link)
        # 2 all-reduces × 80 layers; ring moves 2·(4−1)/4 × (8 × 8192 × 2 B) at 450 GB/s × 0.5
        # (IDEAL already pays the same bytes at 100% of the link).
        ring_bytes = 1.5 * 8 * 8192 * 2
        expected = 2 * 80 * (10e-6 + ring_bytes / (450e9 * 0.5) - ring_bytes / 450e9)
        assert with_comm.decode_step_seconds - base.decode_step_seconds == pytest.approx(expected)


# --- precision ---------------------------------------------------------------------------------


class TestPrecision:
    def test_fp8_on_a100_is_weight_only(self) -> None:
        estimate = estimate_throughput(setup(gpu=A100))
        assert estimate.compute_precision == "bf16"
        assert any("weight-only" in note for note in estimate.notes)
        # Bytes follow the FP8 weights: 70.6 GB, not 141.2 GB
        assert estimate.weights_gib == pytest.approx(70.6e9 / GIB)

    def test_fp4_on_blackwell_uses_fp4_tensor_cores(self) -> None:
        estimate = estimate_throughput(setup(gpu=B200, gpu_count=1, precision="fp4", kv_cache_precision="fp8"))
        assert estimate.compute_precision == "fp4"
        assert not any("weight-only" in note for note in estimate.notes)

    def test_fp4_on_hopper_is_weight_only_at_16_bit_compute(self) -> None:
        # MXFP4 on Hopper runs W4A16 (app.core.precision): the multiplies run at bf16, the bytes stay 4.25 bits.
        estimate = estimate_throughput(setup(precision="fp4"))
        assert estimate.compute_precision == "bf16"
        assert any("no fp4 tensor cores" in note for note in estimate.notes)
        assert estimate.weights_gib == pytest.approx(70.6e9 * (4.25 / 8) / GIB)

    def test_weight_only_fp4_ignores_the_blackwell_fp4_factor(self) -> None:
        # The fitted fp4 precision factor measures Blackwell's FP4 tensor cores; weight-only fp4 takes 1.0.
        base = replace(DEFAULT_EFFICIENCIES["vllm"], precision_factor={})
        slowed = replace(base, precision_factor={"fp4": 0.5})
        one = setup(precision="fp4", concurrency=1)
        assert (
            estimate_throughput(one, slowed).decode_step_seconds == estimate_throughput(one, base).decode_step_seconds
        )
        on_b200 = setup(gpu=B200, gpu_count=1, precision="fp4", kv_cache_precision="fp8", concurrency=1)
        assert (
            estimate_throughput(on_b200, slowed).decode_step_seconds
            > estimate_throughput(on_b200, base).decode_step_seconds
        )

    def test_precision_with_no_tensor_path_is_a_domain_error(self) -> None:
        with pytest.raises(DomainError) as caught:
            estimate_throughput(setup(gpu_count=8, precision="fp32", kv_cache_precision="bf16"))
        assert caught.value.field == ("precision",)

    def test_fp4_kv_cache_needs_blackwell(self) -> None:
        with pytest.raises(DomainError) as caught:
            estimate_throughput(setup(kv_cache_precision="fp4"))
        assert caught.value.field == ("kv_cache_precision",)

    def test_fp8_kv_doubles_concurrency_over_bf16(self) -> None:
        fp8 = estimate_throughput(setup(kv_cache_precision="fp8"), IDEAL)
        bf16 = estimate_throughput(setup(kv_cache_precision="bf16"), IDEAL)
        assert fp8.max_concurrency == pytest.approx(2 * bf16.max_concurrency, abs=1)


# --- inputs, SLOs, interconnects ----------------------------------------------------------------


class TestInputsAndSlo:
    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"gpu_count": 0}, "gpu_count"),
            ({"gpu_count": 3}, "gpu_count"),  # 64 heads do not split over 3 GPUs
            ({"gpu_count": 16}, "gpu_count"),  # beyond one node
            ({"input_tokens": 0}, "input_tokens"),
            ({"output_tokens": 0}, "output_tokens"),
            ({"input_tokens": 200_000}, "input_tokens"),  # beyond the context window
            ({"concurrency": 0}, "concurrency"),
            ({"min_output_tokens_per_second_per_user": -1.0}, "min_output_tokens_per_second_per_user"),
            ({"max_time_to_first_token_seconds": 0.0}, "max_time_to_first_token_seconds"),
            ({"prefix_cache_hit_rate": 1.5}, "prefix_cache_hit_rate"),
            ({"reasoning_tokens": -1}, "reasoning_tokens"),
            ({"input_tokens": 100_000, "reasoning_tokens": 40_000}, "input_tokens"),  # beyond the window
        ],
    )
    def test_bad_inputs_name_their_field(self, overrides: dict[str, object], field: str) -> None:
        with pytest.raises(DomainError) as caught:
            estimate_throughput(setup(**overrides))
        assert caught.value.field == (field,)

    def test_tokens_per_user_slo_caps_concurrency(self) -> None:
        free = estimate_throughput(setup())
        capped = estimate_throughput(setup(min_output_tokens_per_second_per_user=30.0))
        assert capped.max_concurrency < free.max_concurrency
        # The target holds on TPOT (tokens/s per user = 1/TPOT, time between tokens after the first).
        assert 1 / capped.time_per_output_token_seconds >= 30.0
        assert any("SLO" in note for note in capped.notes)

    def test_time_to_first_token_slo_caps_concurrency(self) -> None:
        free = estimate_throughput(setup())
        limit = free.time_to_first_token_seconds * 0.8
        capped = estimate_throughput(setup(max_time_to_first_token_seconds=limit))
        assert capped.concurrency < free.concurrency
        assert capped.time_to_first_token_seconds <= limit

    def test_impossible_slos_are_domain_errors(self) -> None:
        with pytest.raises(DomainError) as caught:
            estimate_throughput(setup(min_output_tokens_per_second_per_user=1e6))
        assert caught.value.field == ("min_output_tokens_per_second_per_user",)
        with pytest.raises(DomainError) as caught:
            estimate_throughput(setup(max_time_to_first_token_seconds=1e-6))
        assert caught.value.field == ("max_time_to_first_token_seconds",)

    def test_concurrency_above_the_maximum_is_capped_with_a_note(self) -> None:
        estimate = estimate_throughput(setup(concurrency=1_000_000))
        assert estimate.concurrency == estimate.max_concurrency
        assert any("queue" in note for note in estimate.notes)

    def test_pcie_only_gpus_at_tp8_are_communication_bound(self) -> None:
        estimate = estimate_throughput(setup(gpu=L40S, gpu_count=8))
        assert any("communication" in note for note in estimate.notes)
        nvlink_like = estimate_throughput(
            setup(gpu=replace(L40S, interconnect="nvlink", interconnect_gb_s=450), gpu_count=8)
        )
        assert estimate.output_tokens_per_second < 0.5 * nvlink_like.output_tokens_per_second

    def test_uncalibrated_defaults_say_so_in_the_error_band(self) -> None:
        band = estimate_throughput(setup(), DEFAULT_EFFICIENCIES["vllm"]).error_band
        assert band.extrapolated and band.rows == 0 and band.low_factor < 1 < band.high_factor


# --- properties ---------------------------------------------------------------------------------

models = st.sampled_from(MODELS)
gpus = st.sampled_from(GPUS)
precisions = st.sampled_from(("bf16", "fp8", "fp4", "int8", "int4"))
kv_precisions = st.sampled_from(("bf16", "fp8"))
engines = st.sampled_from(ENGINES)
input_lengths = st.integers(min_value=1, max_value=32_000)
output_lengths = st.integers(min_value=1, max_value=4_000)
tp_degrees = st.sampled_from((1, 2, 4, 8))


def _estimate_or_reject(example: ServingSetup) -> ThroughputEstimate:
    try:
        return estimate_throughput(example)
    except DomainError:  # includes DoesNotFit
        assume(False)
        raise


def _finite_positive(estimate: ThroughputEstimate) -> None:
    for value in (
        estimate.output_tokens_per_second,
        estimate.output_tokens_per_second_per_gpu,
        estimate.requests_per_second,
        estimate.time_to_first_token_seconds,
        estimate.time_per_output_token_seconds,
        estimate.weights_gib,
        estimate.kv_cache_gib_available,
        estimate.kv_bytes_per_token,
        estimate.error_band.low_factor,
        estimate.error_band.high_factor,
    ):
        assert math.isfinite(value) and value > 0
    assert estimate.max_concurrency >= estimate.concurrency >= 1


class TestProperties:
    @given(models, gpus, precisions, kv_precisions, engines, input_lengths, output_lengths, tp_degrees)
    @settings(max_examples=150, deadline=None)
    def test_outputs_are_finite_and_positive(
        self,
        model: ModelArchitecture,
        gpu: GpuSpec,
        precision: Precision,
        kv: Precision,
        engine: str,
        input_tokens: int,
        output_tokens: int,
        gpu_count: int,
    ) -> None:
        example = ServingSetup(model, gpu, gpu_count, precision, kv, engine, input_tokens, output_tokens)  # type: ignore[arg-type]
        _finite_positive(_estimate_or_reject(example))

    @given(models, gpus, precisions, input_lengths, output_lengths)
    @settings(max_examples=100, deadline=None)
    def test_more_gpus_never_reduce_memory_available(
        self,
        model: ModelArchitecture,
        gpu: GpuSpec,
        precision: Precision,
        input_tokens: int,
        output_tokens: int,
    ) -> None:
        available = []
        for gpu_count in (1, 2, 4, 8):
            example = setup(
                model=model,
                gpu=gpu,
                gpu_count=gpu_count,
                precision=precision,
                input_tokens=input_tokens,
                output_tokens=output_tokens,
            )
            try:
                available.append(estimate_throughput(example).kv_cache_gib_available)
            except DomainError:
                continue
        assert available == sorted(available)

    @given(models, gpus, precisions, engines, input_lengths, output_lengths, tp_degrees, st.integers(1, 4096))
    @settings(max_examples=150, deadline=None)
    def test_concurrency_never_gives_less_than_batch_one_and_slows_each_token(
        self,
        model: ModelArchitecture,
        gpu: GpuSpec,
        precision: Precision,
        engine: str,
        input_tokens: int,
        output_tokens: int,
        gpu_count: int,
        concurrency: int,
    ) -> None:
        base = setup(
            model=model,
            gpu=gpu,
            gpu_count=gpu_count,
            precision=precision,
            engine=engine,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
        )
        one = _estimate_or_reject(replace(base, concurrency=1))
        many = estimate_throughput(replace(base, concurrency=concurrency))
        more = estimate_throughput(replace(base, concurrency=concurrency + 1))
        best = estimate_throughput(base)
        assert many.output_tokens_per_second >= one.output_tokens_per_second * (1 - 1e-9)
        assert best.output_tokens_per_second >= one.output_tokens_per_second * (1 - 1e-9)
        assert one.time_per_output_token_seconds <= many.time_per_output_token_seconds * (1 + 1e-9)
        assert many.time_per_output_token_seconds <= more.time_per_output_token_seconds * (1 + 1e-9)
