"""The command dashboard: who sees which communities, the state colours, the htmx table, the
map's GeoJSON, the region picker, and a query count that does not grow with communities."""
from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from resilience.core.roles import Role
from resilience.people.models import Membership
from resilience.places.models import Community, Region
from resilience.street import dashboard
from resilience.street.tests.rollup_helpers import build_street

pytestmark = pytest.mark.django_db
BOARD = "/street/dashboard/"
DATA = "/street/dashboard/data.json"


def page(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def codes(geojson) -> set[str]:
    return {f["properties"]["community_code"] for f in geojson["features"]}


def test_urls_are_named():
    assert reverse("street_dashboard:board") == BOARD
    assert reverse("street_dashboard:data") == DATA


def test_office_sees_its_street_not_the_other(world):
    response = page(world.office).get(BOARD)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Community A" in html and "Community B" in html and "Community C" not in html
    assert 'id="street-map"' in html and "hx-trigger" in html
    assert codes(page(world.office).get(DATA).json()) == {"comm-a", "comm-b"}


def test_staff_see_only_their_community(world):
    html = page(world.staff_a).get(BOARD).content.decode()
    assert "Community A" in html and "Community B" not in html
    assert codes(page(world.staff_a).get(DATA).json()) == {"comm-a"}
    assert codes(page(world.admin).get(DATA).json()) == {"comm-a", "comm-b", "comm-c"}


@pytest.mark.parametrize("name", ["resident_a1", "grid_worker_a1", "volunteer_a", "outsider"])
def test_others_are_refused(world, name):
    client = page(world.users[name])
    assert client.get(BOARD).status_code == 403
    assert client.get(DATA).status_code == 403
    assert client.get("/street/rollups/").status_code == 403


def test_anonymous_is_sent_to_log_in():
    response = Client().get(BOARD)
    assert response.status_code == 302 and "login" in response["Location"]


def test_states_and_drill_down(world):
    build_street(world)
    rows = {r["community_code"]: r for r in dashboard.board(world.admin)["rows"]}
    assert rows["comm-a"]["state"] == dashboard.CRITICAL  # an open level II alarm
    assert rows["comm-b"]["state"] == dashboard.CRITICAL  # an open incident
    assert rows["comm-c"]["state"] == dashboard.NORMAL
    assert rows["comm-a"]["url"] == world.community_a.get_absolute_url()
    assert dashboard.state_of({"hazards_overdue": 1}) == dashboard.WARNING
    assert dashboard.state_of({"active_alerts": 1, "active_alert_level": 3}) == dashboard.WARNING
    assert dashboard.state_of({"active_alerts": 1, "active_alert_level": 1}) == dashboard.CRITICAL
    feature = next(f for f in page(world.office).get(DATA).json()["features"]
                   if f["properties"]["community_code"] == "comm-a")
    assert feature["properties"]["hex"] == dashboard.STATES[dashboard.CRITICAL]["hex"]
    assert feature["geometry"]["coordinates"] == [world.community_a.longitude,
                                                  world.community_a.latitude]
    # the drill-down link opens for the office
    assert page(world.office).get(feature["properties"]["url"]).status_code == 200


def test_htmx_refresh_returns_the_table_only(world):
    build_street(world)
    response = page(world.office).get(BOARD, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and 'id="street-rows"' in html
    assert "<html" not in html and 'id="street-map"' not in html
    assert 'data-community="comm-a"' in html and "25%" in html  # 1 of 4 acknowledged


def test_region_picker_for_a_district_office(world):
    district_office = _district_office(world)
    data = dashboard.board(district_office)
    assert [r.code for r in data["regions"]] == ["310101", "310101001", "310101002"]
    html = page(district_office).get(BOARD).content.decode()
    assert 'name="region"' in html and "Community C" in html
    chosen = page(district_office).get(DATA, {"region": "310101002"}).json()
    assert codes(chosen) == {"comm-c"}
    html = page(district_office).get(BOARD, {"region": "310101001"}).content.decode()
    assert "Community A" in html and "Community C" not in html
    # the street office of one street gets no picker
    assert "name=\"region\"" not in page(world.office).get(BOARD).content.decode()
    # a region outside the user's scope shows the scope, never more
    assert codes(page(world.office).get(DATA, {"region": "310101002"}).json()) == {
        "comm-a", "comm-b"}


def _district_office(world):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user("district", password="x")
    Membership.objects.create(user=user, role=Role.OFFICE, region=world.district)
    return user


def test_dashboard_queries_do_not_grow_with_communities(world):
    build_street(world)
    user = world.admin

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            dashboard.board(user)
        return len(ctx.captured_queries)

    before = count()
    street = Region.objects.get(code="310101001")
    for i in range(30):
        Community.objects.create(code=f"more-{i}", name=f"More {i}", region=street,
                                 latitude=31.2, longitude=121.4)
    assert count() == before


def test_pages_work_in_chinese_on_a_phone(world):
    client = page(world.office)
    client.cookies["django_language"] = "zh-hans"
    response = client.get(BOARD, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200
    assert 'name="viewport"' in response.content.decode()
    assert page(world.office).get("/street/rollups/").status_code == 200
    assert page(world.users["resident_a1"]).get("/street/exchange/").status_code == 200
