"""Error bands of the throughput estimate: the fitted band for a setup's engine and regime, widened and
flagged when the setup lies outside what the calibration rows cover (app/calibration/). Pure: no I/O.

Moved out of app.core.throughput (which still exports these names) to keep it under the line limit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from app.core.efficiencies import UNCALIBRATED_BAND, Efficiencies, ErrorBand, Regime
from app.core.specs import ModelArchitecture

# The coverage feature a fit records when it modelled its expert-parallel / attention-DP rows as run.
EXPERT_PARALLEL_FEATURE = "expert_parallel"

if TYPE_CHECKING:
    from app.core.throughput import ServingSetup


def setup_features(model: ModelArchitecture) -> frozenset[str]:
    features = set()
    if model.is_moe:
        features.add("moe")
    if model.uses_mla:
        features.add("mla")
    if model.sliding_window > 0 and model.sliding_window_layers > 0:
        features.add("sliding_window")
    # No calibration row has these yet (issue 15's new models): the band widens and says so.
    if model.uses_linear_attention:
        features.add("linear_attention")
    if model.uses_sparse_attention:
        features.add("sparse_attention")
    return frozenset(features)


def regime_of(setup: ServingSetup) -> Regime:
    return "max_throughput" if setup.concurrency is None else "fixed_concurrency"


def error_band_for(setup: ServingSetup, efficiencies: Efficiencies, regime: Regime | None = None) -> ErrorBand:
    """The fitted error band for this setup's engine and regime, widened and flagged when extrapolating."""
    regime = regime or regime_of(setup)
    coverage = efficiencies.coverage
    if coverage is None or not efficiencies.error_bands:
        return UNCALIBRATED_BAND
    band = efficiencies.error_bands.get(regime) or efficiencies.error_bands.get("max_throughput")
    if band is None:
        return UNCALIBRATED_BAND
    reasons: list[str] = list(band.reasons)
    if band.rows == 0:
        reasons.append(f"no {regime.replace('_', ' ')} calibration rows for {efficiencies.engine}")
    if setup.gpu.id not in coverage.gpus:
        reasons.append(f"no calibration rows for {setup.gpu.id} with {efficiencies.engine}")
    if setup.precision not in coverage.precisions:
        reasons.append(f"no calibration rows for {setup.precision} weights with {efficiencies.engine}")
    elif setup.precision == "fp4" and setup.gpu.dense_tflops.get("fp4", 0.0) <= 0:
        # The fp4 rows behind the fit ran on Blackwell's FP4 tensor cores; on Hopper/Ampere MXFP4 is
        # weight-only dequantisation, which the 2026-11 rows (gpt-oss, TensorRT-LLM, H100/H200) show
        # 1.9-2.6x slower than Blackwell-fitted figures predict (issue 15).
        reasons.append(
            f"fp4 weights on {setup.gpu.id} run weight-only (no FP4 tensor cores); fitted on Blackwell FP4 only"
        )
    if setup.gpu_count > coverage.max_gpu_count:
        reasons.append(f"no calibration rows above {coverage.max_gpu_count} GPUs per replica")
    for feature in sorted(setup_features(setup.model) - coverage.features):
        reasons.append(f"no calibration rows for {feature.replace('_', '-')} models")
    if not setup.parallelism.is_plain_tensor_parallel and EXPERT_PARALLEL_FEATURE not in coverage.features:
        # Only a fit with rows estimated as run with attention DP / EP (app/calibration/predict.py passes each
        # row's split) records EXPERT_PARALLEL_FEATURE: in the committed fit, TensorRT-LLM's (the 2026-11 file's
        # DEP rows; docs/estimator-accuracy.md) and the pooled generic fit; vLLM's and SGLang's have no such row,
        # so their DP/EP setups stay flagged.
        reasons.append("no calibration rows fitted with attention data-parallel / expert-parallel serving")
    if not reasons:
        return band
    # Each reason to extrapolate widens the band by a further 25% on each side.
    widen = 1.25 ** max(len(reasons) - len(band.reasons), 1)
    return ErrorBand(
        low_factor=band.low_factor / widen,
        high_factor=band.high_factor * widen,
        median_abs_pct_error=band.median_abs_pct_error,
        rows=band.rows,
        extrapolated=True,
        reasons=tuple(dict.fromkeys(reasons)),
    )
