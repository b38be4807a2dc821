"""The Admiralty code (NATO AJP-2.1 / STANAG 2511): source reliability and information credibility.

Each grade carries a weight in [0, 1] used to temper the likelihood of the
evidence it grades (see `docs/attribution-maths.md`). "Cannot be judged" (F, 6)
sits in the middle: it neither strengthens nor dismisses the report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from watchfloor.domain.errors import DomainError


class Reliability(Enum):
    """Source reliability, A (completely reliable) to F (cannot be judged)."""

    A = ("completely reliable", 1.0)
    B = ("usually reliable", 0.85)
    C = ("fairly reliable", 0.65)
    D = ("not usually reliable", 0.4)
    E = ("unreliable", 0.15)
    F = ("reliability cannot be judged", 0.5)

    def __init__(self, description: str, weight: float) -> None:
        self.description = description
        self.weight = weight


class Credibility(Enum):
    """Information credibility, 1 (confirmed by other sources) to 6 (cannot be judged)."""

    CONFIRMED = (1, "confirmed by other sources", 1.0)
    PROBABLY_TRUE = (2, "probably true", 0.85)
    POSSIBLY_TRUE = (3, "possibly true", 0.65)
    DOUBTFUL = (4, "doubtful", 0.4)
    IMPROBABLE = (5, "improbable", 0.15)
    CANNOT_BE_JUDGED = (6, "truth cannot be judged", 0.5)

    def __init__(self, number: int, description: str, weight: float) -> None:
        self.number = number
        self.description = description
        self.weight = weight

    @classmethod
    def of(cls, number: int) -> Credibility:
        for c in cls:
            if c.number == number:
                return c
        raise DomainError(f"credibility must be 1-6, got {number!r}")


_GRADE = re.compile(r"^\s*([A-Fa-f])\s*([1-6])\s*$")


@dataclass(frozen=True)
class AdmiraltyGrade:
    """A source grading such as B2: reliability letter and credibility number."""

    reliability: Reliability
    credibility: Credibility

    @classmethod
    def parse(cls, text: str) -> AdmiraltyGrade:
        match = _GRADE.match(str(text))
        if not match:
            raise DomainError(
                f"invalid Admiralty grade {text!r}: expected a letter A-F and a digit 1-6, e.g. B2"
            )
        return cls(Reliability[match.group(1).upper()], Credibility.of(int(match.group(2))))

    @property
    def code(self) -> str:
        return f"{self.reliability.name}{self.credibility.number}"

    @property
    def weight(self) -> float:
        """Weight in [0, 1]: the product of the reliability and credibility weights."""
        return self.reliability.weight * self.credibility.weight

    def at_least(self, floor: AdmiraltyGrade) -> bool:
        """True when both axes are at least as good as `floor` (F and 6 never are, unless
        the floor is F or 6 itself): "B2 or better" means A1, A2, B1, B2."""
        return _rank_r(self.reliability) <= _rank_r(floor.reliability) and _rank_c(
            self.credibility
        ) <= _rank_c(floor.credibility)

    def __str__(self) -> str:
        return self.code


def _rank_r(r: Reliability) -> int:
    return "ABCDEF".index(r.name)


def _rank_c(c: Credibility) -> int:
    return c.number
