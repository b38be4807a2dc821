"""Fitting the profile scorer's global weights by maximum likelihood."""

from __future__ import annotations

import numpy as np

from watchfloor.engines.attribution import AttackKnowledge, AttackProfileScorer
from watchfloor.engines.attribution.fitting import LabelledSet, fit_weights


def test_fitted_weights_favour_the_true_actors(tiny: AttackKnowledge) -> None:
    scorer = AttackProfileScorer(tiny)
    cases = [
        (["T3000"], ["S0002"], "G0002"),
        (["T2000"], ["S0001"], "G0001"),
        (["T5000", "T6000"], [], "G0003"),
        (["T4000"], [], "G0002"),
    ]
    evidence = scorer.evidence_matrix([scorer.observe(t, s) for t, s, _ in cases])
    truth = [tiny.actor_index[a] for *_, a in cases]

    weights = fit_weights([LabelledSet(scorer, evidence, truth)], ridge=0.1)

    fitted = AttackProfileScorer(tiny, weights)
    probabilities, _ = fitted._distribution(evidence)
    assert list(np.argmax(probabilities, axis=1)) == truth
    assert weights.technique_rarity > 0
