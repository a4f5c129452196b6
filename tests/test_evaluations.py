"""One evaluation per question (issue 13): a page view evaluates its scenario once, and its chart images,
embeds, CSV and JSON twin find that evaluation instead of evaluating again (app/web/evaluation_cache.py)."""

from __future__ import annotations

import html
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

import app.scenario.evaluate as evaluate_module
from app.catalog import api_prices
from app.catalog.efficiencies import efficiencies_for
from app.catalog.loader import load_catalog
from app.catalog.sources import Sources
from app.core import uncertainty as uncertainty_core
from app.scenario.beyond import evaluate_pair
from app.scenario.evaluate import evaluate
from app.scenario.hosted import with_hosted_alternatives
from app.scenario.inputs import ScenarioIn
from app.web.beyond_view import headline_evaluated, headline_pair
from app.web.evaluation_cache import EvaluationCache, live_key, saved_key
from app.web.forms import parse_query
from app.web.presets import presets

RAG = next(p for p in presets() if p.slug == "rag-assistant")
HTML = {"accept": "text/html"}


@dataclass
class Counts:
    """Every call of app.scenario.evaluate.evaluate (wherever imported) with its scenario, and every Monte Carlo."""

    scenarios: list[ScenarioIn] = field(default_factory=list)
    monte_carlo: int = 0

    @property
    def evaluations(self) -> int:
        return len(self.scenarios)

    def of(self, scenario: ScenarioIn) -> int:
        """Evaluations of `scenario` itself (not of a pair or a variant built from it)."""
        return sum(1 for s in self.scenarios if s == scenario)

    def others(self, scenario: ScenarioIn) -> list[ScenarioIn]:
        return [s for s in self.scenarios if s != scenario]

    def clear(self) -> None:
        self.scenarios.clear()
        self.monte_carlo = 0


@pytest.fixture
def counts(monkeypatch: pytest.MonkeyPatch) -> Counts:
    found = Counts()
    real_evaluate, real_monte_carlo = evaluate_module.evaluate, uncertainty_core.monte_carlo

    def counting_evaluate(scenario: ScenarioIn, *args: Any, **kwargs: Any) -> Any:
        found.scenarios.append(scenario)
        return real_evaluate(scenario, *args, **kwargs)

    def counting_monte_carlo(*args: Any, **kwargs: Any) -> Any:
        found.monte_carlo += 1
        return real_monte_carlo(*args, **kwargs)

    # Where the web layer (and what it calls) reaches evaluate: every app module that imported it.
    for module in list(sys.modules.values()):
        if getattr(module, "__name__", "").startswith("app."):
            if getattr(module, "evaluate", None) is real_evaluate:
                monkeypatch.setattr(module, "evaluate", counting_evaluate)
            if getattr(module, "monte_carlo", None) is real_monte_carlo:
                monkeypatch.setattr(module, "monte_carlo", counting_monte_carlo)
    return found


def scenario_of(query: str) -> ScenarioIn:
    scenario, _ = parse_query(query)
    assert scenario is not None
    return scenario


def assert_only_the_hybrid(counts: Counts, scenario: ScenarioIn) -> None:
    """The overflow hybrid evaluates its own pair: the workload with the daily profile's peak, another question."""
    for other in counts.others(scenario):
        assert len(other.options) == 2
        assert other.workload.model_copy(update={"peak_to_average": scenario.workload.peak_to_average}) == (
            scenario.workload
        )
    assert len(counts.others(scenario)) <= 1


def page_links(page: str) -> list[str]:
    """The chart images and the JSON twin the page links, as its browser would request them."""
    urls = [html.unescape(u) for u in re.findall(r'(?:src|href)="(/(?:chart\.svg|scenario\.json)\?[^"]*)"', page)]
    return list(dict.fromkeys(urls))


def test_a_page_view_evaluates_its_scenario_once_and_runs_one_monte_carlo(client: TestClient, counts: Counts) -> None:
    page = client.get("/?" + RAG.query, headers=HTML)
    assert page.status_code == 200
    assert counts.of(RAG.scenario) == 1
    assert_only_the_hybrid(counts, RAG.scenario)
    # Issue 16: the verdict reads the headline pair's Monte Carlo, so every such view runs it: once, no more.
    assert counts.monte_carlo == 1


def test_the_page_s_charts_and_json_twin_evaluate_nothing_more(client: TestClient, counts: Counts) -> None:
    page = client.get("/?" + RAG.query, headers=HTML).text
    links = page_links(page)
    kinds = {re.search(r"kind=(\w+)", u).group(1) if "kind=" in u else "cost" for u in links if "chart" in u}  # type: ignore[union-attr]
    # "interactivity": each estimated self-hosted option's work links the throughput-vs-interactivity chart
    # (issue 15), drawn from the same cached evaluation.
    assert kinds == {"cost", "horizon", "tornado", "interactivity"}
    assert any(u.startswith("/scenario.json") for u in links)
    counts.clear()
    for url in links:
        assert client.get(url).status_code == 200, url
    assert counts.evaluations == 0
    assert counts.monte_carlo == 0  # the tornado chart reuses the page's Monte Carlo
    for face in ("/chart.png?", "/embed?", "/data.csv?", "/chart.svg?kind=cost_per_mtok&"):
        assert client.get(face + RAG.query).status_code == 200, face
    assert counts.evaluations == 0


@pytest.mark.parametrize("kind", ["cost", "horizon", "tornado"])
def test_a_cold_chart_evaluates_once(client: TestClient, counts: Counts, kind: str) -> None:
    assert client.get(f"/chart.svg?{RAG.query}&kind={kind}").status_code == 200
    assert counts.evaluations == 1 and counts.of(RAG.scenario) == 1
    assert counts.monte_carlo == (1 if kind == "tornado" else 0)


def test_the_json_twin_evaluates_once_cold_and_not_after_the_page(client: TestClient, counts: Counts) -> None:
    cold = client.get("/scenario.json?" + RAG.query)
    assert cold.status_code == 200 and counts.evaluations == 1
    counts.clear()
    client.get("/?" + RAG.query, headers=HTML)
    assert counts.of(RAG.scenario) == 0  # the twin's evaluation, found
    counts.clear()
    assert client.get("/scenario.json?" + RAG.query).content == cold.content
    assert counts.evaluations == 0


def test_the_breakeven_api_evaluates_once(client: TestClient, counts: Counts) -> None:
    body = RAG.scenario.model_dump(mode="json", exclude_none=True)
    assert client.post("/api/v1/breakeven", json=body).status_code == 200
    assert counts.evaluations == 1


def test_a_changed_query_evaluates_again(client: TestClient, counts: Counts) -> None:
    client.get("/?" + RAG.query, headers=HTML)
    changed = RAG.query.replace("volume=3000000", "volume=3000001")
    counts.clear()
    client.get("/?" + changed, headers=HTML)
    assert counts.of(scenario_of(changed)) == 1
    counts.clear()
    client.get("/?" + RAG.query, headers=HTML)  # the first query's evaluation is still there
    assert counts.of(RAG.scenario) == 0


def test_a_scenario_that_fails_is_evaluated_again_and_answers_the_same(client: TestClient, counts: Counts) -> None:
    # A self-hosted option that does not fit its GPU: the page leaves it out and says so, every time.
    query = RAG.query.replace("sh.2.gpu_count=2", "sh.2.gpu_count=1").replace("llama-3.3-70b", "llama-3.1-405b")
    first = client.get("/?" + query, headers=HTML)
    second = client.get("/?" + query, headers=HTML)
    assert first.status_code == second.status_code == 422
    assert first.text == second.text and "GiB" in first.text
    assert counts.of(scenario_of(query)) == 2


def test_a_saved_scenario_s_page_and_charts_evaluate_once(client: TestClient, counts: Counts) -> None:
    created = client.post("/api/v1/scenarios", json=RAG.scenario.model_dump(mode="json", exclude_none=True)).json()
    # A saved scenario stores its options as evaluated: the preset's, then its hosted alternatives (issue 14).
    sources = Sources(load_catalog(), api_prices.resolve_api_prices, efficiencies_for, "live")
    stored = with_hosted_alternatives(RAG.scenario, sources)
    assert len(stored.options) > len(RAG.scenario.options)
    counts.clear()
    page = client.get(created["links"]["page"]).text
    assert counts.of(stored) == 1
    assert_only_the_hybrid(counts, stored)
    counts.clear()
    charts = [html.unescape(u) for u in re.findall(r'src="(/s/[^"]*chart\.svg[^"]*)"', page)]
    assert len(set(charts)) == 3
    for url in [*charts, created["links"]["json"], created["links"]["csv"]]:
        assert client.get(url).status_code == 200, url
    assert counts.evaluations == 0 and counts.monte_carlo == 0


# --- the pieces ---------------------------------------------------------------------------------


def test_the_headline_pair_from_the_result_is_the_pair_evaluated_alone() -> None:
    """headline_evaluated rebuilds, for two options, what evaluate builds: it must equal evaluate_pair."""
    catalog = load_catalog()
    for preset in presets():
        result = evaluate(preset.scenario, catalog)
        pair = headline_pair(preset.scenario, result)
        assert pair is not None
        alone = evaluate_pair(preset.scenario.workload, pair.api, pair.self_hosted, catalog)
        assert headline_evaluated(result, pair) == alone, preset.slug


def test_the_headline_pair_keeps_the_stale_price_note_only_where_it_applies(monkeypatch: pytest.MonkeyPatch) -> None:
    real = api_prices.snapshot_age
    as_of = date.fromisoformat(api_prices.snapshot_as_of())
    monkeypatch.setattr(evaluate_module, "snapshot_age", lambda today=None: real(as_of + timedelta(days=200)))
    catalog = load_catalog()
    # The cheapest API has typed prices (no note for the pair); another uses the catalog's (a note for the whole).
    document = RAG.scenario.model_dump(mode="json", exclude_none=True)
    document["options"][0] = {"kind": "api", "name": "Typed", "input_per_mtok": 0.01, "output_per_mtok": 0.01}
    for scenario in (RAG.scenario, ScenarioIn.model_validate(document)):
        result = evaluate(scenario, catalog)
        assert result.notes
        pair = headline_pair(scenario, result)
        assert pair is not None
        alone = evaluate_pair(scenario.workload, pair.api, pair.self_hosted, catalog)
        assert headline_evaluated(result, pair) == alone
    assert not alone.scenario.notes  # the typed API's pair


def test_the_cache_is_a_bounded_lru() -> None:
    catalog = load_catalog()
    result = evaluate(RAG.scenario, catalog)
    cache = EvaluationCache(max_entries=2)
    calls: list[str] = []

    def evaluating(name: str) -> Callable[[], Any]:
        def run() -> Any:
            calls.append(name)
            return result

        return run

    first = cache.evaluation("a", evaluating("a"))
    assert cache.evaluation("a", evaluating("a")) is first and calls == ["a"]
    cache.evaluation("b", evaluating("b"))
    cache.get("a")  # a is now the most recently used
    cache.evaluation("c", evaluating("c"))
    assert len(cache) == 2 and cache.get("b") is None and cache.get("a") is first
    assert cache.put("a", result) is first  # the entry there wins: it may hold the uncertainty


def test_keys_follow_the_scenario_and_the_day(monkeypatch: pytest.MonkeyPatch) -> None:
    changed = RAG.scenario.model_copy(
        update={"workload": RAG.scenario.workload.model_copy(update={"requests_per_month": 1})}
    )
    assert live_key(RAG.scenario) == live_key(scenario_of(RAG.query))
    assert live_key(changed) != live_key(RAG.scenario)
    before = live_key(RAG.scenario)
    monkeypatch.setattr(api_prices, "_today", lambda: date(2030, 1, 1))
    assert live_key(RAG.scenario) != before
    assert saved_key("abc") != saved_key("abd") and saved_key("abc") != live_key(RAG.scenario)


def test_a_page_from_the_cache_renders_as_the_first(client: TestClient) -> None:
    first = client.get("/?" + RAG.query, headers=HTML)
    second = client.get("/?" + RAG.query, headers=HTML)
    assert first.status_code == second.status_code == 200 and first.text == second.text
