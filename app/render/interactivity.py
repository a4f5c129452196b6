"""Faces of the throughput-vs-interactivity curve (app.scenario.interactivity): its JSON, and the chart
kind "interactivity" (a Figure, drawn by app/render/svg_figure.py like the other kinds).

The chart is InferenceX's: output tokens/s per GPU (y) against tokens/s per user (x), one line per
estimated self-hosted option, each point one concurrency. Both axes are logarithmic: per-user speed
spans 1–200 tokens/s and per-GPU throughput 10–10,000 tokens/s between batch 1 and the memory cap, and
on a linear axis the small batches (where an interactive target sits) collapse into a corner.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from app.render.chart_figures import Theme, chart_title, marked_line, theme_colors
from app.render.chart_series import LABEL_FONT_SIZE
from app.render.figure import Axis, Dot, Figure, Legend, LegendEntry, Line, Rule, Text, Tick
from app.render.format import number, plural, volume
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


def _log_domain(values: list[float], margin: float) -> tuple[float, float]:
    """A log axis's domain around `values`, `margin`× wider on each side."""
    low, high = min(values), max(values)
    if not (low > 0 and math.isfinite(high)):
        return (1.0, 10.0)
    return (low / margin, high * margin)


def _ticks(domain: tuple[float, float]) -> tuple[Tick, ...]:
    """1, 2, 5 × 10^k inside a log axis's domain (and 3 × 10^k across less than a decade and a half):
    a grid line at every integer multiple (20, 30, … 90) crowds a 360 px render."""
    low, high = domain
    mantissas = (1, 2, 5) if high / low > 10**1.5 else (1, 2, 3, 5)
    return tuple(
        Tick(value, volume(value))
        for k in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)
        for m in mantissas
        if low <= (value := float(m * 10.0**k)) <= high
    )


def interactivity_figure(
    curves: Sequence[OptionCurve],
    *,
    width: int = 720,
    height: int = 400,
    theme: Theme = "light",
    subtitle: str | None = None,
) -> Figure:
    """Output tokens/s per GPU against tokens/s per user for each option; ValueError without any curve."""
    if not curves:
        raise ValueError(
            "kind=interactivity draws the self-hosted options whose throughput is estimated: the scenario has none "
            "(a measured tokens/s has no curve)"
        )
    colors, palette = theme_colors(theme)
    lines: list[Line] = []
    dots: list[Dot] = []
    texts: list[Text] = []
    for index, option in enumerate(curves):
        color = palette[index % len(palette)]
        points = option.curve.points
        lines.append(
            Line(
                option.name,
                tuple((p.output_tokens_per_second_per_user, p.output_tokens_per_second_per_gpu) for p in points),
                color,
            )
        )
        # Each concurrency of the sweep, small: where the powers of two fall along the line.
        dots += [
            Dot(
                p.output_tokens_per_second_per_user,
                p.output_tokens_per_second_per_gpu,
                fill=color,
                area=18,
                title=_detail(option.name, p),
                clip=True,
            )
            for p in points
        ]
    for index, option in enumerate(curves):
        point = option.curve.sized
        x, y = point.output_tokens_per_second_per_user, point.output_tokens_per_second_per_gpu
        dots.append(
            Dot(
                x,
                y,
                fill=palette[index % len(palette)],
                area=140,
                stroke=colors.mark,
                stroke_width=1.5,
                shape="diamond",
                title="Sized at: " + _detail(option.name, point),
            )
        )
        # Below left of the diamond: under the frontier, which falls to the right, the plot is empty. A halo in
        # the background colour: legible where it crosses a line.
        texts.append(
            Text(
                x,
                f"sized: {plural(point.concurrency, 'user')}",
                colors.text,
                y=y,
                align="right",
                baseline="top",
                dx=-7,
                dy=6,
                size=LABEL_FONT_SIZE,
                halo=colors.background,
            )
        )
    targets = {c.curve.min_output_tokens_per_second_per_user for c in curves} - {None}
    target = max((t for t in targets if t is not None), default=None)
    x_values = [x for line in lines for x, _ in line.points] + ([target] if target is not None else [])
    x_domain = _log_domain(x_values, 1.25)
    y_domain = _log_domain([y for line in lines for _, y in line.points], 1.4)
    rules: list[Rule] = []
    if target is not None:
        rule, text = marked_line(target, f"target: {target:g} tokens/s per user", colors)
        rules.append(rule)
        texts.insert(0, text)
    subtitle_lines = tuple(
        line
        for line in (
            subtitle,
            "One replica, from 1 user (right) to as many as memory and the engine hold (left).",
            "Diamond: the concurrency each option is sized at. Estimated: a roofline calibrated on published "
            "measurements.",
        )
        if line
    )
    return Figure(
        title=chart_title("interactivity"),
        subtitle=subtitle_lines,
        width=width,
        height=height,
        colors=colors,
        x=Axis("Tokens/s per user (interactivity)", "log", x_domain, _ticks(x_domain)),
        y=Axis("Output tokens/s per GPU", "log", y_domain, _ticks(y_domain)),
        lines=tuple(lines),
        rules=tuple(rules),
        dots=tuple(dots),
        texts=tuple(texts),
        legend=Legend(tuple(LegendEntry(line.name, line.color) for line in lines)),
        description=" ".join(f"Sized at: {_detail(c.name, c.curve.sized)}." for c in curves),
    )
