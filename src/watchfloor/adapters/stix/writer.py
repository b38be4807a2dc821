"""STIX 2.1 export of a case at a chosen marking (the partner version).

What goes in, for a target marking T (every object's marking is `at_most` T):

- the producer ``identity`` and one ``report`` naming everything else;
- an ``incident`` and the ``campaign`` behind it; their name and description
  follow the tearline rules (`domain.tearline`): the case's title only when the
  case itself is at or below T, and only the summary paragraphs at or below T;
  when the description is more sensitive than the name, a granular marking
  says so;
- per kept evidence item: a ``note`` (title, releasable paragraphs, the source
  as its Admiralty grade, confidence on the spec's Admiralty Credibility
  scale) and an ``opinion`` giving the grade's credibility in STIX words;
  observables (``attributes["observables"]``) become cyber-observable objects
  under an ``observed-data``; ``attributes["indicators"]`` become
  ``indicator`` objects;
- an ``intrusion-set`` per actor a hypothesis names, and an ``attributed-to``
  relationship from the campaign to each, its ``confidence`` on the DNI scale
  (spec appendix A) of the ICD 203 term of the posterior — a posterior the
  caller computes from the kept evidence only, so nothing above T moves it;
- a ``note`` with the analytic confidence (None/Low/Med/High scale);
- the official TLP 2.0 marking definitions and one ``statement`` marking per
  classification and releasability line.

Ids are derived (UUIDv4-shaped, from a UUIDv5 digest) from the case and the
item, so a later export of the same case gives new versions of the same
objects (TAXII keeps them apart by ``modified``). Cyber-observable ids
follow the spec's UUIDv5 rule.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from watchfloor.adapters.stix.tlp import tlp_marking_definition
from watchfloor.domain.case import Case
from watchfloor.domain.confidence import ADMIRALTY_CREDIBILITY, DNI, NONE_LOW_MED_HIGH
from watchfloor.domain.evidence import EvidenceItem
from watchfloor.domain.fusion import FusionResult
from watchfloor.domain.hypotheses import HypothesisKind
from watchfloor.domain.markings import Marking
from watchfloor.domain.tearline import (
    MarkedParagraph,
    grade_text,
    observables_of,
    releasable_paragraphs,
)

__all__ = ["StixExport", "export_case", "stix_timestamp"]

#: Namespace of the ids Watchfloor derives (UUIDv5) for the objects it exports.
WATCHFLOOR_NAMESPACE = uuid.UUID("5f1d3c2e-8a47-5b0e-9d3a-7c1f2e4b6a90")
#: The namespace the STIX 2.1 specification fixes for cyber-observable ids.
SCO_NAMESPACE = uuid.UUID("00abedb4-aa42-466c-9c01-fed23315a9b7")

_OPINION_BY_CREDIBILITY = {
    1: "strongly-agree",
    2: "agree",
    3: "neutral",
    4: "disagree",
    5: "strongly-disagree",
    6: "neutral",
}
_SCO_KEYS = {"ipv4-addr", "ipv6-addr", "domain-name", "url", "email-addr", "mac-addr"}


def stix_timestamp(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class StixExport:
    """A bundle, the marking of every object in it, and what was left out."""

    bundle: dict[str, Any]
    markings: Mapping[str, Marking]
    dropped: tuple[str, ...]
    target: Marking

    @property
    def objects(self) -> list[dict[str, Any]]:
        return list(self.bundle["objects"])

    def to_json(self) -> str:
        return json.dumps(self.bundle, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


class _Builder:
    def __init__(self, case: Case, target: Marking, now: datetime) -> None:
        self.case, self.target = case, target
        self.created = stix_timestamp(min(case.incident.detected, now))
        self.modified = stix_timestamp(now)
        self.objects: list[dict[str, Any]] = []
        self.markings: dict[str, Marking] = {}
        self.statements: dict[str, dict[str, Any]] = {}

    def sid(self, stix_type: str, *key: str) -> str:
        return f"{stix_type}--{_stable_uuid4(self.case.id, stix_type, *key)}"

    def marking_refs(self, marking: Marking) -> list[str]:
        line = f"{marking.classification.banner} // {marking.releasability_line()}"
        statement_id = f"marking-definition--{_stable_uuid4('statement', line)}"
        self.statements.setdefault(
            statement_id,
            {
                "type": "marking-definition",
                "spec_version": "2.1",
                "id": statement_id,
                "created": "2024-01-01T00:00:00.000Z",
                "definition_type": "statement",
                "definition": {"statement": line},
            },
        )
        return [marking.tlp.stix_id, statement_id]

    def add(
        self,
        obj: dict[str, Any],
        marking: Marking,
        granular: Sequence[tuple[Marking, str]] = (),
        versioned: bool = True,
    ) -> str:
        base = {"type": obj["type"], "spec_version": "2.1", "id": obj["id"]}
        if versioned:
            base |= {"created": self.created, "modified": self.modified}
        out = base | {k: v for k, v in obj.items() if k not in base}
        out["object_marking_refs"] = self.marking_refs(marking)
        whole = marking
        granular_out = []
        for part_marking, selector in granular:
            if part_marking.tlp > marking.tlp:
                granular_out.append(
                    {"marking_ref": part_marking.tlp.stix_id, "selectors": [selector]}
                )
            whole = Marking.most_restrictive([whole, part_marking])
        if granular_out:
            out["granular_markings"] = granular_out
        self.objects.append(out)
        self.markings[out["id"]] = whole
        return str(out["id"])


def _stable_uuid4(*key: str) -> uuid.UUID:
    """A UUIDv4-shaped id derived from `key` (SDO ids must be version 4 to pass the
    validator; deriving them keeps one id per object across exports)."""
    digest = uuid.uuid5(WATCHFLOOR_NAMESPACE, "/".join(("watchfloor", *key)))
    return uuid.UUID(bytes=digest.bytes, version=4)


def _text(paras: Sequence[MarkedParagraph]) -> str:
    return "\n\n".join(p.text for p in paras)


def _part_marking(paras: Sequence[MarkedParagraph], floor: Marking) -> Marking:
    return Marking.most_restrictive([floor, *(p.marking for p in paras)])


def _sco(kind: str, value: str) -> dict[str, Any] | None:
    if kind in _SCO_KEYS:
        contributing: dict[str, Any] = {"value": value}
    elif kind.startswith("file:"):
        contributing = {"hashes": {kind[5:]: value}}
        kind = "file"
    else:
        return None
    canonical = json.dumps(contributing, sort_keys=True, separators=(",", ":"))
    return {
        "type": kind,
        "spec_version": "2.1",
        "id": f"{kind}--{uuid.uuid5(SCO_NAMESPACE, canonical)}",
        **contributing,
    }


def export_case(
    case: Case,
    target: Marking,
    now: datetime,
    fusion: FusionResult | None = None,
    producer: str = "Watchfloor attribution cell",
) -> StixExport:
    """The STIX 2.1 bundle of `case` at `target` (see the module docstring).

    `fusion` should be computed over the kept evidence only; without it the
    export carries no attribution relationships.
    """
    b = _Builder(case, target, now)
    public = Marking.public()
    identity = b.add(
        {
            "type": "identity",
            "id": b.sid("identity", "producer"),
            "name": producer,
            "identity_class": "organization",
        },
        public,
    )
    case_ok = case.marking.at_most(target)
    name_marking = case.marking if case_ok else public
    title = case.incident.title if case_ok else "Incident under assessment"
    summary = releasable_paragraphs(case.incident.summary, case.marking, target)
    refs: list[str] = []

    incident: dict[str, Any] = {
        "type": "incident",
        "id": b.sid("incident"),
        "created_by_ref": identity,
        "name": title,
    }
    granular: list[tuple[Marking, str]] = []
    if summary:
        incident["description"] = _text(summary)
        granular.append((_part_marking(summary, name_marking), "description"))
    incident_id = b.add(incident, name_marking, granular)
    campaign_id = b.add(
        {
            "type": "campaign",
            "id": b.sid("campaign"),
            "created_by_ref": identity,
            "name": f"Activity behind: {title}",
            "first_seen": stix_timestamp(case.incident.occurred),
        },
        name_marking,
    )
    refs += [incident_id, campaign_id]
    refs.append(
        b.add(
            {
                "type": "relationship",
                "id": b.sid("relationship", "incident-campaign"),
                "created_by_ref": identity,
                "relationship_type": "related-to",
                "source_ref": incident_id,
                "target_ref": campaign_id,
            },
            name_marking,
        )
    )

    dropped: list[str] = []
    for item in case.evidence:
        if not item.marking.at_most(target):
            dropped.append(item.id)
            continue
        refs += _evidence(b, item, identity, incident_id, campaign_id)

    if fusion is not None and case_ok:  # hypotheses and actors carry the case's marking
        refs += _attribution(b, case, fusion, identity, campaign_id, case.marking)

    report_marking = Marking.most_restrictive([b.markings[r] for r in refs])
    b.add(
        {
            "type": "report",
            "id": b.sid("report"),
            "created_by_ref": identity,
            "name": f"Partner report: {title}",
            "report_types": ["threat-report"],
            "published": b.modified,
            "object_refs": refs,
        },
        report_marking,
    )
    tlps = sorted({m.tlp for m in b.markings.values()} | {target.tlp})
    definitions = [tlp_marking_definition(t) for t in tlps]
    definitions += list(b.statements.values())
    bundle = {
        "type": "bundle",
        "id": f"bundle--{uuid.uuid4()}",
        "objects": definitions + b.objects,
    }
    return StixExport(bundle, dict(b.markings), tuple(dropped), target)


def _evidence(
    b: _Builder, item: EvidenceItem, identity: str, incident_id: str, campaign_id: str
) -> list[str]:
    refs: list[str] = []
    m = item.marking
    about = [incident_id]
    observed_at = stix_timestamp(item.observed_at or b.case.incident.detected)
    scos = [s for k, v in observables_of(item) if (s := _sco(k, v)) is not None]
    if scos:
        for sco in scos:
            if sco["id"] not in b.markings:
                refs.append(b.add(sco, m, versioned=False))
        observed = b.add(
            {
                "type": "observed-data",
                "id": b.sid("observed-data", item.id),
                "created_by_ref": identity,
                "first_observed": observed_at,
                "last_observed": observed_at,
                "number_observed": 1,
                "object_refs": [s["id"] for s in scos],
            },
            m,
        )
        refs.append(observed)
        about.append(observed)
    for n, spec in enumerate(_indicators(item)):
        indicator = b.add(
            {
                "type": "indicator",
                "id": b.sid("indicator", item.id, str(n)),
                "created_by_ref": identity,
                "name": spec.get("name") or item.title,
                "description": spec.get("description")
                or f"Indicator from evidence graded {item.grade.code}.",
                "indicator_types": ["malicious-activity"],
                "pattern": spec["pattern"],
                "pattern_type": "stix",
                "valid_from": observed_at,
            },
            m,
        )
        refs.append(indicator)
        about.append(indicator)
        refs.append(
            b.add(
                {
                    "type": "relationship",
                    "id": b.sid("relationship", "indicates", item.id, str(n)),
                    "created_by_ref": identity,
                    "relationship_type": "indicates",
                    "source_ref": indicator,
                    "target_ref": campaign_id,
                },
                m,
            )
        )
    paras = releasable_paragraphs(item.description, m, b.target)
    content = "\n\n".join(
        [
            *(p.text for p in paras),
            f"Evidence class: {item.evidence_class.value}. Reported by {grade_text(item)}.",
        ]
    )
    note: dict[str, Any] = {
        "type": "note",
        "id": b.sid("note", item.id),
        "created_by_ref": identity,
        "abstract": item.title,
        "content": content,
        "object_refs": about,
    }
    credibility = item.grade.credibility.number
    if credibility <= 5:
        note["confidence"] = ADMIRALTY_CREDIBILITY.to_stix(str(credibility))
    note_id = b.add(note, m, [(_part_marking(paras, m), "content")] if paras else ())
    refs.append(note_id)
    refs.append(
        b.add(
            {
                "type": "opinion",
                "id": b.sid("opinion", item.id),
                "created_by_ref": identity,
                "opinion": _OPINION_BY_CREDIBILITY[credibility],
                "explanation": (
                    f"Admiralty grade {item.grade.code}: information "
                    f"{item.grade.credibility.description}."
                ),
                "object_refs": [note_id],
            },
            m,
        )
    )
    return refs


def _indicators(item: EvidenceItem) -> Iterable[Mapping[str, Any]]:
    for spec in item.attributes.get("indicators") or []:
        if isinstance(spec, Mapping) and isinstance(spec.get("pattern"), str):
            yield spec


def _attribution(
    b: _Builder,
    case: Case,
    fusion: FusionResult,
    identity: str,
    campaign_id: str,
    marking: Marking,
) -> list[str]:
    refs: list[str] = []
    for h in fusion.hypotheses:
        if h.kind is not HypothesisKind.ACTOR or h.actor is None:
            continue
        actor = case.actors.get(h.actor)
        if actor is None:
            continue
        intrusion_set: dict[str, Any] = {
            "type": "intrusion-set",
            "id": b.sid("intrusion-set", actor.id),
            "created_by_ref": identity,
            "name": actor.name,
        }
        if actor.aliases:
            intrusion_set["aliases"] = list(actor.aliases)
        target = b.add(intrusion_set, marking)
        term = fusion.term(h.id)
        refs.append(target)
        refs.append(
            b.add(
                {
                    "type": "relationship",
                    "id": b.sid("relationship", "attributed-to", h.id),
                    "created_by_ref": identity,
                    "relationship_type": "attributed-to",
                    "source_ref": campaign_id,
                    "target_ref": target,
                    "confidence": DNI.to_stix(term.term),
                    "description": (
                        f"We assess that it is {term.term} ({term.range_text}) that "
                        f"{actor.name} carried out this activity (DNI scale)."
                    ),
                },
                marking,
            )
        )
    level = {"low": "Low", "moderate": "Med", "high": "High"}[fusion.confidence.value]
    refs.append(
        b.add(
            {
                "type": "note",
                "id": b.sid("note", "analytic-confidence"),
                "created_by_ref": identity,
                "abstract": f"Analytic confidence: {fusion.confidence.value}",
                "content": " ".join(fusion.confidence_reasons)
                or f"Analytic confidence is {fusion.confidence.value}.",
                "confidence": NONE_LOW_MED_HIGH.to_stix(level),
                "object_refs": [campaign_id],
            },
            marking,
        )
    )
    return refs
