"""Percentile-rank composites over any table of units × variables grouped into themes.

The method is the one CDC/ATSDR publishes for the Social Vulnerability Index, written generally:

* each variable is ranked across the units that have a value for it: ``(rank − 1) / (n − 1)``,
  ties taking the lowest rank, rounded (4 decimals by CDC) — the variable's *percentile rank*;
  a variable whose direction is ``"lower"`` ranks in reverse (per capita income in older SVIs);
* a theme's *sum* is the sum of its variables' percentile ranks (rounded the same way), and the
  theme's *rank* is the percentile rank of that sum;
* the overall sum is the sum of the theme sums; the overall rank its percentile rank;
* a *flag* marks a variable whose percentile rank is at least the threshold (0.90); flags are
  counted per theme and in total;
* a missing value (CDC's −999) is left out of that variable's ranking and makes the unit's theme,
  and so its overall sum, missing; units excluded from ranking (CDC: no population) get missing
  results everywhere.

Everything here is numpy; nothing touches the database.
"""
from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal

import numpy as np

HIGHER = "higher"  # a higher value ranks higher (more vulnerable, in an SVI)
LOWER = "lower"    # a higher value ranks lower (e.g. per capita income)
DIRECTIONS = (HIGHER, LOWER)

HALF_UP = "half_up"      # half away from zero on the decimal value, as printed (SAS, Excel)
HALF_EVEN = "half_even"  # Python's round(): correctly rounded binary value, ties to even
ROUNDING_MODES = (HALF_UP, HALF_EVEN)


def round_values(values, decimals: int | None, mode: str = HALF_UP) -> np.ndarray:
    """Round an array to ``decimals`` places; NaN stays NaN; ``decimals=None`` leaves it alone.

    ``HALF_UP`` rounds the shortest decimal form of each float (``repr``) half away from zero,
    so 0.125 → 0.13 and 2.675 → 2.68, as a published table would; ``HALF_EVEN`` is ``round()``.
    numpy's own ``np.round`` scales by 10**d first and may round a value that is not a tie the
    wrong way, so only values near a tie are settled with ``decimal``.
    """
    array = np.asarray(values, dtype=float)
    if decimals is None:
        return array.copy()
    if mode not in ROUNDING_MODES:
        raise ValueError(f"rounding mode must be one of {ROUNDING_MODES}, not {mode!r}")
    scaled = array * 10.0 ** decimals
    result = np.round(array, decimals)
    fraction = np.abs(scaled - np.trunc(scaled))
    near_tie = np.isfinite(array) & (np.abs(fraction - 0.5) < 1e-6)
    if near_tie.any():
        quantum = Decimal(1).scaleb(-decimals)
        rounding = ROUND_HALF_UP if mode == HALF_UP else ROUND_HALF_EVEN
        for index in np.flatnonzero(near_tie):
            value = float(array.flat[index])
            if mode == HALF_UP:
                exact = Decimal(repr(value))
            else:
                exact = Decimal(value)  # the binary value itself: round()'s answer
            result.flat[index] = float(exact.quantize(quantum, rounding=rounding))
    return result


def percentile_rank(values, direction: str = HIGHER, decimals: int | None = 4,
                    rounding: str = HALF_UP) -> np.ndarray:
    """Percentile rank ``(rank − 1) / (n − 1)`` of each value among the non-missing ones.

    Missing values are NaN in and NaN out and are not counted in ``n``. Ties share the lowest
    rank. A single ranked unit gets 0 (there is nothing to be above). ``direction="lower"``
    ranks the smallest value highest.
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be {HIGHER!r} or {LOWER!r}, not {direction!r}")
    array = np.asarray(values, dtype=float)
    if array.ndim != 1:
        raise ValueError("percentile_rank takes one column of values")
    result = np.full(array.shape, np.nan)
    present = ~np.isnan(array)
    ranked = array[present]
    if direction == LOWER:
        ranked = -ranked
    n = ranked.size
    if n == 0:
        return result
    ordered = np.sort(ranked)
    # side="left" gives the number of strictly smaller values: rank − 1 with ties at their lowest.
    below = np.searchsorted(ordered, ranked, side="left")
    result[present] = below / (n - 1) if n > 1 else 0.0
    return round_values(result, decimals, rounding)


@dataclass(frozen=True)
class PercentileMethod:
    """How to build a percentile-rank composite: the themes and the rules.

    ``themes`` maps each theme to its variables (in order); ``directions`` gives a variable's
    direction when it is not ``"higher"``; ``decimals`` rounds ranks and sums (``None``: never);
    ``flag_threshold`` marks variables at or above it (``None``: no flags).
    """

    themes: Mapping[str, Sequence[str]]
    directions: Mapping[str, str] = field(default_factory=dict)
    decimals: int | None = 4
    rounding: str = HALF_UP
    flag_threshold: float | None = 0.90

    def __post_init__(self) -> None:
        if not self.themes:
            raise ValueError("a percentile composite needs at least one theme")
        seen: set[str] = set()
        for theme, variables in self.themes.items():
            if not variables:
                raise ValueError(f"theme {theme!r} has no variables")
            for variable in variables:
                if variable in seen:
                    raise ValueError(f"variable {variable!r} is in more than one theme")
                seen.add(variable)
        for variable, direction in self.directions.items():
            if variable not in seen:
                raise ValueError(f"direction given for {variable!r}, which is in no theme")
            if direction not in DIRECTIONS:
                raise ValueError(f"direction of {variable!r} must be {HIGHER!r} or {LOWER!r}, "
                                 f"not {direction!r}")
        if self.rounding not in ROUNDING_MODES:
            raise ValueError(f"rounding must be one of {ROUNDING_MODES}, not {self.rounding!r}")

    @classmethod
    def from_csv(cls, path, **options) -> PercentileMethod:
        """Read themes from a CSV with columns ``variable``, ``theme`` and optionally
        ``direction`` (``higher``/``lower``, empty = higher); rows keep their order."""
        themes: dict[str, list[str]] = {}
        directions: dict[str, str] = {}
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            if not {"variable", "theme"} <= set(reader.fieldnames or []):
                raise ValueError(f"{path}: expected columns variable, theme[, direction]")
            for line, row in enumerate(reader, start=2):
                variable, theme = (row["variable"] or "").strip(), (row["theme"] or "").strip()
                if not variable or not theme:
                    raise ValueError(f"{path}, line {line}: variable and theme are required")
                themes.setdefault(theme, []).append(variable)
                direction = (row.get("direction") or "").strip()
                if direction and direction != HIGHER:
                    directions[variable] = direction
        return cls(themes=themes, directions=directions, **options)

    @property
    def variables(self) -> list[str]:
        return [v for variables in self.themes.values() for v in variables]

    def direction(self, variable: str) -> str:
        return self.directions.get(variable, HIGHER)


@dataclass
class PercentileResult:
    """Percentile ranks, theme sums and ranks, overall sum and rank, and flags, per unit.

    Arrays are aligned with the input units; NaN marks a missing result. Flag arrays are floats
    so that they can be missing too (NaN where the percentile rank is missing).
    """

    method: PercentileMethod
    ranks: dict[str, np.ndarray]
    theme_sums: dict[str, np.ndarray]
    theme_ranks: dict[str, np.ndarray]
    total_sum: np.ndarray
    total_rank: np.ndarray
    flags: dict[str, np.ndarray]
    theme_flags: dict[str, np.ndarray]
    total_flags: np.ndarray

    def __len__(self) -> int:
        return int(self.total_rank.size)

    def row(self, index: int) -> dict[str, float | None]:
        """One unit's results as a flat dict (``None`` for missing), keyed by plain names."""
        def value(array: np.ndarray) -> float | None:
            x = float(array[index])
            return None if math.isnan(x) else x

        out: dict[str, float | None] = {}
        for theme, variables in self.method.themes.items():
            for variable in variables:
                out[f"rank:{variable}"] = value(self.ranks[variable])
                if self.flags:
                    out[f"flag:{variable}"] = value(self.flags[variable])
            out[f"sum:{theme}"] = value(self.theme_sums[theme])
            out[f"rank:{theme}"] = value(self.theme_ranks[theme])
            if self.theme_flags:
                out[f"flags:{theme}"] = value(self.theme_flags[theme])
        out["sum"] = value(self.total_sum)
        out["rank"] = value(self.total_rank)
        if self.flags:
            out["flags"] = value(self.total_flags)
        return out


def percentile_composite(table: Mapping[str, Sequence[float]], method: PercentileMethod, *,
                         missing: float | None = None, include=None) -> PercentileResult:
    """Compute a percentile-rank composite of ``table`` (variable → one value per unit).

    ``missing`` is the marker of a missing input (CDC: −999) besides NaN; ``include`` is an
    optional boolean mask of the units that take part in the ranking (CDC leaves out units
    without population); the others get missing results. Raises ``ValueError`` naming a
    variable that is absent or whose column has the wrong length.
    """
    columns = {}
    size = None
    for variable in method.variables:
        if variable not in table:
            raise ValueError(f"variable {variable!r} is not in the table")
        column = np.array(table[variable], dtype=float)
        if column.ndim != 1:
            raise ValueError(f"variable {variable!r} must be one value per unit")
        if size is None:
            size = column.size
        elif column.size != size:
            raise ValueError(f"variable {variable!r} has {column.size} values, expected {size}")
        if missing is not None:
            column[column == missing] = np.nan
        columns[variable] = column
    assert size is not None
    mask = np.ones(size, dtype=bool) if include is None else np.asarray(include, dtype=bool)
    if mask.shape != (size,):
        raise ValueError(f"include must have one entry per unit ({size})")

    d, mode = method.decimals, method.rounding

    def rank(column: np.ndarray, direction: str = HIGHER) -> np.ndarray:
        out = np.full(size, np.nan)
        out[mask] = percentile_rank(column[mask], direction, d, mode)
        return out

    def flag(ranks: np.ndarray) -> np.ndarray:
        return np.where(np.isnan(ranks), np.nan, (ranks >= method.flag_threshold).astype(float))

    ranks, flags, theme_sums, theme_ranks, theme_flags = {}, {}, {}, {}, {}
    for theme, variables in method.themes.items():
        for variable in variables:
            ranks[variable] = rank(columns[variable], method.direction(variable))
            if method.flag_threshold is not None:
                flags[variable] = flag(ranks[variable])
        # A NaN anywhere in the theme makes the sum NaN: the theme is missing for that unit.
        theme_sums[theme] = round_values(np.sum([ranks[v] for v in variables], axis=0), d, mode)
        theme_ranks[theme] = rank(theme_sums[theme])
        if flags:
            theme_flags[theme] = np.sum([flags[v] for v in variables], axis=0)
    total_sum = round_values(np.sum(list(theme_sums.values()), axis=0), d, mode)
    total_rank = rank(total_sum)
    total_flags = (np.sum(list(theme_flags.values()), axis=0) if theme_flags
                   else np.full(size, np.nan))
    return PercentileResult(method, ranks, theme_sums, theme_ranks, total_sum, total_rank,
                            flags, theme_flags, total_flags)
