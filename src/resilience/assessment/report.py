"""What the community assessment page and the printable report show: the latest score and its
dimensions, the radar, the trend, the weakest indicators with recommendations, the map of
building vulnerability, the latest stress tests compared with their previous runs, and the
self-evaluation. Charts are inline SVG (``assessment.svg``)."""
from __future__ import annotations

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l

from resilience.assessment import svg
from resilience.assessment.models import AssessmentRun, Index, StressTest
from resilience.assessment.services import evaluations, stress, trends, weakness
from resilience.assessment.vocab import Dimension, StressKind


# Stress test results shown as figures, with their labels.
FIGURES = (
    ("people_affected", _l("people affected")),
    ("vulnerable_needing_help", _l("vulnerable residents needing help")),
    ("helpers_available", _l("helpers available")),
    ("helpers_needed", _l("helpers needed")),
    ("helpers_short", _l("helpers short")),
    ("shelter_places_needed", _l("shelter places needed")),
    ("shelter_places_available", _l("shelter places available")),
    ("shelter_places_short", _l("shelter places short")),
    ("days_of_autonomy", _l("days of autonomy")),
    ("evacuation_minutes", _l("evacuation time (minutes)")),
)


def label_of(key: str) -> str:
    """The label of a stress test figure or of a supply category's shortfall."""
    if key.startswith("supplies."):
        return _("%(category)s short") % {"category": key.split(".")[1]}
    return str(dict(FIGURES).get(key, key))


def dimension_labels() -> list[str]:
    return [str(label) for label in Dimension.labels]


def radar_of(run: AssessmentRun | None, previous: AssessmentRun | None = None):
    """The radar of a run's five dimension scores (the previous run dashed behind)."""
    if run is None:
        return ""
    values = [(run.dimension_scores or {}).get(d) for d in Dimension.values]
    before = ([(previous.dimension_scores or {}).get(d) for d in Dimension.values]
              if previous else None)
    return svg.radar(dimension_labels(), values, before, title=_("Score per dimension"))


def trend_of(history: list[dict]):
    """The trend line of the score, with one thin line per dimension."""
    if not history:
        return ""
    points = [(formats.date_format(r["at"], "m-d"), r["score"]) for r in history]
    series = {str(label): [r["dimensions"].get(d) for r in history]
              for d, label in Dimension.choices}
    return svg.trend(points, series=series, title=_("Score over time"))


def _frame(community) -> tuple[tuple[float, float, float, float] | None, list]:
    """The community's bounding box and boundary rings, when it has a geometry."""
    if not community.geometry:
        return None, []
    try:
        from shapely.geometry import shape

        geometry = shape(community.geometry)
        polygons = getattr(geometry, "geoms", [geometry])
        rings = [list(p.exterior.coords) for p in polygons if hasattr(p, "exterior")]
        return tuple(geometry.bounds), rings
    except Exception:  # a broken geometry only costs the map its frame
        return None, []


def building_vulnerability(community) -> dict:
    """The buildings' social vulnerability (``methods.local_svi``), most vulnerable first, and
    a chart: points on a map when buildings have coordinates, else ranked bars."""
    from resilience.assessment.methods.local_svi import building_svi
    from resilience.places.models import Building

    rows = building_svi(community)
    where = {pk: (lat, lng) for pk, lat, lng in Building.objects.filter(
        community=community).values_list("pk", "latitude", "longitude")}
    for row in rows:
        lat, lng = where.get(row["id"], (None, None))
        row["latitude"] = float(lat) if lat is not None else None
        row["longitude"] = float(lng) if lng is not None else None
        row["colour"] = svg.band_colour(row["rank"])
    title = _("Social vulnerability of the buildings")
    if any(r["latitude"] is not None for r in rows):
        bbox, rings = _frame(community)
        chart = svg.building_map(rows, bbox, title=title, outline=rings)
        kind = "map"
    else:
        chart = svg.bar_list([(r["code"], r["rank"]) for r in rows], title=title)
        kind = "bars"
    return {"buildings": rows, "chart": chart, "kind": kind,
            "ranked": sum(1 for r in rows if r["ranked"])}


def stress_summary(community) -> list[dict]:
    """The latest stress test of each scenario, with its comparison to the run before."""
    out = []
    seen = set()
    for test in StressTest.objects.filter(community=community).order_by("-at", "-id"):
        if test.kind in seen:
            continue
        seen.add(test.kind)
        previous = stress.previous_test(test)
        comparison = stress.comparison(test, previous) if previous else []
        for row in comparison:
            row["label"] = label_of(row["key"])
        out.append({"test": test, "previous": previous, "comparison": comparison})
    order = {k: i for i, k in enumerate(StressKind.values)}
    return sorted(out, key=lambda s: order.get(s["test"].kind, 99))


def summary(community, index: Index, *, with_buildings: bool = False,
            weakest: int = 5) -> dict:
    """Everything the community assessment page and the report show (``weakest``: how many of
    the weakest indicators)."""
    runs = list(AssessmentRun.objects.filter(community=community, index=index)
                .order_by("-at", "-id")[:2])
    run = runs[0] if runs else None
    previous = runs[1] if len(runs) > 1 else None
    history = trends.history(community, index)
    context = {
        "community": community, "index": index, "run": run, "previous": previous,
        "history": history,
        "radar": radar_of(run, previous), "trend": trend_of(history),
        "dimensions": [{"code": d, "label": label,
                        "score": (run.dimension_scores or {}).get(d) if run else None,
                        "before": (previous.dimension_scores or {}).get(d) if previous else None,
                        "weight": (run.weights or {}).get(d) if run else None}
                       for d, label in Dimension.choices],
        "weakest": weakness.weakest(run, weakest) if run else [],
        "change": trends.why_changed(run, previous) if run and previous else None,
        "stress": stress_summary(community),
        "evaluation": evaluations.latest_evaluation(community),
    }
    if with_buildings:
        context["vulnerability"] = building_vulnerability(community)
    return context
