r"""The ATT&CK profile scorer: a log-linear evidence model over actor profiles.

For a case with binary evidence ``x`` (techniques and software, ``V`` columns)
and an actor ``g`` of the knowledge base, the score is

.. math::

    s_g(x) = \sum_k w_k \, x \cdot M_k[g] \;+\; \sum_j v_j \, c_j(g)

and the posterior over actors and the *unknown* hypothesis ``u`` is the softmax

.. math::

    P(g \mid x) = e^{s_g} / (e^{s_u} + \sum_h e^{s_h}),\qquad
    s_u = \log\frac{\pi_u}{1-\pi_u} + \log \sum_h e^{\sum_j v_j c_j(h)}

so that with no evidence ``P(u) = π_u`` and evidence that matches no known
profile leaves ``u`` where it was. This is a conditional-logit (multinomial
logistic) model; its few global weights are fitted by maximum likelihood (see
:mod:`.fitting`) and double as the calibration: there is no separate
temperature.

Evidence features (per case column ``f`` and actor ``g``; ``A`` is the actor x
column incidence, ``G`` the number of actors, ``df_f`` the actors using ``f``):

``technique_rarity``
    ``M[g, f] = A[g, f] · ln((G + 1) / (df_f + 1))``: a shared technique counts
    by how few actors share it (inverse document frequency).
``software_share``
    ``M[g, s] = A[g, s] / df_s``: a software's evidence is split evenly among
    the actors known to use it (all of it to its only user, a tenth to each of
    ten), i.e. ``P(g | s)`` when any of its users is equally likely to have
    deployed it.
``cooccurrence``
    item-item smoothing of the profile: ``P_g = norm(A[g]) · C`` with
    ``C[f', f] = #actors using f' and f / #actors using f'``, row-normalised and
    scaled by ``V``. It credits techniques the actor is not yet recorded with but
    that go with its recorded ones — new reports mostly bring such techniques.
``family_only``
    the case's technique is not in the profile, but its ATT&CK family is (the
    parent, or a sibling sub-technique): partial credit for the
    sub-technique/parent structure.
``via_software``
    the technique is not in the actor's own profile but one of the actor's
    software implements it.

Report feature (not linear in the evidence):

``report_similarity``
    ``max_r |x ∩ r| / sqrt(|x| |r|)`` over the actor's *reports* ``r`` (the
    techniques and software one cited source attributes to the actor, see
    :class:`.AttackKnowledge`): the cosine between the case and the actor's most
    similar earlier report. A profile pools every report on an actor; a new
    report tends to resemble one earlier report (same vendor, campaign or
    tooling) more closely than the pool.

Actor features: ``profile_size`` ``ln(1 + #techniques)`` (well-documented groups
are reported on more often) and ``profile_age``, years between the actor's last
modification and the knowledge base's release (dormant profiles are less likely
to be the author of new activity).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

import numpy as np

from watchfloor.engines.attribution.base import AttributionScorer, FloatArray, softmax_with_unknown
from watchfloor.engines.attribution.knowledge import AttackKnowledge

__all__ = [
    "ACTOR_FEATURES",
    "EVIDENCE_FEATURES",
    "FEATURES",
    "REPORT_FEATURES",
    "AttackProfileScorer",
    "ProfileWeights",
    "report_similarity",
]

EVIDENCE_FEATURES = (
    "technique_rarity",
    "software_share",
    "cooccurrence",
    "family_only",
    "via_software",
)
REPORT_FEATURES = ("report_similarity",)
ACTOR_FEATURES = ("profile_size", "profile_age")
FEATURES = (*EVIDENCE_FEATURES, *REPORT_FEATURES, *ACTOR_FEATURES)


@dataclass(frozen=True, slots=True)
class ProfileWeights:
    """The scorer's global weights. Defaults were fitted on all three dev sets
    (``benchmarks/eval_attack.py --fit``); the evaluation itself reports
    leave-one-set-out fits, never these."""

    technique_rarity: float = 0.1250
    software_share: float = 4.038
    cooccurrence: float = 0.005666
    family_only: float = 0.1533
    via_software: float = 0.06309
    report_similarity: float = 6.574
    profile_size: float = 0.4352
    profile_age: float = -0.1989
    unknown_prior: float = 0.1

    def as_vector(self) -> FloatArray:
        values = asdict(self)
        return np.array([values[n] for n in FEATURES])

    @classmethod
    def from_vector(cls, vector: FloatArray, unknown_prior: float = 0.1) -> ProfileWeights:
        return cls(
            **{n: float(v) for n, v in zip(FEATURES, vector, strict=True)},
            unknown_prior=unknown_prior,
        )

    @classmethod
    def from_mapping(cls, values: Mapping[str, float]) -> ProfileWeights:
        return cls(**{k: float(v) for k, v in values.items()})


class AttackProfileScorer(AttributionScorer):
    name = "attack-profile"

    def __init__(self, knowledge: AttackKnowledge, weights: ProfileWeights | None = None) -> None:
        super().__init__(knowledge)
        self.weights = weights or ProfileWeights()
        self.evidence_features, self.actor_features = profile_features(knowledge)
        self._combine()

    def _combine(self) -> None:
        w = self.weights.as_vector()
        n_e, n_r = len(EVIDENCE_FEATURES), len(REPORT_FEATURES)
        self._matrix = np.tensordot(w[:n_e], self.evidence_features, axes=1)
        self._report_weights = w[n_e : n_e + n_r]
        self._actor_score = self.actor_features @ w[n_e + n_r :]
        prior = self.weights.unknown_prior
        top = self._actor_score.max()
        self._unknown_score = (
            np.log(prior / (1.0 - prior)) + top + np.log(np.exp(self._actor_score - top).sum())
        )

    def feature_tensor(self, evidence: FloatArray) -> FloatArray:
        """Per case, actor and feature: ``cases x actors x (evidence + actor features)``."""
        per_evidence = np.einsum("cv,kav->cak", evidence, self.evidence_features)
        per_report = report_similarity(self.knowledge, evidence)[:, :, None]
        per_actor = np.broadcast_to(
            self.actor_features[None, :, :], (evidence.shape[0], *self.actor_features.shape)
        )
        return np.concatenate([per_evidence, per_report, per_actor], axis=2)

    def unknown_offset(self) -> float:
        """``s_u`` minus nothing: the unknown hypothesis' score (for fitting)."""
        return float(self._unknown_score)

    def prior(self) -> tuple[FloatArray, float]:
        """Actor prior from the actor features alone, with ``π_u`` on unknown."""
        probabilities, unknown = softmax_with_unknown(
            self._actor_score[None, :], self._unknown_score
        )
        return probabilities[0], float(unknown[0])

    def _distribution(self, evidence: FloatArray) -> tuple[FloatArray, FloatArray]:
        scores = evidence @ self._matrix.T + self._actor_score[None, :]
        scores += self._report_weights[0] * report_similarity(self.knowledge, evidence)
        return softmax_with_unknown(scores, self._unknown_score)


def profile_features(knowledge: AttackKnowledge) -> tuple[FloatArray, FloatArray]:
    """The evidence-feature tensor (features x actors x columns) and the actor
    features (actors x features) described in the module docstring."""
    n_t = len(knowledge.techniques)
    at = knowledge.actor_technique.astype(np.float64)
    asw = knowledge.actor_software.astype(np.float64)
    incidence = np.hstack([at, asw])
    n_actors, n_columns = incidence.shape

    users = incidence.sum(axis=0)
    rarity = np.log((n_actors + 1.0) / (users + 1.0))
    technique_rarity = incidence * rarity * (np.arange(n_columns) < n_t)
    software_share = incidence / np.maximum(users, 1.0) * (np.arange(n_columns) >= n_t)

    together = incidence.T @ incidence
    follows = together / np.maximum(users, 1.0)[:, None]
    smoothed = _normalise_rows(_normalise_rows(incidence) @ follows) * n_columns

    family = np.zeros((n_t, n_t))
    family[np.arange(n_t), knowledge.technique_family] = 1.0
    uses_family = (at @ family > 0).astype(np.float64) @ family.T
    family_only = np.zeros_like(incidence)
    family_only[:, :n_t] = np.clip(uses_family - at, 0.0, 1.0)

    implements = (asw @ knowledge.software_technique.astype(np.float64) > 0).astype(np.float64)
    via_software = np.zeros_like(incidence)
    via_software[:, :n_t] = implements * (1.0 - at)

    evidence_features = np.stack(
        [technique_rarity, software_share, smoothed, family_only, via_software]
    )

    size = np.log1p(at.sum(axis=1))
    released = knowledge.released
    age = np.array(
        [
            (released - a.modified).days / 365.25 if released and a.modified else 0.0
            for a in knowledge.actors
        ]
    )
    return evidence_features, np.stack([size, age], axis=1)


def report_similarity(knowledge: AttackKnowledge, evidence: FloatArray) -> FloatArray:
    """Cases x actors: the cosine between each case and the actor's most similar
    report (0 for an actor without reports or a case without known evidence)."""
    out = np.zeros((evidence.shape[0], len(knowledge.actors)))
    reports = knowledge.report_evidence.astype(np.float64)
    if reports.shape[0] == 0 or reports.shape[1] != evidence.shape[1]:
        return out
    norms = np.sqrt(evidence.sum(axis=1))[:, None] * np.sqrt(reports.sum(axis=1))[None, :]
    overlap = evidence @ reports.T
    cosine = np.divide(overlap, norms, out=np.zeros_like(overlap), where=norms > 0)
    np.maximum.at(out.T, knowledge.report_actor, cosine.T)
    return out


def _normalise_rows(matrix: FloatArray) -> FloatArray:
    totals = matrix.sum(axis=1, keepdims=True)
    out: FloatArray = np.divide(matrix, totals, out=np.zeros_like(matrix), where=totals > 0)
    return out
