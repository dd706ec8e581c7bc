"""Risk grading: a score and a grade (major / high / medium / low) from an assessment's inputs.

Two methods, as Chinese community safety practice uses them for the four-colour risk map
(安全风险四色分布图; the four grades and colours follow the State Council Work Safety
Committee's guidance on the dual prevention mechanism, 安委办〔2016〕11号):

**Matrix** (风险矩阵法, 5 × 5, cf. GB/T 27921 risk assessment techniques): ``likelihood`` and ``consequence``, each a
whole number 1–5; score = likelihood × consequence.

    score ≥ 20        major  (重大风险, red)
    15 ≤ score ≤ 19   high   (较大风险, orange)
    9 ≤ score ≤ 14    medium (一般风险, yellow)
    score ≤ 8         low    (低风险, blue)

**LEC** (作业条件危险性评价法): the method of Graham and Kinney (Kinney & Wiruth, *Practical
Risk Analysis for Safety Management*, Naval Weapons Center, 1976) as adopted in Chinese safety
practice. D = L × E × C with each factor taken from its table:

    L likelihood   10 expected · 6 quite possible · 3 unusual but possible · 1 remotely possible
                   · 0.5 conceivable but very unlikely · 0.2 practically impossible
                   · 0.1 virtually impossible
    E exposure     10 continuous · 6 daily · 3 weekly or occasional · 2 monthly · 1 a few times
                   a year · 0.5 very rare
    C consequence  100 catastrophe, many deaths · 40 disaster, several deaths · 15 very serious,
                   one death · 7 serious injury · 3 disabling injury · 1 noticeable, first aid

    D > 320           major  (极其危险, red)
    160 < D ≤ 320     high   (高度危险, orange)
    70 < D ≤ 160      medium (显著危险, yellow)
    D ≤ 70            low    (一般/稍有危险, blue)

D is computed in decimal arithmetic, so products of 0.1, 0.2 and 0.5 are exact and a product on a
band boundary (1 × 10 × 7 = 70 is low) falls on the documented side, never on a floating-point
accident.
"""
from __future__ import annotations

import math
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from resilience.risks.vocab import Grade, Method

MATRIX_KEYS = ("likelihood", "consequence")
MATRIX_RANGE = range(1, 6)
LEC_TABLES: dict[str, tuple] = {
    "l": (0.1, 0.2, 0.5, 1, 3, 6, 10),
    "e": (0.5, 1, 2, 3, 6, 10),
    "c": (1, 3, 7, 15, 40, 100),
}
LEC_KEYS = tuple(LEC_TABLES)
_LEC_DECIMALS = {key: {Decimal(str(v)) for v in values} for key, values in LEC_TABLES.items()}

# (lowest score of the band, grade), highest band first
MATRIX_BANDS = ((20, Grade.MAJOR), (15, Grade.HIGH), (9, Grade.MEDIUM), (0, Grade.LOW))
# (score the band lies strictly above, grade)
LEC_BANDS = ((Decimal(320), Grade.MAJOR), (Decimal(160), Grade.HIGH), (Decimal(70), Grade.MEDIUM))


def grade(method: str, inputs: dict) -> tuple[float, Grade]:
    """The score and grade ``method`` ("matrix" or "lec") gives ``inputs``.

    Raises ``ValidationError`` keyed by what is wrong: ``method``, ``inputs`` (not an object), or
    the name of each missing, unknown or out-of-table input.
    """
    if method == Method.MATRIX:
        return _matrix(inputs)
    if method == Method.LEC:
        return _lec(inputs)
    raise ValidationError({"method": _("Unknown assessment method “%(method)s”; use %(allowed)s.") % {
        "method": method, "allowed": ", ".join(Method.values)}})


def _key_errors(inputs, keys: tuple[str, ...], method: str) -> dict[str, str]:
    """Errors for missing and unknown inputs; the values of known inputs are checked apart."""
    if not isinstance(inputs, dict):
        raise ValidationError({"inputs": _("Give the inputs as an object with %(keys)s.") % {
            "keys": ", ".join(keys)}})
    errors = {}
    for key in keys:
        if key not in inputs:
            errors[key] = _("This input is required.")
    for key in inputs:
        if key not in keys:
            errors[str(key)] = _("Unknown input for the %(method)s method; it takes %(keys)s.") % {
                "method": method, "keys": ", ".join(keys)}
    return errors


def _is_number(value) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


def _matrix(inputs) -> tuple[float, Grade]:
    errors = _key_errors(inputs, MATRIX_KEYS, Method.MATRIX)
    for key in MATRIX_KEYS:
        if key not in inputs:
            continue
        value = inputs[key]
        if not (isinstance(value, int) and not isinstance(value, bool) and value in MATRIX_RANGE):
            errors[key] = _("Give a whole number from 1 to 5.")
    if errors:
        raise ValidationError(errors)
    score = inputs["likelihood"] * inputs["consequence"]
    return float(score), matrix_grade(score)


def matrix_grade(score: int) -> Grade:
    """The grade of a matrix score (likelihood × consequence, 1–25)."""
    for lowest, band in MATRIX_BANDS:
        if score >= lowest:
            return band
    return Grade.LOW


def _lec(inputs) -> tuple[float, Grade]:
    errors, factors = _key_errors(inputs, LEC_KEYS, Method.LEC), []
    for key in LEC_KEYS:
        if key not in inputs:
            continue
        value = inputs[key]
        factor = Decimal(str(value)) if _is_number(value) else None
        if factor is None or factor not in _LEC_DECIMALS[key]:
            errors[key] = _("Give one of the %(key)s table values: %(allowed)s.") % {
                "key": key.upper(), "allowed": ", ".join(f"{v:g}" for v in LEC_TABLES[key])}
        factors.append(factor)
    if errors:
        raise ValidationError(errors)
    d = factors[0] * factors[1] * factors[2]
    return float(d), lec_grade(d)


def lec_grade(d: Decimal | float) -> Grade:
    """The grade of an LEC danger score D = L × E × C."""
    d = Decimal(str(d)) if not isinstance(d, Decimal) else d
    for above, band in LEC_BANDS:
        if d > above:
            return band
    return Grade.LOW
