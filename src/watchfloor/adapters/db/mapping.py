"""Rows to domain objects and back (no ORM classes: the domain stays plain)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from watchfloor.domain.case import Case, CaseStatus, Incident
from watchfloor.domain.clock import Milestone
from watchfloor.domain.evidence import CostToFake, DiamondFacet, EvidenceClass, EvidenceItem
from watchfloor.domain.grading import AdmiraltyGrade
from watchfloor.domain.hypotheses import Actor, Hypothesis, HypothesisKind
from watchfloor.domain.markings import PAP, TLP, Classification, Marking
from watchfloor.domain.thresholds import Estimate
from watchfloor.domain.workflow import Decision, LegalReview, ReviewOutcome

_CLASS_BY_RANK = {c.rank: c for c in Classification}
_TLP_BY_RANK = {t.rank: t for t in TLP}
_PAP_BY_RANK = {p.rank: p for p in PAP}


def utc(dt: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; every stored time is UTC."""
    if dt is None:
        return None
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat()


def _parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text)


def marking_columns(m: Marking) -> dict[str, Any]:
    return {
        "classification": m.classification.rank,
        "tlp": m.tlp.rank,
        "pap": m.pap.rank,
        "releasable_to": sorted(m.releasable_to),
        "originator": m.originator,
    }


def marking_from(row: Mapping[Any, Any]) -> Marking:
    return Marking(
        classification=_CLASS_BY_RANK[row["classification"]],
        releasable_to=frozenset(row["releasable_to"]),
        tlp=_TLP_BY_RANK[row["tlp"]],
        pap=_PAP_BY_RANK[row["pap"]],
        originator=row["originator"],
    )


def incident_json(i: Incident) -> dict[str, Any]:
    return {
        "title": i.title,
        "summary": i.summary,
        "occurred": _iso(i.occurred),
        "detected": _iso(i.detected),
        "assets": list(i.assets),
        "countries": list(i.countries),
        "sectors": list(i.sectors),
        "impact": {k: [e.best, e.low, e.high] for k, e in i.impact.items()},
    }


def incident_from(d: Mapping[Any, Any]) -> Incident:
    return Incident(
        title=d["title"],
        summary=d["summary"],
        occurred=_parse_iso(d["occurred"]),
        detected=_parse_iso(d["detected"]),
        assets=tuple(d["assets"]),
        countries=tuple(d["countries"]),
        sectors=tuple(d["sectors"]),
        impact={k: Estimate(*v) for k, v in d["impact"].items()},
    )


def case_row(c: Case, now: datetime) -> dict[str, Any]:
    return {
        "id": c.id,
        "title": c.title,
        "status": c.status.value,
        "exercise": c.exercise,
        "version": c.version,
        "incident": incident_json(c.incident),
        "milestones": {m.value: _iso(t) for m, t in c.milestones.items()},
        "decision": None
        if c.decision is None
        else {
            "decided_at": _iso(c.decision.decided_at),
            "decided_by": c.decision.decided_by,
            "chosen": list(c.decision.chosen),
            "rationale": c.decision.rationale,
        },
        "updated_at": now,
        **marking_columns(c.marking),
    }


def actor_row(case_id: str, a: Actor) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "id": a.id,
        "name": a.name,
        "sponsor": a.sponsor,
        "cluster": a.cluster,
        "aliases": list(a.aliases),
        "description": a.description,
    }


def actor_from(r: Mapping[Any, Any]) -> Actor:
    return Actor(
        r["id"], r["name"], r["sponsor"], r["cluster"], tuple(r["aliases"]), r["description"]
    )


def hypothesis_row(case_id: str, pos: int, h: Hypothesis) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "id": h.id,
        "position": pos,
        "kind": h.kind.value,
        "label": h.label,
        "actor": h.actor,
        "framed": h.framed,
        "prior": h.prior,
        "notes": h.notes,
    }


def hypothesis_from(r: Mapping[Any, Any]) -> Hypothesis:
    return Hypothesis(
        r["id"],
        HypothesisKind(r["kind"]),
        r["label"],
        r["actor"],
        r["framed"],
        r["prior"],
        r["notes"],
    )


def evidence_row(case_id: str, pos: int, e: EvidenceItem) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "id": e.id,
        "position": pos,
        "title": e.title,
        "source": e.source,
        "grade": e.grade.code,
        "evidence_class": e.evidence_class.value,
        "diamond": e.diamond.value,
        "likelihoods": dict(e.likelihoods),
        "baseline": e.baseline,
        "dependence_group": e.dependence_group,
        "cost_to_fake": e.cost_to_fake.label,
        "description": e.description,
        "kind": e.kind,
        "observed_at": e.observed_at,
        "reported_at": e.reported_at,
        "attributes": dict(e.attributes),
        **marking_columns(e.marking),
    }


def evidence_from(r: Mapping[Any, Any]) -> EvidenceItem:
    return EvidenceItem(
        id=r["id"],
        title=r["title"],
        source=r["source"],
        grade=AdmiraltyGrade.parse(r["grade"]),
        evidence_class=EvidenceClass(r["evidence_class"]),
        likelihoods=dict(r["likelihoods"]),
        marking=marking_from(r),
        diamond=DiamondFacet(r["diamond"]),
        baseline=r["baseline"],
        dependence_group=r["dependence_group"],
        cost_to_fake=CostToFake.parse(r["cost_to_fake"]),
        description=r["description"],
        kind=r["kind"],
        observed_at=utc(r["observed_at"]),
        reported_at=utc(r["reported_at"]),
        attributes=dict(r["attributes"]),
    )


def review_row(case_id: str, r: LegalReview) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "option_id": r.option_id,
        "opened_at": r.opened_at,
        "outcome": r.outcome.value,
        "reviewer": r.reviewer,
        "reasons": r.reasons,
        "conditions": r.conditions,
        "decided_at": r.decided_at,
    }


def review_from(r: Mapping[Any, Any]) -> LegalReview:
    opened = utc(r["opened_at"])
    assert opened is not None
    return LegalReview(
        r["option_id"],
        opened,
        ReviewOutcome(r["outcome"]),
        r["reviewer"],
        r["reasons"],
        r["conditions"],
        utc(r["decided_at"]),
    )


def case_from(
    r: Mapping[Any, Any],
    actors: list[Actor],
    hypotheses: list[Hypothesis],
    evidence: list[EvidenceItem],
    reviews: list[LegalReview],
) -> Case:
    d = r["decision"]
    return Case(
        id=r["id"],
        title=r["title"],
        incident=incident_from(r["incident"]),
        marking=marking_from(r),
        actors={a.id: a for a in actors},
        hypotheses=hypotheses,
        evidence=evidence,
        reviews={rv.option_id: rv for rv in reviews},
        decision=None
        if d is None
        else Decision(
            _parse_iso(d["decided_at"]), d["decided_by"], tuple(d["chosen"]), d["rationale"]
        ),
        milestones={Milestone(k): _parse_iso(v) for k, v in r["milestones"].items()},
        status=CaseStatus(r["status"]),
        exercise=r["exercise"],
        version=r["version"],
    )


def _decision_from(d: Mapping[str, Any]) -> Decision:
    return Decision(
        _parse_iso(d["decided_at"]), d["decided_by"], tuple(d["chosen"]), d["rationale"]
    )
