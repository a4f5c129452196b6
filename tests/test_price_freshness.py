"""The price snapshot's date is shown, and an old snapshot is called out."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient

import app.catalog.api_prices as api_prices
from tests.test_embeds import SCENARIO, query


def test_snapshot_age_and_warning() -> None:
    as_of = date.fromisoformat(api_prices.snapshot_as_of())
    fresh = api_prices.snapshot_age(as_of + timedelta(days=30))
    assert (fresh.age_days, fresh.stale, fresh.warning) == (30, False, None)
    old = api_prices.snapshot_age(as_of + timedelta(days=91))
    assert old.stale and old.warning and "91 days old" in old.warning


@pytest.fixture
def stale(monkeypatch: pytest.MonkeyPatch) -> None:
    as_of = date.fromisoformat(api_prices.snapshot_as_of())
    real = api_prices.snapshot_age
    monkeypatch.setattr(api_prices, "snapshot_age", lambda today=None: real(as_of + timedelta(days=200)))
    import app.scenario.evaluate
    import app.web.api

    monkeypatch.setattr(app.scenario.evaluate, "snapshot_age", lambda today=None: real(as_of + timedelta(days=200)))
    monkeypatch.setattr(app.web.api, "snapshot_age", lambda today=None: real(as_of + timedelta(days=200)))


def test_api_and_page_warn_when_prices_are_old(client: TestClient, stale: None) -> None:
    snapshot = client.get("/api/v1/catalog/api-models", params={"limit": 1}).json()["snapshot"]
    assert snapshot["stale"] is True and snapshot["age_days"] == 200 and snapshot["as_of"]
    result = client.post("/api/v1/breakeven", json=SCENARIO).json()
    assert any("200 days old" in w for w in result["warnings"])
    assert "200 days old" in client.get("/?" + query()).text


def test_no_warning_for_typed_prices_or_fresh_snapshots(client: TestClient) -> None:
    typed = {**SCENARIO, "options": [SCENARIO["options"][0], SCENARIO["options"][2]]}
    assert client.post("/api/v1/breakeven", json=typed).json()["warnings"] == []
    snapshot = client.get("/api/v1/catalog/api-models", params={"limit": 1}).json()["snapshot"]
    assert "age_days" in snapshot and "stale" in snapshot
