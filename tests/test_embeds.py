"""Charts, embeds, exports and saved scenarios (issue: charts that live in wikis)."""

from __future__ import annotations

import copy
import struct
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient

from app.main import create_app
from app.scenario import ScenarioIn
from app.settings import Settings
from app.web.embeds import safe_cell
from app.web.forms import scenario_to_query
from tests.helpers import assert_error_shape

SCENARIO: dict[str, Any] = {
    "workload": {"requests_per_month": 1_000_000, "input_tokens": 500, "output_tokens": 500},
    "options": [
        {"kind": "api", "name": "Flat API", "input_per_mtok": 1.0, "output_per_mtok": 1.0},
        {"kind": "api", "name": "GPT", "model": "gpt-5-mini", "provider": "openai"},
        {
            "kind": "self_hosted",
            "name": "Llama on H100",
            "model": "llama-3.3-70b",
            "gpu": "h100-sxm",
            "gpu_count": 1,
            "precision": "fp8",
            "pricing": {"kind": "rent", "per_gpu_hour": 2.0},
            "output_tokens_per_second": 500,
            "target_utilization": 1.0,
            "min_replicas": 1,
        },
    ],
}
EVIL = "<script>alert(1)</script>"


def query(scenario: dict[str, Any] = SCENARIO, **chart: Any) -> str:
    return scenario_to_query(ScenarioIn.model_validate(scenario)) + ("&" + urlencode(chart) if chart else "")


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


def test_svg_is_well_formed_and_names_options_and_breakeven(client: TestClient) -> None:
    response = client.get("/chart.svg?" + query())
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/svg+xml"
    root = ET.fromstring(response.content)
    assert root.tag.endswith("svg")
    text = response.text
    for name in ("Flat API", "GPT", "Llama on H100"):
        assert name in text
    assert "1.5M" in text and "2.9M" in text  # the break-even volumes, labelled
    assert "Monthly cost vs volume" in text and "prices as of" in text.lower()


@pytest.mark.parametrize(("width", "height", "scale"), [(720, 400, 1), (600, 300, 2)])
def test_png_has_the_requested_size(client: TestClient, width: int, height: int, scale: int) -> None:
    response = client.get("/chart.png?" + query(width=width, height=height, scale=scale))
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    assert png_size(response.content) == (width * scale, height * scale)


def test_dark_theme_and_cost_per_mtok_kind(client: TestClient) -> None:
    svg = client.get("/chart.svg?" + query(theme="dark", kind="cost_per_mtok")).text
    assert "Cost per million tokens" in svg and "#0d1117" in svg


@pytest.mark.parametrize(
    ("params", "field"), [({"width": "wide"}, "width"), ({"theme": "neon"}, "theme"), ({"scale": "9"}, "scale")]
)
def test_bad_chart_params_are_422(client: TestClient, params: dict[str, str], field: str) -> None:
    assert_error_shape(client.get("/chart.svg?" + query(**params)), field=field)


def test_bad_scenario_query_is_422(client: TestClient) -> None:
    assert_error_shape(client.get("/chart.svg?volume=-5"))


def test_etag_and_304(client: TestClient) -> None:
    first = client.get("/chart.svg?" + query())
    etag = first.headers["etag"]
    assert etag.startswith('"') and "max-age" in first.headers["cache-control"]
    again = client.get("/chart.svg?" + query(), headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    other = client.get("/chart.svg?" + query(theme="dark"), headers={"If-None-Match": etag})
    assert other.status_code == 200 and other.headers["etag"] != etag


def save(client: TestClient, scenario: dict[str, Any] = SCENARIO) -> dict[str, Any]:
    response = client.post("/api/v1/scenarios", json=scenario)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_saved_scenario_urls(client: TestClient) -> None:
    saved = save(client)
    assert len(saved["id"]) == 12
    links = saved["links"]
    svg = client.get(links["chart_svg"])
    assert svg.status_code == 200 and svg.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert client.get(links["chart_svg"], headers={"If-None-Match": svg.headers["etag"]}).status_code == 304
    assert png_size(client.get(links["chart_png"] + "?scale=1").content) == (720, 400)
    body = client.get(links["json"]).json()
    assert body["result"]["breakevens"][0]["first_crossover_requests_per_month"] == pytest.approx(1_460_000)
    assert body["prices_as_of"]
    embed = client.get(links["embed"])
    assert embed.status_code == 200 and 'alt="' in embed.text and "Open in Breakeven" in embed.text
    assert "<script" not in embed.text
    assert client.get(links["csv"]).headers["content-type"].startswith("text/csv")


def test_unknown_saved_scenario_is_404(client: TestClient) -> None:
    assert_error_shape(client.get("/s/doesnotexist/chart.svg"), status=404)
    assert_error_shape(client.get("/api/v1/scenarios/doesnotexist"), status=404)


def test_saved_scenario_survives_restart_and_catalog_change(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    with TestClient(create_app(settings)) as client:
        saved = save(client)
        before_svg = client.get(saved["links"]["chart_svg"]).content
        before_json = client.get(saved["links"]["json"]).json()["result"]
        live_before = client.get("/chart.svg?" + query()).content

    # Prices change after the save: genai-prices now says gpt-5-mini costs ten times as much.
    import app.catalog.api_prices as api_prices
    import app.scenario as scenario_module
    from app.core.api_cost import ApiPrices, TokenPrices

    def dearer(model: str, provider: str | None = None) -> ApiPrices:
        return ApiPrices(standard=TokenPrices(2.5, 20.0), source="changed", as_of="2099-01-01")

    monkeypatch.setattr(api_prices, "resolve_api_prices", dearer)
    monkeypatch.setattr(scenario_module, "resolve_api_prices", dearer)
    with TestClient(create_app(settings)) as client:  # a restart
        after_svg = client.get(saved["links"]["chart_svg"]).content
        after_json = client.get(saved["links"]["json"]).json()["result"]
        live_after = client.get("/chart.svg?" + query(), headers={"Cache-Control": "no-cache"}).content
    assert after_svg == before_svg
    assert after_json == before_json
    assert live_after != live_before  # the stateless chart does follow today's prices


def test_names_are_escaped_in_svg_html_and_csv(client: TestClient) -> None:
    evil = copy.deepcopy(SCENARIO)
    evil["options"][0]["name"] = EVIL
    evil["options"][1]["name"] = '=HYPERLINK("http://x")'
    svg = client.get("/chart.svg?" + query(evil)).text
    assert EVIL not in svg and "&lt;script&gt;" in svg
    ET.fromstring(svg)
    page = client.get("/?" + query(evil)).text
    assert EVIL not in page
    embed = client.get("/embed?" + query(evil)).text
    assert EVIL not in embed
    csv_text = client.get("/data.csv?" + query(evil)).text
    assert "'=HYPERLINK" in csv_text and '\n"option",=HYPERLINK' not in csv_text


@pytest.mark.parametrize(
    ("value", "expected"),
    [("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"), ("plain", "plain"), (3.5, 3.5)],
)
def test_csv_cells_are_neutralised(value: Any, expected: Any) -> None:
    assert safe_cell(value) == expected


def test_csv_export_has_options_breakevens_and_curves(client: TestClient) -> None:
    text = client.get("/data.csv?" + query()).text
    assert "option,Llama on H100,self_hosted,1460.00" in text
    assert "first_crossover,Llama on H100 vs Flat API" in text and "1460000" in text
    assert "\ncurve,Flat API,api," in text


def test_save_and_share_button_posts_the_permalink(client: TestClient) -> None:
    response = client.post("/s", data={"query": query()}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/s/")


def test_saved_page_shows_banner_embed_snippets_and_rerun(client: TestClient) -> None:
    saved = save(client)
    page = client.get(f"/s/{saved['id']}")
    assert page.status_code == 200
    text = page.text
    assert f"Saved scenario {saved['id']}" in text and "render the same forever" in text
    assert f"/s/{saved['id']}/chart.svg" in text and "Markdown" in text and "MediaWiki" in text
    assert "Confluence" in text and "&lt;iframe" in text and "<iframe" not in text  # escaped in a textarea
    assert "Llama on H100" in text and "1,460,000" in text
    rerun = client.get(f"/s/{saved['id']}/rerun")
    assert rerun.status_code == 200 and "re-run with today" in rerun.text.lower()
    assert "no change" in rerun.text and "Save as a new scenario" in rerun.text


def test_unknown_saved_page_is_a_404_page(client: TestClient) -> None:
    response = client.get("/s/nothinghere", headers={"accept": "text/html"})
    assert response.status_code == 404 and "<h1>404</h1>" in response.text


def test_live_page_offers_stateless_embed_links(client: TestClient) -> None:
    text = client.get("/?" + query()).text
    assert "/chart.svg?" in text and "Save &amp; share" in text and "follow today" in text
