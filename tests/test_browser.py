"""The calculator in a real headless Chromium (Debian's, at /usr/bin/chromium), driven by Playwright.

It loads a preset, edits a field and sees the verdict change without a reload (the JavaScript path),
submits invalid input and sees the message beside the field, does the same with JavaScript off, and
checks the phone layout. Screenshots go to test-artifacts/ (gitignored) for a person to look at.
"""

from __future__ import annotations

import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from app.main import create_app
from app.settings import Settings

pytestmark = pytest.mark.browser

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 15_000
DESKTOP = {"width": 1440, "height": 1000}
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def base_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app served by uvicorn on a free loopback port, in a thread, for this module's tests."""
    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("data")))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level="warning", ws="none", lifespan="off")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start serving the app within 20 s")
        time.sleep(0.05)
    # Load the chart renderer once (about a second in a fresh process) before any page waits on it.
    from app.web.presets import presets

    urllib.request.urlopen(f"http://127.0.0.1:{port}/chart.svg?{presets()[0].query}", timeout=60).close()
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing, so the browser tests cannot run. Install Debian's Chromium "
            "(`make test` does it: apt-get install chromium); never `playwright install`."
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - the test extra declares it
        pytest.fail("playwright is not installed: pip install -e '.[test]'")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def new_page(
    browser: Any, *, viewport: dict[str, int] = DESKTOP, javascript: bool = True
) -> tuple[Any, Any, list[str]]:
    context = browser.new_context(viewport=viewport, java_script_enabled=javascript)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("console", lambda message: problems.append(message.text) if is_problem(message) else None)
    return context, page, problems


def is_problem(message: Any) -> bool:
    # A page with invalid input answers 422 by design, and Chromium logs that as a failed load.
    return bool(message.type == "error" and "status of 422" not in message.text)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context, page, problems = new_page(browser)
    yield page
    context.close()
    assert problems == [], problems


def screenshot(page: Any, name: str, *, full_page: bool = True) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), full_page=full_page)


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def open_preset(page: Any, base_url: str, title: str) -> None:
    page.goto(base_url + "/")
    page.get_by_role("link", name=title).click()
    expect(page.locator("#verdict-text")).to_be_visible()


def test_preset_then_typing_updates_the_verdict_without_a_reload(page: Any, base_url: str) -> None:
    open_preset(page, base_url, "RAG assistant")
    verdict = page.locator("#verdict-text")
    # Issue 16: the winner first (here a hosted open model), then what it saves against self-hosting.
    expect(verdict).to_contain_text(" is cheapest at 3M requests/month: $")
    expect(verdict).to_contain_text("less than self-hosting Llama 3.3 70B on 2×H100.")
    expect(page.locator(".preset[aria-current=page]")).to_contain_text("RAG assistant")
    screenshot(page, "preset-desktop.png")

    page.evaluate("window.stillTheSamePage = true")
    page.fill("#f-volume", "30M")
    expect(verdict).to_contain_text(" at 30M requests/month")  # issue 16: the winner is named first
    assert page.evaluate("window.stillTheSamePage") is True  # swapped in place, not reloaded
    assert "volume=30M" in page.url  # the address bar stays a permalink
    expect(page.locator("#ro-volume")).to_have_text("= 132B tokens/month")
    json_twin = page.locator("link[rel=alternate][type='application/json']")
    assert "volume=30M" in (json_twin.get_attribute("href") or "")
    screenshot(page, "typed-desktop.png")

    # The permalink reproduces the page.
    text = verdict.inner_text()
    page.goto(page.url)
    expect(page.locator("#verdict-text")).to_have_text(text)


def test_the_verdict_links_its_price_trend_to_the_field_in_place(page: Any, base_url: str) -> None:
    # Issue 16: the verdict names the horizon's API price trend and links to its field, in a closed section.
    open_preset(page, base_url, "RAG assistant")
    verdict = page.locator("#verdict")
    expect(verdict).to_contain_text("API prices −50%/year, the default from Epoch AI's trend")
    expect(verdict).to_contain_text("How sure: ")
    field = page.locator("[id='f-h.api_price_change_pct']")
    page.locator("#verdict-trend-link").click()
    expect(field).to_be_visible()  # the link opened the "Over time" section
    field.fill("0")
    expect(verdict).to_contain_text("API prices 0%/year, your setting")
    verdict.screenshot(path=str(ARTIFACTS / "verdict-desktop.png"))


def test_invalid_input_is_marked_inline_and_the_form_keeps_working(page: Any, base_url: str) -> None:
    open_preset(page, base_url, "Support chatbot")
    page.evaluate("window.stillTheSamePage = true")
    page.fill("#f-input_tokens", "lots")
    message = page.locator("#e-input_tokens")
    expect(message).to_have_text("must be a number, like 3,000,000 or 3M")
    expect(page.locator("#f-input_tokens")).to_have_value("lots")
    expect(page.locator("#f-input_tokens")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#problems")).to_contain_text("Input tokens per request: must be a number")
    screenshot(page, "invalid-desktop.png")

    # Fix it: the message goes, the verdict comes back.
    page.fill("#f-input_tokens", "2,000")
    expect(message).to_have_text("")
    expect(page.locator("#verdict-text")).to_contain_text(" at 2M requests/month")  # issue 16: the winner first
    assert page.evaluate("window.stillTheSamePage") is True


def test_rows_are_added_and_removed_in_place(page: Any, base_url: str) -> None:
    open_preset(page, base_url, "RAG assistant")
    page.get_by_role("button", name="+ Add an API option").click()
    row = page.locator("[data-row='api.3']")
    expect(row).to_be_visible()
    row.locator("select[name='api.3.provider']").select_option("openai")
    row.locator("input[name='api.3.model']").fill("gpt-5-nano")
    expect(page.locator("#ro-api\\.3")).to_contain_text("Uses $0.05 in")
    expect(page.locator("table.costs")).to_contain_text("gpt-5-nano")
    expect(row.locator("legend")).to_contain_text("gpt-5-nano")

    page.locator("[data-row='sh.2'] button.remove").click()
    expect(page.locator("[data-row='sh.2']")).to_have_count(0)
    expect(page.locator("#verdict-text")).to_contain_text("is the cheapest API")
    assert "sh.2" not in page.url


def test_enter_in_a_field_compares_and_does_not_add_a_row(page: Any, base_url: str) -> None:
    open_preset(page, base_url, "Batch summarisation")
    rows = page.locator("[data-row]").count()
    page.locator("#f-volume").fill("1M")
    page.locator("#f-volume").press("Enter")
    expect(page.locator("#verdict-text")).to_contain_text(" at 1M requests/month")  # issue 16: the winner first
    assert page.locator("[data-row]").count() == rows


def test_without_javascript_the_form_still_works(browser: Any, base_url: str) -> None:
    context, page, problems = new_page(browser, javascript=False)
    try:
        open_preset(page, base_url, "Agent platform")
        page.fill("#f-volume", "30M")
        page.get_by_role("button", name="Compare costs").click()
        expect(page.locator("#verdict-text")).to_contain_text(" at 30M requests/month")  # issue 16: winner first
        assert "volume=30M" in page.url and "partial" not in page.url

        page.fill("#f-output_tokens", "0")
        page.get_by_role("button", name="Compare costs").click()
        expect(page.locator("#e-output_tokens")).to_have_text("must be at least 1")
        expect(page.locator("#f-output_tokens")).to_have_value("0")
        expect(page.locator("#f-volume")).to_have_value("30M")
        screenshot(page, "invalid-no-javascript.png")

        page.get_by_role("button", name="+ Add a self-hosted option").click()
        expect(page.locator("[data-row='sh.3']")).to_be_visible()
    finally:
        context.close()
    assert problems == [], problems


def test_phone_layout_fits_the_screen(browser: Any, base_url: str) -> None:
    context, page, problems = new_page(browser, viewport=PHONE)
    try:
        open_preset(page, base_url, "Agent platform")
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        chart = page.locator("#chart-img")
        expect(chart).to_be_visible()
        # The phone gets the narrow render, and it has loaded (naturalWidth is 0 for a broken image).
        page.wait_for_function(
            "() => { const img = document.querySelector('#chart-img');"
            " return img && img.complete && img.naturalWidth > 0; }",
            timeout=30_000,
        )
        assert "width=360" in chart.evaluate("img => img.currentSrc")
        screenshot(page, "preset-phone.png")
        # The "Over time" and "How sure" charts too are drawn for the phone's width, not a 720 px image shrunk
        # to half (its 10 px labels 5 px on screen).
        for block, image in (("#over-time", "#horizon-img"), ("#uncertainty", "#tornado-img")):
            page.locator(f"{block} summary").click()
            page.locator(image).scroll_into_view_if_needed()
            page.wait_for_function(
                f"() => {{ const img = document.querySelector('{image}');"
                " return img && img.complete && img.naturalWidth > 0; }",
                timeout=30_000,
            )
            assert page.locator(image).evaluate("img => [img.naturalWidth, img.currentSrc.includes('width=360')]") == [
                360,
                True,
            ]
            page.locator(block).screenshot(path=str(ARTIFACTS / f"{block[1:]}-phone.png"))
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.locator("#work summary").click()
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        page.locator("#results").screenshot(path=str(ARTIFACTS / "results-phone.png"))
    finally:
        context.close()
    assert problems == [], problems


def test_an_empty_form_marks_only_what_the_user_touched(page: Any, base_url: str) -> None:
    page.goto(base_url + "/")
    page.fill("#f-volume", "abc")
    expect(page.locator("#e-volume")).to_have_text("must be a number, like 3,000,000 or 3M")
    expect(page.locator("#e-input_tokens")).to_have_text("")  # not touched yet: no "required"
    expect(page.locator("#problems li")).to_have_count(1)
    page.get_by_role("button", name="Compare costs").click()
    expect(page.locator("#e-input_tokens")).to_have_text("required")


def test_every_control_has_a_label_and_is_reachable_by_keyboard(page: Any, base_url: str) -> None:
    open_preset(page, base_url, "Agent platform")
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('#scenario-form input, #scenario-form select')]
            .filter(el => el.type !== 'hidden' && !(el.labels && el.labels.length) && !el.getAttribute('aria-label'))
            .map(el => el.name)"""
    )
    assert unlabelled == []
    page.locator("#f-volume").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "f-volume_unit"


def test_over_time_block_shows_the_cheapest_plan(page: Any, base_url: str) -> None:
    open_preset(page, base_url, "Agent platform")
    block = page.locator("#over-time")
    expect(block).to_be_visible()
    block.locator("summary").click()
    expect(page.locator("#horizon-plan")).to_be_visible()
    expect(page.locator("#horizon-plan")).to_contain_text("Cheapest plan over 36 months:")
    expect(page.locator("#horizon-trend")).to_contain_text("Assumes API prices fall 50% a year")
    expect(page.locator("#horizon-img")).to_have_js_property("complete", True)
    assert page.evaluate("document.getElementById('horizon-img').naturalWidth") == 720  # the desktop's render
    page.locator("#uncertainty summary").click()
    page.locator("#overflow summary").click()
    expect(page.locator("#tornado-img")).to_have_js_property("complete", True)
    page.locator("#beyond").screenshot(path=str(ARTIFACTS / "beyond-desktop.png"))
    page.locator("#horizon-fields summary").click()
    page.locator("#requirements summary").click()
    expect(page.locator("#f-h\\.months")).to_be_visible()
    page.locator("#beyond-fields").screenshot(path=str(ARTIFACTS / "beyond-fields-desktop.png"))
    screenshot(page, "beyond-page-desktop.png")


@pytest.mark.parametrize("viewport", [PHONE, {"width": 1280, "height": 900}], ids=["390", "1280"])
def test_serving_defaults_are_visible_and_change_the_answer_in_place(
    browser: Any, base_url: str, viewport: Any
) -> None:
    """Issue 14: the latency target, reasoning tokens and prefix-cache hits sit in the workload's open grid
    (not a closed disclosure); the table says what each user gets and lists the hosted open-model offers;
    switching to offline re-sizes the replicas without a reload."""
    context, page, problems = new_page(browser, viewport=viewport)
    try:
        open_preset(page, base_url, "RAG assistant")
        for field in ("#f-latency", "#f-min_tokens_per_second", "#f-max_ttft_seconds", "#f-reasoning_tokens"):
            expect(page.locator(field)).to_be_visible()
        expect(page.locator("#f-prefix_hit_pct")).to_be_visible()
        expect(page.locator("#f-hosted")).to_be_visible()
        assert page.locator("#f-latency").input_value() == "interactive"
        table = page.locator("table.costs")
        expect(table).to_contain_text("each user gets")
        expect(table).to_contain_text("hosted open model")
        # Offline, the replicas run the largest batch: each user's speed in the table falls (the cost may not
        # move here: the preset's three 2-GPU replicas already share one 8-GPU instance).
        before = table.inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        page.locator("#workload").screenshot(path=str(ARTIFACTS / f"issue14-workload-{viewport['width']}.png"))
        table.screenshot(path=str(ARTIFACTS / f"issue14-costs-{viewport['width']}.png"))
        page.select_option("#f-latency", "offline")
        expect(table).not_to_have_text(before)
        expect(table).to_contain_text("each user gets")
        page.select_option("#f-hosted", "off")
        expect(table).not_to_contain_text("hosted open model")
    finally:
        context.close()
    assert problems == [], problems
