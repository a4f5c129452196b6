"""A scenario (and the page's beyond-crossover settings) as the form's query string: the permalink's
writer. Values equal to their default are left out; `parse_query` in app.web.forms reads it back exactly."""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlencode

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from app.scenario.inputs import ApiOptionIn, BuyIn, ScenarioIn, WorkloadIn
from app.web.form_fields import (
    API_FIELDS,
    BEYOND_FIELDS,
    BUY_FIELDS,
    HOSTED_KEY,
    HOURLY_KEY,
    RENT_FIELDS,
    REQUIREMENT_KEY,
    SELF_HOSTED_FIELDS,
    WORKLOAD_FIELDS,
    BeyondIn,
    FieldSpec,
)
from app.web.form_numbers import format_number


def workload_to_pairs(workload: WorkloadIn) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    if workload.tokens_per_month is not None:
        pairs += [("volume", format_number(workload.tokens_per_month)), ("volume_unit", "tokens")]
    elif workload.requests_per_month is not None:
        pairs.append(("volume", format_number(workload.requests_per_month)))
    return pairs + _encode_fields(workload, WORKLOAD_FIELDS, "")


def scenario_to_pairs(scenario: ScenarioIn) -> list[tuple[str, str]]:
    pairs = workload_to_pairs(scenario.workload)
    if not scenario.hosted_alternatives:
        pairs.append((HOSTED_KEY, "off"))
    for index, option in enumerate(scenario.options):
        if isinstance(option, ApiOptionIn) and option.origin == "hosted":
            continue  # added again, at today's prices, by the switch: the form has no row for it
        if isinstance(option, ApiOptionIn):
            pairs += _encode_fields(option, API_FIELDS, f"api.{index}.")
            continue
        prefix = f"sh.{index}."
        for spec in SELF_HOSTED_FIELDS:
            value = getattr(option, spec.path[-1])
            if spec.key in ("model", "gpu") and isinstance(value, BaseModel):
                pairs += _encode_inline(value, f"{prefix}{spec.key}.")
            elif value != spec.default:
                pairs.append((prefix + spec.key, spec.encode(value)))
        if isinstance(option.pricing, BuyIn):
            pairs.append((prefix + "pricing", "buy"))
            pairs += _encode_fields(option.pricing, BUY_FIELDS, prefix)
        else:
            pairs += _encode_fields(option.pricing, RENT_FIELDS, prefix)
    return pairs


def scenario_to_query(scenario: ScenarioIn, beyond: BeyondIn | None = None) -> str:
    return urlencode(scenario_to_pairs(scenario) + (beyond_to_pairs(beyond) if beyond is not None else []))


def beyond_to_pairs(beyond: BeyondIn) -> list[tuple[str, str]]:
    """The beyond-crossover settings as query pairs; defaults left out."""
    pairs = _encode_fields(beyond, BEYOND_FIELDS, "")
    if beyond.hourly is not None:
        pairs.append((HOURLY_KEY, ",".join(format_number(w) for w in beyond.hourly)))
    pairs += [(REQUIREMENT_KEY, r) for r in beyond.requirements]
    return pairs


def _encode_fields(model: BaseModel, specs: Iterable[FieldSpec], prefix: str) -> list[tuple[str, str]]:
    pairs = []
    for spec in specs:
        value = getattr(model, spec.path[-1])
        if value != spec.default:
            pairs.append((prefix + spec.key, spec.encode(value)))
    return pairs


def _encode_inline(model: BaseModel, prefix: str) -> list[tuple[str, str]]:
    pairs = []
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        default = None if info.default is PydanticUndefined else info.default
        if isinstance(value, dict):
            pairs += [(f"{prefix}{name}.{k}", format_number(v)) for k, v in value.items()]
        elif value != default or info.is_required():
            pairs.append((prefix + name, format_number(value) if isinstance(value, float | int) else str(value)))
    return pairs
