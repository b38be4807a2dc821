"""Collective-defence thresholds: scores, tiers, uncertainty and the gap to the next tier."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from watchfloor.domain.errors import DomainError
from watchfloor.domain.thresholds import Estimate, assess_thresholds

from .policies import SCALE, THRESHOLDS


def exact(**measures: float) -> dict[str, Estimate]:
    return {k: Estimate.exact(v) for k, v in measures.items()}


@pytest.mark.parametrize(
    ("value", "score"),
    [(0, 0), (9_999, 0), (10_000, 1), (99_999, 1), (100_000, 2), (1_000_000, 3), (10**9, 3)],
)
def test_a_criterion_scores_the_highest_band_its_value_reaches(value: float, score: int) -> None:
    assert SCALE.score(value) == score


def test_threshold_for_a_score_is_the_lowest_band_giving_it() -> None:
    assert [SCALE.threshold_for(s) for s in (1, 2, 3, 4)] == [10_000, 100_000, 1_000_000, None]


def test_an_estimate_must_hold_its_best_value_between_low_and_high() -> None:
    with pytest.raises(DomainError, match="low <= best <= high"):
        Estimate(best=5, low=6, high=9)


@pytest.mark.parametrize(
    ("measures", "tier"),
    [
        ({}, "below_threshold"),
        (exact(people_affected=50_000, countries_affected=2), "below_threshold"),
        (exact(people_affected=200_000, countries_affected=2), "significant"),
        # total 6 but no cross-border effect: consultation needs one
        (exact(people_affected=2e6, critical_sectors_affected=3), "significant"),
        (
            exact(people_affected=2e6, critical_sectors_affected=2, countries_affected=2),
            "consultation",
        ),
        (
            exact(
                people_affected=2e6,
                countries_affected=3,
                critical_sectors_affected=2,
                coercive_intent=0.6,
            ),
            "collective_defence_candidate",
        ),
        # total 9 without the intent to coerce the collective-defence tier demands
        (
            exact(people_affected=2e6, countries_affected=5, critical_sectors_affected=3),
            "consultation",
        ),
    ],
    ids=[
        "nothing",
        "small",
        "significant",
        "no-cross-border",
        "consultation",
        "collective-defence",
        "no-coercion",
    ],
)
def test_case_sits_in_the_highest_tier_whose_conditions_hold(
    measures: dict[str, Estimate], tier: str
) -> None:
    assert assess_thresholds(THRESHOLDS, measures).tier.id == tier


def test_every_criterion_gives_its_reason_and_a_missing_measure_says_so() -> None:
    result = assess_thresholds(
        THRESHOLDS, {"people_affected": Estimate(200_000, 50_000, 1_500_000)}
    )

    assert result.reasons == (
        "Scale of disruption: 200000 people (range 50000-1.5e+06) scores 2",
        "Cross-border effects: no countries_affected recorded",
        "Impact on critical services: no critical_sectors_affected recorded",
        "Intent to coerce: no coercive_intent recorded",
        "total 2: below threshold",
    )


def test_the_range_of_an_estimate_gives_the_range_of_tiers() -> None:
    measures = exact(countries_affected=2, critical_sectors_affected=2)
    measures["people_affected"] = Estimate(best=200_000, low=5_000, high=2_000_000)

    result = assess_thresholds(THRESHOLDS, measures)

    # totals 3, 5 and 6 at the low, best and high estimates
    assert (result.tier_low.id, result.tier.id, result.tier_high.id) == (
        "significant",
        "significant",
        "consultation",
    )
    assert result.uncertain
    (scale,) = [s for s in result.scores if s.criterion is SCALE]
    assert (scale.score_low, scale.score, scale.score_high) == (0, 2, 3)


def test_exact_measures_leave_no_uncertainty() -> None:
    result = assess_thresholds(THRESHOLDS, exact(people_affected=200_000, countries_affected=2))

    assert not result.uncertain
    assert result.tier_low == result.tier == result.tier_high


def test_the_gap_to_the_next_tier_names_the_total_and_each_criterion_short() -> None:
    measures = exact(
        people_affected=2e6, countries_affected=3, critical_sectors_affected=1, coercive_intent=0.3
    )

    result = assess_thresholds(THRESHOLDS, measures)

    assert result.tier.id == "consultation"
    assert result.next_tier is not None and result.next_tier.id == "collective_defence_candidate"
    assert result.to_next_tier == (
        "total score 7 must reach 9 (+2)",
        "Impact on critical services must score 2, now 1 (critical_sectors_affected at least 2)",
        "Intent to coerce must score 2, now 1 (coercive_intent at least 0.55)",
    )


def test_the_top_tier_has_no_next_tier() -> None:
    measures = exact(
        people_affected=2e6, countries_affected=5, critical_sectors_affected=3, coercive_intent=0.9
    )

    result = assess_thresholds(THRESHOLDS, measures)

    assert (result.tier.id, result.next_tier, result.to_next_tier, result.total) == (
        "collective_defence_candidate",
        None,
        (),
        12,
    )


def test_an_unknown_tier_is_an_error_naming_the_policy() -> None:
    with pytest.raises(DomainError, match="test-1"):
        THRESHOLDS.tier("war")


def test_tiers_rank_in_policy_order() -> None:
    assert [THRESHOLDS.rank(t.id) for t in THRESHOLDS.tiers] == [0, 1, 2, 3]


def test_the_policy_version_is_recorded_with_the_assessment() -> None:
    assert assess_thresholds(THRESHOLDS, {}).policy_version == "test-1"


measure_values = st.floats(0, 3e6, allow_nan=False)


@given(
    st.tuples(measure_values, measure_values, measure_values).map(sorted),
    st.floats(0, 6),
    st.floats(0, 1),
)
def test_the_best_tier_lies_between_the_low_and_high_tiers(
    people: list[float], countries: float, intent: float
) -> None:
    low, best, high = people
    measures = exact(countries_affected=countries, coercive_intent=intent)
    measures["people_affected"] = Estimate(best, low, high)

    result = assess_thresholds(THRESHOLDS, measures)

    rank = THRESHOLDS.rank
    assert rank(result.tier_low.id) <= rank(result.tier.id) <= rank(result.tier_high.id)
