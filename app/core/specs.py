"""Hardware and model-architecture facts, as frozen values.

These are the types the catalog loads into and the estimator reads; users may also pass them
inline. Every catalog figure carries `source` and `as_of`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from app.core.units import Precision

Interconnect = Literal["nvlink", "infinity_fabric", "pcie", "ethernet", "none"]


@dataclass(frozen=True)
class GpuSpec:
    id: str
    name: str
    vendor: str
    memory_gib: float
    memory_bandwidth_tb_s: float  # decimal TB/s
    # Dense (non-sparse) peak tensor throughput in TFLOP/s (TOPS for int), by compute precision.
    # A precision missing here has no tensor-core path on this GPU (e.g. FP8 on A100: weight-only).
    dense_tflops: dict[Precision, float]
    tdp_watts: float
    interconnect: Interconnect  # scale-up fabric used for tensor parallelism
    interconnect_gb_s: float  # per GPU, per direction, decimal GB/s
    max_gpus_per_node: int  # largest tensor-parallel group on one scale-up fabric
    source: str
    as_of: str
    notes: str = ""


@dataclass(frozen=True)
class ModelArchitecture:
    id: str
    name: str
    hf_id: str
    total_params_b: float
    active_params_b: float  # per token; equals total for dense models
    num_layers: int
    hidden_size: int
    num_attention_heads: int
    num_kv_heads: int
    head_dim: int
    vocab_size: int
    max_context: int
    # Mixture of experts: routed experts per MoE layer, experts chosen per token, and the total
    # parameters in routed experts (the part whose bytes touched per step depend on batch size).
    num_experts: int = 0
    experts_per_token: int = 0
    routed_expert_params_b: float = 0.0
    # Multi-head latent attention (DeepSeek): cached per token per layer = kv_lora_rank + rope dim.
    kv_lora_rank: int = 0
    qk_rope_head_dim: int = 0
    # Sliding-window / chunked attention: `sliding_window_layers` of the layers hold at most
    # `sliding_window` tokens of KV cache.
    sliding_window: int = 0
    sliding_window_layers: int = 0
    # Linear-attention layers (Qwen3-Next's Gated DeltaNet): `linear_attention_layers` of the layers
    # hold no KV cache but a fixed recurrent state per sequence of `linear_attention_state_elements`
    # per layer (recurrent state + short-convolution state), whatever the context length.
    linear_attention_layers: int = 0
    linear_attention_state_elements: int = 0
    # Sparse attention (DeepSeek-V3.2's DSA): each query attends to at most `sparse_attention_topk`
    # tokens chosen by a lightweight indexer, whose keys (`sparse_attention_indexer_dim` elements
    # per token per layer) sit in the KV cache beside the attention's own.
    sparse_attention_topk: int = 0
    sparse_attention_indexer_dim: int = 0
    # Default weight precision the model is distributed in (e.g. gpt-oss ships MXFP4 experts).
    native_precision: Precision = "bf16"
    # Thinks before it answers, always or by default (DeepSeek-R1, gpt-oss, Qwen3's default thinking mode):
    # its requests carry hidden reasoning tokens, generated and billed as output (issue 14).
    reasoning: bool = False
    source: str = ""
    as_of: str = ""
    notes: str = ""

    @property
    def is_moe(self) -> bool:
        return self.num_experts > 0

    @property
    def uses_mla(self) -> bool:
        return self.kv_lora_rank > 0

    @property
    def uses_linear_attention(self) -> bool:
        return self.linear_attention_layers > 0

    @property
    def uses_sparse_attention(self) -> bool:
        return self.sparse_attention_topk > 0


def attention_kinds_problem(model: ModelArchitecture) -> tuple[str, str] | None:
    """The field and the rule a model's linear- or sparse-attention fields break, or None. They go in pairs
    (a linear layer without its state, or a top-k without its indexer, would under-count memory), and the
    estimator (app/core/memory.py) models each kind alone, with at least one full-attention layer."""
    m = model
    if bool(m.linear_attention_layers) != bool(m.linear_attention_state_elements):
        return (
            "linear_attention_state_elements",
            "linear_attention_layers and linear_attention_state_elements go together",
        )
    if m.linear_attention_layers and m.linear_attention_layers + m.sliding_window_layers >= m.num_layers:
        return "linear_attention_layers", (
            f"{m.linear_attention_layers} linear + {m.sliding_window_layers} sliding-window layers leave no "
            f"full-attention layer of {m.num_layers}"
        )
    if bool(m.sparse_attention_topk) != bool(m.sparse_attention_indexer_dim):
        return "sparse_attention_indexer_dim", "sparse_attention_topk and sparse_attention_indexer_dim go together"
    if m.sparse_attention_topk and (m.sliding_window_layers or m.linear_attention_layers):
        return (
            "sparse_attention_topk",
            "sparse attention alongside sliding-window or linear-attention layers is not modelled",
        )
    return None


@dataclass(frozen=True)
class RentalOffer:
    id: str
    provider: str
    instance: str
    gpu: str  # GpuSpec.id
    gpus_per_instance: int
    region: str
    on_demand_per_gpu_hour: float | None
    spot_per_gpu_hour: float | None
    reserved_1y_per_gpu_hour: float | None
    reserved_3y_per_gpu_hour: float | None
    source: str
    as_of: str
    confidence: str = "medium"
    notes: str = ""

    def per_gpu_hour(self, term: str) -> float | None:
        return {
            "on_demand": self.on_demand_per_gpu_hour,
            "spot": self.spot_per_gpu_hour,
            "reserved_1y": self.reserved_1y_per_gpu_hour,
            "reserved_3y": self.reserved_3y_per_gpu_hour,
        }.get(term)


@dataclass(frozen=True)
class PurchaseOffer:
    id: str
    item: str
    category: Literal["server", "gpu_card", "rack"]
    gpu: str  # GpuSpec.id
    gpu_count: int
    price_usd: float
    price_low_usd: float | None
    price_high_usd: float | None
    power_kw: float | None  # whole system at full load
    source: str
    as_of: str
    confidence: str = "medium"
    notes: str = ""

    @property
    def price_per_gpu(self) -> float:
        return self.price_usd / self.gpu_count


@dataclass(frozen=True)
class CostParameter:
    """A default running-cost figure (electricity, PUE, colocation, salary, depreciation)."""

    id: str
    name: str
    value: float
    unit: str
    source: str
    as_of: str
    low: float | None = None
    high: float | None = None
    notes: str = ""


@dataclass(frozen=True)
class Catalog:
    gpus: dict[str, GpuSpec]
    models: dict[str, ModelArchitecture]
    rental_offers: dict[str, RentalOffer]
    purchase_offers: dict[str, PurchaseOffer]
    cost_parameters: dict[str, CostParameter] = field(default_factory=dict)
