"""The estimate never claims a decode step faster than physics allows on a real H200 (issue 15).

`../shared/data/h200-decode-floor.jsonl` holds decode steps measured on one H200 with stock PyTorch kernels
(fields in ../shared/data/README.md). For every "step" row the same setup (model, precision, batch, context,
1 × H200) goes through the estimator with every engine's committed efficiencies and the uncalibrated
defaults, and its decode step must be at least the physical bound: the row's bytes (weights + KV) over the
read bandwidth the device row measured (`read_sum_TBps`), or its FLOPs over the measured matmul peak for its
precision, whichever is longer. Rows whose weights and KV cannot be served by one H200 (the 70B in bf16; the
large-batch 4k-context rows, whose KV the measurement reused across layers) are not estimable there and are
skipped, counted below so the test notices if that changes. The estimate ÷ measured step is tabulated in
docs/estimator-accuracy.md ("Issue 15: expert parallelism, FP4 on Hopper and the H200 floor").
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass
from pathlib import Path

import pytest

from app.catalog.efficiencies import efficiencies_for
from app.catalog.loader import load_catalog
from app.core.efficiencies import DEFAULT_EFFICIENCIES, ENGINES, Efficiencies
from app.core.errors import DomainError
from app.core.throughput import ServingSetup, estimate_throughput
from app.core.units import Precision

# The bundled copy (bench/calibration/README.md), so the check runs wherever the repository does; the reference
# file beside the checkout, where mounted, must still be the same bytes.
FLOOR = Path(__file__).resolve().parents[1] / "bench" / "calibration" / "h200-decode-floor.jsonl"
REFERENCE_FLOOR = Path(__file__).resolve().parents[2] / "shared" / "data" / "h200-decode-floor.jsonl"


def test_the_bundled_floor_is_the_reference_file() -> None:
    if not REFERENCE_FLOOR.exists():
        pytest.skip("reference data not mounted")
    assert FLOOR.read_bytes() == REFERENCE_FLOOR.read_bytes()


@dataclass(frozen=True)
class FloorStep:
    model: str
    precision: Precision
    batch: int
    context: int
    step_s: float
    bytes_read: float  # weights + KV, bytes
    flops: float  # the FLOPs the measurement counted (achieved_TFLOPs × step)


@dataclass(frozen=True)
class Device:
    read_bytes_per_s: float
    matmul_flops_per_s: dict[str, float]


def _load() -> tuple[Device, list[FloorStep]]:
    rows = [json.loads(line) for line in FLOOR.read_text().splitlines() if line.strip()]
    device_row = next(r for r in rows if r["kind"] == "device")
    device = Device(
        read_bytes_per_s=device_row["read_sum_TBps"] * 1e12,
        matmul_flops_per_s={
            "bf16": device_row["matmul_bf16_TFLOPs"] * 1e12,
            "fp8": device_row["matmul_fp8_TFLOPs"] * 1e12,
        },
    )
    steps = [
        FloorStep(
            model=r["model"],
            precision=r["precision"],
            batch=r["batch"],
            context=r["context"],
            step_s=r["step_ms"] / 1e3,
            bytes_read=(r["weights_gb"] + r["kv_gb"]) * 1e9,
            flops=r["achieved_TFLOPs"] * 1e12 * r["step_ms"] / 1e3,
        )
        for r in rows
        if r["kind"] == "step"
    ]
    return device, steps


DEVICE, STEPS = _load()


def _bound_s(step: FloorStep) -> float:
    return max(step.bytes_read / DEVICE.read_bytes_per_s, step.flops / DEVICE.matmul_flops_per_s[step.precision])


def _estimated_step_s(step: FloorStep, efficiencies: Efficiencies) -> float | None:
    """The estimate's decode step for the row's setup; None where one H200 cannot serve it at that batch."""
    catalog = load_catalog()
    # decode context = input + generated // 2 = (context − 1) + 1 = the row's context.
    setup = ServingSetup(
        model=catalog.models[step.model],
        gpu=catalog.gpus["h200-sxm"],
        gpu_count=1,
        precision=step.precision,
        kv_cache_precision="bf16",
        engine=efficiencies.engine,
        input_tokens=step.context - 1,
        output_tokens=2,
        concurrency=step.batch,
    )
    try:
        estimate = estimate_throughput(setup, efficiencies)
    except DomainError:
        return None
    return estimate.decode_step_seconds if estimate.concurrency == step.batch else None


EFFICIENCIES = [efficiencies_for(engine) for engine in ENGINES] + [DEFAULT_EFFICIENCIES[e] for e in ENGINES]


def test_the_floor_file_has_the_rows_its_readme_describes() -> None:
    assert len(STEPS) == 30
    assert {(s.model, s.precision) for s in STEPS} == {
        ("llama-3.1-8b", "bf16"),
        ("llama-3.1-70b", "bf16"),
        ("llama-3.1-70b", "fp8"),
    }


@pytest.mark.parametrize("efficiencies", EFFICIENCIES, ids=lambda e: e.engine)
def test_no_estimate_beats_the_physical_bound(efficiencies: Efficiencies) -> None:
    estimable = 0
    for step in STEPS:
        estimated = _estimated_step_s(step, efficiencies)
        if estimated is None:
            continue
        estimable += 1
        bound = _bound_s(step)
        assert estimated >= bound, (
            f"{step.model} {step.precision} batch {step.batch} context {step.context}: estimate "
            f"{estimated * 1e3:.2f} ms beats the physical bound {bound * 1e3:.2f} ms"
        )
    # 13 of the 14 8B bf16 rows and 5 of the 8 70B fp8 rows fit one H200 at their batch (at 1,024 tokens
    # a 70B sequence's bf16 KV is 1,025 × 327,680 B = 336 MB, ~193 of them in the ~65 GB the FP8 weights
    # leave); the 70B in bf16 (141 GB of weights) does not fit at all.
    assert estimable == 18


def test_estimate_over_measured_step_table() -> None:
    """The committed TensorRT-LLM fit against the stock-kernel steps. The fit carries a ~3.4 ms fixed step
    overhead (scheduling, sampling) that a CUDA-graph replay of the bare step does not pay, so the estimate
    sits above the measured step (1.07-1.38×, median ~1.3 on this commit), never below the bound (above)."""
    ratios = []
    for step in STEPS:
        estimated = _estimated_step_s(step, efficiencies_for("tensorrt-llm"))
        if estimated is not None:
            ratios.append(estimated / step.step_s)
    assert len(ratios) == 18
    assert 0.5 < statistics.median(ratios) < 1.5
    assert all(0.3 < r < 2.0 for r in ratios)
