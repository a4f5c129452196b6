"""The points of the cost-vs-volume chart, computed from a ScenarioResult.

Log-log axes: requests per month across, monthly cost up. An API option is a straight line (cost is
proportional to volume); a self-hosted option is a staircase that steps up by one billing unit's
cost (an instance, or a replica's GPUs when sold per GPU) where the units it runs fill up: every
k·Q requests, offset by the spares' r·Q (app/core/self_hosted.py). Crossovers are marked, each keyed
to its pair ("L4 vs GPT-5 mini: 591k"), and so is the user's volume.
The chart figures (app/render/chart_figures.py) and the CSV export draw from these series.

With eight options there are up to sixteen crossovers, many at nearly the same volume (issue 16:
"591k, 1.6M and 2.5M each printed twice"): markers at the same point are merged into one, and
`place_labels` labels them in order of importance (the headline pair, then the volumes where the
cheapest option changes, then by volume) only where a label's box overlaps no other label and no
other marker; the others keep their point and their tooltip.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from app.core.breakeven import LinearCost
from app.core.self_hosted import ReplicaStepCost
from app.render.format import volume
from app.render.text_metrics import text_width
from app.scenario.evaluate import ApiResult, ScenarioResult, cost_curve, option_name

# Okabe–Ito colours: distinguishable with the common colour-vision deficiencies, and dark enough
# for lines on white (the yellow is left out for contrast); then Paul Tol's "muted" wine and olive
# (https://personal.sron.nl/~pault/#sec:qualitative), so that eight options, the most the page adds
# by default with hosted offers (issue 16), get eight colours. Olive is 3.0:1 on white, the WCAG 2.1
# minimum for graphics (1.4.11).
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#882255", "#999933")
# Beyond this many unit steps across the plot, steps closer than a couple of pixels are drawn
# as a line sampled every STEP_SAMPLE_PX pixels (the staircase is invisible at that density).
MIN_STEP_PX = 2.0
STEP_SAMPLE_PX = 2.0
# Crossovers closer than this (relative, in volume and in cost) are one point on the chart.
SAME_POINT = 1e-3
# Label geometry, in pixels, for `place_labels`: the text is bold 11 px DejaVu Sans, as wide as
# `label_width` says; a marker is about 10 px across.
LABEL_FONT_SIZE = 11
LABEL_HEIGHT_PX = LABEL_FONT_SIZE + 3
LABEL_OFFSET_PX = 6
MARKER_RADIUS_PX = 5


@dataclass(frozen=True)
class Series:
    name: str
    kind: str  # "api" or "self_hosted"
    color: str
    points: list[tuple[float, float]]  # (requests/month, USD/month), in drawing order
    # An API option that is a hosted offer of an open model (origin "hosted", issue 14): drawn dashed.
    hosted: bool = False


@dataclass(frozen=True)
class Marker:
    """One crossover point (or several pairs' crossovers at the same point)."""

    requests_per_month: float
    cost: float
    label: str  # the volume at a glance, "1.6M"
    pair: str  # the pair(s) it belongs to, short: "L4 vs GPT-5 mini"
    detail: str  # the full sentence(s), for the tooltip
    # Labelled before the others when labels would collide: 0 the headline pair, 1 a volume where the
    # cheapest option changes (the envelope), 2 any other pair.
    priority: int = 2

    @property
    def keyed_label(self) -> str:
        """The label keyed to its pair: "L4 vs GPT-5 mini: 591k"."""
        return f"{self.pair}: {self.label}"


@dataclass(frozen=True)
class PlacedLabel:
    """A marker's label where `place_labels` put it: `text` is the keyed label, or the volume alone
    where the keyed one does not fit; above or below the point, extending right or left of it."""

    marker: Marker
    text: str
    above: bool
    right: bool


@dataclass(frozen=True)
class ChartData:
    x_range: tuple[float, float]
    series: list[Series]
    markers: list[Marker]
    volume: float


def _decade_floor(value: float) -> float:
    return 10.0 ** math.floor(math.log10(value))


def _decade_ceil(value: float) -> float:
    return 10.0 ** math.ceil(math.log10(value))


def _ranges(result: ScenarioResult) -> tuple[float, float]:
    landmarks = [result.workload.requests_per_month]
    for pair in result.breakevens:
        landmarks += [v for v in (pair.solution.first_crossover, pair.solution.stays_cheaper_above) if v]
    low = _decade_floor(max(min(landmarks) / 10, 1.0))
    high = _decade_ceil(max(landmarks) * 10)
    return low, high


def _staircase(curve: ReplicaStepCost, low: float, high: float, x_pixel: float) -> list[tuple[float, float]]:
    """Corners of the step function on [low, high]; where steps crowd closer than MIN_STEP_PX the
    curve is sampled instead. `x_pixel` is the plot's pixels per decade."""
    points = [(low, curve.cost(low))]
    units = curve.units(low)
    while (boundary := curve.volume_carried_by_units(units)) < high:
        step_px = x_pixel * math.log10(curve.volume_carried_by_units(units + 1) / boundary)
        if step_px < MIN_STEP_PX:
            break
        before = curve.cost_at_units(units)
        after = curve.cost_at_units(units + 1)
        points += [(boundary, before), (boundary, after)]
        units += 1
    start = max(points[-1][0], low)
    if curve.volume_carried_by_units(units) < high:
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
        curve = cost_curve(option)
        color = PALETTE[index % len(PALETTE)]
        if isinstance(curve, LinearCost):
            points = [(low, curve.cost(low)), (high, curve.cost(high))]
            hosted = isinstance(option, ApiResult) and option.origin == "hosted"
            series.append(Series(option_name(option), "api", color, points, hosted))
        else:
            series.append(Series(option_name(option), "self_hosted", color, _staircase(curve, low, high, x_pixel)))

    short = short_names(result)
    switches = _envelope_switches(result)
    crossovers: list[Marker] = []
    for pair in result.breakevens:
        api = next(o for o in result.options if isinstance(o, ApiResult) and option_name(o) == pair.api)
        solution = pair.solution
        if solution.first_crossover is None:
            continue
        headline = _is_headline_pair(result, pair.api, pair.self_hosted)
        key = f"{short[pair.self_hosted]} vs {short[pair.api]}"
        first = solution.first_crossover
        stays = solution.stays_cheaper_above
        crossings = [(first, "becomes cheaper than")]
        if stays is not None and stays > first * (1 + SAME_POINT):
            crossings.append((stays, "stays cheaper than"))
        for requests, verb in crossings:
            at_switch = any(math.isclose(requests, s, rel_tol=SAME_POINT) for s in switches)
            crossovers.append(
                Marker(
                    requests,
                    api.breakdown.per_request * requests,
                    volume(requests),
                    key,
                    f"{key}: {volume(requests)}. {pair.self_hosted} {verb} {pair.api} "
                    f"{'at' if verb.startswith('becomes') else 'above'} {requests:,.0f} requests/month",
                    0 if headline else 1 if at_switch else 2,
                )
            )
    markers = merge_markers(crossovers)
    return ChartData((low, high), series, markers, workload.requests_per_month)


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


def merge_markers(markers: list[Marker]) -> list[Marker]:
    """One marker per point: crossovers within SAME_POINT of each other in volume and cost (two API
    options at the same price, a hosted offer duplicating another) merge, naming every pair; the
    merged marker keeps the most important priority. Sorted by volume."""
    merged: list[Marker] = []
    for marker in sorted(markers, key=lambda m: (m.requests_per_month, m.cost, m.priority)):
        same = next(
            (
                i
                for i, m in enumerate(merged)
                if math.isclose(m.requests_per_month, marker.requests_per_month, rel_tol=SAME_POINT)
                and math.isclose(m.cost, marker.cost, rel_tol=SAME_POINT)
            ),
            None,
        )
        if same is None:
            merged.append(marker)
            continue
        kept = merged[same]
        if marker.pair in kept.pair.split("; "):
            continue
        merged[same] = Marker(
            kept.requests_per_month,
            kept.cost,
            kept.label,
            f"{kept.pair}; {marker.pair}",
            f"{kept.detail}\n{marker.detail}",
            min(kept.priority, marker.priority),
        )
    return merged


def place_labels(
    markers: list[tuple[Marker, float, float]],
    plot_width: float,
    plot_height: float,
    reserved: tuple[tuple[float, float, float, float], ...] = (),
) -> list[PlacedLabel]:
    """Labels for markers at pixel positions (x right, y down, within a plot_width × plot_height
    plot), in order of priority then volume, each placed at the first of four spots (above-left,
    below-right, above-right, below-left of its point) where its box stays inside the plot and overlaps
    no label already placed and no marker; the keyed label ("L4 vs GPT-5 mini: 591k") first, then the
    volume alone. A marker with no free spot stays unlabelled (its tooltip still names the pair).
    `reserved` boxes (left, top, right, bottom) hold other text, such as the user's volume label."""
    boxes: list[tuple[float, float, float, float]] = list(reserved)
    dots = [_dot(x, y) for _, x, y in markers]
    placed: list[PlacedLabel] = []
    for marker, x, y in sorted(markers, key=lambda item: (item[0].priority, item[0].requests_per_month)):
        own = _dot(x, y)
        for text in dict.fromkeys((marker.keyed_label, marker.label)):
            spot = _free_spot(text, x, y, plot_width, plot_height, boxes + [d for d in dots if d != own])
            if spot is not None:
                box, above, right = spot
                boxes.append(box)
                placed.append(PlacedLabel(marker, text, above, right))
                break
    return sorted(placed, key=lambda p: p.marker.requests_per_month)


def label_width(text: str) -> float:
    """How wide a crossover label draws (bold 11 px DejaVu Sans), in px."""
    return text_width(text, LABEL_FONT_SIZE, "bold")


def _dot(x: float, y: float) -> tuple[float, float, float, float]:
    return (x - MARKER_RADIUS_PX, y - MARKER_RADIUS_PX, x + MARKER_RADIUS_PX, y + MARKER_RADIUS_PX)


def _free_spot(
    text: str, x: float, y: float, width: float, height: float, taken: list[tuple[float, float, float, float]]
) -> tuple[tuple[float, float, float, float], bool, bool] | None:
    w = label_width(text)
    for above, right in ((True, False), (False, True), (True, True), (False, False)):
        left = x + LABEL_OFFSET_PX if right else x - LABEL_OFFSET_PX - w
        top = y - LABEL_OFFSET_PX - LABEL_HEIGHT_PX if above else y + LABEL_OFFSET_PX
        box = (left, top, left + w, top + LABEL_HEIGHT_PX)
        inside = box[0] >= 0 and box[2] <= width and box[1] >= 0 and box[3] <= height
        if inside and not any(_overlap(box, other) for other in taken):
            return box, above, right
    return None


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def short_names(result: ScenarioResult) -> dict[str, str]:
    """Each option's name without the words it shares with every other option of its kind (self-hosted,
    hosted offers, the user's APIs), for crossover labels: "Llama 3.1 8B on 1×L4" and "… on 1×L40S"
    become "1×L4" and "1×L40S"; "Llama 3.1 8B Instruct hosted · Novita" beside "… hosted · Groq" becomes
    "Novita" (the dashed line and the tooltip say it is hosted). A kind with one option keeps its name."""
    groups: dict[str, list[str]] = {}
    for option in result.options:
        kind: str = "self_hosted" if not isinstance(option, ApiResult) else option.origin
        groups.setdefault(kind, []).append(option_name(option))
    short: dict[str, str] = {}
    for names in groups.values():
        words = [name.split(" ") for name in names]
        shared = 0
        if len(names) > 1:
            while all(len(w) > shared + 1 and w[shared] == words[0][shared] for w in words):
                shared += 1
        for name, split in zip(names, words, strict=True):
            short[name] = " ".join(split[shared:])
    return short


def _envelope_switches(result: ScenarioResult) -> list[float]:
    """The volumes where the cheapest option changes (the page's "cheapest option by volume")."""
    segments = result.envelope
    return [a.end for a, b in zip(segments, segments[1:], strict=False) if a.option_index != b.option_index]
