"""Legal review, the decision clock and its deadline."""

from __future__ import annotations

from datetime import timedelta

import pytest

from watchfloor.domain.clock import Milestone, clock_status, format_duration
from watchfloor.domain.errors import DomainError
from watchfloor.domain.workflow import LegalReview, ReviewOutcome

from .builders import T0

HOUR = timedelta(hours=1)

# --- legal review ------------------------------------------------------------------------


def test_a_review_decides_with_reviewer_reasons_and_time() -> None:
    task = LegalReview("demarche", opened_at=T0)

    done = task.decide(ReviewOutcome.APPROVED, "legad", "within diplomatic practice", T0 + HOUR)

    assert (done.option_id, done.opened_at, done.outcome, done.reviewer, done.decided_at) == (
        "demarche",
        T0,
        ReviewOutcome.APPROVED,
        "legad",
        T0 + HOUR,
    )
    assert task.outcome is ReviewOutcome.PENDING  # the open task is left as it was


@pytest.mark.parametrize("outcome", [ReviewOutcome.APPROVED, ReviewOutcome.REJECTED])
@pytest.mark.parametrize("reasons", ["", "   "])
def test_a_review_without_reasons_is_refused(outcome: ReviewOutcome, reasons: str) -> None:
    with pytest.raises(DomainError, match="reasons are required"):
        LegalReview("demarche", T0).decide(outcome, "legad", reasons, T0)


def test_an_approval_with_conditions_must_state_them() -> None:
    task = LegalReview("sanctions", T0)

    with pytest.raises(DomainError, match="conditions"):
        task.decide(ReviewOutcome.APPROVED_WITH_CONDITIONS, "legad", "proportionate", T0)
    done = task.decide(
        ReviewOutcome.APPROVED_WITH_CONDITIONS, "legad", "proportionate", T0, "EU listing first"
    )
    assert done.conditions == "EU listing first"


def test_a_review_cannot_be_decided_as_pending() -> None:
    with pytest.raises(DomainError, match="pending"):
        LegalReview("demarche", T0).decide(ReviewOutcome.PENDING, "legad", "later", T0)


@pytest.mark.parametrize(
    ("outcome", "clears"),
    [
        (ReviewOutcome.PENDING, False),
        (ReviewOutcome.APPROVED, True),
        (ReviewOutcome.APPROVED_WITH_CONDITIONS, True),
        (ReviewOutcome.REJECTED, False),
    ],
)
def test_only_approvals_clear_an_option(outcome: ReviewOutcome, clears: bool) -> None:
    assert outcome.clears is clears


@pytest.mark.parametrize(
    ("text", "outcome"),
    [
        ("approved with conditions", ReviewOutcome.APPROVED_WITH_CONDITIONS),
        ("Approved-With-Conditions", ReviewOutcome.APPROVED_WITH_CONDITIONS),
        ("rejected", ReviewOutcome.REJECTED),
    ],
)
def test_review_outcomes_parse_in_any_spelling(text: str, outcome: ReviewOutcome) -> None:
    assert ReviewOutcome.parse(text) is outcome


def test_an_unknown_review_outcome_is_refused() -> None:
    with pytest.raises(DomainError, match="unknown review outcome"):
        ReviewOutcome.parse("maybe")


# --- the decision clock ------------------------------------------------------------------


def test_the_deadline_runs_from_detection_for_the_tiers_hours() -> None:
    milestones = {Milestone.OCCURRED: T0 - 5 * HOUR, Milestone.DETECTED: T0}

    status = clock_status(milestones, deadline_hours=24, now=T0 + 2 * HOUR)

    assert status.deadline == T0 + 24 * HOUR
    assert status.elapsed == 2 * HOUR
    assert status.remaining == 22 * HOUR
    assert not status.overdue


def test_a_clock_past_its_deadline_is_overdue() -> None:
    status = clock_status({Milestone.DETECTED: T0}, deadline_hours=12, now=T0 + 13 * HOUR)

    assert status.overdue
    assert status.remaining == -HOUR


def test_a_decision_stops_the_clock() -> None:
    milestones = {Milestone.DETECTED: T0, Milestone.DECIDED: T0 + 10 * HOUR}

    status = clock_status(milestones, deadline_hours=12, now=T0 + 30 * HOUR)

    assert status.decided
    assert status.stopped_at == T0 + 10 * HOUR
    assert status.elapsed == 10 * HOUR
    assert not status.overdue


def test_a_decision_after_the_deadline_stays_overdue() -> None:
    milestones = {Milestone.DETECTED: T0, Milestone.DECIDED: T0 + 13 * HOUR}

    assert clock_status(milestones, 12, now=T0 + 14 * HOUR).overdue


def test_without_detection_the_clock_runs_from_occurrence() -> None:
    status = clock_status({Milestone.OCCURRED: T0}, deadline_hours=72, now=T0 + HOUR)

    assert status.deadline == T0 + 72 * HOUR


def test_the_clock_lists_every_milestone_in_order_reached_or_not() -> None:
    status = clock_status({Milestone.DETECTED: T0}, 24, now=T0)

    assert [m for m, _ in status.milestones] == list(Milestone)
    assert dict(status.milestones)[Milestone.DETECTED] == T0
    assert dict(status.milestones)[Milestone.TRIAGED] is None
    assert Milestone.OPTIONS_READY.label == "options ready"


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(0), "0h00m"),
        (timedelta(hours=2, minutes=5), "2h05m"),
        (timedelta(hours=30), "30h00m"),
        (-timedelta(hours=1, minutes=5), "-1h05m"),
        (timedelta(minutes=59, seconds=59), "0h59m"),
    ],
)
def test_durations_read_as_hours_and_minutes(delta: timedelta, text: str) -> None:
    assert format_duration(delta) == text
