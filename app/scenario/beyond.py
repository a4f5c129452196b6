"""Beyond one crossover: what the hybrid, horizon, uncertainty and factors views share.

Each view judges one (API, self-hosted) pair evaluated exactly as POST /breakeven evaluates it
(`evaluate_pair`), with errors located in the view's own request (`fields_renamed`). The views
themselves live in app/scenario/{hybrid,horizon,uncertainty,factors}.py and return typed results;
their JSON and sentences are app/render/beyond_json.py's.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from app.catalog.sources import Sources
from app.core.errors import DomainError
from app.core.specs import Catalog
from app.core.workload import Workload
from app.scenario.evaluate import ApiResult, ScenarioResult, SelfHostedResult, evaluate
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
    scenario = ScenarioIn(workload=workload, options=[api, self_hosted])
    with fields_renamed({("options", 0): (*prefix, "api"), ("options", 1): (*prefix, "self_hosted")}):
        result = evaluate(scenario, catalog, sources=sources)
    api_result, sh_result = result.options
    assert isinstance(api_result, ApiResult) and isinstance(sh_result, SelfHostedResult)
    return EvaluatedPair(result, api_result, sh_result)
