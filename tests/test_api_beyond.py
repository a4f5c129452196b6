"""The JSON API beyond one crossover through TestClient: shapes, worked examples and the one error shape."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.web.api_beyond import (
    FACTORS_EXAMPLE,
    HORIZON_BUY_EXAMPLE,
    HORIZON_EXAMPLE,
    HYBRID_OVERFLOW_EXAMPLE,
    HYBRID_ROUTED_EXAMPLE,
    UNCERTAINTY_ESTIMATED_EXAMPLE,
    UNCERTAINTY_EXAMPLE,
    upload_limit_bytes,
)
from tests.helpers import DELETE, assert_all_finite, assert_error_shape, with_change

FIXTURES = Path(__file__).parent / "fixtures" / "usage"


def post(client: TestClient, path: str, body: dict[str, Any]) -> Any:
    response = client.post(path, json=body)
    assert response.status_code == 200, response.text
    assert_all_finite(response.json())
    return response.json()


def test_hybrid_overflow_worked_example(client: TestClient) -> None:
    result = post(client, "/api/v1/hybrid", HYBRID_OVERFLOW_EXAMPLE)
    assert result["mode"] == "overflow" and result["cheapest"] == "hybrid"
    assert result["best"]["replicas"] == 1
    assert result["best"]["monthly_cost"] == pytest.approx(3212)
    assert result["all_api"]["monthly_cost"] == pytest.approx(7008)
    assert result["all_self_hosted"]["monthly_cost"] == pytest.approx(4380)
    assert result["savings_vs_all_api_usd_per_month"] == pytest.approx(3796)
    assert result["best"]["share_of_tokens"] == pytest.approx({"self_hosted": 0.75, "api": 0.25})
    assert result["hourly_profile"]["peak_to_average"] == pytest.approx(2.25)
    hourly = result["best"]["hourly"]
    assert len(hourly) == 24 and hourly[9]["api_requests_per_second"] == pytest.approx(4)
    # The pure options inside agree with /breakeven at the profile's peak.
    scenario = result["scenario"]
    assert {o["name"]: o["monthly_cost"] for o in scenario["options"]} == pytest.approx(
        {"Flat API": 7008, "Llama on H100": 4380}
    )
    assert "$3,212" in result["explanation"]
    assert result["beyond_cost"]["requirements"][0]["favoured_options"] == ["Flat API", "Base + overflow"]
    assert [p["replicas"] for p in result["replica_curve"]] == [0, 1, 2, 3]


def test_hybrid_routed_share(client: TestClient) -> None:
    result = post(client, "/api/v1/hybrid", HYBRID_ROUTED_EXAMPLE)
    assert result["mode"] == "routed"
    sh, api = result["self_hosted"], result["api"]
    assert sh["requests_per_month"] == pytest.approx(2_100_000)
    assert api["requests_per_month"] == pytest.approx(900_000)
    assert sh["tokens_per_month"] == pytest.approx(2_100_000 * 800)
    assert api["tokens_per_month"] == pytest.approx(900_000 * 2300)
    assert sh["share_of_tokens"] + api["share_of_tokens"] == pytest.approx(1)
    assert result["monthly_cost"] == pytest.approx(sh["monthly_cost"] + api["monthly_cost"])
    assert sh["capacity_source"] == "estimated" and sh["estimate"]["error_band"]
    assert len(result["share_curve"]) == 21
    assert result["share_curve"][14]["monthly_cost"] == pytest.approx(result["monthly_cost"])


def test_horizon_rented(client: TestClient) -> None:
    result = post(client, "/api/v1/horizon", HORIZON_EXAMPLE)
    plans = result["plans"]
    assert len(plans["api_only"]["cumulative_usd"]) == 37
    assert plans["yours"]["switch_month"] == 6 and plans["yours"]["label"] == "API until month 6, then self-host"
    assert plans["yours"]["one_time_costs"][0]["at_month"] == 6
    assert plans["yours"]["one_time_costs"][0]["migration_usd"] == pytest.approx(4 * 270_000 / 52)
    assert result["cheapest_plan"] == plans["cheapest"]["label"]
    assert plans["cheapest"]["net_total_usd"] <= min(p["net_total_usd"] for p in result["net_total_by_switch_month"])
    assert result["crossover_month"] is not None
    assert result["sources"]["api_price_change_per_year"] == "entered by the user"
    alternatives = result["sources"]["api_price_change_alternatives"]
    assert alternatives["epoch_ai_slowest_milestone"] < alternatives["default"] < alternatives["no_change"]
    assert len(result["monthly_comparison"]) == 36


def test_horizon_defaults_cite_their_sources(client: TestClient) -> None:
    body = {k: v for k, v in HORIZON_EXAMPLE.items() if k not in ("api_price_change_per_year", "migration")}
    result = post(client, "/api/v1/horizon", body)
    assert result["assumptions"]["api_price_change_per_year"] == -0.5
    assert "epoch.ai" in result["sources"]["api_price_change_per_year"]
    assert result["assumptions"]["migration_engineering_weeks"] == 4
    assert "assumption" in result["sources"]["migration_engineering_weeks"]


def test_horizon_bought_hardware(client: TestClient) -> None:
    result = post(client, "/api/v1/horizon", HORIZON_BUY_EXAMPLE)
    start = result["plans"]["self_hosted_from_start"]
    assert start["one_time_costs"][0]["at_month"] == 0
    assert start["one_time_costs"][0]["hardware_usd"] == pytest.approx(30_000)
    assert start["residual_value_at_end_usd"] > 0
    assert start["net_total_usd"] == pytest.approx(start["total_spend_usd"] - start["residual_value_at_end_usd"])
    assert result["self_hosted"]["hardware"] == "bought"
    assert result["payback_of"] == "hardware purchase and migration"


def test_uncertainty(client: TestClient) -> None:
    result = post(client, "/api/v1/uncertainty", UNCERTAINTY_EXAMPLE)
    mc = result["monte_carlo"]
    assert mc["draws"] == 10_000 and mc["seed"] == 0
    band = mc["break_even_requests_per_month"]
    assert band["p10"] <= band["p50"] <= band["p90"]
    assert 0 <= mc["probability_self_hosted_cheaper"] <= 1
    bars = result["tornado"]["bars"]
    assert {b["input"] for b in bars} == {
        "throughput",
        "gpu_price",
        "api_price",
        "utilization",
        "peak_to_average",
        "ops_cost",
    }
    throughput = next(i for i in result["inputs"] if i["id"] == "throughput")
    assert (throughput["low_factor"], throughput["high_factor"]) == (0.9, 1.1)  # measured: ±10%
    assert post(client, "/api/v1/uncertainty", UNCERTAINTY_EXAMPLE) == result  # seeded


def test_uncertainty_with_estimated_throughput_uses_the_error_band(client: TestClient) -> None:
    result = post(client, "/api/v1/uncertainty", UNCERTAINTY_ESTIMATED_EXAMPLE)
    throughput = next(i for i in result["inputs"] if i["id"] == "throughput")
    assert "error band" in throughput["source"]
    gpu = next(i for i in result["inputs"] if i["id"] == "gpu_price")
    assert (gpu["low_factor"], gpu["high_factor"], gpu["source"]) == (0.8, 1.2, "entered by the user")


def test_factors(client: TestClient) -> None:
    result = post(client, "/api/v1/factors", FACTORS_EXAMPLE)
    assert result["ruled_out_options"] == ["GPT"]
    privacy, ease = result["requirements"]
    assert privacy["favoured_options"] == ["Llama on H100"] and privacy["strength"] == "hard_requirement"
    assert ease["favoured_options"] == ["GPT"]
    catalog = client.get("/api/v1/factors/requirements").json()
    assert catalog["count"] == len(catalog["requirements"]) >= 6


BAD_INPUTS = [
    pytest.param(
        "/api/v1/hybrid", HYBRID_OVERFLOW_EXAMPLE, ["hourly_profile"], [1] * 23, "hourly_profile", id="23-hours"
    ),
    pytest.param("/api/v1/hybrid", HYBRID_OVERFLOW_EXAMPLE, ["hourly_profile", 3], -1, "hourly_profile", id="neg-hour"),
    pytest.param("/api/v1/hybrid", HYBRID_OVERFLOW_EXAMPLE, ["hourly_profile"], [0] * 24, "hourly_profile", id="zeros"),
    pytest.param("/api/v1/hybrid", HYBRID_OVERFLOW_EXAMPLE, ["hourly_profile"], DELETE, "hourly_profile", id="no-prof"),
    pytest.param("/api/v1/hybrid", HYBRID_OVERFLOW_EXAMPLE, ["option", "mode"], "spill", "mode", id="bad-mode"),
    pytest.param(
        "/api/v1/hybrid", HYBRID_OVERFLOW_EXAMPLE, ["option", "api", "input_per_mtok"], 0, "input_per_mtok", id="price"
    ),
    pytest.param(
        "/api/v1/hybrid", HYBRID_OVERFLOW_EXAMPLE, ["option", "self_hosted", "gpu"], "h100-sxn", "gpu", id="gpu-id"
    ),
    pytest.param(
        "/api/v1/hybrid", HYBRID_ROUTED_EXAMPLE, ["option", "self_hosted_share"], 1.5, "self_hosted_share", id="share"
    ),
    pytest.param(
        "/api/v1/hybrid",
        HYBRID_ROUTED_EXAMPLE,
        ["option", "api_mix", "output_tokens"],
        0,
        "output_tokens",
        id="mix-output",
    ),
    pytest.param("/api/v1/hybrid", HYBRID_OVERFLOW_EXAMPLE, ["requirements"], ["cheap"], "requirements", id="req"),
    pytest.param("/api/v1/horizon", HORIZON_EXAMPLE, ["months"], 0, "months", id="months-0"),
    pytest.param("/api/v1/horizon", HORIZON_EXAMPLE, ["months"], 121, "months", id="months-121"),
    pytest.param("/api/v1/horizon", HORIZON_EXAMPLE, ["monthly_growth"], 2, "monthly_growth", id="growth"),
    pytest.param(
        "/api/v1/horizon", HORIZON_EXAMPLE, ["api_price_change_per_year"], -1, "api_price_change_per_year", id="api-1"
    ),
    pytest.param("/api/v1/horizon", HORIZON_EXAMPLE, ["migrate_at_month"], 40, "migrate_at_month", id="late-plan"),
    pytest.param(
        "/api/v1/horizon", HORIZON_EXAMPLE, ["migration", "engineering_weeks"], -1, "engineering_weeks", id="weeks"
    ),
    pytest.param("/api/v1/horizon", HORIZON_EXAMPLE, ["self_hosted", "model"], "llama-3.3-7b", "model", id="model"),
    pytest.param("/api/v1/horizon", HORIZON_EXAMPLE, ["workload", "requests_per_month"], 0, "requests_per_month"),
    pytest.param("/api/v1/uncertainty", UNCERTAINTY_EXAMPLE, ["draws"], 10, "draws", id="few-draws"),
    pytest.param("/api/v1/uncertainty", UNCERTAINTY_EXAMPLE, ["draws"], 10_000_000, "draws", id="many-draws"),
    pytest.param("/api/v1/uncertainty", UNCERTAINTY_EXAMPLE, ["seed"], -1, "seed", id="seed"),
    pytest.param(
        "/api/v1/uncertainty",
        UNCERTAINTY_EXAMPLE,
        ["ranges"],
        {"gpu_price": {"low": 1.2, "high": 1.5}},
        "low",
        id="range-low",
    ),
    pytest.param(
        "/api/v1/uncertainty",
        UNCERTAINTY_EXAMPLE,
        ["ranges"],
        {"gpu_prize": {"low": 0.9, "high": 1.5}},
        "gpu_prize",
        id="range-typo",
    ),
    pytest.param("/api/v1/uncertainty", UNCERTAINTY_EXAMPLE, ["api", "name"], "Llama on H100", "name", id="same-name"),
    pytest.param("/api/v1/factors", FACTORS_EXAMPLE, ["requirements", 0], "cheap", "requirements", id="factor-id"),
    pytest.param("/api/v1/factors", FACTORS_EXAMPLE, ["options", 0, "kind"], "cloud", "kind", id="factor-kind"),
]


@pytest.mark.parametrize(("path", "body", "where", "value", "field"), BAD_INPUTS)
def test_bad_input_is_a_422_naming_the_field(
    client: TestClient, path: str, body: dict[str, Any], where: list[Any], value: Any, field: str
) -> None:
    assert_error_shape(client.post(path, json=with_change(body, where, value)), field=field)


def test_domain_errors_are_located_in_this_request(client: TestClient) -> None:
    body = with_change(UNCERTAINTY_EXAMPLE, ["self_hosted", "gpu"], "h100")
    detail = assert_error_shape(client.post("/api/v1/uncertainty", json=body))
    assert detail[0]["loc"] == ["body", "self_hosted", "gpu"]
    body = with_change(HYBRID_OVERFLOW_EXAMPLE, ["option", "self_hosted", "gpu"], "h100")
    detail = assert_error_shape(client.post("/api/v1/hybrid", json=body))
    assert detail[0]["loc"] == ["body", "option", "self_hosted", "gpu"]


def test_nan_is_a_422(client: TestClient) -> None:
    raw = '{"requirements": [], "options": [{"name": "x", "kind": "api"}], "extra": NaN}'
    assert_error_shape(client.post("/api/v1/factors", content=raw, headers={"content-type": "application/json"}))


@pytest.mark.parametrize(
    "path", ["/api/v1/hybrid", "/api/v1/horizon", "/api/v1/uncertainty", "/api/v1/factors", "/api/v1/usage-import"]
)
def test_openapi_documents_every_endpoint_with_examples(client: TestClient, path: str) -> None:
    operation = client.get("/openapi.json").json()["paths"][path]["post"]
    content = operation["requestBody"]["content"]
    examples = [media.get("examples") for media in content.values() if media.get("examples")]
    assert examples, f"{path} has no request examples"


@pytest.mark.parametrize(
    ("method", "path", "model"),
    [
        ("post", "/api/v1/hybrid", "HybridOut"),
        ("post", "/api/v1/horizon", "HorizonOut"),
        ("post", "/api/v1/uncertainty", "UncertaintyOut"),
        ("post", "/api/v1/factors", "FactorsOut"),
        ("get", "/api/v1/factors/requirements", "RequirementsCatalogOut"),
        ("post", "/api/v1/usage-import", "UsageSummaryOut"),
        ("get", "/api/v1/usage-import/formats", "UsageFormatsOut"),
    ],
)
def test_openapi_documents_every_beyond_answer(client: TestClient, method: str, path: str, model: str) -> None:
    # The fuzz suite (tests/test_fuzz.py) checks every answer against these schemas.
    schema = client.get("/openapi.json").json()
    answer = schema["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer == {"$ref": f"#/components/schemas/{model}"}
    assert model in schema["components"]["schemas"]


# ---------------------------------------------------------------------------------------------
# Usage import


def test_usage_import_multipart(client: TestClient) -> None:
    data = (FIXTURES / "openai_usage_1h.csv").read_bytes()
    response = client.post("/api/v1/usage-import", files={"file": ("usage.csv", data, "text/csv")})
    assert response.status_code == 200, response.text
    result = response.json()
    assert_all_finite(result)
    assert result["format"] == "openai"
    assert result["rows"] == {"total": 48, "used": 48, "rejected": 0, "blank_lines": 0}
    assert result["workload"]["requests_per_month"] == pytest.approx(12_800 * 730 / 48)
    assert len(result["hourly_profile"]) == 24
    # The imported workload goes straight into /breakeven.
    scenario = {
        "workload": result["workload"],
        "options": [{"kind": "api", "name": "API", "input_per_mtok": 0.15, "output_per_mtok": 0.6}],
    }
    assert client.post("/api/v1/breakeven", json=scenario).status_code == 200


def test_usage_import_raw_body_with_options(client: TestClient) -> None:
    data = (FIXTURES / "anthropic_usage_1h.csv").read_bytes()
    response = client.post(
        "/api/v1/usage-import",
        params={"format": "anthropic", "output_tokens_per_request": 500},
        content=data,
        headers={"content-type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["output_tokens_per_request"] == pytest.approx(500)
    assert response.json()["workload"] is not None


def test_usage_import_reports_bad_rows(client: TestClient) -> None:
    data = (FIXTURES / "generic_requests.csv").read_bytes()
    result = client.post("/api/v1/usage-import", files={"file": ("log.csv", data)}).json()
    assert result["rows"]["rejected"] == 6 and result["rows"]["used"] == 7
    assert sum(result["rejected_by_reason"].values()) == 6
    assert result["rejected_examples"][0] == {
        "line": 6,
        "reason": "not a number in input tokens",
        "text": "2026-03-02T10:45:00Z,not-a-number,250,0,llama-3.3-70b",
    }


@pytest.fixture
def small_limit_app(app: FastAPI) -> Iterator[FastAPI]:
    app.dependency_overrides[upload_limit_bytes] = lambda: 1000
    yield app
    app.dependency_overrides.pop(upload_limit_bytes)


def test_upload_over_the_cap_is_413_by_content_length(small_limit_app: FastAPI) -> None:
    with TestClient(small_limit_app) as client:
        big = (FIXTURES / "openai_usage_1h.csv").read_bytes() * 20
        response = client.post("/api/v1/usage-import", files={"file": ("usage.csv", big)})
        detail = assert_error_shape(response, field="file", status=413)
        assert detail[0]["type"] == "too_large"


def test_upload_over_the_cap_is_413_while_streaming(small_limit_app: FastAPI) -> None:
    def chunks() -> Iterator[bytes]:  # no content-length: chunked transfer
        yield b"timestamp,input_tokens,output_tokens\n"
        for _ in range(100):
            yield b"2026-03-02T09:00:00Z,100,10\n"

    with TestClient(small_limit_app) as client:
        response = client.post("/api/v1/usage-import", content=chunks(), headers={"content-type": "text/csv"})
        assert_error_shape(response, field="file", status=413)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        pytest.param({"content": b"", "headers": {"content-type": "text/csv"}}, "file", id="empty"),
        pytest.param({"files": {"other": ("x.txt", b"")}, "data": {"a": "b"}}, "file", id="empty-file-part"),
        pytest.param({"data": {"note": "no file"}, "files": {}}, "file", id="no-file"),
        pytest.param({"files": {"file": ("u.csv", b"when,what\n1,2\n")}}, "file", id="wrong-columns"),
        pytest.param({"files": {"file": ("u.csv", b"x")}, "params": {"format": "excel"}}, "format", id="format"),
        pytest.param(
            {"files": {"file": ("u.csv", b"x")}, "params": {"output_tokens_per_request": 0}},
            "output_tokens_per_request",
            id="zero-output",
        ),
    ],
)
def test_bad_uploads_are_422_on_the_field(client: TestClient, kwargs: dict[str, Any], field: str) -> None:
    assert_error_shape(client.post("/api/v1/usage-import", **kwargs), field=field)


def test_usage_formats_are_documented(client: TestClient) -> None:
    formats = client.get("/api/v1/usage-import/formats").json()
    assert {f["id"] for f in formats["formats"]} == {"openai", "anthropic", "generic"}
    generic = next(f for f in formats["formats"] if f["id"] == "generic")
    assert "timestamp" in generic["columns"]["start"] and "cached_tokens" in generic["columns"]["cached"]
