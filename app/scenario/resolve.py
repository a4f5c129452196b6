"""Resolution: input documents → core objects. Catalog ids become specs, offers and prices (with
their source, date and confidence); missing defaults are filled in and said so. No HTTP."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, Literal

from app.catalog.api_prices import api_model_reasons, resolve_api_prices
from app.catalog.efficiencies import efficiencies_for
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
    ApiOption,
    ApiPrices,
    PriceOverrides,
    TokenPrices,
    apply_overrides,
    with_time_of_day,
)
from app.core.efficiencies import Efficiencies, Engine
from app.core.errors import DoesNotFit, DomainError
from app.core.memory import smallest_fitting_gpu_count
from app.core.parallelism import chosen_parallelism
from app.core.self_hosted import BuyPricing, Pricing, RentPricing, SelfHostedOption
from app.core.specs import Catalog, GpuSpec, ModelArchitecture, PurchaseOffer, RentalOffer
from app.core.throughput import ServingSetup, ThroughputEstimate, estimate_throughput
from app.core.units import BYTES_PER_ELEMENT, Precision
from app.core.workload import Workload
from app.scenario.inputs import ApiOptionIn, BuyIn, GpuSpecIn, RentIn, SelfHostedOptionIn

# ---------------------------------------------------------------------------------------------
# Resolution: input documents → core objects


@dataclass(frozen=True)
class ResolvedApi:
    option: ApiOption
    model: str | None
    # The catalog says the model spends hidden reasoning tokens unasked (GPT-5, o3, deepseek-reasoner).
    reasons: bool = False


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
    # Why the replica runs at `precision`: "chosen" when the user picked it, else the default's rule.
    precision_reason: str = "chosen"
    # Hidden reasoning tokens each request generates on top of its visible output.
    reasoning_tokens: float = 0.0
    # The serving setup `estimate` was made with (None without an estimate): its GPU count and split as
    # settled, e.g. grown to meet the latency target. The interactivity curve sweeps it.
    setup: ServingSetup | None = None


def _with_field_prefix(error: DomainError, prefix: tuple[str | int, ...]) -> DomainError:
    error.field = prefix + tuple(error.field)
    return error


# Models that can reason but do not unless a request asks: Anthropic's extended thinking is off until
# a request sets `thinking` (docs.anthropic.com, "Building with extended thinking"), and Gemini 2.5
# Flash-Lite thinks only with a thinking budget set (ai.google.dev, "Gemini thinking"). LiteLLM's
# `supports_reasoning` flags both as able to, so they are taken out of "reasons by default" here.
_THINKING_OPT_IN_PROVIDERS = frozenset({"anthropic"})
_THINKING_OPT_IN_MODEL_PARTS = ("flash-lite",)


def reasons_by_default(model: str | None, provider: str | None) -> bool:
    """Whether an API model spends hidden reasoning tokens on a request that does not ask it to."""
    if not model or (provider or "") in _THINKING_OPT_IN_PROVIDERS:
        return False
    if any(part in model.lower() for part in _THINKING_OPT_IN_MODEL_PARTS):
        return False
    return api_model_reasons(model, provider)


def resolve_api(
    spec: ApiOptionIn,
    api_prices: Callable[[str, str | None], ApiPrices] = resolve_api_prices,
    workload_reasoning_tokens: float = 0.0,
) -> ResolvedApi:
    """The option with its prices; `workload_reasoning_tokens` is billed as output when the model
    reasons by default (or the option's own `reasoning_tokens` when given)."""
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
    reasons = reasons_by_default(spec.model, spec.provider or prices.provider)
    reasoning = spec.reasoning_tokens
    if reasoning is None:
        reasoning = workload_reasoning_tokens if reasons else 0.0
    option = ApiOption(spec.name, prices, spec.negotiated_discount, reasoning_tokens=reasoning)
    return ResolvedApi(option, spec.model, reasons)


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


def _gpus_per_instance(spec: RentIn | BuyIn, catalog: Catalog) -> int:
    """The billing unit (issue 14): the user's figure, else the offer's instance (a rental's
    gpus_per_instance; a bought server's or rack's gpu_count, 1 for a GPU card), else 1 (a price typed
    without an offer is per GPU, any count)."""
    if spec.gpus_per_instance is not None:
        return spec.gpus_per_instance
    if spec.offer is None:
        return 1
    if isinstance(spec, RentIn):
        return get_rental_offer(catalog, spec.offer, field=("pricing", "offer")).gpus_per_instance
    offer = get_purchase_offer(catalog, spec.offer, field=("pricing", "offer"))
    return 1 if offer.category == "gpu_card" else offer.gpu_count


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
    estimated_setup: ServingSetup | None = None
    gpu_count = spec.gpu_count if isinstance(spec.gpu_count, int) else 1
    precision = serving_precision(spec.precision, model, gpu)
    reasoning_tokens = spec.reasoning_tokens
    if reasoning_tokens is None:
        reasoning_tokens = workload.reasoning_tokens if model is not None and model.reasoning else 0.0
    if model is not None and gpu is not None:
        try:
            setup = serving_setup(
                model,
                gpu,
                spec.gpu_count,
                precision.precision,
                spec.kv_cache_precision,
                spec.engine,
                max(1, round(workload.input_tokens)),
                max(1, round(workload.output_tokens)),
                spec.concurrency,
                workload.min_output_tokens_per_second_per_user,
                workload.max_time_to_first_token_seconds,
                round(reasoning_tokens),
                workload.self_hosted_prefix_cache_hit_rate,
                spec.tensor_parallel,
                spec.expert_parallel,
                spec.attention_data_parallel,
            )
        except DoesNotFit as error:
            raise _with_what_fits(error, model, gpu, precision.precision, workload, catalog) from None
        try:
            setup, estimate = _estimate_meeting_target(setup, spec.gpu_count, efficiencies)
            estimated_setup = setup
        except DoesNotFit as error:
            if spec.output_tokens_per_second is None:
                raise _with_what_fits(error, model, gpu, precision.precision, workload, catalog) from None
        except DomainError:
            if spec.output_tokens_per_second is None:
                raise
        gpu_count = setup.gpu_count
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
        # A replica generates the hidden reasoning tokens too (a measured tok/s counts them alike).
        replica_requests_per_second=output_tps / (workload.output_tokens + reasoning_tokens),
        capacity_source=source,
        target_utilization=spec.target_utilization,
        min_replicas=spec.min_replicas,
        redundancy=spec.redundancy,
        ops_fte=spec.ops_fte,
        ops_usd_per_fte_year=ops_cost,
        platform_usd_per_month=spec.platform_usd_per_month,
        gpus_per_instance=_gpus_per_instance(spec.pricing, catalog),
    )
    return ResolvedSelfHosted(
        option=option,
        model=model,
        gpu=gpu,
        precision=precision.precision,
        engine=spec.engine,
        output_tokens_per_second=output_tps,
        estimate=estimate,
        pricing_label=_pricing_label(pricing),
        precision_reason=precision.reason,
        reasoning_tokens=reasoning_tokens,
        setup=estimated_setup,
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


@dataclass(frozen=True)
class PrecisionChoice:
    precision: Precision
    reason: str  # "chosen", or the default's rule in a sentence the results print


# Dense models ship in bf16 but are served in FP8 wherever the GPU has FP8 tensor cores (Ada,
# Hopper, Blackwell, MI300): half the weight memory and bandwidth, and published FP8 checkpoints
# (W8A8, dynamic per-token activation scales) recover over 99% of bf16 accuracy on the Open LLM
# Leaderboard tasks (vLLM docs, "FP8 W8A8": https://docs.vllm.ai/en/latest/features/quantization/fp8.html;
# Red Hat AI's *-FP8-dynamic model cards). Models that ship lower (DeepSeek-V3/R1 in FP8, gpt-oss in
# MXFP4) are served as shipped.
def serving_precision(
    requested: Precision | Literal["auto"], model: ModelArchitecture | None, gpu: GpuSpec | None
) -> PrecisionChoice:
    """The weight precision a replica runs at: the user's, or how the model is usually served."""
    if requested != "auto":
        return PrecisionChoice(requested, "chosen")
    native: Precision = model.native_precision if model is not None else "bf16"
    if model is not None and native not in ("bf16", "fp16", "fp32"):
        reason = f"{native}: {model.name} ships its weights in {native}, and is served as shipped"
        return PrecisionChoice(native, reason)
    if gpu is not None and gpu.dense_tflops.get("fp8", 0.0) > 0:
        return PrecisionChoice(
            "fp8",
            f"fp8: {gpu.name} has FP8 tensor cores, and FP8 checkpoints of dense models keep over 99% of bf16 "
            "accuracy at half the memory (vLLM FP8 W8A8 docs)",
        )
    where = f"{gpu.name} has no FP8 tensor cores" if gpu is not None else "no GPU to serve on"
    return PrecisionChoice(native, f"{native}: the model's own precision ({where})")


# Lower weight precisions to suggest when a model does not fit, in the order engines support them.
_SMALLER_PRECISIONS: tuple[Precision, ...] = ("fp8", "fp4", "int4")


def _with_what_fits(
    error: DoesNotFit,
    model: ModelArchitecture,
    gpu: GpuSpec,
    precision: Precision,
    workload: Workload,
    catalog: Catalog,
) -> DoesNotFit:
    """The error, plus what would fit: a lower precision on this GPU, or this precision on bigger GPUs."""
    input_tokens = max(1, round(workload.input_tokens))
    output_tokens = max(1, round(workload.output_tokens + workload.reasoning_tokens))

    def fitting_count(candidate_gpu: GpuSpec, candidate_precision: Precision) -> int | None:
        try:
            kv = default_kv_precision(candidate_precision)
            return smallest_fitting_gpu_count(
                model, candidate_gpu, candidate_precision, kv, input_tokens, output_tokens
            )
        except DomainError:
            return None

    fits: list[str] = []
    bytes_now = BYTES_PER_ELEMENT[precision]
    for lower in _SMALLER_PRECISIONS:
        if BYTES_PER_ELEMENT[lower] < bytes_now and (count := fitting_count(gpu, lower)) is not None:
            fits.append(f"{lower} on {count} × {gpu.id}")
            break
    bigger = sorted(
        (g for g in catalog.gpus.values() if g.memory_gib > gpu.memory_gib),
        key=lambda g: (g.memory_gib, g.id),
    )
    for candidate in bigger:
        if (count := fitting_count(candidate, precision)) is not None:
            fits.append(f"{precision} on {count} × {candidate.id}")
        if len(fits) >= 3:
            break
    if not fits:
        return error
    return DoesNotFit(
        required_gib=error.required_gib,
        available_gib=error.available_gib,
        detail=f"{error.message}; what would fit: {'; '.join(fits)}",
        field=error.field,
    )


# The errors the estimator raises when a replica cannot meet the workload's latency target.
_LATENCY_FIELDS = frozenset({"min_output_tokens_per_second_per_user", "max_time_to_first_token_seconds"})


def _misses_latency_target(error: DomainError) -> bool:
    return bool(error.field) and error.field[-1] in _LATENCY_FIELDS


def _estimate_meeting_target(
    setup: ServingSetup,
    requested_count: int | Literal["auto"] | None,
    efficiencies: Callable[[Engine], Efficiencies],
) -> tuple[ServingSetup, ThroughputEstimate]:
    """The estimate at the setup's GPU count; when the count is the default ("auto") and even one user
    cannot get the latency target there, the smallest larger tensor-parallel count that meets it
    (tensor parallelism splits each step's weight reads, so per-user speed rises with the count)."""
    try:
        return setup, estimate_replica_throughput(setup, efficiencies)
    except DomainError as error:
        if isinstance(requested_count, int) or not _misses_latency_target(error):
            raise
        first_error = error
    count = setup.gpu_count * 2
    while count <= max(setup.gpu.max_gpus_per_node, 1):
        if setup.model.num_attention_heads % count == 0:
            wider = _with_gpu_count(setup, count)
            try:
                estimate = estimate_replica_throughput(wider, efficiencies)
            except DomainError as error:
                if not _misses_latency_target(error):
                    raise first_error from None
            else:
                note = (
                    f"{count} GPUs per replica: the smallest count that meets the latency target "
                    f"({setup.gpu_count} holds the model, but {first_error.message})"
                )
                return wider, replace(estimate, notes=(*estimate.notes, note))
        count *= 2
    raise DomainError(
        f"{first_error.message}, and no tensor-parallel count up to {setup.gpu.max_gpus_per_node} × "
        f"{setup.gpu.id} meets it: choose a faster GPU or a lower precision, relax the target, or choose the "
        "offline latency target for batch work",
        field=first_error.field,
    )


def _with_gpu_count(setup: ServingSetup, count: int) -> ServingSetup:
    """The setup on `count` GPUs: the family's default split again, or the user's attention DP and EP with
    attention TP taking the rest of the GPUs."""
    if setup.parallelism_reason == "chosen":
        par = setup.parallelism
        return replace(setup, gpu_count=count, tensor_parallel=max(count // par.attention_data_parallel, 1))
    context = setup.input_tokens + setup.generated_tokens
    par = chosen_parallelism(
        setup.model, count, None, None, None, setup.gpu, setup.precision, setup.kv_cache_precision, context
    )
    return replace(
        setup,
        gpu_count=count,
        tensor_parallel=par.tensor_parallel,
        expert_parallel=par.expert_parallel,
        attention_data_parallel=par.attention_data_parallel,
        parallelism_reason=par.reason,
    )


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
    reasoning_tokens: int = 0,
    prefix_cache_hit_rate: float = 0.0,
    tensor_parallel: int | None = None,
    expert_parallel: int | None = None,
    attention_data_parallel: int | None = None,
) -> ServingSetup:
    """A replica's serving setup, with the defaults filled in: KV precision from the weights', a
    missing or "auto" GPU count as the smallest power of two that fits the model (with room for
    one request's whole context: input, reasoning and output), and a missing split of the GPUs as
    the model family's default (app.core.parallelism.default_parallelism: attention DP + EP for MLA
    mixture-of-experts models on 8+ GPUs, as the engines' recipes serve them; else plain TP)."""
    kv_precision = kv_cache_precision or default_kv_precision(precision)
    if not isinstance(gpu_count, int):
        gpu_count = smallest_fitting_gpu_count(
            model, gpu, precision, kv_precision, input_tokens, output_tokens + reasoning_tokens
        )
    context = input_tokens + output_tokens + reasoning_tokens
    parallelism = chosen_parallelism(
        model,
        gpu_count,
        tensor_parallel,
        expert_parallel,
        attention_data_parallel,
        gpu,
        precision,
        kv_precision,
        context,
    )
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
        reasoning_tokens=reasoning_tokens,
        prefix_cache_hit_rate=prefix_cache_hit_rate,
        tensor_parallel=parallelism.tensor_parallel,
        expert_parallel=parallelism.expert_parallel,
        attention_data_parallel=parallelism.attention_data_parallel,
        parallelism_reason=parallelism.reason,
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
