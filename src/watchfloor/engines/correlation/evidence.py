"""Indicator matches as evidence items for a case.

One item per matched indicator comparison that links to at least one actor,
aggregating all its sightings (count, first and last seen, files). The item
says "this observation is more probable if one of the linked actors did it":
``likelihoods`` give each linked actor ``hit_likelihood`` against ``baseline``
for everyone else.

Dependence: every match from one indicator source (a STIX bundle, a MISP
event) falls in one dependence group, so a feed that lists fifty addresses of
one campaign counts once, not fifty times. Cost to fake: a single address or
range is cheap to borrow or spoof (low); a domain or URL takes registration or
a compromised host (medium); a file hash means the adversary's own binary
turned up (high).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime

from watchfloor.domain.evidence import CostToFake, DiamondFacet, EvidenceClass, EvidenceItem
from watchfloor.domain.grading import AdmiraltyGrade
from watchfloor.domain.markings import TLP, Marking
from watchfloor.engines.correlation.keys import ObservableKind
from watchfloor.engines.correlation.model import Indicator, Match

__all__ = ["COST_TO_FAKE", "matches_to_evidence"]

COST_TO_FAKE: Mapping[ObservableKind, CostToFake] = {
    ObservableKind.IPV4: CostToFake.LOW,
    ObservableKind.IPV6: CostToFake.LOW,
    ObservableKind.DOMAIN: CostToFake.MEDIUM,
    ObservableKind.URL: CostToFake.MEDIUM,
    ObservableKind.MD5: CostToFake.HIGH,
    ObservableKind.SHA1: CostToFake.HIGH,
    ObservableKind.SHA256: CostToFake.HIGH,
}


@dataclass
class _Sightings:
    indicator: Indicator
    first: datetime
    last: datetime
    count: int = 0
    values: set[str] = field(default_factory=set)
    files: set[str] = field(default_factory=set)


def _marking(base: Marking, tlp: str | None) -> Marking:
    if tlp is None:
        return base
    level = TLP.parse(tlp)
    return replace(base, tlp=max(base.tlp, level))


def matches_to_evidence(
    matches: Iterable[Match],
    *,
    grades: Mapping[str, AdmiraltyGrade],
    default_grade: AdmiraltyGrade,
    marking: Marking,
    hit_likelihood: float = 0.8,
    baseline: float = 0.1,
) -> list[EvidenceItem]:
    """Evidence items for the actor-linked matches, one per indicator comparison.

    ``grades`` maps an indicator source to its Admiralty grading (else
    ``default_grade``). ``marking`` is the floor; an indicator's TLP raises it.
    """
    seen: dict[tuple[str, str], _Sightings] = {}
    for m in matches:
        ind = m.indicator
        if not ind.actors:
            continue
        key = (ind.id, ind.value)
        s = seen.get(key)
        if s is None:
            s = seen[key] = _Sightings(ind, m.observed_at, m.observed_at)
        s.count += 1
        s.first = min(s.first, m.observed_at)
        s.last = max(s.last, m.observed_at)
        s.values.add(m.observed_value)
        s.files.add(m.file)
    items = []
    for (indicator_id, value), s in seen.items():
        ind = s.indicator
        network = not ind.kind.is_hash
        digest = hashlib.sha256(f"{indicator_id}\x00{value}".encode()).hexdigest()[:20]
        actors = ", ".join(a.name for a in ind.actors)
        items.append(
            EvidenceItem(
                id=f"indicator-match--{digest}",
                title=f"{ind.kind.display} {value} seen {s.count}× (indicator of {actors})",
                source=ind.source,
                grade=grades.get(ind.source, default_grade),
                evidence_class=EvidenceClass.INFRASTRUCTURE if network else EvidenceClass.MALWARE,
                likelihoods={a.id: hit_likelihood for a in ind.actors},
                marking=_marking(marking, ind.tlp),
                diamond=DiamondFacet.INFRASTRUCTURE if network else DiamondFacet.CAPABILITY,
                baseline=baseline,
                dependence_group=f"indicator-source:{ind.source}",
                cost_to_fake=COST_TO_FAKE[ind.kind],
                description=(
                    f"Observed {s.count} time(s) between {s.first.isoformat()} and "
                    f"{s.last.isoformat()} in {', '.join(sorted(s.files))}; indicator "
                    f"{indicator_id} ({ind.name or 'unnamed'}) from {ind.source}."
                ),
                kind="indicator-match",
                observed_at=s.first,
                attributes={
                    "indicator_id": indicator_id,
                    "indicator_value": value,
                    "indicator_kind": ind.kind.label,
                    "observed_values": sorted(s.values),
                    "sightings": s.count,
                    "first_seen": s.first.isoformat(),
                    "last_seen": s.last.isoformat(),
                    "actors": [
                        {"id": a.id, "type": a.type, "name": a.name, "aliases": list(a.aliases)}
                        for a in ind.actors
                    ],
                },
            )
        )
    return items
