"""Weighted composites over normalised indicators, with contributions and weakest points."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from resilience.assessment.methods.composite import (
    MIN_MAX, Indicator, composite, effective_weights,
)

INDICATORS = [
    Indicator("shelter_places", "physical", weight=2, target=1.0),
    Indicator("supply_days", "physical", weight=1, target=3.0),
    Indicator("ack_minutes", "technological", weight=1, direction="lower", target=5.0),
]


def test_a_weighted_sum_of_target_scores_by_hand():
    result = composite({"shelter_places": [0.5, 1.2], "supply_days": [3, 1.5],
                        "ack_minutes": [10, 5]}, INDICATORS)
    # Unit 0: 0.5, 1.0, 0.5 weighted 2:1:1 → (1 + 1 + 0.5) / 4 = 0.625.
    # Unit 1: 1.0, 0.5, 1.0 → (2 + 0.5 + 1) / 4 = 0.875.
    assert result.scores.tolist() == [0.625, 0.875]
    assert result.contributions[0].tolist() == [0.25, 0.25, 0.125]
    assert result.dimension_scores[0].tolist() == [2 / 3, 0.5]
    assert result.dimensions == ["physical", "technological"]
    weakest = result.weakest(0)
    assert [w["key"] for w in weakest] == ["shelter_places", "ack_minutes"]
    assert weakest[0]["shortfall"] == 0.25 and weakest[0]["normalised"] == 0.5
    assert result.weakest(1, count=1) == [{"key": "supply_days", "dimension": "physical",
                                           "normalised": 0.5, "shortfall": 0.125}]
    unit = result.unit(1)
    assert unit["score"] == 0.875 and unit["dimensions"]["technological"] == 1.0


def test_dimension_weights_split_a_dimensions_share_between_its_indicators():
    weights = effective_weights(INDICATORS, {"physical": 1, "technological": 3})
    assert weights.tolist() == [0.25 * 2 / 3, 0.25 / 3, 0.75]
    result = composite([[0.5, 3, 10]], INDICATORS, dimension_weights={"physical": 1,
                                                                       "technological": 3})
    assert result.scores[0] == pytest.approx(0.25 * 2 / 3 + 0.75 * 0.5)
    with pytest.raises(ValueError, match="no weight for dimension"):
        effective_weights(INDICATORS, {"physical": 1})


def test_min_max_across_units_when_there_is_no_target():
    indicators = [Indicator("a", "x"), Indicator("b", "x", direction="lower")]
    result = composite([[0, 10], [5, 0], [10, 5]], indicators)
    assert result.normalised.tolist() == [[0, 0], [0.5, 1], [1, 0.5]]
    forced = composite([[0, 10], [5, 0]], INDICATORS[:2], normalisation=MIN_MAX)
    assert forced.normalised.tolist() == [[0, 1], [1, 0]]


def test_a_missing_value_is_left_out_and_the_rest_reweighted():
    result = composite([[np.nan, 3, 5], [np.nan, np.nan, np.nan]], INDICATORS)
    assert result.scores[0] == 1.0 and result.coverage[0] == 0.5
    assert np.isnan(result.scores[1]) and result.coverage[1] == 0
    assert np.isnan(result.dimension_scores[1]).all()
    assert result.weakest(0) == []


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="supply_days"):
        composite({"shelter_places": [1], "ack_minutes": [1]}, INDICATORS)
    with pytest.raises(ValueError, match="units × 3"):
        composite([[1, 2]], INDICATORS)
    with pytest.raises(ValueError, match="unique"):
        composite([[1, 2]], [Indicator("a", "x"), Indicator("a", "y")])
    with pytest.raises(ValueError, match="direction"):
        Indicator("a", "x", direction="up")


@given(st.lists(st.floats(0, 10), min_size=3, max_size=3),
       st.lists(st.lists(st.floats(0, 100), min_size=3, max_size=3), min_size=1, max_size=10))
def test_weights_sum_to_one_and_contributions_add_up_to_the_score(weights, rows):
    indicators = [Indicator(f"i{j}", f"d{j % 2}", weight=w, target=50.0)
                  for j, w in enumerate(weights)]
    if sum(weights) == 0:
        with pytest.raises(ValueError, match="zero"):
            composite(rows, indicators)
        return
    result = composite(rows, indicators)
    assert result.weights.sum() == pytest.approx(1)
    assert result.contributions.sum(axis=1) == pytest.approx(result.scores)
    assert (result.contributions.sum(axis=1) + result.shortfalls.sum(axis=1)) == \
        pytest.approx(np.ones(len(rows)))
    assert ((result.scores >= 0) & (result.scores <= 1 + 1e-12)).all()


def test_a_thousand_communities_by_thirty_indicators_with_gaps():
    # Speed is measured by the benchmark, not asserted here: this checks the result at that size.
    rng = np.random.default_rng(8)
    indicators = [Indicator(f"i{j}", ["physical", "organisational", "institutional",
                                      "technological", "social"][j % 5], weight=1 + j % 3,
                            direction="higher" if j % 2 else "lower",
                            target=10.0 if j % 3 == 0 else None) for j in range(30)]
    values = rng.random((1000, 30)) * 20
    values[rng.random((1000, 30)) < 0.05] = np.nan
    result = composite(values, indicators)
    weakest = [result.weakest(i, 3) for i in range(1000)]
    assert all(len(w) <= 3 for w in weakest) and np.isfinite(result.scores).all()
    assert all([x["shortfall"] for x in w] == sorted((x["shortfall"] for x in w), reverse=True)
               for w in weakest)
    assert result.weights.sum() == pytest.approx(1)
