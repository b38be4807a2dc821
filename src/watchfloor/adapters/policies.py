"""Read the versioned policies (thresholds, evidence standards, response menu) from YAML."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from watchfloor.adapters.yamlfile import Doc, Node, load_yaml, parse_yaml
from watchfloor.domain.assessment import Policies
from watchfloor.domain.evidence import EvidenceClass
from watchfloor.domain.fusion import ConfidenceRules
from watchfloor.domain.grading import AdmiraltyGrade
from watchfloor.domain.hypotheses import Layer
from watchfloor.domain.response import (
    EscalationRisk,
    OptionCategory,
    ResponseMenu,
    ResponseOption,
)
from watchfloor.domain.standards import EvidenceStandardPolicy, LayerStandard
from watchfloor.domain.thresholds import Criterion, ThresholdPolicy, Tier
from watchfloor.service.ports import PolicyText

#: The policies shipped with Watchfloor (repository `policies/`, or the installed copy).
DEFAULT_POLICY_DIR = Path(__file__).resolve().parents[3] / "policies"
FILES = {
    "thresholds": "thresholds.yaml",
    "evidence_standards": "evidence-standards.yaml",
    "response_menu": "response-menu.yaml",
}


def _header(doc: Doc, kind: str) -> str:
    root = doc.root()
    if root.get("kind").value != kind:
        raise root.get("kind").error(f"expected kind {kind!r}")
    version = root["version"].text()
    if not version.strip():
        raise root["version"].error("version must not be empty")
    return version


def _probability(node: Node) -> float:
    p = node.number()
    if not 0.0 <= p <= 1.0:
        raise node.error(f"must lie between 0 and 1, got {p}")
    return p


def thresholds_from(doc: Doc) -> ThresholdPolicy:
    version = _header(doc, "thresholds")
    root = doc.root()
    criteria = []
    for c in root["criteria"].seq():
        bands = []
        for b in c["bands"].seq():
            pair = b.seq()
            if len(pair) != 2:
                raise b.error("a band is [threshold, score]")
            bands.append((pair[0].number(), pair[1].integer()))
        if [t for t, _ in bands] != sorted(t for t, _ in bands):
            raise c["bands"].error("bands must be in ascending order of threshold")
        criteria.append(
            Criterion(
                c["id"].text(),
                c["label"].text(),
                c["measure"].text(),
                tuple(bands),
                c.get("unit", "").text() if c.get("unit").value else "",
            )
        )
    ids = {c.id for c in criteria}
    tiers = []
    for t in root["tiers"].seq():
        mins = {}
        for key, n in t.get("min_scores", {}).items():
            if key not in ids:
                raise n.error(f"no criterion {key!r} in this policy")
            mins[key] = n.integer()
        hours = t["decision_deadline_hours"].number()
        if hours <= 0:
            raise t["decision_deadline_hours"].error("must be positive")
        tiers.append(
            Tier(
                t["id"].text(),
                t.get("label", t["id"].value).text(),
                t.get("min_total", 0).integer(),
                mins,
                hours,
                t.get("description", "").text() if t.get("description").value else "",
            )
        )
    if not tiers:
        raise root["tiers"].error("at least one tier is required")
    sectors = frozenset(s.lower() for s in root.get("critical_sectors", []).texts())
    return ThresholdPolicy(version, tuple(criteria), tuple(tiers), sectors)


def standards_from(doc: Doc) -> EvidenceStandardPolicy:
    version = _header(doc, "evidence_standards")
    root = doc.root()
    layers = []
    for key, n in root["layers"].items():
        layer = Node(doc, n.path, key).convert(Layer.parse)
        layers.append(
            LayerStandard(
                layer=layer,
                min_groups=n["min_groups"].integer(),
                min_grade=n["min_grade"].convert(AdmiraltyGrade.parse),
                min_classes=n["min_classes"].integer(),
                min_probability=_probability(n["min_probability"]),
                required_classes=frozenset(
                    x.convert(EvidenceClass.parse) for x in n.get("required_classes", []).seq()
                ),
                description=n.get("description", "").text() if n.get("description").value else "",
            )
        )
    rules = ConfidenceRules()
    if root.has("confidence"):
        c = root["confidence"]
        high, mod = c["high"], c["moderate"]
        strong = c.get("strong_grade", "B2")
        strong.convert(AdmiraltyGrade.parse)
        rules = ConfidenceRules(
            high_groups=high["groups"].integer(),
            high_strong_groups=high["strong_groups"].integer(),
            high_classes=high["classes"].integer(),
            moderate_groups=mod["groups"].integer(),
            moderate_strong_groups=mod["strong_groups"].integer(),
            moderate_classes=mod["classes"].integer(),
            strong_grade=strong.text(),
        )
    return EvidenceStandardPolicy(version, tuple(layers), rules)


def menu_from(doc: Doc, thresholds: ThresholdPolicy) -> ResponseMenu:
    version = _header(doc, "response_menu")
    tier_ids = {t.id for t in thresholds.tiers}
    options = []
    seen: set[str] = set()
    for o in doc.root()["options"].seq():
        oid = o["id"].text()
        if oid in seen:
            raise o["id"].error(f"duplicate option id {oid!r}")
        seen.add(oid)
        tier = o["min_tier"].text()
        if tier not in tier_ids:
            raise o["min_tier"].error(
                f"no tier {tier!r} in thresholds {thresholds.version} "
                f"(tiers: {', '.join(sorted(tier_ids))})"
            )
        layer_node = o.get("layer")
        risk = o["escalation_risk"].text()
        try:
            escalation = EscalationRisk(risk)
        except ValueError:
            raise o["escalation_risk"].error("expected low, medium or high") from None
        hours = o["time_to_execute_hours"].number()
        options.append(
            ResponseOption(
                id=oid,
                title=o["title"].text(),
                category=o["category"].convert(OptionCategory.parse),
                description=o.get("description", "").text() if o.get("description").value else "",
                min_tier=tier,
                layer=None if layer_node.value is None else layer_node.convert(Layer.parse),
                min_probability=_probability(o.get("min_probability", 0)),
                requires_standard=o.get("requires_standard", False).flag(),
                legal_basis=o["legal_basis"].text(),
                checklist=tuple(o.get("checklist", []).texts()),
                escalation_risk=escalation,
                time_to_execute_hours=hours,
            )
        )
    return ResponseMenu(version, tuple(options))


def read_policy_texts(directory: Path | None = None) -> dict[str, PolicyText]:
    d = directory or DEFAULT_POLICY_DIR
    out = {}
    for kind, name in FILES.items():
        doc = load_yaml(d / name)
        out[kind] = PolicyText(
            kind, _header(doc, kind), (d / name).read_text(encoding="utf-8"), str(d / name)
        )
    return out


def policies_from_texts(texts: Mapping[str, PolicyText]) -> Policies:
    """Build and cross-check the policies; each error names the file and field."""

    def doc(kind: str) -> Doc:
        t = texts[kind]
        return parse_yaml(t.text, t.source or f"{kind} policy {t.version}")

    thresholds = thresholds_from(doc("thresholds"))
    standards = standards_from(doc("evidence_standards"))
    menu = menu_from(doc("response_menu"), thresholds)
    return Policies(thresholds, standards, menu)


def load_policies(directory: Path | None = None) -> Policies:
    d = directory or DEFAULT_POLICY_DIR
    return policies_from_texts(read_policy_texts(d))
