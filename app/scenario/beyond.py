"""Beyond one crossover: what the hybrid, horizon, uncertainty and factors views share.

Each view judges one (API, self-hosted) pair evaluated exactly as POST /breakeven evaluates it
(`evaluate_pair`), with errors located in the view's own request (`fields_renamed`). The views
themselves live in app/scenario/{hybrid,horizon,uncertainty,factors}.py and return typed results;
their JSON and sentences are app/render/beyond_json.py's.

The page asks them about its headline pair (`headline_pair`: the verdict's cheapest API and cheapest
self-hosted option), taken from the page's own evaluation (`headline_evaluated`) rather than evaluated again.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from app.catalog.sources import Sources
from app.core.breakeven import cheapest_envelope
from app.core.errors import DomainError
from app.core.specs import Catalog
from app.core.workload import Workload
from app.scenario.evaluate import ApiResult, ScenarioResult, SelfHostedResult, cost_curve, evaluate, option_name
from app.scenario.inputs import ApiOptionIn, ScenarioIn, SelfHostedOptionIn, WorkloadIn
from app.scenario.resolve import ResolvedSelfHosted, resolve_self_hosted


@dataclass(frozen=True)
class EvaluatedPair:
    """One API and one self-hosted option, evaluated together as a two-option scenario."""

    scenario: ScenarioResult
    api: ApiResult
    self_hosted: SelfHostedResult

    @property
    def workload(self) -> Workload:
        return self.scenario.workload


@contextmanager
def fields_renamed(mapping: dict[tuple[str | int, ...], tuple[str | int, ...]]) -> Iterator[None]:
    """Rewrite a DomainError's field path from the inner document's names to this request's."""
    try:
        yield
    except DomainError as error:
        for old, new in mapping.items():
            if tuple(error.field[: len(old)]) == old:
                error.field = new + tuple(error.field[len(old) :])
                break
        raise


def resolve_self_hosted_with(
    spec: SelfHostedOptionIn, workload: Workload, catalog: Catalog, sources: Sources | None
) -> ResolvedSelfHosted:
    """Resolve against the request's pinned sources when it has them, else against the catalog."""
    if sources is None:
        return resolve_self_hosted(spec, workload, catalog)
    return resolve_self_hosted(spec, workload, sources.catalog, sources.efficiencies)


def evaluate_pair(
    workload: WorkloadIn,
    api: ApiOptionIn,
    self_hosted: SelfHostedOptionIn,
    catalog: Catalog,
    prefix: tuple[str | int, ...] = (),
    sources: Sources | None = None,
) -> EvaluatedPair:
    """The two options as POST /breakeven evaluates them, with errors located in this request."""
    # A pair is these two options: no hosted alternatives added beside them.
    scenario = ScenarioIn(workload=workload, options=[api, self_hosted], hosted_alternatives=False)
    with fields_renamed({("options", 0): (*prefix, "api"), ("options", 1): (*prefix, "self_hosted")}):
        result = evaluate(scenario, catalog, sources=sources)
    api_result, sh_result = result.options
    assert isinstance(api_result, ApiResult) and isinstance(sh_result, SelfHostedResult)
    return EvaluatedPair(result, api_result, sh_result)


# ---------------------------------------------------------------------------------------------
# The headline pair: the page's views beyond one crossover judge the verdict's two options


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
    # The options as evaluated: hosted alternatives (issue 14) are added to the scenario as typed.
    specs = {o.name: o for o in (result.evaluated_scenario or scenario).options}
    api, sh = specs.get(api_name), specs.get(sh_name)
    if not isinstance(api, ApiOptionIn) or not isinstance(sh, SelfHostedOptionIn):
        return None
    return HeadlinePair(api, sh)


def headline_evaluated(result: ScenarioResult, pair: HeadlinePair) -> EvaluatedPair:
    """The pair as `evaluate_pair` evaluates it (a two-option scenario), taken from the whole scenario's
    result instead of evaluated again. Each option's result depends only on its own spec, the workload and
    the sources, so it is the same object; what depends on the set of options (the cheapest, the envelope,
    the notes) is rebuilt here as app.scenario.evaluate.evaluate builds it, for two options.
    tests/test_evaluations.py checks the two agree."""
    api = next(o for o in result.options if isinstance(o, ApiResult) and option_name(o) == pair.api.name)
    sh = next(o for o in result.options if isinstance(o, SelfHostedResult) and option_name(o) == pair.self_hosted.name)
    breakeven = next(p for p in result.breakevens if p.api == pair.api.name and p.self_hosted == pair.self_hosted.name)
    options: list[ApiResult | SelfHostedResult] = [api, sh]
    cheapest = min(range(len(options)), key=lambda i: (options[i].monthly_cost, i))
    landmarks = [result.workload.requests_per_month * 10]
    solution = breakeven.solution
    landmarks += [2 * v for v in (solution.first_crossover, solution.stays_cheaper_above) if v]
    envelope, covered = cheapest_envelope([cost_curve(api), cost_curve(sh)], max(landmarks))
    # evaluate's one note, the stale price snapshot, is there when an API option uses catalog prices.
    notes = list(result.notes) if api.resolved.option.prices.as_of else []
    scenario = ScenarioResult(
        workload=result.workload,
        options=options,
        cheapest=option_name(options[cheapest]),
        breakevens=[breakeven],
        envelope=envelope,
        envelope_up_to=covered,
        notes=notes,
    )
    return EvaluatedPair(scenario, api, sh)
