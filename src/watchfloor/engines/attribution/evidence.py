"""A scorer's result as an evidence item for the fusion engine.

The fusion engine wants likelihoods ``P(E | actor)``, not a posterior: it
applies its own priors. By Bayes, ``P(E | g) ∝ P(g | E) / P(g)`` with ``P(g)``
the scorer's own prior (:meth:`AttributionScorer.prior`), so the likelihoods
are the posterior divided by that prior, scaled so the largest is 1. For the
profile scorer this is exactly ``exp(evidence score)``; the unknown hypothesis
(``OTHER``), which no evidence feature touches, gets ``exp(0)`` on the same
scale. Likelihoods are floored at ``floor`` (the fusion engine needs them > 0).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from watchfloor.domain.evidence import (
    OTHER,
    CostToFake,
    DiamondFacet,
    EvidenceClass,
    EvidenceItem,
)
from watchfloor.domain.grading import AdmiraltyGrade
from watchfloor.domain.markings import Marking
from watchfloor.engines.attribution.base import AttributionResult, AttributionScorer

__all__ = ["evidence_item"]


def evidence_item(
    scorer: AttributionScorer,
    result: AttributionResult,
    *,
    item_id: str,
    source: str,
    grade: AdmiraltyGrade,
    marking: Marking,
    title: str | None = None,
    cost_to_fake: CostToFake = CostToFake.MEDIUM,
    dependence_group: str | None = None,
    floor: float = 1e-6,
    **extra: Any,
) -> EvidenceItem:
    """Turn ``result`` (from ``scorer``) into a tradecraft/capability evidence item,
    graded as its source is. The knowledge-base version, the scorer and the ids
    the knowledge base did not know travel in ``attributes``."""
    prior, prior_unknown = scorer.prior()
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = np.where(prior > 0, result.probabilities / prior, 0.0)
    other = result.unknown / prior_unknown if prior_unknown > 0 else float(ratios.min(initial=0))
    top = max(float(ratios.max(initial=0.0)), other)
    if top <= 0:
        ratios, other, top = np.ones_like(ratios), 1.0, 1.0
    likelihoods = {
        actor: max(float(r) / top, floor) for actor, r in zip(result.actors, ratios, strict=True)
    }
    likelihoods[OTHER] = max(other / top, floor)
    obs = result.observation
    return EvidenceItem(
        id=item_id,
        title=title or f"ATT&CK profile match ({result.scorer}, {result.knowledge_base})",
        source=source,
        grade=grade,
        evidence_class=EvidenceClass.TRADECRAFT,
        likelihoods=likelihoods,
        marking=marking,
        diamond=DiamondFacet.CAPABILITY,
        baseline=likelihoods[OTHER],
        dependence_group=dependence_group,
        cost_to_fake=cost_to_fake,
        kind="attack-profile",
        attributes={
            "scorer": result.scorer,
            "knowledge_base": str(result.knowledge_base),
            "knowledge_base_sha256": result.knowledge_base.sha256,
            "unknown_techniques": list(obs.unknown_techniques),
            "unknown_software": list(obs.unknown_software),
            "generalised": dict(obs.generalised),
            **extra,
        },
    )
