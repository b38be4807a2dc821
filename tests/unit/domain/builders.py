"""Small builders for domain objects, so each test states only what it is about."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from watchfloor.domain.evidence import CostToFake, EvidenceClass, EvidenceItem
from watchfloor.domain.grading import AdmiraltyGrade
from watchfloor.domain.hypotheses import Actor, Hypothesis, HypothesisKind
from watchfloor.domain.markings import Marking

T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)


def item(
    item_id: str,
    likelihoods: Mapping[str, float],
    *,
    grade: str = "B2",
    group: str | None = None,
    cost: CostToFake = CostToFake.MEDIUM,
    evidence_class: EvidenceClass = EvidenceClass.TRADECRAFT,
    baseline: float = 0.1,
    marking: Marking | None = None,
) -> EvidenceItem:
    return EvidenceItem(
        id=item_id,
        title=f"report {item_id}",
        source=f"source of {item_id}",
        grade=AdmiraltyGrade.parse(grade),
        evidence_class=evidence_class,
        likelihoods=dict(likelihoods),
        marking=marking or Marking(),
        baseline=baseline,
        dependence_group=group,
        cost_to_fake=cost,
    )


def actor_hypothesis(actor_id: str, prior: float = 1.0) -> Hypothesis:
    return Hypothesis(
        f"H-{actor_id}", HypothesisKind.ACTOR, f"{actor_id} did it", actor_id, prior=prior
    )


def false_flag(by: str, framed: str, prior: float = 1.0) -> Hypothesis:
    return Hypothesis(
        f"H-{by}-framing-{framed}",
        HypothesisKind.FALSE_FLAG,
        f"{by} framing {framed}",
        actor=by,
        framed=framed,
        prior=prior,
    )


def actors(*specs: tuple[str, str | None]) -> dict[str, Actor]:
    """Actors from (id, sponsor) pairs; each sits in its own cluster named after it."""
    return {a: Actor(a, a.title(), sponsor=s, cluster=f"cluster-{a}") for a, s in specs}
