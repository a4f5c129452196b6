"""The OpenAPI document describes the responses exactly: every operation has a 2xx schema, its
example fits it, and real responses fit it, with no key the schema does not name (the models forbid
extra keys, so a renderer that gains one fails here until app/web/api_schemas.py says it)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from httpx import Response
from pydantic import BaseModel, TypeAdapter

from app.main import create_app
from app.settings import Settings
from app.web import api, embeds
from app.web.api import BREAKEVEN_EXAMPLE, FLAT_API_EXAMPLE, LLAMA_ON_H100_EXAMPLE, THROUGHPUT_EXAMPLE

# The operations this file's routes own (app.web.api, the saved scenarios, health); /api/v1 as a
# whole is checked by test_every_api_operation_documents_a_json_2xx_schema.
DOCUMENTED = [
    ("POST", "/api/v1/throughput", 200),
    ("POST", "/api/v1/breakeven", 200),
    ("GET", "/api/v1/catalog/gpus", 200),
    ("GET", "/api/v1/catalog/models", 200),
    ("GET", "/api/v1/catalog/offers", 200),
    ("GET", "/api/v1/catalog/api-models", 200),
    ("POST", "/api/v1/scenarios", 201),
    ("GET", "/api/v1/scenarios/{scenario_id}", 200),
    ("GET", "/healthz", 200),
    ("GET", "/readyz", 200),
    ("GET", "/readyz", 503),
]


def route_of(app: FastAPI, method: str, path: str) -> APIRoute:
    # Included routers are not flattened into app.routes (FastAPI 0.165): ask them too.
    routes = [*api.router.routes, *embeds.router.routes, *app.routes]
    (route,) = [r for r in routes if isinstance(r, APIRoute) and r.path == path and method in r.methods]
    return route


def documented_model(app: FastAPI, method: str, path: str, status: int) -> type[BaseModel]:
    model = route_of(app, method, path).responses[status]["model"]
    assert isinstance(model, type) and issubclass(model, BaseModel)
    return model


def assert_fits(app: FastAPI, method: str, path: str, response: Response) -> dict[str, Any]:
    """The response validates, strictly (an integer is not 1.0, a key must be named), against the
    model its route documents for its status."""
    model = documented_model(app, method, path, response.status_code)
    TypeAdapter(model).validate_json(response.content, strict=True)
    body: dict[str, Any] = response.json()
    return body


def closed(schema: dict[str, Any], components: dict[str, Any]) -> bool:
    """A schema that documents every key: an object forbidding others, or a union of such objects."""
    branches = schema.get("oneOf") or schema.get("anyOf")
    if branches:
        named = [components[b["$ref"].rsplit("/", 1)[1]] for b in branches if "$ref" in b]
        return len(named) == len(branches) and all(closed(branch, components) for branch in named)
    return schema.get("additionalProperties") is False


def test_every_api_operation_documents_a_json_2xx_schema(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    components = document["components"]["schemas"]
    undocumented = []
    for path, operations in document["paths"].items():
        if not (path.startswith("/api/v1/") or path in ("/healthz", "/readyz")):
            continue
        for method, operation in operations.items():
            success = [r for status, r in operation["responses"].items() if status.startswith("2")]
            schemas = [r.get("content", {}).get("application/json", {}).get("schema", {}) for r in success]
            # A named model that forbids undocumented keys; `{"type": "object"}` alone documents nothing.
            # A union of shapes (the hybrid's overflow or routed answer) counts when every branch does.
            named = [components[s["$ref"].rsplit("/", 1)[1]] for s in schemas if "$ref" in s]
            if not any(closed(schema, components) for schema in named):
                undocumented.append(f"{method.upper()} {path}")
    assert not undocumented, f"no 2xx response schema: {undocumented}"


@pytest.mark.parametrize(("method", "path", "status"), DOCUMENTED)
def test_each_documented_example_fits_its_schema(app: FastAPI, method: str, path: str, status: int) -> None:
    example = route_of(app, method, path).responses[status]["content"]["application/json"]["example"]
    TypeAdapter(documented_model(app, method, path, status)).validate_json(json.dumps(example), strict=True)


def test_the_design_example_fits(app: FastAPI, client: TestClient) -> None:
    body = assert_fits(app, "POST", "/api/v1/breakeven", client.post("/api/v1/breakeven", json=BREAKEVEN_EXAMPLE))
    assert {option["kind"] for option in body["options"]} == {"api", "self_hosted"}


def test_self_hosted_estimates_and_bought_gpus_fit(app: FastAPI, client: TestClient) -> None:
    estimated = {**LLAMA_ON_H100_EXAMPLE, "output_tokens_per_second": None, "gpu_count": None}
    bought = {**LLAMA_ON_H100_EXAMPLE, "name": "Bought H100", "pricing": {"kind": "buy", "price_per_gpu": 30_000}}
    offer_rent = {
        **estimated,
        "name": "Rented offer",
        "pricing": {"kind": "rent", "offer": "aws-p5-48xlarge-us-east-1"},
    }
    offer_buy = {**estimated, "name": "Bought offer", "pricing": {"kind": "buy", "offer": "hgx-h100-server"}}
    scenario = {**BREAKEVEN_EXAMPLE, "options": [FLAT_API_EXAMPLE, estimated, bought, offer_rent, offer_buy]}
    body = assert_fits(app, "POST", "/api/v1/breakeven", client.post("/api/v1/breakeven", json=scenario))
    options = {option["name"]: option for option in body["options"]}
    assert options["Llama on H100"]["capacity"]["source"] == "estimated"
    assert options["Llama on H100"]["capacity"]["estimate"]["efficiencies"]["coverage"] is not None
    assert {options[name]["pricing"]["kind"] for name in ("Bought H100", "Bought offer")} == {"buy"}
    assert options["Rented offer"]["pricing"]["offer_id"] == "aws-p5-48xlarge-us-east-1"


def test_time_of_day_long_context_and_cached_api_prices_fit(app: FastAPI, client: TestClient) -> None:
    deepseek = {"kind": "api", "name": "DeepSeek", "model": "deepseek-chat", "provider": "deepseek"}
    gemini = {"kind": "api", "name": "Gemini", "model": "gemini-2.5-pro", "provider": "google"}
    workload = {"requests_per_month": 1e6, "input_tokens": 3000, "output_tokens": 500, "cached_input_fraction": 0.2}
    scenario = {"workload": {**workload, "batchable_fraction": 0.5}, "options": [deepseek, gemini]}
    body = assert_fits(app, "POST", "/api/v1/breakeven", client.post("/api/v1/breakeven", json=scenario))
    assert body["options"][0]["prices"]["time_of_day_windows"]
    long_context = {
        "workload": {**workload, "input_tokens": 300_000},
        "options": [{**gemini, "negotiated_discount": 0.1}],
    }
    body = assert_fits(app, "POST", "/api/v1/breakeven", client.post("/api/v1/breakeven", json=long_context))
    assert body["options"][0]["per_request_breakdown"]["tier"] == "long_context"


def test_throughput_estimates_fit(app: FastAPI, client: TestClient) -> None:
    for request in (THROUGHPUT_EXAMPLE, {**THROUGHPUT_EXAMPLE, "concurrency": 8, "gpu_count": "auto"}):
        assert_fits(app, "POST", "/api/v1/throughput", client.post("/api/v1/throughput", json=request))


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/catalog/gpus",
        "/api/v1/catalog/models",
        "/api/v1/catalog/offers",
        "/api/v1/catalog/offers?gpu=h100-sxm",
        "/api/v1/catalog/api-models?include_deprecated=true",
    ],
)
def test_each_catalog_list_fits(app: FastAPI, client: TestClient, url: str) -> None:
    body = assert_fits(app, "GET", url.split("?")[0], client.get(url))
    listings = [body[key] for key in ("rental", "purchase", "cost_parameters")] if "rental" in body else [body]
    assert all(listing["count"] == len(listing["items"]) > 0 for listing in listings)


def test_a_saved_scenario_and_its_read_back_fit(app: FastAPI, client: TestClient) -> None:
    saved = assert_fits(app, "POST", "/api/v1/scenarios", client.post("/api/v1/scenarios", json=BREAKEVEN_EXAMPLE))
    read = client.get(f"/api/v1/scenarios/{saved['id']}")
    body = assert_fits(app, "GET", "/api/v1/scenarios/{scenario_id}", read)
    assert body["links"] == saved["links"]


def test_health_fits_healthy_and_degraded(app: FastAPI, client: TestClient, tmp_path: Path) -> None:
    assert assert_fits(app, "GET", "/healthz", client.get("/healthz"))["status"] == "ok"
    assert assert_fits(app, "GET", "/readyz", client.get("/readyz"))["status"] == "ready"
    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory")
    broken = create_app(Settings(data_dir=blocked / "data"))  # cannot be created: the store is unavailable
    with TestClient(broken) as degraded:
        assert assert_fits(broken, "GET", "/healthz", degraded.get("/healthz"))["status"] == "degraded"
        not_ready = degraded.get("/readyz")
        assert not_ready.status_code == 503
        assert assert_fits(broken, "GET", "/readyz", not_ready)["status"] == "not_ready"


def test_the_schema_rejects_an_undocumented_key(app: FastAPI, client: TestClient) -> None:
    body = client.post("/api/v1/throughput", json=THROUGHPUT_EXAMPLE).json()
    model = documented_model(app, "POST", "/api/v1/throughput", 200)
    TypeAdapter(model).validate_python(copy.deepcopy(body))
    with pytest.raises(ValueError, match="extra"):
        TypeAdapter(model).validate_python({**body, "undocumented": 1})


def test_the_documented_answers_are_what_the_api_answers(client: TestClient) -> None:
    # The examples are written by scripts/regenerate-api-examples; a change to what the API answers
    # must regenerate them, or the docs show a body the API no longer sends.
    from app.web.api_examples import BREAKEVEN_RESPONSE_EXAMPLE, THROUGHPUT_RESPONSE_EXAMPLE

    assert client.post("/api/v1/throughput", json=THROUGHPUT_EXAMPLE).json() == THROUGHPUT_RESPONSE_EXAMPLE
    assert client.post("/api/v1/breakeven", json=BREAKEVEN_EXAMPLE).json() == BREAKEVEN_RESPONSE_EXAMPLE
