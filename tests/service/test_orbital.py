"""Orbital findings into a case (SQLite and PostgreSQL): owners linked to the hypotheses."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from tests.conftest import FixedClock
from watchfloor.bootstrap import App, bootstrap
from watchfloor.domain.case import Incident
from watchfloor.domain.errors import ConflictError
from watchfloor.domain.evidence import EvidenceClass
from watchfloor.domain.grading import AdmiraltyGrade
from watchfloor.domain.hypotheses import Actor, Hypothesis, HypothesisKind
from watchfloor.domain.markings import Marking
from watchfloor.domain.tearline import parse_marking
from watchfloor.engines.orbital import CloseApproach, Manoeuvre, ProximityOperation
from watchfloor.service import cases
from watchfloor.service.orbital import (
    Finding,
    OrbitalFindingsAdded,
    add_orbital_findings,
    finding_id,
)

TCA = datetime(2024, 11, 1, 0, 21, 7, 123456, tzinfo=UTC)
# Landsat 1 (US) passed by Cosmos 724 (CIS) slowly: the CIS object is the suspect.
APPROACH = CloseApproach(
    6126, 7727, TCA, 2.5, 0.4, name_a="LANDSAT 1", name_b="COSMOS 724", owner_a="US", owner_b="CIS"
)
BURN = Manoeuvre(40258, "TJS-1", TCA, TCA.replace(hour=12), "in-plane", 3.2, 0.0, 0.12, owner="PRC")
RENDEZVOUS = ProximityOperation(
    26824, 44625, TCA, TCA.replace(day=3), 1.0, 2.0, 400.0, "rendezvous",
    owner_a="ITSO", owner_b="US", manoeuvred=(44625,),
)  # fmt: skip


@pytest.fixture
def app(database_url: str, clock: FixedClock) -> Iterator[App]:
    a = bootstrap(database_url, clock=clock)
    yield a
    a.engine.dispose()


def _open(app: App, clock: FixedClock) -> str:
    t0 = datetime(2024, 11, 1, 0, 0, tzinfo=UTC)
    with app.uow() as uow:
        cases.open_case(
            uow,
            "C-SAT",
            "Landsat outage",
            Incident("Outage", "Payload lost", t0, t0.replace(hour=2), assets=("LANDSAT 1",)),
            Marking(),
            "space",
            clock(),
        )
        cases.add_hypotheses(
            uow,
            "C-SAT",
            [
                Hypothesis("H-RU", HypothesisKind.ACTOR, "Russian unit did it", "RU-SPACE"),
                Hypothesis("H-CN", HypothesisKind.ACTOR, "Chinese unit did it", "CN-SPACE"),
            ],
            "space",
            clock(),
            actors=[
                Actor("RU-SPACE", "Space unit R", sponsor="Russia"),
                Actor("CN-SPACE", "Space unit C", sponsor="CHN"),
            ],
        )
    return "C-SAT"


def _add(
    app: App,
    clock: FixedClock,
    findings: list[Finding],
    victim: int | None = None,
    expected_version: int | None = None,
) -> OrbitalFindingsAdded:
    with app.uow() as uow:
        return add_orbital_findings(
            uow,
            "C-SAT",
            findings,
            source="CelesTrak public catalog, SGP4 screening",
            grade=AdmiraltyGrade.parse("B2"),
            marking=parse_marking("NU//REL TO NATO//TLP:AMBER"),
            by="space",
            now=clock(),
            victim=victim,
            expected_version=expected_version,
        )


def test_a_close_approach_favours_the_actor_of_the_suspects_state(
    app: App, clock: FixedClock
) -> None:
    _open(app, clock)
    result = _add(app, clock, [APPROACH], victim=6126)
    assert [e.id for e in result.added] == ["ORB-CA-6126-7727-20241101T002107Z"]
    item = result.added[0]
    assert item.evidence_class is EvidenceClass.ORBITAL
    assert item.likelihoods["RU-SPACE"] > item.likelihoods["CN-SPACE"]
    assert item.attributes["owners_linked"] == ["CIS"]
    a = result.assessment
    assert a is not None
    assert a.fusion.probability("H-RU") > a.fusion.probability("H-CN")
    with app.uow() as uow:
        case, _ = cases.get_assessment(uow, "C-SAT", clock())
    stored = next(e for e in case.evidence if e.id == item.id)
    assert stored.observed_at == TCA
    assert stored.grade.code == "B2"


def test_the_victim_decides_which_owner_is_the_suspect(app: App, clock: FixedClock) -> None:
    _open(app, clock)
    result = _add(app, clock, [APPROACH], victim=7727)  # the CIS object was hit: US is suspect
    assert result.added[0].attributes["owners_linked"] == ["US"]
    assert result.added[0].likelihoods["RU-SPACE"] == result.added[0].likelihoods["CN-SPACE"]


def test_every_kind_of_finding_becomes_evidence(app: App, clock: FixedClock) -> None:
    _open(app, clock)
    result = _add(app, clock, [APPROACH, BURN, RENDEZVOUS])
    assert [e.kind for e in result.added] == [
        "orbital-proximity",
        "orbital-manoeuvre",
        "orbital-proximity-operation",
    ]
    assert result.added[1].id == "ORB-MAN-40258-20241101T122107Z"
    assert result.added[1].likelihoods["CN-SPACE"] > result.added[1].likelihoods["RU-SPACE"]
    assert result.added[2].id == finding_id(RENDEZVOUS)


def test_adding_the_same_findings_again_adds_nothing(app: App, clock: FixedClock) -> None:
    _open(app, clock)
    first = _add(app, clock, [APPROACH, BURN])
    with app.uow() as uow:
        version = uow.cases.get("C-SAT").version
    clock.advance(minutes=5)
    # A re-run refines the same approach to a slightly different instant: still the same.
    again = CloseApproach(6126, 7727, TCA.replace(microsecond=123500), 2.5, 0.4, owner_b="CIS")
    second = _add(app, clock, [again, BURN, BURN])
    assert len(first.added) == 2
    assert second.added == [] and second.assessment is None
    assert set(second.skipped) == {e.id for e in first.added}
    with app.uow() as uow:
        case = uow.cases.get("C-SAT")
    assert case.version == version
    assert len([e for e in case.evidence if e.evidence_class is EvidenceClass.ORBITAL]) == 2


def test_a_stale_version_is_refused_when_something_is_added(app: App, clock: FixedClock) -> None:
    _open(app, clock)
    with pytest.raises(ConflictError):
        _add(app, clock, [APPROACH], expected_version=0)
    with app.uow() as uow:
        assert uow.cases.get("C-SAT").evidence == []
