"""How one replica splits a model over its GPUs: tensor, attention data- and expert parallelism (issue 15).

A replica of `N` GPUs runs its attention in `D` data-parallel ranks of `T` tensor-parallel GPUs each
(`D·T = N`), and its routed experts in `EP` expert-parallel groups (`EP` divides the routed experts
and `N`; each expert is further split over `N/EP` GPUs). Plain tensor parallelism is `D = 1`,
`T = N`, `EP = 1`. Pipeline parallelism is not modelled (one replica is one scale-up domain).

* **Weights per GPU.** The dense part (attention, embeddings, dense and shared-expert MLPs) is
  replicated on every attention-DP rank and split by attention TP: `W_dense / T`. The routed experts
  are split over all `N` GPUs (by `EP` across experts, by `N/EP` within each): `W_routed / N`.
* **KV per GPU.** Each attention-DP rank holds the KV cache of its own sequences only, split by its
  `T` GPUs as under plain TP (`max(n_kv/T, 1)` heads; the MLA latent whole on each of the `T`): an
  MLA model's latent is no longer copied onto all `N` GPUs, so the replica holds ~`D` times more
  sequences in the same free memory (less the replicated dense weights).
* **Batch.** The replica's batch `B` is spread over the ranks: `B/D` sequences per rank, at most the
  engines' recipe batch per rank (`ATTENTION_DP_MAX_BATCH_PER_RANK_*`), however much KV memory is free.
* **Communication per decode step.** Attention's all-reduce runs within its `T` GPUs only, on the
  rank's `B/D` tokens. The MoE layers exchange tokens: with `EP > 1`, an all-to-all dispatch of each
  token's hidden state to its top-k experts and a combine back, `B·h·k·b_act` bytes each for the
  replica (`B·h·k·b_act·(EP−1)/(EP·N)` per GPU cross the link: tokens routed to a local expert do
  not); with `EP = 1` and `D > 1` the experts run tensor-parallel over all `N` GPUs on the whole
  batch (an all-gather and a reduce-scatter: one all-reduce's traffic); under plain TP the MLP's
  all-reduce is over `N`, as before.
* **The busiest EP rank.** Routed tokens do not spread evenly over the EP ranks and every MoE layer waits
  for the busiest one: its expert GEMMs' FLOPs and its all-to-all bytes are `imbalance ×` the mean rank's
  (`expert_load_imbalance`, from TensorRT-LLM's measured max/mean without EPLB). Its expert weights are
  read once whatever its token count, so the weight-read side of the step is unchanged.

Pure: no I/O.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

from app.core.efficiencies import DEFAULT_MEMORY_FRACTION
from app.core.errors import DomainError
from app.core.specs import GpuSpec, ModelArchitecture
from app.core.units import BYTES_PER_ELEMENT, GIB, Precision

# Activations exchanged between GPUs (TP all-reduces, EP dispatch and combine) are counted at 16 bits.
# DeepEP can dispatch in FP8 (DeepSeek's DeepEP README, "low-latency kernels ... FP8 dispatching"), which
# would halve the dispatch bytes; we keep 16 bits for both directions (the combine is BF16 in every engine).
ACTIVATION_BYTES = 2.0

# The GPU count from which an MLA mixture-of-experts model is served with attention data-parallelism and
# expert parallelism by default: the engines' own recipes for DeepSeek-V3/R1 on one 8-GPU node.
# - SGLang, "DeepSeek V3/V3.1/R1 usage" (docs.sglang.ai): `--tp 8 --dp 8 --enable-dp-attention` for high
#   throughput ("DP attention ... reduces the KV cache size"), with expert parallelism (`--ep 8`, DeepEP).
# - TensorRT-LLM, DeepSeek-R1 deployment guide and perf-overview 1.2 max-throughput recipes:
#   `enable_attention_dp: true`, `moe_expert_parallel_size: 8` on 8×H200/B200 ("DEP8").
# - vLLM, "Data Parallel Deployment" / "Expert Parallel Deployment" docs: `--data-parallel-size 8
#   --enable-expert-parallel` for DeepSeek-style MLA models ("the KV cache of MLA cannot be sharded
#   across attention heads").
# Other models stay plain TP: their KV heads split under TP, so DP attention buys less and the recipes
# (vLLM, SGLang) serve them TP by default.
ATTENTION_DP_MIN_GPUS = 8
ATTENTION_DP_DEFAULT_SOURCE = (
    "attention data-parallel + expert-parallel over all GPUs: how SGLang (--enable-dp-attention with EP), "
    "TensorRT-LLM (enable_attention_dp, DeepSeek-R1 deployment guide) and vLLM (--data-parallel-size with "
    "--enable-expert-parallel) serve MLA mixture-of-experts models on 8+ GPUs; the MLA latent KV cache "
    "cannot be split by heads"
)
TENSOR_PARALLEL_DEFAULT_SOURCE = "tensor parallel over all GPUs: the engines' default for this model"
TENSOR_PARALLEL_MEMORY_SOURCE = (
    "tensor parallel over all GPUs: with attention data-parallelism each GPU would hold a copy of the dense "
    "weights, leaving less room for KV cache than tensor parallelism does on these GPUs"
)


# Sequences one attention data-parallel rank runs at most in a maximum-throughput decode step. TensorRT-LLM's
# "How to get best performance on DeepSeek-R1 in TensorRT-LLM" (docs/source/blogs/Best_perf_practice_on_
# DeepSeek-R1_in_TensorRT-LLM.md, the recipe behind its perf tables): `--max_batch_size` is "Max batch size in
# each rank", 128 on H200 (DEP8, CUDA graphs captured at batch 128) and 384 on B200 (graphs up to 384). An engine
# runs no more sequences than its captured graphs and scheduler allow, however much KV memory is free, so under
# attention DP the replica's batch is at most D times this (the engine's own cap still applies). Keyed by
# whether the GPU has FP4 tensor cores (Blackwell and later: the B200 figure; Hopper and older: the H200 one).
ATTENTION_DP_MAX_BATCH_PER_RANK_HOPPER = 128
ATTENTION_DP_MAX_BATCH_PER_RANK_BLACKWELL = 384


def attention_dp_batch_cap(gpu: GpuSpec, parallelism: Parallelism) -> int | None:
    """The replica's batch cap from the per-rank recipe batch under attention DP; None under plain TP."""
    if parallelism.attention_data_parallel <= 1:
        return None
    blackwell = gpu.dense_tflops.get("fp4", 0.0) > 0
    per_rank = ATTENTION_DP_MAX_BATCH_PER_RANK_BLACKWELL if blackwell else ATTENTION_DP_MAX_BATCH_PER_RANK_HOPPER
    return per_rank * parallelism.attention_data_parallel


@dataclass(frozen=True)
class Parallelism:
    """How one replica's GPUs split the model (module docstring)."""

    tensor_parallel: int  # attention tensor-parallel GPUs per attention-DP rank (T)
    attention_data_parallel: int = 1  # attention data-parallel ranks (D)
    expert_parallel: int = 1  # expert-parallel groups the routed experts are split over (EP)
    reason: str = ""  # "chosen", or the default's rule and its source

    @property
    def gpu_count(self) -> int:
        return self.tensor_parallel * self.attention_data_parallel

    @property
    def is_plain_tensor_parallel(self) -> bool:
        return self.attention_data_parallel == 1 and self.expert_parallel == 1


def default_parallelism(
    model: ModelArchitecture,
    gpu_count: int,
    gpu: GpuSpec | None = None,
    precision: Precision | None = None,
    kv_cache_precision: Precision | None = None,
    context_tokens: int | None = None,
) -> Parallelism:
    """The model family's default split of `gpu_count` GPUs (see ATTENTION_DP_DEFAULT_SOURCE).

    Given the GPU and the weight precision, attention DP is kept only where it holds at least as many
    sequences as TP: its `D` ranks' free memory together must exceed TP's free memory by `D` sequences'
    KV (`D·free_DP ≥ free_TP + D·kv_seq`, so that `D·⌊free_DP/kv_seq⌋ ≥ ⌊free_TP/kv_seq⌋`; the MLA latent
    is whole on every GPU either way). `kv_seq` is one sequence's latent at `context_tokens` (else the
    model's whole context) and the KV precision (else 16 bits, the widest KV cache engines use).
    8 × H20 96 GB cannot hold DeepSeek-V3's dense part 8 times over: TP there."""
    plain = Parallelism(gpu_count, 1, 1, TENSOR_PARALLEL_DEFAULT_SOURCE)
    mla_moe = model.uses_mla and model.is_moe
    if not (mla_moe and gpu_count >= ATTENTION_DP_MIN_GPUS and model.num_experts % gpu_count == 0):
        return plain
    dep = Parallelism(1, gpu_count, gpu_count, ATTENTION_DP_DEFAULT_SOURCE)
    if gpu is not None and precision is not None:
        usable = gpu.memory_gib * GIB * DEFAULT_MEMORY_FRACTION
        free_dep = usable - weight_bytes_per_gpu(model, precision, dep)
        free_tp = usable - weight_bytes_per_gpu(model, precision, plain)
        latent = model.kv_lora_rank + model.qk_rope_head_dim + model.sparse_attention_indexer_dim
        kv_bytes = BYTES_PER_ELEMENT[kv_cache_precision] if kv_cache_precision is not None else 2.0
        kv_sequence = model.num_layers * latent * kv_bytes * (context_tokens or model.max_context)
        if free_dep * dep.attention_data_parallel < free_tp + dep.attention_data_parallel * kv_sequence:
            return Parallelism(gpu_count, 1, 1, TENSOR_PARALLEL_MEMORY_SOURCE)
    return dep


def chosen_parallelism(
    model: ModelArchitecture,
    gpu_count: int,
    tensor_parallel: int | None,
    expert_parallel: int | None,
    attention_data_parallel: int | None,
    gpu: GpuSpec | None = None,
    precision: Precision | None = None,
    kv_cache_precision: Precision | None = None,
    context_tokens: int | None = None,
) -> Parallelism:
    """The split asked for, each missing part filled in: all missing = the family's default; else a
    missing attention DP is `gpu_count / tensor_parallel` (1 without it), a missing TP is
    `gpu_count / attention DP`, a missing EP is 1. Validated by `validate_parallelism`."""
    if tensor_parallel is None and expert_parallel is None and attention_data_parallel is None:
        return default_parallelism(model, gpu_count, gpu, precision, kv_cache_precision, context_tokens)
    dp = attention_data_parallel
    if dp is None:
        dp = gpu_count // tensor_parallel if tensor_parallel and gpu_count % tensor_parallel == 0 else 1
    tp = tensor_parallel if tensor_parallel is not None else max(gpu_count // max(dp, 1), 1)
    parallelism = Parallelism(tp, dp, expert_parallel if expert_parallel is not None else 1, "chosen")
    validate_parallelism(model, gpu_count, parallelism)
    return parallelism


def _divisors(value: int, of: int) -> str:
    return ", ".join(str(d) for d in range(1, of + 1) if of % d == 0 and value % d == 0)


def _head_divisors(model: ModelArchitecture) -> str:
    return ", ".join(str(d) for d in (1, 2, 4, 8, 16, 32, 64) if model.num_attention_heads % d == 0)


def validate_parallelism(model: ModelArchitecture, gpu_count: int, parallelism: Parallelism) -> None:
    """Refuse splits the engines cannot run, naming the field and the rule."""
    tp, dp, ep = parallelism.tensor_parallel, parallelism.attention_data_parallel, parallelism.expert_parallel
    for value, name in ((tp, "tensor_parallel"), (dp, "attention_data_parallel"), (ep, "expert_parallel")):
        if value < 1:
            raise DomainError(f"{name} must be at least 1", field=(name,))
    if dp * tp != gpu_count:
        raise DomainError(
            f"attention_data_parallel × tensor_parallel must equal gpu_count: {dp} × {tp} ≠ {gpu_count}",
            field=("attention_data_parallel",),
        )
    if model.num_attention_heads % tp != 0:
        raise DomainError(
            f"tensor parallelism splits {model.id}'s {model.num_attention_heads} attention heads evenly over "
            f"the GPUs; tensor_parallel {tp} does not divide them (try {_head_divisors(model)})",
            field=("tensor_parallel" if dp > 1 else "gpu_count",),
        )
    if ep > 1 and not model.is_moe:
        raise DomainError(
            f"expert_parallel splits routed experts; {model.id} is dense (use expert_parallel 1)",
            field=("expert_parallel",),
        )
    if dp > 1 and not model.is_moe:
        raise DomainError(
            f"attention data-parallelism within a replica serves mixture-of-experts models; {model.id} is dense "
            "(use more replicas instead)",
            field=("attention_data_parallel",),
        )
    if ep > 1 and (model.num_experts % ep != 0 or gpu_count % ep != 0):
        raise DomainError(
            f"expert_parallel must divide {model.id}'s {model.num_experts} routed experts and the {gpu_count} GPUs; "
            f"{ep} does not (try {_divisors(model.num_experts, gpu_count)})",
            field=("expert_parallel",),
        )


def routed_params(model: ModelArchitecture) -> float:
    """Parameters in routed experts; derived from P, P_act, k, E when the catalog gives none."""
    if not model.is_moe or model.experts_per_token <= 0:
        return 0.0
    if model.routed_expert_params_b > 0:
        return model.routed_expert_params_b * 1e9
    share = model.experts_per_token / model.num_experts
    if share >= 1.0:
        return 0.0
    return max(model.total_params_b - model.active_params_b, 0.0) * 1e9 / (1.0 - share)


def dense_weight_bytes_per_gpu(model: ModelArchitecture, precision: Precision, parallelism: Parallelism) -> float:
    """Bytes of the dense part on each GPU: replicated per attention-DP rank, split by attention TP."""
    dense = model.total_params_b * 1e9 - routed_params(model)
    return dense * BYTES_PER_ELEMENT[precision] / parallelism.tensor_parallel


def routed_weight_bytes_per_gpu(model: ModelArchitecture, precision: Precision, parallelism: Parallelism) -> float:
    """Bytes of routed experts on each GPU: split over all GPUs (by EP across experts, the rest within)."""
    return routed_params(model) * BYTES_PER_ELEMENT[precision] / parallelism.gpu_count


def weight_bytes_per_gpu(model: ModelArchitecture, precision: Precision, parallelism: Parallelism) -> float:
    return dense_weight_bytes_per_gpu(model, precision, parallelism) + routed_weight_bytes_per_gpu(
        model, precision, parallelism
    )


def all_to_all_bytes_per_layer(model: ModelArchitecture, batch_tokens: float, parallelism: Parallelism) -> float:
    """Bytes one GPU sends over the link in one EP dispatch (the combine sends as many back).

    The replica dispatches `tokens·h·k·b_act` bytes (each token's hidden state to each of its top-k
    experts); each GPU sends its `1/N` share, of which `(EP−1)/EP` goes to experts on other GPUs."""
    ep = parallelism.expert_parallel
    if ep <= 1 or not model.is_moe:
        return 0.0
    replica_bytes = batch_tokens * model.hidden_size * model.experts_per_token * ACTIVATION_BYTES
    return replica_bytes / parallelism.gpu_count * (ep - 1) / ep


# Expert load imbalance: under EP the MoE layer waits for the busiest rank, which receives more routed tokens than
# the mean. TensorRT-LLM, "Scaling Expert Parallelism in TensorRT-LLM (Part 1)" (docs/source/blogs/tech_blog/
# blog4_Scaling_Expert_Parallelism_in_TensorRT-LLM.md, Table 1): DeepSeek-R1 on 32 GB200, EP32 with 8 experts per
# rank and no EPLB, the imbalance ratio (max − mean)/mean of routed tokens by rank, averaged over layers and decode
# iterations, is 1.564 (busiest rank 2.56× the mean); per expert the std is 164.1 tokens on a mean of 128.
EXPERT_IMBALANCE_RATIO_SOURCE_POINT = 1.564  # (max − mean)/mean by rank, no EPLB (blog4 Table 1)
EXPERT_IMBALANCE_SOURCE_RANKS = 32  # EP ranks of that measurement
EXPERT_IMBALANCE_SOURCE_EXPERTS_PER_RANK = 8  # 256 routed experts over 32 ranks
# With EPLB (32 redundant experts) the same table gives 0.109–0.115. No engine recipe behind the benchmark rows
# enables EPLB (TensorRT-LLM's DeepSeek-R1 perf recipe sets no `moe_config.load_balancer`; SGLang and vLLM need
# `--enable-eplb`), so the no-EPLB figure is the default.


def _expected_max_of_normals(count: int) -> float:
    """E[max of `count` standard normals], Blom's approximation Φ⁻¹((n − 0.375)/(n + 0.25)) (within 0.03 for n ≥ 2)."""
    return float(NormalDist().inv_cdf((count - 0.375) / (count + 0.25)))


def expert_load_imbalance(model: ModelArchitecture, parallelism: Parallelism) -> float:
    """Busiest EP rank's routed tokens ÷ the mean rank's: 1 without EP.

    Scaled from the one measured point (EXPERT_IMBALANCE_RATIO_SOURCE_POINT: 8 experts per rank, 32 ranks) by
    two rules, each an assumption stated here (experts per rank held at ≥ 8, the measured point):
    - a rank holding `g = E/EP` experts has a relative spread `∝ 1/√g` (expert loads independent: the source's
      per-expert std, 164.1/128 = 1.28, over √8 gives 0.45 of the mean per rank, against the 0.48 it measured);
    - the busiest of `EP` ranks sits `∝ E[max of EP normals]` spreads above the mean (1.42 at 8, 2.07 at 32).
    DeepSeek-R1 at EP8 (32 experts a rank): 1 + 1.564·√(8/32)·1.42/2.07 ≈ 1.54. The popularity skew is
    DeepSeek-R1's on a translation dataset, applied to every MoE model and workload (an assumption, stated)."""
    ep = parallelism.expert_parallel
    if ep <= 1 or not model.is_moe or model.num_experts <= 0:
        return 1.0
    # Fewer experts a rank than the measured 8 (Mixtral's 8 over EP 2–8) would take DeepSeek-R1's per-expert skew
    # (256 fine-grained experts) to coarse experts no source measured: the spread is held at the measured point.
    experts_per_rank = max(model.num_experts / ep, EXPERT_IMBALANCE_SOURCE_EXPERTS_PER_RANK)
    spread = math.sqrt(EXPERT_IMBALANCE_SOURCE_EXPERTS_PER_RANK / experts_per_rank)
    extreme = _expected_max_of_normals(ep) / _expected_max_of_normals(EXPERT_IMBALANCE_SOURCE_RANKS)
    return 1.0 + EXPERT_IMBALANCE_RATIO_SOURCE_POINT * spread * extreme
