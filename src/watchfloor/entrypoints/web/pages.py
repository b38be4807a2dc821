"""Server-rendered pages: plain HTML, one stylesheet, inline SVG, no script.

Forms post back with the case version they were drawn from and the session's
CSRF nonce; on success they redirect (post/redirect/get), on a stale version
they answer 409 with the conflict named. Pages read through the same
`views` and `cases.view_case` as the API, so they show exactly what the viewer
may see.
"""

from __future__ import annotations

import difflib
import itertools
from datetime import UTC, datetime
from functools import cache
from typing import Annotated, Any
from urllib.parse import quote

import jinja2
from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, ValidationError

from watchfloor.adapters.db.kb_repository import KnowledgeBaseRepository
from watchfloor.adapters.reports import PackageView, package_view, render_package_html
from watchfloor.bootstrap import App
from watchfloor.domain.assessment import CaseAssessment
from watchfloor.domain.case import Case
from watchfloor.domain.errors import DomainError
from watchfloor.domain.evidence import CostToFake, DiamondFacet, EvidenceClass
from watchfloor.domain.markings import TLP, Classification, Marking
from watchfloor.domain.users import Permission
from watchfloor.entrypoints.web import auth
from watchfloor.entrypoints.web.api import check_own_marking, record_attack_observation
from watchfloor.entrypoints.web.auth import Principal, require, watchfloor_app
from watchfloor.entrypoints.web.schemas import (
    IDENT_PATTERN,
    AddHypothesesIn,
    AliasesIn,
    AttackObservationIn,
    DecisionIn,
    EvidenceIn,
    OpenCaseIn,
    ReviewIn,
)
from watchfloor.entrypoints.web.views import audit_entries, board, review_queue, search
from watchfloor.service import cases
from watchfloor.service import users as user_service
from watchfloor.service.cyber import split_ids

router = APIRouter(include_in_schema=False)

CaseId = Annotated[str, Path(pattern=IDENT_PATTERN, max_length=64)]
AppDep = Annotated[App, Depends(watchfloor_app)]
Short = Annotated[str, Form(max_length=300)]
Long = Annotated[str, Form(max_length=20_000)]
Version = Annotated[int, Form(ge=0, le=2**31)]

DONE = {
    "opened": "Case opened.",
    "evidence": "Evidence added; the assessment is recomputed.",
    "hypothesis": "Hypothesis added.",
    "review": "Legal review recorded.",
    "decision": "Decision recorded.",
    "orbital": "Close approaches added as evidence (any already in the case were skipped).",
    "attack": "ATT&CK observation scored and added as evidence; the assessment is recomputed.",
    "aliases": "Aliases added to the actor.",
}


@cache
def _env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.ChoiceLoader(
            [
                jinja2.PackageLoader("watchfloor.entrypoints.web", "templates"),
                jinja2.PackageLoader("watchfloor.adapters.reports", "templates"),
            ]
        ),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def compile_templates() -> int:
    """Compile every page and report template now (Jinja keeps them); how many."""
    env = _env()
    names = [n for n in env.list_templates() if n.endswith(".html")]
    for name in names:
        env.get_template(name)
    return len(names)


def banner_class(marking: Marking) -> str:
    return marking.classification.name.lower().replace("_", "-")


def _when(at: datetime | None) -> str:
    return "—" if at is None else at.astimezone(UTC).strftime("%Y-%m-%d %H:%MZ")


def render(
    request: Request,
    name: str,
    status: int = 200,
    banner: Marking | None = None,
    **context: Any,
) -> HTMLResponse:
    user = auth.optional_user(request) if name != "error.html" else _quiet_user(request)
    html = (
        _env()
        .get_template(name)
        .render(
            user=user,
            csrf=user.csrf if user else "",
            banner=banner,
            banner_class=banner_class(banner) if banner else "",
            when=_when,
            Permission=Permission,
            **context,
        )
    )
    return HTMLResponse(
        html,
        status_code=status,
        headers={
            "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
            "style-src 'self'; script-src 'self'; frame-ancestors 'self'; form-action 'self'",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "same-origin",
            "Cache-Control": "no-store",
        },
    )


def _quiet_user(request: Request) -> Principal | None:
    try:
        return auth.optional_user(request)
    except auth.NotSignedIn:
        return None


def error_page(request: Request, status: int, message: str) -> Response:
    return render(request, "error.html", status=status, status_code=status, message=message)


def validated(model: type[BaseModel], data: dict[str, Any], what: str) -> Any:
    """Validate form data against the API's own model; problems answer 400, named."""
    try:
        return model.model_validate(data)
    except ValidationError as e:
        problems = []
        for err in e.errors():
            where = ".".join(str(p) for p in err.get("loc", ()))
            problems.append(f"{where}: {err.get('msg', 'invalid')}")
        raise DomainError(f"{what}: " + "; ".join(problems)) from None


def _audiences(text: str) -> list[str]:
    return [a.strip() for a in text.replace(";", ",").split(",") if a.strip()]


def _likelihoods(text: str) -> dict[str, float]:
    """'A=0.6, other=0.05' → {'A': 0.6, 'other': 0.05}."""
    out: dict[str, float] = {}
    for part in text.replace(";", ",").split(","):
        if not part.strip():
            continue
        key, sep, value = part.partition("=")
        try:
            if not sep:
                raise ValueError
            out[key.strip()] = float(value)
        except ValueError:
            raise DomainError(
                f"likelihoods: {part.strip()[:40]!r} is not of the form ACTOR=PROBABILITY"
            ) from None
    return out


# --- sign-in -----------------------------------------------------------------


@router.get("/login")
def login_form(request: Request, next: Annotated[str, Query(max_length=500)] = "/") -> Response:
    nonce, cookie = auth.presession_nonce(request)
    response = render(request, "login.html", next=_safe_next(next), nonce=nonce, failed=False)
    response.set_cookie(
        auth.PRESESSION_COOKIE,
        cookie,
        max_age=3600,
        httponly=True,
        samesite="lax",
        secure=request.app.state.secure_cookies,
    )
    return response


def _safe_next(target: str) -> str:
    """Only local paths: an open redirect would let a link send a signed-in user anywhere."""
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


@router.post("/login")
def login(
    request: Request,
    app: AppDep,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
    csrf_token: Annotated[str, Form(max_length=200)],
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    auth.check_presession(request, csrf_token)
    try:
        with auth.users_uow(app, read_only=True) as uow:
            user, epoch = user_service.authenticate_password(uow, username.strip(), password)
    except DomainError:
        nonce, _ = auth.presession_nonce(request)
        return render(
            request, "login.html", status=401, next=_safe_next(next), nonce=nonce, failed=True
        )
    value, _ = auth.session_cookie_value(request, user, epoch)
    response = RedirectResponse(_safe_next(next), status_code=303)
    response.set_cookie(
        auth.SESSION_COOKIE,
        value,
        max_age=auth.SESSION_MAX_AGE_S,
        httponly=True,
        samesite="lax",
        secure=request.app.state.secure_cookies,
    )
    response.delete_cookie(auth.PRESESSION_COOKIE)
    return response


@router.post("/logout")
def logout(user: Annotated[Principal, Depends(auth.csrf_protected)]) -> Response:
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(auth.SESSION_COOKIE)
    return response


# --- board, case ---------------------------------------------------------------


@router.get("/")
def board_page(
    request: Request,
    user: Annotated[Principal, Depends(require(Permission.VIEW_CASES))],
    app: AppDep,
) -> Response:
    now = app.clock()
    with app.uow(read_only=True) as uow:
        rows = board(uow, user.clearance, now)
    return render(request, "board.html", rows=rows, now=now)


@router.get("/cases/new")
def new_case_form(
    request: Request, user: Annotated[Principal, Depends(require(Permission.OPEN_CASE))]
) -> Response:
    return render(request, "new_case.html", classifications=list(Classification), tlps=list(TLP))


@router.post("/cases/new")
def new_case(
    request: Request,
    user: Annotated[Principal, Depends(require(Permission.OPEN_CASE))],
    app: AppDep,
    case_id: Annotated[str, Form(max_length=64)],
    title: Short,
    incident_title: Short,
    occurred: Annotated[str, Form(max_length=40)],
    detected: Annotated[str, Form(max_length=40)],
    summary: Long = "",
    countries: Short = "",
    sectors: Short = "",
    assets: Short = "",
    classification: Annotated[str, Form(max_length=32)] = "NU",
    releasable_to: Short = "NATO",
    tlp: Annotated[str, Form(max_length=32)] = "AMBER",
) -> Response:
    body: OpenCaseIn = validated(
        OpenCaseIn,
        {
            "id": case_id.strip(),
            "title": title,
            "incident": {
                "title": incident_title,
                "summary": summary,
                "occurred": occurred,
                "detected": detected,
                "countries": _audiences(countries),
                "sectors": _audiences(sectors),
                "assets": _audiences(assets),
            },
            "marking": {
                "classification": classification,
                "releasable_to": _audiences(releasable_to),
                "tlp": tlp,
            },
        },
        "new case",
    )
    marking = body.marking.to_domain()
    check_own_marking(user, marking, f"case {body.id}")
    now = app.clock()
    with app.uow() as uow:
        cases.open_case(
            uow, body.id, body.title, body.incident.to_domain(), marking, user.username, now
        )
    return RedirectResponse(f"/cases/{quote(body.id)}?done=opened", status_code=303)


def _package(app: App, case_id: str, user: Principal) -> tuple[Case, CaseAssessment, PackageView]:
    """The case as the viewer may see it, its assessment and the package view of both."""
    now = app.clock()
    with app.uow(read_only=True) as uow:
        case, a = cases.view_case(uow, case_id, user.clearance, now)
    return case, a, package_view(case, a, now)


@router.get("/cases/{case_id}")
def case_page(
    request: Request,
    case_id: CaseId,
    user: Annotated[Principal, Depends(require(Permission.VIEW_CASES))],
    app: AppDep,
    done: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    case, a, view = _package(app, case_id, user)
    knowledge_bases, indicator_bases = [], []
    if case.status.value == "open" and user.may(Permission.ADD_EVIDENCE):  # for its forms
        repository = KnowledgeBaseRepository(app.engine)
        knowledge_bases = [f"{r.name}@{r.version}" for r in reversed(repository.all())]
        indicator_bases = repository.names_holding("indicator")
    return render(
        request,
        "case.html",
        banner=a.marking,
        case=case,
        a=a,
        v=view,
        tl=view.timeline,
        done=DONE.get(done, ""),
        classes=list(EvidenceClass),
        diamonds=list(DiamondFacet),
        costs=list(CostToFake),
        classifications=[c for c in Classification if c <= user.clearance.level],
        tlps=[t for t in TLP if t <= user.clearance.max_tlp],
        knowledge_bases=knowledge_bases,
        indicator_bases=indicator_bases,
        max_upload_mb=request.app.state.max_upload_bytes / (1 << 20),
    )


@router.post("/cases/{case_id}/evidence")
def add_evidence(
    case_id: CaseId,
    user: Annotated[Principal, Depends(require(Permission.ADD_EVIDENCE))],
    app: AppDep,
    expected_version: Version,
    title: Short,
    source: Short,
    grade: Annotated[str, Form(max_length=8)],
    evidence_class: Annotated[str, Form(max_length=32)],
    likelihoods: Short = "",
    baseline: Annotated[float, Form(gt=0, le=1)] = 0.1,
    diamond: Annotated[str, Form(max_length=32)] = "capability",
    cost_to_fake: Annotated[str, Form(max_length=16)] = "medium",
    dependence_group: Annotated[str, Form(max_length=64)] = "",
    description: Long = "",
    classification: Annotated[str, Form(max_length=32)] = "NU",
    releasable_to: Short = "NATO",
    tlp: Annotated[str, Form(max_length=32)] = "AMBER",
) -> Response:
    item: EvidenceIn = validated(
        EvidenceIn,
        {
            "title": title,
            "source": source,
            "grade": grade,
            "evidence_class": evidence_class,
            "likelihoods": _likelihoods(likelihoods),
            "baseline": baseline,
            "diamond": diamond,
            "cost_to_fake": cost_to_fake,
            "dependence_group": dependence_group.strip() or None,
            "description": description,
            "marking": {
                "classification": classification,
                "releasable_to": _audiences(releasable_to),
                "tlp": tlp,
            },
        },
        "evidence",
    )
    domain_item = item.to_domain()
    check_own_marking(user, domain_item.marking, "evidence")
    now = app.clock()
    with app.uow() as uow:
        cases.view_case(uow, case_id, user.clearance, now)
        cases.add_evidence(uow, case_id, [domain_item], user.username, now, expected_version)
    return RedirectResponse(f"/cases/{quote(case_id)}?done=evidence#evidence", status_code=303)


@router.post("/cases/{case_id}/hypotheses")
def add_hypothesis(
    case_id: CaseId,
    user: Annotated[Principal, Depends(require(Permission.ADD_HYPOTHESES))],
    app: AppDep,
    expected_version: Version,
    hypothesis_id: Annotated[str, Form(max_length=64)],
    label: Short,
    actor_id: Annotated[str, Form(max_length=64)],
    actor_name: Short = "",
    sponsor: Short = "",
    cluster: Short = "",
    kind: Annotated[str, Form(max_length=16)] = "actor",
    framed: Annotated[str, Form(max_length=64)] = "",
    aliases: Short = "",
) -> Response:
    now = app.clock()
    with app.uow() as uow:
        case, _ = cases.view_case(uow, case_id, user.clearance, now)
        new_actor = actor_id.strip() not in case.actors and actor_name.strip()
        body: AddHypothesesIn = validated(
            AddHypothesesIn,
            {
                "expected_version": expected_version,
                "actors": [
                    {
                        "id": actor_id.strip(),
                        "name": actor_name,
                        "sponsor": sponsor.strip() or None,
                        "cluster": cluster.strip() or None,
                        "aliases": _audiences(aliases),
                    }
                ]
                if new_actor
                else [],
                "hypotheses": [
                    {
                        "id": hypothesis_id.strip(),
                        "kind": kind,
                        "label": label,
                        "actor": actor_id.strip(),
                        "framed": framed.strip() or None,
                    }
                ],
            },
            "hypothesis",
        )
        cases.add_hypotheses(
            uow,
            case_id,
            [h.to_domain() for h in body.hypotheses],
            user.username,
            now,
            body.expected_version,
            actors=[x.to_domain() for x in body.actors],
        )
    return RedirectResponse(f"/cases/{quote(case_id)}?done=hypothesis#hypotheses", 303)


@router.post("/cases/{case_id}/aliases")
def add_actor_aliases(
    case_id: CaseId,
    user: Annotated[Principal, Depends(require(Permission.ADD_HYPOTHESES))],
    app: AppDep,
    expected_version: Version,
    actor_id: Annotated[str, Form(max_length=64)],
    aliases: Short,
) -> Response:
    body: AliasesIn = validated(
        AliasesIn,
        {"expected_version": expected_version, "aliases": _audiences(aliases)},
        "aliases",
    )
    now = app.clock()
    with app.uow() as uow:
        cases.view_case(uow, case_id, user.clearance, now)
        cases.add_actor_aliases(
            uow, case_id, actor_id, body.aliases, user.username, now, body.expected_version
        )
    return RedirectResponse(f"/cases/{quote(case_id)}?done=aliases#add-aliases", 303)


@router.post("/cases/{case_id}/attack-observations")
def add_attack_observation(
    case_id: CaseId,
    user: Annotated[Principal, Depends(require(Permission.ADD_EVIDENCE))],
    app: AppDep,
    expected_version: Version,
    source: Short,
    grade: Annotated[str, Form(max_length=8)],
    techniques: Long = "",
    software: Long = "",
    knowledge_base: Annotated[str, Form(max_length=200)] = "",
    classification: Annotated[str, Form(max_length=32)] = "NU",
    releasable_to: Short = "NATO",
    tlp: Annotated[str, Form(max_length=32)] = "AMBER",
) -> Response:
    body: AttackObservationIn = validated(
        AttackObservationIn,
        {
            "expected_version": expected_version,
            "techniques": split_ids(techniques),
            "software": split_ids(software),
            "knowledge_base": knowledge_base.strip() or None,
            "source": source,
            "grade": grade,
            "marking": {
                "classification": classification,
                "releasable_to": _audiences(releasable_to),
                "tlp": tlp,
            },
        },
        "ATT&CK observation",
    )
    record_attack_observation(app, user, case_id, body)
    return RedirectResponse(f"/cases/{quote(case_id)}?done=attack#evidence", status_code=303)


@router.post("/cases/{case_id}/reviews")
def record_review(
    case_id: CaseId,
    user: Annotated[Principal, Depends(require(Permission.LEGAL_REVIEW))],
    app: AppDep,
    expected_version: Version,
    option_id: Annotated[str, Form(max_length=64)],
    outcome: Annotated[str, Form(max_length=32)],
    reasons: Long,
    conditions: Long = "",
    back: Annotated[str, Form(max_length=20)] = "case",
) -> Response:
    body: ReviewIn = validated(
        ReviewIn,
        {
            "expected_version": expected_version,
            "option_id": option_id,
            "outcome": outcome,
            "reasons": reasons,
            "conditions": conditions,
        },
        "legal review",
    )
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
    if back == "queue":
        return RedirectResponse("/reviews?done=review", status_code=303)
    return RedirectResponse(f"/cases/{quote(case_id)}?done=review#options", status_code=303)


@router.get("/cases/{case_id}/decision")
def decision_page(
    request: Request,
    case_id: CaseId,
    user: Annotated[Principal, Depends(require(Permission.VIEW_CASES))],
    app: AppDep,
    done: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    case, a, view = _package(app, case_id, user)
    return render(
        request,
        "decision.html",
        banner=a.marking,
        case=case,
        a=a,
        v=view,
        done=DONE.get(done, ""),
    )


@router.post("/cases/{case_id}/decision")
def record_decision(
    case_id: CaseId,
    user: Annotated[Principal, Depends(require(Permission.DECIDE))],
    app: AppDep,
    expected_version: Version,
    rationale: Long,
    chosen: Annotated[list[str], Form()] = [],  # noqa: B006 - FastAPI copies defaults
) -> Response:
    body: DecisionIn = validated(
        DecisionIn,
        {"expected_version": expected_version, "chosen": chosen, "rationale": rationale},
        "decision",
    )
    now = app.clock()
    with app.uow() as uow:
        cases.view_case(uow, case_id, user.clearance, now)
        cases.record_decision(
            uow, case_id, body.chosen, body.rationale, user.username, now, body.expected_version
        )
    return RedirectResponse(f"/cases/{quote(case_id)}/decision?done=decision", status_code=303)


@router.get("/cases/{case_id}/package.html")
def package_html(
    case_id: CaseId,
    user: Annotated[Principal, Depends(require(Permission.VIEW_CASES))],
    app: AppDep,
) -> Response:
    now = app.clock()
    with app.uow(read_only=True) as uow:
        case, a = cases.view_case(uow, case_id, user.clearance, now)
    return HTMLResponse(
        render_package_html(case, a, now),
        headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"},
    )


# --- queues and registers ----------------------------------------------------------


@router.get("/reviews")
def reviews_page(
    request: Request,
    user: Annotated[Principal, Depends(require(Permission.VIEW_CASES))],
    app: AppDep,
    done: Annotated[str, Query(max_length=20)] = "",
) -> Response:
    with app.uow(read_only=True) as uow:
        tasks = review_queue(uow, user.clearance, app.clock())
    return render(request, "reviews.html", tasks=tasks, done=DONE.get(done, ""))


@router.get("/audit")
def audit_page(
    request: Request,
    user: Annotated[Principal, Depends(require(Permission.VIEW_AUDIT))],
    app: AppDep,
    case: Annotated[str | None, Query(pattern=IDENT_PATTERN, max_length=64)] = None,
) -> Response:
    with app.uow(read_only=True) as uow:
        entries = audit_entries(uow, user, app.clock(), case)
    return render(request, "audit.html", entries=list(reversed(entries)), case_id=case)


@router.get("/policies")
def policies_page(
    request: Request,
    user: Annotated[Principal, Depends(require(Permission.VIEW_POLICIES))],
    app: AppDep,
) -> Response:
    kinds = []
    with app.uow(read_only=True) as uow:
        for kind in sorted(uow.policies.active()):
            versions = uow.policies.versions(kind)
            diffs = []
            for older, newer in itertools.pairwise(versions):
                lines = difflib.unified_diff(
                    older.body.splitlines(),
                    newer.body.splitlines(),
                    f"{kind} {older.version}",
                    f"{kind} {newer.version}",
                    lineterm="",
                )
                diffs.append((older.version, newer.version, list(lines)))
            kinds.append((kind, versions, diffs))
    return render(request, "policies.html", kinds=kinds)


@router.get("/search")
def search_page(
    request: Request,
    user: Annotated[Principal, Depends(require(Permission.VIEW_CASES))],
    app: AppDep,
    q: Annotated[str, Query(max_length=200)] = "",
) -> Response:
    with app.uow(read_only=True) as uow:
        hits = search(uow, user.clearance, q, app.clock())
    return render(request, "search.html", q=q, hits=hits)
