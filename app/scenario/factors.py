"""The factors besides cost: which option each marked requirement favours, and why."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.core import factors as factors_core
from app.scenario.beyond_inputs import FactorsIn

DEFAULT_OPTION_REFS = (
    factors_core.OptionRef("API", "api"),
    factors_core.OptionRef("Self-hosted", "self_hosted"),
    factors_core.OptionRef("Hybrid", "hybrid"),
)


@dataclass(frozen=True)
class FactorsAnswer:
    """The marked requirements judged for these options (POST /api/v1/factors)."""

    options: tuple[factors_core.OptionRef, ...]
    assessment: factors_core.FactorsResult


def assess_factors(requirement_ids: Sequence[str], options: Sequence[factors_core.OptionRef]) -> FactorsAnswer:
    return FactorsAnswer(tuple(options), factors_core.assess(requirement_ids, options))


def evaluate_factors(body: FactorsIn) -> FactorsAnswer:
    refs = [factors_core.OptionRef(o.name, o.kind) for o in body.options] if body.options else list(DEFAULT_OPTION_REFS)
    return assess_factors(body.requirements, refs)


def beyond_cost(requirements: Sequence[str] | None, options: Sequence[factors_core.OptionRef]) -> FactorsAnswer | None:
    """The factors besides cost for the options of a view; None when no requirement is marked."""
    return assess_factors(requirements, options) if requirements else None
