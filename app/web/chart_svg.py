"""The cost-vs-volume chart as inline SVG, drawn on the server from a ScenarioResult.

Log-log axes: requests per month across, monthly cost up. An API option is a straight line (cost is
proportional to volume); a self-hosted option is a staircase that steps up by one replica's cost
at every multiple of `requests_per_replica`. Crossovers are marked, and so is the user's volume.

All chart code lives here; a later issue replaces it with a Vega-Lite spec rendered to SVG. The
points come from `chart_series`, which that spec can reuse.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

from app.core.breakeven import LinearCost
from app.core.self_hosted import ReplicaStepCost
from app.scenario import ApiResult, ScenarioResult, cost_curve, option_name

# Okabe–Ito colours: distinguishable with the common colour-vision deficiencies, and dark enough
# for lines on white (the yellow is left out for contrast).
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
# Beyond this many replica steps across the plot, steps closer than a couple of pixels are drawn
# as a line sampled every STEP_SAMPLE_PX pixels (the staircase is invisible at that density).
MIN_STEP_PX = 2.0
STEP_SAMPLE_PX = 2.0
MAX_Y_DECADES = 8


@dataclass(frozen=True)
class Series:
    name: str
    kind: str  # "api" or "self_hosted"
    color: str
    dashed: bool
    points: list[tuple[float, float]]  # (requests/month, USD/month), in drawing order


@dataclass(frozen=True)
class Marker:
    requests_per_month: float
    cost: float
    label: str
    detail: str


@dataclass(frozen=True)
class ChartData:
    x_range: tuple[float, float]
    y_range: tuple[float, float]
    series: list[Series]
    markers: list[Marker]
    volume: float


def _decade_floor(value: float) -> float:
    return 10.0 ** math.floor(math.log10(value))


def _decade_ceil(value: float) -> float:
    return 10.0 ** math.ceil(math.log10(value))


def compact_number(value: float) -> str:
    """1500 → 1.5k, 3000000 → 3M, 2.5e9 → 2.5B."""
    for threshold, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= threshold:
            scaled = value / threshold
            text = f"{scaled:.1f}" if scaled < 10 else f"{scaled:.0f}"
            return text.removesuffix(".0") + suffix
    if abs(value) >= 1 or value == 0:
        return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"
    return f"{value:.2g}"


def compact_money(value: float) -> str:
    return "$" + compact_number(value)


def _ranges(result: ScenarioResult) -> tuple[float, float]:
    volume = result.workload.requests_per_month
    landmarks = [volume]
    for pair in result.breakevens:
        landmarks += [v for v in (pair.solution.first_crossover, pair.solution.stays_cheaper_above) if v]
    low = _decade_floor(max(min(landmarks) / 10, 1.0))
    high = _decade_ceil(max(landmarks) * 10)
    return low, high


def _staircase(curve: ReplicaStepCost, low: float, high: float, x_pixel: float) -> list[tuple[float, float]]:
    """Corners of the step function on [low, high]; where steps crowd closer than MIN_STEP_PX the
    curve is sampled instead. `x_pixel` is the plot's pixels per decade."""
    q = curve.requests_per_replica
    points = [(low, curve.cost(low))]
    replicas = curve.replicas_for_load(low)
    while replicas * q < high:
        boundary = replicas * q
        step_px = x_pixel * math.log10((replicas + 1) / replicas)
        if step_px < MIN_STEP_PX:
            break
        before = curve.cost(boundary)
        after = curve.fixed_monthly + curve.per_replica_monthly * (replicas + 1 + curve.redundancy)
        points += [(boundary, before), (boundary, after)]
        replicas += 1
    start = max(points[-1][0], low)
    if replicas * q < high:
        decades = math.log10(high / start)
        samples = max(1, math.ceil(decades * x_pixel / STEP_SAMPLE_PX))
        for i in range(1, samples + 1):
            v = start * 10 ** (decades * i / samples)
            points.append((v, curve.cost(v)))
    points.append((high, curve.cost(high)))
    return points


def chart_series(result: ScenarioResult, plot_width: float = 600) -> ChartData:
    low, high = _ranges(result)
    x_pixel = plot_width / math.log10(high / low)
    workload = result.workload
    series: list[Series] = []
    for index, option in enumerate(result.options):
        curve = cost_curve(option, workload)
        color = PALETTE[index % len(PALETTE)]
        if isinstance(curve, LinearCost):
            points = [(low, curve.cost(low)), (high, curve.cost(high))]
            series.append(Series(option_name(option), "api", color, True, points))
        else:
            series.append(
                Series(option_name(option), "self_hosted", color, False, _staircase(curve, low, high, x_pixel))
            )

    costs = [c for s in series for _, c in s.points if c > 0]
    y_high = _decade_ceil(max(costs))
    y_low = max(_decade_floor(min(costs)), y_high / 10**MAX_Y_DECADES)
    if y_low >= y_high:
        y_low = y_high / 10

    markers: list[Marker] = []
    for pair in sorted(result.breakevens, key=lambda p: not _is_headline_pair(result, p.api, p.self_hosted)):
        api = next(o for o in result.options if isinstance(o, ApiResult) and option_name(o) == pair.api)
        solution = pair.solution
        if solution.first_crossover is None:
            continue
        first = solution.first_crossover
        markers.append(
            Marker(
                first,
                api.breakdown.per_request * first,
                compact_number(first),
                f"{pair.self_hosted} becomes cheaper than {pair.api} at {first:,.0f} requests/month",
            )
        )
        stays = solution.stays_cheaper_above
        if stays is not None and stays > first * 1.0001:
            markers.append(
                Marker(
                    stays,
                    api.breakdown.per_request * stays,
                    compact_number(stays),
                    f"{pair.self_hosted} stays cheaper than {pair.api} above {stays:,.0f} requests/month",
                )
            )
    return ChartData((low, high), (y_low, y_high), series, markers, workload.requests_per_month)


def _is_headline_pair(result: ScenarioResult, api: str, self_hosted: str) -> bool:
    """The pair the verdict is about: the cheapest API and the cheapest self-hosted option. Its
    crossovers are labelled first when labels would collide."""
    apis = [o for o in result.options if isinstance(o, ApiResult)]
    hosted = [o for o in result.options if not isinstance(o, ApiResult)]
    if not apis or not hosted:
        return False
    best_api = min(apis, key=lambda o: o.monthly_cost)
    best_hosted = min(hosted, key=lambda o: o.monthly_cost)
    return (option_name(best_api), option_name(best_hosted)) == (api, self_hosted)


def render_cost_chart(
    result: ScenarioResult, *, width: int = 720, title: str | None = None, id_prefix: str = "chart"
) -> str:
    """The chart as an `<svg>` element (no XML declaration), sized by its viewBox. Below 560 units
    wide it is laid out for a phone: a shorter plot and a one-column legend. `id_prefix` keeps the
    ids of two charts on one page apart."""
    narrow = width < 560
    left, right, top = (60, 22, 16) if narrow else (64, 30, 16)
    plot_w = width - left - right
    plot_h = 240 if narrow else 300
    data = chart_series(result, plot_w)
    columns = 1 if narrow else 2
    legend_rows = math.ceil(len(data.series) / columns)
    axis_h = 52
    height = top + plot_h + axis_h + legend_rows * 22 + 8
    (x_low, x_high), (y_low, y_high) = data.x_range, data.y_range

    def x(v: float) -> float:
        return left + plot_w * math.log10(v / x_low) / math.log10(x_high / x_low)

    def y(c: float) -> float:
        c = max(c, y_low / 10)
        return top + plot_h * (1 - math.log10(c / y_low) / math.log10(y_high / y_low))

    title = title or "Monthly cost against monthly volume"
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" class="cost-chart" '
        f'role="img" aria-labelledby="{id_prefix}-title {id_prefix}-desc" font-family="system-ui, sans-serif" '
        'font-size="12">',
        f'<title id="{id_prefix}-title">{escape(title)}</title>',
        f'<desc id="{id_prefix}-desc">{escape(_description(data))}</desc>',
        f'<defs><clipPath id="{id_prefix}-clip"><rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}"/>'
        "</clipPath></defs>",
        f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" fill="#fff" stroke="#c8ccd2"/>',
    ]
    # Grid and ticks: a line per decade, labelled; faint lines at 2–9 × each decade.
    decade = x_low
    while decade <= x_high * 1.0001:
        px = x(decade)
        out.append(f'<line x1="{px:.1f}" y1="{top}" x2="{px:.1f}" y2="{top + plot_h}" stroke="#e3e6ea"/>')
        out.append(
            f'<text x="{px:.1f}" y="{top + plot_h + 16}" text-anchor="middle" fill="#3d4550">'
            f"{compact_number(decade)}</text>"
        )
        for k in range(2, 10):
            if decade * k < x_high:
                pk = x(decade * k)
                out.append(f'<line x1="{pk:.1f}" y1="{top}" x2="{pk:.1f}" y2="{top + plot_h}" stroke="#f2f3f5"/>')
        decade *= 10
    decade = y_low
    while decade <= y_high * 1.0001:
        py = y(decade)
        out.append(f'<line x1="{left}" y1="{py:.1f}" x2="{left + plot_w}" y2="{py:.1f}" stroke="#e3e6ea"/>')
        out.append(
            f'<text x="{left - 6}" y="{py + 4:.1f}" text-anchor="end" fill="#3d4550">{compact_money(decade)}</text>'
        )
        decade *= 10
    out.append(
        f'<text x="{left + plot_w / 2:.1f}" y="{top + plot_h + 36}" text-anchor="middle" fill="#1f252d">'
        "Requests per month (log scale)</text>"
    )
    out.append(
        f'<text transform="translate(12 {top + plot_h / 2:.1f}) rotate(-90)" text-anchor="middle" fill="#1f252d">'
        "Cost per month, USD (log scale)</text>"
    )

    out.append(f'<g clip-path="url(#{id_prefix}-clip)" fill="none" stroke-linejoin="round">')
    for s in data.series:
        path = " ".join(f"{'M' if i == 0 else 'L'}{x(v):.1f},{y(c):.1f}" for i, (v, c) in enumerate(s.points))
        dash = ' stroke-dasharray="7 4"' if s.dashed else ""
        out.append(
            f'<path d="{path}" stroke="{s.color}" stroke-width="2.5"{dash}><title>{escape(s.name)}</title></path>'
        )
    out.append("</g>")

    # The user's volume.
    vx = x(data.volume)
    out.append(
        f'<line x1="{vx:.1f}" y1="{top}" x2="{vx:.1f}" y2="{top + plot_h}" stroke="#1f252d" '
        'stroke-width="1.5" stroke-dasharray="2 3"/>'
    )
    volume_label = f"Your volume: {compact_number(data.volume)}"
    anchor = "start" if vx + 8 + _text_width(volume_label, bold=True) < left + plot_w else "end"
    offset = 5 if anchor == "start" else -5
    out.append(
        f'<text x="{vx + offset:.1f}" y="{top + 14}" text-anchor="{anchor}" fill="#1f252d" font-weight="600">'
        f"{escape(volume_label)}</text>"
    )

    placed: list[tuple[float, float, float]] = []  # labels drawn so far: left, right, baseline
    for marker in data.markers:
        mx, my = x(marker.requests_per_month), y(marker.cost)
        if not (left <= mx <= left + plot_w and top <= my <= top + plot_h):
            continue
        half = _text_width(marker.label, size=11) / 2 + 2
        label = ""
        # Label a crossover unless the label would sit on one already drawn (the tooltip has it all).
        if not any(a < mx + half and mx - half < b and abs(base - (my - 9)) < 13 for a, b, base in placed):
            placed.append((mx - half, mx + half, my - 9))
            label = (
                f'<text x="{mx:.1f}" y="{my - 9:.1f}" text-anchor="middle" fill="#1f252d" font-size="11" '
                f'paint-order="stroke" stroke="#fff" stroke-width="3">{escape(marker.label)}</text>'
            )
        out.append(
            f'<g class="crossover"><circle cx="{mx:.1f}" cy="{my:.1f}" r="5" fill="#fff" stroke="#1f252d" '
            f'stroke-width="2"><title>{escape(marker.detail)}</title></circle>{label}</g>'
        )

    # Legend: under the axis title, in two columns (one on a phone).
    legend_top = top + plot_h + axis_h
    column_w = (width - 2 * 12) / columns if narrow else plot_w / columns
    legend_left = 12 if narrow else left
    for i, s in enumerate(data.series):
        lx = legend_left + (i % columns) * column_w
        ly = legend_top + (i // columns) * 22
        dash = ' stroke-dasharray="7 4"' if s.dashed else ""
        kind = "API" if s.kind == "api" else "self-hosted"
        out.append(
            f'<line x1="{lx:.1f}" y1="{ly:.1f}" x2="{lx + 26:.1f}" y2="{ly:.1f}" stroke="{s.color}" '
            f'stroke-width="2.5"{dash}/>'
            f'<text x="{lx + 32:.1f}" y="{ly + 4:.1f}" fill="#1f252d">{escape(_clip(s.name, 44 if narrow else 38))} '
            f'<tspan fill="#5b6470">({kind})</tspan></text>'
        )
    out.append("</svg>")
    return "\n".join(out)


def _text_width(text: str, size: float = 12, bold: bool = False) -> float:
    """Rough width of a label in a sans-serif font: enough to keep labels apart and inside the plot."""
    return len(text) * size * (0.62 if bold else 0.58)


def _clip(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def _description(data: ChartData) -> str:
    parts = [
        f"Log-log chart of monthly cost from {compact_number(data.x_range[0])} to "
        f"{compact_number(data.x_range[1])} requests per month for {len(data.series)} options."
    ]
    parts += [m.detail + "." for m in data.markers]
    parts.append(f"Your volume is {data.volume:,.0f} requests per month.")
    return " ".join(parts)
