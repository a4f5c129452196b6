"""Security headers, body-size limit, rate limiting, one error shape for HTTP errors, offline docs."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.responses import PlainTextResponse
from fastapi.testclient import TestClient

from app.main import create_app
from app.settings import Settings
from app.web.security import TokenBucket
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
