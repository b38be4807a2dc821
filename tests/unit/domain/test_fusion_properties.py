"""Invariants of attribution fusion, checked with Hypothesis over random cases.

The strategies draw a handful of actors, actor and false-flag hypotheses on
them, "unknown / other", and evidence with random likelihoods, gradings, costs
to fake and dependence groups.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from watchfloor.domain.evidence import OTHER, CostToFake, EvidenceItem
from watchfloor.domain.fusion import fuse, posterior
from watchfloor.domain.grading import AdmiraltyGrade
from watchfloor.domain.hypotheses import Hypothesis

from .builders import actor_hypothesis, actors, false_flag, item

ACTORS = ["ash", "birch", "cedar"]
ALL_GRADES = [f"{r}{c}" for r in "ABCDEF" for c in "123456"]

# Grids rather than free floats keep each example cheap to draw (the folder has a time
# budget) while still reaching ties, extremes and everything in between.
LIKELIHOODS = [0.01, 0.03, 0.1, 0.2, 0.35, 0.5, 0.65, 0.8, 0.9, 0.97, 1.0]
likelihood = st.sampled_from(LIKELIHOODS)
prior = st.sampled_from([0.1, 0.5, 1.0, 2.0, 5.0])


@st.composite
def hypotheses(draw: st.DrawFn) -> list[Hypothesis]:
    named = draw(st.lists(st.sampled_from(ACTORS), min_size=1, max_size=3, unique=True))
    out = [actor_hypothesis(a, draw(prior)) for a in named]
    if len(named) >= 2 and draw(st.booleans()):
        out.append(false_flag(named[0], named[1], draw(prior)))
    out.append(Hypothesis.unknown(draw(prior)))
    return out


@st.composite
def evidence_item(draw: st.DrawFn, item_id: str, groups: list[str]) -> EvidenceItem:
    keys = [*ACTORS, OTHER]
    said = draw(st.lists(st.sampled_from([None, *LIKELIHOODS]), min_size=4, max_size=4))
    return item(
        item_id,
        {k: p for k, p in zip(keys, said, strict=True) if p is not None},
        grade=draw(st.sampled_from(ALL_GRADES)),
        group=draw(st.sampled_from([None, *groups])),
        cost=draw(st.sampled_from(CostToFake)),
        baseline=draw(likelihood),
    )


@st.composite
def evidence(draw: st.DrawFn, min_size: int = 0, max_size: int = 5) -> list[EvidenceItem]:
    n = draw(st.integers(min_size, max_size))
    return [draw(evidence_item(f"E{i}", ["g1", "g2"])) for i in range(n)]


# Each example fuses a whole case, some several times: fewer examples than the default keep
# the folder inside its time budget.
fusion_settings = settings(max_examples=60)


def by_id(hyps: list[Hypothesis], post: np.ndarray) -> dict[str, float]:
    return {h.id: float(p) for h, p in zip(hyps, post, strict=True)}


def kl(p: np.ndarray, q: np.ndarray) -> float:
    """KL divergence of p from q, in nats."""
    return float(np.sum(np.where(p > 0, p * (np.log(p) - np.log(q)), 0.0)))


@fusion_settings
@given(hypotheses(), evidence())
def test_posterior_is_a_probability_distribution(
    hyps: list[Hypothesis], items: list[EvidenceItem]
) -> None:
    post = posterior(hyps, items)

    assert np.all(post >= 0.0)
    assert math.isclose(float(post.sum()), 1.0, rel_tol=1e-12)


@fusion_settings
@given(hypotheses(), evidence(min_size=1), st.data())
def test_a_second_copy_of_a_report_in_its_dependence_group_changes_nothing(
    hyps: list[Hypothesis], items: list[EvidenceItem], data: st.DataObject
) -> None:
    original = data.draw(st.sampled_from(items))
    copy = dataclasses.replace(original, id="E-copy", dependence_group=original.group)

    before = posterior(hyps, items)
    after = posterior(hyps, [*items, copy])

    np.testing.assert_allclose(after, before, rtol=1e-9, atol=1e-12)


@fusion_settings
@given(hypotheses(), evidence(min_size=1), st.data())
def test_a_weaker_relay_of_the_same_report_changes_nothing(
    hyps: list[Hypothesis], items: list[EvidenceItem], data: st.DataObject
) -> None:
    original = data.draw(st.sampled_from(items))
    weaker = [g for g in ALL_GRADES if AdmiraltyGrade.parse(g).weight <= original.grade.weight]
    relay = dataclasses.replace(
        original,
        id="E-relay",
        dependence_group=original.group,
        grade=AdmiraltyGrade.parse(data.draw(st.sampled_from(weaker))),
    )

    np.testing.assert_allclose(
        posterior(hyps, [*items, relay]), posterior(hyps, items), rtol=1e-9, atol=1e-12
    )


@fusion_settings
@given(
    hypotheses(),
    evidence(max_size=4),
    evidence_item("E-graded", []),
    st.lists(st.sampled_from("ABCDE"), min_size=2, max_size=2),
    st.lists(st.integers(1, 5), min_size=2, max_size=2),
)
def test_a_stronger_grading_never_moves_the_posterior_less_than_a_weaker_one(
    hyps: list[Hypothesis],
    items: list[EvidenceItem],
    graded: EvidenceItem,
    letters: list[str],
    numbers: list[int],
) -> None:
    # Movement is the KL divergence from the posterior without the item (the prior when
    # there is no other evidence); see the fusion docstring for why it grows with weight.
    stronger = AdmiraltyGrade.parse(f"{min(letters)}{min(numbers)}")
    weaker = AdmiraltyGrade.parse(f"{max(letters)}{max(numbers)}")
    reference = posterior(hyps, items)

    moved_strong = kl(
        posterior(hyps, [*items, dataclasses.replace(graded, grade=stronger)]), reference
    )
    moved_weak = kl(posterior(hyps, [*items, dataclasses.replace(graded, grade=weaker)]), reference)

    assert moved_strong >= moved_weak - 1e-12


@fusion_settings
@given(
    hypotheses(),
    evidence_item("E-graded", []),
    st.sampled_from(ALL_GRADES),
    st.sampled_from(ALL_GRADES),
)
def test_more_weight_never_moves_the_posterior_less_from_the_prior(
    hyps: list[Hypothesis], graded: EvidenceItem, a: str, b: str
) -> None:
    heavy, light = sorted(
        (AdmiraltyGrade.parse(a), AdmiraltyGrade.parse(b)), key=lambda g: -g.weight
    )
    prior_only = posterior(hyps, [])

    moved_heavy = kl(posterior(hyps, [dataclasses.replace(graded, grade=heavy)]), prior_only)
    moved_light = kl(posterior(hyps, [dataclasses.replace(graded, grade=light)]), prior_only)

    assert moved_heavy >= moved_light - 1e-12


@fusion_settings
@given(
    hypotheses(), evidence(), likelihood, st.sampled_from(ALL_GRADES), st.sampled_from(CostToFake)
)
def test_a_neutral_item_changes_nothing(
    hyps: list[Hypothesis], items: list[EvidenceItem], p: float, grade: str, cost: CostToFake
) -> None:
    neutral = item(
        "E-neutral", {k: p for k in [*ACTORS, OTHER]}, grade=grade, cost=cost, baseline=p
    )

    np.testing.assert_allclose(
        posterior(hyps, [*items, neutral]), posterior(hyps, items), rtol=1e-9, atol=1e-12
    )


@fusion_settings
@given(hypotheses(), evidence(), st.randoms(use_true_random=False))
def test_hypothesis_order_does_not_change_any_posterior(
    hyps: list[Hypothesis], items: list[EvidenceItem], rnd: object
) -> None:
    shuffled = list(hyps)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]

    original = by_id(hyps, posterior(hyps, items))
    reordered = by_id(shuffled, posterior(shuffled, items))

    assert reordered.keys() == original.keys()
    for h in original:
        assert math.isclose(reordered[h], original[h], rel_tol=1e-9, abs_tol=1e-12)


@fusion_settings
@given(hypotheses(), evidence(), st.randoms(use_true_random=False))
def test_evidence_order_does_not_change_the_posterior(
    hyps: list[Hypothesis], items: list[EvidenceItem], rnd: object
) -> None:
    shuffled = list(items)
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]

    np.testing.assert_allclose(
        posterior(hyps, shuffled), posterior(hyps, items), rtol=1e-9, atol=1e-12
    )


@fusion_settings
@given(hypotheses(), evidence(min_size=1))
def test_the_most_influential_group_is_the_one_whose_removal_moves_the_lead_most(
    hyps: list[Hypothesis], items: list[EvidenceItem]
) -> None:
    result = fuse(hyps, items, actors(*[(a, None) for a in ACTORS]))
    lead = [h.id for h in hyps].index(result.lead.id)

    # brute force: drop each group in turn and fuse again from scratch
    groups = {e.group for e in items}
    moved = {
        g: abs(
            result.lead_probability
            - float(posterior(hyps, [e for e in items if e.group != g])[lead])
        )
        for g in groups
    }

    top = result.sensitivity.most_influential_group
    assert top in groups
    assert moved[top] >= max(moved.values()) - 1e-9
    assert {g for g, _, _ in result.sensitivity.shifts} == groups
    for g, shift, _ in result.sensitivity.shifts:
        assert math.isclose(abs(shift), moved[g], rel_tol=1e-7, abs_tol=1e-9)


@fusion_settings
@given(hypotheses(), evidence())
def test_fuse_and_posterior_agree(hyps: list[Hypothesis], items: list[EvidenceItem]) -> None:
    result = fuse(hyps, items, actors(*[(a, None) for a in ACTORS]))

    np.testing.assert_allclose(result.posterior, posterior(hyps, items), rtol=1e-12)
    assert result.lead_probability == max(result.posterior)


@fusion_settings
@given(hypotheses(), evidence())
def test_every_layer_distributes_the_whole_posterior(
    hyps: list[Hypothesis], items: list[EvidenceItem]
) -> None:
    result = fuse(hyps, items, actors(("ash", "STATE-A"), ("birch", "STATE-A"), ("cedar", None)))

    for judgement in result.layers:
        assert math.isclose(sum(p for _, p in judgement.distribution), 1.0, rel_tol=1e-9)
        assert judgement.probability == max(p for _, p in judgement.distribution)
