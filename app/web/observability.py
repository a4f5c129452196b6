"""Request ids, structured JSON logs and Prometheus metrics (issue: observability).

- Every HTTP request carries an id: the client's `X-Request-ID` when it is a sane token (at most 64 of
  [A-Za-z0-9._-]), else a fresh uuid4 hex. The response echoes it as `X-Request-ID`; handlers see it as
  `request.state.request_id`, and every log line written while the request runs names it.
- When a request ends, one JSON line goes to the "breakeven.access" logger: ts, level, request_id, method,
  route (the route template, so `/s/{scenario_id}/chart.svg`, or "unmatched"), path, status, duration_ms,
  client.
- Prometheus metrics live in a per-app `CollectorRegistry` (app.state.metrics.registry), served at
  `GET /metrics` unless METRICS_ENABLED is false:
  `breakeven_requests_total{method,route,status}`, `breakeven_request_duration_seconds{method,route}` and
  `breakeven_chart_renders_total{result="hit"|"miss"}` (render-cache lookups).
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.settings import Settings

ACCESS_LOGGER = "breakeven.access"
REQUEST_ID_HEADER = b"x-request-id"
_SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
DURATION_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
access_log = logging.getLogger(ACCESS_LOGGER)


# --- logging ---------------------------------------------------------------------------------------


class JsonFormatter(logging.Formatter):
    """One JSON object per line. Records with a `fields` dict (the access log) are those fields plus ts and
    level; any other record is ts, level, logger, msg (and request_id while a request runs, exc on errors)."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line.update(fields)
        else:
            line["logger"] = record.name
            line["msg"] = record.getMessage()
            request_id = request_id_var.get()
            if request_id is not None:
                line["request_id"] = request_id
        if record.exc_info:
            line["exc"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


_HANDLER_MARK = "_breakeven_handler"


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at the time (as logging.lastResort does), not the one at setup."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property
    def stream(self) -> Any:  # type: ignore[override]
        return sys.stderr


TEXT_LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def configure_logging(settings: Settings) -> None:
    """Install (once; later calls replace it) a stderr handler on the "breakeven" logger: JSON lines when
    LOG_FORMAT is json, plain text otherwise. The logger does not propagate, so no root handler repeats it."""
    logger = logging.getLogger("breakeven")
    for handler in list(logger.handlers):
        if getattr(handler, _HANDLER_MARK, False):
            logger.removeHandler(handler)
    handler = _StderrHandler()
    setattr(handler, _HANDLER_MARK, True)
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter(TEXT_LOG_FORMAT))
    logger.addHandler(handler)
    logger.setLevel(settings.log_level.upper())
    logger.propagate = False


def uvicorn_log_config(settings: Settings) -> dict[str, Any]:
    """A logging.dictConfig for uvicorn's own loggers (startup, shutdown, server errors) that writes the
    same lines as the app's: JSON objects when LOG_FORMAT is json, the app's plain text otherwise. Without
    it uvicorn prints "INFO:     Started server process" between JSON lines and breaks a log pipeline."""
    formatter: dict[str, Any] = (
        {"()": f"{JsonFormatter.__module__}.JsonFormatter"}
        if settings.log_format == "json"
        else {"format": TEXT_LOG_FORMAT}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"breakeven": formatter},
        "handlers": {
            "stderr": {"class": "logging.StreamHandler", "formatter": "breakeven", "stream": "ext://sys.stderr"}
        },
        "loggers": {
            "uvicorn": {"handlers": ["stderr"], "level": settings.log_level.upper(), "propagate": False},
            "uvicorn.error": {"level": settings.log_level.upper()},
            # The app writes its own access line per request (AccessLogMiddleware below).
            "uvicorn.access": {"handlers": [], "level": "WARNING", "propagate": False},
        },
    }


# --- metrics ---------------------------------------------------------------------------------------


class Metrics:
    """The app's Prometheus collectors, in a registry of its own (tests build many apps)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "breakeven_requests_total",
            "HTTP requests answered, by method, route template and status.",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.duration = Histogram(
            "breakeven_request_duration_seconds",
            "Time to answer an HTTP request, by method and route template.",
            ["method", "route"],
            buckets=DURATION_BUCKETS,
            registry=self.registry,
        )
        self.chart_renders = Counter(
            "breakeven_chart_renders_total",
            "Chart render-cache lookups: hit (answered from memory) or miss (rendered).",
            ["result"],
            registry=self.registry,
        )
        for result in ("hit", "miss"):
            self.chart_renders.labels(result=result)

    def chart_lookup(self, hit: bool) -> None:
        self.chart_renders.labels(result="hit" if hit else "miss").inc()

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method=method, route=route, status=str(status)).inc()
        self.duration.labels(method=method, route=route).observe(seconds)


# --- middleware ------------------------------------------------------------------------------------


def sane_request_id(value: str | None) -> str:
    if value is not None and _SANE_REQUEST_ID.fullmatch(value):
        return value
    return uuid.uuid4().hex


def route_template(scope: Scope) -> str:
    route = scope.get("route")
    template = getattr(route, "path_format", None) or getattr(route, "path", None)
    return template if isinstance(template, str) else "unmatched"


def _incoming_request_id(scope: Scope) -> str | None:
    for key, value in scope.get("headers", []):
        if key == REQUEST_ID_HEADER:
            return bytes(value).decode("latin-1")
    return None


class ObservabilityMiddleware:
    """Outermost middleware: request id in and out, one access-log line and the request metrics."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = sane_request_id(_incoming_request_id(scope))
        scope.setdefault("state", {})["request_id"] = request_id
        token = request_id_var.set(request_id)
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != REQUEST_ID_HEADER]
                headers.append((REQUEST_ID_HEADER, request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            method: str = scope["method"]
            route = route_template(scope)
            self.metrics.observe(method, route, status, seconds)
            client = scope.get("client")
            fields = {
                "request_id": request_id,
                "method": method,
                "route": route,
                "path": scope["path"],
                "status": status,
                "duration_ms": round(seconds * 1000, 3),
                "client": client[0] if client else None,
            }
            access_log.log(
                logging.ERROR if status >= 500 else logging.INFO,
                "%s %s %s %.1fms",
                method,
                scope["path"],
                status,
                seconds * 1000,
                extra={"fields": fields},
            )
            request_id_var.reset(token)


# --- wiring ----------------------------------------------------------------------------------------


def install_observability(app: FastAPI, settings: Settings) -> Metrics:
    """Configure logging, create the app's metrics, add the middleware (call after every other
    `add_middleware`, so it is outermost and times everything) and, if enabled, `GET /metrics`."""
    configure_logging(settings)
    metrics = Metrics()
    app.state.metrics = metrics
    app.add_middleware(ObservabilityMiddleware, metrics=metrics)
    if settings.metrics_enabled:

        @app.get("/metrics", include_in_schema=False)
        def read_metrics() -> Response:
            return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return metrics
