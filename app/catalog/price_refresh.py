"""Opt-in refresh of the API price snapshot through genai-prices' own update source.

Off by default: the app serves the snapshot bundled with the pinned genai-prices package and makes
no outbound request. `breakeven prices refresh` fetches genai-prices' published price data from its
fixed URL (the one genai-prices' UpdatePrices uses), validates it with genai-prices' own parser,
and saves it under DATA_DIR; from then on the app starts with that snapshot. Delete the file to
go back to the bundled one.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from genai_prices.data_snapshot import DataSnapshot, set_custom_snapshot
from genai_prices.update_prices import DEFAULT_UPDATE_URL

SNAPSHOT_FILE = "genai-prices-snapshot.json"


def _providers(raw: Any) -> list[Any]:
    # genai-prices' own loader for its published data (what UpdatePrices.fetch uses).
    from genai_prices.types import _providers_from_raw

    if not isinstance(raw, list):
        raise ValueError("expected a list of providers in the genai-prices price data")
    providers: list[Any] = _providers_from_raw(raw)
    return providers


def refresh_prices(data_dir: Path, transport: httpx.BaseTransport | None = None) -> tuple[Path, int]:
    """Fetch, validate and save the latest genai-prices data; returns the file and the model count."""
    with httpx.Client(transport=transport, timeout=httpx.Timeout(10, connect=5)) as client:
        response = client.get(DEFAULT_UPDATE_URL)
        response.raise_for_status()
    raw = json.loads(response.content)
    providers = _providers(raw)
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / SNAPSHOT_FILE
    document = {
        "fetched_at": datetime.now(tz=UTC).isoformat(timespec="seconds"),
        "url": DEFAULT_UPDATE_URL,
        "providers": raw,
    }
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(document))
    tmp.replace(path)  # atomic: a running app never sees half a file
    return path, sum(len(p.models) for p in providers)


def use_refreshed_prices(data_dir: Path) -> str | None:
    """Switch genai-prices to a refreshed snapshot saved under `data_dir`, if there is one.
    Returns when it was fetched, or None when the bundled snapshot stays in use."""
    path = data_dir / SNAPSHOT_FILE
    if not path.exists():
        return None
    document = json.loads(path.read_text())
    set_custom_snapshot(DataSnapshot(_providers(document["providers"]), from_auto_update=True))
    from app.catalog import api_prices

    api_prices.clear_caches()
    fetched_at: str = document["fetched_at"]
    return fetched_at
