"""The verdict in words (app/scenario/verdict.py's typed `Verdict`), the same on the page, in the JSON's
`verdict` and in the chart's alt text: the winner first with its saving, then the volumes where
self-hosting becomes and stays cheaper (from the envelope), how sure, the horizon with its price-trend
assumption, and each disagreement. Figures through app/render/format.py, as in the cost table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.render.format import MINUS, money, number, percent, plural, volume
from app.scenario.verdict import Contender, Disagreement, HorizonOutlook, Verdict, VolumeMark


@dataclass(frozen=True)
class VerdictSentences:
    headline: str  # the winner and its saving
    volumes: str | None  # where self-hosting becomes and stays cheaper (both sides present)
    how_sure: str | None
    horizon: str | None  # ends with its price-trend assumption, which the page links to its field
    disagreements: tuple[str, ...]
    quality: str | None = None  # the two options' public scores: capability beside cost

    @property
    def lines(self) -> tuple[str, ...]:
        """Everything after the headline, in reading order."""
        return tuple(
            line
            for line in (self.volumes, *self.disagreements, self.how_sure, self.horizon, self.quality)
            if line is not None
        )


def _share(fraction: float) -> str:
    """A share of draws or a saving as a whole percentage ("78%"), as a reader compares them."""
    return percent(round(fraction, 2))


def signed_percent(fraction: float) -> str:
    """A yearly or monthly change with its sign: −50%, +10%, 0%."""
    text = percent(abs(fraction))
    if fraction < 0:
        return MINUS + text
    return ("+" + text) if fraction > 0 else text


def _called(option: Contender) -> str:
    """An option as a sentence names it: a self-hosted option is "self-hosting X"."""
    if option.kind == "self_hosted":
        return f"self-hosting {option.name}"
    if option.kind == "hosted":
        return f"{option.name} (hosted open model)"
    return option.name


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def headline(verdict: Verdict) -> str:
    at = f"{volume(verdict.volume)} requests/month"
    winner, runner_up, saving = verdict.winner, verdict.runner_up, verdict.saving
    if not verdict.has_both_sides:
        kind = "self-hosted option" if winner.side == "self_hosted" else "API"
        return f"At {at}, {winner.name} is the cheapest {kind} at {money(winner.monthly_cost)}/month."
    assert runner_up is not None and saving is not None  # both sides present
    head = f"{_capitalised(_called(winner))} is cheapest at {at}: {money(winner.monthly_cost)}/month"
    if saving.usd_per_month < 0.005:  # less than a cent a month: a tie as the figures read
        return head + f", the same as {_called(runner_up)}." + _against_closed(verdict)
    return (
        head
        + f", {money(saving.usd_per_month)} ({_share(saving.fraction)}) less than {_called(runner_up)}."
        + _against_closed(verdict)
    )


def _against_closed(verdict: Verdict) -> str:
    """When a hosted open model wins: what the cheapest closed API the user chose costs beside it."""
    closed = verdict.closed_api
    if closed is None:
        return ""
    winner = verdict.winner
    if winner.monthly_cost > 0 and closed.monthly_cost >= 2 * winner.monthly_cost:
        ratio = f", {closed.monthly_cost / winner.monthly_cost:.1f}× as much"
    else:
        ratio = ""
    return f" The cheapest closed API, {closed.name}, costs {money(closed.monthly_cost)}/month{ratio}."


def _named(mark: VolumeMark) -> str:
    return f"({mark.option})"


def volumes(verdict: Verdict) -> str | None:
    if not verdict.has_both_sides:
        return None
    first, stays = verdict.self_hosting_first_cheaper, verdict.self_hosting_stays_cheaper
    if first is None:
        return "Self-hosting is not the cheapest option at any volume."
    if first.requests_per_month <= 0:
        text = f"Self-hosting {_named(first)} is cheapest from the smallest volumes"
    else:
        text = f"Self-hosting becomes cheaper above {volume(first.requests_per_month)} requests/month {_named(first)}"
    if stays is None:
        return text + ", but a per-token option is cheaper again at higher volumes."
    if stays.requests_per_month <= first.requests_per_month * (1 + 1e-9):
        if stays.option != first.option:
            return text + f" and stays cheaper from there on (above it, {stays.option})."
        return text + " and stays cheaper from there on."
    extra = f" {_named(stays)}" if stays.option != first.option else ""
    return text + f" and stays cheaper above {volume(stays.requests_per_month)}{extra}."


def how_sure(verdict: Verdict) -> str | None:
    sure = verdict.how_sure
    if sure is None:
        return None
    return (
        f"How sure: {sure.words} ({verdict.winner.name} stays cheaper in {_share(sure.winner_cheaper_share)} "
        f"of {number(sure.draws)} draws with prices, throughput and costs varied over their ranges)."
    )


def trend_assumption(outlook: HorizonOutlook) -> str:
    """The horizon's assumptions as a reader needs them: the API price trend named, and where it comes from."""
    text = f"API prices {signed_percent(outlook.api_price_change_per_year)}/year"
    text += ", the default from Epoch AI's trend" if outlook.api_price_change_is_default else ", your setting"
    if outlook.gpu_price_change_per_year:
        text += f"; GPU prices {signed_percent(outlook.gpu_price_change_per_year)}/year"
    if outlook.monthly_growth:
        text += f"; traffic {signed_percent(outlook.monthly_growth)}/month"
    return text


def _trend_words(outlook: HorizonOutlook) -> str:
    change = outlook.api_price_change_per_year
    if change < 0:
        return f"if API prices fall {percent(-change)}/year"
    if change > 0:
        return f"if API prices rise {percent(change)}/year"
    return "with API prices flat"


def _plan(outlook: HorizonOutlook) -> str:
    if outlook.plan == "api":
        return f"staying on {outlook.api_name}"
    if outlook.plan == "self_hosted":
        return f"self-hosting {outlook.self_hosted_name} from the start"
    months = plural(outlook.switch_month, "month")
    return f"{outlook.api_name} for {months}, then self-hosting {outlook.self_hosted_name},"


def horizon(verdict: Verdict) -> str | None:
    outlook = verdict.horizon
    if outlook is None:
        return None
    if outlook.plan == "api":
        against = f"{money(outlook.self_hosted_net_total)} self-hosting {outlook.self_hosted_name} from the start"
    else:
        against = f"{money(outlook.api_only_net_total)} on {outlook.api_name} throughout"
    return (
        f"Over {plural(outlook.months, 'month')}, {_plan(outlook)} is cheapest: {money(outlook.cheapest_net_total)} "
        f"against {against} ({trend_assumption(outlook)})."
    )


def disagreement(verdict: Verdict, item: Disagreement) -> str:
    winner = verdict.winner
    today = "self-hosting wins today" if winner.side == "self_hosted" else f"{winner.name} wins today"
    if item.source == "horizon":
        outlook = verdict.horizon
        assert outlook is not None
        if outlook.plan == "api":
            over = f"over {outlook.months} months {_trend_words(outlook)}"
            return _capitalised(f"{today}, but {item.favours} is cheaper {over}.")
        when = ""
        if outlook.plan == "switch":
            when = f" (after {plural(outlook.switch_month, 'month')} on {outlook.api_name})"
        growth = f" with traffic growing {percent(outlook.monthly_growth)}/month" if outlook.monthly_growth > 0 else ""
        if outlook.api_price_change_per_year < 0:  # falling API prices work against self-hosting: "even if"
            trend = f", even {_trend_words(outlook)}"
        else:
            trend = f" (API prices {signed_percent(outlook.api_price_change_per_year)}/year)"
        return _capitalised(
            f"{today}, but self-hosting {item.favours}{when} is cheaper over {outlook.months} months{growth}{trend}."
        )
    sure = verdict.how_sure
    assert sure is not None
    return (
        f"The uncertainty points the other way: {item.favours} is cheaper in {_share(1 - sure.winner_cheaper_share)} "
        f"of {number(sure.draws)} draws."
    )


def quality(verdict: Verdict) -> str | None:
    """ "Quality (LMArena text …, 2025-12): Llama 3.1 8B scores 1,212, Claude Haiku 4.5 1,402: far apart …"."""
    comparison, runner_up = verdict.quality, verdict.runner_up
    if comparison is None or runner_up is None:
        return None
    winner_score, runner_score = comparison.winner_score, comparison.runner_up_score
    if winner_score is None and runner_score is None:
        return f"No public quality score for {verdict.winner.name} or {runner_up.name}: compare their answers yourself."
    known = winner_score or runner_score
    assert known is not None
    parts = []
    for name, score in ((verdict.winner.name, winner_score), (runner_up.name, runner_score)):
        parts.append(f"{name} {number(score.score)}" if score is not None else f"{name} has no public score")
    text = f"Quality ({known.benchmark.name}, {known.as_of}): " + ", ".join(parts) + "."
    if comparison.far_apart:
        text += " Far apart: the cheaper option may not do the same job; compare their answers before deciding."
    return text


def verdict_sentences(verdict: Verdict) -> VerdictSentences:
    return VerdictSentences(
        headline=headline(verdict),
        volumes=volumes(verdict),
        how_sure=how_sure(verdict),
        horizon=horizon(verdict),
        disagreements=tuple(disagreement(verdict, d) for d in verdict.disagreements),
        quality=quality(verdict),
    )


def _contender_json(option: Contender | None) -> dict[str, Any] | None:
    if option is None:
        return None
    return {"name": option.name, "kind": option.kind, "monthly_cost": option.monthly_cost}


def _mark_json(mark: VolumeMark | None) -> dict[str, Any] | None:
    if mark is None:
        return None
    return {"requests_per_month": mark.requests_per_month, "option": mark.option}


def _quality_json(verdict: Verdict) -> dict[str, Any] | None:
    comparison = verdict.quality
    if comparison is None:
        return None
    known = comparison.winner_score or comparison.runner_up_score
    return {
        "winner_score": comparison.winner_score.score if comparison.winner_score else None,
        "runner_up_score": comparison.runner_up_score.score if comparison.runner_up_score else None,
        "benchmark": known.benchmark.name if known else None,
        "as_of": known.as_of if known else None,
        "far_apart": comparison.far_apart,
    }


def verdict_json(verdict: Verdict) -> dict[str, Any]:
    """The JSON's `verdict`: the typed figures, then the sentences the page shows."""
    words = verdict_sentences(verdict)
    sure, outlook = verdict.how_sure, verdict.horizon
    return {
        "winner": _contender_json(verdict.winner),
        "runner_up": _contender_json(verdict.runner_up),
        "saving": None
        if verdict.saving is None
        else {"usd_per_month": verdict.saving.usd_per_month, "fraction": verdict.saving.fraction},
        "self_hosting_first_cheaper": _mark_json(verdict.self_hosting_first_cheaper),
        "self_hosting_stays_cheaper": _mark_json(verdict.self_hosting_stays_cheaper),
        "how_sure": None
        if sure is None
        else {"winner_cheaper_share": sure.winner_cheaper_share, "words": sure.words, "draws": sure.draws},
        "horizon": None
        if outlook is None
        else {
            "months": outlook.months,
            "plan": outlook.plan,
            "switch_month": outlook.switch_month,
            "cheapest": outlook.cheapest,
            "cheapest_net_total": outlook.cheapest_net_total,
            "api_only_net_total": outlook.api_only_net_total,
            "self_hosted_net_total": outlook.self_hosted_net_total,
            "api_price_change_per_year": outlook.api_price_change_per_year,
            "api_price_change_is_default": outlook.api_price_change_is_default,
            "gpu_price_change_per_year": outlook.gpu_price_change_per_year,
            "monthly_growth": outlook.monthly_growth,
            "assumption": trend_assumption(outlook),
        },
        "disagreements": [{"source": d.source, "favours": d.favours} for d in verdict.disagreements],
        "closed_api": _contender_json(verdict.closed_api),
        "quality": _quality_json(verdict),
        "headline": words.headline,
        "lines": list(words.lines),
    }
