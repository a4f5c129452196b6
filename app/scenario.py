"""A scenario: the input document every face of Breakeven shares (JSON API, form, charts), its
resolution against the catalog into core objects, and the evaluated result.

Input models validate shape and ranges (pydantic → 422 naming the field); resolution turns catalog
ids into specs and prices; evaluation calls the pure core. No HTTP here.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, model_validator
from pydantic_core import PydanticCustomError

from app.catalog.api_prices import resolve_api_prices, snapshot_age
from app.catalog.efficiencies import efficiencies_for
from app.catalog.litellm_prices import status_json, status_of_prices
from app.catalog.loader import (
    cost_parameter,
    get_gpu,
    get_model,
    get_purchase_offer,
    get_rental_offer,
    host_server_offers,
    maintenance_parameter_id,
    needs_host_server,
    offer_caveat,
)
from app.core.api_cost import (
    ApiCostBreakdown,
    ApiOption,
    ApiPrices,
    PriceOverrides,
    TimeOfDay,
    TokenPrices,
    apply_overrides,
    with_time_of_day,
)
from app.core.breakeven import (
    CostCurve,
    EnvelopeSegment,
    LinearCost,
    PairBreakeven,
    cheapest_envelope,
    solve_breakeven,
)
from app.core.errors import DomainError
from app.core.self_hosted import BuyPricing, Pricing, RentalTerm, RentPricing, ReplicaStepCost, SelfHostedOption
from app.core.specs import Catalog, GpuSpec, ModelArchitecture, PurchaseOffer, RentalOffer
from app.core.throughput import (
    Efficiencies,
    Engine,
    ServingSetup,
    ThroughputEstimate,
    estimate_throughput,
    smallest_fitting_gpu_count,
)
from app.core.units import TOKENS_PER_MTOK, Precision
from app.core.workload import Workload
from app.sources import Sources, take_snapshot

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
            raise ValueError("give exactly one of requests_per_month and tokens_per_month")
        if self.cached_input_fraction + self.cache_write_fraction > 1:
            raise ValueError("cached_input_fraction + cache_write_fraction must not exceed 1")
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
            raise ValueError("give a catalog model, or both input_per_mtok and output_per_mtok")
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
            raise ValueError("give per_gpu_hour or a rental offer id")
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
            raise ValueError("give price_per_gpu or a purchase offer id")
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
            raise ValueError("give model and gpu for a throughput estimate, or a measured output_tokens_per_second")
        return self


OptionIn = Annotated[ApiOptionIn | SelfHostedOptionIn, Field(discriminator="kind")]


class ScenarioIn(StrictInput):
    workload: WorkloadIn
    options: list[OptionIn] = Field(..., min_length=1, max_length=256)


# ---------------------------------------------------------------------------------------------
# Resolution: input documents → core objects


@dataclass(frozen=True)
class ResolvedApi:
    option: ApiOption
    model: str | None


@dataclass(frozen=True)
class ResolvedSelfHosted:
    option: SelfHostedOption
    model: ModelArchitecture | None
    gpu: GpuSpec | None
    precision: Precision
    engine: Engine
    output_tokens_per_second: float  # of one replica: measured when given, else estimated
    estimate: ThroughputEstimate | None
    pricing_label: str
    # The catalog offer's trust in its price (offers.toml `confidence`, `notes`) and a short caveat to
    # print beside it; None/"" when the user typed the price.
    price_confidence: str | None = None
    price_note: str = ""
    price_caveat: str | None = None


def _with_field_prefix(error: DomainError, prefix: tuple[str | int, ...]) -> DomainError:
    error.field = prefix + tuple(error.field)
    return error


def resolve_api(
    spec: ApiOptionIn, api_prices: Callable[[str, str | None], ApiPrices] = resolve_api_prices
) -> ResolvedApi:
    overrides = PriceOverrides(
        input_per_mtok=spec.input_per_mtok,
        output_per_mtok=spec.output_per_mtok,
        cached_input_per_mtok=spec.cached_input_per_mtok,
        cache_write_per_mtok=spec.cache_write_per_mtok,
        batch_input_per_mtok=spec.batch_input_per_mtok,
        batch_output_per_mtok=spec.batch_output_per_mtok,
    )
    if spec.model:
        base = with_time_of_day(api_prices(spec.model, spec.provider), spec.time_of_day)
        if spec.time_of_day == "off_peak" and not base.time_of_day_windows:
            base = replace(base, notes=(*base.notes, "this model has one price all day: off-peak changes nothing"))
    else:
        # A custom API: the typed prices are the whole card (model_or_prices requires both).
        assert spec.input_per_mtok is not None and spec.output_per_mtok is not None
        base = ApiPrices(
            standard=TokenPrices(
                spec.input_per_mtok, spec.output_per_mtok, spec.cached_input_per_mtok, spec.cache_write_per_mtok
            ),
            provider=spec.provider or "",
        )
    prices = apply_overrides(base, overrides)
    prices = replace(prices, source=_api_source(spec, prices, overrides))
    return ResolvedApi(ApiOption(spec.name, prices, spec.negotiated_discount), spec.model)


def _api_source(spec: ApiOptionIn, prices: ApiPrices, overrides: PriceOverrides) -> str:
    if not spec.model:
        return "entered by the user"
    source = prices.source
    if prices.time_of_day == "off_peak":
        source = source.replace("blended over the day (flat traffic)", "off-peak window only")
    if overrides.any_standard or overrides.any_batch:
        source += "; some prices overridden by the user"
    return source


def _rent_pricing(spec: RentIn, catalog: Catalog, gpu: GpuSpec | None) -> tuple[RentPricing, str | None]:
    if spec.offer is None:
        assert spec.per_gpu_hour is not None
        return RentPricing(per_gpu_hour=spec.per_gpu_hour, term=spec.term), None
    offer = get_rental_offer(catalog, spec.offer, field=("pricing", "offer"))
    if gpu is not None and offer.gpu != gpu.id:
        raise DomainError(f"offer {offer.id!r} rents {offer.gpu}, not {gpu.id}", field=("pricing", "offer"))
    price = spec.per_gpu_hour or offer.per_gpu_hour(spec.term)
    if price is None:
        raise DomainError(
            f"offer {offer.id!r} has no {spec.term.replace('_', ' ')} price; choose another term",
            field=("pricing", "term"),
        )
    source = offer.source if spec.per_gpu_hour is None else "entered by the user"
    return RentPricing(price, spec.term, offer.id, source, offer.as_of), offer.gpu


def _buy_pricing(spec: BuyIn, catalog: Catalog, gpu: GpuSpec | None) -> tuple[BuyPricing, str | None]:
    offer = get_purchase_offer(catalog, spec.offer, field=("pricing", "offer")) if spec.offer else None
    if offer is not None and gpu is not None and offer.gpu != gpu.id:
        raise DomainError(f"offer {offer.id!r} is for {offer.gpu}, not {gpu.id}", field=("pricing", "offer"))
    if offer is not None and needs_host_server(catalog, offer):
        # An SXM/OAM module runs only on its server's baseboard: its price alone would leave out the
        # server's price and power (offers.toml header).
        servers = ", ".join(o.id for o in host_server_offers(catalog, offer.gpu)) or "none in the catalog"
        raise DomainError(
            f"offer {offer.id!r} ({offer.item}) is a module that runs only inside its server, whose price "
            f"and power it leaves out: choose a server offer for {offer.gpu} ({servers}) or give "
            "price_per_gpu including the server's share",
            field=("pricing", "offer"),
        )
    price = spec.price_per_gpu or (offer.price_per_gpu if offer else None)
    assert price is not None
    watts = spec.watts_per_gpu
    if watts is None and offer is not None and offer.power_kw:
        watts = offer.power_kw * 1000 / offer.gpu_count
    if watts is None:
        watts = gpu.tdp_watts if gpu else 0.0

    def param(value: float | None, parameter_id: str) -> float:
        return value if value is not None else cost_parameter(catalog, parameter_id).value

    maintenance_id = maintenance_parameter_id(catalog, offer)
    pricing = BuyPricing(
        capex_per_gpu=price,
        depreciation_years=param(spec.depreciation_years, "depreciation_years"),
        residual_fraction=spec.residual_fraction,
        cost_of_capital=spec.cost_of_capital,
        watts_per_gpu=watts,
        power_draw_fraction=param(spec.power_draw_fraction, "power_draw_fraction"),
        pue=param(spec.pue, "pue_modern"),
        electricity_usd_per_kwh=param(spec.electricity_usd_per_kwh, "electricity_usd_per_kwh"),
        colocation_usd_per_kw_month=param(spec.colocation_usd_per_kw_month, "colocation_usd_per_kw_month"),
        maintenance_fraction_per_year=param(spec.maintenance_fraction_per_year, maintenance_id),
        offer_id=offer.id if offer else None,
        source=offer.source if offer and spec.price_per_gpu is None else "entered by the user",
        as_of=offer.as_of if offer else "",
    )
    return pricing, offer.gpu if offer else None


def _model(spec: SelfHostedOptionIn, catalog: Catalog) -> ModelArchitecture | None:
    if spec.model is None:
        return None
    if isinstance(spec.model, str):
        return get_model(catalog, spec.model, field=("model",))
    return spec.model.to_core()


def resolve_gpu(value: str | GpuSpecIn | None, catalog: Catalog) -> GpuSpec | None:
    if value is None:
        return None
    if isinstance(value, str):
        return get_gpu(catalog, value, field=("gpu",))
    return value.to_core()


def default_kv_precision(precision: Precision) -> Precision:
    return "fp8" if precision in ("fp8", "fp4", "int4") else "bf16"


def resolve_self_hosted(
    spec: SelfHostedOptionIn,
    workload: Workload,
    catalog: Catalog,
    efficiencies: Callable[[Engine], Efficiencies] = efficiencies_for,
) -> ResolvedSelfHosted:
    model = _model(spec, catalog)
    context = workload.input_tokens + workload.output_tokens
    if model is not None and context > model.max_context:
        # Checked here, not only in the estimator: a measured tok/s must not price requests the model
        # cannot take at all.
        raise DomainError(
            f"requests of {context:,.0f} tokens (input {workload.input_tokens:,.0f} + output "
            f"{workload.output_tokens:,.0f}) exceed {model.id}'s context window of {model.max_context:,} tokens: "
            "choose a model with a longer context or shorten the requests",
            field=("model",),
        )
    gpu = resolve_gpu(spec.gpu, catalog)
    pricing: Pricing
    if isinstance(spec.pricing, RentIn):
        pricing, offer_gpu = _rent_pricing(spec.pricing, catalog, gpu)
    else:
        pricing, offer_gpu = _buy_pricing(spec.pricing, catalog, gpu)
    if gpu is None and offer_gpu is not None:
        gpu = get_gpu(catalog, offer_gpu)
    estimate: ThroughputEstimate | None = None
    gpu_count = spec.gpu_count if isinstance(spec.gpu_count, int) else 1
    if model is not None and gpu is not None:
        setup = serving_setup(
            model,
            gpu,
            spec.gpu_count,
            spec.precision,
            spec.kv_cache_precision,
            spec.engine,
            max(1, round(workload.input_tokens)),
            max(1, round(workload.output_tokens)),
            spec.concurrency,
            workload.min_output_tokens_per_second_per_user,
            workload.max_time_to_first_token_seconds,
        )
        gpu_count = setup.gpu_count
        try:
            estimate = estimate_replica_throughput(setup, efficiencies)
        except DomainError:
            if spec.output_tokens_per_second is None:
                raise
    if spec.output_tokens_per_second is not None:
        output_tps = spec.output_tokens_per_second
        source: Literal["measured", "estimated"] = "measured"
    else:
        assert estimate is not None
        output_tps = estimate.output_tokens_per_second
        source = "estimated"

    ops_cost = spec.ops_usd_per_fte_year
    if ops_cost is None:
        ops_cost = cost_parameter(catalog, "ops_engineer_usd_per_year").value if spec.ops_fte > 0 else 0.0
    option = SelfHostedOption(
        name=spec.name,
        gpu_count=gpu_count,
        pricing=pricing,
        replica_requests_per_second=output_tps / workload.output_tokens,
        capacity_source=source,
        target_utilization=spec.target_utilization,
        min_replicas=spec.min_replicas,
        redundancy=spec.redundancy,
        ops_fte=spec.ops_fte,
        ops_usd_per_fte_year=ops_cost,
        platform_usd_per_month=spec.platform_usd_per_month,
    )
    return ResolvedSelfHosted(
        option=option,
        model=model,
        gpu=gpu,
        precision=spec.precision,
        engine=spec.engine,
        output_tokens_per_second=output_tps,
        estimate=estimate,
        pricing_label=_pricing_label(pricing),
        **_price_trust(pricing, catalog),
    )


def _price_trust(pricing: Pricing, catalog: Catalog) -> dict[str, Any]:
    """The offer's confidence, notes and caveat when its catalog price is the one used."""
    if pricing.offer_id is None or pricing.source == "entered by the user":
        return {}
    offer: RentalOffer | PurchaseOffer
    if isinstance(pricing, RentPricing):
        offer = get_rental_offer(catalog, pricing.offer_id)
        caveat = offer_caveat(offer, pricing.term)
    else:
        offer = get_purchase_offer(catalog, pricing.offer_id)
        caveat = offer_caveat(offer)
    return {"price_confidence": offer.confidence, "price_note": offer.notes, "price_caveat": caveat}


def serving_setup(
    model: ModelArchitecture,
    gpu: GpuSpec,
    gpu_count: int | Literal["auto"] | None,
    precision: Precision,
    kv_cache_precision: Precision | None,
    engine: Engine,
    input_tokens: int,
    output_tokens: int,
    concurrency: int | None = None,
    min_output_tokens_per_second_per_user: float | None = None,
    max_time_to_first_token_seconds: float | None = None,
) -> ServingSetup:
    """A replica's serving setup, with the defaults filled in: KV precision from the weights', and
    a missing or "auto" GPU count as the smallest power of two that fits the model."""
    kv_precision = kv_cache_precision or default_kv_precision(precision)
    if not isinstance(gpu_count, int):
        gpu_count = smallest_fitting_gpu_count(model, gpu, precision, kv_precision, input_tokens, output_tokens)
    return ServingSetup(
        model=model,
        gpu=gpu,
        gpu_count=gpu_count,
        precision=precision,
        kv_cache_precision=kv_precision,
        engine=engine,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        concurrency=concurrency,
        min_output_tokens_per_second_per_user=min_output_tokens_per_second_per_user,
        max_time_to_first_token_seconds=max_time_to_first_token_seconds,
    )


def _pricing_label(pricing: Pricing) -> str:
    if isinstance(pricing, RentPricing):
        return f"rent, {pricing.term.replace('_', ' ')}, ${pricing.per_gpu_hour:,.2f}/GPU-hour"
    return f"buy, ${pricing.capex_per_gpu:,.0f}/GPU over {pricing.depreciation_years:g} years"


def estimate_replica_throughput(
    setup: ServingSetup, efficiencies: Callable[[Engine], Efficiencies] = efficiencies_for
) -> ThroughputEstimate:
    """The estimator with the calibrated efficiencies (committed in app/catalog/efficiencies.toml)."""
    return estimate_throughput(setup, efficiencies(setup.engine))


# ---------------------------------------------------------------------------------------------
# Evaluation


@dataclass(frozen=True)
class ApiResult:
    resolved: ResolvedApi
    breakdown: ApiCostBreakdown
    monthly_cost: float


@dataclass(frozen=True)
class SelfHostedResult:
    resolved: ResolvedSelfHosted
    replicas: int
    monthly_cost: float
    curve: ReplicaStepCost  # monthly cost at any volume, for the workload's peak-to-average

    @property
    def requests_per_replica(self) -> float:
        return self.curve.requests_per_replica


@dataclass(frozen=True)
class PairResult:
    api: str
    self_hosted: str
    solution: PairBreakeven
    explanation: str


@dataclass(frozen=True)
class ScenarioResult:
    workload: Workload
    options: list[ApiResult | SelfHostedResult]
    cheapest: str
    breakevens: list[PairResult]
    envelope: list[EnvelopeSegment]
    envelope_up_to: float
    notes: list[str] = field(default_factory=list)

    def name_of(self, index: int) -> str:
        result = self.options[index]
        return result.resolved.option.name


def option_name(result: ApiResult | SelfHostedResult) -> str:
    return result.resolved.option.name


def cost_curve(result: ApiResult | SelfHostedResult) -> CostCurve:
    if isinstance(result, ApiResult):
        return LinearCost(result.breakdown.per_request)
    return result.curve


def evaluate(
    scenario: ScenarioIn, catalog: Catalog, max_options: int = 16, sources: Sources | None = None
) -> ScenarioResult:
    """Resolve and evaluate a scenario against live sources (`catalog` + today's prices), or against
    `sources` (e.g. a saved scenario's frozen snapshot, whose catalog then replaces `catalog`)."""
    if sources is None:
        sources = Sources(catalog, resolve_api_prices, efficiencies_for, "live")
    if len(scenario.options) > max_options:
        raise DomainError(f"at most {max_options} options per scenario", field=("options",))
    seen: set[str] = set()
    for index, spec in enumerate(scenario.options):
        if spec.name in seen:
            raise DomainError(
                f"option names must be unique: {spec.name!r} is used twice", field=("options", index, "name")
            )
        seen.add(spec.name)
    workload = scenario.workload.to_core()
    results: list[ApiResult | SelfHostedResult] = []
    for index, spec in enumerate(scenario.options):
        try:
            results.append(_evaluate_option(spec, workload, sources))
        except DomainError as error:
            raise _with_field_prefix(error, ("options", index)) from None

    curves = [cost_curve(r) for r in results]
    volume = workload.requests_per_month
    cheapest = min(range(len(results)), key=lambda i: (results[i].monthly_cost, i))
    pairs = [
        _pair(api, sh)
        for api in results
        if isinstance(api, ApiResult)
        for sh in results
        if isinstance(sh, SelfHostedResult)
    ]
    landmarks = [volume * 10]
    for pair in pairs:
        landmarks += [2 * v for v in (pair.solution.first_crossover, pair.solution.stays_cheaper_above) if v]
    envelope, covered = cheapest_envelope(curves, max(landmarks))
    notes: list[str] = []
    uses_catalog_prices = any(isinstance(r, ApiResult) and r.resolved.option.prices.as_of for r in results)
    if sources.label == "live" and uses_catalog_prices:
        warning = snapshot_age().warning  # a saved scenario is old on purpose: no warning there
        if warning:
            notes.append(warning)
    return ScenarioResult(
        workload=workload,
        options=results,
        cheapest=option_name(results[cheapest]),
        breakevens=pairs,
        envelope=envelope,
        envelope_up_to=covered,
        notes=notes,
    )


def _evaluate_option(
    spec: ApiOptionIn | SelfHostedOptionIn, workload: Workload, sources: Sources
) -> ApiResult | SelfHostedResult:
    if isinstance(spec, ApiOptionIn):
        resolved_api = resolve_api(spec, sources.api_prices)
        breakdown = resolved_api.option.cost_breakdown(workload)
        return ApiResult(resolved_api, breakdown, breakdown.per_request * workload.requests_per_month)
    resolved = resolve_self_hosted(spec, workload, sources.catalog, sources.efficiencies)
    curve = resolved.option.cost_curve(workload.peak_to_average)
    volume = workload.requests_per_month
    return SelfHostedResult(resolved, curve.replicas(volume), curve.cost(volume), curve)


def _pair(api: ApiResult, sh: SelfHostedResult) -> PairResult:
    curve = sh.curve
    solution = solve_breakeven(LinearCost(api.breakdown.per_request), curve)
    return PairResult(
        api=option_name(api),
        self_hosted=option_name(sh),
        solution=solution,
        explanation=explain(
            option_name(api), option_name(sh), solution, curve.per_replica_monthly, curve.requests_per_replica
        ),
    )


def _money(value: float) -> str:
    if value >= 100:
        return f"${value:,.0f}"
    if value >= 0.01:
        return f"${value:,.2f}"
    return f"${value:.3g}"


def explain(api: str, self_hosted: str, solution: PairBreakeven, replica_cost: float, replica_requests: float) -> str:
    per_request_api = solution.api_cost_per_request
    marginal = solution.self_hosted_marginal_cost_per_request
    if solution.first_crossover is None or solution.stays_cheaper_above is None:
        return (
            f"{self_hosted} is never cheaper than {api}: each replica costs {_money(replica_cost)}/month and serves "
            f"at most {replica_requests:,.0f} requests/month, {_money(marginal)} per request, which is not below "
            f"{api}'s {_money(per_request_api)} per request, so adding traffic only adds replicas that cost more "
            "than the API would."
        )
    text = (
        f"{self_hosted} becomes cheaper than {api} at {solution.first_crossover:,.0f} requests/month and stays "
        f"cheaper above {solution.stays_cheaper_above:,.0f} requests/month: at full replicas it costs "
        f"{_money(marginal)} per request against {api}'s {_money(per_request_api)}."
    )
    if solution.api_cheaper_again_count:
        ranges = solution.api_cheaper_again_count
        first = solution.api_cheaper_again[0]
        text += (
            f" In between, {ranges} range{'s' if ranges > 1 else ''} where a newly added replica makes {api} cheaper "
            f"again (the first from {first.start:,.0f} to {first.end:,.0f} requests/month)."
        )
    return text


def snapshot_for(scenario: ScenarioIn, result: ScenarioResult, catalog: Catalog) -> dict[str, Any]:
    """The live figures `result` used, to evaluate `scenario` identically later (see app.sources)."""
    gpus: set[str] = set()
    models: set[str] = set()
    rentals: set[str] = set()
    purchases: set[str] = set()
    for option in result.options:
        if isinstance(option, SelfHostedResult):
            resolved = option.resolved
            if resolved.gpu is not None:
                gpus.add(resolved.gpu.id)
            if resolved.model is not None:
                models.add(resolved.model.id)
            pricing = resolved.option.pricing
            if pricing.offer_id is not None:
                (rentals if isinstance(pricing, RentPricing) else purchases).add(pricing.offer_id)
    api_models = {(o.provider, o.model) for o in scenario.options if isinstance(o, ApiOptionIn) and o.model}
    return take_snapshot(catalog, gpus, models, rentals, purchases, api_models)


# ---------------------------------------------------------------------------------------------
# JSON rendering of a result (the API's response body and the page's JSON twin)


def _tokens(workload: Workload, requests: float | None) -> float | None:
    return None if requests is None else workload.requests_to_tokens(requests)


def _per_mtok(monthly_cost: float, workload: Workload) -> float:
    return monthly_cost / (workload.tokens_per_month / TOKENS_PER_MTOK)


def _flat(value: Any) -> dict[str, Any]:
    """A flat dataclass's fields as a dict: dataclasses.asdict deep-copies, ten times slower."""
    return dict(vars(value))


def result_to_json(result: ScenarioResult) -> dict[str, Any]:
    workload = result.workload
    options_json: list[dict[str, Any]] = []
    for option in result.options:
        common = {
            "name": option_name(option),
            "monthly_cost": option.monthly_cost,
            "cost_per_request": option.monthly_cost / workload.requests_per_month,
            "cost_per_mtok": _per_mtok(option.monthly_cost, workload),
        }
        if isinstance(option, ApiResult):
            options_json.append({"kind": "api", **common, **_api_json(option)})
        else:
            options_json.append({"kind": "self_hosted", **common, **_self_hosted_json(option)})
    return {
        "workload": {
            **_flat(workload),
            "tokens_per_request": workload.tokens_per_request,
            "tokens_per_month": workload.tokens_per_month,
        },
        "options": options_json,
        "cheapest": result.cheapest,
        "breakevens": [_pair_json(pair, workload) for pair in result.breakevens],
        "envelope": {
            "up_to_requests_per_month": result.envelope_up_to,
            "segments": [
                {
                    "from_requests_per_month": s.start,
                    "to_requests_per_month": s.end,
                    "from_tokens_per_month": workload.requests_to_tokens(s.start),
                    "to_tokens_per_month": workload.requests_to_tokens(s.end),
                    "cheapest": result.name_of(s.option_index),
                }
                for s in result.envelope
            ],
        },
        "conventions": {"currency": "USD", "hours_per_month": 730, "price_unit": "USD per million tokens"},
        "warnings": result.notes,
    }


def _api_json(option: ApiResult) -> dict[str, Any]:
    prices = option.resolved.option.prices
    breakdown = option.breakdown
    # The second source (LiteLLM's price map): retirement date and a cross-check of the prices.
    status = status_of_prices(prices)
    return {
        "provider": prices.provider or None,
        "model": prices.model or None,
        **status_json(status),
        "prices": {
            "standard": _flat(prices.standard),
            "batch": _flat(prices.batch) if prices.batch else None,
            "long_context_threshold_tokens": prices.long_context_threshold_tokens,
            "long_context": _flat(prices.long_context) if prices.long_context else None,
            "long_context_batch": _flat(prices.long_context_batch) if prices.long_context_batch else None,
            "context_window": prices.context_window,
            "time_of_day": prices.time_of_day or None,
            "time_of_day_windows": [
                {
                    "spans_utc": [list(span) for span in window.spans_utc],
                    "hours": window.hours,
                    "standard": _flat(window.standard),
                    "batch": _flat(window.batch) if window.batch else None,
                }
                for window in prices.time_of_day_windows
            ],
            "source": prices.source,
            "as_of": prices.as_of,
        },
        "negotiated_discount": option.resolved.option.negotiated_discount,
        "per_request_breakdown": {
            "uncached_input": breakdown.uncached_input,
            "cached_input": breakdown.cached_input,
            "cache_write": breakdown.cache_write,
            "output": breakdown.output,
            "discount": -breakdown.discount or 0.0,
            "tier": breakdown.tier,
            "batch_share": breakdown.batch_share,
        },
        "notes": [*breakdown.notes, *(status.notes if status else [])],
    }


def _json_ready(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(value)  # sorted: the same estimate always serialises to the same JSON
    return value


def estimate_json(estimate: ThroughputEstimate) -> dict[str, Any]:
    data: dict[str, Any] = _json_ready(asdict(estimate))
    return data


def _self_hosted_json(result: SelfHostedResult) -> dict[str, Any]:
    resolved = result.resolved
    option = resolved.option
    pricing = option.pricing
    per_gpu = pricing.breakdown_per_gpu()
    return {
        "model": resolved.model.id if resolved.model else None,
        "gpu": resolved.gpu.id if resolved.gpu else None,
        "gpu_count": option.gpu_count,
        "precision": resolved.precision,
        "engine": resolved.engine,
        "replicas": result.replicas,
        "gpus": result.replicas * option.gpu_count,
        "replica_monthly_cost": option.replica_monthly_cost,
        "fixed_monthly_cost": option.fixed_monthly_cost,
        "marginal_cost_per_request": option.replica_monthly_cost / result.requests_per_replica,
        "capacity": {
            "source": option.capacity_source,
            "output_tokens_per_second": resolved.output_tokens_per_second,
            "requests_per_second": option.replica_requests_per_second,
            "requests_per_replica_per_month": result.requests_per_replica,
            "target_utilization": option.target_utilization,
            "estimate": estimate_json(resolved.estimate) if resolved.estimate else None,
        },
        "pricing": {
            "kind": "rent" if isinstance(pricing, RentPricing) else "buy",
            "label": resolved.pricing_label,
            **_flat(pricing),
            "monthly_cost_per_gpu": pricing.monthly_cost_per_gpu(),
            "monthly_cost_per_gpu_breakdown": per_gpu,
            "confidence": resolved.price_confidence,
            "note": resolved.price_note or None,
            "caveat": resolved.price_caveat,
        },
        "min_replicas": option.min_replicas,
        "redundancy": option.redundancy,
        "ops_fte": option.ops_fte,
        "ops_usd_per_fte_year": option.ops_usd_per_fte_year,
        "platform_usd_per_month": option.platform_usd_per_month,
    }


def _pair_json(pair: PairResult, workload: Workload) -> dict[str, Any]:
    solution = pair.solution
    return {
        "api": pair.api,
        "self_hosted": pair.self_hosted,
        "first_crossover_requests_per_month": solution.first_crossover,
        "first_crossover_tokens_per_month": _tokens(workload, solution.first_crossover),
        "stays_cheaper_above_requests_per_month": solution.stays_cheaper_above,
        "stays_cheaper_above_tokens_per_month": _tokens(workload, solution.stays_cheaper_above),
        "api_cheaper_again": [
            {"from_requests_per_month": r.start, "to_requests_per_month": r.end} for r in solution.api_cheaper_again
        ],
        "api_cheaper_again_count": solution.api_cheaper_again_count,
        "api_cost_per_request": solution.api_cost_per_request,
        "self_hosted_marginal_cost_per_request": solution.self_hosted_marginal_cost_per_request,
        "explanation": pair.explanation,
    }
