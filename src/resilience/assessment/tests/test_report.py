"""Server-side SVG charts and the report's content."""
import datetime as dt
import re

import pytest
from django.utils import timezone

from resilience.assessment import report, svg
from resilience.assessment.services import runs
from resilience.assessment.tests.assess_helpers import make, set_values, use_catalogue


def test_radar_draws_one_axis_per_dimension_with_text_labels():
    chart = str(svg.radar(["物理", "组织", "制度", "技术", "社会"], [100, 50, None, 0, 75],
                          [50, 50, 50, 50, 50], title="维度"))
    assert chart.startswith("<svg") and chart.endswith("</svg>")
    assert chart.count("<line") == 5
    assert ">物理<tspan" in chart and ">—</tspan>" in chart  # text stays text (Chinese too)
    assert chart.count('class="series"') == 2  # this run and the previous one


def test_radar_puts_a_full_score_on_the_outer_ring():
    chart = str(svg.radar(["a", "b", "c"], [100, 100, 100], size=300))
    series = re.search(r'class="series" points="([^"]+)"', chart).group(1)
    first = series.split()[0]
    assert first == "260,55"  # straight up: centre (260, 155) minus radius 100


def test_labels_are_escaped():
    chart = str(svg.radar(["<b>", "b", "c"], [1, 2, 3], title='"x"'))
    assert "<b>" not in chart and "&lt;b&gt;" in chart


def test_trend_line_has_a_point_per_run():
    chart = str(svg.trend([("05-01", 40), ("05-08", None), ("05-15", 60)], title="t",
                          series={"physical": [10, 20, 30]}))
    assert chart.count('<circle class="score"') == 2
    assert '<polyline class="score"' in chart and '<polyline class="dimension"' in chart


def test_building_map_colours_buildings_by_rank():
    buildings = [{"code": "B1", "rank": 0.9, "latitude": 31.231, "longitude": 121.471},
                 {"code": "B2", "rank": 0.1, "latitude": 31.232, "longitude": 121.472},
                 {"code": "B3", "rank": None, "latitude": 31.233, "longitude": 121.473},
                 {"code": "B4", "rank": 0.5, "latitude": None, "longitude": None}]
    chart = str(svg.building_map(buildings, (121.47, 31.23, 121.48, 31.24)))
    assert chart.count('class="building"') == 3  # B4 has no coordinates
    assert svg.band_colour(0.9) in chart and svg.band_colour(0.1) in chart
    assert svg.UNRANKED in chart


def test_bar_list_for_buildings_without_coordinates():
    chart = str(svg.bar_list([("B1", 1.0), ("B2", 0.0), ("B3", None)]))
    assert chart.count('class="building"') == 3 and "B3" in chart


@pytest.mark.django_db
def test_report_summary_has_radar_trend_weakest_and_building_map(world, monkeypatch):
    use_catalogue(monkeypatch, make("p1", "physical", 10, recommendations=((100, "More."),)),
                  make("s1", "social", 5, 60))
    a = world.community_a
    set_values("p1", {a: 2})
    set_values("s1", {a: 5})
    index = runs.default_index()
    runs.assess_one(a, index, at=timezone.now() - dt.timedelta(days=7))
    set_values("p1", {a: 6})
    runs.assess_one(a, index)
    context = report.summary(a, index, with_buildings=True)
    assert context["run"].score == 80.0 and context["previous"].score == 60.0
    assert "<svg" in context["radar"] and 'class="series"' in context["radar"]
    assert str(context["trend"]).count('<circle class="score"') == 2
    assert context["weakest"][0]["recommendation"] == "More."
    assert context["change"]["indicators"][0]["code"] == "p1"
    vulnerability = context["vulnerability"]
    assert vulnerability["kind"] == "map"  # the world's buildings have coordinates
    assert str(vulnerability["chart"]).count('class="building"') == 2
    assert 'class="outline"' in str(vulnerability["chart"])  # the community boundary
