"""The English of the views beyond one crossover: one explanation sentence per typed result, shown
on the page and in the JSON's `explanation` and `notes`."""

from __future__ import annotations

import math

from app.core import horizon as horizon_core
from app.core import uncertainty as uncertainty_core
from app.render.format import money, number, plural
from app.scenario.horizon import HorizonAnswer
from app.scenario.hybrid import OverflowAnswer, RoutedAnswer
from app.scenario.uncertainty import UncertaintyAnswer


def overflow_notes(answer: OverflowAnswer) -> list[str]:
    if answer.replaced_peak_to_average is None:
        return []
    return [
        f"the workload's peak_to_average ({answer.replaced_peak_to_average:g}) is replaced by the profile's "
        f"({max(answer.profile):.3g}) in overflow mode"
    ]


def overflow_explanation(answer: OverflowAnswer) -> str:
    solved, workload = answer.solved, answer.workload
    best, all_api, all_sh = solved.best, solved.all_api, solved.all_self_hosted
    api, self_hosted = answer.api_name, answer.self_hosted_name
    alternatives = (
        f"{money(all_api.monthly_cost)}/month all on {api} and {money(all_sh.monthly_cost)} self-hosting the "
        f"peak hour with {plural(all_sh.replicas, 'replica')}"
    )
    if answer.cheapest == "all_api":
        return f"No replica pays for itself: {api} alone is cheapest at {alternatives.split(' and ')[0]}."
    if answer.cheapest == "all_self_hosted":
        return (
            f"Overflow does not help here: sizing {self_hosted} for the peak is cheapest "
            f"({money(all_sh.monthly_cost)}/month against {money(all_api.monthly_cost)} on {api})."
        )
    share = best.api_requests_per_month / workload.requests_per_month
    return (
        f"Run {plural(best.replicas, 'replica')} of {self_hosted} for the base load and send the "
        f"excess of {plural(best.hours_overflowing_per_day, 'busy hour')} a day "
        f"({share:.0%} of requests) to {api}: {money(best.monthly_cost)}/month, against {alternatives}."
    )


def routed_explanation(answer: RoutedAnswer) -> str:
    split, api_name = answer.split, answer.api_name
    return (
        f"Routing {answer.self_hosted_share:.0%} of requests ({split.self_hosted_token_share:.0%} of tokens) to "
        f"{answer.self_hosted_name} and the rest to {api_name} costs {money(split.monthly_cost)}/month, against "
        f"{money(answer.all_api_monthly_cost)} all on {api_name}."
    )


def horizon_explanation(answer: HorizonAnswer) -> str:
    solved, api, self_hosted, bought = answer.solved, answer.api_name, answer.self_hosted_name, bool(answer.bought)
    months = solved.inputs.months
    cheapest = solved.cheapest
    api_total = solved.api_only.net_total
    if cheapest.switch_month >= months:
        text = (
            f"Over {months} months staying on {api} is cheapest ({money(api_total)}): self-hosting {self_hosted} "
            "does not pay for itself within the horizon."
        )
    else:
        plan = (
            f"self-host {self_hosted} from the start"
            if cheapest.switch_month == 0
            else f"use {api} until month {cheapest.switch_month}, then self-host {self_hosted}"
        )
        text = (
            f"Over {months} months the cheapest plan is to {plan}: {money(cheapest.net_total)} net, against "
            f"{money(api_total)} on {api} throughout."
        )
        if bought and horizon_core.payback_month(cheapest, solved.api_only) is None:
            text += " It wins only through the hardware's residual value at the end, not by its cash spend."
    if solved.crossover_month is not None:
        text += f" {self_hosted}'s monthly cost drops below {api}'s in month {solved.crossover_month}"
        if solved.api_cheaper_again_from_month is not None:
            text += (
                f", until falling API prices make {api} cheaper again from month {solved.api_cheaper_again_from_month}"
            )
        text += "."
    if solved.payback_month is not None:
        what = "the purchase and the migration" if bought else "the migration"
        text += f" Self-hosting from the start pays back {what} in month {solved.payback_month}."
    return text


def engineer_week_source(answer: HorizonAnswer) -> str:
    salary = answer.engineer_salary
    if salary is None:
        return "entered by the user"
    return f"{salary.name}: {money(salary.value)}/year ÷ 52 ({salary.source}, {salary.as_of})"


def uncertainty_explanation(answer: UncertaintyAnswer) -> str:
    mc: uncertainty_core.MonteCarloResult = answer.monte_carlo
    bars, volume = answer.bars, answer.volume
    band = mc.stays_cheaper_above

    def volume_text(value: float) -> str:
        return "never" if math.isinf(value) else number(value)

    text = (
        f"At {number(volume)} requests/month, {answer.self_hosted_name} is cheaper than {answer.api_name} in "
        f"{mc.probability_self_hosted_cheaper:.0%} of {mc.draws:,} draws. The volume above which it stays cheaper "
        f"is {volume_text(band.p10)} / {volume_text(band.p50)} / {volume_text(band.p90)} requests/month "
        "(P10 / P50 / P90)"
    )
    if bars and bars[0].swing > 0:
        text += f"; {bars[0].input.label.lower()} moves it most"
    return text + "."
