"""Load the fitted estimator efficiencies (efficiencies.toml) into `app.core.throughput` values.

The file is written by `breakeven calibrate` (app/calibration/cli.py) and read once here; the app never
refits at run time. Use:

    from app.catalog.efficiencies import load_efficiencies, error_band_for
    efficiencies = load_efficiencies()[setup.engine]
    estimate = estimate_throughput(setup, efficiencies)   # carries estimate.error_band

`error_band_for(setup)` gives the band alone (e.g. for a throughput the user typed in).
"""

from __future__ import annotations

import functools
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from app.catalog.loader import CatalogError
from app.core.efficiencies import (
    COMM_KINDS,
    ENGINES,
    REGIMES,
    CommEfficiency,
    CommKind,
    Coverage,
    Efficiencies,
    Engine,
    ErrorBand,
    Regime,
)
from app.core.throughput import ServingSetup
from app.core.throughput import error_band_for as _core_error_band_for
from app.core.units import PRECISIONS, Precision

EFFICIENCIES_FILE = "efficiencies.toml"
EFFICIENCIES_PATH = Path(__file__).resolve().parent / EFFICIENCIES_FILE


@dataclass(frozen=True)
class FitInfo:
    """The [fit] table: when and on what the efficiencies were fitted, and how well they do."""

    date: str
    csv: str
    rows_fitted: int
    accuracy: Mapping[str, float]


def _number(table: Mapping[str, Any], key: str, where: str, *, fraction: bool = False) -> float:
    value = table.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise CatalogError(EFFICIENCIES_FILE, f"{key} must be a positive number", entry=where, field=key)
    if fraction and value > 1:
        raise CatalogError(EFFICIENCIES_FILE, f"{key} must be at most 1", entry=where, field=key)
    return float(value)


def _band(raw: Mapping[str, Any], where: str) -> ErrorBand:
    low = _number(raw, "low_factor", where)
    high = _number(raw, "high_factor", where)
    if low > high:
        raise CatalogError(EFFICIENCIES_FILE, "low_factor exceeds high_factor", entry=where)
    return ErrorBand(
        low_factor=low,
        high_factor=high,
        median_abs_pct_error=_number(raw, "median_abs_pct_error", where),
        rows=int(raw.get("rows", 0)),
        extrapolated=bool(raw.get("extrapolated", False)),
        reasons=tuple(str(r) for r in raw.get("reasons", ())),
    )


def _engine(name: str, raw: Mapping[str, Any]) -> Efficiencies:
    where = f"engine.{name}"
    if name not in ENGINES:
        raise CatalogError(EFFICIENCIES_FILE, f"unknown engine (one of {', '.join(ENGINES)})", entry=where)
    comm: dict[CommKind, CommEfficiency] = {}
    for kind, values in cast(Mapping[str, Any], raw.get("tp_comm", {})).items():
        if kind not in COMM_KINDS:
            raise CatalogError(EFFICIENCIES_FILE, f"unknown link kind {kind!r}", entry=where, field="tp_comm")
        comm[kind] = CommEfficiency(
            latency_s=_number(values, "latency_s", f"{where}.tp_comm.{kind}"),
            bandwidth_efficiency=_number(values, "bandwidth_efficiency", f"{where}.tp_comm.{kind}", fraction=True),
        )
    factors: dict[Precision, float] = {}
    for precision, value in cast(Mapping[str, Any], raw.get("precision_factor", {})).items():
        if precision not in PRECISIONS:
            raise CatalogError(EFFICIENCIES_FILE, f"unknown precision {precision!r}", entry=where)
        factors[precision] = _number({"f": value}, "f", f"{where}.precision_factor")
    bands: dict[Regime, ErrorBand] = {}
    for regime, values in cast(Mapping[str, Any], raw.get("error_bands", {})).items():
        if regime not in REGIMES:
            raise CatalogError(EFFICIENCIES_FILE, f"unknown regime {regime!r}", entry=where)
        bands[regime] = _band(values, f"{where}.error_bands.{regime}")
    coverage_raw = cast(Mapping[str, Any], raw.get("coverage", {}))
    coverage = Coverage(
        gpus=frozenset(coverage_raw.get("gpus", ())),
        precisions=frozenset(coverage_raw.get("precisions", ())),
        max_gpu_count=int(coverage_raw.get("max_gpu_count", 0)),
        features=frozenset(coverage_raw.get("features", ())),
    )
    max_batch = raw.get("max_batch")
    if not isinstance(max_batch, int) or max_batch < 1:
        raise CatalogError(EFFICIENCIES_FILE, "max_batch must be a positive integer", entry=where, field="max_batch")
    return Efficiencies(
        engine=name,
        decode_mbu=_number(raw, "decode_mbu", where, fraction=True),
        decode_mfu=_number(raw, "decode_mfu", where, fraction=True),
        prefill_mfu=_number(raw, "prefill_mfu", where, fraction=True),
        step_overhead_s=_number(raw, "step_overhead_s", where),
        per_sequence_overhead_s=_number(raw, "per_sequence_overhead_s", where),
        tp_comm=comm,
        max_batch=max_batch,
        memory_fraction=_number(raw, "memory_fraction", where, fraction=True),
        kv_output_reservation=_number(raw, "kv_output_reservation", where, fraction=True),
        precision_factor=factors,
        error_bands=bands,
        coverage=coverage,
        source=str(raw.get("source", "")),
    )


def parse_efficiencies(text: str) -> dict[Engine, Efficiencies]:
    """Parse efficiencies.toml text; raises CatalogError naming the engine and field at fault."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise CatalogError(EFFICIENCIES_FILE, f"not valid TOML: {error}") from error
    engines = cast(Mapping[str, Any], document.get("engine", {}))
    parsed = {cast(Engine, name): _engine(name, raw) for name, raw in engines.items()}
    missing = [engine for engine in ENGINES if engine not in parsed]
    if missing:
        raise CatalogError(EFFICIENCIES_FILE, f"no [engine.{missing[0]}] table")
    return parsed


def parse_fit_info(text: str) -> FitInfo:
    fit = cast(Mapping[str, Any], tomllib.loads(text).get("fit", {}))
    accuracy: dict[str, float] = {}

    def flatten(prefix: str, table: Mapping[str, Any]) -> None:
        for key, value in table.items():
            if isinstance(value, Mapping):
                flatten(f"{prefix}{key}.", value)
            elif isinstance(value, int | float):
                accuracy[f"{prefix}{key}"] = float(value)

    flatten("", cast(Mapping[str, Any], fit.get("accuracy", {})))
    return FitInfo(
        date=str(fit.get("date", "")),
        csv=str(fit.get("csv", "")),
        rows_fitted=int(fit.get("rows_fitted", 0)),
        accuracy=accuracy,
    )


def load_efficiencies_from(path: Path) -> dict[Engine, Efficiencies]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise CatalogError(EFFICIENCIES_FILE, f"not found at {path}; run `breakeven calibrate`") from error
    return parse_efficiencies(text)


@functools.cache
def load_efficiencies() -> dict[Engine, Efficiencies]:
    """The committed fitted efficiencies per engine family, read once."""
    return load_efficiencies_from(EFFICIENCIES_PATH)


@functools.cache
def load_fit_info() -> FitInfo:
    return parse_fit_info(EFFICIENCIES_PATH.read_text(encoding="utf-8"))


def efficiencies_for(engine: Engine) -> Efficiencies:
    fits = load_efficiencies()
    return fits.get(engine, fits["generic"])


def error_band_for(setup: ServingSetup) -> ErrorBand:
    """The fitted error band for this setup's engine and regime (flagged when it extrapolates)."""
    return _core_error_band_for(setup, efficiencies_for(setup.engine))
