"""Percentile ranks and percentile-rank composites: hand-computed cases and properties."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from resilience.assessment.methods.percentile import (
    HALF_EVEN, HALF_UP, LOWER, PercentileMethod, percentile_composite, percentile_rank,
    round_values,
)

values = st.lists(st.integers(-50, 50).map(lambda i: i / 2), min_size=1, max_size=40)


def test_ranks_are_rank_minus_one_over_n_minus_one_with_ties_at_the_lowest_rank():
    assert percentile_rank([30, 10, 20, 20, 40]).tolist() == [0.75, 0.0, 0.25, 0.25, 1.0]
    assert percentile_rank([30, 10, 20, 20, 40], LOWER).tolist() == [0.25, 1.0, 0.5, 0.5, 0.0]


def test_ranks_are_rounded_and_leave_out_missing_values():
    ranks = percentile_rank([5, np.nan, 1, 2])
    assert ranks[0] == 1.0 and np.isnan(ranks[1])
    assert ranks[2] == 0.0 and ranks[3] == 0.5
    assert percentile_rank(list(range(7)))[1] == 0.1667  # 1/6 to four decimals
    assert percentile_rank(list(range(7)), decimals=None)[1] == pytest.approx(1 / 6)


def test_a_single_unit_ranks_zero_and_no_units_rank_nothing():
    assert percentile_rank([3.0]).tolist() == [0.0]
    assert np.isnan(percentile_rank([np.nan])).all()


def test_rounding_half_up_on_the_printed_value_and_half_even():
    assert round_values([0.125, 2.675, -0.125, 0.12345], 2, HALF_UP).tolist() == \
        [0.13, 2.68, -0.13, 0.12]
    # round() semantics: the binary value of 2.675 is just below the tie.
    assert round_values([0.125, 2.675], 2, HALF_EVEN).tolist() == [0.12, 2.67]
    assert np.isnan(round_values([np.nan], 1)).all()
    with pytest.raises(ValueError, match="rounding"):
        round_values([1.0], 1, "up")


def test_a_composite_sums_ranks_per_theme_ranks_the_sums_and_counts_flags():
    method = PercentileMethod(themes={"t1": ["a", "b"], "t2": ["c"]}, directions={"b": LOWER},
                              flag_threshold=0.9)
    table = {"a": [1, 2, 3], "b": [3, 2, 1], "c": [5, 5, 9]}
    result = percentile_composite(table, method)
    assert result.ranks["a"].tolist() == [0.0, 0.5, 1.0]
    assert result.ranks["b"].tolist() == [0.0, 0.5, 1.0]  # reversed: lowest value ranks highest
    assert result.theme_sums["t1"].tolist() == [0.0, 1.0, 2.0]
    assert result.theme_ranks["t2"].tolist() == [0.0, 0.0, 1.0]  # a tie shares the lowest rank
    assert result.total_sum.tolist() == [0.0, 1.0, 3.0]
    assert result.total_rank.tolist() == [0.0, 0.5, 1.0]
    assert result.theme_flags["t1"].tolist() == [0, 0, 2]
    assert result.total_flags.tolist() == [0, 0, 3]
    row = result.row(2)
    assert row["rank:t1"] == 1.0 and row["flags"] == 3 and row["rank"] == 1.0


def test_missing_marker_and_excluded_units():
    method = PercentileMethod(themes={"t": ["a"], "u": ["b"]})
    result = percentile_composite({"a": [1, -999, 3, 4], "b": [1, 2, 3, 4]}, method,
                                  missing=-999, include=[True, True, True, False])
    assert np.isnan(result.ranks["a"][1]) and np.isnan(result.theme_sums["t"][1])
    assert np.isnan(result.total_rank[1]) and np.isnan(result.flags["a"][1])
    assert result.ranks["b"][:3].tolist() == [0.0, 0.5, 1.0]  # b is ranked for unit 1
    assert np.isnan(result.total_rank[3]) and np.isnan(result.ranks["b"][3])
    assert result.row(1)["rank:u"] == 0.5 and result.row(1)["rank"] is None


@pytest.mark.parametrize("themes, directions, message", [
    ({}, {}, "at least one theme"),
    ({"t": []}, {}, "no variables"),
    ({"t": ["a"], "u": ["a"]}, {}, "more than one theme"),
    ({"t": ["a"]}, {"b": LOWER}, "in no theme"),
    ({"t": ["a"]}, {"a": "down"}, "direction of 'a'"),
])
def test_a_bad_configuration_is_refused_with_the_reason(themes, directions, message):
    with pytest.raises(ValueError, match=message):
        PercentileMethod(themes=themes, directions=directions)


def test_a_missing_or_short_column_is_named():
    method = PercentileMethod(themes={"t": ["a", "b"]})
    with pytest.raises(ValueError, match="'b' is not in the table"):
        percentile_composite({"a": [1]}, method)
    with pytest.raises(ValueError, match="'b' has 1 values"):
        percentile_composite({"a": [1, 2], "b": [1]}, method)


@given(values, st.sampled_from(["higher", "lower"]))
def test_ranks_lie_in_0_1_and_follow_the_values(xs, direction):
    ranks = percentile_rank(xs, direction, decimals=None)
    assert ((ranks >= 0) & (ranks <= 1)).all()
    sign = 1 if direction == "higher" else -1
    for i, x in enumerate(xs):
        for j, y in enumerate(xs):
            if x == y:
                assert ranks[i] == ranks[j]
            elif sign * x < sign * y:
                assert ranks[i] < ranks[j]
    assert ranks.min() == 0.0  # the lowest value has no value below it
    top = max(xs) if direction == "higher" else min(xs)
    if len(xs) > 1 and xs.count(top) == 1:
        assert ranks.max() == 1.0


@given(values)
def test_rounded_ranks_are_monotone_too(xs):
    ranks = percentile_rank(xs)
    order = np.argsort(xs, kind="stable")
    assert (np.diff(ranks[order]) >= 0).all()


def test_themes_from_a_csv_and_the_generic_command(tmp_path, capsys):
    from resilience.cli import main

    (tmp_path / "themes.csv").write_text("variable,theme,direction\na,t1,\nb,t1,lower\nc,t2,\n")
    (tmp_path / "table.csv").write_text("unit,a,b,c\nu1,1,3,5\nu2,2,2,-999\nu3,3,1,9\n")
    method = PercentileMethod.from_csv(tmp_path / "themes.csv")
    assert method.themes == {"t1": ["a", "b"], "t2": ["c"]} and method.directions == {"b": LOWER}
    status = main(["index", "percentile", "--input", str(tmp_path / "table.csv"),
                   "--themes", str(tmp_path / "themes.csv"), "--out", str(tmp_path / "o.csv")])
    assert status == 0, capsys.readouterr().err
    import csv

    rows = list(csv.DictReader((tmp_path / "o.csv").open()))
    assert [r["unit"] for r in rows] == ["u1", "u2", "u3"]
    assert [r["rank:b"] for r in rows] == ["0.0", "0.5", "1.0"]
    assert rows[1]["rank:c"] == "-999" and rows[1]["rank"] == "-999"
    assert rows[2]["rank:c"] == "1.0" and rows[2]["flags"] == "3.0"


def test_the_generic_command_names_a_missing_variable(tmp_path, capsys):
    from resilience.cli import main

    (tmp_path / "themes.csv").write_text("variable,theme\na,t1\nz,t1\n")
    (tmp_path / "table.csv").write_text("unit,a\nu1,1\n")
    status = main(["index", "percentile", "--input", str(tmp_path / "table.csv"),
                   "--themes", str(tmp_path / "themes.csv"), "--out", str(tmp_path / "o.csv")])
    assert status == 2 and "'z' is not in the table" in capsys.readouterr().err
