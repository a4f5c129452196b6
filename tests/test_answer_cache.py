"""Repeat questions answered from memory (issue 13, app/web/answer_cache.py): the same live page or break-even
body asked again gets the same bytes without being built again; anything incomplete or different is built anew."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient

import app.web.api as api_module
import app.web.pages as pages_module
from app.catalog import api_prices
from app.main import create_app
from app.settings import Settings
from app.web.answer_cache import answer_key
from app.web.presets import presets

RAG = next(p for p in presets() if p.slug == "rag-assistant")
HTML = {"accept": "text/html"}
BODY = RAG.scenario.model_dump(mode="json", exclude_none=True)


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What was built rather than answered from memory: "page" per page built, "breakeven" per answer evaluated."""
    built: list[str] = []
    real_page, real_breakeven = pages_module.render_page, api_module._breakeven_response

    def counting_page(*args: Any, **kwargs: Any) -> Any:
        built.append("page")
        return real_page(*args, **kwargs)

    def counting_breakeven(*args: Any, **kwargs: Any) -> Any:
        built.append("breakeven")
        return real_breakeven(*args, **kwargs)

    monkeypatch.setattr(pages_module, "render_page", counting_page)
    monkeypatch.setattr(api_module, "_breakeven_response", counting_breakeven)
    return built


def test_a_repeated_page_is_the_same_bytes_built_once(client: TestClient, builds: list[str]) -> None:
    first = client.get("/?" + RAG.query, headers=HTML)
    second = client.get("/?" + RAG.query, headers=HTML)
    assert first.status_code == second.status_code == 200
    assert second.content == first.content
    assert second.headers["content-type"] == first.headers["content-type"] == "text/html; charset=utf-8"
    assert builds == ["page"]


def test_the_partial_fragment_is_its_own_answer(client: TestClient, builds: list[str]) -> None:
    page = client.get("/?" + RAG.query, headers=HTML)
    fragment = client.get("/?" + RAG.query + "&partial=1", headers=HTML)
    again = client.get("/?" + RAG.query + "&partial=1", headers=HTML)
    assert fragment.content != page.content and again.content == fragment.content
    assert builds == ["page", "page"]


@pytest.mark.parametrize(
    "query",
    [
        "",  # the blank form: no results
        RAG.query.replace("volume=3000000", "volume=-5"),  # a field error
        RAG.query + "&import_rows=12&import_rejected=0",  # a notice (the usage import's counts)
    ],
    ids=["blank form", "field error", "notice"],
)
def test_a_page_without_a_complete_answer_is_built_every_time(
    client: TestClient, builds: list[str], query: str
) -> None:
    first = client.get("/?" + query, headers=HTML)
    second = client.get("/?" + query, headers=HTML)
    assert first.text == second.text
    assert builds == ["page", "page"]


def test_another_day_or_other_links_build_the_page_again(
    client: TestClient, builds: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    client.get("/?" + RAG.query, headers=HTML)
    monkeypatch.setattr(api_prices, "_today", lambda: date(2030, 1, 1))
    client.get("/?" + RAG.query, headers=HTML)
    assert builds == ["page", "page"]
    assert answer_key("page", b"q", "https://a.example") != answer_key("page", b"q", "https://b.example")
    assert answer_key("page", b"q") != answer_key("breakeven", b"q")


def test_links_follow_the_trusted_host_not_the_cache(tmp_path: Any, builds: list[str]) -> None:
    settings = Settings(data_dir=tmp_path / "data", trusted_hosts="a.example b.example")
    with TestClient(create_app(settings)) as client:
        for host, other in (("a.example", "b.example"), ("b.example", "a.example")):
            page = client.get("/?" + RAG.query, headers={**HTML, "host": host})
            assert f"http://{host}/chart.svg?" in page.text and f"http://{other}/" not in page.text
    assert builds == ["page", "page"]


def test_a_repeated_breakeven_body_is_the_same_answer_evaluated_once(client: TestClient, builds: list[str]) -> None:
    first = client.post("/api/v1/breakeven", json=BODY)
    second = client.post("/api/v1/breakeven", json=BODY)
    assert first.status_code == second.status_code == 200
    assert second.content == first.content and second.headers["content-type"] == "application/json"
    assert builds == ["breakeven"]
    # Another spelling of the same body is another key: evaluated again, the same answer.
    spaced = client.post(
        "/api/v1/breakeven", content=api_module.json.dumps(BODY, indent=2), headers={"content-type": "application/json"}
    )
    assert spaced.json() == first.json()
    assert builds == ["breakeven", "breakeven"]


def test_a_failed_breakeven_is_never_kept(client: TestClient, builds: list[str]) -> None:
    bad = {**BODY, "options": [{**BODY["options"][0], "name": "A"}, {**BODY["options"][0], "name": "A"}]}
    first = client.post("/api/v1/breakeven", json=bad)
    second = client.post("/api/v1/breakeven", json=bad)
    assert first.status_code == second.status_code == 422
    assert first.json() == second.json()
    assert builds == ["breakeven", "breakeven"]


def test_a_zero_size_keeps_nothing(tmp_path: Any, builds: list[str]) -> None:
    with TestClient(create_app(Settings(data_dir=tmp_path / "data", answer_cache_bytes=0))) as client:
        assert (
            client.post("/api/v1/breakeven", json=BODY).content == client.post("/api/v1/breakeven", json=BODY).content
        )
    assert builds == ["breakeven", "breakeven"]
