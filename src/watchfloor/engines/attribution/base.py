"""The attribution-scorer role: observed ATT&CK ids in, a distribution over actors out.

Every scorer (the ATT&CK profile scorer and the baselines it is measured
against) implements :class:`AttributionScorer`. The public :meth:`score` /
:meth:`score_many` validate and normalise the evidence; the private hook
:meth:`_distribution` does the maths on a binary evidence matrix.

Evidence normalisation (shared by every scorer):

* ids are upper-cased and stripped; revoked ids follow their ``revoked-by``
  successor in the knowledge base;
* a sub-technique unknown to the knowledge base but whose parent is known is
  generalised to the parent (reported in ``generalised``);
* anything else unknown is reported in ``unknown_techniques`` /
  ``unknown_software`` and otherwise ignored.

The result is a probability for every actor of the knowledge base plus
``unknown`` (an actor not in the knowledge base), summing to one.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from watchfloor.engines.attribution.knowledge import AttackKnowledge, KnowledgeBaseVersion

__all__ = ["AttributionResult", "AttributionScorer", "Observation"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class Observation:
    """Evidence after normalisation against one knowledge base."""

    technique_columns: tuple[int, ...]
    software_columns: tuple[int, ...]
    unknown_techniques: tuple[str, ...] = ()
    unknown_software: tuple[str, ...] = ()
    generalised: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class AttributionResult:
    """A distribution over the knowledge base's actors plus ``unknown``.

    ``probabilities[i]`` belongs to ``actors[i]`` (ATT&CK ids, e.g. ``G0007``);
    ``probabilities.sum() + unknown == 1``.
    """

    scorer: str
    knowledge_base: KnowledgeBaseVersion
    actors: tuple[str, ...]
    probabilities: FloatArray
    unknown: float
    observation: Observation

    def ranking(self) -> list[tuple[str, float]]:
        """Actors with a non-zero probability, most probable first (ties by id)."""
        order = sorted(
            (i for i in range(len(self.actors)) if self.probabilities[i] > 0.0),
            key=lambda i: (-self.probabilities[i], self.actors[i]),
        )
        return [(self.actors[i], float(self.probabilities[i])) for i in order]

    def probability_of(self, actor: str) -> float:
        try:
            return float(self.probabilities[self.actors.index(actor)])
        except ValueError:
            return 0.0

    def top(self) -> tuple[str, float]:
        """The leading hypothesis, ``("unknown", p)`` when that leads."""
        ranking = self.ranking()
        if not ranking or self.unknown >= ranking[0][1]:
            return ("unknown", self.unknown)
        return ranking[0]


class AttributionScorer(ABC):
    """Turns observed technique and software ids into actor likelihoods."""

    name: ClassVar[str]

    def __init__(self, knowledge: AttackKnowledge) -> None:
        self.knowledge = knowledge

    def observe(self, techniques: Iterable[str], software: Iterable[str]) -> Observation:
        """Normalise ids against the knowledge base (see the module docstring)."""
        kb = self.knowledge
        t_cols: dict[int, None] = {}
        s_cols: dict[int, None] = {}
        unknown_t: list[str] = []
        unknown_s: list[str] = []
        generalised: dict[str, str] = {}
        for raw in techniques:
            tid = kb.resolve(str(raw).strip().upper())
            col = kb.technique_index.get(tid)
            if col is None and "." in tid:
                parent = kb.resolve(tid.split(".", 1)[0])
                col = kb.technique_index.get(parent)
                if col is not None:
                    generalised[tid] = parent
            if col is None:
                unknown_t.append(str(raw))
            else:
                t_cols[col] = None
        for raw in software:
            col = kb.software_index.get(kb.resolve(str(raw).strip().upper()))
            if col is None:
                unknown_s.append(str(raw))
            else:
                s_cols[col] = None
        return Observation(
            tuple(t_cols), tuple(s_cols), tuple(unknown_t), tuple(unknown_s), generalised
        )

    def score(self, techniques: Iterable[str], software: Iterable[str] = ()) -> AttributionResult:
        return self.score_many([(list(techniques), list(software))])[0]

    def score_many(
        self, cases: Sequence[tuple[Sequence[str], Sequence[str]]]
    ) -> list[AttributionResult]:
        """Score several cases at once (one matrix product per scorer)."""
        observations = [self.observe(t, s) for t, s in cases]
        evidence = self.evidence_matrix(observations)
        probabilities, unknown = self._distribution(evidence)
        actors = self.knowledge.actor_ids
        return [
            AttributionResult(
                scorer=self.name,
                knowledge_base=self.knowledge.version,
                actors=actors,
                probabilities=probabilities[i],
                unknown=float(unknown[i]),
                observation=observations[i],
            )
            for i in range(len(observations))
        ]

    def evidence_matrix(self, observations: Sequence[Observation]) -> FloatArray:
        """Binary matrix: one row per case, technique columns then software columns."""
        n_t = len(self.knowledge.techniques)
        x = np.zeros((len(observations), n_t + len(self.knowledge.software)))
        for row, obs in enumerate(observations):
            x[row, list(obs.technique_columns)] = 1.0
            x[row, [n_t + c for c in obs.software_columns]] = 1.0
        return x

    def prior(self) -> tuple[FloatArray, float]:
        """The distribution the scorer gives without evidence (actors, unknown);
        the posterior divided by it is the likelihood ratio of the evidence.
        Default: uniform over actors, nothing on unknown."""
        n = len(self.knowledge.actors)
        return np.full(n, 1.0 / n) if n else np.zeros(0), 0.0

    @abstractmethod
    def _distribution(self, evidence: FloatArray) -> tuple[FloatArray, FloatArray]:
        """Return (cases x actors probabilities, per-case unknown), rows summing to one."""


def normalise_similarities(similarity: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Similarity scores as a distribution: proportional to similarity; a case with
    no similarity to any actor is wholly ``unknown``."""
    total = similarity.sum(axis=1)
    has = total > 0
    probabilities = np.zeros_like(similarity)
    probabilities[has] = similarity[has] / total[has, None]
    return probabilities, np.where(has, 0.0, 1.0)


def softmax_with_unknown(
    scores: FloatArray, unknown_score: FloatArray | float
) -> tuple[FloatArray, FloatArray]:
    """Softmax over actors' scores and the unknown hypothesis' score (log domain)."""
    unknown_col = np.broadcast_to(np.asarray(unknown_score, dtype=np.float64), scores.shape[:1])
    full = np.concatenate([scores, unknown_col[:, None]], axis=1)
    full = full - full.max(axis=1, keepdims=True)
    weights = np.exp(full)
    weights /= weights.sum(axis=1, keepdims=True)
    return weights[:, :-1], weights[:, -1]
