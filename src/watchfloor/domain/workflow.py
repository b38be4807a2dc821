"""Legal review of response options and the decision that follows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from watchfloor.domain.errors import DomainError


class ReviewOutcome(Enum):
    PENDING = "pending"
    APPROVED = "approved"
    APPROVED_WITH_CONDITIONS = "approved_with_conditions"
    REJECTED = "rejected"

    @classmethod
    def parse(cls, text: str) -> ReviewOutcome:
        key = text.strip().lower().replace(" ", "_").replace("-", "_")
        for o in cls:
            if o.value == key:
                return o
        raise DomainError(
            f"unknown review outcome {text!r}: expected approved, approved_with_conditions "
            "or rejected"
        )

    @property
    def clears(self) -> bool:
        return self in (ReviewOutcome.APPROVED, ReviewOutcome.APPROVED_WITH_CONDITIONS)


@dataclass(frozen=True)
class LegalReview:
    """The legal adviser's review of one option for one case."""

    option_id: str
    opened_at: datetime
    outcome: ReviewOutcome = ReviewOutcome.PENDING
    reviewer: str | None = None
    reasons: str = ""
    conditions: str = ""
    decided_at: datetime | None = None

    def decide(
        self,
        outcome: ReviewOutcome,
        reviewer: str,
        reasons: str,
        at: datetime,
        conditions: str = "",
    ) -> LegalReview:
        if outcome is ReviewOutcome.PENDING:
            raise DomainError(f"review of {self.option_id}: a decision cannot be 'pending'")
        if not reasons.strip():
            raise DomainError(f"review of {self.option_id}: reasons are required")
        if outcome is ReviewOutcome.APPROVED_WITH_CONDITIONS and not conditions.strip():
            raise DomainError(f"review of {self.option_id}: state the conditions of the approval")
        return LegalReview(
            self.option_id, self.opened_at, outcome, reviewer, reasons, conditions, at
        )


@dataclass(frozen=True)
class Decision:
    """What the decision-maker chose, from the cleared options only."""

    decided_at: datetime
    decided_by: str
    chosen: tuple[str, ...]
    rationale: str
