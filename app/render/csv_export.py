"""A result as CSV: each option's cost, each pair's break-even, and the cost curves the chart draws,
with every text cell made safe to open in a spreadsheet (CSV injection)."""

from __future__ import annotations

import csv
import io
import unicodedata
from typing import Any

from app.render.chart_series import chart_series
from app.scenario.evaluate import ApiResult, ScenarioResult, SelfHostedResult, option_name

# Characters that open a formula (OWASP "CSV Injection"): = + - @, and U+2212 MINUS SIGN, which
# LibreOffice reads as -. Their full-width and small forms (＝ ＋ － ＠, ﹦ ﹢ ﹣ ﹫) fold to them under NFKC.
FORMULA_CHARS = frozenset("=+-@\u2212")


def starts_like_formula(text: str) -> bool:
    """Whether a spreadsheet may read `text` as a formula: it opens with a formula character, or with
    whitespace (Tab, CR, LF, space, ideographic space: importers trim it and read what follows) or an
    invisible control/format character (a BOM, a zero-width space) that hides what comes next."""
    first = text[:1]
    if not first:
        return False
    return (
        first.isspace()
        or unicodedata.category(first) in ("Cc", "Cf")
        or unicodedata.normalize("NFKC", first)[:1] in FORMULA_CHARS
    )


def safe_cell(value: Any) -> Any:
    """Spreadsheet formula injection: a text cell that may open a formula is prefixed with ' (OWASP)."""
    if isinstance(value, str) and starts_like_formula(value):
        return "'" + value
    return value


# Excel on Windows reads a CSV without a byte-order mark as the ANSI code page ("2Ã—H100" for "2×H100",
# issue 16); with UTF-8's BOM first it reads UTF-8. LibreOffice, pandas and Python's csv read it too
# (pandas with encoding="utf-8-sig", which also reads a file without one).
UTF8_BOM = "\ufeff"

OPTION_COLUMNS = [
    "section",
    "option",
    "kind",
    "monthly_cost_usd",
    "cost_per_mtok_usd",
    "replicas",
    "gpus",
    "requests_per_month",
    "tokens_per_month",
    "instances",
    "idle_gpus",
    "precision",
    "reasoning_tokens_per_request",
    "output_tokens_per_second_per_user",
    "time_to_first_token_seconds",
]


def _kind(option: ApiResult | SelfHostedResult) -> str:
    if isinstance(option, SelfHostedResult):
        return "self_hosted"
    return "hosted_open_model" if option.origin == "hosted" else "api"


def _self_hosted_cells(option: SelfHostedResult) -> list[str]:
    resolved = option.resolved
    per_user = ttft = ""
    estimate = resolved.estimate
    if estimate is not None and resolved.option.capacity_source == "estimated":
        per_user = f"{1 / estimate.time_per_output_token_seconds:.2f}"
        ttft = f"{estimate.time_to_first_token_seconds:.3f}"
    return [
        str(option.instances),
        str(option.idle_gpus),
        resolved.precision,
        f"{resolved.reasoning_tokens:g}",
        per_user,
        ttft,
    ]


def result_csv(result: ScenarioResult) -> str:
    """The CSV export's text (GET /data.csv): a BOM, the header row first (spreadsheets take the first
    row as the header), then each option, each pair's break-even, the cost curves the chart draws, and
    the units as note rows at the end. Money in USD, a month of 730 hours."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(OPTION_COLUMNS)
    workload = result.workload
    for option in result.options:
        replicas = gpus = ""
        if isinstance(option, SelfHostedResult):
            replicas = str(option.replicas)
            gpus = str(option.replicas * option.resolved.option.gpu_count)
            tail = _self_hosted_cells(option)
        else:
            # No instances, idle GPUs or precision for an API; its speed is not modelled.
            tail = ["", "", "", f"{option.resolved.option.reasoning_tokens:g}", "", ""]
        writer.writerow(
            [
                "option",
                safe_cell(option_name(option)),
                _kind(option),
                f"{option.monthly_cost:.2f}",
                f"{option.monthly_cost / (workload.tokens_per_month / 1e6):.6f}",
                replicas,
                gpus,
                f"{workload.requests_per_month:.0f}",
                f"{workload.tokens_per_month:.0f}",
                *tail,
            ]
        )
    for pair in result.breakevens:
        for label, value in (
            ("first_crossover", pair.solution.first_crossover),
            ("stays_cheaper_above", pair.solution.stays_cheaper_above),
        ):
            writer.writerow(
                [
                    label,
                    safe_cell(f"{pair.self_hosted} vs {pair.api}"),
                    "breakeven",
                    "",
                    "",
                    "",
                    "",
                    "" if value is None else f"{value:.0f}",
                    "" if value is None else f"{workload.requests_to_tokens(value):.0f}",
                ]
            )
    writer.writerow([])
    writer.writerow(["curve", "option", "kind", "requests_per_month", "monthly_cost_usd"])
    for series in chart_series(result).series:
        for requests, cost in series.points:
            writer.writerow(["curve", safe_cell(series.name), series.kind, f"{requests:.2f}", f"{cost:.2f}"])
    writer.writerow([])
    writer.writerow(["note", "Breakeven export. Money in USD; a month is 730 hours; Mtok = million tokens."])
    writer.writerow(
        ["note", "Reasoning tokens are hidden output: billed as output by APIs, generated by self-hosting."]
    )
    return UTF8_BOM + out.getvalue()
