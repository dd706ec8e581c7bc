"""The CDC SVI 2020 for Pennsylvania counties, computed from raw ACS inputs, against CDC's table."""
import csv
import os
from pathlib import Path

import numpy as np
import pytest

from resilience.assessment.methods import svi
from resilience.assessment.methods.formula import Formula, FormulaError


def _shared_data() -> Path:
    """$RESILIENCE_SHARED_DATA, else the first ``shared/data`` above the repository."""
    if os.environ.get("RESILIENCE_SHARED_DATA"):
        return Path(os.environ["RESILIENCE_SHARED_DATA"])
    repo = Path(__file__).resolve().parents[4]
    for folder in repo.parents:
        if (folder / "shared" / "data").is_dir():
            return folder / "shared" / "data"
    return repo.parent / "shared" / "data"


SVI = _shared_data() / "svi"
ACS = SVI / "pa_county_2020_acs_input.csv"
FORMULAS = SVI / "svi_2020_variable_formulas.csv"
PUBLISHED = SVI / "pa_county_2020_cdc_svi.csv"
needs_data = pytest.mark.skipif(not PUBLISHED.exists(), reason=f"reference data not at {SVI}")


@pytest.fixture(scope="module")
def pa_table():
    return svi.compute_svi(svi.read_acs(ACS), svi.read_formulas(FORMULAS))


@needs_data
def test_every_published_column_is_reproduced_exactly_for_every_county(pa_table):
    columns, differences = svi.compare(pa_table, PUBLISHED)
    with open(PUBLISHED, newline="") as handle:
        header = next(csv.reader(handle))
    expected = [c for c in header if c.startswith(("EPL_", "SPL_", "RPL_", "F_"))]
    assert set(expected) <= set(columns)  # every rank, sum and flag column is checked …
    assert {f"RPL_THEME{k}" for k in (1, 2, 3, 4)} | {"RPL_THEMES", "F_TOTAL"} <= set(columns)
    assert len([c for c in columns if c.startswith("EPL_")]) == 16
    assert len([c for c in columns if c.startswith(("E_", "EP_"))]) == 27 + 24  # … and the inputs
    assert len(pa_table.rows) == 67
    assert differences == []


@needs_data
def test_the_ranking_uses_percentages_rounded_to_one_decimal(pa_table):
    # Ranking unrounded percentages breaks ties CDC has and moves many ranks: the rounding is
    # part of the method, not presentation.
    unrounded = svi.compute_svi(svi.read_acs(ACS), svi.read_formulas(FORMULAS),
                                percent_decimals=6)
    _columns, differences = svi.compare(unrounded, PUBLISHED)
    assert any(d.column == "RPL_THEMES" for d in differences)


@needs_data
def test_command_writes_the_table_and_reports_no_difference(tmp_path, capsys):
    from resilience.cli import main

    out = tmp_path / "svi.csv"
    status = main(["index", "svi", "--input", str(ACS), "--formulas", str(FORMULAS),
                   "--out", str(out), "--compare", str(PUBLISHED)])
    printed = capsys.readouterr().out
    assert status == 0, printed
    assert "6566 cells" in printed and "0 differ" in printed
    with open(out, newline="") as handle:
        rows = list(csv.DictReader(handle))
    adams = next(r for r in rows if r["GEOID"] == "42001")
    assert adams["RPL_THEMES"] == "0.2273" and adams["EPL_POV150"] == "0.0758"


def test_command_refuses_a_formula_that_is_not_arithmetic(tmp_path, capsys):
    from resilience.cli import main

    formulas = tmp_path / "f.csv"
    formulas.write_text("x2020_variable_name,theme,x2020_table_field_calculation\n"
                        "E_TOTPOP,0,__import__('os').system('true')\n")
    acs = tmp_path / "acs.csv"
    acs.write_text("GEOID,NAME,A\n1,one,5\n")
    status = main(["index", "svi", "--input", str(acs), "--formulas", str(formulas),
                   "--out", str(tmp_path / "o.csv")])
    assert status == 2
    assert "E_TOTPOP" in capsys.readouterr().err
    assert not (tmp_path / "o.csv").exists()


@pytest.mark.parametrize("text", ["a.b", "f(a)", "a ** 2", "a[0]", "a if b else c", "'x'",
                                  "lambda: 1", "a // b", "a; b"])
def test_formula_accepts_only_arithmetic(text):
    with pytest.raises(FormulaError):
        Formula(text)


def test_formula_arithmetic_missing_values_and_division_by_zero():
    columns = {"A": np.array([1.0, 0.0, 2.0, np.nan]), "B": np.array([4.0, 0.0, 0.0, 1.0])}
    result = Formula("(A + B) / B * 100 - -1").evaluate(columns)
    assert result[0] == pytest.approx(126.0)
    assert result[1] == 1.0  # 0 / 0 is 0 (CDC), then − −1
    assert np.isnan(result[2])  # 2 / 0 has no value
    assert np.isnan(result[3])  # a missing operand makes the result missing
    with pytest.raises(FormulaError, match="C"):
        Formula("A + C").evaluate(columns)


def _write(path, header, rows):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


FORMULA_ROWS = [
    ("E_TOTPOP", 0, "POP"), ("E_POOR", 1, "POOR"), ("E_PCI", 1, "INCOME"),
    ("E_OLD", 2, "OLD"), ("EP_POOR", 1, "(E_POOR / E_TOTPOP) * 100"),
    ("EP_OLD", 2, "(E_OLD / E_TOTPOP) * 100"),
]


def test_missing_inputs_reversed_variables_and_empty_units(tmp_path):
    formulas = _write(tmp_path / "f.csv", ["x2014_variable_name", "theme",
                                            "x2014_table_field_calculation"], FORMULA_ROWS)
    acs = _write(tmp_path / "acs.csv", ["GEOID", "NAME", "POP", "POOR", "INCOME", "OLD"], [
        (1, "a", 100, 10, 30000, 5),
        (2, "b", 100, 20, 20000, 10),
        (3, "c", 100, 30, 10000, -999),      # OLD missing: theme 2 and the total are missing
        (4, "d", 0, 0, 0, 0),                 # no population: not ranked at all
        (5, "e", 100, 40, -666666666, 20),   # Census "no estimate" for income
    ])
    variables = svi.read_formulas(formulas)
    table = svi.compute_svi(svi.read_acs(acs), variables, reverse={"E_PCI"})
    assert [v.name for v in svi.ranked_variables(variables)["THEME1"]] == ["E_PCI", "EP_POOR"]
    rows = {r["GEOID"]: r for r in table.rows}
    # E_PCI ranks in reverse among the three units with an income: 30000 lowest, 10000 highest.
    assert [rows[g]["EPL_PCI"] for g in "1235"] == [0.0, 0.5, 1.0, -999]
    assert [rows[g]["EPL_POOR"] for g in "1235"] == [0.0, 0.3333, 0.6667, 1.0]
    assert rows["5"]["SPL_THEME1"] == -999 and rows["5"]["RPL_THEMES"] == -999
    assert rows["3"]["EP_OLD"] == -999 and rows["3"]["EPL_OLD"] == -999
    assert rows["3"]["RPL_THEME2"] == -999 and rows["3"]["RPL_THEME1"] == 1.0
    assert rows["3"]["F_TOTAL"] == -999
    assert [rows[g]["EPL_OLD"] for g in "125"] == [0.0, 0.5, 1.0]
    assert all(rows["4"][c] == -999 for c in table.columns if c.startswith(("EPL", "RPL", "F_")))
    assert rows["4"]["EP_POOR"] == 0.0  # 0 / 0 → 0, kept in the table though not ranked
    assert rows["1"]["RPL_THEMES"] == 0.0 and rows["2"]["RPL_THEMES"] == 1.0


def test_reversing_a_variable_that_is_not_ranked_is_refused(tmp_path):
    formulas = _write(tmp_path / "f.csv", ["x_variable_name", "theme", "x_calculation"],
                      FORMULA_ROWS)
    acs = _write(tmp_path / "acs.csv", ["GEOID", "POP", "POOR", "INCOME", "OLD"],
                 [(1, 100, 10, 5, 5)])
    with pytest.raises(svi.SviInputError, match="E_TOTPOP"):
        svi.compute_svi(svi.read_acs(acs), svi.read_formulas(formulas), reverse={"E_TOTPOP"})


def test_a_bad_number_names_its_line_and_column(tmp_path):
    acs = _write(tmp_path / "acs.csv", ["GEOID", "POP"], [(1, 100), (2, "many")])
    with pytest.raises(svi.SviInputError, match="line 3, column POP"):
        svi.read_acs(acs)


def test_margin_of_error_rows_are_skipped_and_other_names_refused(tmp_path):
    header = ["x_variable_name", "theme", "x_calculation"]
    formulas = _write(tmp_path / "f.csv", header, FORMULA_ROWS + [("M_POOR", 1, "sqrt(POOR)")])
    assert "M_POOR" not in [v.name for v in svi.read_formulas(formulas)]
    bad = _write(tmp_path / "g.csv", header, [("X_POOR", 1, "POOR")])
    with pytest.raises(svi.SviInputError, match="line 2: 'X_POOR'"):
        svi.read_formulas(bad)


@needs_data
def test_a_changed_published_cell_is_found_and_fails_the_command(tmp_path, pa_table, capsys):
    from resilience.cli import main

    with open(PUBLISHED, newline="") as handle:
        rows = list(csv.DictReader(handle))
    rows[5]["RPL_THEMES"] = str(float(rows[5]["RPL_THEMES"]) + 0.0001)
    altered = _write(tmp_path / "altered.csv", list(rows[0]), [list(r.values()) for r in rows])
    _columns, differences = svi.compare(pa_table, altered)
    assert [(d.unit, d.column) for d in differences] == [(str(int(float(rows[5]["GEOID"]))),
                                                          "RPL_THEMES")]
    status = main(["index", "svi", "--input", str(ACS), "--formulas", str(FORMULAS),
                   "--out", str(tmp_path / "o.csv"), "--compare", str(altered)])
    assert status == 1 and "1 differ" in capsys.readouterr().out
