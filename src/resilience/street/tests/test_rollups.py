"""Roll-ups: known answers on a hand-built street, no personal fields, small cells suppressed,
and a query count that does not grow with the number of communities."""
from __future__ import annotations

from decimal import Decimal

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from resilience.places.models import Community, Grid
from resilience.street import rollups
from resilience.street.exchange.fields import CLASSIFICATIONS, PERSONAL
from resilience.street.rollup_fields import ALL_FIELDS, BY_NAME, COMMUNITY_FIELDS, GRID_FIELDS
from resilience.street.tests.rollup_helpers import build_street

pytestmark = pytest.mark.django_db

# Keys a roll-up row carries beside its declared columns: ids for links and the map point.
TECHNICAL = {"community_id", "grid_id", "latitude", "longitude"}


def personal_field_names() -> set[str]:
    """Field names of the people and health models that describe a person."""
    names = set()
    for label in ("people.Resident", "people.Household", "people.Volunteer",
                  "shelters.Stay", "alerts.AlertRecipient"):
        model = apps.get_model(label)
        names |= {f.name for f in model._meta.get_fields() if f.concrete}
        names |= set(getattr(model, "sensitive_fields", ()))
    for model in apps.get_app_config("health").get_models():
        names |= {f.name for f in model._meta.get_fields() if f.concrete}
    # Structural columns that exist in those models but carry no personal data.
    return names - {"id", "community", "created", "updated", "household", "building", "grid",
                    "kind", "status", "active", "priority"}


@pytest.fixture
def street(world):
    return build_street(world)


def by_code(rows):
    return {row["community_code"]: row for row in rows}


def test_counts_on_the_hand_built_street(world, street):
    rows = by_code(rollups.compute(Community.objects.all()))
    a, b, c = rows["comm-a"], rows["comm-b"], rows["comm-c"]
    assert (a["residents"], a["households"], a["vulnerable_total"]) == (5, 2, 4)
    assert a["vulnerable_dialysis"] == 3 and a["vulnerable_elderly_alone"] == 1
    assert a["vulnerable_infant"] == 0
    assert (a["volunteers"], a["grid_workers"]) == (1, 1)
    assert a["stock_water"] == Decimal("11.000")
    assert a["days_water"] == Decimal("0.7")  # 11 L ÷ (3 L × 5 residents)
    assert a["days_food"] == Decimal("0.0")
    assert a["days_of_autonomy"] == Decimal("0.0")
    assert (a["open_alarms"], a["open_alarms_severe"]) == (1, 1)
    assert (a["active_alerts"], a["active_alert_level"]) == (1, 3)
    assert (a["alert_recipients"], a["alert_acknowledged"], a["alert_ack_rate"]) == (4, 1, 0.25)
    assert (a["hazards_open"], a["hazards_overdue"]) == (2, 1)
    assert (a["unmet_needs"], a["unmet_needs_overdue"]) == (1, 1)
    assert a["score"] == 72.5 and a["open_incidents"] == 0
    assert (a["shelters"], a["shelter_places"], a["shelter_occupancy"]) == (1, 200, 0)
    assert (b["shelters"], b["shelter_places"], b["shelters_open"]) == (1, 50, 1)
    assert (b["shelter_occupancy"], b["shelter_occupancy_rate"]) == (1, 0.02)
    assert b["open_incidents"] == 1 and b["score"] is None and b["active_alerts"] == 0
    assert b["days_of_autonomy"] == Decimal("0.0") and b["stock_water"] == Decimal("0.000")
    assert c["residents"] == 2 and c["open_alarms"] == 0 and c["alert_ack_rate"] is None


def test_grid_counts(world, street):
    rows = {(r["community_code"], r["grid_code"]): r
            for r in rollups.compute_grids(Community.objects.filter(code="comm-a"))}
    assert set(rows) == {("comm-a", "G1"), ("comm-a", "G2")}
    g1, g2 = rows["comm-a", "G1"], rows["comm-a", "G2"]
    assert (g1["residents"], g2["residents"]) == (1, 4)
    assert (g1["vulnerable_elderly_alone"], g2["vulnerable_dialysis"]) == (1, 3)
    assert (g1["grid_workers"], g2["grid_workers"]) == (1, 0)
    assert (g1["volunteers"], g2["volunteers"]) == (1, 0)
    assert (g1["open_alarms"], g2["open_alarms"]) == (1, 0)
    assert (g1["hazards_overdue"], g2["hazards_open"]) == (1, 1)
    assert (g1["alert_recipients"], g1["alert_acknowledged"]) == (1, 1)
    assert (g2["alert_recipients"], g2["alert_ack_rate"]) == (3, 0.0)
    assert g1["active_alerts"] == 1 and g1["unmet_needs"] == 1
    assert "stock_water" not in g1 and "score" not in g1


def test_every_field_is_classified_and_none_is_personal():
    assert ALL_FIELDS, "no roll-up fields declared"
    for field in ALL_FIELDS:
        assert field.classification in CLASSIFICATIONS, field.name
        assert field.classification != PERSONAL, f"roll-up field {field.name} is personal"


def test_rollups_carry_no_personal_fields(world, street):
    personal = personal_field_names()
    assert {"name", "id_number", "phone", "birth_date", "vulnerability"} <= personal
    community_rows = rollups.compute(Community.objects.all())
    grid_rows = rollups.compute_grids(Community.objects.all())
    for row in [*community_rows, *grid_rows]:
        for key in row:
            assert key in TECHNICAL or key in BY_NAME, f"undeclared roll-up key {key}"
            assert key not in personal, f"roll-up key {key} is a personal field"
    names = {r.name for r in street["dialysis"]} | {world.resident_a1.name}
    text = repr(community_rows) + repr(grid_rows)
    assert not any(name in text for name in names)
    assert {f.name for f in COMMUNITY_FIELDS} <= set(community_rows[0]) | {"active_alert_level"}
    assert {f.name for f in GRID_FIELDS} <= set(grid_rows[0])


def test_small_cells_are_suppressed(world, street):
    rows = by_code(rollups.suppress(rollups.compute(Community.objects.all()), threshold=3))
    a = rows["comm-a"]
    assert a["vulnerable_elderly_alone"] == "<3"  # one person: hidden
    assert a["vulnerable_dialysis"] == 3  # at the threshold: exact
    assert a["vulnerable_infant"] == 0  # zero stays zero
    assert a["residents"] == 5 and a["alert_recipients"] == 4  # not counts of a sensitive trait
    grid = {r["grid_code"]: r for r in rollups.suppress(
        rollups.compute_grids(Community.objects.filter(code="comm-a")), threshold=3)}
    assert grid["G1"]["vulnerable_total"] == "<3" and grid["G2"]["vulnerable_total"] == 3
    unsuppressed = rollups.suppress(rollups.compute(Community.objects.all()), threshold=1)
    assert by_code(unsuppressed)["comm-a"]["vulnerable_elderly_alone"] == 1


def test_min_cell_comes_from_settings(settings):
    settings.RESILIENCE_ROLLUP_MIN_CELL = 5
    assert rollups.min_cell() == 5
    settings.RESILIENCE_ROLLUP_MIN_CELL = 0
    with pytest.raises(ValueError, match="RESILIENCE_ROLLUP_MIN_CELL"):
        rollups.min_cell()


def _add_communities(world, n: int, start: int) -> None:
    for i in range(start, start + n):
        c = Community.objects.create(code=f"extra-{i}", name=f"Extra {i}",
                                     region=world.street, latitude=31.2, longitude=121.4)
        Grid.objects.create(community=c, code="G1", name="G1")


def _queries(fn) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def test_query_count_does_not_grow_with_communities(world, street):
    def both():
        rollups.compute(Community.objects.all())
        rollups.compute_grids(Community.objects.all())

    def live():
        rollups.compute(Community.objects.all(), sections=rollups.LIVE_SECTIONS)

    few, few_live = _queries(both), _queries(live)
    _add_communities(world, 25, 0)
    assert _queries(both) == few
    assert _queries(live) == few_live
    _add_communities(world, 40, 100)
    assert _queries(both) == few


def test_who_gets_rollups(world):
    assert set(rollups.communities_for(world.office).values_list("code", flat=True)) == {
        "comm-a", "comm-b"}
    assert list(rollups.communities_for(world.staff_a).values_list("code", flat=True)) == [
        "comm-a"]
    assert rollups.communities_for(world.admin).count() == 3
    for name in ("resident_a1", "grid_worker_a1", "volunteer_a", "outsider"):
        assert not rollups.communities_for(world.users[name]).exists(), name
        assert not rollups.may_see_rollups(world.users[name]), name
    assert rollups.may_see_rollups(world.office) and rollups.may_see_rollups(world.staff_a)


# --- exports: page downloads and the API -----------------------------------------------------

def _client(user):
    from rest_framework.test import APIClient

    c = APIClient()
    c.force_authenticate(user)
    return c


def _csv(content: bytes) -> list[dict]:
    import csv
    import io

    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def test_csv_export_parses_back(world, street):
    rows = _csv(_client(world.office).get("/api/rollups/", {"format": "csv"}).content)
    assert [r["community_code"] for r in rows] == ["comm-a", "comm-b"]
    a = rows[0]
    assert list(a) == [f.name for f in COMMUNITY_FIELDS]
    assert (a["residents"], a["vulnerable_dialysis"], a["vulnerable_elderly_alone"]) == (
        "5", "3", "<3")
    assert (a["stock_water"], a["days_water"], a["alert_ack_rate"]) == ("11.000", "0.7", "0.25")
    grid = _csv(_client(world.staff_a).get("/api/rollups/", {"format": "csv", "per": "grid"})
                .content)
    assert [(r["community_code"], r["grid_code"]) for r in grid] == [("comm-a", "G1"),
                                                                      ("comm-a", "G2")]
    page = _csv(_page(world.office).get("/street/rollups/", {"format": "csv"}).content)
    assert page == rows


def test_xlsx_export_parses_back(world, street):
    import io

    import openpyxl

    response = _client(world.office).get("/api/rollups/", {"format": "xlsx"})
    assert response.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True)
    assert book.sheetnames == ["community", "grid"]
    rows = list(book["community"].iter_rows(values_only=True))
    assert list(rows[0]) == [f.name for f in COMMUNITY_FIELDS]
    a = dict(zip(rows[0], rows[1]))
    assert (a["community_code"], a["residents"], a["vulnerable_elderly_alone"]) == (
        "comm-a", 5, "<3")
    assert a["stock_water"] == 11.0 and a["score"] == 72.5
    grid_rows = list(book["grid"].iter_rows(values_only=True))
    assert list(grid_rows[0]) == [f.name for f in GRID_FIELDS] and len(grid_rows) == 5


def test_json_api_and_its_errors(world, street):
    body = _client(world.office).get("/api/rollups/").json()
    assert body["per"] == "community" and body["min_cell"] == 3 and body["count"] == 2
    assert {f["name"] for f in body["fields"]} == {f.name for f in COMMUNITY_FIELDS}
    a = next(r for r in body["results"] if r["community_code"] == "comm-a")
    assert a["vulnerable_elderly_alone"] == "<3" and a["stock_water"] == 11.0
    assert "community_id" not in a and "latitude" not in a
    only_b = _client(world.admin).get("/api/rollups/", {"region": "310101002"}).json()
    assert [r["community_code"] for r in only_b["results"]] == ["comm-c"]
    for params, field in (({"per": "building"}, "per"), ({"format": "pdf"}, "format"),
                          ({"region": "nowhere"}, "region")):
        response = _client(world.office).get("/api/rollups/", params)
        assert response.status_code == 400 and list(response.json()) == [field]
    # the office's own scope does not reach the other street, even by naming it
    response = _client(world.office).get("/api/rollups/", {"region": "310101002"})
    assert response.status_code == 400 and list(response.json()) == ["region"]
    assert _client(world.users["resident_a1"]).get("/api/rollups/").status_code == 403
    assert _client(world.grid_worker_a1).get("/api/rollups/").status_code == 403


def test_rollup_page_shows_suppressed_counts(world, street):
    html = _page(world.office).get("/street/rollups/").content.decode()
    assert "Community A" in html and "Community C" not in html and "&lt;3" in html
    assert "Dialysis 0" not in html
    grid = _page(world.office).get("/street/rollups/", {"per": "grid"}).content.decode()
    assert "Grid A1" in grid
    assert _page(world.office).get("/street/rollups/", {"per": "x"}).status_code == 400


def _page(user):
    from django.test import Client

    c = Client()
    c.force_login(user)
    return c


def test_supplies_agree_with_the_per_community_norms(world, street):
    from resilience.relief import norms

    rows = by_code(rollups.compute(Community.objects.all()))
    for community in Community.objects.all():
        summary = norms.summary(community)
        row = rows[community.code]
        assert row["days_of_autonomy"] == summary["days"], community.code
        for category in summary["categories"]:
            assert row[f"stock_{category['category']}"] == category["stock"]
            assert row[f"days_{category['category']}"] == category["days"]
