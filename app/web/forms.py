"""The form's face of a scenario: a flat, readable, stable query-string encoding of `ScenarioIn`,
and the parse of a submitted form (or any query string) back into a scenario plus the form's state:
the values as typed and one message per field that breaks a rule.

The query string is the form: a plain GET submit produces it, the page's JavaScript produces the
same keys, and copying the URL reproduces the page (a permalink). `/scenario.json` and chart URLs
take the same query. Values equal to their default are omitted; blank values mean "not given".

Workload (no prefix)
    volume                  requests per month, or tokens per month with volume_unit=tokens
    volume_unit             requests (default) | tokens
    input_tokens, output_tokens                       per request
    cached_pct, cache_write_pct, batchable_pct        shares of input tokens / requests, in percent
    peak_to_average                                   peak traffic over average (default 1)
    min_tokens_per_second   latency SLO: output tokens/s each user sees (optional)
    max_ttft_seconds        latency SLO: time to first token (optional)

Options: `api.N.<key>` and `sh.N.<key>`. N is the option's position in the scenario; gaps are
allowed (the options are taken in order of N), so rows can be added and removed freely.
    api.N.  name, provider, model (genai-prices ids), input_per_mtok, output_per_mtok,
            cached_input_per_mtok, cache_write_per_mtok, batch_input_per_mtok,
            batch_output_per_mtok (USD per million tokens: override the catalog), discount_pct,
            time_of_day (blend (default) | off_peak: for models priced by time of day)
    sh.N.   name, model, gpu (catalog ids), gpu_count (blank = smallest that fits; "auto"),
            precision, kv_precision, engine, output_tps (measured output tokens/s of one replica),
            concurrency, utilization_pct, min_replicas, redundancy, ops_fte,
            ops_usd_per_fte_year, platform_usd_per_month, pricing (rent | buy; default rent)
      rent: offer (rental offer id), term (on_demand | spot | reserved_1y | reserved_3y),
            per_gpu_hour
      buy:  purchase_offer, price_per_gpu, years, residual_pct, cost_of_capital_pct,
            watts_per_gpu, power_draw_pct, pue, usd_per_kwh, colo_usd_per_kw_month,
            maintenance_pct
      inline architectures (from the JSON API; no form fields): sh.N.model.<field> and
            sh.N.gpu.<field> with the fields of ModelArchitectureIn / GpuSpecIn, and
            sh.N.gpu.dense_tflops.<precision>.

Beyond one crossover (optional; shown when the scenario has an API and a self-hosted option; the
headline pair is the cheapest API against the cheapest self-hosted option at the user's volume)
    h.months                horizon in months (default 36)
    h.growth_pct            traffic growth per month, in percent (default 0)
    h.api_price_change_pct  API price change per year, in percent (default −50: see app/core/horizon.py)
    h.gpu_price_change_pct  GPU price change per year, in percent (default 0)
    h.migration_weeks       engineer-weeks to migrate to self-hosting (default 4)
    h.migrate_at_month      your plan: months on the API before self-hosting (optional)
    h.profile               24-hour traffic shape for the overflow hybrid: flat | business_hours
                            (default) | evening_peak | custom (then h.hourly: 24 comma-separated weights)
    req                     a requirement besides cost (repeatable; ids of GET /api/v1/factors/requirements)

Example: `volume=3000000&input_tokens=500&output_tokens=500&api.0.name=GPT-5+mini&api.0.provider=openai
&api.0.model=gpt-5-mini&sh.1.name=Llama&sh.1.model=llama-3.3-70b&sh.1.gpu=h100-sxm&sh.1.gpu_count=2
&sh.1.precision=fp8&sh.1.per_gpu_hour=2`.

Numbers are read leniently (`3,000,000`, `3M`, `2.5k`, `$2.50`, `30%`) and written plainly; the
encoding is exact: `parse_query(scenario_to_query(s))` gives back `s`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Context, Decimal, InvalidOperation
from typing import Any, Literal, TypeVar
from urllib.parse import parse_qsl, urlencode

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_core import PydanticUndefined

from app.core import horizon as horizon_core
from app.core.errors import DomainError
from app.core.factors import REQUIREMENTS_BY_ID
from app.core.self_hosted import RENTAL_TERMS
from app.core.specs import Catalog
from app.core.throughput import ENGINES
from app.core.units import PRECISIONS
from app.scenario.evaluate import ScenarioResult, evaluate
from app.scenario.inputs import (
    BUY_PRICE_REQUIRED,
    CACHE_SHARES_OVER_TOTAL,
    CAPACITY_SOURCE_REQUIRED,
    EXACTLY_ONE_VOLUME,
    MODEL_OR_PRICES_REQUIRED,
    RENT_PRICE_REQUIRED,
    ApiOptionIn,
    BuyIn,
    GpuSpecIn,
    ModelArchitectureIn,
    RentIn,
    ScenarioIn,
    SelfHostedOptionIn,
    WorkloadIn,
)

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


# ---------------------------------------------------------------------------------------------
# Numbers: written exactly and plainly, read leniently

_MULTIPLIERS = {"k": Decimal(10) ** 3, "m": Decimal(10) ** 6, "b": Decimal(10) ** 9, "bn": Decimal(10) ** 9}
_MULTIPLIERS["t"] = Decimal(10) ** 12
_NUMBER_NOISE = re.compile(r"[\s,_$%]")
_SUFFIX = re.compile(r"^(?P<number>.*?\d\.?)(?P<suffix>k|m|bn|b|t)$")


def format_number(value: float | int) -> str:
    """Shortest exact text for a number: integers without a decimal point, others as repr."""
    if isinstance(value, int):
        return str(value)
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return repr(value)


def format_percent(fraction: float) -> str:
    """A fraction as an exact percentage: 0.3 → "30", 0.125 → "12.5"."""
    percent = Decimal(repr(float(fraction))) * 100
    text = format(percent.normalize(), "f")
    return "0" if text in ("-0", "0") else text


class InputError(ValueError):
    """A field whose text cannot be read as what the field holds."""


# Bounds on what a number field reads, checked on the text's exponent BEFORE any arithmetic: Python's
# Decimal parses "1e999999" in microseconds, but multiplying it by a suffix overflows the context and
# int() of it builds a million-digit integer (24 s holding the GIL; issue 12). No field holds more than
# ~1e16 (tokens per month), so 1e30 leaves room; a smaller magnitude than float's (5e-324) reads as 0.
MAX_MAGNITUDE_EXPONENT = 30
MIN_MAGNITUDE_EXPONENT = -330
# After the noise (",", "_", "$", "%", spaces) is removed. Any float written plainly fits (format_percent
# of 5e-324 is 326 characters); beyond, a digit string is an attack, not a number.
MAX_NUMBER_CHARS = 400
_NUMBER_CONTEXT = Context(prec=60, Emax=MAX_MAGNITUDE_EXPONENT + 30, Emin=MIN_MAGNITUDE_EXPONENT - 30)
_SUFFIX_EXPONENT = {"k": 3, "m": 6, "b": 9, "bn": 9, "t": 12}


def parse_decimal(text: str) -> Decimal:
    """A number's text read leniently; raises InputError naming the rule it breaks.

    Never does arithmetic on an unchecked exponent: the magnitude is bounded first (see
    MAX_MAGNITUDE_EXPONENT), so every value returned converts to a finite float and a small int."""
    cleaned = _NUMBER_NOISE.sub("", text).lower()
    if len(cleaned) > MAX_NUMBER_CHARS:
        raise InputError(f"must be a number of at most {MAX_NUMBER_CHARS} characters")
    suffix_exponent = 0
    match = _SUFFIX.match(cleaned)
    if match:
        cleaned, suffix_exponent = match["number"], _SUFFIX_EXPONENT[match["suffix"]]
    try:
        number = Decimal(cleaned)  # exact, whatever the exponent: no context, no rounding
    except (InvalidOperation, ValueError):
        raise InputError("must be a number, like 3,000,000 or 3M") from None
    if not number.is_finite():
        raise InputError("must be a finite number")
    if number.is_zero():
        return Decimal(0)  # "-0" and "0e-999999" are 0
    magnitude = number.adjusted() + suffix_exponent  # the power of ten of the leading digit
    if magnitude >= MAX_MAGNITUDE_EXPONENT:
        raise InputError(f"is too large: must be between -1e{MAX_MAGNITUDE_EXPONENT} and 1e{MAX_MAGNITUDE_EXPONENT}")
    if magnitude < MIN_MAGNITUDE_EXPONENT:
        return Decimal(0)  # below the smallest float: it reads as 0 anyway, and the field's rule speaks
    try:
        return _NUMBER_CONTEXT.multiply(number, _MULTIPLIERS[match["suffix"]]) if match else number
    except ArithmeticError:  # bounded above, so unreachable; a guard, not a path
        raise InputError("must be a number, like 3,000,000 or 3M") from None


def _to_float(number: Decimal) -> float:
    try:
        value = float(number)
    except (ArithmeticError, ValueError):
        raise InputError("must be a finite number") from None
    if not math.isfinite(value):
        raise InputError("is too large")
    return value


def parse_value(spec: FieldSpec, text: str) -> Any:
    """The typed value of one field's text; raises InputError with the rule it breaks."""
    if spec.kind in ("text",):
        return text
    if spec.kind == "id":
        return text.strip()
    if spec.kind == "choice":
        value = text.strip()
        if spec.choices and value not in spec.choices:
            raise InputError(f"must be one of {', '.join(spec.choices)}")
        return value
    if spec.kind == "gpu_count" and text.strip().lower() == "auto":
        return "auto"
    number = parse_decimal(text)
    if spec.kind == "percent":
        return _to_float(number / 100)
    if spec.kind in ("int", "gpu_count"):
        return _to_int(number)
    return _to_float(number)


def _to_int(number: Decimal) -> int:
    """A whole number's int; the magnitude is bounded by parse_decimal, so int() is cheap."""
    if number != number.to_integral_value(context=_NUMBER_CONTEXT):
        raise InputError("must be a whole number")
    return int(number)


# ---------------------------------------------------------------------------------------------
# ScenarioIn → query


def workload_to_pairs(workload: WorkloadIn) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    if workload.tokens_per_month is not None:
        pairs += [("volume", format_number(workload.tokens_per_month)), ("volume_unit", "tokens")]
    elif workload.requests_per_month is not None:
        pairs.append(("volume", format_number(workload.requests_per_month)))
    return pairs + _encode_fields(workload, WORKLOAD_FIELDS, "")


def scenario_to_pairs(scenario: ScenarioIn) -> list[tuple[str, str]]:
    pairs = workload_to_pairs(scenario.workload)
    for index, option in enumerate(scenario.options):
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


# ---------------------------------------------------------------------------------------------
# Query → ScenarioIn and the form's state


@dataclass(frozen=True)
class Row:
    """One option's group of fields in the form: `api.3.` or `sh.1.`."""

    kind: OptionKind
    index: int
    blank: bool = False

    @property
    def key(self) -> str:
        return f"{PREFIX_OF[self.kind]}.{self.index}"

    @property
    def prefix(self) -> str:
        return self.key + "."


@dataclass
class FormState:
    """What the form shows: the values as typed, a message per field that breaks a rule (keyed by
    query key; an option's own problems under its row key such as `sh.1`, the whole form's under
    "form", the options' under "options")."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    rows: list[Row] = field(default_factory=list)
    placeholders: dict[str, str] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)
    # The valid part of the input: the workload and the options that passed, in order, with the
    # row each came from. `scenario` in parse_query's answer is this only when nothing failed.
    usable: ScenarioIn | None = None
    usable_rows: list[Row] = field(default_factory=list)
    options: dict[str, ApiOptionIn | SelfHostedOptionIn] = field(default_factory=dict)  # by row key, each valid
    left_out: list[str] = field(default_factory=list)
    beyond: BeyondIn = field(default_factory=BeyondIn)  # horizon, overflow and requirement settings
    requirements: list[str] = field(default_factory=list)  # the `req` values, as given
    _paths: dict[str, dict[tuple[str, ...], str]] = field(default_factory=dict, repr=False)

    @property
    def submitted(self) -> bool:
        return bool(self.values)

    @property
    def valid(self) -> bool:
        return not self.errors

    def value(self, key: str) -> str:
        if key in self.values:
            return self.values[key]
        spec = ALL_FIELDS.get(key.split(".", 2)[-1] if key.startswith(("api.", "sh.")) else key)
        if key == "volume_unit":
            return "requests"
        if key.endswith(".pricing"):
            return "rent"
        return spec.display_default if spec else ""

    def error(self, key: str) -> str | None:
        return self.errors.get(key)

    def add_error(self, key: str, message: str) -> None:
        self.errors.setdefault(key, message)

    def rows_of(self, kind: OptionKind) -> list[Row]:
        return [row for row in self.rows if row.kind == kind]

    def next_index(self) -> int:
        return max((row.index for row in self.rows), default=-1) + 1

    def errors_in(self, row: Row) -> bool:
        return any(key == row.key or key.startswith(row.prefix) for key in self.errors)

    def field_for(self, part: str, path: tuple[str | int, ...]) -> str | None:
        """The query key that fed `path` of a part of the input ("workload" or a row key)."""
        paths = self._paths.get(part, {})
        for end in range(len(path), 0, -1):
            key = paths.get(tuple(str(p) for p in path[:end]))
            if key is not None:
                return key
        return None

    def record_domain_error(self, error: DomainError, option_rows: list[Row]) -> Row | None:
        """Put a DomainError from `evaluate` beside its field; returns the option row it blames."""
        where = tuple(error.field)
        if where[:1] == ("options",) and len(where) >= 2 and isinstance(where[1], int) and where[1] < len(option_rows):
            row = option_rows[where[1]]
            key = self.field_for(row.key, _strip_tags(where[2:]))
            self.add_error(key or row.key, _humanize(error.message))
            return row
        if where[:1] == ("workload",):
            key = self.field_for("workload", where[1:])
            self.add_error(key or "workload", _humanize(error.message))
            return None
        self.add_error("form", _humanize(error.message))
        return None


def _pairs(params: Mapping[str, str] | Iterable[tuple[str, str]] | str) -> list[tuple[str, str]]:
    if isinstance(params, str):
        return parse_qsl(params.lstrip("?"), keep_blank_values=True)
    multi_items = getattr(params, "multi_items", None)
    if callable(multi_items):
        return list(multi_items())
    if isinstance(params, Mapping):
        return [(str(k), str(v)) for k, v in params.items()]
    return [(str(k), str(v)) for k, v in params]


ROW_KEY = re.compile(r"^(api|sh)\.(\d{1,4})\.(.+)$")


def clean_pairs(params: Mapping[str, str] | Iterable[tuple[str, str]] | str) -> list[tuple[str, str]]:
    """The query without blanks, without values equal to their default, without the page's control
    keys, and without the rows a `remove` asked to drop: what a permalink needs, in the order given."""
    pairs = _pairs(params)
    removed = {v.strip() for k, v in pairs if k == "remove"}
    cleaned = []
    for key, value in pairs:
        if key in CONTROL_KEYS or not value.strip():
            continue
        match = ROW_KEY.match(key)
        if match and f"{match[1]}.{match[2]}" in removed:
            continue
        spec = ALL_FIELDS.get(match[3] if match else key)
        if spec is not None and spec.display_default and value.strip() == spec.display_default:
            continue
        if (key == "volume_unit" and value == "requests") or (match and match[3] == "pricing" and value == "rent"):
            continue
        cleaned.append((key, value))
    return cleaned


def parse_query(
    params: Mapping[str, str] | Iterable[tuple[str, str]] | str,
) -> tuple[ScenarioIn | None, FormState]:
    """Read a query string (or form) into a scenario and the form's state.

    The scenario is None unless every field is valid. `state.usable` still holds the valid part (the
    workload and the options that passed), so a page can show results for it while marking the rest.
    """
    pairs = _pairs(params)
    state = FormState()
    added: list[OptionKind] = []
    for key, value in pairs:
        if key == "add" and value in ROW_PREFIXES:
            added.append(ROW_PREFIXES[value])
        elif key == REQUIREMENT_KEY and value.strip():
            state.requirements.append(value.strip())
        elif key not in CONTROL_KEYS and value.strip():
            state.values[key] = value

    if not state.values:  # nothing given yet: an empty form, not a form full of "required"
        for kind in added:
            state.rows.append(Row(kind, state.next_index(), blank=True))
        return None, state
    _parse_beyond(state)
    workload = _parse_workload(state)
    options = _parse_rows(state)
    for kind in added:
        state.rows.append(Row(kind, state.next_index(), blank=True))

    if not options and not any(key.startswith(("api.", "sh.")) for key in state.errors):
        state.add_error("options", "add at least one option: an API model or a self-hosted model")
    if workload is not None and options:
        _assemble(state, workload, options)
    scenario = state.usable if state.valid else None
    return scenario, state


def _parse_workload(state: FormState) -> WorkloadIn | None:
    values = state.values
    doc: dict[str, Any] = {}
    paths: dict[tuple[str, ...], str] = {}
    unit = values.get("volume_unit", "requests")
    if unit not in VOLUME_UNITS:
        state.add_error("volume_unit", "must be requests or tokens")
    volume_key = "tokens_per_month" if unit == "tokens" else "requests_per_month"
    paths[("requests_per_month",)] = paths[("tokens_per_month",)] = "volume"
    volume = values.get("volume") or values.get("requests_per_month") or values.get("tokens_per_month")
    if "volume" not in values and "tokens_per_month" in values and "requests_per_month" not in values:
        volume_key = "tokens_per_month"  # the JSON API's name, accepted as an alias
    if volume is None:
        state.add_error("volume", "required: how many requests (or tokens) a month")
    else:
        try:
            doc[volume_key] = _to_float(parse_decimal(volume))
        except InputError as error:
            state.add_error("volume", str(error))
    for spec in WORKLOAD_FIELDS:
        paths[spec.path] = spec.key
        if spec.key in values:
            try:
                doc[spec.path[-1]] = parse_value(spec, values[spec.key])
            except InputError as error:
                state.add_error(spec.key, str(error))
    state._paths["workload"] = paths
    try:
        workload = WorkloadIn.model_validate(doc)
    except ValidationError as error:
        _record_validation_errors(state, "workload", error, doc)
        return None
    has_errors = any(key in state.errors for key in ("volume", "volume_unit", *[f.key for f in WORKLOAD_FIELDS]))
    return None if has_errors else workload


def parse_beyond(params: Mapping[str, str] | Iterable[tuple[str, str]] | str) -> tuple[BeyondIn, dict[str, str]]:
    """Only the `h.*` / `req` settings of a query (other keys ignored): the settings (defaults where a
    field breaks a rule) and a message per such field."""
    state = FormState()
    for key, value in _pairs(params):
        if key == REQUIREMENT_KEY and value.strip():
            state.requirements.append(value.strip())
        elif key in BEYOND_KEYS and value.strip():
            state.values[key] = value
    _parse_beyond(state)
    return state.beyond, state.errors


def _parse_beyond(state: FormState) -> None:
    """The horizon / overflow / requirement settings; a field that breaks a rule is marked and the
    settings fall back to the defaults."""
    doc: dict[str, Any] = {}
    paths: dict[tuple[str, ...], str] = {}
    failed = False
    for spec in BEYOND_FIELDS:
        paths[spec.path] = spec.key
        if spec.key in state.values:
            try:
                doc[spec.path[-1]] = parse_value(spec, state.values[spec.key])
            except InputError as error:
                state.add_error(spec.key, str(error))
                failed = True
    paths[("hourly",)] = HOURLY_KEY
    if HOURLY_KEY in state.values:
        parts = state.values[HOURLY_KEY].split(",", HOURS_PER_DAY)  # a 25th part is enough to refuse
        try:
            weights = tuple(_to_float(parse_decimal(part)) for part in parts) if len(parts) == HOURS_PER_DAY else ()
        except InputError:
            weights = ()
        if len(weights) != 24 or any(w < 0 or w > 1e12 for w in weights) or not any(weights):
            state.add_error(HOURLY_KEY, "must be 24 comma-separated weights (one per hour, not negative, not all 0)")
            failed = True
        else:
            doc["hourly"] = weights
    unknown = [r for r in state.requirements if r not in REQUIREMENTS_BY_ID]
    if unknown:
        state.add_error(REQUIREMENT_KEY, f"unknown requirement {unknown[0]!r}")
        failed = True
    doc["requirements"] = tuple(dict.fromkeys(r for r in state.requirements if r in REQUIREMENTS_BY_ID))
    state._paths["beyond"] = paths
    try:
        beyond = BeyondIn.model_validate(doc)
    except ValidationError as error:
        _record_validation_errors(state, "beyond", error)
        return
    if beyond.migrate_at_month is not None and beyond.migrate_at_month > beyond.months:
        state.add_error("h.migrate_at_month", "must not be after the horizon's last month")
        failed = True
    if beyond.profile == "custom" and beyond.hourly is None and HOURLY_KEY not in state.errors:
        state.add_error(HOURLY_KEY, "required for a custom shape: 24 comma-separated weights")
        failed = True
    if not failed:
        state.beyond = beyond


def _row_keys(values: Mapping[str, str]) -> dict[tuple[OptionKind, int], dict[str, str]]:
    rows: dict[tuple[OptionKind, int], dict[str, str]] = {}
    for key, value in values.items():
        match = ROW_KEY.match(key)
        if match:
            rows.setdefault((ROW_PREFIXES[match[1]], int(match[2])), {})[match[3]] = value
    return rows


def _is_blank(kind: OptionKind, fields: Mapping[str, str]) -> bool:
    for name, value in fields.items():
        if name in ("name", "pricing", "term"):
            continue
        spec = ALL_FIELDS.get(name)
        if spec is None or value.strip() != spec.display_default:
            return False
    return True


def _parse_rows(state: FormState) -> list[tuple[Row, ApiOptionIn | SelfHostedOptionIn]]:
    parsed: list[tuple[Row, ApiOptionIn | SelfHostedOptionIn]] = []
    for key in state.values:
        if key not in WORKLOAD_KEYS and key not in BEYOND_KEYS and not ROW_KEY.match(key):
            state.notices.append(f"ignored the unknown parameter {key!r}")
    rows = _row_keys(state.values)
    explicit_names = {fields["name"] for fields in rows.values() if "name" in fields}
    for (kind, index), fields in sorted(rows.items(), key=lambda item: item[0][1]):
        blank = _is_blank(kind, fields)
        row = Row(kind, index, blank=blank)
        state.rows.append(row)
        if blank:
            continue
        option = _parse_api(state, row, fields) if kind == "api" else _parse_self_hosted(state, row, fields)
        if "name" not in fields:
            state.placeholders[row.prefix + "name"] = _auto_name(kind, fields, explicit_names)
        if option is not None:
            parsed.append((row, option))
            state.options[row.key] = option
        else:
            state.left_out.append(fields.get("name") or state.placeholders.get(row.prefix + "name", row.key))
    return parsed


def _auto_name(kind: OptionKind, fields: Mapping[str, str], taken: set[str]) -> str:
    if kind == "api":
        base = fields.get("model", "").strip() or "Custom API"
    else:
        model = fields.get("model", "").strip() or "Custom model"
        gpu = fields.get("gpu", "").strip() or fields.get("offer", "").strip() or "GPU"
        count = fields.get("gpu_count", "").strip()
        base = f"{model} on {count}× {gpu}" if count and count != "auto" else f"{model} on {gpu}"
    name, n = base, 2
    while name in taken:
        name, n = f"{base} ({n})", n + 1
    taken.add(name)
    return name


def _fill(
    state: FormState,
    row: Row,
    fields: Mapping[str, str],
    specs: Iterable[FieldSpec],
    doc: dict[str, Any],
    paths: dict[tuple[str, ...], str],
) -> None:
    for spec in specs:
        key = row.prefix + spec.key
        paths[spec.path] = key
        if spec.key not in fields:
            continue
        try:
            value = parse_value(spec, fields[spec.key])
        except InputError as error:
            state.add_error(key, str(error))
            continue
        target = doc
        for part in spec.path[:-1]:
            target = target.setdefault(part, {})
        target[spec.path[-1]] = value


def _parse_api(state: FormState, row: Row, fields: Mapping[str, str]) -> ApiOptionIn | None:
    doc: dict[str, Any] = {"kind": "api"}
    paths: dict[tuple[str, ...], str] = {}
    _fill(state, row, fields, API_FIELDS, doc, paths)
    if "name" not in doc:
        doc["name"] = state.placeholders.get(row.prefix + "name") or _auto_name("api", fields, set())
    _unknown_fields(state, row, fields, {f.key for f in API_FIELDS})
    state._paths[row.key] = paths
    return _validate_option(state, row, ApiOptionIn, doc)


def _parse_self_hosted(state: FormState, row: Row, fields: Mapping[str, str]) -> SelfHostedOptionIn | None:
    doc: dict[str, Any] = {"kind": "self_hosted"}
    paths: dict[tuple[str, ...], str] = {}
    _fill(state, row, fields, SELF_HOSTED_FIELDS, doc, paths)
    pricing = fields.get("pricing", "rent").strip()
    paths[("pricing",)] = row.prefix + "pricing"
    if pricing not in PRICING_KINDS:
        state.add_error(row.prefix + "pricing", "must be rent or buy")
    doc["pricing"] = {"kind": pricing}
    chosen, other = (BUY_FIELDS, RENT_FIELDS) if pricing == "buy" else (RENT_FIELDS, BUY_FIELDS)
    _fill(state, row, fields, chosen, doc, paths)
    for spec in other:  # the other pricing's fields stay in the form but are not used
        paths.setdefault(spec.path, row.prefix + spec.key)
    paths[("pricing", "capex_per_gpu")] = row.prefix + "price_per_gpu"  # the core's name for it
    for target in ("model", "gpu"):
        inline = _parse_inline(state, row, fields, target)
        if inline is not None:
            if target in fields:
                state.add_error(row.prefix + target, f"give a catalog {target} id or an inline {target}, not both")
            doc[target] = inline
    if "name" not in doc:
        doc["name"] = state.placeholders.get(row.prefix + "name") or _auto_name("self_hosted", fields, set())
    known = {f.key for f in (*SELF_HOSTED_FIELDS, *RENT_FIELDS, *BUY_FIELDS)} | {"pricing"}
    _unknown_fields(state, row, fields, known, inline_prefixes=("model.", "gpu."))
    state._paths[row.key] = paths
    return _validate_option(state, row, SelfHostedOptionIn, doc)


def _parse_inline(state: FormState, row: Row, fields: Mapping[str, str], target: str) -> dict[str, Any] | None:
    model: type[BaseModel] = ModelArchitectureIn if target == "model" else GpuSpecIn
    prefix = target + "."
    names = {name: value for name, value in fields.items() if name.startswith(prefix)}
    if not names:
        return None
    doc: dict[str, Any] = {}
    for name, text in names.items():
        attribute = name[len(prefix) :]
        key = row.prefix + name
        if target == "gpu" and attribute.startswith("dense_tflops."):
            precision = attribute.split(".", 1)[1]
            try:
                doc.setdefault("dense_tflops", {})[precision] = _to_float(parse_decimal(text))
            except InputError as error:
                state.add_error(key, str(error))
            continue
        info = model.model_fields.get(attribute)
        if info is None:
            state.add_error(key, f"unknown field of an inline {target}")
            continue
        annotation = str(info.annotation)
        try:
            if info.annotation is int:
                doc[attribute] = _to_int(parse_decimal(text))
            elif "float" in annotation:
                doc[attribute] = _to_float(parse_decimal(text))
            else:
                doc[attribute] = text
        except InputError as error:
            state.add_error(key, str(error))
    if target == "gpu":
        doc.setdefault("dense_tflops", {})
    return doc


def _unknown_fields(
    state: FormState, row: Row, fields: Mapping[str, str], known: set[str], inline_prefixes: tuple[str, ...] = ()
) -> None:
    for name in fields:
        if name not in known and not name.startswith(inline_prefixes):
            state.notices.append(f"ignored the unknown parameter {row.prefix + name!r}")


OptionT = TypeVar("OptionT", ApiOptionIn, SelfHostedOptionIn)


def _validate_option(state: FormState, row: Row, model: type[OptionT], doc: dict[str, Any]) -> OptionT | None:
    try:
        option = model.model_validate(doc)
    except ValidationError as error:
        _record_validation_errors(state, row.key, error, doc, row.prefix)
        return None
    return None if state.errors_in(row) else option


def _assemble(
    state: FormState, workload: WorkloadIn, options: list[tuple[Row, ApiOptionIn | SelfHostedOptionIn]]
) -> None:
    """The scenario of the valid options; names must be unique, so a repeat is marked and left out."""
    kept: list[tuple[Row, ApiOptionIn | SelfHostedOptionIn]] = []
    seen: set[str] = set()
    for row, option in options:
        if option.name in seen:
            key = row.prefix + "name"
            state.add_error(key, f"another option is already called {option.name!r}; names must be unique")
            state.left_out.append(option.name)
            continue
        seen.add(option.name)
        kept.append((row, option))
    if not kept:
        return
    try:
        state.usable = ScenarioIn(workload=workload, options=[option for _, option in kept])
    except ValidationError as error:
        _record_validation_errors(state, "form", error)
        return
    state.usable_rows = [row for row, _ in kept]


def evaluate_form(state: FormState, catalog: Catalog, max_options: int = 16) -> ScenarioResult | None:
    """Evaluate the valid part of a form. An option the model cannot evaluate (a model that does
    not fit its GPUs, an unknown id) is marked beside its field and left out, and the rest is
    evaluated; None when nothing is left or the workload itself fails."""
    scenario, rows = state.usable, list(state.usable_rows)
    while scenario is not None:
        try:
            return evaluate(scenario, catalog, max_options)
        except DomainError as error:
            row = state.record_domain_error(error, rows)
            if row is None or len(rows) == 1:
                state.usable = None
                return None
            position = rows.index(row)
            state.left_out.append(scenario.options[position].name)
            rows.pop(position)
            scenario = ScenarioIn(
                workload=scenario.workload, options=[o for i, o in enumerate(scenario.options) if i != position]
            )
            state.usable, state.usable_rows = scenario, rows
    return None


# ---------------------------------------------------------------------------------------------
# Validation messages that say the rule, in the form's units

_TAGS = {"api", "self_hosted", "rent", "buy", "str", "int", "ModelArchitectureIn", "GpuSpecIn"}


def _strip_tags(loc: Iterable[str | int]) -> tuple[str, ...]:
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
}


def _record_validation_errors(
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
        loc = _strip_tags(item["loc"])
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


def _humanize(message: str) -> str:
    for name, words in _FIELD_WORDS.items():
        message = re.sub(rf"\b{name}\b", words, message)
    return message


__all__ = [
    "ALL_FIELDS",
    "API_FIELDS",
    "BEYOND_FIELDS",
    "BUY_FIELDS",
    "RENT_FIELDS",
    "SELF_HOSTED_FIELDS",
    "WORKLOAD_FIELDS",
    "BeyondIn",
    "FieldSpec",
    "FormState",
    "Row",
    "clean_pairs",
    "evaluate_form",
    "beyond_to_pairs",
    "format_number",
    "format_percent",
    "parse_beyond",
    "parse_query",
    "scenario_to_pairs",
    "scenario_to_query",
    "workload_to_pairs",
]
