"""JSON API beyond one crossover: hybrid, horizon, uncertainty, factors besides cost, usage import."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query, Request
from fastapi.responses import JSONResponse
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.concurrency import run_in_threadpool

from app.core.errors import DomainError
from app.render.beyond_json import (
    factors_json,
    horizon_json,
    hybrid_json,
    requirements_catalog_json,
    uncertainty_json,
)
from app.render.usage_import import formats_json, summary_json
from app.scenario.beyond_inputs import FactorsIn, HorizonIn, HybridIn, UncertaintyIn
from app.scenario.factors import evaluate_factors
from app.scenario.horizon import evaluate_horizon
from app.scenario.hybrid import evaluate_hybrid
from app.scenario.uncertainty import evaluate_uncertainty
from app.scenario.usage_formats import FormatChoice
from app.scenario.usage_import import UsageImporter, UsageSummary
from app.web.api import FLAT_API_EXAMPLE, LLAMA_ON_H100_EXAMPLE, FiniteJSONResponse
from app.web.api_beyond_schemas import (
    FactorsOut,
    HorizonOut,
    HybridOut,
    RequirementsCatalogOut,
    UncertaintyOut,
    UsageFormatsOut,
    UsageSummaryOut,
)
from app.web.deps import CatalogDep, SettingsDep
from app.web.errors import ErrorDetail, error_response

router = APIRouter(prefix="/api/v1")

_FLAT_API = FLAT_API_EXAMPLE
_LLAMA_H100 = {**LLAMA_ON_H100_EXAMPLE, "output_tokens_per_second": 1000}

# Worked by hand in tests/test_hybrid.py: one replica serves 2 requests/s; 20 hours a day at 2 req/s and 4
# at 6 req/s (7,008,000 requests/month). All API $7,008, three replicas $4,380, one replica + overflow $3,212.
HYBRID_OVERFLOW_EXAMPLE: dict[str, Any] = {
    "workload": {"requests_per_month": 7_008_000, "input_tokens": 500, "output_tokens": 500},
    "hourly_profile": [1] * 9 + [3] * 4 + [1] * 11,
    "option": {
        "kind": "hybrid",
        "mode": "overflow",
        "name": "Base + overflow",
        "api": _FLAT_API,
        "self_hosted": _LLAMA_H100,
    },
    "requirements": ["spiky_unpredictable_traffic"],
}
HYBRID_ROUTED_EXAMPLE: dict[str, Any] = {
    "workload": {"requests_per_month": 3_000_000, "input_tokens": 800, "output_tokens": 300},
    "option": {
        "kind": "hybrid",
        "mode": "routed",
        "name": "Routine to Llama, hard to GPT",
        "self_hosted_share": 0.7,
        "self_hosted_mix": {"input_tokens": 600, "output_tokens": 200},
        "api_mix": {"input_tokens": 1500, "output_tokens": 800},
        "api": {"kind": "api", "name": "GPT", "model": "gpt-5-mini", "provider": "openai"},
        "self_hosted": {**_LLAMA_H100, "output_tokens_per_second": None, "gpu_count": "auto"},
    },
}
HORIZON_EXAMPLE: dict[str, Any] = {
    "workload": {"requests_per_month": 1_000_000, "input_tokens": 500, "output_tokens": 500},
    "api": _FLAT_API,
    "self_hosted": _LLAMA_H100,
    "months": 36,
    "monthly_growth": 0.15,
    "api_price_change_per_year": -0.3,
    "gpu_price_change_per_year": 0.0,
    "migration": {"engineering_weeks": 4},
    "migrate_at_month": 6,
}
HORIZON_BUY_EXAMPLE: dict[str, Any] = {
    **HORIZON_EXAMPLE,
    "self_hosted": {
        **HORIZON_EXAMPLE["self_hosted"],
        "pricing": {"kind": "buy", "price_per_gpu": 30_000, "depreciation_years": 4, "residual_fraction": 0.2},
    },
}
UNCERTAINTY_EXAMPLE: dict[str, Any] = {
    "workload": {"requests_per_month": 5_000_000, "input_tokens": 500, "output_tokens": 500, "peak_to_average": 1.5},
    "api": _FLAT_API,
    "self_hosted": {**_LLAMA_H100, "target_utilization": 0.8, "ops_fte": 0.25},
    "draws": 10_000,
    "seed": 0,
}
UNCERTAINTY_ESTIMATED_EXAMPLE: dict[str, Any] = {
    **UNCERTAINTY_EXAMPLE,
    "self_hosted": {**UNCERTAINTY_EXAMPLE["self_hosted"], "output_tokens_per_second": None},
    "ranges": {"gpu_price": {"low": 0.8, "high": 1.2}},
}
FACTORS_EXAMPLE: dict[str, Any] = {
    "requirements": ["data_stays_in_our_environment", "start_this_week"],
    "options": [{"name": "GPT", "kind": "api"}, {"name": "Llama on H100", "kind": "self_hosted"}],
}
USAGE_CSV_EXAMPLE = (
    "timestamp,input_tokens,output_tokens,cached_tokens\n"
    "2026-03-02T09:00:12Z,812,240,512\n"
    "2026-03-02T09:00:47Z,1204,388,0\n"
    "2026-03-02T14:31:05Z,650,129,512\n"
)


def _documented(model: type) -> dict[int | str, dict[str, Any]]:
    """The 200 answer's schema for the docs and the fuzz suite; the body itself is not re-serialised."""
    return {200: {"model": model}}


@router.get(
    "/factors/requirements",
    response_model=None,
    responses=_documented(RequirementsCatalogOut),
    summary="The requirements besides cost a team can mark, by factor",
)
def list_requirements() -> dict[str, Any]:
    return requirements_catalog_json()


@router.post(
    "/factors",
    response_class=FiniteJSONResponse,
    response_model=None,
    responses=_documented(FactorsOut),
    summary="Which option each marked requirement favours",
)
def assess_factors(
    body: Annotated[FactorsIn, Body(openapi_examples={"privacy-and-speed": {"value": FACTORS_EXAMPLE}})],
) -> FiniteJSONResponse:
    return FiniteJSONResponse(factors_json(evaluate_factors(body)))


@router.post(
    "/hybrid",
    response_class=FiniteJSONResponse,
    response_model=None,
    responses=_documented(HybridOut),
    summary="Hybrid: self-hosted base load with API overflow (optimal replicas), or a routed share",
)
def solve_hybrid(
    body: Annotated[
        HybridIn,
        Body(
            openapi_examples={
                "overflow-worked-example": {
                    "summary": "Overflow beats both pure options (worked by hand)",
                    "value": HYBRID_OVERFLOW_EXAMPLE,
                },
                "routed-share": {"summary": "70% routine requests to an open model", "value": HYBRID_ROUTED_EXAMPLE},
            }
        ),
    ],
    catalog: CatalogDep,
) -> FiniteJSONResponse:
    return FiniteJSONResponse(hybrid_json(evaluate_hybrid(body, catalog)))


@router.post(
    "/horizon",
    response_class=FiniteJSONResponse,
    response_model=None,
    responses=_documented(HorizonOut),
    summary="Cumulative cost month by month: crossover, payback and the cheapest plan over the horizon",
)
def project_horizon(
    body: Annotated[
        HorizonIn,
        Body(
            openapi_examples={
                "rent-with-growth": {
                    "summary": "15%/month growth, prototype on the API for 6 months",
                    "value": HORIZON_EXAMPLE,
                },
                "buy-hardware": {
                    "summary": "Bought GPUs: purchase, payback and residual",
                    "value": HORIZON_BUY_EXAMPLE,
                },
            }
        ),
    ],
    catalog: CatalogDep,
) -> FiniteJSONResponse:
    return FiniteJSONResponse(horizon_json(evaluate_horizon(body, catalog)))


@router.post(
    "/uncertainty",
    response_class=FiniteJSONResponse,
    response_model=None,
    responses=_documented(UncertaintyOut),
    summary="Sensitivity tornado and Monte Carlo bands of the break-even",
)
def analyse_uncertainty(
    body: Annotated[
        UncertaintyIn,
        Body(
            openapi_examples={
                "measured-throughput": {"value": UNCERTAINTY_EXAMPLE},
                "estimated-throughput": {
                    "summary": "Throughput from the estimator: its error band sets the range",
                    "value": UNCERTAINTY_ESTIMATED_EXAMPLE,
                },
            }
        ),
    ],
    catalog: CatalogDep,
) -> FiniteJSONResponse:
    return FiniteJSONResponse(uncertainty_json(evaluate_uncertainty(body, catalog)))


# ---------------------------------------------------------------------------------------------
# Usage import: the upload is streamed through the CSV importer chunk by chunk, never held whole.


def upload_limit_bytes(settings: SettingsDep) -> int:
    """The upload cap (MAX_UPLOAD_BYTES)."""
    return settings.max_upload_bytes


# Multipart framing (boundaries, part headers) on top of the file itself.
_MULTIPART_OVERHEAD_BYTES = 64 * 1024
_MAX_FORM_FIELD_BYTES = 64 * 1024


class UploadTooLarge(Exception):
    """The upload passed the byte cap: answered 413 in the one error shape, naming the file."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"the upload exceeds the {limit:,}-byte limit")
        self.limit = limit

    def response(self) -> JSONResponse:
        return error_response(413, [ErrorDetail(("body", "file"), str(self), "too_large")])


def _too_large(limit: int) -> UploadTooLarge:
    return UploadTooLarge(limit)


class _Upload:
    """Feeds the bytes of the upload's file part to the importer, counting them against the cap."""

    def __init__(self, importer: UsageImporter, limit: int) -> None:
        self.importer = importer
        self.limit = limit
        self.size = 0
        self.pending: list[bytes] = []

    def add(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.limit:
            raise _too_large(self.limit)
        self.pending.append(data)

    async def flush(self) -> None:
        if self.pending:
            chunk = b"".join(self.pending)
            self.pending.clear()
            await run_in_threadpool(self.importer.feed, chunk)


async def _stream_multipart(request: Request, upload: _Upload, content_type: str) -> bool:
    _, params = parse_options_header(content_type)
    boundary = params.get(b"boundary")
    if not boundary:
        raise DomainError("multipart upload without a boundary", field=("file",))
    state: dict[str, Any] = {"field": b"", "headers": {}, "is_file": False, "found": False, "done": False, "other": 0}

    def on_part_begin() -> None:
        state["headers"] = {}
        state["is_file"] = False

    def on_header_field(data: bytes, start: int, end: int) -> None:
        state["field"] += data[start:end]

    def on_header_value(data: bytes, start: int, end: int) -> None:
        name = state["field"].lower()
        state["headers"][name] = state["headers"].get(name, b"") + data[start:end]

    def on_header_end() -> None:
        state["field"] = b""

    def on_headers_finished() -> None:
        _, disposition = parse_options_header(state["headers"].get(b"content-disposition", b""))
        is_file = disposition.get(b"name") == b"file" or b"filename" in disposition
        state["is_file"] = is_file and not state["found"] and not state["done"]
        if state["is_file"]:
            state["found"] = True

    def on_part_data(data: bytes, start: int, end: int) -> None:
        if state["is_file"]:
            upload.add(data[start:end])
        else:
            state["other"] += end - start
            if state["other"] > _MAX_FORM_FIELD_BYTES:
                raise _too_large(upload.limit)

    def on_part_end() -> None:
        if state["is_file"]:
            state["done"] = True
            state["is_file"] = False

    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": on_part_begin,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
            "on_headers_finished": on_headers_finished,
            "on_part_data": on_part_data,
            "on_part_end": on_part_end,
        },
    )
    try:
        async for chunk in request.stream():
            parser.write(chunk)
            await upload.flush()
        parser.finalize()
    except FormParserError:
        raise DomainError("the multipart upload is malformed", field=("file",)) from None
    await upload.flush()
    return bool(state["found"])


USAGE_IMPORT_OPENAPI = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary", "description": "The CSV export."}},
                    "required": ["file"],
                }
            },
            "text/csv": {
                "schema": {"type": "string"},
                "examples": {"generic-per-request": {"summary": "Generic CSV", "value": USAGE_CSV_EXAMPLE}},
            },
        },
    }
}


@router.post(
    "/usage-import",
    response_class=FiniteJSONResponse,
    response_model=None,
    responses=_documented(UsageSummaryOut),
    summary="Fill in the workload from a usage export (OpenAI, Anthropic or generic CSV)",
    description=(
        "Upload the CSV as multipart/form-data (field `file`) or as the raw body (text/csv). The upload is read "
        "in chunks with a size cap (50 MB by default; 413 beyond). Accepted columns per format: "
        "GET /api/v1/usage-import/formats. Bad rows are counted and reported with reasons, never dropped silently."
    ),
    openapi_extra=USAGE_IMPORT_OPENAPI,
)
async def import_usage(
    request: Request,
    limit: Annotated[int, Depends(upload_limit_bytes)],
    export_format: Annotated[
        FormatChoice, Query(alias="format", description="auto detects the format from the header row.")
    ] = "auto",
    output_tokens_per_request: Annotated[
        float | None,
        Query(gt=0, le=1_000_000, description="For exports without request counts (Anthropic): derive requests."),
    ] = None,
) -> dict[str, Any] | JSONResponse:
    declared = request.headers.get("content-length", "")
    try:
        if declared.isdigit() and int(declared) > limit + _MULTIPART_OVERHEAD_BYTES:
            raise _too_large(limit)
        summary = await _import(request, limit, export_format, output_tokens_per_request)
    except UploadTooLarge as error:
        return error.response()
    return summary_json(summary)


async def _import(
    request: Request, limit: int, export_format: FormatChoice, output_tokens_per_request: float | None
) -> UsageSummary:
    importer = UsageImporter(export_format, output_tokens_per_request)
    upload = _Upload(importer, limit)
    content_type = request.headers.get("content-type", "")
    if content_type.lower().startswith("multipart/form-data"):
        if not await _stream_multipart(request, upload, content_type):
            raise DomainError("no file in the upload: send it in a form field named 'file'", field=("file",))
    else:
        async for chunk in request.stream():
            upload.add(chunk)
            await upload.flush()
    if upload.size == 0:
        raise DomainError("the upload is empty", field=("file",))
    return await run_in_threadpool(importer.finish)


@router.get(
    "/usage-import/formats",
    response_model=None,
    responses=_documented(UsageFormatsOut),
    summary="The usage-export formats and column names the import accepts",
)
def list_usage_formats() -> dict[str, Any]:
    return formats_json()
