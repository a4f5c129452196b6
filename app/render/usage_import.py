"""Faces of a usage import's summary (app/scenario/usage_import.py): the JSON API's body, the accepted formats,
the figures the page's form is filled with, and in words why an export gives no workload."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.scenario.inputs import WorkloadIn
from app.scenario.usage_formats import FORMATS
from app.scenario.usage_import import DEFAULT_MAX_UPLOAD_BYTES, UsageSummary

# The page's form shows imported figures as a person would type them (issue 16: "5070.845187173617"): token
# counts and the peak to 3 significant figures (an export's mean is no more precise: 5,070.85 reads 5,070),
# requests whole, shares to 0.1 percentage point. The API's summary keeps the exact figures.
FORM_SIGNIFICANT_FIGURES, FORM_FRACTION_DECIMALS = 3, 3


def _significant(value: float) -> float:
    return float(f"{value:.{FORM_SIGNIFICANT_FIGURES}g}")


@dataclass(frozen=True)
class FormFigures:
    """An import's workload and 24-hour profile, rounded for the page's form."""

    workload: WorkloadIn
    hourly_profile: tuple[float, ...] | None


def form_figures(summary: UsageSummary) -> FormFigures | None:
    """The summary's workload rounded as a person would type it; None when the export gives none."""
    if summary.workload is None:
        return None
    exact = WorkloadIn.model_validate(summary.workload)
    cached = round(exact.cached_input_fraction, FORM_FRACTION_DECIMALS)
    rounded = exact.model_copy(
        update={
            "requests_per_month": max(1.0, float(round(exact.requests_per_month or 1.0))),
            "input_tokens": _significant(exact.input_tokens),
            "output_tokens": max(1.0, _significant(exact.output_tokens)),
            "cached_input_fraction": cached,
            # Rounded apart, the two shares of input could add up past 1 (0.4996 + 0.5004): the write share gives way.
            "cache_write_fraction": min(1.0 - cached, round(exact.cache_write_fraction, FORM_FRACTION_DECIMALS)),
            "batchable_fraction": round(exact.batchable_fraction, FORM_FRACTION_DECIMALS),
            "peak_to_average": max(1.0, _significant(exact.peak_to_average)),
        }
    )
    profile = tuple(_significant(w) for w in summary.hourly_profile) if summary.hourly_profile else None
    return FormFigures(WorkloadIn.model_validate(rounded.model_dump(exclude_none=True)), profile)


def why_no_workload(summary: UsageSummary) -> str:
    """In words, why a summary that read rows still gives no workload (for the page, beside the upload)."""
    if summary.requests_per_month is None:
        return (
            "it has no request counts: export with a requests column (OpenAI, Anthropic), or one row per request "
            "in the per-request format"
        )
    invalid = [note for note in summary.notes if note.startswith("the figures do not make")]
    return invalid[0] if invalid else "its figures do not make a workload"


def formats_json() -> dict[str, Any]:
    """The accepted formats and column names (GET /api/v1/usage-import/formats)."""
    return {
        "formats": [
            {
                "id": spec.name,
                "title": spec.title,
                "columns": {role: list(names) for role, names in spec.columns.items()},
                "required": [list(group) for group in spec.required],
            }
            for spec in FORMATS.values()
        ],
        "column_matching": "case-insensitive; spaces, dots and dashes count as underscores",
        "timestamps": "ISO 8601 or Unix seconds (13-digit values: milliseconds); no zone = UTC",
        "max_upload_bytes_default": DEFAULT_MAX_UPLOAD_BYTES,
    }


def summary_json(summary: UsageSummary) -> dict[str, Any]:
    return {
        "format": summary.format,
        "format_title": summary.format_title,
        "columns_used": summary.columns_used,
        "rows": {
            "total": summary.rows_total,
            "used": summary.rows_used,
            "rejected": summary.rows_rejected,
            "blank_lines": summary.blank_lines,
        },
        "rejected_by_reason": summary.rejected_by_reason,
        "rejected_examples": [{"line": r.line, "reason": r.reason, "text": r.text} for r in summary.rejected_examples],
        "period": {
            "first": summary.first_timestamp,
            "last": summary.last_timestamp,
            "hours": summary.window_hours,
            "months": 1 / summary.monthly_scale,
        },
        "totals": summary.totals,
        "per_month": {
            "requests_per_month": summary.requests_per_month,
            "tokens_per_month": summary.tokens_per_month,
            "input_tokens_per_month": summary.totals["input_tokens"] * summary.monthly_scale,
            "output_tokens_per_month": summary.totals["output_tokens"] * summary.monthly_scale,
        },
        "requests_known": summary.requests_known,
        "input_tokens_per_request": summary.input_tokens_per_request,
        "output_tokens_per_request": summary.output_tokens_per_request,
        "cached_input_fraction": summary.cached_input_fraction,
        "cache_write_fraction": summary.cache_write_fraction,
        "batchable_fraction": summary.batchable_fraction,
        "hourly_profile": list(summary.hourly_profile) if summary.hourly_profile else None,
        "hourly_profile_timezone": "UTC",
        "peak_to_average": summary.peak_to_average,
        "models": summary.models,
        "workload": summary.workload,
        "notes": list(summary.notes),
        "formulas": {
            "per_month": "total × (730 × 3600 s) / seconds covered (last end − first start)",
            "tokens_per_request": "total tokens / total requests",
            "cached_input_fraction": "cached input tokens / all input tokens",
            "hourly_profile": "requests (or tokens, without request counts) by UTC hour, scaled to a mean of 1",
        },
    }
