"""The verdict: one answer that agrees with everything under it (issue 16).

Computed once from a scenario's result, and, where the page has them, from its headline pair's time
horizon and Monte Carlo; rendered by app/render/verdict_sentences.py on the page, in the JSON and in
the chart's alt text. Pure and typed: no formatting here.

- The winner is the cheapest option at the user's volume, of any kind (an API, a hosted open model or
  a self-hosted option), and its saving is against the cheapest option of the other side (per-token
  APIs, hosted open models included, against self-hosted options): the choice a reader faces.
- The volumes are read from the cheapest-option envelope of all the options (not from one pair), so
  they agree with "cheapest option by volume" under the verdict.
- "How sure" and "over time" judge the headline pair (the cheapest per-token option against the
  cheapest self-hosted one, app.scenario.beyond.headline_pair), which is the winner and its runner-up;
  when either points the other way the verdict says so (`disagreements`) rather than picking one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from app.catalog.quality import QualityScore, far_apart, quality_of
from app.core import horizon as horizon_core
from app.core.uncertainty import MonteCarloResult
from app.scenario.evaluate import ApiResult, ScenarioResult, SelfHostedResult, option_name

OptionKind = Literal["api", "hosted", "self_hosted"]  # "hosted": a hosted open model's per-token offer
Side = Literal["api", "self_hosted"]  # per-token (APIs and hosted open models) or self-hosted
Certainty = Literal["almost certain", "likely", "coin flip", "unlikely"]
HorizonPlan = Literal["api", "self_hosted", "switch"]

# The words for the share of Monte Carlo draws in which the winner stays cheaper. Breakeven's own
# convention, in the spirit of the IPCC's calibrated language (AR5 guidance note, Mastrandrea et al.
# 2010: "very likely" ≥ 90%, "likely" ≥ 66%, "about as likely as not" 33–66%), rounded to tenths so a
# reader can check them: ≥ 90% "almost certain", ≥ 70% "likely", 30–70% "coin flip", below 30% "unlikely".
ALMOST_CERTAIN_FROM = 0.9
LIKELY_FROM = 0.7
COIN_FLIP_FROM = 0.3


def certainty_words(share: float) -> Certainty:
    """The words for `share`, the fraction of draws in which the verdict's winner stays cheaper."""
    if share >= ALMOST_CERTAIN_FROM:
        return "almost certain"
    if share >= LIKELY_FROM:
        return "likely"
    if share >= COIN_FLIP_FROM:
        return "coin flip"
    return "unlikely"


@dataclass(frozen=True)
class Contender:
    """One option as the verdict names it."""

    name: str
    kind: OptionKind
    monthly_cost: float  # at the user's volume

    @property
    def side(self) -> Side:
        return "self_hosted" if self.kind == "self_hosted" else "api"


@dataclass(frozen=True)
class Saving:
    """What the winner saves against the runner-up, at the user's volume."""

    usd_per_month: float  # runner-up's monthly cost − winner's (0 on a tie)
    fraction: float  # of the runner-up's monthly cost (0 when that is 0)


@dataclass(frozen=True)
class VolumeMark:
    """A volume read from the envelope, with the self-hosted option cheapest just above it."""

    requests_per_month: float  # 0: at any volume
    option: str


@dataclass(frozen=True)
class HowSure:
    """The headline pair's Monte Carlo, read for the verdict's winner."""

    winner_cheaper_share: float  # share of draws in which the winner stays cheaper at the user's volume
    words: Certainty
    draws: int


@dataclass(frozen=True)
class HorizonOutlook:
    """Who is cheapest over the horizon's months for the headline pair, and on which assumptions."""

    months: int
    plan: HorizonPlan  # API throughout, self-hosting from the start, or API first then self-hosting
    switch_month: int  # months on the API before self-hosting (0: from the start; `months`: never)
    cheapest: str  # the option the cheapest plan ends on (the API's name for "api")
    api_name: str
    self_hosted_name: str
    cheapest_net_total: float  # the cheapest plan's cost over the months, net of any residual value
    api_only_net_total: float
    self_hosted_net_total: float  # self-hosting from the start
    api_price_change_per_year: float
    api_price_change_is_default: bool  # the Epoch AI trend (app/core/horizon.py), not the user's setting
    gpu_price_change_per_year: float
    monthly_growth: float

    @property
    def side(self) -> Side:
        return "api" if self.plan == "api" else "self_hosted"


@dataclass(frozen=True)
class Disagreement:
    """Where the horizon or the Monte Carlo points away from today's winner."""

    source: Literal["horizon", "monte_carlo"]
    favours: str  # the option that view finds cheaper


@dataclass(frozen=True)
class QualityComparison:
    """The public scores of the winner and the runner-up (app/catalog/quality.py): capability beside cost.
    A score is None where there is no public one; `far_apart` only when both exist on one benchmark."""

    winner_score: QualityScore | None
    runner_up_score: QualityScore | None
    far_apart: bool


@dataclass(frozen=True)
class Verdict:
    volume: float  # the user's requests/month
    winner: Contender
    # The cheapest option of the other side; None when the scenario has one side only (then the
    # runner-up is the next cheapest option of the same side, or None with a single option).
    runner_up: Contender | None
    saving: Saving | None  # against the runner-up
    # From the envelope: where a self-hosted option first becomes cheapest of all, and the volume above
    # which a self-hosted option stays cheapest; None: never (or no self-hosted option, or no API).
    self_hosting_first_cheaper: VolumeMark | None
    self_hosting_stays_cheaper: VolumeMark | None
    has_both_sides: bool
    how_sure: HowSure | None  # None where the Monte Carlo was not run (no headline pair, or not asked)
    horizon: HorizonOutlook | None
    disagreements: tuple[Disagreement, ...]
    quality: QualityComparison | None = None  # None with a single option
    # The cheapest API option the user gave (a closed model, or prices typed in), when a hosted open model
    # wins: the mission's question is open against closed, and the runner-up above is the other side.
    closed_api: Contender | None = None


def _contender(option: ApiResult | SelfHostedResult) -> Contender:
    kind: OptionKind
    if isinstance(option, SelfHostedResult):
        kind = "self_hosted"
    else:
        kind = "hosted" if option.origin == "hosted" else "api"
    return Contender(option_name(option), kind, option.monthly_cost)


def _envelope_marks(result: ScenarioResult) -> tuple[VolumeMark | None, VolumeMark | None]:
    """The first envelope segment a self-hosted option wins, and the start of the trailing run of
    segments self-hosted options win (when the envelope ends on one: past every pair's last
    crossover, app.scenario.evaluate's landmarks, no API wins again)."""
    if not any(isinstance(o, ApiResult) for o in result.options):
        return None, None
    segments = result.envelope
    is_self_hosted = [isinstance(result.options[s.option_index], SelfHostedResult) for s in segments]
    first = next((i for i, sh in enumerate(is_self_hosted) if sh), None)
    if first is None:
        return None, None
    first_mark = VolumeMark(segments[first].start, result.name_of(segments[first].option_index))
    if not is_self_hosted[-1] or segments[-1].end < result.envelope_up_to:
        return first_mark, None
    start = len(segments) - 1
    while start > 0 and is_self_hosted[start - 1]:
        start -= 1
    return first_mark, VolumeMark(segments[start].start, result.name_of(segments[start].option_index))


def how_sure_of(monte_carlo: MonteCarloResult, winner: Contender) -> HowSure:
    """The Monte Carlo's share of draws in which `winner` (one of its pair) stays cheaper."""
    share_self_hosted = monte_carlo.probability_self_hosted_cheaper
    share = share_self_hosted if winner.side == "self_hosted" else 1 - share_self_hosted
    return HowSure(share, certainty_words(share), monte_carlo.draws)


def horizon_outlook(solved: horizon_core.HorizonResult, api_name: str, self_hosted_name: str) -> HorizonOutlook:
    """The horizon's answer for the pair (`api_name`, `self_hosted_name`) it was solved for."""
    inputs, cheapest = solved.inputs, solved.cheapest
    plan: HorizonPlan
    if cheapest.switch_month >= inputs.months:
        plan = "api"
    elif cheapest.switch_month <= 0:
        plan = "self_hosted"
    else:
        plan = "switch"
    return HorizonOutlook(
        months=inputs.months,
        plan=plan,
        switch_month=cheapest.switch_month,
        cheapest=api_name if plan == "api" else self_hosted_name,
        api_name=api_name,
        self_hosted_name=self_hosted_name,
        cheapest_net_total=cheapest.net_total,
        api_only_net_total=solved.api_only.net_total,
        self_hosted_net_total=solved.self_hosted_from_start.net_total,
        api_price_change_per_year=inputs.api_price_change_per_year,
        api_price_change_is_default=inputs.api_price_change_per_year == horizon_core.DEFAULT_API_PRICE_CHANGE_PER_YEAR,
        gpu_price_change_per_year=inputs.gpu_price_change_per_year,
        monthly_growth=inputs.monthly_growth,
    )


def compute_verdict(
    result: ScenarioResult, horizon: HorizonOutlook | None = None, monte_carlo: MonteCarloResult | None = None
) -> Verdict:
    """The verdict of `result`; `horizon` and `monte_carlo`: the headline pair's (app.scenario.beyond.
    headline_pair), when the caller computed them. They are ignored unless the winner and the runner-up
    are that pair (both sides present), which they are by construction."""
    options = result.options
    winner_option = next(o for o in options if option_name(o) == result.cheapest)
    winner = _contender(winner_option)
    others = [o for o in options if o is not winner_option]
    other_side = [o for o in others if _contender(o).side != winner.side]
    has_both_sides = bool(other_side)
    candidates = other_side or others
    runner_up_option = min(candidates, key=lambda o: o.monthly_cost) if candidates else None
    runner_up = _contender(runner_up_option) if runner_up_option is not None else None
    quality = None
    if runner_up_option is not None:
        scores = quality_of(winner_option), quality_of(runner_up_option)
        quality = QualityComparison(scores[0], scores[1], far_apart(*scores))
    saving = None
    if runner_up is not None:
        amount = max(0.0, runner_up.monthly_cost - winner.monthly_cost)
        saving = Saving(amount, amount / runner_up.monthly_cost if runner_up.monthly_cost > 0 else 0.0)
    first, stays = _envelope_marks(result)

    pair_names = {winner.name, runner_up.name} if runner_up is not None and has_both_sides else set()
    how_sure = how_sure_of(monte_carlo, winner) if monte_carlo is not None and pair_names else None
    outlook = horizon if horizon is not None and {horizon.api_name, horizon.self_hosted_name} == pair_names else None

    disagreements: list[Disagreement] = []
    if outlook is not None and runner_up is not None and outlook.side != winner.side:
        disagreements.append(Disagreement("horizon", outlook.cheapest))
    # The draws point the other way when the runner-up is cheaper in most of them.
    if how_sure is not None and runner_up is not None and how_sure.winner_cheaper_share < 0.5:
        disagreements.append(Disagreement("monte_carlo", runner_up.name))
    closed_api = None
    if winner.kind == "hosted":
        closed = [o for o in options if isinstance(o, ApiResult) and o.origin == "user"]
        if closed:
            closed_api = _contender(min(closed, key=lambda o: o.monthly_cost))
    return Verdict(
        volume=result.workload.requests_per_month,
        winner=winner,
        runner_up=runner_up,
        saving=saving,
        self_hosting_first_cheaper=first,
        self_hosting_stays_cheaper=stays,
        has_both_sides=has_both_sides,
        how_sure=how_sure,
        horizon=outlook,
        disagreements=tuple(disagreements),
        quality=quality,
        closed_api=closed_api,
    )
