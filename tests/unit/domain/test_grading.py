"""The Admiralty code: parsing, weights and "B2 or better"."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from watchfloor.domain.errors import DomainError
from watchfloor.domain.grading import AdmiraltyGrade, Credibility, Reliability

ALL_CODES = [f"{r}{c}" for r, c in itertools.product("ABCDEF", "123456")]


@pytest.mark.parametrize(
    ("text", "reliability", "credibility"),
    [
        ("B2", Reliability.B, Credibility.PROBABLY_TRUE),
        ("a1", Reliability.A, Credibility.CONFIRMED),
        (" C 3 ", Reliability.C, Credibility.POSSIBLY_TRUE),
        ("F6", Reliability.F, Credibility.CANNOT_BE_JUDGED),
        ("E5", Reliability.E, Credibility.IMPROBABLE),
    ],
)
def test_a_grade_parses_into_its_letter_and_number(
    text: str, reliability: Reliability, credibility: Credibility
) -> None:
    grade = AdmiraltyGrade.parse(text)

    assert (grade.reliability, grade.credibility) == (reliability, credibility)


@pytest.mark.parametrize("text", ["", "B", "2", "G2", "B7", "B0", "2B", "BB2", "B22", "B-2"])
def test_a_malformed_grade_is_refused_with_an_example(text: str) -> None:
    with pytest.raises(DomainError, match=r"e\.g\. B2"):
        AdmiraltyGrade.parse(text)


@pytest.mark.parametrize("code", ALL_CODES)
def test_every_grade_prints_as_the_code_it_was_parsed_from(code: str) -> None:
    grade = AdmiraltyGrade.parse(code.lower())

    assert (grade.code, str(grade)) == (code, code)


@pytest.mark.parametrize(
    ("number", "credibility"),
    [(1, Credibility.CONFIRMED), (4, Credibility.DOUBTFUL), (6, Credibility.CANNOT_BE_JUDGED)],
)
def test_credibility_is_found_by_its_number(number: int, credibility: Credibility) -> None:
    assert Credibility.of(number) is credibility


@pytest.mark.parametrize("number", [0, 7, -1])
def test_credibility_outside_one_to_six_is_refused(number: int) -> None:
    with pytest.raises(DomainError, match="1-6"):
        Credibility.of(number)


def test_b2_or_better_means_a1_a2_b1_b2() -> None:
    floor = AdmiraltyGrade.parse("B2")

    passing = [code for code in ALL_CODES if AdmiraltyGrade.parse(code).at_least(floor)]

    assert passing == ["A1", "A2", "B1", "B2"]


@pytest.mark.parametrize("code", ["F1", "A6", "F6"])
def test_cannot_be_judged_never_meets_a_judged_floor(code: str) -> None:
    assert not AdmiraltyGrade.parse(code).at_least(AdmiraltyGrade.parse("E5"))


def test_weight_is_the_product_of_the_axis_weights() -> None:
    grade = AdmiraltyGrade.parse("B3")

    assert grade.weight == pytest.approx(Reliability.B.weight * Credibility.POSSIBLY_TRUE.weight)


def test_weights_fall_from_a_to_e_and_from_1_to_5_and_cannot_be_judged_sits_in_the_middle() -> None:
    reliability = [Reliability[x].weight for x in "ABCDE"]
    credibility = [Credibility.of(n).weight for n in range(1, 6)]

    assert reliability == sorted(reliability, reverse=True)
    assert credibility == sorted(credibility, reverse=True)
    assert Reliability.F.weight == Credibility.CANNOT_BE_JUDGED.weight == 0.5
    assert all(0.0 < w <= 1.0 for w in reliability + credibility)


@given(
    st.lists(st.sampled_from("ABCDE"), min_size=2, max_size=2),
    st.lists(st.integers(1, 5), min_size=2, max_size=2),
)
def test_a_judged_grade_at_least_another_never_weighs_less(
    letters: list[str], numbers: list[int]
) -> None:
    stronger = AdmiraltyGrade.parse(f"{min(letters)}{min(numbers)}")
    weaker = AdmiraltyGrade.parse(f"{max(letters)}{max(numbers)}")

    assert stronger.at_least(weaker)
    assert stronger.weight >= weaker.weight
