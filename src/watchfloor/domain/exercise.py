"""Exercises: the ground truth a director plants, and the after-action score against it.

Definitions (also in `docs/outputs.md`):

- **Truth at a layer.** At the named-actor layer the truth is the true actor when
  some hypothesis holds that actor responsible, else (or when the truth names no
  actor) "unattributed" (the best
  the cell could say was "unknown / other"). At the state layer it is the true
  state (given, or the true actor's sponsor, "non-state" when it has none),
  likewise "unattributed" when no hypothesis leads there. Not scored when neither
  the state nor the actor's sponsor is known.
- **Lead right.** The layer's stated lead (`FusionResult.layer`) equals the truth.
- **Calibration** of the stated likelihood, at the named-actor layer, with p the
  probability of the stated lead and o = 1 if the lead is right, else 0:
  Brier score (p - o)^2 (0 is perfect, 1 the worst) and log score
  -ln(p) if right, -ln(1 - p) if wrong (nats; 0 is perfect), p clipped to
  [1e-9, 1 - 1e-9]. The multi-category Brier score sums (p_k - o_k)^2 over
  every candidate of the layer.
- **Believed.** A planted item was believed when, as the fusion weighed it, it
  lowered the odds of the truth at the named-actor layer by more than `margin`
  nats of log-odds (default 0.25, odds down by over a fifth):
  drop = logit P(truth | evidence without the item) - logit P(truth | all evidence)
  > margin, logit p = ln(p / (1 - p)). Log-odds, not probability, because a
  posterior near 0 or 1 barely moves in probability when one of several
  redundant items goes, though each was believed. An item the fusion
  discounted (for instance because a false-flag hypothesis explains it) raises
  the truth's odds, or leaves them, and is not believed.
- **Deceived.** The named-actor lead is wrong and at least one planted item was believed.
- **Clock.** Time to decision = decided - detected; margin = deadline - decided
  (deadline - now while undecided); each milestone's offset from detection.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from watchfloor.domain.assessment import CaseAssessment
from watchfloor.domain.case import Case
from watchfloor.domain.clock import ClockStatus, Milestone
from watchfloor.domain.errors import DomainError
from watchfloor.domain.fusion import posterior
from watchfloor.domain.hypotheses import UNATTRIBUTED, Actor, Hypothesis, Layer

NON_STATE = "non-state"
#: Default margin for "believed", in nats of log-odds of the truth (odds down by over 22 %).
BELIEF_MARGIN = 0.25
_EPS = 1e-9


@dataclass(frozen=True)
class GroundTruth:
    """What really happened in an exercise, known to the director only."""

    actor: str | None  # id of the true actor; None: an actor outside every hypothesis
    state: str | None = None  # the true state; default: the true actor's sponsor
    planted: frozenset[str] = frozenset()  # ids of the evidence items planted as deception
    expected_tier: str | None = None  # the tier the director expects the case to reach

    def __post_init__(self) -> None:
        if self.actor is not None and not self.actor.strip():
            raise DomainError("ground truth: the true actor's id is empty (use None for unknown)")
        # Accept any collection of ids (a scenario file gives a list).
        object.__setattr__(self, "planted", frozenset(self.planted))


@dataclass(frozen=True)
class LayerScore:
    layer: Layer
    stated: str  # the layer's lead
    probability: float  # of the stated lead
    truth: str
    truth_probability: float
    right: bool


@dataclass(frozen=True)
class PlantedScore:
    evidence_id: str
    in_case: bool
    believed: bool
    log_odds_drop: float  # logit P(truth) without the item minus with it, named-actor layer
    probability_drop: float  # the same drop in probability
    pushed_toward: str | None  # the candidate the item raised most, if it raised any
    group_favoured_lead: bool  # its dependence group favours the final named-actor lead


@dataclass(frozen=True)
class MilestoneOffset:
    milestone: Milestone
    at: datetime | None
    from_detection: timedelta | None


@dataclass(frozen=True)
class ClockRecord:
    detected: datetime
    deadline: datetime
    decided: datetime | None
    time_to_decision: timedelta | None
    margin: timedelta  # deadline minus decision (minus now while undecided)
    met_deadline: bool | None  # None while undecided and the deadline has not passed
    milestones: tuple[MilestoneOffset, ...]


@dataclass(frozen=True)
class AfterActionScore:
    truth: GroundTruth
    named_actor: LayerScore
    state: LayerScore | None
    brier: float
    log_score: float
    brier_multiclass: float
    planted: tuple[PlantedScore, ...]
    tier_expected: str | None
    tier_assessed: str
    tier_right: bool | None
    clock: ClockRecord
    margin: float

    @property
    def lead_right(self) -> bool:
        return self.named_actor.right

    @property
    def believed(self) -> tuple[str, ...]:
        return tuple(p.evidence_id for p in self.planted if p.believed)

    @property
    def deceived(self) -> bool:
        return not self.lead_right and bool(self.believed)


def clock_record(clock: ClockStatus) -> ClockRecord:
    """The clock against its deadline, each milestone as an offset from detection."""
    decided = dict(clock.milestones).get(Milestone.DECIDED)
    if decided is not None:
        met: bool | None = decided <= clock.deadline
    else:
        met = False if clock.now > clock.deadline else None
    return ClockRecord(
        detected=clock.detected,
        deadline=clock.deadline,
        decided=decided,
        time_to_decision=(decided - clock.detected) if decided is not None else None,
        margin=clock.deadline - (decided or clock.now),
        met_deadline=met,
        milestones=tuple(
            MilestoneOffset(m, at, (at - clock.detected) if at is not None else None)
            for m, at in clock.milestones
        ),
    )


def brier_score(probability: float, right: bool) -> float:
    return (probability - (1.0 if right else 0.0)) ** 2


def logit(p: float) -> float:
    """ln(p / (1 - p)), p clipped to [1e-9, 1 - 1e-9]."""
    p = min(max(p, _EPS), 1.0 - _EPS)
    return math.log(p / (1.0 - p))


def log_score(probability: float, right: bool) -> float:
    p = min(max(probability, _EPS), 1.0 - _EPS)
    return -math.log(p if right else 1.0 - p)


def score_exercise(
    case: Case,
    assessment: CaseAssessment,
    truth: GroundTruth,
    *,
    margin: float = BELIEF_MARGIN,
) -> AfterActionScore:
    """Score the cell's judgements against the ground truth (definitions in the module doc)."""
    if not (margin >= 0.0 and math.isfinite(margin)):
        raise DomainError(f"belief margin must be a finite number of nats >= 0, got {margin!r}")
    fusion = assessment.fusion
    actor_layer = _layer_score(assessment, Layer.NAMED_ACTOR, truth.actor or UNATTRIBUTED)
    state_truth = truth.state or (_sponsor(truth.actor, case.actors) if truth.actor else None)
    state_layer = (
        _layer_score(assessment, Layer.STATE, state_truth) if state_truth is not None else None
    )
    judgement = fusion.layer(Layer.NAMED_ACTOR)
    dist = dict(judgement.distribution)
    multiclass = sum(
        (p - (1.0 if k == actor_layer.truth else 0.0)) ** 2 for k, p in dist.items()
    ) + (0.0 if actor_layer.truth in dist else 1.0)
    planted = tuple(
        _planted(case, assessment, eid, actor_layer.truth, margin) for eid in sorted(truth.planted)
    )
    tier = assessment.thresholds.tier.id
    return AfterActionScore(
        truth=truth,
        named_actor=actor_layer,
        state=state_layer,
        brier=brier_score(actor_layer.probability, actor_layer.right),
        log_score=log_score(actor_layer.probability, actor_layer.right),
        brier_multiclass=multiclass,
        planted=planted,
        tier_expected=truth.expected_tier,
        tier_assessed=tier,
        tier_right=None if truth.expected_tier is None else truth.expected_tier == tier,
        clock=clock_record(assessment.clock),
        margin=margin,
    )


def _sponsor(actor_id: str, actors: dict[str, Actor]) -> str | None:
    actor = actors.get(actor_id)
    if actor is None:
        return None
    return actor.sponsor or NON_STATE


def _layer_score(assessment: CaseAssessment, layer: Layer, true_value: str) -> LayerScore:
    judgement = assessment.fusion.layer(layer)
    dist = dict(judgement.distribution)
    truth = true_value if true_value in dist else UNATTRIBUTED
    return LayerScore(
        layer=layer,
        stated=judgement.lead,
        probability=judgement.probability,
        truth=truth,
        truth_probability=dist.get(truth, 0.0),
        right=judgement.lead == truth,
    )


def _by_layer(
    hypotheses: Sequence[Hypothesis], post: Sequence[float], actors: dict[str, Actor]
) -> dict[str, float]:
    out: dict[str, float] = {}
    for h, p in zip(hypotheses, post, strict=True):
        key = h.responsible(actors, Layer.NAMED_ACTOR)
        out[key] = out.get(key, 0.0) + float(p)
    return out


def _planted(
    case: Case, assessment: CaseAssessment, evidence_id: str, truth: str, margin: float
) -> PlantedScore:
    fusion = assessment.fusion
    item = next((e for e in case.evidence if e.id == evidence_id), None)
    if item is None:
        return PlantedScore(evidence_id, False, False, 0.0, 0.0, None, False)
    hyps = fusion.hypotheses
    with_item = _by_layer(hyps, fusion.posterior, case.actors)
    rest = [e for e in case.evidence if e.id != evidence_id]
    without = _by_layer(hyps, [float(p) for p in posterior(hyps, rest)], case.actors)
    p_with, p_without = with_item.get(truth, 0.0), without.get(truth, 0.0)
    drop = logit(p_without) - logit(p_with)
    raised = {k: with_item[k] - without.get(k, 0.0) for k in with_item}
    top = max(sorted(raised), key=lambda k: raised[k])
    lead = fusion.layer(Layer.NAMED_ACTOR).lead
    lead_indices = [
        i for i, h in enumerate(hyps) if h.responsible(case.actors, Layer.NAMED_ACTOR) == lead
    ]
    group = next((g for g in fusion.groups if g.group == item.group), None)
    return PlantedScore(
        evidence_id=evidence_id,
        in_case=True,
        believed=drop > margin,
        log_odds_drop=drop,
        probability_drop=p_without - p_with,
        pushed_toward=top if raised[top] > 0 else None,
        group_favoured_lead=group is not None and group.supports(lead_indices),
    )
