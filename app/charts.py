"""Declarative Vega-Lite specs for Breakeven's charts, built from one evaluated scenario.

One spec per chart kind; the server renders it to SVG/PNG (app/web/chart_render.py) for images,
embeds and the page. The points come from `chart_series` (exact replica staircases, sampled only
where steps are closer than a couple of pixels).

Kinds:
- "cost": monthly cost (USD) vs requests per month, log-log; crossovers and the user's volume marked.
- "cost_per_mtok": cost per million tokens (USD/Mtok) vs requests per month, log-log.
"""

from __future__ import annotations

from typing import Any, Literal

from app.scenario import ScenarioResult
from app.web.chart_series import PALETTE, chart_series, compact_number

ChartKind = Literal["cost", "cost_per_mtok"]
Theme = Literal["light", "dark"]
CHART_KINDS: tuple[ChartKind, ...] = ("cost", "cost_per_mtok")

THEMES: dict[Theme, dict[str, str]] = {
    "light": {"background": "#ffffff", "text": "#1f2328", "muted": "#59636e", "grid": "#e6e8eb", "mark": "#1f2328"},
    "dark": {"background": "#0d1117", "text": "#e6edf3", "muted": "#9198a1", "grid": "#30363d", "mark": "#e6edf3"},
}
# Okabe–Ito colours read on both backgrounds except black, which is swapped for white on dark.
DARK_PALETTE = tuple("#ffffff" if c == "#000000" else c for c in PALETTE)


def _sources_lines(result: ScenarioResult) -> list[str]:
    as_of = sorted({o.resolved.option.prices.as_of for o in result.options if hasattr(o.resolved.option, "prices")})
    dated = [d for d in as_of if d]
    prices = f"API prices as of {dated[-1]} (genai-prices)" if dated else "API prices entered by the user"
    return [prices, "GPU prices and capacity: Breakeven catalog or user input; a month is 730 hours."]


def chart_title(kind: ChartKind) -> str:
    return "Monthly cost vs volume" if kind == "cost" else "Cost per million tokens vs volume"


def chart_spec(
    result: ScenarioResult,
    *,
    kind: ChartKind = "cost",
    width: int = 720,
    height: int = 400,
    theme: Theme = "light",
    subtitle: str | None = None,
) -> dict[str, Any]:
    colors = THEMES[theme]
    palette = DARK_PALETTE if theme == "dark" else PALETTE
    data = chart_series(result, plot_width=width)
    tokens_per_request = result.workload.tokens_per_request

    def y_of(requests: float, cost: float) -> float:
        return cost if kind == "cost" else cost / (requests * tokens_per_request / 1e6)

    rows: list[dict[str, Any]] = []
    for series in data.series:
        for order, (requests, cost) in enumerate(series.points):
            rows.append(
                {
                    "option": series.name,
                    "kind": "API" if series.kind == "api" else "self-hosted",
                    "requests": requests,
                    "value": y_of(requests, cost),
                    "order": order,
                }
            )
    markers = [
        {
            "requests": m.requests_per_month,
            "value": y_of(m.requests_per_month, m.cost),
            "label": m.label,
            "detail": m.detail,
            # Sorted by volume, alternate label sides so neighbouring crossovers stay legible.
            "above": i % 2 == 0,
        }
        for i, m in enumerate(sorted(data.markers, key=lambda m: m.requests_per_month))
    ]
    names = [s.name for s in data.series]
    y_title = "Monthly cost (USD)" if kind == "cost" else "Cost per million tokens (USD/Mtok)"
    x_axis = {"title": "Requests per month", "format": "~s", "grid": True, "tickCount": 6}
    x_scale = {"type": "log", "domain": list(data.x_range), "nice": False}
    y_axis = {"title": y_title, "format": "$~s" if kind == "cost" else "$.3~g", "tickCount": 6}
    layers: list[dict[str, Any]] = [
        {
            "data": {"values": rows},
            "mark": {"type": "line", "strokeWidth": 2.5, "clip": True},
            "encoding": {
                "x": {"field": "requests", "type": "quantitative", "scale": x_scale, "axis": x_axis},
                "y": {"field": "value", "type": "quantitative", "scale": {"type": "log"}, "axis": y_axis},
                "color": {
                    "field": "option",
                    "type": "nominal",
                    "scale": {"domain": names, "range": list(palette[: len(names)] or palette)},
                    "legend": {"title": None, "orient": "bottom", "direction": "vertical", "labelLimit": 400},
                },
                "strokeDash": {
                    "field": "kind",
                    "type": "nominal",
                    "scale": {"domain": ["API", "self-hosted"], "range": [[6, 4], [1, 0]]},
                    "legend": None,
                },
                "order": {"field": "order", "type": "quantitative"},
            },
        },
        {
            "data": {
                "values": [{"requests": data.volume, "label": f"your volume: {compact_number(data.volume)}/month"}]
            },
            "layer": [
                {
                    "mark": {"type": "rule", "strokeDash": [2, 3], "color": colors["muted"]},
                    "encoding": {"x": {"field": "requests", "type": "quantitative"}},
                },
                {
                    "mark": {
                        "type": "text",
                        "align": "left",
                        "baseline": "top",
                        "dx": 4,
                        "y": 4,
                        "color": colors["muted"],
                    },
                    "encoding": {"x": {"field": "requests", "type": "quantitative"}, "text": {"field": "label"}},
                },
            ],
        },
    ]
    if markers:
        layers.append(
            {
                "data": {"values": markers},
                "layer": [
                    {
                        "mark": {"type": "point", "filled": True, "size": 70, "color": colors["mark"]},
                        "encoding": {
                            "x": {"field": "requests", "type": "quantitative"},
                            "y": {"field": "value", "type": "quantitative"},
                            "tooltip": {"field": "detail"},
                        },
                    },
                    *(
                        {
                            "transform": [{"filter": f"datum.above == {str(above).lower()}"}],
                            "mark": {
                                "type": "text",
                                "align": "right" if above else "left",
                                "dx": -6 if above else 6,
                                "dy": -9 if above else 11,
                                "fontWeight": "bold",
                                "color": colors["text"],
                            },
                            "encoding": {
                                "x": {"field": "requests", "type": "quantitative"},
                                "y": {"field": "value", "type": "quantitative"},
                                "text": {"field": "label"},
                            },
                        }
                        for above in (True, False)
                    ),
                ],
            }
        )
    subtitle_lines = [line for line in (subtitle, *_sources_lines(result)) if line]
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": {
            "text": chart_title(kind),
            "subtitle": subtitle_lines,
            "anchor": "start",
            "color": colors["text"],
            "subtitleColor": colors["muted"],
        },
        # The image is exactly width × height pixels (× scale for PNG): title, axes and legend fit inside.
        "width": width,
        "height": height,
        "autosize": {"type": "fit", "contains": "padding"},
        "background": colors["background"],
        "layer": layers,
        "config": {
            "font": "DejaVu Sans, Helvetica, Arial, sans-serif",
            "view": {"stroke": None},
            "axis": {
                "labelColor": colors["muted"],
                "titleColor": colors["text"],
                "gridColor": colors["grid"],
                "domainColor": colors["grid"],
                "tickColor": colors["grid"],
            },
            "legend": {"labelColor": colors["text"]},
        },
    }
