"""Opt-in refresh of the API price snapshot through genai-prices' own update source.

Off by default: the app serves the snapshot bundled with the pinned genai-prices package and makes
no outbound request. `breakeven prices refresh` fetches genai-prices' published price data from its
fixed URL (the one genai-prices' UpdatePrices uses), validates it with genai-prices' own parser,
and saves it under DATA_DIR; from then on the app starts with that snapshot. Delete the file to
go back to the bundled one.

The same command refreshes the second source, LiteLLM's price map (app.catalog.litellm_prices), from
its fixed raw GitHub URL: trimmed and validated the same way as the bundled copy, saved atomically,
used from the next start. httpx is imported inside the refresh functions: only this opt-in command
makes outbound requests, and httpx is not a runtime dependency of the app.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from genai_prices.data_snapshot import DataSnapshot, set_custom_snapshot
from genai_prices.update_prices import DEFAULT_UPDATE_URL

from app.catalog import litellm_prices

if TYPE_CHECKING:
    import httpx

SNAPSHOT_FILE = "genai-prices-snapshot.json"
LITELLM_FILE = litellm_prices.REFRESHED_FILE


class RefreshFailed(ValueError):
    """The source could not be fetched (network, HTTP status): nothing was written."""


def _fetch(url: str, transport: httpx.BaseTransport | None) -> bytes:
    import httpx

    try:
        with httpx.Client(transport=transport, timeout=httpx.Timeout(10, connect=5)) as client:
            response = client.get(url)
            response.raise_for_status()
    except httpx.HTTPError as error:
        raise RefreshFailed(f"{url}: {error}") from error
    return response.content


def _write_atomically(path: Path, document: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(document))
    tmp.replace(path)  # atomic: a running app never sees half a file


def _providers(raw: Any) -> list[Any]:
    # genai-prices' own loader for its published data (what UpdatePrices.fetch uses).
    from genai_prices.types import _providers_from_raw

    if not isinstance(raw, list):
        raise ValueError("expected a list of providers in the genai-prices price data")
    providers: list[Any] = _providers_from_raw(raw)
    return providers


def refresh_prices(data_dir: Path, transport: httpx.BaseTransport | None = None) -> tuple[Path, int]:
    """Fetch, validate and save the latest genai-prices data; returns the file and the model count."""
    raw = json.loads(_fetch(DEFAULT_UPDATE_URL, transport))
    providers = _providers(raw)
    path = data_dir / SNAPSHOT_FILE
    document = {
        "fetched_at": datetime.now(tz=UTC).isoformat(timespec="seconds"),
        "url": DEFAULT_UPDATE_URL,
        "providers": raw,
    }
    _write_atomically(path, document)
    return path, sum(len(p.models) for p in providers)


def refresh_litellm_prices(data_dir: Path, transport: httpx.BaseTransport | None = None) -> tuple[Path, int]:
    """Fetch, trim, validate and save LiteLLM's latest price map; returns the file and the model count.
    Retired records carry over from the map in use (bundled or last refreshed): LiteLLM deletes a
    model some time after its retirement, and a retirement stays a fact."""
    raw = json.loads(_fetch(litellm_prices.LITELLM_URL, transport))
    models = litellm_prices.trim_price_map(raw)
    fetched = datetime.now(tz=UTC)
    path = data_dir / LITELLM_FILE
    previous_path = path if path.exists() else litellm_prices.BUNDLED_FILE
    previous = json.loads(previous_path.read_text())
    previous_source = previous.get("_source") or {}
    previous_label = f"{litellm_prices.SOURCE_NAME} as of {previous_source.get('as_of', 'an earlier date')}"
    document = {
        "_source": {
            "name": litellm_prices.SOURCE_NAME,
            "url": litellm_prices.LITELLM_URL,
            "as_of": fetched.date().isoformat(),
            "fetched_at": fetched.isoformat(timespec="seconds"),
            "trimmed": "chat/responses models of app.catalog.litellm_prices.KEPT_PROVIDERS; KEPT_FIELDS only",
        },
        "models": dict(sorted(models.items())),
        "retired": dict(
            sorted(litellm_prices.carried_retired(previous, models, fetched.date(), previous_label).items())
        ),
    }
    _write_atomically(path, document)
    return path, len(models)


def use_refreshed_prices(data_dir: Path) -> str | None:
    """Switch genai-prices to a refreshed snapshot saved under `data_dir`, if there is one.
    Returns when it was fetched, or None when the bundled snapshot stays in use."""
    litellm_prices.use_refreshed_litellm(data_dir)
    path = data_dir / SNAPSHOT_FILE
    if not path.exists():
        return None
    document = json.loads(path.read_text())
    # Dated by when it was fetched (the snapshot's as-of date), not by when the app loads it.
    fetched = datetime.fromisoformat(document["fetched_at"])
    set_custom_snapshot(DataSnapshot(_providers(document["providers"]), from_auto_update=True, timestamp=fetched))
    from app.catalog import api_prices

    api_prices.clear_caches()
    fetched_at: str = document["fetched_at"]
    return fetched_at
