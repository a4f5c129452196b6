"""Closed-model and hosted-open API prices from genai-prices (pydantic's dated price catalog).

We do not hand-maintain a price table: every price comes from the pinned genai-prices snapshot,
resolved at today's date (prices with a start date in the future are not yet in force), never at
today's time: a model priced by time of day (DeepSeek's off-peak discount) is priced as a blend of its
windows over the day (app.core.api_cost.blend_windows), so an answer does not depend on the hour.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import cache, lru_cache
from importlib.metadata import version

from genai_prices import types as gp
from genai_prices.data_snapshot import get_snapshot

from app.catalog.litellm_prices import PriceCheck, model_status, second_source
from app.core.api_cost import MINUTES_PER_DAY, ApiPrices, PriceWindow, TokenPrices, blend_windows
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
    # Every other price the calculator may use, so the card is complete (issue 11).
    batch_cached_input_per_mtok: float | None = None
    batch_cache_write_per_mtok: float | None = None
    long_context: TokenPrices | None = None
    long_context_batch: TokenPrices | None = None
    time_of_day_windows: tuple[PriceWindow, ...] = ()
    time_of_day: str = ""
    # What the second source (LiteLLM's price map, app.catalog.litellm_prices) says, on the listing's day.
    retires_on: str | None = None
    retired: bool = False
    successor: str | None = None
    price_check: PriceCheck | None = None


def _constraint_dates(model: gp.ModelInfo) -> list[date]:
    constraints: list[object] = []
    if isinstance(model.prices, list):
        constraints += [p.constraint for p in model.prices]
    constraints += [v.constraint for v in model.price_variants or ()]
    return [c.start_date for c in constraints if isinstance(c, gp.StartDateConstraint)]


# When each pinned genai-prices release was published: the date its bundled price data was current.
# Source: the PyPI simple index (PEP 700 "upload-time"), https://pypi.org/simple/genai-prices/ ,
# genai_prices-0.2.3-py3-none-any.whl uploaded 2026-11-10T21:51:41Z. Record the new release's date
# here when the pin in pyproject.toml moves (tests/test_price_freshness.py fails until it is).
GENAI_PRICES_PUBLISHED = {"0.2.3": "2026-11-10"}


def _today() -> date:
    return datetime.now(tz=UTC).date()


@cache
def snapshot_as_of() -> str:
    """When the price data was published: a refreshed snapshot's fetch time, else the pinned
    release's publication date. Not the newest scheduled price change: the data holds changes
    scheduled months ahead, which would date it in the future and silence the staleness warning."""
    snapshot = get_snapshot()
    if snapshot.from_auto_update:
        return snapshot.timestamp.date().isoformat()
    published = GENAI_PRICES_PUBLISHED.get(GENAI_PRICES_VERSION)
    if published:
        return published
    # An unrecorded release: the newest price change in force today, a lower bound on its age.
    today = _today()
    dates = [d for p in snapshot.providers for m in p.models for d in _constraint_dates(m) if d <= today]
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
    today = today or _today()
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
    url = provider.pricing_urls[0] if provider.pricing_urls else None
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


_Variants = tuple[TokenPrices | None, TokenPrices | None, TokenPrices | None, TokenPrices | None, int | None]


def _variants_at(model: gp.ModelInfo, at: datetime) -> _Variants:
    """(standard, batch, long_context, long_context_batch, threshold) in force at one instant."""
    standard_price = model.get_prices(at)
    standard, threshold = _token_prices(standard_price, tier=False)
    batch = long_context = long_batch = None
    if threshold is not None:
        long_context, _ = _token_prices(standard_price, tier=True)
    if _has_batch_variant(model):
        batch_price = model.get_prices(at, _BATCH_CONTEXT)
        batch, _ = _token_prices(batch_price, tier=False)
        if threshold is not None:
            long_batch, _ = _token_prices(batch_price, tier=True)
    return standard, batch, long_context, long_batch, threshold


def _time_of_day_boundaries(model: gp.ModelInfo) -> list[int]:
    """Minutes after UTC midnight where one of the model's time-of-day windows opens or closes."""
    constraints: list[object] = [p.constraint for p in model.prices] if isinstance(model.prices, list) else []
    constraints += [v.constraint for v in model.price_variants or ()]
    minutes: set[int] = set()
    for constraint in constraints:
        if isinstance(constraint, gp.TimeOfDateConstraint):
            for moment in (constraint.start_time, constraint.end_time):
                utc = datetime.combine(date(2000, 1, 3), moment).astimezone(UTC)
                minutes.add(utc.hour * 60 + utc.minute)
    return sorted(minutes)


def _hh_mm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _windows(model: gp.ModelInfo, day: date) -> tuple[list[PriceWindow], int | None]:
    """The day's time-of-day price windows: the segments between window boundaries, each priced at
    its first minute (constraints are start-inclusive), grouped by identical prices."""
    boundaries = _time_of_day_boundaries(model)
    midnight = datetime.combine(day, time(0, 0), tzinfo=UTC)
    spans: dict[tuple[TokenPrices | None, ...], list[tuple[int, int]]] = {}
    threshold: int | None = None
    for index, start in enumerate(boundaries):
        end = boundaries[(index + 1) % len(boundaries)]
        *variants, threshold = _variants_at(model, midnight + timedelta(minutes=start))
        key = tuple(variants)
        group = spans.setdefault(key, [])
        if group and group[-1][1] == start:
            group[-1] = (group[-1][0], end)  # adjacent segments at the same prices: one span
        else:
            group.append((start, end))
    windows: list[PriceWindow] = []
    for (standard, batch, long_context, long_batch), group in spans.items():
        if standard is None:
            continue
        if len(group) > 1 and group[-1][1] == group[0][0]:  # a span that wraps past midnight
            group = [(group[-1][0], group[0][1]), *group[1:-1]]
        minutes = sum((end - start) % MINUTES_PER_DAY or MINUTES_PER_DAY for start, end in group)
        windows.append(
            PriceWindow(
                spans_utc=tuple((_hh_mm(start), _hh_mm(end)) for start, end in group),
                hours=minutes / 60,
                standard=standard,
                batch=batch,
                long_context=long_context,
                long_context_batch=long_batch,
            )
        )
    return windows, threshold


def _enforced_context_window(context_window: int | None, threshold: int | None) -> int | None:
    """The context limit to refuse requests above. genai-prices' context_window is the standard one;
    where a long-context tier starts at or above it (Claude Sonnet 4.5: 200k window, >200k tier for
    its 1M-token beta), the provider evidently sells a longer context, so no limit is enforced."""
    if context_window is None or (threshold is not None and threshold >= context_window):
        return None
    return context_window


def prices_for(provider: gp.Provider, model: gp.ModelInfo, on: date | None = None) -> ApiPrices | None:
    """ApiPrices of one genai-prices model on a day (today by default), or None when it is not
    priced per text token. A model with time-of-day windows gets their flat-traffic blend."""
    day = on or _today()
    windows: list[PriceWindow] = []
    if _time_of_day_boundaries(model):
        windows, threshold = _windows(model, day)
    standard: TokenPrices | None
    if len(windows) > 1:
        standard, batch, long_context, long_batch = blend_windows(windows)
    else:
        # Noon UTC: any instant of the day gives the same prices once there are no windows.
        standard, batch, long_context, long_batch, threshold = _variants_at(
            model, datetime.combine(day, time(12, 0), tzinfo=UTC)
        )
        windows = []
    if standard is None:
        return None
    blended = "; prices by time of day blended over the day (flat traffic)" if windows else ""
    return ApiPrices(
        standard=standard,
        batch=batch,
        long_context_threshold_tokens=threshold,
        long_context=long_context,
        long_context_batch=long_batch,
        source=_source(provider) + blended,
        as_of=snapshot_as_of(),
        provider=provider.id,
        model=model.id,
        context_window=_enforced_context_window(model.context_window, threshold),
        time_of_day_windows=tuple(windows),
        time_of_day="blend" if windows else "",
    )


def list_api_models() -> tuple[ApiModelEntry, ...]:
    """Every per-token-priced model, priced today (keyed by the date, so a scheduled price change
    shows in the catalog the day it shows in a break-even)."""
    return _api_models_on(_today())


@lru_cache(maxsize=2)  # today (and yesterday, briefly after midnight): not one per day forever
def _api_models_on(day: date) -> tuple[ApiModelEntry, ...]:
    entries: list[ApiModelEntry] = []
    for provider in get_snapshot().providers:
        for model in provider.models:
            prices = prices_for(provider, model, day)
            if prices is None:
                continue
            # The second source (LiteLLM): retirement date and an independent price check, if it knows it.
            status = model_status(
                provider.id,
                model.id,
                prices.standard.input_per_mtok,
                prices.standard.output_per_mtok,
                prices.as_of,
                day,
            )
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
                    pricing_url=provider.pricing_urls[0] if provider.pricing_urls else None,
                    source=prices.source,
                    as_of=prices.as_of,
                    batch_cached_input_per_mtok=prices.batch.cached_input_per_mtok if prices.batch else None,
                    batch_cache_write_per_mtok=prices.batch.cache_write_per_mtok if prices.batch else None,
                    long_context=prices.long_context,
                    long_context_batch=prices.long_context_batch,
                    time_of_day_windows=prices.time_of_day_windows,
                    time_of_day=prices.time_of_day,
                    retires_on=status.retires_on if status else None,
                    retired=status.retired if status else False,
                    successor=status.successor if status else None,
                    price_check=status.price_check if status else None,
                )
            )
    return tuple(entries)


def clear_caches() -> None:
    """After genai-prices switches snapshot (app.catalog.price_refresh)."""
    snapshot_as_of.cache_clear()
    _api_models_on.cache_clear()


def _find_provider_model(model: str, provider: str | None) -> tuple[gp.Provider, gp.ModelInfo]:
    """genai-prices' lookup (it matches the model names an API reports), then the model's own id as
    list_api_models gives it: some ids are not among their own match names (Fireworks'
    `llama-v3p1-8b-instruct` matches only `accounts/fireworks/models/llama-v3p1-8b-instruct`; Bedrock's
    `regional.*`, Mistral's `codestral`), so a model picked from the catalog would not resolve. Raises
    LookupError when neither finds it."""
    snapshot = get_snapshot()
    try:
        return snapshot.find_provider_model(model, None, provider, None)
    except LookupError:
        wanted = model.lower()
        for candidate in snapshot.providers:
            if provider is not None and candidate.id != provider.lower():
                continue
            for info in candidate.models:
                if info.id.lower() == wanted:
                    return candidate, info
        raise


def resolve_api_prices(model: str, provider: str | None = None) -> ApiPrices:
    """Prices for a model id (as the provider names it), optionally pinned to a provider id."""
    snapshot = get_snapshot()
    try:
        found_provider, found_model = _find_provider_model(model, provider)
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


def api_model_reasons(model: str, provider: str | None = None) -> bool:
    """Whether an API model reasons: thinks before it answers, billing the hidden reasoning tokens as output
    (GPT-5, o3, deepseek-reasoner, Claude 4.x with extended thinking). The fact is LiteLLM's
    `supports_reasoning` (app.catalog.litellm_prices), which genai-prices does not carry; False for a model
    neither source knows, or one LiteLLM does not flag (a flag it lacks is not evidence of reasoning)."""
    try:
        found_provider, found_model = _find_provider_model(model, provider)
    except LookupError:
        return False
    second = second_source(found_provider.id, found_model.id)
    return second is not None and second.supports_reasoning
