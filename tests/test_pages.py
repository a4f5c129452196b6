"""The calculator page and its JSON twin through TestClient: form handling, errors kept beside their
fields, permalinks, the verdict, the chart, and never a stack trace."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html import unescape
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.catalog.api_prices import resolve_api_prices
from app.render.format import money
from app.web.presets import presets
from tests.helpers import assert_all_finite, assert_error_shape
from tests.test_forms import FLAT_VS_H100, with_values

SVG = "{http://www.w3.org/2000/svg}"


def text_of(html: str) -> str:
    """The page's visible text, roughly: tags dropped, entities decoded, whitespace squeezed."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def field_message(html: str, key: str) -> str:
    match = re.search(rf'<p class="error" id="e-{re.escape(key)}"[^>]*>(.*?)</p>', html, re.S)
    assert match, f"no message element for {key}"
    return unescape(match.group(1)).strip()


def input_value(html: str, key: str) -> str:
    match = re.search(rf'<input id="f-{re.escape(key)}" name="{re.escape(key)}"[^>]*?value="([^"]*)"', html, re.S)
    assert match, f"no input for {key}"
    return unescape(match.group(1))


def sets_sorted(value: Any) -> Any:
    """JSON with its lists of names sorted: the estimator reports some sets (its calibration
    coverage) as lists in no particular order."""
    if isinstance(value, dict):
        return {k: sets_sorted(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [sets_sorted(v) for v in value]
        return sorted(items) if all(isinstance(v, str) for v in items) else items
    return value


def get(client: TestClient, query: str, status: int = 200) -> str:
    response = client.get("/?" + query, follow_redirects=False)
    assert response.status_code == status, response.text[:2000]
    assert "Traceback" not in response.text
    return response.text


def test_empty_page_has_the_form_presets_and_no_results(client: TestClient) -> None:
    html = get(client, "")
    assert '<form id="scenario-form"' in html and 'method="get"' in html
    for preset in presets():
        assert f'href="{preset.href.replace("&", "&amp;")}"' in html
    assert 'data-row="api.0"' in html and 'data-row="sh.1"' in html  # one of each to start from
    assert "Pick a preset" in html
    assert 'rel="alternate"' not in html
    assert field_message(html, "volume") == ""  # nothing submitted, nothing marked


def test_static_files_are_served_locally(client: TestClient) -> None:
    html = get(client, "")
    assert "/static/app.css" in html and "/static/app.js" in html
    assert "http://" not in re.sub(r'href="https?://[^"]*"', "", html.split("<body")[0])  # no CDN in <head>
    assert client.get("/static/app.css").status_code == 200
    assert client.get("/static/app.js").status_code == 200


def test_design_example_verdict_table_and_work(client: TestClient) -> None:
    html = get(client, FLAT_VS_H100)
    text = text_of(html)
    # Issue 16: the winner first, with its saving: $1,460 − $1,000 = $460, 460 / 1,460 = 31.5% → "32%".
    assert (
        "Flat API is cheapest at 1M requests/month: $1,000/month, $460 (32%) less than self-hosting Llama on H100."
        in text
    )
    # Then the volumes, from the envelope: Flat API up to 1,460,000, the H100 to 2,628,000 (one replica full),
    # Flat API again to 2,920,000 (two replicas, $2,920), the H100 above: becomes 1.5M, stays 2.9M.
    volumes = "Self-hosting becomes cheaper above 1.5M requests/month (Llama on H100) and stays cheaper above 2.9M."
    assert volumes in text
    assert "1,460,000 requests/month and stays cheaper above 2,920,000" in text  # the exact explanation
    # The table: monthly cost, $/Mtok, replicas and capacity with where it came from.
    assert "$1,000" in text and "$1.00" in text and "$1.46" in text
    assert "1 replica × 1 GPU = 1 GPU" in text
    assert "measured" in text
    # Show the work: formulas with their numbers, and sources.
    assert "500 tokens × $1.00/Mtok" in text
    assert "$2.00/GPU-hour (on demand) × 730 h" in text
    assert "max(1 minimum, ⌈1,000,000 ÷ 2,628,000⌉ = 1) + 0 spare" in text
    assert "1.00 × 730 h × 3,600 s × 100% utilization ÷ 1 peak-to-average" in text
    assert "Hours per month" in text and "DESIGN §2" in text


def test_page_links_its_json_twin_and_the_twin_answers_like_the_api(client: TestClient) -> None:
    html = get(client, FLAT_VS_H100)
    match = re.search(r'<link rel="alternate" type="application/json" href="([^"]+)"', html)
    assert match
    href = unescape(match.group(1))
    assert href.startswith("/scenario.json?")
    twin = client.get(href)
    assert twin.status_code == 200
    body = twin.json()
    assert_all_finite(body)
    (pair,) = body["breakevens"]
    assert pair["first_crossover_requests_per_month"] == pytest.approx(1_460_000)
    assert pair["stays_cheaper_above_requests_per_month"] == pytest.approx(2_920_000)
    scenario_doc = {
        "workload": {"requests_per_month": 1_000_000, "input_tokens": 500, "output_tokens": 500},
        "options": [
            {"kind": "api", "name": "Flat API", "input_per_mtok": 1, "output_per_mtok": 1},
            {
                "kind": "self_hosted",
                "name": "Llama on H100",
                "model": "llama-3.3-70b",
                "gpu": "h100-sxm",
                "gpu_count": 1,
                "precision": "fp8",
                "pricing": {"kind": "rent", "per_gpu_hour": 2},
                "output_tokens_per_second": 500,
                "target_utilization": 1,
            },
        ],
        "hosted_alternatives": False,  # as the page's query (hosted=off)
    }
    api = client.post("/api/v1/breakeven", json=scenario_doc).json()
    # Issue 16: the twin's verdict is the page's, with the headline pair's Monte Carlo and horizon, which
    # the API leaves null; the rest of the verdict, and everything else, is the API's answer.
    twin_verdict, api_verdict = body.pop("verdict"), api.pop("verdict")
    assert api_verdict["how_sure"] is None and api_verdict["horizon"] is None
    assert twin_verdict["how_sure"]["draws"] == 10_000 and twin_verdict["horizon"]["months"] == 36
    for key in ("winner", "runner_up", "saving", "self_hosting_first_cheaper", "self_hosting_stays_cheaper"):
        assert twin_verdict[key] == api_verdict[key], key
    headline = "Flat API is cheapest at 1M requests/month: $1,000/month, "
    headline += "$460 (32%) less than self-hosting Llama on H100."
    assert twin_verdict["headline"] == api_verdict["headline"] == headline and headline in text_of(html)
    assert sets_sorted(api) == sets_sorted(body)


def test_json_twin_reports_errors_in_the_api_shape(client: TestClient) -> None:
    response = client.get("/scenario.json?" + with_values(FLAT_VS_H100, input_tokens="lots"))
    (item,) = assert_error_shape(response, field="input_tokens")
    assert item["loc"] == ["query", "input_tokens"]
    assert_error_shape(client.get("/scenario.json"), field="form")


@pytest.mark.parametrize("preset", presets(), ids=lambda p: p.slug)
def test_every_preset_renders_a_verdict_and_a_chart(client: TestClient, preset: object) -> None:
    html = get(client, preset.query)  # type: ignore[attr-defined]
    text = text_of(html)
    volume = re.search(r"volume=(\d+)", preset.query).group(1)  # type: ignore[attr-defined, union-attr]
    # Issue 16: the winner named first with its saving ("$90.00/month": a hosted open model, issue 14, can
    # cost under $100, printed with cents).
    headline = r" is cheapest at [\d.]+[kMB]? requests/month: \$[\d,.]+/month, \$[\d,.]+ \(\d+%\) less than "
    assert re.search(headline, text)
    assert f"at {int(volume):,} requests/month" in text
    assert 'aria-current="page"' in html  # the preset is marked as the one shown
    assert "Show the work" in text and "Sources" in text and "as of" in text.lower()
    img = re.search(r'<img src="(/chart\.svg\?[^"]+)" alt="([^"]+)"', html)
    assert img and img.group(2).startswith("Monthly cost vs volume chart. ")  # the chart, described in words
    assert " is cheapest at " in img.group(2)  # with the verdict's headline (issue 16)
    assert 'media="(max-width: 640px)"' in html  # a narrower render for phones


def test_invalid_input_is_marked_beside_its_field_and_kept(client: TestClient) -> None:
    html = get(client, with_values(FLAT_VS_H100, input_tokens="lots", sh__1__utilization_pct="120"), status=422)
    assert '<form id="scenario-form"' in html  # the full page, not an error page
    assert field_message(html, "input_tokens") == "⚠ must be a number, like 3,000,000 or 3M".removeprefix("⚠ ")
    assert input_value(html, "input_tokens") == "lots"
    assert 'aria-invalid="true"' in html
    assert field_message(html, "sh.1.utilization_pct") == "must be at most 100%"
    assert input_value(html, "sh.1.utilization_pct") == "120"
    # The rest of the form is still there with its values, and a summary links to the fields.
    assert input_value(html, "volume") == "1000000"
    assert input_value(html, "api.0.name") == "Flat API"
    assert 'href="#f-input_tokens"' in html and "2 fields need attention" in text_of(html)


def test_an_invalid_option_is_left_out_and_the_rest_still_answers(client: TestClient) -> None:
    html = get(client, with_values(FLAT_VS_H100, sh__1__output_tps="fast"), status=422)
    text = text_of(html)
    assert field_message(html, "sh.1.output_tps").startswith("must be a number")
    assert "leave out Llama on H100 until it is fixed" in text
    assert "At 1M requests/month, Flat API is the cheapest API at $1,000/month." in text


def test_a_model_that_does_not_fit_is_marked_on_the_gpu_count(client: TestClient) -> None:
    query = with_values(FLAT_VS_H100, sh__1__model="llama-3.1-405b", sh__1__gpu="l4").replace(
        "&sh.1.output_tps=500", ""
    )
    html = get(client, query, status=422)
    assert "GiB" in field_message(html, "sh.1.gpu_count")


@pytest.mark.parametrize(
    "query",
    [
        "volume=1e400&input_tokens=1&output_tokens=1&api.0.input_per_mtok=1&api.0.output_per_mtok=1",
        "volume=nan&input_tokens=-1&output_tokens=x",
        "volume=1&input_tokens=1&output_tokens=1&sh.0.model=nope&sh.0.gpu=nope&sh.0.offer=nope",
        "volume=1&input_tokens=1&output_tokens=1&sh.0.gpu=h100-sxm&sh.0.model=llama-3.1-8b&sh.0.gpu_count=3"
        "&sh.0.per_gpu_hour=2",
        "volume=1&input_tokens=1&output_tokens=1&sh.0.gpu=h100-sxm&sh.0.model=llama-3.1-8b&sh.0.gpu_count=0"
        "&sh.0.per_gpu_hour=2",
        "volume=1&input_tokens=1&output_tokens=1&sh.0.model.total_params_b=x&sh.0.gpu.memory_gib=80",
        "api.99999.name=x&sh.-1.name=y&%00=%00",
        "volume=1&input_tokens=1&output_tokens=1&api.0.provider=nope&api.0.model=nope",
    ],
)
def test_odd_input_never_breaks_the_page(client: TestClient, query: str) -> None:
    response = client.get("/?" + query, follow_redirects=False)
    assert response.status_code in (200, 303, 422)
    assert "Traceback" not in response.text and "Internal Server Error" not in response.text
    if response.status_code == 303:
        response = client.get(response.headers["location"])
        assert response.status_code in (200, 422)


KEYS = [
    "volume",
    "input_tokens",
    "output_tokens",
    "cached_pct",
    "peak_to_average",
    "api.0.model",
    "api.0.name",
    "api.0.input_per_mtok",
    "sh.1.model",
    "sh.1.gpu",
    "sh.1.gpu_count",
    "sh.1.per_gpu_hour",
    "sh.1.pricing",
    "sh.1.output_tps",
    "sh.1.purchase_offer",
    "sh.1.years",
    "volume_unit",
]
VALUES = st.one_of(
    st.sampled_from(
        [
            "",
            "0",
            "-1",
            "1",
            "2",
            "1e9",
            "3M",
            "auto",
            "buy",
            "tokens",
            "llama-3.1-8b",
            "h100-sxm",
            "gpt-5-mini",
            "hgx-h100-server",
            "∞",
            "1e999",
        ]
    ),
    st.text(max_size=8),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=10))
def test_any_mix_of_fields_answers_a_page(client: TestClient, fields: dict[str, str]) -> None:
    response = client.get("/?" + urlencode(fields) + "&partial=1")
    assert response.status_code in (200, 422)
    assert "Traceback" not in response.text


def test_a_plain_submit_redirects_to_a_clean_permalink(client: TestClient) -> None:
    submitted = FLAT_VS_H100 + "&cached_pct=0&peak_to_average=1&max_ttft_seconds=&api.0.cached_input_per_mtok="
    response = client.get("/?" + submitted, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/?" + urlencode(parse_qsl(FLAT_VS_H100))


def test_remove_drops_the_row_and_add_shows_a_blank_one(client: TestClient) -> None:
    response = client.get("/?" + FLAT_VS_H100 + "&remove=sh.1", follow_redirects=False)
    assert response.status_code == 303 and "sh.1" not in response.headers["location"]
    html = get(client, FLAT_VS_H100 + "&add=api")
    assert 'data-row="api.2"' in html
    assert field_message(html, "api.2.name") == ""  # a new row is not an error


def test_partial_answers_only_what_changes(client: TestClient) -> None:
    html = get(client, FLAT_VS_H100 + "&partial=1")
    assert "scenario-form" not in html and "<html" not in html
    # The verdict names the winner first (issue 16).
    assert 'id="results"' in html and "Flat API is cheapest at 1M requests/month" in html
    html = get(client, with_values(FLAT_VS_H100, input_tokens="lots") + "&partial=1")  # 200: a fragment
    assert '<p data-error-for="input_tokens">must be a number' in html


def test_readouts_show_the_prices_and_capacity_an_option_uses(client: TestClient) -> None:
    preset = presets()[0]
    html = get(client, preset.query)
    first_api = preset.scenario.options[0]
    expected = resolve_api_prices(first_api.model, first_api.provider).standard.input_per_mtok  # type: ignore[union-attr]
    gpt = re.search(r'id="ro-api.0"[^>]*>([^<]*)<', html)
    assert gpt and f"Uses {money(expected)} in" in gpt.group(1) and "as of 20" in gpt.group(1)
    l4 = re.search(r'id="ro-sh.2"[^>]*>([^<]*)<', html)
    assert l4 and "tok/s estimated" in l4.group(1) and "/GPU-hour" in l4.group(1)


def test_chart_is_the_rendered_spec_of_what_was_evaluated(client: TestClient) -> None:
    html = get(client, FLAT_VS_H100)
    src = re.search(r'<img src="(/chart\.svg\?[^"]+)"', html)
    assert src
    response = client.get(src.group(1).replace("&amp;", "&"))
    assert response.status_code == 200 and response.headers["content-type"] == "image/svg+xml"
    svg = ET.fromstring(response.content)
    labels = [t.text or "" for t in svg.iter(f"{SVG}text")]
    # Becomes cheaper, stays cheaper: each crossover labelled with its pair (issue 16), where there is room.
    assert "Llama on H100 vs Flat API: 1.5M" in labels and "Llama on H100 vs Flat API: 2.9M" in labels
    assert any(label.startswith("your volume: 1M") for label in labels)
    assert "Flat API" in labels and "NaN" not in response.text


def test_tokens_volume_and_more_options(client: TestClient) -> None:
    query = with_values(FLAT_VS_H100, volume="1B", volume_unit="tokens") + (
        "&api.2.name=GPT-5+mini&api.2.provider=openai&api.2.model=gpt-5-mini"
        "&sh.3.name=Bought&sh.3.model=llama-3.1-8b&sh.3.gpu=h100-sxm&sh.3.pricing=buy&sh.3.purchase_offer=dgx-h100"
        "&sh.3.cost_of_capital_pct=8"
    )
    html = get(client, query)
    text = text_of(html)
    assert "= 1M requests/month" in text
    assert "Capital per GPU-month" in text and "r = 8%/12, n = 60 months" in text
    assert "Cheapest option by volume" in text


def test_a_custom_architecture_from_the_link_rides_along_in_hidden_inputs(client: TestClient) -> None:
    query = FLAT_VS_H100.replace(
        "sh.1.model=llama-3.3-70b",
        "sh.1.model.total_params_b=70&sh.1.model.num_layers=80"
        "&sh.1.model.hidden_size=8192&sh.1.model.num_attention_heads=64"
        "&sh.1.model.num_kv_heads=8&sh.1.model.head_dim=128",
    )
    html = get(client, query)
    assert '<input type="hidden" name="sh.1.model.num_layers" value="80">' in html
    assert "Custom architecture from the link (6 figures)" in text_of(html)
    # The verdict names the winner first (issue 16); the inline model is priced as the catalog one.
    assert "$460 (32%) less than self-hosting Llama on H100" in text_of(html)


def test_save_and_share_posts_the_permalink_query(client: TestClient) -> None:
    html = get(client, FLAT_VS_H100)
    match = re.search(
        r'<form method="post" action="/s" class="save">\s*<input type="hidden" name="query" value="([^"]*)"', html
    )
    assert match
    query = unescape(match.group(1))
    assert query == urlencode(parse_qsl(FLAT_VS_H100))
    response = client.post("/s", data={"query": query}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/s/")


# ---------------------------------------------------------------------------------------------
# Beyond one crossover: over time, how sure, overflow, requirements, usage import


def test_beyond_blocks_for_the_headline_pair(client: TestClient) -> None:
    html = get(client, FLAT_VS_H100 + "&h.months=24&h.migrate_at_month=3&req=regulated_data")
    text = text_of(html)
    assert 'id="over-time"' in html and 'id="uncertainty"' in html and 'id="overflow"' in html
    assert re.search(
        r"Cheapest plan over 24 months: (API for all 24 months|Self-host from the start|API until "
        r"month \d+, then self-host) — \$[\d,]+ net\.",
        text,
    )
    assert "Assumes API prices fall 50% a year (the default)." in text
    assert "epoch.ai/data-insights/llm-inference-price-trends" in html  # the trend's source, linked
    assert "Crossover:" in text and "Payback of the migration" in text
    assert "Your plan" in text and "API until month 3, then self-host" in text
    assert re.search(r"P10 P50 P90 requests/month [\d,]+ [\d,]+ [\d,]+", text)
    assert "of 10,000 draws" in text
    assert "Cost-optimal overflow" in text and "Business hours" in text
    assert "Beyond cost" in text and "Favours Llama on H100" in text
    for kind in ("horizon", "tornado"):
        src = unescape(re.search(rf'src="(/chart\.svg\?kind={kind}&[^"]+)"', html)[1])  # type: ignore[index]
        assert client.get(src).status_code == 200
    assert "h.months=24" in unescape(re.search(r'src="(/chart\.svg\?kind=horizon&[^"]+)"', html)[1])  # type: ignore[index]
    # the formulas in "Show the work"
    assert "V_m = requests_per_month" in text and "Q' = Q × throughput" in text


def test_beyond_blocks_need_an_api_and_a_self_hosted_option(client: TestClient) -> None:
    api_only = "volume=1000000&input_tokens=500&output_tokens=500&api.0.input_per_mtok=1&api.0.output_per_mtok=1"
    html = get(client, api_only)
    assert 'id="over-time"' not in html and 'id="beyond"' not in html
    assert 'id="beyond-fields"' in html  # the settings are still in the form


def test_beyond_settings_fill_the_form_and_bad_ones_are_marked(client: TestClient) -> None:
    html = get(client, FLAT_VS_H100 + "&h.months=12&h.profile=evening_peak&req=pin_model_version")
    assert input_value(html, "h.months") == "12"
    assert re.search(r'<option value="evening_peak" selected', html)
    assert re.search(r'name="req" value="pin_model_version" id="f-req-pin_model_version" checked', html)
    bad = get(client, FLAT_VS_H100 + "&h.months=500", status=422)
    assert field_message(bad, "h.months") == "must be at most 120"
    assert 'href="#f-h.months"' in bad


def test_usage_import_fills_the_workload_and_keeps_the_options(client: TestClient) -> None:
    with open("tests/fixtures/usage/generic_requests.csv", "rb") as export:
        response = client.post(
            "/import",
            data={"query": FLAT_VS_H100 + "&h.months=12"},
            files={"file": ("usage.csv", export, "text/csv")},
            follow_redirects=False,
        )
    assert response.status_code == 303
    location = response.headers["location"]
    pairs = dict(parse_qsl(location[2:]))
    assert pairs["api.0.name"] == "Flat API" and pairs["sh.1.name"] == "Llama on H100" and pairs["h.months"] == "12"
    assert pairs["volume"] != "1000000" and pairs["h.profile"] == "custom" and len(pairs["h.hourly"].split(",")) == 24
    text = text_of(get(client, location[2:]))
    assert "Workload filled in from your usage export (13 rows read, 6 rejected" in text


def test_usage_import_that_cannot_fill_the_workload_says_so(client: TestClient) -> None:
    response = client.post(
        "/import", data={"query": FLAT_VS_H100}, files={"file": ("usage.csv", b"nothing,useful\n1,2\n", "text/csv")}
    )
    # The page itself (issue 16), not a redirect: the precise reason quotes the file, so it stays out of URLs.
    assert response.status_code == 422
    assert "could not fill in the workload" in text_of(response.text)
    assert "the file&#39;s header has nothing, useful" in response.text  # the reason the API gives
    assert input_value(response.text, "volume") == "1000000"


@pytest.mark.parametrize(
    ("key", "value", "label"),
    [
        ("api.0.model", "no-such-model-xyz", "Model"),  # an API row's model: a genai-prices id
        ("sh.1.model", "no-such-open-model", "Open model"),  # a self-hosted row's model: a catalog id
    ],
)
def test_the_error_summary_names_a_row_field_by_its_own_kind(
    client: TestClient, key: str, value: str, label: str
) -> None:
    """Both kinds of row have a `model` field; the summary must not give one the other's label."""
    page = client.get(
        "/?" + with_values(FLAT_VS_H100, **{key.replace(".", "__"): value}), headers={"accept": "text/html"}
    )
    links = [unescape(text) for text in re.findall(r'<a href="#f-' + re.escape(key) + r'">([^<]*)</a>', page.text)]
    assert len(links) == 1, links
    assert f": {label}: " in links[0], links[0]
