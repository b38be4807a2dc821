"""Downgrades (tearlines): items above the target are dropped, paragraphs filtered, sources
replaced by grades, and a leak check refuses output holding anything above its marking."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.sharing.builders import NATO_SECRET, SECRET_STRINGS, shareable_case
from watchfloor.domain.case import Case, Incident
from watchfloor.domain.errors import DomainError
from watchfloor.domain.evidence import EvidenceClass, EvidenceItem
from watchfloor.domain.grading import AdmiraltyGrade
from watchfloor.domain.markings import NATO, PUBLIC, TLP, Classification, Marking
from watchfloor.domain.tearline import (
    TearlineLeakError,
    check_no_leak,
    checked_text,
    downgrade,
    paragraphs,
    parse_marking,
    portion_mark,
    released_text,
    secrets_of,
)


def test_nato_secret_case_to_tlp_clear_keeps_only_public_content() -> None:
    case = shareable_case(NATO_SECRET)
    text = checked_text(case, Marking.public())
    assert text.startswith("NATO UNCLASSIFIED // RELEASABLE TO PUBLIC // TLP:CLEAR")
    assert "Substation control systems" in text
    assert "backup sites" not in text and "standing tasking" not in text
    assert "Baltic grid outage" not in text and "CASE-0042" not in text
    for secret in SECRET_STRINGS:
        assert secret not in text
    assert "Open registry records" not in text  # the kept item's source, as its grade only
    assert "a source graded A2" in text
    assert "203.0.113.5" in text


def test_paragraph_marks_filter_text_of_kept_items() -> None:
    case = shareable_case()
    t = downgrade(case, parse_marking("NU//REL TO NATO//TLP:GREEN"))
    assert [f.id for f in t.facts] == ["EV-c2", "EV-lure"]
    t = downgrade(case, parse_marking("NU//REL TO NATO//TLP:AMBER"))
    loader = next(f for f in t.facts if f.id == "EV-loader")
    assert [p.marking.tlp for p in loader.paragraphs] == [TLP.GREEN, TLP.AMBER]


def test_leak_check_refuses_a_dropped_title_quoted_in_the_output() -> None:
    case = shareable_case(NATO_SECRET)
    target = Marking.public()
    text = downgrade(case, target).render_text() + "\nIntercepted tasking order naming the grid"
    text += " operator, says a source.\n"
    with pytest.raises(TearlineLeakError, match="title of evidence EV-tasking"):
        check_no_leak(text, secrets_of(case, target), released_text(case, target))


def test_leak_check_catches_part_of_a_dropped_paragraph() -> None:
    case = shareable_case(NATO_SECRET)
    target = Marking.public()
    tampered = "Note: collection ties the outage to a standing tasking, we hear."
    with pytest.raises(TearlineLeakError, match="summary paragraph"):
        check_no_leak(tampered, secrets_of(case, target), released_text(case, target))


def test_leak_check_refuses_a_source_identity_even_of_a_kept_item() -> None:
    case = shareable_case()
    with pytest.raises(TearlineLeakError, match="source of evidence EV-c2"):
        check_no_leak("per Open registry records", secrets_of(case, Marking.public()))


def test_marking_lines_parse_and_print_back() -> None:
    m = parse_marking("NS//REL TO NATO, EST//TLP:AMBER+STRICT//PAP:GREEN")
    assert m.classification is Classification.SECRET
    assert m.releasable_to == frozenset({NATO, "EST"})
    assert m.tlp is TLP.AMBER_STRICT
    assert parse_marking(portion_mark(m).strip("()")) == Marking(
        m.classification, m.releasable_to, m.tlp
    )
    assert parse_marking("TLP:CLEAR") == Marking.public()
    with pytest.raises(DomainError, match="unknown classification"):
        parse_marking("TOP SEKRIT")


def test_brackets_that_are_not_a_marking_leave_the_paragraph_unmarked() -> None:
    (p,) = paragraphs("(see annex B) the loader", NATO_SECRET)
    assert p.marking == NATO_SECRET and p.text == "(see annex B) the loader"


# --- property: no output ever holds an item or string above its marking -------------------

LEVELS = [
    Marking.public(),
    Marking(Classification.UNCLASSIFIED, frozenset({NATO}), TLP.GREEN),
    Marking(Classification.UNCLASSIFIED, frozenset({NATO}), TLP.AMBER),
    Marking(Classification.RESTRICTED, frozenset({NATO}), TLP.AMBER),
    Marking(Classification.RESTRICTED, frozenset({"EST"}), TLP.AMBER),
    Marking(Classification.SECRET, frozenset({NATO}), TLP.RED),
    Marking(Classification.SECRET, frozenset(), TLP.RED, originator="EST"),
]
T0 = datetime(2026, 1, 1, tzinfo=UTC)
words = st.lists(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=8), min_size=1, max_size=9
)


@st.composite
def random_cases(draw: st.DrawFn) -> tuple[Case, dict[str, Marking]]:
    """A case whose every distinctive string is tagged with the marking it carries."""
    counter = iter(range(10_000))
    tagged: dict[str, Marking] = {}

    def token(marking: Marking) -> str:
        t = f"tok{next(counter):04d}x" + "".join(draw(words))[:12]
        tagged[t] = marking
        return t

    def text(default: Marking) -> str:
        blocks = []
        for _ in range(draw(st.integers(1, 3))):
            if draw(st.booleans()):
                m = draw(st.sampled_from(LEVELS))
                blocks.append(f"{portion_mark(m)} {token(m)} {' '.join(draw(words))}")
            else:
                blocks.append(f"{token(default)} {' '.join(draw(words))}")
        return "\n\n".join(blocks)

    case_marking = draw(st.sampled_from(LEVELS))
    incident = Incident(token(case_marking), text(case_marking), T0, T0)
    case = Case.open(token(case_marking), token(case_marking), incident, case_marking, "a", T0)
    for _ in range(draw(st.integers(0, 6))):
        m = draw(st.sampled_from(LEVELS))
        source = token(m)
        tagged[source] = Marking(Classification.COSMIC_TOP_SECRET, frozenset(), TLP.RED)
        value = token(m)
        case.add_evidence(
            EvidenceItem(
                id=token(m),
                title=token(m),
                source=source,  # a source identity never goes below its item
                grade=AdmiraltyGrade.parse(draw(st.sampled_from(["A1", "B2", "C3", "F6"]))),
                evidence_class=draw(st.sampled_from(list(EvidenceClass))),
                likelihoods={"other": 0.5},
                marking=m,
                description=text(m),
                attributes={"observables": [{"type": "domain-name", "value": value}]},
            ),
            "a",
            T0,
        )
    return case, tagged


@settings(max_examples=60, deadline=None)
@given(random_cases(), st.sampled_from(LEVELS))
def test_no_downgrade_ever_holds_a_string_above_its_marking(
    sample: tuple[Case, dict[str, Marking]], target: Marking
) -> None:
    case, tagged = sample
    text = checked_text(case, target)  # honest output is never refused
    for token, marking in tagged.items():
        if token in text:
            assert marking.at_most(target), f"{token} ({marking.banner()}) leaked"


@settings(max_examples=40, deadline=None)
@given(random_cases(), st.sampled_from(LEVELS), st.data())
def test_any_string_above_the_target_pasted_into_output_is_refused(
    sample: tuple[Case, dict[str, Marking]], target: Marking, data: st.DataObject
) -> None:
    case, tagged = sample
    above = sorted(t for t, m in tagged.items() if not m.at_most(target))
    if not above:
        return
    pasted = data.draw(st.sampled_from(above))
    text = downgrade(case, target).render_text() + f"\n{pasted}\n"
    with pytest.raises(TearlineLeakError):
        check_no_leak(text, secrets_of(case, target), released_text(case, target))


def test_public_marking_constant_is_what_a_public_statement_uses() -> None:
    assert PUBLIC in Marking.public().releasable_to
