"""Normalised scores in [0, 1] where 1 is good: against a target, or across units (min-max).

Both take numpy arrays (any shape) or lists and keep NaN as "no value".
"""
from __future__ import annotations

import numpy as np

HIGHER = "higher"  # higher values are better
LOWER = "lower"    # lower values are better
DIRECTIONS = (HIGHER, LOWER)


def _check_direction(direction: str) -> None:
    if direction not in DIRECTIONS:
        raise ValueError(f"direction must be {HIGHER!r} or {LOWER!r}, not {direction!r}")


def target_score(values, target: float, direction: str = HIGHER, cap: float = 1.0) -> np.ndarray:
    """How far each value goes towards its target, capped.

    Higher is better: ``value / target`` (a target of 0 is met by anything ≥ 0).
    Lower is better: ``target / value``; a value at or below the target scores the cap, and a
    target of 0 is met only by 0 (anything above it scores 0: e.g. "overdue hazards").
    The result is in ``[0, cap]``.
    """
    _check_direction(direction)
    if not np.isfinite(target) or target < 0:
        raise ValueError(f"the target must be a non-negative number, not {target}")
    if not cap > 0:
        raise ValueError(f"the cap must be positive, not {cap}")
    x = np.asarray(values, dtype=float)
    # Both branches of np.where are computed: a value near 0 overflows target / x (inf) where
    # the cap is chosen anyway; the clip below bounds the rest.
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if direction == HIGHER:
            score = np.where(x >= 0, cap, 0.0) if target == 0 else x / target
        elif target == 0:
            score = np.where(x <= 0, cap, 0.0)
        else:
            score = np.where(x <= target, cap, target / x)
    score = np.clip(score, 0.0, cap)
    return np.where(np.isnan(x), np.nan, score)


def min_max(values, direction: str = HIGHER, constant: float = 1.0) -> np.ndarray:
    """Scale across units: the best unit 1, the worst 0.

    Higher is better: ``(x − min) / (max − min)``; lower is better: ``(max − x) / (max − min)``.
    When every unit has the same value nobody is worse than anyone else: all get ``constant``.
    NaN values are ignored for the range and stay NaN.
    """
    _check_direction(direction)
    x = np.asarray(values, dtype=float)
    present = ~np.isnan(x)
    if not present.any():
        return np.full(x.shape, np.nan)
    low, high = np.min(x[present]), np.max(x[present])
    if high == low:
        return np.where(present, constant, np.nan)
    scaled = (x - low) / (high - low) if direction == HIGHER else (high - x) / (high - low)
    return np.clip(scaled, 0.0, 1.0)


def min_max_columns(table, directions, constant: float = 1.0) -> np.ndarray:
    """``min_max`` applied to each column of a units × indicators table."""
    x = np.asarray(table, dtype=float)
    if x.ndim != 2 or x.shape[1] != len(directions):
        raise ValueError(f"expected a units × {len(directions)} table, got shape {x.shape}")
    return np.column_stack([min_max(x[:, j], d, constant) for j, d in enumerate(directions)]) \
        if x.shape[1] else x.copy()
