"""How well predictions match the measurements: scores, error bands, coverage and hold-out folds.

Pure logic, no I/O. `score` gives median absolute percentage error and the shares within ±25% and
within 2×; `error_bands` turns the measured/estimate spread into the bands the estimator reports;
`explain` says why a row is off, for the report.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from app.calibration.measurements import GPU_FAMILIES, Measurement
from app.calibration.predict import Prediction
from app.core.efficiencies import REGIMES, Coverage, ErrorBand, Regime
from app.core.error_bands import EXPERT_PARALLEL_FEATURE
from app.core.specs import GpuSpec, ModelArchitecture
from app.core.throughput import setup_features


@dataclass(frozen=True)
class Score:
    rows: int
    median_abs_pct_error: float
    within_25_pct: float  # share of rows, 0..1
    within_2x: float
    low_factor: float  # 10th percentile of measured / estimate
    high_factor: float  # 90th percentile


def _quantile(sorted_values: Sequence[float], q: float) -> float:
    if not sorted_values:
        return math.nan
    position = q * (len(sorted_values) - 1)
    low = math.floor(position)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


def score(predictions: Iterable[Prediction]) -> Score:
    scored = [p for p in predictions if p.predicted > 0]
    if not scored:
        return Score(0, math.nan, math.nan, math.nan, math.nan, math.nan)
    errors = sorted(p.abs_pct_error for p in scored)
    ratios = sorted(p.ratio for p in scored)
    return Score(
        rows=len(scored),
        median_abs_pct_error=_quantile(errors, 0.5),
        within_25_pct=sum(1 for p in scored if 0.75 <= p.predicted / p.measurement.measured <= 1.25) / len(scored),
        within_2x=sum(1 for r in ratios if 0.5 <= r <= 2.0) / len(scored),
        low_factor=_quantile(ratios, 0.1),
        high_factor=_quantile(ratios, 0.9),
    )


def gpu_family(gpu_id: str) -> str:
    for prefix in sorted(GPU_FAMILIES, key=len, reverse=True):
        if gpu_id.startswith(prefix):
            return GPU_FAMILIES[prefix]
    return "other"


def tp_of(p: Prediction) -> int:
    return p.tensor_parallel or p.measurement.tensor_parallel or p.measurement.gpu_count


def explain(p: Prediction) -> str:
    """Why a row is off: the source's own caveat, what the model cannot represent, or the regime."""
    m = p.measurement
    reasons: list[str] = []
    if m.flag:
        reasons.append(m.flag)
    if m.parallelism_note:
        reasons.append(m.parallelism_note)
    if m.caveat:
        reasons.append(m.caveat)
    if not m.fixed_length:
        reasons.append(f"dataset row: mean lengths ~{m.input_tokens}/{m.output_tokens} assumed")
    if m.request_rate is not None:
        reasons.append("Poisson arrivals: concurrency inferred by Little's law")
    if m.slo_tpot_s is not None:
        reasons.append("MLPerf latency-constrained scenario (p99 limits used as the SLO)")
    if p.estimate is not None:
        e = p.estimate
        direction = "over" if p.predicted > m.measured else "under"
        if e.concurrency < e.efficiencies.max_batch and e.concurrency == e.kv_concurrency_limit:
            reasons.append(f"{direction}estimate while KV-memory-limited at batch {e.concurrency}")
        elif any("communication" in note for note in e.notes):
            reasons.append(f"{direction}estimate on a communication-bound TP group")
        elif m.input_tokens >= 4 * max(m.output_tokens, 1):
            reasons.append(f"{direction}estimate on a prefill-heavy mix ({m.input_tokens}/{m.output_tokens})")
        else:
            reasons.append(f"{direction}estimate, {e.bound}-bound at batch {e.concurrency}")
    elif p.error:
        reasons.append(p.error)
    return "; ".join(reasons)


def _band_rows(predictions: Sequence[Prediction], minimum_rows: int) -> list[Prediction]:
    """Fixed-length rows, plus dataset rows only for regimes with too few fixed-length ones."""
    fitted = [p for p in predictions if p.predicted > 0 and not p.measurement.flag]
    fixed = [p for p in fitted if p.measurement.fixed_length]
    if len(fixed) < minimum_rows:
        return fitted
    thin = {regime for regime in REGIMES if sum(1 for p in fixed if p.measurement.regime == regime) < minimum_rows}
    return fixed + [p for p in fitted if not p.measurement.fixed_length and p.measurement.regime in thin]


def error_bands(
    in_sample: Sequence[Prediction], heldout: Sequence[Prediction] = (), minimum_rows: int = 5
) -> dict[Regime, ErrorBand]:
    """Measured/estimate bands per regime; thin regimes borrow the band of all rows.

    The band spans the 10th–90th percentile of measured/estimate both in sample and on held-out
    configurations (the envelope of the two, and always including 1): in-sample alone is
    optimistic where an engine has few rows, held-out alone is biased where holding a fold out
    removes the only rows of a GPU. The median error reported is the held-out one where available.
    Fixed-length rows set the band where a regime has enough of them; dataset rows (approximate
    mean lengths) only where it does not.
    """
    fitted = _band_rows(in_sample, minimum_rows)
    held = _band_rows(heldout, minimum_rows) if heldout else fitted

    def band(selection: Callable[[Prediction], bool], reasons: tuple[str, ...] = ()) -> tuple[ErrorBand, int]:
        a = score(p for p in fitted if selection(p))
        b = score(p for p in held if selection(p))
        b = b if b.rows else a
        return (
            ErrorBand(
                low_factor=min(a.low_factor, b.low_factor, 1.0),
                high_factor=max(a.high_factor, b.high_factor, 1.0),
                median_abs_pct_error=b.median_abs_pct_error,
                rows=a.rows,
                extrapolated=False,
                reasons=reasons,
            ),
            a.rows,
        )

    overall, overall_rows = band(lambda p: True)
    bands: dict[Regime, ErrorBand] = {}
    for regime in REGIMES:
        regime_band, rows = band(lambda p, regime=regime: p.measurement.regime == regime)  # type: ignore[misc]
        if rows >= minimum_rows:
            bands[regime] = regime_band
        elif overall_rows > 0:
            reasons = (f"no {regime.replace('_', ' ')} rows: band from all {overall_rows} rows",) if rows == 0 else ()
            bands[regime] = replace(overall, rows=rows, extrapolated=rows == 0, reasons=reasons)
    return bands


def widen_thin_bands(
    bands: Mapping[Regime, ErrorBand], reference: Mapping[Regime, ErrorBand], minimum_rows: int = 20
) -> dict[Regime, ErrorBand]:
    """A band resting on fewer than `minimum_rows` rows is at least as wide as the pooled one.

    Percentiles of a handful of rows understate the spread; the pooled fit's band over every
    engine's rows is the floor.
    """
    widened: dict[Regime, ErrorBand] = {}
    for regime, band in bands.items():
        floor = reference.get(regime)
        if floor is not None and band.rows < minimum_rows:
            band = replace(
                band,
                low_factor=min(band.low_factor, floor.low_factor),
                high_factor=max(band.high_factor, floor.high_factor),
            )
        widened[regime] = band
    return widened


def coverage_of(
    rows: Sequence[Measurement], gpus: Mapping[str, GpuSpec], models: Mapping[str, ModelArchitecture]
) -> Coverage:
    usable = [m for m in rows if not m.skip and not m.flag]
    features: set[str] = set()
    for m in usable:
        features |= setup_features(models[m.model_id])
        if m.attention_data_parallel > 1 or m.expert_parallel > 1:
            # Fitted with its split as run (predict.py): attention-DP / EP setups are covered.
            features.add(EXPERT_PARALLEL_FEATURE)
    return Coverage(
        gpus=frozenset(m.gpu_id for m in usable),
        precisions=frozenset(m.precision for m in usable),
        max_gpu_count=max((m.tensor_parallel or m.gpu_count for m in usable), default=0),
        features=frozenset(features),
    )


def fold_of(m: Measurement, folds: int) -> int:
    """Stable fold for hold-out checks, by configuration (model, GPU, TP, precision, engine).

    Rows of one configuration (the same table at other lengths) fall in the same fold, so held-out
    error measures generalisation to configurations the fit has not seen.
    """
    key = f"{m.model_id}|{m.gpu_id}|{m.tensor_parallel}|{m.precision}|{m.engine}"
    return zlib.crc32(key.encode()) % folds
