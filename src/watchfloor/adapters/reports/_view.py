"""The decision package as data: one view, drawn by the HTML template and by the PDF.

Every sentence a decision-maker reads is composed here, once, so the HTML and
the PDF cannot disagree. Likelihood (ICD 203 term and range) and analytic
confidence are composed as separate sentences: ICD 203 forbids mixing them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from watchfloor.adapters.reports._common import offset, percent, when
from watchfloor.domain.assessment import CaseAssessment
from watchfloor.domain.case import Case
from watchfloor.domain.confidence import LikelihoodTerm
from watchfloor.domain.fusion import FusionResult
from watchfloor.domain.hypotheses import UNATTRIBUTED, Actor, Hypothesis, HypothesisKind, Layer
from watchfloor.domain.thresholds import Estimate
from watchfloor.domain.workflow import ReviewOutcome


@dataclass(frozen=True)
class Fact:
    label: str
    value: str


@dataclass(frozen=True)
class HypothesisBar:
    id: str
    label: str
    probability: float
    term: str
    lead: bool

    @property
    def percent(self) -> str:
        return percent(self.probability)


@dataclass(frozen=True)
class LayerView:
    layer: str
    lead: str
    probability: str
    term: str
    term_range: str
    standard: str  # "met", "not met" or "no standard in force"
    met: bool | None
    satisfied: tuple[str, ...]
    missing: tuple[str, ...]


@dataclass(frozen=True)
class SensitivityView:
    sentences: tuple[str, ...]
    survives: bool
    shifts: tuple[tuple[str, str, str], ...]  # (group, change of the lead, lead without it)


@dataclass(frozen=True)
class CriterionView:
    label: str
    measure: str
    estimate: str
    score: str
    reason: str


@dataclass(frozen=True)
class ThresholdView:
    policy_version: str
    tier: str
    tier_range: str
    uncertain: bool
    total: int
    deadline_hours: str
    criteria: tuple[CriterionView, ...]
    next_tier: str | None
    to_next_tier: tuple[str, ...]


@dataclass(frozen=True)
class OptionView:
    id: str
    title: str
    category: str
    eligible: bool
    eligibility: tuple[str, ...]
    legal_status: str  # no review / pending / approved / approved with conditions / rejected
    legal_reasons: str
    legal_conditions: str
    reviewer: str
    cleared: bool  # eligible and cleared by legal review: may reach the decision
    legal_basis: str
    escalation_risk: str
    time_to_execute: str


@dataclass(frozen=True)
class TimelinePoint:
    label: str
    at: str
    offset: str  # from detection
    fraction: float | None  # position on the axis, None when not reached


@dataclass(frozen=True)
class TimelineMark:
    """Milestones reached at one instant, drawn as one mark; `lane` keeps labels apart."""

    label: str
    fraction: float
    lane: int


@dataclass(frozen=True)
class TimelineView:
    start: str
    end: str
    deadline: str
    deadline_fraction: float
    now: str
    now_fraction: float | None  # drawn while the clock still runs
    points: tuple[TimelinePoint, ...]
    marks: tuple[TimelineMark, ...]
    status: str


@dataclass(frozen=True)
class DecisionView:
    at: str
    by: str
    chosen: tuple[str, ...]
    rationale: str


@dataclass(frozen=True)
class AchRow:
    evidence_id: str
    title: str
    grade: str
    portion: str  # portion marking: classification code and TLP
    cells: tuple[tuple[str, str], ...]  # (rating, score) per hypothesis


@dataclass(frozen=True)
class PackageView:
    banner: str
    case_id: str
    title: str
    generated: str
    exercise: str | None
    incident_title: str
    incident_summary: str
    incident_facts: tuple[Fact, ...]
    judgement: str  # the ICD 203 likelihood sentence
    probability_note: str
    confidence: str  # the analytic confidence sentence, never with a likelihood term
    confidence_basis: tuple[str, ...]
    bars: tuple[HypothesisBar, ...]
    layers: tuple[LayerView, ...]
    sensitivity: SensitivityView
    thresholds: ThresholdView
    options: tuple[OptionView, ...]
    cleared: tuple[OptionView, ...]
    timeline: TimelineView
    decision: DecisionView | None
    ach_hypotheses: tuple[str, ...]
    ach: tuple[AchRow, ...]


def hypothesis_phrase(h: Hypothesis, actors: dict[str, Actor]) -> str:
    """Who a hypothesis holds responsible, in words."""
    if h.kind is HypothesisKind.UNKNOWN or h.actor is None:
        return "an actor other than those named"
    name = actor_name(h.actor, actors)
    if h.kind is HypothesisKind.FALSE_FLAG and h.framed is not None:
        return f"{name}, posing as {actor_name(h.framed, actors)},"
    return name


def actor_name(actor_id: str, actors: dict[str, Actor]) -> str:
    actor = actors.get(actor_id)
    return actor.name if actor is not None else actor_id


def layer_lead_name(layer: Layer, lead: str, actors: dict[str, Actor]) -> str:
    if lead == UNATTRIBUTED:
        return "unattributed"
    if layer is Layer.NAMED_ACTOR:
        return actor_name(lead, actors)
    return lead


def likelihood_sentence(term: LikelihoodTerm, who: str, what: str) -> str:
    return f"We assess that it is {term.term} ({term.range_text}) that {who} carried out {what}."


def confidence_sentence(fusion: FusionResult) -> str:
    return f"We hold {fusion.confidence.value} confidence in this judgement."


def build_view(case: Case, assessment: CaseAssessment, generated_at: datetime) -> PackageView:
    fusion = assessment.fusion
    lead = fusion.lead
    term = fusion.term(lead.id)
    incident = case.incident
    return PackageView(
        banner=assessment.marking.banner(),
        case_id=case.id,
        title=case.title,
        generated=when(generated_at),
        exercise=case.exercise,
        incident_title=incident.title,
        incident_summary=incident.summary,
        incident_facts=_incident_facts(case),
        judgement=likelihood_sentence(
            term, hypothesis_phrase(lead, case.actors), f"the incident ({incident.title})"
        ),
        probability_note=(
            f"Lead hypothesis: {lead.label} - fused probability {percent(fusion.lead_probability)}"
            f", out of {len(fusion.hypotheses)} competing hypotheses."
        ),
        confidence=confidence_sentence(fusion),
        confidence_basis=fusion.confidence_reasons,
        bars=tuple(
            HypothesisBar(h.id, h.label, p, LikelihoodTerm.for_probability(p).term, h is lead)
            for h, p in zip(fusion.hypotheses, fusion.posterior, strict=True)
        ),
        layers=_layers(case, assessment),
        sensitivity=_sensitivity(case, fusion),
        thresholds=_thresholds(assessment),
        options=(options := _options(case, assessment)),
        cleared=tuple(o for o in options if o.cleared),
        timeline=timeline_view(assessment),
        decision=_decision(case, assessment),
        ach_hypotheses=tuple(h.label for h in fusion.hypotheses),
        ach=_ach(case, fusion),
    )


def _incident_facts(case: Case) -> tuple[Fact, ...]:
    i = case.incident
    facts = [
        Fact("Occurred", when(i.occurred)),
        Fact("Detected", when(i.detected)),
        Fact("Assets", ", ".join(i.assets) or "none recorded"),
        Fact("Countries", ", ".join(i.countries) or "none recorded"),
        Fact("Sectors", ", ".join(i.sectors) or "none recorded"),
    ]
    for measure, est in sorted(i.impact.items()):
        facts.append(Fact(measure.replace("_", " "), estimate_text(est)))
    return tuple(facts)


def number(x: float) -> str:
    """Counts with thousands separators, fractions to three significant digits."""
    if float(x).is_integer() and abs(x) < 1e15:
        return f"{int(x):,}"
    return f"{x:.3g}"


def estimate_text(est: Estimate) -> str:
    if est.low == est.high:
        return number(est.best)
    return f"{number(est.best)} (range {number(est.low)} to {number(est.high)})"


def _layers(case: Case, assessment: CaseAssessment) -> tuple[LayerView, ...]:
    out = []
    for j in assessment.fusion.layers:
        check = assessment.standard(j.layer)
        satisfied: tuple[str, ...] = ()
        missing: tuple[str, ...] = ()
        met: bool | None = None
        if check is None:
            standard = "no standard in force"
        else:
            standard = "met" if check.met else "not met"
            met, satisfied, missing = check.met, check.satisfied, check.missing
        out.append(
            LayerView(
                layer=j.layer.label,
                lead=layer_lead_name(j.layer, j.lead, case.actors),
                probability=percent(j.probability),
                term=j.term.term,
                term_range=j.term.range_text,
                standard=standard,
                met=met,
                satisfied=satisfied,
                missing=missing,
            )
        )
    return tuple(out)


def _sensitivity(case: Case, fusion: FusionResult) -> SensitivityView:
    s = fusion.sensitivity
    labels = {h.id: h.label for h in fusion.hypotheses}
    if s.most_influential_group is None:
        return SensitivityView(("No evidence yet: the lead rests on the priors alone.",), True, ())
    lead = fusion.lead.label
    without = s.lead_posterior_without if s.lead_posterior_without is not None else 0.0
    sentences = [
        f"The most influential evidence group is {s.most_influential_group}: without it the "
        f"lead ({lead}) would stand at {percent(without)} instead of "
        f"{percent(fusion.lead_probability)}."
    ]
    if s.lead_survives:
        sentences.append("The lead survives the removal of any single evidence group.")
    else:
        flips = [g for g, _, lw in s.shifts if lw != fusion.lead.id]
        sentences.append(
            "The lead does not survive: removing "
            + ", ".join(flips)
            + " would change which hypothesis leads."
        )
    shifts = tuple((g, f"{-shift * 100:+.0f} pts", labels.get(lw, lw)) for g, shift, lw in s.shifts)
    return SensitivityView(tuple(sentences), s.lead_survives, shifts)


def _thresholds(assessment: CaseAssessment) -> ThresholdView:
    t = assessment.thresholds
    criteria = []
    for cs in t.scores:
        estimate = "not recorded" if cs.estimate is None else estimate_text(cs.estimate)
        score = (
            f"{cs.score}"
            if cs.score_low == cs.score_high
            else f"{cs.score} ({cs.score_low}-{cs.score_high})"
        )
        criteria.append(
            CriterionView(cs.criterion.label, cs.criterion.measure, estimate, score, cs.reason)
        )
    tier_range = (
        f"{t.tier_low.label} to {t.tier_high.label}" if t.uncertain else f"{t.tier.label} only"
    )
    return ThresholdView(
        policy_version=t.policy_version,
        tier=t.tier.label,
        tier_range=tier_range,
        uncertain=t.uncertain,
        total=t.total,
        deadline_hours=f"{t.tier.decision_deadline_hours:g}",
        criteria=tuple(criteria),
        next_tier=t.next_tier.label if t.next_tier else None,
        to_next_tier=t.to_next_tier,
    )


_LEGAL = {
    ReviewOutcome.PENDING: "pending",
    ReviewOutcome.APPROVED: "approved",
    ReviewOutcome.APPROVED_WITH_CONDITIONS: "approved with conditions",
    ReviewOutcome.REJECTED: "rejected",
}


def _options(case: Case, assessment: CaseAssessment) -> tuple[OptionView, ...]:
    out = []
    for status in assessment.options:
        opt = status.option
        review = case.reviews.get(opt.id)
        legal = "no review opened" if review is None else _LEGAL[review.outcome]
        cleared = status.eligible and review is not None and review.outcome.clears
        out.append(
            OptionView(
                id=opt.id,
                title=opt.title,
                category=opt.category.value.replace("_", " "),
                eligible=status.eligible,
                eligibility=status.reasons,
                legal_status=legal,
                legal_reasons=review.reasons if review else "",
                legal_conditions=review.conditions if review else "",
                reviewer=(review.reviewer or "") if review else "",
                cleared=cleared,
                legal_basis=opt.legal_basis,
                escalation_risk=opt.escalation_risk.value,
                time_to_execute=f"{opt.time_to_execute_hours:g} h",
            )
        )
    return tuple(out)


def timeline_view(assessment: CaseAssessment) -> TimelineView:
    clock = assessment.clock
    reached = [at for _, at in clock.milestones if at is not None]
    start = min([*reached, clock.detected])
    end = max([*reached, clock.deadline, clock.stopped_at])
    span = (end - start).total_seconds() or 1.0

    def frac(at: datetime) -> float:
        return (at - start).total_seconds() / span

    points = tuple(
        TimelinePoint(
            m.label,
            when(at),
            offset(at - clock.detected) if at is not None else "",
            frac(at) if at is not None else None,
        )
        for m, at in clock.milestones
    )
    if clock.decided:
        verdict = "overdue" if clock.overdue else "within the deadline"
        status = (
            f"Decided {offset(clock.elapsed)} after detection, {verdict} "
            f"(margin {offset(clock.remaining)})."
        )
    elif clock.overdue:
        status = f"No decision yet; the deadline passed {offset(-clock.remaining)} ago."
    else:
        status = f"No decision yet; {offset(clock.remaining)} left to the deadline."
    return TimelineView(
        start=when(start),
        end=when(end),
        deadline=when(clock.deadline),
        deadline_fraction=frac(clock.deadline),
        now=when(clock.now),
        now_fraction=None if clock.decided else frac(clock.now),
        points=points,
        marks=_marks(points),
        status=status,
    )


#: Label width per character as a fraction of the axis, generous for both renderers.
_CHAR_FRACTION = 0.0105
_LANES = 4


def _marks(points: tuple[TimelinePoint, ...]) -> tuple[TimelineMark, ...]:
    """Join milestones reached at the same instant; give each label the lowest free lane."""
    joined: dict[float, list[TimelinePoint]] = {}
    for p in points:
        if p.fraction is not None:
            joined.setdefault(p.fraction, []).append(p)
    lanes: list[list[tuple[float, float]]] = [[] for _ in range(_LANES)]
    marks = []
    for fraction, group in sorted(joined.items()):
        label = ", ".join(p.label for p in group) + " " + group[0].offset
        width = len(label) * _CHAR_FRACTION
        span = (fraction, fraction + width) if fraction < 0.5 else (fraction - width, fraction)
        lane = next(
            (
                i
                for i, used in enumerate(lanes)
                if all(span[1] < lo or span[0] > hi for lo, hi in used)
            ),
            _LANES - 1,
        )
        lanes[lane].append(span)
        marks.append(TimelineMark(label, fraction, lane))
    return tuple(marks)


def _decision(case: Case, assessment: CaseAssessment) -> DecisionView | None:
    d = case.decision
    if d is None:
        return None
    titles = {s.option.id: s.option.title for s in assessment.options}
    return DecisionView(
        at=when(d.decided_at),
        by=d.decided_by,
        chosen=tuple(titles.get(o, o) for o in d.chosen),
        rationale=d.rationale,
    )


def _ach(case: Case, fusion: FusionResult) -> tuple[AchRow, ...]:
    items = {e.id: e for e in case.evidence}
    rows = []
    for eid, cells in fusion.ach:
        item = items.get(eid)
        rows.append(
            AchRow(
                evidence_id=eid,
                title=item.title if item else eid,
                grade=item.grade.code if item else "",
                portion=(
                    f"{item.marking.classification.code} {item.marking.tlp.label}" if item else ""
                ),
                cells=tuple((c.rating, f"{c.score:+.2f}") for c in cells),
            )
        )
    return tuple(rows)
