"""The estimator's validation report (Markdown, committed as docs/estimator-accuracy.md): headline
scores, scores by engine, GPU family and TP, error bands and their coverage, and the worst rows with
a reason. Pure: returns text."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

from app.calibration.fit import FITTED_ENGINES, Calibration
from app.calibration.measurements import BURST_WEIGHT, DATASET_WEIGHT, Measurement, source_label
from app.calibration.predict import Prediction
from app.calibration.score import (
    BAND_COVERAGE,
    COVERAGE_JUDGED_MINIMUM_ROWS,
    COVERAGE_WINDOW,
    MINIMUM_BAND_CONFIGURATIONS,
    BandCheck,
    Score,
    band_coverage,
    explain,
    gpu_family,
    score,
    tp_of,
)
from app.core.efficiencies import CommKind, Efficiencies

# The validation report (Markdown)


def _pct(x: float) -> str:
    return "–" if math.isnan(x) else f"{x:.1f}%"


def _share(x: float) -> str:
    return "–" if math.isnan(x) else f"{x * 100:.0f}%"


def _score_table(title: str, groups: Mapping[str, tuple[Score, Score]]) -> list[str]:
    lines = [
        f"| {title} | rows | median abs % error | within ±25% | within 2× | held-out median | held-out within 2× |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, (fit, held) in groups.items():
        lines.append(
            f"| {name} | {fit.rows} | {_pct(fit.median_abs_pct_error)} | {_share(fit.within_25_pct)} | "
            f"{_share(fit.within_2x)} | {_pct(held.median_abs_pct_error)} | {_share(held.within_2x)} |"
        )
    return lines


def _grouped(
    cal: Calibration, key: Callable[[Prediction], str], keep: Callable[[Prediction], bool]
) -> dict[str, tuple[Score, Score]]:
    fit_groups: dict[str, list[Prediction]] = {}
    held_groups: dict[str, list[Prediction]] = {}
    for p in cal.predictions:
        if keep(p):
            fit_groups.setdefault(key(p), []).append(p)
    for p in cal.heldout:
        if keep(p):
            held_groups.setdefault(key(p), []).append(p)
    return {name: (score(items), score(held_groups.get(name, []))) for name, items in sorted(fit_groups.items())}


def headline(cal: Calibration) -> dict[str, tuple[Score, Score]]:
    def subset(keep: Callable[[Prediction], bool]) -> tuple[Score, Score]:
        return score(p for p in cal.predictions if keep(p)), score(p for p in cal.heldout if keep(p))

    rows = {
        "fixed-length rows": subset(lambda p: p.measurement.fixed_length and not p.measurement.flag),
        "fixed-length rows, flagged included": subset(lambda p: p.measurement.fixed_length),
        "dataset rows (approximate means)": subset(lambda p: not p.measurement.fixed_length and not p.measurement.flag),
        "all scored rows": subset(lambda p: not p.measurement.flag),
    }
    # The same figures per measurement file: the targets differ (issue 15: ≤ 12% and ≥ 98% within 2× on
    # the earlier sources, ≤ 15% and ≥ 97% on the newer ones).
    for label in sources(cal):
        rows[f"fixed-length rows, {label}"] = subset(_from_source(label))
    return rows


def _from_source(label: str) -> Callable[[Prediction], bool]:
    def keep(p: Prediction) -> bool:
        return _fixed_clean(p) and source_label(p.measurement.source_file) == label

    return keep


def sources(cal: Calibration) -> list[str]:
    """The measurement files' labels, in the order the rows came."""
    return list(dict.fromkeys(source_label(m.source_file) for m in cal.measurements))


def _fixed_clean(p: Prediction) -> bool:
    return p.measurement.fixed_length and not p.measurement.flag


def ran_split(m: Measurement) -> bool:
    """The row was estimated with attention data-parallelism or expert parallelism, as it ran."""
    return m.attention_data_parallel > 1 or m.expert_parallel > 1


def _limitations(cal: Calibration) -> list[str]:
    usable = [m for m in cal.measurements if not m.skip and not m.flag]
    by_engine = {engine: sum(1 for m in usable if m.engine == engine) for engine in FITTED_ENGINES}
    vllm_fixed = sorted({f"{m.model_id} on {m.gpu_id}" for m in usable if m.engine == "vllm" and m.fixed_length})
    ep = sum(1 for m in usable if m.parallelism_note)
    ep_as_run = sum(1 for m in usable if ran_split(m))
    return [
        "## How to read this",
        "",
        "- The estimator is the roofline of DESIGN.md §3.4 with a few global efficiencies per engine family "
        "(decode bandwidth and compute use, prefill compute use, per-step and per-sequence overheads, "
        "all-reduce latency and link efficiency per interconnect, a batch cap, a factor per weight precision). "
        "There are no per-model or per-row factors.",
        "- Fixed-length rows are the target. Dataset rows (ShareGPT, OpenOrca, CNN/DailyMail, MLPerf mixes) "
        f"are fitted at weight {DATASET_WEIGHT} with approximate mean lengths; a single burst of variable-length "
        f"prompts (timed until the last one finishes) at a further {BURST_WEIGHT:.2g}.",
        f"- The data is mostly TensorRT-LLM ({by_engine['tensorrt-llm']} rows; vLLM {by_engine['vllm']}, "
        f"SGLang {by_engine['sglang']}). The vLLM and SGLang fits are pulled towards the pooled fit; vLLM's "
        f"fixed-length rows are all {', '.join(vllm_fixed) or 'absent'}, so its held-out figure measures "
        "extrapolation to other hardware more than fit quality.",
        f"- {ep} MoE rows ran with expert parallelism / attention data parallelism; {ep_as_run} of them give the "
        "degrees and are estimated with that split as run (app/calibration/predict.py); the rest (the older "
        "file's recipe rows, which give none) are estimated as plain tensor parallelism.",
        "- The fixed per-step overhead is weakly identified (the rows have no TensorRT-LLM batch-1 decode runs), "
        "so a prior holds it near its documented default; batch-1 latency estimates lean on it.",
        f"- Error bands attached to estimates promise that the measurement lies inside them for "
        f"{BAND_COVERAGE:.0%} of setups: they are conformal 10th–90th percentiles of measured/estimate on held-out "
        "rows, counted in configurations, the envelope of each measurement file's, and their coverage is itself "
        'measured held out ("Band coverage, held out"); an estimate for a GPU, precision, TP '
        "degree or architecture feature that no row covers is flagged as extrapolated and its band widened.",
        "- Reproduce with `breakeven calibrate --report-out docs/estimator-accuracy.md` (a few minutes); "
        "`breakeven calibrate --check` scores the committed efficiencies without refitting.",
    ]


def _by_source(cal: Calibration) -> list[str]:
    """Held-out figures per measurement file, and the newer file's rows by engine, GPU family and publication."""
    label_of: Callable[[Prediction], str] = lambda p: source_label(p.measurement.source_file)  # noqa: E731
    lines = [
        "## Fixed-length rows by measurement file",
        "",
        *_score_table("file", _grouped(cal, label_of, _fixed_clean)),
        "",
        "## Fixed-length rows by measurement file and engine",
        "",
        *_score_table(
            "file · engine", _grouped(cal, lambda p: f"{label_of(p)} · {p.measurement.engine}", _fixed_clean)
        ),
        "",
        "## Fixed-length rows by measurement file and GPU family",
        "",
        *_score_table(
            "file · GPU family",
            _grouped(cal, lambda p: f"{label_of(p)} · {gpu_family(p.measurement.gpu_id)}", _fixed_clean),
        ),
        "",
    ]
    for label in sources(cal)[1:]:
        lines += _one_source(cal, label)
    return lines


def _one_source(cal: Calibration, label: str) -> list[str]:
    def mine(p: Prediction) -> bool:
        return source_label(p.measurement.source_file) == label and not p.measurement.flag

    return [
        f"## The {label}",
        "",
        f"Every scored row of the {label} (fixed-length and dataset), fitted together with the others and "
        "held out the same way.",
        "",
        *_score_table("engine", _grouped(cal, lambda p: p.measurement.engine, mine)),
        "",
        *_score_table("GPU family", _grouped(cal, lambda p: gpu_family(p.measurement.gpu_id), mine)),
        "",
        *_score_table("publication", _grouped(cal, lambda p: p.measurement.source_group, mine)),
        "",
    ]


def _expert_parallel(cal: Calibration) -> list[str]:
    """Rows whose source ran attention data-parallelism / expert parallelism: scores and each row."""
    ep: Callable[[Prediction], bool] = lambda p: bool(p.measurement.parallelism_note) and not p.measurement.flag  # noqa: E731

    def how(p: Prediction) -> str:
        modelled = "estimated as run" if ran_split(p.measurement) else "estimated as plain TP"
        return f"{source_label(p.measurement.source_file)}, {modelled}"

    held = {p.measurement.id: p for p in cal.heldout}
    lines = [
        "## Expert-parallel and attention data-parallel rows",
        "",
        "Rows whose source ran the routed experts expert-parallel (and, for DEP, attention data-parallel). "
        "Issue 15's target: ≤ 20% held-out median error.",
        "",
        *_score_table("rows", {"every such row": _subset(cal, ep), **_grouped(cal, how, ep)}),
        "",
        "| id | model | GPUs | engine | as run | in/out | concurrency | measured/estimate | held out |",
        "|---|---|---:|---|---|---|---|---:|---:|",
    ]
    for p in cal.predictions:
        if not ep(p):
            continue
        m = p.measurement
        h = held.get(m.id)
        lines.append(
            f"| {m.id} | {m.model_id} | {m.gpu_id} × {tp_of(p)} | {m.engine} | {m.parallelism_note} | "
            f"{m.input_tokens}/{m.output_tokens} | {m.concurrency if m.concurrency is not None else 'max'} | "
            f"{_ratio(p)} | {_ratio(h) if h is not None else '–'} |"
        )
    return [*lines, ""]


def _subset(cal: Calibration, keep: Callable[[Prediction], bool]) -> tuple[Score, Score]:
    return score(p for p in cal.predictions if keep(p)), score(p for p in cal.heldout if keep(p))


def _ratio(p: Prediction) -> str:
    return f"{p.ratio:.2f}" if p.predicted > 0 else "–"


def _coverage_verdict(rows: int, share: float) -> str:
    low, high = COVERAGE_WINDOW
    if rows < COVERAGE_JUDGED_MINIMUM_ROWS:
        return f"too few rows to judge (< {COVERAGE_JUDGED_MINIMUM_ROWS})"
    if share < low:
        return f"below {low:.0%}"
    if share > high:
        return f"above {high:.0%}"
    return f"within {low:.0%}–{high:.0%}"


def _band_coverage_section(cal: Calibration) -> list[str]:
    """How often the band holds the measurement, judged on rows no part of the band was built from."""
    low, high = COVERAGE_WINDOW

    def table(title: str, groups: Mapping[str, list[BandCheck]]) -> list[str]:
        out = [f"| {title} | held-out rows | inside the band | coverage | verdict |", "|---|---:|---:|---:|---|"]
        for name, checks in groups.items():
            c = band_coverage(checks)
            out.append(
                f"| {name} | {c.rows} | {c.covered} | {_share(c.share)} | {_coverage_verdict(c.rows, c.share)} |"
            )
        return out

    def by(key: Callable[[BandCheck], str]) -> dict[str, list[BandCheck]]:
        groups: dict[str, list[BandCheck]] = {}
        for check in cal.band_checks:
            groups.setdefault(key(check), []).append(check)
        return dict(sorted(groups.items()))

    every = {"every engine": list(cal.band_checks)}
    return [
        "## Band coverage, held out",
        "",
        "Each fixed-length row (flagged rows excluded) is estimated by a fit that did not see its configuration, "
        "and checked against the band its engine and regime would get from the held-out rows of the *other* "
        f"{cal.folds - 1} folds only (app/calibration/score.py `band_checks`): the bands are set from held-out "
        "residuals, so judging them on those same residuals would be in-sample for the percentiles. "
        f"Promised: {BAND_COVERAGE:.0%}; issue 15 asks for {low:.0%}–{high:.0%}. A share on n rows has a standard "
        f"error of √(0.8·0.2/n), 7.3 points at {COVERAGE_JUDGED_MINIMUM_ROWS} rows (about half the window): "
        f"groups with fewer rows are shown, not judged. The band checked is the fitted one, before the "
        "widening the app adds for setups outside the rows' coverage (which only raises coverage).",
        "",
        *table("engine", {**every, **by(lambda c: c.prediction.measurement.engine)}),
        "",
        *table("file", by(lambda c: source_label(c.prediction.measurement.source_file))),
        "",
        *table(
            "file · engine",
            by(lambda c: f"{source_label(c.prediction.measurement.source_file)} · {c.prediction.measurement.engine}"),
        ),
        "",
        *table("regime", by(lambda c: c.prediction.measurement.regime.replace("_", " "))),
        "",
    ]


# The hand-written section at the end of docs/estimator-accuracy.md that a rewrite keeps (issue 15's notes).
PRESERVED_SECTION_PREFIX = "## Issue 15:"


def with_preserved_sections(report: str, existing: str) -> str:
    """`report`, followed by everything of `existing` from its first line headed `## Issue 15:` on.

    The generated part and the hand-written notes below it share one file; rewriting the report must not
    drop the notes (nor may the notes' author edit the generated part)."""
    lines = existing.splitlines(keepends=True)
    for index, line in enumerate(lines):
        if line.startswith(PRESERVED_SECTION_PREFIX):
            return report.rstrip("\n") + "\n\n" + "".join(lines[index:])
    return report


def render_report(cal: Calibration, csv_label: str = "throughput-calibration.csv") -> str:
    """`breakeven calibrate --report`: accuracy tables, worst rows, fitted efficiencies."""
    total = len(cal.measurements)
    skipped = [m for m in cal.measurements if m.skip]
    flagged = [m for m in cal.measurements if m.flag and not m.skip]
    unestimable = [p for p in cal.predictions if p.predicted <= 0]
    fixed_clean = _fixed_clean
    lines = [
        "# Throughput estimator: accuracy against published measurements",
        "",
        f"Generated by `breakeven calibrate --report` on {cal.date} from `{csv_label}` "
        f"({total} rows). Do not edit by hand: rerun the command and commit its output. A trailing section "
        "headed `## Issue 15:` is kept as it is when the command rewrites this file.",
        "",
        "Error is |estimate − measured| / measured. *Held-out* figures come from a "
        f"{cal.folds}-fold check grouped by configuration (model, GPU, TP, precision, engine): each row is "
        "estimated by a fit that saw no row of its configuration. Throughput rows compare output tokens/s "
        "per GPU; latency rows compare seconds (TTFT, TPOT).",
        "",
        f"- scored: {total - len(skipped) - len(unestimable)} rows; skipped: {len(skipped)} "
        f"(not representable, listed at the end); flagged as anomalous in the source: {len(flagged)} "
        "(scored and shown, left out of the fit and of the headline figures)",
        f"- not estimable (the estimator raised a domain error): {len(unestimable)}",
        "",
        "## Headline",
        "",
        *_score_table("rows", headline(cal)),
        "",
        *_limitations(cal),
        "",
        "## Fixed-length rows by engine",
        "",
        *_score_table("engine", _grouped(cal, lambda p: p.measurement.engine, fixed_clean)),
        "",
        "## Fixed-length rows by GPU family",
        "",
        *_score_table("GPU family", _grouped(cal, lambda p: gpu_family(p.measurement.gpu_id), fixed_clean)),
        "",
        "## Fixed-length rows by tensor-parallel degree",
        "",
        *_score_table("TP", _grouped(cal, lambda p: f"TP{tp_of(p)}", fixed_clean)),
        "",
        "## Fixed-length rows by regime",
        "",
        *_score_table("regime", _grouped(cal, lambda p: p.measurement.regime.replace("_", " "), fixed_clean)),
        "",
        "## All scored rows (fixed-length and dataset) by engine",
        "",
        *_score_table("engine", _grouped(cal, lambda p: p.measurement.engine, lambda p: not p.measurement.flag)),
        "",
        *_by_source(cal),
        *_expert_parallel(cal),
        "## Worst ten rows (flagged rows excluded; they are listed below)",
        "",
        "| id | model | GPU × TP | engine | precision | in/out | concurrency | measured | estimate | "
        "measured/estimate | reason |",
        "|---|---|---|---|---|---|---|---:|---:|---:|---|",
    ]
    scored = [p for p in cal.predictions if p.predicted > 0 and not p.measurement.flag]
    worst = sorted(scored, key=lambda p: -abs(math.log(p.ratio)))[:10]
    for p in worst:
        m = p.measurement
        unit = "tok/s/GPU" if m.metric.startswith("output_tokens_per_second_per_gpu") else ""
        if m.metric == "output_tokens_per_second_per_user":
            unit = "tok/s/user"
        elif m.metric.endswith("seconds"):
            unit = "s TTFT" if "first" in m.metric else "s TPOT"
        lines.append(
            f"| {m.id} | {m.model_id} | {m.gpu_id} × {tp_of(p)} | {m.engine} | {m.precision} | "
            f"{m.input_tokens}/{m.output_tokens}{'' if m.fixed_length else ' (mean)'} | "
            f"{m.concurrency if m.concurrency is not None else 'max'} | {m.measured:.4g} {unit} | "
            f"{p.predicted:.4g} | {p.ratio:.2f} | {explain(p)} |"
        )
    lines += [
        "",
        "## Fitted efficiencies",
        "",
        "| engine | rows | decode MBU | decode MFU | prefill MFU | step overhead | per-sequence overhead | "
        "batch cap | KV reserved | precision factors | NVLink (latency, BW eff.) | "
        "Infinity Fabric | PCIe |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|---|---|",
    ]
    for engine, fit in cal.fits.items():
        e = fit.efficiencies

        def link(kind: CommKind, e: Efficiencies = e) -> str:
            c = e.tp_comm.get(kind)
            return "–" if c is None else f"{c.latency_s * 1e6:.0f} µs, {c.bandwidth_efficiency:.2f}"

        factors = ", ".join(f"{k} {v:.2f}" for k, v in sorted(e.precision_factor.items())) or "–"
        lines.append(
            f"| {engine} | {fit.rows} | {e.decode_mbu:.2f} | {e.decode_mfu:.2f} | {e.prefill_mfu:.2f} | "
            f"{e.step_overhead_s * 1e3:.2f} ms | {e.per_sequence_overhead_s * 1e6:.1f} µs | {e.max_batch} | "
            f"{e.kv_output_reservation:.2f} | {factors} | {link('nvlink')} | {link('infinity_fabric')} | "
            f"{link('pcie')} |"
        )
    lines += [
        "",
        "## Error bands attached to estimates",
        "",
        "measured/estimate on held-out fixed-length rows (each estimated by a fit that saw no row of its "
        "configuration), per engine and regime, from app/calibration/score.py `error_bands`: over n "
        "configurations (each weighing 1, shared by its rows, which one held-out fit estimated and which err "
        "together), the ratios where the weight from either end reaches j = ⌊0.1·(n+1)⌋: a new configuration "
        f"falls inside with probability ≥ (n + 1 − 2j)/(n + 1) ≥ {BAND_COVERAGE:.0%} (split conformal prediction; "
        "plain 10th/90th percentiles cover less on few rows). Computed within each measurement file, a regime "
        f"with fewer than {MINIMUM_BAND_CONFIGURATIONS} configurations (the fewest for which j ≥ 1) borrowing "
        "the engine's band over all regimes, then every engine's band for the regime, then every engine's band; "
        "the band is the envelope of the files' bands, because a quantile of the pooled rows, dominated by the "
        "larger and tighter earlier file, does not hold for the newer deployments. `rows` counts the engine's "
        "own rows of the regime. Every band contains 1.",
        "",
        "| engine | regime | rows | low factor | high factor | median abs % error |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for engine, fit in cal.fits.items():
        for regime, band in fit.efficiencies.error_bands.items():
            lines.append(
                f"| {engine} | {regime.replace('_', ' ')} | {band.rows} | {band.low_factor:.2f} | "
                f"{band.high_factor:.2f} | {_pct(band.median_abs_pct_error)} |"
            )
    lines += ["", *_band_coverage_section(cal)]
    ratios = {p.measurement.id: p.ratio for p in cal.predictions if p.predicted > 0}
    lines += [
        "",
        "## Flagged rows (scored, not fitted)",
        "",
        "| id | model | GPU | measured/estimate | why |",
        "|---|---|---|---:|---|",
    ]
    for m in cal.measurements:
        if m.flag and not m.skip:
            ratio = f"{ratios[m.id]:.2f}" if m.id in ratios else "–"
            lines.append(f"| {m.id} | {m.model_name} | {m.gpu_name} | {ratio} | {m.flag} |")
    lines += ["", "## Skipped rows", "", "| id | model | GPU | why |", "|---|---|---|---|"]
    for m in cal.measurements:
        if m.skip:
            lines.append(f"| {m.id} | {m.model_name} | {m.gpu_name} | {m.skip} |")
    for p in unestimable:
        m = p.measurement
        if not m.skip:
            lines.append(f"| {m.id} | {m.model_name} | {m.gpu_name} | not estimable: {p.error} |")
    return "\n".join(lines) + "\n"
