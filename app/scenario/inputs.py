"""The question, typed in: every request document of a scenario (workload, API and self-hosted
options, inline GPU and model specs) as strict pydantic models. They validate shape and ranges, so
bad input is a 422 naming the field and the rule; bounds keep every computation finite. No HTTP,
no catalog lookups."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, model_validator
from pydantic_core import PydanticCustomError

from app.core.api_cost import (
    TimeOfDay,
)
from app.core.efficiencies import Engine
from app.core.self_hosted import RentalTerm
from app.core.specs import GpuSpec, ModelArchitecture, attention_kinds_problem
from app.core.units import Precision
from app.core.workload import Workload

# Upper bounds keep every product of inputs far inside float range, so no answer is ever inf/NaN.
MAX_REQUESTS_PER_MONTH = 1e15
MAX_TOKENS_PER_REQUEST = 10_000_000
MAX_PRICE_PER_MTOK = 10_000.0
# Lower bounds on self-hosting prices: see RentIn and BuyIn.
MIN_PER_GPU_HOUR = 0.0001
MIN_PRICE_PER_GPU = 1.0


# Characters no user-typed text may hold: C0 and C1 controls (DEL included), lone surrogates and
# U+FFFE/U+FFFF, which XML 1.0 forbids (https://www.w3.org/TR/xml/#charsets) and on which the chart
# renderer aborted the whole server (issue 12); and the bidirectional embedding, override and
# isolate controls, which make a name display as other text (Trojan Source, CVE-2021-42574).
NOT_DISPLAYABLE = re.compile("[\x00-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff\u202a-\u202e\u2066-\u2069]")
# Validation context for documents read back from the store: those saved before `DisplayText`
# existed may hold such characters and must keep loading; there each becomes U+FFFD.
STORED_DOCUMENT = {"stored_document": True}


def _displayable(value: str, info: ValidationInfo) -> str:
    found = NOT_DISPLAYABLE.search(value)
    if found is None:
        return value
    if info.context and info.context.get("stored_document"):
        return NOT_DISPLAYABLE.sub("\ufffd", value)
    raise PydanticCustomError(
        "control_character",
        "must not contain control or bidirectional-override characters (found U+{code})",
        {"code": f"{ord(found.group()):04X}"},
    )


# Every user-typed name or id: shown in pages, charts and CSV, so only displayable characters.
DisplayText = Annotated[str, AfterValidator(_displayable)]

# The error types of the rules across fields (the model validators below). Such an error has no field
# location of its own, so a caller places it by its type (app/web/forms.py), never by its wording.
EXACTLY_ONE_VOLUME = "exactly_one_volume"
CACHE_SHARES_OVER_TOTAL = "cache_shares_over_total"
MODEL_OR_PRICES_REQUIRED = "model_or_prices_required"
RENT_PRICE_REQUIRED = "rent_price_required"
BUY_PRICE_REQUIRED = "buy_price_required"
CAPACITY_SOURCE_REQUIRED = "capacity_source_required"
OFFLINE_HAS_NO_LATENCY_TARGET = "offline_has_no_latency_target"
ATTENTION_KINDS_INCOMPLETE = "attention_kinds_incomplete"


def _rule_broken(error_type: str, message: str) -> PydanticCustomError:
    # The msg keeps pydantic's wording of a ValueError ("Value error, …"): the API's 422 read so before
    # these rules had types of their own.
    return PydanticCustomError(error_type, "Value error, " + message)


# The default latency target, for an interactive product (issue 14: without one, replicas were sized at
# batches giving 4-12 tok/s per user). MLPerf Inference sets per-user limits on the time per output
# token: 200 ms (5 tok/s) in the server scenario and 40 ms (25 tok/s) in the interactive one for
# Llama-2-70B (https://mlcommons.org/2025/04/llm-inference-v5/). The default, 20 tok/s (50 ms), is near
# the interactive end while a single L4 still serves an 8B model at it; it streams a 300-token answer in
# 15 s, about three times as fast as people read (~4-8 words/s). The first-token limit is the server
# scenario's 2 s: the interactive 450 ms assumes the benchmark's ~1k-token prompts, and prefill time
# grows with the prompt.
INTERACTIVE_MIN_OUTPUT_TOKENS_PER_SECOND = 20.0
INTERACTIVE_MAX_TIME_TO_FIRST_TOKEN_SECONDS = 2.0
# Below this a reader watches the answer crawl out (reading speed is ~4-8 words/s, ~5-10 tok/s, and
# chat products stream at 30-100 tok/s): results flag a self-hosted speed under it.
SLOW_TOKENS_PER_SECOND_PER_USER = 15.0
LatencyTarget = Literal["interactive", "offline"]


class StrictInput(BaseModel):
    # strict: a JSON true is not the number 1, and "5" is not 5 (the form layer parses its strings).
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, strict=True)


class WorkloadIn(StrictInput):
    # At least one request (or token) a month: below that, cost per Mtok overflows to infinity.
    requests_per_month: float | None = Field(
        None, ge=1, le=MAX_REQUESTS_PER_MONTH, description="Requests per month (or give tokens_per_month)."
    )
    tokens_per_month: float | None = Field(
        None, ge=1, le=MAX_REQUESTS_PER_MONTH * 1000, description="Input + output tokens per month."
    )
    input_tokens: float = Field(..., ge=0, le=MAX_TOKENS_PER_REQUEST, description="Input tokens per request.")
    output_tokens: float = Field(..., ge=1, le=1_000_000, description="Output tokens per request.")
    cached_input_fraction: float = Field(0.0, ge=0, le=1, description="Share of input tokens read from cache.")
    cache_write_fraction: float = Field(0.0, ge=0, le=1, description="Share of input tokens written to cache.")
    batchable_fraction: float = Field(0.0, ge=0, le=1, description="Share of requests that can use a batch API.")
    peak_to_average: float = Field(1.0, ge=1, le=100, description="Peak traffic over average traffic.")
    reasoning_tokens: float = Field(
        0.0,
        ge=0,
        le=1_000_000,
        description="Hidden reasoning tokens per request that a reasoning model (GPT-5, o3, DeepSeek-R1, gpt-oss, "
        "Qwen3 in thinking mode) generates before its visible answer: billed as output by an API, generated and "
        "held in the KV cache by a self-hosted replica. Applied to the options whose model reasons by default "
        "(the catalog says which) unless an option gives its own reasoning_tokens. Read yours from the API's "
        "usage (completion_tokens_details.reasoning_tokens).",
    )
    prefix_cache_hit_rate: float | None = Field(
        None,
        ge=0,
        le=1,
        description="Share of input tokens a self-hosted replica finds in its prefix cache (vLLM/SGLang automatic "
        "prefix caching) and does not prefill again; null = cached_input_fraction, the API's cached share.",
    )
    latency_target: LatencyTarget = Field(
        "interactive",
        description="'interactive' (default): self-hosted replicas are sized so each user gets at least "
        f"min_output_tokens_per_second_per_user (default {INTERACTIVE_MIN_OUTPUT_TOKENS_PER_SECOND:g}) and a first "
        f"token within max_time_to_first_token_seconds (default {INTERACTIVE_MAX_TIME_TO_FIRST_TOKEN_SECONDS:g} s); "
        "'offline': batch work with no latency target (replicas run at the largest batch memory allows).",
    )
    min_output_tokens_per_second_per_user: float | None = Field(
        None,
        gt=0,
        le=10_000,
        description=f"Interactive only; null = {INTERACTIVE_MIN_OUTPUT_TOKENS_PER_SECOND:g} tok/s (50 ms per token; "
        "MLPerf Inference asks 40 ms interactive, 200 ms server for Llama-2-70B).",
    )
    max_time_to_first_token_seconds: float | None = Field(
        None,
        gt=0,
        le=3600,
        description=f"Interactive only; null = {INTERACTIVE_MAX_TIME_TO_FIRST_TOKEN_SECONDS:g} s (MLPerf Inference "
        "server scenario).",
    )

    @model_validator(mode="after")
    def one_volume(self) -> WorkloadIn:
        if (self.requests_per_month is None) == (self.tokens_per_month is None):
            raise _rule_broken(EXACTLY_ONE_VOLUME, "give exactly one of requests_per_month and tokens_per_month")
        if self.cached_input_fraction + self.cache_write_fraction > 1:
            raise _rule_broken(
                CACHE_SHARES_OVER_TOTAL, "cached_input_fraction + cache_write_fraction must not exceed 1"
            )
        if self.latency_target == "offline" and (
            self.min_output_tokens_per_second_per_user is not None or self.max_time_to_first_token_seconds is not None
        ):
            raise _rule_broken(
                OFFLINE_HAS_NO_LATENCY_TARGET,
                "latency_target 'offline' has no latency target: leave min_output_tokens_per_second_per_user and "
                "max_time_to_first_token_seconds empty, or choose 'interactive'",
            )
        return self

    @property
    def min_tokens_per_second_per_user(self) -> float | None:
        """The per-user speed replicas are sized for: the given one, the interactive default, or none offline."""
        if self.latency_target == "offline":
            return None
        if self.min_output_tokens_per_second_per_user is None:
            return INTERACTIVE_MIN_OUTPUT_TOKENS_PER_SECOND
        return self.min_output_tokens_per_second_per_user

    @property
    def max_first_token_seconds(self) -> float | None:
        if self.latency_target == "offline":
            return None
        if self.max_time_to_first_token_seconds is None:
            return INTERACTIVE_MAX_TIME_TO_FIRST_TOKEN_SECONDS
        return self.max_time_to_first_token_seconds

    def to_core(self) -> Workload:
        tokens_per_request = self.input_tokens + self.output_tokens
        requests = self.requests_per_month or (self.tokens_per_month or 0) / tokens_per_request
        return Workload(
            requests_per_month=requests,
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            cached_input_fraction=self.cached_input_fraction,
            cache_write_fraction=self.cache_write_fraction,
            batchable_fraction=self.batchable_fraction,
            peak_to_average=self.peak_to_average,
            reasoning_tokens=self.reasoning_tokens,
            prefix_cache_hit_rate=self.prefix_cache_hit_rate,
            min_output_tokens_per_second_per_user=self.min_tokens_per_second_per_user,
            max_time_to_first_token_seconds=self.max_first_token_seconds,
        )


Price = Annotated[float, Field(ge=0, le=MAX_PRICE_PER_MTOK)]
# A price below a millionth of a dollar per Mtok is a typo, and would put break-evens beyond float range.
MIN_PRICE_PER_MTOK = 1e-6
PositivePrice = Annotated[float, Field(ge=MIN_PRICE_PER_MTOK, le=MAX_PRICE_PER_MTOK)]


class ApiOptionIn(StrictInput):
    kind: Literal["api"]
    name: DisplayText = Field(..., min_length=1, max_length=100)
    provider: DisplayText | None = Field(
        None, min_length=1, max_length=100, description="genai-prices provider id, e.g. openai."
    )
    model: DisplayText | None = Field(
        None, min_length=1, max_length=200, description="Model id as the provider names it."
    )
    input_per_mtok: PositivePrice | None = Field(None, description="USD per million input tokens (overrides).")
    output_per_mtok: PositivePrice | None = Field(None, description="USD per million output tokens (overrides).")
    cached_input_per_mtok: Price | None = None
    cache_write_per_mtok: Price | None = None
    batch_input_per_mtok: PositivePrice | None = None
    batch_output_per_mtok: PositivePrice | None = None
    negotiated_discount: float = Field(0.0, ge=0, lt=1, description="Fraction off the whole bill, applied last.")
    time_of_day: TimeOfDay = Field(
        "blend",
        description="For a model priced by time of day (DeepSeek): 'blend' = each window weighted by the hours it "
        "covers (flat traffic), 'off_peak' = all of this option's traffic runs in the cheapest window.",
    )
    reasoning_tokens: float | None = Field(
        None,
        ge=0,
        le=1_000_000,
        description="Hidden reasoning tokens per request this option bills as output; null = the workload's "
        "reasoning_tokens if the model reasons by default, else 0.",
    )
    origin: Literal["user", "hosted"] = Field(
        "user",
        description="'user': an option you gave; 'hosted': a hosted per-token offer of a self-hosted option's open "
        "model, added by hosted_alternatives (a saved scenario keeps it, so its price is frozen like any other).",
    )

    @model_validator(mode="after")
    def model_or_prices(self) -> ApiOptionIn:
        if self.model is None and (self.input_per_mtok is None or self.output_per_mtok is None):
            raise _rule_broken(
                MODEL_OR_PRICES_REQUIRED, "give a catalog model, or both input_per_mtok and output_per_mtok"
            )
        return self


class RentIn(StrictInput):
    kind: Literal["rent"]
    # At least $0.0001 per GPU-hour, thousands of times below any price in offers.toml (the cheapest,
    # a spot GPU, is $0.34): lower is a typo or an attack, and drives replica counts and break-evens
    # toward float's limits (issue 12: 1e-25 $/GPU-hour hung the solver, 1e-320 overflowed).
    per_gpu_hour: float | None = Field(
        None, ge=MIN_PER_GPU_HOUR, le=1000, description="USD per GPU-hour (overrides the offer)."
    )
    offer: DisplayText | None = Field(
        None, min_length=1, max_length=200, description="Rental offer id from /api/v1/catalog/offers."
    )
    term: RentalTerm = "on_demand"
    # Issue 14: offers are billed by the instance; 1024 GPUs is above any instance or rack sold (an
    # NVL72 rack is 72), so a larger figure is a typo.
    gpus_per_instance: int | None = Field(
        None,
        ge=1,
        le=1024,
        description=(
            "GPUs in the smallest unit the offer rents (replicas are packed onto whole instances and every GPU "
            "of an instance is billed). null = the offer's gpus_per_instance; 1 (per GPU) without an offer."
        ),
    )

    @model_validator(mode="after")
    def price_or_offer(self) -> RentIn:
        if self.per_gpu_hour is None and self.offer is None:
            raise _rule_broken(RENT_PRICE_REQUIRED, "give per_gpu_hour or a rental offer id")
        return self


class BuyIn(StrictInput):
    kind: Literal["buy"]
    # At least $1 a GPU (no accelerator sells for less), for the same reason as per_gpu_hour's minimum.
    price_per_gpu: float | None = Field(
        None, ge=MIN_PRICE_PER_GPU, le=10_000_000, description="USD per GPU incl. server share."
    )
    offer: DisplayText | None = Field(
        None, min_length=1, max_length=200, description="Purchase offer id from /api/v1/catalog/offers."
    )
    # At least 0.1 year (five weeks): shorter is no purchase anyone amortizes (that is renting), and a
    # vanishing one makes the monthly capital cost price/(years × 12) overflow to infinity.
    depreciation_years: float | None = Field(None, ge=0.1, le=20)
    residual_fraction: float = Field(0.0, ge=0, lt=1, description="Resale value at the end, share of price.")
    cost_of_capital: float = Field(0.0, ge=0, le=1, description="Annual rate; 0 = straight-line depreciation.")
    watts_per_gpu: float | None = Field(None, ge=0, le=20_000, description="Provisioned watts per GPU.")
    power_draw_fraction: float | None = Field(None, ge=0, le=1)
    pue: float | None = Field(None, ge=1, le=5)
    electricity_usd_per_kwh: float | None = Field(None, ge=0, le=10)
    colocation_usd_per_kw_month: float | None = Field(None, ge=0, le=10_000)
    maintenance_fraction_per_year: float | None = Field(None, ge=0, le=1, description="Support, share of price/year.")
    gpus_per_instance: int | None = Field(
        None,
        ge=1,
        le=1024,
        description=(
            "GPUs in the smallest unit bought (replicas are packed onto whole servers and every GPU is paid "
            "for). null = the offer's gpu_count for a server or rack, 1 for a GPU card; 1 without an offer."
        ),
    )

    @model_validator(mode="after")
    def price_or_offer(self) -> BuyIn:
        if self.price_per_gpu is None and self.offer is None:
            raise _rule_broken(BUY_PRICE_REQUIRED, "give price_per_gpu or a purchase offer id")
        return self


class GpuSpecIn(StrictInput):
    id: DisplayText = Field("custom-gpu", max_length=100)
    name: DisplayText = Field("Custom GPU", max_length=200)
    vendor: DisplayText = Field("", max_length=100)
    memory_gib: float = Field(..., gt=0, le=4096)
    # At least 1 GB/s, below any accelerator (or a laptop CPU): a slower spec estimates a capacity so
    # small that the replica count for the load overflows a float (issue 12). (FLOPS too small for that
    # meet the core's capacity floor, app.core.self_hosted.MIN_REPLICA_REQUESTS_PER_SECOND.)
    memory_bandwidth_tb_s: float = Field(..., ge=0.001, le=1000)
    dense_tflops: dict[Precision, Annotated[float, Field(gt=0, le=1_000_000)]]
    tdp_watts: float = Field(700, gt=0, le=20_000)
    interconnect: Literal["nvlink", "infinity_fabric", "pcie", "ethernet", "none"] = "pcie"
    interconnect_gb_s: float = Field(32, ge=0.001, le=100_000)
    max_gpus_per_node: int = Field(8, ge=1, le=576)

    def to_core(self) -> GpuSpec:
        return GpuSpec(**self.model_dump(), source="entered by the user", as_of="")


class ModelArchitectureIn(StrictInput):
    id: DisplayText = Field("custom-model", max_length=100)
    name: DisplayText = Field("Custom model", max_length=200)
    hf_id: DisplayText = Field("", max_length=200)
    total_params_b: float = Field(..., gt=0, le=100_000)
    active_params_b: float | None = Field(None, gt=0, le=100_000)
    num_layers: int = Field(..., ge=1, le=2000)
    hidden_size: int = Field(..., ge=1, le=1_000_000)
    num_attention_heads: int = Field(..., ge=1, le=10_000)
    num_kv_heads: int = Field(..., ge=1, le=10_000)
    head_dim: int = Field(..., ge=1, le=10_000)
    vocab_size: int = Field(128_000, ge=1, le=10_000_000)
    max_context: int = Field(131_072, ge=1, le=100_000_000)
    num_experts: int = Field(0, ge=0, le=100_000)
    experts_per_token: int = Field(0, ge=0, le=100_000)
    routed_expert_params_b: float = Field(0.0, ge=0, le=100_000)
    kv_lora_rank: int = Field(0, ge=0, le=100_000)
    qk_rope_head_dim: int = Field(0, ge=0, le=100_000)
    sliding_window: int = Field(0, ge=0, le=100_000_000)
    sliding_window_layers: int = Field(0, ge=0, le=2000)
    # Hybrid and sparse attention (issue 15), as app/core/specs.ModelArchitecture documents them; the
    # estimator uses each (KV and state memory, attention reads).
    linear_attention_layers: int = Field(
        0, ge=0, le=2000, description="Layers with linear attention (Qwen3-Next's Gated DeltaNet): no KV cache."
    )
    linear_attention_state_elements: int = Field(
        0, ge=0, le=10**10, description="Recurrent-state elements per sequence per linear-attention layer."
    )
    sparse_attention_topk: int = Field(
        0, ge=0, le=100_000_000, description="Tokens each query attends to (DeepSeek-V3.2's DSA); 0 = dense."
    )
    sparse_attention_indexer_dim: int = Field(
        0, ge=0, le=100_000, description="Indexer key elements per token per layer, cached beside the KV."
    )

    @model_validator(mode="after")
    def attention_kinds_complete(self) -> ModelArchitectureIn:
        if (problem := attention_kinds_problem(self.to_core())) is not None:
            field, rule = problem
            raise _rule_broken(ATTENTION_KINDS_INCOMPLETE, f"{field}: {rule}")
        return self

    def to_core(self) -> ModelArchitecture:
        values = self.model_dump()
        values["active_params_b"] = self.active_params_b or self.total_params_b
        return ModelArchitecture(**values, source="entered by the user", as_of="")


class SelfHostedOptionIn(StrictInput):
    kind: Literal["self_hosted"]
    name: DisplayText = Field(..., min_length=1, max_length=100)
    model: DisplayText | ModelArchitectureIn | None = Field(
        None, description="Catalog model id or an inline architecture."
    )
    gpu: DisplayText | GpuSpecIn | None = Field(None, description="Catalog GPU id or an inline spec.")
    gpu_count: int | Literal["auto"] | None = Field(
        None, description="GPUs per replica (tensor parallel); null or 'auto' = smallest that fits."
    )
    tensor_parallel: int | None = Field(
        None,
        ge=1,
        le=64,
        description="Attention tensor-parallel GPUs per attention data-parallel rank; null = the model family's "
        "default (attention_data_parallel × tensor_parallel = gpu_count).",
    )
    expert_parallel: int | None = Field(
        None,
        ge=1,
        le=1024,
        description="Expert-parallel degree (divides the routed experts and gpu_count); null = the model family's "
        "default: MLA mixture-of-experts models (DeepSeek-V3/R1, Kimi K2) on 8+ GPUs run EP over all GPUs, "
        "others 1.",
    )
    attention_data_parallel: int | None = Field(
        None,
        ge=1,
        le=64,
        description="Attention data-parallel ranks, each holding its own sequences' KV cache; null = the model "
        "family's default (gpu_count for MLA mixture-of-experts models on 8+ GPUs, as the engines' recipes "
        "serve them; else 1).",
    )
    precision: Precision | Literal["auto"] = Field(
        "auto",
        description="Weight precision; 'auto' = how the model is served: its native precision where it ships in a "
        "low one (fp8 for DeepSeek-V3/R1, MXFP4 for gpt-oss), else fp8 on GPUs with FP8 tensor cores, else bf16.",
    )
    kv_cache_precision: Precision | None = Field(None, description="Default: fp8 with fp8 weights, else bf16.")
    engine: Engine = "vllm"
    reasoning_tokens: float | None = Field(
        None,
        ge=0,
        le=1_000_000,
        description="Hidden reasoning tokens per request this replica generates; null = the workload's "
        "reasoning_tokens if the model reasons by default (models.toml `reasoning`), else 0.",
    )
    pricing: Annotated[RentIn | BuyIn, Field(discriminator="kind")]
    output_tokens_per_second: float | None = Field(
        None,
        ge=0.001,
        le=10_000_000,
        description="Measured output tokens/s of one replica; wins over the estimate.",
    )
    concurrency: int | None = Field(None, ge=1, le=100_000, description="Concurrency for the estimate; null = max.")
    target_utilization: float = Field(0.8, ge=0.01, le=1, description="Share of capacity used at peak.")
    min_replicas: int = Field(1, ge=0, le=100_000)
    redundancy: int = Field(0, ge=0, le=10_000, description="Spare replicas (N+k).")
    ops_fte: float = Field(0.0, ge=0, le=10_000, description="Engineers (full-time equivalents) running it.")
    ops_usd_per_fte_year: float | None = Field(None, ge=0, le=10_000_000)
    platform_usd_per_month: float = Field(0.0, ge=0, le=1e9, description="Fixed platform cost per month.")

    @model_validator(mode="after")
    def needs_capacity(self) -> SelfHostedOptionIn:
        if self.output_tokens_per_second is None and (self.model is None or self.gpu is None):
            raise _rule_broken(
                CAPACITY_SOURCE_REQUIRED,
                "give model and gpu for a throughput estimate, or a measured output_tokens_per_second",
            )
        return self


OptionIn = Annotated[ApiOptionIn | SelfHostedOptionIn, Field(discriminator="kind")]


def _as_saved_before_issue_14(document: dict[str, Any]) -> dict[str, Any]:
    """A stored scenario saved before issue 14's defaults (2026-11-26), read as it was evaluated then.

    Such a document has no `hosted_alternatives` key (every later save writes it: a bool is never left out
    by `exclude_none`). What it left out meant: no latency target unless a limit was given, no prefix
    caching on the self-hosted side, GPUs billed one by one, plain tensor parallelism, no hosted offers.
    Without this, a saved scenario's answer would move with today's defaults (saved scenarios never change;
    a change of the estimator's own code still moves estimated capacity, and the page says figures are frozen,
    not formulas)."""
    legacy = dict(document)
    legacy["hosted_alternatives"] = False
    workload = dict(legacy.get("workload") or {})
    if "latency_target" not in workload:
        limits = ("min_output_tokens_per_second_per_user", "max_time_to_first_token_seconds")
        workload["latency_target"] = "interactive" if any(workload.get(k) is not None for k in limits) else "offline"
    workload.setdefault("prefix_cache_hit_rate", 0.0)
    legacy["workload"] = workload
    options = []
    for option in legacy.get("options") or []:
        if isinstance(option, dict) and option.get("kind") == "self_hosted":
            option = dict(option)
            option.setdefault("precision", "bf16")
            option.setdefault("attention_data_parallel", 1)  # with TP and EP unset: plain TP over the GPUs
            if isinstance(option.get("pricing"), dict):
                option["pricing"] = {"gpus_per_instance": 1, **option["pricing"]}
        options.append(option)
    legacy["options"] = options
    return legacy


class ScenarioIn(StrictInput):
    workload: WorkloadIn
    options: list[OptionIn] = Field(..., min_length=1, max_length=256)
    hosted_alternatives: bool = Field(
        True,
        description="Add, for each open model among the self-hosted options, its cheapest hosted per-token offers "
        "at this workload's token mix (up to 3 a model, 6 in all; genai-prices snapshot) as API options with "
        "origin 'hosted' (app/catalog/hosted.py says which offers count as the same model).",
    )

    @model_validator(mode="before")
    @classmethod
    def saved_before_issue_14(cls, data: Any, info: ValidationInfo) -> Any:
        if (
            info.context
            and info.context.get("stored_document")
            and isinstance(data, dict)
            and "hosted_alternatives" not in data
        ):
            return _as_saved_before_issue_14(data)
        return data
