"""Prefix caching on a self-hosted replica and hidden reasoning tokens (issue 14), in the core.

Hand calculations first (prefill FLOPs with a cached prefix, the API bill with reasoning tokens, a
replica's requests/s and concurrency with reasoning tokens), then invariants as properties.
Llama-3.1-8B and the H100 SXM come from the catalog (`app/catalog/models.toml`, `gpus.toml`):
32 layers, 32 heads × 128 = 4,096 attention width, 8 KV heads, 8.03 B parameters; 80 GiB,
3.35 TB/s, 1,978.9 dense FP8 TFLOPS, NVLink 450 GB/s.
"""

from __future__ import annotations

import math
from dataclasses import replace

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from app.catalog.loader import load_catalog
from app.core.api_cost import ApiOption, ApiPrices, PriceWindow, TokenPrices, with_time_of_day
from app.core.efficiencies import DEFAULT_EFFICIENCIES, CommEfficiency, Efficiencies
from app.core.errors import DomainError
from app.core.specs import ModelArchitecture
from app.core.throughput import (
    ServingSetup,
    ThroughputEstimate,
    estimate_throughput,
    prefill_flops,
    prefill_tokens_computed,
)
from app.core.units import GIB
from app.core.workload import Workload

CATALOG = load_catalog()
LLAMA_8B = CATALOG.models["llama-3.1-8b"]
H100 = CATALOG.gpus["h100-sxm"]
FP8_PEAK = 1978.9e12  # H100 SXM dense FP8 FLOP/s (gpus.toml)
NVLINK = 450e9  # H100 SXM NVLink bytes/s per direction (gpus.toml)

# An ideal engine: 100% of peak, no overheads, free all-reduce latency, so figures check by hand.
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
    kv_output_reservation=0.5,
)


def llama(**overrides: object) -> ServingSetup:
    base = ServingSetup(
        model=LLAMA_8B,
        gpu=H100,
        gpu_count=1,
        precision="fp8",
        kv_cache_precision="fp8",
        engine="vllm",
        input_tokens=8000,
        output_tokens=200,
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


# Gemma-2-9B (model-configs.csv): 42 layers, 21 of them sliding over a 4,096-token window, 16 heads × 256.
GEMMA_2_9B = ModelArchitecture(
    id="gemma-2-9b",
    name="gemma-2-9b",
    hf_id="gemma-2-9b",
    total_params_b=9.24,
    active_params_b=9.24,
    num_layers=42,
    hidden_size=3584,
    num_attention_heads=16,
    num_kv_heads=8,
    head_dim=256,
    vocab_size=256000,
    max_context=8192,
    sliding_window=4096,
    sliding_window_layers=21,
)


# --- prefix caching: prefill against hand calculations -----------------------------------------------


class TestPrefillWithACachedPrefix:
    def test_llama_8b_prefill_flops_at_8000_tokens_three_quarters_cached(self) -> None:
        # h = 0.75 of s = 8,000: c = 6,000 cached, 2,000 new tokens.
        # Linear: 2 × 8.03e9 × 2,000 = 3.212e13.
        # Attention: 4 × 4,096 × 32 layers × (8,000² − 6,000²)/2 = 4 × 4,096 × 32 × 14e6 = 7.340032e12.
        expected = 3.212e13 + 7.340032e12
        assert prefill_flops(LLAMA_8B, 8000, 6000) == pytest.approx(expected, rel=1e-12)
        # Without a cache: 2 × 8.03e9 × 8,000 + 4 × 4,096 × 32 × 8,000²/2 = 1.2848e14 + 1.6777216e13.
        assert prefill_flops(LLAMA_8B, 8000) == pytest.approx(1.2848e14 + 1.6777216e13, rel=1e-12)

        estimate = estimate_throughput(llama(prefix_cache_hit_rate=0.75, concurrency=1), IDEAL)
        assert estimate.prefill_tokens_per_request == 2000
        assert estimate.cached_prefix_tokens_per_request == 6000
        assert estimate.prefill_flops_per_request == pytest.approx(expected, rel=1e-12)
        # One GPU at 100% of FP8 peak, no TP traffic.
        assert estimate.prefill_seconds_per_request == pytest.approx(expected / FP8_PEAK, rel=1e-12)
        # Idle prefill is compute-bound (19.9 ms of FLOPs against 2.4 ms to read 8.03 GB of weights).
        assert estimate.time_to_first_token_seconds == pytest.approx(expected / FP8_PEAK, rel=1e-12)
        assert any("prefix cache: 6,000 of 8,000" in note for note in estimate.notes)

    def test_sliding_window_layers_attend_the_window_only(self) -> None:
        # Gemma-2-9B, s = 8,000, c = 6,000, W = 4,096: the 21 full layers add (8,000² − 6,000²)/2 = 14e6
        # positions each; past the window every new token attends 4,096, so the 21 sliding layers add
        # 2,000 × 4,096 = 8,192,000 each. Width 16 × 256 = 4,096.
        expected = 2 * 9.24e9 * 2000 + 4 * 4096 * (21 * 14e6 + 21 * 8_192_000)
        assert prefill_flops(GEMMA_2_9B, 8000, 6000) == pytest.approx(expected, rel=1e-12)
        # Inside the window sliding layers behave as full ones: c = 1,000, s = 3,000.
        inside = 2 * 9.24e9 * 2000 + 4 * 4096 * 42 * (3000**2 - 1000**2) / 2
        assert prefill_flops(GEMMA_2_9B, 3000, 1000) == pytest.approx(inside, rel=1e-12)

    def test_tensor_parallel_traffic_of_prefill_scales_with_the_new_tokens(self) -> None:
        # TP2 on NVLink at 100% efficiency: 2 all-reduces × 32 layers of 2·(2−1)/2 × tokens × 4,096 × 2 B.
        def prefill_seconds(new_tokens: float, cached: float) -> float:
            compute = prefill_flops(LLAMA_8B, 8000, cached) / 2 / FP8_PEAK
            return compute + 2 * 32 * new_tokens * 4096 * 2 / NVLINK

        for rate, new_tokens in ((0.0, 8000), (0.5, 4000), (0.75, 2000)):
            estimate = estimate_throughput(llama(gpu_count=2, prefix_cache_hit_rate=rate, concurrency=4), IDEAL)
            expected = prefill_seconds(new_tokens, 8000 - new_tokens)
            assert estimate.prefill_seconds_per_request == pytest.approx(expected, rel=1e-12)

    @pytest.mark.parametrize(
        ("input_tokens", "rate", "new_tokens"),
        [(8000, 0.0, 8000), (8000, 0.75, 2000), (1000, 0.5, 500), (8000, 1.0, 1), (1, 1.0, 1), (3, 0.9, 1)],
    )
    def test_prefill_computes_at_least_one_token(self, input_tokens: int, rate: float, new_tokens: float) -> None:
        # A full hit still recomputes the last prompt token for its logits (vLLM).
        assert prefill_tokens_computed(input_tokens, rate) == pytest.approx(new_tokens)

    def test_saved_prefill_is_exactly_the_drop_in_seconds_per_request(self) -> None:
        # At a fixed batch B, 1/requests_per_second = t_prefill + g·t_step(B)/B, and the decode step does
        # not depend on the hit rate: the difference is the prefill FLOPs saved at peak.
        none = estimate_throughput(llama(concurrency=16), IDEAL)
        cached = estimate_throughput(llama(concurrency=16, prefix_cache_hit_rate=0.75), IDEAL)
        assert cached.decode_step_seconds == none.decode_step_seconds
        saved = (prefill_flops(LLAMA_8B, 8000) - prefill_flops(LLAMA_8B, 8000, 6000)) / FP8_PEAK
        assert 1 / none.requests_per_second - 1 / cached.requests_per_second == pytest.approx(saved, rel=1e-9)

    def test_capacity_rises_with_the_hit_rate_on_a_prefill_heavy_workload(self) -> None:
        # Input 8,000, output 200, vLLM's default efficiencies: prefill dominates, so capacity grows with h.
        rates = (0.0, 0.25, 0.5, 0.75, 0.95)
        estimates = [estimate_throughput(llama(prefix_cache_hit_rate=h), DEFAULT_EFFICIENCIES["vllm"]) for h in rates]
        speeds = [e.output_tokens_per_second for e in estimates]
        assert speeds == sorted(speeds) and len(set(speeds)) == len(speeds)
        # Same batch (130, from KV memory) at every rate. At h = 0 a request takes 0.147 s of prefill and
        # 200 × t_step / 130 = 0.066 s of its share of decode; at h = 0.95 prefill takes 0.008 s: ×2.88.
        first, last = estimates[0], estimates[-1]
        assert first.concurrency == last.concurrency
        share = 200 * first.decode_step_seconds / first.concurrency
        assert last.decode_step_seconds == first.decode_step_seconds
        ratio = (first.prefill_seconds_per_request + share) / (last.prefill_seconds_per_request + share)
        assert speeds[-1] / speeds[0] == pytest.approx(ratio, rel=1e-9)
        assert speeds[-1] > 2.5 * speeds[0]
        ttfts = [e.time_to_first_token_seconds for e in estimates]
        assert ttfts == sorted(ttfts, reverse=True) and len(set(ttfts)) == len(ttfts)

    def test_kv_memory_is_reserved_for_the_cached_prefix_too(self) -> None:
        # No credit for prefix blocks shared between concurrent requests: concurrency is unchanged.
        none = estimate_throughput(llama(), IDEAL)
        full = estimate_throughput(llama(prefix_cache_hit_rate=1.0), IDEAL)
        assert full.kv_concurrency_limit == none.kv_concurrency_limit
        assert full.max_concurrency == none.max_concurrency
        assert full.kv_bytes_per_token == none.kv_bytes_per_token

    def test_no_cache_is_todays_estimate(self) -> None:
        today = estimate_throughput(llama(), IDEAL)
        assert today.cached_prefix_tokens_per_request == 0
        assert today.prefill_tokens_per_request == 8000
        assert not any("prefix cache" in note for note in today.notes)

    @pytest.mark.parametrize("rate", [-0.01, 1.01, math.nan, math.inf])
    def test_hit_rate_outside_zero_to_one_is_refused(self, rate: float) -> None:
        with pytest.raises(DomainError) as caught:
            estimate_throughput(llama(prefix_cache_hit_rate=rate))
        assert caught.value.field == ("prefix_cache_hit_rate",)


# --- reasoning tokens on a replica ---------------------------------------------------------------------


class TestReasoningOnAReplica:
    def test_reasoning_tokens_lower_requests_per_second_by_hand(self) -> None:
        # Input 1,000, output 500, FP8 weights and KV on one H100, batch 1. Prefill 1,000 tokens:
        prefill = (2 * 8.03e9 * 1000 + 4 * 4096 * 32 * 1000**2 / 2) / FP8_PEAK

        def step(context: int) -> float:  # read 8.03 GB of weights + context × 65,536 B of FP8 KV
            return (8.03e9 + context * 65_536) / 3.35e12

        plain = estimate_throughput(llama(input_tokens=1000, output_tokens=500, concurrency=1), IDEAL)
        # 500 generated tokens at an average context of 1,000 + 250.
        assert plain.requests_per_second == pytest.approx(1 / (prefill + 500 * step(1250)))
        reasoning = estimate_throughput(
            llama(input_tokens=1000, output_tokens=500, reasoning_tokens=1500, concurrency=1), IDEAL
        )
        # 2,000 generated tokens (500 visible + 1,500 hidden) at an average context of 1,000 + 1,000.
        assert reasoning.generated_tokens_per_request == 2000
        assert reasoning.requests_per_second == pytest.approx(1 / (prefill + 2000 * step(2000)))
        # Tokens/s counts every generated token.
        assert reasoning.output_tokens_per_second == pytest.approx(2000 * reasoning.requests_per_second)
        assert reasoning.requests_per_second < plain.requests_per_second / 3.9
        assert any("1,500 hidden reasoning tokens" in note for note in reasoning.notes)

    def test_reasoning_tokens_lower_max_concurrency_by_hand(self) -> None:
        # Free KV memory: 0.9 × 80 GiB − 8.03e9 B of FP8 weights = 69,279,411,328 B at 65,536 B a token.
        free = 0.9 * 80 * GIB - 8.03e9
        plain = estimate_throughput(llama(input_tokens=1000, output_tokens=500), IDEAL)
        # A sequence reserves input + half its generated tokens: 1,000 + 250 → 845 sequences.
        assert plain.max_concurrency == int(free // (65_536 * 1250)) == 845
        reasoning = estimate_throughput(llama(input_tokens=1000, output_tokens=500, reasoning_tokens=1500), IDEAL)
        # 1,000 + 2,000/2 = 2,000 reserved tokens → 528 sequences.
        assert reasoning.max_concurrency == int(free // (65_536 * 2000)) == 528

    def test_reasoning_tokens_count_against_the_context_window(self) -> None:
        with pytest.raises(DomainError, match="input \\+ output \\+ reasoning") as caught:
            estimate_throughput(llama(input_tokens=100_000, output_tokens=1000, reasoning_tokens=40_000))
        assert caught.value.field == ("input_tokens",)

    def test_negative_reasoning_tokens_are_refused(self) -> None:
        with pytest.raises(DomainError) as caught:
            estimate_throughput(llama(reasoning_tokens=-1))
        assert caught.value.field == ("reasoning_tokens",)


# --- reasoning tokens on the API bill ------------------------------------------------------------------

CLAUDE_LIKE = ApiPrices(
    standard=TokenPrices(input_per_mtok=3.0, output_per_mtok=15.0, cached_input_per_mtok=0.3),
    batch=TokenPrices(input_per_mtok=1.5, output_per_mtok=7.5, cached_input_per_mtok=0.15),
    long_context_threshold_tokens=200_000,
    long_context=TokenPrices(input_per_mtok=6.0, output_per_mtok=22.5, cached_input_per_mtok=0.6),
)


def _workload(**overrides: float) -> Workload:
    values: dict[str, float] = {"requests_per_month": 1_000_000, "input_tokens": 1000, "output_tokens": 500}
    values.update(overrides)
    return Workload(**values)  # type: ignore[arg-type]


API_CASES = [
    # overrides, discount, expected USD per request, expected reasoning line; 2,000 reasoning tokens throughout
    pytest.param({}, 0.0, (1000 * 3 + 500 * 15 + 2000 * 15) / 1e6, 2000 * 15 / 1e6, id="standard"),
    pytest.param(
        {"batchable_fraction": 0.4},
        0.0,
        0.6 * (1000 * 3 + 500 * 15 + 2000 * 15) / 1e6 + 0.4 * (1000 * 1.5 + 500 * 7.5 + 2000 * 7.5) / 1e6,
        (0.6 * 2000 * 15 + 0.4 * 2000 * 7.5) / 1e6,
        id="batch-share",
    ),
    pytest.param(
        {"cached_input_fraction": 0.5},
        0.0,
        (500 * 3 + 500 * 0.3 + 500 * 15 + 2000 * 15) / 1e6,
        2000 * 15 / 1e6,
        id="cached-share",
    ),
    pytest.param(
        # The tier is keyed on input tokens; reasoning tokens pay the tier's output price.
        {"input_tokens": 250_000},
        0.0,
        (250_000 * 6 + 500 * 22.5 + 2000 * 22.5) / 1e6,
        2000 * 22.5 / 1e6,
        id="long-context-tier",
    ),
    pytest.param({}, 0.2, 0.8 * (1000 * 3 + 500 * 15 + 2000 * 15) / 1e6, 2000 * 15 / 1e6, id="discount"),
]


class TestReasoningOnTheApiBill:
    @pytest.mark.parametrize(("overrides", "discount", "expected", "reasoning_line"), API_CASES)
    def test_reasoning_tokens_are_billed_as_output(
        self, overrides: dict[str, float], discount: float, expected: float, reasoning_line: float
    ) -> None:
        option = ApiOption("reasoner", CLAUDE_LIKE, negotiated_discount=discount, reasoning_tokens=2000)
        breakdown = option.cost_breakdown(_workload(**overrides))
        assert breakdown.per_request == pytest.approx(expected, rel=1e-12)
        assert breakdown.reasoning_output == pytest.approx(reasoning_line, rel=1e-12)
        assert any("2,000 hidden reasoning tokens" in note for note in breakdown.notes)

    def test_time_of_day_blend_bills_reasoning_at_the_blended_output_price(self) -> None:
        # 16 h at $1.10/Mtok output, 8 h at $0.55: flat traffic blends to (16 × 1.10 + 8 × 0.55)/24 = 0.91667.
        peak = PriceWindow((("00:30", "16:30"),), 16, TokenPrices(0.27, 1.10))
        off_peak = PriceWindow((("16:30", "00:30"),), 8, TokenPrices(0.135, 0.55))
        prices = with_time_of_day(
            ApiPrices(standard=TokenPrices(0.27, 1.10), time_of_day_windows=(peak, off_peak)), "blend"
        )
        breakdown = ApiOption("deepseek-like", prices, reasoning_tokens=3000).cost_breakdown(_workload())
        assert breakdown.reasoning_output == pytest.approx(3000 * (16 * 1.10 + 8 * 0.55) / 24 / 1e6, rel=1e-12)
        off = with_time_of_day(replace(prices, time_of_day=""), "off_peak")
        assert ApiOption("x", off, reasoning_tokens=3000).cost_breakdown(_workload()).reasoning_output == (
            pytest.approx(3000 * 0.55 / 1e6, rel=1e-12)
        )

    def test_no_reasoning_tokens_is_todays_bill(self) -> None:
        breakdown = ApiOption("plain", CLAUDE_LIKE).cost_breakdown(_workload())
        assert breakdown.reasoning_output == 0
        assert breakdown.per_request == pytest.approx((1000 * 3 + 500 * 15) / 1e6, rel=1e-12)
        assert not any("reasoning" in note for note in breakdown.notes)

    def test_reasoning_tokens_count_against_the_context_window(self) -> None:
        prices = replace(CLAUDE_LIKE, context_window=4000)
        assert ApiOption("x", prices, reasoning_tokens=2500).cost_per_request(_workload()) > 0  # 4,000 exactly
        with pytest.raises(DomainError, match="reasoning") as caught:
            ApiOption("x", prices, reasoning_tokens=2501).cost_per_request(_workload())
        assert caught.value.field == ("input_tokens",)

    @pytest.mark.parametrize("bad", [-1.0, math.nan])
    def test_negative_reasoning_tokens_are_refused(self, bad: float) -> None:
        with pytest.raises(DomainError) as caught:
            ApiOption("x", CLAUDE_LIKE, reasoning_tokens=bad)
        assert caught.value.field == ("reasoning_tokens",)


# --- the workload's fields ------------------------------------------------------------------------------


class TestWorkloadFields:
    @pytest.mark.parametrize(
        ("cached", "given_rate", "effective"),
        [(0.0, None, 0.0), (0.6, None, 0.6), (0.6, 0.3, 0.3), (0.0, 0.9, 0.9), (0.95, 0.0, 0.0)],
    )
    def test_self_hosted_hit_rate_defaults_to_the_apis_cached_share(
        self, cached: float, given_rate: float | None, effective: float
    ) -> None:
        workload = Workload(1000, 1000, 100, cached_input_fraction=cached, prefix_cache_hit_rate=given_rate)
        assert workload.self_hosted_prefix_cache_hit_rate == effective

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"reasoning_tokens": -1.0}, "reasoning_tokens"),
            ({"reasoning_tokens": math.nan}, "reasoning_tokens"),
            ({"prefix_cache_hit_rate": -0.1}, "prefix_cache_hit_rate"),
            ({"prefix_cache_hit_rate": 1.5}, "prefix_cache_hit_rate"),
            ({"prefix_cache_hit_rate": math.nan}, "prefix_cache_hit_rate"),
        ],
    )
    def test_bad_values_name_their_field(self, overrides: dict[str, float], field: str) -> None:
        with pytest.raises(DomainError) as caught:
            _workload(**overrides)
        assert caught.value.field == ("workload", field)

    def test_reasoning_tokens_are_not_visible_tokens(self) -> None:
        assert _workload(reasoning_tokens=3000).tokens_per_request == 1500


# --- properties ----------------------------------------------------------------------------------------

MODEL_IDS = ("llama-3.1-8b", "qwen3-30b-a3b", "gemma-2-9b", "mistral-7b", "gpt-oss-20b", "qwen3-32b")
GPU_IDS = ("h100-sxm", "a100-sxm-80gb", "l40s", "b200", "mi300x")
models = st.sampled_from([CATALOG.models[i] for i in MODEL_IDS if i in CATALOG.models])

engines = st.sampled_from(("vllm", "sglang", "tensorrt-llm"))
hit_rates = st.floats(min_value=0.0, max_value=1.0)


def _base(model: ModelArchitecture, gpu_index: int, engine: str, input_tokens: int, output_tokens: int) -> ServingSetup:
    return ServingSetup(model, CATALOG.gpus[GPU_IDS[gpu_index]], 1, "fp8", "fp8", engine, input_tokens, output_tokens)  # type: ignore[arg-type]


def _estimate_or_reject(setup: ServingSetup) -> ThroughputEstimate:
    try:
        return estimate_throughput(setup)
    except DomainError:  # includes DoesNotFit, an SLO no batch meets, a GPU without FP8
        assume(False)
        raise


class TestProperties:
    @given(
        models,
        st.integers(0, 1),  # H100 or A100 (FP8 weight-only there)
        engines,
        st.integers(1, 32_000),
        st.integers(1, 4_000),
        hit_rates,
        hit_rates,
        st.one_of(st.none(), st.floats(1.0, 80.0)),
        st.one_of(st.none(), st.floats(0.05, 5.0)),
    )
    @settings(max_examples=200, deadline=None)
    def test_a_higher_hit_rate_never_lowers_capacity(
        self,
        model: ModelArchitecture,
        gpu_index: int,
        engine: str,
        input_tokens: int,
        output_tokens: int,
        rate_a: float,
        rate_b: float,
        min_speed: float | None,
        max_ttft: float | None,
    ) -> None:
        low, high = sorted((rate_a, rate_b))
        base = replace(
            _base(model, gpu_index, engine, input_tokens, output_tokens),
            min_output_tokens_per_second_per_user=min_speed,
            max_time_to_first_token_seconds=max_ttft,
        )
        lower = _estimate_or_reject(replace(base, prefix_cache_hit_rate=low))
        higher = estimate_throughput(replace(base, prefix_cache_hit_rate=high))  # a lower rate met any SLO
        assert higher.output_tokens_per_second >= lower.output_tokens_per_second * (1 - 1e-12)
        assert higher.max_concurrency >= lower.max_concurrency
        if max_ttft is not None:
            assert higher.time_to_first_token_seconds <= max_ttft

    @given(models, st.integers(0, 1), engines, st.integers(1, 32_000), st.integers(1, 4_000), hit_rates, hit_rates)
    @settings(max_examples=150, deadline=None)
    def test_a_higher_hit_rate_never_raises_time_to_first_token_at_the_same_batch(
        self,
        model: ModelArchitecture,
        gpu_index: int,
        engine: str,
        input_tokens: int,
        output_tokens: int,
        rate_a: float,
        rate_b: float,
    ) -> None:
        # No SLO: the batch is memory's and the engine's, the same at any hit rate.
        low, high = sorted((rate_a, rate_b))
        base = _base(model, gpu_index, engine, input_tokens, output_tokens)
        lower = _estimate_or_reject(replace(base, prefix_cache_hit_rate=low))
        higher = estimate_throughput(replace(base, prefix_cache_hit_rate=high))
        assert higher.concurrency == lower.concurrency
        assert higher.time_to_first_token_seconds <= lower.time_to_first_token_seconds * (1 + 1e-12)

    @given(
        models,
        st.integers(0, 1),
        engines,
        st.integers(1, 16_000),
        st.integers(1, 2_000),
        st.integers(0, 8_000),
        st.integers(0, 8_000),
        st.one_of(st.none(), st.floats(0.05, 5.0)),
    )
    @settings(max_examples=150, deadline=None)
    def test_more_reasoning_tokens_never_raise_requests_per_second(
        self,
        model: ModelArchitecture,
        gpu_index: int,
        engine: str,
        input_tokens: int,
        output_tokens: int,
        reasoning_a: int,
        reasoning_b: int,
        max_ttft: float | None,
    ) -> None:
        fewer, more = sorted((reasoning_a, reasoning_b))
        base = replace(
            _base(model, gpu_index, engine, input_tokens, output_tokens), max_time_to_first_token_seconds=max_ttft
        )
        light = _estimate_or_reject(replace(base, reasoning_tokens=fewer))
        heavy = _estimate_or_reject(replace(base, reasoning_tokens=more))
        assert heavy.requests_per_second <= light.requests_per_second * (1 + 1e-12)
        if max_ttft is None:
            # KV memory per sequence grows with the reasoning tokens. Under a TTFT target the batch may
            # grow instead: TTFT queues behind (B − 1)/g arrivals per step (issue 15's queueing model in
            # app/core/throughput.py), and longer generations mean fewer arrivals per step.
            assert heavy.max_concurrency <= light.max_concurrency

    @given(
        st.floats(0.0, 100.0),
        st.floats(0.01, 100.0),
        st.floats(0.0, 200_000.0),
        st.floats(1.0, 50_000.0),
        st.floats(0.0, 1.0),
        st.floats(0.0, 1.0),
        st.floats(0.0, 0.9),
        st.floats(0.0, 100_000.0),
        st.floats(0.0, 100_000.0),
    )
    @settings(max_examples=200, deadline=None)
    def test_more_reasoning_tokens_never_lower_the_api_bill(
        self,
        input_price: float,
        output_price: float,
        input_tokens: float,
        output_tokens: float,
        cached: float,
        batchable: float,
        discount: float,
        reasoning_a: float,
        reasoning_b: float,
    ) -> None:
        fewer, more = sorted((reasoning_a, reasoning_b))
        prices = replace(CLAUDE_LIKE, standard=TokenPrices(input_price, output_price, input_price / 10))
        workload = _workload(
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cached_input_fraction=cached,
            batchable_fraction=batchable,
        )
        light = ApiOption("x", prices, negotiated_discount=discount, reasoning_tokens=fewer).cost_per_request(workload)
        heavy = ApiOption("x", prices, negotiated_discount=discount, reasoning_tokens=more).cost_per_request(workload)
        assert heavy >= light * (1 - 1e-12)
