"""`breakeven prices refresh`: opt-in, from genai-prices' fixed source, validated, atomic, reversible."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from genai_prices.data_snapshot import set_custom_snapshot
from genai_prices.update_prices import DEFAULT_UPDATE_URL

from app.catalog import api_prices, litellm_prices
from app.catalog.price_refresh import (
    LITELLM_FILE,
    SNAPSHOT_FILE,
    RefreshFailed,
    refresh_litellm_prices,
    refresh_prices,
    use_refreshed_prices,
)
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
    litellm_prices.use_bundled_litellm()
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


def test_a_refreshed_snapshot_is_dated_by_its_fetch_not_its_load(tmp_path: Path) -> None:
    refresh_prices(tmp_path, transport(PUBLISHED, []))
    path = tmp_path / SNAPSHOT_FILE
    document = json.loads(path.read_text())
    document["fetched_at"] = "2026-09-01T12:00:00+00:00"  # fetched in September, loaded today
    path.write_text(json.dumps(document))
    assert use_refreshed_prices(tmp_path) == "2026-09-01T12:00:00+00:00"
    assert api_prices.snapshot_as_of() == "2026-09-01"


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


# LiteLLM's map: enough chat models to pass the sanity floor, plus records the trim must drop.
LITELLM_PUBLISHED: dict[str, object] = {
    "sample_spec": {"litellm_provider": "one of ...", "mode": "chat", "input_cost_per_token": 0.0},
    "gpt-5": {
        "litellm_provider": "openai",
        "mode": "chat",
        "input_cost_per_token": 2e-06,
        "output_cost_per_token": 1.6e-05,
        "deprecation_date": "2027-02-01",
        "supports_vision": True,
    },
    "azure/gpt-5": {"litellm_provider": "azure", "mode": "chat", "input_cost_per_token": 1e-06},
    "text-embedding-3-small": {"litellm_provider": "openai", "mode": "embedding", "input_cost_per_token": 2e-08},
    **{
        f"synthetic-{i}": {
            "litellm_provider": "openai",
            "mode": "chat",
            "input_cost_per_token": 1e-06,
            "output_cost_per_token": 2e-06,
        }
        for i in range(120)
    },
}


def test_litellm_refresh_fetches_only_its_fixed_source_trims_and_switches(tmp_path: Path) -> None:
    requested: list[str] = []
    path, models = refresh_litellm_prices(tmp_path, transport(LITELLM_PUBLISHED, requested))
    assert requested == [litellm_prices.LITELLM_URL] and path == tmp_path / LITELLM_FILE
    assert models == 121  # gpt-5 and the synthetic ones: not the spec, azure or the embedding model
    document = json.loads(path.read_text())
    assert document["_source"]["url"] == litellm_prices.LITELLM_URL and document["_source"]["as_of"]
    assert "supports_vision" not in document["models"]["gpt-5"]
    # Retirements carry over: LiteLLM's fresh map no longer lists Claude Opus 4.1, the bundle's record stays.
    assert document["retired"]["claude-opus-4-1"]["deprecation_date"] == "2026-08-05"
    # A model the previous map dated in the past and the fresh one dropped becomes a retired record.
    assert document["retired"]["o4-mini"]["deprecation_date"] == "2026-10-23"

    use_refreshed_prices(tmp_path)
    gpt5 = litellm_prices.second_source("openai", "gpt-5")
    assert gpt5 is not None and (gpt5.input_per_mtok, gpt5.output_per_mtok) == (2.0, 16.0)
    assert gpt5.retires_on is not None and gpt5.retires_on.isoformat() == "2027-02-01"


def test_litellm_refresh_refuses_what_is_not_the_price_map(tmp_path: Path) -> None:
    for body in (["a", "list"], {"gpt-5": LITELLM_PUBLISHED["gpt-5"]}):  # wrong shape; too few models
        with pytest.raises(ValueError):
            refresh_litellm_prices(tmp_path, transport(body, []))
    assert not (tmp_path / LITELLM_FILE).exists()
    assert use_refreshed_prices(tmp_path) is None  # the bundled map stays in use
    assert litellm_prices.litellm_snapshot().source["litellm_version"]


def test_a_failed_fetch_writes_nothing(tmp_path: Path) -> None:
    failing = httpx.MockTransport(lambda request: httpx.Response(503))
    for refresh in (refresh_prices, refresh_litellm_prices):
        with pytest.raises(RefreshFailed):
            refresh(tmp_path, failing)
    assert list(tmp_path.iterdir()) == []
