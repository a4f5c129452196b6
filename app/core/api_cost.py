"""Per-token API pricing applied to a workload.

Cost per request = uncached input × p_in + cached input × p_cache_read + cache writes × p_cache_write
+ output × p_out, at the context tier the request's input falls in. The batchable share of requests
is priced at the batch variant where the provider has one. A negotiated discount applies last.
The result is linear in volume: monthly cost = cost per request × requests per month.
"""

from __future__ import annotations

from dataclasses import dataclass, field

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

    def __post_init__(self) -> None:
        for variant in (self.standard, self.batch, self.long_context, self.long_context_batch):
            if variant is None:
                continue
            for price_name in (
                "input_per_mtok",
                "output_per_mtok",
                "cached_input_per_mtok",
                "cache_write_per_mtok",
            ):
                value = getattr(variant, price_name)
                if value is not None and not value >= 0:
                    raise DomainError(f"{price_name} must be 0 or more", field=(price_name,))
        if self.standard.input_per_mtok + self.standard.output_per_mtok <= 0:
            raise DomainError(
                "input_per_mtok and output_per_mtok cannot both be 0: the API would be free",
                field=("input_per_mtok",),
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

    @property
    def per_request(self) -> float:
        return self.uncached_input + self.cached_input + self.cache_write + self.output - self.discount


@dataclass(frozen=True)
class ApiOption:
    name: str
    prices: ApiPrices
    negotiated_discount: float = 0.0  # fraction off the whole bill, applied last

    def __post_init__(self) -> None:
        if not 0 <= self.negotiated_discount < 1:
            raise DomainError("negotiated_discount must be at least 0 and below 1", field=("negotiated_discount",))

    def cost_breakdown(self, workload: Workload) -> ApiCostBreakdown:
        return api_cost_per_request(self, workload)

    def cost_per_request(self, workload: Workload) -> float:
        return api_cost_per_request(self, workload).per_request

    def monthly_cost(self, workload: Workload) -> float:
        return self.cost_per_request(workload) * workload.requests_per_month


def _request_cost_parts(prices: TokenPrices, workload: Workload) -> tuple[float, float, float, float]:
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
    )


def api_cost_per_request(option: ApiOption, workload: Workload) -> ApiCostBreakdown:
    prices = option.prices
    notes: list[str] = []
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

    standard_parts = _request_cost_parts(standard, workload)
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
        batch_parts = _request_cost_parts(batch_with_cache, workload)
        parts = tuple((1 - batch_share) * s + batch_share * b for s, b in zip(standard_parts, batch_parts, strict=True))
    else:
        parts = standard_parts
    uncached, cached, written, output = parts
    gross = uncached + cached + written + output
    return ApiCostBreakdown(
        uncached_input=uncached,
        cached_input=cached,
        cache_write=written,
        output=output,
        discount=gross * option.negotiated_discount,
        tier="long_context" if long_tier else "standard",
        batch_share=batch_share,
        notes=tuple(notes),
    )
