"""The form's face of a scenario: a flat, readable, stable query-string encoding of `ScenarioIn`,
and the parse of a submitted form (or any query string) back into a scenario plus the form's state:
the values as typed and one message per field that breaks a rule.

The query string is the form: a plain GET submit produces it, the page's JavaScript produces the
same keys, and copying the URL reproduces the page (a permalink). `/scenario.json` and chart URLs
take the same query. Values equal to their default are omitted; blank values mean "not given".

Workload (no prefix)
    hosted                  on (default) | off: add the open models' hosted per-token offers as API options
    volume                  requests per month, or tokens per month with volume_unit=tokens
    volume_unit             requests (default) | tokens
    input_tokens, output_tokens                       per request
    cached_pct, cache_write_pct, batchable_pct        shares of input tokens / requests, in percent
    peak_to_average                                   peak traffic over average (default 1)
    reasoning_tokens        hidden reasoning tokens per request, for the models that reason (default 0)
    prefix_hit_pct          self-hosted prefix-cache hit rate, in percent (blank = cached_pct)
    latency                 interactive (default) | offline (batch work: no latency target)
    min_tokens_per_second   interactive: output tokens/s each user sees (blank = 25)
    max_ttft_seconds        interactive: time to first token in seconds (blank = 2)

Options: `api.N.<key>` and `sh.N.<key>`. N is the option's position in the scenario; gaps are
allowed (the options are taken in order of N), so rows can be added and removed freely.
    api.N.  name, provider, model (genai-prices ids), input_per_mtok, output_per_mtok,
            cached_input_per_mtok, cache_write_per_mtok, batch_input_per_mtok,
            batch_output_per_mtok (USD per million tokens: override the catalog), discount_pct,
            time_of_day (blend (default) | off_peak: for models priced by time of day),
            reasoning (hidden reasoning tokens per request; blank = the workload's if the model reasons)
    sh.N.   name, model, gpu (catalog ids), gpu_count (blank = smallest that fits; "auto"),
            precision (auto (default) | bf16 | fp8 | ...), kv_precision, engine,
            output_tps (measured output tokens/s of one replica), reasoning (as on API rows),
            tensor_parallel, expert_parallel, attention_dp (the replica's split; blank = the family's
            default: attention DP + EP for MLA mixture-of-experts models on 8+ GPUs, else TP),
            concurrency, utilization_pct, min_replicas, redundancy, ops_fte,
            ops_usd_per_fte_year, platform_usd_per_month, pricing (rent | buy; default rent)
      rent: offer (rental offer id), term (on_demand | spot | reserved_1y | reserved_3y),
            per_gpu_hour, gpus_per_instance (the billing unit; blank = the offer's)
      buy:  purchase_offer, price_per_gpu, gpus_per_server (blank = the offer's), years, residual_pct,
            cost_of_capital_pct, watts_per_gpu, power_draw_pct, pue, usd_per_kwh, colo_usd_per_kw_month,
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
    h.profile               24-hour traffic shape for the overflow hybrid: workload (default: the workload's
                            own peak-to-average, app.scenario.hybrid.workload_profile) | flat | business_hours
                            | evening_peak | custom (then h.hourly: 24 comma-separated weights)
    req                     a requirement besides cost (repeatable; ids of GET /api/v1/factors/requirements)

Example: `volume=3000000&input_tokens=500&output_tokens=500&api.0.name=GPT-5+mini&api.0.provider=openai
&api.0.model=gpt-5-mini&sh.1.name=Llama&sh.1.model=llama-3.3-70b&sh.1.gpu=h100-sxm&sh.1.gpu_count=2
&sh.1.precision=fp8&sh.1.per_gpu_hour=2`.

Numbers are read leniently (`3,000,000`, `3M`, `2.5k`, `$2.50`, `30%`) and written plainly; the
encoding is exact: `parse_query(scenario_to_query(s))` gives back `s`.

Here: the query read back into a scenario and the form's state. Beside it: the fields and their keys
(app.web.form_fields), numbers (app.web.form_numbers), the writer (app.web.query_codec) and where each
validation message goes (app.web.form_errors).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import parse_qsl

from pydantic import BaseModel, ValidationError

from app.core.errors import DomainError
from app.core.factors import REQUIREMENTS_BY_ID
from app.core.specs import Catalog
from app.scenario.evaluate import ScenarioResult, evaluate
from app.scenario.inputs import ApiOptionIn, GpuSpecIn, ModelArchitectureIn, ScenarioIn, SelfHostedOptionIn, WorkloadIn
from app.web.form_errors import humanize, record_validation_errors, strip_tags
from app.web.form_fields import (
    ALL_FIELDS,
    API_FIELDS,
    BEYOND_FIELDS,
    BEYOND_KEYS,
    BUY_FIELDS,
    CONTROL_KEYS,
    HOSTED_KEY,
    HOSTED_SWITCH,
    HOURLY_KEY,
    HOURS_PER_DAY,
    PREFIX_OF,
    PRICING_KINDS,
    RENT_FIELDS,
    REQUIREMENT_KEY,
    ROW_KEY,
    ROW_PREFIXES,
    SELF_HOSTED_FIELDS,
    VOLUME_UNITS,
    WORKLOAD_FIELDS,
    WORKLOAD_KEYS,
    BeyondIn,
    FieldSpec,
    OptionKind,
)
from app.web.form_numbers import InputError, parse_decimal, parse_value, to_float, to_int

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
            key = self.field_for(row.key, strip_tags(where[2:]))
            self.add_error(key or row.key, humanize(error.message))
            return row
        if where[:1] == ("workload",):
            key = self.field_for("workload", where[1:])
            self.add_error(key or "workload", humanize(error.message))
            return None
        self.add_error("form", humanize(error.message))
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
        if key == HOSTED_KEY and value == "on":
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
            doc[volume_key] = to_float(parse_decimal(volume))
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
        record_validation_errors(state, "workload", error, doc)
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
            weights = tuple(to_float(parse_decimal(part)) for part in parts) if len(parts) == HOURS_PER_DAY else ()
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
        record_validation_errors(state, "beyond", error)
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
                doc.setdefault("dense_tflops", {})[precision] = to_float(parse_decimal(text))
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
                doc[attribute] = to_int(parse_decimal(text))
            elif "float" in annotation:
                doc[attribute] = to_float(parse_decimal(text))
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
        record_validation_errors(state, row.key, error, doc, row.prefix)
        return None
    return None if state.errors_in(row) else option


def _hosted_switch(state: FormState) -> bool:
    """The `hosted` key: "on" (default) adds the open models' hosted per-token offers, "off" does not."""
    value = state.values.get(HOSTED_KEY, "on")
    if value not in HOSTED_SWITCH:
        state.add_error(HOSTED_KEY, "must be on or off")
    return value != "off"


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
        state.usable = ScenarioIn(
            workload=workload, options=[option for _, option in kept], hosted_alternatives=_hosted_switch(state)
        )
    except ValidationError as error:
        record_validation_errors(state, "form", error)
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
                workload=scenario.workload,
                options=[o for i, o in enumerate(scenario.options) if i != position],
                hosted_alternatives=scenario.hosted_alternatives,
            )
            state.usable, state.usable_rows = scenario, rows
    return None
