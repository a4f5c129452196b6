"""The page's layout in a real Chromium at a phone's 390 px and a laptop's 1280 px (issue 16).

With every section open (the cost table, "Over time", "How sure", the overflow hybrid, "Show the work"
and its sources) the page never scrolls sideways: tables scroll inside their own card. A permalink
opened on a phone shows the verdict in the first screen, above the form, which "Edit the scenario" is
one tap away from; at 1280 px the form and the results stay side by side. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

from typing import Any

import pytest

from app.web.presets import presets
from tests.test_browser import ARTIFACTS, base_url, browser, expect, new_page  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1280, "height": 800}
# Eight options: the support-chatbot preset (two APIs, two self-hosted, three hosted offers added by
# default) and one more API.
EIGHT_OPTIONS = (
    next(p for p in presets() if p.slug == "support-chatbot").query
    + "&api.9.name=Gemini+2.5+Flash-Lite&api.9.provider=google&api.9.model=gemini-2.5-flash-lite"
)
PERMALINKS = {"agent": next(p for p in presets() if p.slug == "agent-platform").query, "eight": EIGHT_OPTIONS}

OPEN_EVERYTHING = """() => { for (const details of document.querySelectorAll('details')) details.open = true; }"""
# Every element wider than the viewport's right edge, to name the culprit when the page overflows.
OVERFLOWING = """() => [...document.querySelectorAll('body *')]
  .filter(el => el.getBoundingClientRect().right > window.innerWidth + 0.5)
  .filter(el => !el.closest('.table-wrap, .presets ul'))
  .slice(0, 8).map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + '.' + el.className)"""


def wait_for_charts(page: Any) -> None:
    """Every chart loaded (the horizon and tornado charts load lazily: made eager first)."""
    page.evaluate("() => document.querySelectorAll('img[loading=lazy]').forEach(i => { i.loading = 'eager'; })")
    page.wait_for_function(
        "() => [...document.querySelectorAll('img.chart-img')].every(i => i.complete)", timeout=30_000
    )


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["390px", "1280px"])
@pytest.mark.parametrize("name", sorted(PERMALINKS))
def test_no_horizontal_page_scroll_with_every_section_open(
    browser: Any,  # noqa: F811
    base_url: str,  # noqa: F811
    viewport: dict[str, int],
    name: str,
) -> None:
    context, page, problems = new_page(browser, viewport=viewport)
    try:
        page.goto(f"{base_url}/?{PERMALINKS[name]}")
        expect(page.locator("#verdict-text")).to_be_visible()
        page.evaluate(OPEN_EVERYTHING)
        wait_for_charts(page)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= viewport["width"], page.evaluate(OVERFLOWING)
        # Every table is inside a card that scrolls it, or fits.
        loose = page.evaluate(
            """() => [...document.querySelectorAll('#results table')]
              .filter(t => !t.closest('.table-wrap') && t.scrollWidth > t.parentElement.clientWidth + 1)
              .map(t => t.className)"""
        )
        assert loose == []
        screenshot_name = f"layout-{name}-{viewport['width']}.png"
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / screenshot_name), full_page=True)
    finally:
        context.close()
    assert problems == [], problems


def test_the_cost_table_shows_its_capacity_column_at_1280_px(browser: Any, base_url: str) -> None:  # noqa: F811
    context, page, problems = new_page(browser, viewport=LAPTOP)
    try:
        page.goto(f"{base_url}/?{EIGHT_OPTIONS}")
        wrap = page.locator("#results .table-wrap:has(table.costs)")
        expect(wrap).to_be_visible()
        # The table fits its card: nothing to scroll to, so the Capacity column is in view.
        assert wrap.evaluate("el => el.scrollWidth <= el.clientWidth + 1")
        # And the form and the results stay side by side.
        form, results = page.locator("#scenario-form").bounding_box(), page.locator("#results").bounding_box()
        assert form is not None and results is not None and results["x"] > form["x"] + form["width"]
    finally:
        context.close()
    assert problems == [], problems


def test_a_permalink_on_a_phone_opens_on_the_verdict_with_the_form_one_tap_away(
    browser: Any,  # noqa: F811
    base_url: str,  # noqa: F811
) -> None:
    context, page, problems = new_page(browser, viewport=PHONE)
    try:
        page.goto(f"{base_url}/?{EIGHT_OPTIONS}")
        verdict = page.locator("#verdict")
        expect(verdict).to_be_visible()
        box = verdict.bounding_box()
        assert box is not None and box["y"] < PHONE["height"], box
        wait_for_charts(page)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "layout-phone-first-screen.png"))
        # The form comes after the results, below the first screen; the link jumps to it and puts focus in
        # its first field.
        form_box = page.locator("#scenario-form").bounding_box()
        assert form_box is not None and box is not None and form_box["y"] > box["y"] + box["height"]
        page.get_by_role("link", name="Edit the scenario").click()
        expect(page.locator("#f-volume")).to_be_in_viewport()
        assert page.evaluate("document.activeElement.id") == "f-volume"
        # Live results still swap in place once the form is open, and stay above it.
        page.fill("#f-volume", "30M")
        expect(page.locator("#verdict-text")).to_contain_text("30M")
    finally:
        context.close()
    assert problems == [], problems


def test_the_form_comes_first_without_results_and_at_1280_px(browser: Any, base_url: str) -> None:  # noqa: F811
    for viewport, url in ((PHONE, "/"), (LAPTOP, f"/?{EIGHT_OPTIONS}")):
        context, page, problems = new_page(browser, viewport=viewport)
        try:
            page.goto(base_url + url)
            expect(page.locator("#f-volume")).to_be_visible()
            expect(page.locator("#edit-scenario")).to_be_hidden()
        finally:
            context.close()
        assert problems == [], problems
