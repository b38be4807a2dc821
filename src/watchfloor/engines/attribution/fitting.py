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
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize

from watchfloor.engines.attribution.base import FloatArray
from watchfloor.engines.attribution.profile import (
    EVIDENCE_FEATURES,
    FEATURES,
    REPORT_FEATURES,
    AttackProfileScorer,
    ProfileWeights,
)

__all__ = ["LabelledSet", "fit_weights"]


@dataclass(frozen=True)
class LabelledSet:
    """Cases scored against one knowledge base: evidence rows and true actor indices."""

    scorer: AttackProfileScorer
    evidence: FloatArray
    truth: Sequence[int]


def fit_weights(
    sets: Sequence[LabelledSet], *, ridge: float = 1.0, unknown_prior: float = 0.1
) -> ProfileWeights:
    """Maximum penalised likelihood weights over the pooled labelled sets."""
    n_e = len(EVIDENCE_FEATURES) + len(REPORT_FEATURES)  # features of the case
    prepared = []
    for labelled in sets:
        tensor = labelled.scorer.feature_tensor(labelled.evidence)
        truth = np.asarray(labelled.truth, dtype=np.intp)
        prepared.append((tensor, truth, labelled.scorer.actor_features))
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
            top = actor_prior.max()
            unknown = log_prior_odds + top + np.log(np.exp(actor_prior - top).sum())
            full = np.concatenate([scores, np.full((scores.shape[0], 1), unknown)], axis=1)
            peak = full.max(axis=1, keepdims=True)
            log_norm = peak[:, 0] + np.log(np.exp(full - peak).sum(axis=1))
            total -= float((scores[np.arange(len(truth)), truth] - log_norm).sum())
        return total + ridge * float(theta_std @ theta_std)

    start = np.zeros(len(FEATURES))
    result = minimize(negative_log_likelihood, start, method="L-BFGS-B")
    return ProfileWeights.from_vector(result.x / scale, unknown_prior=unknown_prior)
