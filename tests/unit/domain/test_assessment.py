"""The whole assessment of a case, and the milestones it moves the clock through."""

from __future__ import annotations

from datetime import timedelta

from watchfloor.domain.assessment import Policies, advance_clock, assess
from watchfloor.domain.case import Case, Incident
from watchfloor.domain.clock import Milestone
from watchfloor.domain.evidence import EvidenceClass
from watchfloor.domain.grading import AdmiraltyGrade
from watchfloor.domain.hypotheses import Actor, Layer
from watchfloor.domain.markings import TLP, Classification, Marking
from watchfloor.domain.standards import EvidenceStandardPolicy, LayerStandard
from watchfloor.domain.thresholds import Estimate
from watchfloor.domain.workflow import ReviewOutcome

from .builders import T0, actor_hypothesis, item
from .policies import MENU, THRESHOLDS

HOUR = timedelta(hours=1)
STANDARDS = EvidenceStandardPolicy(
    "std-1",
    (LayerStandard(Layer.NAMED_ACTOR, 2, AdmiraltyGrade.parse("B2"), 2, 0.55),),
)
POLICIES = Policies(THRESHOLDS, STANDARDS, MENU)


def significant_case() -> Case:
    incident = Incident(
        "Grid outage",
        "Substations tripped remotely",
        occurred=T0 - HOUR,
        detected=T0,
        countries=("EST", "LVA"),
        sectors=("energy",),
        impact={"people_affected": Estimate.exact(150_000)},
    )  # scores 2 + 1 + 1 = 4: significant, 72 hours
    case = Case.open("C-1", "Grid outage", incident, Marking(Classification.SECRET), "duty", T0)
    case.add_actor(Actor("ash", "Ash", sponsor="STATE-A"), "analyst", T0)
    case.add_hypothesis(actor_hypothesis("ash"), "analyst", T0)
    return case


def add_strong_evidence(case: Case) -> None:
    red = Marking(Classification.RESTRICTED, tlp=TLP.RED)
    case.add_evidence(
        item("E1", {"ash": 0.9}, grade="A1", evidence_class=EvidenceClass.TRADECRAFT, marking=red),
        "analyst",
        T0,
    )
    case.add_evidence(
        item("E2", {"ash": 0.9}, grade="B2", evidence_class=EvidenceClass.INFRASTRUCTURE),
        "analyst",
        T0,
    )


def test_assessment_ties_tier_deadline_standards_and_options_together() -> None:
    case = significant_case()
    add_strong_evidence(case)

    a = assess(case, POLICIES, now=T0 + 2 * HOUR)

    assert a.thresholds.tier.id == "significant"
    assert a.clock.deadline == T0 + 72 * HOUR
    assert a.fusion.lead.id == "H-ash"
    named = a.standard(Layer.NAMED_ACTOR)
    assert named is not None and named.met
    assert a.standard(Layer.STATE) is None
    assert a.eligible == {"posture", "demarche"}


def test_assessment_is_marked_at_the_high_water_mark_of_the_case_and_its_items() -> None:
    case = significant_case()
    add_strong_evidence(case)

    marking = assess(case, POLICIES, now=T0).marking

    assert (marking.classification, marking.tlp) == (Classification.SECRET, TLP.RED)


def test_the_clock_advances_through_each_milestone_once() -> None:
    case = significant_case()
    add_strong_evidence(case)
    case.open_reviews(["demarche"], "system", T0 + HOUR)
    case.record_review("demarche", ReviewOutcome.APPROVED, "legad", "lawful", T0 + HOUR)

    reached = advance_clock(case, assess(case, POLICIES, T0 + 2 * HOUR), T0 + 2 * HOUR, "system")
    again = advance_clock(case, assess(case, POLICIES, T0 + 3 * HOUR), T0 + 3 * HOUR, "system")

    assert reached == [
        Milestone.TRIAGED,
        Milestone.ATTRIBUTED,
        Milestone.OPTIONS_READY,
        Milestone.LEGAL_CLEARED,
    ]
    assert again == []
    assert case.milestones[Milestone.TRIAGED] == T0 + 2 * HOUR


def test_without_evidence_only_options_needing_no_attribution_are_ready() -> None:
    case = significant_case()

    a = assess(case, POLICIES, now=T0)
    reached = advance_clock(case, a, T0, "system")

    assert a.eligible == {"posture"}
    assert reached == [Milestone.OPTIONS_READY]
