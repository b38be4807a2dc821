"""The public statement carries only what may be released, and refuses anything else."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from watchfloor.adapters.reports import ReleaseLeakError, render_public_statement
from watchfloor.domain.assessment import CaseAssessment
from watchfloor.domain.case import Case
from watchfloor.domain.hypotheses import Layer
from watchfloor.domain.markings import NATO, TLP, Classification, Marking

from .casebook import DETECTED, NATO_RESTRICTED, NATO_SECRET, PUBLIC, evidence

GENERATED = DETECTED.replace(hour=12)
Build = Callable[..., tuple[Case, CaseAssessment]]
BANNER = "NATO UNCLASSIFIED // RELEASABLE TO PUBLIC // TLP:CLEAR"


def flat(text: str) -> str:
    return " ".join(text.split())


def withheld(case: Case) -> list[str]:
    return [
        s
        for e in case.evidence
        if not e.marking.at_most(Marking.public())
        for s in (e.id, e.title, e.description)
    ]


@pytest.mark.parametrize("fmt", ["text", "html"])
def test_statement_holds_only_releasable_items_and_no_source_names(
    decided: tuple, fmt: str
) -> None:
    case, assessment = decided

    text = render_public_statement(case, assessment, GENERATED, fmt=fmt)  # type: ignore[arg-type]

    assert text.count(BANNER) >= 2
    assert "Press echo of the wiper code overlap" in text
    assert "Command servers rented through a reseller Ursa used before" in text
    for secret in withheld(case):
        assert secret not in text
    for e in case.evidence:
        assert e.source not in text
    assert "a source graded A2" in text
    assert "Grid control outage" not in text  # the case itself is NATO RESTRICTED


def test_state_is_named_when_the_state_standard_is_met(decided: tuple) -> None:
    case, assessment = decided
    state = assessment.standard(Layer.STATE)
    assert state is not None and state.met

    text = flat(render_public_statement(case, assessment, GENERATED))

    assert "it is almost certain (95%-99%) that Arcadia was responsible" in text
    assert "We hold moderate confidence in this judgement." in text


def test_only_the_actor_is_named_when_the_state_standard_is_not_met(make_case: Build) -> None:
    no_intent = [e for e in evidence() if e.id != "EV-tasking"]  # the state needs intent evidence
    case, assessment = make_case(no_intent)
    assert not assessment.standard(Layer.STATE).met  # type: ignore[union-attr]
    assert assessment.standard(Layer.NAMED_ACTOR).met  # type: ignore[union-attr]

    text = flat(render_public_statement(case, assessment, GENERATED))

    assert "the actor known as Ursa Group carried out this incident" in text
    assert "Arcadia" not in text


def test_nothing_is_named_when_no_standard_is_met(make_case: Build) -> None:
    weak = [e for e in evidence() if e.id in ("EV-lure", "EV-wiper-copy")]
    case, assessment = make_case(weak)

    text = flat(render_public_statement(case, assessment, GENERATED))

    assert "Responsibility for this incident is under investigation." in text
    for name in ("Arcadia", "Ursa Group", "Lynx Team", "Borealia"):
        assert name not in text
    assert "confidence" not in text


def test_a_public_case_shows_its_incident(make_case: Build) -> None:
    case, assessment = make_case(marking=PUBLIC)

    text = flat(render_public_statement(case, assessment, GENERATED))

    assert "Grid control outage in two Baltic states" in text
    assert "Substation control systems in Estonia and Latvia" in text


def test_leak_check_refuses_a_tampered_template(decided: tuple) -> None:
    case, assessment = decided
    tampered = "{{ s.attribution }} Sources say: intercepted tasking order naming the GRID operator"

    with pytest.raises(ReleaseLeakError, match="evidence EV-tasking") as refused:
        render_public_statement(case, assessment, GENERATED, fmt="html", template=tampered)

    assert refused.value.what == "title"


def test_leak_check_refuses_approved_wording_that_names_a_source(decided: tuple) -> None:
    case, assessment = decided
    wording = "Our SIGINT station LIGHTHOUSE saw the grid fail."

    with pytest.raises(ReleaseLeakError, match="source of evidence EV-tasking"):
        render_public_statement(case, assessment, GENERATED, public_summary=wording)


def test_leak_check_sees_through_html_escaping(make_case: Build) -> None:
    items = evidence()
    items[3] = items[3].__class__(**{**items[3].__dict__, "title": "Tom & Jerry's order"})
    case, assessment = make_case(items)

    with pytest.raises(ReleaseLeakError, match="EV-tasking"):
        render_public_statement(
            case, assessment, GENERATED, fmt="html", template="{{ 'Tom & Jerry\\'s order' }}"
        )


def test_source_names_in_releasable_text_become_grades(make_case: Build) -> None:
    items = evidence()
    c2 = items[2]
    items[2] = c2.__class__(
        **{**c2.__dict__, "title": "Open registry records show a reseller Ursa used"}
    )
    case, assessment = make_case(items)

    text = flat(render_public_statement(case, assessment, GENERATED))

    assert "Open registry records" not in text
    assert "a source graded A2 show a reseller Ursa used" in text


MARKINGS = [
    PUBLIC,
    NATO_RESTRICTED,
    NATO_SECRET,
    Marking(Classification.UNCLASSIFIED, frozenset({NATO}), TLP.CLEAR),
    Marking(Classification.UNCLASSIFIED, frozenset({"PUBLIC"}), TLP.GREEN),
]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(st.sampled_from(MARKINGS), min_size=5, max_size=5), st.sampled_from(["text", "html"])
)
def test_a_statement_never_contains_an_item_above_public(
    make_case: Build, markings: list[Marking], fmt: str
) -> None:
    items = [
        e.__class__(**{**e.__dict__, "marking": m})
        for e, m in zip(evidence(), markings, strict=True)
    ]
    case, assessment = make_case(items)

    text = render_public_statement(case, assessment, GENERATED, fmt=fmt)  # type: ignore[arg-type]

    for secret in withheld(case):
        assert secret not in text
    for e in case.evidence:
        assert e.source not in text
