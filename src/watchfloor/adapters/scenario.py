"""Read exercise scenarios (YAML; format in docs/scenarios.md).

Everything is checked before anything is stored: every error names the file,
the field, its line and the problem.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

from watchfloor.adapters.yamlfile import Node, load_yaml
from watchfloor.domain.assessment import Policies
from watchfloor.domain.case import Incident
from watchfloor.domain.errors import DomainError
from watchfloor.domain.evidence import (
    OTHER,
    CostToFake,
    DiamondFacet,
    EvidenceClass,
    EvidenceItem,
)
from watchfloor.domain.exercise import GroundTruth
from watchfloor.domain.grading import AdmiraltyGrade
from watchfloor.domain.hypotheses import Actor, Hypothesis, HypothesisKind
from watchfloor.domain.markings import NATO, PAP, TLP, Classification, Marking
from watchfloor.domain.scenario import (
    DecisionInject,
    EvidenceInject,
    Inject,
    LegalInject,
    Scenario,
)
from watchfloor.domain.thresholds import Estimate
from watchfloor.domain.workflow import ReviewOutcome

_OFFSET = re.compile(r"^\+\s*(?:(\d+)d)?\s*(?:(\d+)h)?\s*(?:(\d+)m)?\s*(?:(\d+)s)?$")


def _time(node: Node, start: datetime | None) -> datetime:
    """An absolute ISO 8601 time, or an offset from the scenario start such as +1h30m."""
    v = node.value
    if isinstance(v, str) and v.strip().startswith("+"):
        match = _OFFSET.match(v.strip())
        if not match or not any(match.groups()):
            raise node.error(f"bad offset {v!r}: write it like +45m, +2h30m or +1d6h")
        if start is None:
            raise node.error("an offset needs the scenario's `start`")
        d, h, m, s = (int(g) if g else 0 for g in match.groups())
        return start + timedelta(days=d, hours=h, minutes=m, seconds=s)
    return node.time()


def marking_from(node: Node, default: Marking | None = None) -> Marking:
    if node.value is None:
        if default is None:
            raise node.error("a marking is required")
        return default
    base = default or Marking()
    rel = node.get("releasable_to")
    return Marking(
        classification=node["classification"].convert(Classification.parse)
        if node.has("classification")
        else base.classification,
        releasable_to=frozenset(s.upper() for s in rel.texts())
        if rel.value is not None
        else base.releasable_to,
        tlp=node["tlp"].convert(TLP.parse) if node.has("tlp") else base.tlp,
        pap=node["pap"].convert(PAP.parse) if node.has("pap") else base.pap,
        originator=node.get("originator", base.originator).text(),
    )


def _estimate(node: Node) -> Estimate:
    if isinstance(node.value, int | float) and not isinstance(node.value, bool):
        return Estimate.exact(float(node.value))
    best = node["best"].number()
    low = node.get("low", best).number()
    high = node.get("high", best).number()
    if not low <= best <= high:
        raise node.error(f"needs low <= best <= high, got {low}, {best}, {high}")
    return Estimate(best, low, high)


def _evidence(node: Node, at: datetime, actor_ids: set[str], case_marking: Marking) -> EvidenceItem:
    likelihoods: dict[str, float] = {}
    for key, p in node.get("likelihoods", {}).items():
        if key != OTHER and key not in actor_ids:
            raise p.error(
                f"no actor {key!r} in this scenario (actors: {', '.join(sorted(actor_ids))})"
            )
        value = p.number()
        if not 0 < value <= 1:
            raise p.error(f"a likelihood must lie in (0, 1], got {value}")
        likelihoods[key] = value
    baseline = node.get("baseline", 0.1).number()
    if not 0 < baseline <= 1:
        raise node["baseline"].error(f"must lie in (0, 1], got {baseline}")
    try:
        return EvidenceItem(
            id=node["id"].text(),
            title=node["title"].text(),
            source=node["source"].text(),
            grade=node["grade"].convert(AdmiraltyGrade.parse),
            evidence_class=node["class"].convert(EvidenceClass.parse),
            likelihoods=likelihoods,
            marking=marking_from(node.get("marking"), case_marking),
            diamond=node.get("diamond", "capability").convert(DiamondFacet.parse),
            baseline=baseline,
            dependence_group=node.get("group").opt_text(),
            cost_to_fake=node.get("cost_to_fake", "medium").convert(CostToFake.parse),
            description=node.get("description", "").text() if node.get("description").value else "",
            kind=node.get("kind", "report").text(),
            observed_at=_time(node["observed_at"], at) if node.has("observed_at") else None,
            reported_at=at,
        )
    except DomainError as e:
        if getattr(e, "file", None):
            raise
        raise node.error(str(e)) from None


def load_scenario(path: str | Path, policies: Policies | None = None) -> Scenario:
    """Parse and check a scenario; `policies` lets option ids and tiers be checked too."""
    doc = load_yaml(path)
    root = doc.root()
    sid = root["scenario"].text()
    start = root["start"].time()
    case = root["case"]
    case_marking = marking_from(case["marking"], Marking(releasable_to=frozenset({NATO})))

    inc = root["incident"]
    try:
        incident = Incident(
            title=inc["title"].text(),
            summary=inc.get("summary", "").text() if inc.get("summary").value else "",
            occurred=_time(inc["occurred"], start),
            detected=_time(inc["detected"], start),
            assets=tuple(inc.get("assets", []).texts()),
            countries=tuple(c.upper() for c in inc.get("countries", []).texts()),
            sectors=tuple(s.lower() for s in inc.get("sectors", []).texts()),
            impact={k: _estimate(v) for k, v in inc.get("impact", {}).items()},
        )
    except DomainError as e:
        if getattr(e, "file", None):
            raise
        raise inc.error(str(e)) from None

    actors: list[Actor] = []
    for a in root["actors"].seq():
        actors.append(
            Actor(
                id=a["id"].text(),
                name=a["name"].text(),
                sponsor=a.get("sponsor").opt_text(),
                cluster=a.get("cluster").opt_text(),
                aliases=tuple(a.get("aliases", []).texts()),
                description=a.get("description", "").text() if a.get("description").value else "",
            )
        )
    actor_ids = {a.id for a in actors}
    if len(actor_ids) != len(actors):
        raise root["actors"].error("actor ids must be unique")

    hypotheses: list[Hypothesis] = []
    for h in root["hypotheses"].seq():
        hid = h["id"].text()
        prior = h.get("prior", 1.0).number()
        if prior <= 0:
            raise h["prior"].error("a prior must be positive")
        if h.has("false_flag"):
            ff = h["false_flag"]
            by, framed = ff["by"].text(), ff["framing"].text()
            for ref, n in ((by, ff["by"]), (framed, ff["framing"])):
                if ref not in actor_ids:
                    raise n.error(f"no actor {ref!r} in this scenario")
            label = h.get("label", f"False flag: {by} framing {framed}").text()
            hypotheses.append(Hypothesis(hid, HypothesisKind.FALSE_FLAG, label, by, framed, prior))
        else:
            actor = h["actor"].text()
            if actor not in actor_ids:
                raise h["actor"].error(f"no actor {actor!r} in this scenario")
            label = h.get("label", actor).text()
            hypotheses.append(Hypothesis(hid, HypothesisKind.ACTOR, label, actor, None, prior))
    if len({h.id for h in hypotheses}) != len(hypotheses):
        raise root["hypotheses"].error("hypothesis ids must be unique")

    injects: list[Inject] = []
    evidence_ids: set[str] = set()
    option_ids = {o.id for o in policies.menu.options} if policies else None
    for n in root["injects"].seq():
        at = _time(n["at"], start)
        by = n.get("by", "watch-analyst").text()
        line = doc.lines.get(n.path)
        kinds = [k for k in ("evidence", "legal", "decision") if n.has(k)]
        if len(kinds) != 1:
            raise n.error("an inject holds exactly one of evidence, legal or decision")
        action: EvidenceInject | LegalInject | DecisionInject
        if kinds[0] == "evidence":
            item = _evidence(n["evidence"], at, actor_ids, case_marking)
            if item.id in evidence_ids:
                raise n["evidence"]["id"].error(f"duplicate evidence id {item.id!r}")
            evidence_ids.add(item.id)
            action = EvidenceInject(item)
        elif kinds[0] == "legal":
            lg = n["legal"]
            oid = lg["option"].text()
            if option_ids is not None and oid not in option_ids:
                raise lg["option"].error(f"no option {oid!r} in the response menu")
            action = LegalInject(
                oid,
                lg["outcome"].convert(ReviewOutcome.parse),
                lg["reasons"].text(),
                lg.get("conditions", "").text() if lg.get("conditions").value else "",
            )
        else:
            dc = n["decision"]
            opts = tuple(dc["options"].texts())
            for i, oid in enumerate(opts):
                if option_ids is not None and oid not in option_ids:
                    raise dc["options"].seq()[i].error(f"no option {oid!r} in the response menu")
            action = DecisionInject(opts, dc["rationale"].text())
        injects.append(Inject(at, by, action, line))
    injects.sort(key=lambda i: i.at)

    truth = None
    if root.has("ground_truth"):
        gt = root["ground_truth"]
        true_actor = gt.get("actor").opt_text()
        if true_actor is not None and true_actor not in actor_ids:
            raise gt["actor"].error(f"no actor {true_actor!r} in this scenario")
        planted = tuple(gt.get("planted", []).texts())
        for i, pid in enumerate(planted):
            if pid not in evidence_ids:
                raise gt["planted"].seq()[i].error(f"no evidence {pid!r} among the injects")
        tier = gt.get("tier").opt_text()
        if (
            tier is not None
            and policies is not None
            and tier not in {t.id for t in policies.thresholds.tiers}
        ):
            raise gt["tier"].error(f"no tier {tier!r} in the threshold policy")
        truth = GroundTruth(true_actor, gt.get("state").opt_text(), frozenset(planted), tier)

    return Scenario(
        id=sid,
        title=root["title"].text(),
        description=root.get("description", "").text() if root.get("description").value else "",
        file=str(path),
        start=start,
        case_id=case["id"].text(),
        case_title=case.get("title", root["title"].value).text(),
        marking=case_marking,
        incident=incident,
        actors=tuple(actors),
        hypotheses=tuple(hypotheses),
        unknown_prior=root.get("unknown_prior", 1.0).number(),
        injects=tuple(injects),
        truth=truth,
    )
