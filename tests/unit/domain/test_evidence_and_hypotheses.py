"""Evidence items and hypotheses: validation, vocabularies and who is responsible."""

from __future__ import annotations

import pytest

from watchfloor.domain.errors import DomainError
from watchfloor.domain.evidence import CostToFake, DiamondFacet, EvidenceClass
from watchfloor.domain.hypotheses import (
    UNATTRIBUTED,
    Actor,
    Hypothesis,
    HypothesisKind,
    Layer,
    actor_links,
)

from .builders import item


@pytest.mark.parametrize("p", [0.0, -0.1, 1.5])
def test_a_likelihood_outside_zero_one_is_refused_naming_the_actor(p: float) -> None:
    with pytest.raises(DomainError, match="E1: likelihood for 'ash'"):
        item("E1", {"ash": p})


def test_a_baseline_outside_zero_one_is_refused() -> None:
    with pytest.raises(DomainError, match="'baseline'"):
        item("E1", {}, baseline=0.0)


def test_an_evidence_id_must_not_be_blank() -> None:
    with pytest.raises(DomainError, match="empty"):
        item("  ", {"ash": 0.5})


def test_an_actor_the_item_does_not_mention_reads_the_baseline() -> None:
    e = item("E1", {"ash": 0.7}, baseline=0.2)

    assert (e.likelihood("ash"), e.likelihood("birch")) == (0.7, 0.2)


def test_an_item_without_a_dependence_group_is_its_own_group() -> None:
    assert item("E1", {}).group == "E1"
    assert item("E2", {}, group="vendor").group == "vendor"


def test_weight_is_grade_weight_times_cost_to_fake_weight() -> None:
    e = item("E1", {}, grade="B2", cost=CostToFake.LOW)

    assert e.weight == pytest.approx(0.85 * 0.85 * 0.5)
    assert [c.weight for c in CostToFake] == [0.5, 0.8, 1.0]


@pytest.mark.parametrize(
    ("text", "cls"),
    [
        ("tradecraft", EvidenceClass.TRADECRAFT),
        ("External indicators", EvidenceClass.EXTERNAL),
        ("external-indicators", EvidenceClass.EXTERNAL),
        ("ORBITAL", EvidenceClass.ORBITAL),
    ],
)
def test_evidence_classes_parse_in_any_spelling(text: str, cls: EvidenceClass) -> None:
    assert EvidenceClass.parse(text) is cls


@pytest.mark.parametrize(
    ("parse", "text"),
    [
        (EvidenceClass.parse, "rumour"),
        (DiamondFacet.parse, "motive"),
        (CostToFake.parse, "free"),
        (Layer.parse, "galaxy"),
    ],
)
def test_unknown_vocabulary_is_refused(parse: object, text: str) -> None:
    with pytest.raises(DomainError, match="unknown"):
        parse(text)  # type: ignore[operator]


def test_diamond_facets_and_costs_parse() -> None:
    assert DiamondFacet.parse(" Victim ") is DiamondFacet.VICTIM
    assert CostToFake.parse("HIGH") is CostToFake.HIGH


@pytest.mark.parametrize(
    ("text", "layer"),
    [
        ("cluster", Layer.ACTIVITY_CLUSTER),
        ("activity cluster", Layer.ACTIVITY_CLUSTER),
        ("actor", Layer.NAMED_ACTOR),
        ("named-actor", Layer.NAMED_ACTOR),
        ("state sponsor", Layer.STATE),
    ],
)
def test_layers_parse_with_their_aliases(text: str, layer: Layer) -> None:
    assert Layer.parse(text) is layer


def test_layers_rank_from_technical_to_political() -> None:
    assert [layer.rank for layer in Layer] == [0, 1, 2]
    assert Layer.STATE.label == "state sponsor"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"kind": HypothesisKind.ACTOR}, "needs an actor"),
        ({"kind": HypothesisKind.FALSE_FLAG, "actor": "ash"}, "framed actor"),
        ({"kind": HypothesisKind.ACTOR, "actor": "ash", "prior": 0.0}, "prior must be positive"),
    ],
)
def test_malformed_hypotheses_are_refused(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(DomainError, match=message):
        Hypothesis("H-1", label="h", **kwargs)  # type: ignore[arg-type]


KNOWN = {"ash": Actor("ash", "Ash", sponsor="STATE-A", cluster="UNC-1"), "elm": Actor("elm", "Elm")}


@pytest.mark.parametrize(
    ("hypothesis", "layer", "responsible"),
    [
        (Hypothesis("H", HypothesisKind.ACTOR, "h", "ash"), Layer.ACTIVITY_CLUSTER, "UNC-1"),
        (Hypothesis("H", HypothesisKind.ACTOR, "h", "ash"), Layer.NAMED_ACTOR, "ash"),
        (Hypothesis("H", HypothesisKind.ACTOR, "h", "ash"), Layer.STATE, "STATE-A"),
        (
            Hypothesis("H", HypothesisKind.ACTOR, "h", "elm"),
            Layer.ACTIVITY_CLUSTER,
            "cluster of elm",
        ),
        (Hypothesis("H", HypothesisKind.ACTOR, "h", "elm"), Layer.STATE, "non-state"),
        (Hypothesis("H", HypothesisKind.FALSE_FLAG, "h", "ash", "elm"), Layer.STATE, "STATE-A"),
        (Hypothesis.unknown(), Layer.NAMED_ACTOR, UNATTRIBUTED),
        (Hypothesis.unknown(), Layer.STATE, UNATTRIBUTED),
    ],
)
def test_each_hypothesis_holds_someone_responsible_at_each_layer(
    hypothesis: Hypothesis, layer: Layer, responsible: str
) -> None:
    assert hypothesis.responsible(KNOWN, layer) == responsible


def test_case_actors_link_to_another_sources_actors_by_id_name_or_alias() -> None:
    actors = [
        Actor("BEAR", "Fancy Bear", aliases=("APT 28", "Sofacy")),
        Actor("G0016", "Cozy"),
        Actor("LOCAL", "Local crew"),
    ]
    known = {
        "G0007": ("G0007", "APT28", "Fancy-Bear"),
        "G0016": ("G0016", "APT29"),
        "intrusion-set--9": ("intrusion-set--9", "sofacy"),
    }
    assert actor_links(actors, known) == {
        "BEAR": ("G0007", "intrusion-set--9"),
        "G0016": ("G0016",),
    }
    assert actor_links(actors, {}) == {}
    # a name of only punctuation never links
    assert actor_links([Actor("X", "--")], {"G1": ("G1", "-")}) == {}
