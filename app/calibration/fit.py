"""The fit of the throughput estimator's efficiencies (issue #3), pure logic, no I/O.

`fit_engine` fits the few global efficiencies of one engine family by minimising a robust (Huber)
loss on log(estimate / measured) with a Nelder-Mead search written here, pulled towards a prior (the
pooled fit) so that engines with few rows stay physical; `calibrate` runs the whole fit with held-out
folds. Predicting a row is `app.calibration.predict`; scoring predictions and turning them into error
bands is `app.calibration.score`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

from app.calibration.measurements import Measurement
from app.calibration.predict import Prediction, predict
from app.calibration.score import BandCheck, Score, band_checks, coverage_of, error_bands, fold_of, score
from app.core.efficiencies import COMM_KINDS, CommEfficiency, CommKind, Efficiencies, Engine
from app.core.specs import GpuSpec, ModelArchitecture
from app.core.throughput import comm_kind_for
from app.core.units import Precision

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
    # Each held-out fixed-length row against the band built from the other folds' held-out rows.
    band_checks: tuple[BandCheck, ...] = ()


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
    # Bands come from held-out residuals (score.error_bands). Only with no hold-out check (`--folds 0`, for
    # quick trials) do they fall back on in-sample residuals, which understate the spread.
    generic_bands = error_bands(generic_heldout or in_sample_generic)
    pooled_heldout = heldout_rows or in_sample
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
        bands = (
            error_bands(mine_heldout if heldout_rows else mine, pooled_heldout)
            if engine != "generic"
            else generic_bands
        )
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
        band_checks=tuple(band_checks(heldout_rows, folds)) if folds > 1 else (),
    )
