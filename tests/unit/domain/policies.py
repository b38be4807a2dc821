"""Small, readable policies for the tests, shaped like the bundled YAML ones."""

from __future__ import annotations

from watchfloor.domain.hypotheses import Layer
from watchfloor.domain.response import EscalationRisk, OptionCategory, ResponseMenu, ResponseOption
from watchfloor.domain.thresholds import Criterion, ThresholdPolicy, Tier

SCALE = Criterion(
    "scale_of_disruption",
    "Scale of disruption",
    "people_affected",
    ((10_000, 1), (100_000, 2), (1_000_000, 3)),
    "people",
)
CROSS_BORDER = Criterion(
    "cross_border_effects", "Cross-border effects", "countries_affected", ((2, 1), (3, 2), (5, 3))
)
CRITICAL = Criterion(
    "critical_services",
    "Impact on critical services",
    "critical_sectors_affected",
    ((1, 1), (2, 2), (3, 3)),
)
COERCION = Criterion(
    "intent_to_coerce", "Intent to coerce", "coercive_intent", ((0.2, 1), (0.55, 2), (0.8, 3))
)

BELOW = Tier("below_threshold", "below threshold", 0, {}, 168)
SIGNIFICANT = Tier("significant", "significant", 3, {}, 72)
CONSULTATION = Tier("consultation", "consultation", 6, {"cross_border_effects": 1}, 24)
COLLECTIVE = Tier(
    "collective_defence_candidate",
    "collective-defence candidate",
    9,
    {"critical_services": 2, "intent_to_coerce": 2},
    12,
)

THRESHOLDS = ThresholdPolicy(
    "test-1",
    (SCALE, CROSS_BORDER, CRITICAL, COERCION),
    (BELOW, SIGNIFICANT, CONSULTATION, COLLECTIVE),
    frozenset({"energy", "health", "finance"}),
)


def option(
    option_id: str,
    min_tier: str,
    layer: Layer | None,
    min_probability: float = 0.0,
    requires_standard: bool = False,
) -> ResponseOption:
    return ResponseOption(
        id=option_id,
        title=option_id.replace("-", " "),
        category=OptionCategory.DIPLOMATIC,
        description="",
        min_tier=min_tier,
        layer=layer,
        min_probability=min_probability,
        requires_standard=requires_standard,
        legal_basis="pre-agreed",
        checklist=(),
        escalation_risk=EscalationRisk.LOW,
        time_to_execute_hours=4,
    )


MENU = ResponseMenu(
    "menu-1",
    (
        option("posture", "below_threshold", None),
        option("demarche", "significant", Layer.NAMED_ACTOR, 0.55),
        option("public-attribution", "consultation", Layer.STATE, 0.8, requires_standard=True),
    ),
)
