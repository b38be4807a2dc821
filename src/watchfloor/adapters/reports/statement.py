"""The public statement: only what may be released to the public, checked after rendering.

What goes in:

- evidence whose marking is releasable to the public (`marking.at_most(Marking.public())`:
  NATO UNCLASSIFIED, releasable to PUBLIC, TLP:CLEAR), each with its grade in place
  of its source, since source identities are never released;
- the incident itself only when the case is marked public, or wording a human
  has approved for release (`public_summary`);
- the attribution at the level the evidence standards support: the state when
  the state standard is met, else the named actor when that standard is met,
  else "under investigation", in ICD 203 words, with the analytic confidence
  in a sentence of its own.

After rendering, `check_no_leak` scans the output for the distinctive strings
(ids, titles, descriptions, sources) of every item that is not releasable and
for every source identity, and refuses the statement, naming the item, if one
appears. The check is a second line of defence behind the selection above: it
catches tampered templates and approved wording that quotes too much.
"""

from __future__ import annotations

import html
import re
import textwrap
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from watchfloor.adapters.reports._common import environment, when
from watchfloor.adapters.reports._view import actor_name, confidence_sentence
from watchfloor.domain.assessment import CaseAssessment
from watchfloor.domain.case import Case
from watchfloor.domain.errors import DomainError
from watchfloor.domain.evidence import EvidenceItem
from watchfloor.domain.hypotheses import UNATTRIBUTED, Layer
from watchfloor.domain.markings import Marking

#: The marking of every public statement.
PUBLIC_MARKING = Marking.public()
#: Strings shorter than this are too common to be evidence of a leak.
MIN_DISTINCTIVE = 4
NON_STATE = "non-state"


class ReleaseLeakError(DomainError):
    """A public statement would carry something that is not releasable to the public."""

    def __init__(self, item: str, what: str, found: str) -> None:
        super().__init__(
            f"public statement refused: it contains the {what} of {item} ({found!r}), "
            "which is not releasable to the public"
        )
        self.item = item
        self.what = what
        self.found = found


@dataclass(frozen=True)
class PublicFact:
    title: str
    description: str
    evidence_class: str
    grading: str  # the source, as its grade only
    observed: str | None


@dataclass(frozen=True)
class StatementView:
    banner: str
    generated: str
    exercise: bool
    incident_title: str | None
    incident_summary: str | None
    occurred: str | None
    attribution_level: str  # "state", "named actor" or "under investigation"
    attribution: str  # the ICD 203 likelihood sentence
    confidence: str | None  # its own sentence; None when nothing is attributed
    facts: tuple[PublicFact, ...]


def releasable(marking: Marking) -> bool:
    return marking.at_most(PUBLIC_MARKING)


def releasable_evidence(case: Case) -> list[EvidenceItem]:
    return [e for e in case.evidence if releasable(e.marking)]


def public_attribution(case: Case, assessment: CaseAssessment) -> tuple[str, str, str | None]:
    """(level, likelihood sentence, confidence sentence) at the level the standards support."""
    fusion = assessment.fusion
    state = assessment.standard(Layer.STATE)
    judgement = fusion.layer(Layer.STATE)
    confidence = confidence_sentence(fusion)
    if state is not None and state.met and judgement.lead not in (UNATTRIBUTED, NON_STATE):
        return (
            "state",
            f"We assess that it is {judgement.term.term} ({judgement.term.range_text}) that "
            f"{judgement.lead} was responsible for this incident.",
            confidence,
        )
    actor = assessment.standard(Layer.NAMED_ACTOR)
    judgement = fusion.layer(Layer.NAMED_ACTOR)
    if actor is not None and actor.met and judgement.lead != UNATTRIBUTED:
        return (
            "named actor",
            f"We assess that it is {judgement.term.term} ({judgement.term.range_text}) that "
            f"the actor known as {actor_name(judgement.lead, case.actors)} carried out "
            "this incident.",
            confidence,
        )
    return (
        "under investigation",
        "Responsibility for this incident is under investigation.",
        None,
    )


def statement_view(
    case: Case,
    assessment: CaseAssessment,
    generated_at: datetime,
    public_summary: str | None = None,
) -> StatementView:
    sources = _sources(case)
    public_case = releasable(case.marking)
    level, attribution, confidence = public_attribution(case, assessment)
    facts = tuple(
        PublicFact(
            title=_scrub(e.title, sources),
            description=_scrub(e.description, sources),
            evidence_class=e.evidence_class.value.replace("_", " "),
            grading=(
                f"a source graded {e.grade.code} ({e.grade.reliability.description}; "
                f"information {e.grade.credibility.description})"
            ),
            observed=when(e.observed_at) if e.observed_at else None,
        )
        for e in releasable_evidence(case)
    )
    incident = case.incident
    summary = public_summary if public_summary is not None else None
    if public_case:
        summary = summary or incident.summary
    return StatementView(
        banner=PUBLIC_MARKING.banner(),
        generated=when(generated_at),
        exercise=case.exercise is not None,
        incident_title=incident.title if public_case else None,
        incident_summary=summary,
        occurred=when(incident.occurred) if public_case else None,
        attribution_level=level,
        attribution=attribution,
        confidence=confidence,
        facts=facts,
    )


def render_public_statement(
    case: Case,
    assessment: CaseAssessment,
    generated_at: datetime,
    *,
    fmt: Literal["text", "html"] = "text",
    public_summary: str | None = None,
    template: str | None = None,
) -> str:
    """The statement as plain text (default) or a self-contained HTML page.

    `public_summary` is incident wording a human has approved for release (used
    when the case itself is not public); `template` replaces the bundled HTML
    template (Jinja2 source). Whatever the input, the output passes
    `check_no_leak` or a `ReleaseLeakError` is raised.
    """
    view = statement_view(case, assessment, generated_at, public_summary)
    if fmt == "html":
        env = environment()
        tpl = (
            env.from_string(template)
            if template is not None
            else env.get_template("statement.html")
        )
        text = tpl.render(s=view, banner=view.banner, banner_class="public")
    elif fmt == "text":
        text = _plain(view)
    else:
        raise DomainError(f"unknown statement format {fmt!r}: expected text or html")
    check_no_leak(text, case)
    return text


def withheld_strings(case: Case) -> list[tuple[str, str, str]]:
    """(item, what, string) for everything a public statement must not contain."""
    out: list[tuple[str, str, str]] = []
    public_groups = {e.group for e in case.evidence if releasable(e.marking)}
    for e in case.evidence:
        out.append((f"evidence {e.id}", "source", e.source))
        if releasable(e.marking):
            continue
        where = f"evidence {e.id}"
        out += [
            (where, "id", e.id),
            (where, "title", e.title),
            (where, "description", e.description),
        ]
        if e.group not in public_groups:
            out.append((where, "dependence group", e.group))
    if not releasable(case.marking):
        where = f"case {case.id}"
        out += [
            (where, "id", case.id),
            (where, "title", case.title),
            (where, "incident title", case.incident.title),
            (where, "incident summary", case.incident.summary),
        ]
    return [(i, w, s.strip()) for i, w, s in out if len(s.strip()) >= MIN_DISTINCTIVE]


def check_no_leak(text: str, case: Case) -> None:
    """Refuse `text` if it holds a distinctive string of anything not releasable.

    Matching ignores case, runs of whitespace and HTML escaping, and needs word
    boundaries, so an id like EV-1 does not match inside EV-12.
    """
    haystack = _normalise(html.unescape(text))
    for item, what, needle in withheld_strings(case):
        pattern = r"(?<!\w)" + re.escape(_normalise(needle)) + r"(?!\w)"
        if re.search(pattern, haystack, flags=re.IGNORECASE):
            raise ReleaseLeakError(item, what, needle)


def _normalise(text: str) -> str:
    return " ".join(text.split())


def _sources(case: Case) -> list[tuple[str, str]]:
    """(source, its grade) for every item, longest first so longer names win."""
    pairs = {(e.source.strip(), e.grade.code) for e in case.evidence}
    return sorted((p for p in pairs if len(p[0]) >= MIN_DISTINCTIVE), key=lambda p: (-len(p[0]), p))


def _scrub(text: str, sources: list[tuple[str, str]]) -> str:
    """Replace any source identity in releasable text by its grade."""
    for source, grade in sources:
        pattern = r"(?<!\w)" + re.escape(source) + r"(?!\w)"
        text = re.sub(pattern, f"a source graded {grade}", text, flags=re.IGNORECASE)
    return text


def _plain(view: StatementView) -> str:
    def para(text: str) -> list[str]:
        return [*textwrap.wrap(text, 78), ""]

    lines = [view.banner, ""]
    if view.exercise:
        lines += ["EXERCISE - EXERCISE - EXERCISE", ""]
    lines += ["PUBLIC STATEMENT", f"Issued {view.generated}", ""]
    if view.incident_title:
        lines += para(view.incident_title)
    if view.occurred:
        lines += para(f"The incident occurred at {view.occurred}.")
    lines += para(view.incident_summary or "Details of the incident are not releasable yet.")
    lines += ["Attribution", ""]
    lines += para(view.attribution)
    if view.confidence:
        lines += para(view.confidence)
    if view.facts:
        lines += ["Releasable findings", ""]
        for f in view.facts:
            observed = f" Observed {f.observed}." if f.observed else ""
            body = f"- {f.title} ({f.evidence_class}; {f.grading}).{observed}"
            if f.description:
                body += f" {f.description}"
            lines += [*textwrap.wrap(body, 78, subsequent_indent="  "), ""]
    if view.exercise:
        lines += ["EXERCISE - EXERCISE - EXERCISE", ""]
    lines.append(view.banner)
    return "\n".join(lines) + "\n"
