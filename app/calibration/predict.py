"""One calibration row through the throughput estimator: the figure it predicts, in the row's unit.

Pure logic, no I/O. A row that gives no TP degree gets the smallest that fits (capped by the GPUs it
used); a row that ran attention data-parallel or expert-parallel is estimated with that split
(app/core/parallelism.py); a row measured under Poisson arrivals gets its concurrency from Little's law.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace

from app.calibration.measurements import Measurement
from app.core.efficiencies import Efficiencies
from app.core.errors import DomainError
from app.core.memory import smallest_fitting_gpu_count
from app.core.specs import GpuSpec, ModelArchitecture
from app.core.throughput import ServingSetup, ThroughputEstimate, estimate_throughput


@dataclass(frozen=True)
class Prediction:
    measurement: Measurement
    estimate: ThroughputEstimate | None
    predicted: float  # in the measurement's unit; 0 when not estimable
    error: str = ""  # why it could not be estimated
    tensor_parallel: int = 0  # GPUs of the replica the estimate used (attention DP × TP)

    @property
    def ratio(self) -> float:
        """measured / predicted."""
        return self.measurement.measured / self.predicted if self.predicted > 0 else math.inf

    @property
    def abs_pct_error(self) -> float:
        """|predicted − measured| / measured, in percent."""
        return abs(self.predicted - self.measurement.measured) / self.measurement.measured * 100.0


def setup_for(m: Measurement, gpu: GpuSpec, model: ModelArchitecture) -> ServingSetup:
    """The setup a row ran: its replica, precisions, lengths, concurrency or SLO, and its parallel split."""
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
        # The row's own split: its attention DP ranks share the replica's GPUs (T = N / D).
        tensor_parallel=tp // m.attention_data_parallel,
        expert_parallel=m.expert_parallel,
        attention_data_parallel=m.attention_data_parallel,
        parallelism_reason="as measured",
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
        setup = setup_for(m, gpus[m.gpu_id], models[m.model_id])
        if m.request_rate is not None:
            # Poisson arrivals: concurrency ≈ rate × time in system (Little's law), iterated.
            concurrency = 1
            for _ in range(6):
                est = estimate_throughput(replace(setup, concurrency=concurrency), eff)
                in_system = est.end_to_end_seconds
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
