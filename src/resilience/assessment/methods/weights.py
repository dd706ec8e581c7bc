"""Indicator weights: given by hand, by AHP pairwise comparison, or by entropy.

Every function returns weights that are non-negative and sum to 1.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

# Saaty's random consistency index RI(n): the mean consistency index of random reciprocal
# matrices of order n (Saaty, The Analytic Hierarchy Process, 1980; n = 11–15 from Saaty 2012).
RANDOM_INDEX = {1: 0.0, 2: 0.0, 3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32, 8: 1.41, 9: 1.45,
                10: 1.49, 11: 1.51, 12: 1.48, 13: 1.56, 14: 1.57, 15: 1.59}
CONSISTENCY_LIMIT = 0.10
RECIPROCAL_TOLERANCE = 0.01  # judgements are written as 0.33 for 1/3: allow 1 % of slack


class WeightError(ValueError):
    """Weights or judgements that cannot be used, with the reason."""


class InconsistentJudgements(WeightError):
    """An AHP matrix whose consistency ratio exceeds the limit (0.1)."""

    def __init__(self, result: AhpResult) -> None:
        self.result = result
        super().__init__(
            f"the pairwise judgements are inconsistent: consistency ratio {result.cr:.3f} is above "
            f"{CONSISTENCY_LIMIT} (λmax {result.lambda_max:.3f}, CI {result.ci:.3f}, RI "
            f"{result.ri}); revise the judgements, or force to accept them")


def _normalised(values: np.ndarray) -> np.ndarray:
    total = values.sum()
    if not np.isfinite(total) or total <= 0:
        raise WeightError("weights must not all be zero")
    return values / total


def hand_weights(weights: Mapping[str, float]) -> dict[str, float]:
    """Weights given by hand, in any unit (points, percentages), scaled to sum to 1."""
    if not weights:
        raise WeightError("no weights given")
    values = np.array([float(w) for w in weights.values()])
    bad = [k for k, w in zip(weights, values) if not np.isfinite(w) or w < 0]
    if bad:
        raise WeightError(f"weights must be non-negative numbers: {', '.join(map(str, bad))}")
    return dict(zip(weights, _normalised(values).tolist()))


@dataclass(frozen=True)
class AhpResult:
    """AHP priorities and consistency: λmax, CI = (λmax − n)/(n − 1), CR = CI / RI(n)."""

    weights: tuple[float, ...]
    lambda_max: float
    ci: float
    ri: float
    cr: float
    labels: tuple[str, ...] = ()

    @property
    def consistent(self) -> bool:
        return self.cr <= CONSISTENCY_LIMIT

    def as_dict(self) -> dict[str, float]:
        labels = self.labels or tuple(str(i) for i in range(len(self.weights)))
        return dict(zip(labels, self.weights))


def check_pairwise(matrix) -> np.ndarray:
    """Validate a pairwise comparison matrix: square, positive, ones on the diagonal and
    reciprocal (a_ji = 1/a_ij). Raises ``WeightError`` naming the first offending cell."""
    a = np.array(matrix, dtype=float)
    if a.ndim != 2 or a.shape[0] != a.shape[1] or a.shape[0] == 0:
        raise WeightError(f"a pairwise comparison matrix must be square, not {a.shape}")
    n = a.shape[0]
    if not np.all(np.isfinite(a)) or np.any(a <= 0):
        i, j = np.argwhere(~np.isfinite(a) | (a <= 0))[0]
        raise WeightError(f"judgement a[{i + 1},{j + 1}] = {a[i, j]} must be a positive number")
    for i in range(n):
        if abs(a[i, i] - 1) > RECIPROCAL_TOLERANCE:
            raise WeightError(f"a[{i + 1},{i + 1}] = {a[i, i]}: an element compared with "
                              f"itself must be 1")
        for j in range(i + 1, n):
            if abs(a[i, j] * a[j, i] - 1) > RECIPROCAL_TOLERANCE:
                raise WeightError(
                    f"the matrix is not reciprocal: a[{j + 1},{i + 1}] = {a[j, i]:g} should be "
                    f"1/a[{i + 1},{j + 1}] = {1 / a[i, j]:g}")
    return a


def pairwise_matrix(labels: Sequence[str],
                    judgements: Mapping[tuple[str, str], float]) -> np.ndarray:
    """Build the full reciprocal matrix from judgements ``{(a, b): how much a matters more than
    b}`` (Saaty's 1–9 scale); every pair must be judged exactly once."""
    index = {label: i for i, label in enumerate(labels)}
    n = len(labels)
    a = np.ones((n, n))
    judged = set()
    for (x, y), value in judgements.items():
        if x not in index or y not in index:
            raise WeightError(f"judgement ({x}, {y}) names an unknown element")
        if x == y:
            raise WeightError(f"judgement ({x}, {y}) compares an element with itself")
        pair = frozenset((x, y))
        if pair in judged:
            raise WeightError(f"the pair ({x}, {y}) is judged twice")
        if not value > 0:
            raise WeightError(f"judgement ({x}, {y}) = {value} must be positive")
        judged.add(pair)
        a[index[x], index[y]] = value
        a[index[y], index[x]] = 1 / value
    missing = [(labels[i], labels[j]) for i in range(n) for j in range(i + 1, n)
               if frozenset((labels[i], labels[j])) not in judged]
    if missing:
        raise WeightError(f"pairs not judged: {', '.join(f'({x}, {y})' for x, y in missing)}")
    return a


def ahp_weights(matrix, labels: Sequence[str] = (), *, force: bool = False) -> AhpResult:
    """AHP priorities: the principal right eigenvector of the pairwise matrix, scaled to sum 1.

    Refuses (``InconsistentJudgements``) a matrix whose consistency ratio exceeds 0.1 unless
    ``force``; the result carries λmax, CI, RI and CR either way.
    """
    a = check_pairwise(matrix)
    n = a.shape[0]
    if labels and len(labels) != n:
        raise WeightError(f"{len(labels)} labels for a {n}×{n} matrix")
    if n not in RANDOM_INDEX:
        raise WeightError(f"AHP compares at most {max(RANDOM_INDEX)} elements, not {n}")
    eigenvalues, eigenvectors = np.linalg.eig(a)
    # Perron–Frobenius: a positive matrix has one real eigenvalue of largest modulus, with a
    # positive eigenvector.
    k = int(np.argmax(eigenvalues.real))
    lambda_max = float(eigenvalues[k].real)
    vector = np.abs(eigenvectors[:, k].real)
    weights = _normalised(vector)
    ci = max((lambda_max - n) / (n - 1), 0.0) if n > 2 else 0.0
    ri = RANDOM_INDEX[n]
    cr = ci / ri if ri else 0.0
    result = AhpResult(tuple(weights.tolist()), lambda_max, ci, ri, cr, tuple(labels))
    if not result.consistent and not force:
        raise InconsistentJudgements(result)
    return result


def entropy_weights(table, labels: Sequence[str] = ()) -> dict[str, float] | tuple[float, ...]:
    """Entropy weights of the columns of ``table`` (units × indicators, non-negative, usually
    min-max normalised first): an indicator that varies more between units informs more.

    p_ij = x_ij / Σ_i x_ij,  e_j = −Σ_i p_ij ln p_ij / ln m,  w_j = (1 − e_j) / Σ_k (1 − e_k).
    A column of zeros carries no information (e_j = 1). Returns a dict when ``labels`` are given.
    """
    x = np.array(table, dtype=float)
    if x.ndim != 2 or x.shape[0] < 2 or x.shape[1] == 0:
        raise WeightError("entropy weights need a table of at least two units and one indicator")
    if labels and len(labels) != x.shape[1]:
        raise WeightError(f"{len(labels)} labels for {x.shape[1]} indicators")
    if not np.all(np.isfinite(x)) or np.any(x < 0):
        raise WeightError("entropy weights need finite, non-negative values (normalise first)")
    m = x.shape[0]
    totals = x.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(totals > 0, x / totals, 0.0)
        plogp = np.where(p > 0, p * np.log(p), 0.0)
    entropy = np.where(totals > 0, -plogp.sum(axis=0) / np.log(m), 1.0)
    # A constant column has entropy exactly 1; say so rather than trust the last bits of a log.
    entropy[x.max(axis=0) == x.min(axis=0)] = 1.0
    divergence = np.clip(1.0 - entropy, 0.0, None)
    if divergence.sum() <= 1e-15:
        raise WeightError("every indicator has the same value in all units: entropy cannot "
                          "weigh them")
    weights = divergence / divergence.sum()
    return dict(zip(labels, weights.tolist())) if labels else tuple(weights.tolist())
