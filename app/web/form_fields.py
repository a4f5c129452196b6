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
from app.core.self_hosted import RENTAL_TERMS
from app.core.throughput import ENGINES
from app.core.units import PRECISIONS
from app.scenario.inputs import ApiOptionIn, BuyIn, RentIn, SelfHostedOptionIn, WorkloadIn
from app.web.form_numbers import format_number, format_percent

FieldKind = Literal["number", "int", "percent", "text", "id", "choice", "gpu_count"]
OptionKind = Literal["api", "self_hosted"]

# Query keys that steer the page rather than describe the scenario.
CONTROL_KEYS = frozenset({"partial", "add", "remove", "import_rows", "import_rejected", "import_failed"})
ROW_PREFIXES: dict[str, OptionKind] = {"api": "api", "sh": "self_hosted"}
PREFIX_OF: dict[OptionKind, str] = {"api": "api", "self_hosted": "sh"}
VOLUME_UNITS = ("requests", "tokens")


@dataclass(frozen=True)
class FieldSpec:
    """One form field: its query key, where its value goes in the input document, how it reads."""

    key: str
    path: tuple[str, ...]
    kind: FieldKind
    label: str
    model: type[BaseModel]
    unit: str = ""
    choices: tuple[str, ...] = ()

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


def _fields(model: type[BaseModel], prefix: tuple[str, ...], rows: list[tuple[Any, ...]]) -> tuple[FieldSpec, ...]:
    specs = []
    for row in rows:
        key, attribute, kind, label, *rest = row
        unit = rest[0] if rest else ""
        choices = tuple(rest[1]) if len(rest) > 1 else ()
        specs.append(FieldSpec(key, (*prefix, attribute), kind, label, model, unit, choices))
    return tuple(specs)


WORKLOAD_FIELDS = _fields(
    WorkloadIn,
    (),
    [
        ("input_tokens", "input_tokens", "number", "Input tokens per request", "tokens"),
        ("output_tokens", "output_tokens", "number", "Output tokens per request", "tokens"),
        ("cached_pct", "cached_input_fraction", "percent", "Cached input share", "%"),
        ("cache_write_pct", "cache_write_fraction", "percent", "Cache-write share", "%"),
        ("batchable_pct", "batchable_fraction", "percent", "Batchable share", "%"),
        ("peak_to_average", "peak_to_average", "number", "Peak-to-average", "×"),
        ("min_tokens_per_second", "min_output_tokens_per_second_per_user", "number", "Min speed per user", "tok/s"),
        ("max_ttft_seconds", "max_time_to_first_token_seconds", "number", "Max time to first token", "s"),
    ],
)

API_FIELDS = _fields(
    ApiOptionIn,
    (),
    [
        ("name", "name", "text", "Name"),
        ("provider", "provider", "id", "Provider"),
        ("model", "model", "id", "Model"),
        ("input_per_mtok", "input_per_mtok", "number", "Input price", "$/Mtok"),
        ("output_per_mtok", "output_per_mtok", "number", "Output price", "$/Mtok"),
        ("cached_input_per_mtok", "cached_input_per_mtok", "number", "Cached input price", "$/Mtok"),
        ("cache_write_per_mtok", "cache_write_per_mtok", "number", "Cache-write price", "$/Mtok"),
        ("batch_input_per_mtok", "batch_input_per_mtok", "number", "Batch input price", "$/Mtok"),
        ("batch_output_per_mtok", "batch_output_per_mtok", "number", "Batch output price", "$/Mtok"),
        ("discount_pct", "negotiated_discount", "percent", "Negotiated discount", "%"),
        ("time_of_day", "time_of_day", "choice", "Time-of-day prices", "", ("blend", "off_peak")),
    ],
)

SELF_HOSTED_FIELDS = _fields(
    SelfHostedOptionIn,
    (),
    [
        ("name", "name", "text", "Name"),
        ("model", "model", "id", "Open model"),
        ("gpu", "gpu", "id", "GPU"),
        ("gpu_count", "gpu_count", "gpu_count", "GPUs per replica", "GPUs"),
        ("precision", "precision", "choice", "Precision", "", PRECISIONS),
        ("kv_precision", "kv_cache_precision", "choice", "KV-cache precision", "", PRECISIONS),
        ("engine", "engine", "choice", "Engine", "", ENGINES),
        ("output_tps", "output_tokens_per_second", "number", "Measured throughput", "tok/s"),
        ("concurrency", "concurrency", "int", "Concurrency", "requests"),
        ("utilization_pct", "target_utilization", "percent", "Target utilization", "%"),
        ("min_replicas", "min_replicas", "int", "Min replicas", "replicas"),
        ("redundancy", "redundancy", "int", "Spare replicas (N+k)", "replicas"),
        ("ops_fte", "ops_fte", "number", "Ops staff", "FTE"),
        ("ops_usd_per_fte_year", "ops_usd_per_fte_year", "number", "Cost per FTE", "$/year"),
        ("platform_usd_per_month", "platform_usd_per_month", "number", "Platform cost", "$/month"),
    ],
)

RENT_FIELDS = _fields(
    RentIn,
    ("pricing",),
    [
        ("offer", "offer", "id", "Rental offer"),
        ("term", "term", "choice", "Term", "", RENTAL_TERMS),
        ("per_gpu_hour", "per_gpu_hour", "number", "Price per GPU-hour", "$/GPU-h"),
    ],
)

BUY_FIELDS = _fields(
    BuyIn,
    ("pricing",),
    [
        ("purchase_offer", "offer", "id", "Purchase offer"),
        ("price_per_gpu", "price_per_gpu", "number", "Price per GPU", "$"),
        ("years", "depreciation_years", "number", "Depreciation", "years"),
        ("residual_pct", "residual_fraction", "percent", "Residual value", "%"),
        ("cost_of_capital_pct", "cost_of_capital", "percent", "Cost of capital", "%/year"),
        ("watts_per_gpu", "watts_per_gpu", "number", "Power per GPU", "W"),
        ("power_draw_pct", "power_draw_fraction", "percent", "Average draw", "%"),
        ("pue", "pue", "number", "PUE", "×"),
        ("usd_per_kwh", "electricity_usd_per_kwh", "number", "Electricity", "$/kWh"),
        ("colo_usd_per_kw_month", "colocation_usd_per_kw_month", "number", "Colocation", "$/kW-month"),
        ("maintenance_pct", "maintenance_fraction_per_year", "percent", "Maintenance", "%/year"),
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
PROFILE_CHOICES = (*HOURLY_PROFILES, "custom")
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
    profile: Literal["flat", "business_hours", "evening_peak", "custom"] = "business_hours"
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
        ("h.months", "months", "int", "Horizon", "months"),
        ("h.growth_pct", "monthly_growth", "percent", "Traffic growth", "%/month"),
        ("h.api_price_change_pct", "api_price_change_per_year", "percent", "API price change", "%/year"),
        ("h.gpu_price_change_pct", "gpu_price_change_per_year", "percent", "GPU price change", "%/year"),
        ("h.migration_weeks", "migration_weeks", "number", "Migration effort", "engineer-weeks"),
        ("h.migrate_at_month", "migrate_at_month", "int", "Your plan: migrate after", "months"),
        ("h.profile", "profile", "choice", "Daily traffic shape", "", PROFILE_CHOICES),
    ],
)
HOURLY_KEY = "h.hourly"
REQUIREMENT_KEY = "req"
BEYOND_KEYS = frozenset({f.key for f in BEYOND_FIELDS} | {HOURLY_KEY, REQUIREMENT_KEY})

PRICING_KINDS = ("rent", "buy")
WORKLOAD_KEYS = frozenset({"volume", "volume_unit", "requests_per_month", "tokens_per_month"}) | {
    f.key for f in WORKLOAD_FIELDS
}
ALL_FIELDS: dict[str, FieldSpec] = {
    f.key: f
    for group in (WORKLOAD_FIELDS, API_FIELDS, SELF_HOSTED_FIELDS, RENT_FIELDS, BUY_FIELDS, BEYOND_FIELDS)
    for f in group
}

# An option's field in the query: `api.3.input_per_mtok` → ("api", "3", "input_per_mtok").
ROW_KEY = re.compile(r"^(api|sh)\.(\d{1,4})\.(.+)$")
