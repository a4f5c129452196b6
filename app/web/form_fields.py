"""The form's fields: each query key, where its value goes in the input document and how it reads
(the query format itself is described in app.web.forms), and the settings of the views beyond one
crossover (`BeyondIn`) with their keys."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic_core import PydanticUndefined

from app.core import horizon as horizon_core
from app.core.efficiencies import ENGINES
from app.core.self_hosted import RENTAL_TERMS
from app.core.units import PRECISIONS
from app.scenario.inputs import (
    INTERACTIVE_MAX_TIME_TO_FIRST_TOKEN_SECONDS,
    INTERACTIVE_MIN_OUTPUT_TOKENS_PER_SECOND,
    ApiOptionIn,
    BuyIn,
    RentIn,
    SelfHostedOptionIn,
    WorkloadIn,
)
from app.web.form_numbers import format_number, format_percent

FieldKind = Literal["number", "int", "percent", "text", "id", "choice", "gpu_count"]
OptionKind = Literal["api", "self_hosted"]

# Query keys that steer the page rather than describe the scenario.
CONTROL_KEYS = frozenset({"partial", "add", "remove", "import_rows", "import_rejected", "import_failed"})
ROW_PREFIXES: dict[str, OptionKind] = {"api": "api", "sh": "self_hosted"}
PREFIX_OF: dict[OptionKind, str] = {"api": "api", "self_hosted": "sh"}
VOLUME_UNITS = ("requests", "tokens")
# The scenario's switch for hosted alternatives (ScenarioIn.hosted_alternatives): a select, not a checkbox,
# because an unticked box sends nothing and the default is on.
HOSTED_KEY = "hosted"
HOSTED_SWITCH = ("on", "off")
LATENCY_TARGETS = ("interactive", "offline")


@dataclass(frozen=True)
class FieldSpec:
    """One form field: its query key, where its value goes in the input document, how it reads.

    `label` names the field on its own (the error summary lists it so); `form_label` is the shorter
    text beside the control where its section already says the rest ("Input" under "Custom prices"),
    `unit` the text after it and `help` the line under it. The templates read all three from here
    (`field_spec` in app/web/pages.py), so each is written once.
    """

    key: str
    path: tuple[str, ...]
    kind: FieldKind
    label: str
    model: type[BaseModel]
    unit: str = ""
    choices: tuple[str, ...] = ()
    short_label: str = ""
    help: str = ""

    @property
    def form_label(self) -> str:
        return self.short_label or self.label

    @property
    def default(self) -> Any:
        """The input model's default for this field (None when it has none)."""
        value = self.model.model_fields[self.path[-1]].default
        return None if value is PydanticUndefined else value

    def encode(self, value: Any) -> str:
        if self.kind == "percent":
            return format_percent(value)
        if self.kind == "number":
            return format_number(value)
        return str(value)

    @property
    def display_default(self) -> str:
        default = self.default
        return "" if default is None else self.encode(default)


@dataclass(frozen=True)
class _Row:
    """One line of a field table below; the model and the path prefix come from the table."""

    key: str
    attribute: str
    kind: FieldKind
    label: str
    unit: str = ""
    choices: tuple[str, ...] = ()
    short_label: str = ""
    help: str = ""


def _option_reasoning_row(when: str) -> _Row:
    """An option's own reasoning tokens (API and self-hosted rows): blank takes the workload's figure."""
    return _Row(
        "reasoning",
        "reasoning_tokens",
        "number",
        "Reasoning tokens (this option)",
        "per request",
        short_label="Reasoning tokens",
        help=f"Empty: the workload's figure if {when}, else 0.",
    )


def _fields(model: type[BaseModel], prefix: tuple[str, ...], rows: list[_Row]) -> tuple[FieldSpec, ...]:
    return tuple(
        FieldSpec(
            row.key,
            (*prefix, row.attribute),
            row.kind,
            row.label,
            model,
            row.unit,
            row.choices,
            row.short_label,
            row.help,
        )
        for row in rows
    )


WORKLOAD_FIELDS = _fields(
    WorkloadIn,
    (),
    [
        _Row(
            "input_tokens",
            "input_tokens",
            "number",
            "Input tokens per request",
            "per request",
            short_label="Input tokens",
        ),
        _Row(
            "output_tokens",
            "output_tokens",
            "number",
            "Output tokens per request",
            "per request",
            short_label="Output tokens",
        ),
        _Row(
            "cached_pct",
            "cached_input_fraction",
            "percent",
            "Cached input share",
            "%",
            short_label="Cached input",
            help="Share of input tokens served from the provider's prompt cache.",
        ),
        _Row(
            "cache_write_pct",
            "cache_write_fraction",
            "percent",
            "Cache-write share",
            "%",
            short_label="Cache writes",
            help="Share of input tokens written to the prompt cache.",
        ),
        _Row(
            "batchable_pct",
            "batchable_fraction",
            "percent",
            "Batchable share",
            "%",
            short_label="Batchable",
            help="Share of requests that can wait for a batch API.",
        ),
        _Row(
            "peak_to_average",
            "peak_to_average",
            "number",
            "Peak-to-average",
            "×",
            help="Busiest hour over the average; replicas are sized for the peak.",
        ),
        _Row(
            "reasoning_tokens",
            "reasoning_tokens",
            "number",
            "Reasoning tokens per request",
            "hidden",
            short_label="Reasoning tokens",
            help="Hidden thinking a reasoning model (GPT-5, o3, DeepSeek-R1, gpt-oss, Qwen3) adds to each answer: "
            "billed as output by APIs, generated by your GPUs. Your API usage logs show it.",
        ),
        _Row(
            "prefix_hit_pct",
            "prefix_cache_hit_rate",
            "percent",
            "Self-hosted prefix-cache hits",
            "%",
            short_label="Prefix-cache hits",
            help="Share of input a replica finds in its prefix cache (vLLM/SGLang) and skips prefilling. "
            "Empty: the cached input share.",
        ),
        _Row(
            "latency",
            "latency_target",
            "choice",
            "Latency target",
            choices=LATENCY_TARGETS,
            help="Interactive: self-hosted replicas are sized so every user gets this speed and first token. "
            "Offline: batch work, no target.",
        ),
        _Row(
            "min_tokens_per_second",
            "min_output_tokens_per_second_per_user",
            "number",
            "Min speed per user",
            "tok/s",
            help=f"Empty: {INTERACTIVE_MIN_OUTPUT_TOKENS_PER_SECOND:g} tok/s (50 ms a token; MLPerf Inference "
            "asks 40 ms for interactive chat).",
        ),
        _Row(
            "max_ttft_seconds",
            "max_time_to_first_token_seconds",
            "number",
            "Max time to first token",
            "s",
            help=f"Empty: {INTERACTIVE_MAX_TIME_TO_FIRST_TOKEN_SECONDS:g} s, MLPerf Inference's server target.",
        ),
    ],
)

API_FIELDS = _fields(
    ApiOptionIn,
    (),
    [
        _Row("name", "name", "text", "Name", help="Shown in the verdict and the chart."),
        _Row("provider", "provider", "id", "Provider"),
        _Row(
            "model",
            "model",
            "id",
            "Model",
            help="A genai-prices model id; leave empty to type your own prices below.",
        ),
        _Row("input_per_mtok", "input_per_mtok", "number", "Input price", "$/Mtok", short_label="Input"),
        _Row("output_per_mtok", "output_per_mtok", "number", "Output price", "$/Mtok", short_label="Output"),
        _Row(
            "cached_input_per_mtok",
            "cached_input_per_mtok",
            "number",
            "Cached input price",
            "$/Mtok",
            short_label="Cached input",
        ),
        _Row(
            "cache_write_per_mtok",
            "cache_write_per_mtok",
            "number",
            "Cache-write price",
            "$/Mtok",
            short_label="Cache write",
        ),
        _Row(
            "batch_input_per_mtok",
            "batch_input_per_mtok",
            "number",
            "Batch input price",
            "$/Mtok",
            short_label="Batch input",
        ),
        _Row(
            "batch_output_per_mtok",
            "batch_output_per_mtok",
            "number",
            "Batch output price",
            "$/Mtok",
            short_label="Batch output",
        ),
        _Row(
            "discount_pct",
            "negotiated_discount",
            "percent",
            "Negotiated discount",
            "%",
            help="Off the whole bill, applied last.",
        ),
        _option_reasoning_row("the model reasons by default"),
        _Row(
            "time_of_day",
            "time_of_day",
            "choice",
            "Time-of-day prices",
            choices=("blend", "off_peak"),
            help=(
                "For models priced by time of day (DeepSeek): blend the windows by the hours they cover, "
                "or run everything off-peak."
            ),
        ),
    ],
)

SELF_HOSTED_FIELDS = _fields(
    SelfHostedOptionIn,
    (),
    [
        _Row("name", "name", "text", "Name"),
        _Row("model", "model", "id", "Open model"),
        _Row("gpu", "gpu", "id", "GPU"),
        _Row("gpu_count", "gpu_count", "gpu_count", "GPUs per replica", help="Empty: the smallest count that fits."),
        _Row(
            "precision",
            "precision",
            "choice",
            "Precision",
            choices=("auto", *PRECISIONS),
            help="Auto: as the model is served (its native precision, else fp8 where the GPU has FP8 tensor cores).",
        ),
        _Row("kv_precision", "kv_cache_precision", "choice", "KV-cache precision", choices=PRECISIONS),
        _Row("engine", "engine", "choice", "Engine", choices=ENGINES),
        _Row(
            "output_tps",
            "output_tokens_per_second",
            "number",
            "Measured throughput",
            "tok/s",
            short_label="Measured",
            help="Output tokens/s of one replica at your token mix, if you have measured it.",
        ),
        _Row(
            "concurrency",
            "concurrency",
            "int",
            "Concurrency",
            "requests",
            help="Requests in flight for the estimate; empty = the most that fit.",
        ),
        _Row(
            "tensor_parallel",
            "tensor_parallel",
            "int",
            "Attention tensor parallel",
            "GPUs",
            short_label="Tensor parallel",
            help="GPUs per attention data-parallel rank; empty = the model family's default.",
        ),
        _Row(
            "expert_parallel",
            "expert_parallel",
            "int",
            "Expert parallel",
            "GPUs",
            help="Empty: all GPUs for DeepSeek-style (MLA) mixture-of-experts models on 8+ GPUs, else 1.",
        ),
        _Row(
            "attention_dp",
            "attention_data_parallel",
            "int",
            "Attention data parallel",
            "ranks",
            short_label="Attention DP",
            help="Ranks that each hold their own sequences' KV cache; empty = as expert parallel's default.",
        ),
        _Row(
            "utilization_pct",
            "target_utilization",
            "percent",
            "Target utilization",
            "%",
            short_label="Utilization",
            help="Share of capacity used at peak.",
        ),
        _option_reasoning_row("the open model reasons (models.toml)"),
        _Row("min_replicas", "min_replicas", "int", "Min replicas"),
        _Row("redundancy", "redundancy", "int", "Spare replicas (N+k)", "N+k", short_label="Spare replicas"),
        _Row(
            "ops_fte", "ops_fte", "number", "Ops staff", "FTE", help="Engineers running it, in full-time equivalents."
        ),
        _Row("ops_usd_per_fte_year", "ops_usd_per_fte_year", "number", "Cost per FTE", "$/year"),
        _Row(
            "platform_usd_per_month",
            "platform_usd_per_month",
            "number",
            "Platform cost",
            "$/month",
            short_label="Platform",
            help="Fixed monthly cost: monitoring, gateways, storage.",
        ),
    ],
)

RENT_FIELDS = _fields(
    RentIn,
    ("pricing",),
    [
        _Row("offer", "offer", "id", "Rental offer"),
        _Row("term", "term", "choice", "Term", choices=RENTAL_TERMS),
        _Row("per_gpu_hour", "per_gpu_hour", "number", "Price per GPU-hour", "$", help="Overrides the offer's price."),
        _Row(
            "gpus_per_instance",
            "gpus_per_instance",
            "int",
            "GPUs per instance",
            help="The smallest unit the offer rents, the billing unit. Empty: the offer's (1 for a typed price).",
        ),
    ],
)

BUY_FIELDS = _fields(
    BuyIn,
    ("pricing",),
    [
        _Row("purchase_offer", "offer", "id", "Purchase offer"),
        _Row(
            "price_per_gpu", "price_per_gpu", "number", "Price per GPU", "$", help="Including its share of the server."
        ),
        _Row(
            "gpus_per_server",
            "gpus_per_instance",
            "int",
            "GPUs per server",
            help="The smallest unit you buy, the billing unit. Empty: the offer's (1 for a typed price).",
        ),
        _Row("years", "depreciation_years", "number", "Depreciation", "years"),
        _Row("residual_pct", "residual_fraction", "percent", "Residual value", "%"),
        _Row(
            "cost_of_capital_pct", "cost_of_capital", "percent", "Cost of capital", "%/year", help="0 = straight-line."
        ),
        _Row("watts_per_gpu", "watts_per_gpu", "number", "Power per GPU", "W"),
        _Row("power_draw_pct", "power_draw_fraction", "percent", "Average draw", "%"),
        _Row("pue", "pue", "number", "PUE", "×"),
        _Row("usd_per_kwh", "electricity_usd_per_kwh", "number", "Electricity", "$/kWh"),
        _Row("colo_usd_per_kw_month", "colocation_usd_per_kw_month", "number", "Colocation", "$/kW-month"),
        _Row("maintenance_pct", "maintenance_fraction_per_year", "percent", "Maintenance", "%/year"),
    ],
)

# The 24-hour traffic shapes the page offers for the overflow hybrid (weights per UTC hour, any
# scale; the hybrid core scales them to a mean of 1). Illustrative shapes, not measurements:
# business_hours: 09:00–18:00 at 3× the night-time rate with shoulders at 1.5×; evening_peak: a consumer
# app busiest 18:00–23:00 (4×), quiet overnight (0.3×).
HOURLY_PROFILES: dict[str, tuple[float, ...]] = {
    "flat": (1.0,) * 24,
    "business_hours": (1,) * 7 + (1.5, 1.5) + (3.0,) * 9 + (1.5, 1.5) + (1,) * 4,
    "evening_peak": (0.3,) * 7 + (1.0,) * 11 + (4.0,) * 5 + (1.0,),
}
PROFILE_CHOICES = ("workload", *HOURLY_PROFILES, "custom")  # "workload": app.scenario.hybrid.workload_profile
HOURS_PER_DAY = 24


class BeyondIn(BaseModel):
    """The page's settings for the views beyond one crossover (horizon, overflow, requirements)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    months: int = Field(horizon_core.DEFAULT_HORIZON_MONTHS, ge=1, le=120)
    monthly_growth: float = Field(0.0, ge=-0.5, le=0.5)
    api_price_change_per_year: float = Field(horizon_core.DEFAULT_API_PRICE_CHANGE_PER_YEAR, gt=-1, le=1)
    gpu_price_change_per_year: float = Field(horizon_core.DEFAULT_GPU_PRICE_CHANGE_PER_YEAR, gt=-1, le=1)
    migration_weeks: float = Field(horizon_core.DEFAULT_MIGRATION_ENGINEERING_WEEKS, ge=0, le=10_000)
    migrate_at_month: int | None = Field(None, ge=0, le=120)
    # Default: the workload's own peak-to-average (issue 16), so the hybrid sizes replicas as the cost table.
    profile: Literal["workload", "flat", "business_hours", "evening_peak", "custom"] = "workload"
    hourly: tuple[float, ...] | None = None
    requirements: tuple[str, ...] = ()

    @property
    def hourly_weights(self) -> tuple[float, ...]:
        if self.profile == "custom" and self.hourly is not None:
            return self.hourly
        return HOURLY_PROFILES.get(self.profile, HOURLY_PROFILES["business_hours"])


BEYOND_FIELDS = _fields(
    BeyondIn,
    (),
    [
        _Row("h.months", "months", "int", "Horizon", "months"),
        _Row("h.growth_pct", "monthly_growth", "percent", "Traffic growth", "%/month"),
        _Row(
            "h.api_price_change_pct",
            "api_price_change_per_year",
            "percent",
            "API price change",
            "%/year",
            help="Default −50%/year: Epoch AI's price trend and list-price cuts; see the result's sources.",
        ),
        _Row("h.gpu_price_change_pct", "gpu_price_change_per_year", "percent", "GPU price change", "%/year"),
        _Row("h.migration_weeks", "migration_weeks", "number", "Migration effort", "engineer-weeks"),
        _Row(
            "h.migrate_at_month",
            "migrate_at_month",
            "int",
            "Your plan: migrate after",
            "months",
            short_label="Your plan: self-host after",
        ),
        _Row(
            "h.profile",
            "profile",
            "choice",
            "Daily traffic shape",
            choices=PROFILE_CHOICES,
            short_label="Shape",
            help="Weights per UTC hour; replicas take the base, the API the excess.",
        ),
    ],
)
HOURLY_KEY = "h.hourly"
REQUIREMENT_KEY = "req"
BEYOND_KEYS = frozenset({f.key for f in BEYOND_FIELDS} | {HOURLY_KEY, REQUIREMENT_KEY})

PRICING_KINDS = ("rent", "buy")
WORKLOAD_KEYS = frozenset({"volume", "volume_unit", "requests_per_month", "tokens_per_month", HOSTED_KEY}) | {
    f.key for f in WORKLOAD_FIELDS
}
ALL_FIELDS: dict[str, FieldSpec] = {
    f.key: f
    for group in (WORKLOAD_FIELDS, API_FIELDS, SELF_HOSTED_FIELDS, RENT_FIELDS, BUY_FIELDS, BEYOND_FIELDS)
    for f in group
}

# An option's field in the query: `api.3.input_per_mtok` → ("api", "3", "input_per_mtok").
ROW_KEY = re.compile(r"^(api|sh)\.(\d{1,4})\.(.+)$")

# The fields of one option row by its kind: `name` and `model` mean different things on an API row
# and a self-hosted one, so a row's field is looked up among its own kind's.
_ROW_FIELDS: dict[OptionKind, dict[str, FieldSpec]] = {
    "api": {f.key: f for f in API_FIELDS},
    "self_hosted": {f.key: f for group in (SELF_HOSTED_FIELDS, RENT_FIELDS, BUY_FIELDS) for f in group},
}


def field_spec(key: str) -> FieldSpec:
    """The field behind a form control's key (`input_tokens`, `api.0.input_per_mtok`, `h.months`).

    A row's index is not checked: the page's blank row templates use `api.__i__` for the script to fill.
    """
    prefix, _, rest = key.partition(".")
    if prefix in ROW_PREFIXES and "." in rest:
        return _ROW_FIELDS[ROW_PREFIXES[prefix]][rest.split(".", 1)[1]]
    return ALL_FIELDS[key]
