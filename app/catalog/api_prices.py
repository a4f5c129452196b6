"""Closed-model and hosted-open API prices from genai-prices (pydantic's dated price catalog).

We do not hand-maintain a price table: every price comes from the pinned genai-prices snapshot,
resolved at today's date (prices with a start date in the future are not yet in force).
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from functools import cache
from importlib.metadata import version

from genai_prices import types as gp
from genai_prices.data_snapshot import get_snapshot

from app.core.api_cost import ApiPrices, TokenPrices
from app.core.errors import UnknownId

GENAI_PRICES_VERSION = version("genai-prices")
_BATCH_CONTEXT = {"processing": "batch"}


@dataclass(frozen=True)
class ApiModelEntry:
    provider: str
    provider_name: str
    model: str
    name: str
    context_window: int | None
    input_per_mtok: float
    output_per_mtok: float
    cached_input_per_mtok: float | None
    cache_write_per_mtok: float | None
    batch_input_per_mtok: float | None
    batch_output_per_mtok: float | None
    long_context_threshold_tokens: int | None
    deprecated: bool
    pricing_url: str | None
    source: str
    as_of: str


def _constraint_dates(model: gp.ModelInfo) -> list[date]:
    constraints: list[object] = []
    if isinstance(model.prices, list):
        constraints += [p.constraint for p in model.prices]
    constraints += [v.constraint for v in model.price_variants or ()]
    return [c.start_date for c in constraints if isinstance(c, gp.StartDateConstraint)]


@cache
def snapshot_as_of() -> str:
    """The newest price change in force today recorded in the snapshot: the snapshot's as-of date."""
    today = datetime.now(tz=UTC).date()
    dates = [d for p in get_snapshot().providers for m in p.models for d in _constraint_dates(m) if d <= today]
    return max(dates).isoformat() if dates else ""


# Beyond this age a price snapshot is likely to have missed cuts and launches: say so, loudly.
STALE_AFTER_DAYS = 90


@dataclass(frozen=True)
class SnapshotAge:
    as_of: str
    age_days: int
    stale: bool
    warning: str | None


def snapshot_age(today: date | None = None) -> SnapshotAge:
    today = today or datetime.now(tz=UTC).date()
    as_of = snapshot_as_of()
    age = (today - date.fromisoformat(as_of)).days if as_of else 10_000
    stale = age > STALE_AFTER_DAYS
    warning = (
        f"API prices are {age} days old (genai-prices {GENAI_PRICES_VERSION}, as of {as_of}): "
        "upgrade genai-prices, or check the provider's page and type the prices in."
        if stale
        else None
    )
    return SnapshotAge(as_of, age, stale, warning)


def _source(provider: gp.Provider) -> str:
    url = (provider.pricing_urls or [None])[0]
    where = f"; provider's price page {url}" if url else ""
    return f"genai-prices {GENAI_PRICES_VERSION} snapshot{where}"


def _base_and_tier(value: Decimal | gp.TieredPrices | None) -> tuple[float | None, int | None, float | None]:
    if value is None:
        return None, None, None
    if isinstance(value, gp.TieredPrices):
        first = value.tiers[0] if value.tiers else None
        return float(value.base), first.start if first else None, float(first.price) if first else None
    return float(value), None, None


def _token_prices(price: gp.ModelPrice, tier: bool) -> tuple[TokenPrices | None, int | None]:
    """The standard (tier=False) or long-context (tier=True) prices of one genai-prices variant."""
    fields: dict[str, float | None] = {}
    threshold: int | None = None
    for ours, theirs in (
        ("input_per_mtok", "input_mtok"),
        ("output_per_mtok", "output_mtok"),
        ("cached_input_per_mtok", "cache_read_mtok"),
        ("cache_write_per_mtok", "cache_write_mtok"),
    ):
        base, start, tier_price = _base_and_tier(getattr(price, theirs))
        threshold = threshold or start
        fields[ours] = tier_price if tier and tier_price is not None else base
    if fields["input_per_mtok"] is None or fields["output_per_mtok"] is None:
        return None, threshold
    return (
        TokenPrices(
            input_per_mtok=fields["input_per_mtok"],
            output_per_mtok=fields["output_per_mtok"],
            cached_input_per_mtok=fields["cached_input_per_mtok"],
            cache_write_per_mtok=fields["cache_write_per_mtok"],
        ),
        threshold,
    )


def _has_batch_variant(model: gp.ModelInfo) -> bool:
    return any(v.when == _BATCH_CONTEXT for v in model.price_variants or ())


def prices_for(provider: gp.Provider, model: gp.ModelInfo, at: datetime | None = None) -> ApiPrices | None:
    """ApiPrices of one genai-prices model, or None when it is not priced per text token."""
    at = at or datetime.now(tz=UTC)
    standard_price = model.get_prices(at)
    standard, threshold = _token_prices(standard_price, tier=False)
    if standard is None:
        return None
    batch = long_context = long_batch = None
    if threshold is not None:
        long_context, _ = _token_prices(standard_price, tier=True)
    if _has_batch_variant(model):
        batch_price = model.get_prices(at, _BATCH_CONTEXT)
        batch, _ = _token_prices(batch_price, tier=False)
        if threshold is not None:
            long_batch, _ = _token_prices(batch_price, tier=True)
    return ApiPrices(
        standard=standard,
        batch=batch,
        long_context_threshold_tokens=threshold,
        long_context=long_context,
        long_context_batch=long_batch,
        source=_source(provider),
        as_of=snapshot_as_of(),
        provider=provider.id,
        model=model.id,
    )


@cache
def list_api_models() -> tuple[ApiModelEntry, ...]:
    entries: list[ApiModelEntry] = []
    for provider in get_snapshot().providers:
        for model in provider.models:
            prices = prices_for(provider, model)
            if prices is None:
                continue
            entries.append(
                ApiModelEntry(
                    provider=provider.id,
                    provider_name=provider.name,
                    model=model.id,
                    name=model.name or model.id,
                    context_window=model.context_window,
                    input_per_mtok=prices.standard.input_per_mtok,
                    output_per_mtok=prices.standard.output_per_mtok,
                    cached_input_per_mtok=prices.standard.cached_input_per_mtok,
                    cache_write_per_mtok=prices.standard.cache_write_per_mtok,
                    batch_input_per_mtok=prices.batch.input_per_mtok if prices.batch else None,
                    batch_output_per_mtok=prices.batch.output_per_mtok if prices.batch else None,
                    long_context_threshold_tokens=prices.long_context_threshold_tokens,
                    deprecated=bool(model.deprecated),
                    pricing_url=(provider.pricing_urls or [None])[0],
                    source=prices.source,
                    as_of=prices.as_of,
                )
            )
    return tuple(entries)


def clear_caches() -> None:
    """After genai-prices switches snapshot (app.catalog.price_refresh)."""
    snapshot_as_of.cache_clear()
    list_api_models.cache_clear()


def resolve_api_prices(model: str, provider: str | None = None) -> ApiPrices:
    """Prices for a model id (as the provider names it), optionally pinned to a provider id."""
    snapshot = get_snapshot()
    try:
        found_provider, found_model = snapshot.find_provider_model(model, None, provider, None)
    except LookupError:
        known_providers = sorted(p.id for p in snapshot.providers)
        if provider is not None and provider.lower() not in known_providers:
            raise UnknownId(
                "API provider",
                provider,
                difflib.get_close_matches(provider.lower(), known_providers, n=3),
                field=("provider",),
            ) from None
        candidates = sorted({e.model for e in list_api_models() if provider is None or e.provider == provider})
        raise UnknownId(
            "API model",
            model,
            difflib.get_close_matches(model.lower(), candidates, n=3, cutoff=0.5),
            field=("model",),
        ) from None
    prices = prices_for(found_provider, found_model)
    if prices is None:
        raise UnknownId("per-token-priced API model", model, [], field=("model",))
    return prices
