"""The factors besides cost: which option each requirement favours, and why, without dollars."""

from __future__ import annotations

from typing import get_args

import pytest

from app.core.errors import DomainError
from app.core.factors import FACTOR_LABELS, REQUIREMENTS, OptionRef, RequirementId, assess

OPTIONS = [OptionRef("GPT", "api"), OptionRef("Llama", "self_hosted"), OptionRef("Both", "hybrid")]


def test_requirement_ids_match_the_literal_the_api_validates() -> None:
    assert {r.id for r in REQUIREMENTS} == set(get_args(RequirementId))
    assert len({r.id for r in REQUIREMENTS}) == len(REQUIREMENTS)


def test_every_factor_of_the_issue_is_covered_and_explained() -> None:
    assert {r.factor for r in REQUIREMENTS} == set(FACTOR_LABELS)
    for requirement in REQUIREMENTS:
        assert requirement.reason and requirement.caveat and requirement.hybrid and requirement.label


@pytest.mark.parametrize(
    ("requirement", "favoured", "ruled_out"),
    [
        pytest.param("data_stays_in_our_environment", ["Llama"], ["GPT", "Both"], id="hard-privacy"),
        pytest.param("fine_tune_on_our_data", ["Llama", "Both"], [], id="customization"),
        pytest.param("pin_model_version", ["Llama", "Both"], [], id="versions"),
        pytest.param("start_this_week", ["GPT", "Both"], [], id="ease"),
        pytest.param("need_vendor_sla", ["GPT", "Both"], [], id="support"),
        pytest.param("need_frontier_quality", ["GPT", "Both"], [], id="capability"),
    ],
)
def test_which_option_a_requirement_favours(requirement: str, favoured: list[str], ruled_out: list[str]) -> None:
    result = assess([requirement], OPTIONS)
    (verdict,) = result.verdicts
    assert list(verdict.favoured_options) == favoured
    assert list(verdict.ruled_out) == ruled_out
    assert list(result.ruled_out) == ruled_out


def test_preferences_never_rule_anything_out_and_sides_are_listed() -> None:
    result = assess(["start_this_week", "fine_tune_on_our_data", "start_this_week"], OPTIONS)
    assert result.ruled_out == ()
    assert len(result.verdicts) == 2  # a repeated requirement counts once
    assert result.favouring == {"api": ("start_this_week",), "self_hosted": ("fine_tune_on_our_data",)}


def test_unknown_requirement_names_its_position() -> None:
    with pytest.raises(DomainError, match="unknown requirement") as raised:
        assess(["start_this_week", "cheap"], OPTIONS)
    assert raised.value.field == ("requirements", 1)
