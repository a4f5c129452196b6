"""Declarative Vega-Lite specs for Breakeven's charts, built from one evaluated scenario.

One spec per chart kind; the server renders it to SVG/PNG (app/render/chart_render.py) for images,
embeds and the page. The points come from `chart_series` (exact replica staircases, sampled only
where steps are closer than a couple of pixels).

Kinds:
- "cost": monthly cost (USD) vs requests per month, log-log; crossovers and the user's volume marked.
- "cost_per_mtok": cost per million tokens (USD/Mtok) vs requests per month, log-log.
- "horizon": cumulative cost (USD) vs month, one line per plan (API throughout, self-host from the
  start, the cheapest switch month, the user's plan), for the headline pair; from POST /api/v1/horizon's
  answer (`horizon_spec`).
- "tornado": the break-even volume (requests/month, log axis) with each uncertain input alone at the
  low and high end of its range, widest swing first; from POST /api/v1/uncertainty's answer
  (`tornado_spec`).
- "interactivity": output tokens/s per GPU vs tokens/s per user as concurrency grows, one line per
  estimated self-hosted option, the sized point and the latency target marked (issue 15; built in
  app/render/interactivity.py from app/scenario/interactivity.py's curves).
"""

from __future__ import annotations

import math
import textwrap
from typing import Any, Literal

from app.core import horizon as horizon_core
from app.render.beyond_json import finite_or_none
from app.render.chart_series import LABEL_CHAR_PX, LABEL_FONT_SIZE, LABEL_HEIGHT_PX, PALETTE, chart_series, place_labels
from app.render.format import money, volume
from app.scenario.evaluate import ScenarioResult
from app.scenario.horizon import HorizonAnswer
from app.scenario.uncertainty import UncertaintyAnswer

ChartKind = Literal["cost", "cost_per_mtok", "horizon", "tornado", "interactivity"]
Theme = Literal["light", "dark"]
CHART_KINDS: tuple[ChartKind, ...] = ("cost", "cost_per_mtok", "horizon", "tornado", "interactivity")
# Kinds drawn for the headline pair (cheapest API vs cheapest self-hosted) from a beyond-crossover answer.
PAIR_CHART_KINDS: tuple[ChartKind, ...] = ("horizon", "tornado")

THEMES: dict[Theme, dict[str, str]] = {
    "light": {"background": "#ffffff", "text": "#1f2328", "muted": "#59636e", "grid": "#e6e8eb", "mark": "#1f2328"},
    "dark": {"background": "#0d1117", "text": "#e6edf3", "muted": "#9198a1", "grid": "#30363d", "mark": "#e6edf3"},
}
# Okabe–Ito colours read on both backgrounds except black, which is swapped for white on dark.
DARK_PALETTE = tuple("#ffffff" if c == "#000000" else c for c in PALETTE)

# Text sizes (px). Legend labels at 12 px: issue 16 found the default ~8 px unreadable and asked for
# at least 11; subtitles at 12 px and wrapped to the image's width (a 360 px phone render cut them).
LEGEND_FONT_SIZE = 12
SUBTITLE_FONT_SIZE = 12
# DejaVu Sans averages about 0.6 em a glyph; wrapping at 0.62 em leaves a margin.
SUBTITLE_CHAR_PX = 0.62 * SUBTITLE_FONT_SIZE
# How each kind of option is drawn (issue 16: "one option's line not hiding another's"): an API
# solid, a hosted offer of an open model dashed (its price often sits on or near another API's line), a
# self-hosted option's staircase solid and a little wider, so that a line drawn over it leaves its edges.
LINE_KINDS = ("API", "hosted open model", "self-hosted")
LINE_DASH = ([1, 0], [6, 4], [1, 0])
LINE_WIDTH = (2.5, 2.5, 3.5)
# The space `autosize: fit` leaves around the plot, estimated for placing crossover labels (px): the
# y axis (labels such as "$100M" and the title), the x axis, the title line and each subtitle line, and
# each legend row. An estimate: a label placed a few pixels off still sits beside its point.
Y_AXIS_PX = 72
X_AXIS_PX = 46
TITLE_PX = 26
SUBTITLE_LINE_PX = 15
LEGEND_ROW_PX = 17
# Vega-Lite's default size of axis labels (px; https://vega.github.io/vega-lite/docs/axis.html#labels).
AXIS_LABEL_FONT_SIZE = 10
# How wide each printable ASCII character (space to "~") draws in DejaVu Sans, in em, as vl-convert 1.9
# measures it (ten in a row, measured at 100 px, divided by ten; the space at its advance, 651/2048 em).
# An upper bound on a label's width: see `label_limit`.
_DEJAVU_SANS_EM = dict(
    zip(
        map(chr, range(32, 127)),
        map(
            float,
            """
    0.318 0.401 0.46 0.838 0.637 0.951 0.78 0.275 0.391 0.391 0.5 0.838 0.318 0.361 0.318 0.337 0.637
    0.637 0.637 0.637 0.637 0.637 0.637 0.637 0.637 0.637 0.337 0.337 0.838 0.838 0.838 0.531 1.0 0.71
    0.687 0.699 0.771 0.632 0.576 0.775 0.752 0.295 0.295 0.656 0.558 0.863 0.749 0.788 0.604 0.788
    0.695 0.635 0.596 0.732 0.685 0.989 0.686 0.611 0.686 0.391 0.337 0.391 0.838 0.5 0.5 0.613 0.635
    0.55 0.635 0.616 0.345 0.635 0.634 0.278 0.278 0.58 0.278 0.975 0.634 0.612 0.635 0.635 0.396 0.521
    0.393 0.634 0.592 0.818 0.592 0.592 0.525 0.637 0.337 0.637 0.838
            """.split(),
        ),
        strict=True,
    )
)
# Any other character (a "·", an "×", a name in another script drawn by a fallback font) counted as 2 em,
# wider than DejaVu Sans's widest (the em dash and "@", 1 em); and 10% more on the whole, for kerning.
_OTHER_CHAR_EM = 2.0
_WIDTH_MARGIN = 1.1
# The tornado's two bar colours: each input at the low, then at the high end of its range.
TORNADO_ENDS = ("low end of the range", "high end of the range")


def label_limit(texts: list[str], limit: int, font_size: float) -> int:
    """`limit` for labels (a legend's, an axis's) if one of `texts` might draw wider than it, else 0 (no
    limit). Vega measures a label once more to test it against a limit, and each measurement is most of a
    render's cost (vl-convert lays the text out through the font file, ~0.4 ms a call plus its glyphs:
    docs/performance.md, 2026-11-26, cold chart render). A label no wider than its limit is drawn the same
    with or without it, so the limit is dropped where an upper bound on every label's width fits."""
    for text in texts:
        ems = sum(_DEJAVU_SANS_EM.get(char, _OTHER_CHAR_EM) for char in text)
        if ems * font_size * _WIDTH_MARGIN > limit:
            return limit
    return 0


def _sources_lines(result: ScenarioResult) -> list[str]:
    as_of = sorted({o.resolved.option.prices.as_of for o in result.options if hasattr(o.resolved.option, "prices")})
    dated = [d for d in as_of if d]
    prices = f"API prices as of {dated[-1]} (genai-prices)" if dated else "API prices entered by the user"
    return [prices, "GPU prices and capacity: Breakeven catalog or user input; a month is 730 hours."]


CHART_TITLES: dict[ChartKind, str] = {
    "cost": "Monthly cost vs volume",
    "cost_per_mtok": "Cost per million tokens vs volume",
    "horizon": "Cumulative cost over time",
    "tornado": "What moves the break-even volume",
    "interactivity": "Throughput vs interactivity",
}


def chart_title(kind: ChartKind) -> str:
    return CHART_TITLES[kind]


def theme_colors(theme: Theme) -> tuple[dict[str, str], tuple[str, ...]]:
    """The text, grid and background colours of a theme, and its palette for the options."""
    return THEMES[theme], DARK_PALETTE if theme == "dark" else PALETTE


def marked_line(field: str, value: float, label: str, colors: dict[str, str]) -> dict[str, Any]:
    """A dotted vertical rule at `value` on the x field, labelled at the top (the user's volume, a
    crossover month)."""
    return {
        "data": {"values": [{field: value, "label": label}]},
        "layer": [
            {
                "mark": {"type": "rule", "strokeDash": [2, 3], "color": colors["muted"]},
                "encoding": {"x": {"field": field, "type": "quantitative"}},
            },
            {
                "mark": {"type": "text", "align": "left", "baseline": "top", "dx": 4, "y": 4, "color": colors["muted"]},
                "encoding": {"x": {"field": field, "type": "quantitative"}, "text": {"field": "label"}},
            },
        ],
    }


def chart_spec(
    result: ScenarioResult,
    *,
    kind: ChartKind = "cost",
    width: int = 720,
    height: int = 400,
    theme: Theme = "light",
    subtitle: str | None = None,
) -> dict[str, Any]:
    colors, palette = theme_colors(theme)
    data = chart_series(result, plot_width=width)
    tokens_per_request = result.workload.tokens_per_request

    def y_of(requests: float, cost: float) -> float:
        return cost if kind == "cost" else cost / (requests * tokens_per_request / 1e6)

    rows: list[dict[str, Any]] = []
    for series in data.series:
        line_kind = "self-hosted" if series.kind == "self_hosted" else "hosted open model" if series.hosted else "API"
        for order, (requests, cost) in enumerate(series.points):
            rows.append(
                {
                    "option": series.name,
                    "kind": line_kind,
                    "requests": requests,
                    "value": y_of(requests, cost),
                    "order": order,
                }
            )
    values = [row["value"] for row in rows if row["value"] > 0]
    y_range = (_decade_floor(min(values)), _decade_ceil(max(values))) if values else (1.0, 10.0)
    subtitle_lines = _wrap([line for line in (subtitle, *_sources_lines(result)) if line], width)
    names = [s.name for s in data.series]
    plot_width = max(1.0, width - Y_AXIS_PX)
    plot_height = max(
        1.0, height - X_AXIS_PX - TITLE_PX - SUBTITLE_LINE_PX * len(subtitle_lines) - LEGEND_ROW_PX * len(names)
    )

    def pixel(requests: float, value: float) -> tuple[float, float]:
        x = plot_width * _log_share(requests, data.x_range)
        return x, plot_height * (1 - _log_share(value, y_range))

    volume_label = f"your volume: {volume(data.volume)}/month"
    volume_x = pixel(data.volume, y_range[0])[0]
    reserved = ((volume_x, 0.0, volume_x + 8 + len(volume_label) * LABEL_CHAR_PX, 4.0 + LABEL_HEIGHT_PX),)
    placed = place_labels(
        [(m, *pixel(m.requests_per_month, y_of(m.requests_per_month, m.cost))) for m in data.markers],
        plot_width,
        plot_height,
        reserved,
    )
    markers = [
        {
            "requests": m.requests_per_month,
            "value": y_of(m.requests_per_month, m.cost),
            "label": m.keyed_label,
            "detail": m.detail,
        }
        for m in data.markers
    ]
    labels = [
        {
            "requests": p.marker.requests_per_month,
            "value": y_of(p.marker.requests_per_month, p.marker.cost),
            "text": p.text,
            "spot": f"{'above' if p.above else 'below'}-{'right' if p.right else 'left'}",
        }
        for p in placed
    ]
    y_title = "Monthly cost (USD)" if kind == "cost" else "Cost per million tokens (USD/Mtok)"
    x_axis = {"title": "Requests per month", "format": "~s", "grid": True, "tickCount": 6}
    x_scale = {"type": "log", "domain": list(data.x_range), "nice": False}
    y_axis = {"title": y_title, "format": "$~s" if kind == "cost" else "$.3~g", "tickCount": 6}
    y_scale = {"type": "log", "domain": list(y_range), "nice": False}
    layers: list[dict[str, Any]] = [
        {
            "data": {"values": rows},
            "mark": {"type": "line", "clip": True},
            "encoding": {
                "x": {"field": "requests", "type": "quantitative", "scale": x_scale, "axis": x_axis},
                "y": {"field": "value", "type": "quantitative", "scale": y_scale, "axis": y_axis},
                "color": {
                    "field": "option",
                    "type": "nominal",
                    "scale": {"domain": names, "range": list(palette[: len(names)] or palette)},
                    "legend": {
                        "title": None,
                        "orient": "bottom",
                        "direction": "vertical",
                        # The legend starts under the plot, right of the y axis.
                        "labelLimit": label_limit(names, max(120, width - Y_AXIS_PX - 30), LEGEND_FONT_SIZE),
                        "labelFontSize": LEGEND_FONT_SIZE,
                        "symbolStrokeWidth": 3,
                    },
                },
                "strokeDash": {
                    "field": "kind",
                    "type": "nominal",
                    "scale": {"domain": list(LINE_KINDS), "range": list(LINE_DASH)},
                    "legend": None,
                },
                "strokeWidth": {
                    "field": "kind",
                    "type": "nominal",
                    "scale": {"domain": list(LINE_KINDS), "range": list(LINE_WIDTH)},
                    "legend": None,
                },
                "order": {"field": "order", "type": "quantitative"},
            },
        },
        marked_line("requests", data.volume, volume_label, colors),
    ]
    if markers:
        layers.append(
            {
                "data": {"values": markers},
                "mark": {
                    "type": "point",
                    "filled": True,
                    "size": 70,
                    "color": colors["mark"],
                    "stroke": colors["background"],
                    "strokeWidth": 1,
                },
                "encoding": {
                    "x": {"field": "requests", "type": "quantitative"},
                    "y": {"field": "value", "type": "quantitative"},
                    "tooltip": {"field": "detail"},
                    "description": {"field": "label"},
                },
            }
        )
    if labels:
        layers.append(
            {
                "data": {"values": labels},
                "layer": [
                    {
                        "transform": [{"filter": f"datum.spot == '{vertical}-{side}'"}],
                        "mark": {
                            "type": "text",
                            "align": "left" if side == "right" else "right",
                            "baseline": "bottom" if vertical == "above" else "top",
                            "dx": 6 if side == "right" else -6,
                            "dy": -6 if vertical == "above" else 6,
                            "fontSize": LABEL_FONT_SIZE,
                            "fontWeight": "bold",
                            # First a halo in the background colour, then the text: a label stays
                            # legible where it crosses a line.
                            **(
                                {"color": colors["background"], "stroke": colors["background"], "strokeWidth": 4}
                                if halo
                                else {"color": colors["text"]}
                            ),
                        },
                        "encoding": {
                            "x": {"field": "requests", "type": "quantitative"},
                            "y": {"field": "value", "type": "quantitative"},
                            "text": {"field": "text"},
                        },
                    }
                    for halo in (True, False)
                    for vertical in ("above", "below")
                    for side in ("left", "right")
                ],
            }
        )
    return _frame(chart_title(kind), subtitle_lines, layers, width, height, colors)


def _decade_floor(value: float) -> float:
    return float(10.0 ** math.floor(math.log10(value)))


def _decade_ceil(value: float) -> float:
    return float(10.0 ** math.ceil(math.log10(value)))


def _log_share(value: float, domain: tuple[float, float]) -> float:
    """Where `value` sits along a log axis over `domain`, from 0 (low end) to 1 (high end)."""
    low, high = domain
    if value <= 0 or high <= low:
        return 0.0
    return min(1.0, max(0.0, math.log10(value / low) / math.log10(high / low)))


def _wrap(lines: list[str], width: int) -> list[str]:
    """Subtitle lines wrapped to the image's width: Vega draws a title line as one run of text, and
    a 360 px phone render cut "… a month is 730 hours." off (issue 16); the horizon and tornado charts
    too, and `autosize: fit` then squeezed their plots to a sliver beside the overflowing line."""
    columns = max(20, int((width - 16) / SUBTITLE_CHAR_PX))
    return [part for line in lines for part in textwrap.wrap(line, columns, break_on_hyphens=False) or [line]]


def _frame(
    title: str, subtitle_lines: list[str], layers: list[dict[str, Any]], width: int, height: int, colors: dict[str, str]
) -> dict[str, Any]:
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": {
            "text": title,
            "subtitle": subtitle_lines,
            "anchor": "start",
            "color": colors["text"],
            "subtitleColor": colors["muted"],
            "subtitleFontSize": SUBTITLE_FONT_SIZE,
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
                # No truncation limit on axis labels: Vega measures a label once more to test it against a limit,
                # and each measurement is most of a render's cost (vl-convert lays the text out through the font
                # file, ~0.4 ms a call: docs/performance.md, 2026-11-26, cold chart render). Our axes label
                # formatted numbers ("$100k", "10M"), far under Vega-Lite's default 180 px; the one axis that
                # labels words (the tornado's inputs) sets its own `labelLimit`.
                "labelLimit": 0,
                "labelColor": colors["muted"],
                "titleColor": colors["text"],
                "gridColor": colors["grid"],
                "domainColor": colors["grid"],
                "tickColor": colors["grid"],
            },
            "legend": {"labelColor": colors["text"], "labelFontSize": LEGEND_FONT_SIZE},
        },
    }


def _pct(fraction: float) -> str:
    text = f"{fraction * 100:+.4g}%".replace("-", "−")
    return "0%" if text in ("+0%", "−0%") else text


def horizon_spec(
    horizon: HorizonAnswer,
    *,
    width: int = 720,
    height: int = 400,
    theme: Theme = "light",
    subtitle: str | None = None,
) -> dict[str, Any]:
    """Cumulative USD by month for each plan of a POST /api/v1/horizon answer (months 0..H)."""
    colors, palette = theme_colors(theme)
    api = horizon.pair.api.resolved.option.name
    sh = horizon.pair.self_hosted.resolved.option.name
    months, solved, request = horizon.months, horizon.solved, horizon.request
    # The cheapest plan first (solid), then the others it is compared with; each switch month once.
    named: list[tuple[horizon_core.Plan | None, str]] = [
        (solved.cheapest, "Cheapest: "),
        (solved.api_only, ""),
        (solved.self_hosted_from_start, ""),
        (horizon.user_plan, "Your plan: "),
    ]

    def base_name(plan: horizon_core.Plan) -> str:
        if plan.switch_month >= months:
            return f"{api} throughout"
        return f"{sh} from the start" if plan.switch_month == 0 else plan.label

    rows: list[dict[str, Any]] = []
    names: list[str] = []
    seen: set[int] = set()
    for plan, prefix in named:
        if plan is None or plan.switch_month in seen:
            continue
        seen.add(plan.switch_month)
        name = f"{prefix}{base_name(plan)} (net {money(plan.net_total)})"
        names.append(name)
        rows += [{"plan": name, "month": m, "usd": usd} for m, usd in enumerate(plan.cumulative)]
    api_trend = request.api_price_change_per_year
    default_trend = api_trend == -0.5
    lines = [
        line
        for line in (
            subtitle,
            f"API prices {_pct(api_trend)}/year"
            + (" (default; Epoch AI trend, Anthropic list prices)" if default_trend else "")
            + f"; GPU prices {_pct(request.gpu_price_change_per_year)}/year; "
            f"traffic {_pct(request.monthly_growth)}/month.",
            f"Migration {request.migration.engineering_weeks:g} engineer-weeks = {money(horizon.migration_cost_usd)}, "
            "paid when self-hosting starts.",
            "Lines: cash spent to date; net = the total after resale of bought hardware. USD, 730 hours a month.",
        )
        if line
    ]
    cheapest = names[0]
    layers: list[dict[str, Any]] = [
        {
            "data": {"values": rows},
            "mark": {"type": "line", "strokeWidth": 2.5, "interpolate": "linear"},
            "encoding": {
                "x": {
                    "field": "month",
                    "type": "quantitative",
                    "scale": {"domain": [0, months], "nice": False},
                    "axis": {"title": "Month", "tickMinStep": 1, "format": "d"},
                },
                "y": {
                    "field": "usd",
                    "type": "quantitative",
                    "axis": {"title": "Cumulative cost (USD)", "format": "$~s", "tickCount": 6},
                },
                "color": {
                    "field": "plan",
                    "type": "nominal",
                    "scale": {"domain": names, "range": list(palette[: len(names)])},
                    "legend": {
                        "title": None,
                        "orient": "bottom",
                        "direction": "vertical",
                        # As the cost chart's: within the image, right of the y axis (a 360 px render cut
                        # the plans' names off at the image's edge).
                        "labelLimit": label_limit(names, max(120, width - Y_AXIS_PX - 30), LEGEND_FONT_SIZE),
                    },
                },
                "strokeDash": {
                    "condition": {"test": f"datum.plan === {cheapest!r}", "value": [1, 0]},
                    "value": [6, 3],
                },
            },
        },
    ]
    crossover = solved.crossover_month
    if crossover is not None:
        layers.append(marked_line("month", crossover, f"{sh} cheaper per month from month {crossover}", colors))
    return _frame(CHART_TITLES["horizon"], _wrap(lines, width), layers, width, height, colors)


# Below this width (a phone, a wiki sidebar) the tornado says its x-axis title in fewer words (in full it needs
# ~390 px of plot), stacks its legend and labels both marker lines to their left.
TORNADO_NARROW_BELOW = 560
TORNADO_MARKER_LINE_PX = 13  # one line of the marker labels (11 px text)


def tornado_spec(
    uncertainty: UncertaintyAnswer,
    *,
    width: int = 720,
    height: int = 400,
    theme: Theme = "light",
    subtitle: str | None = None,
) -> dict[str, Any]:
    """Horizontal bars: the break-even volume with each input at the low / high end of its range."""
    colors, palette = theme_colors(theme)
    base = uncertainty.pair.scenario.breakevens[0].solution.stays_cheaper_above
    bars = uncertainty.bars
    finite = [v for b in bars for v in (finite_or_none(b.at_low), finite_or_none(b.at_high)) if v is not None and v > 0]
    if base is not None and base > 0:
        finite.append(base)
    your_volume = uncertainty.volume
    finite.append(your_volume)
    low_end, never_at, high_end = min(finite) / 1.5, max(finite) * 2, max(finite) * 4

    def place(value: float | None) -> float:  # "never" is drawn near the right edge
        return float(never_at if value is None else max(low_end, value))

    def words(value: float | None) -> str:
        return "never" if value is None else volume(value)

    rows = []
    for b in bars:
        at_low, at_high = finite_or_none(b.at_low), finite_or_none(b.at_high)
        label = f"{b.input.label} ({b.input.range.low:.3g}×–{b.input.range.high:.3g}×)"
        for end, value, factor in (("low", at_low, b.input.range.low), ("high", at_high, b.input.range.high)):
            rows.append(
                {
                    "input": label,
                    "end": f"{end} end of the range",
                    "from": place(base),
                    "to": place(value),
                    "text": f"{words(value)}",
                    "detail": f"{b.input.label} × {factor:.3g}: break-even {words(value)} requests/month",
                }
            )
    order = [f"{b.input.label} ({b.input.range.low:.3g}×–{b.input.range.high:.3g}×)" for b in bars]
    x_scale = {"type": "log", "domain": [low_end, high_end], "nice": False}
    # At most 40% of the image for the inputs' names (truncated with an ellipsis past it), so a 360 px render
    # keeps a plot wide enough for its bars and labels; 260 px at the default 720.
    y_labels = {"title": None, "labelLimit": label_limit(order, min(260, int(width * 0.4)), AXIS_LABEL_FONT_SIZE)}
    narrow = width < TORNADO_NARROW_BELOW
    x_title = "Break-even" if narrow else "Volume above which self-hosting stays cheaper"
    y = {"field": "input", "type": "nominal", "sort": order, "axis": y_labels}
    layers: list[dict[str, Any]] = [
        {
            "data": {"values": rows},
            "layer": [
                {
                    "mark": {"type": "bar", "height": {"band": 0.6}},
                    "encoding": {
                        "y": y,
                        "x": {
                            "field": "from",
                            "type": "quantitative",
                            "scale": x_scale,
                            "axis": {
                                "title": f"{x_title} (requests/month)",
                                "format": "~s",
                                "grid": True,
                            },
                        },
                        "x2": {"field": "to"},
                        "color": {
                            "field": "end",
                            "type": "nominal",
                            "scale": {
                                "domain": list(TORNADO_ENDS),
                                "range": [palette[1 % len(palette)], palette[2 % len(palette)]],
                            },
                            "legend": {
                                "title": "Input at the",
                                "orient": "bottom",
                                "direction": "vertical" if narrow else "horizontal",
                                # Vega-Lite's default limit for legend labels, 160 px.
                                "labelLimit": label_limit(list(TORNADO_ENDS), 160, LEGEND_FONT_SIZE),
                            },
                        },
                        "tooltip": {"field": "detail"},
                    },
                },
                {
                    "mark": {"type": "text", "baseline": "middle", "dx": 4, "align": "left", "color": colors["text"]},
                    "transform": [{"filter": "datum.to >= datum.from"}],
                    "encoding": {"y": y, "x": {"field": "to", "type": "quantitative"}, "text": {"field": "text"}},
                },
                {
                    "mark": {"type": "text", "baseline": "middle", "dx": -4, "align": "right", "color": colors["text"]},
                    "transform": [{"filter": "datum.to < datum.from"}],
                    "encoding": {"y": y, "x": {"field": "to", "type": "quantitative"}, "text": {"field": "text"}},
                },
            ],
        },
        {
            "data": {
                "values": [
                    {"x": place(base), "label": f"entered values: {words(base)}", "left": place(base) < your_volume},
                    {
                        "x": your_volume,
                        "label": f"your volume: {volume(your_volume)}",
                        "left": your_volume <= place(base),
                    },
                ]
            },
            "layer": [
                {
                    "mark": {"type": "rule", "strokeDash": [2, 3], "color": colors["muted"]},
                    "encoding": {"x": {"field": "x", "type": "quantitative"}},
                },
                *(
                    {
                        # The left one of the two lines labelled to its left, the other to its right; in a
                        # narrow render the right one too is labelled to its left, a line higher, as there is
                        # no room between it and the image's edge.
                        "transform": [{"filter": f"datum.left == {str(left).lower()}"}],
                        "mark": {
                            "type": "text",
                            "align": "right" if left or narrow else "left",
                            "baseline": "bottom",
                            "dx": -3 if left or narrow else 3,
                            "y": "height",
                            "dy": -2 if left or not narrow else -2 - TORNADO_MARKER_LINE_PX,
                            "color": colors["muted"],
                        },
                        "encoding": {"x": {"field": "x", "type": "quantitative"}, "text": {"field": "label"}},
                    }
                    for left in (True, False)
                ),
            ],
        },
    ]
    api = uncertainty.pair.api.resolved.option.name
    sh = uncertainty.pair.self_hosted.resolved.option.name
    mc = uncertainty.monte_carlo
    lines = [
        line
        for line in (
            subtitle,
            f"{sh} vs {api}.",
            "Each input alone at the ends of its range, the others as entered.",
            f"P(self-hosting cheaper at your volume) = {mc.probability_self_hosted_cheaper:.0%} of "
            f"{mc.draws:,} draws (seed {mc.seed}).",
            "Ranges: throughput error band of the estimator, GPU rental index, API price trend (see the page).",
        )
        if line
    ]
    return _frame(CHART_TITLES["tornado"], _wrap(lines, width), layers, width, height, colors)
