"""Scores over time, and why a score changed between two runs."""
from __future__ import annotations

from resilience.assessment.catalogue import catalogue
from resilience.assessment.models import AssessmentRun, Index


def history(community, index: Index, limit: int = 24) -> list[dict]:
    """The community's runs with ``index``, oldest first (the newest ``limit``): time, score and
    dimension scores, for trend lines."""
    runs = list(AssessmentRun.objects.filter(community=community, index=index)
                .order_by("-at", "-id").values("pk", "at", "score", "dimension_scores")[:limit])
    return [{"id": r["pk"], "at": r["at"], "score": r["score"],
             "dimensions": r["dimension_scores"] or {}} for r in reversed(runs)]


def previous_run(run: AssessmentRun) -> AssessmentRun | None:
    """The run of the same community and index just before ``run``."""
    earlier = AssessmentRun.objects.filter(community_id=run.community_id, index_id=run.index_id)
    return (earlier.filter(at__lt=run.at) | earlier.filter(at=run.at, pk__lt=run.pk)).order_by(
        "-at", "-id").first()


def why_changed(run: AssessmentRun, previous: AssessmentRun | None = None,
                count: int = 10) -> dict:
    """What moved between ``previous`` (the run before, by default) and ``run``.

    Returns ``previous``, ``score_delta``, ``dimension_deltas`` and ``indicators``: those whose
    value or score moved, the largest effect on the total first (``effect`` = change of
    weight × score, in points of the total), each with its value, score and inputs before and
    after.
    """
    previous = previous or previous_run(run)
    result = {"previous": previous, "score_delta": None, "dimension_deltas": {},
              "indicators": []}
    if previous is None:
        return result
    if run.score is not None and previous.score is not None:
        result["score_delta"] = round(run.score - previous.score, 2)
    for dimension, score in (run.dimension_scores or {}).items():
        before = (previous.dimension_scores or {}).get(dimension)
        if score is not None and before is not None:
            result["dimension_deltas"][dimension] = round(score - before, 2)
    known = catalogue()
    before = {v.indicator: v for v in previous.values.all()}
    moved = []
    for after in run.values.all():
        old = before.get(after.indicator)
        if old is None or (old.value == after.value and old.score == after.score):
            continue
        effect = (after.weight * (after.score or 0)) - (old.weight * (old.score or 0))
        indicator = known.get(after.indicator)
        moved.append({
            "code": after.indicator,
            "name": str(indicator.name) if indicator else after.indicator,
            "unit": str(indicator.unit) if indicator else "",
            "dimension": after.dimension,
            "before": old.value, "after": after.value,
            "score_before": old.score, "score_after": after.score,
            "effect": round(effect, 2),
            "inputs_before": old.inputs, "inputs_after": after.inputs,
        })
    moved.sort(key=lambda m: (-abs(m["effect"]), m["code"]))
    result["indicators"] = moved[:count]
    return result
