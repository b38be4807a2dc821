"""Exercise scenarios: a case to open, timed injects, and the ground truth to score against."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from watchfloor.domain.case import Incident
from watchfloor.domain.evidence import EvidenceItem
from watchfloor.domain.exercise import GroundTruth
from watchfloor.domain.hypotheses import Actor, Hypothesis
from watchfloor.domain.markings import Marking
from watchfloor.domain.workflow import ReviewOutcome


@dataclass(frozen=True)
class EvidenceInject:
    item: EvidenceItem


@dataclass(frozen=True)
class LegalInject:
    option_id: str
    outcome: ReviewOutcome
    reasons: str
    conditions: str = ""


@dataclass(frozen=True)
class DecisionInject:
    options: tuple[str, ...]
    rationale: str


@dataclass(frozen=True)
class Inject:
    at: datetime
    by: str
    action: EvidenceInject | LegalInject | DecisionInject
    line: int | None = None  # where it stands in the scenario file


@dataclass(frozen=True)
class Scenario:
    id: str
    title: str
    description: str
    file: str
    start: datetime
    case_id: str
    case_title: str
    marking: Marking
    incident: Incident
    actors: tuple[Actor, ...]
    hypotheses: tuple[Hypothesis, ...]
    unknown_prior: float
    injects: tuple[Inject, ...]
    truth: GroundTruth | None = None
    analyst: str = field(default="watch-analyst")
