"""MISP events into a case: attributes -> observables and indicators, galaxies -> actors,
tags -> TLP and PAP.

Reading is the teammate's general reader (`adapters.indicators.misp`); this
module maps one event to what a case holds: one evidence item per event
(source = the event's organisation, graded F6 until an analyst grades it),
its attributes as observables (``attributes["observables"]``) and, for
``to_ids`` attributes, STIX patterns (``attributes["indicators"]``); galaxy
clusters of type ``threat-actor`` / ``mitre-intrusion-set`` become actors.
An attribute the mapping cannot read fails its event, named by uuid.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from watchfloor.adapters.indicators.misp import MispAttribute, MispEvent
from watchfloor.domain.errors import DomainError
from watchfloor.domain.evidence import EvidenceClass, EvidenceItem
from watchfloor.domain.grading import AdmiraltyGrade
from watchfloor.domain.hypotheses import Actor
from watchfloor.domain.markings import PAP, TLP, Marking

__all__ = ["MispEventImport", "misp_event_to_case_items"]

_ACTOR_GALAXIES = {"threat-actor", "mitre-intrusion-set", "mitre-enterprise-attack-intrusion-set"}
_HASHES = {"md5": "MD5", "sha1": "SHA-1", "sha256": "SHA-256", "sha512": "SHA-512"}


@dataclass(frozen=True)
class MispEventImport:
    event: MispEvent
    item: EvidenceItem
    actors: tuple[Actor, ...]


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


def _observable(a: MispAttribute) -> tuple[dict[str, object], str] | None:
    """(observable, STIX pattern) of an attribute, None for types we do not map."""
    t, v = a.type.lower(), a.value.strip()
    if t in ("ip-src", "ip-dst", "ip"):
        try:
            kind = "ipv4-addr" if ipaddress.ip_address(v).version == 4 else "ipv6-addr"
        except ValueError:
            raise DomainError(f"attribute {a.uuid}: {v!r} is not an IP address") from None
        return {"type": kind, "value": v}, f"[{kind}:value = '{_escape(v)}']"
    if t in ("domain", "hostname"):
        return {"type": "domain-name", "value": v}, f"[domain-name:value = '{_escape(v)}']"
    if t == "url":
        return {"type": "url", "value": v}, f"[url:value = '{_escape(v)}']"
    if t in ("email-src", "email-dst", "email"):
        return {"type": "email-addr", "value": v}, f"[email-addr:value = '{_escape(v)}']"
    if t in _HASHES:
        algo = _HASHES[t]
        if not all(c in "0123456789abcdefABCDEF" for c in v) or not v:
            raise DomainError(f"attribute {a.uuid}: {v!r} is not a {algo} hash")
        return (
            {"type": "file", "hashes": {algo: v.lower()}},
            f"[file:hashes.'{algo}' = '{v.lower()}']",
        )
    return None


def _marking(tags: tuple[str, ...], default: Marking) -> Marking:
    tlp, pap = default.tlp, default.pap
    for tag in tags:
        low = tag.strip().lower()
        if low.startswith("tlp:"):
            tlp = TLP.parse(low)
        elif low.startswith("pap:"):
            pap = PAP.parse(low)
    if tlp is TLP.CLEAR:
        return Marking(releasable_to=Marking.public().releasable_to, tlp=tlp, pap=pap)
    return Marking(default.classification, default.releasable_to, tlp, pap, default.originator)


def misp_event_to_case_items(
    event: MispEvent, default: Marking | None = None, grade: str = "F6"
) -> MispEventImport:
    """Map one event (raises DomainError naming the event and attribute on bad input)."""
    try:
        marking = _marking(event.tags, default or Marking())
        observables: list[dict[str, object]] = []
        indicators: list[dict[str, str]] = []
        for a in event.all_attributes():
            mapped = _observable(a)
            if mapped is None:
                continue
            observables.append(mapped[0])
            if a.to_ids:
                indicators.append({"pattern": mapped[1], "name": f"MISP {a.type} {a.value}"})
    except DomainError as e:
        raise DomainError(f"MISP event {event.uuid}: {e}") from None
    actors = {
        c.uuid: Actor(f"misp-{c.uuid}", c.value)
        for c in event.galaxy_clusters
        if c.type in _ACTOR_GALAXIES
    }
    item = EvidenceItem(
        id=f"misp-{event.uuid}",
        title=event.info or f"MISP event {event.uuid}",
        source=event.org or "MISP",
        grade=AdmiraltyGrade.parse(grade),
        evidence_class=EvidenceClass.EXTERNAL,
        likelihoods={},
        marking=marking,
        kind="misp-event",
        attributes={
            "misp_event": event.uuid,
            "observables": observables,
            "indicators": indicators,
            "actors": [a.id for a in actors.values()],
        },
    )
    return MispEventImport(event, item, tuple(actors.values()))
