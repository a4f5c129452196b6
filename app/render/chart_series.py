"""The points of the cost-vs-volume chart, computed from a ScenarioResult.

Log-log axes: requests per month across, monthly cost up. An API option is a straight line (cost is
proportional to volume); a self-hosted option is a staircase that steps up by one billing unit's
cost (an instance, or a replica's GPUs when sold per GPU) where the units it runs fill up: every
k·Q requests, offset by the spares' r·Q (app/core/self_hosted.py). Crossovers are marked, and so is the user's volume.
The Vega-Lite specs (app/render/chart_spec.py) and the CSV export draw from these series.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from app.core.breakeven import LinearCost
from app.core.self_hosted import ReplicaStepCost
from app.render.format import volume
from app.scenario.evaluate import ApiResult, ScenarioResult, cost_curve, option_name

# Okabe–Ito colours: distinguishable with the common colour-vision deficiencies, and dark enough
# for lines on white (the yellow is left out for contrast).
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
# Beyond this many unit steps across the plot, steps closer than a couple of pixels are drawn
# as a line sampled every STEP_SAMPLE_PX pixels (the staircase is invisible at that density).
MIN_STEP_PX = 2.0
STEP_SAMPLE_PX = 2.0


@dataclass(frozen=True)
class Series:
    name: str
    kind: str  # "api" or "self_hosted"
    color: str
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
            series.append(Series(option_name(option), "api", color, points))
        else:
            series.append(Series(option_name(option), "self_hosted", color, _staircase(curve, low, high, x_pixel)))

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
                volume(first),
                f"{pair.self_hosted} becomes cheaper than {pair.api} at {first:,.0f} requests/month",
            )
        )
        stays = solution.stays_cheaper_above
        if stays is not None and stays > first * 1.0001:
            markers.append(
                Marker(
                    stays,
                    api.breakdown.per_request * stays,
                    volume(stays),
                    f"{pair.self_hosted} stays cheaper than {pair.api} above {stays:,.0f} requests/month",
                )
            )
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
