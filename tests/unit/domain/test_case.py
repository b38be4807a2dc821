"""The case aggregate: every change recorded, decisions only from cleared, eligible options."""

from __future__ import annotations

from datetime import timedelta

import pytest

from watchfloor.domain.case import Case, CaseStatus, Incident
from watchfloor.domain.clock import Milestone
from watchfloor.domain.errors import DomainError
from watchfloor.domain.hypotheses import Actor, Hypothesis, HypothesisKind
from watchfloor.domain.markings import Classification, Marking
from watchfloor.domain.thresholds import Estimate
from watchfloor.domain.workflow import ReviewOutcome

from .builders import T0, actor_hypothesis, false_flag, item

HOUR = timedelta(hours=1)
INCIDENT = Incident(
    "Grid outage",
    "Substations tripped remotely",
    occurred=T0 - 6 * HOUR,
    detected=T0 - 2 * HOUR,
    assets=("substation-1", "substation-2"),
    countries=("EST", "LVA", "EST"),
    sectors=("Energy", "retail"),
    impact={"people_affected": Estimate(200_000, 150_000, 400_000)},
)


def open_case() -> Case:
    return Case.open("C-1", "Grid outage", INCIDENT, Marking(Classification.SECRET), "duty", T0)


def actions(case: Case) -> list[str]:
    return [e.action for e in case.events]


def test_an_opened_case_holds_unknown_other_and_its_first_milestones() -> None:
    case = open_case()

    assert [h.kind for h in case.hypotheses] == [HypothesisKind.UNKNOWN]
    assert case.milestones == {
        Milestone.OCCURRED: INCIDENT.occurred,
        Milestone.DETECTED: INCIDENT.detected,
    }
    assert actions(case) == ["case.opened"]
    assert case.events[0].payload["marking"] == "NATO SECRET // REL TO NATO // TLP:AMBER"


def test_an_incident_detected_before_it_occurred_is_refused() -> None:
    with pytest.raises(DomainError, match="before"):
        Incident("x", "y", occurred=T0, detected=T0 - HOUR)


def test_incident_measures_count_countries_critical_sectors_and_assets() -> None:
    measures = INCIDENT.measures(["energy", "health"])

    assert measures["countries_affected"] == Estimate.exact(2)
    assert measures["critical_sectors_affected"] == Estimate.exact(1)
    assert measures["assets_affected"] == Estimate.exact(2)
    assert measures["people_affected"] == Estimate(200_000, 150_000, 400_000)


def test_every_change_records_one_event_in_order() -> None:
    case = open_case()

    case.add_actor(Actor("ash", "Ash", sponsor="STATE-A"), "analyst", T0 + HOUR)
    case.add_actor(Actor("birch", "Birch"), "analyst", T0 + HOUR)
    case.add_hypothesis(actor_hypothesis("ash"), "analyst", T0 + 2 * HOUR)
    case.add_hypothesis(false_flag("birch", "ash"), "analyst", T0 + 2 * HOUR)
    case.add_evidence(item("E1", {"ash": 0.9}), "analyst", T0 + 3 * HOUR)
    case.open_reviews(["demarche"], "system", T0 + 4 * HOUR)
    case.record_review("demarche", ReviewOutcome.APPROVED, "legad", "lawful", T0 + 5 * HOUR)
    case.mark(Milestone.TRIAGED, T0 + 5 * HOUR, "system")
    case.record_decision(["demarche"], "chair", "proportionate", T0 + 6 * HOUR, {"demarche"})

    assert actions(case) == [
        "case.opened",
        "actor.added",
        "actor.added",
        "hypothesis.added",
        "hypothesis.added",
        "evidence.added",
        "legal.reviews_opened",
        "legal.reviewed",
        "clock.milestone",
        "clock.milestone",
        "decision.recorded",
    ]
    assert all(e.subject == "C-1" for e in case.events)
    assert [e.at for e in case.events] == sorted(e.at for e in case.events)


def test_evidence_event_records_provenance_grade_group_and_marking() -> None:
    case = open_case()

    case.add_evidence(item("E1", {"ash": 0.9}, grade="C3", group="vendor"), "analyst", T0)

    assert case.events[-1].payload == {
        "evidence": "E1",
        "source": "source of E1",
        "grade": "C3",
        "class": "tradecraft",
        "group": "vendor",
        "marking": "NATO UNCLASSIFIED // REL TO NATO // TLP:AMBER",
    }


def test_duplicates_are_refused_and_record_nothing() -> None:
    case = open_case()
    case.add_actor(Actor("ash", "Ash"), "analyst", T0)
    case.add_hypothesis(actor_hypothesis("ash"), "analyst", T0)
    case.add_evidence(item("E1", {"ash": 0.9}), "analyst", T0)
    before = len(case.events)

    with pytest.raises(DomainError, match="already known"):
        case.add_actor(Actor("ash", "Ash again"), "analyst", T0)
    with pytest.raises(DomainError, match="already exists"):
        case.add_hypothesis(actor_hypothesis("ash"), "analyst", T0)
    with pytest.raises(DomainError, match="already exists"):
        case.add_evidence(item("E1", {"ash": 0.5}), "analyst", T0)
    with pytest.raises(DomainError, match="unknown / other"):
        case.add_hypothesis(
            Hypothesis("H-unknown-2", HypothesisKind.UNKNOWN, "someone else"), "analyst", T0
        )
    assert len(case.events) == before


def test_a_hypothesis_naming_an_unknown_actor_is_refused() -> None:
    case = open_case()
    case.add_actor(Actor("ash", "Ash"), "analyst", T0)

    with pytest.raises(DomainError, match="'birch'"):
        case.add_hypothesis(false_flag("ash", "birch"), "analyst", T0)


def test_reviews_open_once_per_option() -> None:
    case = open_case()

    first = case.open_reviews(["demarche", "sanctions"], "system", T0)
    again = case.open_reviews(["sanctions", "posture"], "system", T0 + HOUR)
    events_before = len(case.events)
    nothing = case.open_reviews(["posture"], "system", T0 + 2 * HOUR)

    assert (first, again, nothing) == (["demarche", "sanctions"], ["posture"], [])
    assert len(case.events) == events_before
    assert set(case.reviews) == {"demarche", "sanctions", "posture"}


def test_a_review_without_a_task_is_refused() -> None:
    with pytest.raises(DomainError, match="no legal review task"):
        open_case().record_review("demarche", ReviewOutcome.APPROVED, "legad", "ok", T0)


def test_only_approved_options_are_cleared() -> None:
    case = open_case()
    case.open_reviews(["a", "b", "c", "d"], "system", T0)
    case.record_review("a", ReviewOutcome.APPROVED, "legad", "ok", T0)
    case.record_review("b", ReviewOutcome.APPROVED_WITH_CONDITIONS, "legad", "ok", T0, "notify")
    case.record_review("c", ReviewOutcome.REJECTED, "legad", "disproportionate", T0)

    assert case.cleared_options() == {"a", "b"}


def cleared_case(*option_ids: str) -> Case:
    case = open_case()
    case.open_reviews(option_ids, "system", T0)
    for oid in option_ids:
        case.record_review(oid, ReviewOutcome.APPROVED, "legad", "lawful", T0)
    return case


def test_a_decision_picks_only_cleared_and_eligible_options() -> None:
    case = cleared_case("demarche", "posture")

    decision = case.record_decision(
        ["demarche"], "chair", "proportionate", T0 + HOUR, eligible={"demarche", "sanctions"}
    )

    assert decision.chosen == ("demarche",)
    assert case.decision is decision
    assert case.status is CaseStatus.DECIDED
    assert case.milestones[Milestone.DECIDED] == T0 + HOUR


def test_a_cleared_option_that_is_not_eligible_cannot_be_decided() -> None:
    case = cleared_case("posture")

    with pytest.raises(DomainError, match="not eligible"):
        case.record_decision(["posture"], "chair", "why not", T0, eligible={"demarche"})
    assert case.decision is None and case.status is CaseStatus.OPEN


def test_an_eligible_option_not_cleared_by_legal_review_cannot_be_decided() -> None:
    case = cleared_case("posture")
    case.open_reviews(["sanctions"], "system", T0)
    case.record_review("sanctions", ReviewOutcome.REJECTED, "legad", "no legal basis", T0)

    for option_id in ("sanctions", "demarche"):
        with pytest.raises(DomainError, match="not been cleared"):
            case.record_decision(
                [option_id], "chair", "strong signal", T0, eligible={"sanctions", "demarche"}
            )
    assert Milestone.DECIDED not in case.milestones


def test_a_decision_needs_its_rationale() -> None:
    case = cleared_case("posture")

    with pytest.raises(DomainError, match="rationale"):
        case.record_decision(["posture"], "chair", "  ", T0, eligible={"posture"})


def test_a_decided_case_accepts_no_further_changes() -> None:
    case = cleared_case("posture")
    case.record_decision(["posture"], "chair", "enough", T0, eligible={"posture"})

    with pytest.raises(DomainError, match="decided"):
        case.add_evidence(item("E9", {"ash": 0.9}), "analyst", T0)
    with pytest.raises(DomainError, match="decided"):
        case.add_actor(Actor("ash", "Ash"), "analyst", T0)
    with pytest.raises(DomainError, match="decided"):
        case.record_review("posture", ReviewOutcome.REJECTED, "legad", "late", T0)
    with pytest.raises(DomainError, match="decided"):
        case.record_decision(["posture"], "chair", "again", T0, eligible={"posture"})


def test_a_milestone_is_marked_once_and_only_the_first_time_counts() -> None:
    case = open_case()

    first = case.mark(Milestone.TRIAGED, T0, "system")
    second = case.mark(Milestone.TRIAGED, T0 + HOUR, "system")

    assert (first, second) == (True, False)
    assert case.milestones[Milestone.TRIAGED] == T0
    assert actions(case).count("clock.milestone") == 1


def test_draining_events_hands_them_over_once() -> None:
    case = open_case()
    case.add_actor(Actor("ash", "Ash"), "analyst", T0)

    drained = case.drain_events()

    assert [e.action for e in drained] == ["case.opened", "actor.added"]
    assert case.drain_events() == []


def test_aliases_are_added_to_a_known_actor_once_and_recorded() -> None:
    case = open_case()
    case.add_actor(Actor("ash", "Ash", aliases=("G0001",)), "analyst", T0)

    added = case.add_aliases("ash", [" APT 1 ", "g0001", "ASH", "apt 1", "Comment Crew"], "a", T0)

    assert added == ["APT 1", "Comment Crew"]
    assert case.actors["ash"].aliases == ("G0001", "APT 1", "Comment Crew")
    assert actions(case)[-1] == "actor.aliases_added"
    before = len(case.events)
    assert case.add_aliases("ash", ["apt 1"], "a", T0) == []
    assert len(case.events) == before
    with pytest.raises(DomainError, match="no actor 'birch'"):
        case.add_aliases("birch", ["B"], "a", T0)
