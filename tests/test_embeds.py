"""Charts, embeds, exports and saved scenarios (issue: charts that live in wikis)."""

from __future__ import annotations

import copy
import html
import re
import struct
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from app.main import create_app
from app.render import chart_render
from app.render.csv_export import safe_cell
from app.render.snippets import EmbedLinks, one_line
from app.scenario.inputs import ScenarioIn
from app.settings import Settings
from app.web.api import BREAKEVEN_EXAMPLE
from app.web.query_codec import scenario_to_query
from tests.helpers import assert_error_shape

# The DESIGN.md example: two APIs, one H100, and only those (no hosted Llama offers, issue 14).
SCENARIO: dict[str, Any] = {**copy.deepcopy(BREAKEVEN_EXAMPLE), "hosted_alternatives": False}
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
    # GPT (catalog-priced) is the cheapest API here, so every chart and block compares it.
    scenario = copy.deepcopy(SCENARIO)
    scenario["options"][0].update(input_per_mtok=5.0, output_per_mtok=5.0)
    with TestClient(create_app(settings)) as client:
        saved = save(client, scenario)
        before_svg = client.get(saved["links"]["chart_svg"]).content
        before_pair_charts = [client.get(saved["links"]["chart_svg"] + f"?kind={k}").content for k in PAIR_KINDS]
        before_page = _page_figures(client.get(saved["links"]["page"]).text)
        before_json = client.get(saved["links"]["json"]).json()["result"]
        live_before = client.get("/chart.svg?" + query(scenario)).content

    # Prices change after the save: genai-prices now says gpt-5-mini costs a fraction of what it did.
    import app.catalog.api_prices as api_prices
    import app.scenario.evaluate as scenario_module
    from app.core.api_cost import ApiPrices, TokenPrices

    def repriced(model: str, provider: str | None = None) -> ApiPrices:
        return ApiPrices(standard=TokenPrices(0.1, 0.1), source="changed", as_of="2099-01-01")

    monkeypatch.setattr(api_prices, "resolve_api_prices", repriced)
    monkeypatch.setattr(scenario_module, "resolve_api_prices", repriced)
    with TestClient(create_app(settings)) as client:  # a restart
        after_svg = client.get(saved["links"]["chart_svg"]).content
        after_pair_charts = [client.get(saved["links"]["chart_svg"] + f"?kind={k}").content for k in PAIR_KINDS]
        after_page = _page_figures(client.get(saved["links"]["page"]).text)
        after_json = client.get(saved["links"]["json"]).json()["result"]
        live_after = client.get("/chart.svg?" + query(scenario), headers={"Cache-Control": "no-cache"}).content
    assert after_svg == before_svg
    assert after_pair_charts == before_pair_charts  # the horizon and tornado charts too
    assert after_page == before_page  # and every dollar figure on the saved page
    assert after_json == before_json
    assert live_after != live_before  # the stateless chart does follow today's prices


PAIR_KINDS = ("horizon", "tornado")


def _page_figures(html: str) -> list[str]:
    """The dollar amounts on a page, in order: what must not move when prices change."""
    import re

    results = html[html.index('id="results"') :]
    return re.findall(r"\$[\d,]+(?:\.\d+)?", results)


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


def test_save_and_share_keeps_the_page_settings(client: TestClient) -> None:
    settings = "h.growth_pct=20&h.months=12&h.migration_weeks=30"
    response = client.post("/s", data={"query": query() + "&" + settings}, follow_redirects=False)
    page = client.get(response.headers["location"]).text
    for key, value in (("h.growth_pct", "20"), ("h.months", "12"), ("h.migration_weeks", "30")):
        assert f'name="{key}"' in page
        field = page[page.index(f'name="{key}"') - 300 : page.index(f'name="{key}"') + 300]
        assert f'value="{value}"' in field, key
    assert "h.months=12" in page  # the saved horizon chart is drawn with the saved settings


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


PAIR = {**SCENARIO, "options": [SCENARIO["options"][0], SCENARIO["options"][2]]}


def test_horizon_chart_is_well_formed_and_names_the_plans(client: TestClient) -> None:
    response = client.get("/chart.svg?" + query(PAIR, kind="horizon") + "&h.months=24&h.migrate_at_month=6")
    assert response.status_code == 200, response.text
    ET.fromstring(response.content)
    text = response.text
    assert "Cumulative cost over time" in text and "Cumulative cost (USD)" in text and "Month" in text
    assert "Cheapest: Flat API throughout" in text and "Your plan: API until month 6, then self-host" in text
    assert "API prices −50%/year (default; Epoch AI trend" in text
    embed = client.get("/embed?" + query(PAIR, kind="horizon") + "&h.months=24")
    assert embed.status_code == 200 and "kind=horizon" in embed.text and "h.months=24" in embed.text
    png = client.get("/chart.png?" + query(PAIR, kind="horizon", scale=1))
    assert png.status_code == 200 and png_size(png.content) == (720, 400)


def test_tornado_chart_is_well_formed_and_names_the_inputs(client: TestClient) -> None:
    response = client.get("/chart.svg?" + query(kind="tornado"))
    assert response.status_code == 200, response.text
    ET.fromstring(response.content)
    text = response.text
    assert "What moves the break-even volume" in text and "requests/month" in text
    for label in ("API price", "GPU price", "Target utilization", "Throughput per replica"):
        assert label in text
    assert "Llama on H100 vs Flat API" in text  # the headline pair: the cheapest API at this volume


def test_pair_charts_need_an_api_and_a_self_hosted_option(client: TestClient) -> None:
    api_only = {**SCENARIO, "options": SCENARIO["options"][:2]}
    for kind in ("horizon", "tornado"):
        assert_error_shape(client.get("/chart.svg?" + query(api_only, kind=kind)), field="kind")
    assert_error_shape(client.get("/chart.svg?" + query(PAIR, kind="horizon") + "&h.months=0"), field="h.months")


def test_a_new_renderer_changes_a_saved_chart_s_etag(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    url = save(client)["links"]["chart_svg"]
    before = client.get(url).headers["etag"]
    monkeypatch.setattr(chart_render, "RENDERER", chart_render.RENDERER + "-next")
    after = client.get(url, headers={"If-None-Match": before})
    assert after.status_code == 200 and after.headers["etag"] != before


def test_saved_pair_charts_and_horizon_settings_change_the_etag(client: TestClient) -> None:
    saved = save(client, PAIR)
    url = saved["links"]["chart_svg"]
    horizon = client.get(url + "?kind=horizon")
    assert horizon.status_code == 200 and "Flat API throughout" in horizon.text
    shorter = client.get(url + "?kind=horizon&h.months=12")
    assert shorter.status_code == 200 and shorter.headers["etag"] != horizon.headers["etag"]
    assert client.get(url + "?kind=tornado").status_code == 200
    assert client.get(saved["links"]["chart_png"] + "?kind=horizon&scale=1").status_code == 200
    page = client.get(saved["links"]["page"])
    assert f"/s/{saved['id']}/chart.svg?kind=horizon" in page.text


# --- issue 12: snippets escape for their own syntax; CSV cells never open a formula ----------------

HOSTILE_NAMES = [
    "--><h1>x</h1>! {html}[[Category:Spam]]",  # the issue's name: closes the comment and the macro
    '"><script>alert(1)</script>',
    "](javascript:alert(1)) [x](http://evil.example)",
    "`code ]` ** _x_ ~~y~~ | a | $x$",
    "a|b!c{d}e,f=g",
    "line\nbreak\r\ttab\u2028sep\u202eevil",
    "~~~~ signed, ~~~ ~~~~~",
    "back\\slash \\] \\\\",
    "ends with a hyphen -",
    "<!-- nested --!> -- -",
    "&amp; &lt;b&gt; &#x3C;",
    "",
]
HOSTILE_URL = "http://h.example/s/x?a=(1)|b!c]d[e\"f'g h~~~~<i>{j}`k\\l"


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.starts: list[tuple[str, dict[str, str | None]]] = []
        self.ends: list[str] = []
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.starts.append((tag, dict(attrs)))

    def handle_endtag(self, tag: str) -> None:
        self.ends.append(tag)

    def handle_data(self, data: str) -> None:
        self.text += data


def _tags(snippet: str) -> _Tags:
    parser = _Tags()
    parser.feed(snippet)
    parser.close()
    return parser


def _embed_links(alt: str, url: str = "http://h.example/s/abc") -> EmbedLinks:
    return EmbedLinks(
        page_url=url,
        svg_url=url + ".svg",
        png_url=url + ".png",
        embed_url=url + "/embed",
        csv_url=url + ".csv",
        alt=alt,
        saved=True,
    )


def _snippet(links: EmbedLinks, label: str) -> str:
    return dict(links.snippets())[label]


def check_markdown(snippet: str, alt: str) -> None:
    match = re.fullmatch(r"\[!\[((?:\\.|[^\\\[\]])*)\]\(([^\s()<>]+)\)\]\(([^\s()<>]+)\)", snippet)
    assert match, snippet
    text = match[1]
    assert not set(re.sub(r"\\.", "", text)) & set("[]`<>&*_~|$(){}!\\"), text  # every special is escaped
    assert re.sub(r"\\(.)", r"\1", text) == one_line(alt)


def check_html_image(snippet: str, alt: str) -> None:
    tags = _tags(snippet)
    assert [tag for tag, _ in tags.starts] == ["a", "img"] and tags.ends == ["a"] and tags.text == ""
    assert tags.starts[1][1]["alt"] == one_line(alt) and set(tags.starts[1][1]) == {"src", "alt", "width"}


def check_html_iframe(snippet: str, alt: str) -> None:
    tags = _tags(snippet)
    assert [tag for tag, _ in tags.starts] == ["iframe"] and tags.ends == ["iframe"] and tags.text == ""
    assert tags.starts[0][1]["title"] == one_line(alt)


def check_confluence(snippet: str, alt: str) -> None:
    match = re.fullmatch(r'!([^\s!|,"{}\[\]]+)\|alt="([^!|,"{}\[\]\\\n]*)",width=720!', snippet)
    assert match, snippet
    kept = set(one_line(alt)) - set('!|,"{}[]\\')
    assert set(match[2]) - {" "} == kept - {" "}  # only the markup characters are gone


def check_mediawiki(snippet: str, alt: str) -> None:
    match = re.fullmatch(r"\[([^\s\[\]<>\"{}|~]+) ([^\s\[\]<>\"{}|~]+)\]\n<!-- (.*) -->", snippet)
    assert match, snippet
    comment = match[3]
    assert "--" not in comment and "~~~" not in comment and "\n" not in comment
    assert comment.replace(" ", "") == one_line(alt).replace(" ", "")  # only spaces were added


SNIPPET_CHECKS = {
    "Markdown": check_markdown,
    "HTML image": check_html_image,
    "HTML iframe": check_html_iframe,
    "Confluence (wiki markup)": check_confluence,
    "MediaWiki": check_mediawiki,
}


@pytest.mark.parametrize("label", SNIPPET_CHECKS)
@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_every_snippet_escapes_hostile_names_for_its_syntax(label: str, name: str) -> None:
    SNIPPET_CHECKS[label](_snippet(_embed_links(f"Chart. {name} is cheaper"), label), f"Chart. {name} is cheaper")


@pytest.mark.parametrize("label", SNIPPET_CHECKS)
def test_every_snippet_escapes_its_urls(label: str) -> None:
    SNIPPET_CHECKS[label](_snippet(_embed_links("alt", HOSTILE_URL), label), "alt")


@settings(max_examples=60, deadline=None)
@given(alt=st.text(max_size=40))
def test_snippets_hold_for_any_name(alt: str) -> None:
    links = _embed_links(alt)
    for label, check in SNIPPET_CHECKS.items():
        check(_snippet(links, label), alt)


def test_saved_page_snippets_survive_the_issues_name(client: TestClient) -> None:
    evil = copy.deepcopy(SCENARIO)
    evil["options"][0]["name"] = HOSTILE_NAMES[0]
    page = client.get(f"/s/{save(client, evil)['id']}").text
    snippets = [html.unescape(text) for text in re.findall(r"<textarea[^>]*>(.*?)</textarea>", page, flags=re.S)]
    assert len(snippets) == len(SNIPPET_CHECKS)
    mediawiki, confluence = snippets[-1], snippets[-2]
    assert mediawiki.count("-->") == 1 and mediawiki.endswith(" -->") and "[[Category:Spam]]" in mediawiki
    assert confluence.count("!") == 2 and "{html}" not in confluence


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (" =1+1", "' =1+1"),
        ("\n=1+1", "'\n=1+1"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("\u3000=1", "'\u3000=1"),  # ideographic space
        ("\u00a0=1", "'\u00a0=1"),  # no-break space
        ("\ufeff=1", "'\ufeff=1"),  # a BOM hides what follows
        ("\u200b=1", "'\u200b=1"),  # zero-width space
        ("\x00=1", "'\x00=1"),
        ("＝1+1", "'＝1+1"),  # full-width forms
        ("＋1", "'＋1"),
        ("－1", "'－1"),
        ("＠SUM(A1)", "'＠SUM(A1)"),
        ("﹦1", "'﹦1"),  # small forms
        ("﹢1", "'﹢1"),
        ("﹣1", "'﹣1"),
        ("﹫x", "'﹫x"),
        ("\u22121", "'\u22121"),  # minus sign
        ("Llama = fast", "Llama = fast"),  # only the first character matters
        ("", ""),
        ("émigré", "émigré"),
    ],
)
def test_csv_cells_with_hidden_formula_starts_are_neutralised(value: str, expected: str) -> None:
    assert safe_cell(value) == expected


FORMULA_STARTS = "=+-@\u2212＝＋－＠﹦﹢﹣﹫ \t\r\n\u3000\ufeff"


@settings(max_examples=100, deadline=None)
@given(value=st.text(max_size=12) | st.builds(lambda c, s: c + s, st.sampled_from(FORMULA_STARTS), st.text(max_size=8)))
def test_a_safe_cell_never_opens_a_formula(value: str) -> None:
    cell = safe_cell(value)
    assert cell in (value, "'" + value)  # neutralised by a prefix, never rewritten
    if value and value[0] in FORMULA_STARTS:
        assert cell == "'" + value
    assert cell == "" or cell[0] not in FORMULA_STARTS  # what a spreadsheet reads first never opens a formula


def test_csv_export_neutralises_a_full_width_formula_name(client: TestClient) -> None:
    evil = copy.deepcopy(SCENARIO)
    evil["options"][0]["name"] = '＝HYPERLINK("http://x")'
    text = client.get("/data.csv?" + query(evil)).text
    assert "'＝HYPERLINK" in text and ",＝HYPERLINK" not in text


def test_csv_opens_in_excel_as_utf8_with_the_header_first(client: TestClient) -> None:
    # Issue 16: Excel on Windows showed "2Ã—H100" (UTF-8 read as ANSI) and took a "# ..." comment line
    # for the header. The BOM makes it read UTF-8; the header is the first row.
    import csv as csv_module
    import io as io_module

    body = client.get("/data.csv?" + query()).content
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv_module.reader(io_module.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:4] == ["section", "option", "kind", "monthly_cost_usd"]
    llama = next(r for r in rows if r[:2] == ["option", "Llama on H100"])
    header = rows[0]
    assert llama[header.index("instances")] == "1" and llama[header.index("idle_gpus")] == "0"
    assert llama[header.index("precision")] == "fp8"
    assert rows[-1][0] == "note"
