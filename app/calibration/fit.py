"""The fit of the throughput estimator's efficiencies (issue #3), pure logic, no I/O.

`fit_engine` fits the few global efficiencies of one engine family by minimising a robust (Huber)
loss on log(estimate / measured) with a Nelder-Mead search written here, pulled towards a prior (the
pooled fit) so that engines with few rows stay physical; `score` computes median absolute percentage
error, share within ±25% and within 2×; `calibrate` runs the whole fit with held-out folds.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from app.calibration.measurements import GPU_FAMILIES, Measurement
from app.core.errors import DomainError
from app.core.specs import GpuSpec, ModelArchitecture
from app.core.throughput import (
    COMM_KINDS,
    REGIMES,
    CommEfficiency,
    CommKind,
    Coverage,
    Efficiencies,
    Engine,
    ErrorBand,
    Regime,
    ServingSetup,
    ThroughputEstimate,
    comm_kind_for,
    estimate_throughput,
    setup_features,
    smallest_fitting_gpu_count,
)
from app.core.units import Precision

# ----------------------------------------------------------------------------------------------
# Predicting a row


@dataclass(frozen=True)
class Prediction:
    measurement: Measurement
    estimate: ThroughputEstimate | None
    predicted: float  # in the measurement's unit; 0 when not estimable
    error: str = ""  # why it could not be estimated
    tensor_parallel: int = 0  # TP degree the estimate used

    @property
    def ratio(self) -> float:
        """measured / predicted."""
        return self.measurement.measured / self.predicted if self.predicted > 0 else math.inf

    @property
    def abs_pct_error(self) -> float:
        """|predicted − measured| / measured, in percent."""
        return abs(self.predicted - self.measurement.measured) / self.measurement.measured * 100.0


def _setup_for(m: Measurement, gpu: GpuSpec, model: ModelArchitecture) -> ServingSetup:
    tp = m.tensor_parallel
    if tp is None:
        tp = min(
            smallest_fitting_gpu_count(model, gpu, m.precision, m.kv_cache_precision, m.input_tokens, m.output_tokens),
            m.gpu_count,
        )
    return ServingSetup(
        model=model,
        gpu=gpu,
        gpu_count=tp,
        precision=m.precision,
        kv_cache_precision=m.kv_cache_precision,
        engine=m.engine,
        input_tokens=m.input_tokens,
        output_tokens=m.output_tokens,
        concurrency=m.concurrency,
        min_output_tokens_per_second_per_user=(1.0 / m.slo_tpot_s) if m.slo_tpot_s else None,
        max_time_to_first_token_seconds=m.slo_ttft_s,
    )


def predict(
    m: Measurement,
    gpus: Mapping[str, GpuSpec],
    models: Mapping[str, ModelArchitecture],
    efficiencies: Efficiencies,
) -> Prediction:
    """The estimator's figure for one measurement, in the measurement's unit."""
    if m.skip:
        return Prediction(m, None, 0.0, m.skip)
    eff = efficiencies
    if m.engine_batch_cap is not None:
        eff = replace(eff, max_batch=m.engine_batch_cap)
    try:
        setup = _setup_for(m, gpus[m.gpu_id], models[m.model_id])
        if m.request_rate is not None:
            # Poisson arrivals: concurrency ≈ rate × time in system (Little's law), iterated.
            concurrency = 1
            for _ in range(6):
                est = estimate_throughput(replace(setup, concurrency=concurrency), eff)
                in_system = est.time_to_first_token_seconds + m.output_tokens * est.time_per_output_token_seconds
                concurrency = max(1, round(m.request_rate * in_system))
            setup = replace(setup, concurrency=concurrency)
        estimate = estimate_throughput(setup, eff)
    except DomainError as error:
        return Prediction(m, None, 0.0, str(error))
    if m.metric == "output_tokens_per_second_per_gpu":
        value = estimate.output_tokens_per_second_per_gpu
    elif m.metric == "output_tokens_per_second_per_user":
        value = estimate.output_tokens_per_second / estimate.concurrency
    elif m.metric == "time_to_first_token_seconds":
        value = estimate.time_to_first_token_seconds
    else:
        value = estimate.time_per_output_token_seconds
    return Prediction(m, estimate, value, tensor_parallel=setup.gpu_count)


# ----------------------------------------------------------------------------------------------
# Parameters <-> efficiencies


def _logit(x: float) -> float:
    x = min(max(x, 1e-6), 1 - 1e-6)
    return math.log(x / (1 - x))


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


@dataclass(frozen=True)
class ParameterSpace:
    """Which efficiencies a fit moves, in an unconstrained space.

    Fractions (MBU, MFU, link efficiency) go through a logit, times and factors through a log, so
    the search can roam freely and the result stays physical (fractions in (0, 1), times > 0).
    """

    names: tuple[str, ...]

    def encode(self, eff: Efficiencies) -> list[float]:
        return [self._get(eff, name) for name in self.names]

    def decode(self, base: Efficiencies, vector: Sequence[float]) -> Efficiencies:
        values = dict(zip(self.names, vector, strict=True))
        changes: dict[str, object] = {}
        for name in ("decode_mbu", "decode_mfu", "prefill_mfu"):
            if name in values:
                changes[name] = _sigmoid(values[name])
        for name in ("step_overhead_s", "per_sequence_overhead_s"):
            if name in values:
                changes[name] = math.exp(values[name])
        comm = dict(base.tp_comm)
        for kind in COMM_KINDS:
            current = comm.get(kind, CommEfficiency(20e-6, 0.5))
            latency = values.get(f"{kind}.latency_s")
            bandwidth = values.get(f"{kind}.bandwidth_efficiency")
            if latency is not None or bandwidth is not None:
                comm[kind] = CommEfficiency(
                    latency_s=math.exp(latency) if latency is not None else current.latency_s,
                    bandwidth_efficiency=_sigmoid(bandwidth) if bandwidth is not None else current.bandwidth_efficiency,
                )
        changes["tp_comm"] = comm
        factors = dict(base.precision_factor)
        for name, value in values.items():
            if name.startswith("precision_factor."):
                for precision in _PRECISION_GROUPS.get(name.split(".", 1)[1], ()):
                    factors[precision] = math.exp(value)
        changes["precision_factor"] = factors
        return replace(base, **changes)  # type: ignore[arg-type]

    def prior_weights(self) -> list[float]:
        """Relative pull of the prior per parameter: strong where the rows barely constrain it."""
        weights = []
        for name in self.names:
            if name == "step_overhead_s":
                weights.append(50.0)  # confounded with MBU when no batch-1 decode rows exist
            elif name.endswith(".latency_s"):
                weights.append(5.0)
            else:
                weights.append(1.0)
        return weights

    @staticmethod
    def _get(eff: Efficiencies, name: str) -> float:
        if name in ("decode_mbu", "decode_mfu", "prefill_mfu"):
            return _logit(float(getattr(eff, name)))
        if name in ("step_overhead_s", "per_sequence_overhead_s"):
            return math.log(float(getattr(eff, name)))
        if name.startswith("precision_factor."):
            return math.log(eff.precision_factor.get(name.split(".", 1)[1], 1.0))  # type: ignore[call-overload]
        kind, attribute = name.split(".")
        comm = eff.tp_comm.get(kind, CommEfficiency(20e-6, 0.5))  # type: ignore[call-overload]
        if attribute == "latency_s":
            return math.log(comm.latency_s)
        return _logit(comm.bandwidth_efficiency)


# BF16 and FP16 run on the same tensor cores at the same rate: one factor for both.
_PRECISION_GROUPS: dict[str, tuple[Precision, ...]] = {
    "fp16": ("fp16", "bf16"),
    "fp8": ("fp8",),
    "int8": ("int8",),
    "fp4": ("fp4",),
    "int4": ("int4",),
    "fp32": ("fp32",),
}
_PRECISION_GROUP_OF: dict[str, str] = {p: group for group, members in _PRECISION_GROUPS.items() for p in members}

CORE_PARAMETERS = ("decode_mbu", "decode_mfu", "prefill_mfu", "step_overhead_s", "per_sequence_overhead_s")


def parameters_for(
    rows: Sequence[Measurement], gpus: Mapping[str, GpuSpec], reference_precision: Precision = "fp8"
) -> ParameterSpace:
    """Core efficiencies, plus a link's parameters and a precision factor only where rows exercise them."""
    names: list[str] = list(CORE_PARAMETERS)
    kinds: dict[CommKind, int] = {}
    precisions: dict[str, int] = {}
    for m in rows:
        if m.gpu_count > 1 or (m.tensor_parallel or 1) > 1:
            kind = comm_kind_for(gpus[m.gpu_id])
            kinds[kind] = kinds.get(kind, 0) + 1
        group = _PRECISION_GROUP_OF.get(m.precision, m.precision)
        precisions[group] = precisions.get(group, 0) + 1
    for kind in COMM_KINDS:
        if kinds.get(kind, 0) >= 3:
            names += [f"{kind}.latency_s", f"{kind}.bandwidth_efficiency"]
    for precision, count in sorted(precisions.items()):
        if precision != reference_precision and count >= 3:
            names.append(f"precision_factor.{precision}")
    return ParameterSpace(tuple(names))


# ----------------------------------------------------------------------------------------------
# Loss and search


def huber(x: float, delta: float = 0.25) -> float:
    a = abs(x)
    return 0.5 * a * a if a <= delta else delta * (a - 0.5 * delta)


# An engine's scheduling facts (batch cap, KV reservation) rather than fitted efficiencies: a pooled
# fit across engines keeps each row's own.
Structure = Mapping[Engine, tuple[int, float]]


def with_structure(eff: Efficiencies, engine: Engine, structure: Structure | None) -> Efficiencies:
    if structure is None or engine not in structure:
        return eff
    cap, reserve = structure[engine]
    return replace(eff, max_batch=cap, kv_output_reservation=reserve)


def loss(
    rows: Sequence[Measurement],
    gpus: Mapping[str, GpuSpec],
    models: Mapping[str, ModelArchitecture],
    eff: Efficiencies,
    structure: Structure | None = None,
) -> float:
    """Weighted robust loss on log(predicted / measured); unestimable rows cost a fixed penalty."""
    total = 0.0
    per_engine = {engine: with_structure(eff, engine, structure) for engine in {m.engine for m in rows}}
    for m in rows:
        p = predict(m, gpus, models, per_engine[m.engine])
        if p.predicted > 0:
            total += m.weight * huber(math.log(p.predicted / m.measured))
        else:
            total += m.weight * huber(3.0)
    return total


def nelder_mead(
    f: Callable[[Sequence[float]], float],
    start: Sequence[float],
    step: float = 0.4,
    iterations: int = 600,
    tolerance: float = 1e-7,
) -> tuple[list[float], float]:
    """Minimise f from `start` (standard Nelder-Mead: reflect, expand, contract, shrink)."""
    n = len(start)
    simplex = [list(start)]
    for i in range(n):
        point = list(start)
        point[i] += step
        simplex.append(point)
    values = [f(p) for p in simplex]
    for _ in range(iterations):
        order = sorted(range(n + 1), key=values.__getitem__)
        simplex = [simplex[i] for i in order]
        values = [values[i] for i in order]
        if abs(values[-1] - values[0]) <= tolerance * (abs(values[0]) + tolerance):
            break
        centroid = [sum(p[j] for p in simplex[:-1]) / n for j in range(n)]
        worst = simplex[-1]
        reflected = [c + (c - w) for c, w in zip(centroid, worst, strict=True)]
        fr = f(reflected)
        if fr < values[0]:
            expanded = [c + 2 * (c - w) for c, w in zip(centroid, worst, strict=True)]
            fe = f(expanded)
            simplex[-1], values[-1] = (expanded, fe) if fe < fr else (reflected, fr)
        elif fr < values[-2]:
            simplex[-1], values[-1] = reflected, fr
        else:
            if fr < values[-1]:
                contracted = [c + 0.5 * (r - c) for c, r in zip(centroid, reflected, strict=True)]
            else:
                contracted = [c + 0.5 * (w - c) for c, w in zip(centroid, worst, strict=True)]
            fc = f(contracted)
            if fc < min(fr, values[-1]):
                simplex[-1], values[-1] = contracted, fc
            else:
                best = simplex[0]
                simplex = [best] + [[b + 0.5 * (x - b) for b, x in zip(best, p, strict=True)] for p in simplex[1:]]
                values = [values[0]] + [f(p) for p in simplex[1:]]
    best_index = min(range(n + 1), key=values.__getitem__)
    return simplex[best_index], values[best_index]


@dataclass(frozen=True)
class FitResult:
    efficiencies: Efficiencies
    loss: float
    rows: int
    parameters: tuple[str, ...]
    evaluations: int = 0


def fit_engine(
    rows: Sequence[Measurement],
    gpus: Mapping[str, GpuSpec],
    models: Mapping[str, ModelArchitecture],
    start: Efficiencies,
    *,
    prior: Efficiencies | None = None,
    prior_strength: float = 0.0,
    batch_caps: Sequence[int] = (),
    space: ParameterSpace | None = None,
    structure: Structure | None = None,
    restarts: int = 2,
    iterations: int = 500,
) -> FitResult:
    """Fit `start`'s efficiencies to `rows` (flagged and skipped rows are ignored).

    The loss is the weighted Huber loss of log(estimate / measured) plus
    `prior_strength × Σ (θ − θ_prior)²` in the unconstrained space, which keeps engines with few
    rows near the pooled fit. The engine's batch cap is chosen from `batch_caps` (when given) by
    refitting at each candidate. With `structure`, each row keeps its own engine's batch cap and
    KV reservation (a pooled fit across engines).
    """
    usable = [m for m in rows if not m.skip and not m.flag]
    space = space or parameters_for(usable, gpus)
    prior_vector = space.encode(prior) if prior is not None else None
    prior_weights = space.prior_weights()
    evaluations = 0

    def objective(base: Efficiencies) -> Callable[[Sequence[float]], float]:
        def f(vector: Sequence[float]) -> float:
            nonlocal evaluations
            evaluations += 1
            value = loss(usable, gpus, models, space.decode(base, vector), structure)
            if prior_vector is not None and prior_strength > 0:
                value += prior_strength * sum(
                    w * (a - b) ** 2 for w, a, b in zip(prior_weights, vector, prior_vector, strict=True)
                )
            return value

        return f

    best: tuple[float, Efficiencies] | None = None
    for cap in batch_caps or (start.max_batch,):
        base = replace(start, max_batch=cap)
        f = objective(base)
        vector, value = space.encode(base), math.inf
        for attempt in range(restarts):
            vector, value = nelder_mead(f, vector, step=0.5 / (attempt + 1), iterations=iterations)
        candidate = space.decode(base, vector)
        if best is None or value < best[0]:
            best = (value, candidate)
    assert best is not None
    return FitResult(best[1], best[0], len(usable), space.names, evaluations)


# ----------------------------------------------------------------------------------------------
# Scores and report tables


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


# ----------------------------------------------------------------------------------------------
# The whole calibration: pooled fit, per-engine fits, hold-out check, error bands

FITTED_ENGINES: tuple[Engine, ...] = ("tensorrt-llm", "vllm", "sglang")
# Candidate batch caps per engine (its own documented default among them).
BATCH_CAPS: dict[Engine, tuple[int, ...]] = {
    "tensorrt-llm": (1024, 2048, 4096),
    "vllm": (256, 512, 1024),
    "sglang": (256, 512, 1024),
    "generic": (256,),
}
# Pull of the prior, per parameter, in loss units (one fixed-length row off by e^0.25 costs ~0.03).
PRIOR_STRENGTH_POOLED = 0.02  # towards the documented defaults
PRIOR_STRENGTH_ENGINE = 0.3  # towards the pooled fit
MINIMUM_ENGINE_ROWS = 3


@dataclass(frozen=True)
class EngineFit:
    engine: Engine
    efficiencies: Efficiencies  # with error bands, coverage and source filled in
    rows: int  # rows the fit used (0: inherited from the pooled fit)
    parameters: tuple[str, ...]
    in_sample: Score
    heldout: Score


@dataclass(frozen=True)
class Calibration:
    date: str
    fits: dict[Engine, EngineFit]
    measurements: tuple[Measurement, ...]
    predictions: tuple[Prediction, ...]  # every row, by its engine's fitted efficiencies
    heldout: tuple[Prediction, ...]  # every row, by a fit that did not see its configuration
    folds: int


def fit_all(
    rows: Sequence[Measurement],
    gpus: Mapping[str, GpuSpec],
    models: Mapping[str, ModelArchitecture],
    defaults: Mapping[Engine, Efficiencies],
    *,
    caps: Mapping[Engine, int] | None = None,
    restarts: int = 2,
    iterations: int = 400,
    progress: Callable[[str], None] | None = None,
) -> tuple[dict[Engine, Efficiencies], dict[Engine, FitResult]]:
    """Pooled ("generic") fit on every row, then one fit per engine family pulled towards it.

    `caps` fixes each engine's batch cap (the hold-out folds reuse the full fit's); otherwise it is
    chosen from `BATCH_CAPS`.
    """
    usable = [m for m in rows if not m.skip and not m.flag]
    structure = {engine: (defaults[engine].max_batch, defaults[engine].kv_output_reservation) for engine in defaults}
    if caps:
        structure = {engine: (caps.get(engine, cap), reserve) for engine, (cap, reserve) in structure.items()}
    if progress:
        progress(f"pooled fit on {len(usable)} rows")
    pooled = fit_engine(
        usable,
        gpus,
        models,
        defaults["generic"],
        prior=defaults["generic"],
        prior_strength=PRIOR_STRENGTH_POOLED,
        structure=structure,
        restarts=restarts,
        iterations=iterations,
    )
    generic = replace(pooled.efficiencies, max_batch=structure["generic"][0])
    fitted: dict[Engine, Efficiencies] = {"generic": generic}
    results: dict[Engine, FitResult] = {"generic": pooled}
    for engine in FITTED_ENGINES:
        engine_rows = [m for m in usable if m.engine == engine]
        start = replace(
            generic, engine=engine, max_batch=structure[engine][0], kv_output_reservation=structure[engine][1]
        )
        if len(engine_rows) < MINIMUM_ENGINE_ROWS:
            fitted[engine] = start
            results[engine] = FitResult(start, 0.0, 0, ())
            continue
        if progress:
            progress(f"{engine} fit on {len(engine_rows)} rows")
        result = fit_engine(
            engine_rows,
            gpus,
            models,
            start,
            prior=start,
            prior_strength=PRIOR_STRENGTH_ENGINE,
            batch_caps=(structure[engine][0],) if caps else BATCH_CAPS[engine],
            restarts=restarts,
            iterations=iterations,
        )
        fitted[engine] = result.efficiencies
        results[engine] = result
    return fitted, results


def calibrate(
    rows: Sequence[Measurement],
    gpus: Mapping[str, GpuSpec],
    models: Mapping[str, ModelArchitecture],
    defaults: Mapping[Engine, Efficiencies],
    *,
    date: str,
    folds: int = 5,
    progress: Callable[[str], None] | None = None,
) -> Calibration:
    """Fit every engine family, check the fit on held-out configurations, attach error bands."""
    fitted, results = fit_all(rows, gpus, models, defaults, progress=progress)
    caps = {engine: eff.max_batch for engine, eff in fitted.items()}
    scored = [m for m in rows if not m.skip]

    def engine_for(m: Measurement, fits: Mapping[Engine, Efficiencies]) -> Efficiencies:
        return fits.get(m.engine, fits["generic"])

    in_sample = [predict(m, gpus, models, engine_for(m, fitted)) for m in scored]
    in_sample_generic = [predict(m, gpus, models, fitted["generic"]) for m in scored]
    heldout: dict[str, Prediction] = {}
    heldout_generic: dict[str, Prediction] = {}
    for fold in range(folds):
        train = [m for m in rows if fold_of(m, folds) != fold]
        test = [m for m in scored if fold_of(m, folds) == fold]
        if not test:
            continue
        if progress:
            progress(f"hold-out fold {fold + 1}/{folds}: fit on {len(train)} rows, check {len(test)}")
        fold_fits, _ = fit_all(train, gpus, models, defaults, caps=caps, restarts=1, iterations=300)
        for m in test:
            heldout[m.id] = predict(m, gpus, models, engine_for(m, fold_fits))
            heldout_generic[m.id] = predict(m, gpus, models, fold_fits["generic"])
    heldout_rows = [heldout[m.id] for m in scored if m.id in heldout]

    generic_heldout = [heldout_generic[m.id] for m in scored if m.id in heldout_generic]
    generic_bands = error_bands(in_sample_generic, generic_heldout)
    fits: dict[Engine, EngineFit] = {}
    for engine in (*FITTED_ENGINES, "generic"):
        if engine == "generic":
            mine = in_sample_generic
            mine_heldout = generic_heldout
            covered = list(rows)
        else:
            mine = [p for p in in_sample if p.measurement.engine == engine]
            mine_heldout = [p for p in heldout_rows if p.measurement.engine == engine]
            covered = [m for m in rows if m.engine == engine]
        result = results[engine]
        bands = error_bands(mine, mine_heldout) if engine != "generic" else generic_bands
        if engine != "generic":
            bands = widen_thin_bands(bands, generic_bands)
        usable_count = sum(1 for m in covered if not m.skip and not m.flag)
        source = (
            f"fit {date} on {usable_count} {engine} rows"
            if engine != "generic"
            else f"fit {date} on {usable_count} rows of all engines (pooled)"
        )
        if result.rows == 0 and engine != "generic":
            source = f"fit {date}: pooled efficiencies (only {usable_count} {engine} rows)"
        efficiencies = replace(
            fitted[engine],
            error_bands=bands,
            coverage=coverage_of(covered, gpus, models),
            source=source,
        )
        fits[engine] = EngineFit(
            engine=engine,
            efficiencies=efficiencies,
            rows=result.rows,
            parameters=result.parameters,
            in_sample=score(p for p in mine if not p.measurement.flag),
            heldout=score(p for p in mine_heldout if not p.measurement.flag),
        )
    return Calibration(
        date=date,
        fits=fits,
        measurements=tuple(rows),
        predictions=tuple(in_sample),
        heldout=tuple(heldout_rows),
        folds=folds,
    )


# ----------------------------------------------------------------------------------------------
