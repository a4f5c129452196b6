"""One error shape for every JSON error the app answers: FastAPI's `{"detail": [{"loc", "msg", "type"}]}`
(the API, charts, CSV, the security middleware), built here and nowhere else; and the handlers that
answer errors raised anywhere (an HTML page on page routes, this shape elsewhere)."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.errors import DoesNotFit, DomainError, UnknownId

logger = logging.getLogger("breakeven")


@dataclass(frozen=True)
class ErrorDetail:
    """One entry of the error shape: the input it is about (`loc`), the rule it breaks (`msg`), its
    kind (`type`), and facts a client can act on (`ctx`: suggestions, memory needed)."""

    loc: tuple[str | int, ...]
    msg: str
    type: str
    ctx: Mapping[str, Any] | None = None

    def to_json(self) -> dict[str, Any]:
        item: dict[str, Any] = {"loc": list(self.loc), "msg": self.msg, "type": self.type}
        if self.ctx is not None:
            item["ctx"] = dict(self.ctx)
        return item


def error_content(details: Iterable[ErrorDetail]) -> dict[str, list[dict[str, Any]]]:
    """The error shape's document; the one place it is built."""
    return {"detail": [detail.to_json() for detail in details]}


def error_response(
    status_code: int, details: Iterable[ErrorDetail], headers: Mapping[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(error_content(details), status_code=status_code, headers=headers)


def query_errors(errors: Mapping[str, str]) -> list[ErrorDetail]:
    """A form's messages (by query key, app/web/forms.py) as entries of the error shape."""
    return [ErrorDetail(("query", key), message, "value_error") for key, message in errors.items()]


class JsonError(Exception):
    """A refusal answered with the error shape whatever the route: charts, CSV and embeds answer JSON
    even to a browser (an <img> or a wiki shows no HTML page). Raise it; the app's handler answers."""

    def __init__(
        self, status_code: int, details: Iterable[ErrorDetail], headers: Mapping[str, str] | None = None
    ) -> None:
        self.status_code = status_code
        self.details = tuple(details)
        self.headers = dict(headers) if headers is not None else None
        super().__init__("; ".join(detail.msg for detail in self.details))

    def response(self) -> JSONResponse:
        return error_response(self.status_code, self.details, self.headers)


def wants_html(request: Request) -> bool:
    return not request.url.path.startswith("/api/") and "text/html" in request.headers.get("accept", "")


def domain_error_type(error: DomainError) -> str:
    if isinstance(error, DoesNotFit):
        return "does_not_fit"
    if isinstance(error, UnknownId):
        return "unknown_id"
    return "value_error"


def domain_error_detail(error: DomainError) -> ErrorDetail:
    """A DomainError as an entry, located by its `field` in the request body."""
    ctx: dict[str, Any] | None = None
    if isinstance(error, DoesNotFit):
        ctx = {"required_gib": error.required_gib, "available_gib": error.available_gib}
    if isinstance(error, UnknownId):
        ctx = {"suggestions": error.suggestions}
    return ErrorDetail(("body", *error.field), error.message, domain_error_type(error), ctx)


def domain_error_response(error: DomainError) -> JSONResponse:
    return error_response(422, [domain_error_detail(error)])


def _validation_error_details(errors: Iterable[Mapping[str, Any]]) -> list[ErrorDetail]:
    # pydantic puts the input and its exception object in the error; keep what is JSON and useful.
    return [
        ErrorDetail(tuple(error.get("loc", ())), str(error.get("msg", "")), error.get("type", "")) for error in errors
    ]


def install_error_handlers(app: FastAPI) -> None:
    # Imported here, not at the top: app/web/security.py builds its answers with this module's shape.
    from app.web.security import error_page, error_security_headers

    @app.exception_handler(DomainError)
    async def handle_domain_error(request: Request, error: DomainError) -> JSONResponse:
        return domain_error_response(error)

    @app.exception_handler(JsonError)
    async def handle_json_error(request: Request, error: JsonError) -> JSONResponse:
        return error.response()

    @app.exception_handler(StarletteHTTPException)
    async def handle_http_error(request: Request, error: StarletteHTTPException) -> Response:
        message = str(error.detail)
        if error.status_code == 400 and message == "There was an error parsing the body":
            # FastAPI's answer to a body that is not UTF-8 JSON: report it like any invalid body.
            return error_response(422, [ErrorDetail(("body",), "request body is not valid JSON", "json_invalid")])
        if wants_html(request):
            return HTMLResponse(error_page(error.status_code, message), error.status_code, headers=error.headers)
        kind = message.lower().replace(" ", "_")
        return error_response(error.status_code, [ErrorDetail((), message, kind)], error.headers)

    @app.exception_handler(Exception)
    async def handle_unexpected_error(request: Request, error: Exception) -> Response:
        # A bug, not bad input: log it with its trace, answer without one. Starlette runs this handler in
        # ServerErrorMiddleware, outside every added middleware, so the security headers are set here.
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        message = "internal error; it has been logged"
        headers = error_security_headers()
        if wants_html(request):
            return HTMLResponse(error_page(500, message), status_code=500, headers=headers)
        return error_response(500, [ErrorDetail((), message, "internal_error")], headers)

    @app.exception_handler(RequestValidationError)
    async def handle_validation_error(request: Request, error: RequestValidationError) -> JSONResponse:
        return error_response(422, _validation_error_details(error.errors()))
