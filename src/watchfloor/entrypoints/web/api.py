"""The JSON API under /api, described by the OpenAPI document at /openapi.json.

Every case route first reads the case as the caller may see it
(`cases.view_case`): a case above the caller's marking answers 404 exactly as
one that does not exist, for reads and writes alike. Writes carry the case
version they were based on; a stale one answers 409.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from watchfloor.adapters.reports import render_package_pdf
from watchfloor.bootstrap import App
from watchfloor.domain.errors import DomainError
from watchfloor.domain.grading import AdmiraltyGrade
from watchfloor.domain.markings import Marking
from watchfloor.domain.users import Permission
from watchfloor.entrypoints.web.auth import Principal, current_user, require, watchfloor_app
from watchfloor.entrypoints.web.schemas import (
    IDENT_PATTERN,
    AddEvidenceIn,
    AddHypothesesIn,
    AliasesIn,
    AttackObservationIn,
    DecisionIn,
    OpenCaseIn,
    ReviewIn,
)
from watchfloor.entrypoints.web.views import (
    audit_entries,
    board,
    case_json,
    entries_json,
    review_queue,
    search,
)
from watchfloor.service import cases
from watchfloor.service.cyber import add_attack_observations

router = APIRouter(prefix="/api", tags=["api"])

CaseId = Annotated[str, Path(pattern=IDENT_PATTERN, max_length=64)]
Viewer = Annotated[Principal, Depends(current_user)]
AppDep = Annotated[App, Depends(watchfloor_app)]


def check_own_marking(user: Principal, marking: Marking, what: str) -> None:
    """Nobody marks an item above what they may read back themselves."""
    if not user.clearance.may_see(marking):
        raise DomainError(
            f"{what}: marking {marking.banner()} is above your own clearance; "
            "mark it at or below what you may see"
        )


@router.get("/me", summary="Who the caller is: role and clearance")
def me(user: Viewer) -> dict[str, Any]:
    c = user.clearance
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role.code,
        "permissions": sorted(p.value for p in user.role.permissions),
        "clearance": {
            "level": c.level.code,
            "audiences": sorted(c.audiences),
            "max_tlp": c.max_tlp.label,
        },
        "via": user.via,
    }


@router.get("/cases", summary="The case board: every open case the caller may see")
def list_cases(
    user: Annotated[Principal, Depends(require(Permission.VIEW_CASES))], app: AppDep
) -> list[dict[str, Any]]:
    with app.uow(read_only=True) as uow:
        rows = board(uow, user.clearance, app.clock())
    return [
        {
            "id": r.id,
            "title": r.title,
            "status": r.status,
            "version": r.version,
            "tier": r.tier_id,
            "tier_label": r.tier,
            "lead": r.lead,
            "lead_term": r.lead_term,
            "lead_probability": r.lead_probability,
            "time_left": r.remaining,
            "overdue": r.overdue,
            "deadline": r.deadline.isoformat(),
            "marking": r.marking,
            "exercise": r.exercise,
        }
        for r in rows
    ]


@router.post("/cases", status_code=201, summary="Open a case")
def open_case(
    body: OpenCaseIn,
    user: Annotated[Principal, Depends(require(Permission.OPEN_CASE))],
    app: AppDep,
) -> dict[str, Any]:
    marking = body.marking.to_domain()
    check_own_marking(user, marking, f"case {body.id}")
    incident = body.incident.to_domain()
    now = app.clock()
    with app.uow() as uow:
        cases.open_case(
            uow,
            body.id,
            body.title,
            incident,
            marking,
            user.username,
            now,
            unknown_prior=body.unknown_prior,
        )
        case, a = cases.view_case(uow, body.id, user.clearance, now)
        return case_json(case, a)


@router.get("/cases/{case_id}", summary="One case as the caller may see it, with its assessment")
def get_case(
    case_id: CaseId,
    user: Annotated[Principal, Depends(require(Permission.VIEW_CASES))],
    app: AppDep,
) -> dict[str, Any]:
    with app.uow(read_only=True) as uow:
        case, a = cases.view_case(uow, case_id, user.clearance, app.clock())
        return case_json(case, a)


@router.post("/cases/{case_id}/evidence", summary="Add evidence (one transaction for the batch)")
def add_evidence(
    case_id: CaseId,
    body: AddEvidenceIn,
    user: Annotated[Principal, Depends(require(Permission.ADD_EVIDENCE))],
    app: AppDep,
) -> dict[str, Any]:
    items = [i.to_domain() for i in body.items]
    for item in items:
        check_own_marking(user, item.marking, f"evidence {item.id}")
    now = app.clock()
    with app.uow() as uow:
        cases.view_case(uow, case_id, user.clearance, now)
        cases.add_evidence(uow, case_id, items, user.username, now, body.expected_version)
        case, a = cases.view_case(uow, case_id, user.clearance, now)
        return case_json(case, a)


@router.post(
    "/cases/{case_id}/attack-observations",
    summary="Score observed ATT&CK techniques and software; add the result as evidence",
)
def add_attack_observation(
    case_id: CaseId,
    body: AttackObservationIn,
    user: Annotated[Principal, Depends(require(Permission.ADD_EVIDENCE))],
    app: AppDep,
) -> dict[str, Any]:
    """The ids are scored against a stored knowledge base (`watchfloor kb
    load`) by the ATT&CK profile scorer; the item's likelihoods are stated for
    the case's actors, each linked to the intrusion sets it names by ATT&CK
    id, name or alias. Ids the knowledge base does not know are listed in the
    item's description and otherwise ignored."""
    record_attack_observation(app, user, case_id, body)
    with app.uow(read_only=True) as uow:
        case, a = cases.view_case(uow, case_id, user.clearance, app.clock())
        return case_json(case, a)


def record_attack_observation(
    app: App, user: Principal, case_id: str, body: AttackObservationIn
) -> None:
    """Score an observation and add it to the case as `user` (the API and the case page)."""
    marking = body.marking.to_domain()
    check_own_marking(user, marking, "ATT&CK observation")
    grade = AdmiraltyGrade.parse(body.grade)
    scorer = app.attack_scorer(body.knowledge_base)  # before the write transaction opens
    now = app.clock()
    with app.uow() as uow:
        cases.view_case(uow, case_id, user.clearance, now)
        add_attack_observations(
            uow,
            case_id,
            scorer,
            body.techniques,
            body.software,
            source=body.source,
            grade=grade,
            marking=marking,
            by=user.username,
            now=now,
            expected_version=body.expected_version,
            dependence_group=body.dependence_group,
        )


@router.post(
    "/cases/{case_id}/actors/{actor_id}/aliases",
    summary="Give a case actor more names (ATT&CK ids, vendors' designations)",
)
def add_actor_aliases(
    case_id: CaseId,
    actor_id: Annotated[str, Path(pattern=IDENT_PATTERN, max_length=64)],
    body: AliasesIn,
    user: Annotated[Principal, Depends(require(Permission.ADD_HYPOTHESES))],
    app: AppDep,
) -> dict[str, Any]:
    """Knowledge-driven evidence (ATT&CK observations, indicator matches)
    links to an actor through its id, name and aliases; names it already has
    are ignored."""
    now = app.clock()
    with app.uow() as uow:
        cases.view_case(uow, case_id, user.clearance, now)
        cases.add_actor_aliases(
            uow, case_id, actor_id, body.aliases, user.username, now, body.expected_version
        )
        case, a = cases.view_case(uow, case_id, user.clearance, now)
        return case_json(case, a)


@router.post("/cases/{case_id}/hypotheses", summary="Add hypotheses and the actors they name")
def add_hypotheses(
    case_id: CaseId,
    body: AddHypothesesIn,
    user: Annotated[Principal, Depends(require(Permission.ADD_HYPOTHESES))],
    app: AppDep,
) -> dict[str, Any]:
    actors = [x.to_domain() for x in body.actors]
    hyps = [h.to_domain() for h in body.hypotheses]
    now = app.clock()
    with app.uow() as uow:
        cases.view_case(uow, case_id, user.clearance, now)
        cases.add_hypotheses(
            uow, case_id, hyps, user.username, now, body.expected_version, actors=actors
        )
        case, a = cases.view_case(uow, case_id, user.clearance, now)
        return case_json(case, a)


@router.post("/cases/{case_id}/reviews", summary="Record a legal review of one option")
def record_review(
    case_id: CaseId,
    body: ReviewIn,
    user: Annotated[Principal, Depends(require(Permission.LEGAL_REVIEW))],
    app: AppDep,
) -> dict[str, Any]:
    now = app.clock()
    with app.uow() as uow:
        cases.view_case(uow, case_id, user.clearance, now)
        cases.record_review(
            uow,
            case_id,
            body.option_id,
            body.outcome_domain(),
            body.reasons,
            user.username,
            now,
            body.conditions,
            body.expected_version,
        )
        case, a = cases.view_case(uow, case_id, user.clearance, now)
        return case_json(case, a)


@router.post("/cases/{case_id}/decision", summary="Record the decision (cleared options only)")
def record_decision(
    case_id: CaseId,
    body: DecisionIn,
    user: Annotated[Principal, Depends(require(Permission.DECIDE))],
    app: AppDep,
) -> dict[str, Any]:
    now = app.clock()
    with app.uow() as uow:
        cases.view_case(uow, case_id, user.clearance, now)
        cases.record_decision(
            uow, case_id, body.chosen, body.rationale, user.username, now, body.expected_version
        )
        case, a = cases.view_case(uow, case_id, user.clearance, now)
        return case_json(case, a)


@router.get(
    "/cases/{case_id}/package.pdf",
    summary="The decision package as PDF, at the marking of what the caller may see",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}},
)
def package_pdf(
    case_id: CaseId,
    user: Annotated[Principal, Depends(require(Permission.VIEW_CASES))],
    app: AppDep,
) -> Response:
    now = app.clock()
    with app.uow(read_only=True) as uow:
        case, a = cases.view_case(uow, case_id, user.clearance, now)
    pdf = render_package_pdf(case, a, now)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{case.id}-package.pdf"'},
    )


@router.get("/cases/{case_id}/audit", summary="The case's audit trail, as the caller may see it")
def case_audit(
    case_id: CaseId,
    user: Annotated[Principal, Depends(require(Permission.VIEW_AUDIT))],
    app: AppDep,
) -> list[dict[str, Any]]:
    with app.uow(read_only=True) as uow:
        return entries_json(audit_entries(uow, user, app.clock(), case_id))


@router.get("/audit", summary="The audit trail, as the caller may see it (latest 500)")
def audit(
    user: Annotated[Principal, Depends(require(Permission.VIEW_AUDIT))], app: AppDep
) -> list[dict[str, Any]]:
    with app.uow(read_only=True) as uow:
        return entries_json(audit_entries(uow, user, app.clock()))


@router.get("/reviews", summary="The legal review queue: pending reviews on visible cases")
def reviews(
    user: Annotated[Principal, Depends(require(Permission.VIEW_CASES))], app: AppDep
) -> list[dict[str, Any]]:
    with app.uow(read_only=True) as uow:
        tasks = review_queue(uow, user.clearance, app.clock())
    return [
        {
            "case_id": t.case_id,
            "case_title": t.case_title,
            "version": t.version,
            "option_id": t.option_id,
            "option_title": t.option_title,
            "eligible": t.eligible,
            "opened_at": t.opened_at.isoformat(),
        }
        for t in tasks
    ]


@router.get("/search", summary="Search case titles and evidence the caller may see")
def search_cases(
    user: Annotated[Principal, Depends(require(Permission.VIEW_CASES))],
    app: AppDep,
    q: Annotated[str, Query(min_length=1, max_length=200)],
) -> list[dict[str, str]]:
    with app.uow(read_only=True) as uow:
        hits = search(uow, user.clearance, q, app.clock())
    return [{"case_id": h.case_id, "kind": h.kind, "id": h.id, "title": h.title} for h in hits]


@router.get("/policies", summary="Policy versions of every kind, the active one marked")
def policies(
    user: Annotated[Principal, Depends(require(Permission.VIEW_POLICIES))], app: AppDep
) -> dict[str, list[dict[str, Any]]]:
    with app.uow(read_only=True) as uow:
        out: dict[str, list[dict[str, Any]]] = {}
        for kind in sorted(uow.policies.active()):
            out[kind] = [
                {
                    "version": p.version,
                    "sha256": p.sha256,
                    "loaded_at": p.loaded_at.isoformat(),
                    "active": p.active,
                }
                for p in uow.policies.versions(kind)
            ]
    return out


@router.get("/users", summary="User accounts (administrators)")
def list_users(
    user: Annotated[Principal, Depends(require(Permission.MANAGE_USERS))], app: AppDep
) -> list[dict[str, Any]]:
    from watchfloor.entrypoints.web.auth import users_uow
    from watchfloor.service import users as user_service

    with users_uow(app, read_only=True) as uow:
        accounts = user_service.list_users(uow)
    return [
        {
            "username": u.username,
            "display_name": u.display_name,
            "role": u.role.code,
            "clearance": u.clearance.level.code,
            "audiences": sorted(u.clearance.audiences),
            "max_tlp": u.clearance.max_tlp.label,
            "active": u.active,
        }
        for u in accounts
    ]
