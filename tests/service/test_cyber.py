"""ATT&CK observations and indicator matches into a case (SQLite and PostgreSQL):
the knowledge base's actors restated as the case's own."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from tests.conftest import FixedClock
from tests.unit.attribution.conftest import tiny_objects
from watchfloor.bootstrap import App, bootstrap
from watchfloor.domain.case import Incident
from watchfloor.domain.errors import DomainError
from watchfloor.domain.evidence import OTHER, EvidenceClass
from watchfloor.domain.grading import AdmiraltyGrade
from watchfloor.domain.hypotheses import Actor, Hypothesis, HypothesisKind
from watchfloor.domain.markings import TLP, Marking
from watchfloor.engines.attribution import (
    AttackKnowledge,
    AttackProfileScorer,
    KnowledgeBaseVersion,
)
from watchfloor.engines.correlation import Indicator, ObservableKind
from watchfloor.engines.correlation.model import ActorRef, Match
from watchfloor.service import cases
from watchfloor.service.cyber import (
    AttackEvidenceAdded,
    IndicatorEvidenceAdded,
    add_attack_observations,
    add_indicator_matches,
)

B2 = AdmiraltyGrade.parse("B2")
SEEN = datetime(2026, 3, 13, 22, 0, tzinfo=UTC)


@pytest.fixture
def app(database_url: str, clock: FixedClock) -> Iterator[App]:
    a = bootstrap(database_url, clock=clock)
    yield a
    a.engine.dispose()


@pytest.fixture(scope="module")
def scorer() -> AttackProfileScorer:
    kb = AttackKnowledge.from_objects(tiny_objects(), KnowledgeBaseVersion("tiny", "1", "ab" * 32))
    return AttackProfileScorer(kb)


def _open(app: App, clock: FixedClock) -> None:
    """Three named actors: one known to the knowledge base by alias (Uno = G0001),
    one by its ATT&CK id (G0002), one it does not know."""
    t0 = datetime(2026, 3, 13, 20, 0, tzinfo=UTC)
    with app.uow() as uow:
        cases.open_case(
            uow, "C-CY", "Grid intrusion", Incident("Intrusion", "", t0, t0), Marking(), "w", t0
        )
        cases.add_hypotheses(
            uow,
            "C-CY",
            [
                Hypothesis("H-1", HypothesisKind.ACTOR, "Unit Uno did it", "UNO-UNIT"),
                Hypothesis("H-2", HypothesisKind.ACTOR, "Group two did it", "G0002"),
                Hypothesis("H-X", HypothesisKind.ACTOR, "A local crew did it", "LOCAL-X"),
            ],
            "w",
            clock(),
            actors=[
                Actor("UNO-UNIT", "Unit Uno", aliases=("UNO",)),
                Actor("G0002", "Second group"),
                Actor("LOCAL-X", "Local crew"),
            ],
        )


def _observe(
    app: App,
    clock: FixedClock,
    scorer: AttackProfileScorer,
    techniques: list[str],
    software: list[str] = [],  # noqa: B006 - read only
    expected_version: int | None = None,
) -> AttackEvidenceAdded:
    with app.uow() as uow:
        return add_attack_observations(
            uow,
            "C-CY",
            scorer,
            techniques,
            software,
            source="CERT forensic report",
            grade=B2,
            marking=Marking(tlp=TLP.AMBER),
            by="analyst",
            now=clock(),
            expected_version=expected_version,
        )


def test_observations_move_the_hypothesis_of_the_actor_whose_profile_they_fit(
    app: App, clock: FixedClock, scorer: AttackProfileScorer
) -> None:
    _open(app, clock)
    added = _observe(app, clock, scorer, ["T3000", "T4000", "T9999"], ["S0002"])

    item = added.item
    assert item.evidence_class is EvidenceClass.TRADECRAFT
    assert item.attributes["linked_groups"] == {"UNO-UNIT": ["G0001"], "G0002": ["G0002"]}
    assert added.unlinked_actors == ["LOCAL-X"]
    assert item.likelihood("G0002") == pytest.approx(1.0)
    assert item.likelihood("G0002") > item.likelihood("UNO-UNIT")
    # the knowledge base does not know the local crew: to it, an unknown actor
    assert item.likelihood("LOCAL-X") < item.likelihood("G0002")
    assert item.attributes["unknown_techniques"] == ["T9999"]
    assert item.attributes["top_groups"][0]["id"] == "G0002"
    fusion = added.assessment.fusion
    assert fusion.probability("H-2") > fusion.probability("H-1")
    assert fusion.probability("H-2") > fusion.probability("H-X")
    with app.uow() as uow:
        case, _ = cases.get_assessment(uow, "C-CY", clock())
    stored = next(e for e in case.evidence if e.id == item.id)
    assert stored.likelihoods == pytest.approx(item.likelihoods)
    assert stored.marking.tlp is TLP.AMBER
    assert stored.attributes["techniques"] == ["T3000", "T4000", "T9999"]


def test_a_profile_no_case_actor_names_raises_the_unknown_hypothesis(
    app: App, clock: FixedClock, scorer: AttackProfileScorer
) -> None:
    """T5000 and T6000 are G0003's (directly and through its campaign); no
    case actor names G0003, so the evidence speaks for "someone else"."""
    _open(app, clock)
    with app.uow() as uow:
        _, before = cases.get_assessment(uow, "C-CY", clock())
    item = _observe(app, clock, scorer, ["T5000", "T6000"]).item
    assert item.likelihood(OTHER) == pytest.approx(1.0)
    assert item.baseline == pytest.approx(1.0)
    with app.uow() as uow:
        _, after = cases.get_assessment(uow, "C-CY", clock())
    assert after.fusion.probability("H-unknown") > before.fusion.probability("H-unknown")


def test_a_revoked_group_id_links_to_its_successor(
    app: App, clock: FixedClock, scorer: AttackProfileScorer
) -> None:
    _open(app, clock)
    with app.uow() as uow:
        cases.add_hypotheses(
            uow,
            "C-CY",
            [Hypothesis("H-3", HypothesisKind.ACTOR, "The old group did it", "G0099")],
            "w",
            clock(),
            actors=[Actor("G0099", "Old group")],
        )
    added = _observe(app, clock, scorer, ["T5000", "T6000"])
    assert added.item.attributes["linked_groups"]["G0099"] == ["G0003"]
    assert added.assessment.fusion.probability("H-3") > added.assessment.fusion.probability("H-2")


@pytest.mark.parametrize(
    ("techniques", "software", "message"),
    [
        ([], [" "], "at least one technique"),
        (["T9999"], ["S9999"], "none of the ids is in the knowledge base tiny 1"),
    ],
)
def test_observations_with_nothing_to_weigh_are_refused_and_nothing_is_stored(
    app: App,
    clock: FixedClock,
    scorer: AttackProfileScorer,
    techniques: list[str],
    software: list[str],
    message: str,
) -> None:
    _open(app, clock)
    with pytest.raises(DomainError, match=message):
        _observe(app, clock, scorer, techniques, software)
    with app.uow() as uow:
        case, _ = cases.get_assessment(uow, "C-CY", clock())
    assert case.evidence == []


def test_the_same_observation_is_not_added_twice(
    app: App, clock: FixedClock, scorer: AttackProfileScorer
) -> None:
    _open(app, clock)
    first = _observe(app, clock, scorer, ["T3000", "T4000"])
    with pytest.raises(DomainError, match=f"evidence {first.item.id} already exists"):
        _observe(app, clock, scorer, ["t4000 ", "T3000"])


def _match(value: str, indicator_id: str, actors: tuple[ActorRef, ...]) -> Match:
    indicator = Indicator(
        indicator_id, ObservableKind.DOMAIN, value, "bundle--feed", SEEN, None, actors, "GREEN"
    )
    return Match("proxy.csv", 7, SEEN, f"www.{value}", ObservableKind.DOMAIN, indicator)


def _add_matches(app: App, clock: FixedClock, matches: list[Match]) -> IndicatorEvidenceAdded:
    with app.uow() as uow:
        return add_indicator_matches(
            uow,
            "C-CY",
            matches,
            grades={},
            default_grade=B2,
            marking=Marking(),
            by="a",
            now=clock(),
        )


def test_indicator_matches_are_restated_for_the_case_actors_their_actors_name(
    app: App, clock: FixedClock
) -> None:
    _open(app, clock)
    uno = ActorRef("intrusion-set--1", "intrusion-set", "Group one", ("Unit-Uno",))
    stranger = ActorRef("intrusion-set--2", "intrusion-set", "Nobody we know")
    matches = [
        _match("evil.example", "indicator--a", (uno,)),
        _match("evil.example", "indicator--a", (uno,)),
        _match("other.example", "indicator--b", (stranger,)),
    ]
    out = _add_matches(app, clock, matches)
    assert [i.likelihoods for i in out.added] == [{"UNO-UNIT": 0.8}]
    assert out.added[0].attributes["sightings"] == 2
    assert out.added[0].attributes["linked_actors"] == {"UNO-UNIT": ["intrusion-set--1"]}
    assert [(i.attributes["indicator_value"], names) for i, names in out.unlinked] == [
        ("other.example", ["Nobody we know"])
    ]
    assert out.assessment is not None
    assert out.assessment.fusion.probability("H-1") > out.assessment.fusion.probability("H-2")

    again = _add_matches(app, clock, matches)
    assert again.added == [] and again.assessment is None
    assert again.already == [out.added[0].id]


def test_the_item_tells_the_analyst_how_it_was_scored_and_linked(
    app: App, clock: FixedClock, scorer: AttackProfileScorer
) -> None:
    _open(app, clock)
    text = _observe(app, clock, scorer, ["T3000", "T9999"]).item.description
    assert "Scored by attack-profile against tiny 1" in text
    assert "Most probable intrusion sets: G0002 Two" in text
    assert "Case actors linked: G0002 = G0002; UNO-UNIT = G0001." in text
    assert "Case actors the knowledge base does not know: LOCAL-X." in text
    assert "Ids not in the knowledge base (ignored): T9999." in text
