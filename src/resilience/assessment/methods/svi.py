"""The CDC/ATSDR Social Vulnerability Index computed from raw American Community Survey inputs.

Inputs are CDC's two files for an edition: the ACS input table (one row per unit, ACS fields as
columns) and the variable-formulas table (``x2020_variable_name, theme,
x2020_table_field_calculation``). Every ``E_`` and ``EP_`` variable is evaluated from its formula
in file order (``EP_`` formulas may use ``E_`` results); ``EP_`` values are percentages rounded to
one decimal. The variables of themes 1–4 are then ranked with :mod:`.percentile` — an ``EP_``
variable, or an ``E_`` variable that has no ``EP_`` twin (per capita income in older editions,
which ranks in reverse: pass ``reverse={"E_PCI"}``). Units with no population are left out of
the ranking and get −999, as CDC does.
"""
from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from resilience.assessment.methods.formula import Formula, FormulaError
from resilience.assessment.methods.percentile import (
    HALF_UP, LOWER, PercentileMethod, PercentileResult, percentile_composite, round_values,
)

MISSING = -999.0
# Census API annotation values that stand for "no estimate" (e.g. −666666666: too few cases).
_CENSUS_JAM = -555555555.0
ID_COLUMNS = ("GEOID", "NAME")


class SviInputError(ValueError):
    """An input file that cannot be used, with the file, row or column at fault."""


@dataclass(frozen=True)
class Variable:
    """One row of the formulas file: ``E_HBURD``, its theme (0 base, 1–4 ranked, 5 extra)."""

    name: str
    theme: int
    formula: Formula

    @property
    def stem(self) -> str:
        """``POV150`` for ``EP_POV150`` and ``E_POV150``."""
        return self.name.split("_", 1)[1]


def read_formulas(path: str | Path) -> list[Variable]:
    """Read CDC's variable-formulas CSV (any edition: the year prefix of the columns varies).

    Margin-of-error rows (``M_``, ``MP_``) are skipped; any other name must be ``E_`` or ``EP_``.
    """
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        name_col = next((c for c in header if c.endswith("variable_name")), None)
        formula_col = next((c for c in header if c.endswith("calculation")), None)
        if not name_col or not formula_col or "theme" not in header:
            raise SviInputError(f"{path}: expected columns *variable_name, theme and "
                                f"*calculation, found {', '.join(header)}")
        variables = []
        for line, row in enumerate(reader, start=2):
            name = (row[name_col] or "").strip()
            if re.fullmatch(r"MP?_[A-Z0-9_]+", name):
                continue  # margins of error need sqrt: outside these formulas, not ranked
            if not re.fullmatch(r"EP?_[A-Z0-9_]+", name):
                raise SviInputError(f"{path}, line {line}: {name!r} is not an E_ or EP_ name")
            try:
                theme = int(float(row["theme"]))
                formula = Formula(row[formula_col] or "")
            except ValueError as exc:
                raise SviInputError(f"{path}, line {line} ({name}): {exc}") from None
            variables.append(Variable(name, theme, formula))
    if not variables:
        raise SviInputError(f"{path}: no variables")
    return variables


@dataclass
class AcsTable:
    """The ACS input: identifying columns as text, every other column as floats (NaN missing)."""

    ids: dict[str, list[str]]
    columns: dict[str, np.ndarray]

    def __len__(self) -> int:
        first = next(iter(self.ids.values())) if self.ids else next(iter(self.columns.values()))
        return len(first)


def _number(text: str) -> float:
    text = text.strip()
    if not text:
        return math.nan
    value = float(text)
    return math.nan if value == MISSING or value <= _CENSUS_JAM else value


def read_acs(path: str | Path, id_columns: Sequence[str] = ID_COLUMNS) -> AcsTable:
    """Read an ACS input CSV; empty cells, −999 and Census annotation values are missing."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        header = reader.fieldnames or []
        rows = list(reader)
    if not rows:
        raise SviInputError(f"{path}: no rows")
    ids = {c: [row[c] for row in rows] for c in id_columns if c in header}
    columns = {}
    for column in header:
        if column in ids:
            continue
        try:
            columns[column] = np.array([_number(row[column] or "") for row in rows])
        except ValueError:
            bad = next(i for i, row in enumerate(rows, start=2) if not _is_number(row[column]))
            raise SviInputError(f"{path}, line {bad}, column {column}: "
                                f"{rows[bad - 2][column]!r} is not a number") from None
    return AcsTable(ids, columns)


def _is_number(text: str | None) -> bool:
    try:
        _number(text or "")
    except ValueError:
        return False
    return True


def ranked_variables(variables: Iterable[Variable]) -> dict[str, list[Variable]]:
    """Themes 1–4 and the variables CDC ranks in each: ``EP_`` ones, and ``E_`` ones without an
    ``EP_`` twin (e.g. ``E_PCI``)."""
    variables = list(variables)
    percent_stems = {v.stem for v in variables if v.name.startswith("EP_")}
    themes: dict[str, list[Variable]] = {}
    for v in variables:
        if not 1 <= v.theme <= 4:
            continue
        if v.name.startswith("EP_") or v.stem not in percent_stems:
            themes.setdefault(f"THEME{v.theme}", []).append(v)
    return dict(sorted(themes.items()))


@dataclass
class SviTable:
    """The computed index: column names in CDC's order and one dict per unit (−999 = missing)."""

    columns: list[str]
    rows: list[dict]
    result: PercentileResult

    def write_csv(self, path: str | Path) -> None:
        """Write the table; numbers in their shortest exact form, missing as −999."""
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=self.columns)
            writer.writeheader()
            for row in self.rows:
                writer.writerow({k: _format(v) for k, v in row.items()})


def _format(value) -> str:
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


def compute_svi(acs: AcsTable, variables: Sequence[Variable], *, reverse: Iterable[str] = (),
                population: str | None = "E_TOTPOP", percent_decimals: int = 1,
                decimals: int = 4, rounding: str = HALF_UP,
                flag_threshold: float = 0.90) -> SviTable:
    """Compute E_, EP_, EPL_, SPL_, RPL_ and F_ columns for every unit of ``acs``.

    ``reverse`` names ranked variables whose higher values mean *less* vulnerability.
    ``population`` is the variable whose zero leaves a unit out of the ranking.
    """
    values: dict[str, np.ndarray] = dict(acs.columns)
    size = len(acs)
    computed: dict[str, np.ndarray] = {}
    for v in variables:
        try:
            column = np.broadcast_to(v.formula.evaluate(values), (size,)).astype(float)
        except FormulaError as exc:
            raise SviInputError(f"{v.name}: {exc}") from None
        if v.name.startswith("EP_"):
            column = round_values(column, percent_decimals, rounding)
        values[v.name] = computed[v.name] = column

    themes = ranked_variables(variables)
    if not themes:
        raise SviInputError("no EP_ or E_ variable in themes 1-4 to rank")
    reverse = set(reverse)
    ranked_names = {v.name for vs in themes.values() for v in vs}
    unknown = reverse - ranked_names
    if unknown:
        raise SviInputError(f"cannot reverse {', '.join(sorted(unknown))}: not a ranked variable")
    method = PercentileMethod(
        themes={theme: [v.name for v in vs] for theme, vs in themes.items()},
        directions={name: LOWER for name in reverse}, decimals=decimals, rounding=rounding,
        flag_threshold=flag_threshold)
    include = None
    if population and population in computed:
        include = ~np.isnan(computed[population]) & (computed[population] > 0)
    result = percentile_composite(computed, method, include=include)

    out: dict[str, np.ndarray] = {}
    out.update((name, column) for name, column in computed.items() if name.startswith("E_"))
    out.update((name, column) for name, column in computed.items() if name.startswith("EP_"))
    for theme, vs in themes.items():
        for v in vs:
            out[f"EPL_{v.stem}"] = result.ranks[v.name]
        out[f"SPL_{theme}"] = result.theme_sums[theme]
        out[f"RPL_{theme}"] = result.theme_ranks[theme]
    out["SPL_THEMES"] = result.total_sum
    out["RPL_THEMES"] = result.total_rank
    for theme, vs in themes.items():
        for v in vs:
            out[f"F_{v.stem}"] = result.flags[v.name]
        out[f"F_{theme}"] = result.theme_flags[theme]
    out["F_TOTAL"] = result.total_flags

    columns = list(acs.ids) + list(out)
    rows = []
    for i in range(size):
        row: dict = {name: acs.ids[name][i] for name in acs.ids}
        for name, column in out.items():
            x = float(column[i])
            row[name] = MISSING if math.isnan(x) else x
        rows.append(row)
    return SviTable(columns, rows, result)


@dataclass(frozen=True)
class Difference:
    """One cell where the computed table and a published one disagree."""

    unit: str
    column: str
    computed: float | None
    published: float | None


def compare(table: SviTable, published_path: str | Path, key: str = "GEOID",
            columns: Iterable[str] | None = None) -> tuple[list[str], list[Difference]]:
    """Compare every shared numeric column (or ``columns``) unit by unit, exactly.

    Returns the columns compared and the differences; units are matched on ``key`` read as a
    number (CDC writes ``42001.0`` where the ACS file has ``42001``).
    """
    with open(published_path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        published = {_key(row[key]): row for row in reader}
        header = reader.fieldnames or []
    if columns is None:
        columns = [c for c in table.columns if c in header and c not in table_ids(table)]
    columns = list(columns)
    differences = []
    for row in table.rows:
        unit = _key(row[key])
        theirs = published.get(unit)
        for column in columns:
            ours = row.get(column)
            value = _published(theirs.get(column)) if theirs is not None else None
            if ours is None or value is None or ours != value:
                differences.append(Difference(unit, column, ours, value))
    return columns, differences


def _published(text: str | None) -> float | None:
    """A published cell as a number (−999 for CDC's and Census's missing markers), or None."""
    try:
        value = float(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return MISSING if value == MISSING or value <= _CENSUS_JAM or math.isnan(value) else value


def table_ids(table: SviTable) -> list[str]:
    """The identifying (non-index) columns of a computed table."""
    return [c for c in table.columns if not re.match(r"(E|EP|EPL|SPL|RPL|F)_", c)]


def _key(text) -> str:
    try:
        return str(int(float(text)))
    except (TypeError, ValueError):
        return str(text)
