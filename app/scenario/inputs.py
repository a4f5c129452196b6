"""The question, typed in: every request document of a scenario (workload, API and self-hosted
options, inline GPU and model specs) as strict pydantic models. They validate shape and ranges, so
bad input is a 422 naming the field and the rule; bounds keep every computation finite. No HTTP,
no catalog lookups."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, model_validator
from pydantic_core import PydanticCustomError

from app.core.api_cost import (
    TimeOfDay,
)
from app.core.efficiencies import Engine
from app.core.self_hosted import RentalTerm
from app.core.specs import GpuSpec, ModelArchitecture
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


def _rule_broken(error_type: str, message: str) -> PydanticCustomError:
    # The msg keeps pydantic's wording of a ValueError ("Value error, …"): the API's 422 read so before
    # these rules had types of their own.
    return PydanticCustomError(error_type, "Value error, " + message)


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
    min_output_tokens_per_second_per_user: float | None = Field(None, gt=0, le=10_000)
    max_time_to_first_token_seconds: float | None = Field(None, gt=0, le=3600)

    @model_validator(mode="after")
    def one_volume(self) -> WorkloadIn:
        if (self.requests_per_month is None) == (self.tokens_per_month is None):
            raise _rule_broken(EXACTLY_ONE_VOLUME, "give exactly one of requests_per_month and tokens_per_month")
        if self.cached_input_fraction + self.cache_write_fraction > 1:
            raise _rule_broken(
                CACHE_SHARES_OVER_TOTAL, "cached_input_fraction + cache_write_fraction must not exceed 1"
            )
        return self

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
            min_output_tokens_per_second_per_user=self.min_output_tokens_per_second_per_user,
            max_time_to_first_token_seconds=self.max_time_to_first_token_seconds,
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
    precision: Precision = "bf16"
    kv_cache_precision: Precision | None = Field(None, description="Default: fp8 with fp8 weights, else bf16.")
    engine: Engine = "vllm"
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


class ScenarioIn(StrictInput):
    workload: WorkloadIn
    options: list[OptionIn] = Field(..., min_length=1, max_length=256)
