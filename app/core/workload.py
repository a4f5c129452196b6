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
    def tokens_per_request(self) -> float:
        return self.input_tokens + self.output_tokens

    @property
    def tokens_per_month(self) -> float:
        return self.requests_per_month * self.tokens_per_request

    def requests_to_tokens(self, requests: float) -> float:
        return requests * self.tokens_per_request

    def at_volume(self, requests_per_month: float) -> Workload:
        return replace(self, requests_per_month=requests_per_month)
