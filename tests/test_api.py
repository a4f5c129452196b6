"""The JSON API through FastAPI's TestClient: DESIGN.md §4 contracts and the error shape."""

from __future__ import annotations

import copy
import inspect
import json
import math
from typing import Any

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from app.core.breakeven import VolumeRange
from app.web import api, api_beyond
from app.web.api import (
    BREAKEVEN_EXAMPLE,
    FLAT_API_EXAMPLE,
    LLAMA_ON_H100_EXAMPLE,
    THROUGHPUT_EXAMPLE,
    FiniteJSONResponse,
)
from tests.helpers import DELETE, assert_all_finite, assert_error_shape, with_change

# The DESIGN.md example without its genai-prices option: one flat API against one rented H100.
# DESIGN.md's worked example exactly: its two options and nothing else, so the hosted per-token offers of
# Llama 3.3 70B (added by default, issue 14) are switched off; test_hosted_offers_join_the_design_example
# checks what the default adds.
FLAT_VS_H100: dict[str, Any] = {
    **BREAKEVEN_EXAMPLE,
    "options": [FLAT_API_EXAMPLE, LLAMA_ON_H100_EXAMPLE],
    "hosted_alternatives": False,
}


def post_breakeven(client: TestClient, body: dict[str, Any]) -> Any:
    response = client.post("/api/v1/breakeven", json=body)
    assert response.status_code == 200, response.text
    assert_all_finite(response.json())
    return response.json()


def test_design_example_answers_exactly(client: TestClient) -> None:
    result = post_breakeven(client, FLAT_VS_H100)
    by_name = {o["name"]: o for o in result["options"]}
    assert by_name["Llama on H100"]["monthly_cost"] == pytest.approx(1460.0)
    assert by_name["Llama on H100"]["replicas"] == 1
    assert by_name["Llama on H100"]["capacity"]["source"] == "measured"
    assert by_name["Flat API"]["monthly_cost"] == pytest.approx(1000.0)
    assert result["cheapest"] == "Flat API"
    (pair,) = result["breakevens"]
    assert (pair["api"], pair["self_hosted"]) == ("Flat API", "Llama on H100")
    assert pair["first_crossover_requests_per_month"] == pytest.approx(1_460_000)
    assert pair["first_crossover_tokens_per_month"] == pytest.approx(1_460_000_000)
    assert pair["stays_cheaper_above_requests_per_month"] == pytest.approx(2_920_000)
    assert pair["stays_cheaper_above_tokens_per_month"] == pytest.approx(2_920_000_000)
    (dip,) = pair["api_cheaper_again"]
    assert (dip["from_requests_per_month"], dip["to_requests_per_month"]) == pytest.approx((2_628_000, 2_920_000))
    assert "1,460,000" in pair["explanation"] and "2,920,000" in pair["explanation"]


def test_design_example_with_catalog_api_model(client: TestClient) -> None:
    result = post_breakeven(client, BREAKEVEN_EXAMPLE)
    gpt = next(o for o in result["options"] if o["name"] == "GPT")
    assert gpt["prices"]["source"].startswith("genai-prices")
    assert gpt["prices"]["as_of"]
    assert gpt["prices"]["standard"]["input_per_mtok"] > 0
    # Two APIs against the one self-hosted option: the hosted Llama offers (issue 14) are APIs too.
    hosted = [o for o in result["options"] if o.get("origin") == "hosted"]
    assert hosted and len(result["breakevens"]) == 2 + len(hosted)
    segments = result["envelope"]["segments"]
    assert segments[0]["from_requests_per_month"] == 0
    assert {s["cheapest"] for s in segments} <= {"Flat API", "GPT", "Llama on H100", *(o["name"] for o in hosted)}


def test_self_hosting_that_never_stays_cheaper_says_why(client: TestClient) -> None:
    body = copy.deepcopy(FLAT_VS_H100)
    body["options"][0].update(input_per_mtok=0.2, output_per_mtok=0.2)  # $0.0002/request < $0.000556
    pair = post_breakeven(client, body)["breakevens"][0]
    assert pair["stays_cheaper_above_requests_per_month"] is None
    assert pair["stays_cheaper_above_tokens_per_month"] is None
    assert pair["first_crossover_requests_per_month"] is None
    assert "never" in pair["explanation"] and "per request" in pair["explanation"]


def test_vanishing_token_volume_is_a_422_not_an_infinite_cost(client: TestClient) -> None:
    body = copy.deepcopy(FLAT_VS_H100)
    body["workload"] = {"tokens_per_month": 1e-300, "input_tokens": 0, "output_tokens": 1}
    assert_error_shape(client.post("/api/v1/breakeven", json=body), field="tokens_per_month")


def test_a_tiny_cost_of_capital_is_straight_line_not_a_500(client: TestClient) -> None:
    body = copy.deepcopy(FLAT_VS_H100)
    body["options"][1]["pricing"] = {"kind": "buy", "price_per_gpu": 30_000, "cost_of_capital": 1e-17}
    llama = post_breakeven(client, body)["options"][1]
    years = llama["pricing"]["depreciation_years"]
    assert llama["pricing"]["monthly_cost_per_gpu_breakdown"]["capital"] == pytest.approx(30_000 / (years * 12))


def test_tokens_per_month_is_an_alternative_volume(client: TestClient) -> None:
    body = copy.deepcopy(FLAT_VS_H100)
    body["workload"] = {"tokens_per_month": 3e9, "input_tokens": 500, "output_tokens": 500}
    result = post_breakeven(client, body)
    assert result["workload"]["requests_per_month"] == pytest.approx(3_000_000)
    assert result["workload"]["tokens_per_month"] == pytest.approx(3e9)


def test_estimated_capacity_when_no_measurement(client: TestClient) -> None:
    body = copy.deepcopy(FLAT_VS_H100)
    del body["options"][1]["output_tokens_per_second"]
    body["options"][1]["gpu_count"] = "auto"
    result = post_breakeven(client, body)
    llama = result["options"][1]
    assert llama["capacity"]["source"] == "estimated"
    assert llama["capacity"]["estimate"]["error_band"]["low_factor"] > 0
    assert llama["gpu_count"] >= 1


def test_rental_offer_from_the_catalog(client: TestClient) -> None:
    offers = client.get("/api/v1/catalog/offers", params={"gpu": "h100-sxm"}).json()["rental"]["items"]
    offer = next(o for o in offers if o["on_demand_per_gpu_hour"])
    body = copy.deepcopy(FLAT_VS_H100)
    body["options"][1]["pricing"] = {"kind": "rent", "offer": offer["id"], "term": "on_demand"}
    llama = post_breakeven(client, body)["options"][1]
    assert llama["replica_monthly_cost"] == pytest.approx(offer["on_demand_per_gpu_hour"] * 730)
    assert llama["pricing"]["source"] == offer["source"]


def test_bought_hardware_uses_catalog_running_costs(client: TestClient) -> None:
    body = copy.deepcopy(FLAT_VS_H100)
    body["options"][1]["pricing"] = {"kind": "buy", "price_per_gpu": 30_000, "depreciation_years": 4}
    llama = post_breakeven(client, body)["options"][1]
    breakdown = llama["pricing"]["monthly_cost_per_gpu_breakdown"]
    assert breakdown["capital"] == pytest.approx(30_000 / 48)
    assert breakdown["power"] > 0
    assert llama["replica_monthly_cost"] == pytest.approx(sum(breakdown.values()))


def test_throughput_70b_bf16_does_not_fit_one_h100(client: TestClient) -> None:
    body = {**THROUGHPUT_EXAMPLE, "gpu_count": 1, "precision": "bf16", "kv_cache_precision": "bf16"}
    detail = assert_error_shape(client.post("/api/v1/throughput", json=body))
    assert "GiB" in detail[0]["msg"] and "80" in detail[0]["msg"]
    assert detail[0]["type"] == "does_not_fit"


def test_throughput_70b_bf16_on_four_h100(client: TestClient) -> None:
    body = {**THROUGHPUT_EXAMPLE, "gpu_count": 4, "precision": "bf16", "kv_cache_precision": "bf16"}
    response = client.post("/api/v1/throughput", json=body)
    assert response.status_code == 200, response.text
    result = response.json()
    assert_all_finite(result)
    assert result["output_tokens_per_second"] > 0
    assert result["output_tokens_per_second_per_gpu"] == pytest.approx(result["output_tokens_per_second"] / 4)
    for key in (
        "max_concurrency",
        "time_to_first_token_seconds",
        "time_per_output_token_seconds",
        "bound",
        "error_band",
        "efficiencies",
    ):
        assert key in result


BAD_BREAKEVEN = [
    pytest.param(["workload", "requests_per_month"], -5, "requests_per_month", id="negative-volume"),
    pytest.param(["workload", "requests_per_month"], 0, "requests_per_month", id="zero-volume"),
    pytest.param(["workload", "requests_per_month"], 1e30, "requests_per_month", id="absurd-volume"),
    pytest.param(["workload", "requests_per_month"], 1e-300, "requests_per_month", id="vanishing-volume"),
    pytest.param(["workload", "requests_per_month"], "lots", "requests_per_month", id="string-for-number"),
    pytest.param(["workload", "input_tokens"], DELETE, "input_tokens", id="missing-field"),
    pytest.param(["options", 0, "input_per_mtok"], 0, "input_per_mtok", id="zero-price"),
    pytest.param(["options", 0, "output_per_mtok"], -1, "output_per_mtok", id="negative-price"),
    pytest.param(["options", 1, "target_utilization"], 0, "target_utilization", id="utilization-zero"),
    pytest.param(["options", 1, "target_utilization"], 1.5, "target_utilization", id="utilization-above-one"),
    pytest.param(["options", 1, "model"], "llama-3.3-7b", "model", id="unknown-model"),
    pytest.param(["options", 1, "gpu"], "h100-sxn", "gpu", id="unknown-gpu"),
    pytest.param(["options"], [], "options", id="empty-options"),
    pytest.param(["options", 1, "pricing", "per_gpu_hour"], 0, "per_gpu_hour", id="zero-gpu-price"),
    pytest.param(["options", 1, "name"], "Flat API", "options", id="duplicate-names"),
    pytest.param(["workload", "requets_per_month"], 5, "requets_per_month", id="typo-field"),
    pytest.param(["options", 1, "gpu_count"], 0, "gpu_count", id="zero-gpus"),
    # Issue 12: below $0.0001/GPU-hour the solver once looped for ever (1e-25) or overflowed (1e-320).
    pytest.param(["options", 1, "pricing", "per_gpu_hour"], 1e-22, "per_gpu_hour", id="gpu-price-1e-22"),
    pytest.param(["options", 1, "pricing", "per_gpu_hour"], 1e-25, "per_gpu_hour", id="gpu-price-1e-25"),
    pytest.param(["options", 1, "pricing", "per_gpu_hour"], 1e-320, "per_gpu_hour", id="gpu-price-subnormal"),
    pytest.param(["options", 1, "pricing", "per_gpu_hour"], 0.000099, "per_gpu_hour", id="gpu-price-below-min"),
    pytest.param(
        ["options", 1, "pricing"], {"kind": "buy", "price_per_gpu": 0.5}, "price_per_gpu", id="gpu-bought-below-1"
    ),
    pytest.param(["options", 1, "output_tokens_per_second"], 0.0009, "output_tokens_per_second", id="tps-below-min"),
]


@pytest.mark.parametrize(("path", "value", "field"), BAD_BREAKEVEN)
def test_bad_breakeven_input_is_a_422_naming_the_field(
    client: TestClient, path: list[Any], value: Any, field: str
) -> None:
    assert_error_shape(client.post("/api/v1/breakeven", json=with_change(FLAT_VS_H100, path, value)), field=field)


def test_bad_price_names_the_rule(client: TestClient) -> None:
    body = with_change(FLAT_VS_H100, ["options", 1, "pricing", "per_gpu_hour"], 1e-25)
    (error,) = assert_error_shape(client.post("/api/v1/breakeven", json=body))
    assert error["loc"][-1] == "per_gpu_hour" and "0.0001" in error["msg"]


@pytest.mark.parametrize(
    ("field", "value", "named"),
    [
        ("memory_bandwidth_tb_s", 1e-300, "memory_bandwidth_tb_s"),
        ("interconnect_gb_s", 1e-300, "interconnect_gb_s"),
        # FLOPS have no floor of their own: the core refuses the capacity they estimate.
        ("dense_tflops", {"fp8": 1e-300}, "output_tokens_per_second"),
    ],
)
def test_inline_gpu_too_slow_to_count_replicas_is_a_422(client: TestClient, field: str, value: Any, named: str) -> None:
    # Such a GPU estimated ~1e-300 requests/s: the replicas for the load overflowed a float (a 500).
    gpu = {"memory_gib": 80, "memory_bandwidth_tb_s": 3.35, "dense_tflops": {"fp8": 1979}, "max_gpus_per_node": 8}
    option = {**LLAMA_ON_H100_EXAMPLE, "output_tokens_per_second": None, "gpu_count": 2, "gpu": {**gpu, field: value}}
    # Offline (no latency target): the default interactive target would refuse such a GPU first, for
    # its time to first token, and the capacity floor would go untested.
    workload = {**FLAT_VS_H100["workload"], "latency_target": "offline"}
    body = {"workload": workload, "options": [FLAT_API_EXAMPLE, option]}
    assert_error_shape(client.post("/api/v1/breakeven", json=body), field=named)


# (per_gpu_hour, output tok/s, utilization, requests/month, API $/Mtok): the corners of the input bounds.
EXTREME_BUT_VALID = [
    pytest.param(0.0001, 10_000_000, 1.0, 1e15, 1e-6, id="cheapest-gpu-fastest-replica-cheapest-api"),
    pytest.param(0.0001, 0.001, 0.01, 1e15, 10_000, id="cheapest-gpu-slowest-replica-dearest-api"),
    pytest.param(1000, 0.001, 0.01, 1e15, 1e-6, id="dearest-gpu-slowest-replica-cheapest-api"),
    pytest.param(1000, 10_000_000, 1.0, 1, 10_000, id="dearest-gpu-fastest-replica-one-request"),
]


@pytest.mark.parametrize(("per_gpu_hour", "tps", "utilization", "volume", "per_mtok"), EXTREME_BUT_VALID)
def test_extreme_but_valid_inputs_answer_finite_numbers(
    client: TestClient, per_gpu_hour: float, tps: float, utilization: float, volume: float, per_mtok: float
) -> None:
    api = {**FLAT_API_EXAMPLE, "input_per_mtok": per_mtok, "output_per_mtok": per_mtok}
    self_hosted = {
        **LLAMA_ON_H100_EXAMPLE,
        "pricing": {"kind": "rent", "per_gpu_hour": per_gpu_hour},
        "output_tokens_per_second": tps,
        "target_utilization": utilization,
    }
    body = {"workload": {**FLAT_VS_H100["workload"], "requests_per_month": volume}, "options": [api, self_hosted]}
    result = post_breakeven(client, body)  # 200, every number finite
    assert result["options"][1]["replicas"] >= 1


def test_the_breakeven_evaluates_off_the_event_loop(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    # The endpoint is async (a repeated body is answered from memory on the loop: app/web/answer_cache.py),
    # but a new body is evaluated in the threadpool, where no event loop runs (issue 12).
    import asyncio

    real_evaluate, loops = api.evaluate, []

    def recording_evaluate(*args: object, **kwargs: object) -> object:
        try:
            loops.append(asyncio.get_running_loop())
        except RuntimeError:
            loops.append(None)
        return real_evaluate(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(api, "evaluate", recording_evaluate)
    assert client.post("/api/v1/breakeven", json=FLAT_VS_H100).status_code == 200
    assert loops == [None]


@pytest.mark.parametrize("path", ["/api/v1/throughput", "/api/v1/hybrid", "/api/v1/horizon", "/api/v1/uncertainty"])
def test_evaluating_endpoints_run_off_the_event_loop(path: str) -> None:
    # A plain `def` endpoint runs in the threadpool: however long one evaluation takes, the event
    # loop keeps answering every other request, /healthz included (issue 12).
    routes = [*api.router.routes, *api_beyond.router.routes]
    (route,) = [r for r in routes if isinstance(r, APIRoute) and r.path == path]
    assert not inspect.iscoroutinefunction(route.endpoint), f"{path} would evaluate on the event loop"


def test_unknown_ids_suggest_close_ones(client: TestClient) -> None:
    body = with_change(FLAT_VS_H100, ["options", 1, "gpu"], "h100")
    detail = assert_error_shape(client.post("/api/v1/breakeven", json=body))
    assert "h100-sxm" in detail[0]["msg"]
    assert detail[0]["loc"] == ["body", "options", 1, "gpu"]


def test_nan_and_non_json_bodies_are_422(client: TestClient) -> None:
    raw = '{"workload": {"requests_per_month": NaN, "input_tokens": 1, "output_tokens": 1}, "options": []}'
    assert_error_shape(client.post("/api/v1/breakeven", content=raw, headers={"content-type": "application/json"}))
    assert_error_shape(
        client.post("/api/v1/breakeven", content="not json", headers={"content-type": "application/json"})
    )


def test_unknown_catalog_model_in_throughput(client: TestClient) -> None:
    detail = assert_error_shape(client.post("/api/v1/throughput", json={**THROUGHPUT_EXAMPLE, "model": "lama-3.1-70b"}))
    assert "llama-3.1-70b" in detail[0]["msg"]


@pytest.mark.parametrize("kind", ["gpus", "models", "offers", "api-models"])
def test_catalog_entries_carry_source_and_as_of(client: TestClient, kind: str) -> None:
    body = client.get(f"/api/v1/catalog/{kind}").json()
    groups = [body["rental"], body["purchase"], body["cost_parameters"]] if kind == "offers" else [body]
    for group in groups:
        assert group["count"] == len(group["items"]) > 0
        for item in group["items"]:
            assert item["source"] and item["as_of"], item


def test_api_models_cover_closed_and_hosted_open_providers(client: TestClient) -> None:
    body = client.get("/api/v1/catalog/api-models").json()
    assert body["snapshot"]["package"] == "genai-prices" and body["snapshot"]["as_of"]
    providers = {item["provider"] for item in body["items"]}
    assert {"openai", "anthropic", "google", "together", "fireworks", "groq", "openrouter"} <= providers
    claude = client.get("/api/v1/catalog/api-models", params={"provider": "anthropic", "q": "sonnet"}).json()
    assert claude["count"] > 0 and all("sonnet" in i["model"] for i in claude["items"])


def test_healthz(client: TestClient) -> None:
    assert client.get("/healthz").json()["status"] == "ok"  # beside it, the store's last known state


def test_openapi_documents_the_examples(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    breakeven = schema["paths"]["/api/v1/breakeven"]["post"]["requestBody"]["content"]["application/json"]
    assert "design-example" in breakeven["examples"]
    assert "/api/v1/throughput" in schema["paths"]


# --- the response encoder ------------------------------------------------------------------------

ENCODABLE = [
    pytest.param({"a": 1.5, "b": [0.1 + 0.2, 3_000_000.0, 1e-7, None, True]}, id="floats-lists-null"),
    pytest.param({"name": "NaN Infinity -Infinity"}, id="strings-naming-non-finite"),
    pytest.param({"name": "<script>\u00e9\u2028"}, id="non-ascii"),
    pytest.param({"range": VolumeRange(1.0, 2.0)}, id="dataclass"),
]


@pytest.mark.parametrize("content", ENCODABLE)
def test_finite_json_response_encodes_what_json_reads_back(content: dict[str, Any]) -> None:
    body = FiniteJSONResponse(content).body
    assert json.loads(body) == json.loads(json.dumps(content, default=lambda v: vars(v)))


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
@pytest.mark.parametrize("where", ["top", "nested", "beside-a-string-naming-it"])
def test_finite_json_response_refuses_non_finite_numbers(value: float, where: str) -> None:
    content: dict[str, Any] = {
        "top": {"x": value},
        "nested": {"a": [{"b": [1.0, value]}]},
        "beside-a-string-naming-it": {"note": "NaN", "x": value},
    }[where]
    with pytest.raises(ValueError, match="not JSON compliant"):
        FiniteJSONResponse(content)


def test_hosted_offers_join_the_design_example(client: TestClient) -> None:
    # Issue 14: by default the cheapest hosted per-token offers of the self-hosted option's open model
    # follow the user's options; the user's own figures do not move.
    alone = post_breakeven(client, FLAT_VS_H100)
    result = post_breakeven(client, {**FLAT_VS_H100, "hosted_alternatives": True})
    user, hosted = result["options"][:2], result["options"][2:]
    assert [o["name"] for o in user] == ["Flat API", "Llama on H100"]
    assert user == alone["options"]
    assert 1 <= len(hosted) <= 3
    assert all(o["origin"] == "hosted" and o["kind"] == "api" and "Llama 3.3 70B" in o["name"] for o in hosted)
    assert all(o["prices"]["source"] and o["prices"]["as_of"] for o in hosted)
    costs = [o["monthly_cost"] for o in hosted]
    assert costs == sorted(costs)
