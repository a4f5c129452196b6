"""Security headers, request-size limits, per-client rate limiting and trusted links, as plain ASGI middleware.

- Every response: Content-Security-Policy (no inline scripts), X-Content-Type-Options: nosniff,
  Referrer-Policy. Pages refuse framing (frame-ancestors 'none') except embed pages, which allow the
  origins in EMBED_ALLOWED_ORIGINS. 500s are answered outside this middleware (Starlette's
  ServerErrorMiddleware is always outermost), so app/web/errors.py adds `error_security_headers()` itself.
- Request bodies over MAX_BODY_BYTES answer 413; uploads (the API's and the page's import) get
  MAX_UPLOAD_BYTES plus room for the multipart framing, counted as they stream. Pages (any path outside
  /api/) get the 413 as a short HTML page, the API as JSON in the one error shape.
- Expensive endpoints (chart renders, Monte Carlo) are rate limited per client address with a token bucket;
  over the limit answers 429 with Retry-After. The bucket is per process: with N workers a client
  gets up to N times the limit, which is the point of a cheap in-process guard. The client is the peer
  address, or what X-Forwarded-For says when the peer is a proxy in FORWARDED_ALLOW_IPS (uvicorn's
  rule: the right-most address that is not a trusted proxy), so no client can pick its own bucket.
- Absolute links (`link_base`) start with PUBLIC_BASE_URL, or the request's Host only when TRUSTED_HOSTS
  lists it; any other Host gets relative links, so a forged Host never reaches a cached page or snippet.
"""

from __future__ import annotations

import ipaddress
import json
import math
import re
import time
from collections import OrderedDict
from collections.abc import Callable
from html import escape

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.settings import Settings
from app.web.errors import ErrorDetail, error_content

# The API's import and the page's upload form: both stream a usage export of up to MAX_UPLOAD_BYTES.
UPLOAD_PATHS = ("/api/v1/usage-import", "/import")
# Multipart framing (boundary, part headers) and the page form's `query` field (at most 20,000
# characters) ride on top of the file, so the body cap is the file cap plus this much.
UPLOAD_FRAMING_BYTES = 64 * 1024


def is_upload_path(path: str) -> bool:
    return path in UPLOAD_PATHS


def is_page_path(path: str) -> bool:
    """Answered to a browser: errors there are HTML, never raw JSON."""
    return not path.startswith("/api/")


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


def security_headers(csp: bytes, embed: bool) -> list[tuple[bytes, bytes]]:
    headers = [
        (b"content-security-policy", csp),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"strict-origin-when-cross-origin"),
    ]
    if not embed:
        headers.append((b"x-frame-options", b"DENY"))
    return headers


def error_security_headers() -> dict[str, str]:
    """The headers of a page that refuses framing, for answers that bypass the middleware (500s)."""
    csp = content_security_policy("'none'").encode()
    return {k.decode(): v.decode() for k, v in security_headers(csp, embed=False)}


def error_page(status: int, message: str) -> str:
    """The short HTML page every page-route error answers with (no inline script or style: CSP-clean)."""
    return (
        f"<!doctype html><title>{status}</title><h1>{status}</h1>"
        f'<p>{escape(message)}</p><p><a href="/">Back to the calculator</a></p>'
    )


def error_body(msg: str, kind: str, loc: list[str | int] | None = None) -> bytes:
    return json.dumps(error_content([ErrorDetail(tuple(loc or ()), msg, kind)])).encode()


async def send_json_error(
    send: Send, status: int, msg: str, kind: str, extra_headers: list[tuple[bytes, bytes]]
) -> None:
    body = error_body(msg, kind, ["body"] if status == 413 else [])
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *extra_headers]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def send_error(send: Send, path: str, status: int, msg: str, kind: str) -> None:
    """An error the middleware answers itself: an HTML page on page routes, the JSON error shape on the API."""
    if not is_page_path(path):
        await send_json_error(send, status, msg, kind, [])
        return
    body = error_page(status, msg).encode()
    headers = [(b"content-type", b"text/html; charset=utf-8"), (b"content-length", str(len(body)).encode())]
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


class ProxyTrust:
    """FORWARDED_ALLOW_IPS: the proxies whose X-Forwarded-For is believed. Same syntax and rule as uvicorn's
    --forwarded-allow-ips (uvicorn/middleware/proxy_headers.py): addresses or networks, comma- or
    space-separated, `*` for any; the client is the right-most X-Forwarded-For entry that is not itself a
    trusted proxy (each proxy appends the address it saw, so entries left of that are the client's to forge)."""

    def __init__(self, spec: str) -> None:
        entries = spec.replace(",", " ").split()
        self.any = "*" in entries
        self.networks: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        self.literals: set[str] = set()  # e.g. a unix socket path
        for entry in entries:
            try:
                self.networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                self.literals.add(entry)

    def trusts(self, host: str) -> bool:
        if self.any:
            return True
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return host in self.literals
        return any(address in network for network in self.networks)

    def client(self, scope: Scope) -> str:
        peer = str((scope.get("client") or ("unknown", 0))[0])
        if not self.trusts(peer):
            return peer
        forwarded = b", ".join(v for k, v in scope.get("headers", []) if k == b"x-forwarded-for").decode("latin-1")
        hosts = [_strip_port(entry.strip()) for entry in forwarded.split(",")] if forwarded else []
        if not hosts:
            return peer
        if not self.any:
            for host in reversed(hosts):
                if not self.trusts(host):
                    return host[:MAX_CLIENT_KEY] or peer
        return hosts[0][:MAX_CLIENT_KEY] or peer  # every hop is a trusted proxy: the first one is the client


MAX_CLIENT_KEY = 64  # longer than any address: a bucket key, so a forged header cannot make it huge


def _strip_port(host: str) -> str:
    if host.startswith("["):  # [2001:db8::1]:443
        return host[1:].split("]", 1)[0]
    if host.count(":") == 1:  # 192.0.2.1:443
        return host.split(":", 1)[0]
    return host


# A Host header worth trusting: a DNS name or IPv4 address, or a bracketed IPv6 address, and a port.
_HOST_HEADER = re.compile(
    r"(?P<name>[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?"
)


def host_is_trusted(host_header: str, trusted: frozenset[str]) -> bool:
    match = _HOST_HEADER.fullmatch(host_header)
    if match is None:
        return False
    name = match["name"].strip("[]").lower()
    if "*" in trusted or name in trusted:
        return True
    return any(pattern.startswith("*.") and name.endswith(pattern[1:]) for pattern in trusted)


def link_base(request: Request) -> str:
    """What absolute links start with: PUBLIC_BASE_URL, else this request's own scheme and Host when
    TRUSTED_HOSTS lists it, else "" (relative links). The Host header is the client's to choose, and
    saved pages are publicly cached: a forged Host must never reach a link (host header injection)."""
    settings: Settings = request.app.state.settings
    if settings.public_base_url:
        return settings.public_base_url
    if host_is_trusted(request.headers.get("host", ""), settings.trusted_host_names()):
        return str(request.base_url).rstrip("/")
    return ""


class SecurityMiddleware:
    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.max_body = settings.max_body_bytes
        self.max_upload = settings.max_upload_bytes
        origins = settings.embed_allowed_origins.strip() or "'none'"
        self.page_headers = security_headers(content_security_policy("'none'").encode(), embed=False)
        self.embed_headers = security_headers(content_security_policy(origins).encode(), embed=True)
        self.bucket = TokenBucket(settings.rate_limit_per_minute)
        self.proxies = ProxyTrust(settings.forwarded_allow_ips)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        extra = self.embed_headers if is_embed_path(path) else self.page_headers

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"server"]
                message = {**message, "headers": headers + extra}
            await send(message)

        if is_expensive_path(path):
            wait = self.bucket.take(self.proxies.client(scope))
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

        if is_upload_path(path):
            await self._upload(scope, receive, send_with_headers)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_body:
            await send_error(send_with_headers, path, 413, self._too_large_message(self.max_body), "body_too_large")
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
                    too_large = self._too_large_message(self.max_body)
                    await send_error(send_with_headers, path, 413, too_large, "body_too_large")
                    return
                if not message.get("more_body", False):
                    break

            async def replay() -> Message:
                return buffered.pop(0) if buffered else await receive()

            await self.app(scope, replay, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)

    async def _upload(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Uploads stream (never buffered here): a declared length over the cap is refused up front; a
        chunked body is counted as the app reads it, and past the cap the app is told the client left
        and its answer, whatever it is, becomes the 413."""
        path: str = scope["path"]
        limit = self.max_upload + UPLOAD_FRAMING_BYTES
        too_large = f"the upload exceeds the limit of {self.max_upload:,} bytes (MAX_UPLOAD_BYTES)"
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await send_error(send, path, 413, too_large, "body_too_large")
            return
        received = 0
        over = False
        started = False  # a response start went out
        replaced = False  # ...and it was the 413: what the app sends after is dropped

        async def counted_receive() -> Message:
            nonlocal received, over
            if over:
                return {"type": "http.disconnect"}
            incoming = await receive()
            if incoming["type"] == "http.request":
                received += len(incoming.get("body", b""))
                if received > limit:
                    over = True
                    return {"type": "http.disconnect"}
            return incoming

        async def send_413() -> None:
            nonlocal started, replaced
            started = replaced = True
            await send_error(send, path, 413, too_large, "body_too_large")

        async def send_unless_over(outgoing: Message) -> None:
            nonlocal started
            if over and not started:
                await send_413()
            if replaced:
                return
            started = started or outgoing["type"] == "http.response.start"
            await send(outgoing)

        try:
            await self.app(scope, counted_receive, send_unless_over)
        except Exception:
            if not over or (started and not replaced):
                raise
        if over and not started:  # the app gave up on the "disconnect" without answering
            await send_413()

    @staticmethod
    def _too_large_message(limit: int) -> str:
        return f"request body exceeds the limit of {limit:,} bytes"


def _content_length(scope: Scope) -> int | None:
    for key, value in scope.get("headers", []):
        if key == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
