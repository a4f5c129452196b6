"""The response bodies of /api/v1 (and /healthz, /readyz) as pydantic models: the OpenAPI document's
2xx schemas, so clients can be generated and fuzzers can check conformance.

They describe what the renderers write (app.render.result_json, the catalog routes' dataclass
dumps), and are never used to write it: routes declare them with `responses={200: {"model": ...}}`
and keep returning the renderers' bodies, so the bytes and the hot path do not change. Every field is
required (the renderers always write every key, null when absent) and extra keys are forbidden, so
tests/test_openapi.py fails when a renderer gains or loses a key the schema does not say.
Names end in `Out`, as the request documents in app.scenario.inputs end in `In`.
The catalog listings' bodies are in app.web.api_catalog_schemas, the example responses in
app.web.api_examples (catalog examples beside their schemas).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.core.efficiencies import CommKind, Engine, Regime
from app.core.self_hosted import RentalTerm
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


class ParallelismOut(ResponseBody):
    """How one replica's GPUs split the model (app.core.parallelism.Parallelism)."""

    tensor_parallel: int = Field(description="Attention tensor-parallel GPUs per attention data-parallel rank.")
    attention_data_parallel: int = Field(description="Attention data-parallel ranks, each with its own sequences.")
    expert_parallel: int = Field(description="Expert-parallel degree the routed experts are split over.")
    reason: str = Field(description="'chosen', or the model family's default and its source.")


class ThroughputEstimateOut(ResponseBody):
    """One replica's estimated serving throughput (app.core.throughput.ThroughputEstimate)."""

    output_tokens_per_second: float = Field(description="Whole replica.")
    output_tokens_per_second_per_gpu: float
    requests_per_second: float
    max_concurrency: int = Field(description="From KV memory, the engine's batch cap and the latency SLO.")
    concurrency: int = Field(description="The concurrency the estimate is at.")
    time_to_first_token_seconds: float = Field(
        description="Queueing (the decode step in flight and the prefill of requests arriving ahead, at the "
        "estimate's concurrency) plus the request's own prefill."
    )
    time_per_output_token_seconds: float = Field(
        description="TPOT as MLPerf defines it: time between tokens after the first, i.e. the decode step plus "
        "other requests' prefill interleaved under continuous batching. Tokens/s per user is its inverse."
    )
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
    prefill_tokens_per_request: float = Field(
        description="Input tokens each request prefills: those not found in the prefix cache (at least 1)."
    )
    cached_prefix_tokens_per_request: float = Field(
        description="Input tokens each request finds in the replica's prefix cache and skips prefilling."
    )
    prefill_flops_per_request: float
    generated_tokens_per_request: float = Field(description="Visible output + hidden reasoning tokens.")
    end_to_end_seconds: float = Field(
        description="One request from arrival to its last token: TTFT + (generated tokens − 1) × TPOT."
    )
    queueing_seconds: float = Field(description="The part of TTFT spent waiting before the request's own prefill.")
    decode_linear_seconds: float = Field(description="Decode step: linear layers, max(weight reads, matmul FLOPs).")
    decode_attention_seconds: float = Field(description="Decode step: attention, max(KV reads, attention FLOPs).")
    decode_communication_seconds: float = Field(description="Decode step: tensor-parallel all-reduces.")
    decode_overhead_seconds: float = Field(description="Decode step: fixed and per-sequence overhead.")
    decode_all_to_all_seconds: float = Field(description="Decode step: expert-parallel dispatch and combine.")
    parallelism: ParallelismOut


class InteractivityPointOut(ResponseBody):
    """One concurrency of the throughput-vs-interactivity curve (app.scenario.interactivity)."""

    concurrency: int = Field(description="Sequences in flight on one replica.")
    output_tokens_per_second_per_gpu: float
    output_tokens_per_second_per_user: float = Field(description="1 / the estimate's time_per_output_token_seconds.")
    time_to_first_token_seconds: float
    meets_latency_target: bool = Field(description="True when the request sets no latency target.")


class InteractivityOut(ResponseBody):
    """The estimator swept over concurrency 1, 2, 4, … and the memory/engine cap, without the latency target."""

    points: list[InteractivityPointOut] = Field(description="Ascending concurrency; includes the sized point's.")
    sized: InteractivityPointOut = Field(description="The concurrency the estimate above is at (target enforced).")
    max_concurrency: int = Field(description="What KV memory and the engine's batch cap allow, without the target.")
    gpu_count: int
    min_output_tokens_per_second_per_user: float | None
    max_time_to_first_token_seconds: float | None


class ThroughputOut(ThroughputEstimateOut):
    """POST /api/v1/throughput: the setup as resolved, then the estimate's fields."""

    model: str = Field(description="Model id (catalog id, or the inline architecture's).")
    gpu: str = Field(description="GPU id (catalog id, or the inline spec's).")
    gpu_count: int
    precision: Precision
    precision_reason: str = Field(description="'chosen', or why the default ('auto') picked this precision.")
    kv_cache_precision: Precision
    engine: Engine
    input_tokens: int
    output_tokens: int
    interactivity: InteractivityOut = Field(
        description="Output tokens/s per GPU against tokens/s per user as concurrency grows (InferenceX's frontier)."
    )


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
    reasoning_tokens: float = Field(description="Hidden reasoning tokens per request, for the models that reason.")
    prefix_cache_hit_rate: float | None = Field(description="Self-hosted prefix-cache hit rate; null = cached share.")
    min_output_tokens_per_second_per_user: float | None = Field(
        description="The latency target replicas were sized for (null: offline, no target)."
    )
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
    reasoning_output: float = Field(description="Hidden reasoning tokens, billed at the output price.")
    discount: float = Field(description="Negative (or 0): the negotiated discount's share.")
    tier: Literal["standard", "long_context"]
    batch_share: float


class QualityOut(ResponseBody):
    score: float = Field(description="On the benchmark named; compare only scores of the same benchmark.")
    benchmark: str = Field(description="The benchmark family (app/catalog/quality.toml states how it was chosen).")
    source: str = Field(description="Where the figure was copied from (URL).")
    as_of: str = Field(description="When the benchmark's snapshot was computed (ISO date, month or year).")
    confidence: Confidence
    rated_as: str = Field(description="The benchmark's own name for the model it rated.")


QUALITY_DESCRIPTION = (
    "The model's public quality score; a hosted offer takes its open model's score. null: no public score "
    "(never a figure borrowed from another benchmark or snapshot)."
)


class ApiOptionOut(ResponseBody):
    kind: Literal["api"]
    name: str
    monthly_cost: float
    cost_per_request: float
    cost_per_mtok: float
    quality: QualityOut | None = Field(description=QUALITY_DESCRIPTION)
    provider: str | None
    model: str | None
    origin: Literal["user", "hosted"] = Field(
        "user",
        description="'hosted': a hosted per-token offer of a self-hosted option's open model, added by the "
        "request's hosted_alternatives; 'user': an option the request gave.",
    )
    retires_on: str | None = Field(description="Retirement date (ISO 8601) per the second source.")
    retired: bool
    successor: str | None
    price_check: PriceCheckOut | None
    prices: ApiPricesOut
    negotiated_discount: float
    reasoning_tokens: float = Field(description="Hidden reasoning tokens per request billed as output.")
    reasons_by_default: bool = Field(
        description="The catalog says this model reasons unasked (LiteLLM's supports_reasoning; Anthropic and "
        "Flash-Lite think only when asked)."
    )
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


class SizedAtOut(ResponseBody):
    concurrency: int = Field(description="Sequences in flight per replica at the sized batch.")
    output_tokens_per_second_per_user: float
    time_to_first_token_seconds: float
    slow: bool = Field(description="True below 15 tok/s per user: slower than a chat product streams.")


class SelfHostedOptionOut(ResponseBody):
    kind: Literal["self_hosted"]
    name: str
    monthly_cost: float
    cost_per_request: float
    cost_per_mtok: float
    quality: QualityOut | None = Field(description=QUALITY_DESCRIPTION)
    model: str | None
    gpu: str | None
    gpu_count: int
    precision: Precision
    precision_reason: str = Field(description="'chosen', or why the default ('auto') picked this precision.")
    engine: Engine
    reasoning_tokens: float = Field(description="Hidden reasoning tokens each request generates.")
    sized_at: SizedAtOut | None = Field(
        description="The per-user speed and time to first token at the batch each replica is sized for "
        "(null for a measured capacity)."
    )
    replicas: int
    gpus: int = Field(description="GPUs the replicas use (replicas × gpu_count), spares included.")
    gpus_per_instance: int = Field(
        description="GPUs in the unit the offer sells (1 = per GPU): replicas are packed onto whole instances."
    )
    instances: int = Field(description="Whole instances billed at the workload's volume.")
    idle_gpus: int = Field(description="GPUs of those instances that no replica uses, billed all the same.")
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


class VerdictOptionOut(ResponseBody):
    name: str
    kind: Literal["api", "hosted", "self_hosted"]  # "hosted": a hosted open model's per-token offer
    monthly_cost: float


class VerdictSavingOut(ResponseBody):
    usd_per_month: float
    fraction: float = Field(description="Of the runner-up's monthly cost.")


class VerdictVolumeOut(ResponseBody):
    requests_per_month: float = Field(description="0: at any volume.")
    option: str = Field(description="The self-hosted option cheapest just above it.")


class VerdictHowSureOut(ResponseBody):
    winner_cheaper_share: float
    words: Literal["almost certain", "likely", "coin flip", "unlikely"] = Field(
        description="≥ 90% almost certain, ≥ 70% likely, 30–70% coin flip, below 30% unlikely."
    )
    draws: int


class VerdictHorizonOut(ResponseBody):
    months: int
    plan: Literal["api", "self_hosted", "switch"]
    switch_month: int
    cheapest: str
    cheapest_net_total: float
    api_only_net_total: float
    self_hosted_net_total: float
    api_price_change_per_year: float
    api_price_change_is_default: bool
    gpu_price_change_per_year: float
    monthly_growth: float
    assumption: str


class VerdictDisagreementOut(ResponseBody):
    source: Literal["horizon", "monte_carlo"]
    favours: str


class VerdictQualityOut(ResponseBody):
    winner_score: float | None
    runner_up_score: float | None
    benchmark: str | None = Field(description="The benchmark both scores are on (null: neither has one).")
    as_of: str | None
    far_apart: bool = Field(description="The scores differ by more than 100 points: not the same job.")


class VerdictOut(ResponseBody):
    """The winner at the volume and its saving against the cheapest option of the other side (per-token
    against self-hosted); where self-hosting first becomes and stays cheapest (from the envelope); and,
    on the page's JSON twin, how sure (the headline pair's Monte Carlo) and the horizon, with any
    disagreement. POST /api/v1/breakeven leaves `how_sure` and `horizon` null: see /api/v1/uncertainty
    and /api/v1/horizon."""

    winner: VerdictOptionOut
    runner_up: VerdictOptionOut | None
    saving: VerdictSavingOut | None
    self_hosting_first_cheaper: VerdictVolumeOut | None
    self_hosting_stays_cheaper: VerdictVolumeOut | None
    how_sure: VerdictHowSureOut | None
    horizon: VerdictHorizonOut | None
    disagreements: list[VerdictDisagreementOut]
    quality: VerdictQualityOut | None = Field(
        description="The winner's and the runner-up's public quality scores (null: a single option)."
    )
    closed_api: VerdictOptionOut | None = Field(
        description="When a hosted open model wins: the cheapest API option the user gave, for comparison."
    )
    headline: str
    lines: list[str]


class BreakevenOut(ResponseBody):
    """POST /api/v1/breakeven: cost per option, the cheapest, break-evens per pair, the envelope."""

    workload: WorkloadOut
    options: list[Annotated[ApiOptionOut | SelfHostedOptionOut, Field(discriminator="kind")]]
    cheapest: str
    verdict: VerdictOut
    breakevens: list[PairBreakevenOut]
    envelope: EnvelopeOut
    conventions: ConventionsOut
    warnings: list[str]


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
