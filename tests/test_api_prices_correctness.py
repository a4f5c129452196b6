"""Every API price the calculator uses is current, deterministic and right (issue 11).

Partial overrides never bill a token at $0; time-of-day prices do not depend on the hour a question
is asked; the snapshot is dated by when its data was published; every price used is in the
answer; and a request longer than an API model's context window is refused."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from genai_prices.data_snapshot import DataSnapshot, get_snapshot, set_custom_snapshot
from hypothesis import given, settings
from hypothesis import strategies as st

import app.catalog.api_prices as api_prices
from app.catalog.sources import api_prices_from_dict
from app.core.api_cost import (
    ApiOption,
    ApiPrices,
    PriceWindow,
    TokenPrices,
    blend_windows,
    window_weights,
)
from app.core.workload import Workload
from app.scenario.inputs import ApiOptionIn
from app.scenario.resolve import resolve_api
from tests.helpers import assert_error_shape

# ---------------------------------------------------------------------------------------------
# Partial overrides: a missing price falls back to a real price, never to 0

CATALOG_WITH_BATCH = ApiPrices(
    standard=TokenPrices(2.0, 8.0, 0.5, 2.5),
    batch=TokenPrices(1.0, 4.0, 0.25, 1.25),
    source="catalog",
    as_of="2026-11-10",
    model="m",
)
CATALOG_WITHOUT_BATCH = ApiPrices(standard=TokenPrices(2.0, 8.0, 0.5, None), source="catalog", model="m")


def resolved(base: ApiPrices | None, **typed: Any) -> ApiPrices:
    spec = ApiOptionIn(kind="api", name="X", model="m" if base else None, **typed)
    return resolve_api(spec, lambda model, provider: base or CATALOG_WITH_BATCH).option.prices


@pytest.mark.parametrize(
    ("base", "typed", "expected_batch"),
    [
        # No batch price typed: the catalog's, or none at all.
        (CATALOG_WITH_BATCH, {}, TokenPrices(1.0, 4.0, 0.25, 1.25)),
        (CATALOG_WITHOUT_BATCH, {}, None),
        # Batch input only: output from the catalog's batch price, else the standard output price.
        (CATALOG_WITH_BATCH, {"batch_input_per_mtok": 0.8}, TokenPrices(0.8, 4.0, 0.25, 1.25)),
        (CATALOG_WITHOUT_BATCH, {"batch_input_per_mtok": 0.8}, TokenPrices(0.8, 8.0, 0.5, None)),
        # Batch output only: input likewise.
        (CATALOG_WITH_BATCH, {"batch_output_per_mtok": 3.0}, TokenPrices(1.0, 3.0, 0.25, 1.25)),
        (CATALOG_WITHOUT_BATCH, {"batch_output_per_mtok": 3.0}, TokenPrices(2.0, 3.0, 0.5, None)),
        # Both typed.
        (
            CATALOG_WITH_BATCH,
            {"batch_input_per_mtok": 0.8, "batch_output_per_mtok": 3.0},
            TokenPrices(0.8, 3.0, 0.25, 1.25),
        ),
        (
            CATALOG_WITHOUT_BATCH,
            {"batch_input_per_mtok": 0.8, "batch_output_per_mtok": 3.0},
            TokenPrices(0.8, 3.0, 0.5, None),
        ),
        # A standard override keeps the provider's batch discount (50% here) on the typed price.
        (CATALOG_WITH_BATCH, {"output_per_mtok": 10.0}, TokenPrices(1.0, 5.0, 0.25, 1.25)),
        (CATALOG_WITH_BATCH, {"input_per_mtok": 3.0, "cached_input_per_mtok": 0.3}, TokenPrices(1.5, 4.0, 0.15, 1.25)),
        (
            CATALOG_WITH_BATCH,
            {"output_per_mtok": 10.0, "batch_input_per_mtok": 0.8},
            TokenPrices(0.8, 5.0, 0.25, 1.25),
        ),
        # An explicit 0.0 cache price is a price (free cache reads, batch ones too), not "not given".
        (CATALOG_WITH_BATCH, {"cached_input_per_mtok": 0.0}, TokenPrices(1.0, 4.0, 0.0, 1.25)),
        # A custom API (no model): batch input typed, batch output falls back to standard output.
        (None, {"input_per_mtok": 1.0, "output_per_mtok": 6.0, "batch_input_per_mtok": 0.5}, TokenPrices(0.5, 6.0)),
        (None, {"input_per_mtok": 1.0, "output_per_mtok": 6.0, "batch_output_per_mtok": 3.0}, TokenPrices(1.0, 3.0)),
        (None, {"input_per_mtok": 1.0, "output_per_mtok": 6.0}, None),
    ],
)
def test_partial_batch_overrides(base: ApiPrices | None, typed: dict[str, float], expected_batch: TokenPrices) -> None:
    prices = resolved(base, **typed)
    assert prices.batch == expected_batch
    if prices.batch is not None:
        assert prices.batch.input_per_mtok > 0 and prices.batch.output_per_mtok > 0


def test_an_explicit_zero_cache_price_is_kept() -> None:
    prices = resolved(CATALOG_WITH_BATCH, cached_input_per_mtok=0.0, cache_write_per_mtok=0.0)
    assert (prices.standard.cached_input_per_mtok, prices.standard.cache_write_per_mtok) == (0.0, 0.0)


def test_a_batch_heavy_api_is_not_priced_as_free_output() -> None:
    """The bug: batch input typed alone billed batch output at $0, up to 9x too cheap."""
    prices = resolved(CATALOG_WITHOUT_BATCH, batch_input_per_mtok=1.0)
    workload = Workload(requests_per_month=1, input_tokens=1000, output_tokens=1000, batchable_fraction=1.0)
    breakdown = ApiOption("X", prices).cost_breakdown(workload)
    assert breakdown.output == pytest.approx(1000 * 8.0 / 1e6)
    assert any("no batch output price" in note and "standard output price" in note for note in breakdown.notes)


TIERED = ApiPrices(
    standard=TokenPrices(2.0, 8.0),
    batch=TokenPrices(1.0, 4.0),
    long_context_threshold_tokens=200_000,
    long_context=TokenPrices(4.0, 12.0),
    long_context_batch=TokenPrices(2.0, 6.0),
    model="m",
)


@pytest.mark.parametrize(
    ("typed", "long_context", "long_batch"),
    [
        ({}, TokenPrices(4.0, 12.0), TokenPrices(2.0, 6.0)),
        # The long-context multiplier (×2 input, ×1.5 output) applies to the typed standard price.
        ({"input_per_mtok": 3.0}, TokenPrices(6.0, 12.0), TokenPrices(3.0, 6.0)),
        # A typed batch price carries its ratio to the catalog batch price into the long-context tier.
        ({"batch_output_per_mtok": 2.0}, TokenPrices(4.0, 12.0), TokenPrices(2.0, 3.0)),
    ],
)
def test_long_context_tiers_follow_overridden_prices(
    typed: dict[str, float], long_context: TokenPrices, long_batch: TokenPrices
) -> None:
    prices = resolved(TIERED, **typed)
    assert (prices.long_context, prices.long_context_batch) == (long_context, long_batch)


# ---------------------------------------------------------------------------------------------
# Time-of-day prices: the same answer at any hour


class _Clock:
    """Replaces `datetime` in app.catalog.api_prices so "now" is a chosen instant."""

    @staticmethod
    def at(instant: datetime) -> type[datetime]:
        class Frozen(datetime):
            @classmethod
            def now(cls, tz: Any = None) -> Frozen:  # type: ignore[override]
                return cls.fromtimestamp(instant.timestamp(), tz)

        return Frozen


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Any:
    def set_clock(instant: datetime) -> None:
        monkeypatch.setattr(api_prices, "datetime", _Clock.at(instant))
        api_prices.clear_caches()

    yield set_clock
    monkeypatch.undo()
    api_prices.clear_caches()


PEAK = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)  # DeepSeek's standard window is 00:30-16:30 UTC
OFF_PEAK = datetime(2026, 11, 26, 20, 0, tzinfo=UTC)
# deepseek-chat: $0.27/$1.10 for 16 h, $0.135/$0.55 off-peak for 8 h (genai-prices 0.2.3).
DEEPSEEK_BLEND = TokenPrices(0.27 * 16 / 24 + 0.135 * 8 / 24, 1.1 * 16 / 24 + 0.55 * 8 / 24)


def test_deepseek_costs_the_same_at_peak_and_off_peak(clock: Any) -> None:
    found = []
    for instant in (PEAK, OFF_PEAK):
        clock(instant)
        prices = api_prices.resolve_api_prices("deepseek-chat", "deepseek")
        entry = next(e for e in api_prices.list_api_models() if e.model == "deepseek-chat")
        found.append((prices.standard, entry.input_per_mtok, entry.output_per_mtok))
        assert (entry.input_per_mtok, entry.output_per_mtok) == (
            prices.standard.input_per_mtok,
            prices.standard.output_per_mtok,
        )
    assert found[0] == found[1]
    standard = found[0][0]
    assert standard.input_per_mtok == pytest.approx(DEEPSEEK_BLEND.input_per_mtok)
    assert standard.output_per_mtok == pytest.approx(DEEPSEEK_BLEND.output_per_mtok)


def test_deepseek_break_even_is_the_same_at_any_hour(client: TestClient, clock: Any) -> None:
    body = {
        "workload": {"requests_per_month": 1_000_000, "input_tokens": 1000, "output_tokens": 500},
        "options": [{"kind": "api", "name": "DeepSeek", "provider": "deepseek", "model": "deepseek-chat"}],
    }
    answers = []
    for instant in (PEAK, OFF_PEAK):
        clock(instant)
        answers.append(client.post("/api/v1/breakeven", json=body).json()["options"][0])
    assert answers[0] == answers[1]
    option = answers[0]
    assert option["prices"]["time_of_day"] == "blend"
    assert [w["hours"] for w in option["prices"]["time_of_day_windows"]] == [16.0, 8.0]
    assert any("blended over the day" in note for note in option["notes"])
    assert "blended" in option["prices"]["source"]


def test_off_peak_only_gives_the_off_peak_price(client: TestClient, clock: Any) -> None:
    clock(PEAK)
    body = {
        "workload": {"requests_per_month": 1000, "input_tokens": 1000, "output_tokens": 500},
        "options": [
            {"kind": "api", "name": "DS", "provider": "deepseek", "model": "deepseek-chat", "time_of_day": "off_peak"}
        ],
    }
    option = client.post("/api/v1/breakeven", json=body).json()["options"][0]
    assert option["prices"]["standard"] == {
        "input_per_mtok": 0.135,
        "output_per_mtok": 0.55,
        "cached_input_per_mtok": 0.035,
        "cache_write_per_mtok": None,
    }
    assert option["prices"]["time_of_day"] == "off_peak"
    assert any("off-peak window only (16:30–00:30 UTC)" in note for note in option["notes"])
    assert "off-peak window only" in option["prices"]["source"]


def test_the_time_of_day_choice_round_trips_through_the_form() -> None:
    from app.web.forms import parse_query
    from app.web.query_codec import scenario_to_query

    query = (
        "volume=1000&input_tokens=500&output_tokens=500&api.0.name=DS&api.0.provider=deepseek"
        "&api.0.model=deepseek-chat&api.0.time_of_day=off_peak"
    )
    scenario, _ = parse_query(query)
    assert scenario is not None
    option = scenario.options[0]
    assert isinstance(option, ApiOptionIn) and option.time_of_day == "off_peak"
    assert "api.0.time_of_day=off_peak" in scenario_to_query(scenario)


def test_time_of_day_windows_survive_a_saved_scenario() -> None:
    prices = api_prices.resolve_api_prices("deepseek-v4-flash", "deepseek")
    assert len(prices.time_of_day_windows) == 2
    assert api_prices_from_dict(json.loads(json.dumps(asdict(prices)))) == prices


WINDOW_PRICES = st.floats(min_value=0.01, max_value=100, allow_nan=False)


@settings(max_examples=40, deadline=None)
@given(
    prices=st.lists(WINDOW_PRICES, min_size=2, max_size=2),
    split=st.integers(min_value=1, max_value=23),
    hourly=st.none() | st.lists(st.floats(min_value=0.01, max_value=10), min_size=24, max_size=24),
)
def test_a_blend_lies_between_its_windows(prices: list[float], split: int, hourly: list[float] | None) -> None:
    windows = [
        PriceWindow((("00:00", f"{split:02d}:00"),), split, TokenPrices(prices[0], prices[0])),
        PriceWindow(((f"{split:02d}:00", "00:00"),), 24 - split, TokenPrices(prices[1], prices[1])),
    ]
    assert sum(window_weights(windows, hourly)) == pytest.approx(1)
    standard = blend_windows(windows, hourly)[0]
    assert min(prices) * (1 - 1e-12) <= standard.input_per_mtok <= max(prices) * (1 + 1e-12)


# ---------------------------------------------------------------------------------------------
# The snapshot's date: when its data was published, not its newest scheduled price change


def test_the_pinned_release_has_a_publication_date() -> None:
    assert api_prices.GENAI_PRICES_VERSION in api_prices.GENAI_PRICES_PUBLISHED


def test_as_of_is_the_publication_date_and_goes_stale(clock: Any) -> None:
    clock(datetime(2027, 2, 15, 9, 0, tzinfo=UTC))
    # The data holds price changes scheduled for 2026-12-01 and 2027-01-01: not its date.
    assert api_prices.snapshot_as_of() == "2026-11-10"
    age = api_prices.snapshot_age()
    assert (age.age_days, age.stale) == (97, True)
    assert age.warning and "97 days old" in age.warning


def test_stale_warning_reaches_the_answer(client: TestClient, clock: Any) -> None:
    clock(datetime(2027, 2, 15, 9, 0, tzinfo=UTC))
    snapshot = client.get("/api/v1/catalog/api-models", params={"limit": 1}).json()["snapshot"]
    assert (snapshot["as_of"], snapshot["stale"]) == ("2026-11-10", True)


def test_scheduled_price_changes_still_apply_from_their_start_date(clock: Any) -> None:
    clock(datetime(2026, 11, 26, 12, 0, tzinfo=UTC))
    before = api_prices.resolve_api_prices("gemini-4-argon", "google")
    clock(datetime(2026, 12, 2, 12, 0, tzinfo=UTC))
    after = api_prices.resolve_api_prices("gemini-4-argon", "google")
    assert before.standard != after.standard
    assert before.as_of == after.as_of == "2026-11-10"


def test_a_refreshed_snapshot_is_dated_by_its_fetch_time() -> None:
    bundled = get_snapshot()
    set_custom_snapshot(
        DataSnapshot(bundled.providers, from_auto_update=True, timestamp=datetime(2027, 1, 5, 8, 0, tzinfo=UTC))
    )
    api_prices.clear_caches()
    try:
        assert api_prices.snapshot_as_of() == "2027-01-05"
    finally:
        set_custom_snapshot(None)
        api_prices.clear_caches()


# ---------------------------------------------------------------------------------------------
# Every price used is in the answer


def test_long_context_batch_prices_are_in_the_break_even_json(client: TestClient) -> None:
    body = {
        "workload": {
            "requests_per_month": 1000,
            "input_tokens": 150_000,
            "output_tokens": 1000,
            "batchable_fraction": 0.5,
        },
        "options": [{"kind": "api", "name": "Haiku", "provider": "anthropic", "model": "claude-haiku-5-5"}],
    }
    option = client.post("/api/v1/breakeven", json=body).json()["options"][0]
    assert option["per_request_breakdown"]["tier"] == "long_context"
    catalog = api_prices.resolve_api_prices("claude-haiku-5-5", "anthropic")
    assert catalog.long_context_batch is not None
    assert option["prices"]["long_context_batch"] == asdict(catalog.long_context_batch)
    assert option["prices"]["context_window"] == 1_000_000


def test_the_catalog_lists_long_context_tiers_and_batch_cache_prices(client: TestClient) -> None:
    items = client.get("/api/v1/catalog/api-models", params={"provider": "anthropic", "q": "claude-haiku-5-5"}).json()
    entry = next(i for i in items["items"] if i["model"] == "claude-haiku-5-5")
    prices = api_prices.resolve_api_prices("claude-haiku-5-5", "anthropic")
    assert prices.long_context is not None and prices.long_context_batch is not None and prices.batch is not None
    assert entry["long_context_threshold_tokens"] == prices.long_context_threshold_tokens
    assert entry["long_context"] == asdict(prices.long_context)
    assert entry["long_context_batch"] == asdict(prices.long_context_batch)
    assert entry["batch_cached_input_per_mtok"] == prices.batch.cached_input_per_mtok
    assert entry["batch_cache_write_per_mtok"] == prices.batch.cache_write_per_mtok


# ---------------------------------------------------------------------------------------------
# Context windows


def test_a_prompt_longer_than_the_context_window_is_refused(client: TestClient) -> None:
    body = {
        "workload": {"requests_per_month": 1000, "input_tokens": 250_000, "output_tokens": 1000},
        "options": [
            {"kind": "api", "name": "Flat", "input_per_mtok": 1.0, "output_per_mtok": 1.0},
            {"kind": "api", "name": "GPT-4o", "provider": "openai", "model": "gpt-4o"},
        ],
    }
    response = client.post("/api/v1/breakeven", json=body)
    [detail] = assert_error_shape(response, field="input_tokens")
    assert detail["loc"] == ["body", "options", 1, "input_tokens"]
    assert "251,000" in detail["msg"] and "128,000" in detail["msg"] and "gpt-4o" in detail["msg"]


def test_a_prompt_inside_the_context_window_is_accepted(client: TestClient) -> None:
    body = {
        "workload": {"requests_per_month": 1000, "input_tokens": 120_000, "output_tokens": 1000},
        "options": [{"kind": "api", "name": "GPT-4o", "provider": "openai", "model": "gpt-4o"}],
    }
    assert client.post("/api/v1/breakeven", json=body).status_code == 200


def test_a_model_selling_a_tier_beyond_its_window_is_not_refused() -> None:
    """Claude Sonnet 4.5: 200k standard window, a priced >200k tier (its 1M-token beta)."""
    prices = api_prices.resolve_api_prices("claude-sonnet-4-5", "anthropic")
    assert prices.long_context_threshold_tokens == 200_000 and prices.context_window is None
    workload = Workload(requests_per_month=1, input_tokens=250_000, output_tokens=1000)
    assert ApiOption("Sonnet", prices).cost_breakdown(workload).tier == "long_context"


@pytest.mark.parametrize(("at", "expected"), [(date(2026, 11, 26), 128_000)])
def test_context_window_comes_from_genai_prices(at: date, expected: int) -> None:
    provider, model = get_snapshot().find_provider_model("gpt-4o", None, "openai", None)
    prices = api_prices.prices_for(provider, model, at)
    assert prices is not None and prices.context_window == expected == model.context_window
