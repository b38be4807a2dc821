"""Evidence items: what an analyst, a partner or a scorer brings to a case.

Every item keeps its source, its Admiralty grading, its evidence class, the
Diamond-model facet it speaks to, the dependence group it shares with other
reports of the same original source, how cheap it would be to fake, and its
marking. Its weight of evidence is a set of likelihoods P(E | actor): how
probable this observation is if that actor did it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import Any

from watchfloor.domain.errors import DomainError
from watchfloor.domain.grading import AdmiraltyGrade
from watchfloor.domain.markings import Marking

#: Likelihood key for "an actor not named among the hypotheses" (the unknown / other one).
OTHER = "other"


class EvidenceClass(Enum):
    """Classes of attribution evidence; standards ask for a spread across them."""

    TRADECRAFT = "tradecraft"
    INFRASTRUCTURE = "infrastructure"
    MALWARE = "malware"
    INTENT = "intent"
    EXTERNAL = "external"  # external indicators: partner and open-source reporting
    ORBITAL = "orbital"  # orbital proximity, manoeuvres, proximity operations

    @classmethod
    def parse(cls, text: str) -> EvidenceClass:
        key = text.strip().lower().replace(" ", "_").replace("-", "_")
        if key in ("external_indicators",):
            key = "external"
        for c in cls:
            if c.value == key:
                return c
        names = ", ".join(c.value for c in cls)
        raise DomainError(f"unknown evidence class {text!r}: expected one of {names}")


class DiamondFacet(Enum):
    """The facet of the Diamond Model of Intrusion Analysis an item informs."""

    ADVERSARY = "adversary"
    CAPABILITY = "capability"
    INFRASTRUCTURE = "infrastructure"
    VICTIM = "victim"

    @classmethod
    def parse(cls, text: str) -> DiamondFacet:
        try:
            return cls(text.strip().lower())
        except ValueError:
            names = ", ".join(c.value for c in cls)
            raise DomainError(f"unknown Diamond facet {text!r}: expected one of {names}") from None


class CostToFake(Enum):
    """How expensive it would be for another actor to plant this evidence.

    The weight tempers the item's likelihoods (cheap evidence moves beliefs
    less); under a "false flag" hypothesis cheap evidence is expected to point
    at the framed actor (see `domain.fusion`).
    """

    LOW = ("low", 0.5)
    MEDIUM = ("medium", 0.8)
    HIGH = ("high", 1.0)

    def __init__(self, label: str, weight: float) -> None:
        self.label = label
        self.weight = weight

    @classmethod
    def parse(cls, text: str) -> CostToFake:
        for c in cls:
            if c.label == text.strip().lower():
                return c
        raise DomainError(f"unknown cost to fake {text!r}: expected low, medium or high")


@dataclass(frozen=True)
class EvidenceItem:
    """One piece of evidence, with its provenance and weight.

    `likelihoods` maps actor ids (and `OTHER`) to P(E | actor) in (0, 1];
    actors not listed get `baseline`. Only ratios matter to the fusion.
    """

    id: str
    title: str
    source: str
    grade: AdmiraltyGrade
    evidence_class: EvidenceClass
    likelihoods: Mapping[str, float]
    marking: Marking
    diamond: DiamondFacet = DiamondFacet.CAPABILITY
    baseline: float = 0.1
    dependence_group: str | None = None
    cost_to_fake: CostToFake = CostToFake.MEDIUM
    description: str = ""
    kind: str = "report"
    observed_at: datetime | None = None
    reported_at: datetime | None = None
    attributes: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.id.strip():
            raise DomainError("evidence id must not be empty")
        for actor, p in {**self.likelihoods, "baseline": self.baseline}.items():
            if not (0.0 < float(p) <= 1.0):
                raise DomainError(
                    f"evidence {self.id}: likelihood for {actor!r} must lie in (0, 1], got {p!r}"
                )

    @property
    def group(self) -> str:
        """The dependence group: reports sharing an original source share a group."""
        return self.dependence_group or self.id

    @property
    def weight(self) -> float:
        """Tempering exponent in [0, 1]: grading weight times cost-to-fake weight."""
        return self.grade.weight * self.cost_to_fake.weight

    def likelihood(self, actor_id: str) -> float:
        return float(self.likelihoods.get(actor_id, self.baseline))
