"""A scorer's result as an evidence item for the fusion engine.

The fusion engine wants likelihoods ``P(E | actor)``, not a posterior: it
applies its own priors. By Bayes, ``P(E | g) ∝ P(g | E) / P(g)`` with ``P(g)``
the scorer's own prior (:meth:`AttributionScorer.prior`), so the likelihoods
are the posterior divided by that prior, scaled so the largest is 1. For the
profile scorer this is exactly ``exp(evidence score)``; the unknown hypothesis
(``OTHER``), which no evidence feature touches, gets ``exp(0)`` on the same
scale. Likelihoods are floored at ``floor`` (the fusion engine needs them > 0).

Given a case's actors, the likelihoods are stated for them instead
(:func:`case_likelihoods`): a case actor stands for the intrusion sets it
names (by ATT&CK id, name or alias), and ``OTHER`` — anyone the case does not
name — for every other intrusion set and the scorer's unknown, each in
proportion to its prior.
"""

from __future__ import annotations

from collections.abc import Sequence
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
from watchfloor.domain.hypotheses import Actor, actor_links
from watchfloor.domain.markings import Marking
from watchfloor.engines.attribution.base import AttributionResult, AttributionScorer

__all__ = ["case_likelihoods", "evidence_item", "knowledge_links"]


def knowledge_links(
    scorer: AttributionScorer, actors: Sequence[Actor]
) -> dict[str, tuple[str, ...]]:
    """Case actor id -> the knowledge base's intrusion sets (ATT&CK ids) it names,
    by ATT&CK id (revoked ids followed to their successor), STIX id, name or alias."""
    kb = scorer.knowledge
    known = {a.external_id: (a.external_id, a.stix_id, a.name, *a.aliases) for a in kb.actors}
    for old in kb.redirects:
        successor = kb.resolve(old)
        if successor in known:
            known[successor] = (*known[successor], old)
    return actor_links(actors, known)


def case_likelihoods(
    scorer: AttributionScorer, result: AttributionResult, links: dict[str, tuple[str, ...]],
    actors: Sequence[Actor],
) -> dict[str, float]:  # fmt: skip
    """Likelihood ratios ``P(E | h) / P(E)`` for the case's actors and ``OTHER``.

    ``P(E | g) ∝ P(g | E) / P(g)`` for one intrusion set; a hypothesis that
    covers several (a case actor naming two, or ``OTHER``: every set no case
    actor names, and the unknown) is their prior-weighted mixture,
    ``Σ P(g | E) / Σ P(g)``. A case actor the knowledge base does not know is
    an unknown actor to the scorer. Unscaled: the caller scales."""
    prior, prior_unknown = scorer.prior()
    posterior = result.probabilities
    column = {a: i for i, a in enumerate(result.actors)}
    named: set[int] = set()
    out: dict[str, float] = {}
    for actor_id, groups in links.items():
        cols = [column[g] for g in groups if g in column]
        named.update(cols)
        weight = float(prior[cols].sum())
        out[actor_id] = float(posterior[cols].sum()) / weight if weight > 0 else 0.0
    rest = np.array([i for i in range(len(result.actors)) if i not in named], dtype=np.intp)
    weight = float(prior[rest].sum()) + prior_unknown
    mass = float(posterior[rest].sum()) + (result.unknown if prior_unknown > 0 else 0.0)
    other = mass / weight if weight > 0 else min(out.values(), default=1.0)
    unknown = result.unknown / prior_unknown if prior_unknown > 0 else other
    for actor in actors:
        out.setdefault(actor.id, unknown)
    out[OTHER] = other
    return out


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
    case_actors: Sequence[Actor] | None = None,
    **extra: Any,
) -> EvidenceItem:
    """Turn ``result`` (from ``scorer``) into a tradecraft/capability evidence item,
    graded as its source is. The knowledge-base version, the scorer and the ids
    the knowledge base did not know travel in ``attributes``.

    With ``case_actors`` the likelihoods are for those actors and ``OTHER``
    (:func:`case_likelihoods`), and ``attributes`` also say which intrusion
    sets each case actor stands for (``linked_groups``) and which sets the
    scorer ranked highest (``top_groups``)."""
    if case_actors is not None:
        links = knowledge_links(scorer, case_actors)
        raw = case_likelihoods(scorer, result, links, case_actors)
        names = {a.external_id: a.name for a in scorer.knowledge.actors}
        extra = {
            "linked_groups": {k: list(v) for k, v in links.items()},
            "top_groups": [
                {"id": g, "name": names.get(g, g), "probability": round(p, 4)}
                for g, p in result.ranking()[:5]
            ],
            "unknown_probability": round(result.unknown, 4),
            **extra,
        }
    else:
        prior, prior_unknown = scorer.prior()
        with np.errstate(divide="ignore", invalid="ignore"):
            ratios = np.where(prior > 0, result.probabilities / prior, 0.0)
        raw = {a: float(r) for a, r in zip(result.actors, ratios, strict=True)}
        raw[OTHER] = (
            result.unknown / prior_unknown if prior_unknown > 0 else float(ratios.min(initial=0))
        )
    top = max(raw.values(), default=0.0)
    if top <= 0:
        raw, top = dict.fromkeys(raw, 1.0), 1.0
    likelihoods = {actor: max(r / top, floor) for actor, r in raw.items()}
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
