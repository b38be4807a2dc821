"""Knowledge-driven attribution scorers: observed ATT&CK ids to actor likelihoods."""

from watchfloor.engines.attribution.base import AttributionResult, AttributionScorer, Observation
from watchfloor.engines.attribution.baselines import (
    JaccardScorer,
    NaiveBayesScorer,
    TfidfCosineScorer,
)
from watchfloor.engines.attribution.knowledge import Actor, AttackKnowledge, KnowledgeBaseVersion
from watchfloor.engines.attribution.profile import AttackProfileScorer, ProfileWeights

__all__ = [
    "Actor",
    "AttackKnowledge",
    "AttackProfileScorer",
    "AttributionResult",
    "AttributionScorer",
    "JaccardScorer",
    "KnowledgeBaseVersion",
    "NaiveBayesScorer",
    "Observation",
    "ProfileWeights",
    "TfidfCosineScorer",
]
