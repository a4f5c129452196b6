"""A `Figure` (app/render/figure.py) laid out and drawn as SVG, in this process, in a few milliseconds.

Why not a chart library: the charts were drawn by Vega-Lite through vl-convert until issue 13 measured a
cold render at 107-203 ms for an SVG, 85-90% of it laying text out (vl-convert measures each text through
the font file, several times over for `autosize: fit`; docs/performance.md). Here every text's width comes
from a table of the font's advance widths (app/render/text_metrics.py), so the layout is arithmetic.

Layout, top to bottom: the title (bold 13 px) and the subtitle lines (12 px, wrapped to the width), the
plot, the x axis (labels 10 px, title bold 11 px), the legend (12 px rows); left of the plot the y axis
(its title rotated, its labels right-aligned). Everything fits in exactly `width` × `height` px, as Vega's
`autosize: fit` did; sizes and colours are Vega-Lite's defaults where we kept them.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from app.render.figure import Axis, Bands, Dot, Figure, Legend, Text
from app.render.text_metrics import (
    ASCENT_EM,
    CAP_HEIGHT_EM,
    DESCENT_EM,
    UNITS_PER_EM,
    FontWeight,
    advances,
    glyph,
    text_width,
    truncate,
    wrap,
)

FONT_FAMILY = "DejaVu Sans, Helvetica, Arial, sans-serif"
PADDING = 5  # around the image (Vega's default padding)
TITLE_SIZE = 13
TITLE_LINE = 17
SUBTITLE_SIZE = 12
SUBTITLE_LINE = 15
TITLE_GAP = 10  # between the title block and the plot
AXIS_LABEL_SIZE = 10
AXIS_TITLE_SIZE = 11
TICK = 5
LABEL_SPACING = 4  # the least room between two axis labels
LABEL_GAP = 2  # between a tick and its label
AXIS_TITLE_GAP = 6
LEGEND_SIZE = 12
LEGEND_ROW = 17
LEGEND_GAP = 10  # between the x axis and the legend
LEGEND_SYMBOL = 16  # a line symbol's length; a square's side is 10
LEGEND_COLUMN_GAP = 14
MIN_PLOT = 40
MIN_READABLE_PLOT = 100
MIN_LEGENDED_PLOT = 60

# The complement of XML 1.0's Char production (https://www.w3.org/TR/xml/#charsets): C0 controls
# other than tab/LF/CR, lone surrogates, U+FFFE and U+FFFF. A browser shows no image for a document holding
# one, the PNG rasteriser (resvg, in vl-convert) refuses it ("a non-XML character found"), and vl-convert's
# Vega path, which drew the charts before, aborted the server on one (issue 12).
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_safe(text: str) -> str:
    """`text` with every character XML 1.0 forbids replaced by U+FFFD. Names are validated at the boundary
    (app/scenario/inputs.py `DisplayText`), but scenarios saved before that may still hold such characters and
    must keep rendering: they read U+FFFD rather than break the document."""
    return _NOT_XML_CHAR.sub("\ufffd", text)


@dataclass(frozen=True)
class Box:
    left: float
    top: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.left + self.width

    @property
    def bottom(self) -> float:
        return self.top + self.height


@dataclass(frozen=True)
class Layout:
    """Where each part of a figure goes: the wrapped subtitle, the plot's box, the legend's entries as placed
    and the y-axis labels as drawn (truncated on a Bands axis)."""

    subtitle: tuple[str, ...]
    plot: Box
    legend_top: float
    legend_entries: tuple[PlacedEntry, ...]
    y_labels: tuple[str, ...]


@dataclass(frozen=True)
class PlacedEntry:
    """A legend entry: its index, where its symbol starts (px right of the plot's left edge, px below the
    legend's top) and its label's lines (a long label wraps to a second line, then ends in an ellipsis)."""

    index: int
    x: float
    y: float
    lines: tuple[str, ...]


def _y_labels(y: Axis | Bands) -> tuple[str, ...]:
    if isinstance(y, Bands):
        return tuple(truncate(label, y.label_limit_px, AXIS_LABEL_SIZE) for label in y.labels)
    return tuple(tick.label for tick in y.ticks)


def _legend_entries(legend: Legend | None, left: float, width: int) -> tuple[PlacedEntry, ...]:
    if legend is None or not legend.entries:
        return ()
    top = LEGEND_ROW if legend.title else 0.0
    room = max(40.0, width - PADDING - left - LEGEND_SYMBOL - 4)  # a label's room, right of its symbol
    placed: list[PlacedEntry] = []
    if legend.direction == "vertical":
        y = top
        for i, entry in enumerate(legend.entries):
            lines = wrap(entry.label, room, LEGEND_SIZE)
            if len(lines) > 2:
                lines = [lines[0], truncate(" ".join(lines[1:]), room, LEGEND_SIZE)]
            placed.append(PlacedEntry(i, 0.0, y, tuple(lines)))
            y += LEGEND_ROW * len(lines)
        return tuple(placed)
    x, y = 0.0, top
    for i, entry in enumerate(legend.entries):
        label = truncate(entry.label, room, LEGEND_SIZE)
        span = LEGEND_SYMBOL + 4 + text_width(label, LEGEND_SIZE)
        if x > 0 and left + x + span > width - PADDING:
            x, y = 0.0, y + LEGEND_ROW
        placed.append(PlacedEntry(i, x, y, (label,)))
        x += span + LEGEND_COLUMN_GAP
    return tuple(placed)


def _legend_height(entries: tuple[PlacedEntry, ...]) -> float:
    return max((entry.y + LEGEND_ROW * len(entry.lines) for entry in entries), default=0.0)


def layout(figure: Figure) -> Layout:
    """The plot's box and the blocks around it, for `figure`'s width and height: exact, from the texts'
    widths, so a builder placing labels by pixel (app/render/chart_series.py `place_labels`) can ask first.

    An image too short for everything (a wiki's small embed) keeps its plot readable: below
    MIN_READABLE_PLOT px of plot the subtitle is left out, and then below MIN_LEGENDED_PLOT the legend
    (the subtitle stays in the SVG's description, each line's name in its tooltip)."""
    width, height = figure.width, figure.height
    subtitle = tuple(part for line in figure.subtitle for part in wrap(line, width - 2 * PADDING, SUBTITLE_SIZE))
    y_labels = _y_labels(figure.y)
    label_width = max((text_width(label, AXIS_LABEL_SIZE) for label in y_labels), default=0.0)
    y_title = isinstance(figure.y, Axis) and bool(figure.y.title)
    left = PADDING + (AXIS_TITLE_SIZE + AXIS_TITLE_GAP if y_title else 0) + label_width + LABEL_GAP + TICK
    last = figure.x.ticks[-1].label if figure.x.ticks else ""
    right = width - PADDING - text_width(last, AXIS_LABEL_SIZE) / 2
    x_axis = TICK + LABEL_GAP + AXIS_LABEL_SIZE + 2 + (AXIS_TITLE_GAP + AXIS_TITLE_SIZE if figure.x.title else 0)
    entries = _legend_entries(figure.legend, left, width)

    def plot_height() -> float:
        top = PADDING + TITLE_LINE + SUBTITLE_LINE * len(subtitle) + TITLE_GAP
        return height - top - x_axis - (LEGEND_GAP + _legend_height(entries) if entries else 0) - PADDING

    if plot_height() < MIN_READABLE_PLOT:
        subtitle = ()
    if plot_height() < MIN_LEGENDED_PLOT:
        entries = ()
    top = PADDING + TITLE_LINE + SUBTITLE_LINE * len(subtitle) + TITLE_GAP
    plot = Box(left, top, max(MIN_PLOT, right - left), max(MIN_PLOT, plot_height()))
    return Layout(subtitle, plot, plot.bottom + x_axis + LEGEND_GAP, entries, y_labels)


class _Scale:
    """Data → pixels along one axis (y grows downwards)."""

    def __init__(self, axis: Axis, start: float, length: float, flip: bool) -> None:
        low, high = axis.domain
        self.log = axis.scale == "log"
        if not (math.isfinite(low) and math.isfinite(high) and high > low and (low > 0 or not self.log)):
            low, high = (1.0, 10.0) if self.log else (0.0, 1.0)  # a builder's empty or broken domain: no crash
        self.low = math.log10(low) if self.log else low
        self.span = (math.log10(high) if self.log else high) - self.low
        self.start, self.length, self.flip = start, length, flip

    def __call__(self, value: float) -> float | None:
        if self.log:
            if not (value > 0 and math.isfinite(value)):
                return None
            value = math.log10(value)
        elif not math.isfinite(value):
            return None
        share = (value - self.low) / self.span
        return self.start + self.length * (1 - share if self.flip else share)


def _n(value: float) -> str:
    """A coordinate to 0.01 px, without trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _dash(dash: tuple[float, ...]) -> str:
    return f' stroke-dasharray="{" ".join(_n(d) for d in dash)}"' if dash and any(dash[1::2]) else ""


class _Pen:
    """Writes texts: as SVG <text> (an image a browser shows: selectable, read by screen readers), or, with
    `outlines`, as the glyphs' outlines (for the PNG: the rasteriser then lays out no text, which was most of a
    PNG's time, ~2.7 ms a text, and draws the same glyphs on every machine). `defs` collects each glyph used."""

    def __init__(self, outlines: bool) -> None:
        self.outlines = outlines
        self.defs: dict[str, str] = {}

    def text(
        self,
        x: float,
        y: float,
        content: str,
        *,
        size: float,
        fill: str,
        anchor: str = "start",
        bold: bool = False,
        halo: str | None = None,
        rotate: bool = False,
    ) -> str:
        """`content` with its baseline at (x, y), anchored at its start, middle or end; `rotate`: turned
        90° anticlockwise about (x, y)."""
        weight: FontWeight = "bold" if bold else "regular"
        if self.outlines and all(glyph(char, weight) is not None for char in content):
            return self._outlined(x, y, content, size, fill, anchor, weight, halo, rotate)
        place = f'transform="translate({_n(x)},{_n(y)}) rotate(-90)"' if rotate else f'x="{_n(x)}" y="{_n(y)}"'
        attrs = f'{place} font-size="{_n(size)}"' + (' font-weight="bold"' if bold else "")
        attrs += f' text-anchor="{anchor}"' if anchor != "start" else ""
        text = f'<text {attrs} fill="{fill}">{escape(content)}</text>'
        if halo is None:
            return text
        # The halo as a text of its own underneath (not `paint-order`, which resvg ignores).
        outline = f'fill="none" stroke="{halo}" stroke-width="4" stroke-linejoin="round" aria-hidden="true"'
        return f"<text {attrs} {outline}>{escape(content)}</text>{text}"

    def _outlined(
        self,
        x: float,
        y: float,
        content: str,
        size: float,
        fill: str,
        anchor: str,
        weight: FontWeight,
        halo: str | None,
        rotate: bool,
    ) -> str:
        moves = advances(content, weight)
        total = sum(moves)
        pen_x = 0.0 if anchor == "start" else -total / 2 if anchor == "middle" else -total
        uses: list[str] = []
        for char, move in zip(content, moves, strict=True):
            outline = (glyph(char, weight) or (0, ""))[1]
            if outline:  # a space has none
                key = f"{weight[0]}{ord(char):x}"
                self.defs[key] = outline
                uses.append(f'<use href="#{key}" x="{pen_x:.0f}"/>')
            pen_x += move
        k = size / UNITS_PER_EM
        turn = " rotate(-90)" if rotate else ""
        place = f"translate({_n(x)},{_n(y)}){turn} scale({k:.6g},{-k:.6g})"
        glyphs = "".join(uses)
        drawn = f'<g transform="{place}" fill="{fill}">{glyphs}</g>'
        if halo is None:
            return drawn
        stroke = f'stroke="{halo}" stroke-width="{4 / k:.0f}" stroke-linejoin="round"'
        return f'<g transform="{place}" fill="none" {stroke}>{glyphs}</g>{drawn}'


_ANCHOR = {"left": "start", "center": "middle", "right": "end"}


def _baseline_shift(baseline: str, size: float) -> float:
    """From the y where a text's top / middle / bottom should sit to its baseline, in px."""
    if baseline == "top":
        return CAP_HEIGHT_EM * size + 1
    if baseline == "middle":
        return CAP_HEIGHT_EM * size / 2
    return -DESCENT_EM * size  # bottom: clear of the descenders


def render_svg(figure: Figure, *, outlined_text: bool = False) -> str:
    """`figure` as a standalone SVG document, exactly `width` × `height` px; with `outlined_text`, its texts
    drawn as glyph outlines (for rasterising: see `_Pen`)."""
    box = layout(figure)
    plot = box.plot
    colors = figure.colors
    pen = _Pen(outlined_text)
    x_of = _Scale(figure.x, plot.left, plot.width, flip=False)
    bands = figure.y if isinstance(figure.y, Bands) else None
    y_axis = figure.y if isinstance(figure.y, Axis) else None
    y_of = _Scale(y_axis, plot.top, plot.height, flip=True) if y_axis is not None else None
    band_step = max(0.0, plot.height - bands.foot_px) / max(1, len(bands.labels)) if bands is not None else 0.0

    def band_middle(label: str) -> float | None:
        if bands is None or label not in bands.labels:
            return None
        return plot.top + band_step * (bands.labels.index(label) + 0.5)

    def at(x_value: float, y_value: float) -> tuple[float, float] | None:
        x = x_of(x_value)
        y = y_of(y_value) if y_of is not None else None
        return None if x is None or y is None else (x, y)

    out: list[str] = []
    add = out.append
    add(
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{figure.width}" height="{figure.height}" '
        f'viewBox="0 0 {figure.width} {figure.height}" role="img" aria-labelledby="chart-title chart-desc" '
        f"font-family={quoteattr(FONT_FAMILY)}>"
    )
    description = " ".join(_sentence(part) for part in (*figure.subtitle, figure.description) if part.strip())
    add(f'<title id="chart-title">{escape(figure.title)}</title><desc id="chart-desc">{escape(description)}</desc>')
    add(f'<rect width="{figure.width}" height="{figure.height}" fill="{colors.background}"/>')

    # The title block, the axes and their labels: read through the title and description instead.
    add('<g aria-hidden="true">')
    title = truncate(figure.title, figure.width - 2 * PADDING, TITLE_SIZE, "bold")  # whole in <title>
    add(pen.text(PADDING, PADDING + ASCENT_EM * TITLE_SIZE, title, size=TITLE_SIZE, fill=colors.text, bold=True))
    for i, line in enumerate(box.subtitle):
        y = PADDING + TITLE_LINE + SUBTITLE_LINE * i + ASCENT_EM * SUBTITLE_SIZE - 1
        add(pen.text(PADDING, y, line, size=SUBTITLE_SIZE, fill=colors.muted))
    grid: list[str] = []
    ticks: list[str] = []
    labels: list[str] = []
    label_top = plot.bottom + TICK + LABEL_GAP + CAP_HEIGHT_EM * AXIS_LABEL_SIZE + 1
    last_right = -math.inf  # labels that would touch the one before are left out (Vega's "greedy" overlap rule)
    for tick in figure.x.ticks:
        x = x_of(tick.value)
        if x is None:
            continue
        if figure.x.grid:
            grid.append(f"M{_n(x)},{_n(plot.top)}V{_n(plot.bottom)}")
        ticks.append(f"M{_n(x)},{_n(plot.bottom)}v{TICK}")
        half = text_width(tick.label, AXIS_LABEL_SIZE) / 2
        if x - half >= last_right + LABEL_SPACING:
            labels.append(pen.text(x, label_top, tick.label, size=AXIS_LABEL_SIZE, fill=colors.muted, anchor="middle"))
            last_right = x + half
    label_right = plot.left - TICK - LABEL_GAP
    rows: list[tuple[float | None, str]] = []
    if y_axis is not None and y_of is not None:
        rows = [(y_of(tick.value), label) for tick, label in zip(y_axis.ticks, box.y_labels, strict=True)]
        if y_axis.grid:
            grid += [f"M{_n(plot.left)},{_n(y)}H{_n(plot.right)}" for y, _ in rows if y is not None]
    elif bands is not None:
        rows = [(band_middle(label), shown) for label, shown in zip(bands.labels, box.y_labels, strict=True)]
    last_y = math.inf
    for row_y, row_label in rows:
        if row_y is None:
            continue
        ticks.append(f"M{_n(plot.left)},{_n(row_y)}h-{TICK}")
        if abs(last_y - row_y) >= AXIS_LABEL_SIZE + LABEL_SPACING:
            middle = row_y + CAP_HEIGHT_EM * AXIS_LABEL_SIZE / 2
            labels.append(
                pen.text(label_right, middle, row_label, size=AXIS_LABEL_SIZE, fill=colors.muted, anchor="end")
            )
            last_y = row_y
    if grid:
        add(f'<path d="{"".join(grid)}" stroke="{colors.grid}" stroke-width="1" fill="none"/>')
    domain = f"M{_n(plot.left)},{_n(plot.bottom)}H{_n(plot.right)}"
    if bands is not None:
        domain += f"M{_n(plot.left)},{_n(plot.top)}V{_n(plot.bottom)}"
    add(f'<path d="{domain}{"".join(ticks)}" stroke="{colors.grid}" stroke-width="1" fill="none"/>')
    out.extend(labels)
    if figure.x.title:
        y = plot.bottom + TICK + LABEL_GAP + AXIS_LABEL_SIZE + 2 + AXIS_TITLE_GAP + CAP_HEIGHT_EM * AXIS_TITLE_SIZE
        x = plot.left + plot.width / 2
        title = truncate(figure.x.title, plot.width, AXIS_TITLE_SIZE, "bold")
        add(pen.text(x, y, title, size=AXIS_TITLE_SIZE, fill=colors.text, anchor="middle", bold=True))
    if y_axis is not None and y_axis.title:
        title = truncate(y_axis.title, plot.height, AXIS_TITLE_SIZE, "bold")
        x, y = PADDING + CAP_HEIGHT_EM * AXIS_TITLE_SIZE, plot.top + plot.height / 2
        add(pen.text(x, y, title, size=AXIS_TITLE_SIZE, fill=colors.text, anchor="middle", bold=True, rotate=True))
    add("</g>")

    # Bars, then lines, rules, dots and texts. Lines and the dots of a sweep are clipped to the plot here, in
    # arithmetic: an SVG clip path costs the rasteriser a mask the size of the image, ~30-60 ms a PNG at scale 2.
    for bar in figure.bars:
        bar_middle = band_middle(bar.band)
        x0, x1 = x_of(bar.x0), x_of(bar.x1)
        if bar_middle is None or x0 is None or x1 is None or bands is None:
            continue
        thickness = band_step * bands.bar_share
        left, right = sorted((x0, x1))
        title = f"<title>{escape(bar.title)}</title>" if bar.title else ""
        add(
            f'<rect x="{_n(left)}" y="{_n(bar_middle - thickness / 2)}" width="{_n(right - left)}" '
            f'height="{_n(thickness)}" fill="{bar.color}">{title}</rect>'
        )
    if figure.lines:
        add('<g fill="none" stroke-linejoin="round">')
        for series in figure.lines:
            path = _clipped_path([at(x, y) for x, y in series.points], plot)
            if path:
                add(
                    f'<path d="{path}" stroke="{series.color}" stroke-width="{_n(series.width)}"{_dash(series.dash)}>'
                    f"<title>{escape(series.name)}</title></path>"
                )
        add("</g>")
    for rule in figure.rules:
        x = x_of(rule.x)
        if x is not None and plot.left - 0.5 <= x <= plot.right + 0.5:
            add(
                f'<path d="M{_n(x)},{_n(plot.top)}V{_n(plot.bottom)}" stroke="{rule.color}" stroke-width="1"'
                f'{_dash(rule.dash)} fill="none" aria-hidden="true"/>'
            )
    for dot in figure.dots:
        point = at(dot.x, dot.y)
        if point is not None and not (dot.clip and not _inside(point, plot)):
            add(_dot(dot, *point))
    for text in figure.texts:
        y_px = (
            (plot.top if text.edge == "top" else plot.bottom)
            if text.edge is not None
            else band_middle(text.band)
            if text.band is not None
            else y_of(text.y)
            if y_of is not None and text.y is not None
            else None
        )
        x = x_of(text.x)
        if x is None or y_px is None:
            continue
        y = y_px + text.dy + _baseline_shift(text.baseline, text.size)
        x, anchor, content = _within(text, x, plot.left, figure.width - PADDING)
        add(pen.text(x, y, content, size=text.size, fill=text.color, anchor=anchor, bold=text.bold, halo=text.halo))
    if figure.legend is not None and box.legend_entries:
        add(_legend(figure.legend, box, colors.text, pen))
    if pen.defs:
        add("<defs>" + "".join(f'<path id="{key}" d="{outline}"/>' for key, outline in pen.defs.items()) + "</defs>")
    add("</svg>")
    return xml_safe("".join(out))


def _sentence(text: str) -> str:
    """`text` ending as a sentence does, for the description a screen reader reads as one paragraph."""
    text = text.strip()
    return text if text.endswith((".", "!", "?", ":")) else f"{text}."


def _within(text: Text, x: float, left: float, right: float) -> tuple[float, str, str]:
    """Where `text` at `x` is drawn (its anchor's x, the anchor, and the text, cut with an ellipsis if wider
    than the room) so that it stays between `left` (the plot's left edge) and `right` (the image's): a text that
    would cross one edge is drawn on the other side of its point (a label left of a line goes right of it), and
    pushed in if it still does not fit."""
    weight: FontWeight = "bold" if text.bold else "regular"
    content = truncate(text.text, right - left, text.size, weight)
    width = text_width(content, text.size, weight)
    align, dx = text.align, text.dx
    start = x + dx - (0 if align == "left" else width / 2 if align == "center" else width)
    if align == "right" and start < left:
        align, dx = "left", -dx
    elif align == "left" and start + width > right:
        align, dx = "right", -dx
    start = x + dx - (0 if align == "left" else width / 2 if align == "center" else width)
    shift = max(0.0, left - start) - max(0.0, start + width - right)
    return x + dx + shift, _ANCHOR[align], content


def _inside(point: tuple[float, float], box: Box) -> bool:
    x, y = point
    return box.left - 0.5 <= x <= box.right + 0.5 and box.top - 0.5 <= y <= box.bottom + 0.5


def _clip_segment(
    a: tuple[float, float], b: tuple[float, float], box: Box
) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """The part of the segment a-b inside `box` (Liang-Barsky), or None."""
    (x0, y0), (x1, y1) = a, b
    dx, dy = x1 - x0, y1 - y0
    low, high = 0.0, 1.0
    for p, q in ((-dx, x0 - box.left), (dx, box.right - x0), (-dy, y0 - box.top), (dy, box.bottom - y0)):
        if p == 0:
            if q < 0:
                return None
            continue
        t = q / p
        if p < 0:
            low = max(low, t)
        else:
            high = min(high, t)
        if low > high:
            return None
    return (x0 + low * dx, y0 + low * dy), (x0 + high * dx, y0 + high * dy)


def _clipped_path(points: list[tuple[float, float] | None], box: Box) -> str:
    """An SVG path through `points` (pixels), cut to `box`, broken where a point cannot be drawn (None: ≤ 0 on a
    log axis)."""
    parts: list[str] = []
    last_end: tuple[float, float] | None = None
    if len(points) == 1 and points[0] is not None and _inside(points[0], box):
        x, y = points[0]
        return f"M{_n(x)},{_n(y)}h0"
    for a, b in zip(points, points[1:], strict=False):
        if a is None or b is None:
            last_end = None
            continue
        piece = _clip_segment(a, b, box)
        if piece is None:
            last_end = None
            continue
        start, end = piece
        if last_end is None or abs(start[0] - last_end[0]) > 1e-6 or abs(start[1] - last_end[1]) > 1e-6:
            parts.append(f"M{_n(start[0])},{_n(start[1])}")
        parts.append(f"L{_n(end[0])},{_n(end[1])}")
        last_end = end
    return "".join(parts)


def _dot(dot: Dot, x: float, y: float) -> str:
    stroke = f' stroke="{dot.stroke}" stroke-width="{_n(dot.stroke_width)}"' if dot.stroke else ""
    title = f"<title>{escape(dot.title)}</title>" if dot.title else ""
    if dot.shape == "diamond":
        # A square of `area` px² turned 45°: half its diagonal from the centre to each corner.
        r = math.sqrt(2 * dot.area) / 2
        outline = f"M{_n(x)},{_n(y - r)}L{_n(x + r)},{_n(y)}L{_n(x)},{_n(y + r)}L{_n(x - r)},{_n(y)}Z"
        return f'<path d="{outline}" fill="{dot.fill}"{stroke}>{title}</path>'
    r = math.sqrt(dot.area / math.pi)
    return f'<circle cx="{_n(x)}" cy="{_n(y)}" r="{_n(r)}" fill="{dot.fill}"{stroke}>{title}</circle>'


def _legend(legend: Legend, box: Layout, text_color: str, pen: _Pen) -> str:
    left, top = box.plot.left, box.legend_top
    parts = ['<g aria-label="legend">']
    if legend.title:
        y = top + ASCENT_EM * AXIS_TITLE_SIZE
        parts.append(pen.text(left, y, legend.title, size=AXIS_TITLE_SIZE, fill=text_color, bold=True))
    for placed in box.legend_entries:
        entry = legend.entries[placed.index]
        x = left + placed.x
        middle = top + placed.y + LEGEND_ROW / 2 - 2
        if entry.symbol == "square":
            parts.append(f'<rect x="{_n(x + 3)}" y="{_n(middle - 5)}" width="10" height="10" fill="{entry.color}"/>')
        else:
            parts.append(
                f'<path d="M{_n(x)},{_n(middle)}h{LEGEND_SYMBOL}" stroke="{entry.color}" stroke-width="3"'
                f'{_dash(entry.dash)} fill="none"/>'
            )
        for i, line in enumerate(placed.lines):
            y = middle + LEGEND_ROW * i + CAP_HEIGHT_EM * LEGEND_SIZE / 2
            parts.append(pen.text(x + LEGEND_SYMBOL + 4, y, line, size=LEGEND_SIZE, fill=text_color))
    parts.append("</g>")
    return "".join(parts)
