"""The resident portal: their own household, the warnings that reached them, the shelter and
route, their community's risks, where they land after signing in, both languages, few queries."""
from __future__ import annotations

import pytest
from django.urls import reverse

from resilience.alerts import channels, delivery
from resilience.alerts import services as alerts
from resilience.alerts.models import AlertRecipient
from resilience.core.models import AccessLogEntry
from resilience.core.roles import Role
from resilience.core.testing import PASSWORD
from resilience.participation import portal as service
from resilience.participation import services
from resilience.people.models import Membership, Resident
from resilience.places.models import Facility
from resilience.risks.models import RiskSource
from resilience.risks.services import assess
from resilience.shelters import evacuation
from resilience.shelters.graph import Segment, generate_for, haversine, node_key, save_edges
from resilience.shelters.models import PathEdge, Shelter, ShelterStatus

PORTAL = "/participation/portal/"


@pytest.fixture
def resident(world):
    """Resident A1 with an account (linked to their registry record), an emergency contact and a
    housemate; Resident A2 lives in another household."""
    person = world.resident_a1
    person.user = world.users["resident_a1"]
    person.emergency_contact_name = "Daughter Li"
    person.emergency_contact_phone = "13911112222"
    person.save()
    Resident.objects.create(community=world.community_a, household=world.household_a1,
                            name="Housemate A1", sex="male", birth_date="1990-01-01",
                            relationship="child", vulnerability='["disabled"]')
    return world.users["resident_a1"]


def issue_alert(world, settings, **fields):
    """A level III alert for community A, fanned out and sent in the app."""
    settings.RESILIENCE_ALERT_CHANNELS = ["inapp"]
    channels.reset()
    fields = {"level": 3, "event_type": "fire", "headline": "3号楼火警", "description": "3号楼起火",
              "instruction": "请沿楼梯撤离", "headline_en": "Fire in building 3",
              "description_en": "A fire", "instruction_en": "Leave by the stairs", **fields}
    alert = alerts.submit(alerts.draft(world.staff_a, world.community_a, **fields), world.staff_a)
    delivery.fan_out(alert)
    delivery.send_due("inapp", "test")
    channels.reset()
    return alert


def open_shelter(world, code: str, lat: float, lng: float) -> Shelter:
    facility = Facility.objects.create(community=world.community_a, kind="shelter", code=code,
                                       name=f"Shelter {code}", capacity=100, latitude=lat,
                                       longitude=lng, owner=world.property_a)
    shelter = Shelter.objects.get(facility=facility)
    shelter.status = ShelterStatus.OPEN
    shelter.save()
    return shelter


def in_english(client):
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    return client


# -- what the resident sees ------------------------------------------------------------------

def test_a_resident_sees_their_own_household_only(client, world, resident):
    client.force_login(resident)
    html = in_english(client).get(PORTAL).content.decode()
    assert "Resident A1" in html and "Housemate A1" in html
    assert "Resident A2" not in html and "Resident B1" not in html
    assert "Building A1" in html and "101" in html
    assert "elderly living alone" in html and "disabled" in html
    assert "Daughter Li" in html and "13911112222" in html  # their own contact, in full
    assert AccessLogEntry.objects.filter(user=resident, channel="portal").count() == 2


def test_the_alert_that_reached_them_shows_with_what_to_do_and_can_be_acknowledged(
        client, world, resident, settings):
    alert = issue_alert(world, settings)
    client.force_login(resident)
    html = in_english(client).get(PORTAL).content.decode()
    assert f'data-warning="{alert.pk}"' in html and "warning-yellow" in html
    assert "Fire in building 3" in html and "Leave by the stairs" in html
    recipient = AlertRecipient.objects.get(alert=alert, user=resident)
    response = client.post(reverse("participation:portal_ack", args=[recipient.pk]),
                           {"needs_help": ""})
    assert response.status_code == 302 and response["Location"].startswith(PORTAL)
    recipient.refresh_from_db()
    assert recipient.acknowledged_at and recipient.ack_method == "app"
    html = client.get(PORTAL).content.decode()
    assert "data-acknowledged" in html and 'data-ack="received"' not in html


def test_someone_elses_alert_is_neither_shown_nor_acknowledgeable(client, world, resident,
                                                                   settings):
    alert = issue_alert(world, settings)
    other = AlertRecipient.objects.filter(alert=alert).exclude(user=resident) \
        .exclude(user__isnull=True).first()
    client.force_login(world.users["resident_a1"])
    assert client.post(reverse("participation:portal_ack", args=[other.pk])).status_code == 404
    client.force_login(world.users["staff_b"])
    assert f'data-warning="{alert.pk}"' not in client.get(PORTAL).content.decode()


def test_a_cancelled_alert_is_no_longer_a_warning_now(client, world, resident, settings):
    alert = issue_alert(world, settings)
    alerts.cancel(alert, world.staff_a, note="out")
    client.force_login(resident)
    assert f'data-warning="{alert.pk}"' not in client.get(PORTAL).content.decode()


# -- the shelter ------------------------------------------------------------------------------

def test_the_nearest_shelter_is_chosen_by_walking_distance_on_the_graph(world, resident):
    b = world.building_a1
    home = (b.latitude, b.longitude)
    east = open_shelter(world, "E", b.latitude, b.longitude + 0.002)     # ~190 m, a direct path
    west = open_shelter(world, "W", b.latitude, b.longitude - 0.00125)   # ~119 m, a long detour
    north = (b.latitude + 0.004, b.longitude)
    north_west = (b.latitude + 0.004, b.longitude - 0.00125)
    points = [home, (b.latitude, b.longitude + 0.002), north, north_west,
              (b.latitude, b.longitude - 0.00125)]
    pairs = [(0, 1), (0, 2), (2, 3), (3, 4)]
    save_edges(world.community_a, [Segment(node_key(*points[i]), node_key(*points[j]),
                                           haversine(points[i], points[j])) for i, j in pairs],
               "imported")
    found = service.nearest_shelter(resident, world.household_a1)
    assert found["source"] == "graph" and found["shelter"] == east
    assert 180 < found["distance"] < 200 and found["minutes"] == pytest.approx(2.6, abs=0.1)
    assert found["legs"] == [("east", round(found["distance"]))]
    assert found["map"]["route"][0] == [b.latitude, b.longitude]

    PathEdge.objects.filter(to_lng=node_key(*points[1])[1]).update(blocked=True)
    found = service.nearest_shelter(resident, world.household_a1)
    assert found["shelter"] == west and found["distance"] > 900


def test_the_evacuation_plan_decides_when_there_is_one(world, resident):
    b = world.building_a1
    open_shelter(world, "E", b.latitude, b.longitude + 0.002)
    generate_for(world.community_a)
    evacuation.recompute(world.community_a)
    found = service.nearest_shelter(resident, world.household_a1)
    assert found["source"] == "plan" and found["shelter"].facility.code == "E"
    assert found["route"][-1] == [b.longitude + 0.002, b.latitude]


def test_without_a_graph_or_an_open_shelter_the_nearest_in_a_straight_line_is_shown(
        client, world, resident):
    found = service.nearest_shelter(resident, world.household_a1)
    assert found["source"] == "straight" and found["shelter"].facility == world.shelter_a
    assert not found["is_open"]
    client.force_login(resident)
    html = in_english(client).get(PORTAL).content.decode()
    assert "Shelter A" in html and "not open now" in html and 'id="portal-route"' in html
    assert "Arrive at Shelter A" in html


# -- risks, contacts, other sections ------------------------------------------------------------

def test_a_resident_of_community_b_sees_bs_risks_not_as(client, world):
    for community, name in ((world.community_a, "Garage A fire"),
                            (world.community_b, "Garage B fire")):
        assess(RiskSource(community=community, risk_type="fire", name=name), "matrix",
               {"likelihood": 5, "consequence": 5})
    assess(RiskSource(community=world.community_b, risk_type="fire", name="Low B"), "matrix",
           {"likelihood": 1, "consequence": 1})
    user = world.users["outsider"]
    Membership.objects.create(user=user, role=Role.RESIDENT, household=world.household_b1,
                              community=world.community_b)
    client.force_login(user)
    html = in_english(client).get(PORTAL).content.decode()
    assert "Garage B fire" in html and "Garage A fire" not in html
    assert "Low B" not in html  # the main risks only
    assert "Community B" in html and "Resident B1" in html and "Resident A1" not in html


def test_contacts_name_the_grid_worker_and_the_office(client, world, resident):
    world.community_a.phone = "021-6000 0000"
    world.community_a.save()
    Membership.objects.filter(user=world.users["grid_worker_a1"]).update(title="Grid A1 lead")
    client.force_login(resident)
    html = in_english(client).get(PORTAL).content.decode()
    for text in ('href="tel:110"', 'href="tel:119"', 'href="tel:120"', 'href="tel:122"',
                 "021-6000 0000", "grid_worker_a1", "Grid A1 lead"):
        assert text in html, text


def test_notices_and_reports_with_their_outcome(client, world, resident):
    import datetime as dt

    from django.utils import timezone

    from resilience.participation.models import Notice

    for n in range(4):
        Notice.objects.create(community=world.community_a, title=f"Notice {n}", body="<p>b</p>",
                              publish_at=timezone.now() - dt.timedelta(hours=n + 1))
    report = services.file_report(resident, kind="hazard", description="Blocked fire exit")
    services.triage(report, world.staff_a, outcome="hazard", note="Sent to property")
    client.force_login(resident)
    html = in_english(client).get(PORTAL).content.decode()
    assert "Notice 0" in html and "Notice 2" in html and "Notice 3" not in html
    assert "Blocked fire exit" in html and 'data-outcome="hazard"' in html
    assert reverse("participation:report_new") in html


def test_someone_without_a_household_gets_the_page_without_household_sections(client, world):
    client.force_login(world.users["grid_worker_a1"])
    response = client.get(PORTAL)
    html = response.content.decode()
    assert response.status_code == 200 and 'id="household"' not in html and 'id="risks"' in html


# -- landing, languages, speed ------------------------------------------------------------------

def test_residents_land_on_the_portal_after_signing_in(client, world, resident):
    response = client.post(reverse("login"), {"username": "resident_a1", "password": PASSWORD})
    assert response.status_code == 302
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert [t.name for t in page.templates][0] == "participation/portal.html"


def test_staff_landing_is_unchanged(client, world):
    response = client.post(reverse("login"), {"username": "staff_a", "password": PASSWORD})
    page = client.get(response["Location"])
    assert page.templates[0].name == "core/dashboard.html" and "cards" in page.context
    Membership.objects.create(user=world.users["staff_a"], role=Role.RESIDENT,
                              household=world.household_a2)  # a staff member who lives there
    client.force_login(world.users["staff_a"])
    assert client.get("/").templates[0].name == "core/dashboard.html"


def test_the_page_is_chinese_by_default_and_english_on_the_switch(client, world, resident,
                                                                   settings):
    issue_alert(world, settings)
    client.force_login(resident)
    response = client.get(PORTAL, HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response["Content-Language"] == "zh-hans" and '<html lang="zh-hans">' in html
    assert "3号楼火警" in html and "请沿楼梯撤离" in html and "燃气泄漏" in html
    html = in_english(client).get(PORTAL).content.decode()
    assert '<html lang="en">' in html and "Leave by the stairs" in html and "Gas leak" in html


def test_an_english_speaking_resident_gets_english_without_the_switch(client, world, resident):
    world.resident_a1.language = "en"
    world.resident_a1.save()
    client.force_login(resident)
    html = client.get(PORTAL).content.decode()
    assert '<html lang="en">' in html and "What to do in an emergency" in html


def test_the_portal_needs_few_queries(client, world, resident, settings,
                                      django_assert_max_num_queries):
    issue_alert(world, settings)
    b = world.building_a1
    open_shelter(world, "E", b.latitude, b.longitude + 0.002)
    generate_for(world.community_a)
    evacuation.recompute(world.community_a)
    services.file_report(resident, kind="hazard", description="x")
    client.force_login(resident)
    in_english(client).get(PORTAL)
    with django_assert_max_num_queries(18):  # 14 measured: session, user, portal
        assert client.get(PORTAL).status_code == 200
