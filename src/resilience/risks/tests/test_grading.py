"""Risk grading, over every possible input: matrix pairs, LEC triples, and what is refused."""
import itertools
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from resilience.risks.grading import LEC_TABLES, grade
from resilience.risks.vocab import GRADE_ORDER, Grade

SEVERITY = {g: len(GRADE_ORDER) - i for i, g in enumerate(GRADE_ORDER)}  # low 1 … major 4
LEVELS = range(1, 6)
L, E, C = (LEC_TABLES[k] for k in ("l", "e", "c"))
ALL_PAIRS = list(itertools.product(LEVELS, LEVELS))
ALL_TRIPLES = list(itertools.product(L, E, C))


def matrix(likelihood, consequence):
    return grade("matrix", {"likelihood": likelihood, "consequence": consequence})


def lec(l, e, c):  # noqa: E741 — the method's own letters
    return grade("lec", {"l": l, "e": e, "c": c})


def errors_of(call) -> dict:
    with pytest.raises(ValidationError) as info:
        call()
    return info.value.message_dict


# --- matrix ---------------------------------------------------------------------------------

@pytest.mark.parametrize("likelihood, consequence", ALL_PAIRS)
def test_matrix_score_is_the_product_and_the_band_is_the_documented_one(likelihood, consequence):
    score, graded = matrix(likelihood, consequence)
    assert score == likelihood * consequence and isinstance(score, float)
    expected = (Grade.MAJOR if score >= 20 else Grade.HIGH if score >= 15
                else Grade.MEDIUM if score >= 9 else Grade.LOW)
    assert graded == expected


@pytest.mark.parametrize("pair, expected", [
    ((4, 5), Grade.MAJOR), ((5, 5), Grade.MAJOR), ((3, 5), Grade.HIGH), ((4, 4), Grade.HIGH),
    ((3, 4), Grade.MEDIUM), ((3, 3), Grade.MEDIUM), ((2, 4), Grade.LOW), ((1, 1), Grade.LOW),
])
def test_matrix_bands_at_their_boundaries(pair, expected):
    assert matrix(*pair)[1] == expected


@given(st.sampled_from(ALL_PAIRS), st.sampled_from(ALL_PAIRS))
def test_matrix_grade_is_monotone_in_each_input(a, b):
    if a[0] <= b[0] and a[1] <= b[1]:
        assert SEVERITY[matrix(*a)[1]] <= SEVERITY[matrix(*b)[1]]


@given(st.one_of(
    st.integers().filter(lambda n: n not in LEVELS), st.floats(), st.booleans(), st.text(),
    st.none(), st.lists(st.integers()), st.sampled_from([1.0, 3.0, "3", True, False]),
), st.sampled_from(["likelihood", "consequence"]))
def test_matrix_refuses_anything_but_whole_numbers_1_to_5(bad, key):
    inputs = {"likelihood": 3, "consequence": 3, key: bad}
    errors = errors_of(lambda: grade("matrix", inputs))
    assert list(errors) == [key]


# --- LEC ------------------------------------------------------------------------------------

def lec_band(d: Decimal) -> Grade:
    return (Grade.MAJOR if d > 320 else Grade.HIGH if d > 160
            else Grade.MEDIUM if d > 70 else Grade.LOW)


def test_every_lec_triple_gets_the_exact_product_and_its_band():
    for l, e, c in ALL_TRIPLES:  # noqa: E741
        d = Decimal(str(l)) * Decimal(str(e)) * Decimal(str(c))
        score, graded = lec(l, e, c)
        assert score == float(d), (l, e, c)
        assert graded == lec_band(d), (l, e, c)


@given(st.sampled_from(ALL_TRIPLES), st.sampled_from(ALL_TRIPLES))
def test_lec_grade_is_monotone_in_each_input(a, b):
    if all(x <= y for x, y in zip(a, b)):
        assert SEVERITY[lec(*a)[1]] <= SEVERITY[lec(*b)[1]]


@pytest.mark.parametrize("triple, d, expected", [
    ((1, 10, 7), 70, Grade.LOW),          # exactly on the boundary: low
    ((10, 1, 7), 70, Grade.LOW),
    ((3, 6, 7), 126, Grade.MEDIUM),
    ((0.5, 10, 15), 75, Grade.MEDIUM),
    ((1, 10, 15), 150, Grade.MEDIUM),
    ((3, 6, 15), 270, Grade.HIGH),
    ((6, 3, 15), 270, Grade.HIGH),
    ((0.5, 10, 40), 200, Grade.HIGH),
    ((10, 6, 7), 420, Grade.MAJOR),
    ((0.1, 0.5, 1), 0.05, Grade.LOW),
    ((0.1, 6, 100), 60, Grade.LOW),      # 60.00000000000001 in floating point
])
def test_lec_known_values(triple, d, expected):
    assert lec(*triple) == (d, expected)


def test_lec_bands_lie_exactly_at_70_160_320():
    from resilience.risks.grading import lec_grade

    for boundary, at, above in ((70, Grade.LOW, Grade.MEDIUM), (160, Grade.MEDIUM, Grade.HIGH),
                                (320, Grade.HIGH, Grade.MAJOR)):
        assert lec_grade(Decimal(boundary)) == at
        assert lec_grade(boundary) == at
        assert lec_grade(Decimal(boundary) + Decimal("0.000001")) == above


@given(st.sampled_from(["l", "e", "c"]), st.one_of(
    st.floats(), st.integers(), st.text(), st.booleans(), st.none()))
def test_lec_refuses_values_outside_its_tables(key, bad):
    allowed = {Decimal(str(v)) for v in LEC_TABLES[key]}
    if isinstance(bad, (int, float)) and not isinstance(bad, bool):
        try:
            if Decimal(str(bad)) in allowed:
                return
        except ArithmeticError:
            pass
    inputs = {"l": 1, "e": 1, "c": 1, key: bad}
    errors = errors_of(lambda: grade("lec", inputs))
    assert list(errors) == [key]
    assert ", ".join(f"{v:g}" for v in LEC_TABLES[key]) in errors[key][0]


def test_lec_accepts_the_same_value_written_as_float_or_int():
    assert lec(1.0, 6.0, 15.0) == lec(1, 6, 15) == (90.0, Grade.MEDIUM)


# --- method and keys ------------------------------------------------------------------------

@given(st.text().filter(lambda m: m not in ("matrix", "lec")))
def test_an_unknown_method_is_refused_on_method(method):
    assert list(errors_of(lambda: grade(method, {"likelihood": 1, "consequence": 1}))) == ["method"]


def test_missing_and_unknown_inputs_are_named():
    errors = errors_of(lambda: grade("matrix", {"likelihood": 3, "severity": 2}))
    assert set(errors) == {"consequence", "severity"}
    errors = errors_of(lambda: grade("lec", {"l": 1, "e": 1, "c": 1, "likelihood": 3}))
    assert set(errors) == {"likelihood"}
    errors = errors_of(lambda: grade("lec", {"likelihood": 3, "consequence": 3}))
    assert set(errors) == {"l", "e", "c", "likelihood", "consequence"}


@pytest.mark.parametrize("inputs", [None, [], "3x3", 9, [("likelihood", 3)]])
def test_inputs_that_are_not_an_object_are_refused_on_inputs(inputs):
    assert list(errors_of(lambda: grade("matrix", inputs))) == ["inputs"]
