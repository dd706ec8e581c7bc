"""Weighted composite scores over normalised indicators, grouped by dimension.

Each indicator is normalised to [0, 1] (1 = good) — against its target when it has one, else by
min-max scaling across the units — and weighted. An indicator's weight counts within its
dimension; dimensions weigh in proportion to their indicators' weights unless dimension weights
are given. A unit's score is the weighted mean of its normalised indicators, so every
indicator's *contribution* (weight × normalised value) and *shortfall* (weight × what it lacks)
are known: they add up to the score and to 1 − score, and the largest shortfalls name the
weakest points. A missing value (NaN) is left out and the unit's remaining weights are scaled
up; ``coverage`` says how much of the weight had values.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from resilience.assessment.methods.normalise import DIRECTIONS, HIGHER, min_max, target_score

AUTO, TARGET, MIN_MAX = "auto", "target", "min_max"


@dataclass(frozen=True)
class Indicator:
    """How one indicator enters a composite: dimension, weight, direction, target and cap."""

    key: str
    dimension: str
    weight: float = 1.0
    direction: str = HIGHER
    target: float | None = None
    cap: float = 1.0

    def __post_init__(self) -> None:
        if self.direction not in DIRECTIONS:
            raise ValueError(f"{self.key}: direction must be one of {DIRECTIONS}")
        if not (np.isfinite(self.weight) and self.weight >= 0):
            raise ValueError(f"{self.key}: the weight must be a non-negative number")


@dataclass
class CompositeResult:
    """Scores per unit, per dimension, and each indicator's normalised value and contribution."""

    indicators: list[Indicator]
    dimensions: list[str]
    weights: np.ndarray          # effective weight of each indicator; they sum to 1
    normalised: np.ndarray       # units × indicators, NaN where missing
    contributions: np.ndarray    # units × indicators; a row sums to the unit's score
    shortfalls: np.ndarray       # units × indicators; a row sums to 1 − score
    scores: np.ndarray           # units
    dimension_scores: np.ndarray  # units × dimensions, NaN when a dimension has no value
    coverage: np.ndarray         # units: share of the weight that had values

    def weakest(self, unit: int, count: int = 3) -> list[dict]:
        """The indicators that cost unit ``unit`` the most, largest shortfall first."""
        row = self.shortfalls[unit]
        order = [j for j in np.argsort(-row, kind="stable") if row[j] > 0]
        return [{"key": self.indicators[j].key, "dimension": self.indicators[j].dimension,
                 "normalised": float(self.normalised[unit, j]), "shortfall": float(row[j])}
                for j in order[:count]]

    def unit(self, index: int) -> dict:
        """One unit's score, dimension scores and contributions as plain numbers."""
        def plain(x: float) -> float | None:
            return None if np.isnan(x) else float(x)

        return {
            "score": plain(self.scores[index]),
            "coverage": float(self.coverage[index]),
            "dimensions": {d: plain(self.dimension_scores[index, k])
                           for k, d in enumerate(self.dimensions)},
            "contributions": {i.key: plain(self.contributions[index, j])
                              for j, i in enumerate(self.indicators)},
        }


def _as_matrix(values, indicators: Sequence[Indicator]) -> np.ndarray:
    if isinstance(values, Mapping):
        missing = [i.key for i in indicators if i.key not in values]
        if missing:
            raise ValueError(f"no values for indicator(s): {', '.join(missing)}")
        columns = [np.asarray(values[i.key], dtype=float) for i in indicators]
        if len({c.shape for c in columns}) > 1:
            raise ValueError("every indicator needs one value per unit")
        return np.column_stack(columns) if columns else np.empty((0, 0))
    matrix = np.array(values, dtype=float)
    if matrix.ndim != 2 or matrix.shape[1] != len(indicators):
        raise ValueError(f"expected a units × {len(indicators)} table, got shape {matrix.shape}")
    return matrix


def normalise_indicators(matrix: np.ndarray, indicators: Sequence[Indicator],
                         method: str = AUTO) -> np.ndarray:
    """Normalise each column: by target (``TARGET``, or ``AUTO`` when the indicator has one) or
    min-max across units (``MIN_MAX``, or ``AUTO`` without a target)."""
    if method not in (AUTO, TARGET, MIN_MAX):
        raise ValueError(f"normalisation must be {AUTO!r}, {TARGET!r} or {MIN_MAX!r}")
    out = np.empty_like(matrix, dtype=float)
    for j, indicator in enumerate(indicators):
        use_target = method == TARGET or (method == AUTO and indicator.target is not None)
        if use_target:
            if indicator.target is None:
                raise ValueError(f"{indicator.key}: target normalisation needs a target")
            out[:, j] = np.minimum(
                target_score(matrix[:, j], indicator.target, indicator.direction,
                             indicator.cap), 1.0)
        else:
            out[:, j] = min_max(matrix[:, j], indicator.direction)
    return out


def effective_weights(indicators: Sequence[Indicator],
                      dimension_weights: Mapping[str, float] | None = None) -> np.ndarray:
    """Each indicator's share of the whole: its weight within its dimension × the dimension's
    weight. Without dimension weights this is simply its weight over the sum of all weights."""
    w = np.array([i.weight for i in indicators], dtype=float)
    if w.sum() <= 0:
        raise ValueError("the indicators' weights must not all be zero")
    if dimension_weights is None:
        return w / w.sum()
    dims = [i.dimension for i in indicators]
    unknown = set(dimension_weights) - set(dims)
    if unknown:
        raise ValueError(f"weights given for unknown dimension(s): {', '.join(sorted(unknown))}")
    missing = set(dims) - set(dimension_weights)
    if missing:
        raise ValueError(f"no weight for dimension(s): {', '.join(sorted(missing))}")
    big_w = np.array([float(dimension_weights[d]) for d in dims])
    if np.any(~np.isfinite(big_w)) or np.any(big_w < 0):
        raise ValueError("dimension weights must be non-negative numbers")
    sums: dict[str, float] = {}
    for d, weight in zip(dims, w):
        sums[d] = sums.get(d, 0.0) + weight
    within = np.array([weight / sums[d] if weight else 0.0 for d, weight in zip(dims, w)])
    total = sum(float(dimension_weights[d]) for d in dict.fromkeys(dims))
    if total <= 0:
        raise ValueError("dimension weights must not all be zero")
    return big_w * within / total


def composite(values, indicators: Sequence[Indicator], *, normalisation: str = AUTO,
              dimension_weights: Mapping[str, float] | None = None) -> CompositeResult:
    """Score every unit: ``values`` is a units × indicators array (columns in the order of
    ``indicators``) or a mapping indicator key → one value per unit."""
    indicators = list(indicators)
    if not indicators:
        raise ValueError("a composite needs at least one indicator")
    keys = [i.key for i in indicators]
    if len(set(keys)) != len(keys):
        raise ValueError("indicator keys must be unique")
    matrix = _as_matrix(values, indicators)
    normalised = normalise_indicators(matrix, indicators, normalisation)
    weights = effective_weights(indicators, dimension_weights)

    present = ~np.isnan(normalised)
    filled = np.where(present, normalised, 0.0)
    available = present @ weights  # per unit: the weight that has values
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(available > 0, 1.0 / available, np.nan)
    contributions = filled * weights * scale[:, None]
    shortfalls = np.where(present, 1.0 - filled, 0.0) * weights * scale[:, None]
    scores = contributions.sum(axis=1)
    scores[available <= 0] = np.nan

    # Within a dimension the indicators' own weights count, whatever the dimension's weight.
    raw = np.array([i.weight for i in indicators], dtype=float)
    dimensions = list(dict.fromkeys(i.dimension for i in indicators))
    dimension_scores = np.full((matrix.shape[0], len(dimensions)), np.nan)
    for k, dimension in enumerate(dimensions):
        columns = [j for j, i in enumerate(indicators) if i.dimension == dimension]
        w = raw[columns]
        have = present[:, columns] @ w
        with np.errstate(divide="ignore", invalid="ignore"):
            dimension_scores[:, k] = np.where(have > 0, (filled[:, columns] @ w) / have, np.nan)
    return CompositeResult(indicators, dimensions, weights, normalised, contributions,
                           shortfalls, scores, dimension_scores, available)
