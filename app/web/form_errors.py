"""Validation messages that say the rule, in the form's units, and where the form shows each: beside
the field that broke it, found by the error's location or, for a rule across fields, by its type."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from app.scenario.inputs import (
    ATTENTION_KINDS_INCOMPLETE,
    BUY_PRICE_REQUIRED,
    CACHE_SHARES_OVER_TOTAL,
    CAPACITY_SOURCE_REQUIRED,
    EXACTLY_ONE_VOLUME,
    MODEL_OR_PRICES_REQUIRED,
    OFFLINE_HAS_NO_LATENCY_TARGET,
    RENT_PRICE_REQUIRED,
)
from app.web.form_fields import ALL_FIELDS, ROW_KEY, FieldSpec
from app.web.form_numbers import format_number, format_percent

if TYPE_CHECKING:
    from app.web.forms import FormState

_TAGS = {"api", "self_hosted", "rent", "buy", "str", "int", "ModelArchitectureIn", "GpuSpecIn"}


def strip_tags(loc: Iterable[str | int]) -> tuple[str, ...]:
    """A pydantic location without the union and discriminator tags it inserts."""
    return tuple(str(p) for p in loc if str(p) not in _TAGS and not str(p).startswith(("literal[", "function-")))


def _missing_price(doc: Mapping[str, Any]) -> tuple[str, str]:
    if doc.get("input_per_mtok") is None and doc.get("output_per_mtok") is not None:
        return "input_per_mtok", "required with a custom output price (or choose a catalog model)"
    if doc.get("output_per_mtok") is None and doc.get("input_per_mtok") is not None:
        return "output_per_mtok", "required with a custom input price (or choose a catalog model)"
    return "model", "choose a catalog model, or type both input and output prices"


def _missing_capacity(doc: Mapping[str, Any]) -> tuple[str, str]:
    missing = "gpu" if doc.get("model") is not None else "model"
    return missing, "choose a model and a GPU to estimate throughput, or enter measured throughput"


# A rule across fields (a model validator) has no field location of its own: its error type says
# which rule broke, and this table which field the form shows it beside (a query key, after the
# row's prefix for an option) and in what words. Each entry reads the document the form built,
# since a rule may blame whichever of its fields is missing.
CROSS_FIELD_RULES: dict[str, Callable[[Mapping[str, Any]], tuple[str, str]]] = {
    EXACTLY_ONE_VOLUME: lambda doc: ("volume", "required: how many requests (or tokens) a month"),
    CACHE_SHARES_OVER_TOTAL: lambda doc: ("cache_write_pct", "cached share + cache-write share must not exceed 100%"),
    MODEL_OR_PRICES_REQUIRED: _missing_price,
    RENT_PRICE_REQUIRED: lambda doc: ("per_gpu_hour", "pick a rental offer or type a price per GPU-hour"),
    BUY_PRICE_REQUIRED: lambda doc: ("price_per_gpu", "pick a purchase offer or type a price per GPU"),
    CAPACITY_SOURCE_REQUIRED: _missing_capacity,
    ATTENTION_KINDS_INCOMPLETE: lambda doc: (
        "model",
        "the typed-in architecture's linear-attention layers need their state size, sparse attention its indexer "
        "size, and at least one layer must attend in full",
    ),
    OFFLINE_HAS_NO_LATENCY_TARGET: lambda doc: (
        "min_tokens_per_second"
        if doc.get("workload", {}).get("min_output_tokens_per_second_per_user") is not None
        else "max_ttft_seconds",
        "offline has no latency target: clear this, or choose Interactive",
    ),
}


def record_validation_errors(
    state: FormState, part: str, error: ValidationError, doc: Mapping[str, Any] | None = None, prefix: str = ""
) -> None:
    """Put each error of one part of the input ("workload", "beyond", "form" or a row key) beside
    its field: found by the error's location, or by its type for a rule across fields (only where
    `doc`, the part's document, is given: the workload and the options). Never by its wording."""
    for item in error.errors(include_url=False):
        placement = CROSS_FIELD_RULES.get(item["type"]) if doc is not None else None
        if placement is not None:
            name, message = placement(doc or {})
            state.add_error(prefix + name, message)
            continue
        loc = strip_tags(item["loc"])
        key = (state.field_for(part, loc) if loc else None) or part
        if key in state.errors:
            continue  # the field's own reading already failed: one message is enough
        state.add_error(key, _message(item, _spec_of(key)))


def _spec_of(key: str) -> FieldSpec | None:
    match = ROW_KEY.match(key)
    return ALL_FIELDS.get(match[3] if match else key)


def _strip_prefix(message: str) -> str:
    for prefix in ("Value error, ", "Assertion failed, "):
        if message.startswith(prefix):
            return message[len(prefix) :]
    return message


def _bound(value: Any, spec: FieldSpec | None) -> str:
    if spec is not None and spec.kind == "percent":
        return f"{format_percent(float(value))}%"
    if isinstance(value, float | int) and abs(value) >= 1000:
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,}"
    if isinstance(value, float) and not value.is_integer():
        return format(Decimal(repr(value)).normalize(), "f")  # 0.000001, not 1e-06
    return format_number(value) if isinstance(value, float | int) else str(value)


def _message(item: Mapping[str, Any], spec: FieldSpec | None) -> str:
    kind, ctx = item["type"], item.get("ctx") or {}
    if kind == "greater_than":
        return f"must be greater than {_bound(ctx['gt'], spec)}"
    if kind == "greater_than_equal":
        return f"must be at least {_bound(ctx['ge'], spec)}"
    if kind == "less_than":
        return f"must be below {_bound(ctx['lt'], spec)}"
    if kind == "less_than_equal":
        return f"must be at most {_bound(ctx['le'], spec)}"
    if kind == "missing":
        return "required"
    if kind == "string_too_short":
        return "must not be empty"
    if kind == "string_too_long":
        return f"must be at most {ctx.get('max_length')} characters"
    if kind == "literal_error":
        return f"must be one of {ctx.get('expected', '')}".replace("'", "")
    if kind in ("finite_number",):
        return "must be a finite number"
    if kind.startswith("int_"):
        return "must be a whole number"
    if kind == "extra_forbidden":
        return "is not a field of this option"
    message = _strip_prefix(str(item.get("msg", "is not valid")))
    return message[:1].lower() + message[1:]


_FIELD_WORDS = {
    "gpu_count": "GPU count",
    "per_gpu_hour": "price per GPU-hour",
    "output_tokens_per_second": "measured throughput",
    "min_output_tokens_per_second_per_user": "min speed per user",
    "max_time_to_first_token_seconds": "max time to first token",
    "input_tokens": "input tokens",
    "output_tokens": "output tokens",
    "kv_cache_precision": "KV-cache precision",
}


def humanize(message: str) -> str:
    for name, words in _FIELD_WORDS.items():
        message = re.sub(rf"\b{name}\b", words, message)
    return message
