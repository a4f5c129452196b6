"""The form's codec (app/web/forms.py): ScenarioIn ↔ query string, lenient number reading, and one
message per field that says the rule it breaks."""

from __future__ import annotations

import functools
import inspect
import re
import string
from decimal import Decimal
from html import unescape
from typing import Any
from urllib.parse import parse_qsl

import pytest
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError
from pydantic_core import PydanticCustomError

from app.catalog.loader import load_catalog
from app.core.efficiencies import ENGINES
from app.core.errors import DomainError
from app.core.factors import REQUIREMENTS
from app.core.self_hosted import RENTAL_TERMS
from app.core.units import PRECISIONS
from app.scenario import inputs
from app.scenario.inputs import (
    EXACTLY_ONE_VOLUME,
    ApiOptionIn,
    BuyIn,
    GpuSpecIn,
    ModelArchitectureIn,
    RentIn,
    ScenarioIn,
    SelfHostedOptionIn,
    WorkloadIn,
)
from app.web.form_errors import CROSS_FIELD_RULES, record_validation_errors
from app.web.form_fields import (
    API_FIELDS,
    BEYOND_FIELDS,
    BUY_FIELDS,
    HOURLY_PROFILES,
    PROFILE_CHOICES,
    RENT_FIELDS,
    SELF_HOSTED_FIELDS,
    WORKLOAD_FIELDS,
    BeyondIn,
    field_spec,
)
from app.web.form_numbers import InputError, format_percent, parse_decimal
from app.web.forms import FormState, clean_pairs, evaluate_form, parse_beyond, parse_query
from app.web.presets import presets
from app.web.query_codec import beyond_to_pairs, scenario_to_query

# DESIGN.md's worked example exactly: its two options, without the hosted per-token offers of Llama 3.3
# 70B that the page adds by default (issue 14; tests/test_hosted.py covers those).
FLAT_VS_H100 = (
    "volume=1000000&input_tokens=500&output_tokens=500&hosted=off"
    "&api.0.name=Flat+API&api.0.input_per_mtok=1&api.0.output_per_mtok=1"
    "&sh.1.name=Llama+on+H100&sh.1.model=llama-3.3-70b&sh.1.gpu=h100-sxm&sh.1.gpu_count=1&sh.1.precision=fp8"
    "&sh.1.per_gpu_hour=2&sh.1.output_tps=500&sh.1.utilization_pct=100"
)


def with_values(query: str, **changes: str) -> str:
    """The query with some keys replaced (a key spelled with __ for . : api__0__name)."""
    pairs = dict(parse_qsl(query, keep_blank_values=True))
    for key, value in changes.items():
        pairs[key.replace("__", ".")] = value
    return "&".join(f"{k}={v}" for k, v in pairs.items())


# ---------------------------------------------------------------------------------------------
# Round trip: ScenarioIn → query → ScenarioIn is the identity

ids = st.text(string.ascii_lowercase + string.digits + "-._", min_size=1, max_size=20)
# Names are displayable text: controls, surrogates, format (bidi) and unassigned characters are refused
# by the input models (app/scenario/inputs.py, DisplayText), so they are not round-trip material.
names = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Cf", "Cn")), min_size=1, max_size=30).filter(
    lambda s: s.strip() != ""
)
# A blank value means "not given" (the field's default), so texts have something visible in them.
inline_text = names


def floats(
    low: float, high: float, *, exclude_low: bool = False, exclude_high: bool = False
) -> st.SearchStrategy[float]:
    return st.floats(
        low, high, exclude_min=exclude_low, exclude_max=exclude_high, allow_nan=False, allow_infinity=False
    )


def optional(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(st.none(), strategy)


@functools.cache
def number(model: type[BaseModel], name: str) -> st.SearchStrategy[Any]:
    """Any value the input model accepts for a numeric field, read from its JSON schema's bounds, so
    the strategy follows the model when its rules change (None too when the field is optional)."""
    schema = model.model_json_schema()["properties"][name]
    variants = schema.get("anyOf", [schema])
    strategies: list[st.SearchStrategy[Any]] = []
    for variant in variants:
        kind = variant.get("type")
        if kind == "null":
            strategies.append(st.none())
        elif kind == "integer":
            low = variant.get("minimum", variant.get("exclusiveMinimum", -1) + 1)
            high = variant.get("maximum", variant.get("exclusiveMaximum", 10**6 + 1) - 1)
            strategies.append(st.integers(low, high))
        elif kind == "number":
            low = variant.get("minimum", variant.get("exclusiveMinimum", 0.0))
            high = variant.get("maximum", variant.get("exclusiveMaximum", 1e6))
            strategies.append(
                floats(low, high, exclude_low="exclusiveMinimum" in variant, exclude_high="exclusiveMaximum" in variant)
            )
    return st.one_of(*strategies)


def numbers(draw: st.DrawFn, model: type[BaseModel], *names: str) -> dict[str, Any]:
    return {name: draw(number(model, name)) for name in names}


@st.composite
def workloads(draw: st.DrawFn) -> dict[str, Any]:
    doc = numbers(
        draw,
        WorkloadIn,
        "input_tokens",
        "output_tokens",
        "cached_input_fraction",
        "batchable_fraction",
        "peak_to_average",
        "min_output_tokens_per_second_per_user",
        "max_time_to_first_token_seconds",
        "reasoning_tokens",
        "prefix_cache_hit_rate",
    )
    if draw(st.booleans()):  # offline work has no latency target to give
        doc |= {
            "latency_target": "offline",
            "min_output_tokens_per_second_per_user": None,
            "max_time_to_first_token_seconds": None,
        }
    doc["cache_write_fraction"] = draw(floats(0, 1 - doc["cached_input_fraction"]))
    volume = draw(st.sampled_from(["requests_per_month", "tokens_per_month"]))
    doc[volume] = draw(number(WorkloadIn, volume).filter(lambda v: v is not None))
    return doc


@st.composite
def api_options(draw: st.DrawFn, name: str) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "kind": "api",
        "name": name,
        "provider": draw(optional(ids)),
        "model": draw(optional(ids)),
        **numbers(
            draw,
            ApiOptionIn,
            "input_per_mtok",
            "output_per_mtok",
            "cached_input_per_mtok",
            "cache_write_per_mtok",
            "batch_input_per_mtok",
            "batch_output_per_mtok",
            "negotiated_discount",
            "reasoning_tokens",
        ),
    }
    if doc["model"] is None:
        doc["input_per_mtok"] = doc["input_per_mtok"] or 1.0
        doc["output_per_mtok"] = doc["output_per_mtok"] or 2.0
    return doc


@st.composite
def inline_models(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "id": draw(inline_text),
        "name": draw(inline_text),
        **numbers(
            draw,
            ModelArchitectureIn,
            "total_params_b",
            "active_params_b",
            "num_layers",
            "hidden_size",
            "num_attention_heads",
            "num_kv_heads",
            "head_dim",
            "num_experts",
            "sliding_window",
        ),
    }


@st.composite
def inline_gpus(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "name": draw(inline_text),
        **numbers(draw, GpuSpecIn, "memory_gib", "memory_bandwidth_tb_s", "tdp_watts", "max_gpus_per_node"),
        "dense_tflops": draw(st.dictionaries(st.sampled_from(PRECISIONS), floats(0, 1_000_000, exclude_low=True))),
        "interconnect": draw(st.sampled_from(["nvlink", "infinity_fabric", "pcie", "ethernet", "none"])),
    }


@st.composite
def rent_pricing(draw: st.DrawFn) -> dict[str, Any]:
    doc = {
        "kind": "rent",
        "offer": draw(optional(ids)),
        "term": draw(st.sampled_from(RENTAL_TERMS)),
        **numbers(draw, RentIn, "per_gpu_hour"),
    }
    if doc["per_gpu_hour"] is None and doc["offer"] is None:
        doc["per_gpu_hour"] = 2.0
    return doc


@st.composite
def buy_pricing(draw: st.DrawFn) -> dict[str, Any]:
    doc = {
        "kind": "buy",
        "offer": draw(optional(ids)),
        **numbers(
            draw,
            BuyIn,
            "price_per_gpu",
            "depreciation_years",
            "residual_fraction",
            "cost_of_capital",
            "watts_per_gpu",
            "power_draw_fraction",
            "pue",
            "electricity_usd_per_kwh",
            "colocation_usd_per_kw_month",
            "maintenance_fraction_per_year",
        ),
    }
    if doc["price_per_gpu"] is None and doc["offer"] is None:
        doc["offer"] = "hgx-h100-server"
    return doc


@st.composite
def self_hosted_options(draw: st.DrawFn, name: str) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "kind": "self_hosted",
        "name": name,
        "model": draw(st.one_of(st.none(), ids, inline_models())),
        "gpu": draw(st.one_of(st.none(), ids, inline_gpus())),
        "gpu_count": draw(st.one_of(st.none(), st.just("auto"), st.integers(-3, 72))),
        "precision": draw(st.sampled_from(PRECISIONS)),
        "kv_cache_precision": draw(optional(st.sampled_from(PRECISIONS))),
        "engine": draw(st.sampled_from(ENGINES)),
        "pricing": draw(st.one_of(rent_pricing(), buy_pricing())),
        **numbers(
            draw,
            SelfHostedOptionIn,
            "output_tokens_per_second",
            "concurrency",
            "target_utilization",
            "reasoning_tokens",
            "tensor_parallel",
            "expert_parallel",
            "attention_data_parallel",
            "min_replicas",
            "redundancy",
            "ops_fte",
            "ops_usd_per_fte_year",
            "platform_usd_per_month",
        ),
    }
    if doc["output_tokens_per_second"] is None and (doc["model"] is None or doc["gpu"] is None):
        doc["output_tokens_per_second"] = 500.0
    return doc


@st.composite
def scenarios(draw: st.DrawFn) -> ScenarioIn:
    option_names = draw(st.lists(names, min_size=1, max_size=4, unique=True))
    options = [draw(st.one_of(api_options(name), self_hosted_options(name))) for name in option_names]
    return ScenarioIn.model_validate({"workload": draw(workloads()), "options": options})


@settings(max_examples=300, deadline=None)
@given(scenarios())
def test_query_round_trip_is_identity(scenario: ScenarioIn) -> None:
    query = scenario_to_query(scenario)
    parsed, state = parse_query(query)
    assert state.errors == {}, (query, state.errors)
    assert state.notices == []
    assert parsed == scenario


def test_presets_round_trip() -> None:
    for preset in presets():
        parsed, state = parse_query(preset.query)
        assert state.errors == {}
        assert parsed == preset.scenario


def test_query_omits_defaults_and_is_readable() -> None:
    scenario, _ = parse_query(FLAT_VS_H100)
    assert scenario is not None
    query = scenario_to_query(scenario)
    assert query.startswith("volume=1000000&input_tokens=500&output_tokens=500&hosted=off&api.0.name=Flat+API")
    for default in ("peak_to_average", "cached_pct", "engine", "term", "pricing", "min_replicas"):
        assert default not in query
    assert "sh.1.utilization_pct=100" in query


@pytest.mark.parametrize(
    ("fraction", "text"),
    [(0.3, "30"), (0.125, "12.5"), (0.07, "7"), (1.0, "100"), (0.0, "0"), (1e-20, "0.000000000000000001")],
)
def test_format_percent_is_exact(fraction: float, text: str) -> None:
    assert format_percent(fraction) == text


# ---------------------------------------------------------------------------------------------
# Reading what people type


@pytest.mark.parametrize(
    ("typed", "requests"),
    [
        ("3000000", 3_000_000),
        ("3,000,000", 3_000_000),
        ("3M", 3_000_000),
        ("3m", 3_000_000),
        ("2.5k", 2_500),
        ("1.2B", 1_200_000_000),
        (" 750 000 ", 750_000),
        ("1e6", 1_000_000),
    ],
)
def test_volume_reads_leniently(typed: str, requests: float) -> None:
    scenario, state = parse_query(with_values(FLAT_VS_H100, volume=typed.replace(",", "%2C").replace(" ", "+")))
    assert state.errors == {}
    assert scenario is not None and scenario.workload.requests_per_month == requests


def test_money_and_percent_read_leniently() -> None:
    scenario, state = parse_query(with_values(FLAT_VS_H100, sh__1__per_gpu_hour="%242.50", cached_pct="30%25"))
    assert state.errors == {}
    assert scenario is not None
    assert scenario.workload.cached_input_fraction == 0.3
    assert scenario.options[1].pricing.per_gpu_hour == 2.5  # type: ignore[union-attr]


def test_tokens_per_month_volume() -> None:
    scenario, state = parse_query(with_values(FLAT_VS_H100, volume="1B", volume_unit="tokens"))
    assert scenario is not None and scenario.workload.tokens_per_month == 1e9
    assert scenario.workload.requests_per_month is None
    assert scenario.workload.to_core().requests_per_month == 1_000_000


@pytest.mark.parametrize(
    ("changes", "key", "message"),
    [
        ({"input_tokens": "lots"}, "input_tokens", "must be a number"),
        ({"output_tokens": "0"}, "output_tokens", "must be at least 1"),
        ({"cached_pct": "150"}, "cached_pct", "must be at most 100%"),
        ({"cached_pct": "70", "cache_write_pct": "40"}, "cache_write_pct", "must not exceed 100%"),
        ({"peak_to_average": "0.5"}, "peak_to_average", "must be at least 1"),
        ({"volume": ""}, "volume", "required"),
        ({"volume": "-5"}, "volume", "must be at least 1"),
        ({"volume": "nan"}, "volume", "must be a finite number"),
        ({"volume": "1e400"}, "volume", "too large"),
        ({"volume_unit": "bananas"}, "volume_unit", "requests or tokens"),
        ({"api__0__input_per_mtok": "-1"}, "api.0.input_per_mtok", "must be at least 0.000001"),
        ({"api__0__discount_pct": "100"}, "api.0.discount_pct", "must be below 100%"),
        ({"sh__1__gpu_count": "1.5"}, "sh.1.gpu_count", "whole number"),
        ({"sh__1__utilization_pct": "0"}, "sh.1.utilization_pct", "must be at least 1%"),
        ({"sh__1__utilization_pct": "120"}, "sh.1.utilization_pct", "must be at most 100%"),
        ({"sh__1__precision": "fp3"}, "sh.1.precision", "must be one of"),
        ({"sh__1__per_gpu_hour": ""}, "sh.1.per_gpu_hour", "rental offer or type a price"),
        ({"sh__1__pricing": "lease"}, "sh.1.pricing", "rent or buy"),
        ({"sh__1__min_replicas": "-1"}, "sh.1.min_replicas", "must be at least 0"),
    ],
)
def test_invalid_field_gets_a_message_that_says_the_rule(changes: dict[str, str], key: str, message: str) -> None:
    scenario, state = parse_query(with_values(FLAT_VS_H100, **changes))
    assert scenario is None
    assert message in state.errors.get(key, ""), state.errors
    typed = next(iter(changes.values()))
    if typed:
        first_key = next(iter(changes)).replace("__", ".")
        assert state.values[first_key] == typed  # the input is kept as typed


def test_api_option_needs_a_model_or_both_prices() -> None:
    query = "volume=1M&input_tokens=100&output_tokens=100&api.0.name=X&api.0.output_per_mtok=2"
    _, state = parse_query(query)
    assert "custom output price" in state.errors["api.0.input_per_mtok"]
    _, state = parse_query("volume=1M&input_tokens=100&output_tokens=100&api.0.name=X&api.0.discount_pct=5")
    assert "catalog model" in state.errors["api.0.model"]


def test_self_hosted_option_needs_capacity() -> None:
    query = "volume=1M&input_tokens=100&output_tokens=100&sh.0.name=S&sh.0.model=llama-3.1-8b&sh.0.per_gpu_hour=1"
    _, state = parse_query(query)
    assert "measured throughput" in state.errors["sh.0.gpu"]


def test_buy_needs_a_price_or_an_offer() -> None:
    query = with_values(FLAT_VS_H100, sh__1__pricing="buy")
    _, state = parse_query(query)
    assert "purchase offer" in state.errors["sh.1.price_per_gpu"]


def test_duplicate_names_are_marked_on_the_second() -> None:
    query = FLAT_VS_H100 + "&api.2.name=Flat+API&api.2.input_per_mtok=3&api.2.output_per_mtok=3"
    scenario, state = parse_query(query)
    assert scenario is None
    assert "already called 'Flat API'" in state.errors["api.2.name"]
    assert state.usable is not None and len(state.usable.options) == 2  # the rest still works
    assert state.left_out == ["Flat API"]


def test_invalid_option_leaves_the_rest_usable() -> None:
    scenario, state = parse_query(with_values(FLAT_VS_H100, sh__1__output_tps="fast"))
    assert scenario is None
    assert state.usable is not None
    assert [o.name for o in state.usable.options] == ["Flat API"]
    assert state.left_out == ["Llama on H100"]


def test_no_options_is_an_error() -> None:
    _, state = parse_query("volume=1M&input_tokens=100&output_tokens=100")
    assert "at least one option" in state.errors["options"]


def test_empty_query_is_not_submitted() -> None:
    scenario, state = parse_query("")
    assert scenario is None and not state.submitted and state.errors == {}


def test_blank_rows_are_ignored_and_rows_may_have_gaps() -> None:
    query = FLAT_VS_H100.replace("sh.1.", "sh.7.") + "&api.3.name=Later&api.3.discount_pct=0&sh.5.engine=vllm"
    scenario, state = parse_query(query)
    assert state.errors == {}
    assert scenario is not None and [o.name for o in scenario.options] == ["Flat API", "Llama on H100"]
    assert [(row.key, row.blank) for row in state.rows] == [
        ("api.0", False),
        ("api.3", True),
        ("sh.5", True),
        ("sh.7", False),
    ]


def test_missing_names_are_made_from_the_choices() -> None:
    query = FLAT_VS_H100.replace("api.0.name=Flat+API&", "").replace("sh.1.name=Llama+on+H100&", "")
    query += "&api.2.model=gpt-5-mini"
    scenario, state = parse_query(query)
    assert scenario is not None
    assert [o.name for o in scenario.options] == ["Custom API", "llama-3.3-70b on 1× h100-sxm", "gpt-5-mini"]
    assert state.placeholders["api.0.name"] == "Custom API"


def test_unknown_parameters_are_reported_not_fatal() -> None:
    scenario, state = parse_query(FLAT_VS_H100 + "&colour=blue&api.0.flavour=mint")
    assert scenario is not None
    assert any("'colour'" in n for n in state.notices) and any("'api.0.flavour'" in n for n in state.notices)


def test_add_makes_a_blank_row() -> None:
    _, state = parse_query(FLAT_VS_H100 + "&add=api")
    assert state.rows[-1].kind == "api" and state.rows[-1].blank and state.rows[-1].index == 2


def test_clean_pairs_drops_blanks_defaults_controls_and_removed_rows() -> None:
    query = (
        "volume=1M&volume_unit=requests&input_tokens=10&output_tokens=&peak_to_average=1&partial=1"
        "&api.0.name=A&api.0.discount_pct=0&sh.1.name=B&sh.1.pricing=rent&sh.1.utilization_pct=80"
        "&sh.2.name=C&remove=sh.2"
    )
    assert clean_pairs(query) == [("volume", "1M"), ("input_tokens", "10"), ("api.0.name", "A"), ("sh.1.name", "B")]


# ---------------------------------------------------------------------------------------------
# What the model refuses is marked beside its field too


def test_domain_errors_land_on_their_field_and_the_rest_is_evaluated() -> None:
    query = (
        FLAT_VS_H100
        + "&sh.2.name=Too+big&sh.2.model=llama-3.1-405b&sh.2.gpu=l4&sh.2.gpu_count=1&sh.2.per_gpu_hour=1"
        + "&sh.3.name=Typo&sh.3.model=llama-3.3-70&sh.3.gpu=h100-sxm&sh.3.per_gpu_hour=2"
    )
    scenario, state = parse_query(query)
    assert scenario is not None  # every field reads; the model refuses two of them
    result = evaluate_form(state, load_catalog())
    assert result is not None
    user_options = [o.resolved.option.name for o in result.options if getattr(o, "origin", "user") == "user"]
    assert user_options == ["Flat API", "Llama on H100"]
    assert "GiB" in state.errors["sh.2.gpu_count"]
    assert "unknown model id 'llama-3.3-70'" in state.errors["sh.3.model"]
    assert "did you mean" in state.errors["sh.3.model"]
    assert state.left_out == ["Too big", "Typo"]


def test_offer_for_another_gpu_is_marked_on_the_offer() -> None:
    query = with_values(FLAT_VS_H100, sh__1__per_gpu_hour="", sh__1__offer="crusoe-l40s")
    _, state = parse_query(query)
    result = evaluate_form(state, load_catalog())
    assert result is not None and len(result.options) == 1
    assert "not h100-sxm" in state.errors["sh.1.offer"]


def test_unknown_api_model_is_marked_on_the_model() -> None:
    query = FLAT_VS_H100 + "&api.2.name=G&api.2.provider=openai&api.2.model=gpt-5-minii"
    _, state = parse_query(query)
    evaluate_form(state, load_catalog())
    assert "gpt-5-mini" in state.errors["api.2.model"]


# ---------------------------------------------------------------------------------------------
# Settings beyond one crossover: h.* and req


@st.composite
def beyond_settings(draw: st.DrawFn) -> BeyondIn:
    months = draw(st.integers(1, 120))
    profile = draw(st.sampled_from(PROFILE_CHOICES))
    hourly = None
    if profile == "custom" or draw(st.booleans()):
        weights = draw(st.lists(st.floats(0, 1e6, allow_nan=False), min_size=24, max_size=24))
        hourly = tuple(weights) if any(weights) else (1.0,) * 24
    return BeyondIn(
        months=months,
        monthly_growth=draw(st.floats(-0.5, 0.5, allow_nan=False)),
        api_price_change_per_year=draw(st.floats(-0.99, 1, allow_nan=False)),
        gpu_price_change_per_year=draw(st.floats(-0.99, 1, allow_nan=False)),
        migration_weeks=draw(st.floats(0, 10_000, allow_nan=False)),
        migrate_at_month=draw(st.one_of(st.none(), st.integers(0, months))),
        profile=profile,
        hourly=hourly,
        requirements=tuple(draw(st.lists(st.sampled_from([r.id for r in REQUIREMENTS]), unique=True))),
    )


@settings(max_examples=200, deadline=None)
@given(scenarios(), beyond_settings())
def test_query_round_trip_with_beyond_settings_is_identity(scenario: ScenarioIn, beyond: BeyondIn) -> None:
    query = scenario_to_query(scenario, beyond)
    parsed, state = parse_query(query)
    assert state.errors == {}, (query, state.errors)
    assert state.notices == []
    assert parsed == scenario
    assert state.beyond == beyond
    assert parse_beyond(query) == (beyond, {})


def test_beyond_defaults_are_left_out_of_the_query() -> None:
    assert beyond_to_pairs(BeyondIn()) == []
    cleaned = clean_pairs(
        # The daily shape's default is the workload's own peak (issue 16), no longer business hours.
        FLAT_VS_H100 + "&h.months=36&h.api_price_change_pct=-50&h.profile=workload&h.growth_pct="
    )
    assert not any(key.startswith("h.") for key, _ in cleaned)
    assert ("h.months", "24") in clean_pairs(FLAT_VS_H100 + "&h.months=24")


@pytest.mark.parametrize(
    ("extra", "key", "message"),
    [
        ("h.months=0", "h.months", "must be at least 1"),
        ("h.months=1.5", "h.months", "must be a whole number"),
        ("h.growth_pct=80", "h.growth_pct", "must be at most 50%"),
        ("h.api_price_change_pct=-100", "h.api_price_change_pct", "must be greater than -100%"),
        ("h.months=12&h.migrate_at_month=13", "h.migrate_at_month", "must not be after the horizon's last month"),
        ("h.profile=weekly", "h.profile", "must be one of"),
        ("h.profile=custom", "h.hourly", "required for a custom shape"),
        ("h.profile=custom&h.hourly=1,2,3", "h.hourly", "24 comma-separated weights"),
        ("req=world_peace", "req", "unknown requirement 'world_peace'"),
    ],
)
def test_invalid_beyond_settings_are_marked_on_their_field(extra: str, key: str, message: str) -> None:
    _, state = parse_query(FLAT_VS_H100 + "&" + extra)
    assert message in state.errors[key]
    assert state.beyond == BeyondIn()
    assert state.usable is not None  # the scenario itself is still usable


def test_beyond_settings_are_read() -> None:
    _, state = parse_query(
        FLAT_VS_H100 + "&h.months=24&h.growth_pct=5&h.api_price_change_pct=-30&h.migrate_at_month=6"
        "&h.profile=evening_peak&req=regulated_data&req=pin_model_version"
    )
    assert state.errors == {} and state.notices == []
    b = state.beyond
    assert (b.months, b.monthly_growth, b.api_price_change_per_year, b.migrate_at_month) == (24, 0.05, -0.3, 6)
    assert b.hourly_weights == HOURLY_PROFILES["evening_peak"] and len(b.hourly_weights) == 24
    assert b.requirements == ("regulated_data", "pin_model_version")


# ---------------------------------------------------------------------------------------------
# Hostile numbers (issue 12): the magnitude is refused before any arithmetic is done on it


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1e29", Decimal("1e29")),
        ("-9.99e29", Decimal("-9.99e29")),
        ("2.5k", Decimal("2500")),
        ("1e-5k", Decimal("0.01")),
        ("-0", Decimal(0)),
        ("0e-999999", Decimal(0)),
        ("1e-999999", Decimal(0)),  # below the smallest float: 0, and the field's own rule speaks
        ("1_000", Decimal(1000)),
        ("１２", Decimal(12)),  # fullwidth digits are digits
        ("0." + "0" * 300 + "1", Decimal("1e-301")),
    ],
)
def test_numbers_within_bounds_are_read(text: str, expected: Decimal) -> None:
    assert parse_decimal(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("1e30", "is too large: must be between -1e30 and 1e30"),
        ("1e999999", "is too large"),
        ("1e999999k", "is too large"),  # was decimal.Overflow: a 500
        ("1e999998m", "is too large"),
        ("-1e999999t", "is too large"),
        ("1e28t", "is too large"),  # the suffix counts towards the magnitude
        ("1" * 31, "is too large"),
        ("9" * 401, "must be a number of at most 400 characters"),
        ("nan", "must be a finite number"),
        ("-inf", "must be a finite number"),
        ("snan", "must be a finite number"),
        ("²", "must be a number"),
        ("1e", "must be a number"),
    ],
)
def test_numbers_out_of_bounds_are_refused_with_the_rule(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        parse_decimal(text)


@pytest.mark.parametrize("key", ["sh.1.min_replicas", "sh.1.gpu_count", "sh.1.concurrency", "h.months"])
def test_integer_fields_refuse_a_huge_exponent_beside_the_field(key: str) -> None:
    # int(Decimal("1e999999")) builds a million-digit integer: 24 s holding the GIL before the fix.
    _, state = parse_query(FLAT_VS_H100 + f"&{key}=1e999999")
    assert state.errors[key] == "is too large: must be between -1e30 and 1e30"
    assert state.values[key] == "1e999999"  # kept as typed


def test_hourly_weights_are_counted_before_they_are_read() -> None:
    _, state = parse_query(FLAT_VS_H100 + "&h.profile=custom&h.hourly=" + ",".join(["1e999999"] * 5000))
    assert "24 comma-separated weights" in state.errors["h.hourly"]


# ---------------------------------------------------------------------------------------------
# Every error is placed by its location (or, for a rule across fields, its type), never by its
# wording: each case lands beside its field in the page, and still does when its message is reworded


ERROR_PLACEMENTS = [
    # The input models' rules across fields (model validators: placed by error type)
    ("no volume", {"volume": ""}, "volume"),
    ("cache shares over 100%", {"cached_pct": "70", "cache_write_pct": "40"}, "cache_write_pct"),
    ("custom API without input price", {"api__0__input_per_mtok": ""}, "api.0.input_per_mtok"),
    ("custom API without output price", {"api__0__output_per_mtok": ""}, "api.0.output_per_mtok"),
    (
        "custom API without prices",
        {"api__0__input_per_mtok": "", "api__0__output_per_mtok": "", "api__0__discount_pct": "5"},
        "api.0.model",
    ),
    ("rent without price or offer", {"sh__1__per_gpu_hour": ""}, "sh.1.per_gpu_hour"),
    ("buy without price or offer", {"sh__1__pricing": "buy"}, "sh.1.price_per_gpu"),
    ("no GPU and no throughput", {"sh__1__gpu": "", "sh__1__output_tps": ""}, "sh.1.gpu"),
    ("no model and no throughput", {"sh__1__model": "", "sh__1__output_tps": ""}, "sh.1.model"),
    # The input models' field rules (placed by location)
    ("control character in a name", {"api__0__name": "Bad%07name"}, "api.0.name"),
    ("bidi override in an offer id", {"sh__1__per_gpu_hour": "", "sh__1__offer": "a%E2%80%AEb"}, "sh.1.offer"),
    ("price above its bound", {"sh__1__per_gpu_hour": "5000"}, "sh.1.per_gpu_hour"),
    ("discount of 100%", {"api__0__discount_pct": "100"}, "api.0.discount_pct"),
    ("horizon of 0 months", {"h__months": "0"}, "h.months"),
    # The form's own reading
    ("too-large number", {"sh__1__per_gpu_hour": "1e400"}, "sh.1.per_gpu_hour"),
    ("not a number", {"input_tokens": "lots"}, "input_tokens"),
    # What the model refuses (DomainError: placed by its `field`)
    ("unknown model", {"sh__1__model": "llama-3.3-70"}, "sh.1.model"),
    ("unknown GPU", {"sh__1__gpu": "h100-sxmm"}, "sh.1.gpu"),
    ("unknown rental offer", {"sh__1__per_gpu_hour": "", "sh__1__offer": "no-such-offer"}, "sh.1.offer"),
    ("offer for another GPU", {"sh__1__per_gpu_hour": "", "sh__1__offer": "crusoe-l40s"}, "sh.1.offer"),
    ("unknown API model", {"api__0__model": "gpt-5-minii"}, "api.0.model"),
    (
        "does not fit",
        {"sh__1__model": "llama-3.1-405b", "sh__1__gpu": "l4", "sh__1__output_tps": ""},
        "sh.1.gpu_count",
    ),
    ("longer than the model's context window", {"input_tokens": "200000"}, "sh.1.model"),
    (
        "duplicate names",
        {"api__2__name": "Flat API", "api__2__input_per_mtok": "3", "api__2__output_per_mtok": "3"},
        "api.2.name",
    ),
]


def _error_beside(html: str, key: str) -> str:
    """The message the page shows beside a field (its `e-<key>` element), unescaped."""
    found = re.search(rf'id="e-{re.escape(key)}" data-error="{re.escape(key)}">([^<]*)</p>', html)
    assert found is not None, f"no message element for {key}"
    return unescape(found[1])


def _place(client: TestClient, changes: dict[str, str]) -> tuple[dict[str, str], str]:
    query = with_values(FLAT_VS_H100, **changes)
    _, state = parse_query(query)
    evaluate_form(state, load_catalog())
    page = client.get("/?" + query, headers={"accept": "text/html"})
    return state.errors, page.text


@pytest.mark.parametrize(
    ("changes", "key"), [case[1:] for case in ERROR_PLACEMENTS], ids=[c[0] for c in ERROR_PLACEMENTS]
)
def test_each_error_lands_beside_its_field(client: TestClient, changes: dict[str, str], key: str) -> None:
    errors, html = _place(client, changes)
    assert key in errors, errors
    assert _error_beside(html, key) == errors[key]


def _reworded_rule(error_type: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(error_type, "reworded: this rule now reads differently")


def _reworded_domain_error(init: Any) -> Any:
    def reworded(self: DomainError, message: str, *, field: tuple[str | int, ...] = ()) -> None:
        init(self, "reworded: " + message[::-1], field=field)

    return reworded


@pytest.mark.parametrize(
    ("changes", "key"), [case[1:] for case in ERROR_PLACEMENTS], ids=[c[0] for c in ERROR_PLACEMENTS]
)
def test_rewording_a_message_does_not_move_it(
    client: TestClient, monkeypatch: pytest.MonkeyPatch, changes: dict[str, str], key: str
) -> None:
    monkeypatch.setattr(inputs, "_rule_broken", _reworded_rule)
    monkeypatch.setattr(DomainError, "__init__", _reworded_domain_error(DomainError.__init__))
    errors, html = _place(client, changes)
    assert key in errors, errors
    assert _error_beside(html, key) == errors[key]


def test_every_rule_across_fields_has_a_place() -> None:
    # A model validator raises through _rule_broken with its own type: the form must know where to show it.
    raised = set(re.findall(r"_rule_broken\(\s*([A-Z_]+)", inspect.getsource(inputs)))
    assert {getattr(inputs, name) for name in raised} == set(CROSS_FIELD_RULES)


def test_both_volumes_land_on_the_volume() -> None:
    # The form has one volume field, so only the JSON document can give both: placed by the rule's type.
    state = FormState()
    with pytest.raises(ValidationError) as raised:
        WorkloadIn.model_validate(
            {"requests_per_month": 1.0, "tokens_per_month": 1.0, "input_tokens": 1.0, "output_tokens": 1.0}
        )
    assert raised.value.errors()[0]["type"] == EXACTLY_ONE_VOLUME
    record_validation_errors(state, "workload", raised.value, {})
    assert state.errors == {"volume": "required: how many requests (or tokens) a month"}


# ----------------------------------------------------------------------------------------------
# Labels, units and help text: written once, in the field table (app/web/form_fields.py)

_LABEL = re.compile(
    r'<label for="f-(?P<key>[^"]+)">(?P<text>[^<]*?)(?: <span class="unit">(?P<unit>[^<]*)</span>)?'
    r'(?: <span class="req" aria-hidden="true">\*</span>)?</label>'
)


def test_a_row_field_is_looked_up_among_its_own_kind() -> None:
    assert field_spec("api.0.model").label == "Model"
    assert field_spec("sh.1.model").label == "Open model"
    assert field_spec("api.__i__.input_per_mtok").form_label == "Input"  # the blank row template's key
    assert field_spec("h.profile").form_label == "Shape"  # beside the control, under "Daily traffic shape"
    assert field_spec("h.profile").label == "Daily traffic shape"  # what the error summary says


def test_every_field_on_the_page_is_labelled_from_the_field_table(client: TestClient) -> None:
    html = client.get("/").text
    labelled = {m["key"]: m for m in _LABEL.finditer(html)}
    groups = {
        "": (*WORKLOAD_FIELDS, *BEYOND_FIELDS),
        "api.0.": API_FIELDS,
        "sh.1.": (*SELF_HOSTED_FIELDS, *RENT_FIELDS, *BUY_FIELDS),
    }
    for prefix, specs in groups.items():
        for spec in specs:
            key = prefix + spec.key
            assert key in labelled, f"{key} has no control on the page"
            found = labelled[key]
            assert unescape(found["text"]) == spec.form_label, key
            if spec.kind not in ("choice", "id"):  # a select shows no unit
                assert unescape(found["unit"] or "") == spec.unit, key
            help_text = re.search(rf'<p class="help" id="h-{re.escape(key)}">([^<]*)</p>', html)
            assert (unescape(help_text[1]) if help_text else "") == spec.help, key
