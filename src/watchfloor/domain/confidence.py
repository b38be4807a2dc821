"""Standard confidence language.

- ICD 203 expressions of likelihood (US ODNI, Intelligence Community Directive
  203, 2015): seven terms with probability ranges.
- Analytic confidence (low / moderate / high): a statement about the basis of a
  judgement, never mixed with likelihood in the same sentence (ICD 203 §D.6.b).
- The five STIX 2.1 confidence scales (STIX 2.1 specification, appendix A):
  each maps a scale value to a STIX confidence 0-100 and a STIX confidence
  back to a scale value.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from watchfloor.domain.errors import DomainError


class LikelihoodTerm(Enum):
    """ICD 203 likelihood terms: (term, alternative term, lower bound, upper bound)."""

    ALMOST_NO_CHANCE = ("almost no chance", "remote", 0.01, 0.05)
    VERY_UNLIKELY = ("very unlikely", "highly improbable", 0.05, 0.20)
    UNLIKELY = ("unlikely", "improbable", 0.20, 0.45)
    ROUGHLY_EVEN_CHANCE = ("roughly even chance", "roughly even odds", 0.45, 0.55)
    LIKELY = ("likely", "probable", 0.55, 0.80)
    VERY_LIKELY = ("very likely", "highly probable", 0.80, 0.95)
    ALMOST_CERTAIN = ("almost certain", "nearly certain", 0.95, 0.99)

    def __init__(self, term: str, alternative: str, low: float, high: float) -> None:
        self.term = term
        self.alternative = alternative
        self.low = low
        self.high = high

    @classmethod
    def for_probability(cls, p: float) -> LikelihoodTerm:
        """The term whose range holds `p`. Ranges are [low, high); values below 0.01
        read "almost no chance" and values from 0.95 up "almost certain", since
        ICD 203 offers no stronger words."""
        if not 0.0 <= p <= 1.0 or p != p:
            raise DomainError(f"probability must lie in [0, 1], got {p!r}")
        for term in cls:
            if p < term.high:
                return term
        return cls.ALMOST_CERTAIN

    @property
    def range_text(self) -> str:
        return f"{self.low:.0%}-{self.high:.0%}"

    def __str__(self) -> str:
        return self.term


class AnalyticConfidence(Enum):
    """Confidence in the basis of a judgement (sources, reasoning, gaps)."""

    LOW = "low"
    MODERATE = "moderate"
    HIGH = "high"

    @property
    def rank(self) -> int:
        return ["low", "moderate", "high"].index(self.value)

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True)
class ScaleEntry:
    """One row of a STIX confidence scale: a scale value, its STIX value, the STIX range."""

    value: str
    stix: int
    low: int
    high: int


@dataclass(frozen=True)
class ConfidenceScale:
    """A STIX 2.1 confidence scale (spec appendix A)."""

    name: str
    entries: tuple[ScaleEntry, ...]

    def to_stix(self, value: str | int) -> int:
        key = str(value).strip().lower()
        for e in self.entries:
            if key in {part.strip().lower() for part in e.value.split("/")} | {e.value.lower()}:
                return e.stix
        raise DomainError(f"{value!r} is not a value of the {self.name} confidence scale")

    def from_stix(self, confidence: int) -> str:
        if not isinstance(confidence, int) or not 0 <= confidence <= 100:
            raise DomainError(f"STIX confidence must be an integer 0-100, got {confidence!r}")
        for e in self.entries:
            if e.low <= confidence <= e.high:
                return e.value
        raise DomainError(f"STIX confidence {confidence} has no value on the {self.name} scale")


def _scale(name: str, rows: list[tuple[str, int, int, int]]) -> ConfidenceScale:
    return ConfidenceScale(name, tuple(ScaleEntry(*r) for r in rows))


NONE_LOW_MED_HIGH = _scale(
    "None/Low/Med/High",
    [("None", 0, 0, 0), ("Low", 15, 1, 29), ("Med", 50, 30, 69), ("High", 85, 70, 100)],
)
ZERO_TO_TEN = _scale(
    "0-10",
    [("0", 0, 0, 4)]
    + [(str(i), 10 * i, 10 * i - 5, 10 * i + 4) for i in range(1, 10)]
    + [("10", 100, 95, 100)],
)
ADMIRALTY_CREDIBILITY = _scale(
    "Admiralty Credibility",
    [
        ("5", 10, 0, 19),
        ("4", 30, 20, 39),
        ("3", 50, 40, 59),
        ("2", 70, 60, 79),
        ("1", 90, 80, 100),
    ],
)
WEP = _scale(
    "WEP",
    [
        ("Impossible", 0, 0, 0),
        ("Highly Unlikely/Almost Certainly Not", 10, 1, 19),
        ("Unlikely/Probably Not", 30, 20, 39),
        ("Even Chance", 50, 40, 59),
        ("Likely/Probable", 70, 60, 79),
        ("Highly likely/Almost Certain", 90, 80, 99),
        ("Certain", 100, 100, 100),
    ],
)
DNI = _scale(
    "DNI",
    [
        ("Almost No Chance / Remote", 5, 0, 9),
        ("Very Unlikely / Highly Improbable", 15, 10, 19),
        ("Unlikely / Improbable", 30, 20, 39),
        ("Roughly Even Chance / Roughly Even Odds", 50, 40, 59),
        ("Likely / Probable", 70, 60, 79),
        ("Very Likely / Highly Probable", 85, 80, 89),
        ("Almost Certain / Nearly Certain", 95, 90, 100),
    ],
)

STIX_CONFIDENCE_SCALES: dict[str, ConfidenceScale] = {
    s.name: s for s in (NONE_LOW_MED_HIGH, ZERO_TO_TEN, ADMIRALTY_CREDIBILITY, WEP, DNI)
}


def stix_confidence(probability: float) -> int:
    """A probability expressed as STIX confidence 0-100 (rounded percentage)."""
    if not 0.0 <= probability <= 1.0:
        raise DomainError(f"probability must lie in [0, 1], got {probability!r}")
    return round(probability * 100)
