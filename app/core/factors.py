"""The factors besides cost: what a requirement says about each kind of option, in words, not dollars.

Each requirement a team can mark belongs to one factor (data privacy, customization, control of
versions, ease of starting, reliability and support, peak capability), favours one kind of option,
and says why and what would change the answer. A hard requirement ("data must not leave our
environment") rules out the options that cannot meet it; a preference only leans. Nothing here is
converted into money or a score: the result is shown next to the numbers, not added to them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from app.core.errors import DomainError

FactorId = Literal[
    "data_privacy", "customization", "version_control", "ease_of_starting", "reliability_support", "peak_capability"
]
OptionKind = Literal["api", "self_hosted", "hybrid"]
Favours = Literal["api", "self_hosted"]
Strength = Literal["hard_requirement", "preference"]
RequirementId = Literal[
    "data_stays_in_our_environment",
    "regulated_data",
    "fine_tune_on_our_data",
    "custom_serving_stack",
    "pin_model_version",
    "start_this_week",
    "no_ml_ops_team",
    "need_vendor_sla",
    "spiky_unpredictable_traffic",
    "need_frontier_quality",
]

FACTOR_LABELS: dict[FactorId, str] = {
    "data_privacy": "Data privacy",
    "customization": "Customization",
    "version_control": "Control of versions",
    "ease_of_starting": "Ease of starting",
    "reliability_support": "Reliability and support",
    "peak_capability": "Peak capability",
}


@dataclass(frozen=True)
class Requirement:
    id: RequirementId
    factor: FactorId
    label: str  # what the team marks, in its words
    favours: Favours
    strength: Strength
    reason: str  # why it favours that side
    caveat: str  # what would change the answer
    hybrid: str  # what it means for a hybrid (self-hosted base + API)


REQUIREMENTS: tuple[Requirement, ...] = (
    Requirement(
        id="data_stays_in_our_environment",
        factor="data_privacy",
        label="Data must not leave our environment",
        favours="self_hosted",
        strength="hard_requirement",
        reason=(
            "Self-hosted weights run on machines you control, so prompts and outputs never reach a third party; "
            "a closed API processes them on the provider's servers."
        ),
        caveat=(
            "Some closed models can be deployed inside your own cloud account or region (e.g. through a cloud "
            "provider's model service); check whether that counts as your environment."
        ),
        hybrid="A hybrid still sends the API's share of requests out: it meets this only if that share holds no "
        "such data.",
    ),
    Requirement(
        id="regulated_data",
        factor="data_privacy",
        label="We handle regulated data (health, finance, personal data) and need contractual safeguards",
        favours="self_hosted",
        strength="preference",
        reason="Keeping the data in-house keeps the compliance scope to systems you already audit.",
        caveat=(
            "Major API providers offer data-processing agreements, zero-retention options and regional "
            "processing; with those in place an API may be acceptable."
        ),
        hybrid="Route the regulated requests to the self-hosted side.",
    ),
    Requirement(
        id="fine_tune_on_our_data",
        factor="customization",
        label="We need to fine-tune or adapt the model on our own data",
        favours="self_hosted",
        strength="preference",
        reason=(
            "With open weights you can use any method (full fine-tuning, LoRA adapters, quantization, "
            "custom decoding) and keep the result."
        ),
        caveat="Some APIs offer hosted fine-tuning for selected models, with fewer methods and no access to weights.",
        hybrid="Fine-tune the self-hosted model for the routine share.",
    ),
    Requirement(
        id="custom_serving_stack",
        factor="customization",
        label="We need control over the serving stack (structured output, custom sampling, long context)",
        favours="self_hosted",
        strength="preference",
        reason="You choose the engine, its settings and extensions; an API exposes only the options it offers.",
        caveat="Most needs (JSON output, tool calls) are covered by the major APIs today.",
        hybrid="The self-hosted side gets the custom stack; the API side keeps its defaults.",
    ),
    Requirement(
        id="pin_model_version",
        factor="version_control",
        label="The model must not change under us (pinned version, reproducible outputs)",
        favours="self_hosted",
        strength="preference",
        reason=(
            "Weights you host change only when you change them; API providers retire model versions on their "
            "own schedule and update aliases."
        ),
        caveat="APIs publish dated snapshots and deprecation notices, usually months ahead.",
        hybrid="The API share can still change on the provider's schedule.",
    ),
    Requirement(
        id="start_this_week",
        factor="ease_of_starting",
        label="We need to start now, with no infrastructure work",
        favours="api",
        strength="preference",
        reason="An API needs a key and a few lines of code; self-hosting needs GPUs, a serving engine, and people "
        "to run them.",
        caveat="Managed open-model endpoints sit in between: open weights without running GPUs yourself.",
        hybrid="Start on the API and add the self-hosted base later (see the horizon's migration plans).",
    ),
    Requirement(
        id="no_ml_ops_team",
        factor="ease_of_starting",
        label="We have no one to run GPU servers (on call, upgrades, capacity)",
        favours="api",
        strength="preference",
        reason="With an API the provider runs the fleet; self-hosting needs operations time that the cost model "
        "counts only through ops_fte.",
        caveat="A managed Kubernetes or inference platform reduces, but does not remove, the work.",
        hybrid="A hybrid needs the same operations work as self-hosting.",
    ),
    Requirement(
        id="need_vendor_sla",
        factor="reliability_support",
        label="We need a vendor's uptime commitment and support",
        favours="api",
        strength="preference",
        reason="API providers offer SLAs (on enterprise tiers) and run redundant capacity across regions.",
        caveat="Self-hosted reliability is yours to build: redundancy (N+k) is in the cost model; support "
        "contracts for hardware are in maintenance.",
        hybrid="Overflow to the API also serves as a fallback when self-hosted replicas fail.",
    ),
    Requirement(
        id="spiky_unpredictable_traffic",
        factor="reliability_support",
        label="Our traffic is spiky or hard to predict",
        favours="api",
        strength="preference",
        reason="An API absorbs bursts without capacity planning; self-hosted replicas must be sized for the peak.",
        caveat="Rate limits apply to APIs too; ask for higher limits before a launch.",
        hybrid="Overflow routing exists for this: self-host the base, send peaks to the API.",
    ),
    Requirement(
        id="need_frontier_quality",
        factor="peak_capability",
        label="We need the best available model quality on hard tasks",
        favours="api",
        strength="preference",
        reason="The strongest closed models have led open-weight models on the hardest benchmarks; check your own "
        "evaluations.",
        caveat="For many routine tasks open-weight models are on par; measure on your own data before deciding.",
        hybrid="Route the hard requests to the frontier API and the routine ones to the open model.",
    ),
)

REQUIREMENTS_BY_ID: dict[str, Requirement] = {r.id: r for r in REQUIREMENTS}


@dataclass(frozen=True)
class OptionRef:
    name: str
    kind: OptionKind


@dataclass(frozen=True)
class RequirementVerdict:
    requirement: Requirement
    favoured_options: tuple[str, ...]
    other_options: tuple[str, ...]
    ruled_out: tuple[str, ...]  # options a hard requirement excludes


@dataclass(frozen=True)
class FactorsResult:
    verdicts: tuple[RequirementVerdict, ...]
    ruled_out: tuple[str, ...]  # union over hard requirements
    favouring: dict[Favours, tuple[str, ...]]  # requirement ids per side


def _meets(kind: OptionKind, requirement: Requirement) -> bool:
    if kind == "hybrid":
        # A hybrid has both sides: it meets a preference of either, never a hard self-hosted-only requirement.
        return requirement.strength == "preference"
    return kind == requirement.favours


def assess(requirement_ids: Sequence[str], options: Sequence[OptionRef]) -> FactorsResult:
    verdicts: list[RequirementVerdict] = []
    ruled_out: list[str] = []
    seen: set[str] = set()
    for index, requirement_id in enumerate(requirement_ids):
        requirement = REQUIREMENTS_BY_ID.get(requirement_id)
        if requirement is None:
            known = ", ".join(REQUIREMENTS_BY_ID)
            raise DomainError(f"unknown requirement {requirement_id!r}; known: {known}", field=("requirements", index))
        if requirement_id in seen:
            continue
        seen.add(requirement_id)
        favoured = tuple(o.name for o in options if _meets(o.kind, requirement))
        others = tuple(o.name for o in options if o.name not in favoured)
        excluded = others if requirement.strength == "hard_requirement" else ()
        ruled_out += [name for name in excluded if name not in ruled_out]
        verdicts.append(RequirementVerdict(requirement, favoured, others, excluded))
    favouring: dict[Favours, tuple[str, ...]] = {
        side: tuple(v.requirement.id for v in verdicts if v.requirement.favours == side)
        for side in ("api", "self_hosted")
    }
    return FactorsResult(tuple(verdicts), tuple(ruled_out), favouring)
