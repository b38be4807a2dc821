"""One suite for every implementation of the attribution-scorer role."""

from __future__ import annotations

from dataclasses import fields

import numpy as np
import pytest

from watchfloor.engines.attribution import (
    AttackKnowledge,
    AttackProfileScorer,
    AttributionScorer,
    JaccardScorer,
    NaiveBayesScorer,
    ProfileWeights,
    TfidfCosineScorer,
)

SCORERS: list[type[AttributionScorer]] = [
    AttackProfileScorer,
    NaiveBayesScorer,
    TfidfCosineScorer,
    JaccardScorer,
]


@pytest.fixture(params=SCORERS, ids=lambda c: c.name)
def scorer_type(request: pytest.FixtureRequest) -> type[AttributionScorer]:
    cls: type[AttributionScorer] = request.param
    return cls


def test_probabilities_and_unknown_sum_to_one(
    scorer_type: type[AttributionScorer], attack82: AttackKnowledge
) -> None:
    scorer = scorer_type(attack82)
    results = scorer.score_many(
        [(["T1059.001", "T1566.001"], ["S0002"]), (["T1003"], []), ([], [])]
    )
    for result in results:
        assert result.unknown >= 0.0
        assert np.all(result.probabilities >= 0.0)
        assert result.probabilities.sum() + result.unknown == pytest.approx(1.0, abs=1e-9)
        ranking = result.ranking()
        assert [p for _, p in ranking] == sorted((p for _, p in ranking), reverse=True)
        assert result.knowledge_base.version == "8.2"


def test_the_actor_whose_profile_matches_ranks_first(
    scorer_type: type[AttributionScorer], tiny: AttackKnowledge
) -> None:
    result = scorer_type(tiny).score(["T3000", "T4000"], ["S0002"])
    assert result.ranking()[0][0] == "G0002"


def test_unknown_ids_are_reported_and_ignored(
    scorer_type: type[AttributionScorer], tiny: AttackKnowledge
) -> None:
    scorer = scorer_type(tiny)
    plain = scorer.score(["T3000"], ["S0002"])
    noisy = scorer.score(["T3000", "T9999", "bogus"], ["S0002", "S9999"])
    assert noisy.observation.unknown_techniques == ("T9999", "bogus")
    assert noisy.observation.unknown_software == ("S9999",)
    np.testing.assert_allclose(noisy.probabilities, plain.probabilities)


def test_unknown_sub_technique_falls_back_to_its_parent(
    scorer_type: type[AttributionScorer], tiny: AttackKnowledge
) -> None:
    result = scorer_type(tiny).score(["T2000.007"], [])
    assert result.observation.generalised == {"T2000.007": "T2000"}
    assert result.observation.unknown_techniques == ()


def test_revoked_ids_follow_their_successor(
    scorer_type: type[AttributionScorer], attack82: AttackKnowledge
) -> None:
    result = scorer_type(attack82).score(["T1066"], [])
    assert result.observation.technique_columns == (attack82.technique_index["T1027.005"],)


def test_profile_scorer_without_evidence_gives_unknown_its_prior(tiny: AttackKnowledge) -> None:
    result = AttackProfileScorer(tiny, ProfileWeights(unknown_prior=0.25)).score([], [])
    assert result.unknown == pytest.approx(0.25)


def test_profile_scorer_evidence_for_a_known_actor_lowers_unknown(tiny: AttackKnowledge) -> None:
    result = AttackProfileScorer(tiny).score(["T3000", "T4000"], ["S0002"])
    assert result.unknown < 0.1
    assert result.top()[0] == "G0002"


def _only(**kept: float) -> ProfileWeights:
    """Weights with every learned weight 0 but those given."""
    zeros = {f.name: 0.0 for f in fields(ProfileWeights) if f.name != "unknown_prior"}
    return ProfileWeights(**{**zeros, **kept})


def test_sibling_sub_technique_gives_partial_credit(tiny: AttackKnowledge) -> None:
    weights = _only(family_only=1.0, report_similarity=ProfileWeights().report_similarity)
    result = AttackProfileScorer(tiny, weights).score(["T1000"], [])
    assert result.ranking()[0][0] == "G0001"


def test_software_evidence_is_split_among_the_actors_that_use_it() -> None:
    """A software used by one actor gives it all of its evidence; one shared by two
    actors gives each half (``software_share``)."""
    from watchfloor.engines.attribution import KnowledgeBaseVersion
    from watchfloor.engines.attribution.profile import EVIDENCE_FEATURES, profile_features

    from .conftest import record, uses

    own = record("malware", 1, "S0001")
    shared = record("tool", 2, "S0002")
    g1 = record("intrusion-set", 3, "G0001")
    g2 = record("intrusion-set", 4, "G0002")
    objects = [own, shared, g1, g2, uses(10, g1, own), uses(11, g1, shared), uses(12, g2, shared)]
    knowledge = AttackKnowledge.from_objects(objects, KnowledgeBaseVersion("two", "1"))
    share = profile_features(knowledge)[0][EVIDENCE_FEATURES.index("software_share")]
    n_t = len(knowledge.techniques)  # software columns follow the technique columns
    own_col = n_t + knowledge.software_index["S0001"]
    shared_col = n_t + knowledge.software_index["S0002"]
    assert share[:, own_col].tolist() == [1.0, 0.0]
    assert share[:, shared_col].tolist() == [0.5, 0.5]

    weights = _only(software_share=1.0)
    result = AttackProfileScorer(knowledge, weights).score([], ["S0002"])
    assert result.probability_of("G0001") == pytest.approx(result.probability_of("G0002"))
    assert AttackProfileScorer(knowledge, weights).score([], ["S0001"]).top()[0] == "G0001"
