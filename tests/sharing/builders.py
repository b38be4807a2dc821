"""A small shareable case: items at several markings, observables, indicators, portion marks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from watchfloor.domain.case import Case, Incident
from watchfloor.domain.evidence import CostToFake, EvidenceClass, EvidenceItem
from watchfloor.domain.grading import AdmiraltyGrade
from watchfloor.domain.hypotheses import Actor, Hypothesis, HypothesisKind
from watchfloor.domain.markings import NATO, TLP, Classification, Marking

OCCURRED = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)
DETECTED = OCCURRED + timedelta(minutes=40)
NOW = DETECTED + timedelta(hours=6)
ANALYST = "analyst.kask"

NATO_SECRET = Marking(Classification.SECRET, frozenset({NATO}), TLP.RED)
NATO_RESTRICTED = Marking(Classification.RESTRICTED, frozenset({NATO}), TLP.AMBER)
NU_GREEN = Marking(Classification.UNCLASSIFIED, frozenset({NATO}), TLP.GREEN)
NU_AMBER = Marking(Classification.UNCLASSIFIED, frozenset({NATO}), TLP.AMBER)
PUBLIC = Marking.public()

LOADER_SHA256 = "4bac27393bdd9777ce02453256c5577cd02275510b2227f473d03f533924f877"

#: Strings that exist only in the NATO SECRET item: no lower output may hold them.
SECRET_STRINGS = (
    "SIGINT station LIGHTHOUSE",
    "Intercepted tasking order naming the grid operator",
    "198.51.100.77",
    "tasking-relay.example",
)


def items() -> list[EvidenceItem]:
    return [
        EvidenceItem(
            id="EV-c2",
            title="Command servers rented through a known reseller",
            source="Open registry records",
            grade=AdmiraltyGrade.parse("A2"),
            evidence_class=EvidenceClass.INFRASTRUCTURE,
            likelihoods={"ursa": 0.7, "lynx": 0.2, "other": 0.1},
            marking=PUBLIC,
            description="WHOIS and hosting records, public since March.",
            kind="observable",
            observed_at=OCCURRED,
            attributes={
                "observables": [
                    {"type": "ipv4-addr", "value": "203.0.113.5"},
                    {"type": "domain-name", "value": "update-grid.example"},
                ]
            },
        ),
        EvidenceItem(
            id="EV-loader",
            title="Loader hash seen at two operators",
            source="Partner CERT Alpha",
            grade=AdmiraltyGrade.parse("B2"),
            evidence_class=EvidenceClass.MALWARE,
            likelihoods={"ursa": 0.8, "lynx": 0.1, "other": 0.1},
            marking=NU_AMBER,
            description=(
                "(NU//REL TO NATO//TLP:GREEN) The loader persists as a scheduled task.\n\n"
                "Function-level overlap of 61 percent with the 2023 Ursa wiper."
            ),
            kind="indicator",
            attributes={
                "indicators": [
                    {
                        "pattern": f"[file:hashes.'SHA-256' = '{LOADER_SHA256}']",
                        "name": "Grid loader",
                    }
                ],
                "observables": [
                    {
                        "type": "file",
                        "hashes": {"SHA-256": LOADER_SHA256},
                    }
                ],
            },
        ),
        EvidenceItem(
            id="EV-tasking",
            title="Intercepted tasking order naming the grid operator",
            source="SIGINT station LIGHTHOUSE",
            grade=AdmiraltyGrade.parse("B2"),
            evidence_class=EvidenceClass.INTENT,
            likelihoods={"ursa": 0.9, "lynx": 0.05, "other": 0.05},
            marking=NATO_SECRET,
            cost_to_fake=CostToFake.HIGH,
            description="Order relayed through tasking-relay.example 48 hours before the outage.",
            attributes={
                "observables": [
                    {"type": "ipv4-addr", "value": "198.51.100.77"},
                    {"type": "domain-name", "value": "tasking-relay.example"},
                ]
            },
        ),
        EvidenceItem(
            id="EV-lure",
            title="Cyrillic comments in the loader",
            source="Vendor blog Quillpoint",
            grade=AdmiraltyGrade.parse("C3"),
            evidence_class=EvidenceClass.TRADECRAFT,
            likelihoods={"ursa": 0.1, "lynx": 0.7, "other": 0.2},
            marking=NU_GREEN,
            cost_to_fake=CostToFake.LOW,
            description="Language artefacts of the kind any framer would plant.",
        ),
    ]


def shareable_case(marking: Marking = NATO_RESTRICTED) -> Case:
    incident = Incident(
        title="Grid control outage in two Baltic states",
        summary=(
            "(PUBLIC) Substation control systems in two Baltic states went dark for six hours.\n\n"
            "(NU//REL TO NATO//TLP:AMBER) Operators restored control from backup sites.\n\n"
            "(NS//REL TO NATO//TLP:RED) Allied collection ties the outage to a standing "
            "tasking against regional energy suppliers."
        ),
        occurred=OCCURRED,
        detected=DETECTED,
        countries=("EST", "LVA"),
        sectors=("energy",),
    )
    case = Case.open("CASE-0042", "Baltic grid outage", incident, marking, ANALYST, DETECTED)
    case.add_actor(
        Actor("ursa", "Ursa Group", sponsor="Arcadia", cluster="UNC-2291", aliases=("Bruin",)),
        ANALYST,
        DETECTED,
    )
    case.add_actor(Actor("lynx", "Lynx Team", sponsor="Borealia"), ANALYST, DETECTED)
    for actor in ("ursa", "lynx"):
        case.add_hypothesis(
            Hypothesis(f"H-{actor}", HypothesisKind.ACTOR, f"{actor} did it", actor),
            ANALYST,
            DETECTED,
        )
    for e in items():
        case.add_evidence(e, ANALYST, DETECTED)
    return case
