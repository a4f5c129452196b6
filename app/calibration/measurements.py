"""Calibration measurements: one published throughput row (the columns of
`throughput-calibration.csv`) interpreted for the estimator: catalog ids, precisions, the engine
family, token lengths (fixed-length rows, or a dataset's approximate means at a lower weight),
concurrency / SLO, and the measured value in the unit the estimator reports. Rows the estimator
cannot represent are kept with a `skip` reason; rows the source itself marks as anomalous are kept
with a `flag` reason and left out of the fit (they are still reported). Pure: no I/O."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from app.core.efficiencies import Engine, Regime
from app.core.units import Precision

Metric = Literal[
    "output_tokens_per_second_per_gpu",
    "output_tokens_per_second_per_user",
    "time_to_first_token_seconds",
    "time_per_output_token_seconds",
]

# Rows with variable-length datasets are fitted with their approximate mean lengths at this weight.
DATASET_WEIGHT = 0.3
# ... and a burst of variable-length prompts (not a steady state) at a further third of that.
BURST_WEIGHT = 1 / 3
# Rows whose source marks a figure as uncertain ("medium-low", "low") count for less.
CONFIDENCE_WEIGHT = {"high": 1.0, "medium": 0.8, "medium-low": 0.5, "low": 0.3}

# CSV names -> catalog ids. Rows naming anything else are skipped (and counted in the report).
GPU_ALIASES: dict[str, str] = {
    "h100-sxm-80gb": "h100-sxm",
    "h100-pcie-80gb": "h100-pcie",
    "h100-nvl-94gb": "h100-nvl",
    "h200-sxm-141gb": "h200-sxm",
    "h200-nvl-141gb": "h200-nvl",
    "gh200-120gb": "gh200",
    "gh200-96gb": "gh200",
    "b200-180gb": "b200",
    "gb200-186gb": "gb200",
    "a100-sxm4-80gb": "a100-sxm-80gb",
    "a100-sxm4-40gb": "a100-sxm-40gb",
    "a100-pcie-80gb": "a100-pcie-80gb",
    "a100-pcie-40gb": "a100-pcie-40gb",
    "l40s-48gb": "l40s",
    "l4-24gb": "l4",
    "a10g-24gb": "a10g",
    "a10-24gb": "a10",
    "rtx-4090-24gb": "rtx-4090",
    "rtx-6000-ada-48gb": "rtx-6000-ada",
    "rtx-pro-6000-blackwell-server-96gb": "rtx-pro-6000",
    "mi300x-192gb": "mi300x",
    "mi325x-256gb": "mi325x",
    "mi355x-288gb": "mi355x",
    "t4-16gb": "t4",
}
MODEL_ALIASES: dict[str, str] = {
    "mistral-7b": "mistral-7b",
    "mistral-large-2-123b": "mistral-large-2",
    "llama-4-maverick": "llama-4-maverick",
    "llama-4-scout": "llama-4-scout",
    "deepseek-r1": "deepseek-r1",
    "deepseek-v3": "deepseek-v3",
}

# What the report calls the rows of each bundled measurement file (bench/calibration/README.md); rows of
# any other file given with `breakeven calibrate --csv` go by the file's name.
SOURCE_LABELS: dict[str, str] = {
    "throughput-calibration.csv": "earlier sources",
    "throughput-calibration-2026-11.csv": "2026-11 sources",
}


def source_label(source_file: str) -> str:
    return SOURCE_LABELS.get(source_file, source_file or "unnamed file")


# GPU families for the report.
GPU_FAMILIES: dict[str, str] = {
    "a100": "Ampere",
    "a10": "Ampere",
    "h100": "Hopper",
    "h200": "Hopper",
    "gh200": "Hopper",
    "l40s": "Ada",
    "l4": "Ada",
    "rtx-4090": "Ada",
    "rtx-6000-ada": "Ada",
    "b200": "Blackwell",
    "gb200": "Blackwell",
    "rtx-pro-6000": "Blackwell",
    "mi300x": "AMD CDNA3",
    "mi325x": "AMD CDNA3",
    "mi355x": "AMD CDNA4",
    "gaudi3": "Intel Gaudi",
    "t4": "Turing",
}

# MLPerf latency-constrained scenarios: (p99 TTFT seconds, p99 TPOT seconds) by catalog model id.
# Source: MLPerf Inference rules (Server: llama2-70b 2 s / 200 ms, llama3.1-8b 2 s / 100 ms,
# llama3.1-405b 6 s / 175 ms, mixtral 2 s / 200 ms, deepseek-r1 2 s / 80 ms; Interactive:
# llama2-70b 450 ms / 40 ms, llama3.1-405b 4.5 s / 80 ms, llama3.1-8b 500 ms / 30 ms).
MLPERF_SERVER_SLO: dict[str, tuple[float, float]] = {
    "llama-2-70b": (2.0, 0.2),
    "llama-3.1-8b": (2.0, 0.1),
    "llama-3.1-405b": (6.0, 0.175),
    "mixtral-8x7b": (2.0, 0.2),
    "deepseek-r1": (2.0, 0.08),
}
MLPERF_INTERACTIVE_SLO: dict[str, tuple[float, float]] = {
    "llama-2-70b": (0.45, 0.04),
    "llama-3.1-405b": (4.5, 0.08),
    "llama-3.1-8b": (0.5, 0.03),
}

# Approximate mean (input, output) tokens of the datasets behind variable-length rows.
# ShareGPT via vLLM's benchmark_serving: ~230 in / ~195 out (SGLang's own run derives 194 out);
# MLPerf OpenOrca ~300 / ~290 (the rows' own note); CNN/DailyMail ~780 / 128; the MLPerf Mixtral
# mix ~300 / 146; the 405B long-context mix ~9,000 / 616; the DeepSeek-R1 reasoning mix
# ~1,000 / 3,500.
DATASET_MEANS: tuple[tuple[str, int, int], ...] = (
    ("sharegpt", 230, 195),
    ("openorca", 300, 290),
    ("cnn/dailymail", 780, 128),
    ("mlperf mix", 300, 146),
    ("long-context", 9000, 616),
    ("reasoning", 1000, 3500),
)


@dataclass(frozen=True)
class Measurement:
    """One calibration row, interpreted for the estimator."""

    id: str
    source_group: str
    model_name: str
    gpu_name: str
    model_id: str
    gpu_id: str
    engine: Engine
    engine_label: str
    precision: Precision
    kv_cache_precision: Precision
    gpu_count: int
    # The CSV's TP column: GPUs of one replica (None: the submission's choice; use the smallest that fits).
    # Under attention data-parallelism it is the whole DP × TP group, as the sources write it.
    tensor_parallel: int | None
    input_tokens: int
    output_tokens: int
    fixed_length: bool
    concurrency: int | None
    metric: Metric
    measured: float
    weight: float
    regime: Regime
    engine_batch_cap: int | None = None  # the run's own max-num-seqs
    request_rate: float | None = None  # Poisson arrivals, requests/s
    slo_ttft_s: float | None = None
    slo_tpot_s: float | None = None
    attention_data_parallel: int = 1  # attention data-parallel ranks of the replica, as run
    expert_parallel: int = 1  # expert-parallel groups of the routed experts, as run
    parallelism_note: str = ""  # the row's expert parallel / attention data parallel, as the source gives it
    caveat: str = ""  # what about the measurement makes it less than a steady-state figure
    flag: str = ""  # non-empty: anomalous in the source; reported, not fitted
    skip: str = ""  # non-empty: not estimable; counted, not scored
    notes: str = ""
    source_file: str = ""  # the measurement file the row came from (its name), for per-file figures


# ----------------------------------------------------------------------------------------------
# Interpreting CSV rows


def _slug(text: str) -> str:
    text = re.sub(r"\(.*?\)", "", text).strip().lower()
    return re.sub(r"[\s_]+", "-", text)


def catalog_gpu_id(name: str) -> str:
    slug = _slug(name)
    return GPU_ALIASES.get(slug, slug)


def catalog_model_id(name: str) -> str:
    slug = _slug(name)
    return MODEL_ALIASES.get(slug, slug)


def parse_precision(text: str) -> Precision | None:
    t = text.strip().upper()
    if t.startswith(("FP4", "NVFP4", "MXFP4")):
        return "fp4"
    if t.startswith("INT4"):
        return "int4"
    if t.startswith("FP8"):
        return "fp8"
    if t.startswith("INT8"):
        return "int8"
    if t.startswith("BF16"):
        return "bf16"
    if t.startswith("FP16"):
        return "fp16"
    if t.startswith("FP32"):
        return "fp32"
    return None


def parse_engine(text: str) -> Engine:
    t = text.lower()
    if "tensorrt" in t:
        return "tensorrt-llm"
    if "sglang" in t:
        return "sglang"
    if "vllm" in t:
        return "vllm"
    return "generic"


def _kv_precision(raw: str, weights: Precision, engine: Engine) -> Precision:
    text = raw.strip()
    lowered = text.lower()
    if lowered.startswith("fp4") and "assumed" in lowered:
        # NVIDIA's ModelOpt NVFP4 checkpoints quantise the KV cache to FP8, not FP4.
        return "fp8"
    parsed = parse_precision(text)
    if parsed is not None:
        return parsed
    # Unstated: TensorRT-LLM FP8/FP4 engines use an FP8 cache; vLLM and SGLang default to the
    # activation dtype (BF16) unless told otherwise.
    if engine == "tensorrt-llm" and weights in ("fp8", "fp4"):
        return "fp8"
    return "bf16"


def _int(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() else None


def _dataset_means(isl: str, osl: str, dataset: str) -> tuple[int, int] | None:
    def mean_in(text: str) -> int | None:
        found = re.search(r"~?(\d[\d,]*)(?:\s*-\s*(\d[\d,]*))?\s*mean", text)
        if not found:
            return None
        low = int(found.group(1).replace(",", ""))
        high = int(found.group(2).replace(",", "")) if found.group(2) else low
        return (low + high) // 2

    lowered = dataset.lower()
    default: tuple[int, int] | None = None
    for key, mean_in_tokens, mean_out_tokens in DATASET_MEANS:
        if key in lowered:
            default = (mean_in_tokens, mean_out_tokens)
            break
    if "sharegpt" in (isl + osl).lower() and default is None:
        default = DATASET_MEANS[0][1:]
    found_out = re.search(r"~(\d[\d,]*) output", dataset)
    input_tokens = mean_in(isl) or (default[0] if default else None)
    output_tokens = mean_in(osl) or (int(found_out.group(1).replace(",", "")) if found_out else None)
    if output_tokens is None and default is not None:
        output_tokens = default[1]
    if input_tokens is None or output_tokens is None:
        return None
    return input_tokens, output_tokens


_METRICS: dict[str, tuple[Metric, float]] = {
    "output_tok_s_total": ("output_tokens_per_second_per_gpu", 1.0),
    "output_tok_s_per_gpu": ("output_tokens_per_second_per_gpu", 1.0),
    "output_tok_s_per_user": ("output_tokens_per_second_per_user", 1.0),
    "ttft_ms": ("time_to_first_token_seconds", 1e-3),
    "ttft_ms_median": ("time_to_first_token_seconds", 1e-3),
    "tpot_ms_mean": ("time_per_output_token_seconds", 1e-3),
    "tpot_ms_median": ("time_per_output_token_seconds", 1e-3),
}


def _source_flag(raw: Mapping[str, str], gpu_id: str, tp: int | None) -> str:
    """Rows the source (or the reference data's README) marks as anomalous: reported, not fitted."""
    notes = raw.get("notes", "")
    if gpu_id == "gh200" and tp == 2 and raw.get("source_group", "").startswith("trtllm_perf_overview_v0.13"):
        return "GH200 TP2 in TensorRT-LLM v0.13 is anomalous in the source (below TP1; ~1/5 of TP4 per GPU)"
    if "COULD NOT REPRODUCE" in notes.upper():
        return "user-reported run that did not reproduce the published figure"
    if "UNDER-PERFORMANCE" in notes.upper():
        return "user-reported under-performance (misconfigured run)"
    if "OPEN division" in notes:
        return "MLPerf open division (not comparable)"
    return ""


# How the older file's TensorRT-LLM perf-overview v1.0 MoE rows ran: its `ep_dp` column says only
# "EP/attention-DP per MoE recipe", not the degrees. Decision: plain TP (False), as the committed fit scores
# them. The likely recipe is the max-throughput DEP configuration the 1.2 doc names for the same models
# (`enable_attention_dp`, `moe_expert_parallel_size` = the GPUs; rows X030/X031/X043-X045 of
# throughput-calibration-2026-11.csv), and True models them so; a refit with True on 2026-11-26 made the
# held-out fixed-length median on this file 10.1% -> 12.3% (TP8 rows 11.1% -> 18.2%), so it was not kept
# (docs/estimator-accuracy.md, "Issue 15: refit with each row's own parallel split").
RECIPE_ROWS_AS_ATTENTION_DP_AND_EP = False
_RECIPE_TEXT = "ep/attention-dp per moe recipe"


def parallel_split(ep_dp: str, replica_gpus: int) -> tuple[int, int]:
    """(attention data-parallel ranks, expert-parallel groups) of a row's `ep_dp` text over its replica.

    `EP=<n>` alone: expert parallel over n, attention tensor parallel; `EP=<n> + attention DP` (the 2026-11
    file's DEP rows): attention data-parallel over every GPU of the replica; the v1.0 recipe text: see
    RECIPE_ROWS_AS_ATTENTION_DP_AND_EP. Anything else (blank, `EP=1`): plain tensor parallelism."""
    text = ep_dp.strip().lower()
    if text == _RECIPE_TEXT:
        return (replica_gpus, replica_gpus) if RECIPE_ROWS_AS_ATTENTION_DP_AND_EP else (1, 1)
    found = re.fullmatch(r"ep=(\d+)( \+ attention dp)?", text)
    if found is None:
        return 1, 1
    expert_parallel = int(found.group(1))
    return (replica_gpus if found.group(2) else 1), expert_parallel


def interpret_row(raw: Mapping[str, str], gpu_ids: Iterable[str], model_ids: Iterable[str]) -> Measurement:
    """One CSV row as a Measurement; `skip` says why it cannot be scored, `flag` why it is not fitted."""
    gpu_id = catalog_gpu_id(raw["gpu"])
    model_id = catalog_model_id(raw["model"])
    engine = parse_engine(raw["engine"])
    precision = parse_precision(raw["weights_precision"]) or "bf16"
    kv = _kv_precision(raw.get("kv_cache_precision", ""), precision, engine)
    gpu_count = _int(raw["gpu_count"]) or 1
    tp_text = raw.get("tp", "").strip()
    tensor_parallel = _int(tp_text)
    metric_name = raw["metric"].strip()
    isl, osl = raw.get("isl", ""), raw.get("osl", "")
    dataset = raw.get("dataset", "")
    batch_text = raw.get("concurrency_or_batch", "")
    confidence = CONFIDENCE_WEIGHT.get(raw.get("confidence", "high").strip(), 0.5)
    skip = ""
    if gpu_id not in set(gpu_ids):
        skip = f"GPU {raw['gpu']!r} is not in the catalog"
    elif model_id not in set(model_ids):
        skip = f"model {raw['model']!r} is not in the catalog"
    elif metric_name not in _METRICS:
        skip = f"metric {metric_name} is not something the estimator reports"
    elif tensor_parallel is None and tp_text != "see submission":
        skip = f"parallelism {tp_text!r} (data-parallel attention / disaggregated serving) is not modelled"
    ep_dp = raw.get("ep_dp", "").strip()
    if not skip and ("disaggregation" in ep_dp.lower() or "nodes" in ep_dp.lower()):
        skip = f"multi-node deployment ({ep_dp}) is not modelled"
    if not skip and tensor_parallel is not None and gpu_count % tensor_parallel != 0:
        skip = "gpu_count is not a multiple of TP"

    metric, scale = _METRICS.get(metric_name, ("output_tokens_per_second_per_gpu", 1.0))
    input_tokens, output_tokens = _int(isl), _int(osl)
    fixed_length = input_tokens is not None and output_tokens is not None
    if not fixed_length:
        means = _dataset_means(isl, osl, dataset)
        if means is None and not skip:
            skip = "token lengths unknown"
        input_tokens, output_tokens = means or (1, 1)
    assert input_tokens is not None and output_tokens is not None
    if metric == "time_to_first_token_seconds":
        output_tokens = max(output_tokens, 1)

    value = float(raw["value"]) if raw.get("value") else 0.0
    if metric == "output_tokens_per_second_per_gpu":
        per_gpu = raw.get("per_gpu_value", "").strip()
        measured = float(per_gpu) if per_gpu else value / gpu_count
    else:
        measured = value * scale
    if measured <= 0 and not skip:
        skip = "no measured value"

    concurrency: int | None = None
    engine_batch_cap: int | None = None
    request_rate: float | None = None
    slo: tuple[float, float] | None = None
    lowered = batch_text.lower()
    if found := re.search(r"max-num-seqs (\d+)", lowered):
        engine_batch_cap = int(found.group(1))
    if found := re.search(r"(?:static batch|max concurrency|concurrency|batch) (\d+)", lowered):
        concurrency = int(found.group(1))
    elif found := re.search(r"(\d+) prompts at once", lowered):
        concurrency = int(found.group(1))
    elif found := re.search(r"<=\s*(\d+) prompts", lowered):
        concurrency = int(found.group(1))
    elif found := re.search(r"poisson request rate ([\d.]+)", lowered):
        request_rate = float(found.group(1))
    elif lowered.startswith("server"):
        slo = MLPERF_SERVER_SLO.get(model_id)
        if slo is None and not skip:
            skip = "MLPerf Server latency limits unknown for this model"
    elif lowered.startswith("interactive"):
        slo = MLPERF_INTERACTIVE_SLO.get(model_id)
        if slo is None and not skip:
            skip = "MLPerf Interactive latency limits unknown for this model"
    if metric == "output_tokens_per_second_per_user":
        concurrency = 1

    regime: Regime
    if metric in ("time_to_first_token_seconds", "time_per_output_token_seconds"):
        regime = "latency"
    elif concurrency is None and request_rate is None and slo is None:
        regime = "max_throughput"
    else:
        regime = "fixed_concurrency"

    weight = confidence * (1.0 if fixed_length else DATASET_WEIGHT)
    caveat = ""
    if "prompts at once" in lowered and not fixed_length:
        # A burst of N variable-length prompts is timed until the longest finishes: the long drain
        # tail at low batch is part of the figure, so it understates steady-state throughput.
        caveat = "one burst of variable-length prompts, timed to the last (drain tail included)"
        weight *= BURST_WEIGHT
    attention_data_parallel, expert_parallel = parallel_split(ep_dp, tensor_parallel or gpu_count)
    parallelism = ""
    if ep_dp and ep_dp.lower() not in ("ep=1",):
        if expert_parallel > 1:
            parallelism = f"{ep_dp} (modelled as attention DP {attention_data_parallel}, EP {expert_parallel})"
        else:
            parallelism = f"{ep_dp} (modelled as plain TP)"
    return Measurement(
        id=raw["id"],
        source_group=raw.get("source_group", ""),
        model_name=raw["model"],
        gpu_name=raw["gpu"],
        model_id=model_id,
        gpu_id=gpu_id,
        engine=engine,
        engine_label=raw["engine"],
        precision=precision,
        kv_cache_precision=kv,
        gpu_count=gpu_count,
        tensor_parallel=tensor_parallel,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        fixed_length=fixed_length,
        concurrency=concurrency,
        metric=metric,
        measured=measured,
        weight=weight,
        regime=regime,
        engine_batch_cap=engine_batch_cap,
        request_rate=request_rate,
        slo_ttft_s=slo[0] if slo else None,
        slo_tpot_s=slo[1] if slo else None,
        attention_data_parallel=attention_data_parallel,
        expert_parallel=expert_parallel,
        parallelism_note=parallelism,
        caveat=caveat,
        flag=_source_flag(raw, gpu_id, tensor_parallel),
        skip=skip,
        notes=raw.get("notes", ""),
        source_file=raw.get("source_file", ""),
    )


def from_2026_11_columns(raw: Mapping[str, str]) -> dict[str, str]:
    """A row of ../shared/data/throughput-calibration-2026-11.csv in the columns `interpret_row` reads.

    That file names catalog ids (`model_id`, `gpu_id`, blank where the catalog has none), gives the
    concurrency as a number or `max`, the expert-parallel degree as `ep`, and per-GPU figures under
    `output_tok_s_per_gpu` (data README, "throughput-calibration-2026-11.csv")."""
    row = dict(raw)
    row["model"] = raw.get("model_id", "").strip() or raw["model"]
    row["gpu"] = raw.get("gpu_id", "").strip() or raw["gpu"]
    concurrency = raw.get("concurrency", "").strip()
    row["concurrency_or_batch"] = f"concurrency {concurrency}" if concurrency.isdigit() else ""
    ep = raw.get("ep", "").strip()
    # The notes say when attention ran data-parallel ("DEP = attention data-parallel + expert-parallel over
    # all GPUs (enable_attention_dp)", data README): then over the whole replica, as `parallel_split` reads it.
    attention_dp = " + attention DP" if "attention data-parallel" in raw.get("notes", "").lower() else ""
    row["ep_dp"] = f"EP={ep}{attention_dp}" if ep and ep != "1" else ""
    if raw["metric"].strip() == "output_tok_s_per_gpu":
        row["per_gpu_value"] = raw["value"]
    row["source_group"] = raw.get("source", "")
    return row
