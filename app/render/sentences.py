"""The English of one scenario result: the break-even sentence of an (API, self-hosted) pair, shown
under the page's verdict, in the pair's worked formulas and in the JSON's `explanation`. Its figures
go through app/render/format.py, so a cost per request reads as it does in the cost table."""

from __future__ import annotations

from app.render.format import money, money_per_request, number, plural
from app.scenario.evaluate import PairResult


def pair_explanation(pair: PairResult) -> str:
    """Where self-hosting becomes and stays cheaper than the API, and why: its marginal cost per
    request at full replicas against the API's; or why it never does."""
    api, self_hosted, solution = pair.api, pair.self_hosted, pair.solution
    per_request_api = solution.api_cost_per_request
    marginal = solution.self_hosted_marginal_cost_per_request
    if solution.first_crossover is None or solution.stays_cheaper_above is None:
        return (
            f"{self_hosted} is never cheaper than {api}: each replica costs {money(pair.replica_monthly_cost)}/month "
            f"and serves at most {number(pair.requests_per_replica)} requests/month, {money_per_request(marginal)}, "
            f"which is not below {api}'s {money_per_request(per_request_api)}, so adding traffic only adds replicas "
            "that cost more than the API would."
        )
    text = (
        f"{self_hosted} becomes cheaper than {api} at {number(solution.first_crossover)} requests/month and stays "
        f"cheaper above {number(solution.stays_cheaper_above)} requests/month: at full replicas it costs "
        f"{money_per_request(marginal)} against {api}'s {money(per_request_api)}."
    )
    if solution.api_cheaper_again_count:
        first = solution.api_cheaper_again[0]
        text += (
            f" In between, {plural(solution.api_cheaper_again_count, 'range')} where a newly added replica makes "
            f"{api} cheaper again (the first from {number(first.start)} to {number(first.end)} requests/month)."
        )
    return text
