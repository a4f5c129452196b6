"""Security headers, request-size limits and per-client rate limiting, as plain ASGI middleware.

- Every response: Content-Security-Policy (no inline scripts), X-Content-Type-Options: nosniff,
  Referrer-Policy. Pages refuse framing (frame-ancestors 'none') except embed pages, which allow the
  origins in EMBED_ALLOWED_ORIGINS.
- Request bodies over MAX_BODY_BYTES answer 413 (uploads have their own, larger cap).
- Expensive endpoints (chart renders, Monte Carlo) are rate limited per client address with a token bucket;
  over the limit answers 429 with Retry-After. The bucket is per process: with N workers a client
  gets up to N times the limit, which is the point of a cheap in-process guard.
"""

from __future__ import annotations

import json
import math
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.settings import Settings

UPLOAD_PATH_PREFIXES = ("/api/v1/usage-import",)


def is_embed_path(path: str) -> bool:
    return path == "/embed" or path.endswith("/embed")


EXPENSIVE_API_PATHS = ("/api/v1/uncertainty",)  # Monte Carlo: 10,000+ draws per request


def is_expensive_path(path: str) -> bool:
    return (path.endswith((".svg", ".png")) and "chart" in path) or path.startswith(EXPENSIVE_API_PATHS)


def content_security_policy(frame_ancestors: str) -> str:
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            f"frame-ancestors {frame_ancestors}",
        ]
    )


def error_body(msg: str, kind: str, loc: list[str | int] | None = None) -> bytes:
    return json.dumps({"detail": [{"loc": loc or [], "msg": msg, "type": kind}]}).encode()


async def send_json_error(
    send: Send, status: int, msg: str, kind: str, extra_headers: list[tuple[bytes, bytes]]
) -> None:
    body = error_body(msg, kind, ["body"] if status == 413 else [])
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *extra_headers]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class TokenBucket:
    """`rate` tokens per minute, bursts up to `rate`; remembers at most `max_clients` clients."""

    def __init__(self, rate_per_minute: int, max_clients: int = 10_000, clock: Callable[[], float] = time.monotonic):
        self.capacity = float(rate_per_minute)
        self.per_second = rate_per_minute / 60.0
        self.clock = clock
        self.max_clients = max_clients
        self.buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, client: str) -> float:
        """0 when the request may proceed, else the seconds until a token is available."""
        now = self.clock()
        tokens, last = self.buckets.pop(client, (self.capacity, now))
        tokens = min(self.capacity, tokens + (now - last) * self.per_second)
        wait = 0.0
        if tokens >= 1:
            tokens -= 1
        else:
            wait = (1 - tokens) / self.per_second
        self.buckets[client] = (tokens, now)
        while len(self.buckets) > self.max_clients:
            self.buckets.popitem(last=False)
        return wait


class SecurityMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.max_body = settings.max_body_bytes
        origins = settings.embed_allowed_origins.strip() or "'none'"
        self.page_csp = content_security_policy("'none'").encode()
        self.embed_csp = content_security_policy(origins).encode()
        self.bucket = TokenBucket(settings.rate_limit_per_minute)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        embed = is_embed_path(path)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"server"]
                headers += [
                    (b"content-security-policy", self.embed_csp if embed else self.page_csp),
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"strict-origin-when-cross-origin"),
                ]
                if not embed:
                    headers.append((b"x-frame-options", b"DENY"))
                message = {**message, "headers": headers}
            await send(message)

        if is_expensive_path(path):
            client = (scope.get("client") or ("unknown", 0))[0]
            wait = self.bucket.take(client)
            if wait > 0:
                retry = str(math.ceil(wait)).encode()
                await send_json_error(
                    send_with_headers,
                    429,
                    "too many expensive requests (chart renders, Monte Carlo) from this client; retry later",
                    "rate_limited",
                    [(b"retry-after", retry)],
                )
                return

        if path.startswith(UPLOAD_PATH_PREFIXES):
            await self.app(scope, receive, send_with_headers)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_body:
            await send_json_error(send_with_headers, 413, self._too_large_message(), "body_too_large", [])
            return

        if declared is None and scope["method"] in ("POST", "PUT", "PATCH"):
            # No Content-Length (chunked): read the body here, up to the limit, then replay it.
            buffered: list[Message] = []
            received = 0
            while True:
                message = await receive()
                buffered.append(message)
                if message["type"] != "http.request":
                    break
                received += len(message.get("body", b""))
                if received > self.max_body:
                    await send_json_error(send_with_headers, 413, self._too_large_message(), "body_too_large", [])
                    return
                if not message.get("more_body", False):
                    break

            async def replay() -> Message:
                return buffered.pop(0) if buffered else await receive()

            await self.app(scope, replay, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)

    def _too_large_message(self) -> str:
        return f"request body exceeds the limit of {self.max_body:,} bytes"


def _content_length(scope: dict[str, Any]) -> int | None:
    for key, value in scope.get("headers", []):
        if key == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
