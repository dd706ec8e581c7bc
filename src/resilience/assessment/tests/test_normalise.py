"""Target-normalised scores and min-max scaling."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from resilience.assessment.methods.normalise import min_max, min_max_columns, target_score


def test_higher_is_better_scores_value_over_target_capped():
    # Shelter places per resident against a norm of 1.5 m² … any ratio: 0.75 of the target is 0.5.
    assert target_score([0.75, 1.5, 3.0, -1], 1.5).tolist() == [0.5, 1.0, 1.0, 0.0]
    assert target_score([3.0], 1.5, cap=1.5).tolist() == [1.5]


def test_lower_is_better_scores_target_over_value():
    # Alert acknowledgement in minutes against a target of 5: 10 minutes is half as good.
    assert target_score([2, 5, 10, 20], 5, "lower").tolist() == [1.0, 1.0, 0.5, 0.25]


def test_a_zero_target():
    assert target_score([0, 3], 0, "lower").tolist() == [1.0, 0.0]  # e.g. overdue hazards
    assert target_score([0, 3], 0, "higher").tolist() == [1.0, 1.0]


def test_missing_values_stay_missing_and_bad_parameters_are_refused():
    scores = target_score([np.nan, 1], 2)
    assert np.isnan(scores[0]) and scores[1] == 0.5
    with pytest.raises(ValueError, match="target"):
        target_score([1], -1)
    with pytest.raises(ValueError, match="direction"):
        target_score([1], 1, "up")


def test_min_max_scales_best_to_one_and_worst_to_zero():
    assert min_max([10, 20, 30]).tolist() == [0.0, 0.5, 1.0]
    assert min_max([10, 20, 30], "lower").tolist() == [1.0, 0.5, 0.0]
    scaled = min_max([10, np.nan, 30])
    assert np.isnan(scaled[1]) and scaled[2] == 1.0
    assert min_max([4, 4]).tolist() == [1.0, 1.0]
    assert min_max([4, 4], constant=0.5).tolist() == [0.5, 0.5]
    assert min_max_columns([[1, 5], [3, 1]], ["higher", "lower"]).tolist() == [[0, 0], [1, 1]]


finite = st.floats(-1e6, 1e6, allow_nan=False)


@given(st.lists(finite, min_size=1, max_size=50), st.sampled_from(["higher", "lower"]))
def test_min_max_lies_in_0_1_and_keeps_the_order(xs, direction):
    scaled = min_max(xs, direction)
    assert ((scaled >= 0) & (scaled <= 1)).all()
    sign = 1 if direction == "higher" else -1
    order = np.argsort(np.array(xs) * sign, kind="stable")
    assert (np.diff(scaled[order]) >= 0).all()


@given(st.lists(finite, min_size=1, max_size=50), st.floats(0.01, 1e4),
       st.sampled_from(["higher", "lower"]))
def test_target_scores_lie_between_0_and_the_cap(xs, target, direction):
    scores = target_score(xs, target, direction)
    assert ((scores >= 0) & (scores <= 1)).all()
