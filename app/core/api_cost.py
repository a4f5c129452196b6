"""Per-token API pricing applied to a workload.

Cost per request = uncached input × p_in + cached input × p_cache_read + cache writes × p_cache_write
+ output × p_out + reasoning × p_out, at the context tier the request's input falls in (hidden
reasoning tokens of GPT-5, o3, DeepSeek-R1, Qwen3 thinking or gpt-oss are billed as output tokens,
at the output price of whichever variant the request uses). The batchable share of requests
is priced at the batch variant where the provider has one. A negotiated discount applies last.
The result is linear in volume: monthly cost = cost per request × requests per month.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from app.core.errors import DomainError
from app.core.units import TOKENS_PER_MTOK
from app.core.workload import Workload


@dataclass(frozen=True)
class TokenPrices:
    """USD per million tokens for one price variant (standard, batch, or a long-context tier)."""

    input_per_mtok: float
    output_per_mtok: float
    cached_input_per_mtok: float | None = None  # None: the provider has no cache discount
    cache_write_per_mtok: float | None = None  # None: cache writes cost the plain input price


PRICE_FIELDS = ("input_per_mtok", "output_per_mtok", "cached_input_per_mtok", "cache_write_per_mtok")
MINUTES_PER_DAY = 24 * 60
TimeOfDay = Literal["blend", "off_peak"]


@dataclass(frozen=True)
class PriceWindow:
    """The prices a provider charges during some hours of every day (DeepSeek's peak and off-peak
    windows, genai-prices' TimeOfDateConstraint). Spans are UTC "HH:MM" pairs, end exclusive."""

    spans_utc: tuple[tuple[str, str], ...]
    hours: float  # hours of the day the window covers, all spans together
    standard: TokenPrices
    batch: TokenPrices | None = None
    long_context: TokenPrices | None = None
    long_context_batch: TokenPrices | None = None

    @property
    def label(self) -> str:
        return ", ".join(f"{start}–{end}" for start, end in self.spans_utc) + " UTC"


def _minutes(hh_mm: str) -> int:
    hours, minutes = hh_mm.split(":")
    return int(hours) * 60 + int(minutes)


def window_weights(windows: Sequence[PriceWindow], hourly_weights: Sequence[float] | None = None) -> list[float]:
    """Each window's share of the day's traffic: hours covered / 24 for flat traffic, else the
    traffic (24 UTC hourly weights) that falls inside its spans."""
    if hourly_weights is None:
        return [w.hours / 24 for w in windows]
    if len(hourly_weights) != 24 or any(not h >= 0 for h in hourly_weights) or sum(hourly_weights) <= 0:
        raise DomainError("a daily traffic profile needs 24 hourly weights of 0 or more, not all 0", field=("hourly",))
    per_minute = [hourly_weights[minute // 60] / 60 for minute in range(MINUTES_PER_DAY)]
    shares: list[float] = []
    for window in windows:
        share = 0.0
        for start, end in window.spans_utc:
            first, last = _minutes(start), _minutes(end) or MINUTES_PER_DAY
            minutes = range(first, last) if first < last else [*range(first, MINUTES_PER_DAY), *range(0, last)]
            share += sum(per_minute[m] for m in minutes)
        shares.append(share)
    total = sum(shares)
    return [share / total for share in shares]


def _blend_variant(variants: Sequence[TokenPrices | None], weights: Sequence[float]) -> TokenPrices | None:
    present = [(v, w) for v, w in zip(variants, weights, strict=True) if v is not None]
    if not present:
        return None
    total = sum(w for _, w in present)
    values: dict[str, float | None] = {}
    for name in PRICE_FIELDS:
        if all(getattr(v, name) is None for v, _ in present):
            values[name] = None
            continue
        # A window without a cache price bills cached tokens at its input price (as api_cost does).
        values[name] = (
            sum(w * (getattr(v, name) if getattr(v, name) is not None else v.input_per_mtok) for v, w in present)
            / total
        )
    input_price, output_price = values["input_per_mtok"], values["output_per_mtok"]
    assert input_price is not None and output_price is not None
    return TokenPrices(input_price, output_price, values["cached_input_per_mtok"], values["cache_write_per_mtok"])


def blend_windows(
    windows: Sequence[PriceWindow], hourly_weights: Sequence[float] | None = None
) -> tuple[TokenPrices, TokenPrices | None, TokenPrices | None, TokenPrices | None]:
    """Traffic-weighted average prices over a day's windows: (standard, batch, long_context,
    long_context_batch). Prices are linear in tokens, so the blend prices a day's traffic exactly."""
    weights = window_weights(windows, hourly_weights)
    standard = _blend_variant([w.standard for w in windows], weights)
    assert standard is not None
    return (
        standard,
        _blend_variant([w.batch for w in windows], weights),
        _blend_variant([w.long_context for w in windows], weights),
        _blend_variant([w.long_context_batch for w in windows], weights),
    )


def off_peak_window(windows: Sequence[PriceWindow]) -> PriceWindow:
    """The cheapest window (by input + output price): where batch work can be scheduled."""
    return min(windows, key=lambda w: (w.standard.input_per_mtok + w.standard.output_per_mtok, -w.hours))


@dataclass(frozen=True)
class ApiPrices:
    standard: TokenPrices
    batch: TokenPrices | None = None
    # Long-context tier: a request whose input exceeds the threshold pays these prices on all of
    # its tokens (the "cliff" model OpenAI, Anthropic and Google use).
    long_context_threshold_tokens: int | None = None
    long_context: TokenPrices | None = None
    long_context_batch: TokenPrices | None = None
    source: str = "entered by the user"
    as_of: str = ""
    provider: str = ""
    model: str = ""
    # Largest context (input + output tokens) one request may use; None: unknown, not checked.
    context_window: int | None = None
    # Time-of-day windows (empty for most models) and which of them the prices above stand for:
    # "blend" = traffic-weighted over the day, "off_peak" = the cheapest window only.
    time_of_day_windows: tuple[PriceWindow, ...] = ()
    time_of_day: str = ""
    # How the prices were put together (partial overrides, fallbacks): shown with every answer.
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for variant in (self.standard, self.batch, self.long_context, self.long_context_batch):
            if variant is None:
                continue
            for price_name in PRICE_FIELDS:
                value = getattr(variant, price_name)
                if value is not None and not value >= 0:
                    raise DomainError(f"{price_name} must be 0 or more", field=(price_name,))
        if self.standard.input_per_mtok + self.standard.output_per_mtok <= 0:
            raise DomainError(
                "input_per_mtok and output_per_mtok cannot both be 0: the API would be free",
                field=("input_per_mtok",),
            )


def time_of_day_note(prices: ApiPrices) -> str | None:
    """What the time-of-day prices stand for, in words (None for a model with one price all day)."""
    windows = prices.time_of_day_windows
    if not windows:
        return None
    described = "; ".join(
        f"{w.label} ({w.hours:g} h): input ${w.standard.input_per_mtok:g}, output ${w.standard.output_per_mtok:g}/Mtok"
        for w in windows
    )
    if prices.time_of_day == "off_peak":
        return f"time-of-day prices: off-peak window only ({off_peak_window(windows).label}); windows: {described}"
    return (
        "time-of-day prices: blended over the day, each window weighted by the share of traffic it carries "
        "(flat traffic: hours covered / 24), so the answer does not depend on the hour it is asked; "
        f"windows: {described}"
    )


def with_time_of_day(prices: ApiPrices, mode: TimeOfDay, hourly_weights: Sequence[float] | None = None) -> ApiPrices:
    """`prices` re-priced for its time-of-day windows: blended under a daily traffic profile, or
    the off-peak window only (batch work scheduled there). Unchanged for a model without windows."""
    windows = prices.time_of_day_windows
    if not windows:
        return prices
    if mode == "off_peak":
        cheapest = off_peak_window(windows)
        standard, batch, long_context, long_batch = (
            cheapest.standard,
            cheapest.batch,
            cheapest.long_context,
            cheapest.long_context_batch,
        )
    else:
        standard, batch, long_context, long_batch = blend_windows(windows, hourly_weights)
    return replace(
        prices,
        standard=standard,
        batch=batch,
        long_context=long_context,
        long_context_batch=long_batch,
        time_of_day=mode,
    )


@dataclass(frozen=True)
class PriceOverrides:
    """Prices a user typed over the catalog's; None = not typed (an explicit 0.0 is a price)."""

    input_per_mtok: float | None = None
    output_per_mtok: float | None = None
    cached_input_per_mtok: float | None = None
    cache_write_per_mtok: float | None = None
    batch_input_per_mtok: float | None = None
    batch_output_per_mtok: float | None = None

    def standard(self) -> dict[str, float | None]:
        return {name: getattr(self, name) for name in PRICE_FIELDS}

    def batch(self) -> dict[str, float | None]:
        return {"input_per_mtok": self.batch_input_per_mtok, "output_per_mtok": self.batch_output_per_mtok}

    @property
    def any_standard(self) -> bool:
        return any(value is not None for value in self.standard().values())

    @property
    def any_batch(self) -> bool:
        return any(value is not None for value in self.batch().values())


def _price_word(name: str) -> str:
    return name.removesuffix("_per_mtok").replace("_", " ")


def _derive(
    variant: str,
    parent_variant: str,
    catalog: TokenPrices | None,
    catalog_parent: TokenPrices | None,
    parent: TokenPrices,
    typed: dict[str, float | None],
    notes: list[str],
) -> TokenPrices | None:
    """One derived price variant (batch, long-context) after the user's overrides.

    A typed price wins. A catalog price whose parent price (the standard price of that token
    kind, for batch and long-context) the user changed keeps the provider's ratio to it (its batch
    discount, its long-context multiplier), so overriding the standard price carries over. A price
    neither typed nor in the catalog falls back to the parent's price, never to 0."""
    if catalog is None and not any(value is not None for value in typed.values()):
        return None
    values: dict[str, float | None] = {}
    scaled: list[str] = []
    fallback: list[str] = []
    for name in PRICE_FIELDS:
        typed_value = typed.get(name)
        catalog_value = getattr(catalog, name) if catalog is not None else None
        parent_value: float | None = getattr(parent, name)
        catalog_parent_value = getattr(catalog_parent, name) if catalog_parent is not None else None
        if typed_value is not None:
            values[name] = typed_value
        elif catalog_value is not None:
            if parent_value is None or catalog_parent_value is None or parent_value == catalog_parent_value:
                values[name] = catalog_value
            elif catalog_parent_value > 0:
                values[name] = catalog_value * parent_value / catalog_parent_value
                scaled.append(f"{_price_word(name)} ×{catalog_value / catalog_parent_value:.3g}")
            else:
                values[name] = catalog_value
        elif catalog is None:
            values[name] = parent_value
            if parent_value is not None and name in ("input_per_mtok", "output_per_mtok"):
                fallback.append(_price_word(name))
        else:
            values[name] = None
    if scaled:
        notes.append(
            f"{variant} prices: the provider's ratio of {variant} to {parent_variant} prices ({', '.join(scaled)}) "
            f"applied to your {parent_variant} prices"
        )
    if fallback:
        notes.append(
            f"no {variant} {' or '.join(fallback)} price entered or in the catalog: billed at the "
            f"{parent_variant} {' and '.join(fallback)} price"
        )
    input_price, output_price = values["input_per_mtok"], values["output_per_mtok"]
    assert input_price is not None and output_price is not None  # a parent always has both
    return TokenPrices(input_price, output_price, values["cached_input_per_mtok"], values["cache_write_per_mtok"])


def _scaled_by(prices: TokenPrices, numerator: TokenPrices, denominator: TokenPrices) -> TokenPrices:
    """`prices` × numerator / denominator, price by price (a price with no ratio stays as it is)."""

    def scale(name: str) -> float | None:
        value, top, bottom = getattr(prices, name), getattr(numerator, name), getattr(denominator, name)
        if value is None or top is None or not bottom:
            return value  # type: ignore[no-any-return]
        return float(value * top / bottom)

    input_price, output_price = scale("input_per_mtok"), scale("output_per_mtok")
    assert input_price is not None and output_price is not None
    return TokenPrices(input_price, output_price, scale("cached_input_per_mtok"), scale("cache_write_per_mtok"))


def apply_overrides(base: ApiPrices, overrides: PriceOverrides) -> ApiPrices:
    """`base` (catalog prices, or the typed standard prices of a custom API) with the user's
    overrides, every dependent price kept consistent with them (see _derive), each derivation said
    in `notes`."""
    notes = list(base.notes)
    typed = overrides.standard()

    def pick(name: str) -> float | None:
        value = typed[name]
        return value if value is not None else getattr(base.standard, name)

    input_price, output_price = pick("input_per_mtok"), pick("output_per_mtok")
    assert input_price is not None and output_price is not None
    standard = TokenPrices(input_price, output_price, pick("cached_input_per_mtok"), pick("cache_write_per_mtok"))
    batch = _derive("batch", "standard", base.batch, base.standard, standard, overrides.batch(), notes)
    long_context = (
        _derive("long-context", "standard", base.long_context, base.standard, standard, {}, notes)
        if base.long_context
        else None
    )
    long_batch: TokenPrices | None = None
    if base.long_context_batch is not None and batch is not None:
        long_batch = _derive("long-context batch", "batch", base.long_context_batch, base.batch, batch, {}, notes)
    elif long_context is not None and batch is not None:
        # A batch price the catalog lacks (typed by the user) on a tiered model: the same batch
        # ratio applies to the long-context prices, so a long batched request is not billed below
        # the long-context tier's batch equivalent nor at the short tier's batch price.
        long_batch = _scaled_by(long_context, batch, standard)
        notes.append("long-context batch prices: your batch discount applied to the long-context prices")
    return replace(
        base,
        standard=standard,
        batch=batch,
        long_context=long_context,
        long_context_batch=long_batch,
        notes=tuple(dict.fromkeys(notes)),
    )


@dataclass(frozen=True)
class ApiCostBreakdown:
    """USD per request, split by what is billed."""

    uncached_input: float
    cached_input: float
    cache_write: float
    output: float
    discount: float
    tier: str  # "standard" or "long_context"
    batch_share: float  # share of requests priced at a batch variant
    notes: tuple[str, ...] = field(default_factory=tuple)
    reasoning_output: float = 0.0  # hidden reasoning tokens, billed at the output price

    @property
    def per_request(self) -> float:
        return (
            self.uncached_input
            + self.cached_input
            + self.cache_write
            + self.output
            + self.reasoning_output
            - self.discount
        )


@dataclass(frozen=True)
class ApiOption:
    name: str
    prices: ApiPrices
    negotiated_discount: float = 0.0  # fraction off the whole bill, applied last
    # Hidden reasoning tokens per request this option bills as output: the workload's figure for a
    # reasoning model, 0 for one that does not reason (set by the scenario layer).
    reasoning_tokens: float = 0.0

    def __post_init__(self) -> None:
        if not 0 <= self.negotiated_discount < 1:
            raise DomainError("negotiated_discount must be at least 0 and below 1", field=("negotiated_discount",))
        if not self.reasoning_tokens >= 0:
            raise DomainError("reasoning_tokens must be 0 or more", field=("reasoning_tokens",))

    def cost_breakdown(self, workload: Workload) -> ApiCostBreakdown:
        return api_cost_per_request(self, workload)

    def cost_per_request(self, workload: Workload) -> float:
        return api_cost_per_request(self, workload).per_request

    def monthly_cost(self, workload: Workload) -> float:
        return self.cost_per_request(workload) * workload.requests_per_month


def _request_cost_parts(
    prices: TokenPrices, workload: Workload, reasoning_tokens: float
) -> tuple[float, float, float, float, float]:
    """USD per request: (uncached input, cached input, cache writes, output, reasoning output)."""
    input_tokens = workload.input_tokens
    cached = input_tokens * workload.cached_input_fraction
    written = input_tokens * workload.cache_write_fraction
    uncached = input_tokens - cached - written
    cache_read_price = (
        prices.cached_input_per_mtok if prices.cached_input_per_mtok is not None else prices.input_per_mtok
    )
    cache_write_price = (
        prices.cache_write_per_mtok if prices.cache_write_per_mtok is not None else prices.input_per_mtok
    )
    return (
        uncached * prices.input_per_mtok / TOKENS_PER_MTOK,
        cached * cache_read_price / TOKENS_PER_MTOK,
        written * cache_write_price / TOKENS_PER_MTOK,
        workload.output_tokens * prices.output_per_mtok / TOKENS_PER_MTOK,
        reasoning_tokens * prices.output_per_mtok / TOKENS_PER_MTOK,
    )


def api_cost_per_request(option: ApiOption, workload: Workload) -> ApiCostBreakdown:
    prices = option.prices
    # Reasoning tokens occupy the context window like visible output (OpenAI reasoning guide).
    context = workload.input_tokens + workload.output_tokens + option.reasoning_tokens
    if prices.context_window is not None and context > prices.context_window:
        what = (
            "input_tokens + output_tokens + reasoning tokens"
            if option.reasoning_tokens
            else "input_tokens + output_tokens"
        )
        raise DomainError(
            f"{what} = {context:,.0f} tokens exceeds the {prices.context_window:,}-token "
            f"context window of {prices.model or option.name}: lower input_tokens or choose a longer-context model",
            field=("input_tokens",),
        )
    notes: list[str] = list(prices.notes)
    if option.reasoning_tokens > 0:
        notes.append(
            f"{option.reasoning_tokens:,.0f} hidden reasoning tokens per request are billed at the output price"
        )
    time_of_day = time_of_day_note(prices)
    if time_of_day:
        notes.append(time_of_day)
    long_tier = (
        prices.long_context_threshold_tokens is not None
        and prices.long_context is not None
        and workload.input_tokens > prices.long_context_threshold_tokens
    )
    standard = prices.long_context if long_tier and prices.long_context else prices.standard
    if long_tier:
        notes.append(
            f"input of {workload.input_tokens:,.0f} tokens exceeds the {prices.long_context_threshold_tokens:,} "
            "token tier: long-context prices apply to the whole request"
        )
        batch = prices.long_context_batch or prices.batch
    else:
        batch = prices.batch
    if workload.cached_input_fraction > 0 and standard.cached_input_per_mtok is None:
        notes.append("this model has no cached-input price: cached tokens are billed at the input price")

    batch_share = workload.batchable_fraction if batch is not None else 0.0
    if workload.batchable_fraction > 0 and batch is None:
        notes.append("no batch price for this model: batchable traffic is billed at standard prices")

    standard_parts = _request_cost_parts(standard, workload, option.reasoning_tokens)
    if batch is not None and batch_share > 0:
        batch_with_cache = TokenPrices(
            input_per_mtok=batch.input_per_mtok,
            output_per_mtok=batch.output_per_mtok,
            cached_input_per_mtok=batch.cached_input_per_mtok
            if batch.cached_input_per_mtok is not None
            else standard.cached_input_per_mtok,
            cache_write_per_mtok=batch.cache_write_per_mtok
            if batch.cache_write_per_mtok is not None
            else standard.cache_write_per_mtok,
        )
        batch_parts = _request_cost_parts(batch_with_cache, workload, option.reasoning_tokens)
        parts = tuple((1 - batch_share) * s + batch_share * b for s, b in zip(standard_parts, batch_parts, strict=True))
    else:
        parts = standard_parts
    uncached, cached, written, output, reasoning = parts
    gross = uncached + cached + written + output + reasoning
    return ApiCostBreakdown(
        uncached_input=uncached,
        cached_input=cached,
        cache_write=written,
        output=output,
        discount=gross * option.negotiated_discount,
        tier="long_context" if long_tier else "standard",
        batch_share=batch_share,
        notes=tuple(notes),
        reasoning_output=reasoning,
    )
