"""One error shape for the whole JSON API: FastAPI's 422 `{"detail": [{"loc", "msg", "type"}]}`."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.errors import DoesNotFit, DomainError, UnknownId
from app.web.security import error_page, error_security_headers

logger = logging.getLogger("breakeven")


def wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get("accept", "")


def error_detail(loc: tuple[str | int, ...], msg: str, kind: str) -> dict[str, Any]:
    return {"loc": list(loc), "msg": msg, "type": kind}


def domain_error_type(error: DomainError) -> str:
    if isinstance(error, DoesNotFit):
        return "does_not_fit"
    if isinstance(error, UnknownId):
        return "unknown_id"
    return "value_error"


def domain_error_response(error: DomainError) -> JSONResponse:
    detail = error_detail(("body", *error.field), error.message, domain_error_type(error))
    if isinstance(error, DoesNotFit):
        detail["ctx"] = {"required_gib": error.required_gib, "available_gib": error.available_gib}
    if isinstance(error, UnknownId):
        detail["ctx"] = {"suggestions": error.suggestions}
    return JSONResponse({"detail": [detail]}, status_code=422)


def _clean_validation_errors(errors: list[Any]) -> list[dict[str, Any]]:
    # pydantic puts the input and its exception object in the error; keep what is JSON and useful.
    cleaned = []
    for error in errors:
        item = {
            "loc": list(error.get("loc", ())),
            "msg": str(error.get("msg", "")),
            "type": error.get("type", ""),
        }
        cleaned.append(item)
    return cleaned


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def handle_domain_error(request: Request, error: DomainError) -> JSONResponse:
        return domain_error_response(error)

    @app.exception_handler(StarletteHTTPException)
    async def handle_http_error(request: Request, error: StarletteHTTPException) -> Response:
        message = str(error.detail)
        if error.status_code == 400 and message == "There was an error parsing the body":
            # FastAPI's answer to a body that is not UTF-8 JSON: report it like any invalid body.
            detail = error_detail(("body",), "request body is not valid JSON", "json_invalid")
            return JSONResponse({"detail": [detail]}, status_code=422)
        if wants_html(request):
            return HTMLResponse(error_page(error.status_code, message), error.status_code, headers=error.headers)
        kind = message.lower().replace(" ", "_")
        return JSONResponse(
            {"detail": [error_detail((), message, kind)]}, status_code=error.status_code, headers=error.headers
        )

    @app.exception_handler(Exception)
    async def handle_unexpected_error(request: Request, error: Exception) -> Response:
        # A bug, not bad input: log it with its trace, answer without one. Starlette runs this handler in
        # ServerErrorMiddleware, outside every added middleware, so the security headers are set here.
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        message = "internal error; it has been logged"
        headers = error_security_headers()
        if wants_html(request):
            return HTMLResponse(error_page(500, message), status_code=500, headers=headers)
        return JSONResponse({"detail": [error_detail((), message, "internal_error")]}, status_code=500, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def handle_validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": _clean_validation_errors(list(error.errors()))}, status_code=422)
