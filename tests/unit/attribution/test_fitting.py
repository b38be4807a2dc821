"""Fitting the profile scorer's global weights by maximum likelihood."""

from __future__ import annotations

import numpy as np

from watchfloor.engines.attribution import AttackKnowledge, AttackProfileScorer
from watchfloor.engines.attribution.fitting import (
    LabelledSet,
    fit_prepared,
    fit_weights,
    prepare,
    pseudo_cases,
)
from watchfloor.engines.attribution.profile import FEATURES

from .conftest import tiny_with_reports


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


def test_fitting_stacked_sets_gives_the_same_weights_as_set_by_set(tiny: AttackKnowledge) -> None:
    scorer = AttackProfileScorer(tiny)
    cases = [(["T3000"], ["S0002"], "G0002"), (["T2000"], ["S0001"], "G0001")]
    evidence = scorer.evidence_matrix([scorer.observe(t, s) for t, s, _ in cases])
    truth = [tiny.actor_index[a] for *_, a in cases]
    one = [LabelledSet(scorer, evidence, truth)]
    apart = [LabelledSet(scorer, evidence[i : i + 1], truth[i : i + 1]) for i in range(2)]

    together = fit_weights(one, ridge=0.1).as_vector()
    stacked = fit_prepared([prepare(s) for s in apart], ridge=0.1).as_vector()
    assert np.allclose(together, stacked, rtol=1e-4, atol=1e-6)


def test_pseudo_case_holds_out_a_report_and_what_only_it_cites() -> None:
    kb = tiny_with_reports()
    g1 = kb.actor_index["G0001"]

    cases = pseudo_cases(kb, min_items=3)  # report A (3 items); report B has one

    assert len(cases) == 1
    case = cases[0]
    assert list(case.truth) == [g1]
    features = dict(zip(FEATURES, case.tensor[0, g1], strict=True))
    # report A is gone: G0001's best remaining report is B = {T2000}, cosine 1/sqrt(3)
    assert np.isclose(features["report_similarity"], 1 / np.sqrt(3))
    # T1000.001 and S0001 were cited only by A: no longer in G0001's profile
    assert features["software_share"] == 0.0
    users = kb.actor_technique[:, kb.technique_index["T2000"]].sum()
    assert np.isclose(features["technique_rarity"], np.log((len(kb.actors) + 1) / (users + 1)))
    assert pseudo_cases(kb, min_items=4) == []
