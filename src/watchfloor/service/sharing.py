"""Sharing use cases: the partner version of a case (STIX), its tearline, publishing.

The STIX writer and the TAXII store are adapters; they come in as parameters
(`CaseWriter`, `Publish`), so this module depends only on the domain.

Both outputs rest only on what may go to the target: the attribution judgement
in an export is fused from the kept evidence alone, so nothing above the
target moves it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from watchfloor.domain.case import Case
from watchfloor.domain.errors import DomainError
from watchfloor.domain.evidence import EvidenceItem
from watchfloor.domain.fusion import FusionResult, fuse
from watchfloor.domain.hypotheses import Actor
from watchfloor.domain.markings import Marking
from watchfloor.domain.tearline import Tearline, check_no_leak, downgrade, released_text, secrets_of
from watchfloor.service.ports import UnitOfWork


class StixExportLike(Protocol):
    @property
    def objects(self) -> list[dict[str, Any]]: ...
    @property
    def markings(self) -> Mapping[str, Marking]: ...
    @property
    def dropped(self) -> tuple[str, ...]: ...
    def to_json(self) -> str: ...


CaseWriter = Callable[[Case, Marking, datetime, FusionResult | None], StixExportLike]
Publish = Callable[[Sequence[Mapping[str, Any]], Mapping[str, Marking]], Any]


def kept_fusion(uow: UnitOfWork, case: Case, target: Marking) -> FusionResult:
    """The fusion of the evidence that may go to `target`, under the active policies."""
    policies = uow.policies.active_policies()
    kept = [e for e in case.evidence if e.marking.at_most(target)]
    return fuse(case.hypotheses, kept, case.actors, policies.standards.confidence)


def export_case(
    uow: UnitOfWork, case_id: str, target: Marking, now: datetime, writer: CaseWriter
) -> StixExportLike:
    """The STIX 2.1 partner version of a case at `target`."""
    case = uow.cases.get(case_id)
    return writer(case, target, now, kept_fusion(uow, case, target))


def downgrade_case(
    uow: UnitOfWork, case_id: str, target: Marking, title: str | None = None
) -> tuple[Tearline, str]:
    """The tearline of a case for `target`, rendered and leak-checked (raises
    `TearlineLeakError` rather than return anything above the target)."""
    case = uow.cases.get(case_id)
    tearline = downgrade(case, target, title)
    text = tearline.render_text()
    check_no_leak(text, secrets_of(case, target), released_text(case, target))
    return tearline, text


def publish_case(
    uow: UnitOfWork,
    case_id: str,
    target: Marking,
    now: datetime,
    writer: CaseWriter,
    publish: Publish,
) -> StixExportLike:
    """Export a case at `target` and hand its objects, each with its marking, to `publish`
    (e.g. a TAXII collection)."""
    export = export_case(uow, case_id, target, now, writer)
    publish(export.objects, export.markings)
    return export


def import_misp_events(
    uow: UnitOfWork,
    case_id: str,
    events: Sequence[tuple[EvidenceItem, Sequence[Actor]]],
    by: str,
    now: datetime,
) -> list[str]:
    """Add each mapped MISP event to a case, one commit per event; an event already in
    the case is reported and skipped (checked before anything changes). Returns the
    failures, each naming its event."""
    failures: list[str] = []
    for item, actors in events:
        case = uow.cases.get(case_id)
        if any(e.id == item.id for e in case.evidence):
            failures.append(f"{item.id}: already in case {case_id}")
            continue
        try:
            for actor in actors:
                if actor.id not in case.actors:
                    case.add_actor(actor, by, now)
            case.add_evidence(item, by, now)
        except DomainError as e:
            failures.append(f"{item.id}: {e}")
            break  # the case refuses changes (e.g. decided): nothing further can go in
        uow.commit()
    return failures
