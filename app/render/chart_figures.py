"""Breakeven's charts as typed figures (app/render/figure.py), built from one evaluated scenario.

One builder per chart kind; app/render/svg_figure.py draws the figure as SVG, and app/render/chart_render.py
rasterises that SVG for PNG, for images, embeds and the page. The points come from `chart_series` (exact
replica staircases, sampled only where steps are closer than a couple of pixels).

Kinds:
- "cost": monthly cost (USD) vs requests per month, log-log; crossovers and the user's volume marked.
- "cost_per_mtok": cost per million tokens (USD/Mtok) vs requests per month, log-log.
- "horizon": cumulative cost (USD) vs month, one line per plan (API throughout, self-host from the
  start, the cheapest switch month, the user's plan), for the headline pair; from POST /api/v1/horizon's
  answer (`horizon_figure`).
- "tornado": the break-even volume (requests/month, log axis) with each uncertain input alone at the
  low and high end of its range, widest swing first; from POST /api/v1/uncertainty's answer
  (`tornado_figure`).
- "interactivity": output tokens/s per GPU vs tokens/s per user as concurrency grows, one line per
  estimated self-hosted option, the sized point and the latency target marked (issue 15; built in
  app/render/interactivity.py from app/scenario/interactivity.py's curves).
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Literal

from app.core import horizon as horizon_core
from app.render.beyond_json import finite_or_none
from app.render.chart_series import LABEL_FONT_SIZE, LABEL_HEIGHT_PX, PALETTE, chart_series, place_labels
from app.render.figure import (
    Axis,
    Bands,
    Bar,
    Colors,
    Dot,
    Figure,
    Legend,
    LegendEntry,
    Line,
    Rule,
    Text,
    linear_ticks,
    log_ticks,
    nice_upper,
)
from app.render.format import money, money_compact, volume
from app.render.svg_figure import PADDING, layout
from app.render.text_metrics import text_width
from app.scenario.evaluate import ScenarioResult
from app.scenario.horizon import HorizonAnswer
from app.scenario.uncertainty import UncertaintyAnswer

ChartKind = Literal["cost", "cost_per_mtok", "horizon", "tornado", "interactivity"]
Theme = Literal["light", "dark"]
CHART_KINDS: tuple[ChartKind, ...] = ("cost", "cost_per_mtok", "horizon", "tornado", "interactivity")
# Kinds drawn for the headline pair (cheapest API vs cheapest self-hosted) from a beyond-crossover answer.
PAIR_CHART_KINDS: tuple[ChartKind, ...] = ("horizon", "tornado")

THEMES: dict[Theme, Colors] = {
    "light": Colors(background="#ffffff", text="#1f2328", muted="#59636e", grid="#e6e8eb", mark="#1f2328"),
    "dark": Colors(background="#0d1117", text="#e6edf3", muted="#9198a1", grid="#30363d", mark="#e6edf3"),
}
# Okabe–Ito colours read on both backgrounds except black, which is swapped for white on dark.
DARK_PALETTE = tuple("#ffffff" if c == "#000000" else c for c in PALETTE)

# How each kind of option is drawn (issue 16: "one option's line not hiding another's"): an API
# solid, a hosted offer of an open model dashed (its price often sits on or near another API's line), a
# self-hosted option's staircase solid and a little wider, so that a line drawn over it leaves its edges.
LINE_STYLES: dict[str, tuple[tuple[float, ...], float]] = {  # (dash, width)
    "API": ((), 2.5),
    "hosted open model": ((6, 4), 2.5),
    "self-hosted": ((), 3.5),
}
# The tornado's two bar colours: each input at the low, then at the high end of its range.
TORNADO_ENDS = ("low end of the range", "high end of the range")


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


def theme_colors(theme: Theme) -> tuple[Colors, tuple[str, ...]]:
    """The text, grid and background colours of a theme, and its palette for the options."""
    return THEMES[theme], DARK_PALETTE if theme == "dark" else PALETTE


def marked_line(x: float, label: str, colors: Colors) -> tuple[Rule, Text]:
    """A dotted vertical rule at `x`, labelled at the top of the plot, right of the line (the user's volume,
    a crossover month); the label haloed, as lines may pass under it."""
    text = Text(x, label, colors.muted, edge="top", baseline="top", dx=4, dy=4, halo=colors.background)
    return Rule(x, colors.muted), text


def _decade_floor(value: float) -> float:
    return float(10.0 ** math.floor(math.log10(value)))


def _decade_ceil(value: float) -> float:
    return float(10.0 ** math.ceil(math.log10(value)))


def chart_figure(
    result: ScenarioResult,
    *,
    kind: ChartKind = "cost",
    width: int = 720,
    height: int = 400,
    theme: Theme = "light",
    subtitle: str | None = None,
) -> Figure:
    """The cost (or cost per million tokens) of every option against requests per month, log-log."""
    colors, palette = theme_colors(theme)
    # A first guess of the plot's width for sampling the staircases (the y axis takes ~70 px).
    data = chart_series(result, plot_width=max(1, width - 72))
    tokens_per_request = result.workload.tokens_per_request

    def y_of(requests: float, cost: float) -> float:
        return cost if kind == "cost" else cost / (requests * tokens_per_request / 1e6)

    lines: list[Line] = []
    entries: list[LegendEntry] = []
    for index, series in enumerate(data.series):
        dash, line_width = LINE_STYLES[
            "self-hosted" if series.kind == "self_hosted" else "hosted open model" if series.hosted else "API"
        ]
        color = palette[index % len(palette)]
        points = tuple((requests, y_of(requests, cost)) for requests, cost in series.points)
        lines.append(Line(series.name, points, color, line_width, dash))
        entries.append(LegendEntry(series.name, color, dash=dash))
    values = [y for line in lines for _, y in line.points if y > 0 and math.isfinite(y)]
    y_range = (_decade_floor(min(values)), _decade_ceil(max(values))) if values else (1.0, 10.0)
    y_title = "Monthly cost (USD)" if kind == "cost" else "Cost per million tokens (USD/Mtok)"
    frame = Figure(
        title=chart_title(kind),
        subtitle=tuple(line for line in (subtitle, *_sources_lines(result)) if line),
        width=width,
        height=height,
        colors=colors,
        x=Axis("Requests per month", "log", data.x_range, log_ticks(data.x_range, volume)),
        y=Axis(y_title, "log", y_range, log_ticks(y_range, money_compact)),
        lines=tuple(lines),
        legend=Legend(tuple(entries)),
    )
    plot = layout(frame).plot

    def pixel(requests: float, value: float) -> tuple[float, float]:
        return plot.width * _log_share(requests, data.x_range), plot.height * (1 - _log_share(value, y_range))

    volume_label = f"your volume: {volume(data.volume)}/month"
    volume_x = pixel(data.volume, y_range[0])[0]
    label_width = text_width(volume_label, LABEL_FONT_SIZE)
    # Where the label is drawn: right of its line, or left of it where it would cross the image's edge
    # (app/render/svg_figure.py `_within`).
    right_room = plot.width + frame.width - plot.right - PADDING
    left = volume_x if volume_x + 4 + label_width <= right_room else volume_x - 8 - label_width
    reserved = ((left, 0.0, left + 8 + label_width, 4.0 + LABEL_HEIGHT_PX),)
    placed = place_labels(
        [(m, *pixel(m.requests_per_month, y_of(m.requests_per_month, m.cost))) for m in data.markers],
        plot.width,
        plot.height,
        reserved,
    )
    rule, volume_text = marked_line(data.volume, volume_label, colors)
    dots = tuple(
        Dot(
            m.requests_per_month,
            y_of(m.requests_per_month, m.cost),
            fill=colors.mark,
            area=70,
            stroke=colors.background,
            title=m.detail,
        )
        for m in data.markers
    )
    labels = tuple(
        Text(
            p.marker.requests_per_month,
            p.text,
            colors.text,
            y=y_of(p.marker.requests_per_month, p.marker.cost),
            align="left" if p.right else "right",
            baseline="bottom" if p.above else "top",
            dx=6 if p.right else -6,
            dy=-6 if p.above else 6,
            size=LABEL_FONT_SIZE,
            bold=True,
            # A halo in the background colour: a label stays legible where it crosses a line.
            halo=colors.background,
        )
        for p in placed
    )
    # What a screen reader says after the title and subtitle: the volume, then each marked crossover.
    # (A marker's detail is a sentence a line, no full stop: its tooltip.)
    details = [line for m in data.markers for line in m.detail.split("\n")]
    description = " ".join((f"Your volume: {volume(data.volume)} requests/month.", *(f"{d}." for d in details)))
    return replace(frame, rules=(rule,), dots=dots, texts=(volume_text, *labels), description=description)


def _log_share(value: float, domain: tuple[float, float]) -> float:
    """Where `value` sits along a log axis over `domain`, from 0 (low end) to 1 (high end)."""
    low, high = domain
    if value <= 0 or high <= low:
        return 0.0
    return min(1.0, max(0.0, math.log10(value / low) / math.log10(high / low)))


def _pct(fraction: float) -> str:
    text = f"{fraction * 100:+.4g}%".replace("-", "−")
    return "0%" if text in ("+0%", "−0%") else text


def horizon_figure(
    horizon: HorizonAnswer,
    *,
    width: int = 720,
    height: int = 400,
    theme: Theme = "light",
    subtitle: str | None = None,
) -> Figure:
    """Cumulative USD by month for each plan of a POST /api/v1/horizon answer (months 0..H)."""
    colors, palette = theme_colors(theme)
    api = horizon.pair.api.resolved.option.name
    sh = horizon.pair.self_hosted.resolved.option.name
    months, solved, request = horizon.months, horizon.solved, horizon.request
    # The cheapest plan first (solid), then the others it is compared with (dashed); each switch month once.
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

    lines: list[Line] = []
    seen: set[int] = set()
    for plan, prefix in named:
        if plan is None or plan.switch_month in seen:
            continue
        seen.add(plan.switch_month)
        name = f"{prefix}{base_name(plan)} (net {money(plan.net_total)})"
        dash: tuple[float, ...] = () if not lines else (6, 3)
        points = tuple((float(m), usd) for m, usd in enumerate(plan.cumulative))
        lines.append(Line(name, points, palette[len(lines) % len(palette)], 2.5, dash))
    api_trend = request.api_price_change_per_year
    default_trend = api_trend == -0.5
    subtitle_lines = tuple(
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
    )
    highest = max((usd for line in lines for _, usd in line.points if math.isfinite(usd)), default=1.0)
    lowest = min((usd for line in lines for _, usd in line.points if math.isfinite(usd)), default=0.0)
    y_domain = (min(0.0, -nice_upper(-lowest)) if lowest < 0 else 0.0, nice_upper(highest))
    # About one tick per 40 px of plot, whole months (Vega-Lite's default density).
    month_ticks = linear_ticks((0.0, float(months)), lambda m: f"{m:.0f}", count=max(2, (width - 80) // 40), min_step=1)
    rules: tuple[Rule, ...] = ()
    texts: tuple[Text, ...] = ()
    crossover = solved.crossover_month
    if crossover is not None:
        rule, text = marked_line(float(crossover), f"{sh} cheaper per month from month {crossover}", colors)
        rules, texts = (rule,), (text,)
    return Figure(
        title=CHART_TITLES["horizon"],
        subtitle=subtitle_lines,
        width=width,
        height=height,
        colors=colors,
        x=Axis("Month", "linear", (0.0, float(months)), month_ticks),
        y=Axis("Cumulative cost (USD)", "linear", y_domain, linear_ticks(y_domain, money_compact)),
        lines=tuple(lines),
        rules=rules,
        texts=texts,
        legend=Legend(tuple(LegendEntry(line.name, line.color, dash=line.dash) for line in lines)),
        description=" ".join(f"{line.name}." for line in lines),
    )


# Below this width (a phone, a wiki sidebar) the tornado says its x-axis title in fewer words (in full it needs
# ~390 px of plot), stacks its legend and labels both marker lines to their left.
TORNADO_NARROW_BELOW = 560
TORNADO_MARKER_LINE_PX = 13  # one line of the marker labels (11 px text)


def tornado_figure(
    uncertainty: UncertaintyAnswer,
    *,
    width: int = 720,
    height: int = 400,
    theme: Theme = "light",
    subtitle: str | None = None,
) -> Figure:
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

    end_colors = (palette[1 % len(palette)], palette[2 % len(palette)])
    order = tuple(f"{b.input.label} ({b.input.range.low:.3g}×–{b.input.range.high:.3g}×)" for b in bars)
    drawn_bars: list[Bar] = []
    texts: list[Text] = []
    for b, label in zip(bars, order, strict=True):
        at_low, at_high = finite_or_none(b.at_low), finite_or_none(b.at_high)
        for color, value, factor in (
            (end_colors[0], at_low, b.input.range.low),
            (end_colors[1], at_high, b.input.range.high),
        ):
            start, end = place(base), place(value)
            detail = f"{b.input.label} × {factor:.3g}: break-even {words(value)} requests/month"
            drawn_bars.append(Bar(label, start, end, color, detail))
            right = end >= start
            texts.append(
                Text(
                    end,
                    words(value),
                    colors.text,
                    band=label,
                    align="left" if right else "right",
                    dx=4 if right else -4,
                )
            )
    narrow = width < TORNADO_NARROW_BELOW
    x_title = "Break-even" if narrow else "Volume above which self-hosting stays cheaper"
    # Under the bars, in a strip of two lines: the left one of the two lines labelled to its left on the lower
    # line, the other to its right a line higher (in a narrow render to its left too, as there is no room
    # between it and the image's edge), so the two never collide however close their lines are.
    markers = (
        (place(base), f"entered values: {words(base)}", place(base) < your_volume),
        (your_volume, f"your volume: {volume(your_volume)}", your_volume <= place(base)),
    )
    rules = tuple(Rule(x, colors.muted) for x, _, _ in markers)
    for x, label, left in markers:
        texts.append(
            Text(
                x,
                label,
                colors.muted,
                edge="bottom",
                align="right" if left or narrow else "left",
                baseline="bottom",
                dx=-3 if left or narrow else 3,
                dy=-2 if left else -2 - TORNADO_MARKER_LINE_PX,
                halo=colors.background,  # legible where the other marker's line crosses it
            )
        )
    api = uncertainty.pair.api.resolved.option.name
    sh = uncertainty.pair.self_hosted.resolved.option.name
    mc = uncertainty.monte_carlo
    subtitle_lines = tuple(
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
    )
    x_domain = (low_end, high_end)
    return Figure(
        title=CHART_TITLES["tornado"],
        subtitle=subtitle_lines,
        width=width,
        height=height,
        colors=colors,
        x=Axis(f"{x_title} (requests/month)", "log", x_domain, log_ticks(x_domain, volume)),
        # At most 40% of the image for the inputs' names (an ellipsis past it), so a 360 px render keeps a plot
        # wide enough for its bars and labels; 260 px at the default 720.
        y=Bands(order, label_limit_px=min(260, int(width * 0.4)), foot_px=TORNADO_MARKER_LINE_PX * 2 + 4),
        bars=tuple(drawn_bars),
        rules=rules,
        texts=tuple(texts),
        legend=Legend(
            tuple(
                LegendEntry(end, color, symbol="square") for end, color in zip(TORNADO_ENDS, end_colors, strict=True)
            ),
            title="Input at the",
            direction="vertical" if narrow else "horizontal",
        ),
        description=f"Break-even with the entered values: {words(base)}. "
        + " ".join(f"{bar.title}." for bar in drawn_bars),
    )
