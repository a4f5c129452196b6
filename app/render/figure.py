"""A chart as typed data: what is drawn, in data coordinates, and nothing about pixels.

Each chart kind's builder (app/render/chart_figures.py, app/render/interactivity.py) turns an evaluated
result into a `Figure`; app/render/svg_figure.py lays it out and draws it as SVG, and the PNG is that SVG
rasterised. One description, so the SVG and the PNG of a chart are the same drawing.

Also here: the axes' ticks (decades on a log axis, 1-2-5 steps on a linear one), computed with the
figure rather than by the renderer, so a test reads the labels a chart will show.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Align = Literal["left", "center", "right"]
Baseline = Literal["top", "middle", "bottom"]
Edge = Literal["top", "bottom"]


@dataclass(frozen=True)
class Colors:
    """A theme's colours: the image's background, text, muted text (subtitles, axis labels, rules),
    grid lines, and the outline of marks drawn over lines."""

    background: str
    text: str
    muted: str
    grid: str
    mark: str


@dataclass(frozen=True)
class Tick:
    value: float
    label: str


@dataclass(frozen=True)
class Axis:
    """A numeric axis: `scale` maps `domain` onto the plot (log or linear), a labelled tick and, if `grid`,
    a grid line at each of `ticks`."""

    title: str
    scale: Literal["log", "linear"]
    domain: tuple[float, float]
    ticks: tuple[Tick, ...]
    grid: bool = True


@dataclass(frozen=True)
class Bands:
    """A categorical y axis: one band per label, first at the top; bars take `bar_share` of a band's
    height. Labels wider than `label_limit_px` end in an ellipsis. `foot_px`: a strip left empty under the
    last band, for texts at the plot's bottom edge (the tornado's marker labels)."""

    labels: tuple[str, ...]
    label_limit_px: float
    bar_share: float = 0.6
    foot_px: float = 0.0


@dataclass(frozen=True)
class Line:
    """A polyline through `points` (data coordinates, in drawing order), clipped to the plot."""

    name: str
    points: tuple[tuple[float, float], ...]
    color: str
    width: float = 2.5
    dash: tuple[float, ...] = ()


@dataclass(frozen=True)
class Bar:
    """A horizontal bar in `band` from `x0` to `x1` (either order); `title` is its tooltip."""

    band: str
    x0: float
    x1: float
    color: str
    title: str = ""


@dataclass(frozen=True)
class Rule:
    """A vertical line across the plot at `x` (a volume, a month)."""

    x: float
    color: str
    dash: tuple[float, ...] = (2, 3)


@dataclass(frozen=True)
class Dot:
    """A point mark at (x, y): `area` in px² (Vega's `size`), a circle or a diamond; `title` is its tooltip
    and its accessible name. `clip`: hidden outside the plot (a sweep's points), else always drawn."""

    x: float
    y: float
    fill: str
    area: float
    stroke: str | None = None
    stroke_width: float = 1.0
    shape: Literal["circle", "diamond"] = "circle"
    title: str = ""
    clip: bool = False


@dataclass(frozen=True)
class Text:
    """A text at `x` (data) and at `y` (data), in the middle of `band` (a Bands axis), or at the plot's
    `edge`; offset by (`dx`, `dy`) px. `halo`: a colour drawn around the glyphs first, so the text stays
    legible where it crosses a line."""

    x: float
    text: str
    color: str
    y: float | None = None
    band: str | None = None
    edge: Edge | None = None
    align: Align = "left"
    baseline: Baseline = "middle"
    dx: float = 0.0
    dy: float = 0.0
    size: float = 11.0
    bold: bool = False
    halo: str | None = None


@dataclass(frozen=True)
class LegendEntry:
    label: str
    color: str
    symbol: Literal["line", "square"] = "line"
    dash: tuple[float, ...] = ()


@dataclass(frozen=True)
class Legend:
    """Under the plot, from its left edge: one entry a row (`vertical`) or side by side (`horizontal`,
    wrapping where the image ends)."""

    entries: tuple[LegendEntry, ...]
    title: str | None = None
    direction: Literal["vertical", "horizontal"] = "vertical"


@dataclass(frozen=True)
class Figure:
    """One chart, exactly `width` × `height` px: a title, subtitle lines (wrapped to the width when drawn),
    the plot with its axes, what is drawn in it (bars, then lines, rules, dots and texts, in that order)
    and a legend under it. `description` is the accessible description after the subtitle."""

    title: str
    subtitle: tuple[str, ...]
    width: int
    height: int
    colors: Colors
    x: Axis
    y: Axis | Bands
    bars: tuple[Bar, ...] = ()
    lines: tuple[Line, ...] = ()
    rules: tuple[Rule, ...] = ()
    dots: tuple[Dot, ...] = ()
    texts: tuple[Text, ...] = ()
    legend: Legend | None = None
    description: str = ""


def log_ticks(
    domain: tuple[float, float], label: Callable[[float], str], mantissas: tuple[int, ...] = (1,)
) -> tuple[Tick, ...]:
    """Ticks at m × 10^k (m in `mantissas`) inside a log axis's `domain`; where fewer than two decades fall
    inside it, at every integer multiple (2, 3, … 9 × 10^k) instead, so a narrow range still has labels."""
    low, high = domain
    if not (0 < low < high and math.isfinite(high)):
        return ()

    def inside(ms: tuple[int, ...]) -> list[float]:
        return [
            float(m * 10.0**k)
            for k in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)
            for m in ms
            if low * (1 - 1e-9) <= m * 10.0**k <= high * (1 + 1e-9)
        ]

    values = inside(mantissas)
    if len(values) < 2:
        values = inside(tuple(range(1, 10)))
    return tuple(Tick(v, label(v)) for v in values)


def linear_step(span: float, count: int) -> float:
    """The 1, 2 or 5 × 10^k step giving about `count` ticks across `span` (d3-array's tickIncrement rule)."""
    if span <= 0 or count < 1:
        return 1.0
    raw = span / count
    power = 10.0 ** math.floor(math.log10(raw))
    error = raw / power
    factor = 10 if error >= 7.07 else 5 if error >= 3.16 else 2 if error >= 1.41 else 1
    return factor * power


def linear_ticks(
    domain: tuple[float, float], label: Callable[[float], str], count: int = 6, min_step: float = 0.0
) -> tuple[Tick, ...]:
    """Ticks at multiples of `linear_step` (at least `min_step`) inside `domain`."""
    low, high = domain
    step = max(linear_step(high - low, count), min_step)
    first = math.ceil(low / step - 1e-9)
    last = math.floor(high / step + 1e-9)
    return tuple(Tick(i * step, label(i * step)) for i in range(first, last + 1))


def nice_upper(value: float, count: int = 6) -> float:
    """`value` rounded up to a multiple of the tick step for a 0-based linear axis (Vega's `nice`)."""
    if value <= 0 or not math.isfinite(value):
        return 1.0
    step = linear_step(value, count)
    return math.ceil(value / step - 1e-9) * step
