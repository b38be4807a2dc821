"""The case use cases on a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from tests.conftest import FixedClock
from watchfloor.bootstrap import App, bootstrap
from watchfloor.domain.audit import verify_chain
from watchfloor.domain.case import Incident
from watchfloor.domain.clock import Milestone
from watchfloor.domain.errors import ConflictError, DomainError
from watchfloor.domain.evidence import CostToFake, EvidenceClass, EvidenceItem
from watchfloor.domain.grading import AdmiraltyGrade
from watchfloor.domain.hypotheses import Actor, Hypothesis, HypothesisKind
from watchfloor.domain.markings import Classification, Marking
from watchfloor.domain.thresholds import Estimate
from watchfloor.domain.workflow import ReviewOutcome
from watchfloor.service import cases


@pytest.fixture
def app(database_url: str, clock: FixedClock) -> Iterator[App]:
    a = bootstrap(database_url, clock=clock)
    yield a
    a.engine.dispose()


def _incident() -> Incident:
    t0 = datetime(2026, 3, 14, 2, 0, tzinfo=UTC)
    return Incident(
        "Terminal wipe",
        "Terminals wiped in three allies",
        t0,
        t0.replace(minute=30),
        assets=("ground segment",),
        countries=("EST", "LVA", "LTU"),
        sectors=("space", "energy", "telecommunications"),
        impact={
            "people_affected": Estimate(500_000, 200_000, 900_000),
            "coercive_intent": Estimate(0.6, 0.4, 0.8),
        },
    )


def _item(i: int, actor: str, grade: str = "B2", group: str | None = None) -> EvidenceItem:
    classes = list(EvidenceClass)
    return EvidenceItem(
        id=f"E-{i}",
        title=f"finding {i}",
        source=f"source {i}",
        grade=AdmiraltyGrade.parse(grade),
        evidence_class=classes[i % len(classes)],
        likelihoods={actor: 0.6, "other": 0.05},
        marking=Marking(Classification.RESTRICTED),
        baseline=0.05,
        dependence_group=group,
        cost_to_fake=CostToFake.HIGH,
    )


def _open(app: App, clock: FixedClock) -> str:
    with app.uow() as uow:
        cases.open_case(uow, "C-1", "Terminal wipe", _incident(), Marking(), "analyst", clock())
        cases.add_actors(
            uow,
            "C-1",
            [Actor("A", "Actor A", "State A", "UNC-1"), Actor("B", "Actor B")],
            "analyst",
            clock(),
        )
        cases.add_hypotheses(
            uow,
            "C-1",
            [
                Hypothesis("H1", HypothesisKind.ACTOR, "A did it", "A"),
                Hypothesis("H2", HypothesisKind.ACTOR, "B did it", "B"),
            ],
            "analyst",
            clock(),
        )
    return "C-1"


def test_case_survives_a_round_trip_through_the_database(app: App, clock: FixedClock) -> None:
    case_id = _open(app, clock)
    with app.uow() as uow:
        cases.add_evidence(uow, case_id, [_item(1, "A"), _item(2, "A")], "analyst", clock())
    with app.uow() as uow:
        case, a = cases.get_assessment(uow, case_id, clock())
    assert [e.id for e in case.evidence] == ["E-1", "E-2"]
    assert case.evidence[0].grade.code == "B2"
    assert {h.id for h in case.hypotheses} == {"H-unknown", "H1", "H2"}
    assert a.fusion.lead.id == "H1"
    assert abs(sum(a.fusion.posterior) - 1.0) < 1e-9
    assert case.incident.impact["people_affected"].high == 900_000


def test_legal_reviews_open_as_soon_as_the_case_has_a_tier(app: App, clock: FixedClock) -> None:
    case_id = _open(app, clock)
    with app.uow() as uow:
        case = uow.cases.get(case_id)
        policies = cases.active_policies(uow)
    # No evidence yet, and already every option the tier allows awaits review.
    assert case.reviews
    assert all(r.outcome is ReviewOutcome.PENDING for r in case.reviews.values())
    assert set(case.reviews) <= {o.id for o in policies.menu.options}


def test_only_cleared_options_reach_the_decision(app: App, clock: FixedClock) -> None:
    case_id = _open(app, clock)
    with app.uow() as uow:
        cases.add_evidence(uow, case_id, [_item(i, "A") for i in range(1, 6)], "analyst", clock())
        clock.advance(hours=1)
        cases.record_review(
            uow,
            case_id,
            "network-defence-surge",
            ReviewOutcome.APPROVED,
            "own networks only",
            "lawyer",
            clock(),
        )
    with app.uow() as uow, pytest.raises(DomainError, match="not been cleared"):
        cases.record_decision(uow, case_id, ["space-asset-protection"], "protect", "dm", clock())
    with app.uow() as uow:
        clock.advance(hours=1)
        a = cases.record_decision(
            uow, case_id, ["network-defence-surge"], "defend now", "dm", clock()
        )
        case = uow.cases.get(case_id)
    assert case.decision is not None and case.decision.chosen == ("network-defence-surge",)
    assert a.clock.decided
    assert case.milestones[Milestone.DECIDED] == clock()


def test_a_stale_version_is_refused_with_a_clear_conflict(app: App, clock: FixedClock) -> None:
    case_id = _open(app, clock)
    with app.uow() as uow:
        version = uow.cases.get(case_id).version
        cases.add_evidence(
            uow, case_id, [_item(1, "A")], "alice", clock(), expected_version=version
        )
    with app.uow() as uow, pytest.raises(ConflictError, match="someone else changed it"):
        cases.add_evidence(uow, case_id, [_item(2, "B")], "bob", clock(), expected_version=version)
    with app.uow() as uow:
        assert [e.id for e in uow.cases.get(case_id).evidence] == ["E-1"]


def test_concurrent_writers_never_silently_lose_an_update(
    app: App, clock: FixedClock, database_url: str
) -> None:
    case_id = _open(app, clock)
    if database_url.startswith("sqlite"):
        _sqlite_second_writer_waits(app, clock, case_id)
        return
    with app.uow() as first, app.uow() as second:
        a = first.cases.get(case_id)
        b = second.cases.get(case_id)
        a.add_evidence(_item(1, "A"), "alice", clock())
        b.add_evidence(_item(2, "B"), "bob", clock())
        first.commit()
        with pytest.raises(ConflictError):
            second.commit()


def test_every_change_is_in_a_verifiable_audit_chain(app: App, clock: FixedClock) -> None:
    case_id = _open(app, clock)
    with app.uow() as uow:
        cases.add_evidence(uow, case_id, [_item(1, "A")], "analyst", clock())
    with app.uow() as uow:
        entries = uow.audit.entries()
        mine = uow.audit.entries(case_id)
    assert verify_chain(entries) == []
    actions = [e.action for e in mine]
    assert actions[0] == "case.opened"
    assert "evidence.added" in actions and "hypothesis.added" in actions
    assert [e.seq for e in entries] == list(range(1, len(entries) + 1))


def _sqlite_second_writer_waits(app: App, clock: FixedClock, case_id: str) -> None:
    """SQLite serialises writers: the second waits for the first and builds on its change."""
    first_has_lock = threading.Event()

    def first() -> None:
        with app.uow() as uow:
            uow.cases.get(case_id).add_evidence(_item(1, "A"), "alice", clock())
            first_has_lock.set()
            time.sleep(0.3)
            uow.commit()

    t = threading.Thread(target=first)
    t.start()
    first_has_lock.wait(5)
    with app.uow() as uow:
        case = uow.cases.get(case_id)
        case.add_evidence(_item(2, "B"), "bob", clock())
        uow.commit()
    t.join()
    with app.uow(read_only=True) as uow:
        assert [e.id for e in uow.cases.get(case_id).evidence] == ["E-1", "E-2"]
