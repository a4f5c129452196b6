"""The workload: how much traffic, of what shape, under which latency promise."""

from __future__ import annotations

from dataclasses import dataclass, replace

from app.core.errors import DomainError


@dataclass(frozen=True)
class Workload:
    requests_per_month: float
    input_tokens: float  # per request
    output_tokens: float  # per request
    # Share of input tokens served from the provider's prompt cache (billed at the cache-read price).
    cached_input_fraction: float = 0.0
    # Share of input tokens written to the prompt cache (billed at the cache-write price).
    cache_write_fraction: float = 0.0
    # Share of requests that can wait for a batch API (billed at the batch variant where one exists).
    batchable_fraction: float = 0.0
    # Peak-hour traffic over average traffic: self-hosted replicas are sized for the peak.
    peak_to_average: float = 1.0
    min_output_tokens_per_second_per_user: float | None = None
    max_time_to_first_token_seconds: float | None = None
    # Hidden reasoning tokens per request that a reasoning model (GPT-5, o3, DeepSeek-R1, Qwen3
    # thinking, gpt-oss) generates on top of the visible output_tokens: billed as output by the API,
    # generated and held in the KV cache by a self-hosted replica. Options for non-reasoning models
    # ignore it (the scenario layer decides which options reason).
    reasoning_tokens: float = 0.0
    # Share of input tokens whose KV a self-hosted replica finds in its prefix cache (vLLM automatic
    # prefix caching, SGLang RadixAttention). None: the API's cached share, cached_input_fraction.
    prefix_cache_hit_rate: float | None = None

    def __post_init__(self) -> None:
        checks: list[tuple[bool, str, str]] = [
            (self.requests_per_month > 0, "requests_per_month", "must be greater than 0"),
            (self.input_tokens >= 0, "input_tokens", "must be 0 or more"),
            (self.output_tokens >= 1, "output_tokens", "must be at least 1"),
            (0 <= self.cached_input_fraction <= 1, "cached_input_fraction", "must be between 0 and 1"),
            (0 <= self.cache_write_fraction <= 1, "cache_write_fraction", "must be between 0 and 1"),
            (
                self.cached_input_fraction + self.cache_write_fraction <= 1,
                "cache_write_fraction",
                "cached_input_fraction + cache_write_fraction must not exceed 1",
            ),
            (0 <= self.batchable_fraction <= 1, "batchable_fraction", "must be between 0 and 1"),
            (self.reasoning_tokens >= 0, "reasoning_tokens", "must be 0 or more"),
            (
                self.prefix_cache_hit_rate is None or 0 <= self.prefix_cache_hit_rate <= 1,
                "prefix_cache_hit_rate",
                "must be between 0 and 1",
            ),
            (
                self.peak_to_average >= 1,
                "peak_to_average",
                "must be at least 1 (peak cannot be below average)",
            ),
        ]
        for ok, field, rule in checks:
            if not ok:
                raise DomainError(f"{field} {rule}", field=("workload", field))

    @property
    def self_hosted_prefix_cache_hit_rate(self) -> float:
        """The prefix-cache hit rate a self-hosted replica is sized at: the one given, else the API's
        cached share (the same prompts hit a provider's prompt cache and an engine's prefix cache)."""
        if self.prefix_cache_hit_rate is not None:
            return self.prefix_cache_hit_rate
        return self.cached_input_fraction

    @property
    def tokens_per_request(self) -> float:
        """Visible tokens (input + output): hidden reasoning tokens are not counted, so a figure per
        million tokens is per token the user sends or reads."""
        return self.input_tokens + self.output_tokens

    @property
    def tokens_per_month(self) -> float:
        return self.requests_per_month * self.tokens_per_request

    def requests_to_tokens(self, requests: float) -> float:
        return requests * self.tokens_per_request

    def at_volume(self, requests_per_month: float) -> Workload:
        return replace(self, requests_per_month=requests_per_month)
