"""What an indicator import gives back, and how it fails."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from watchfloor.engines.correlation.model import Indicator

__all__ = ["IndicatorImport", "IndicatorImportError", "Problem"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One object (by id, or by position when it has none) and why."""

    item: str
    reason: str

    def __str__(self) -> str:
        return f"{self.item}: {self.reason}"


@dataclass
class IndicatorImport:
    """The indicators of one source, and what was left out and why.

    ``unsupported`` are well-formed indicators this matcher cannot use
    (complex patterns, other attribute types); ``skipped`` are left out on
    purpose (revoked, not marked for detection).
    """

    source: str
    indicators: list[Indicator]
    unsupported: list[Problem] = field(default_factory=list)
    skipped: list[Problem] = field(default_factory=list)

    def summary(self) -> str:
        ids = len({i.id for i in self.indicators})
        return (
            f"{self.source}: {ids} indicator(s), {len(self.indicators)} value(s); "
            f"{len(self.unsupported)} unsupported, {len(self.skipped)} skipped"
        )


class IndicatorImportError(ValueError):
    """The source was refused as a whole; ``problems`` names each failing object."""

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        self.source = source
        self.problems = tuple(problems)
        shown = "; ".join(str(p) for p in self.problems[:10])
        more = f" (and {len(self.problems) - 10} more)" if len(self.problems) > 10 else ""
        super().__init__(
            f"{source}: {len(self.problems)} invalid object(s), nothing imported: {shown}{more}"
        )
