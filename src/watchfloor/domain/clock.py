"""The decision clock: the milestones from occurrence to decision, against the tier's deadline."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum


class Milestone(Enum):
    OCCURRED = "occurred"
    DETECTED = "detected"
    TRIAGED = "triaged"
    ATTRIBUTED = "attributed"
    OPTIONS_READY = "options_ready"
    LEGAL_CLEARED = "legal_cleared"
    DECIDED = "decided"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


@dataclass(frozen=True)
class ClockStatus:
    detected: datetime
    deadline: datetime
    now: datetime
    milestones: tuple[tuple[Milestone, datetime | None], ...]

    @property
    def stopped_at(self) -> datetime:
        decided = dict(self.milestones).get(Milestone.DECIDED)
        return decided or self.now

    @property
    def elapsed(self) -> timedelta:
        return self.stopped_at - self.detected

    @property
    def remaining(self) -> timedelta:
        return self.deadline - self.stopped_at

    @property
    def overdue(self) -> bool:
        return self.remaining < timedelta(0)

    @property
    def decided(self) -> bool:
        return dict(self.milestones).get(Milestone.DECIDED) is not None


def clock_status(
    milestones: Mapping[Milestone, datetime], deadline_hours: float, now: datetime
) -> ClockStatus:
    """The clock runs from detection; the tier sets the hours to the deadline."""
    detected = milestones.get(Milestone.DETECTED) or milestones.get(Milestone.OCCURRED) or now
    return ClockStatus(
        detected=detected,
        deadline=detected + timedelta(hours=deadline_hours),
        now=now,
        milestones=tuple((m, milestones.get(m)) for m in Milestone),
    )


def format_duration(delta: timedelta) -> str:
    sign = "-" if delta < timedelta(0) else ""
    total = abs(int(delta.total_seconds()))
    h, rem = divmod(total, 3600)
    return f"{sign}{h}h{rem // 60:02d}m"
