"""ICD 203 likelihood terms and the five STIX 2.1 confidence scales (spec appendix A)."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from watchfloor.domain.confidence import (
    ADMIRALTY_CREDIBILITY,
    DNI,
    NONE_LOW_MED_HIGH,
    STIX_CONFIDENCE_SCALES,
    WEP,
    ZERO_TO_TEN,
    AnalyticConfidence,
    ConfidenceScale,
    LikelihoodTerm,
    stix_confidence,
)
from watchfloor.domain.errors import DomainError

# --- ICD 203 ---------------------------------------------------------------------------

ICD_203 = [
    # term, alternative, low %, high % (ICD 203, 2015, §D.6.e)
    ("almost no chance", "remote", 1, 5),
    ("very unlikely", "highly improbable", 5, 20),
    ("unlikely", "improbable", 20, 45),
    ("roughly even chance", "roughly even odds", 45, 55),
    ("likely", "probable", 55, 80),
    ("very likely", "highly probable", 80, 95),
    ("almost certain", "nearly certain", 95, 99),
]


def test_icd_203_terms_and_ranges_match_the_directive() -> None:
    table = [
        (t.term, t.alternative, round(t.low * 100), round(t.high * 100)) for t in LikelihoodTerm
    ]

    assert table == ICD_203


@pytest.mark.parametrize(
    ("p", "expected"),
    [
        (0.0, LikelihoodTerm.ALMOST_NO_CHANCE),
        (0.01, LikelihoodTerm.ALMOST_NO_CHANCE),
        (0.0499, LikelihoodTerm.ALMOST_NO_CHANCE),
        (0.05, LikelihoodTerm.VERY_UNLIKELY),
        (0.20, LikelihoodTerm.UNLIKELY),
        (0.45, LikelihoodTerm.ROUGHLY_EVEN_CHANCE),
        (0.5, LikelihoodTerm.ROUGHLY_EVEN_CHANCE),
        (0.5499, LikelihoodTerm.ROUGHLY_EVEN_CHANCE),
        (0.55, LikelihoodTerm.LIKELY),
        (0.80, LikelihoodTerm.VERY_LIKELY),
        (0.95, LikelihoodTerm.ALMOST_CERTAIN),
        (0.99, LikelihoodTerm.ALMOST_CERTAIN),
        (1.0, LikelihoodTerm.ALMOST_CERTAIN),
    ],
)
def test_probability_reads_as_the_term_whose_half_open_range_holds_it(
    p: float, expected: LikelihoodTerm
) -> None:
    assert LikelihoodTerm.for_probability(p) is expected


@pytest.mark.parametrize("p", [-0.01, 1.01, math.nan, math.inf, -math.inf])
def test_probability_outside_zero_one_is_refused(p: float) -> None:
    with pytest.raises(DomainError, match="probability"):
        LikelihoodTerm.for_probability(p)


@given(st.floats(0.0, 1.0), st.floats(0.0, 1.0))
def test_a_higher_probability_never_reads_as_a_weaker_term(p: float, q: float) -> None:
    lo, hi = sorted((p, q))
    order = list(LikelihoodTerm)

    assert order.index(LikelihoodTerm.for_probability(lo)) <= order.index(
        LikelihoodTerm.for_probability(hi)
    )


def test_term_prints_as_its_words_and_range() -> None:
    assert str(LikelihoodTerm.LIKELY) == "likely"
    assert LikelihoodTerm.LIKELY.range_text == "55%-80%"


def test_analytic_confidence_ranks_low_below_moderate_below_high() -> None:
    ranks = [
        c.rank
        for c in (AnalyticConfidence.LOW, AnalyticConfidence.MODERATE, AnalyticConfidence.HIGH)
    ]

    assert ranks == [0, 1, 2]
    assert str(AnalyticConfidence.MODERATE) == "moderate"


# --- STIX 2.1 appendix A -----------------------------------------------------------------

# (scale, value as written in the spec, STIX confidence, range low, range high)
APPENDIX_A: list[tuple[ConfidenceScale, str, int, int, int]] = [
    (NONE_LOW_MED_HIGH, "None", 0, 0, 0),
    (NONE_LOW_MED_HIGH, "Low", 15, 1, 29),
    (NONE_LOW_MED_HIGH, "Med", 50, 30, 69),
    (NONE_LOW_MED_HIGH, "High", 85, 70, 100),
    (ZERO_TO_TEN, "0", 0, 0, 4),
    (ZERO_TO_TEN, "1", 10, 5, 14),
    (ZERO_TO_TEN, "2", 20, 15, 24),
    (ZERO_TO_TEN, "3", 30, 25, 34),
    (ZERO_TO_TEN, "4", 40, 35, 44),
    (ZERO_TO_TEN, "5", 50, 45, 54),
    (ZERO_TO_TEN, "6", 60, 55, 64),
    (ZERO_TO_TEN, "7", 70, 65, 74),
    (ZERO_TO_TEN, "8", 80, 75, 84),
    (ZERO_TO_TEN, "9", 90, 85, 94),
    (ZERO_TO_TEN, "10", 100, 95, 100),
    (ADMIRALTY_CREDIBILITY, "5", 10, 0, 19),
    (ADMIRALTY_CREDIBILITY, "4", 30, 20, 39),
    (ADMIRALTY_CREDIBILITY, "3", 50, 40, 59),
    (ADMIRALTY_CREDIBILITY, "2", 70, 60, 79),
    (ADMIRALTY_CREDIBILITY, "1", 90, 80, 100),
    (WEP, "Impossible", 0, 0, 0),
    (WEP, "Highly Unlikely/Almost Certainly Not", 10, 1, 19),
    (WEP, "Unlikely/Probably Not", 30, 20, 39),
    (WEP, "Even Chance", 50, 40, 59),
    (WEP, "Likely/Probable", 70, 60, 79),
    (WEP, "Highly likely/Almost Certain", 90, 80, 99),
    (WEP, "Certain", 100, 100, 100),
    (DNI, "Almost No Chance / Remote", 5, 0, 9),
    (DNI, "Very Unlikely / Highly Improbable", 15, 10, 19),
    (DNI, "Unlikely / Improbable", 30, 20, 39),
    (DNI, "Roughly Even Chance / Roughly Even Odds", 50, 40, 59),
    (DNI, "Likely / Probable", 70, 60, 79),
    (DNI, "Very Likely / Highly Probable", 85, 80, 89),
    (DNI, "Almost Certain / Nearly Certain", 95, 90, 100),
]

ROWS = [pytest.param(*row, id=f"{row[0].name}:{row[1]}") for row in APPENDIX_A]


def test_the_five_scales_of_appendix_a_are_offered() -> None:
    assert set(STIX_CONFIDENCE_SCALES) == {
        "None/Low/Med/High",
        "0-10",
        "Admiralty Credibility",
        "WEP",
        "DNI",
    }


@pytest.mark.parametrize(("scale", "value", "stix", "low", "high"), ROWS)
def test_scale_value_maps_to_its_appendix_stix_confidence(
    scale: ConfidenceScale, value: str, stix: int, low: int, high: int
) -> None:
    assert scale.to_stix(value) == stix


@pytest.mark.parametrize(("scale", "value", "stix", "low", "high"), ROWS)
def test_every_stix_confidence_in_the_appendix_range_maps_back_to_the_value(
    scale: ConfidenceScale, value: str, stix: int, low: int, high: int
) -> None:
    back = {scale.from_stix(c) for c in range(low, high + 1)}

    assert back == {value}


@pytest.mark.parametrize(("scale", "value", "stix", "low", "high"), ROWS)
def test_neighbours_of_the_range_map_to_other_values(
    scale: ConfidenceScale, value: str, stix: int, low: int, high: int
) -> None:
    outside = [c for c in (low - 1, high + 1) if 0 <= c <= 100]

    assert all(scale.from_stix(c) != value for c in outside)


@pytest.mark.parametrize("scale", list(STIX_CONFIDENCE_SCALES.values()), ids=lambda s: s.name)
def test_ranges_of_each_scale_cover_zero_to_hundred_without_overlap(scale: ConfidenceScale) -> None:
    covered = sorted(c for e in scale.entries for c in range(e.low, e.high + 1))

    assert covered == list(range(101))


@pytest.mark.parametrize("scale", list(STIX_CONFIDENCE_SCALES.values()), ids=lambda s: s.name)
def test_scale_value_round_trips_through_stix(scale: ConfidenceScale) -> None:
    for e in scale.entries:
        assert scale.from_stix(scale.to_stix(e.value)) == e.value


@pytest.mark.parametrize(
    ("scale", "alias", "stix"),
    [
        (WEP, "almost certainly not", 10),
        (WEP, "Probable", 70),
        (WEP, "HIGHLY LIKELY", 90),
        (DNI, "remote", 5),
        (DNI, " Roughly Even Odds ", 50),
        (DNI, "nearly certain", 95),
        (ZERO_TO_TEN, 7, 70),
        (ADMIRALTY_CREDIBILITY, 1, 90),
        (NONE_LOW_MED_HIGH, "med", 50),
    ],
)
def test_either_name_of_a_value_and_any_case_are_accepted(
    scale: ConfidenceScale, alias: str | int, stix: int
) -> None:
    assert scale.to_stix(alias) == stix


@pytest.mark.parametrize(
    ("scale", "value"),
    [(NONE_LOW_MED_HIGH, "Medium"), (ZERO_TO_TEN, "11"), (ADMIRALTY_CREDIBILITY, "6"), (WEP, "")],
)
def test_a_value_not_on_the_scale_is_refused(scale: ConfidenceScale, value: str) -> None:
    with pytest.raises(DomainError, match="not a value"):
        scale.to_stix(value)


@pytest.mark.parametrize("confidence", [-1, 101, 50.0, "50"])
def test_stix_confidence_outside_the_integers_zero_to_hundred_is_refused(
    confidence: object,
) -> None:
    with pytest.raises(DomainError, match="0-100"):
        WEP.from_stix(confidence)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("p", "expected"), [(0.0, 0), (0.004, 0), (0.5, 50), (0.876, 88), (1.0, 100)]
)
def test_probability_becomes_a_rounded_stix_percentage(p: float, expected: int) -> None:
    assert stix_confidence(p) == expected


@pytest.mark.parametrize("p", [-0.1, 1.1])
def test_probability_outside_zero_one_has_no_stix_confidence(p: float) -> None:
    with pytest.raises(DomainError):
        stix_confidence(p)
