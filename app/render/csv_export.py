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


def result_csv(result: ScenarioResult) -> str:
    """The CSV export's text (GET /data.csv): money in USD, a month of 730 hours."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["# Breakeven export. Money in USD; a month is 730 hours; Mtok = million tokens."])
    writer.writerow(
        [
            "section",
            "option",
            "kind",
            "monthly_cost_usd",
            "cost_per_mtok_usd",
            "replicas",
            "gpus",
            "requests_per_month",
            "tokens_per_month",
        ]
    )
    workload = result.workload
    for option in result.options:
        replicas = gpus = ""
        if isinstance(option, SelfHostedResult):
            replicas = str(option.replicas)
            gpus = str(option.replicas * option.resolved.option.gpu_count)
        writer.writerow(
            [
                "option",
                safe_cell(option_name(option)),
                "api" if isinstance(option, ApiResult) else "self_hosted",
                f"{option.monthly_cost:.2f}",
                f"{option.monthly_cost / (workload.tokens_per_month / 1e6):.6f}",
                replicas,
                gpus,
                f"{workload.requests_per_month:.0f}",
                f"{workload.tokens_per_month:.0f}",
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
    return out.getvalue()
