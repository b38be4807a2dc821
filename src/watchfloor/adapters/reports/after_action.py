"""The after-action record: the clock and the judgements, scored against ground truth in exercises.

It carries the judgements of the case, so it sits at the case's high-water
marking (`assessment.marking`), like the decision package. For a live case
(no ground truth) it lists the clock and the judgements without a score.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from watchfloor.adapters.reports._common import environment, offset, when
from watchfloor.adapters.reports._view import timeline_view
from watchfloor.adapters.reports.package import banner_class
from watchfloor.domain.assessment import CaseAssessment
from watchfloor.domain.case import Case
from watchfloor.domain.clock import format_duration
from watchfloor.domain.exercise import (
    BELIEF_MARGIN,
    AfterActionScore,
    ClockRecord,
    GroundTruth,
    LayerScore,
    clock_record,
    score_exercise,
)

SCHEMA = "watchfloor.after-action/1"


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def _seconds(delta: timedelta | None) -> float | None:
    return delta.total_seconds() if delta is not None else None


def _duration(delta: timedelta | None) -> str | None:
    return offset(delta) if delta is not None else None


def _r(x: float) -> float:
    return round(float(x), 6)


def _clock(c: ClockRecord) -> dict[str, Any]:
    return {
        "detected": _iso(c.detected),
        "deadline": _iso(c.deadline),
        "decided": _iso(c.decided),
        "time_to_decision_s": _seconds(c.time_to_decision),
        "time_to_decision": (
            format_duration(c.time_to_decision) if c.time_to_decision is not None else None
        ),
        "margin_s": _seconds(c.margin),
        "margin": format_duration(c.margin),
        "met_deadline": c.met_deadline,
        "milestones": [
            {
                "milestone": m.milestone.value,
                "at": _iso(m.at),
                "from_detection_s": _seconds(m.from_detection),
                "from_detection": _duration(m.from_detection),
            }
            for m in c.milestones
        ],
    }


def _judgements(case: Case, a: CaseAssessment) -> dict[str, Any]:
    f = a.fusion
    lead_term = f.term(f.lead.id)
    d = case.decision
    t = a.thresholds
    return {
        "lead": {
            "hypothesis": f.lead.id,
            "label": f.lead.label,
            "probability": _r(f.lead_probability),
            "term": lead_term.term,
            "term_range": lead_term.range_text,
        },
        "hypotheses": [
            {"hypothesis": h.id, "label": h.label, "probability": _r(p)}
            for h, p in zip(f.hypotheses, f.posterior, strict=True)
        ],
        "confidence": f.confidence.value,
        "confidence_basis": list(f.confidence_reasons),
        "layers": [
            {
                "layer": j.layer.value,
                "lead": j.lead,
                "probability": _r(j.probability),
                "term": j.term.term,
                "standard_met": (s.met if (s := a.standard(j.layer)) is not None else None),
            }
            for j in f.layers
        ],
        "sensitivity": {
            "most_influential_group": f.sensitivity.most_influential_group,
            "lead_survives": f.sensitivity.lead_survives,
        },
        "tier": {
            "id": t.tier.id,
            "label": t.tier.label,
            "low": t.tier_low.id,
            "high": t.tier_high.id,
            "total": t.total,
            "policy": t.policy_version,
        },
        "eligible_options": sorted(a.eligible),
        "cleared_options": sorted(a.eligible & case.cleared_options()),
        "decision": (
            None
            if d is None
            else {
                "at": _iso(d.decided_at),
                "by": d.decided_by,
                "chosen": list(d.chosen),
                "rationale": d.rationale,
            }
        ),
    }


def _layer(s: LayerScore | None) -> dict[str, Any] | None:
    if s is None:
        return None
    return {
        "layer": s.layer.value,
        "stated": s.stated,
        "probability": _r(s.probability),
        "truth": s.truth,
        "truth_probability": _r(s.truth_probability),
        "right": s.right,
    }


def _score(s: AfterActionScore) -> dict[str, Any]:
    return {
        "truth": {
            "actor": s.truth.actor,
            "state": s.truth.state,
            "planted": sorted(s.truth.planted),
            "expected_tier": s.truth.expected_tier,
        },
        "named_actor": _layer(s.named_actor),
        "state": _layer(s.state),
        "lead_right": s.lead_right,
        "brier": _r(s.brier),
        "log_score": _r(s.log_score),
        "brier_multiclass": _r(s.brier_multiclass),
        "belief_margin": s.margin,
        "planted": [
            {
                "evidence": p.evidence_id,
                "in_case": p.in_case,
                "believed": p.believed,
                "log_odds_drop": _r(p.log_odds_drop),
                "probability_drop": _r(p.probability_drop),
                "pushed_toward": p.pushed_toward,
                "group_favoured_lead": p.group_favoured_lead,
            }
            for p in s.planted
        ],
        "believed": list(s.believed),
        "deceived": s.deceived,
        "tier": {"expected": s.tier_expected, "assessed": s.tier_assessed, "right": s.tier_right},
    }


def after_action_json(
    case: Case,
    assessment: CaseAssessment,
    generated_at: datetime,
    truth: GroundTruth | None = None,
    *,
    margin: float = BELIEF_MARGIN,
) -> dict[str, Any]:
    """The record as JSON-serialisable data with stable keys (`score` is null without truth)."""
    score = score_exercise(case, assessment, truth, margin=margin) if truth else None
    return {
        "schema": SCHEMA,
        "marking": assessment.marking.banner(),
        "generated_at": generated_at.isoformat(),
        "case": {"id": case.id, "title": case.title, "exercise": case.exercise},
        "kind": "exercise" if case.exercise is not None else "live",
        "judgements": _judgements(case, assessment),
        "clock": _clock(clock_record(assessment.clock)),
        "score": _score(score) if score is not None else None,
    }


def render_after_action_html(
    case: Case,
    assessment: CaseAssessment,
    generated_at: datetime,
    truth: GroundTruth | None = None,
    *,
    margin: float = BELIEF_MARGIN,
) -> str:
    """The record as a self-contained HTML page at the case's marking."""
    record = after_action_json(case, assessment, generated_at, truth, margin=margin)
    template = environment().get_template("after_action.html")
    return template.render(
        r=record,
        tl=timeline_view(assessment),
        generated=when(generated_at),
        banner=record["marking"],
        banner_class=banner_class(assessment.marking),
    )
