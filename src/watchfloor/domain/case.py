"""The case: the aggregate an incident lives in, from first evidence to decision.

Every change goes through a method here, bumps nothing by itself (the unit of
work stamps versions) and records an `AuditEvent`, so the audit trail holds
every change in the order it happened.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import Enum
from typing import Any

from watchfloor.domain.audit import AuditEvent
from watchfloor.domain.clock import Milestone
from watchfloor.domain.errors import DomainError
from watchfloor.domain.evidence import EvidenceItem
from watchfloor.domain.hypotheses import Actor, Hypothesis, HypothesisKind
from watchfloor.domain.markings import Marking
from watchfloor.domain.thresholds import Estimate
from watchfloor.domain.workflow import Decision, LegalReview, ReviewOutcome


class CaseStatus(Enum):
    OPEN = "open"
    DECIDED = "decided"
    CLOSED = "closed"


@dataclass(frozen=True)
class Incident:
    """What happened, to what, where, and how badly."""

    title: str
    summary: str
    occurred: datetime
    detected: datetime
    assets: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    sectors: tuple[str, ...] = ()
    impact: Mapping[str, Estimate] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.detected < self.occurred:
            raise DomainError(
                f"incident {self.title!r}: detected ({self.detected.isoformat()}) is before "
                f"occurred ({self.occurred.isoformat()})"
            )

    def measures(self, critical_sectors: Iterable[str]) -> dict[str, Estimate]:
        """The measures threshold criteria read: recorded impact plus derived counts."""
        critical = {s.lower() for s in critical_sectors}
        derived = {
            "countries_affected": Estimate.exact(len(set(self.countries))),
            "critical_sectors_affected": Estimate.exact(
                len({s.lower() for s in self.sectors} & critical)
            ),
            "assets_affected": Estimate.exact(len(self.assets)),
        }
        return {**derived, **self.impact}


@dataclass
class Case:
    id: str
    title: str
    incident: Incident
    marking: Marking
    actors: dict[str, Actor] = field(default_factory=dict)
    hypotheses: list[Hypothesis] = field(default_factory=list)
    evidence: list[EvidenceItem] = field(default_factory=list)
    reviews: dict[str, LegalReview] = field(default_factory=dict)
    decision: Decision | None = None
    milestones: dict[Milestone, datetime] = field(default_factory=dict)
    status: CaseStatus = CaseStatus.OPEN
    exercise: str | None = None
    version: int = 0
    events: list[AuditEvent] = field(default_factory=list, repr=False)

    @classmethod
    def open(
        cls,
        case_id: str,
        title: str,
        incident: Incident,
        marking: Marking,
        by: str,
        at: datetime,
        exercise: str | None = None,
        unknown_prior: float = 1.0,
    ) -> Case:
        case = cls(case_id, title, incident, marking, exercise=exercise)
        case.hypotheses.append(Hypothesis.unknown(unknown_prior))
        case.milestones[Milestone.OCCURRED] = incident.occurred
        case.milestones[Milestone.DETECTED] = incident.detected
        case._record(
            by,
            at,
            "case.opened",
            {"title": title, "incident": incident.title, "marking": marking.banner()},
        )
        return case

    def _record(self, actor: str, at: datetime, action: str, payload: dict[str, Any]) -> None:
        self.events.append(AuditEvent(at, actor, action, self.id, payload))

    def _require_open(self) -> None:
        if self.status is not CaseStatus.OPEN:
            raise DomainError(f"case {self.id} is {self.status.value}: no further changes")

    def add_actor(self, actor: Actor, by: str, at: datetime) -> None:
        self._require_open()
        if actor.id in self.actors:
            raise DomainError(f"case {self.id}: actor {actor.id} is already known")
        self.actors[actor.id] = actor
        self._record(by, at, "actor.added", {"actor": actor.id, "sponsor": actor.sponsor})

    def add_aliases(
        self, actor_id: str, aliases: Iterable[str], by: str, at: datetime
    ) -> list[str]:
        """Give a known actor more names (ATT&CK ids, vendors' designations), through
        which knowledge-driven evidence links to it. Returns the names that were
        new (compared ignoring case and surrounding spaces); nothing is recorded
        when none is."""
        self._require_open()
        actor = self.actors.get(actor_id)
        if actor is None:
            raise DomainError(f"case {self.id}: no actor {actor_id!r}")
        have = {a.casefold() for a in (actor.id, actor.name, *actor.aliases)}
        new: list[str] = []
        for alias in aliases:
            name = alias.strip()
            if name and name.casefold() not in have:
                have.add(name.casefold())
                new.append(name)
        if new:
            self.actors[actor_id] = replace(actor, aliases=(*actor.aliases, *new))
            self._record(by, at, "actor.aliases_added", {"actor": actor_id, "aliases": new})
        return new

    def add_hypothesis(self, hypothesis: Hypothesis, by: str, at: datetime) -> None:
        self._require_open()
        if any(h.id == hypothesis.id for h in self.hypotheses):
            raise DomainError(f"case {self.id}: hypothesis {hypothesis.id} already exists")
        for ref in (hypothesis.actor, hypothesis.framed):
            if ref is not None and ref not in self.actors:
                raise DomainError(
                    f"case {self.id}: hypothesis {hypothesis.id} names unknown actor {ref!r}"
                )
        if hypothesis.kind is HypothesisKind.UNKNOWN:
            raise DomainError(f"case {self.id}: the unknown / other hypothesis already exists")
        self.hypotheses.append(hypothesis)
        self._record(
            by,
            at,
            "hypothesis.added",
            {"hypothesis": hypothesis.id, "kind": hypothesis.kind.value, "label": hypothesis.label},
        )

    def add_evidence(self, item: EvidenceItem, by: str, at: datetime) -> None:
        self._require_open()
        if any(e.id == item.id for e in self.evidence):
            raise DomainError(f"case {self.id}: evidence {item.id} already exists")
        self.evidence.append(item)
        self._record(
            by,
            at,
            "evidence.added",
            {
                "evidence": item.id,
                "source": item.source,
                "grade": item.grade.code,
                "class": item.evidence_class.value,
                "group": item.group,
                "marking": item.marking.banner(),
            },
        )

    def open_reviews(self, option_ids: Iterable[str], by: str, at: datetime) -> list[str]:
        """Open a legal review task for every option that has none yet (open cases only)."""
        if self.status is not CaseStatus.OPEN:
            return []
        opened = []
        for oid in option_ids:
            if oid not in self.reviews:
                self.reviews[oid] = LegalReview(oid, at)
                opened.append(oid)
        if opened:
            self._record(by, at, "legal.reviews_opened", {"options": opened})
        return opened

    def record_review(
        self,
        option_id: str,
        outcome: ReviewOutcome,
        reviewer: str,
        reasons: str,
        at: datetime,
        conditions: str = "",
    ) -> LegalReview:
        self._require_open()
        task = self.reviews.get(option_id)
        if task is None:
            raise DomainError(f"case {self.id}: no legal review task for option {option_id!r}")
        decided = task.decide(outcome, reviewer, reasons, at, conditions)
        self.reviews[option_id] = decided
        self._record(
            reviewer,
            at,
            "legal.reviewed",
            {
                "option": option_id,
                "outcome": outcome.value,
                "reasons": reasons,
                "conditions": conditions,
            },
        )
        return decided

    def cleared_options(self) -> set[str]:
        return {oid for oid, r in self.reviews.items() if r.outcome.clears}

    def record_decision(
        self,
        chosen: Iterable[str],
        decided_by: str,
        rationale: str,
        at: datetime,
        eligible: set[str],
    ) -> Decision:
        self._require_open()
        picked = tuple(chosen)
        if not rationale.strip():
            raise DomainError(f"case {self.id}: a decision needs its rationale")
        for oid in picked:
            if oid not in eligible:
                raise DomainError(f"case {self.id}: option {oid!r} is not eligible for this case")
            if oid not in self.cleared_options():
                raise DomainError(
                    f"case {self.id}: option {oid!r} has not been cleared by legal review"
                )
        self.decision = Decision(at, decided_by, picked, rationale)
        self.status = CaseStatus.DECIDED
        self.mark(Milestone.DECIDED, at, decided_by)
        self._record(
            decided_by, at, "decision.recorded", {"chosen": list(picked), "rationale": rationale}
        )
        return self.decision

    def mark(self, milestone: Milestone, at: datetime, by: str) -> bool:
        """Record a milestone the first time it is reached; later calls change nothing."""
        if milestone in self.milestones:
            return False
        self.milestones[milestone] = at
        self._record(by, at, "clock.milestone", {"milestone": milestone.value})
        return True

    def drain_events(self) -> list[AuditEvent]:
        events, self.events = self.events, []
        return events
