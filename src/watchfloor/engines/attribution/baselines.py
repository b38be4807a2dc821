"""Baseline scorers the ATT&CK profile scorer is measured against.

Each actor's *profile* is the binary row of its techniques and software in the
knowledge base (``AttackKnowledge.actor_technique`` and ``actor_software``,
side by side); ``x`` is the case's binary evidence row over the same columns.

* :class:`JaccardScorer` — ``|x ∩ p_g| / |x ∪ p_g|``, normalised to sum to one.
* :class:`TfidfCosineScorer` — cosine between ``x`` and ``p_g`` after weighting
  each column by ``idf_f = ln((1 + G) / (1 + df_f)) + 1`` (``G`` actors, ``df_f``
  actors using ``f``), normalised to sum to one.
* :class:`NaiveBayesScorer` — multinomial naive Bayes with Laplace smoothing and a
  uniform prior: ``log P(x | g) = Σ_{f ∈ x} log((p_gf + α) / (|p_g| + α V))``, ``V``
  columns, ``α = 1``; posterior by softmax.

Similarity baselines give ``unknown = 1`` when nothing overlaps and 0 otherwise;
naive Bayes gives ``unknown = 0`` (it has no unknown hypothesis).
"""

from __future__ import annotations

import numpy as np

from watchfloor.engines.attribution.base import (
    AttributionScorer,
    FloatArray,
    normalise_similarities,
    softmax_with_unknown,
)
from watchfloor.engines.attribution.knowledge import AttackKnowledge

__all__ = ["JaccardScorer", "NaiveBayesScorer", "TfidfCosineScorer"]


def _profiles(knowledge: AttackKnowledge) -> FloatArray:
    return np.hstack([knowledge.actor_technique, knowledge.actor_software]).astype(np.float64)


class JaccardScorer(AttributionScorer):
    name = "jaccard"

    def __init__(self, knowledge: AttackKnowledge) -> None:
        super().__init__(knowledge)
        self._profile = _profiles(knowledge)
        self._sizes = self._profile.sum(axis=1)

    def _distribution(self, evidence: FloatArray) -> tuple[FloatArray, FloatArray]:
        intersection = evidence @ self._profile.T
        union = evidence.sum(axis=1, keepdims=True) + self._sizes[None, :] - intersection
        similarity = np.divide(
            intersection, union, out=np.zeros_like(intersection), where=union > 0
        )
        return normalise_similarities(similarity)


class TfidfCosineScorer(AttributionScorer):
    name = "tfidf-cosine"

    def __init__(self, knowledge: AttackKnowledge) -> None:
        super().__init__(knowledge)
        profile = _profiles(knowledge)
        n_actors = profile.shape[0]
        self._idf = np.log((1.0 + n_actors) / (1.0 + profile.sum(axis=0))) + 1.0
        weighted = profile * self._idf
        norms = np.linalg.norm(weighted, axis=1, keepdims=True)
        self._unit_profiles = np.divide(
            weighted, norms, out=np.zeros_like(weighted), where=norms > 0
        )

    def _distribution(self, evidence: FloatArray) -> tuple[FloatArray, FloatArray]:
        weighted = evidence * self._idf
        norms = np.linalg.norm(weighted, axis=1, keepdims=True)
        unit = np.divide(weighted, norms, out=np.zeros_like(weighted), where=norms > 0)
        return normalise_similarities(unit @ self._unit_profiles.T)


class NaiveBayesScorer(AttributionScorer):
    name = "naive-bayes"

    def __init__(self, knowledge: AttackKnowledge, alpha: float = 1.0) -> None:
        super().__init__(knowledge)
        profile = _profiles(knowledge)
        denominator = profile.sum(axis=1, keepdims=True) + alpha * profile.shape[1]
        self._log_likelihood = np.log((profile + alpha) / denominator)

    def _distribution(self, evidence: FloatArray) -> tuple[FloatArray, FloatArray]:
        return softmax_with_unknown(evidence @ self._log_likelihood.T, -np.inf)
