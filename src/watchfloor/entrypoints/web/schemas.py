"""Request bodies of the JSON API, and their conversion to domain objects.

Bounds are part of the contract: every string has a maximum length and no
control characters, every list a maximum size, every number is finite, every
time lies between 1970 and 2200. Anything else is refused with 422 before the
domain sees it; the domain's own rules answer 400.
"""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from watchfloor.domain.case import Incident
from watchfloor.domain.evidence import CostToFake, DiamondFacet, EvidenceClass, EvidenceItem
from watchfloor.domain.grading import AdmiraltyGrade
from watchfloor.domain.hypotheses import Actor, Hypothesis, HypothesisKind
from watchfloor.domain.markings import NATO, PAP, TLP, Classification, Marking
from watchfloor.domain.thresholds import Estimate
from watchfloor.domain.workflow import ReviewOutcome

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
IDENT_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$"


def _printable(text: str) -> str:
    if _CONTROL.search(text):
        raise ValueError("must not contain control characters")
    return text


def _instant(at: datetime) -> datetime:
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    if not (datetime(1970, 1, 1, tzinfo=UTC) <= at <= datetime(2200, 1, 1, tzinfo=UTC)):
        raise ValueError("must lie between 1970 and 2200")
    return at.astimezone(UTC)


def _not_blank(text: str) -> str:
    if not text.strip():
        raise ValueError("must not be blank")
    return text


Ident = Annotated[str, Field(pattern=IDENT_PATTERN, max_length=64)]
Label = Annotated[str, Field(min_length=1, max_length=300), AfterValidator(_printable)]
Title = Annotated[Label, AfterValidator(_not_blank)]
Prose = Annotated[str, Field(max_length=20_000), AfterValidator(_printable)]
Instant = Annotated[datetime, AfterValidator(_instant)]
Audience = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$")]
Probability = Annotated[float, Field(gt=0.0, le=1.0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class MarkingIn(_Strict):
    classification: Annotated[str, Field(max_length=32)] = "NU"
    releasable_to: Annotated[list[Audience], Field(max_length=40)] = [NATO]
    tlp: Annotated[str, Field(max_length=32)] = "AMBER"
    pap: Annotated[str, Field(max_length=32)] = "AMBER"
    originator: Audience = NATO

    def to_domain(self) -> Marking:
        return Marking(
            Classification.parse(self.classification),
            frozenset(self.releasable_to),
            TLP.parse(self.tlp),
            PAP.parse(self.pap),
            self.originator,
        )


class EstimateIn(_Strict):
    value: Annotated[float, Field(ge=-1e15, le=1e15)]
    low: Annotated[float, Field(ge=-1e15, le=1e15)] | None = None
    high: Annotated[float, Field(ge=-1e15, le=1e15)] | None = None

    def to_domain(self) -> Estimate:
        low = self.value if self.low is None else self.low
        high = self.value if self.high is None else self.high
        return Estimate(self.value, low, high)


class IncidentIn(_Strict):
    title: Title
    summary: Prose = ""
    occurred: Instant
    detected: Instant
    assets: Annotated[list[Label], Field(max_length=100)] = []
    countries: Annotated[list[Audience], Field(max_length=100)] = []
    sectors: Annotated[list[Label], Field(max_length=50)] = []
    impact: Annotated[dict[Ident, EstimateIn], Field(max_length=50)] = {}

    def to_domain(self) -> Incident:
        return Incident(
            self.title,
            self.summary,
            self.occurred,
            self.detected,
            tuple(self.assets),
            tuple(self.countries),
            tuple(self.sectors),
            {k: v.to_domain() for k, v in self.impact.items()},
        )


class OpenCaseIn(_Strict):
    id: Ident
    title: Title
    incident: IncidentIn
    marking: MarkingIn = MarkingIn()
    unknown_prior: Annotated[float, Field(gt=0.0, le=1000.0)] = 1.0


class EvidenceIn(_Strict):
    id: Ident | None = Field(default=None, description="left out: the server assigns one")
    title: Title
    source: Title
    grade: Annotated[str, Field(max_length=8, examples=["B2"])]
    evidence_class: Annotated[str, Field(max_length=32, examples=["infrastructure"])]
    likelihoods: Annotated[dict[Ident, Probability], Field(max_length=50)] = {}
    marking: MarkingIn = MarkingIn()
    diamond: Annotated[str, Field(max_length=32)] = "capability"
    baseline: Probability = 0.1
    dependence_group: Ident | None = None
    cost_to_fake: Annotated[str, Field(max_length=16)] = "medium"
    description: Prose = ""
    kind: Annotated[str, Field(max_length=64), AfterValidator(_printable)] = "report"
    observed_at: Instant | None = None

    def to_domain(self) -> EvidenceItem:
        return EvidenceItem(
            id=self.id or f"E-{secrets.token_hex(4)}",
            title=self.title,
            source=self.source,
            grade=AdmiraltyGrade.parse(self.grade),
            evidence_class=EvidenceClass.parse(self.evidence_class),
            likelihoods=dict(self.likelihoods),
            marking=self.marking.to_domain(),
            diamond=DiamondFacet.parse(self.diamond),
            baseline=self.baseline,
            dependence_group=self.dependence_group,
            cost_to_fake=CostToFake.parse(self.cost_to_fake),
            description=self.description,
            kind=self.kind,
            observed_at=self.observed_at,
        )


class AddEvidenceIn(_Strict):
    expected_version: Annotated[int, Field(ge=0, le=2**31)]
    items: Annotated[list[EvidenceIn], Field(min_length=1, max_length=100)]


AttackId = Annotated[str, Field(pattern=r"^\s*[A-Za-z0-9][A-Za-z0-9._-]{0,31}\s*$")]


class AttackObservationIn(_Strict):
    """Observed ATT&CK technique and software ids, scored against a stored
    knowledge base and added to the case as one tradecraft evidence item."""

    expected_version: Annotated[int, Field(ge=0, le=2**31)]
    techniques: Annotated[list[AttackId], Field(max_length=1000, examples=[["T1566.001"]])] = []
    software: Annotated[list[AttackId], Field(max_length=1000, examples=[["S0002"]])] = []
    knowledge_base: Annotated[
        str | None,
        Field(
            max_length=200,
            description="NAME or NAME@VERSION of a stored knowledge base; "
            "left out: the one loaded last",
            examples=["enterprise-attack@14.1"],
        ),
    ] = None
    source: Title
    grade: Annotated[str, Field(max_length=8, examples=["B2"])]
    marking: MarkingIn = MarkingIn()
    dependence_group: Ident | None = None


class ActorIn(_Strict):
    id: Ident
    name: Title
    sponsor: Label | None = None
    cluster: Label | None = None
    aliases: Annotated[
        list[Title],
        Field(
            max_length=50,
            description="other names: ATT&CK ids and names, vendors' designations; "
            "knowledge-driven evidence links to the actor through them",
            examples=[["G0007", "APT28", "Fancy Bear"]],
        ),
    ] = []

    def to_domain(self) -> Actor:
        return Actor(self.id, self.name, self.sponsor, self.cluster, tuple(self.aliases))


class AliasesIn(_Strict):
    expected_version: Annotated[int, Field(ge=0, le=2**31)]
    aliases: Annotated[
        list[Title], Field(min_length=1, max_length=50, examples=[["G0034", "Voodoo Bear"]])
    ]


class HypothesisIn(_Strict):
    id: Ident
    kind: Annotated[str, Field(pattern=r"^(actor|false_flag)$")] = "actor"
    label: Title
    actor: Ident
    framed: Ident | None = None
    prior: Annotated[float, Field(gt=0.0, le=1000.0)] = 1.0

    def to_domain(self) -> Hypothesis:
        return Hypothesis(
            self.id, HypothesisKind(self.kind), self.label, self.actor, self.framed, self.prior
        )


class AddHypothesesIn(_Strict):
    expected_version: Annotated[int, Field(ge=0, le=2**31)]
    actors: Annotated[list[ActorIn], Field(max_length=50)] = []
    hypotheses: Annotated[list[HypothesisIn], Field(min_length=1, max_length=50)]


class ReviewIn(_Strict):
    expected_version: Annotated[int, Field(ge=0, le=2**31)]
    option_id: Ident
    outcome: Annotated[str, Field(pattern=r"^(approved|approved_with_conditions|rejected)$")]
    reasons: Annotated[Prose, AfterValidator(_not_blank)]
    conditions: Prose = ""

    def outcome_domain(self) -> ReviewOutcome:
        return ReviewOutcome.parse(self.outcome)


class DecisionIn(_Strict):
    expected_version: Annotated[int, Field(ge=0, le=2**31)]
    chosen: Annotated[list[Ident], Field(max_length=50)]
    rationale: Annotated[Prose, AfterValidator(_not_blank)]
