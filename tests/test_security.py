"""Security headers, body-size limit, rate limiting, one error shape for HTTP errors, offline docs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse
from fastapi.testclient import TestClient
from pydantic import ValidationError

from app.main import create_app
from app.settings import Settings
from app.web.security import ProxyTrust, TokenBucket
from tests.helpers import assert_error_shape


def test_pages_carry_security_headers_and_refuse_framing(client: TestClient) -> None:
    for path in ("/", "/healthz", "/api/v1/catalog/gpus", "/docs"):
        response = client.get(path)
        assert response.status_code == 200, path
        csp = response.headers["content-security-policy"]
        assert (
            "frame-ancestors 'none'" in csp
            and "script-src 'self'" in csp
            and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
        )
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"
        assert response.headers["x-frame-options"] == "DENY"
        assert "server" not in response.headers


def _app_with_routes(settings: Settings) -> FastAPI:
    app = create_app(settings)

    @app.get("/s/{scenario_id}/embed")
    def embed(scenario_id: str) -> PlainTextResponse:
        return PlainTextResponse("embed")

    @app.get("/test/chart.svg")
    def chart() -> PlainTextResponse:
        return PlainTextResponse("<svg/>")

    return app


def test_embed_pages_allow_the_configured_origins(tmp_path: object) -> None:
    settings = Settings(embed_allowed_origins="https://wiki.example.com https://notion.so")
    with TestClient(_app_with_routes(settings)) as client:
        response = client.get("/s/abc/embed")
    assert "frame-ancestors https://wiki.example.com https://notion.so" in response.headers["content-security-policy"]
    assert "x-frame-options" not in response.headers


def test_oversized_bodies_get_413_in_the_error_shape() -> None:
    with TestClient(create_app(Settings(max_body_bytes=2048))) as client:
        response = client.post(
            "/api/v1/breakeven", content=b"{" + b" " * 4096 + b"}", headers={"content-type": "application/json"}
        )
        assert_error_shape(response, status=413)
        assert "2,048 bytes" in response.json()["detail"][0]["msg"]

        def chunks() -> object:
            for _ in range(8):
                yield b" " * 1024

        streamed = client.post("/api/v1/breakeven", content=chunks(), headers={"content-type": "application/json"})
        assert_error_shape(streamed, status=413)


def test_chart_renders_are_rate_limited_with_retry_after() -> None:
    with TestClient(_app_with_routes(Settings(rate_limit_per_minute=3))) as client:
        statuses = [client.get("/test/chart.svg").status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        limited = client.get("/test/chart.svg")
        assert_error_shape(limited, status=429)
        assert int(limited.headers["retry-after"]) >= 1
        assert client.get("/healthz").status_code == 200  # other endpoints are not limited


def test_token_bucket_refills_over_time() -> None:
    now = [0.0]
    bucket = TokenBucket(60, clock=lambda: now[0])
    assert all(bucket.take("a") == 0 for _ in range(60))
    assert bucket.take("a") == pytest.approx(1.0)
    assert bucket.take("b") == 0  # clients are independent
    now[0] += 1.0
    assert bucket.take("a") == 0


@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/v1/catalog/nothing"])
def test_unknown_api_paths_use_the_error_shape(client: TestClient, path: str) -> None:
    assert_error_shape(client.get(path), status=404)


def test_wrong_method_uses_the_error_shape(client: TestClient) -> None:
    assert_error_shape(client.get("/api/v1/breakeven"), status=405)


def test_unknown_page_is_html_for_browsers(client: TestClient) -> None:
    response = client.get("/no-such-page", headers={"accept": "text/html"})
    assert response.status_code == 404 and "<h1>404</h1>" in response.text


def test_docs_are_served_locally_without_inline_script(client: TestClient) -> None:
    page = client.get("/docs").text
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, flags=re.S)
    assert scripts and all('src="/' in attrs and not body.strip() for attrs, body in scripts)
    assert "cdn" not in page.lower()
    assert client.get("/docs/assets/swagger-ui-bundle.js").status_code == 200
    assert client.get("/docs/init.js").headers["content-type"].startswith("text/javascript")


# --- issue 12: one request must never take the server down (security edges) -----------------------

USAGE_FIXTURES = Path(__file__).parent / "fixtures" / "usage"


def big_openai_export(copies: int) -> bytes:
    """The hourly OpenAI fixture with its rows repeated: a valid export of any size."""
    header, *rows = (USAGE_FIXTURES / "openai_usage_1h.csv").read_bytes().splitlines(keepends=True)
    return header + b"".join(rows) * copies


def assert_security_headers(response: httpx.Response) -> None:
    assert "frame-ancestors" in response.headers["content-security-policy"]
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"


def assert_html_413(response: httpx.Response, limit: str) -> None:
    assert response.status_code == 413, response.text
    assert response.headers["content-type"].startswith("text/html")
    assert "<h1>413</h1>" in response.text and limit in response.text and '"detail"' not in response.text
    assert_security_headers(response)


def test_a_large_export_imports_through_the_page_as_through_the_api(tmp_path: Path) -> None:
    export = big_openai_export(330)
    settings = Settings(data_dir=tmp_path)
    assert settings.max_body_bytes < len(export) < settings.max_upload_bytes  # the 2.2 MB export
    with TestClient(create_app(settings)) as client:
        page = client.post("/import", files={"file": ("u.csv", export, "text/csv")}, follow_redirects=False)
        api = client.post("/api/v1/usage-import", files={"file": ("u.csv", export, "text/csv")})
    assert page.status_code == 303 and "import_failed" not in page.headers["location"]
    assert "volume=" in page.headers["location"]
    assert api.status_code == 200


def multipart(body: bytes, boundary: str = "b0undary") -> tuple[bytes, str]:
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="u.csv"\r\n'
    head += "Content-Type: text/csv\r\n\r\n"
    return head.encode() + body + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def chunked(data: bytes, size: int = 16 * 1024) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


@pytest.mark.parametrize(
    ("file_bytes", "stream"),
    [
        (5_000, False),  # over the file cap, within the framing allowance: the route refuses it
        (200_000, False),  # declared Content-Length over the cap: the middleware refuses it unread
        (200_000, True),  # chunked, no Content-Length: counted as it streams
    ],
)
def test_too_large_page_upload_is_an_html_413(tmp_path: Path, file_bytes: int, stream: bool) -> None:
    settings = Settings(data_dir=tmp_path, max_upload_bytes=4096)
    body, content_type = multipart(big_openai_export(30)[:file_bytes])
    content: bytes | Iterator[bytes] = chunked(body) if stream else body
    with TestClient(create_app(settings)) as client:
        response = client.post("/import", content=content, headers={"content-type": content_type})
    assert_html_413(response, "4,096 bytes")


@pytest.mark.parametrize("stream", [False, True])
def test_too_large_api_upload_is_a_json_413(tmp_path: Path, stream: bool) -> None:
    settings = Settings(data_dir=tmp_path, max_upload_bytes=4096)
    body = big_openai_export(30)[:200_000]
    with TestClient(create_app(settings)) as client:
        response = client.post(
            "/api/v1/usage-import", content=chunked(body) if stream else body, headers={"content-type": "text/csv"}
        )
    assert_error_shape(response, status=413)
    assert_security_headers(response)


@pytest.mark.parametrize("stream", [False, True])
def test_too_large_form_post_on_a_page_is_an_html_413(tmp_path: Path, stream: bool) -> None:
    body = b"query=" + b"x" * 4096
    with TestClient(create_app(Settings(data_dir=tmp_path, max_body_bytes=2048))) as client:
        response = client.post(
            "/s",
            content=chunked(body, 1024) if stream else body,
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
    assert_html_413(response, "2,048 bytes")


SCENARIO_BODY = {
    "workload": {"requests_per_month": 1_000_000, "input_tokens": 1000, "output_tokens": 250},
    "options": [{"kind": "api", "name": "Flat API", "input_per_mtok": 1.0, "output_per_mtok": 2.0}],
}


@pytest.mark.parametrize(
    ("settings", "host", "page_link"),
    [
        ({}, "evil.example", "/s/"),  # the issue: an untrusted Host never reaches a link
        ({}, "testserver", "/s/"),
        ({}, "localhost:8000", "http://localhost:8000/s/"),
        ({}, "127.0.0.1", "http://127.0.0.1/s/"),
        ({}, "[::1]:8000", "http://[::1]:8000/s/"),
        ({}, "localhost:8000@evil.example", "/s/"),
        ({}, "localhost/evil", "/s/"),
        ({"host": "calc.internal"}, "calc.internal", "http://calc.internal/s/"),  # HOST is trusted
        ({"trusted_hosts": "breakeven.example.com"}, "Breakeven.Example.com", "http://Breakeven.Example.com/s/"),
        ({"trusted_hosts": "*.example.com"}, "wiki.example.com", "http://wiki.example.com/s/"),
        ({"trusted_hosts": "*.example.com"}, "example.com.evil.org", "/s/"),
        ({"trusted_hosts": "*.example.com"}, "evilexample.com", "/s/"),
        ({"trusted_hosts": "*"}, "anything.test", "http://anything.test/s/"),
        ({"trusted_hosts": "*"}, 'x"><script>', "/s/"),  # even * trusts only a well-formed host
        ({"public_base_url": "https://calc.example.org/"}, "evil.example", "https://calc.example.org/s/"),
        ({"public_base_url": "https://calc.example.org/tools"}, "localhost", "https://calc.example.org/tools/s/"),
    ],
)
def test_absolute_links_never_carry_an_untrusted_host(
    tmp_path: Path, settings: dict[str, str], host: str, page_link: str
) -> None:
    with TestClient(create_app(Settings(data_dir=tmp_path, **settings))) as client:  # type: ignore[arg-type]
        response = client.post("/api/v1/scenarios", json=SCENARIO_BODY, headers={"host": host})
        assert response.status_code == 201, response.text
        links = response.json()["links"]
        assert links["page"] == page_link + response.json()["id"]
        read = client.get(f"/api/v1/scenarios/{response.json()['id']}", headers={"host": host}).json()
    assert all(link.startswith(page_link.removesuffix("/s/")) for link in [*links.values(), *read["links"].values()])


def test_cached_saved_page_never_embeds_a_forged_host(tmp_path: Path) -> None:
    with TestClient(create_app(Settings(data_dir=tmp_path))) as client:
        scenario_id = client.post("/api/v1/scenarios", json=SCENARIO_BODY).json()["id"]
        trusted = client.get(f"/s/{scenario_id}", headers={"host": "localhost:8000"})
        forged = client.get(f"/s/{scenario_id}", headers={"host": "evil.example"})
        live = client.get("/?" + "volume=1000000&input_tokens=1000&output_tokens=250", headers={"host": "evil.example"})
    assert "http://localhost:8000/s/" in trusted.text  # absolute snippets for a trusted Host
    assert forged.status_code == 200 and forged.headers["cache-control"].startswith("public")
    assert "evil.example" not in forged.text and f"/s/{scenario_id}/chart.png" in forged.text
    assert "evil.example" not in live.text


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "https://x.example/a b", "https://x.example/?q=1", 'https://x.example/"', "x.example"],
)
def test_public_base_url_must_be_a_plain_http_url(url: str) -> None:
    with pytest.raises(ValidationError, match="PUBLIC_BASE_URL"):
        Settings(public_base_url=url)


def _app_with_a_bug(tmp_path: Path) -> FastAPI:
    app = create_app(Settings(data_dir=tmp_path))

    @app.get("/api/v1/test-bug")
    @app.get("/test-bug")
    def bug() -> None:
        raise RuntimeError("a bug")

    return app


@pytest.mark.parametrize(
    ("path", "accept", "content_type"),
    [("/api/v1/test-bug", "application/json", "application/json"), ("/test-bug", "text/html", "text/html")],
)
def test_500s_carry_the_security_headers(tmp_path: Path, path: str, accept: str, content_type: str) -> None:
    with TestClient(_app_with_a_bug(tmp_path), raise_server_exceptions=False) as client:
        response = client.get(path, headers={"accept": accept})
    assert response.status_code == 500 and response.headers["content-type"].startswith(content_type)
    assert_security_headers(response)
    assert response.headers["x-frame-options"] == "DENY" and "a bug" not in response.text


@pytest.mark.parametrize(
    ("allow", "peer", "forwarded", "client"),
    [
        ("127.0.0.1", "203.0.113.9", "198.51.100.1", "203.0.113.9"),  # not a proxy: its header is ignored
        ("127.0.0.1", "127.0.0.1", None, "127.0.0.1"),
        ("127.0.0.1", "127.0.0.1", "198.51.100.1", "198.51.100.1"),
        ("127.0.0.1", "127.0.0.1", "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # the left is the client's to forge
        ("10.0.0.0/8 127.0.0.1", "10.1.1.1", "6.6.6.6, 198.51.100.1, 10.2.2.2", "198.51.100.1"),  # two proxies
        ("10.0.0.0/8,127.0.0.1", "10.1.1.1", "198.51.100.1", "198.51.100.1"),  # uvicorn's comma form
        ("127.0.0.1", "127.0.0.1", "127.0.0.1", "127.0.0.1"),  # every hop a proxy: the first one
        ("127.0.0.1", "127.0.0.1", "198.51.100.1:5678", "198.51.100.1"),
        ("127.0.0.1", "127.0.0.1", "[2001:db8::1]:443", "2001:db8::1"),
        ("::1", "::1", "2001:db8::2", "2001:db8::2"),
        ("*", "203.0.113.9", "198.51.100.1, 198.51.100.2", "198.51.100.1"),  # * = the proxy overwrites it
        ("127.0.0.1", "testclient", "198.51.100.1", "testclient"),  # not an address, not listed
        ("127.0.0.1", "127.0.0.1", "x" * 500, "x" * 64),
    ],
)
def test_client_address_trusts_forwarded_for_only_from_configured_proxies(
    allow: str, peer: str, forwarded: str | None, client: str
) -> None:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded is not None else []
    assert ProxyTrust(allow).client({"client": (peer, 1234), "headers": headers}) == client


@pytest.mark.parametrize(("allow", "limited"), [("127.0.0.1", True), ("testclient", False)])
def test_a_forged_forwarded_for_does_not_buy_a_fresh_bucket(tmp_path: Path, allow: str, limited: bool) -> None:
    settings = Settings(data_dir=tmp_path, rate_limit_per_minute=3, forwarded_allow_ips=allow)
    with TestClient(_app_with_routes(settings)) as client:
        statuses = [
            client.get("/test/chart.svg", headers={"x-forwarded-for": f"198.51.100.{n}"}).status_code for n in range(5)
        ]
    assert (429 in statuses) is limited
