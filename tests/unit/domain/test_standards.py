"""Evidence standards: which layer's standard is met, and what is missing."""

from __future__ import annotations

import pytest

from watchfloor.domain.evidence import EvidenceClass, EvidenceItem
from watchfloor.domain.fusion import fuse
from watchfloor.domain.grading import AdmiraltyGrade
from watchfloor.domain.hypotheses import Hypothesis, Layer
from watchfloor.domain.standards import (
    EvidenceStandardPolicy,
    LayerStandard,
    StandardCheck,
    check_standards,
)

from .builders import actor_hypothesis, actors, item

CAST = actors(("ash", "STATE-A"), ("alder", "STATE-A"), ("birch", "STATE-B"))
HYPS = [actor_hypothesis(a) for a in ("ash", "alder", "birch")] + [Hypothesis.unknown()]
TRADE, INFRA, MAL = EvidenceClass.TRADECRAFT, EvidenceClass.INFRASTRUCTURE, EvidenceClass.MALWARE


def standard(layer: Layer = Layer.NAMED_ACTOR, **overrides: object) -> LayerStandard:
    fields: dict[str, object] = {
        "layer": layer,
        "min_groups": 2,
        "min_grade": AdmiraltyGrade.parse("B2"),
        "min_classes": 2,
        "min_probability": 0.55,
    }
    fields.update(overrides)
    return LayerStandard(**fields)  # type: ignore[arg-type]


def check(std: LayerStandard, evidence: list[EvidenceItem]) -> StandardCheck:
    policy = EvidenceStandardPolicy("test", (std,))
    (result,) = check_standards(policy, fuse(HYPS, evidence, CAST), CAST)
    return result


def test_a_standard_is_met_by_enough_strong_groups_across_enough_classes() -> None:
    evidence = [
        item("E1", {"ash": 0.9}, grade="A1", evidence_class=TRADE),
        item("E2", {"ash": 0.9}, grade="B2", evidence_class=INFRA),
    ]

    result = check(standard(), evidence)

    assert (result.layer, result.lead, result.met, result.missing) == (
        Layer.NAMED_ACTOR,
        "ash",
        True,
        (),
    )
    assert len(result.satisfied) == 3


def test_weakly_graded_groups_do_not_count_and_the_gap_is_spelled_out() -> None:
    evidence = [
        item("E1", {"ash": 0.9}, grade="A1", evidence_class=TRADE),
        item("E2", {"ash": 0.9}, grade="C3", evidence_class=INFRA),
    ]

    result = check(standard(), evidence)

    assert not result.met
    assert result.missing == (
        "1 independent group(s) graded B2 or better support ash (needs 2)",
        "those groups span 1 evidence class(es) (needs 2)",
    )


def test_echoes_of_one_source_count_as_one_group() -> None:
    evidence = [
        item("E1", {"ash": 0.9}, grade="A1", evidence_class=TRADE, group="one-source"),
        item("E2", {"ash": 0.9}, grade="A1", evidence_class=INFRA, group="one-source"),
    ]

    result = check(standard(), evidence)

    assert "1 independent group(s) graded B2 or better support ash (needs 2)" in result.missing


def test_strong_groups_supporting_another_actor_do_not_count_for_the_lead() -> None:
    evidence = [
        item("E1", {"ash": 0.9}, grade="A1", evidence_class=TRADE),
        item("E2", {"ash": 0.9}, grade="A1", evidence_class=TRADE),
        item("E3", {"birch": 0.9}, grade="A1", evidence_class=MAL),
    ]

    result = check(standard(), evidence)

    assert result.lead == "ash"
    assert "those groups span 1 evidence class(es) (needs 2)" in result.missing


def test_a_lead_below_the_minimum_probability_does_not_meet_the_standard() -> None:
    evidence = [
        item("E1", {"ash": 0.9}, grade="A1", evidence_class=TRADE),
        item("E2", {"ash": 0.9}, grade="A1", evidence_class=INFRA),
    ]

    result = check(standard(min_probability=0.999), evidence)

    assert not result.met
    assert len(result.missing) == 1
    assert result.missing[0].startswith("probability of ash ")
    assert result.missing[0].endswith("(needs at least 100%)")


def test_a_required_class_must_be_among_the_strong_supporting_groups() -> None:
    evidence = [
        item("E1", {"ash": 0.9}, grade="A1", evidence_class=TRADE),
        item("E2", {"ash": 0.9}, grade="A1", evidence_class=MAL),
        item("E3", {"ash": 0.9}, grade="D4", evidence_class=INFRA),
    ]

    result = check(standard(required_classes=frozenset({INFRA})), evidence)

    assert result.missing == ("infrastructure evidence graded B2 or better",)


def test_state_standard_counts_groups_supporting_any_actor_of_the_state() -> None:
    evidence = [
        item("E1", {"ash": 0.9}, grade="A1", evidence_class=TRADE),
        item("E2", {"alder": 0.9}, grade="A1", evidence_class=INFRA),
    ]

    result = check(standard(Layer.STATE), evidence)

    assert result.lead == "STATE-A"
    assert result.met


def test_one_check_per_standard_in_the_policy() -> None:
    policy = EvidenceStandardPolicy(
        "test",
        (standard(Layer.ACTIVITY_CLUSTER), standard(Layer.NAMED_ACTOR), standard(Layer.STATE)),
    )

    checks = check_standards(policy, fuse(HYPS, [], CAST), CAST)

    assert [c.layer for c in checks] == [Layer.ACTIVITY_CLUSTER, Layer.NAMED_ACTOR, Layer.STATE]
    assert not any(c.met for c in checks)
    assert policy.for_layer(Layer.STATE) is policy.standards[2]
    assert EvidenceStandardPolicy("empty", ()).for_layer(Layer.STATE) is None


@pytest.mark.parametrize("cannot_be_judged", ["A6", "F1"])
def test_a_group_holding_a_report_at_the_minimum_grade_meets_it(cannot_be_judged: str) -> None:
    # A6 and F1 weigh more than C3 (0.5 > 0.42) yet are not "C3 or better"; the group
    # still holds a C3 report and so is a C3-or-better group.
    evidence = [
        item("E1", {"ash": 0.9}, grade="C3", group="g", evidence_class=TRADE),
        item("E2", {"ash": 0.9}, grade=cannot_be_judged, group="g", evidence_class=TRADE),
    ]

    result = check(
        standard(
            min_groups=1, min_classes=1, min_probability=0.0, min_grade=AdmiraltyGrade.parse("C3")
        ),
        evidence,
    )

    assert result.met, result.missing
