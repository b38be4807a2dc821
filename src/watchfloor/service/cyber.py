"""Cyber evidence into a case: ATT&CK observations and indicator matches.

Both knowledge-driven scorers speak of actors by their own ids (ATT&CK ``G…``
ids, STIX intrusion-set ids); a case speaks of its own actors. Each item is
restated for the case's actors (`domain.hypotheses.actor_links`: by id, name
or alias) before it is added, so it moves the case's hypotheses, and what it
could not link is reported rather than dropped silently.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from watchfloor.domain.assessment import CaseAssessment
from watchfloor.domain.errors import DomainError
from watchfloor.domain.evidence import EvidenceItem
from watchfloor.domain.grading import AdmiraltyGrade
from watchfloor.domain.hypotheses import actor_links
from watchfloor.domain.markings import Clearance, Marking
from watchfloor.engines.attribution.base import AttributionScorer
from watchfloor.engines.attribution.evidence import evidence_item
from watchfloor.engines.correlation.evidence import matches_to_evidence
from watchfloor.engines.correlation.model import Match
from watchfloor.service import cases
from watchfloor.service.ports import UnitOfWork

__all__ = [
    "AttackEvidenceAdded",
    "IndicatorEvidenceAdded",
    "add_attack_observations",
    "add_indicator_matches",
    "attack_item_id",
    "split_ids",
]

#: At most this many technique plus software ids in one observation.
MAX_IDS = 1000


@dataclass
class AttackEvidenceAdded:
    """The item added, and what the knowledge base or the case could not place."""

    item: EvidenceItem
    assessment: CaseAssessment
    #: Case actors that name no intrusion set of the knowledge base.
    unlinked_actors: list[str] = field(default_factory=list)


def split_ids(text: str) -> list[str]:
    """ATT&CK ids as people type them: separated by commas, semicolons, spaces or lines."""
    return [i for i in re.split(r"[\s,;]+", text) if i]


def attack_item_id(
    knowledge_sha256: str | None, techniques: Iterable[str], software: Iterable[str]
) -> str:
    """The evidence id of one observation: the same ids against the same
    knowledge base give the same id, so an observation is not added twice."""
    ids = sorted({i.strip().upper() for i in (*techniques, *software) if i.strip()})
    text = "\n".join([knowledge_sha256 or "", *ids])
    return f"attack-observation--{hashlib.sha256(text.encode()).hexdigest()[:20]}"


def add_attack_observations(
    uow: UnitOfWork,
    case_id: str,
    scorer: AttributionScorer,
    techniques: Sequence[str],
    software: Sequence[str],
    *,
    source: str,
    grade: AdmiraltyGrade,
    marking: Marking,
    by: str,
    now: datetime,
    expected_version: int | None = None,
    dependence_group: str | None = None,
) -> AttackEvidenceAdded:
    """Score observed ATT&CK technique and software ids against the scorer's
    knowledge base and add the result to the case as one tradecraft item,
    its likelihoods stated for the case's actors (one transaction).

    Refused, naming the problem: no ids, too many, none the knowledge base
    knows (there would be nothing to weigh), or the same observation already
    in the case. Ids it does not know are kept in the item's attributes."""
    techniques = [t.strip() for t in techniques if t.strip()]
    software = [s.strip() for s in software if s.strip()]
    if not techniques and not software:
        raise DomainError(
            "ATT&CK observation: give at least one technique (T…) or software (S…) id"
        )
    if len(techniques) + len(software) > MAX_IDS:
        raise DomainError(
            f"ATT&CK observation: at most {MAX_IDS} ids, got {len(techniques) + len(software)}"
        )
    result = scorer.score(techniques, software)
    obs = result.observation
    kb = result.knowledge_base
    if not obs.technique_columns and not obs.software_columns:
        ids = ", ".join([*obs.unknown_techniques, *obs.unknown_software][:10])
        raise DomainError(
            f"ATT&CK observation: none of the ids is in the knowledge base {kb} ({ids}); "
            "nothing to weigh"
        )
    case = uow.cases.get(case_id)
    actors = list(case.actors.values())
    item = evidence_item(
        scorer,
        result,
        item_id=attack_item_id(kb.sha256, techniques, software),
        source=source,
        grade=grade,
        marking=marking,
        title=f"ATT&CK observation: {len(techniques)} technique(s), {len(software)} software "
        f"against {kb.name} {kb.version}",
        dependence_group=dependence_group,
        case_actors=actors,
        techniques=techniques,
        software=software,
    )
    linked = item.attributes.get("linked_groups", {})
    assert isinstance(linked, dict)
    unlinked = sorted(a.id for a in actors if a.id not in linked)
    unknown = [*obs.unknown_techniques, *obs.unknown_software]
    item = replace(item, description=_describe(item, linked, unlinked, unknown))
    assessment = cases.add_evidence(uow, case_id, [item], by, now, expected_version)
    return AttackEvidenceAdded(item, assessment, unlinked)


def _describe(
    item: EvidenceItem, linked: Mapping[str, list[str]], unlinked: list[str], unknown: list[str]
) -> str:
    """What the analyst reads on the case page: how it was scored, the leading
    intrusion sets, how the case's actors were linked and what was not known."""
    a = item.attributes
    top = a.get("top_groups", [])
    assert isinstance(top, list)
    shown = [
        f"{g['id']} {g['name']} {g['probability']:.2f}" for g in top if g["probability"] >= 0.01
    ]
    parts = [
        f"Scored by {a['scorer']} against {a['knowledge_base']}.",
        f"Most probable intrusion sets: {', '.join(shown) or 'none'}; "
        f"an actor it does not hold {a['unknown_probability']:.2f}.",
    ]
    if linked:
        pairs = (f"{actor} = {', '.join(groups)}" for actor, groups in sorted(linked.items()))
        parts.append(f"Case actors linked: {'; '.join(pairs)}.")
    if unlinked:
        parts.append(f"Case actors the knowledge base does not know: {', '.join(unlinked)}.")
    if unknown:
        parts.append(f"Ids not in the knowledge base (ignored): {', '.join(unknown)}.")
    return " ".join(parts)


@dataclass
class IndicatorEvidenceAdded:
    """Items added, and those left out with the reason."""

    added: list[EvidenceItem] = field(default_factory=list)
    #: Items already in the case (same indicator value), by id.
    already: list[str] = field(default_factory=list)
    #: Items whose indicator points at no actor of the case: (item, actor names).
    unlinked: list[tuple[EvidenceItem, list[str]]] = field(default_factory=list)
    assessment: CaseAssessment | None = None


def add_indicator_matches(
    uow: UnitOfWork,
    case_id: str,
    matches: Iterable[Match],
    *,
    grades: Mapping[str, AdmiraltyGrade],
    default_grade: AdmiraltyGrade,
    marking: Marking,
    by: str,
    now: datetime,
    expected_version: int | None = None,
    clearance: Clearance | None = None,
) -> IndicatorEvidenceAdded:
    """Add actor-linked indicator matches to the case, one item per indicator
    value (`matches_to_evidence`), its likelihoods stated for the case's actors
    that the indicator's actors name (one transaction).

    An item whose indicator points only at actors the case does not name is
    not added (it would move no hypothesis; add the actor as a hypothesis
    first), nor is one already in the case. ``expected_version`` is checked
    only when something is to be added. With ``clearance`` (the person adding),
    an item marked above it (an indicator's TLP raises the marking) refuses the
    whole addition: nobody adds what they could not read back."""
    case = uow.cases.get(case_id)
    actors = list(case.actors.values())
    present = {e.id for e in case.evidence}
    out = IndicatorEvidenceAdded()
    items = matches_to_evidence(
        matches, grades=grades, default_grade=default_grade, marking=marking
    )
    for item in items:
        refs = item.attributes["actors"]
        assert isinstance(refs, list)
        known = {str(r["id"]): (str(r["id"]), str(r["name"]), *r["aliases"]) for r in refs}
        links = actor_links(actors, known)
        if item.id in present:
            out.already.append(item.id)
        elif not links:
            out.unlinked.append((item, [str(r["name"]) for r in refs]))
        else:
            hit = max(item.likelihoods.values())
            out.added.append(
                replace(
                    item,
                    likelihoods=dict.fromkeys(links, hit),
                    attributes={
                        **item.attributes,
                        "linked_actors": {k: list(v) for k, v in links.items()},
                    },
                )
            )
    above = [i for i in out.added if clearance is not None and not clearance.may_see(i.marking)]
    if above:
        raise DomainError(
            f"{above[0].title}: its indicator's marking makes it {above[0].marking.banner()}, "
            f"above your own clearance; nothing was added ({len(above)} item(s) above it)"
        )
    if out.added:
        out.assessment = cases.add_evidence(uow, case_id, out.added, by, now, expected_version)
    return out
