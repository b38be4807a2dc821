r"""Fitting the profile scorer's global weights (and with them, its calibration).

Given labelled cases — each a knowledge base, the case's evidence and its true
actor — the weights ``θ = (w, v)`` maximise the penalised conditional
log-likelihood

.. math::

    \ell(θ) = \sum_{cases} \log P_θ(g^{\ast} \mid x) - λ \lVert θ \rVert^2

with ``P_θ`` the softmax of :mod:`.profile` (the unknown hypothesis included
at its fixed prior). Cases from different knowledge-base versions are pooled:
the weights are global, the features are computed per knowledge base. Because
the likelihood is the log score, a proper scoring rule, the fitted model is
calibrated on the data it was fitted on; the evaluation checks it on a set it
was not fitted on (leave one set out).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
from scipy.optimize import minimize

from watchfloor.engines.attribution.base import FloatArray
from watchfloor.engines.attribution.knowledge import AttackKnowledge
from watchfloor.engines.attribution.profile import (
    EVIDENCE_FEATURES,
    FEATURES,
    REPORT_FEATURES,
    AttackProfileScorer,
    ProfileWeights,
)

__all__ = ["LabelledSet", "PreparedSet", "fit_prepared", "fit_weights", "pseudo_cases"]


@dataclass(frozen=True)
class LabelledSet:
    """Cases scored against one knowledge base: evidence rows and true actor indices."""

    scorer: AttackProfileScorer
    evidence: FloatArray
    truth: Sequence[int]


@dataclass(frozen=True)
class PreparedSet:
    """Cases as the fit sees them: the feature tensor (cases x actors x
    features), true actor indices, and the actor features (actors x actor
    features) that set the unknown hypothesis' score."""

    tensor: FloatArray
    truth: Sequence[int]
    actor_features: FloatArray


def prepare(labelled: LabelledSet) -> PreparedSet:
    """The feature tensor of a labelled set's cases under its scorer."""
    return PreparedSet(
        labelled.scorer.feature_tensor(labelled.evidence),
        labelled.truth,
        labelled.scorer.actor_features,
    )


def fit_weights(
    sets: Sequence[LabelledSet], *, ridge: float = 1.0, unknown_prior: float = 0.1
) -> ProfileWeights:
    """Maximum penalised likelihood weights over the pooled labelled sets."""
    return fit_prepared([prepare(s) for s in sets], ridge=ridge, unknown_prior=unknown_prior)


def fit_prepared(
    sets: Sequence[PreparedSet], *, ridge: float = 1.0, unknown_prior: float = 0.1
) -> ProfileWeights:
    """:func:`fit_weights` on cases whose feature tensors are already computed."""
    n_e = len(EVIDENCE_FEATURES) + len(REPORT_FEATURES)  # features of the case
    # Sets scored against knowledge bases with the same number of actors are
    # stacked (actor features per case), so the likelihood is a few array ops.
    groups: dict[int, list[PreparedSet]] = {}
    for labelled in sets:
        groups.setdefault(labelled.tensor.shape[1], []).append(labelled)
    prepared = [
        (
            np.concatenate([s.tensor for s in group]),
            np.concatenate([np.asarray(s.truth, dtype=np.intp) for s in group]),
            np.concatenate(
                [
                    np.broadcast_to(s.actor_features, (len(s.truth), *s.actor_features.shape))
                    for s in group
                ]
            ),
        )
        for group in groups.values()
    ]
    log_prior_odds = np.log(unknown_prior / (1.0 - unknown_prior))
    # Features differ in scale by orders of magnitude (co-occurrence is ~1/V per
    # column); fitting in standardised units keeps the ridge penalty even-handed.
    scale = np.concatenate([t.reshape(-1, t.shape[2]) for t, _, _ in prepared]).std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)

    def negative_log_likelihood(theta_std: FloatArray) -> float:
        theta = theta_std / scale
        total = 0.0
        for tensor, truth, actor_features in prepared:
            scores = tensor @ theta
            actor_prior = actor_features @ theta[n_e:]
            top = actor_prior.max(axis=1, keepdims=True)
            unknown = (
                log_prior_odds + top + np.log(np.exp(actor_prior - top).sum(axis=1, keepdims=True))
            )
            full = np.concatenate([scores, unknown], axis=1)
            peak = full.max(axis=1, keepdims=True)
            log_norm = peak[:, 0] + np.log(np.exp(full - peak).sum(axis=1))
            total -= float((scores[np.arange(len(truth)), truth] - log_norm).sum())
        return total + ridge * float(theta_std @ theta_std)

    start = np.zeros(len(FEATURES))
    result = minimize(negative_log_likelihood, start, method="L-BFGS-B")
    return ProfileWeights.from_vector(result.x / scale, unknown_prior=unknown_prior)


def pseudo_cases(knowledge: AttackKnowledge, *, min_items: int = 3) -> list[PreparedSet]:
    """Self-supervised cases from one knowledge base's reports, one per report.

    For a report ``r`` of actor ``g`` (see :class:`.AttackKnowledge`) with at
    least ``min_items`` columns, the case is ``r``'s row and the knowledge base
    is rebuilt as if ``r`` had not been published yet: ``r`` is dropped from the
    reports, and the items that no other report of ``g`` cites are removed from
    ``g``'s profile. Every feature (document frequencies, co-occurrence, report
    similarity) is then recomputed on that knowledge base. Reports whose actor
    would be left with an empty profile are skipped (the dev cases are about
    groups the knowledge base already holds).

    Approximations: an item the report shares with a campaign attributed to
    ``g`` (campaign usage carries no citation here) is removed all the same,
    and actor dates (``profile_age``) are not rewound to before the report.
    The label is ``g``, from the same knowledge base: use only releases older
    than the evidence you evaluate on."""
    n_t = len(knowledge.techniques)
    reports = knowledge.report_evidence.astype(bool)
    out = []
    for i, row in enumerate(reports):
        if row.sum() < min_items:
            continue
        actor = int(knowledge.report_actor[i])
        others = (knowledge.report_actor == actor) & (np.arange(len(reports)) != i)
        only_here = row & ~reports[others].any(axis=0)
        techniques = knowledge.actor_technique.copy()
        software = knowledge.actor_software.copy()
        techniques[actor, only_here[:n_t]] = 0
        software[actor, only_here[n_t:]] = 0
        if techniques[actor].sum() + software[actor].sum() == 0:
            continue
        keep = np.arange(len(reports)) != i
        without = replace(
            knowledge,
            actor_technique=techniques,
            actor_software=software,
            report_actor=knowledge.report_actor[keep],
            report_evidence=knowledge.report_evidence[keep],
        )
        scorer = AttackProfileScorer(without)
        tensor = scorer.feature_tensor(row[None, :].astype(np.float64))
        out.append(PreparedSet(tensor, [actor], scorer.actor_features))
    return out
