"""The second price source (LiteLLM's map): matching, retirement dates, price cross-checks, current presets."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from app.catalog import litellm_prices
from app.catalog.api_prices import resolve_api_prices
from app.catalog.litellm_prices import (
    BUNDLED_FILE,
    SecondSource,
    dated_index,
    lifecycle_label,
    litellm_key_candidates,
    match_litellm_key,
    model_status,
    price_check,
)
from app.web import pages
from app.web.api_beyond import HORIZON_EXAMPLE
from app.web.presets import PRESET_MIN_DAYS_BEFORE_RETIREMENT, presets
from tests.test_forms import FLAT_VS_H100

BUNDLE_DAY = date(2026, 11, 26)  # the day the bundled LiteLLM map was checked


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[date]]:
    """Sets the day the status helpers take as today."""
    day = [BUNDLE_DAY]
    monkeypatch.setattr(litellm_prices, "today", lambda: day[0])
    yield day


# ---------------------------------------------------------------------------------------------
# Matching genai-prices (provider, model) to LiteLLM keys

ENTRIES: dict[str, dict[str, Any]] = {
    "gpt-5": {"litellm_provider": "openai"},
    "claude-opus-4-20250514": {"litellm_provider": "anthropic"},
    "claude-3-7-sonnet-20250219": {"litellm_provider": "anthropic"},
    "claude-3-7-sonnet-20240101": {"litellm_provider": "anthropic"},
    "gemini/gemini-2.5-pro": {"litellm_provider": "gemini"},
    "vertex_ai/claude-sonnet-4-5": {"litellm_provider": "vertex_ai-anthropic_models"},
    "deepseek/deepseek-chat": {"litellm_provider": "deepseek"},
    "xai/grok-4.20": {"litellm_provider": "xai"},
    "together_ai/meta-llama/llama-3.3-70b-instruct-turbo": {"litellm_provider": "together_ai"},
    "perplexity/sonar": {"litellm_provider": "perplexity"},
    "gpt-4o-azure": {"litellm_provider": "azure"},
}


@pytest.mark.parametrize(
    ("provider", "model", "expected"),
    [
        ("openai", "gpt-5", "gpt-5"),
        ("openai", "GPT-5", "gpt-5"),  # ids compare case-insensitively
        ("anthropic", "claude-opus-4-0", "claude-opus-4-20250514"),  # "-0" alias -> dated snapshot
        ("anthropic", "claude-3-7-sonnet-latest", "claude-3-7-sonnet-20250219"),  # newest snapshot wins
        ("google", "gemini-2.5-pro", "gemini/gemini-2.5-pro"),
        ("google", "claude-sonnet-4-5", "vertex_ai/claude-sonnet-4-5"),  # Vertex sells Claude too
        ("deepseek", "deepseek-chat", "deepseek/deepseek-chat"),
        ("x-ai", "grok-4.20", "xai/grok-4.20"),
        ("together", "meta-llama/Llama-3.3-70B-Instruct-Turbo", "together_ai/meta-llama/llama-3.3-70b-instruct-turbo"),
        ("perplexity", "perplexity/sonar", "perplexity/sonar"),  # already prefixed: not doubled
        ("openai", "gpt-4o-azure", None),  # filed under another provider (azure): no match
        ("anthropic", "gpt-5", None),  # another provider's model
        ("openai", "gpt-6", None),  # unknown model
        ("openrouter", "openai/gpt-5", None),  # provider we do not map
    ],
)
def test_matching_table(provider: str, model: str, expected: str | None) -> None:
    assert match_litellm_key(provider, model, ENTRIES) == expected
    assert match_litellm_key(provider, model, ENTRIES, dated_index(ENTRIES)) == expected


@pytest.mark.parametrize(
    ("provider", "model", "expected"),
    [
        ("openai", "gpt-5", ("gpt-5",)),
        ("deepseek", "deepseek-chat", ("deepseek/deepseek-chat", "deepseek-chat")),
        ("anthropic", "claude-opus-4-0", ("claude-opus-4-0", "claude-opus-4")),
        ("mistral", "Mistral-Large-Latest", ("mistral/mistral-large-latest", "mistral/mistral-large")),
        ("nobody", "x", ()),
    ],
)
def test_key_candidates_table(provider: str, model: str, expected: tuple[str, ...]) -> None:
    assert litellm_key_candidates(provider, model) == expected


# ---------------------------------------------------------------------------------------------
# Retirement, relative to an injected day


@pytest.mark.parametrize(
    ("retires_on", "on", "expected"),
    [
        (None, BUNDLE_DAY, None),
        (date(2026, 12, 11), BUNDLE_DAY, "retires on 2026-12-11"),
        (date(2026, 12, 11), date(2026, 12, 10), "retires on 2026-12-11"),
        (date(2026, 12, 11), date(2026, 12, 11), "retired 2026-12-11"),  # gone on the day itself
        (date(2026, 10, 23), BUNDLE_DAY, "retired 2026-10-23"),
    ],
)
def test_lifecycle_label_table(retires_on: date | None, on: date, expected: str | None) -> None:
    assert lifecycle_label(retires_on, on) == expected


def status(provider: str, model: str, on: date) -> litellm_prices.ModelStatus:
    prices = resolve_api_prices(model, provider)
    found = model_status(provider, model, prices.standard.input_per_mtok, prices.standard.output_per_mtok, "x", on)
    assert found is not None, f"{provider}/{model} not matched in LiteLLM's map"
    return found


def test_a_retired_model_is_flagged() -> None:
    o4_mini = status("openai", "o4-mini", BUNDLE_DAY)
    assert o4_mini.retired and o4_mini.retires_on == "2026-10-23" and o4_mini.lifecycle == "retired 2026-10-23"
    assert "was retired on 2026-10-23" in " ".join(o4_mini.notes)
    # The day before, the same model was only retiring: the flag follows the injected day.
    before = status("openai", "o4-mini", date(2026, 10, 22))
    assert not before.retired and before.lifecycle == "retires on 2026-10-23"


def test_a_model_litellm_dropped_after_retirement_stays_retired() -> None:
    # LiteLLM 1.110.2 no longer lists Claude Opus 4.1; the bundle keeps its last published date.
    opus = status("anthropic", "claude-opus-4-1", BUNDLE_DAY)
    assert opus.retired and opus.retires_on == "2026-08-05" and opus.price_check is None


@pytest.mark.parametrize(
    ("provider", "model", "retires_on"),
    [
        ("anthropic", "claude-sonnet-4-5", "2026-11-30"),
        ("google", "gemini-2.5-pro", "2026-12-01"),
        ("google", "gemini-2.5-flash", "2026-12-01"),
        ("openai", "gpt-5", "2026-12-11"),
        ("openai", "gpt-5-mini", "2026-12-11"),
        ("openai", "gpt-5-nano", "2026-12-11"),
        ("openai", "o3", "2026-12-11"),
    ],
)
def test_a_retiring_model_is_flagged_with_its_date(provider: str, model: str, retires_on: str) -> None:
    found = status(provider, model, BUNDLE_DAY)
    assert not found.retired and found.retires_on == retires_on
    assert found.lifecycle == f"retires on {retires_on}"
    assert f"retires on {retires_on}" in " ".join(found.notes)


# ---------------------------------------------------------------------------------------------
# Price cross-check


def second(input_per_mtok: float | None, output_per_mtok: float | None) -> SecondSource:
    return SecondSource("k", input_per_mtok, output_per_mtok, None, None, None, "LiteLLM", "2026-11-26")


@pytest.mark.parametrize(
    ("ours", "theirs", "differs"),
    [
        ((1.0, 4.0), (1.0, 4.0), False),
        ((1.0, 4.0), (1.1, 4.0), False),  # 0.1 of the larger (1.1): within 10%
        ((1.0, 4.0), (1.2, 4.0), True),
        ((1.0, 4.0), (1.0, 3.5), True),  # 12.5% on output alone
        ((0.0, 0.0), (0.0, 0.1), True),
        ((0.27, 1.10), (0.28, 0.42), True),  # DeepSeek, genai-prices 0.2.3 vs LiteLLM 1.110.2
    ],
)
def test_price_check_table(ours: tuple[float, float], theirs: tuple[float, float], differs: bool) -> None:
    check = price_check(*ours, second(*theirs))
    assert check is not None and check.differs is differs
    assert (check.input_per_mtok, check.output_per_mtok) == theirs


def test_no_price_check_without_a_second_price() -> None:
    assert price_check(1, 2, None) is None
    assert price_check(1, 2, second(None, None)) is None  # a retired record
    assert price_check(1, 2, second(0, 0)) is None  # LiteLLM's 0/0 means unpriced


def test_a_price_difference_is_flagged_with_both_figures_and_dates() -> None:
    prices = resolve_api_prices("deepseek-chat", "deepseek")
    found = model_status(
        "deepseek",
        "deepseek-chat",
        prices.standard.input_per_mtok,
        prices.standard.output_per_mtok,
        prices.as_of,
        BUNDLE_DAY,
    )
    assert found is not None and found.price_check is not None and found.price_check.differs
    assert (found.price_check.input_per_mtok, found.price_check.output_per_mtok) == (0.28, 0.42)
    note = next(n for n in found.notes if "disagree" in n)
    ours = f"${prices.standard.input_per_mtok:.3g}/${prices.standard.output_per_mtok:.3g}"  # 3 significant figures
    assert ours in note and "$0.28/$0.42" in note
    assert f"as of {prices.as_of}" in note and f"as of {found.price_check.as_of}" in note


# ---------------------------------------------------------------------------------------------
# Presets


def test_presets_use_no_retired_or_soon_retiring_model() -> None:
    # Today's date on purpose: this fails when a preset model comes within a month of its retirement.
    for day in (BUNDLE_DAY, litellm_prices.today()):
        horizon = day + timedelta(days=PRESET_MIN_DAYS_BEFORE_RETIREMENT)
        for preset in presets():
            for option in preset.scenario.options:
                model = getattr(option, "model", None)
                if getattr(option, "kind", None) != "api" or not model:
                    continue
                found = status(option.provider, model, day)  # type: ignore[attr-defined]
                assert not found.retired, (preset.slug, model)
                assert found.retires_on is None or date.fromisoformat(found.retires_on) > horizon, (preset.slug, model)
                assert found.price_check is not None and not found.price_check.differs, (preset.slug, model)


# ---------------------------------------------------------------------------------------------
# Where it shows: menus, catalog JSON, result JSON and page, horizon


def test_menu_labels_say_retired_retiring_and_differing_prices() -> None:
    pages._api_choices.cache_clear()
    _, datalists = pages._api_choices(BUNDLE_DAY)
    labels = {c.value: c.label for c in datalists["openai"]} | {c.value: c.label for c in datalists["deepseek"]}
    assert "retired 2026-10-23" in labels["o4-mini"]  # retired since: true whatever day the test runs
    assert "LiteLLM (2026-11-26): $0.28 / $0.42" in labels["deepseek-chat"]
    assert "retire" not in labels["gpt-5.4-mini"]


def test_catalog_entries_carry_retirement_and_price_check(client: TestClient) -> None:
    items = client.get("/api/v1/catalog/api-models", params={"provider": "openai", "q": "o4-mini"}).json()["items"]
    o4_mini = next(i for i in items if i["model"] == "o4-mini")
    assert o4_mini["retires_on"] == "2026-10-23" and o4_mini["retired"] is True
    assert o4_mini["price_check"]["source"].startswith("LiteLLM") and o4_mini["price_check"]["differs"] is False
    items = client.get("/api/v1/catalog/api-models", params={"provider": "deepseek", "q": "deepseek-chat"}).json()
    deepseek = next(i for i in items["items"] if i["model"] == "deepseek-chat")
    check = deepseek["price_check"]
    assert check["differs"] is True and (check["input_per_mtok"], check["output_per_mtok"]) == (0.28, 0.42)
    assert check["as_of"] == "2026-11-26"


def scenario_with(model: str, provider: str = "openai") -> dict[str, Any]:
    return {
        "workload": {"requests_per_month": 1_000_000, "input_tokens": 500, "output_tokens": 500},
        "options": [
            {"kind": "api", "name": model, "provider": provider, "model": model},
            {"kind": "api", "name": "Flat", "input_per_mtok": 1, "output_per_mtok": 1},
        ],
    }


def test_result_json_says_when_the_model_retires(client: TestClient, clock: list[date]) -> None:
    result = client.post("/api/v1/breakeven", json=scenario_with("gpt-5")).json()
    gpt5, flat = result["options"]
    assert gpt5["retires_on"] == "2026-12-11" and gpt5["retired"] is False and gpt5["successor"]
    assert any("retires on 2026-12-11" in note for note in gpt5["notes"])
    assert flat["retires_on"] is None and flat["price_check"] is None  # typed-in prices: nothing to check
    clock[0] = date(2026, 12, 12)
    gpt5 = client.post("/api/v1/breakeven", json=scenario_with("gpt-5")).json()["options"][0]
    assert gpt5["retired"] is True and any("was retired on 2026-12-11" in note for note in gpt5["notes"])


def test_results_page_shows_retirement_and_price_disagreement(client: TestClient, clock: list[date]) -> None:
    query = FLAT_VS_H100 + "&api.2.name=DS&api.2.provider=deepseek&api.2.model=deepseek-chat"
    html = client.get("/?" + query).text
    assert 'class="notice stale model-status"' in html
    assert "DS: This model was retired on 2026-07-24" in html and "$0.28/$0.42" in html


def test_horizon_notes_a_plan_running_past_the_retirement(client: TestClient, clock: list[date]) -> None:
    body = {**HORIZON_EXAMPLE, "api": {"kind": "api", "name": "GPT-5", "provider": "openai", "model": "gpt-5"}}
    result = client.post("/api/v1/horizon", json=body).json()
    assert result["notes"] == [
        "GPT-5 retires on 2026-12-11, in month 1 of this 36-month horizon (LiteLLM model price map): the API "
        "months after that must run on a successor (its provider names gpt-5.6-sol) at its own prices."
    ]
    assert result["notes"][0] in result["explanation"]
    later = {**body, "api": {**body["api"], "name": "GPT-5.1", "model": "gpt-5.1"}, "months": 3, "migrate_at_month": 1}
    assert client.post("/api/v1/horizon", json=later).json()["notes"] == []  # 2027-04-01 is past month 3
    longer = {**later, "months": 6}
    assert "in month 5 of this 6-month horizon" in client.post("/api/v1/horizon", json=longer).json()["notes"][0]


def test_bundled_file_names_its_source_and_date() -> None:
    document = json.loads(BUNDLED_FILE.read_text())
    source = document["_source"]
    assert source["url"] == litellm_prices.LITELLM_URL and source["litellm_version"] and source["as_of"]
    assert date.fromisoformat(source["as_of"]) == BUNDLE_DAY
    assert all(r["deprecation_date"] <= source["as_of"] for r in document["retired"].values())
