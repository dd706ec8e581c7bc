"""Communities side by side: each one's latest score and dimension scores with one index."""
from __future__ import annotations

from django.db.models import OuterRef, Subquery

from resilience.assessment.models import AssessmentRun, Index
from resilience.assessment.vocab import Dimension

SORT_KEYS = ("name", "score", *Dimension.values)


def side_by_side(communities, index: Index, sort: str = "score") -> list[dict]:
    """One row per community of the ``communities`` queryset: ``community``, ``run`` (the
    latest with ``index``, or None), ``score`` and ``dimensions``. Sorted by ``sort``
    (``name``, ``score`` or a dimension; a leading ``-`` reverses); scores sort highest first,
    communities not assessed last."""
    newest = (AssessmentRun.objects.filter(community=OuterRef("pk"), index=index)
              .order_by("-at", "-id").values("pk")[:1])
    communities = list(communities.annotate(latest_run=Subquery(newest)))
    found = AssessmentRun.objects.in_bulk([c.latest_run for c in communities if c.latest_run])
    latest = {run.community_id: run for run in found.values()}
    rows = []
    for community in communities:
        run = latest.get(community.pk)
        dims = (run.dimension_scores or {}) if run else {}
        rows.append({"community": community, "run": run,
                     "score": run.score if run else None,
                     "dimensions": [dims.get(d) for d in Dimension.values],
                     "by_dimension": dims})
    reverse = sort.startswith("-")
    key = sort.lstrip("-")
    if key not in SORT_KEYS:
        key = "score"
    if key == "name":
        rows.sort(key=lambda r: r["community"].name, reverse=reverse)
        return rows

    def value(row):
        return row["score"] if key == "score" else row["by_dimension"].get(key)

    missing = [r for r in rows if value(r) is None]
    present = sorted((r for r in rows if value(r) is not None), key=value, reverse=not reverse)
    return present + sorted(missing, key=lambda r: r["community"].name)
