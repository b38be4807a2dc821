"""A small hybrid case built by hand through the domain API, assessed under hand-made policies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from watchfloor.domain.assessment import CaseAssessment, Policies, advance_clock, assess
from watchfloor.domain.case import Case, Incident
from watchfloor.domain.evidence import CostToFake, EvidenceClass, EvidenceItem
from watchfloor.domain.grading import AdmiraltyGrade
from watchfloor.domain.hypotheses import Actor, Hypothesis, HypothesisKind, Layer
from watchfloor.domain.markings import NATO, TLP, Classification, Marking
from watchfloor.domain.response import (
    EscalationRisk,
    OptionCategory,
    ResponseMenu,
    ResponseOption,
)
from watchfloor.domain.standards import EvidenceStandardPolicy, LayerStandard
from watchfloor.domain.thresholds import Criterion, Estimate, ThresholdPolicy, Tier
from watchfloor.domain.workflow import ReviewOutcome

OCCURRED = datetime(2025, 3, 3, 2, 0, tzinfo=UTC)
DETECTED = OCCURRED + timedelta(minutes=40)
ANALYST = "analyst.kask"

NATO_RESTRICTED = Marking(Classification.RESTRICTED, frozenset({NATO}), TLP.AMBER)
NATO_SECRET = Marking(Classification.SECRET, frozenset({NATO}), TLP.RED)
PUBLIC = Marking.public()


def grade(code: str) -> AdmiraltyGrade:
    return AdmiraltyGrade.parse(code)


def item(
    item_id: str,
    likelihoods: dict[str, float],
    *,
    title: str | None = None,
    source: str | None = None,
    grade_code: str = "B2",
    evidence_class: EvidenceClass = EvidenceClass.TRADECRAFT,
    marking: Marking = NATO_RESTRICTED,
    cost: CostToFake = CostToFake.HIGH,
    group: str | None = None,
) -> EvidenceItem:
    return EvidenceItem(
        id=item_id,
        title=title or f"report {item_id}",
        source=source or f"source of {item_id}",
        grade=grade(grade_code),
        evidence_class=evidence_class,
        likelihoods=likelihoods,
        marking=marking,
        cost_to_fake=cost,
        dependence_group=group,
    )


def evidence() -> list[EvidenceItem]:
    """Five items in four groups; two public, one NATO SECRET, one a planted false flag."""
    return [
        EvidenceItem(
            id="EV-wiper",
            title="Wiper shares code with the Ursa toolkit",
            source="Partner CERT Alpha",
            grade=grade("B2"),
            evidence_class=EvidenceClass.MALWARE,
            likelihoods={"ursa": 0.8, "lynx": 0.1, "other": 0.1},
            marking=NATO_RESTRICTED,
            cost_to_fake=CostToFake.HIGH,
            description="Function-level overlap of 61 percent with the 2023 Ursa wiper.",
        ),
        EvidenceItem(
            id="EV-wiper-copy",
            title="Press echo of the wiper code overlap",
            source="Daily Courier newsroom",
            grade=grade("C3"),
            evidence_class=EvidenceClass.EXTERNAL,
            likelihoods={"ursa": 0.8, "lynx": 0.1, "other": 0.1},
            marking=PUBLIC,
            dependence_group="EV-wiper",
            description="A newspaper repeats the partner finding.",
        ),
        EvidenceItem(
            id="EV-c2",
            title="Command servers rented through a reseller Ursa used before",
            source="Open registry records",
            grade=grade("A2"),
            evidence_class=EvidenceClass.INFRASTRUCTURE,
            likelihoods={"ursa": 0.7, "lynx": 0.2, "other": 0.1},
            marking=PUBLIC,
            description="WHOIS and hosting records, public since March.",
        ),
        EvidenceItem(
            id="EV-tasking",
            title="Intercepted tasking order naming the grid operator",
            source="SIGINT station LIGHTHOUSE",
            grade=grade("B2"),
            evidence_class=EvidenceClass.INTENT,
            likelihoods={"ursa": 0.9, "lynx": 0.05, "other": 0.05},
            marking=NATO_SECRET,
            cost_to_fake=CostToFake.HIGH,
            description="Order issued 48 hours before the outage by Arcadian intelligence.",
        ),
        EvidenceItem(
            id="EV-lure",
            title="Cyrillic comments in the loader pointing at Lynx",
            source="Vendor blog Quillpoint",
            grade=grade("C3"),
            evidence_class=EvidenceClass.TRADECRAFT,
            likelihoods={"ursa": 0.1, "lynx": 0.7, "other": 0.2},
            marking=Marking(Classification.UNCLASSIFIED, frozenset({NATO}), TLP.GREEN),
            cost_to_fake=CostToFake.LOW,
            description="Language artefacts of the kind any framer would plant.",
        ),
    ]


def policies() -> Policies:
    criteria = (
        Criterion(
            "scale",
            "Scale of disruption",
            "people_affected",
            ((10_000, 1), (100_000, 2), (1_000_000, 3)),
        ),
        Criterion(
            "cross_border", "Cross-border effects", "countries_affected", ((2, 1), (3, 2), (5, 3))
        ),
        Criterion(
            "critical",
            "Impact on critical services",
            "critical_sectors_affected",
            ((1, 1), (2, 2), (3, 3)),
        ),
        Criterion(
            "intent", "Intent to coerce", "intent_to_coerce", ((0.3, 1), (0.6, 2), (0.85, 3))
        ),
    )
    tiers = (
        Tier("below", "below threshold", 0, {}, 168),
        Tier("significant", "significant", 3, {}, 72),
        Tier("consultation", "consultation", 6, {}, 24),
        Tier("collective", "collective defence candidate", 10, {"intent": 2}, 12),
    )
    thresholds = ThresholdPolicy("thr-test-1", criteria, tiers, frozenset({"energy", "telecom"}))
    standards = EvidenceStandardPolicy(
        "std-test-1",
        (
            LayerStandard(Layer.ACTIVITY_CLUSTER, 1, grade("C3"), 1, 0.5),
            LayerStandard(Layer.NAMED_ACTOR, 2, grade("B2"), 2, 0.6),
            LayerStandard(Layer.STATE, 3, grade("B2"), 3, 0.8, frozenset({EvidenceClass.INTENT})),
        ),
    )

    def option(
        oid: str,
        title: str,
        category: OptionCategory,
        tier: str,
        layer: Layer | None,
        p: float,
        std: bool,
    ) -> ResponseOption:
        return ResponseOption(
            oid,
            title,
            category,
            f"{title} (pre-agreed)",
            tier,
            layer,
            p,
            std,
            "UN Charter art. 51 / national law",
            ("proportionate", "necessary"),
            EscalationRisk.MEDIUM,
            6,
        )

    menu = ResponseMenu(
        "menu-test-1",
        (
            option(
                "cyber-defence",
                "Coordinated cyber defence",
                OptionCategory.CYBER_DEFENSIVE,
                "significant",
                None,
                0.0,
                False,
            ),
            option(
                "demarche",
                "Démarche to the sponsor",
                OptionCategory.DIPLOMATIC,
                "significant",
                Layer.NAMED_ACTOR,
                0.55,
                True,
            ),
            option(
                "public-attribution",
                "Public attribution",
                OptionCategory.INFORMATIONAL,
                "consultation",
                Layer.STATE,
                0.8,
                True,
            ),
            option(
                "sanctions",
                "Targeted sanctions",
                OptionCategory.ECONOMIC,
                "collective",
                Layer.STATE,
                0.9,
                True,
            ),
        ),
    )
    return Policies(thresholds, standards, menu)


def open_case(
    items: list[EvidenceItem],
    exercise: str | None = "EX-BALTIC-25",
    *,
    marking: Marking = NATO_RESTRICTED,
    false_flag: bool = True,
) -> Case:
    incident = Incident(
        title="Grid control outage in two Baltic states",
        summary="Substation control systems in Estonia and Latvia went dark for six hours.",
        occurred=OCCURRED,
        detected=DETECTED,
        assets=("substation-ctl-1", "substation-ctl-2", "scada-hub"),
        countries=("EST", "LVA"),
        sectors=("energy", "telecom"),
        impact={
            "people_affected": Estimate(400_000, 250_000, 1_200_000),
            "intent_to_coerce": Estimate(0.5, 0.3, 0.7),
        },
    )
    case = Case.open(
        "CASE-0042",
        "Baltic grid outage",
        incident,
        marking,
        ANALYST,
        DETECTED,
        exercise=exercise,
    )
    t = DETECTED + timedelta(minutes=5)
    case.add_actor(Actor("ursa", "Ursa Group", sponsor="Arcadia", cluster="UNC-2291"), ANALYST, t)
    case.add_actor(Actor("lynx", "Lynx Team", sponsor="Borealia", cluster="UNC-0077"), ANALYST, t)
    case.add_hypothesis(
        Hypothesis("H-ursa", HypothesisKind.ACTOR, "Ursa Group did it", "ursa"), ANALYST, t
    )
    case.add_hypothesis(
        Hypothesis("H-lynx", HypothesisKind.ACTOR, "Lynx Team did it", "lynx"), ANALYST, t
    )
    if false_flag:
        case.add_hypothesis(
            Hypothesis(
                "H-ursa-as-lynx",
                HypothesisKind.FALSE_FLAG,
                "Ursa Group framing Lynx Team",
                "ursa",
                "lynx",
            ),
            ANALYST,
            t,
        )
    for i, item in enumerate(items):
        case.add_evidence(item, ANALYST, t + timedelta(minutes=10 * (i + 1)))
    return case


def build_case(
    items: list[EvidenceItem] | None = None,
    *,
    decide: bool = True,
    exercise: str | None = "EX-BALTIC-25",
    marking: Marking = NATO_RESTRICTED,
    false_flag: bool = True,
) -> tuple[Case, CaseAssessment]:
    pol = policies()
    case = open_case(
        evidence() if items is None else items, exercise, marking=marking, false_flag=false_flag
    )
    at = DETECTED + timedelta(hours=2)
    first = assess(case, pol, at)
    advance_clock(case, first, at, ANALYST)
    case.open_reviews([o.option.id for o in first.options], "legal.bot", at)
    review_at = at + timedelta(hours=1)
    case.record_review(
        "cyber-defence",
        ReviewOutcome.APPROVED,
        "legal.ines",
        "self-defence of own networks",
        review_at,
    )
    if "demarche" in case.reviews:
        case.record_review(
            "demarche",
            ReviewOutcome.APPROVED_WITH_CONDITIONS,
            "legal.ines",
            "diplomatic channel only",
            review_at,
            conditions="no public disclosure of sources",
        )
    case.record_review(
        "sanctions", ReviewOutcome.REJECTED, "legal.ines", "no legal basis yet", review_at
    )
    now = at + timedelta(hours=4)
    second = assess(case, pol, now)
    advance_clock(case, second, now, ANALYST)
    if decide:
        chosen = [o for o in ("cyber-defence",) if o in second.eligible]
        case.record_decision(
            chosen,
            "chair.nac",
            "Defend first, attribute later.",
            now + timedelta(hours=1),
            second.eligible,
        )
        now = now + timedelta(hours=1)
    return case, assess(case, pol, now)
