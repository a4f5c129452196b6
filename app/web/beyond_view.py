"""The page's views beyond one crossover, for its headline pair (the cheapest API against the
cheapest self-hosted option at the user's volume): cost over time, how sure the break-even is, the
overflow hybrid, and the requirements besides cost.

Each is the JSON API's own answer (app/scenario/{horizon,uncertainty,hybrid,factors}.py's typed results,
evaluated with the page's scenario and its `h.*` / `req` settings), so the page, the chart endpoints and
/api/v1 agree. The horizon and the uncertainty judge the same pair, and take it from the page's own
evaluation (`headline_evaluated`) rather than evaluating it again; the uncertainty's Monte Carlo is kept
with the evaluation (app/web/evaluation_cache.py), so the tornado chart reuses the page's. The hybrid
evaluates its own pair: the workload with the daily profile's peak is another question.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from app.catalog.sources import Sources
from app.core import factors as factors_core
from app.core.errors import DomainError
from app.core.specs import Catalog
from app.render.beyond_json import factors_json, horizon_json, hybrid_json, uncertainty_json
from app.scenario.beyond import EvaluatedPair, HeadlinePair, headline_evaluated, headline_pair
from app.scenario.beyond_inputs import HorizonIn, HybridIn, HybridOverflowIn, MigrationIn, UncertaintyIn
from app.scenario.evaluate import ScenarioResult
from app.scenario.factors import FactorsAnswer, assess_factors
from app.scenario.horizon import HorizonAnswer, evaluate_horizon
from app.scenario.hybrid import WORKLOAD_PROFILE, HybridAnswer, evaluate_hybrid, workload_profile
from app.scenario.inputs import ScenarioIn
from app.scenario.uncertainty import UncertaintyAnswer, evaluate_uncertainty
from app.scenario.verdict import Verdict, compute_verdict, horizon_outlook
from app.web.evaluation_cache import Evaluation
from app.web.form_fields import BeyondIn
from app.web.query_codec import beyond_to_pairs, scenario_to_pairs

MONTE_CARLO_DRAWS = 10_000
MONTE_CARLO_SEED = 0


def horizon_data(
    scenario: ScenarioIn,
    pair: HeadlinePair,
    beyond: BeyondIn,
    catalog: Catalog,
    sources: Sources | None = None,
    evaluated: EvaluatedPair | None = None,
) -> HorizonAnswer:
    """`evaluated`: the pair from the scenario's result (`headline_evaluated`); without it, evaluated here."""
    body = HorizonIn(
        workload=scenario.workload,
        api=pair.api,
        self_hosted=pair.self_hosted,
        months=beyond.months,
        monthly_growth=beyond.monthly_growth,
        api_price_change_per_year=beyond.api_price_change_per_year,
        gpu_price_change_per_year=beyond.gpu_price_change_per_year,
        migration=MigrationIn(engineering_weeks=beyond.migration_weeks),
        migrate_at_month=beyond.migrate_at_month,
    )
    return evaluate_horizon(body, catalog, sources, evaluated)


def uncertainty_data(
    scenario: ScenarioIn,
    pair: HeadlinePair,
    catalog: Catalog,
    sources: Sources | None = None,
    evaluated: EvaluatedPair | None = None,
) -> UncertaintyAnswer:
    """`evaluated`: the pair from the scenario's result (`headline_evaluated`); without it, evaluated here."""
    body = UncertaintyIn(
        workload=scenario.workload,
        api=pair.api,
        self_hosted=pair.self_hosted,
        draws=MONTE_CARLO_DRAWS,
        seed=MONTE_CARLO_SEED,
    )
    return evaluate_uncertainty(body, catalog, sources, evaluated)


def headline_uncertainty(
    evaluation: Evaluation, scenario: ScenarioIn, pair: HeadlinePair, catalog: Catalog, sources: Sources | None
) -> UncertaintyAnswer:
    """The headline pair's uncertainty, computed once per evaluation: the page's "How sure" block and the
    tornado chart of the same scenario share its Monte Carlo. Everything it depends on (the scenario, its
    sources, the fixed draws and seed) is part of what keys `evaluation`."""
    if evaluation.uncertainty is None:
        evaluated = headline_evaluated(evaluation.result, pair)  # cheap: an envelope of two curves
        evaluation.uncertainty = uncertainty_data(scenario, pair, catalog, sources, evaluated)
    return evaluation.uncertainty


def hybrid_data(
    scenario: ScenarioIn, pair: HeadlinePair, beyond: BeyondIn, catalog: Catalog, sources: Sources | None = None
) -> HybridAnswer:
    """The overflow hybrid over the page's daily shape; by default ("workload") the workload's own
    peak-to-average (app.scenario.hybrid.workload_profile), so it sizes replicas as the cost table does."""
    if beyond.profile == WORKLOAD_PROFILE:
        weights = list(workload_profile(scenario.workload.peak_to_average))
    else:
        weights = list(beyond.hourly_weights)
    body = HybridIn(
        workload=scenario.workload,
        option=HybridOverflowIn(
            mode="overflow",
            name=f"{pair.self_hosted.name} + {pair.api.name}",
            api=pair.api,
            self_hosted=pair.self_hosted,
        ),
        hourly_profile=weights,
    )
    return evaluate_hybrid(body, catalog, sources)


def factors_data(pair: HeadlinePair, beyond: BeyondIn) -> FactorsAnswer | None:
    if not beyond.requirements:
        return None
    refs = [
        factors_core.OptionRef(pair.api.name, "api"),
        factors_core.OptionRef(pair.self_hosted.name, "self_hosted"),
        factors_core.OptionRef("Hybrid (self-hosted base, API overflow)", "hybrid"),
    ]
    return assess_factors(beyond.requirements, refs)


@dataclass(frozen=True)
class HeadlineAnswers:
    """The headline pair's horizon and uncertainty, computed once per page view: the verdict reads them
    (app/scenario/verdict.py), then the "Over time" and "How sure" blocks show them. An answer the model
    cannot give is None, with its reason in `problems`."""

    pair: HeadlinePair
    horizon: HorizonAnswer | None
    uncertainty: UncertaintyAnswer | None
    problems: tuple[str, ...]


def headline_answers(
    scenario: ScenarioIn,
    result: ScenarioResult,
    beyond: BeyondIn,
    catalog: Catalog,
    sources: Sources | None = None,
    evaluation: Evaluation | None = None,
) -> HeadlineAnswers | None:
    """None without an API and a self-hosted option. `evaluation`: where `result` came from, whose
    Monte Carlo the tornado chart shares (app/web/evaluation_cache.py): one Monte Carlo a view."""
    pair = headline_pair(scenario, result)
    if pair is None:
        return None
    problems: list[str] = []
    evaluated = headline_evaluated(result, pair)
    horizon: HorizonAnswer | None = None
    try:
        horizon = horizon_data(scenario, pair, beyond, catalog, sources, evaluated)
    except (DomainError, ValueError) as error:
        problems.append(f"Over time: {error}")
    how_sure = evaluation if evaluation is not None and evaluation.result is result else Evaluation(result)
    uncertainty: UncertaintyAnswer | None = None
    try:
        uncertainty = headline_uncertainty(how_sure, scenario, pair, catalog, sources)
    except (DomainError, ValueError) as error:
        problems.append(f"How sure: {error}")
    return HeadlineAnswers(pair, horizon, uncertainty, tuple(problems))


def page_verdict(result: ScenarioResult, answers: HeadlineAnswers | None) -> Verdict:
    """The verdict the page, its JSON twin and its chart's alt text show: `result`'s, with the headline
    pair's horizon and Monte Carlo where there are answers."""
    if answers is None:
        return compute_verdict(result)
    horizon = answers.horizon
    outlook = horizon_outlook(horizon.solved, horizon.api_name, horizon.self_hosted_name) if horizon else None
    monte_carlo = answers.uncertainty.monte_carlo if answers.uncertainty is not None else None
    return compute_verdict(result, outlook, monte_carlo)


@dataclass(frozen=True)
class BeyondView:
    """The four blocks; each block is its view's JSON document (less its "scenario", the page's own result),
    which templates/_beyond.html reads."""

    api_name: str
    self_hosted_name: str
    horizon: dict[str, Any] | None
    uncertainty: dict[str, Any] | None
    hybrid: dict[str, Any] | None
    factors: dict[str, Any] | None
    horizon_chart_src: str
    tornado_chart_src: str
    problems: list[str]


def beyond_view(
    scenario: ScenarioIn,
    result: ScenarioResult,
    beyond: BeyondIn,
    catalog: Catalog,
    chart_base: str = "/chart.svg?",
    sources: Sources | None = None,
    evaluation: Evaluation | None = None,
    answers: HeadlineAnswers | None = None,
) -> BeyondView | None:
    """The four blocks for the headline pair; None without an API and a self-hosted option. A block the
    model cannot compute is left out with its reason in `problems`. `answers`: the pair's horizon and
    uncertainty the verdict already read (`headline_answers`); without them, computed here, with the
    uncertainty shared through `evaluation` (where `result` came from) with the tornado chart."""
    if answers is None:
        answers = headline_answers(scenario, result, beyond, catalog, sources, evaluation)
    if answers is None:
        return None
    pair = answers.pair
    problems: list[str] = list(answers.problems)

    def attempt(what: str, compute: Callable[[], dict[str, Any]]) -> dict[str, Any] | None:
        try:
            return compute()
        except (DomainError, ValueError) as error:
            problems.append(f"{what}: {error}")
            return None

    # The blocks leave out the pair's scenario JSON: the page shows that result already (app/render/beyond_json.py).
    horizon = horizon_json(answers.horizon, include_scenario=False) if answers.horizon is not None else None
    uncertainty = (
        uncertainty_json(answers.uncertainty, include_scenario=False) if answers.uncertainty is not None else None
    )
    hybrid = attempt(
        "Overflow",
        lambda: hybrid_json(hybrid_data(scenario, pair, beyond, catalog, sources), include_scenario=False),
    )
    factors = factors_data(pair, beyond)
    if chart_base.startswith("/chart.svg"):
        query = urlencode(scenario_to_pairs(scenario) + beyond_to_pairs(beyond))
        horizon_src, tornado_src = f"{chart_base}kind=horizon&{query}", f"{chart_base}kind=tornado&{query}"
    else:  # a saved scenario's chart: its id, plus the horizon settings
        extra = urlencode(beyond_to_pairs(beyond))
        horizon_src = f"{chart_base}kind=horizon" + (f"&{extra}" if extra else "")
        tornado_src = f"{chart_base}kind=tornado"
    return BeyondView(
        api_name=pair.api.name,
        self_hosted_name=pair.self_hosted.name,
        horizon=horizon,
        uncertainty=uncertainty,
        hybrid=hybrid,
        factors=factors_json(factors) if factors is not None else None,
        horizon_chart_src=horizon_src,
        tornado_chart_src=tornado_src,
        problems=problems,
    )
