"""Scorer results into the fusion engine's evidence items."""

from __future__ import annotations

import pytest

from watchfloor.domain.evidence import OTHER, EvidenceClass
from watchfloor.domain.grading import AdmiraltyGrade
from watchfloor.domain.markings import Marking
from watchfloor.engines.attribution import AttackKnowledge, AttackProfileScorer, NaiveBayesScorer
from watchfloor.engines.attribution.evidence import evidence_item


@pytest.mark.parametrize("scorer_type", [AttackProfileScorer, NaiveBayesScorer])
def test_likelihoods_follow_the_evidence_not_the_prior(
    tiny: AttackKnowledge, scorer_type: type[AttackProfileScorer]
) -> None:
    scorer = scorer_type(tiny)
    result = scorer.score(["T3000", "T4000", "T9999"], ["S0002"])

    item = evidence_item(
        scorer,
        result,
        item_id="ev-1",
        source="CERT report",
        grade=AdmiraltyGrade.parse("B2"),
        marking=Marking(),
    )

    assert item.evidence_class is EvidenceClass.TRADECRAFT
    assert max(item.likelihoods.values()) == pytest.approx(1.0)
    assert item.likelihood("G0002") == pytest.approx(1.0)
    assert item.likelihood("G0001") < 1.0
    assert OTHER in item.likelihoods
    assert item.attributes["unknown_techniques"] == ["T9999"]
    assert "tiny 1" in item.attributes["knowledge_base"]


def test_profile_likelihood_ratio_is_the_evidence_score(tiny: AttackKnowledge) -> None:
    scorer = AttackProfileScorer(tiny)
    result = scorer.score([], [])

    item = evidence_item(
        scorer,
        result,
        item_id="ev-0",
        source="x",
        grade=AdmiraltyGrade.parse("C3"),
        marking=Marking(),
    )

    # No evidence: every hypothesis is equally likely to have produced it.
    assert list(item.likelihoods.values()) == pytest.approx([1.0] * len(item.likelihoods))
