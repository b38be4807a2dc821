"""The pre-agreed, graduated response menu and each option's eligibility for a case.

The system lays options out; people decide. Nothing here carries out a response.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from watchfloor.domain.errors import DomainError
from watchfloor.domain.fusion import FusionResult
from watchfloor.domain.hypotheses import UNATTRIBUTED, Layer
from watchfloor.domain.standards import StandardCheck
from watchfloor.domain.thresholds import ThresholdPolicy


class OptionCategory(Enum):
    DIPLOMATIC = "diplomatic"
    INFORMATIONAL = "informational"
    ECONOMIC = "economic"
    CYBER_DEFENSIVE = "cyber_defensive"
    SPACE_PROTECTION = "space_protection"
    POSTURE = "posture"

    @classmethod
    def parse(cls, text: str) -> OptionCategory:
        key = text.strip().lower().replace("-", "_").replace(" ", "_")
        for c in cls:
            if c.value == key:
                return c
        names = ", ".join(c.value for c in cls)
        raise DomainError(f"unknown option category {text!r}: expected one of {names}")


class EscalationRisk(Enum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


@dataclass(frozen=True)
class ResponseOption:
    """One pre-agreed option and the conditions under which it may be chosen."""

    id: str
    title: str
    category: OptionCategory
    description: str
    min_tier: str
    layer: Layer | None  # attribution layer the option presupposes (None: no attribution)
    min_probability: float
    requires_standard: bool
    legal_basis: str
    checklist: tuple[str, ...]
    escalation_risk: EscalationRisk
    time_to_execute_hours: float


@dataclass(frozen=True)
class ResponseMenu:
    version: str
    options: tuple[ResponseOption, ...]

    def option(self, option_id: str) -> ResponseOption:
        for o in self.options:
            if o.id == option_id:
                return o
        raise DomainError(f"no option {option_id!r} in response menu {self.version}")


@dataclass(frozen=True)
class OptionStatus:
    option: ResponseOption
    eligible: bool
    reasons: tuple[str, ...]  # why blocked, or what makes it eligible


def evaluate_menu(
    menu: ResponseMenu,
    thresholds: ThresholdPolicy,
    tier_id: str,
    fusion: FusionResult,
    standards: Sequence[StandardCheck],
) -> tuple[OptionStatus, ...]:
    """Every option, eligible or blocked, with the reasons."""
    checks = {c.layer: c for c in standards}
    out = []
    for opt in menu.options:
        blocked: list[str] = []
        ok: list[str] = []
        tier = thresholds.tier(tier_id)
        need = thresholds.tier(opt.min_tier)
        if thresholds.rank(tier_id) < thresholds.rank(opt.min_tier):
            blocked.append(f"needs tier {need.label}; the case is {tier.label}")
        else:
            ok.append(f"tier {tier.label} meets {need.label}")
        if opt.layer is not None:
            j = fusion.layer(opt.layer)
            if j.lead == UNATTRIBUTED:
                blocked.append(f"no {opt.layer.label} is the lead hypothesis")
            elif j.probability < opt.min_probability:
                blocked.append(
                    f"{opt.layer.label} {j.lead} is {j.term} ({j.probability:.0%}); "
                    f"needs at least {opt.min_probability:.0%}"
                )
            else:
                ok.append(f"{opt.layer.label} {j.lead} is {j.term} ({j.probability:.0%})")
            check = checks.get(opt.layer)
            if opt.requires_standard:
                if check is None or not check.met:
                    missing = "; ".join(check.missing) if check else "no standard defined"
                    blocked.append(f"evidence standard for {opt.layer.label} not met: {missing}")
                else:
                    ok.append(f"evidence standard for {opt.layer.label} met")
        out.append(OptionStatus(opt, not blocked, tuple(blocked or ok)))
    return tuple(out)
