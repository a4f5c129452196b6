"""Load the catalog's TOML files into the frozen types of `app.core.specs`, strictly.

The files sit next to this module (gpus.toml, models.toml, offers.toml, costs.toml); each explains
its own format in a comment block at its top. Loading checks every entry and fails with a
`CatalogError` that names the file, the entry and the field: a missing or unknown field, a
missing `source` or an `as_of` that is not an ISO date, a number that is not finite and positive,
an unknown precision, a duplicate id, or an offer for a GPU the catalog does not have.

Lookups (`get_gpu`, `get_model`, ...) accept ids case-insensitively and with "_" or " " for "-",
and raise `app.core.errors.UnknownId` with the closest ids as suggestions.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import functools
import math
import re
import tomllib
from collections.abc import Callable, Collection, Mapping
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar, cast, get_args

from app.core.errors import UnknownId
from app.core.specs import (
    Catalog,
    CostParameter,
    GpuSpec,
    Interconnect,
    ModelArchitecture,
    PurchaseOffer,
    RentalOffer,
    attention_kinds_problem,
)
from app.core.units import PRECISIONS, Precision

__all__ = [
    "CatalogError",
    "cost_parameter",
    "get_gpu",
    "get_model",
    "get_purchase_offer",
    "get_rental_offer",
    "host_server_offers",
    "load_catalog",
    "maintenance_parameter_id",
    "needs_host_server",
    "load_catalog_from",
    "normalize_id",
    "offer_caveat",
    "offers_for_gpu",
    "parse_cost_parameters",
    "parse_gpus",
    "parse_models",
    "parse_offers",
    "suggest_ids",
]

GPUS_FILE = "gpus.toml"
MODELS_FILE = "models.toml"
OFFERS_FILE = "offers.toml"
COSTS_FILE = "costs.toml"

INTERCONNECTS: tuple[str, ...] = get_args(Interconnect)
PurchaseCategory = Literal["server", "gpu_card", "rack"]
PURCHASE_CATEGORIES: tuple[str, ...] = get_args(PurchaseCategory)
CONFIDENCES = ("high", "medium", "low")
# A GPU on one of these links is an SXM or OAM module that runs only on the baseboard of its
# server (NVIDIA HGX, AMD's OAM universal baseboard); PCIe cards fit any host. See offers.toml.
_BASEBOARD_INTERCONNECTS = ("nvlink", "infinity_fabric")
# NVIDIA DGX systems are sold with NVIDIA's own support; every other server gets the OEM figure.
_DGX_ID_PREFIX = "dgx-"
MAINTENANCE_PARAMETER = "maintenance_fraction_per_year"
MAINTENANCE_PARAMETER_DGX = "maintenance_fraction_per_year_dgx"

_ID_PATTERN = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*$")
_AS_OF_PATTERN = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
# Derived MoE figures must agree with their inputs to this relative tolerance.
_ROUTED_PARAMS_TOLERANCE = 0.01


class CatalogError(ValueError):
    """A catalog file that does not parse or breaks a rule; says which file, entry and field."""

    def __init__(self, file: str, message: str, *, entry: str | None = None, field: str | None = None) -> None:
        where = file
        if entry is not None:
            where += f": entry {entry!r}"
        if field is not None:
            where += f", field {field!r}"
        super().__init__(f"{where}: {message}")
        self.file = file
        self.entry = entry
        self.field = field
        self.message = message


# --------------------------------------------------------------------------------------------
# Reading one entry
# --------------------------------------------------------------------------------------------


class _Entry:
    """One TOML table being turned into a dataclass: typed getters that fail with context.

    Every getter records the field as used; `finish()` rejects any field left over, so a typo in
    a field name is an error rather than a silently ignored value.
    """

    def __init__(self, file: str, table: str, index: int, raw: object, known: Collection[str]) -> None:
        self.file = file
        self.known = known
        if not isinstance(raw, dict):
            raise CatalogError(file, f"[[{table}]] #{index + 1} is not a table")
        self.raw: dict[str, Any] = raw
        self.used: set[str] = set()
        raw_id = raw.get("id")
        self.label = raw_id if isinstance(raw_id, str) and raw_id else f"[[{table}]] #{index + 1}"

    def error(self, field: str | None, message: str) -> CatalogError:
        return CatalogError(self.file, message, entry=self.label, field=field)

    def _get(self, name: str, required: bool) -> Any:
        self.used.add(name)
        if name not in self.raw:
            if required:
                typo = difflib.get_close_matches(name, [k for k in self.raw if k not in self.known], n=1)
                raise self.error(name, "is missing" + (f" (is {typo[0]!r} a misspelling?)" if typo else ""))
            return None
        return self.raw[name]

    def text(self, name: str, *, required: bool = True, default: str = "") -> str:
        value = self._get(name, required)
        if value is None:
            return default
        if not isinstance(value, str):
            raise self.error(name, f"must be a string, got {type(value).__name__}")
        value = value.strip()
        if required and not value:
            raise self.error(name, "must not be empty")
        return value

    def identifier(self) -> str:
        value = self.text("id")
        if not _ID_PATTERN.match(value):
            raise self.error(
                "id", f"{value!r} is not a valid id (lowercase letters, digits, and single '-', '.' or '_')"
            )
        return value

    def choice(self, name: str, options: Collection[str], *, required: bool = True, default: str = "") -> str:
        value = self.text(name, required=required, default=default)
        if value not in options:
            raise self.error(name, f"{value!r} is not one of {', '.join(repr(o) for o in options)}")
        return value

    def as_of(self) -> str:
        self.used.add("as_of")
        value = self.raw.get("as_of")
        if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
            return value.isoformat()  # an unquoted TOML date
        value = self.text("as_of")
        if not _is_iso_date(value):
            raise self.error("as_of", f"{value!r} is not an ISO date (YYYY-MM-DD, YYYY-MM or YYYY)")
        return value

    def flag(self, name: str) -> bool:
        """An optional true/false field, false when absent."""
        value = self._get(name, False)
        if value is None:
            return False
        if not isinstance(value, bool):
            raise self.error(name, f"must be true or false, got {value!r}")
        return value

    def number(self, name: str, *, required: bool = True) -> float | None:
        value = self._get(name, required)
        if value is None:
            return None
        return self._positive(name, value)

    def positive(self, name: str) -> float:
        value = self.number(name)
        assert value is not None
        return value

    def count(self, name: str, *, required: bool = True, default: int = 0) -> int:
        value = self._get(name, required)
        if value is None:
            return default
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(name, f"must be a whole number, got {value!r}")
        if value <= 0:
            raise self.error(name, f"must be positive, got {value}")
        return value

    def _positive(self, name: str, value: object) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(name, f"must be a number, got {value!r}")
        number = float(value)
        if not math.isfinite(number):
            raise self.error(name, f"must be finite, got {number}")
        if number <= 0:
            raise self.error(name, f"must be positive, got {value}")
        return number

    def tflops_table(self, name: str) -> dict[Precision, float]:
        value = self._get(name, True)
        if not isinstance(value, dict) or not value:
            raise self.error(name, "must be a non-empty table of precision = TFLOP/s")
        table: dict[Precision, float] = {}
        for key, tflops in value.items():
            if key not in PRECISIONS:
                raise self.error(f"{name}.{key}", f"unknown precision {key!r}; use one of {', '.join(PRECISIONS)}")
            table[cast(Precision, key)] = self._positive(f"{name}.{key}", tflops)
        return table

    def finish(self) -> None:
        unknown = sorted(set(self.raw) - self.used)
        if unknown:
            raise self.error(
                unknown[0],
                "is not a known field" + (f" (also: {', '.join(unknown[1:])})" if unknown[1:] else ""),
            )


def _is_iso_date(value: str) -> bool:
    match = _AS_OF_PATTERN.match(value)
    if not match:
        return False
    year, month, day = (int(part) if part else 1 for part in match.groups())
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def _parse_toml(text: str, file: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CatalogError(file, f"is not valid TOML: {exc}") from exc


def _tables(document: Mapping[str, Any], file: str, names: Collection[str]) -> dict[str, list[object]]:
    unknown = sorted(set(document) - set(names))
    if unknown:
        expected = ", ".join(f"[[{n}]]" for n in names)
        raise CatalogError(file, f"unexpected top-level key {unknown[0]!r}; this file holds {expected}")
    tables: dict[str, list[object]] = {}
    for name in names:
        value = document.get(name, [])
        if not isinstance(value, list):
            raise CatalogError(file, f"{name!r} must be an array of tables ([[{name}]])")
        tables[name] = value
    return tables


class _HasId(Protocol):
    @property
    def id(self) -> str: ...


_T = TypeVar("_T", bound=_HasId)


def _field_names(cls: type) -> list[str]:
    return [f.name for f in dataclasses.fields(cls)]


def _collect(
    file: str, table: str, rows: list[object], build: Callable[[_Entry], _T], known: Collection[str]
) -> dict[str, _T]:
    if not rows:
        raise CatalogError(file, f"has no [[{table}]] entries")
    result: dict[str, _T] = {}
    normalized: dict[str, str] = {}
    for index, raw in enumerate(rows):
        entry = _Entry(file, table, index, raw, known)
        item = build(entry)
        item_id = item.id
        key = normalize_id(item_id)
        if key in normalized:
            raise entry.error("id", f"duplicate id (already used by {normalized[key]!r})")
        normalized[key] = item_id
        result[item_id] = item
    return result


# --------------------------------------------------------------------------------------------
# The four files
# --------------------------------------------------------------------------------------------


def _build_gpu(e: _Entry) -> GpuSpec:
    spec = GpuSpec(
        id=e.identifier(),
        name=e.text("name"),
        vendor=e.text("vendor"),
        memory_gib=e.positive("memory_gib"),
        memory_bandwidth_tb_s=e.positive("memory_bandwidth_tb_s"),
        dense_tflops=e.tflops_table("dense_tflops"),
        tdp_watts=e.positive("tdp_watts"),
        interconnect=cast(Interconnect, e.choice("interconnect", INTERCONNECTS)),
        interconnect_gb_s=e.positive("interconnect_gb_s"),
        max_gpus_per_node=e.count("max_gpus_per_node"),
        source=e.text("source"),
        as_of=e.as_of(),
        notes=e.text("notes", required=False),
    )
    e.finish()
    return spec


def parse_gpus(text: str, *, file: str = GPUS_FILE) -> dict[str, GpuSpec]:
    """Parse gpus.toml text into GpuSpec by id; raises CatalogError."""
    rows = _tables(_parse_toml(text, file), file, ["gpu"])["gpu"]
    return _collect(file, "gpu", rows, _build_gpu, _field_names(GpuSpec))


# Fields a models.toml entry may carry that document a derivation but are not part of the type.
_MODEL_DERIVATION_FIELDS = ("intermediate_size", "moe_intermediate_size", "moe_layers")


def _build_model(e: _Entry) -> ModelArchitecture:
    model = ModelArchitecture(
        id=e.identifier(),
        name=e.text("name"),
        hf_id=e.text("hf_id"),
        total_params_b=e.positive("total_params_b"),
        active_params_b=e.positive("active_params_b"),
        num_layers=e.count("num_layers"),
        hidden_size=e.count("hidden_size"),
        num_attention_heads=e.count("num_attention_heads"),
        num_kv_heads=e.count("num_kv_heads"),
        head_dim=e.count("head_dim"),
        vocab_size=e.count("vocab_size"),
        max_context=e.count("max_context"),
        num_experts=e.count("num_experts", required=False),
        experts_per_token=e.count("experts_per_token", required=False),
        routed_expert_params_b=e.number("routed_expert_params_b", required=False) or 0.0,
        kv_lora_rank=e.count("kv_lora_rank", required=False),
        qk_rope_head_dim=e.count("qk_rope_head_dim", required=False),
        sliding_window=e.count("sliding_window", required=False),
        sliding_window_layers=e.count("sliding_window_layers", required=False),
        linear_attention_layers=e.count("linear_attention_layers", required=False),
        linear_attention_state_elements=e.count("linear_attention_state_elements", required=False),
        sparse_attention_topk=e.count("sparse_attention_topk", required=False),
        sparse_attention_indexer_dim=e.count("sparse_attention_indexer_dim", required=False),
        native_precision=cast(Precision, e.choice("native_precision", PRECISIONS, required=False, default="bf16")),
        reasoning=e.flag("reasoning"),
        source=e.text("source"),
        as_of=e.as_of(),
        notes=e.text("notes", required=False),
    )
    e.count("intermediate_size", required=False)
    moe_intermediate = e.count("moe_intermediate_size", required=False)
    moe_layers = e.count("moe_layers", required=False)
    e.finish()
    _check_model(e, model, moe_intermediate, moe_layers)
    return model


def _check_model(e: _Entry, m: ModelArchitecture, moe_intermediate: int, moe_layers: int) -> None:
    if m.active_params_b > m.total_params_b:
        raise e.error("active_params_b", f"{m.active_params_b} exceeds total_params_b {m.total_params_b}")
    moe_fields = {
        "num_experts": m.num_experts,
        "experts_per_token": m.experts_per_token,
        "routed_expert_params_b": m.routed_expert_params_b,
    }
    if any(moe_fields.values()) and not all(moe_fields.values()):
        missing = next(name for name, value in moe_fields.items() if not value)
        raise e.error(
            missing,
            "a mixture-of-experts model needs num_experts, experts_per_token and routed_expert_params_b together",
        )
    if m.is_moe:
        if m.experts_per_token > m.num_experts:
            raise e.error("experts_per_token", f"{m.experts_per_token} exceeds num_experts {m.num_experts}")
        if not m.active_params_b < m.total_params_b:
            raise e.error("active_params_b", "must be below total_params_b for a mixture-of-experts model")
        if not m.routed_expert_params_b < m.total_params_b:
            raise e.error("routed_expert_params_b", "must be below total_params_b")
    elif not math.isclose(m.active_params_b, m.total_params_b):
        raise e.error("active_params_b", "must equal total_params_b for a dense model")
    if bool(moe_intermediate) != bool(moe_layers) or (moe_layers and not m.is_moe):
        raise e.error("moe_layers", "moe_intermediate_size and moe_layers go together, on MoE models only")
    if moe_layers:
        if moe_layers > m.num_layers:
            raise e.error("moe_layers", f"{moe_layers} exceeds num_layers {m.num_layers}")
        derived = 3 * m.hidden_size * moe_intermediate * m.num_experts * moe_layers / 1e9
        if abs(derived - m.routed_expert_params_b) > _ROUTED_PARAMS_TOLERANCE * derived:
            raise e.error(
                "routed_expert_params_b",
                f"{m.routed_expert_params_b} disagrees with 3 x hidden x moe_intermediate x experts x "
                f"moe_layers = {derived:.2f}",
            )
    if bool(m.kv_lora_rank) != bool(m.qk_rope_head_dim):
        raise e.error("qk_rope_head_dim", "kv_lora_rank and qk_rope_head_dim go together (MLA)")
    if bool(m.sliding_window) != bool(m.sliding_window_layers):
        raise e.error("sliding_window_layers", "sliding_window and sliding_window_layers go together")
    if m.sliding_window_layers > m.num_layers:
        raise e.error("sliding_window_layers", f"{m.sliding_window_layers} exceeds num_layers {m.num_layers}")
    _check_attention_kinds(e, m)


def _check_attention_kinds(e: _Entry, m: ModelArchitecture) -> None:
    if (problem := attention_kinds_problem(m)) is not None:
        raise e.error(*problem)


def parse_models(text: str, *, file: str = MODELS_FILE) -> dict[str, ModelArchitecture]:
    """Parse models.toml text into ModelArchitecture by id; raises CatalogError."""
    rows = _tables(_parse_toml(text, file), file, ["model"])["model"]
    known = [*_field_names(ModelArchitecture), *_MODEL_DERIVATION_FIELDS]
    return _collect(file, "model", rows, _build_model, known)


def _known_gpu(e: _Entry, gpu_ids: Collection[str]) -> str:
    gpu = e.text("gpu")
    if gpu not in gpu_ids:
        hint = suggest_ids(gpu, gpu_ids)
        raise e.error("gpu", f"unknown GPU id {gpu!r}" + (f"; did you mean {', '.join(hint)}?" if hint else ""))
    return gpu


def _build_rental(e: _Entry, gpu_ids: Collection[str]) -> RentalOffer:
    offer = RentalOffer(
        id=e.identifier(),
        provider=e.text("provider"),
        instance=e.text("instance"),
        gpu=_known_gpu(e, gpu_ids),
        gpus_per_instance=e.count("gpus_per_instance"),
        region=e.text("region"),
        on_demand_per_gpu_hour=e.number("on_demand_per_gpu_hour", required=False),
        spot_per_gpu_hour=e.number("spot_per_gpu_hour", required=False),
        reserved_1y_per_gpu_hour=e.number("reserved_1y_per_gpu_hour", required=False),
        reserved_3y_per_gpu_hour=e.number("reserved_3y_per_gpu_hour", required=False),
        source=e.text("source"),
        as_of=e.as_of(),
        confidence=e.choice("confidence", CONFIDENCES, required=False, default="medium"),
        notes=e.text("notes", required=False),
    )
    e.finish()
    prices = ("on_demand", "spot", "reserved_1y", "reserved_3y")
    if all(offer.per_gpu_hour(term) is None for term in prices):
        raise e.error("on_demand_per_gpu_hour", "an offer needs at least one price")
    return offer


def _build_purchase(e: _Entry, gpu_ids: Collection[str]) -> PurchaseOffer:
    offer = PurchaseOffer(
        id=e.identifier(),
        item=e.text("item"),
        category=cast(PurchaseCategory, e.choice("category", PURCHASE_CATEGORIES)),
        gpu=_known_gpu(e, gpu_ids),
        gpu_count=e.count("gpu_count"),
        price_usd=e.positive("price_usd"),
        price_low_usd=e.number("price_low_usd", required=False),
        price_high_usd=e.number("price_high_usd", required=False),
        power_kw=e.number("power_kw", required=False),
        source=e.text("source"),
        as_of=e.as_of(),
        confidence=e.choice("confidence", CONFIDENCES, required=False, default="medium"),
        notes=e.text("notes", required=False),
    )
    e.finish()
    _check_range(e, "price_usd", offer.price_usd, offer.price_low_usd, offer.price_high_usd)
    return offer


def _check_range(e: _Entry, field: str, value: float, low: float | None, high: float | None) -> None:
    if low is not None and low > value:
        raise e.error(field, f"{value} is below its low bound {low}")
    if high is not None and high < value:
        raise e.error(field, f"{value} is above its high bound {high}")


def parse_offers(
    text: str, gpu_ids: Collection[str], *, file: str = OFFERS_FILE
) -> tuple[dict[str, RentalOffer], dict[str, PurchaseOffer]]:
    """Parse offers.toml text into (rental offers, purchase offers) by id; every `gpu` must be in
    `gpu_ids`. Raises CatalogError."""
    tables = _tables(_parse_toml(text, file), file, ["rental_offer", "purchase_offer"])
    rentals = _collect(
        file,
        "rental_offer",
        tables["rental_offer"],
        lambda e: _build_rental(e, gpu_ids),
        _field_names(RentalOffer),
    )
    purchases = _collect(
        file,
        "purchase_offer",
        tables["purchase_offer"],
        lambda e: _build_purchase(e, gpu_ids),
        _field_names(PurchaseOffer),
    )
    return rentals, purchases


def _build_cost_parameter(e: _Entry) -> CostParameter:
    parameter = CostParameter(
        id=e.identifier(),
        name=e.text("name"),
        value=e.positive("value"),
        unit=e.text("unit"),
        source=e.text("source"),
        as_of=e.as_of(),
        low=e.number("low", required=False),
        high=e.number("high", required=False),
        notes=e.text("notes", required=False),
    )
    e.finish()
    _check_range(e, "value", parameter.value, parameter.low, parameter.high)
    return parameter


def parse_cost_parameters(text: str, *, file: str = COSTS_FILE) -> dict[str, CostParameter]:
    """Parse costs.toml text into CostParameter by id; raises CatalogError."""
    rows = _tables(_parse_toml(text, file), file, ["cost_parameter"])["cost_parameter"]
    return _collect(file, "cost_parameter", rows, _build_cost_parameter, _field_names(CostParameter))


def load_catalog_from(directory: Path | Traversable) -> Catalog:
    """Read and validate the four catalog files in `directory`; raises CatalogError."""

    def read(name: str) -> str:
        try:
            return directory.joinpath(name).read_text(encoding="utf-8")
        except (FileNotFoundError, NotADirectoryError) as exc:
            raise CatalogError(name, f"not found in {directory}") from exc

    gpus = parse_gpus(read(GPUS_FILE))
    models = parse_models(read(MODELS_FILE))
    rentals, purchases = parse_offers(read(OFFERS_FILE), gpus.keys())
    costs = parse_cost_parameters(read(COSTS_FILE))
    return Catalog(gpus=gpus, models=models, rental_offers=rentals, purchase_offers=purchases, cost_parameters=costs)


@functools.cache
def load_catalog() -> Catalog:
    """The app's catalog, read once from the TOML files shipped in this package."""
    return load_catalog_from(resources.files(__package__ or "app.catalog"))


# --------------------------------------------------------------------------------------------
# Lookups
# --------------------------------------------------------------------------------------------


def normalize_id(given: str) -> str:
    """Canonical form for matching ids: lowercase, with "_" and spaces read as "-"."""
    return re.sub(r"[-_\s]+", "-", given.strip().lower()).strip("-")


def suggest_ids(given: str, ids: Collection[str], limit: int = 5) -> list[str]:
    """Ids close to `given`, best first: ids containing it, then difflib's close matches."""
    key = normalize_id(given)
    by_key = {normalize_id(i): i for i in ids}

    def similarity(candidate: str) -> float:
        return difflib.SequenceMatcher(None, key, candidate).ratio()

    containing = sorted((k for k in by_key if len(key) >= 3 and key in k), key=lambda k: (-similarity(k), k))
    close = difflib.get_close_matches(key, list(by_key), n=limit, cutoff=0.6)
    ordered = list(dict.fromkeys([*containing, *close]))
    return [by_key[k] for k in ordered[:limit]]


_V = TypeVar("_V")


def _lookup(kind: str, entries: Mapping[str, _V], given: str, field: tuple[str | int, ...]) -> _V:
    if given in entries:
        return entries[given]
    key = normalize_id(given)
    for entry_id, value in entries.items():
        if normalize_id(entry_id) == key:
            return value
    raise UnknownId(kind, given, suggest_ids(given, entries.keys()), field=field)


def get_gpu(catalog: Catalog, gpu_id: str, *, field: tuple[str | int, ...] = ()) -> GpuSpec:
    return _lookup("gpu", catalog.gpus, gpu_id, field)


def get_model(catalog: Catalog, model_id: str, *, field: tuple[str | int, ...] = ()) -> ModelArchitecture:
    return _lookup("model", catalog.models, model_id, field)


def get_rental_offer(catalog: Catalog, offer_id: str, *, field: tuple[str | int, ...] = ()) -> RentalOffer:
    return _lookup("rental offer", catalog.rental_offers, offer_id, field)


def get_purchase_offer(catalog: Catalog, offer_id: str, *, field: tuple[str | int, ...] = ()) -> PurchaseOffer:
    return _lookup("purchase offer", catalog.purchase_offers, offer_id, field)


def cost_parameter(catalog: Catalog, parameter_id: str, *, field: tuple[str | int, ...] = ()) -> CostParameter:
    return _lookup("cost parameter", catalog.cost_parameters, parameter_id, field)


def offers_for_gpu(catalog: Catalog, gpu_id: str, *, field: tuple[str | int, ...] = ()) -> list[RentalOffer]:
    """Rental offers for one GPU, cheapest on-demand first (offers without one last)."""
    gpu = get_gpu(catalog, gpu_id, field=field)
    offers = [offer for offer in catalog.rental_offers.values() if offer.gpu == gpu.id]
    inf = math.inf
    return sorted(
        offers,
        key=lambda o: (o.on_demand_per_gpu_hour if o.on_demand_per_gpu_hour is not None else inf, o.id),
    )


def needs_host_server(catalog: Catalog, offer: PurchaseOffer) -> bool:
    """Whether a purchase offer is a lone SXM/OAM module: a price without the server it must sit in,
    so it cannot stand for the cost of running the GPU."""
    gpu = catalog.gpus.get(offer.gpu)
    return offer.category == "gpu_card" and gpu is not None and gpu.interconnect in _BASEBOARD_INTERCONNECTS


def host_server_offers(catalog: Catalog, gpu_id: str) -> list[PurchaseOffer]:
    """Whole-system purchase offers (servers, racks) for one GPU, cheapest per GPU first."""
    offers = [o for o in catalog.purchase_offers.values() if o.gpu == gpu_id and o.category != "gpu_card"]
    return sorted(offers, key=lambda o: (o.price_per_gpu, o.id))


def maintenance_parameter_id(catalog: Catalog, offer: PurchaseOffer | None) -> str:
    """The cost parameter that gives an offer's default maintenance: NVIDIA's DGX support for DGX
    systems, the OEM-server figure for everything else (and for a price the user typed). A saved
    scenario's frozen catalog from before the DGX figure existed keeps the one figure it had."""
    dgx = offer is not None and offer.id.startswith(_DGX_ID_PREFIX)
    if dgx and MAINTENANCE_PARAMETER_DGX in catalog.cost_parameters:
        return MAINTENANCE_PARAMETER_DGX
    return MAINTENANCE_PARAMETER


_TERM_LENGTH = {"reserved_1y": "1-year", "reserved_3y": "3-year"}


def _first_sentence(text: str) -> str:
    head = re.split(r"(?<=[.;])\s", text.strip(), maxsplit=1)[0]
    return head.rstrip(".;")


def offer_caveat(offer: RentalOffer | PurchaseOffer, term: str | None = None) -> str | None:
    """A short warning to print beside a catalog price that is not a quoted, checked figure, or None.

    The catalog marks such prices in `notes` ("ESTIMATE" for derived figures, "UNVERIFIED" for
    prices recalled but not found in a stored source) and in `confidence`; see offers.toml. A card
    bought alone leaves out its host server, so it says that too.
    """
    notes = offer.notes
    parts: list[str] = []
    if isinstance(offer, PurchaseOffer) and offer.category == "gpu_card":
        parts.append("card only: the host server's price and power are not included")
    if term in _TERM_LENGTH and isinstance(offer, RentalOffer) and "ESTIMATE" in notes:
        parts.append(f"estimate: on-demand price less a generic {_TERM_LENGTH[term]} commitment discount, not a quote")
    elif "UNVERIFIED" in notes or "recalled" in offer.source:
        parts.append("unverified: a recalled list price, not found in a stored source")
    elif notes.startswith("ESTIMATE"):
        detail = _first_sentence(notes.removeprefix("ESTIMATE").lstrip(" :"))
        parts.append(f"estimate: {detail}" if detail else "estimate")
    elif offer.confidence == "low":
        detail = _first_sentence(notes)
        parts.append(f"low confidence: {detail}" if detail else "low confidence")
    return "; ".join(parts) or None
