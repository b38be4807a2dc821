"""Fusion rules by example: false flags, unknown / other, confidence, layers and ACH."""

from __future__ import annotations

import math

import numpy as np
import pytest

from watchfloor.domain.confidence import AnalyticConfidence, LikelihoodTerm
from watchfloor.domain.errors import DomainError
from watchfloor.domain.evidence import OTHER, CostToFake, EvidenceClass
from watchfloor.domain.fusion import (
    ConfidenceRules,
    GroupSummary,
    Sensitivity,
    analytic_confidence,
    fuse,
    likelihood_matrix,
    posterior,
)
from watchfloor.domain.grading import AdmiraltyGrade
from watchfloor.domain.hypotheses import UNATTRIBUTED, Hypothesis, HypothesisKind, Layer

from .builders import actor_hypothesis, actors, false_flag, item

X, Y = "xenon", "yarrow"
FRAMING = [actor_hypothesis(X), actor_hypothesis(Y), false_flag(X, Y), Hypothesis.unknown()]
CAST = actors((X, "STATE-X"), (Y, "STATE-Y"))


def probabilities(hyps: list[Hypothesis], post: np.ndarray) -> dict[str, float]:
    return {h.id: float(p) for h, p in zip(hyps, post, strict=True)}


# --- false flags -------------------------------------------------------------------------


def test_cheap_evidence_pointing_at_y_supports_x_framing_y_as_much_as_y() -> None:
    planted = item("E1", {Y: 0.9}, cost=CostToFake.LOW, baseline=0.1)

    p = probabilities(FRAMING, posterior(FRAMING, [planted]))

    assert p["H-xenon-framing-yarrow"] == pytest.approx(p["H-yarrow"], rel=1e-12)
    assert p["H-yarrow"] > p["H-xenon"]


def test_expensive_evidence_supports_the_framer_under_the_false_flag() -> None:
    fingerprint = item("E1", {X: 0.9}, cost=CostToFake.HIGH, baseline=0.1)

    p = probabilities(FRAMING, posterior(FRAMING, [fingerprint]))

    assert p["H-xenon-framing-yarrow"] == pytest.approx(p["H-xenon"], rel=1e-12)
    assert p["H-xenon"] > p["H-yarrow"]


def test_medium_cost_evidence_reads_the_geometric_mean_under_the_false_flag() -> None:
    mixed = item("E1", {X: 0.8, Y: 0.2, OTHER: 0.05}, cost=CostToFake.MEDIUM)

    row = likelihood_matrix(FRAMING, [mixed])[0]

    assert row.tolist() == pytest.approx([0.8, 0.2, math.sqrt(0.8 * 0.2), 0.05])


def test_cheap_planted_evidence_plus_an_expensive_fingerprint_make_the_false_flag_lead() -> None:
    evidence = [
        item("E1", {Y: 0.9}, cost=CostToFake.LOW, grade="A1"),
        item("E2", {X: 0.9}, cost=CostToFake.HIGH, grade="A1"),
    ]

    result = fuse(FRAMING, evidence, CAST)

    assert result.lead.id == "H-xenon-framing-yarrow"


def test_cheap_evidence_moves_beliefs_less_than_expensive_evidence() -> None:
    hyps = [actor_hypothesis(X), Hypothesis.unknown()]

    cheap = posterior(hyps, [item("E1", {X: 0.9}, cost=CostToFake.LOW)])[0]
    dear = posterior(hyps, [item("E1", {X: 0.9}, cost=CostToFake.HIGH)])[0]

    assert 0.5 < cheap < dear


# --- unknown / other and the basics -------------------------------------------------------


def test_unknown_other_reads_the_other_likelihood_or_the_baseline() -> None:
    hyps = [actor_hypothesis(X), Hypothesis.unknown()]
    said = item("E1", {X: 0.6, OTHER: 0.3}, baseline=0.1)
    unsaid = item("E2", {X: 0.6}, baseline=0.1)

    matrix = likelihood_matrix(hyps, [said, unsaid])

    np.testing.assert_allclose(matrix, [[0.6, 0.3], [0.6, 0.1]])


@pytest.mark.parametrize(
    "hyps",
    [
        [actor_hypothesis(X), actor_hypothesis(Y)],
        [],
        [actor_hypothesis(X), actor_hypothesis(X), Hypothesis.unknown()],
    ],
    ids=["no-unknown", "none", "duplicate-ids"],
)
def test_hypotheses_without_unknown_other_or_with_duplicates_are_refused(
    hyps: list[Hypothesis],
) -> None:
    with pytest.raises(DomainError):
        posterior(hyps, [])
    with pytest.raises(DomainError):
        fuse(hyps, [], CAST)


def test_without_evidence_the_posterior_is_the_normalised_prior() -> None:
    hyps = [actor_hypothesis(X, prior=3.0), actor_hypothesis(Y, prior=1.0), Hypothesis.unknown(1.0)]

    assert posterior(hyps, []).tolist() == pytest.approx([0.6, 0.2, 0.2])


def test_dependent_reports_count_once() -> None:
    hyps = [actor_hypothesis(X), Hypothesis.unknown()]
    original = item("E1", {X: 0.9}, group="vendor-blog")
    echoes = [item(f"E{i}", {X: 0.9}, group="vendor-blog") for i in range(2, 6)]
    independent = [item(f"E{i}", {X: 0.9}) for i in range(2, 6)]

    once = posterior(hyps, [original])[0]

    assert posterior(hyps, [original, *echoes])[0] == pytest.approx(once)
    assert posterior(hyps, [original, *independent])[0] > once


def test_a_better_graded_relay_lifts_its_group_to_the_better_grade() -> None:
    hyps = [actor_hypothesis(X), Hypothesis.unknown()]
    weak = item("E1", {X: 0.9}, grade="D4", group="g")
    strong = item("E2", {X: 0.9}, grade="A1", group="g")

    assert posterior(hyps, [weak, strong])[0] == pytest.approx(posterior(hyps, [strong])[0])
    assert posterior(hyps, [weak, strong])[0] > posterior(hyps, [weak])[0]


def test_probability_of_an_unknown_hypothesis_id_is_an_error() -> None:
    result = fuse(FRAMING, [], CAST)

    with pytest.raises(DomainError, match="H-nobody"):
        result.probability("H-nobody")


def test_result_states_each_posterior_with_its_icd_203_term() -> None:
    hyps = [actor_hypothesis(X), Hypothesis.unknown()]
    evidence = [item(f"E{i}", {X: 0.9}, grade="A1", cost=CostToFake.HIGH) for i in range(3)]

    result = fuse(hyps, evidence, CAST)

    assert result.lead.id == "H-xenon"
    assert result.term("H-xenon") is LikelihoodTerm.for_probability(result.lead_probability)
    assert result.term("H-xenon") is LikelihoodTerm.ALMOST_CERTAIN


# --- sensitivity -------------------------------------------------------------------------


def test_a_lead_resting_on_one_group_does_not_survive_its_removal() -> None:
    hyps = [actor_hypothesis(X), actor_hypothesis(Y), Hypothesis.unknown()]
    evidence = [
        item("E1", {X: 0.95}, grade="A1", cost=CostToFake.HIGH),
        item("E2", {Y: 0.4}, grade="C3"),
    ]

    s = fuse(hyps, evidence, CAST).sensitivity

    assert s.most_influential_group == "E1"
    assert not s.lead_survives
    assert s.lead_without == "H-yarrow"


def test_a_lead_on_several_independent_groups_survives_any_one_removal() -> None:
    hyps = [actor_hypothesis(X), actor_hypothesis(Y), Hypothesis.unknown()]
    evidence = [item(f"E{i}", {X: 0.9}, grade="B2") for i in range(3)]

    s = fuse(hyps, evidence, CAST).sensitivity

    assert s.lead_survives
    assert s.lead_without == "H-xenon"


def test_without_evidence_sensitivity_names_no_group() -> None:
    s = fuse(FRAMING, [], CAST).sensitivity

    assert (s.most_influential_group, s.lead_survives, s.shifts) == (None, True, ())


# --- analytic confidence -----------------------------------------------------------------

RULES = ConfidenceRules()
ROBUST = Sensitivity("g1", 0.7, "H-x", True, ())
FRAGILE = Sensitivity("g1", 0.2, "H-y", False, ())


def group(name: str, grade: str, *classes: EvidenceClass) -> GroupSummary:
    g = AdmiraltyGrade.parse(grade)
    return GroupSummary(name, (name,), g, frozenset(classes), g.weight, (0.0,))


TRADE, INFRA, MAL = EvidenceClass.TRADECRAFT, EvidenceClass.INFRASTRUCTURE, EvidenceClass.MALWARE


@pytest.mark.parametrize(
    ("groups", "sensitivity", "expected"),
    [
        ([], ROBUST, AnalyticConfidence.LOW),
        ([group("g1", "A1", TRADE)], ROBUST, AnalyticConfidence.LOW),
        # moderate: 2 groups, 1 of B2 or better, 2 classes, robust lead
        ([group("g1", "B2", TRADE), group("g2", "C3", INFRA)], ROBUST, AnalyticConfidence.MODERATE),
        ([group("g1", "C2", TRADE), group("g2", "C3", INFRA)], ROBUST, AnalyticConfidence.LOW),
        ([group("g1", "B2", TRADE), group("g2", "C3", TRADE)], ROBUST, AnalyticConfidence.LOW),
        ([group("g1", "B2", TRADE), group("g2", "C3", INFRA)], FRAGILE, AnalyticConfidence.LOW),
        # high: 4 groups, 3 of B2 or better, 3 classes, robust lead
        (
            [
                group("g1", "A1", TRADE),
                group("g2", "B2", INFRA),
                group("g3", "B1", MAL),
                group("g4", "D4", TRADE),
            ],
            ROBUST,
            AnalyticConfidence.HIGH,
        ),
        # the same base with a fragile lead is capped at moderate
        (
            [
                group("g1", "A1", TRADE),
                group("g2", "B2", INFRA),
                group("g3", "B1", MAL),
                group("g4", "D4", TRADE),
            ],
            FRAGILE,
            AnalyticConfidence.MODERATE,
        ),
        # only two strong groups: moderate
        (
            [
                group("g1", "A1", TRADE),
                group("g2", "B2", INFRA),
                group("g3", "C3", MAL),
                group("g4", "D4", TRADE),
            ],
            ROBUST,
            AnalyticConfidence.MODERATE,
        ),
    ],
    ids=[
        "no-evidence",
        "one-group",
        "moderate",
        "no-strong-group",
        "one-class",
        "moderate-but-fragile",
        "high",
        "high-but-fragile",
        "high-short-of-strong-groups",
    ],
)
def test_analytic_confidence_follows_the_rules(
    groups: list[GroupSummary], sensitivity: Sensitivity, expected: AnalyticConfidence
) -> None:
    confidence, reasons = analytic_confidence(groups, sensitivity, RULES)

    assert confidence is expected
    assert reasons[0].startswith(f"{len(groups)} independent evidence group(s)")


def test_low_confidence_says_what_moderate_would_need() -> None:
    _, reasons = analytic_confidence([group("g1", "A1", TRADE)], ROBUST, RULES)

    assert any("moderate confidence needs 2 groups" in r for r in reasons)


def test_a_fragile_lead_is_named_among_the_reasons() -> None:
    _, reasons = analytic_confidence([group("g1", "A1", TRADE)], FRAGILE, RULES)

    assert "the lead depends on a single evidence group (g1)" in reasons


def test_policy_rules_override_the_default_confidence_thresholds() -> None:
    lenient = ConfidenceRules(high_groups=1, high_strong_groups=1, high_classes=1)

    confidence, _ = analytic_confidence([group("g1", "A1", TRADE)], ROBUST, lenient)

    assert confidence is AnalyticConfidence.HIGH


def test_fuse_reaches_high_confidence_on_a_broad_well_graded_base() -> None:
    hyps = [actor_hypothesis(X), actor_hypothesis(Y), Hypothesis.unknown()]
    evidence = [
        item("E1", {X: 0.9}, grade="A1", evidence_class=TRADE),
        item("E2", {X: 0.9}, grade="B2", evidence_class=INFRA),
        item("E3", {X: 0.9}, grade="B1", evidence_class=MAL),
        item("E4", {X: 0.7}, grade="C3", evidence_class=TRADE),
    ]

    result = fuse(hyps, evidence, CAST)

    assert result.confidence is AnalyticConfidence.HIGH
    assert result.sensitivity.lead_survives


def test_fuse_counts_a_group_of_echoes_as_one_group_for_confidence() -> None:
    hyps = [actor_hypothesis(X), actor_hypothesis(Y), Hypothesis.unknown()]
    evidence = [
        item(f"E{i}", {X: 0.9}, grade="A1", group="one-source", evidence_class=c)
        for i, c in enumerate([TRADE, INFRA, MAL, TRADE])
    ]

    result = fuse(hyps, evidence, CAST)

    assert len(result.groups) == 1
    assert result.groups[0].classes == {TRADE, INFRA, MAL}
    assert result.confidence is AnalyticConfidence.LOW


# --- layers ------------------------------------------------------------------------------


def test_layers_add_up_actors_of_the_same_state() -> None:
    cast = actors(("ash", "STATE-A"), ("birch", "STATE-A"), ("cedar", "STATE-C"))
    hyps = [actor_hypothesis(a) for a in ("ash", "birch", "cedar")] + [Hypothesis.unknown()]
    evidence = [item("E1", {"ash": 0.5, "birch": 0.45, "cedar": 0.6}, grade="A1")]

    result = fuse(hyps, evidence, cast)
    p = probabilities(hyps, np.array(result.posterior))

    actor_layer, state_layer = result.layer(Layer.NAMED_ACTOR), result.layer(Layer.STATE)
    assert actor_layer.lead == "cedar"
    assert state_layer.lead == "STATE-A"
    assert state_layer.probability == pytest.approx(p["H-ash"] + p["H-birch"])
    assert state_layer.term is LikelihoodTerm.for_probability(state_layer.probability)


def test_activity_cluster_layer_reads_each_actors_cluster() -> None:
    hyps = [actor_hypothesis(X), Hypothesis.unknown()]
    evidence = [item("E1", {X: 0.9}, grade="A1", cost=CostToFake.HIGH)]

    cluster = fuse(hyps, evidence, CAST).layer(Layer.ACTIVITY_CLUSTER)

    assert cluster.lead == f"cluster-{X}"


def test_a_false_flag_counts_for_the_framer_at_every_layer() -> None:
    hyps = [false_flag(X, Y), Hypothesis.unknown(prior=0.5)]

    layers = {j.layer: j.lead for j in fuse(hyps, [], CAST).layers}

    assert layers == {
        Layer.ACTIVITY_CLUSTER: f"cluster-{X}",
        Layer.NAMED_ACTOR: X,
        Layer.STATE: "STATE-X",
    }


def test_unknown_other_is_unattributed_and_an_actor_without_sponsor_is_non_state() -> None:
    cast = actors(("loner", None))
    hyps = [actor_hypothesis("loner"), Hypothesis.unknown()]

    result = fuse(hyps, [item("E1", {"loner": 0.2, OTHER: 0.9}, grade="A1")], cast)

    assert result.layer(Layer.NAMED_ACTOR).lead == UNATTRIBUTED
    assert dict(result.layer(Layer.STATE).distribution).keys() == {UNATTRIBUTED, "non-state"}


def test_an_actor_missing_from_the_knowledge_base_is_unattributed_above_the_named_layer() -> None:
    hyps = [Hypothesis("H-ghost", HypothesisKind.ACTOR, "ghost", "ghost"), Hypothesis.unknown(0.1)]

    result = fuse(hyps, [], {})

    assert result.layer(Layer.NAMED_ACTOR).lead == "ghost"
    assert result.layer(Layer.STATE).lead == UNATTRIBUTED


# --- ACH ---------------------------------------------------------------------------------


def test_ach_rates_each_cell_in_heuers_terms() -> None:
    hyps = [actor_hypothesis(X), actor_hypothesis(Y), Hypothesis.unknown()]
    evidence = [
        # logs -0.11, -2.30, -2.30 around a mean of -1.57: +1.47 CC, -0.73 I, -0.73 I
        item("E1", {X: 0.9, Y: 0.1, OTHER: 0.1}, grade="A1", cost=CostToFake.HIGH),
        # logs -0.69, -1.20, -4.61 around -2.17: +1.47 CC, +0.96 C, -2.44 II
        item("E2", {X: 0.5, Y: 0.3, OTHER: 0.01}, grade="A1", cost=CostToFake.HIGH),
        # equal likelihoods: neutral everywhere
        item("E3", {X: 0.4, Y: 0.4, OTHER: 0.4}, grade="A1", cost=CostToFake.HIGH),
    ]

    ach = fuse(hyps, evidence, CAST).ach

    ratings = {eid: [c.rating for c in cells] for eid, cells in ach}
    assert ratings == {"E1": ["CC", "I", "I"], "E2": ["CC", "C", "II"], "E3": ["N", "N", "N"]}


def test_ach_scores_are_tempered_by_the_items_weight() -> None:
    hyps = [actor_hypothesis(X), actor_hypothesis(Y), Hypothesis.unknown()]
    strong = item("E1", {X: 0.9, Y: 0.1, OTHER: 0.1}, grade="A1", cost=CostToFake.HIGH)
    weak = item("E1", {X: 0.9, Y: 0.1, OTHER: 0.1}, grade="E5", cost=CostToFake.LOW)

    strong_cells = fuse(hyps, [strong], CAST).ach[0][1]
    weak_cells = fuse(hyps, [weak], CAST).ach[0][1]

    assert [c.score * weak.weight for c in strong_cells] == pytest.approx(
        [c.score for c in weak_cells]
    )
    assert [c.rating for c in weak_cells] == ["N", "N", "N"]


def test_ach_is_empty_without_evidence() -> None:
    assert fuse(FRAMING, [], CAST).ach == ()


def test_a_group_counts_as_strong_when_any_of_its_reports_meets_the_grade() -> None:
    mixed = GroupSummary(
        "g1",
        ("E1", "E2"),
        AdmiraltyGrade.parse("A6"),  # the heaviest report, yet not "C3 or better"
        frozenset({TRADE}),
        0.5,
        (0.0,),
        grades=(AdmiraltyGrade.parse("A6"), AdmiraltyGrade.parse("C3")),
    )
    rules = ConfidenceRules(moderate_groups=1, moderate_classes=1, strong_grade="C3")

    confidence, reasons = analytic_confidence([mixed], ROBUST, rules)

    assert confidence is AnalyticConfidence.MODERATE
    assert reasons[0].startswith("1 independent evidence group(s), 1 graded C3 or better")
