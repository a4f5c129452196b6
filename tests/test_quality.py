"""Capability beside cost (issue 16): the public quality table, its loader, and where it shows."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.catalog.hosted import hosted_offers
from app.catalog.loader import CatalogError, load_catalog
from app.catalog.quality import (
    FAR_APART_POINTS,
    comparable_open_models,
    far_apart,
    load_quality,
    load_quality_from,
    quality_cells,
    score_for_api,
    score_for_model,
)
from app.scenario.inputs import ScenarioIn
from app.web.query_codec import scenario_to_query

HEADER = """
[benchmark.b]
name = "Bench"
unit = "points"
higher_is_better = true
url = "https://example.org"
"""
ROW = """
[[score]]
model = "llama-3.1-8b"
arena_model = "llama-3.1-8b-instruct"
benchmark = "b"
score = 1212
source = "https://example.org/board"
as_of = "2025-12"
confidence = "high"
"""


def test_every_row_has_benchmark_source_date_and_confidence() -> None:
    table = load_quality()
    assert table.scores
    for score in table.scores:
        assert score.benchmark.id in table.benchmarks, score.subject
        assert score.source.startswith("https://"), score.subject
        assert score.as_of, score.subject
        assert score.confidence in {"high", "medium", "low"}, score.subject
    # One benchmark family throughout (quality.toml's header): every score compares with every other.
    assert len(table.benchmarks) == 1


def test_catalog_model_rows_name_catalog_models() -> None:
    catalog = load_catalog()
    assert set(load_quality().by_model) <= set(catalog.models)


@pytest.mark.parametrize("field", ["benchmark", "source", "as_of", "score", "confidence", "arena_model"])
def test_loader_refuses_a_row_without_a_required_field(field: str) -> None:
    row = "\n".join(line for line in ROW.splitlines() if not line.startswith(f"{field} ="))
    with pytest.raises(CatalogError) as error:
        load_quality_from(HEADER + row)
    assert error.value.field == field
    assert error.value.entry == "llama-3.1-8b"


def test_loader_refuses_undeclared_benchmark_bad_date_and_duplicates() -> None:
    with pytest.raises(CatalogError, match="not a declared"):
        load_quality_from(HEADER + ROW.replace('benchmark = "b"', 'benchmark = "other"'))
    with pytest.raises(CatalogError, match="as_of"):
        load_quality_from(HEADER + ROW.replace('"2025-12"', '"Dec 2025"'))
    with pytest.raises(CatalogError, match="duplicate"):
        load_quality_from(HEADER + ROW + ROW)
    with pytest.raises(CatalogError, match="model"):
        load_quality_from(HEADER + ROW.replace('model = "llama-3.1-8b"\n', ""))
    assert load_quality_from(HEADER + ROW).by_model["llama-3.1-8b"].score == 1212


def test_far_apart_uses_the_stated_threshold() -> None:
    gpt5 = score_for_api("openai", "gpt-5")
    llama8b = score_for_model("llama-3.1-8b")
    llama70b = score_for_model("llama-3.3-70b")
    gpt4o_mini = score_for_api("openai", "gpt-4o-mini")
    assert gpt5 is not None and llama8b is not None and llama70b is not None and gpt4o_mini is not None
    # 1437 (gpt-5-high) - 1212 (llama-3.1-8b-instruct) = 225 > 100
    assert far_apart(gpt5, llama8b)
    # |1320 - 1317| = 3 <= 100
    assert not far_apart(llama70b, gpt4o_mini)
    assert not far_apart(gpt5, None)
    assert FAR_APART_POINTS == 100


def test_comparable_open_models_are_within_the_threshold_closest_first() -> None:
    catalog = load_catalog().models
    gpt5_mini = score_for_api("openai", "gpt-5-mini")
    assert gpt5_mini is not None
    near = comparable_open_models(gpt5_mini, catalog)
    # 1393: DeepSeek-R1 (1396) is closest; Llama 3.1 8B (1212) is 181 below and is not offered.
    assert near[0] == "deepseek-r1"
    assert "llama-3.1-8b" not in near
    scores = [load_quality().by_model[m].score for m in near]
    assert all(abs(s - gpt5_mini.score) <= FAR_APART_POINTS for s in scores)
    assert [abs(s - gpt5_mini.score) for s in scores] == sorted(abs(s - gpt5_mini.score) for s in scores)


def test_a_hosted_offer_takes_its_open_models_score() -> None:
    model = load_catalog().models["llama-3.1-8b"]
    offers = hosted_offers(model)
    assert offers
    for entry in offers:
        assert score_for_api(entry.provider, entry.model) == score_for_model("llama-3.1-8b")


def test_no_row_means_no_score() -> None:
    # Released after the snapshot, or base weights the arena never rated: "no public score".
    assert score_for_api("openai", "gpt-5.6-sol") is None
    assert score_for_model("llama-2-7b") is None
    assert score_for_api("", "") is None


def test_quality_cells_mark_the_far_below_and_suggest_for_user_api_models() -> None:
    cells = quality_cells(
        [
            ("GPT-5", score_for_api("openai", "gpt-5"), True),
            ("Llama 8B", score_for_model("llama-3.1-8b"), False),
            ("Custom", None, True),
        ]
    )
    assert cells[0].best_name == "" and not cells[0].far_below_best
    assert cells[0].comparable  # open models close to GPT-5
    assert cells[1].best_name == "GPT-5"
    assert cells[1].points_below_best == 1437 - 1212
    assert cells[1].far_below_best
    assert cells[1].comparable == ()
    assert cells[2].score is None


def _scenario(api_model: str, open_model: str, gpu: str = "h100-sxm", gpu_count: int = 1) -> dict[str, Any]:
    return {
        "workload": {"requests_per_month": 1_000_000, "input_tokens": 500, "output_tokens": 300},
        "options": [
            {"kind": "api", "name": "API", "provider": "openai", "model": api_model},
            {
                "kind": "self_hosted",
                "name": "Self",
                "model": open_model,
                "gpu": gpu,
                "gpu_count": gpu_count,
                "pricing": {"kind": "rent", "per_gpu_hour": 2.0},
            },
        ],
    }


def test_the_json_carries_quality(client: TestClient) -> None:
    response = client.post("/api/v1/breakeven", json=_scenario("gpt-5", "llama-3.1-8b"))
    assert response.status_code == 200, response.text
    options = {o["name"]: o for o in response.json()["options"]}
    assert options["API"]["quality"]["score"] == 1437
    assert options["API"]["quality"]["benchmark"] == "LMArena text (style control)"
    assert options["API"]["quality"]["as_of"] == "2025-12"
    assert options["API"]["quality"]["source"].startswith("https://github.com/lmarena/")
    assert options["Self"]["quality"]["score"] == 1212


def test_the_json_says_null_without_a_public_score(client: TestClient) -> None:
    response = client.post("/api/v1/breakeven", json=_scenario("gpt-5.6-sol", "llama-3.1-8b"))
    assert response.status_code == 200, response.text
    options = {o["name"]: o for o in response.json()["options"]}
    assert options["API"]["quality"] is None


def test_catalog_quality_listing(client: TestClient) -> None:
    body = client.get("/api/v1/catalog/quality").json()
    assert body["count"] == len(load_quality().scores)
    assert body["far_apart_points"] == FAR_APART_POINTS
    assert {item["benchmark"] for item in body["items"]} == {b["id"] for b in body["benchmarks"]}


def _page(client: TestClient, scenario: dict[str, Any]) -> str:
    query = scenario_to_query(ScenarioIn.model_validate(scenario))
    page = client.get("/?" + query)
    assert page.status_code == 200
    return page.text


def test_far_apart_hint_for_gpt5_against_an_8b_model_not_for_close_models(client: TestClient) -> None:
    far = _page(client, _scenario("gpt-5", "llama-3.1-8b"))
    assert "quality-hint" in far
    assert "225 points below" in far  # 1437 - 1212
    close = _page(client, _scenario("gpt-4o-mini", "llama-3.3-70b", gpu_count=2))
    assert "quality-hint" not in close
    assert "no public score" not in close
