"""Memory of one replica: weights, KV cache per token, and whether a setup fits (DESIGN §3.4).

Weights `P·b_w` must fit in `N · memory · f_mem` with room for the KV cache of at least one request
at its full context; otherwise `DoesNotFit` says how much is needed. KV bytes per token are
`2·L·n_kv·d_h·b_kv` (MLA: `L·(kv_lora_rank + rope_dim)·b_kv`); sliding-window layers hold
`min(context, window)` tokens. Under TP each GPU holds `max(n_kv/N, 1)` KV heads; the MLA latent is
replicated on every rank (under attention data-parallelism, on every GPU of one rank's TP group only:
`app.core.parallelism`). Linear-attention layers (Gated DeltaNet) hold no KV cache but a fixed
recurrent state per sequence; sparse-attention layers (DeepSeek DSA) also cache the indexer's keys,
and a decode step reads the attention's entries of the top-k selected tokens only. Pure: no I/O.
"""

from __future__ import annotations

from app.core.efficiencies import DEFAULT_MEMORY_FRACTION
from app.core.errors import DoesNotFit
from app.core.parallelism import Parallelism, weight_bytes_per_gpu
from app.core.specs import GpuSpec, ModelArchitecture
from app.core.units import BYTES_PER_ELEMENT, GB, GIB, Precision


def weight_bytes(model: ModelArchitecture, precision: Precision) -> float:
    """Bytes of all weights at `precision` (P · b_w)."""
    return model.total_params_b * 1e9 * BYTES_PER_ELEMENT[precision]


# Bytes per element of a linear-attention layer's recurrent state. vLLM keeps the Mamba / Gated DeltaNet
# state in the model's dtype unless told otherwise (`--mamba-ssm-cache-dtype`, default "auto" = model
# dtype, vLLM engine arguments), and the hybrid models we carry ship BF16: 2 bytes, whatever the KV
# cache precision.
RECURRENT_STATE_BYTES_PER_ELEMENT = 2.0


def sliding_window_layer_count(model: ModelArchitecture) -> int:
    """Layers that attend over a sliding window only (none when the model has no window)."""
    return min(model.sliding_window_layers, model.num_layers) if model.sliding_window > 0 else 0


def linear_attention_layer_count(model: ModelArchitecture) -> int:
    """Layers with linear attention: a fixed recurrent state, no KV cache."""
    return min(model.linear_attention_layers, model.num_layers)


def full_attention_layer_count(model: ModelArchitecture) -> int:
    """Layers that attend over the whole context (sparse ones: over its top-k selected tokens)."""
    return max(model.num_layers - sliding_window_layer_count(model) - linear_attention_layer_count(model), 0)


def _attention_kv_elements_per_token_per_layer(model: ModelArchitecture, kv_heads: float) -> float:
    if model.uses_mla:
        return float(model.kv_lora_rank + model.qk_rope_head_dim)
    return 2.0 * kv_heads * model.head_dim


def _kv_elements_per_token_per_layer(model: ModelArchitecture, kv_heads: float) -> float:
    """The attention's keys and values plus, under sparse attention, the indexer's key."""
    return _attention_kv_elements_per_token_per_layer(model, kv_heads) + model.sparse_attention_indexer_dim


def _effective_kv_layers(model: ModelArchitecture, context_tokens: int | None) -> float:
    """Layers' worth of KV per token at this context: sliding-window layers hold min(context, window);
    linear-attention layers hold none."""
    layers = float(model.num_layers - linear_attention_layer_count(model))
    window_layers = sliding_window_layer_count(model)
    if context_tokens is None or window_layers <= 0:
        return layers
    if context_tokens <= model.sliding_window:
        return layers
    return (layers - window_layers) + window_layers * model.sliding_window / context_tokens


def recurrent_state_bytes_per_sequence(model: ModelArchitecture) -> float:
    """Bytes of linear-attention state one sequence holds (whole model, one copy), at any context."""
    return float(linear_attention_layer_count(model) * model.linear_attention_state_elements) * (
        RECURRENT_STATE_BYTES_PER_ELEMENT
    )


def kv_bytes_per_token(model: ModelArchitecture, kv_precision: Precision, context_tokens: int | None = None) -> float:
    """KV-cache bytes per token of context, averaged over layers (whole model, one copy).

    `2·L·n_kv·d_h·b_kv`; MLA caches `L·(kv_lora_rank + rope_dim)·b_kv`; sparse attention adds the
    indexer's key to each layer's entry; linear-attention layers cache nothing per token. With
    `context_tokens`, sliding-window layers hold only `min(context, window)` tokens, so the average
    per token falls at long context, and a linear-attention model's fixed recurrent state is spread
    over the context (`state / context`), so that `kv_bytes_per_token(m, p, c) · c` is all one
    sequence holds; without it every layer counts in full and the state is left out.
    """
    per_layer = _kv_elements_per_token_per_layer(model, float(model.num_kv_heads))
    kv = _effective_kv_layers(model, context_tokens) * per_layer * BYTES_PER_ELEMENT[kv_precision]
    if context_tokens:
        kv += recurrent_state_bytes_per_sequence(model) / context_tokens
    return kv


def kv_bytes_per_token_per_gpu(
    model: ModelArchitecture, kv_precision: Precision, gpu_count: int, context_tokens: int | None = None
) -> float:
    """KV bytes per token that each GPU of a TP group stores.

    Each GPU holds `max(n_kv/N, 1)` KV heads, so heads are replicated once N exceeds n_kv; the MLA
    latent and the sparse-attention indexer key are not split by heads and are replicated on every
    rank. The recurrent state of linear-attention layers is split by its heads (Qwen3-Next: 32 value
    heads, more than any TP degree on one node), so each GPU holds `1/N` of it.
    """
    kv_heads = max(model.num_kv_heads / gpu_count, 1.0)
    per_layer = _kv_elements_per_token_per_layer(model, kv_heads)
    kv = _effective_kv_layers(model, context_tokens) * per_layer * BYTES_PER_ELEMENT[kv_precision]
    if context_tokens:
        kv += recurrent_state_bytes_per_sequence(model) / gpu_count / context_tokens
    return kv


def kv_bytes_read_per_decode_step_per_gpu(
    model: ModelArchitecture, kv_precision: Precision, gpu_count: int, context_tokens: int
) -> float:
    """KV-cache bytes one sequence's decode step reads on each GPU, at `context_tokens` of context.

    All it stores (`kv_bytes_per_token_per_gpu · context`: every cached entry and the recurrent
    state), except under sparse attention: the indexer scans its key for every token, and the
    attention reads the entries of at most `sparse_attention_topk` selected tokens (DeepSeek-V3.2
    tech report, DSA: "top-k selection ... attention only over the selected key-value entries").
    """
    stored = kv_bytes_per_token_per_gpu(model, kv_precision, gpu_count, context_tokens) * context_tokens
    if not model.uses_sparse_attention:
        return stored
    kv_heads = max(model.num_kv_heads / gpu_count, 1.0)
    skipped_tokens = max(context_tokens - model.sparse_attention_topk, 0)
    skipped = (
        full_attention_layer_count(model)
        * skipped_tokens
        * _attention_kv_elements_per_token_per_layer(model, kv_heads)
        * BYTES_PER_ELEMENT[kv_precision]
    )
    return stored - skipped


def usable_memory_bytes(gpu: GpuSpec, gpu_count: int, memory_fraction: float = DEFAULT_MEMORY_FRACTION) -> float:
    return gpu_count * gpu.memory_gib * GIB * memory_fraction


def check_fit(
    model: ModelArchitecture,
    gpu: GpuSpec,
    gpu_count: int,
    precision: Precision,
    kv_cache_precision: Precision,
    context_tokens: int,
    memory_fraction: float,
    parallelism: Parallelism | None = None,
) -> float:
    """Raise DoesNotFit unless weights plus one full-context request fit; return KV bytes free per GPU.

    `context_tokens` is input + generated (output and hidden reasoning) tokens. A prefix-cached share
    of the input counts in full: the sequence attends to it, so its KV must be resident. Without
    `parallelism` the replica is plain TP over `gpu_count`; with attention data-parallelism each GPU
    holds the dense weights of its rank (`app.core.parallelism`), so the weights it stores exceed
    `P·b_w / N`, and one request's KV sits on the `tensor_parallel` GPUs of one rank."""
    parallelism = parallelism or Parallelism(gpu_count)
    weights = weight_bytes(model, precision)
    # Replicated dense weights (attention DP) count once per rank: what the GPUs hold together.
    stored_weights = (
        weights
        if parallelism.is_plain_tensor_parallel
        else weight_bytes_per_gpu(model, precision, parallelism) * gpu_count
    )
    usable = usable_memory_bytes(gpu, gpu_count, memory_fraction)
    where = (
        f"{gpu_count} × {gpu.id} has {usable / GIB:.1f} GiB usable "
        f"({memory_fraction:.0%} of {gpu.memory_gib * gpu_count:g} GiB)"
    )
    if weights > usable:
        raise DoesNotFit(
            required_gib=weights / GIB,
            available_gib=usable / GIB,
            detail=(
                f"{model.id} in {precision} needs ~{weights / GIB:.1f} GiB of weights "
                f"({weights / GB:.1f} GB) but {where}"
            ),
            field=("gpu_count",),
        )
    if not parallelism.is_plain_tensor_parallel and stored_weights > usable:
        raise DoesNotFit(
            required_gib=stored_weights / GIB,
            available_gib=usable / GIB,
            detail=(
                f"{model.id} in {precision} with its dense part copied on {parallelism.attention_data_parallel} "
                f"attention data-parallel ranks needs ~{stored_weights / GIB:.1f} GiB of weights but {where}"
            ),
            field=("attention_data_parallel",),
        )
    tp = parallelism.tensor_parallel
    kv_one_request = kv_bytes_per_token_per_gpu(model, kv_cache_precision, tp, context_tokens) * context_tokens
    free_per_gpu = (usable - stored_weights) / gpu_count
    if kv_one_request > free_per_gpu:
        required = stored_weights + kv_one_request * gpu_count
        raise DoesNotFit(
            required_gib=required / GIB,
            available_gib=usable / GIB,
            detail=(
                f"{model.id} in {precision} needs ~{stored_weights / GIB:.1f} GiB of weights plus "
                f"~{kv_one_request * gpu_count / GIB:.1f} GiB of {kv_cache_precision} KV cache for one "
                f"request of {context_tokens} tokens (~{required / GIB:.1f} GiB in all) but {where}"
            ),
            field=("gpu_count",),
        )
    return free_per_gpu


def smallest_fitting_gpu_count(
    model: ModelArchitecture,
    gpu: GpuSpec,
    precision: Precision,
    kv_cache_precision: Precision,
    input_tokens: int,
    output_tokens: int,
) -> int:
    """Smallest power-of-two TP degree (up to `gpu.max_gpus_per_node`) that holds the model."""
    count = 1
    last_error: DoesNotFit | None = None
    while count <= max(gpu.max_gpus_per_node, 1):
        try:
            check_fit(
                model,
                gpu,
                count,
                precision,
                kv_cache_precision,
                input_tokens + output_tokens,
                DEFAULT_MEMORY_FRACTION,
            )
        except DoesNotFit as error:
            last_error = error
        else:
            return count
        count *= 2
    assert last_error is not None
    raise DoesNotFit(
        required_gib=last_error.required_gib,
        available_gib=last_error.available_gib,
        detail=f"{last_error.message}; no TP degree up to {gpu.max_gpus_per_node} on one node fits",
        field=("gpu",),
    )
