"""Case use cases: one function per command, each given a unit of work.

After every change the case is re-assessed: milestones the assessment reaches
are marked on the clock, and a legal review task opens for every option the
case's tier allows, so lawyers work while the attribution is still running.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime

from watchfloor.domain.assessment import CaseAssessment, Policies, advance_clock, assess
from watchfloor.domain.audit import AuditEvent
from watchfloor.domain.case import Case, Incident
from watchfloor.domain.clock import clock_status
from watchfloor.domain.errors import ConflictError, NotFound
from watchfloor.domain.evidence import EvidenceItem
from watchfloor.domain.hypotheses import Actor, Hypothesis
from watchfloor.domain.markings import Clearance, Marking
from watchfloor.domain.workflow import ReviewOutcome
from watchfloor.service.ports import PolicyText, UnitOfWork


def install_policies(
    uow: UnitOfWork, texts: Mapping[str, PolicyText], by: str, now: datetime
) -> list[str]:
    """Validate and activate policy versions; returns the kinds that changed."""
    uow.policies.validate(texts)  # refuse a bad or inconsistent set before storing any of it
    changed = []
    for kind, t in sorted(texts.items()):
        if uow.policies.put(kind, t.version, t.sha256, t.text, now):
            changed.append(kind)
            uow.audit.append(
                [
                    AuditEvent(
                        now,
                        by,
                        "policy.activated",
                        f"policy:{kind}",
                        {"version": t.version, "sha256": t.sha256},
                    )
                ]
            )
    uow.commit()
    return changed


def active_policies(uow: UnitOfWork) -> Policies:
    return uow.policies.active_policies()


def _refresh(uow: UnitOfWork, case: Case, by: str, now: datetime) -> CaseAssessment:
    policies = active_policies(uow)
    a = assess(case, policies, now)
    before = len(case.events)
    advance_clock(case, a, now, by)
    rank = policies.thresholds.rank(a.thresholds.tier.id)
    reviewable = [
        o.id for o in policies.menu.options if policies.thresholds.rank(o.min_tier) <= rank
    ]
    case.open_reviews(reviewable, by, now)
    # Milestones and review tasks change what the assessment shows; evidence does not move.
    return assess(case, policies, now) if len(case.events) != before else a


def _check_version(case: Case, expected_version: int | None) -> None:
    if expected_version is not None and case.version != expected_version:
        raise ConflictError(
            f"case {case.id} is at version {case.version}, your change was based on version "
            f"{expected_version}: someone else changed it; reload and apply your change again"
        )


def open_case(
    uow: UnitOfWork,
    case_id: str,
    title: str,
    incident: Incident,
    marking: Marking,
    by: str,
    now: datetime,
    exercise: str | None = None,
    unknown_prior: float = 1.0,
) -> CaseAssessment:
    case = Case.open(case_id, title, incident, marking, by, now, exercise, unknown_prior)
    uow.cases.add(case)
    a = _refresh(uow, case, by, now)
    uow.commit()
    return a


def add_actors(
    uow: UnitOfWork, case_id: str, actors: Iterable[Actor], by: str, now: datetime
) -> None:
    case = uow.cases.get(case_id)
    for actor in actors:
        case.add_actor(actor, by, now)
    uow.commit()


def add_hypotheses(
    uow: UnitOfWork,
    case_id: str,
    hypotheses: Iterable[Hypothesis],
    by: str,
    now: datetime,
    expected_version: int | None = None,
    actors: Iterable[Actor] = (),
) -> CaseAssessment:
    """Add hypotheses, and first any new actors they name, in one transaction."""
    case = uow.cases.get(case_id)
    _check_version(case, expected_version)
    for actor in actors:
        case.add_actor(actor, by, now)
    for h in hypotheses:
        case.add_hypothesis(h, by, now)
    a = _refresh(uow, case, by, now)
    uow.commit()
    return a


def add_actor_aliases(
    uow: UnitOfWork,
    case_id: str,
    actor_id: str,
    aliases: Iterable[str],
    by: str,
    now: datetime,
    expected_version: int | None = None,
) -> list[str]:
    """Give a case actor more names (see `Case.add_aliases`); returns those that were new."""
    case = uow.cases.get(case_id)
    _check_version(case, expected_version)
    added = case.add_aliases(actor_id, aliases, by, now)
    if added:
        uow.commit()
    return added


def add_evidence(
    uow: UnitOfWork,
    case_id: str,
    items: Iterable[EvidenceItem],
    by: str,
    now: datetime,
    expected_version: int | None = None,
) -> CaseAssessment:
    """Add evidence (one transaction for the batch) and re-assess."""
    case = uow.cases.get(case_id)
    _check_version(case, expected_version)
    for item in items:
        case.add_evidence(item, by, now)
    a = _refresh(uow, case, by, now)
    uow.commit()
    return a


def get_assessment(uow: UnitOfWork, case_id: str, now: datetime) -> tuple[Case, CaseAssessment]:
    case = uow.cases.get(case_id)
    return case, assess(case, active_policies(uow), now)


def view_case(
    uow: UnitOfWork, case_id: str, clearance: Clearance, now: datetime
) -> tuple[Case, CaseAssessment]:
    """The case as `clearance` may see it, and the assessment computed from that alone.

    A case above the viewer's marking is reported as not found (its existence is not
    confirmed); evidence items the viewer may not see are dropped before assessing, so
    nothing in the result, not even a posterior, depends on them.
    """
    version, marking = uow.cases.head(case_id)
    if not clearance.may_see(marking):
        raise NotFound(f"no case {case_id!r}")
    policies = active_policies(uow)
    key = (case_id, version, clearance, id(policies))
    hit = uow.views.get(key)
    if hit is not None:
        view, a = hit
        deadline = a.thresholds.tier.decision_deadline_hours
        return view, replace(a, clock=clock_status(view.milestones, deadline, now))
    case = uow.cases.get(case_id)
    visible = [e for e in case.evidence if clearance.may_see(e.marking)]
    view = replace(case, evidence=visible, events=[])
    result = (view, assess(view, policies, now))
    if view.version == version:
        uow.views.put(key, result)
    return result


def record_review(
    uow: UnitOfWork,
    case_id: str,
    option_id: str,
    outcome: ReviewOutcome,
    reasons: str,
    by: str,
    now: datetime,
    conditions: str = "",
    expected_version: int | None = None,
) -> CaseAssessment:
    case = uow.cases.get(case_id)
    _check_version(case, expected_version)
    policies = active_policies(uow)
    policies.menu.option(option_id)  # names an unknown option clearly
    case.record_review(option_id, outcome, by, reasons, now, conditions)
    a = _refresh(uow, case, by, now)
    uow.commit()
    return a


def record_decision(
    uow: UnitOfWork,
    case_id: str,
    chosen: Iterable[str],
    rationale: str,
    by: str,
    now: datetime,
    expected_version: int | None = None,
) -> CaseAssessment:
    case = uow.cases.get(case_id)
    _check_version(case, expected_version)
    policies = active_policies(uow)
    before = assess(case, policies, now)
    case.record_decision(chosen, by, rationale, now, before.eligible)
    a = assess(case, policies, now)
    uow.commit()
    return a
