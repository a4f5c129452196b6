"""Faces of the throughput-vs-interactivity curve (app.scenario.interactivity): its JSON, and the chart
kind "interactivity" (a Vega-Lite spec, rendered by app/render/chart_render.py like the other kinds).

The chart is InferenceX's: output tokens/s per GPU (y) against tokens/s per user (x), one line per
estimated self-hosted option, each point one concurrency. Both axes are logarithmic: per-user speed
spans 1–200 tokens/s and per-GPU throughput 10–10,000 tokens/s between batch 1 and the memory cap, and
on a linear axis the small batches (where an interactive target sits) collapse into a corner.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from app.render.chart_series import LABEL_FONT_SIZE
from app.render.chart_spec import (
    LEGEND_FONT_SIZE,
    Y_AXIS_PX,
    Theme,
    _frame,
    _wrap,
    chart_title,
    marked_line,
    theme_colors,
)
from app.render.format import number, plural
from app.scenario.interactivity import InteractivityCurve, InteractivityPoint, OptionCurve


def _point_json(point: InteractivityPoint) -> dict[str, Any]:
    return {
        "concurrency": point.concurrency,
        "output_tokens_per_second_per_gpu": point.output_tokens_per_second_per_gpu,
        "output_tokens_per_second_per_user": point.output_tokens_per_second_per_user,
        "time_to_first_token_seconds": point.time_to_first_token_seconds,
        "meets_latency_target": point.meets_latency_target,
    }


def interactivity_json(curve: InteractivityCurve) -> dict[str, Any]:
    """The curve as POST /api/v1/throughput answers it under "interactivity"."""
    return {
        "points": [_point_json(p) for p in curve.points],
        "sized": _point_json(curve.sized),
        "max_concurrency": curve.max_concurrency,
        "gpu_count": curve.gpu_count,
        "min_output_tokens_per_second_per_user": curve.min_output_tokens_per_second_per_user,
        "max_time_to_first_token_seconds": curve.max_time_to_first_token_seconds,
    }


def _detail(name: str, point: InteractivityPoint) -> str:
    return (
        f"{name}, {plural(point.concurrency, 'user')}: {number(point.output_tokens_per_second_per_gpu)} "
        f"tokens/s per GPU, {number(point.output_tokens_per_second_per_user, 1)} tokens/s per user, "
        f"first token in {point.time_to_first_token_seconds:.2g} s"
    )


def _log_domain(values: list[float], margin: float) -> list[float]:
    """A log axis's domain around `values`, `margin`× wider on each side."""
    low, high = min(values), max(values)
    if not (low > 0 and math.isfinite(high)):
        return [1.0, 10.0]
    return [low / margin, high * margin]


def _ticks(domain: list[float]) -> list[float]:
    """1, 2, 5 × 10^k inside a log axis's domain (and 3 × 10^k across less than a decade and a half):
    Vega's own log ticks draw a grid line at every integer multiple (20, 30, … 90), which crowds a 360 px
    render."""
    low, high = domain
    mantissas = (1, 2, 5) if high / low > 10**1.5 else (1, 2, 3, 5)
    return [
        float(m * 10.0**k)
        for k in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)
        for m in mantissas
        if low <= m * 10.0**k <= high
    ]


def interactivity_spec(
    curves: Sequence[OptionCurve],
    *,
    width: int = 720,
    height: int = 400,
    theme: Theme = "light",
    subtitle: str | None = None,
) -> dict[str, Any]:
    """Output tokens/s per GPU against tokens/s per user for each option; ValueError without any curve."""
    if not curves:
        raise ValueError(
            "kind=interactivity draws the self-hosted options whose throughput is estimated: the scenario has none "
            "(a measured tokens/s has no curve)"
        )
    colors, palette = theme_colors(theme)
    names = [c.name for c in curves]
    rows: list[dict[str, Any]] = []
    sized: list[dict[str, Any]] = []
    for option in curves:
        for order, point in enumerate(option.curve.points):
            rows.append(
                {
                    "option": option.name,
                    "per_user": point.output_tokens_per_second_per_user,
                    "per_gpu": point.output_tokens_per_second_per_gpu,
                    "order": order,
                    "detail": _detail(option.name, point),
                }
            )
        point = option.curve.sized
        sized.append(
            {
                "option": option.name,
                "per_user": point.output_tokens_per_second_per_user,
                "per_gpu": point.output_tokens_per_second_per_gpu,
                "label": f"sized: {plural(point.concurrency, 'user')}",
                "detail": "Sized at: " + _detail(option.name, point),
            }
        )
    targets = {c.curve.min_output_tokens_per_second_per_user for c in curves} - {None}
    target = max((t for t in targets if t is not None), default=None)
    x_values = [r["per_user"] for r in rows] + ([target] if target is not None else [])
    x_domain = _log_domain(x_values, 1.25)
    y_domain = _log_domain([r["per_gpu"] for r in rows], 1.4)
    x_scale = {"type": "log", "domain": x_domain, "nice": False}
    y_scale = {"type": "log", "domain": y_domain, "nice": False}
    x_axis = {"title": "Tokens/s per user (interactivity)", "format": "~s", "grid": True, "values": _ticks(x_domain)}
    y_axis = {"title": "Output tokens/s per GPU", "format": "~s", "grid": True, "values": _ticks(y_domain)}
    color = {
        "field": "option",
        "type": "nominal",
        "scale": {"domain": names, "range": list(palette[: len(names)] or palette)},
        "legend": {
            "title": None,
            "orient": "bottom",
            "direction": "vertical",
            "labelLimit": max(120, width - Y_AXIS_PX - 30),
            "labelFontSize": LEGEND_FONT_SIZE,
            "symbolStrokeWidth": 3,
        },
    }
    layers: list[dict[str, Any]] = [
        {
            "data": {"values": rows},
            "layer": [
                {
                    "mark": {"type": "line", "strokeWidth": 2.5, "clip": True},
                    "encoding": {
                        "x": {"field": "per_user", "type": "quantitative", "scale": x_scale, "axis": x_axis},
                        "y": {"field": "per_gpu", "type": "quantitative", "scale": y_scale, "axis": y_axis},
                        "color": color,
                        "order": {"field": "order", "type": "quantitative"},
                    },
                },
                {
                    # Each concurrency of the sweep, small: where the powers of two fall along the line.
                    "mark": {"type": "point", "filled": True, "size": 18, "clip": True},
                    "encoding": {
                        "x": {"field": "per_user", "type": "quantitative"},
                        "y": {"field": "per_gpu", "type": "quantitative"},
                        "color": {"field": "option", "type": "nominal", "legend": None},
                        "tooltip": {"field": "detail"},
                    },
                },
            ],
        },
    ]
    if target is not None:
        layers.append(marked_line("per_user", target, f"target: {target:g} tokens/s per user", colors))
    layers.append(
        {
            "data": {"values": sized},
            "layer": [
                {
                    "mark": {
                        "type": "point",
                        "shape": "diamond",
                        "filled": True,
                        "opacity": 1,
                        "size": 140,
                        "stroke": colors["mark"],
                        "strokeWidth": 1.5,
                    },
                    "encoding": {
                        "x": {"field": "per_user", "type": "quantitative"},
                        "y": {"field": "per_gpu", "type": "quantitative"},
                        "color": {"field": "option", "type": "nominal", "legend": None},
                        "tooltip": {"field": "detail"},
                        "description": {"field": "detail"},
                    },
                },
                *(
                    {
                        # Below left of the diamond: under the frontier, which falls to the right, the plot is
                        # empty. A halo in the background colour, then the text: legible where it crosses a line.
                        "mark": {
                            "type": "text",
                            "align": "right",
                            "baseline": "top",
                            "dx": -7,
                            "dy": 6,
                            "fontSize": LABEL_FONT_SIZE,
                            **(
                                {"color": colors["background"], "stroke": colors["background"], "strokeWidth": 4}
                                if halo
                                else {"color": colors["text"]}
                            ),
                        },
                        "encoding": {
                            "x": {"field": "per_user", "type": "quantitative"},
                            "y": {"field": "per_gpu", "type": "quantitative"},
                            "text": {"field": "label"},
                        },
                    }
                    for halo in (True, False)
                ),
            ],
        }
    )
    lines = [
        line
        for line in (
            subtitle,
            "One replica, from 1 user (right) to as many as memory and the engine hold (left).",
            "Diamond: the concurrency each option is sized at. Estimated: a roofline calibrated on published "
            "measurements.",
        )
        if line
    ]
    return _frame(chart_title("interactivity"), _wrap(lines, width), layers, width, height, colors)
