"""The throughput-vs-interactivity curve of a serving setup (issue 15).

SemiAnalysis InferenceX plots, for one setup (model, GPU, count, precision, engine, token mix), the
output tokens/s each GPU delivers against the tokens/s each user sees, as the batch grows: the frontier
a platform engineer trades along (more users per GPU, each served more slowly). This module sweeps the
estimator over that frontier: concurrency 1, 2, 4, … up to what KV memory and the engine's batch cap
allow, plus that exact cap and the concurrency the scenario is sized at. Pure: no I/O, no formatting.

Each point reads the estimator's own fields: tokens/s per user is 1 / `time_per_output_token_seconds`
(whatever the estimator defines TPOT as, the curve follows it), never recomputed here. The sweep runs
without the workload's latency target (the target would cap the batch and cut the curve short); each
point says whether it meets the target instead. Bounded work: at most ~15 estimates (powers of two up
to the largest engine cap, 4,096 sequences, app/catalog/efficiencies.toml, plus two).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from app.core.efficiencies import Efficiencies
from app.core.throughput import ServingSetup, ThroughputEstimate, estimate_throughput
from app.scenario.evaluate import ScenarioResult, SelfHostedResult
from app.scenario.inputs import ScenarioIn, SelfHostedOptionIn
from app.scenario.resolve import ResolvedSelfHosted

# A point meets the target when it is within this relative tolerance of it: the estimator checks its
# target on tokens/s ÷ batch, the curve reads 1 / TPOT (= batch ÷ tokens/s), and the two roundings may
# differ in the last bit. A point exactly at the target meets it.
_TARGET_TOLERANCE = 1e-9


@dataclass(frozen=True)
class InteractivityPoint:
    """One setup's estimate at one concurrency."""

    concurrency: int  # sequences in flight on one replica
    output_tokens_per_second_per_gpu: float
    output_tokens_per_second_per_user: float  # 1 / the estimate's time_per_output_token_seconds
    time_to_first_token_seconds: float
    meets_latency_target: bool  # True when the setup has no latency target


@dataclass(frozen=True)
class InteractivityCurve:
    """Output tokens/s per GPU against tokens/s per user, as the batch grows (ascending concurrency)."""

    points: tuple[InteractivityPoint, ...]
    sized: InteractivityPoint  # the point the scenario is sized at (the setup's estimate, target enforced)
    max_concurrency: int  # what KV memory and the engine's batch cap allow, without the latency target
    gpu_count: int  # GPUs of one replica (tokens/s per GPU = replica tokens/s ÷ this)
    min_output_tokens_per_second_per_user: float | None  # the setup's latency target, None = none
    max_time_to_first_token_seconds: float | None


@dataclass(frozen=True)
class OptionCurve:
    """A self-hosted option of a scenario and its curve."""

    name: str
    curve: InteractivityCurve


def _meets(point_per_user: float, ttft: float, setup: ServingSetup) -> bool:
    rate, limit = setup.min_output_tokens_per_second_per_user, setup.max_time_to_first_token_seconds
    if rate is not None and point_per_user < rate * (1 - _TARGET_TOLERANCE):
        return False
    return limit is None or ttft <= limit * (1 + _TARGET_TOLERANCE)


def _point(estimate: ThroughputEstimate, setup: ServingSetup) -> InteractivityPoint:
    per_user = 1.0 / estimate.time_per_output_token_seconds
    ttft = estimate.time_to_first_token_seconds
    return InteractivityPoint(
        concurrency=estimate.concurrency,
        output_tokens_per_second_per_gpu=estimate.output_tokens_per_second_per_gpu,
        output_tokens_per_second_per_user=per_user,
        time_to_first_token_seconds=ttft,
        meets_latency_target=_meets(per_user, ttft, setup),
    )


def sweep_concurrencies(max_concurrency: int, sized_concurrency: int) -> tuple[int, ...]:
    """1, 2, 4, … below `max_concurrency`, that maximum itself, and the sized concurrency, ascending."""
    powers = {1 << k for k in range(max_concurrency.bit_length()) if 1 << k <= max_concurrency}
    return tuple(sorted(powers | {max_concurrency, min(max(sized_concurrency, 1), max_concurrency)}))


def interactivity_curve(
    setup: ServingSetup, efficiencies: Efficiencies, *, sized: ThroughputEstimate | None = None
) -> InteractivityCurve:
    """The curve of `setup` with `efficiencies`. `sized` is the setup's own estimate when the caller
    has it (else it is estimated here, raising DomainError where the setup cannot meet its target)."""
    if sized is None:
        sized = estimate_throughput(setup, efficiencies)
    unconstrained = replace(
        setup, concurrency=None, min_output_tokens_per_second_per_user=None, max_time_to_first_token_seconds=None
    )
    at_max = estimate_throughput(unconstrained, efficiencies)
    points: list[InteractivityPoint] = []
    for concurrency in sweep_concurrencies(at_max.max_concurrency, sized.concurrency):
        estimate = (
            at_max
            if concurrency == at_max.concurrency
            else estimate_throughput(replace(unconstrained, concurrency=concurrency), efficiencies)
        )
        points.append(_point(estimate, setup))
    return InteractivityCurve(
        points=tuple(points),
        sized=_point(sized, setup),
        max_concurrency=at_max.max_concurrency,
        gpu_count=setup.gpu_count,
        min_output_tokens_per_second_per_user=setup.min_output_tokens_per_second_per_user,
        max_time_to_first_token_seconds=setup.max_time_to_first_token_seconds,
    )


def option_setup(resolved: ResolvedSelfHosted) -> ServingSetup | None:
    """The serving setup a resolved self-hosted option was estimated with (None without an estimate), as
    app.scenario.resolve settled it (a default GPU count may have grown to meet the latency target)."""
    return resolved.setup if resolved.estimate is not None else None


def scenario_curves(result: ScenarioResult, scenario: ScenarioIn) -> tuple[OptionCurve, ...]:
    """The curve of each self-hosted option whose capacity is estimated, in the scenario's order (a
    measured capacity has no curve: the estimator did not size it)."""
    specs = (result.evaluated_scenario or scenario).options
    curves: list[OptionCurve] = []
    for spec, option in zip(specs, result.options, strict=True):
        if not isinstance(option, SelfHostedResult) or option.resolved.option.capacity_source != "estimated":
            continue
        assert isinstance(spec, SelfHostedOptionIn)
        estimate = option.resolved.estimate
        setup = option_setup(option.resolved)
        if setup is None or estimate is None:
            continue
        curve = interactivity_curve(setup, estimate.efficiencies, sized=estimate)
        curves.append(OptionCurve(option.resolved.option.name, curve))
    return tuple(curves)
