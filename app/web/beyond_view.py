"""The page's views beyond one crossover, for its headline pair (the cheapest API against the
cheapest self-hosted option at the user's volume): cost over time, how sure the break-even is, the
overflow hybrid, and the requirements besides cost.

Each is the JSON API's own answer (app/scenario/{horizon,uncertainty,hybrid,factors}.py's typed results,
evaluated with the page's scenario and its `h.*` / `req` settings), so the page, the chart endpoints and
/api/v1 agree. The horizon and the uncertainty judge the same pair: the page evaluates it once for both.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from app.catalog.sources import Sources
from app.core import factors as factors_core
from app.core.errors import DomainError
from app.core.specs import Catalog
from app.render.beyond_json import factors_json, horizon_json, hybrid_json, uncertainty_json
from app.scenario.beyond import EvaluatedPair, evaluate_pair
from app.scenario.beyond_inputs import HorizonIn, HybridIn, HybridOverflowIn, MigrationIn, UncertaintyIn
from app.scenario.evaluate import ApiResult, ScenarioResult, SelfHostedResult
from app.scenario.factors import FactorsAnswer, assess_factors
from app.scenario.horizon import HorizonAnswer, evaluate_horizon
from app.scenario.hybrid import HybridAnswer, evaluate_hybrid
from app.scenario.inputs import ApiOptionIn, ScenarioIn, SelfHostedOptionIn
from app.scenario.uncertainty import UncertaintyAnswer, evaluate_uncertainty
from app.web.forms import BeyondIn, beyond_to_pairs, scenario_to_pairs

# The headline pair evaluated once for the horizon and the uncertainty, or why it could not be.
SharedPair = EvaluatedPair | DomainError | ValueError

MONTE_CARLO_DRAWS = 10_000
MONTE_CARLO_SEED = 0


@dataclass(frozen=True)
class HeadlinePair:
    api: ApiOptionIn
    self_hosted: SelfHostedOptionIn


def headline_pair(scenario: ScenarioIn, result: ScenarioResult) -> HeadlinePair | None:
    """The cheapest API and the cheapest self-hosted option at the user's volume (the verdict's pair);
    None unless the scenario has one of each."""
    apis = [o for o in result.options if isinstance(o, ApiResult)]
    hosted = [o for o in result.options if isinstance(o, SelfHostedResult)]
    if not apis or not hosted:
        return None
    api_name = min(apis, key=lambda o: o.monthly_cost).resolved.option.name
    sh_name = min(hosted, key=lambda o: o.monthly_cost).resolved.option.name
    specs = {o.name: o for o in scenario.options}
    api, sh = specs.get(api_name), specs.get(sh_name)
    if not isinstance(api, ApiOptionIn) or not isinstance(sh, SelfHostedOptionIn):
        return None
    return HeadlinePair(api, sh)


def _evaluated(shared: SharedPair | None) -> EvaluatedPair | None:
    if isinstance(shared, (DomainError, ValueError)):
        raise shared
    return shared


def horizon_data(
    scenario: ScenarioIn,
    pair: HeadlinePair,
    beyond: BeyondIn,
    catalog: Catalog,
    sources: Sources | None = None,
    shared: SharedPair | None = None,
) -> HorizonAnswer:
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
    return evaluate_horizon(body, catalog, sources, _evaluated(shared))


def uncertainty_data(
    scenario: ScenarioIn,
    pair: HeadlinePair,
    catalog: Catalog,
    sources: Sources | None = None,
    shared: SharedPair | None = None,
) -> UncertaintyAnswer:
    body = UncertaintyIn(
        workload=scenario.workload,
        api=pair.api,
        self_hosted=pair.self_hosted,
        draws=MONTE_CARLO_DRAWS,
        seed=MONTE_CARLO_SEED,
    )
    return evaluate_uncertainty(body, catalog, sources, _evaluated(shared))


def hybrid_data(
    scenario: ScenarioIn, pair: HeadlinePair, beyond: BeyondIn, catalog: Catalog, sources: Sources | None = None
) -> HybridAnswer:
    body = HybridIn(
        workload=scenario.workload,
        option=HybridOverflowIn(
            mode="overflow",
            name=f"{pair.self_hosted.name} + {pair.api.name}",
            api=pair.api,
            self_hosted=pair.self_hosted,
        ),
        hourly_profile=list(beyond.hourly_weights),
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


def _shared_pair(scenario: ScenarioIn, pair: HeadlinePair, catalog: Catalog, sources: Sources | None) -> SharedPair:
    try:
        return evaluate_pair(scenario.workload, pair.api, pair.self_hosted, catalog, (), sources)
    except (DomainError, ValueError) as error:
        return error


@dataclass(frozen=True)
class BeyondView:
    """The four blocks; each block is its view's JSON document, which templates/_beyond.html reads."""

    api_name: str
    self_hosted_name: str
    horizon: dict[str, Any] | None
    uncertainty: dict[str, Any] | None
    hybrid: dict[str, Any] | None
    factors: dict[str, Any] | None
    horizon_chart_src: str
    tornado_chart_src: str
    problems: list[str]
    elapsed_ms: float


def beyond_view(
    scenario: ScenarioIn,
    result: ScenarioResult,
    beyond: BeyondIn,
    catalog: Catalog,
    chart_base: str = "/chart.svg?",
    sources: Sources | None = None,
) -> BeyondView | None:
    """The four blocks for the headline pair; None without an API and a self-hosted option. A block the
    model cannot compute is left out with its reason in `problems`."""
    pair = headline_pair(scenario, result)
    if pair is None:
        return None
    start = time.perf_counter()
    problems: list[str] = []

    def attempt(what: str, compute: Callable[[], dict[str, Any]]) -> dict[str, Any] | None:
        try:
            return compute()
        except (DomainError, ValueError) as error:
            problems.append(f"{what}: {error}")
            return None

    shared = _shared_pair(scenario, pair, catalog, sources)
    horizon = attempt("Over time", lambda: horizon_json(horizon_data(scenario, pair, beyond, catalog, sources, shared)))
    uncertainty = attempt(
        "How sure", lambda: uncertainty_json(uncertainty_data(scenario, pair, catalog, sources, shared))
    )
    hybrid = attempt("Overflow", lambda: hybrid_json(hybrid_data(scenario, pair, beyond, catalog, sources)))
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
        elapsed_ms=(time.perf_counter() - start) * 1000,
    )
