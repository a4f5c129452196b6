"""The serving-throughput estimator's vocabulary and its uncalibrated defaults (DESIGN §3.4).

What an engine achieves against the hardware roofline (`Efficiencies`), how far an estimate can be
trusted (`ErrorBand`, `Coverage`), and the documented starting points used before calibration.
`app/calibration/` fits these values on published measurements; `app/catalog/efficiencies.toml`
freezes them; `app.core.throughput` consumes them. Pure values: no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from app.core.units import Precision

Engine = Literal["vllm", "sglang", "tensorrt-llm", "generic"]
ENGINES: tuple[Engine, ...] = ("vllm", "sglang", "tensorrt-llm", "generic")

# How tensor-parallel traffic moves between the GPUs of one replica. GPUs whose catalog entry says
# "none" (no scale-up fabric, e.g. L40S) or "pcie" all-reduce over PCIe through the host.
CommKind = Literal["nvlink", "infinity_fabric", "pcie", "ethernet"]
COMM_KINDS: tuple[CommKind, ...] = ("nvlink", "infinity_fabric", "pcie", "ethernet")

# Regimes an error band can be fitted for.
Regime = Literal["max_throughput", "fixed_concurrency", "latency"]
REGIMES: tuple[Regime, ...] = ("max_throughput", "fixed_concurrency", "latency")

# Fraction of GPU memory an engine lets itself use (vLLM `gpu_memory_utilization` defaults to 0.9;
# TensorRT-LLM's `kv_cache_free_gpu_mem_fraction` to 0.9 of what the weights leave).
DEFAULT_MEMORY_FRACTION = 0.9


@dataclass(frozen=True)
class CommEfficiency:
    """Tensor-parallel all-reduce cost on one kind of link.

    `latency_s` is the fixed cost of one all-reduce (kernel launch, synchronisation; dominates at
    small batch); `bandwidth_efficiency` the achieved fraction of the link's per-direction bandwidth
    for the ring algorithm's `2·(N−1)/N · message` bytes.
    """

    latency_s: float
    bandwidth_efficiency: float


@dataclass(frozen=True)
class ErrorBand:
    low_factor: float  # measured/estimate lower bound, e.g. 0.75
    high_factor: float  # e.g. 1.3
    median_abs_pct_error: float
    rows: int  # calibration rows behind this band (0 = extrapolated)
    extrapolated: bool
    reasons: tuple[str, ...]  # why extrapolated, e.g. "no calibration rows for gaudi3"


@dataclass(frozen=True)
class Coverage:
    """What the calibration rows behind a set of efficiencies spanned.

    An estimate outside it (another GPU, precision, larger TP, an architecture feature no row had)
    is flagged as extrapolated, and its error band widened.
    """

    gpus: frozenset[str] = frozenset()
    precisions: frozenset[str] = frozenset()
    max_gpu_count: int = 0
    features: frozenset[str] = frozenset()  # "moe", "mla", "sliding_window"


@dataclass(frozen=True)
class Efficiencies:
    """How close an engine gets to the hardware roofline.

    decode_mbu: fraction of peak memory bandwidth achieved by a decode step (weights + KV read).
    decode_mfu: fraction of dense peak FLOP/s achieved by a compute-bound decode step.
    prefill_mfu: fraction of dense peak FLOP/s achieved by prefill.
    step_overhead_s: fixed seconds per decode step (scheduling, kernel launches, sampling).
    per_sequence_overhead_s: seconds per decode step per sequence in the batch (per-request
        bookkeeping that grows with the batch).
    tp_comm: all-reduce cost per interconnect kind.
    max_batch: the engine's cap on sequences in flight.
    memory_fraction: share of GPU memory the engine uses for weights and KV cache.
    kv_output_reservation: share of a request's output tokens whose KV cache the scheduler keeps
        reserved while it runs. 0.5 counts the average in-flight context (input + output/2: engines
        that allocate pages on demand and preempt, like vLLM); 1.0 reserves the full context at
        admission (TensorRT-LLM's default GUARANTEED_NO_EVICT scheduler).
    precision_factor: multiplies MBU and MFU for the weights at a precision (kernel maturity:
        dequantisation overhead, less tuned low-precision kernels); 1.0 where absent. KV-cache
        reads are not affected.
    error_bands: fitted measured/estimate band per regime ("max_throughput", ...).
    coverage: what the calibration rows spanned; None for uncalibrated defaults.
    """

    engine: Engine
    decode_mbu: float
    decode_mfu: float
    prefill_mfu: float
    step_overhead_s: float
    per_sequence_overhead_s: float
    tp_comm: Mapping[CommKind, CommEfficiency]
    max_batch: int
    memory_fraction: float = DEFAULT_MEMORY_FRACTION
    kv_output_reservation: float = 0.5
    precision_factor: Mapping[Precision, float] = field(default_factory=dict)
    error_bands: Mapping[Regime, ErrorBand] = field(default_factory=dict)
    coverage: Coverage | None = None
    source: str = "default (uncalibrated)"


# Uncalibrated starting points, from the reference data's README ("What the measurements say"):
# decode bandwidth use 0.5–0.8, prefill 40–70% of peak on one GPU, NVLink all-reduce ~10 µs.
DEFAULT_COMM: dict[CommKind, CommEfficiency] = {
    "nvlink": CommEfficiency(latency_s=10e-6, bandwidth_efficiency=0.6),
    "infinity_fabric": CommEfficiency(latency_s=15e-6, bandwidth_efficiency=0.5),
    "pcie": CommEfficiency(latency_s=30e-6, bandwidth_efficiency=0.4),
    "ethernet": CommEfficiency(latency_s=40e-6, bandwidth_efficiency=0.4),
}


def _default(
    engine: Engine, mbu: float, mfu: float, prefill: float, t_fixed: float, cap: int, reserve: float = 0.5
) -> Efficiencies:
    return Efficiencies(
        engine=engine,
        decode_mbu=mbu,
        decode_mfu=mfu,
        prefill_mfu=prefill,
        step_overhead_s=t_fixed,
        per_sequence_overhead_s=2e-6,
        tp_comm=dict(DEFAULT_COMM),
        max_batch=cap,
        kv_output_reservation=reserve,
    )


DEFAULT_EFFICIENCIES: dict[Engine, Efficiencies] = {
    "vllm": _default("vllm", 0.6, 0.45, 0.5, 4e-3, 256),
    "sglang": _default("sglang", 0.65, 0.45, 0.5, 3e-3, 512),
    "tensorrt-llm": _default("tensorrt-llm", 0.7, 0.5, 0.55, 2e-3, 2048, reserve=1.0),
    "generic": _default("generic", 0.6, 0.45, 0.5, 3e-3, 256),
}

UNCALIBRATED_BAND = ErrorBand(
    low_factor=0.5,
    high_factor=2.0,
    median_abs_pct_error=35.0,
    rows=0,
    extrapolated=True,
    reasons=("efficiencies are uncalibrated defaults",),
)
