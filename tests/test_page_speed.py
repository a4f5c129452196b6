"""Issue 13, page speed round 2: what a page view no longer recomputes still reads exactly as before.

The rendered results section is kept per evaluation (app/web/pages.py `_results_html`), the embed URLs
are percent-encoded in one pass (app/render/snippets.py `markup_url`), and the readouts resolve only the
API rows the result does not already hold (app/render/page_view.py `readouts`).
"""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from app.catalog.loader import load_catalog
from app.main import create_app
from app.render.page_view import readouts
from app.render.snippets import markup_url
from app.scenario.inputs import ApiOptionIn
from app.settings import Settings
from app.web.evaluation_cache import EvaluationCache, evaluate_form_once
from app.web.forms import parse_query
from app.web.presets import presets

RAG = next(p for p in presets() if p.slug == "rag-assistant")
HTML = {"accept": "text/html"}
# The characters a wiki's markup leaves alone (app/render/snippets.py), spelled out again here.
URL_SAFE = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._:/?#@&+=%")


def markup_url_one_character_at_a_time(url: str) -> str:
    """The definition: a character outside URL_SAFE becomes its UTF-8 bytes as %XX, upper-case hex."""
    return "".join(c if c in URL_SAFE else "".join(f"%{b:02X}" for b in c.encode()) for c in url)


@given(st.text())
def test_markup_url_encodes_exactly_the_unsafe_characters(url: str) -> None:
    assert markup_url(url) == markup_url_one_character_at_a_time(url)


def test_markup_url_by_hand() -> None:
    # "é" is C3 A9 in UTF-8; "~", " ", "[" and '"' are outside the safe set; "%41" stays as typed.
    assert markup_url('https://x.test/?a=é b~[%41"') == "https://x.test/?a=%C3%A9%20b%7E%5B%41%22"
    assert markup_url("https://x.test/?volume=2M&api.0.model=gpt-4o") == "https://x.test/?volume=2M&api.0.model=gpt-4o"


def test_readouts_with_a_result_are_those_of_every_row_resolved_then_overwritten() -> None:
    """The rows the result holds are read out from it: resolving their API specs first (as before) gives
    the same readouts, in the same order (the page's script reads them in it)."""
    scenario, state = parse_query(RAG.query)
    assert scenario is not None
    evaluation = evaluate_form_once(state, load_catalog(), 16, EvaluationCache())
    assert evaluation is not None
    api_specs = {k: s for k, s in state.options.items() if isinstance(s, ApiOptionIn)}
    assert api_specs  # the preset has API rows, so the shortcut is exercised
    keys = [row.key for row in state.usable_rows]
    unit = state.value("volume_unit")
    expected = readouts(api_specs, None, [], unit)  # every API spec resolved, in the specs' order
    expected.update(readouts({}, evaluation.result, keys, unit))  # then the result's rows, as before
    found = readouts(api_specs, evaluation.result, keys, unit)
    assert list(found.items()) == list(expected.items())


def _fresh_page(tmp_path: Path, query: str, partial: bool = False) -> str:
    """The page as an app that has never rendered anything renders it (no evaluation, nothing kept)."""
    app = create_app(Settings(data_dir=tmp_path / "fresh"))
    with TestClient(app) as fresh:
        response = fresh.get("/?" + query + ("&partial=1" if partial else ""), headers=HTML)
        assert response.status_code == 200
        return response.text


def test_a_kept_results_section_never_answers_another_query(client: TestClient, tmp_path: Path) -> None:
    """Same scenario (one evaluation), other "Over time" settings: a different section, and each page
    is the one a fresh app renders."""
    other = RAG.query + "&h.months=24"
    for query in (RAG.query, other, RAG.query, other):
        assert client.get("/?" + query, headers=HTML).text == _fresh_page(tmp_path, query)
    assert 'id="verdict"' in _fresh_page(tmp_path, other)


def test_the_partial_reuses_the_page_s_section_and_reads_as_a_fresh_one(client: TestClient, tmp_path: Path) -> None:
    client.get("/?" + RAG.query, headers=HTML)  # keeps the section
    partial = client.get("/?" + RAG.query + "&partial=1", headers=HTML).text
    assert partial == _fresh_page(tmp_path, RAG.query, partial=True)
    assert partial.startswith('<section id="results"')
