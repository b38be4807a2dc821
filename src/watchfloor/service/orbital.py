"""Orbital findings into a case: close approaches, manoeuvres and proximity operations.

Each finding becomes one evidence item (`engines.orbital.evidence`) whose
likelihoods favour the case's actors sponsored by the state owning the
suspect object. Item ids are derived from the finding itself, so adding the
same findings twice (a re-run of the same screening, two analysts on one
case) adds nothing the second time.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from watchfloor.domain.assessment import CaseAssessment
from watchfloor.domain.case import Case
from watchfloor.domain.evidence import EvidenceClass, EvidenceItem
from watchfloor.domain.grading import AdmiraltyGrade
from watchfloor.domain.markings import Marking
from watchfloor.engines.orbital import CloseApproach, Manoeuvre, ProximityOperation
from watchfloor.engines.orbital.evidence import evidence_from_finding
from watchfloor.service import cases
from watchfloor.service.ports import UnitOfWork

Finding = CloseApproach | Manoeuvre | ProximityOperation

#: Two findings of one kind about the same objects this close in time are the same finding
#: (screening refines a time of closest approach to 1e-4 s; ids are cut to the second).
SAME_FINDING = timedelta(seconds=1)


@dataclass
class OrbitalFindingsAdded:
    """What `add_orbital_findings` did: the items added, the ids already in the case."""

    added: list[EvidenceItem] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    assessment: CaseAssessment | None = None  # None when nothing was added


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def finding_id(finding: Finding) -> str:
    """The evidence id of a finding: `ORB-<kind>-<norad>[-<norad>]-<time>` (UTC, to the second).

    Close approaches (`CA`) are named by their pair and time of closest approach,
    manoeuvres (`MAN`) by their object and the epoch after the burn, proximity
    operations (`PROX`) by their pair and start.
    """
    if isinstance(finding, CloseApproach):
        return f"ORB-CA-{finding.norad_a}-{finding.norad_b}-{_stamp(finding.tca)}"
    if isinstance(finding, Manoeuvre):
        return f"ORB-MAN-{finding.norad_id}-{_stamp(finding.after_epoch)}"
    return f"ORB-PROX-{finding.norad_a}-{finding.norad_b}-{_stamp(finding.start)}"


def _key(finding: Finding) -> tuple[str, tuple[int, ...], datetime]:
    if isinstance(finding, CloseApproach):
        return "orbital-proximity", (finding.norad_a, finding.norad_b), finding.tca
    if isinstance(finding, Manoeuvre):
        return "orbital-manoeuvre", (finding.norad_id,), finding.after_epoch
    return "orbital-proximity-operation", (finding.norad_a, finding.norad_b), finding.start


def _item_key(item: EvidenceItem) -> tuple[str, tuple[int, ...], datetime] | None:
    """The same key read back from an orbital item already in the case."""
    if item.evidence_class is not EvidenceClass.ORBITAL or item.observed_at is None:
        return None
    attrs = item.attributes
    try:
        if "norad_id" in attrs:
            objects: tuple[int, ...] = (int(str(attrs["norad_id"])),)
        else:
            objects = (int(str(attrs["norad_a"])), int(str(attrs["norad_b"])))
    except (KeyError, ValueError):
        return None
    return item.kind, objects, item.observed_at


def _already_in(case: Case, finding: Finding) -> bool:
    if any(e.id == finding_id(finding) for e in case.evidence):
        return True
    kind, objects, when = _key(finding)
    for e in case.evidence:
        k = _item_key(e)
        if k is not None and k[:2] == (kind, objects) and abs(k[2] - when) < SAME_FINDING:
            return True
    return False


def _suspects(finding: Finding, victim: int | None, suspects: set[int] | None) -> set[int] | None:
    if suspects is not None:
        return suspects
    if victim is not None and isinstance(finding, CloseApproach):
        return {finding.norad_b if finding.norad_a == victim else finding.norad_a}
    return None


def add_orbital_findings(
    uow: UnitOfWork,
    case_id: str,
    findings: Iterable[Finding],
    *,
    source: str,
    grade: AdmiraltyGrade,
    marking: Marking,
    by: str,
    now: datetime,
    suspects: Iterable[int] | None = None,
    victim: int | None = None,
    expected_version: int | None = None,
) -> OrbitalFindingsAdded:
    """Add each finding as an evidence item of the case, in one transaction.

    Likelihoods are set against the case's actors (owner state = actor's
    sponsor). `suspects` names the objects whose owners the findings point at;
    without it, a close approach points at the object that is not `victim`
    (when given), else at `norad_b`, and proximity operations and manoeuvres
    at the objects that manoeuvred (see `evidence_from_finding`). Findings
    already in the case (same id, or same kind, objects and time within a
    second) are skipped. `expected_version` is checked only when something
    is to be added.
    """
    case = uow.cases.get(case_id)
    chosen = set(suspects) if suspects is not None else None
    actors = list(case.actors.values())
    result = OrbitalFindingsAdded()
    batch: list[Finding] = []
    for finding in findings:
        if _already_in(case, finding) or any(finding_id(f) == finding_id(finding) for f in batch):
            result.skipped.append(finding_id(finding))
        else:
            batch.append(finding)
    for finding in batch:
        result.added.append(
            evidence_from_finding(
                finding,
                actors=actors,
                item_id=finding_id(finding),
                source=source,
                marking=marking,
                grade=grade,
                suspects=_suspects(finding, victim, chosen),
            )
        )
    if result.added:
        result.assessment = cases.add_evidence(
            uow, case_id, result.added, by, now, expected_version
        )
    return result
