"""Latency outputs of the throughput estimator (issue 15): TPOT, decode step, TTFT with queueing, end-to-end.

TPOT is the time between tokens after the first (MLPerf, vLLM/SGLang benchmark tools: (e2e − TTFT)/(output − 1)),
not batch ÷ throughput over the whole request. Definitions: the module docstring of app/core/throughput.py.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.efficiencies import DEFAULT_EFFICIENCIES, CommEfficiency, Efficiencies
from app.core.errors import DomainError
from app.core.specs import GpuSpec, ModelArchitecture
from app.core.throughput import ServingSetup, estimate_throughput

# H200 SXM from ../shared/data/gpu-specs.csv: 141 GB (131.3 GiB) HBM3e at 4.8 TB/s, FP8 1,978.9 TFLOPS dense.
H200 = GpuSpec(
    id="h200-sxm",
    name="H200 SXM",
    vendor="test",
    memory_gib=131.3,
    memory_bandwidth_tb_s=4.8,
    dense_tflops={"bf16": 989.4, "fp16": 989.4, "fp8": 1978.9},
    tdp_watts=700,
    interconnect="nvlink",
    interconnect_gb_s=900,
    max_gpus_per_node=8,
    source="gpu-specs.csv",
    as_of="2025",
)
# Llama-3.1-70B from ../shared/data/model-configs.csv.
LLAMA_70B = ModelArchitecture(
    id="llama-3.1-70b",
    name="Llama 3.1 70B",
    hf_id="meta-llama/Llama-3.1-70B-Instruct",
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
# An ideal engine: 100% of peak, no overheads, so every figure can be checked by hand.
IDEAL = Efficiencies(
    engine="generic",
    decode_mbu=1.0,
    decode_mfu=1.0,
    prefill_mfu=1.0,
    step_overhead_s=0.0,
    per_sequence_overhead_s=0.0,
    tp_comm={"nvlink": CommEfficiency(0.0, 1.0)},
    max_batch=100_000,
    memory_fraction=0.9,
)
FP8_PEAK = 1978.9e12
BANDWIDTH = 4.8e12
KV_FP8 = 2 * 80 * 8 * 128  # bytes per token: K and V × 80 layers × 8 KV heads × 128 dims × 1 byte


def _setup(output_tokens: int, concurrency: int | None = 16, **overrides: object) -> ServingSetup:
    base = ServingSetup(
        model=LLAMA_70B,
        gpu=H200,
        gpu_count=1,
        precision="fp8",
        kv_cache_precision="fp8",
        engine="generic",
        input_tokens=4096,
        output_tokens=output_tokens,
        concurrency=concurrency,
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


# Prefill of 4,096 tokens: 2·P·s = 2 × 70.6e9 × 4,096 = 5.783552e14 FLOPs, plus causal attention
# 4 × (64 heads × 128) × 80 layers × 4,096²/2 = 2.1990232e13: 6.00345e14 FLOPs at FP8 peak = 0.3034 s.
# Alone it is compute-bound too (70.6 GB of weights at 4.8 TB/s is 14.7 ms).
PREFILL_S = (2 * 70.6e9 * 4096 + 4 * 64 * 128 * 80 * 4096**2 / 2) / FP8_PEAK


def _step(output_tokens: int, batch: int) -> float:
    """Memory-bound decode step at the average context 4,096 + g/2: weights plus the batch's KV, at 4.8 TB/s.

    Compute is far below (batch 16: 16 × 1.41e11 FLOPs = 1.1 ms of linear layers at FP8 peak against
    14.7 ms of weight reads), so the step is the bytes over bandwidth."""
    context = 4096 + output_tokens // 2
    return (70.6e9 + batch * context * KV_FP8) / BANDWIDTH


class TestLatencyByHand:
    @pytest.mark.parametrize("output_tokens", [2, 16, 256, 1000])
    def test_70b_fp8_batch_16_context_4k(self, output_tokens: int) -> None:
        estimate = estimate_throughput(_setup(output_tokens), IDEAL)
        assert estimate.concurrency == 16
        step = _step(output_tokens, 16)
        assert estimate.prefill_seconds_per_request == pytest.approx(PREFILL_S, rel=1e-12)
        assert estimate.decode_step_seconds == pytest.approx(step, rel=1e-12)
        # TPOT: the step plus the 15 other requests' prefill, each once per g generated tokens.
        # g = 2: 17.0 ms + 15 × 0.3034 / 2 = 2.29 s; g = 256: 17.2 ms + 17.8 ms = 35.0 ms.
        interleaved = 15 * PREFILL_S / output_tokens
        assert estimate.time_per_output_token_seconds == pytest.approx(step + interleaved, rel=1e-12)
        # TTFT: the step in flight, the prefill of the 15/g arrivals ahead, then its own prefill.
        assert estimate.queueing_seconds == pytest.approx(step + interleaved, rel=1e-12)
        assert estimate.time_to_first_token_seconds == pytest.approx(step + interleaved + PREFILL_S, rel=1e-12)
        e2e = estimate.time_to_first_token_seconds + (output_tokens - 1) * estimate.time_per_output_token_seconds
        assert estimate.end_to_end_seconds == pytest.approx(e2e, rel=1e-12)
        # Little's law: 16 requests in flight, each g tokens, at the estimated throughput.
        assert estimate.end_to_end_seconds == pytest.approx(16 * output_tokens / estimate.output_tokens_per_second)

    def test_tpot_no_longer_folds_the_request_s_own_prefill_in(self) -> None:
        # The old figure, batch ÷ throughput = step + 16·p/g, was 2.44 s at g = 2; TPOT counts 15 prefills.
        estimate = estimate_throughput(_setup(2), IDEAL)
        old = 16 / estimate.output_tokens_per_second
        assert old - estimate.time_per_output_token_seconds == pytest.approx(PREFILL_S / 2, rel=1e-9)

    def test_tpot_depends_on_the_output_length_only_through_the_interleaving_term(self) -> None:
        # Same context for the step (input 4,096 − g/2 keeps input + g/2 = 4,096 + 500): only the
        # interleaved prefill, 15·p/g, differs between the two output lengths.
        short = estimate_throughput(_setup(200, input_tokens=4496), IDEAL)
        long = estimate_throughput(_setup(1000, input_tokens=4096), IDEAL)
        assert short.decode_step_seconds == pytest.approx(long.decode_step_seconds, rel=1e-12)
        p_short, p_long = short.prefill_seconds_per_request, long.prefill_seconds_per_request
        assert short.time_per_output_token_seconds - 15 * p_short / 200 == pytest.approx(
            long.time_per_output_token_seconds - 15 * p_long / 1000, rel=1e-12
        )

    def test_batch_one_is_the_step_alone_and_no_queue(self) -> None:
        estimate = estimate_throughput(_setup(256, concurrency=1), IDEAL)
        assert estimate.time_per_output_token_seconds == pytest.approx(_step(256, 1), rel=1e-12)
        assert estimate.queueing_seconds == 0.0
        assert estimate.time_to_first_token_seconds == pytest.approx(PREFILL_S, rel=1e-12)
        assert estimate.end_to_end_seconds == pytest.approx(PREFILL_S + 255 * _step(256, 1), rel=1e-12)


class TestLatencyTarget:
    def test_tokens_per_user_target_is_held_on_tpot_and_is_the_largest_batch(self) -> None:
        target = 30.0  # tokens/s per user = 1/TPOT
        capped = estimate_throughput(_setup(256, concurrency=None, min_output_tokens_per_second_per_user=target), IDEAL)
        assert 1 < capped.concurrency < capped.kv_concurrency_limit  # the target, not memory, caps it
        assert 1 / capped.time_per_output_token_seconds >= target
        one_more = estimate_throughput(_setup(256, concurrency=capped.concurrency + 1), IDEAL)
        assert 1 / one_more.time_per_output_token_seconds < target

    def test_ttft_target_is_held_on_ttft_with_queueing(self) -> None:
        # 0.4 s: 0.303 s of own prefill leaves 97 ms for the step and 1.19 ms per further batch slot
        # ((B − 1)·p/256 of queue): about B = 62, below the ~81 sequences KV memory holds.
        limit = 0.4  # s
        capped = estimate_throughput(_setup(256, concurrency=None, max_time_to_first_token_seconds=limit), IDEAL)
        assert 50 < capped.concurrency < capped.kv_concurrency_limit
        assert capped.time_to_first_token_seconds <= limit
        one_more = estimate_throughput(_setup(256, concurrency=capped.concurrency + 1), IDEAL)
        assert one_more.time_to_first_token_seconds > limit

    def test_a_target_no_batch_meets_names_the_field(self) -> None:
        # At batch 1 TPOT is the step: (70.6e9 + 4,224 × 163,840 B) / 4.8 TB/s = 14.85 ms, 67.3 tokens/s.
        with pytest.raises(DomainError) as caught:
            estimate_throughput(_setup(256, concurrency=None, min_output_tokens_per_second_per_user=100.0), IDEAL)
        assert caught.value.field == ("min_output_tokens_per_second_per_user",)
        assert "67.3" in str(caught.value)


class TestLatencyProperties:
    @given(
        st.sampled_from(sorted(DEFAULT_EFFICIENCIES)),
        st.integers(1, 16_000),
        st.integers(1, 4_000),
        st.integers(1, 200),
    )
    @settings(max_examples=80, deadline=None)
    def test_latencies_grow_with_the_batch_and_agree_with_throughput(
        self, engine: str, input_tokens: int, output_tokens: int, batch: int
    ) -> None:
        eff = DEFAULT_EFFICIENCIES[engine]  # type: ignore[index]
        setup = _setup(output_tokens, concurrency=batch, input_tokens=input_tokens)
        small = estimate_throughput(setup, eff)
        large = estimate_throughput(replace(setup, concurrency=batch + 1), eff)
        if large.concurrency == small.concurrency:  # both capped by memory or the engine
            return
        tolerance = 1 + 1e-12
        assert small.decode_step_seconds <= large.decode_step_seconds * tolerance
        assert small.time_per_output_token_seconds <= large.time_per_output_token_seconds * tolerance
        assert small.time_to_first_token_seconds <= large.time_to_first_token_seconds * tolerance
        assert small.time_per_output_token_seconds >= small.decode_step_seconds
        # Little's law at B > 1: e2e with the batched prefill for its own is B·g / throughput.
        own_prefill_alone = estimate_throughput(replace(setup, concurrency=1), eff).time_to_first_token_seconds
        little = large.end_to_end_seconds - own_prefill_alone + large.prefill_seconds_per_request
        expected = large.concurrency * output_tokens / large.output_tokens_per_second
        assert little == pytest.approx(expected, rel=1e-9)
