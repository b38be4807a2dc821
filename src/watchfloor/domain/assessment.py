"""The whole assessment of a case: fusion, standards, thresholds, menu and clock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from watchfloor.domain.case import Case
from watchfloor.domain.clock import ClockStatus, Milestone, clock_status
from watchfloor.domain.fusion import FusionResult, fuse
from watchfloor.domain.hypotheses import Layer
from watchfloor.domain.markings import Marking
from watchfloor.domain.response import OptionStatus, ResponseMenu, evaluate_menu
from watchfloor.domain.standards import EvidenceStandardPolicy, StandardCheck, check_standards
from watchfloor.domain.thresholds import ThresholdAssessment, ThresholdPolicy, assess_thresholds


@dataclass(frozen=True)
class Policies:
    """The versioned policies in force: thresholds, evidence standards, response menu."""

    thresholds: ThresholdPolicy
    standards: EvidenceStandardPolicy
    menu: ResponseMenu


@dataclass(frozen=True)
class CaseAssessment:
    fusion: FusionResult
    standards: tuple[StandardCheck, ...]
    thresholds: ThresholdAssessment
    options: tuple[OptionStatus, ...]
    clock: ClockStatus
    marking: Marking  # high-water mark of the case and every item it draws on

    @property
    def eligible(self) -> set[str]:
        return {s.option.id for s in self.options if s.eligible}

    def standard(self, layer: Layer) -> StandardCheck | None:
        for s in self.standards:
            if s.layer is layer:
                return s
        return None


def assess(case: Case, policies: Policies, now: datetime) -> CaseAssessment:
    fusion = fuse(case.hypotheses, case.evidence, case.actors, policies.standards.confidence)
    standards = check_standards(policies.standards, fusion, case.actors)
    measures = case.incident.measures(policies.thresholds.critical_sectors)
    thresholds = assess_thresholds(policies.thresholds, measures)
    options = evaluate_menu(
        policies.menu, policies.thresholds, thresholds.tier.id, fusion, standards
    )
    clock = clock_status(case.milestones, thresholds.tier.decision_deadline_hours, now)
    marking = Marking.most_restrictive([case.marking, *(e.marking for e in case.evidence)])
    return CaseAssessment(fusion, standards, thresholds, options, clock, marking)


def advance_clock(case: Case, a: CaseAssessment, at: datetime, by: str) -> list[Milestone]:
    """Mark the milestones this assessment reaches (each only the first time)."""
    reached = []
    if case.evidence and case.mark(Milestone.TRIAGED, at, by):
        reached.append(Milestone.TRIAGED)
    actor_std = a.standard(Layer.NAMED_ACTOR)
    if actor_std is not None and actor_std.met and case.mark(Milestone.ATTRIBUTED, at, by):
        reached.append(Milestone.ATTRIBUTED)
    if a.eligible and case.mark(Milestone.OPTIONS_READY, at, by):
        reached.append(Milestone.OPTIONS_READY)
    if (a.eligible & case.cleared_options()) and case.mark(Milestone.LEGAL_CLEARED, at, by):
        reached.append(Milestone.LEGAL_CLEARED)
    return reached
