"""Where a scenario's figures come from: the catalog, API prices and estimator efficiencies.

Live sources read today's bundled catalog, the genai-prices snapshot and the committed efficiencies.
A saved scenario keeps a *snapshot* of every figure it used, so it evaluates to the same answer
forever, whatever later catalog or price updates say; `frozen_sources(snapshot)` reads it back.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from importlib.resources import files
from typing import Any

from app.catalog.api_prices import GENAI_PRICES_VERSION, resolve_api_prices, snapshot_as_of
from app.catalog.efficiencies import parse_efficiencies
from app.core.api_cost import ApiPrices, PriceWindow, TokenPrices
from app.core.efficiencies import Efficiencies, Engine
from app.core.errors import UnknownId
from app.core.specs import Catalog, CostParameter, GpuSpec, ModelArchitecture, PurchaseOffer, RentalOffer

SNAPSHOT_VERSION = 1


@dataclass(frozen=True)
class Sources:
    catalog: Catalog
    api_prices: Callable[[str, str | None], ApiPrices]
    efficiencies: Callable[[Engine], Efficiencies]
    label: str  # "live" or "frozen <date>"


def _efficiencies_text() -> str:
    return files("app.catalog").joinpath("efficiencies.toml").read_text()


def _api_key(provider: str | None, model: str) -> str:
    return f"{provider or ''}|{model}"


def take_snapshot(
    catalog: Catalog,
    gpu_ids: set[str],
    model_ids: set[str],
    rental_offer_ids: set[str],
    purchase_offer_ids: set[str],
    api_models: set[tuple[str | None, str]],
) -> dict[str, Any]:
    """Every live figure a scenario used, as JSON-ready data."""
    return {
        "version": SNAPSHOT_VERSION,
        "genai_prices": {"version": GENAI_PRICES_VERSION, "as_of": snapshot_as_of()},
        "gpus": {i: asdict(catalog.gpus[i]) for i in sorted(gpu_ids) if i in catalog.gpus},
        "models": {i: asdict(catalog.models[i]) for i in sorted(model_ids) if i in catalog.models},
        "rental_offers": {i: asdict(catalog.rental_offers[i]) for i in sorted(rental_offer_ids)},
        "purchase_offers": {i: asdict(catalog.purchase_offers[i]) for i in sorted(purchase_offer_ids)},
        "cost_parameters": {i: asdict(p) for i, p in sorted(catalog.cost_parameters.items())},
        "api_prices": {
            _api_key(provider, model): asdict(resolve_api_prices(model, provider))
            for provider, model in sorted(api_models, key=lambda pm: (pm[0] or "", pm[1]))
        },
        "efficiencies_toml": _efficiencies_text(),
    }


def _token_prices(data: dict[str, Any] | None) -> TokenPrices | None:
    return TokenPrices(**data) if data else None


def _price_window(data: dict[str, Any]) -> PriceWindow:
    standard = _token_prices(data["standard"])
    assert standard is not None
    return PriceWindow(
        spans_utc=tuple((start, end) for start, end in data["spans_utc"]),
        hours=data["hours"],
        standard=standard,
        batch=_token_prices(data.get("batch")),
        long_context=_token_prices(data.get("long_context")),
        long_context_batch=_token_prices(data.get("long_context_batch")),
    )


def api_prices_from_dict(data: dict[str, Any]) -> ApiPrices:
    standard = _token_prices(data["standard"])
    assert standard is not None
    return ApiPrices(
        **{
            **data,
            "standard": standard,
            "batch": _token_prices(data.get("batch")),
            "long_context": _token_prices(data.get("long_context")),
            "long_context_batch": _token_prices(data.get("long_context_batch")),
            # Saved before time-of-day windows were kept: none (their prices were frozen as they were).
            "time_of_day_windows": tuple(_price_window(w) for w in data.get("time_of_day_windows", ())),
            "notes": tuple(data.get("notes", ())),
        }
    )


def frozen_sources(snapshot: dict[str, Any], label: str = "frozen") -> Sources:
    catalog = Catalog(
        gpus={i: GpuSpec(**d) for i, d in snapshot["gpus"].items()},
        models={i: ModelArchitecture(**d) for i, d in snapshot["models"].items()},
        rental_offers={i: RentalOffer(**d) for i, d in snapshot["rental_offers"].items()},
        purchase_offers={i: PurchaseOffer(**d) for i, d in snapshot["purchase_offers"].items()},
        cost_parameters={i: CostParameter(**d) for i, d in snapshot["cost_parameters"].items()},
    )
    prices = {key: api_prices_from_dict(value) for key, value in snapshot["api_prices"].items()}
    efficiencies = parse_efficiencies(snapshot["efficiencies_toml"])

    def api_prices(model: str, provider: str | None) -> ApiPrices:
        try:
            return prices[_api_key(provider, model)]
        except KeyError:
            raise UnknownId("API model in this saved scenario", model, [], field=("model",)) from None

    def engine_efficiencies(engine: Engine) -> Efficiencies:
        return efficiencies[engine]

    return Sources(catalog, api_prices, engine_efficiencies, label)
