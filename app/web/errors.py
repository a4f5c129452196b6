"""One error shape for every JSON error the app answers: FastAPI's `{"detail": [{"loc", "msg", "type"}]}`
(the API, charts, CSV, the security middleware), built here and nowhere else; and the handlers that
answer errors raised anywhere (an HTML page on page routes, this shape elsewhere).

A route that answers a browser an HTML page (the calculator, saved pages, the iframe embeds) never
answers the JSON shape: its errors are an error card (templates/error_card.html), a small page with the
reason in words that fits a wiki's iframe (issue 16: "Embeds with a bad id answer raw JSON inside a
wiki's iframe"). Images (.svg/.png) and CSV keep the JSON shape: an <img> shows no page either way."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.core.errors import DoesNotFit, DomainError, UnknownId
from app.web.form_fields import field_spec

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


@dataclass(frozen=True)
class ErrorCard:
    """What an error card says: the status, a heading, each reason in words, and where to go next."""

    status: int
    heading: str
    reasons: tuple[str, ...]
    link_href: str = "/"
    link_label: str = "Open Breakeven, the calculator"


# Headings by status, in a reader's words (the status code itself is shown small under the reasons).
CARD_HEADINGS = {
    404: "Nothing is saved at this link",
    413: "The upload is too large",
    422: "This scenario cannot be shown",
    503: "Breakeven is busy: try again in a minute",
}
_SAVED_PAGE = re.compile(r"/s/[^/]+(?:/rerun)?")


def is_html_route(path: str) -> bool:
    """A route that answers a browser an HTML page: the calculator (`/`, its import and save forms),
    saved pages and both embeds. Its errors are error cards, never the JSON shape."""
    return path in ("/", "/import", "/s", "/embed") or path.endswith("/embed") or bool(_SAVED_PAGE.fullmatch(path))


def _reason(detail: ErrorDetail) -> str:
    """One entry in words: the form field it is about by its label ("Volume per month: required"), a
    path's or body's by its last name; the message as the JSON gives it."""
    where = detail.loc[-1] if detail.loc and detail.loc[0] in ("query", "body", "path") else None
    label = ""
    # Not for the whole form's message, nor for one that names its field itself ("width must be …").
    if isinstance(where, str) and where not in ("form", "scenario_id", "file") and not detail.msg.startswith(where):
        try:
            label = field_spec(where).label
        except KeyError:
            label = where.replace("_", " ")
    text = f"{label}: {detail.msg}" if label else detail.msg
    return text[:1].upper() + text[1:]


def error_card(status: int, details: Iterable[ErrorDetail], heading: str | None = None) -> ErrorCard:
    reasons = tuple(dict.fromkeys(_reason(detail) for detail in details)) or ("The request cannot be answered.",)
    return ErrorCard(status, heading or CARD_HEADINGS.get(status, "This page cannot be shown"), reasons)


def error_card_response(request: Request, card: ErrorCard, headers: Mapping[str, str] | None = None) -> Response:
    """The card as a page (status `card.status`), rendered with the app's templates."""
    from app.web.pages import templates  # here: pages imports this module

    response = templates.TemplateResponse(request, "error_card.html", {"card": card}, status_code=card.status)
    response.headers.update(headers or {})
    response.headers.setdefault("Cache-Control", "no-store")
    return response


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
    async def handle_domain_error(request: Request, error: DomainError) -> Response:
        if is_html_route(request.url.path):
            return error_card_response(request, error_card(422, [domain_error_detail(error)]))
        return domain_error_response(error)

    @app.exception_handler(JsonError)
    async def handle_json_error(request: Request, error: JsonError) -> Response:
        if is_html_route(request.url.path):  # an embed's bad id or query: a card inside the iframe
            return error_card_response(request, error_card(error.status_code, error.details), error.headers)
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
    async def handle_validation_error(request: Request, error: RequestValidationError) -> Response:
        details = _validation_error_details(error.errors())
        if is_html_route(request.url.path):  # a page's form posted without a field it needs
            return error_card_response(request, error_card(422, details))
        return error_response(422, details)
