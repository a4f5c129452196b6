"""Issue 11 through the routes: a self-hosted model's context window is enforced whatever the
throughput source, a lone SXM/OAM module is refused as a purchase, bought servers get the sourced
maintenance default, and a catalog price's confidence and caveat reach the JSON and the page."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.catalog.loader import load_catalog
from tests.helpers import assert_all_finite, assert_error_shape
from tests.test_forms import FLAT_VS_H100, with_values

CATALOG = load_catalog()
LLAMA_70B_WINDOW = CATALOG.models["llama-3.3-70b"].max_context  # 131,072 tokens

FLAT_API = {"kind": "api", "name": "Flat API", "input_per_mtok": 1.0, "output_per_mtok": 1.0}


def self_hosted(pricing: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "kind": "self_hosted",
        "name": "Llama",
        "model": "llama-3.3-70b",
        "gpu": "h100-sxm",
        "gpu_count": 8,
        "precision": "fp8",
        "pricing": pricing,
        **fields,
    }


def scenario(option: dict[str, Any], input_tokens: float = 500, output_tokens: float = 500) -> dict[str, Any]:
    workload = {"requests_per_month": 1_000_000, "input_tokens": input_tokens, "output_tokens": output_tokens}
    return {"workload": workload, "options": [FLAT_API, option]}


def post(client: TestClient, body: dict[str, Any]) -> Any:
    response = client.post("/api/v1/breakeven", json=body)
    assert response.status_code == 200, response.text
    assert_all_finite(response.json())
    return response.json()


def self_hosted_pricing(client: TestClient, body: dict[str, Any]) -> dict[str, Any]:
    (option,) = [o for o in post(client, body)["options"] if o["kind"] == "self_hosted"]
    pricing: dict[str, Any] = option["pricing"]
    return pricing


RENT_ON_DEMAND = {"kind": "rent", "per_gpu_hour": 2.0}


# ---------------------------------------------------------------------------------------------
# Context window of the self-hosted model
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("measured", [None, 500.0], ids=["estimated", "measured"])
@pytest.mark.parametrize(
    ("input_tokens", "output_tokens", "fits"),
    [(250_000, 1_000, False),  # the 250k-token prompt on a 131k-context model
     (LLAMA_70B_WINDOW - 200, 201, False),  # one token over
     (LLAMA_70B_WINDOW - 200, 200, True),  # exactly the window
     (500, 500, True)],
)  # fmt: skip
def test_requests_longer_than_the_models_window_are_refused_whatever_the_throughput_source(
    client: TestClient, measured: float | None, input_tokens: int, output_tokens: int, fits: bool
) -> None:
    option = self_hosted(RENT_ON_DEMAND, output_tokens_per_second=measured)
    body = scenario(option, input_tokens, output_tokens)
    response = client.post("/api/v1/breakeven", json=body)
    if fits:
        if measured is not None:
            assert response.status_code == 200, response.text
        else:  # the estimator may still refuse a long context on memory grounds, never on the window
            assert response.status_code == 200 or "context window" not in response.text, response.text
        return
    (error,) = assert_error_shape(response, field="model")
    assert error["loc"] == ["body", "options", 1, "model"]
    assert f"{input_tokens + output_tokens:,} tokens" in error["msg"]
    assert f"context window of {LLAMA_70B_WINDOW:,} tokens" in error["msg"]
    assert "llama-3.3-70b" in error["msg"]


def test_a_measured_throughput_with_a_long_context_model_is_accepted(client: TestClient) -> None:
    # Llama 4 Scout's window (10M tokens) holds a 250k-token prompt.
    option = self_hosted(RENT_ON_DEMAND, model="llama-4-scout", output_tokens_per_second=500.0)
    assert post(client, scenario(option, 250_000, 1_000))["options"][1]["replicas"] >= 1


# ---------------------------------------------------------------------------------------------
# Purchase offers: modules refused, maintenance defaults
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offer_id", "gpu", "servers"),
    [("h100-sxm-card", "h100-sxm", "dgx-h100, hgx-h100-server"),
     ("h200-sxm-card", "h200-sxm", "hgx-h200-server"),
     ("b200-card", "b200", "hgx-b200-server, dgx-b200"),
     ("a100-sxm-80gb-card", "a100-sxm-80gb", "none in the catalog"),
     ("mi300x-card", "mi300x", "none in the catalog")],
)  # fmt: skip
def test_a_lone_sxm_module_is_refused_as_a_purchase_naming_what_to_choose(
    client: TestClient, offer_id: str, gpu: str, servers: str
) -> None:
    option = self_hosted({"kind": "buy", "offer": offer_id}, gpu=gpu, output_tokens_per_second=500.0)
    (error,) = assert_error_shape(client.post("/api/v1/breakeven", json=scenario(option)), field="offer")
    assert error["loc"] == ["body", "options", 1, "pricing", "offer"]
    assert f"choose a server offer for {gpu} ({servers})" in error["msg"]
    assert "price_per_gpu" in error["msg"]


def test_a_pcie_card_is_accepted_and_says_it_leaves_out_the_host(client: TestClient) -> None:
    option = self_hosted({"kind": "buy", "offer": "l40s-card"}, gpu="l40s", gpu_count=1, output_tokens_per_second=50.0)
    pricing = self_hosted_pricing(client, scenario(option))
    assert pricing["capex_per_gpu"] == 7500
    assert pricing["caveat"] == "card only: the host server's price and power are not included"


@pytest.mark.parametrize(
    ("offer_id", "parameter_id"),
    [("hgx-h100-server", "maintenance_fraction_per_year"), ("dgx-h100", "maintenance_fraction_per_year_dgx")],
)
def test_bought_servers_get_their_maintenance_default(client: TestClient, offer_id: str, parameter_id: str) -> None:
    option = self_hosted({"kind": "buy", "offer": offer_id}, output_tokens_per_second=500.0)
    pricing = self_hosted_pricing(client, scenario(option))
    fraction = CATALOG.cost_parameters[parameter_id].value
    offer = CATALOG.purchase_offers[offer_id]
    assert pricing["maintenance_fraction_per_year"] == fraction
    # Maintenance per GPU-month = price per GPU x fraction per year / 12 (app/core/self_hosted.py).
    expected = offer.price_usd / offer.gpu_count * fraction / 12
    assert pricing["monthly_cost_per_gpu_breakdown"]["maintenance"] == pytest.approx(expected)


def test_a_typed_maintenance_fraction_wins_over_the_default(client: TestClient) -> None:
    option = self_hosted(
        {"kind": "buy", "offer": "dgx-h100", "maintenance_fraction_per_year": 0.05}, output_tokens_per_second=500.0
    )
    assert self_hosted_pricing(client, scenario(option))["maintenance_fraction_per_year"] == 0.05


# ---------------------------------------------------------------------------------------------
# Confidence and caveats in the JSON
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("pricing", "confidence", "caveat_start"),
    [({"kind": "rent", "offer": "aws-p5-48xlarge-us-east-1", "term": "reserved_1y"}, "high",
      "estimate: on-demand price less a generic 1-year commitment discount"),
     ({"kind": "rent", "offer": "aws-p5-48xlarge-us-east-1", "term": "on_demand"}, "high", None),
     ({"kind": "rent", "offer": "coreweave-hgx-h100-8x"}, "low", "unverified: a recalled list price"),
     ({"kind": "buy", "offer": "dgx-h100"}, "low", "estimate: an analyst's estimate of the 2023 sale price"),
     ({"kind": "buy", "offer": "hgx-h100-server"}, "medium", None)],
)  # fmt: skip
def test_the_offers_confidence_and_caveat_are_in_the_pricing_json(
    client: TestClient, pricing: dict[str, Any], confidence: str, caveat_start: str | None
) -> None:
    result = self_hosted_pricing(client, scenario(self_hosted(pricing, output_tokens_per_second=500.0)))
    offer = (CATALOG.rental_offers | CATALOG.purchase_offers)[pricing["offer"]]  # type: ignore[operator]
    assert result["confidence"] == confidence
    assert result["note"] == offer.notes
    if caveat_start is None:
        assert result["caveat"] is None
    else:
        assert result["caveat"].startswith(caveat_start)


def test_a_typed_price_carries_no_catalog_confidence(client: TestClient) -> None:
    typed = {"kind": "rent", "offer": "aws-p5-48xlarge-us-east-1", "term": "reserved_1y", "per_gpu_hour": 3.0}
    result = self_hosted_pricing(client, scenario(self_hosted(typed, output_tokens_per_second=500.0)))
    assert (result["confidence"], result["note"], result["caveat"]) == (None, None, None)
    assert result["source"] == "entered by the user"


def test_the_caveat_survives_a_saved_scenario(client: TestClient) -> None:
    reserved = {"kind": "rent", "offer": "aws-p5-48xlarge-us-east-1", "term": "reserved_1y"}
    body = scenario(self_hosted(reserved, output_tokens_per_second=500.0))
    live = self_hosted_pricing(client, body)
    saved = client.post("/api/v1/scenarios", json=body)
    assert saved.status_code == 201, saved.text
    read = client.get(f"/api/v1/scenarios/{saved.json()['id']}")
    assert read.status_code == 200, read.text
    frozen = next(o for o in read.json()["result"]["options"] if o["kind"] == "self_hosted")["pricing"]
    assert (frozen["confidence"], frozen["caveat"]) == (live["confidence"], live["caveat"])


# ---------------------------------------------------------------------------------------------
# The page: caveat beside the option's cost and in "show the work"; modules not offered
# ---------------------------------------------------------------------------------------------


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def page(client: TestClient, query: str, status: int = 200) -> str:
    # A blank field redirects to the clean permalink first.
    response = client.get("/?" + query, follow_redirects=True)
    assert response.status_code == status, response.text[:2000]
    assert "Traceback" not in response.text
    return response.text


RESERVED_QUERY = with_values(
    FLAT_VS_H100, sh__1__per_gpu_hour="", sh__1__offer="aws-p5-48xlarge-us-east-1", sh__1__term="reserved_1y"
)
CAVEAT = (
    "Price: estimate: on-demand price less a generic 1-year commitment discount, not a quote "
    "(catalog confidence: high)."
)


def test_an_estimated_price_is_flagged_in_the_cost_table_and_the_work(client: TestClient) -> None:
    html = page(client, RESERVED_QUERY)
    table = html[html.index('<table class="costs">') : html.index("</table>", html.index('<table class="costs">'))]
    work = html[html.index('id="work"') :]
    assert CAVEAT in text_of(table)
    assert CAVEAT in text_of(work)
    assert "$4.678 reserved 1y (high confidence)" in text_of(work)  # the sources table


def test_a_typed_price_is_not_flagged(client: TestClient) -> None:
    html = page(client, FLAT_VS_H100)
    assert "catalog confidence" not in html


def test_the_purchase_dropdown_offers_servers_not_lone_modules(client: TestClient) -> None:
    # No offer chosen yet: the page marks the missing price (422) and still shows the form.
    html = page(client, with_values(FLAT_VS_H100, sh__1__pricing="buy", sh__1__per_gpu_hour=""), status=422)
    offered = set(re.findall(r'<option value="([^"]+)"', html))
    assert {"dgx-h100", "hgx-h100-server", "l40s-card"} <= offered
    assert not offered & {"h100-sxm-card", "h200-sxm-card", "b200-card", "mi300x-card", "a100-sxm-80gb-card"}


def field_message(html: str, key: str) -> str:
    match = re.search(rf'<p class="error" id="e-{re.escape(key)}"[^>]*>(.*?)</p>', html, re.S)
    assert match, f"no message element for {key}"
    return unescape(match.group(1)).strip()


def test_a_module_chosen_on_the_page_is_marked_beside_its_field(client: TestClient) -> None:
    query = with_values(
        FLAT_VS_H100, sh__1__pricing="buy", sh__1__per_gpu_hour="", sh__1__purchase_offer="h100-sxm-card"
    )
    html = page(client, query, status=422)
    assert "choose a server offer for h100-sxm (dgx-h100, hgx-h100-server)" in field_message(
        html, "sh.1.purchase_offer"
    )
    assert '{"detail"' not in html


def test_a_prompt_beyond_the_window_is_marked_beside_the_model_despite_a_measured_throughput(
    client: TestClient,
) -> None:
    assert "sh.1.output_tps=500" in FLAT_VS_H100  # measured: the estimator never runs
    html = page(client, with_values(FLAT_VS_H100, input_tokens="250000"), status=422)
    message = field_message(html, "sh.1.model")
    assert "250,500 tokens" in message and "context window of 131,072 tokens" in message
