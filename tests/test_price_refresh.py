"""`breakeven prices refresh`: opt-in, from genai-prices' fixed source, validated, atomic, reversible."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from genai_prices.data_snapshot import set_custom_snapshot
from genai_prices.update_prices import DEFAULT_UPDATE_URL

from app.catalog import api_prices
from app.catalog.price_refresh import SNAPSHOT_FILE, refresh_prices, use_refreshed_prices
from app.web import pages

PUBLISHED = [
    {
        "id": "openai",
        "name": "OpenAI",
        "api_pattern": "https://api\\\\.openai\\\\.com",
        "models": [
            {
                "id": "gpt-refreshed",
                "match": {"equals": "gpt-refreshed"},
                "prices": {"input_mtok": 0.5, "output_mtok": 4},
            }
        ],
    }
]


@pytest.fixture(autouse=True)
def bundled_prices_afterwards() -> Iterator[None]:
    yield
    set_custom_snapshot(None)
    api_prices.clear_caches()
    pages._api_choices.cache_clear()


def transport(body: object, requested: list[str]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        requested.append(str(request.url))
        return httpx.Response(200, json=body)

    return httpx.MockTransport(handler)


def test_refresh_fetches_only_the_fixed_source_and_switches_the_snapshot(tmp_path: Path) -> None:
    requested: list[str] = []
    path, models = refresh_prices(tmp_path, transport(PUBLISHED, requested))
    assert requested == [DEFAULT_UPDATE_URL] and models == 1 and path == tmp_path / SNAPSHOT_FILE
    assert use_refreshed_prices(tmp_path) is not None
    prices = api_prices.resolve_api_prices("gpt-refreshed", "openai")
    assert (prices.standard.input_per_mtok, prices.standard.output_per_mtok) == (0.5, 4.0)


def test_without_a_refresh_the_bundled_snapshot_is_used(tmp_path: Path) -> None:
    assert use_refreshed_prices(tmp_path) is None
    assert api_prices.resolve_api_prices("gpt-5-mini", "openai").standard.input_per_mtok > 0


def test_invalid_data_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        refresh_prices(tmp_path, transport({"not": "a list"}, []))
    assert not (tmp_path / SNAPSHOT_FILE).exists()


def test_saved_file_is_complete_json(tmp_path: Path) -> None:
    refresh_prices(tmp_path, transport(PUBLISHED, []))
    document = json.loads((tmp_path / SNAPSHOT_FILE).read_text())
    assert document["url"] == DEFAULT_UPDATE_URL and document["providers"] == PUBLISHED and document["fetched_at"]
