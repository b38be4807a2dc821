"""What a viewer may read, shaped for the API and the pages.

Every read goes through `cases.view_case`, which drops what the viewer's
clearance may not see *before* anything is computed; the audit view and the
search are filtered here with the same rule. Nothing in this module reads a
case any other way.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from watchfloor.adapters.db.uow import SqlUnitOfWork
from watchfloor.domain.assessment import CaseAssessment
from watchfloor.domain.audit import AuditEntry
from watchfloor.domain.case import Case, CaseStatus
from watchfloor.domain.clock import format_duration
from watchfloor.domain.errors import NotFound
from watchfloor.domain.evidence import EvidenceItem
from watchfloor.domain.markings import Clearance, Marking
from watchfloor.domain.users import Permission
from watchfloor.entrypoints.web.auth import Principal
from watchfloor.service import cases

AUDIT_LIMIT = 500


@dataclass(frozen=True)
class BoardRow:
    id: str
    title: str
    status: str
    version: int
    tier: str
    tier_id: str
    lead: str
    lead_term: str
    lead_probability: float
    remaining: str
    overdue: bool
    deadline: datetime
    marking: str
    exercise: str | None


def board(uow: SqlUnitOfWork, clearance: Clearance, now: datetime) -> list[BoardRow]:
    """Every open case the viewer may see, soonest deadline first."""
    rows = []
    for s in uow.cases.summaries(clearance):
        if s.status != CaseStatus.OPEN.value:
            continue
        case, a = cases.view_case(uow, s.id, clearance, now)
        f = a.fusion
        rows.append(
            BoardRow(
                case.id,
                case.title,
                case.status.value,
                case.version,
                a.thresholds.tier.label,
                a.thresholds.tier.id,
                f.lead.label,
                str(f.term(f.lead.id)),
                f.lead_probability,
                format_duration(a.clock.remaining),
                a.clock.overdue,
                a.clock.deadline,
                a.marking.banner(),
                case.exercise,
            )
        )
    rows.sort(key=lambda r: r.deadline)
    return rows


def marking_json(m: Marking) -> dict[str, Any]:
    return {
        "banner": m.banner(),
        "classification": m.classification.code,
        "releasable_to": sorted(m.releasable_to),
        "tlp": m.tlp.label,
        "pap": m.pap.label,
    }


def evidence_json(e: EvidenceItem) -> dict[str, Any]:
    return {
        "id": e.id,
        "title": e.title,
        "source": e.source,
        "grade": e.grade.code,
        "evidence_class": e.evidence_class.value,
        "diamond": e.diamond.value,
        "dependence_group": e.group,
        "cost_to_fake": e.cost_to_fake.label,
        "description": e.description,
        "kind": e.kind,
        "likelihoods": dict(e.likelihoods),
        "baseline": e.baseline,
        "observed_at": e.observed_at.isoformat() if e.observed_at else None,
        "marking": marking_json(e.marking),
    }


def case_json(case: Case, a: CaseAssessment) -> dict[str, Any]:
    f = a.fusion
    return {
        "id": case.id,
        "title": case.title,
        "status": case.status.value,
        "version": case.version,
        "exercise": case.exercise,
        "marking": marking_json(case.marking),
        "view_marking": marking_json(a.marking),
        "incident": {
            "title": case.incident.title,
            "summary": case.incident.summary,
            "occurred": case.incident.occurred.isoformat(),
            "detected": case.incident.detected.isoformat(),
            "assets": list(case.incident.assets),
            "countries": list(case.incident.countries),
            "sectors": list(case.incident.sectors),
        },
        "actors": [
            {
                "id": x.id,
                "name": x.name,
                "sponsor": x.sponsor,
                "cluster": x.cluster,
                "aliases": list(x.aliases),
            }
            for x in case.actors.values()
        ],
        "evidence": [evidence_json(e) for e in case.evidence],
        "hypotheses": [
            {
                "id": h.id,
                "kind": h.kind.value,
                "label": h.label,
                "actor": h.actor,
                "framed": h.framed,
                "posterior": f.probability(h.id),
                "term": str(f.term(h.id)),
                "lead": h.id == f.lead.id,
            }
            for h in case.hypotheses
        ],
        "analytic_confidence": str(f.confidence),
        "standards": [
            {
                "layer": s.layer.value,
                "met": s.met,
                "satisfied": list(s.satisfied),
                "missing": list(s.missing),
            }
            for s in a.standards
        ],
        "threshold": {
            "tier": a.thresholds.tier.id,
            "tier_label": a.thresholds.tier.label,
            "deadline_hours": a.thresholds.tier.decision_deadline_hours,
        },
        "options": [
            {
                "id": s.option.id,
                "title": s.option.title,
                "eligible": s.eligible,
                "reasons": list(s.reasons),
                "legal_review": _review_json(case, s.option.id),
            }
            for s in a.options
        ],
        "clock": {
            "detected": a.clock.detected.isoformat(),
            "deadline": a.clock.deadline.isoformat(),
            "remaining": format_duration(a.clock.remaining),
            "overdue": a.clock.overdue,
            "milestones": {m.value: (t.isoformat() if t else None) for m, t in a.clock.milestones},
        },
        "decision": None
        if case.decision is None
        else {
            "at": case.decision.decided_at.isoformat(),
            "by": case.decision.decided_by,
            "chosen": list(case.decision.chosen),
            "rationale": case.decision.rationale,
        },
    }


def _review_json(case: Case, option_id: str) -> dict[str, Any] | None:
    r = case.reviews.get(option_id)
    if r is None:
        return None
    return {
        "outcome": r.outcome.value,
        "reviewer": r.reviewer,
        "reasons": r.reasons,
        "conditions": r.conditions,
        "decided_at": r.decided_at.isoformat() if r.decided_at else None,
    }


@dataclass(frozen=True)
class ReviewTask:
    case_id: str
    case_title: str
    version: int
    option_id: str
    option_title: str
    eligible: bool
    opened_at: datetime


def review_queue(uow: SqlUnitOfWork, clearance: Clearance, now: datetime) -> list[ReviewTask]:
    """Pending legal reviews on open cases the viewer may see, oldest first."""
    out = []
    for s in uow.cases.summaries(clearance):
        if s.status != CaseStatus.OPEN.value:
            continue
        case, a = cases.view_case(uow, s.id, clearance, now)
        status = {o.option.id: o for o in a.options}
        for r in case.reviews.values():
            if r.outcome.value != "pending" or r.option_id not in status:
                continue
            o = status[r.option_id]
            out.append(
                ReviewTask(
                    case.id,
                    case.title,
                    case.version,
                    r.option_id,
                    o.option.title,
                    o.eligible,
                    r.opened_at,
                )
            )
    out.sort(key=lambda t: (t.opened_at, t.case_id, t.option_id))
    return out


def _withheld_strings(full: Case, visible: Case) -> list[str]:
    seen = {e.id for e in visible.evidence}
    out: list[str] = []
    for e in full.evidence:
        if e.id not in seen:
            out.extend(x for x in (e.id, e.title, e.source, e.description) if x)
    return out


def audit_entries(
    uow: SqlUnitOfWork, viewer: Principal, now: datetime, case_id: str | None = None
) -> list[AuditEntry]:
    """The audit entries the viewer may read, newest last.

    An entry about a case shows only when the viewer may see the case, and never
    when it concerns an evidence item the viewer may not see, or its payload
    names such an item's id, title, source or description. User entries show to
    administrators and to the user concerned; policy entries to every reader of
    the audit; entries of any other subject to nobody (safe by default).
    """
    clearance = viewer.clearance
    if case_id is not None:
        cases.view_case(uow, case_id, clearance, now)  # NotFound unless visible
        entries = uow.audit.entries(case_id)
    else:
        entries = uow.audit.entries()
    withheld: dict[str, list[str] | None] = {}  # case id -> strings to hide; None: invisible

    def hidden_strings(cid: str) -> list[str] | None:
        if cid not in withheld:
            try:
                full = uow.cases.get(cid)
                visible, _ = cases.view_case(uow, cid, clearance, now)
            except NotFound:
                withheld[cid] = None
            else:
                withheld[cid] = _withheld_strings(full, visible)
        return withheld[cid]

    out = []
    for e in entries:
        if e.subject.startswith("policy:"):
            out.append(e)
            continue
        if e.subject.startswith("user:"):
            if viewer.may(Permission.MANAGE_USERS) or e.subject == f"user:{viewer.username}":
                out.append(e)
            continue
        hide = hidden_strings(e.subject)
        if hide is None:
            continue
        text = json.dumps(dict(e.payload), sort_keys=True, default=str)
        if e.payload.get("evidence") in hide or any(s in text for s in hide if len(s) >= 3):
            continue
        out.append(e)
    return out[-AUDIT_LIMIT:]


@dataclass(frozen=True)
class SearchHit:
    case_id: str
    kind: str  # "case" or "evidence"
    id: str
    title: str


def search(uow: SqlUnitOfWork, clearance: Clearance, query: str, now: datetime) -> list[SearchHit]:
    """Case titles and evidence (title, source, description) the viewer may see."""
    q = query.strip().lower()
    if not q:
        return []
    hits = []
    for s in uow.cases.summaries(clearance):
        case, _ = cases.view_case(uow, s.id, clearance, now)
        if q in case.title.lower() or q in case.incident.summary.lower():
            hits.append(SearchHit(case.id, "case", case.id, case.title))
        for e in case.evidence:
            if any(q in x.lower() for x in (e.title, e.source, e.description)):
                hits.append(SearchHit(case.id, "evidence", e.id, e.title))
    return hits[:200]


def entry_json(e: AuditEntry) -> dict[str, Any]:
    return {
        "seq": e.seq,
        "at": e.at.isoformat(),
        "actor": e.actor,
        "action": e.action,
        "subject": e.subject,
        "payload": dict(e.payload),
        "hash": e.hash,
    }


def entries_json(entries: Iterable[AuditEntry]) -> list[dict[str, Any]]:
    return [entry_json(e) for e in entries]
