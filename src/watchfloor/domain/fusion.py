"""Attribution fusion: competing hypotheses updated by graded, grouped evidence.

The maths (full derivation in `docs/attribution-maths.md`):

    log P(h | E) = log P(h) + sum_g w_g * l_{g,h} - log Z

- For item i and hypothesis h, L_{i,h} = P(E_i | h). Actor hypotheses read the
  item's likelihood for their actor; "unknown / other" reads its `other`
  likelihood (or the baseline); "X framing Y" reads Y's likelihood for cheap
  evidence (what a framer plants), X's for expensive evidence (what a framer
  leaves despite himself), and their geometric mean in between.
- Items sharing a dependence group (same original source, circular reporting)
  are one observation: l_{g,h} = sum_i (w_i / sum_j w_j) log L_{i,h}, a
  weighted mean over the group's distinct reports (identical likelihood rows
  count once, at their best weight), so a second copy changes nothing.
- w_i = grade weight x cost-to-fake weight in [0, 1] tempers the likelihood
  (L^w): weak or cheap evidence moves beliefs less. A group weighs
  w_g = max_i w_i. The move away from the prior, measured as KL divergence, grows
  monotonically with w (d KL / d w = w Var_p[log L] >= 0).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
import numpy.typing as npt

from watchfloor.domain.confidence import AnalyticConfidence, LikelihoodTerm
from watchfloor.domain.errors import DomainError
from watchfloor.domain.evidence import OTHER, CostToFake, EvidenceClass, EvidenceItem
from watchfloor.domain.grading import AdmiraltyGrade
from watchfloor.domain.hypotheses import Actor, Hypothesis, HypothesisKind, Layer

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class GroupSummary:
    """One independent evidence group: its members, best grade and classes."""

    group: str
    items: tuple[str, ...]
    best_grade: AdmiraltyGrade
    classes: frozenset[EvidenceClass]
    weight: float
    support: tuple[float, ...]  # contribution to each hypothesis, relative to their mean
    grades: tuple[AdmiraltyGrade, ...] = ()  # every member's grade (best_grade alone if empty)

    def graded_at_least(self, floor: AdmiraltyGrade) -> bool:
        """True when any report of the group is graded `floor` or better. Not the same as
        asking `best_grade`, the heaviest: A6 outweighs C3 but is not "C3 or better"."""
        return any(g.at_least(floor) for g in self.grades or (self.best_grade,))

    def supports(self, hypothesis_indices: Sequence[int], margin: float = 0.05) -> bool:
        """True when this group favours any of the given hypotheses over the average one."""
        return any(self.support[i] > margin for i in hypothesis_indices)


@dataclass(frozen=True)
class Sensitivity:
    """Which single evidence group, removed, moves the lead most, and does the lead hold."""

    most_influential_group: str | None
    lead_posterior_without: float | None
    lead_without: str | None
    lead_survives: bool
    shifts: tuple[tuple[str, float, str], ...]  # (group, lead posterior change, lead without)


@dataclass(frozen=True)
class AchCell:
    score: float  # tempered log-likelihood relative to the item's mean over hypotheses
    rating: str  # CC, C, N, I, II (Heuer's consistency ratings)


@dataclass(frozen=True)
class LayerJudgement:
    layer: Layer
    lead: str
    probability: float
    term: LikelihoodTerm
    distribution: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class ConfidenceRules:
    """What analytic confidence asks of the evidence base (policy can override)."""

    high_groups: int = 4
    high_strong_groups: int = 3
    high_classes: int = 3
    moderate_groups: int = 2
    moderate_strong_groups: int = 1
    moderate_classes: int = 2
    strong_grade: str = "B2"


@dataclass(frozen=True)
class FusionResult:
    hypotheses: tuple[Hypothesis, ...]
    posterior: tuple[float, ...]
    lead: Hypothesis
    groups: tuple[GroupSummary, ...]
    sensitivity: Sensitivity
    confidence: AnalyticConfidence
    confidence_reasons: tuple[str, ...]
    layers: tuple[LayerJudgement, ...]
    evidence_ids: tuple[str, ...] = ()
    ach_scores: FloatArray | None = field(default=None, repr=False, compare=False)

    @cached_property
    def ach(self) -> tuple[tuple[str, tuple[AchCell, ...]], ...]:
        """The ACH matrix: per evidence item, one rated cell per hypothesis (built on demand)."""
        if self.ach_scores is None:
            return ()
        return tuple(
            (eid, tuple(AchCell(float(x), _rating(float(x))) for x in row))
            for eid, row in zip(self.evidence_ids, self.ach_scores, strict=True)
        )

    def probability(self, hypothesis_id: str) -> float:
        for h, p in zip(self.hypotheses, self.posterior, strict=True):
            if h.id == hypothesis_id:
                return p
        raise DomainError(f"no hypothesis {hypothesis_id!r} in this assessment")

    def term(self, hypothesis_id: str) -> LikelihoodTerm:
        return LikelihoodTerm.for_probability(self.probability(hypothesis_id))

    @property
    def lead_probability(self) -> float:
        return self.probability(self.lead.id)

    def layer(self, layer: Layer) -> LayerJudgement:
        for j in self.layers:
            if j.layer is layer:
                return j
        raise DomainError(f"no judgement for layer {layer.value}")


def likelihood_matrix(
    hypotheses: Sequence[Hypothesis], evidence: Sequence[EvidenceItem]
) -> FloatArray:
    """L[i, h] = P(E_i | h), with false-flag and unknown hypotheses derived as documented.

    Built column-wise: one column per actor named by a hypothesis (and `other`),
    filled with each item's baseline and overwritten where the item speaks to
    that actor; hypotheses then select or combine columns.
    """
    names: dict[str, int] = {OTHER: 0}
    for h in hypotheses:
        for ref in (h.actor, h.framed):
            if ref is not None:
                names.setdefault(ref, len(names))
    n = len(evidence)
    base = np.fromiter((e.baseline for e in evidence), dtype=np.float64, count=n)
    cols = np.repeat(base[:, None], len(names), axis=1)
    for i, item in enumerate(evidence):
        for key, p in item.likelihoods.items():
            j = names.get(key)
            if j is not None:
                cols[i, j] = p
    cost = np.fromiter((e.cost_to_fake.weight for e in evidence), dtype=np.float64, count=n)
    out = np.empty((n, len(hypotheses)), dtype=np.float64)
    for j, h in enumerate(hypotheses):
        if h.kind is HypothesisKind.UNKNOWN:
            out[:, j] = cols[:, 0]
        elif h.kind is HypothesisKind.ACTOR:
            assert h.actor is not None
            out[:, j] = cols[:, names[h.actor]]
        else:
            assert h.actor is not None and h.framed is not None
            by, framed = cols[:, names[h.actor]], cols[:, names[h.framed]]
            out[:, j] = np.where(
                cost == CostToFake.LOW.weight,
                framed,
                np.where(cost == CostToFake.HIGH.weight, by, np.sqrt(by * framed)),
            )
    return out


def _softmax_rows(logits: FloatArray) -> FloatArray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    e = np.exp(shifted)
    out: FloatArray = e / e.sum(axis=-1, keepdims=True)
    return out


def group_contributions(
    hypotheses: Sequence[Hypothesis],
    evidence: Sequence[EvidenceItem],
    logl: FloatArray | None = None,
) -> tuple[list[str], FloatArray]:
    """Per dependence group, its contribution w_g * l_{g,h} to each hypothesis' log posterior."""
    groups: dict[str, int] = {}
    gidx = np.empty(len(evidence), dtype=np.int64)
    for i, item in enumerate(evidence):
        gidx[i] = groups.setdefault(item.group, len(groups))
    w = np.array([item.weight for item in evidence], dtype=np.float64)
    if logl is None:
        logl = np.log(likelihood_matrix(hypotheses, evidence))
    g = len(groups)
    wmax = np.zeros(g)
    np.maximum.at(wmax, gidx, w)
    # A report repeated inside its group (circular reporting, relays at any grade) is one
    # report: each distinct likelihood row of a group enters the mean once, at its best
    # weight, so further copies change nothing even when the group holds other reports.
    row = _distinct_rows(gidx, logl)
    u = int(row.max()) + 1 if len(row) else 0
    ugroup = np.empty(u, dtype=np.int64)
    ugroup[row] = gidx
    ulogl = np.empty((u, len(hypotheses)))
    ulogl[row] = logl
    uw = np.zeros(u)
    np.maximum.at(uw, row, w)
    wsum = np.zeros(g)
    np.add.at(wsum, ugroup, uw)
    weighted = np.zeros((g, len(hypotheses)))
    np.add.at(weighted, ugroup, ulogl * uw[:, None])
    safe = np.where(wsum > 0, wsum, 1.0)
    mean_logl = weighted / safe[:, None]
    contrib: FloatArray = mean_logl * wmax[:, None]
    return list(groups), contrib


def _distinct_rows(gidx: npt.NDArray[np.int64], logl: FloatArray) -> npt.NDArray[np.int64]:
    """For each item, the index of its distinct (group, likelihood row) pair."""
    # Sort on the group and a projection of the row, so equal rows sit side by side, then
    # compare neighbours exactly: two sort keys instead of one per hypothesis.
    probe = logl @ np.sin(np.arange(1.0, logl.shape[1] + 1.0))
    order = np.lexsort((probe, gidx))
    rows, groups = logl[order], gidx[order]
    new = np.ones(len(order), dtype=bool)
    new[1:] = (groups[1:] != groups[:-1]) | np.any(rows[1:] != rows[:-1], axis=1)
    out = np.empty(len(order), dtype=np.int64)
    out[order] = np.cumsum(new) - 1
    return out


def posterior(hypotheses: Sequence[Hypothesis], evidence: Sequence[EvidenceItem]) -> FloatArray:
    """The posterior over `hypotheses` (sums to one)."""
    _check(hypotheses)
    prior = np.log(np.array([h.prior for h in hypotheses], dtype=np.float64))
    if not evidence:
        return _softmax_rows(prior)
    _, contrib = group_contributions(hypotheses, evidence)
    return _softmax_rows(prior + contrib.sum(axis=0))


def _check(hypotheses: Sequence[Hypothesis]) -> None:
    if not hypotheses:
        raise DomainError("an assessment needs at least one hypothesis")
    ids = [h.id for h in hypotheses]
    if len(set(ids)) != len(ids):
        raise DomainError("hypothesis ids must be unique")
    if not any(h.kind is HypothesisKind.UNKNOWN for h in hypotheses):
        raise DomainError('the hypotheses must include "unknown / other actor"')


def fuse(
    hypotheses: Sequence[Hypothesis],
    evidence: Sequence[EvidenceItem],
    actors: dict[str, Actor],
    rules: ConfidenceRules | None = None,
) -> FusionResult:
    """Assess the case: posterior, lead, sensitivity, confidence, layers and the ACH matrix."""
    _check(hypotheses)
    rules = rules or ConfidenceRules()
    hyps = tuple(hypotheses)
    prior = np.log(np.array([h.prior for h in hyps], dtype=np.float64))
    logl = np.log(likelihood_matrix(hyps, evidence)) if evidence else None
    if evidence:
        group_ids, contrib = group_contributions(hyps, evidence, logl)
    else:
        group_ids, contrib = [], np.zeros((0, len(hyps)))
    total = prior + contrib.sum(axis=0)
    post = _softmax_rows(total)
    lead_idx = int(np.argmax(post))
    sensitivity = _sensitivity(hyps, group_ids, contrib, total, lead_idx)
    summaries = _group_summaries(evidence, group_ids, contrib)
    confidence, reasons = analytic_confidence(summaries, sensitivity, rules)
    return FusionResult(
        hypotheses=hyps,
        posterior=tuple(float(p) for p in post),
        lead=hyps[lead_idx],
        groups=tuple(summaries),
        sensitivity=sensitivity,
        confidence=confidence,
        confidence_reasons=tuple(reasons),
        layers=tuple(_layers(hyps, post, actors)),
        evidence_ids=tuple(e.id for e in evidence),
        ach_scores=_ach_scores(evidence, logl),
    )


def _sensitivity(
    hyps: Sequence[Hypothesis],
    group_ids: list[str],
    contrib: FloatArray,
    total: FloatArray,
    lead_idx: int,
) -> Sensitivity:
    if not group_ids:
        return Sensitivity(None, None, None, True, ())
    without = _softmax_rows(total[None, :] - contrib)  # row g: posterior without group g
    lead_p = _softmax_rows(total)[lead_idx]
    shifts = lead_p - without[:, lead_idx]
    leads = np.argmax(without, axis=1)
    order = np.argsort(-np.abs(shifts), kind="stable")
    top = int(order[0])
    return Sensitivity(
        most_influential_group=group_ids[top],
        lead_posterior_without=float(without[top, lead_idx]),
        lead_without=hyps[int(leads[top])].id,
        lead_survives=bool(np.all(leads == lead_idx)),
        shifts=tuple(
            (group_ids[int(g)], float(shifts[int(g)]), hyps[int(leads[int(g)])].id) for g in order
        ),
    )


def _group_summaries(
    evidence: Sequence[EvidenceItem], group_ids: list[str], contrib: FloatArray
) -> list[GroupSummary]:
    members: dict[str, list[EvidenceItem]] = {g: [] for g in group_ids}
    for item in evidence:
        members[item.group].append(item)
    relative = contrib - contrib.mean(axis=1, keepdims=True) if len(group_ids) else contrib
    out = []
    for gi, g in enumerate(group_ids):
        items = members[g]
        best = max(items, key=lambda it: it.grade.weight).grade
        out.append(
            GroupSummary(
                group=g,
                items=tuple(it.id for it in items),
                best_grade=best,
                classes=frozenset(it.evidence_class for it in items),
                weight=max(it.weight for it in items),
                support=tuple(float(x) for x in relative[gi]),
                grades=tuple(it.grade for it in items),
            )
        )
    return out


def analytic_confidence(
    groups: Sequence[GroupSummary], sensitivity: Sensitivity, rules: ConfidenceRules
) -> tuple[AnalyticConfidence, list[str]]:
    """Confidence in the basis of the judgement, with the reasons that set it.

    High needs many independent, well-graded groups across several classes and
    a lead that survives the removal of any one group; moderate needs fewer;
    anything less is low. A lead that does not survive caps confidence at low
    when few groups support it, and at moderate otherwise.
    """
    floor = AdmiraltyGrade.parse(rules.strong_grade)
    n = len(groups)
    strong = sum(1 for g in groups if g.graded_at_least(floor))
    classes = len(frozenset().union(*(g.classes for g in groups))) if groups else 0
    facts = (
        f"{n} independent evidence group(s), {strong} graded {rules.strong_grade} or better, "
        f"across {classes} evidence class(es)"
    )
    reasons = [facts]
    if not sensitivity.lead_survives:
        reasons.append(
            f"the lead depends on a single evidence group ({sensitivity.most_influential_group})"
        )
    else:
        reasons.append("the lead survives the removal of any single evidence group")
    high = (
        n >= rules.high_groups
        and strong >= rules.high_strong_groups
        and classes >= rules.high_classes
        and sensitivity.lead_survives
    )
    moderate = (
        n >= rules.moderate_groups
        and strong >= rules.moderate_strong_groups
        and classes >= rules.moderate_classes
    )
    if high:
        return AnalyticConfidence.HIGH, reasons
    if moderate and (sensitivity.lead_survives or n >= rules.high_groups):
        if not high:
            reasons.append(
                f"high confidence needs {rules.high_groups} groups, {rules.high_strong_groups} "
                f"graded {rules.strong_grade} or better, {rules.high_classes} classes "
                "and a robust lead"
            )
        return AnalyticConfidence.MODERATE, reasons
    reasons.append(
        f"moderate confidence needs {rules.moderate_groups} groups, "
        f"{rules.moderate_strong_groups} graded {rules.strong_grade} or better, "
        f"{rules.moderate_classes} classes and a robust lead"
    )
    return AnalyticConfidence.LOW, reasons


def _layers(
    hyps: Sequence[Hypothesis], post: FloatArray, actors: dict[str, Actor]
) -> list[LayerJudgement]:
    out = []
    for layer in Layer:
        dist: dict[str, float] = {}
        for h, p in zip(hyps, post, strict=True):
            key = h.responsible(actors, layer)
            dist[key] = dist.get(key, 0.0) + float(p)
        ranked = sorted(dist.items(), key=lambda kv: (-kv[1], kv[0]))
        lead, p = ranked[0]
        out.append(
            LayerJudgement(
                layer, lead, p, LikelihoodTerm.for_probability(min(p, 1.0)), tuple(ranked)
            )
        )
    return out


def _ach_scores(evidence: Sequence[EvidenceItem], logl: FloatArray | None) -> FloatArray | None:
    if logl is None:
        return None
    w = np.fromiter((e.weight for e in evidence), dtype=np.float64, count=len(evidence))
    scores: FloatArray = (logl - logl.mean(axis=1, keepdims=True)) * w[:, None]
    return scores


def _rating(score: float) -> str:
    if score >= 1.0:
        return "CC"
    if score >= 0.3:
        return "C"
    if score > -0.3:
        return "N"
    if score > -1.0:
        return "I"
    return "II"
