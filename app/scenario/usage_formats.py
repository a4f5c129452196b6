"""The usage exports the importer reads (app.scenario.usage_import): each format's columns by role, how a
header is recognised, and how a time is read.

Accepted formats (column names are matched case-insensitively; spaces, dots and dashes count as "_"):

openai     OpenAI Usage API, completions (GET /v1/organization/usage/completions), one row per time
           bucket (and group), as the dashboard export or a flattened API response gives it:
           start_time (Unix seconds) or start_time_iso; optional end_time / end_time_iso;
           num_model_requests; input_tokens (all input, cached included); input_cached_tokens;
           output_tokens; optional model, batch (true/false).
anthropic  Anthropic Admin API, Messages usage report (GET /v1/organizations/usage_report/messages),
           flattened: starting_at; optional ending_at; uncached_input_tokens; cache_read_input_tokens;
           cache_creation.ephemeral_5m_input_tokens and cache_creation.ephemeral_1h_input_tokens (or
           cache_creation_input_tokens); output_tokens; optional model, service_tier ("batch" counts as
           batch). The report has no request counts: give an optional requests column, or
           output_tokens_per_request, to get per-request figures.
generic    One row per request, or per time bucket with a requests column: timestamp (or time,
           created_at, date: ISO 8601 or Unix seconds); input_tokens (or prompt_tokens; cached tokens
           included, as OpenAI counts them) or uncached_input_tokens; output_tokens (or
           completion_tokens); optional cached_tokens (or cached_input_tokens, cache_read_tokens,
           cache_read_input_tokens), cache_write_tokens, requests (or num_requests, count; default 1
           per row), model, batch.
Timestamps without a zone are taken as UTC; the 24-hour profile is in UTC hours.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

Format = Literal["openai", "anthropic", "generic"]
FormatChoice = Literal["auto", "openai", "anthropic", "generic"]
Role = Literal[
    "start", "end", "requests", "input", "uncached_input", "cached", "cache_write", "output", "model", "batch"
]

# The summary writes the first and last times as dates: datetime reaches 9999-12-31T23:59:59 UTC.
MAX_TIMESTAMP = 253_402_300_799.0


@dataclass(frozen=True)
class FormatSpec:
    name: Format
    title: str
    columns: dict[Role, tuple[str, ...]]  # accepted names per role; several matches of cache_write are summed
    required: tuple[tuple[Role, ...], ...]  # each inner tuple: at least one of these roles must be present
    sums_cache_write: bool = False


FORMATS: dict[Format, FormatSpec] = {
    "openai": FormatSpec(
        name="openai",
        title="OpenAI Usage API (completions), one row per bucket",
        columns={
            "start": ("start_time", "start_time_iso"),
            "end": ("end_time", "end_time_iso"),
            "requests": ("num_model_requests",),
            "input": ("input_tokens",),
            "cached": ("input_cached_tokens",),
            "output": ("output_tokens",),
            "model": ("model",),
            "batch": ("batch",),
        },
        required=(("start",), ("requests",), ("input",), ("output",)),
    ),
    "anthropic": FormatSpec(
        name="anthropic",
        title="Anthropic Messages usage report, one row per bucket",
        columns={
            "start": ("starting_at",),
            "end": ("ending_at",),
            "requests": ("requests", "num_requests"),
            "uncached_input": ("uncached_input_tokens",),
            "cached": ("cache_read_input_tokens",),
            "cache_write": (
                "cache_creation_ephemeral_5m_input_tokens",
                "cache_creation_ephemeral_1h_input_tokens",
                "cache_creation_input_tokens",
            ),
            "output": ("output_tokens",),
            "model": ("model",),
            "batch": ("service_tier",),
        },
        required=(("start",), ("uncached_input",), ("output",)),
        sums_cache_write=True,
    ),
    "generic": FormatSpec(
        name="generic",
        title="Generic CSV: timestamp, input, output and cached tokens",
        columns={
            "start": ("timestamp", "time", "created_at", "date"),
            "requests": ("requests", "num_requests", "count"),
            "input": ("input_tokens", "prompt_tokens"),
            "uncached_input": ("uncached_input_tokens",),
            "cached": ("cached_tokens", "cached_input_tokens", "cache_read_tokens", "cache_read_input_tokens"),
            "cache_write": ("cache_write_tokens",),
            "output": ("output_tokens", "completion_tokens"),
            "model": ("model",),
            "batch": ("batch",),
        },
        required=(("start",), ("input", "uncached_input"), ("output",)),
    ),
}


def normalize_column(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", name.strip().lower()).strip("_")


def detect_format(columns: list[str]) -> Format:
    names = set(columns)
    if {"num_model_requests", "input_cached_tokens"} & names:
        return "openai"
    if "starting_at" in names and {"uncached_input_tokens", "cache_read_input_tokens"} & names:
        return "anthropic"
    return "generic"


def parse_timestamp(text: str) -> float:
    """Unix seconds (or milliseconds) or ISO 8601; a time without a zone is UTC. Times before 1970 or
    after 9999 are not times (the summary writes its first and last as dates)."""
    value = text.strip()
    try:
        number = float(value)
    except ValueError:
        moment = datetime.fromisoformat(value.replace("z", "Z"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        seconds = moment.timestamp()
    else:
        if not math.isfinite(number):
            raise ValueError("not a time")
        seconds = number / 1000 if number > 1e11 else number  # 13-digit values are milliseconds
    if not 0 <= seconds <= MAX_TIMESTAMP:
        raise ValueError("not a time")
    return seconds
