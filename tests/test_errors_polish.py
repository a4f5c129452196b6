"""Issue 16, "Errors where the user is" and "Numbers in sentences": import errors beside the upload field,
no raw JSON on an HTML route (embeds answer an error card), an empty form's Compare says what is missing,
no "did you mean" for the very id refused, numbers in sentences as the table writes them, a warning for an
absurd fleet, a title per page and link-preview tags on saved scenarios. The browser test at the end
checks the import error at 390 px."""

from __future__ import annotations

import copy
import re
from html import unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.errors import UnknownId
from app.main import create_app
from app.render.format import money, money_per_request, volume
from app.render.usage_import import form_figures
from app.scenario.usage_import import UsageImporter
from app.settings import Settings
from app.web.api import BREAKEVEN_EXAMPLE
from app.web.presets import presets

FLAT_VS_H100 = urlencode(
    {
        "volume": "1000000",
        "input_tokens": "500",
        "output_tokens": "500",
        "hosted": "off",
        "api.0.name": "Flat API",
        "api.0.input_per_mtok": "1",
        "api.0.output_per_mtok": "1",
        "sh.1.name": "Llama on H100",
        "sh.1.model": "llama-3.3-70b",
        "sh.1.gpu": "h100-sxm",
        "sh.1.precision": "fp8",
        "sh.1.per_gpu_hour": "2",
        "sh.1.output_tps": "500",
        "sh.1.utilization_pct": "100",
    }
)
FIXTURES = Path(__file__).parent / "fixtures" / "usage"


def field_message(html: str, key: str) -> str:
    match = re.search(rf'<p class="error" id="e-{re.escape(key)}"[^>]*>(.*?)</p>', html, re.S)
    assert match, f"no message element for {key}"
    return unescape(match.group(1)).strip()


def input_value(html: str, key: str) -> str:
    match = re.search(rf'<input id="f-{re.escape(key)}" name="{re.escape(key)}"[^>]*?value="([^"]*)"', html, re.S)
    assert match, f"no input for {key}"
    return unescape(match.group(1))


def assert_html_page(response: Any, status: int) -> str:
    assert response.status_code == status, response.text[:1000]
    assert response.headers["content-type"].startswith("text/html")
    assert '"detail"' not in response.text and "Traceback" not in response.text
    return str(response.text)


# --- the usage import, beside its field -------------------------------------------------------------


@pytest.mark.parametrize(
    "files", [None, {"file": ("", b"", "application/octet-stream")}], ids=["no-part", "empty-part"]
)
def test_import_without_a_file_says_choose_one_beside_the_field(client: TestClient, files: Any) -> None:
    response = client.post("/import", data={"query": FLAT_VS_H100}, files=files, follow_redirects=False)
    html = assert_html_page(response, 422)
    assert field_message(html, "import") == "Choose a CSV file to import"
    assert 'aria-describedby="h-import e-import" aria-invalid="true" autofocus' in html
    # The form is kept: the workload and the options the user had.
    assert input_value(html, "volume") == "1000000" and input_value(html, "api.0.name") == "Flat API"
    assert 'href="#f-import-file">Usage export (CSV): Choose a CSV file to import' in html  # the error summary


BAD_EXPORTS = [
    pytest.param(b"nothing,useful\n1,2\n", id="columns"),
    pytest.param(b"timestamp,input_tokens,output_tokens\nyesterday,1,1\n", id="rows"),
    pytest.param(b'timestamp,"input_tokens\n', id="header"),
    pytest.param(b"timestamp,input_tokens,output_tokens\n", id="header-only"),
]


@pytest.mark.parametrize("export", BAD_EXPORTS)
def test_a_bad_export_shows_the_apis_precise_reason_beside_the_field(client: TestClient, export: bytes) -> None:
    api = client.post("/api/v1/usage-import", content=export, headers={"content-type": "text/csv"})
    assert api.status_code == 422
    reason = api.json()["detail"][0]["msg"]
    response = client.post(
        "/import",
        data={"query": FLAT_VS_H100},
        files={"file": ("usage.csv", export, "text/csv")},
        follow_redirects=False,
    )
    html = assert_html_page(response, 422)
    message = field_message(html, "import")
    assert message == f"This file could not fill in the workload: {reason}."
    assert "/api/v1/usage-import" not in message and "POST" not in html.split('id="results"')[1]
    assert input_value(html, "volume") == "1000000"


def test_an_export_without_request_counts_says_why_in_words(client: TestClient) -> None:
    export = (FIXTURES / "anthropic_usage_1h.csv").read_bytes()  # Anthropic's report has no request counts
    api = client.post("/api/v1/usage-import", content=export, headers={"content-type": "text/csv"})
    assert api.status_code == 200 and api.json()["workload"] is None
    rows = api.json()["rows"]
    response = client.post("/import", files={"file": ("usage.csv", export, "text/csv")}, follow_redirects=False)
    message = field_message(assert_html_page(response, 422), "import")
    assert message.startswith(
        f"This file could not fill in the workload ({rows['total']:,} rows read, {rows['rejected']:,} rejected): "
        "it has no request counts: export with a requests column"
    )


def test_a_good_export_fills_the_form_rounded_and_says_so_plainly(client: TestClient) -> None:
    with open(FIXTURES / "generic_requests.csv", "rb") as export:
        response = client.post(
            "/import",
            data={"query": FLAT_VS_H100},
            files={"file": ("u.csv", export, "text/csv")},
            follow_redirects=False,
        )
    assert response.status_code == 303
    pairs = dict(parse_qsl(response.headers["location"][2:]))
    # Hand check against the API's exact figures: 3 significant figures, whole requests.
    exact = client.post(
        "/api/v1/usage-import",
        content=(FIXTURES / "generic_requests.csv").read_bytes(),
        headers={"content-type": "text/csv"},
    ).json()
    assert pairs["volume"] == str(round(exact["per_month"]["requests_per_month"]))
    three_figures = float(f"{exact['input_tokens_per_request']:.3g}")
    assert float(pairs["input_tokens"]) == three_figures and "." not in pairs["volume"]
    assert all(len(w.replace(".", "").lstrip("0")) <= 3 for w in pairs["h.hourly"].split(","))
    page = client.get(response.headers["location"])
    assert "rows that could not be read are left out" in page.text and "/api/v1/usage-import for" not in page.text


EXPORT_ROWS = st.lists(
    st.tuples(
        st.integers(0, 23),  # hour of the day
        st.integers(1, 50),  # requests in the row
        st.floats(0, 100_000, allow_nan=False),  # input tokens per request
        st.floats(1, 10_000, allow_nan=False),  # output tokens per request
        st.floats(0, 1),  # cached share of the input
    ),
    min_size=1,
    max_size=20,
)


@settings(max_examples=40, deadline=None)
@given(rows=EXPORT_ROWS)
def test_imported_figures_read_as_typed_and_stay_within_half_a_percent(rows: list[Any]) -> None:
    lines = ["timestamp,requests,input_tokens,cached_tokens,output_tokens"]
    for hour, requests, input_each, output_each, cached_share in rows:
        tokens_in, tokens_out = input_each * requests, output_each * requests
        lines.append(
            f"2026-03-02T{hour:02d}:00:00Z,{requests},{tokens_in!r},{tokens_in * cached_share!r},{tokens_out!r}"
        )
    importer = UsageImporter()
    importer.feed("\n".join(lines).encode())
    summary = importer.finish()
    figures = form_figures(summary)
    assert figures is not None and summary.workload is not None
    w = figures.workload
    assert w.requests_per_month is not None and float(w.requests_per_month).is_integer()
    for rounded, exact in (
        (w.input_tokens, summary.workload["input_tokens"]),
        (w.output_tokens, summary.workload["output_tokens"]),
    ):
        assert float(f"{rounded:.3g}") == rounded  # no more than 3 significant figures
        assert rounded == pytest.approx(exact, rel=0.005, abs=0.5)
    assert round(w.cached_input_fraction, 3) == w.cached_input_fraction
    assert w.cached_input_fraction + w.cache_write_fraction <= 1


# --- no raw JSON on an HTML route -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "status", "reason"),
    [
        ("/embed", 422, "Give a workload and at least one option"),
        ("/embed?volume=-5", 422, "Volume: must be at least 1"),
        ("/embed?" + FLAT_VS_H100 + "&width=wide", 422, "Width must be a whole number of pixels"),
        (
            "/embed?" + FLAT_VS_H100.replace("llama-3.3-70b", "llama-3.3-70"),
            422,
            "unknown model id &#39;llama-3.3-70&#39;",
        ),
        ("/s/doesnotexist/embed", 404, "No saved scenario with this id"),
    ],
)
def test_embeds_answer_an_error_card_that_fits_an_iframe(
    client: TestClient, path: str, status: int, reason: str
) -> None:
    response = client.get(path)
    html = assert_html_page(response, status)
    assert 'class="card"' in html and reason in html and "<script" not in html
    assert "x-frame-options" not in response.headers  # an embed's card must show inside the wiki's iframe
    assert 'target="_blank"' in html  # "Open Breakeven" leaves the iframe


def test_a_saved_embeds_bad_horizon_setting_is_a_card(client: TestClient) -> None:
    saved = client.post("/api/v1/scenarios", json=BREAKEVEN_EXAMPLE).json()
    html = assert_html_page(client.get(saved["links"]["embed"] + "?h.months=500"), 422)
    assert "must be at most 120" in html


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/?volume=-5", 422),
        ("GET", "/s/doesnotexist", 404),
        ("GET", "/s/doesnotexist/rerun", 404),
        ("POST", "/import", 422),
    ],
)
def test_every_html_route_answers_errors_in_html(client: TestClient, method: str, path: str, status: int) -> None:
    assert_html_page(client.request(method, path, headers={"accept": "text/html"}), status)


def test_images_and_the_api_keep_the_json_error_shape(client: TestClient) -> None:
    for path in ("/chart.svg?volume=-5", "/s/doesnotexist/chart.png", "/api/v1/scenarios/doesnotexist"):
        response = client.get(path)
        assert response.status_code in (404, 422) and "detail" in response.json()


# --- an empty form's Compare ------------------------------------------------------------------------

BLANK_FORM = [
    ("volume", ""),
    ("volume_unit", "requests"),
    ("input_tokens", ""),
    ("output_tokens", ""),
    ("cached_pct", "0"),
    ("api.0.name", ""),
    ("api.0.model", ""),
    ("hosted", "on"),
    ("sh.1.name", ""),
    ("sh.1.model", ""),
    ("sh.1.pricing", "rent"),
    ("h.months", "36"),
]
MISSING = {
    "volume": "required: how many requests (or tokens) a month",
    "input_tokens": "required",
    "output_tokens": "required",
    "options": "add at least one option: an API model or a self-hosted model",
}


def test_compare_on_an_empty_form_says_what_is_missing(client: TestClient) -> None:
    response = client.get("/?" + urlencode(BLANK_FORM), follow_redirects=False)
    html = assert_html_page(response, 422)
    for key, message in MISSING.items():
        assert field_message(html, key) == message
    assert "4 fields need attention" in html
    assert 'data-row="api.0"' in html and 'data-row="sh.1"' in html  # the blank rows are still there to fill


def test_the_scripts_compare_on_an_empty_form_gets_the_same_messages(client: TestClient) -> None:
    html = client.get("/?partial=1").text
    found = dict(re.findall(r'<p data-error-for="([^"]+)">([^<]*)</p>', html))
    assert found == MISSING


def test_a_page_opened_empty_greets_without_messages(client: TestClient) -> None:
    html = assert_html_page(client.get("/"), 200)
    assert 'id="problems"' not in html
    add = client.get("/?" + urlencode([*BLANK_FORM, ("add", "api")]), follow_redirects=False)
    assert add.status_code == 303 and add.headers["location"] == "/?add=api"  # adding a row is not a Compare


# --- "did you mean" -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "suggestions", "kept"),
    [
        ("llama-3.3-70b", ["llama-3.3-70b", "llama-3.1-70b"], ["llama-3.1-70b"]),
        ("Llama 3.3 70B", ["llama-3.3-70b"], []),
        ("llama_3.3_70b", ["llama-3.3-70b", "llama-3.3-70b-versatile"], ["llama-3.3-70b-versatile"]),
        ("llama-3.3-70", ["llama-3.3-70b"], ["llama-3.3-70b"]),
    ],
)
def test_did_you_mean_never_suggests_the_id_it_refused(given: str, suggestions: list[str], kept: list[str]) -> None:
    error = UnknownId("model", given, suggestions)
    assert error.suggestions == kept
    assert ("did you mean" in error.message) == bool(kept)


@given(given=st.text(min_size=1, max_size=20), others=st.lists(st.text(min_size=1, max_size=20), max_size=4))
def test_no_suggestion_reads_as_the_refused_id(given: str, others: list[str]) -> None:
    error = UnknownId("model", given, [given, given.upper(), f" {given} ", *others])
    assert all(s.strip().casefold() != given.strip().casefold() for s in error.suggestions)


def test_a_real_typo_still_gets_its_suggestion(client: TestClient) -> None:
    html = client.get(
        "/?" + FLAT_VS_H100.replace("llama-3.3-70b", "llama-3.3-70"), headers={"accept": "text/html"}
    ).text
    assert "did you mean &#39;llama-3.3-70b&#39;" in html


# --- numbers in sentences, and an absurd fleet --------------------------------------------------------


def test_sentence_formatters_write_no_exponent_and_no_bare_thousand_trillions() -> None:
    assert money_per_request(9.41e-05) == "$0.0000941 per request"
    assert money(9.41e-05) == "$0.0000941"
    assert volume(1e15) == "1,000T" and volume(999.96e12) == "1,000T"


def absurd(requests_per_month: float) -> dict[str, Any]:
    body = copy.deepcopy(BREAKEVEN_EXAMPLE)
    body["workload"]["requests_per_month"] = requests_per_month
    body["hosted_alternatives"] = False
    return body


def test_an_absurd_volume_is_answered_with_a_fleet_warning(client: TestClient) -> None:
    body = client.post("/api/v1/breakeven", json=absurd(1e15)).json()
    [warning] = [w for w in body["warnings"] if "GPUs: check the volume" in w]
    # Hand check: 500 output tok/s ÷ 500 output tokens = 1 request/s per 1-GPU replica at 100% utilization,
    # 730 × 3600 = 2,628,000 requests per replica-month; ⌈1e15 ÷ 2,628,000⌉ = 380,517,504 GPUs.
    assert warning.startswith("380,517,504 GPUs: check the volume. Llama on H100 needs 380,517,504 GPUs")
    assert "e+" not in warning and "e-" not in warning
    page = client.get("/?" + FLAT_VS_H100.replace("volume=1000000", "volume=1e15"), headers={"accept": "text/html"})
    assert "380,517,504 GPUs: check the volume" in page.text
    verdict = unescape(re.search(r'id="verdict-text">(.*?)</p>', page.text, re.S)[1])  # type: ignore[index]
    assert "1,000T requests/month" in verdict and not re.search(r"\d(e[+-]\d|000T)", verdict)


@pytest.mark.parametrize(
    ("requests_per_month", "warned"),
    [
        # 10,000 replicas × 2,628,000 = 26,280,000,000 requests: exactly the bound, no warning.
        (26_280_000_000, False),
        # Half a replica more: ⌈10,000.5⌉ = 10,001 GPUs, one over.
        (26_281_314_000, True),
        (1_000_000, False),
    ],
)
def test_the_fleet_warning_starts_above_ten_thousand_gpus(
    client: TestClient, requests_per_month: float, warned: bool
) -> None:
    warnings = client.post("/api/v1/breakeven", json=absurd(requests_per_month)).json()["warnings"]
    assert any("GPUs: check the volume" in w for w in warnings) == warned
    if warned:
        assert any(w.startswith("10,001 GPUs") for w in warnings)


def test_a_reruns_costs_read_as_the_tables(client: TestClient) -> None:
    saved = client.post("/api/v1/scenarios", json=absurd(1_000_000)).json()
    text = re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", client.get(f"/s/{saved['id']}/rerun").text)))
    assert "Llama on H100: $1,460 → $1,460 per month (no change)." in text  # not "$1,460.00"


# --- titles and link previews -------------------------------------------------------------------------


def title_of(html: str) -> str:
    return unescape(re.search(r"<title>(.*?)</title>", html, re.S)[1])  # type: ignore[index]


def meta(html: str, name: str) -> str | None:
    match = re.search(rf'<meta (?:property|name)="{re.escape(name)}" content="([^"]*)">', html)
    return unescape(match[1]) if match else None


def test_each_page_has_its_own_title(client: TestClient) -> None:
    preset = presets()[0]
    assert title_of(client.get(preset.href).text) == f"{preset.title} · Breakeven"
    html = client.get("/?" + FLAT_VS_H100).text
    verdict = unescape(re.search(r'id="verdict-text">(.*?)</p>', html, re.S)[1]).strip()  # type: ignore[index]
    title = title_of(html)
    assert title.endswith(" · Breakeven") and verdict.startswith(title.removesuffix(" · Breakeven").rstrip("…"))
    assert title_of(client.get("/").text) == "Breakeven: self-hosted open models vs closed LLM APIs"
    assert meta(client.get("/?" + FLAT_VS_H100).text, "og:title") is None  # previews are for saved scenarios


def test_a_saved_scenario_has_its_name_and_link_preview_tags(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, public_base_url="https://breakeven.example.com")
    with TestClient(create_app(settings)) as client:
        saved = client.post("/api/v1/scenarios", json=absurd(1_000_000)).json()
        html = client.get(f"/s/{saved['id']}").text
    verdict = unescape(re.search(r'id="verdict-text">(.*?)</p>', html, re.S)[1]).strip()  # type: ignore[index]
    assert title_of(html) == "Flat API vs GPT vs Llama on H100 · saved scenario · Breakeven"
    assert meta(html, "og:title") == "Flat API vs GPT vs Llama on H100 · Breakeven"
    assert meta(html, "og:description") == verdict == meta(html, "twitter:description")
    assert meta(html, "og:image") == f"https://breakeven.example.com/s/{saved['id']}/chart.png"
    assert meta(html, "og:url") == f"https://breakeven.example.com/s/{saved['id']}"
    assert meta(html, "twitter:card") == "summary_large_image"


def test_without_public_base_url_the_preview_uses_a_trusted_requests_base_only(client: TestClient) -> None:
    saved = client.post("/api/v1/scenarios", json=absurd(1_000_000)).json()
    trusted = client.get(f"/s/{saved['id']}", headers={"host": "localhost"}).text
    assert meta(trusted, "og:image") == f"http://localhost/s/{saved['id']}/chart.png"
    # A Host the settings do not trust never reaches a (publicly cached) page: no image rather than a forged one.
    forged = client.get(f"/s/{saved['id']}", headers={"host": "evil.example"}).text
    assert meta(forged, "og:image") is None and "evil.example" not in forged
    assert meta(forged, "twitter:card") == "summary_large_image"


# --- in a real browser, at phone width ----------------------------------------------------------------


@pytest.mark.browser
def test_the_import_error_shows_beside_the_upload_field_on_a_phone(tmp_path: Path) -> None:
    from tests.test_browser import PHONE, expect, new_page, screenshot

    browser_module = pytest.importorskip("playwright.sync_api")
    server = _serve(tmp_path)
    try:
        with browser_module.sync_playwright() as playwright:
            from tests.test_browser import CHROMIUM, CHROMIUM_ARGS

            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            context, page, problems = new_page(browser, viewport=PHONE)
            page.goto(server.url + "/?" + FLAT_VS_H100)
            page.click("#edit-scenario")  # a permalink opens on the results; the form is one tap away
            bad = tmp_path / "usage.csv"
            bad.write_bytes(b"nothing,useful\n1,2\n")
            page.set_input_files("#f-import-file", str(bad))
            page.click("#import-submit")
            message = page.locator("#e-import")
            expect(message).to_be_visible()
            expect(message).to_contain_text("This file could not fill in the workload: the generic format needs")
            field, shown = page.locator("#f-import-file").bounding_box(), message.bounding_box()
            assert 0 <= shown["y"] - (field["y"] + field["height"]) < 80  # right under the field it is about
            assert shown["x"] + shown["width"] <= PHONE["width"]  # wraps within the phone's width
            assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
            assert page.locator("#f-volume").input_value() == "1000000"  # the form kept
            # The page opens on the field (autofocus), its reason in view: no scrolling to find it.
            expect(page.locator("#f-import-file")).to_be_focused()
            expect(message).to_be_in_viewport()
            screenshot(page, "import-error-390.png", full_page=False)
            context.close()
            browser.close()
            assert [p for p in problems if "status of 422" not in p] == []
    finally:
        server.stop()


class _Server:
    def __init__(self, url: str, stop: Any) -> None:
        self.url = url
        self.stop = stop


def _serve(tmp_path: Path) -> _Server:
    import socket
    import threading
    import time

    import uvicorn

    app = create_app(Settings(data_dir=tmp_path / "data"))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", ws="none", lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.05)

    def stop() -> None:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()

    return _Server(f"http://127.0.0.1:{sock.getsockname()[1]}", stop)
