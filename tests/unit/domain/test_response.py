"""The response menu: every option eligible or blocked, with the reasons."""

from __future__ import annotations

import pytest

from watchfloor.domain.errors import DomainError
from watchfloor.domain.fusion import FusionResult, fuse
from watchfloor.domain.hypotheses import Hypothesis, Layer
from watchfloor.domain.response import OptionCategory, OptionStatus, evaluate_menu
from watchfloor.domain.standards import StandardCheck

from .builders import actor_hypothesis, actors, item
from .policies import MENU, THRESHOLDS

CAST = actors(("ash", "STATE-A"), ("birch", "STATE-B"))
HYPS = [actor_hypothesis("ash"), actor_hypothesis("birch"), Hypothesis.unknown()]


def fusion(strength: int) -> FusionResult:
    """A case pointing at ash: the more A1 groups, the surer."""
    evidence = [item(f"E{i}", {"ash": 0.9}, grade="A1") for i in range(strength)]
    return fuse(HYPS, evidence, CAST)


def standards(met: bool) -> list[StandardCheck]:
    missing = (
        () if met else ("2 independent group(s) graded B2 or better support STATE-A (needs 3)",)
    )
    return [StandardCheck(Layer.STATE, "STATE-A", met, (), missing)]


def menu(tier: str, result: FusionResult, met: bool = True) -> dict[str, OptionStatus]:
    return {s.option.id: s for s in evaluate_menu(MENU, THRESHOLDS, tier, result, standards(met))}


def test_every_option_is_listed_in_menu_order() -> None:
    statuses = evaluate_menu(MENU, THRESHOLDS, "below_threshold", fusion(0), [])

    assert [s.option.id for s in statuses] == ["posture", "demarche", "public-attribution"]


def test_an_option_below_the_case_tier_is_eligible_with_its_reason() -> None:
    status = menu("collective_defence_candidate", fusion(8))

    assert all(s.eligible for s in status.values())
    assert status["posture"].reasons == ("tier collective-defence candidate meets below threshold",)
    assert "evidence standard for state sponsor met" in status["public-attribution"].reasons


def test_an_option_above_the_case_tier_is_blocked_naming_both_tiers() -> None:
    status = menu("significant", fusion(8))["public-attribution"]

    assert not status.eligible
    assert status.reasons == ("needs tier consultation; the case is significant",)


def test_a_likelihood_below_the_options_minimum_blocks_it_with_the_icd_term() -> None:
    result = fusion(1)
    state = result.layer(Layer.STATE)

    status = menu("consultation", result)["public-attribution"]

    assert not status.eligible
    assert status.reasons == (
        f"state sponsor STATE-A is {state.term} ({state.probability:.0%}); needs at least 80%",
    )


def test_an_unmet_evidence_standard_blocks_and_says_what_is_missing() -> None:
    status = menu("consultation", fusion(8), met=False)["public-attribution"]

    assert not status.eligible
    assert status.reasons == (
        "evidence standard for state sponsor not met: "
        "2 independent group(s) graded B2 or better support STATE-A (needs 3)",
    )


def test_an_option_requiring_a_standard_the_policy_lacks_is_blocked() -> None:
    statuses = evaluate_menu(MENU, THRESHOLDS, "consultation", fusion(8), [])
    status = {s.option.id: s for s in statuses}["public-attribution"]

    assert not status.eligible
    assert status.reasons == ("evidence standard for state sponsor not met: no standard defined",)


def test_an_unattributed_lead_blocks_every_option_that_presupposes_attribution() -> None:
    unknown_leads = fuse(HYPS, [item("E1", {"other": 0.9}, grade="A1")], CAST)

    status = menu("collective_defence_candidate", unknown_leads)

    assert status["posture"].eligible
    assert status["demarche"].reasons == ("no named actor is the lead hypothesis",)


def test_blocked_reasons_accumulate() -> None:
    status = menu("below_threshold", fusion(1), met=False)["public-attribution"]

    assert len(status.reasons) == 3
    assert not status.eligible


def test_an_unknown_option_or_category_is_an_error() -> None:
    with pytest.raises(DomainError, match="menu-1"):
        MENU.option("invasion")
    with pytest.raises(DomainError, match="unknown option category"):
        OptionCategory.parse("kinetic")


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("cyber-defensive", OptionCategory.CYBER_DEFENSIVE),
        ("Space protection", OptionCategory.SPACE_PROTECTION),
        ("diplomatic", OptionCategory.DIPLOMATIC),
    ],
)
def test_option_categories_parse_in_any_spelling(text: str, category: OptionCategory) -> None:
    assert OptionCategory.parse(text) is category
