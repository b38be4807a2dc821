"""After-action scoring against ground truth, and the record as JSON and HTML."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import timedelta

import pytest

from watchfloor.adapters.reports import after_action_json, render_after_action_html
from watchfloor.domain.assessment import CaseAssessment, assess
from watchfloor.domain.case import Case
from watchfloor.domain.errors import DomainError
from watchfloor.domain.evidence import EvidenceClass
from watchfloor.domain.exercise import BELIEF_MARGIN, GroundTruth, score_exercise

from .casebook import DETECTED, OCCURRED, PUBLIC, item, policies

GENERATED = DETECTED + timedelta(hours=9)
Build = Callable[..., tuple[Case, CaseAssessment]]


@pytest.fixture
def sixty_forty(make_case: Build) -> tuple[Case, CaseAssessment]:
    """One A1 item no one could fake: P(E|ursa)=0.6, P(E|lynx)=P(E|other)=0.2, weight 1.

    Equal priors, so the posterior is 0.6 / 0.2 / 0.2 exactly.
    """
    only = item("EV-only", {"ursa": 0.6, "lynx": 0.2, "other": 0.2}, grade_code="A1")
    return make_case([only], false_flag=False)


def test_lead_right_scores_the_brier_and_log_score_by_hand(sixty_forty: tuple) -> None:
    case, assessment = sixty_forty

    score = score_exercise(case, assessment, GroundTruth("ursa"))

    assert score.lead_right
    assert score.named_actor.probability == pytest.approx(0.6)
    assert score.brier == pytest.approx((0.6 - 1) ** 2)  # 0.16
    assert score.log_score == pytest.approx(-math.log(0.6))
    assert score.brier_multiclass == pytest.approx(0.4**2 + 0.2**2 + 0.2**2)  # 0.24
    assert score.state is not None and score.state.right  # Ursa's sponsor, Arcadia


def test_lead_wrong_scores_the_brier_and_log_score_by_hand(sixty_forty: tuple) -> None:
    case, assessment = sixty_forty

    score = score_exercise(case, assessment, GroundTruth("lynx"))

    assert not score.lead_right
    assert score.named_actor.stated == "ursa" and score.named_actor.truth == "lynx"
    assert score.brier == pytest.approx(0.36)
    assert score.log_score == pytest.approx(-math.log(0.4))
    assert score.brier_multiclass == pytest.approx(0.6**2 + 0.8**2 + 0.2**2)  # 1.04
    assert score.state is not None and not score.state.right


def test_an_actor_outside_the_case_makes_unattributed_the_truth(sixty_forty: tuple) -> None:
    case, assessment = sixty_forty

    score = score_exercise(case, assessment, GroundTruth("apt-unseen", state="Zembla"))

    assert score.named_actor.truth == "unattributed"
    assert score.named_actor.truth_probability == pytest.approx(0.2)
    assert not score.lead_right
    assert score.state is not None and score.state.truth == "unattributed"


def test_plants_that_fooled_the_cell_were_believed(decided: tuple) -> None:
    case, assessment = decided  # the cell names Ursa; in truth Lynx planted Ursa's traces
    truth = GroundTruth("lynx", planted=frozenset({"EV-wiper", "EV-c2"}))

    score = score_exercise(case, assessment, truth)

    assert not score.lead_right
    assert score.believed == ("EV-c2", "EV-wiper")
    assert score.deceived
    for p in score.planted:
        assert p.log_odds_drop > BELIEF_MARGIN
        assert p.pushed_toward == "ursa"
        assert p.group_favoured_lead


def test_a_cheap_plant_weighed_as_such_is_not_believed(decided: tuple) -> None:
    case, assessment = decided  # Ursa did it and planted Lynx-looking comments (EV-lure, cheap, C3)
    truth = GroundTruth("ursa", planted=frozenset({"EV-lure", "EV-never-injected"}))

    score = score_exercise(case, assessment, truth)

    by_id = {p.evidence_id: p for p in score.planted}
    lure, missing = by_id["EV-lure"], by_id["EV-never-injected"]
    assert score.lead_right
    assert not lure.believed and lure.log_odds_drop < BELIEF_MARGIN
    assert not missing.in_case and not missing.believed
    assert not score.deceived


def test_tier_is_scored_only_when_expected(decided: tuple) -> None:
    case, assessment = decided

    right = score_exercise(case, assessment, GroundTruth("ursa", expected_tier="consultation"))
    wrong = score_exercise(case, assessment, GroundTruth("ursa", expected_tier="collective"))
    none = score_exercise(case, assessment, GroundTruth("ursa"))

    assert (right.tier_right, wrong.tier_right, none.tier_right) == (True, False, None)


def test_clock_is_measured_against_the_deadline(decided: tuple) -> None:
    case, assessment = decided

    clock = score_exercise(case, assessment, GroundTruth("ursa")).clock

    assert clock.time_to_decision == timedelta(hours=7)
    assert clock.deadline == DETECTED + timedelta(hours=24)
    assert clock.margin == timedelta(hours=17)
    assert clock.met_deadline is True
    offsets = {m.milestone.value: m.from_detection for m in clock.milestones}
    assert offsets["occurred"] == OCCURRED - DETECTED == timedelta(minutes=-40)
    assert offsets["triaged"] == timedelta(hours=2)


def test_an_undecided_case_past_its_deadline_missed_it(make_case: Build) -> None:
    case, _ = make_case(decide=False)
    late = assess(case, policies(), DETECTED + timedelta(hours=30))

    clock = score_exercise(case, late, GroundTruth("ursa")).clock

    assert clock.decided is None and clock.time_to_decision is None
    assert clock.met_deadline is False
    assert clock.margin == timedelta(hours=-6)


def test_a_negative_belief_margin_is_refused(decided: tuple) -> None:
    case, assessment = decided
    with pytest.raises(DomainError, match="belief margin"):
        score_exercise(case, assessment, GroundTruth("ursa"), margin=-0.1)


def test_ground_truth_names_its_actor_or_none() -> None:
    with pytest.raises(DomainError, match="true actor"):
        GroundTruth(" ")
    assert GroundTruth(None, planted=("EV-1", "EV-1")).planted == frozenset({"EV-1"})  # type: ignore[arg-type]


def test_an_unknown_true_actor_is_scored_as_unattributed(sixty_forty: tuple) -> None:
    case, assessment = sixty_forty

    score = score_exercise(case, assessment, GroundTruth(None))

    assert score.named_actor.truth == "unattributed" and not score.lead_right
    assert score.state is None  # no state to score against


def test_after_action_json_is_serialisable_with_stable_keys(decided: tuple) -> None:
    case, assessment = decided
    truth = GroundTruth("lynx", planted=frozenset({"EV-wiper"}), expected_tier="consultation")

    record = after_action_json(case, assessment, GENERATED, truth)

    assert json.loads(json.dumps(record)) == record
    assert list(record) == [
        "schema",
        "marking",
        "generated_at",
        "case",
        "kind",
        "judgements",
        "clock",
        "score",
    ]
    assert record["kind"] == "exercise"
    assert record["marking"] == assessment.marking.banner()
    assert record["clock"]["time_to_decision"] == "7h00m"
    assert record["clock"]["met_deadline"] is True
    score = record["score"]
    assert score["lead_right"] is False
    assert score["believed"] == ["EV-wiper"]
    assert score["tier"] == {"expected": "consultation", "assessed": "consultation", "right": True}


def test_a_live_case_lists_clock_and_judgements_without_a_score(make_case: Build) -> None:
    case, assessment = make_case(exercise=None)

    record = after_action_json(case, assessment, GENERATED)
    html = render_after_action_html(case, assessment, GENERATED)

    assert record["kind"] == "live" and record["score"] is None
    assert record["judgements"]["lead"]["term"] == "likely"
    assert "A live case: there is no ground truth to score against." in html
    assert 'id="clock-timeline"' in html


def test_after_action_html_shows_the_score_at_the_case_marking(make_case: Build) -> None:
    hostile = item(
        "EV-<b>bold</b>",
        {"lynx": 0.3},
        title="<script>x</script>",
        evidence_class=EvidenceClass.EXTERNAL,
        marking=PUBLIC,
    )
    case, assessment = make_case([hostile], false_flag=False)
    truth = GroundTruth("lynx", planted=frozenset({"EV-<b>bold</b>"}))

    html = render_after_action_html(case, assessment, GENERATED, truth)

    assert html.count(assessment.marking.banner()) >= 3  # title, top and bottom banners
    assert "<b>bold</b>" not in html and "EV-&lt;b&gt;bold&lt;/b&gt;" in html
    assert "Brier score" in html
