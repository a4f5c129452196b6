"""One request must never take the server down (issue 12, renderer isolation).

vl-convert aborted the whole Python process on a name holding a character XML 1.0 forbids. Names
are now refused at the boundary (`DisplayText`), drawn SVG is made XML-safe (for scenarios saved before
that), SVG is drawn by our own Python (app/render/svg_figure.py) and PNG is rasterised in separate
processes, so a native crash or hang costs one request a 503.
"""

from __future__ import annotations

import copy
import logging
import signal
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from app.catalog.loader import load_catalog
from app.render import chart_render
from app.render.chart_figures import CHART_KINDS
from app.render.chart_render import RendererPool, RendererUnavailable
from app.render.svg_figure import xml_safe
from app.scenario.evaluate import evaluate, snapshot_for
from app.scenario.inputs import NOT_DISPLAYABLE, STORED_DOCUMENT, DisplayText, ScenarioIn
from app.web import embeds
from tests.helpers import assert_error_shape
from tests.test_embeds import SCENARIO, png_size, query

# Each aborted the server process through /chart.svg before the fix (issue 12).
CRASHING = ["\x00", "\x01", "\x0b", "\x1f", "\ufffe", "\uffff"]
# The repro, less the name: one flat-priced API and one H100.
REPRO = (
    "volume=1000000&input_tokens=500&output_tokens=500&api.0.input_per_mtok=1&api.0.output_per_mtok=1"
    "&sh.1.name=Self&sh.1.model=llama-3.3-70b&sh.1.gpu=h100-sxm&sh.1.gpu_count=1&sh.1.precision=fp8"
    "&sh.1.per_gpu_hour=2&api.0.name="
)


@pytest.fixture(autouse=True)
def no_render_processes_left() -> Iterator[None]:
    """Tests here also render outside an app's lifespan: stop whatever pool they started."""
    yield
    chart_render.shutdown_renderer()


def with_api_name(name: str) -> dict[str, Any]:
    scenario = copy.deepcopy(SCENARIO)
    scenario["options"][0]["name"] = name
    return scenario


def svg_root(response: Any) -> ET.Element:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/svg+xml"
    return ET.fromstring(response.content)


# --- the boundary ---------------------------------------------------------------------------------


@pytest.mark.parametrize("char", [*CRASHING, "\x7f", "\x85", "\u202e"])
def test_api_refuses_a_name_with_a_control_character(client: TestClient, char: str) -> None:
    detail = assert_error_shape(client.post("/api/v1/scenarios", json=with_api_name(f"a{char}b")))
    assert detail[0]["loc"] == ["body", "options", 0, "api", "name"]
    assert detail[0]["type"] == "control_character"
    assert f"U+{ord(char):04X}" in detail[0]["msg"]


@pytest.mark.parametrize("path", ["/chart.svg", "/chart.png"])
@pytest.mark.parametrize("char", CRASHING)
def test_chart_urls_refuse_a_name_with_a_control_character(client: TestClient, char: str, path: str) -> None:
    response = client.get(f"{path}?{REPRO}{quote(f'a{char}b')}")
    assert_error_shape(response, field="api.0.name")


def test_form_shows_the_refused_name_inline(client: TestClient) -> None:
    response = client.get(f"/?{REPRO}a%01b")
    assert response.headers["content-type"].startswith("text/html")
    assert response.status_code == 422
    assert 'data-error="api.0.name">must not contain control' in response.text


def test_inline_specs_and_catalog_ids_refuse_control_characters(client: TestClient) -> None:
    scenario = copy.deepcopy(SCENARIO)
    scenario["options"][1]["model"] = "gpt\x01"
    detail = assert_error_shape(client.post("/api/v1/breakeven", json=scenario))
    assert ["body", "options", 1, "api", "model"] in [d["loc"] for d in detail]


def test_hybrid_and_factor_names_refuse_control_characters(client: TestClient) -> None:
    body = {"requirements": ["regulated_data"], "options": [{"name": "a\x01", "kind": "api"}]}
    detail = assert_error_shape(client.post("/api/v1/factors", json=body))
    assert detail[0]["loc"][-1] == "name" and detail[0]["type"] == "control_character"


@settings(max_examples=200)
@given(st.text(st.characters(exclude_categories=()), max_size=12))
def test_every_accepted_name_is_xml_safe_and_stored_names_always_load(text: str) -> None:
    adapter = TypeAdapter(DisplayText)
    try:
        accepted = adapter.validate_python(text)
    except ValidationError:
        assert NOT_DISPLAYABLE.search(text)
    else:
        assert accepted == text and xml_safe(text) == text
    stored = adapter.validate_python(text, context=STORED_DOCUMENT)
    assert xml_safe(stored) == stored and len(stored) == len(text)


@settings(max_examples=200)
@given(st.text(st.characters(exclude_categories=())))
def test_xml_safe_leaves_only_xml_characters_and_keeps_the_rest(text: str) -> None:
    cleaned = xml_safe(text)
    assert len(cleaned) == len(text)
    for old, new in zip(text, cleaned, strict=True):
        # XML 1.0's Char production (https://www.w3.org/TR/xml/#charsets), spelled out independently
        xml_char = old in "\t\n\r" or "\x20" <= old <= "\ud7ff" or "\ue000" <= old <= "\ufffd" or old >= "\U00010000"
        assert new == (old if xml_char else "\ufffd")


# --- saved scenarios that already hold such names -------------------------------------------------


def store_unvalidated(client: TestClient, scenario: dict[str, Any]) -> str:
    """Save `scenario` as an old row would be: straight into the store, past today's validation."""
    valid = copy.deepcopy(scenario)
    for option in valid["options"]:
        option["name"] = NOT_DISPLAYABLE.sub("", option["name"])
    catalog = load_catalog()
    parsed = ScenarioIn.model_validate(valid)
    snapshot = snapshot_for(parsed, evaluate(parsed, catalog, 16), catalog)
    snapshot["page_settings"] = []
    app: Any = client.app
    return str(app.state.store.save(scenario, snapshot).id)


@pytest.mark.parametrize("char", CRASHING)
def test_a_saved_name_with_a_control_character_still_renders(client: TestClient, char: str) -> None:
    scenario_id = store_unvalidated(client, with_api_name(f"a{char}b"))
    root = svg_root(client.get(f"/s/{scenario_id}/chart.svg"))
    assert "a\ufffdb" in "".join(root.itertext())


def test_every_face_of_a_poisoned_saved_scenario_answers(client: TestClient) -> None:
    scenario = with_api_name("a\x01b")
    # Every chart kind: the self-hosted option estimated (interactivity draws only estimated options) and
    # poisoned too, so its name reaches the interactivity chart's legend.
    self_hosted = scenario["options"][2]
    del self_hosted["output_tokens_per_second"]
    self_hosted["name"] = "c\x01d"
    scenario_id = store_unvalidated(client, scenario)
    for kind in CHART_KINDS:
        texts = "".join(svg_root(client.get(f"/s/{scenario_id}/chart.svg?kind={kind}")).itertext())
        if kind == "interactivity":
            assert "c\ufffdd" in texts
    assert png_size(client.get(f"/s/{scenario_id}/chart.png?scale=1").content) == (720, 400)
    for face in ("", "/embed", "/data.csv"):
        assert client.get(f"/s/{scenario_id}{face}").status_code == 200, face
    assert client.get(f"/api/v1/scenarios/{scenario_id}").status_code == 200


# --- a crashing or hanging renderer ---------------------------------------------------------------


def test_a_renderer_crash_answers_503_and_the_next_render_works(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    """A render process that dies (here killed; before, vl-convert aborting on a character) costs the request
    it was serving a 503 with Retry-After, is replaced, and the next render works."""
    url = "/chart.png?scale=1&" + query()
    assert client.get(url + "&width=500").status_code == 200  # a render process, now idle
    (worker,) = chart_render.renderer().processes
    worker.process.send_signal(signal.SIGKILL)
    worker.process.wait(timeout=5)
    with caplog.at_level(logging.ERROR, logger="breakeven.charts"):
        crashed = client.get(url)
    assert_error_shape(crashed, status=503)
    assert crashed.headers["retry-after"] == "1"
    assert crashed.json()["detail"][0]["type"] == "renderer_unavailable"
    assert "chart render process" in caplog.text  # a log line, not a silent abort

    again = client.get(url)
    assert again.status_code == 200 and png_size(again.content) == (720, 400)  # not cached as a failure
    assert client.get(url, headers={"If-None-Match": again.headers["etag"]}).status_code == 304


def test_an_svg_the_rasteriser_refuses_is_an_error_not_a_crash() -> None:
    """The rasteriser raises on a document that is not XML (the drawing never writes one: `xml_safe`): the
    process survives it and serves the next request."""
    pool = RendererPool()
    chart_render.use_renderer(pool)
    with pytest.raises(chart_render.RenderFailed, match="non-XML character"):
        pool.render(('<svg xmlns="http://www.w3.org/2000/svg" width="9" height="9"><text>a\x01b</text></svg>', 1.0))
    figure = embeds.chart_figure(evaluate(ScenarioIn.model_validate(SCENARIO), load_catalog(), 16))
    assert png_size(chart_render.render_png(figure, 1.0)) == (720, 400)
    assert len(pool.processes) == 1


def test_a_hung_render_is_killed_and_answers_unavailable() -> None:
    pool = RendererPool(timeout_s=1e-4)  # no render answers within a tenth of a millisecond
    chart_render.use_renderer(pool)
    figure = embeds.chart_figure(evaluate(ScenarioIn.model_validate(SCENARIO), load_catalog(), 16))
    with pytest.raises(RendererUnavailable):
        chart_render.render_png(figure, 1.0)
    assert pool.processes == set()


def test_app_shutdown_stops_the_render_processes(app: FastAPI) -> None:
    with TestClient(app) as client:
        assert client.get("/chart.png?scale=1&" + query()).status_code == 200  # PNGs are rasterised in a process
        processes = [worker.process for worker in chart_render.renderer().processes]
        assert processes and all(process.poll() is None for process in processes)
    assert all(process.poll() is not None for process in processes)
    assert chart_render.use_renderer(None) is None
