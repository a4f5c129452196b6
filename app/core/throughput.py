"""Serving-throughput estimator: a roofline with calibrated efficiencies (DESIGN §3.4).

One replica is one copy of the model on `gpu_count` GPUs, in tensor parallel (TP) or, for
mixture-of-experts models, with attention data-parallelism and expert parallelism (weights and KV per
GPU, batch per rank, all-to-all and all-reduce traffic: `app.core.parallelism`). The estimate is
built from a handful of physical quantities and a few efficiencies that are fitted on published
measurements (`app/calibration/`) and frozen in `app/catalog/efficiencies.toml`:

* **Memory fit.** Weights `P·b_w` must fit in `N · memory · f_mem` with room for the KV cache of
  at least one request at its full context; otherwise `DoesNotFit` says how much is needed.
* **KV cache.** Bytes per token `2·L·n_kv·d_h·b_kv` (MLA: `L·(kv_lora_rank + rope_dim)·b_kv`);
  sliding-window layers hold `min(context, window)` tokens. Under TP each GPU holds
  `max(n_kv/N, 1)` KV heads (heads are replicated when `n_kv < N`); the MLA latent is replicated
  on every TP rank.
* **Concurrency.** From KV memory at the average in-flight context (input + generated/2), capped
  by the engine's batch limit and by the latency SLO.
* **Decode step at batch B**, phase by phase: the linear layers, the attention, the TP
  communication and a fixed overhead run one after the other, so the step is their sum, each
  phase under its own roofline:
  `max(W_B/(N·BW·MBU), 2·P_act·B/(N·F·MFU)) + max(B·KV/(BW·MBU), B·A/(N·F·MFU))
  + t_comm(N, B) + t_fixed + B·t_seq`, where `W_B` is the weights touched (MoE: dense part +
  routed experts × `1 − (1 − k/E)^B`), `KV` one sequence's KV read per GPU and `A` the attention
  FLOPs per token. On a real H200 (../shared/data/h200-decode-floor.jsonl, 70B FP8, batch 256,
  context 1k) the two phases measure 37.8 ms + 20.7 ms = 58.6 ms: one max over the whole step
  (57.2 ms) hides that the attention's KV reads cannot overlap the weight-bound GEMMs.
* **Prefill per request.** `(2·P_act·s + 2·L·s²·d_attn) / (N·F·MFU_prefill)` plus its share of
  TP communication.
* **Prefix caching** (vLLM automatic prefix caching, SGLang RadixAttention). With a hit rate `h`
  the first `c = h·s` input tokens' KV is already in the replica's cache, so prefill computes only
  the `s − c` new tokens (at least one: vLLM recomputes the last prompt token of a full hit to get
  its logits): `2·P_act·(s − c)` for the matrix multiplies, and attention for positions `c..s`
  only, each still attending to the whole context before it (`2·L·(s² − c²)·d_attn`). TP traffic
  of prefill scales with the new tokens. Decode is unchanged: every sequence reads its whole
  context's KV each step. KV memory is unchanged too: the cached prefix is what the sequence
  attends to, so it is reserved per sequence as before, with no credit for blocks shared between
  concurrent requests (conservative: vLLM keeps cached blocks in otherwise free blocks and evicts
  them LRU, docs.vllm.ai "Automatic Prefix Caching" design).
* **Reasoning tokens.** A reasoning model generates hidden reasoning tokens before the visible
  output; the replica generates `g = output + reasoning` tokens per request and each sequence's KV
  holds them (decode and reserved context grow by them).
* **Throughput at batch B.** `B·g / (B·t_prefill + g·t_step(B))` generated tokens/s (output and
  reasoning alike: a measured output tokens/s is likewise every generated token per second);
  requests/s is that over `g`.
* **Latency outputs** at batch B, with `t_step = t_step(B)`, `p` the batched prefill of one request
  and `g` tokens generated per request (the workload's latency target is enforced on these):
  - `decode_step_seconds` = `t_step`: one decode step, alone.
  - `time_per_output_token_seconds` (TPOT) = `t_step + (B − 1)·p/g`: the time between tokens after
    the first, as MLPerf and the engines' benchmark tools define it (`(e2e − TTFT)/(output − 1)`).
    Under continuous batching each of the other `B − 1` sequences is replaced once per `g` tokens
    and its prefill runs between this sequence's steps, so it adds its prefill per generated token.
    The request's own prefill is not in it (it is in TTFT). Only this interleaving term depends on
    the output length. Tokens/s per user is `1/TPOT`.
  - `time_to_first_token_seconds` = `queueing + p_alone`. Queueing model: a closed loop at the sized
    batch B (a new request arrives when one leaves); `B/g` requests arrive per decode step, so a
    new request waits for the step in flight and for the prefill of the `(B − 1)/g` other arrivals
    ahead of it (`queueing_seconds` = `t_step + (B − 1)·p/g`, nothing at B = 1), then runs its own
    prefill at idle-replica latency `p_alone` (it reads every weight at least once).
  - `end_to_end_seconds` = `TTFT + (g − 1)·TPOT`. With `p_alone = p` and B > 1 this is
    `g·t_step + B·p`, exactly `B·g / throughput` (Little's law), so latency and throughput agree
    (at B = 1 it is one step less: the prefill itself yields the first token).
* **TP communication.** Two all-reduces per layer (after attention, within its TP group, and after
  the MLP; under EP an all-to-all dispatch and combine instead), ring
  algorithm: `latency + 2·(N−1)/N · message / (link bandwidth · efficiency)` over NVLink,
  Infinity Fabric or PCIe (GPUs with no scale-up fabric talk over PCIe, which makes them
  communication-bound at TP ≥ 4).
* **Precision.** Compute runs at the weight precision when the GPU has a tensor-core path for it,
  otherwise at the next wider precision it has (FP8 on A100 is weight-only: it halves the bytes
  read, not the FLOPs). INT4 weights are served weight-only (W4A16). FP4 on Blackwell uses the
  FP4 tensor cores; FP4 (MXFP4) on Hopper/Ampere is weight-only W4A16: 4.25 bits per weight read,
  multiplies at the 16-bit peak, and not the Blackwell-fitted fp4 factor. Decode attention computes
  at the 16-bit peak whatever the weights (`app.core.precision`).

Everything here is pure: no I/O. Efficiencies come in as values; when none are passed the
documented uncalibrated defaults in `app.core.efficiencies.DEFAULT_EFFICIENCIES` are used. The
memory formulas (weights, KV cache, fit) live in `app.core.memory`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from app.core.efficiencies import (
    DEFAULT_COMM,
    DEFAULT_EFFICIENCIES,
    ENGINES,
    CommKind,
    Efficiencies,
    Engine,
    ErrorBand,
)

# Re-exported: the error bands moved to app.core.error_bands; callers still import them from here.
from app.core.error_bands import error_band_for as error_band_for
from app.core.error_bands import regime_of as regime_of
from app.core.error_bands import setup_features as setup_features
from app.core.errors import DomainError
from app.core.memory import (
    check_fit,
    full_attention_layer_count,
    kv_bytes_per_token_per_gpu,
    kv_bytes_read_per_decode_step_per_gpu,
    sliding_window_layer_count,
    weight_bytes,
)
from app.core.parallelism import (
    ACTIVATION_BYTES,
    Parallelism,
    all_to_all_bytes_per_layer,
    attention_dp_batch_cap,
    dense_weight_bytes_per_gpu,
    expert_load_imbalance,
    routed_params,
    routed_weight_bytes_per_gpu,
    validate_parallelism,
)
from app.core.precision import attention_peak_flops as attention_peak_flops
from app.core.precision import compute_precision_for as compute_precision_for
from app.core.specs import GpuSpec, ModelArchitecture
from app.core.units import GB, GIB, TERA, Precision

# Per-GPU, per-direction bandwidth assumed when a GPU without a scale-up fabric gives no link
# figure: PCIe Gen4 x16 is 32 GB/s each way (64 GB/s bidirectional, L40S datasheet).
DEFAULT_PCIE_GB_S = 32.0


@dataclass(frozen=True)
class ServingSetup:
    model: ModelArchitecture
    gpu: GpuSpec
    gpu_count: int  # GPUs of one replica (= attention_data_parallel × tensor_parallel)
    precision: Precision  # weight precision
    kv_cache_precision: Precision
    engine: Engine
    input_tokens: int
    output_tokens: int
    concurrency: int | None = None  # None = maximum throughput (engine fills its batch)
    min_output_tokens_per_second_per_user: float | None = None  # latency SLO
    max_time_to_first_token_seconds: float | None = None  # latency SLO
    # Share of each request's input tokens whose KV is already in the replica's prefix cache
    # (vLLM automatic prefix caching, SGLang RadixAttention): their prefill is skipped.
    prefix_cache_hit_rate: float = 0.0
    # Hidden reasoning tokens a reasoning model generates per request on top of output_tokens.
    reasoning_tokens: int = 0
    # How the replica's GPUs split the model (app.core.parallelism): None = gpu_count / attention DP.
    # The core's default is plain TP; app.scenario.resolve applies the model family's default.
    tensor_parallel: int | None = None
    expert_parallel: int = 1
    attention_data_parallel: int = 1
    parallelism_reason: str = ""  # "chosen", or the default's rule and its source

    @property
    def parallelism(self) -> Parallelism:
        tp = (
            self.tensor_parallel if self.tensor_parallel is not None else self.gpu_count // self.attention_data_parallel
        )
        return Parallelism(tp, self.attention_data_parallel, self.expert_parallel, self.parallelism_reason)

    @property
    def generated_tokens(self) -> int:
        """Tokens the replica generates per request: the visible output plus hidden reasoning."""
        return self.output_tokens + self.reasoning_tokens


@dataclass(frozen=True)
class ThroughputEstimate:
    # Generated tokens/s (visible output and hidden reasoning alike), as a measured figure is.
    output_tokens_per_second: float  # whole replica
    output_tokens_per_second_per_gpu: float
    requests_per_second: float  # = output_tokens_per_second / generated_tokens_per_request
    max_concurrency: int  # from KV memory, engine cap and SLO
    concurrency: int  # concurrency the estimate is at
    time_to_first_token_seconds: float  # queueing + own prefill (module docstring, "Latency outputs")
    time_per_output_token_seconds: float  # TPOT: time between tokens after the first (MLPerf)
    bound: Literal["memory", "compute"]
    weights_gib: float
    kv_cache_gib_available: float
    kv_bytes_per_token: float
    error_band: ErrorBand
    efficiencies: Efficiencies
    notes: tuple[str, ...]
    compute_precision: Precision = "bf16"
    kv_concurrency_limit: int = 0  # sequences the KV memory holds at the average context
    decode_step_seconds: float = 0.0  # one decode step at `concurrency`
    prefill_seconds_per_request: float = 0.0  # compute + TP traffic, as batched under load
    prefill_tokens_per_request: float = 0.0  # input tokens prefill computes (past the cached prefix)
    cached_prefix_tokens_per_request: float = 0.0  # input tokens whose KV the prefix cache already holds
    prefill_flops_per_request: float = 0.0  # FLOPs of one request's prefill (see `prefill_flops`)
    generated_tokens_per_request: float = 0.0  # output + reasoning tokens generated per request
    end_to_end_seconds: float = 0.0  # TTFT + (generated − 1) × TPOT, one request from arrival to last token
    queueing_seconds: float = 0.0  # part of TTFT spent waiting: in-flight step + prefill of arrivals ahead
    # The decode step's phases at `concurrency` (they sum to decode_step_seconds).
    decode_linear_seconds: float = 0.0  # linear layers: max(weights / bandwidth, 2·P_act·B / peak)
    decode_attention_seconds: float = 0.0  # attention: max(KV read / bandwidth, attention FLOPs / peak)
    decode_communication_seconds: float = 0.0  # tensor-parallel all-reduces (attention TP group; MoE TP)
    decode_overhead_seconds: float = 0.0  # fixed per step + per sequence
    decode_all_to_all_seconds: float = 0.0  # expert-parallel dispatch and combine
    parallelism: Parallelism = Parallelism(1)  # how the replica's GPUs split the model


# ----------------------------------------------------------------------------------------------
# Precision and links


def comm_kind_for(gpu: GpuSpec) -> CommKind:
    if gpu.interconnect in ("nvlink", "infinity_fabric", "ethernet"):
        return gpu.interconnect
    return "pcie"


def link_bytes_per_second(gpu: GpuSpec) -> float:
    if gpu.interconnect_gb_s > 0:
        return gpu.interconnect_gb_s * GB
    return DEFAULT_PCIE_GB_S * GB


# ----------------------------------------------------------------------------------------------
# The step model


@dataclass(frozen=True)
class _Plan:
    """Constants of one setup, computed once; the step functions below are cheap arithmetic."""

    n: int
    attention_dp: int  # attention data-parallel ranks: each holds and reads only its B/D sequences' KV
    layers: int
    bandwidth: float  # per GPU, bytes/s, times MBU and the precision factor (weight reads)
    kv_bandwidth: float  # per GPU, bytes/s, times MBU (KV-cache reads)
    flops: float  # per GPU, FLOP/s, times decode MFU
    attention_flops: float  # per GPU, FLOP/s at the 16-bit peak attention runs at, times decode MFU
    prefill_flops: float  # per GPU, FLOP/s, times prefill MFU
    dense_weight_bytes_per_gpu: float
    routed_weight_bytes_per_gpu: float
    expert_fraction: float  # k/E for MoE, 0 for dense
    active_params: float
    routed_active_params: float  # routed experts' share of active_params (k/E of the routed params)
    expert_load_imbalance: float  # busiest EP rank's routed tokens ÷ the mean (app.core.parallelism), 1 without EP
    decode_context: int
    kv_bytes_per_sequence_per_gpu: float  # KV read per decode step per sequence, at decode_context
    reserved_context: int  # tokens of KV a sequence in flight holds, for the memory limit
    kv_reserved_per_sequence_per_gpu: float
    attention_flops_per_token: float  # decode attention FLOPs per generated token
    comm_latency_s: float  # per collective, 0 on one GPU
    attention_comm_seconds_per_byte: float  # ring all-reduce within the attention TP group, per byte
    mlp_comm_seconds_per_byte: float  # MoE/MLP all-reduce over the whole replica (0 under EP), per byte
    all_to_all_latency_s: float  # per EP dispatch or combine, 0 without EP
    all_to_all_seconds_per_byte: float  # one GPU's EP traffic over its link, per byte
    all_to_all_bytes_per_token: float  # one GPU's bytes per batch token per dispatch (app.core.parallelism)
    hidden: int
    step_overhead_s: float
    per_sequence_overhead_s: float
    prefill_tokens: float  # input tokens prefill computes: those past the cached prefix
    generated_tokens: int  # output + reasoning tokens per request
    prefill_flops_per_request: float


def _attention_context_layers(model: ModelArchitecture, context: int) -> float:
    """Σ over layers of the context each layer attends to (sliding layers see min(context, window);
    sparse-attention layers at most their top-k selected tokens; linear-attention layers none: their
    fixed-state update per token, ~4·heads·d_k·d_v FLOPs, is negligible beside 2·P_act)."""
    window_layers = sliding_window_layer_count(model)
    full_layers = full_attention_layer_count(model)
    full_context = min(context, model.sparse_attention_topk) if model.uses_sparse_attention else context
    return float(full_layers * full_context + window_layers * min(context, model.sliding_window))


def _attention_width(model: ModelArchitecture) -> float:
    if model.uses_mla:
        # Absorbed MLA: scores over (kv_lora_rank + rope) and values over kv_lora_rank per head.
        return model.num_attention_heads * (model.kv_lora_rank + model.qk_rope_head_dim / 2.0)
    return float(model.num_attention_heads * model.head_dim)


def prefill_tokens_computed(input_tokens: int, prefix_cache_hit_rate: float) -> float:
    """Input tokens one request's prefill computes: those past the cached prefix, `(1 − h)·s`.

    At least one: on a full hit vLLM still recomputes the last prompt token to get the logits of
    the first output token (vLLM v1 KVCacheManager.get_computed_blocks)."""
    return max(input_tokens * (1.0 - prefix_cache_hit_rate), 1.0)


def _causal_attention_sum(model: ModelArchitecture, position: float) -> float:
    """Σ over layers of Σ_{i<position} (context token i attends to): i on full layers, min(i, W) on
    sliding-window layers; continuous, so Σ_i i ≈ s²/2 and Σ_i min(i, W) ≈ s·W − W²/2 beyond W.
    Linear-attention layers count none; sparse-attention layers see min(i, top-k), like a window."""
    window_layers = sliding_window_layer_count(model)
    full_layers = full_attention_layer_count(model)
    if model.uses_sparse_attention:
        k = min(position, float(model.sparse_attention_topk))
        total = full_layers * (position * k - k * k / 2.0)
    else:
        total = full_layers * position * position / 2.0
    if window_layers:
        w = min(position, float(model.sliding_window))
        total += window_layers * (position * w - w * w / 2.0)
    return total


def prefill_flops(model: ModelArchitecture, input_tokens: float, cached_prefix_tokens: float = 0.0) -> float:
    """FLOPs of one request's prefill: `2·P_act·(s − c)` for the matrix multiplies plus causal
    attention `4·d_attn·Σ_layers Σ_{i=c..s} i` (sliding layers: min(i, W)) = `2·L·(s² − c²)·d_attn`
    for a dense model, where `c` input tokens hit the prefix cache. The new tokens still attend to
    the whole context before them, cached prefix included."""
    new_tokens = float(input_tokens) - cached_prefix_tokens
    linear = 2.0 * model.active_params_b * 1e9 * new_tokens
    attention = _causal_attention_sum(model, float(input_tokens)) - _causal_attention_sum(model, cached_prefix_tokens)
    return linear + 4.0 * _attention_width(model) * attention


def _make_plan(setup: ServingSetup, eff: Efficiencies, compute_precision: Precision) -> _Plan:
    model, gpu, n = setup.model, setup.gpu, setup.gpu_count
    par = setup.parallelism
    tp = par.tensor_parallel
    weight_only_fp4 = setup.precision == "fp4" and compute_precision != "fp4"
    # The fitted fp4 factor measures Blackwell's FP4 tensor cores; weight-only FP4 runs other kernels (W4A16),
    # so it takes the FP8 reference (1.0) rather than borrow it.
    factor = 1.0 if weight_only_fp4 else eff.precision_factor.get(setup.precision, 1.0)
    peak = gpu.dense_tflops[compute_precision] * TERA
    routed_per_gpu = routed_weight_bytes_per_gpu(model, setup.precision, par)
    generated = setup.generated_tokens
    decode_context = setup.input_tokens + max(generated // 2, 0)
    # KV read per decode step: all a sequence stores, but only the top-k selected tokens' entries under
    # sparse attention (app.core.memory.kv_bytes_read_per_decode_step_per_gpu).
    # Under attention DP a sequence's KV lives on the TP GPUs of its own rank only (app.core.parallelism).
    kv_read = kv_bytes_read_per_decode_step_per_gpu(model, setup.kv_cache_precision, tp, decode_context)
    reserve = min(max(eff.kv_output_reservation, 0.0), 1.0)
    reserved_context = setup.input_tokens + max(round(generated * reserve), 1)
    new_tokens = prefill_tokens_computed(setup.input_tokens, setup.prefix_cache_hit_rate)
    kv_reserved = kv_bytes_per_token_per_gpu(model, setup.kv_cache_precision, tp, reserved_context)
    width = _attention_width(model)
    comm = eff.tp_comm.get(comm_kind_for(gpu), DEFAULT_COMM[comm_kind_for(gpu)])
    link = link_bytes_per_second(gpu) * comm.bandwidth_efficiency
    ep = par.expert_parallel
    routed_active = routed_params(model) * model.experts_per_token / model.num_experts if model.is_moe else 0.0
    imbalance = expert_load_imbalance(model, par)
    # Ring all-reduce moves 2·(g−1)/g of the message per GPU of a group of g. The attention's runs within
    # its TP group; the MLP's over all N GPUs unless EP exchanges the tokens all-to-all instead (the
    # EP all-to-all uses the same link and its fitted efficiency and latency: no EP rows fitted them yet).
    attention_ring = 2.0 * (tp - 1) / tp
    mlp_ring = 2.0 * (n - 1) / n if ep == 1 else 0.0
    return _Plan(
        n=n,
        attention_dp=par.attention_data_parallel,
        layers=model.num_layers,
        bandwidth=gpu.memory_bandwidth_tb_s * 1e12 * eff.decode_mbu * factor,
        kv_bandwidth=gpu.memory_bandwidth_tb_s * 1e12 * eff.decode_mbu,
        flops=peak * eff.decode_mfu * factor,
        attention_flops=attention_peak_flops(gpu) * eff.decode_mfu,
        prefill_flops=peak * eff.prefill_mfu * factor,
        dense_weight_bytes_per_gpu=dense_weight_bytes_per_gpu(model, setup.precision, par),
        routed_weight_bytes_per_gpu=routed_per_gpu,
        expert_fraction=(model.experts_per_token / model.num_experts) if routed_per_gpu > 0 else 0.0,
        active_params=model.active_params_b * 1e9,
        routed_active_params=routed_active,
        expert_load_imbalance=imbalance,
        decode_context=decode_context,
        kv_bytes_per_sequence_per_gpu=kv_read,
        reserved_context=reserved_context,
        kv_reserved_per_sequence_per_gpu=kv_reserved * reserved_context,
        attention_flops_per_token=4.0 * width * _attention_context_layers(model, decode_context),
        comm_latency_s=comm.latency_s if n > 1 else 0.0,
        attention_comm_seconds_per_byte=attention_ring / link,
        mlp_comm_seconds_per_byte=mlp_ring / link,
        all_to_all_latency_s=comm.latency_s if ep > 1 else 0.0,
        all_to_all_seconds_per_byte=1.0 / link,
        all_to_all_bytes_per_token=all_to_all_bytes_per_layer(model, 1.0, par),
        hidden=model.hidden_size,
        step_overhead_s=eff.step_overhead_s,
        per_sequence_overhead_s=eff.per_sequence_overhead_s,
        prefill_tokens=new_tokens,
        generated_tokens=generated,
        prefill_flops_per_request=prefill_flops(model, setup.input_tokens, setup.input_tokens - new_tokens),
    )


@dataclass(frozen=True)
class DecodeStep:
    """One decode step at a batch, phase by phase (module docstring, "Decode step at batch B").

    The phases run one after the other on the GPU, so the step is their sum; each phase is bound by
    its own roofline. A further phase (e.g. the all-to-all of expert parallelism) is one more term.
    """

    linear_memory_s: float  # weights touched / bandwidth
    linear_compute_s: float  # 2·P_act·B / peak
    attention_memory_s: float  # KV read / bandwidth
    attention_compute_s: float  # attention FLOPs / peak
    communication_s: float  # TP all-reduces
    overhead_s: float  # fixed per step + per sequence
    all_to_all_s: float = 0.0  # EP dispatch + combine

    @property
    def linear_s(self) -> float:
        return max(self.linear_memory_s, self.linear_compute_s)

    @property
    def attention_s(self) -> float:
        return max(self.attention_memory_s, self.attention_compute_s)

    @property
    def memory_s(self) -> float:
        return self.linear_memory_s + self.attention_memory_s

    @property
    def compute_s(self) -> float:
        return self.linear_compute_s + self.attention_compute_s

    @property
    def total_s(self) -> float:
        return self.linear_s + self.attention_s + self.communication_s + self.all_to_all_s + self.overhead_s


def _all_reduce_seconds(plan: _Plan, tokens: float, latency_s: float) -> float:
    """All-reduces of `tokens` tokens' activations, per layer: the attention's within its TP group on its
    rank's `tokens/D`, the MLP's over the replica (none under EP), each with `latency_s` when it runs."""
    message = tokens * plan.hidden * ACTIVATION_BYTES
    attention = message / plan.attention_dp * plan.attention_comm_seconds_per_byte
    mlp = message * plan.mlp_comm_seconds_per_byte
    latencies = (latency_s if plan.attention_comm_seconds_per_byte > 0 else 0.0) + (
        latency_s if plan.mlp_comm_seconds_per_byte > 0 else 0.0
    )
    return plan.layers * (attention + mlp + latencies)


def _all_to_all_seconds(plan: _Plan, tokens: float, latency_s: float) -> float:
    """EP dispatch and combine of `tokens` tokens, every layer (DeepSeek-V3: 58 of 61 are MoE; counted all),
    at the busiest rank's bytes: it receives (dispatch) and sends back (combine) `imbalance ×` the mean."""
    per_gpu = tokens * plan.all_to_all_bytes_per_token * plan.expert_load_imbalance
    return 2 * plan.layers * (latency_s + per_gpu * plan.all_to_all_seconds_per_byte) if per_gpu > 0 else 0.0


def _busiest_rank_active_params(plan: _Plan) -> float:
    return plan.active_params + plan.routed_active_params * (plan.expert_load_imbalance - 1.0)


def _decode_phases(plan: _Plan, batch: int) -> DecodeStep:
    weights = plan.dense_weight_bytes_per_gpu
    if plan.routed_weight_bytes_per_gpu > 0:
        touched = 1.0 - (1.0 - plan.expert_fraction) ** batch
        weights += plan.routed_weight_bytes_per_gpu * touched
    return DecodeStep(
        linear_memory_s=weights / plan.bandwidth,
        # The busiest EP rank multiplies `imbalance ×` the mean rank's routed tokens; its expert weights are read
        # once whatever the token count, so the memory side is unchanged.
        linear_compute_s=batch * 2.0 * _busiest_rank_active_params(plan) / plan.n / plan.flops,
        # Each attention-DP rank reads the KV of its own B/D sequences (its ranks run side by side).
        attention_memory_s=batch / plan.attention_dp * plan.kv_bytes_per_sequence_per_gpu / plan.kv_bandwidth,
        attention_compute_s=batch * plan.attention_flops_per_token / plan.n / plan.attention_flops,
        communication_s=_all_reduce_seconds(plan, batch, plan.comm_latency_s),
        overhead_s=plan.step_overhead_s + batch * plan.per_sequence_overhead_s,
        all_to_all_s=_all_to_all_seconds(plan, batch, plan.all_to_all_latency_s),
    )


def _decode_step(plan: _Plan, batch: int) -> float:
    return _decode_phases(plan, batch).total_s


def _prefill_compute_seconds(plan: _Plan) -> float:
    """A request's prefill FLOPs over the replica, plus the extra routed FLOPs the busiest EP rank does."""
    busiest_extra = 2.0 * plan.routed_active_params * (plan.expert_load_imbalance - 1.0) * plan.prefill_tokens
    return (plan.prefill_flops_per_request + busiest_extra) / plan.n / plan.prefill_flops


def _prefill_batched(plan: _Plan) -> float:
    """Seconds of replica time one request's prefill takes when batched with others under load."""
    compute_s = _prefill_compute_seconds(plan)
    tokens = plan.prefill_tokens
    return compute_s + _all_reduce_seconds(plan, tokens, 0.0) + _all_to_all_seconds(plan, tokens, 0.0)


def _prefill_alone(plan: _Plan) -> float:
    """Latency of one request's prefill on an idle replica (reads every weight at least once)."""
    compute_s = _prefill_compute_seconds(plan)
    memory_s = (plan.dense_weight_bytes_per_gpu + plan.routed_weight_bytes_per_gpu) / plan.bandwidth
    tokens = plan.prefill_tokens
    comm_s = _all_reduce_seconds(plan, tokens, plan.comm_latency_s) + _all_to_all_seconds(
        plan, tokens, plan.all_to_all_latency_s
    )
    return max(compute_s, memory_s) + comm_s + plan.step_overhead_s


def _throughput(plan: _Plan, batch: int, prefill_s: float) -> float:
    """Generated (output + reasoning) tokens/s of the replica with `batch` sequences in flight."""
    return batch * plan.generated_tokens / (batch * prefill_s + plan.generated_tokens * _decode_step(plan, batch))


@dataclass(frozen=True)
class Latency:
    """Per-request latency at a batch (module docstring, "Latency outputs")."""

    decode_step_seconds: float  # one decode step at the batch, alone
    time_per_output_token_seconds: float  # TPOT: step + other requests' prefill, per generated token
    queueing_seconds: float  # in-flight step + prefill of the arrivals ahead
    time_to_first_token_seconds: float  # queueing + own prefill on an idle replica
    end_to_end_seconds: float  # TTFT + (generated − 1) × TPOT


def _latency(plan: _Plan, batch: int, prefill_s: float, prefill_alone_s: float) -> Latency:
    step_s = _decode_step(plan, batch)
    others_prefill_s = (batch - 1) * prefill_s / plan.generated_tokens
    tpot_s = step_s + others_prefill_s
    queueing_s = (step_s if batch > 1 else 0.0) + others_prefill_s
    ttft_s = queueing_s + prefill_alone_s
    return Latency(
        decode_step_seconds=step_s,
        time_per_output_token_seconds=tpot_s,
        queueing_seconds=queueing_s,
        time_to_first_token_seconds=ttft_s,
        end_to_end_seconds=ttft_s + (plan.generated_tokens - 1) * tpot_s,
    )


def _largest_batch(limit: int, ok: Callable[[int], bool]) -> int:
    """Largest b in [1, limit] with ok(b) true, for a predicate true up to some point (binary search)."""
    low, high = 1, limit
    while low < high:
        mid = (low + high + 1) // 2
        if ok(mid):
            low = mid
        else:
            high = mid - 1
    return low


# ----------------------------------------------------------------------------------------------
# Validation


def _validate(setup: ServingSetup) -> None:
    model, gpu = setup.model, setup.gpu
    if setup.engine not in ENGINES:
        raise DomainError(f"unknown engine {setup.engine!r}; one of {', '.join(ENGINES)}", field=("engine",))
    if setup.gpu_count < 1:
        raise DomainError("gpu_count must be at least 1", field=("gpu_count",))
    if setup.gpu_count > max(gpu.max_gpus_per_node, 1):
        raise DomainError(
            f"tensor parallelism over {setup.gpu_count} GPUs exceeds the {gpu.max_gpus_per_node} GPUs of one "
            f"{gpu.id} scale-up domain; multi-node serving is not modelled (use more replicas)",
            field=("gpu_count",),
        )
    validate_parallelism(model, setup.gpu_count, setup.parallelism)
    if setup.input_tokens < 1:
        raise DomainError("input_tokens must be at least 1", field=("input_tokens",))
    if setup.output_tokens < 1:
        raise DomainError("output_tokens must be at least 1", field=("output_tokens",))
    if setup.reasoning_tokens < 0:
        raise DomainError("reasoning_tokens must be 0 or more", field=("reasoning_tokens",))
    hit_rate = setup.prefix_cache_hit_rate
    if not (0.0 <= hit_rate <= 1.0):  # also refuses NaN
        raise DomainError("prefix_cache_hit_rate must be between 0 and 1", field=("prefix_cache_hit_rate",))
    context = setup.input_tokens + setup.generated_tokens
    if model.max_context > 0 and context > model.max_context:
        what = "input + output + reasoning" if setup.reasoning_tokens else "input + output"
        raise DomainError(
            f"{what} = {context} tokens exceeds {model.id}'s context window of {model.max_context}",
            field=("input_tokens",),
        )
    if setup.concurrency is not None and setup.concurrency < 1:
        raise DomainError("concurrency must be at least 1 (or null for maximum throughput)", field=("concurrency",))
    slo = setup.min_output_tokens_per_second_per_user
    if slo is not None and not (slo > 0 and math.isfinite(slo)):
        raise DomainError(
            "min_output_tokens_per_second_per_user must be positive",
            field=("min_output_tokens_per_second_per_user",),
        )
    ttft = setup.max_time_to_first_token_seconds
    if ttft is not None and not (ttft > 0 and math.isfinite(ttft)):
        raise DomainError(
            "max_time_to_first_token_seconds must be positive", field=("max_time_to_first_token_seconds",)
        )
    if setup.kv_cache_precision in ("fp4", "int4") and gpu.dense_tflops.get("fp4", 0.0) <= 0:
        raise DomainError(
            f"a 4-bit KV cache needs FP4 support (Blackwell); {gpu.id} has none",
            field=("kv_cache_precision",),
        )
    if gpu.memory_gib <= 0 or gpu.memory_bandwidth_tb_s <= 0:
        raise DomainError(f"{gpu.id} needs positive memory and bandwidth", field=("gpu",))


# ----------------------------------------------------------------------------------------------
# The estimate


def estimate_throughput(setup: ServingSetup, efficiencies: Efficiencies | None = None) -> ThroughputEstimate:
    """Throughput, latency and memory of one replica (see the module docstring for the model)."""
    _validate(setup)
    eff = efficiencies if efficiencies is not None else DEFAULT_EFFICIENCIES[setup.engine]
    model, gpu, n = setup.model, setup.gpu, setup.gpu_count
    notes: list[str] = []

    compute_precision = compute_precision_for(gpu, setup.precision)
    if compute_precision != setup.precision:
        if setup.precision == "int4":
            notes.append(f"int4 weights are served weight-only: matrix multiplies run at {compute_precision}")
        else:
            notes.append(
                f"{gpu.id} has no {setup.precision} tensor cores: {setup.precision} is weight-only "
                f"(saves memory and bandwidth), compute runs at {compute_precision}"
            )

    full_context = setup.input_tokens + setup.generated_tokens
    par = setup.parallelism
    free_per_gpu = check_fit(
        model, gpu, n, setup.precision, setup.kv_cache_precision, full_context, eff.memory_fraction, par
    )
    plan = _make_plan(setup, eff, compute_precision)

    # Each attention-DP rank fills its own GPUs' free memory with its own sequences.
    kv_limit = max(int(free_per_gpu // plan.kv_reserved_per_sequence_per_gpu), 1) * par.attention_data_parallel
    engine_cap = eff.max_batch
    rank_cap = attention_dp_batch_cap(gpu, par)
    if rank_cap is not None and rank_cap < engine_cap:
        engine_cap = rank_cap
    max_concurrency = min(kv_limit, engine_cap)
    if kv_limit <= engine_cap:
        notes.append(f"KV-cache memory holds ~{kv_limit} sequences of {plan.reserved_context} reserved tokens")
    elif engine_cap == rank_cap:
        notes.append(
            f"{rank_cap // par.attention_data_parallel} sequences per attention data-parallel rank (the engines' "
            f"recipe batch) limit concurrency to {rank_cap}"
        )
    else:
        notes.append(f"the engine's batch cap of {eff.max_batch} sequences limits concurrency")
    tp = par.tensor_parallel
    if model.num_kv_heads < tp and not model.uses_mla:
        notes.append(f"{model.num_kv_heads} KV heads over {tp} GPUs: KV heads are replicated")
    if model.uses_mla and tp > 1:
        notes.append("the MLA latent KV cache is replicated on every tensor-parallel GPU")
    if not par.is_plain_tensor_parallel:
        notes.append(
            f"attention data-parallel {par.attention_data_parallel} × tensor-parallel {tp}, expert-parallel "
            f"{par.expert_parallel}: each rank holds its own sequences' KV and a copy of the dense weights"
        )

    prefill_s = _prefill_batched(plan)
    prefill_alone_s = _prefill_alone(plan)
    cached_prefix = setup.input_tokens - plan.prefill_tokens
    if cached_prefix > 0:
        notes.append(
            f"prefix cache: {cached_prefix:,.0f} of {setup.input_tokens:,} input tokens per request hit the cache, "
            f"so prefill computes {plan.prefill_tokens:,.0f}; their KV is still reserved for every sequence"
        )
    if setup.reasoning_tokens:
        notes.append(
            f"each request generates {setup.reasoning_tokens:,} hidden reasoning tokens besides its "
            f"{setup.output_tokens:,} output tokens: tokens/s counts both, and the KV cache holds both"
        )

    slo_rate = setup.min_output_tokens_per_second_per_user
    slo_ttft = setup.max_time_to_first_token_seconds
    if slo_rate is not None or slo_ttft is not None:
        # The target is held on TPOT (tokens/s per user = 1/TPOT) and TTFT as defined above; both grow
        # with the batch (the step, the interleaved prefill and the queue all do), so a binary search finds
        # the largest batch that meets them.
        def meets_slo(batch: int) -> bool:
            latency = _latency(plan, batch, prefill_s, prefill_alone_s)
            if slo_rate is not None and latency.time_per_output_token_seconds * slo_rate > 1.0:
                return False
            return slo_ttft is None or latency.time_to_first_token_seconds <= slo_ttft

        if not meets_slo(1):
            alone = _latency(plan, 1, prefill_s, prefill_alone_s)
            if slo_ttft is not None and alone.time_to_first_token_seconds > slo_ttft:
                raise DomainError(
                    f"time to first token is at least {alone.time_to_first_token_seconds:.3g} s for "
                    f"{setup.input_tokens} input tokens on {n} × {gpu.id}, above the {slo_ttft:g} s limit",
                    field=("max_time_to_first_token_seconds",),
                )
            best = 1.0 / alone.time_per_output_token_seconds
            raise DomainError(
                f"one user gets at most {best:.3g} output tokens/s on {n} × {gpu.id}, below the "
                f"{slo_rate:g} tokens/s required",
                field=("min_output_tokens_per_second_per_user",),
            )
        slo_cap = _largest_batch(max_concurrency, meets_slo)
        if slo_cap < max_concurrency:
            notes.append(f"the latency SLO caps concurrency at {slo_cap} (memory and engine allow {max_concurrency})")
            max_concurrency = slo_cap

    if setup.concurrency is None:
        batch = max_concurrency
    else:
        batch = min(setup.concurrency, max_concurrency)
        if setup.concurrency > max_concurrency:
            notes.append(
                f"requested concurrency {setup.concurrency} exceeds the {max_concurrency} that fit; the rest queue"
            )

    tokens_per_second = _throughput(plan, batch, prefill_s)
    latency = _latency(plan, batch, prefill_s, prefill_alone_s)
    phases = _decode_phases(plan, batch)
    step_s = phases.total_s
    if n > 1 and phases.communication_s + phases.all_to_all_s > 0.5 * step_s:
        share = (phases.communication_s + phases.all_to_all_s) / step_s
        notes.append(f"communication between GPUs takes {share:.0%} of each decode step")

    weights = weight_bytes(model, setup.precision)
    return ThroughputEstimate(
        output_tokens_per_second=tokens_per_second,
        output_tokens_per_second_per_gpu=tokens_per_second / n,
        requests_per_second=tokens_per_second / plan.generated_tokens,
        max_concurrency=max_concurrency,
        concurrency=batch,
        time_to_first_token_seconds=latency.time_to_first_token_seconds,
        time_per_output_token_seconds=latency.time_per_output_token_seconds,
        bound="memory" if phases.memory_s >= phases.compute_s else "compute",
        weights_gib=weights / GIB,
        kv_cache_gib_available=free_per_gpu * n / GIB,
        kv_bytes_per_token=plan.kv_bytes_per_sequence_per_gpu / plan.decode_context * tp,
        error_band=error_band_for(setup, eff),
        efficiencies=eff,
        notes=tuple(notes),
        compute_precision=compute_precision,
        kv_concurrency_limit=kv_limit,
        decode_step_seconds=step_s,
        prefill_seconds_per_request=prefill_s,
        prefill_tokens_per_request=plan.prefill_tokens,
        cached_prefix_tokens_per_request=cached_prefix,
        prefill_flops_per_request=plan.prefill_flops_per_request,
        generated_tokens_per_request=float(plan.generated_tokens),
        end_to_end_seconds=latency.end_to_end_seconds,
        queueing_seconds=latency.queueing_seconds,
        decode_linear_seconds=phases.linear_s,
        decode_attention_seconds=phases.attention_s,
        decode_communication_seconds=phases.communication_s,
        decode_overhead_seconds=phases.overhead_s,
        decode_all_to_all_seconds=phases.all_to_all_s,
        parallelism=par,
    )
