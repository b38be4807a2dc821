"""Collective-defence thresholds: four criteria scored and mapped to tiers.

The criteria (scale of disruption, cross-border effects, impact on critical
services, intent to coerce) each read one measure of the incident, an estimate
with a low-best-high range, and score it against the policy's bands. Tiers are
ordered; a case sits in the highest tier whose conditions hold. The range of
each estimate gives the range of tiers (the uncertainty), and the gap to the
next tier is spelled out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from watchfloor.domain.errors import DomainError


@dataclass(frozen=True)
class Estimate:
    """A measured or assessed quantity with its uncertainty range."""

    best: float
    low: float
    high: float

    def __post_init__(self) -> None:
        if not self.low <= self.best <= self.high:
            raise DomainError(f"estimate must satisfy low <= best <= high, got {self}")

    @staticmethod
    def exact(value: float) -> Estimate:
        return Estimate(value, value, value)


@dataclass(frozen=True)
class Criterion:
    """One criterion: the measure it reads and its bands (threshold -> score), ascending."""

    id: str
    label: str
    measure: str
    bands: tuple[tuple[float, int], ...]
    unit: str = ""

    def score(self, value: float) -> int:
        result = 0
        for threshold, score in self.bands:
            if value >= threshold:
                result = score
        return result

    def threshold_for(self, score: int) -> float | None:
        for threshold, s in self.bands:
            if s >= score:
                return threshold
        return None


@dataclass(frozen=True)
class Tier:
    id: str
    label: str
    min_total: int
    min_scores: Mapping[str, int]
    decision_deadline_hours: float
    description: str = ""


@dataclass(frozen=True)
class ThresholdPolicy:
    version: str
    criteria: tuple[Criterion, ...]
    tiers: tuple[Tier, ...]  # lowest first; the first has no conditions
    critical_sectors: frozenset[str] = frozenset()

    def tier(self, tier_id: str) -> Tier:
        for t in self.tiers:
            if t.id == tier_id:
                return t
        raise DomainError(f"no tier {tier_id!r} in threshold policy {self.version}")

    def rank(self, tier_id: str) -> int:
        return [t.id for t in self.tiers].index(self.tier(tier_id).id)


@dataclass(frozen=True)
class CriterionScore:
    criterion: Criterion
    estimate: Estimate | None
    score: int
    score_low: int
    score_high: int
    reason: str


@dataclass(frozen=True)
class ThresholdAssessment:
    policy_version: str
    tier: Tier
    tier_low: Tier
    tier_high: Tier
    scores: tuple[CriterionScore, ...]
    total: int
    reasons: tuple[str, ...]
    next_tier: Tier | None
    to_next_tier: tuple[str, ...]

    @property
    def uncertain(self) -> bool:
        return self.tier_low.id != self.tier_high.id


def _tier_for(policy: ThresholdPolicy, scores: Mapping[str, int]) -> Tier:
    total = sum(scores.values())
    chosen = policy.tiers[0]
    for tier in policy.tiers:
        if total >= tier.min_total and all(
            scores.get(c, 0) >= s for c, s in tier.min_scores.items()
        ):
            chosen = tier
    return chosen


def assess_thresholds(
    policy: ThresholdPolicy, measures: Mapping[str, Estimate]
) -> ThresholdAssessment:
    """Score every criterion, map to a tier, with the uncertainty and the gap to the next tier."""
    scored: list[CriterionScore] = []
    for c in policy.criteria:
        est = measures.get(c.measure)
        if est is None:
            scored.append(CriterionScore(c, None, 0, 0, 0, f"{c.label}: no {c.measure} recorded"))
            continue
        s, lo, hi = c.score(est.best), c.score(est.low), c.score(est.high)
        unit = f" {c.unit}" if c.unit else ""
        rng = "" if est.low == est.high else f" (range {est.low:g}-{est.high:g})"
        scored.append(
            CriterionScore(c, est, s, lo, hi, f"{c.label}: {est.best:g}{unit}{rng} scores {s}")
        )
    best = {cs.criterion.id: cs.score for cs in scored}
    tier = _tier_for(policy, best)
    tier_low = _tier_for(policy, {cs.criterion.id: cs.score_low for cs in scored})
    tier_high = _tier_for(policy, {cs.criterion.id: cs.score_high for cs in scored})
    total = sum(best.values())
    rank = policy.rank(tier.id)
    next_tier = policy.tiers[rank + 1] if rank + 1 < len(policy.tiers) else None
    gap: list[str] = []
    if next_tier is not None:
        if total < next_tier.min_total:
            gap.append(
                f"total score {total} must reach {next_tier.min_total} "
                f"(+{next_tier.min_total - total})"
            )
        by_id = {cs.criterion.id: cs for cs in scored}
        for cid, need in next_tier.min_scores.items():
            cs = by_id.get(cid)
            have = cs.score if cs else 0
            if have < need and cs is not None:
                at = cs.criterion.threshold_for(need)
                where = f" ({cs.criterion.measure} at least {at:g})" if at is not None else ""
                gap.append(f"{cs.criterion.label} must score {need}, now {have}{where}")
    reasons = [cs.reason for cs in scored]
    reasons.append(f"total {total}: {tier.label}")
    return ThresholdAssessment(
        policy_version=policy.version,
        tier=tier,
        tier_low=tier_low,
        tier_high=tier_high,
        scores=tuple(scored),
        total=total,
        reasons=tuple(reasons),
        next_tier=next_tier,
        to_next_tier=tuple(gap),
    )
