"""Weights by hand, by AHP pairwise comparison (with consistency) and by entropy."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from resilience.assessment.methods.weights import (
    RANDOM_INDEX, InconsistentJudgements, WeightError, ahp_weights, check_pairwise,
    entropy_weights, hand_weights, pairwise_matrix,
)

# Saaty, "Decision making with the analytic hierarchy process", Int. J. Services Sciences 1(1),
# 2008, table 3: relative consumption of drinks in the USA; the derived priorities are printed
# to three decimals beside the matrix.
DRINKS = ["coffee", "wine", "tea", "beer", "sodas", "milk", "water"]
DRINKS_MATRIX = [
    [1, 9, 5, 2, 1, 1, 1 / 2],
    [1 / 9, 1, 1 / 3, 1 / 9, 1 / 9, 1 / 9, 1 / 9],
    [1 / 5, 3, 1, 1 / 3, 1 / 4, 1 / 3, 1 / 9],
    [1 / 2, 9, 3, 1, 1 / 2, 1, 1 / 3],
    [1, 9, 4, 2, 1, 2, 1 / 2],
    [1, 9, 3, 1, 1 / 2, 1, 1 / 3],
    [2, 9, 9, 3, 2, 3, 1],
]
DRINKS_DERIVED = [0.177, 0.019, 0.042, 0.116, 0.190, 0.129, 0.327]


def test_hand_weights_are_scaled_to_sum_to_one():
    assert hand_weights({"a": 2, "b": 6}) == {"a": 0.25, "b": 0.75}
    with pytest.raises(WeightError, match="b"):
        hand_weights({"a": 1, "b": -1})
    with pytest.raises(WeightError, match="zero"):
        hand_weights({"a": 0})


def test_ahp_reproduces_saatys_drinks_example():
    result = ahp_weights(DRINKS_MATRIX, DRINKS)
    assert [round(w, 3) for w in result.weights] == DRINKS_DERIVED
    assert result.as_dict()["water"] == pytest.approx(0.327, abs=5e-4)
    assert result.consistent and result.ri == 1.32
    assert result.cr == pytest.approx(0.022, abs=5e-4)  # λmax 7.177, CI 0.029


def test_ahp_consistency_of_a_3x3_matrix_by_hand():
    # For a 3×3 reciprocal matrix [[1, a, b], [1/a, 1, c], [1/b, 1/c, 1]],
    # λmax = 1 + d^(1/3) + d^(−1/3) with d = a·c/b. Here a = 2, b = 8, c = 2: d = 0.5.
    d = 0.5
    lambda_max = 1 + d ** (1 / 3) + d ** (-1 / 3)
    result = ahp_weights([[1, 2, 8], [1 / 2, 1, 2], [1 / 8, 1 / 2, 1]])
    assert result.lambda_max == pytest.approx(lambda_max)  # 3.0536
    assert result.ci == pytest.approx((lambda_max - 3) / 2)  # 0.0268
    assert result.cr == pytest.approx((lambda_max - 3) / 2 / 0.58)  # 0.0462
    # The eigenvector of a 3×3 reciprocal matrix is proportional to the rows' geometric means.
    means = [(1 * 2 * 8) ** (1 / 3), (0.5 * 1 * 2) ** (1 / 3), (1 / 8 * 1 / 2) ** (1 / 3)]
    assert result.weights == pytest.approx([m / sum(means) for m in means])


def test_a_consistent_matrix_gives_its_ratios_and_zero_inconsistency():
    w = np.array([0.5, 0.3, 0.2])
    result = ahp_weights(np.outer(w, 1 / w))
    assert result.weights == pytest.approx(w.tolist())
    assert result.lambda_max == pytest.approx(3) and result.cr == pytest.approx(0, abs=1e-12)


def test_inconsistent_judgements_are_refused_unless_forced():
    circular = [[1, 9, 1 / 9], [1 / 9, 1, 9], [9, 1 / 9, 1]]  # a ≫ b ≫ c ≫ a
    with pytest.raises(InconsistentJudgements, match="consistency ratio .* above 0.1") as caught:
        ahp_weights(circular)
    assert caught.value.result.cr > 1
    forced = ahp_weights(circular, force=True)
    assert not forced.consistent
    assert forced.weights == pytest.approx([1 / 3] * 3)


def test_a_matrix_that_is_not_reciprocal_names_the_cell():
    reason = r"not reciprocal: a\[2,1\] = 2 should be 1/a\[1,2\] = 0.333"
    with pytest.raises(WeightError, match=reason):
        check_pairwise([[1, 3], [2, 1]])
    with pytest.raises(WeightError, match="must be square"):
        check_pairwise([[1, 2, 3], [1, 1, 1]])
    with pytest.raises(WeightError, match="positive"):
        check_pairwise([[1, -2], [-0.5, 1]])
    with pytest.raises(WeightError, match="itself must be 1"):
        check_pairwise([[2, 1], [1, 1]])
    check_pairwise([[1, 3], [0.333, 1]])  # judgements written to three decimals are accepted


def test_pairwise_matrix_from_judgements():
    a = pairwise_matrix(["x", "y", "z"], {("x", "y"): 3, ("z", "x"): 2, ("y", "z"): 0.5})
    assert a[1, 0] == pytest.approx(1 / 3) and a[0, 2] == 0.5 and a[2, 1] == 2
    with pytest.raises(WeightError, match=r"pairs not judged: \(y, z\)"):
        pairwise_matrix(["x", "y", "z"], {("x", "y"): 3, ("x", "z"): 2})
    with pytest.raises(WeightError, match="judged twice"):
        pairwise_matrix(["x", "y"], {("x", "y"): 3, ("y", "x"): 2})


def test_entropy_weights_of_a_small_table_by_hand():
    # Column a separates the units, column b does not at all, column c a little.
    table = [[1, 1, 2], [0, 1, 1], [0, 1, 1]]
    # a: p = (1, 0, 0): e = 0, d = 1.  b: p = 1/3 each: e = 1, d = 0.
    # c: p = (1/2, 1/4, 1/4): e = 1.5 ln 2 / ln 3.
    e_c = (0.5 * math.log(2) + 2 * 0.25 * math.log(4)) / math.log(3)
    expected = [1 / (1 + 1 - e_c), 0.0, (1 - e_c) / (1 + 1 - e_c)]
    assert entropy_weights(table) == pytest.approx(expected)
    assert entropy_weights(table, ["a", "b", "c"])["b"] == 0.0


def test_entropy_weights_refuse_what_they_cannot_weigh():
    with pytest.raises(WeightError, match="same value"):
        entropy_weights([[1, 2], [1, 2]])
    with pytest.raises(WeightError, match="non-negative"):
        entropy_weights([[1, -2], [1, 2]])
    with pytest.raises(WeightError, match="two units"):
        entropy_weights([[1, 2]])


judgement = st.sampled_from([1 / 9, 1 / 7, 1 / 5, 1 / 3, 1, 3, 5, 7, 9])


@given(st.integers(2, 8).flatmap(
    lambda n: st.lists(judgement, min_size=n * (n - 1) // 2, max_size=n * (n - 1) // 2)))
def test_ahp_weights_are_positive_and_sum_to_one(upper):
    n = int((1 + math.isqrt(1 + 8 * len(upper))) // 2)
    a = np.ones((n, n))
    for k, (i, j) in enumerate((i, j) for i in range(n) for j in range(i + 1, n)):
        a[i, j], a[j, i] = upper[k], 1 / upper[k]
    result = ahp_weights(a, force=True)
    assert sum(result.weights) == pytest.approx(1)
    assert min(result.weights) > 0
    assert result.lambda_max >= n - 1e-9 and result.ri == RANDOM_INDEX[n]


@given(st.lists(st.lists(st.floats(0, 100), min_size=3, max_size=3), min_size=2, max_size=20))
def test_entropy_weights_sum_to_one(rows):
    try:
        weights = entropy_weights(rows)
    except WeightError:
        return  # every column constant: refused, never a division by zero
    assert sum(weights) == pytest.approx(1) and min(weights) >= 0


@given(st.dictionaries(st.text(min_size=1, max_size=3), st.floats(0.01, 1000), min_size=1))
def test_hand_weights_sum_to_one(weights):
    assert sum(hand_weights(weights).values()) == pytest.approx(1)
