"""The weakest points of a community: the indicators that cost its score the most, each with
the recommendation for the band its score falls in."""
from __future__ import annotations

from resilience.assessment.catalogue import catalogue
from resilience.assessment.models import AssessmentRun


def weakest(run: AssessmentRun, count: int = 5) -> list[dict]:
    """The run's indicators below their target, largest loss of score first.

    The loss is ``weight × (100 − score)``: the points of the total score the indicator misses.
    Each entry: ``code``, ``name``, ``dimension``, ``value``, ``unit``, ``score``, ``target``,
    ``loss`` and ``recommendation``.
    """
    known = catalogue()
    rows = []
    for value in run.values.all():
        if value.score is None or value.score >= 100:
            continue
        indicator = known.get(value.indicator)
        rows.append({
            "code": value.indicator,
            "name": str(indicator.name) if indicator else value.indicator,
            "dimension": value.dimension,
            "value": value.value,
            "unit": str(indicator.unit) if indicator else "",
            "score": value.score,
            "target": indicator.target if indicator else None,
            "loss": round(value.weight * (100 - value.score), 2),
            "recommendation": indicator.recommendation(value.score) if indicator else "",
        })
    rows.sort(key=lambda r: (-r["loss"], r["score"], r["code"]))
    return rows[:count]
