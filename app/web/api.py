"""JSON API under /api/v1: thin adapters from request bodies to the core and back."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Annotated, Any, Literal

import pydantic_core
from fastapi import APIRouter, Body, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse, Response
from pydantic import Field
from starlette.concurrency import run_in_threadpool

from app.catalog.api_prices import GENAI_PRICES_VERSION, list_api_models, snapshot_age
from app.catalog.loader import get_model
from app.catalog.quality import FAR_APART_POINTS, load_quality
from app.core.efficiencies import Engine
from app.core.specs import Catalog
from app.core.units import Precision
from app.render.interactivity import interactivity_json
from app.render.result_json import estimate_json, result_to_json
from app.scenario.evaluate import evaluate
from app.scenario.inputs import GpuSpecIn, ModelArchitectureIn, ScenarioIn, StrictInput
from app.scenario.interactivity import interactivity_curve
from app.scenario.resolve import estimate_replica_throughput, resolve_gpu, serving_precision, serving_setup
from app.web.answer_cache import answer_key, get_answer_cache
from app.web.api_catalog_schemas import (
    API_MODELS_RESPONSE_EXAMPLE,
    GPUS_RESPONSE_EXAMPLE,
    MODELS_RESPONSE_EXAMPLE,
    OFFERS_RESPONSE_EXAMPLE,
    QUALITY_RESPONSE_EXAMPLE,
    ApiModelsOut,
    GpuSpecOut,
    Listing,
    ModelArchitectureOut,
    OffersOut,
    QualityListingOut,
)
from app.web.api_examples import BREAKEVEN_RESPONSE_EXAMPLE, THROUGHPUT_RESPONSE_EXAMPLE
from app.web.api_schemas import BreakevenOut, ThroughputOut, documented
from app.web.deps import CatalogDep, SettingsDep

router = APIRouter(prefix="/api/v1")
# Endpoints that evaluate scenarios are plain `def`: FastAPI runs them in its threadpool, so a heavy
# evaluation occupies one worker thread, never the event loop that answers every other request
# (/healthz included, issue 12). Body size limits are middleware (app.web.security) and still apply.


def _json_fallback(value: Any) -> Any:
    # Only reached for values the encoder cannot encode natively, so the common case stays on its
    # fast path instead of walking everything through jsonable_encoder. (pydantic-core writes sets
    # itself, in iteration order: bodies hold sorted lists instead, see app.render.result_json._json_ready.)
    if isinstance(value, set | frozenset):
        return sorted(value)
    return jsonable_encoder(value)


class FiniteJSONResponse(JSONResponse):
    """Refuses to emit NaN or infinity: a response carrying one is a bug, not an answer.

    Routes return it directly (not a dict), which skips FastAPI's own jsonable_encoder pass."""

    def render(self, content: Any) -> bytes:
        # pydantic-core's encoder is three times faster than json's on these float-heavy bodies (10
        # vs 32 µs for a two-option break-even), but it has no strict mode: asked to, it writes a
        # non-finite float as a bare NaN or Infinity. Only then, or when a string mentions one, does
        # the body go through json, whose allow_nan=False tells the two apart and raises.
        body = pydantic_core.to_json(content, inf_nan_mode="constants", fallback=_json_fallback)
        if b"NaN" in body or b"Infinity" in body:
            return json.dumps(content, allow_nan=False, separators=(",", ":"), default=_json_fallback).encode()
        return body


class ThroughputIn(StrictInput):
    model: str | ModelArchitectureIn = Field(..., description="Catalog model id or an inline architecture.")
    gpu: str | GpuSpecIn = Field(..., description="Catalog GPU id or an inline spec.")
    gpu_count: int | Literal["auto"] | None = Field(
        1, description="Tensor-parallel GPUs; null/'auto' = fewest that fit."
    )
    precision: Precision | Literal["auto"] = Field(
        "auto", description="Weight precision; 'auto' = how the model is served (see the break-even's options)."
    )
    kv_cache_precision: Precision | None = None
    engine: Engine = "vllm"
    input_tokens: int = Field(..., ge=1, le=10_000_000)
    output_tokens: int = Field(..., ge=1, le=1_000_000)
    concurrency: int | None = Field(None, ge=1, le=100_000, description="null = maximum throughput.")
    min_output_tokens_per_second_per_user: float | None = Field(None, gt=0, le=10_000)
    max_time_to_first_token_seconds: float | None = Field(None, gt=0, le=3600)
    tensor_parallel: int | None = Field(
        None, ge=1, le=64, description="Attention TP per attention-DP rank; null = the model family's default."
    )
    expert_parallel: int | None = Field(
        None, ge=1, le=1024, description="Expert-parallel degree; null = the model family's default."
    )
    attention_data_parallel: int | None = Field(
        None,
        ge=1,
        le=64,
        description="Attention data-parallel ranks; null = the model family's default (gpu_count for MLA "
        "mixture-of-experts models on 8+ GPUs, else 1).",
    )


THROUGHPUT_EXAMPLE = {
    "model": "llama-3.1-70b",
    "gpu": "h100-sxm",
    "gpu_count": 4,
    "precision": "fp8",
    "kv_cache_precision": "fp8",
    "engine": "vllm",
    "input_tokens": 1000,
    "output_tokens": 1000,
    "concurrency": None,
}

# The DESIGN.md example's options, shared by the API docs' examples.
FLAT_API_EXAMPLE: dict[str, Any] = {"kind": "api", "name": "Flat API", "input_per_mtok": 1.0, "output_per_mtok": 1.0}
LLAMA_ON_H100_EXAMPLE: dict[str, Any] = {
    "kind": "self_hosted",
    "name": "Llama on H100",
    "model": "llama-3.3-70b",
    "gpu": "h100-sxm",
    "gpu_count": 1,
    "precision": "fp8",
    "pricing": {"kind": "rent", "per_gpu_hour": 2.0},
    "output_tokens_per_second": 500,
    "target_utilization": 1.0,
    "min_replicas": 1,
}
BREAKEVEN_EXAMPLE = {
    "workload": {"requests_per_month": 1000000, "input_tokens": 500, "output_tokens": 500},
    "options": [
        FLAT_API_EXAMPLE,
        {"kind": "api", "name": "GPT", "model": "gpt-5-mini", "provider": "openai"},
        LLAMA_ON_H100_EXAMPLE,
    ],
}


@router.post(
    "/throughput",
    response_class=FiniteJSONResponse,
    summary="Estimate a replica's serving throughput",
    responses={200: documented(ThroughputOut, "The setup as resolved and its estimate", THROUGHPUT_RESPONSE_EXAMPLE)},
)
def estimate_throughput_endpoint(
    body: Annotated[ThroughputIn, Body(openapi_examples={"llama-70b-fp8-tp4": {"value": THROUGHPUT_EXAMPLE}})],
    catalog: CatalogDep,
) -> FiniteJSONResponse:
    model = get_model(catalog, body.model, field=("model",)) if isinstance(body.model, str) else body.model.to_core()
    gpu = resolve_gpu(body.gpu, catalog)
    assert gpu is not None
    precision = serving_precision(body.precision, model, gpu)
    setup = serving_setup(
        model,
        gpu,
        body.gpu_count,
        precision.precision,
        body.kv_cache_precision,
        body.engine,
        body.input_tokens,
        body.output_tokens,
        body.concurrency,
        body.min_output_tokens_per_second_per_user,
        body.max_time_to_first_token_seconds,
        tensor_parallel=body.tensor_parallel,
        expert_parallel=body.expert_parallel,
        attention_data_parallel=body.attention_data_parallel,
    )
    estimate = estimate_replica_throughput(setup)
    interactivity = interactivity_curve(setup, estimate.efficiencies, sized=estimate)
    return FiniteJSONResponse(
        {
            "model": model.id,
            "gpu": gpu.id,
            "gpu_count": setup.gpu_count,
            "precision": setup.precision,
            "precision_reason": precision.reason,
            "kv_cache_precision": setup.kv_cache_precision,
            "engine": body.engine,
            "input_tokens": body.input_tokens,
            "output_tokens": body.output_tokens,
            **estimate_json(estimate),
            "interactivity": interactivity_json(interactivity),
        }
    )


@router.post(
    "/breakeven",
    response_class=FiniteJSONResponse,
    summary="Compare options and solve the break-evens",
    responses={200: documented(BreakevenOut, "Cost per option, break-evens, envelope", BREAKEVEN_RESPONSE_EXAMPLE)},
)
async def breakeven_endpoint(
    request: Request,
    body: Annotated[ScenarioIn, Body(openapi_examples={"design-example": {"value": BREAKEVEN_EXAMPLE}})],
    catalog: CatalogDep,
    settings: SettingsDep,
) -> Response:
    # The same body asked again is answered from its finished bytes on the event loop (app/web/answer_cache.py);
    # a new one is evaluated in the threadpool, so a slow evaluation never holds up other requests (issue 12).
    answers = get_answer_cache(request)
    key = answer_key("breakeven", await request.body(), str(settings.max_options))
    if (answered := answers.get(key)) is not None:
        return Response(answered, media_type=FiniteJSONResponse.media_type)
    response = await run_in_threadpool(_breakeven_response, body, catalog, settings.max_options)
    answers.put(key, bytes(response.body))
    return response


def _breakeven_response(body: ScenarioIn, catalog: Catalog, max_options: int) -> FiniteJSONResponse:
    return FiniteJSONResponse(result_to_json(evaluate(body, catalog, max_options)))


def _entries(items: list[Any]) -> dict[str, Any]:
    return {"count": len(items), "items": items}


@router.get(
    "/catalog/gpus",
    summary="Accelerators with memory, bandwidth, dense FLOPS, TDP, source and date",
    response_model=None,
    responses={200: documented(Listing[GpuSpecOut], "Every catalog GPU", GPUS_RESPONSE_EXAMPLE)},
)
def list_gpus(catalog: CatalogDep) -> dict[str, Any]:
    return _entries([asdict(g) for g in catalog.gpus.values()])


@router.get(
    "/catalog/models",
    summary="Open-weight model architectures with source and date",
    response_model=None,
    responses={200: documented(Listing[ModelArchitectureOut], "Every catalog model", MODELS_RESPONSE_EXAMPLE)},
)
def list_models(catalog: CatalogDep) -> dict[str, Any]:
    return _entries([{**asdict(m), "is_moe": m.is_moe, "uses_mla": m.uses_mla} for m in catalog.models.values()])


@router.get(
    "/catalog/offers",
    summary="GPU rental offers, purchase prices and running-cost parameters",
    response_model=None,
    responses={200: documented(OffersOut, "Offers (of one GPU when `gpu` is given)", OFFERS_RESPONSE_EXAMPLE)},
)
def list_offers(catalog: CatalogDep, gpu: str | None = None) -> dict[str, Any]:
    rental = [asdict(o) for o in catalog.rental_offers.values() if gpu is None or o.gpu == gpu]
    purchase = [
        {**asdict(o), "price_per_gpu": o.price_per_gpu}
        for o in catalog.purchase_offers.values()
        if gpu is None or o.gpu == gpu
    ]
    return {
        "rental": _entries(rental),
        "purchase": _entries(purchase),
        "cost_parameters": _entries([asdict(p) for p in catalog.cost_parameters.values()]),
    }


@router.get(
    "/catalog/api-models",
    summary="Per-token API prices from the genai-prices snapshot",
    response_model=None,
    responses={200: documented(ApiModelsOut, "The snapshot and its matching models", API_MODELS_RESPONSE_EXAMPLE)},
)
def list_api_model_prices(
    provider: Annotated[str | None, Query(max_length=100, description="Only this provider id.")] = None,
    q: Annotated[str | None, Query(max_length=100, description="Substring of the model id or name.")] = None,
    include_deprecated: bool = False,
    limit: Annotated[int, Query(ge=1, le=5000)] = 5000,
) -> dict[str, Any]:
    needle = q.lower() if q else None
    items = [
        asdict(entry)
        for entry in list_api_models()
        if (provider is None or entry.provider == provider)
        and (include_deprecated or not entry.deprecated)
        and (needle is None or needle in entry.model.lower() or needle in entry.name.lower())
    ]
    return {
        "snapshot": {"package": "genai-prices", "version": GENAI_PRICES_VERSION, **asdict(snapshot_age())},
        **_entries(items[:limit]),
    }


@router.get(
    "/catalog/quality",
    summary="Public quality scores (one benchmark family) with source and date",
    response_model=None,
    responses={200: documented(QualityListingOut, "Every scored model", QUALITY_RESPONSE_EXAMPLE)},
)
def list_quality() -> dict[str, Any]:
    table = load_quality()
    items = [{**asdict(score), "benchmark": score.benchmark.id} for score in table.scores]
    return {
        "benchmarks": [asdict(b) for b in table.benchmarks.values()],
        "far_apart_points": FAR_APART_POINTS,
        **_entries(items),
    }
