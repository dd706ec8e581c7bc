"""The participation issue's "done when", on a phone-sized browser with the fake SMS gateway:

a resident signs in with the code the gateway received → the portal shows the warning that
reached them and the walk to their shelter on a map and in words → they report a hazard with a
photo and their position → they vote in the open consultation → staff triage the report into a
hazard, close the vote with the quorum met and publish the result → the resident sees both.
"""
from __future__ import annotations

import re
import time
from pathlib import Path

import datetime as dt

import pytest
from django.utils import timezone

from resilience.alerts import channels, delivery
from resilience.alerts import services as alerts
from resilience.alerts.fakegateway import FakeGateway
from resilience.core.testing import build_world
from resilience.participation import consultations
from resilience.participation.models import Ballot, Consultation, Report
from resilience.participation.tests.conftest import png_bytes
from resilience.shelters import evacuation, graph
from resilience.shelters.models import Shelter, ShelterStatus

pytestmark = pytest.mark.browser
SHOTS = Path(__file__).resolve().parents[2] / "test-results"  # screenshots to check by eye
CODE = re.compile(r"\b(\d{6})\b")
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True,
         "locale": "zh-CN", "geolocation": {"latitude": 31.23126, "longitude": 121.47126},
         "permissions": ["geolocation"]}


@pytest.fixture
def community(transactional_db, settings):
    """Community A with its shelter open, walking paths, the evacuation plan, and an orange
    alert issued to building A1, where resident A1 (with an account) lives."""
    world = build_world()
    resident = world.resident_a1
    resident.user = world.users["resident_a1"]
    resident.save()
    shelter = Shelter.objects.get(facility=world.shelter_a)
    shelter.status = ShelterStatus.OPEN
    shelter.save()
    graph.generate_for(world.community_a)
    evacuation.recompute(world.community_a)
    settings.RESILIENCE_ALERT_CHANNELS = ["inapp"]
    channels.reset()
    alert = alerts.draft(world.staff_a, world.community_a, level=2, event_type="fire",
                         headline="1号楼火警", description="1号楼楼道冒烟",
                         instruction="请沿楼梯撤离到避难场所", headline_en="Fire in building 1",
                         description_en="Smoke in the stairwell",
                         instruction_en="Leave by the stairs")
    alert = alerts.submit(alert, world.staff_a)
    alert = alerts.approve(alert, world.users["admin"])
    delivery.fan_out(alert)
    delivery.send_due("inapp", "browser-test")
    vote = Consultation.objects.create(
        community=world.community_a, title="加装电动自行车充电棚", body="<p>东门绿地旁</p>",
        opens_at=timezone.now() - dt.timedelta(hours=1),
        closes_at=timezone.now() + dt.timedelta(days=3), quorum_percent=50, secret=True)
    consultations.write_options(vote, [{"label": "同意"}, {"label": "不同意"},
                                       {"label": "弃权", "abstain": True}])
    return world, alert, vote


@pytest.fixture
def gateway(settings, live_server):
    with FakeGateway() as fake:
        settings.RESILIENCE_SMS_URL = f"{fake.url}/sms"
        settings.RESILIENCE_PUBLIC_URL = live_server.url
        channels.reset()
        yield fake
    channels.reset()


def shot(page, name: str) -> None:
    try:
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / name), full_page=True)
    except OSError:
        pass


def code_for(gateway, number: str, timeout: float = 10) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in reversed(gateway.sms):
            if message["to"] == number and (match := CODE.search(message["text"])):
                return match.group(1)
        time.sleep(0.1)
    raise AssertionError(f"no code reached {number}: {gateway.sms}")


def no_sideways_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 392


def test_a_resident_signs_in_by_phone_sees_the_warning_and_route_reports_and_sees_the_outcome(
        community, gateway, live_server, browser, sign_in):
    world, alert, vote = community
    url = live_server.url

    # 1. Phone sign-in: the number, then the code the gateway received.
    phone = browser.new_context(**PHONE)
    page = phone.new_page()
    page.goto(f"{url}/login/phone/")
    page.fill("input[name=phone]", world.resident_a1.phone)
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{url}/login/phone/code/")
    page.fill("input[name=code]", code_for(gateway, world.resident_a1.phone))
    page.click("main form button[type=submit]")
    page.wait_for_url(f"{url}/")

    # 2. They land on their portal, in Chinese: the warning with what to do, and the route.
    warning = page.locator(f"#warnings [data-warning='{alert.pk}']")
    warning.wait_for()
    assert "1号楼火警" in warning.inner_text() and "请沿楼梯撤离到避难场所" in warning.inner_text()
    assert page.get_attribute("html", "lang") == "zh-hans"
    assert "Shelter A" in page.inner_text("#shelter")
    page.wait_for_selector("#portal-map[data-ready=true] path.leaflet-interactive",
                           state="attached")
    assert page.locator("#shelter ol.route-steps li").count() >= 2
    assert no_sideways_scroll(page)
    shot(page, "portal-phone.png")
    page.set_viewport_size({"width": 375, "height": 812})  # the narrowest phone we design for
    assert page.evaluate("document.documentElement.scrollWidth") <= 377
    page.set_viewport_size(PHONE["viewport"])
    page.click(f"#warnings [data-warning='{alert.pk}'] button[data-ack=received]")
    page.wait_for_selector(f"#warnings [data-warning='{alert.pk}'] [data-acknowledged]")

    # 3. A hazard report with a photo and the phone's position.
    page.click("a[data-portal=report]")
    page.wait_for_url(f"{url}/participation/reports/new/")
    page.check("input[name=kind][value=hazard]")
    page.fill("textarea[name=description]", "3楼楼道堆放杂物，堵住了消防通道")
    page.set_input_files("input[name=photo]", {"name": "corridor.png", "mimeType": "image/png",
                                               "buffer": png_bytes()})
    page.wait_for_function(
        "() => document.querySelector('input[name=latitude]').value !== ''", timeout=10_000)
    assert no_sideways_scroll(page)
    page.click("#report-form button[type=submit]")
    page.wait_for_url(f"{url}/participation/reports/mine/")
    report = Report.objects.get(reporter=world.users["resident_a1"])
    assert report.photo and abs(report.latitude - 31.23126) < 1e-4 and report.status == "new"

    # 4. They vote in the open consultation, found from the portal.
    page.goto(f"{url}/participation/portal/")
    page.click("a[data-portal=consultations]")
    page.click(f"a[href$='/consultations/{vote.pk}/vote/']")
    agree = vote.options.get(label="同意")
    page.check(f"#ballot input[value='{agree.pk}']")
    page.click("#ballot button[type=submit]")
    page.wait_for_selector("#ballot", state="detached")
    assert Ballot.objects.filter(consultation=vote, household=world.household_a1).count() == 1
    assert no_sideways_scroll(page)

    # 5. Staff triage the report into a hazard.
    office = browser.new_context(viewport={"width": 1280, "height": 900})
    staff = office.new_page()
    sign_in(staff, live_server, "staff_a")
    staff.goto(f"{url}/participation/reports/{report.pk}/")
    staff.select_option("#report-triage select[name=outcome]", "hazard")
    staff.fill("#report-triage textarea[name=note]", "Property company to clear it today")
    staff.click("#report-triage button[type=submit]")
    staff.wait_for_selector("#report-triage", state="detached")
    report.refresh_from_db()
    assert report.outcome == "hazard" and report.hazard is not None

    # 6. Staff close the vote early (with a reason): the quorum is met; they publish the result.
    staff.goto(f"{url}{vote.get_absolute_url()}")
    staff.fill("form[action$='/close/'] textarea[name=reason]", "所有有投票权的住户均已投票")
    staff.click("form[action$='/close/'] button[type=submit]")
    staff.wait_for_selector("#consultation-results")
    vote.refresh_from_db()
    assert vote.closed_at and vote.result["quorum_met"] and vote.result["decided"]
    staff.click("form[action$='/publish/'] button[type=submit]")
    staff.wait_for_selector("form[action$='/publish/']", state="detached")

    # 7. The resident sees the report's outcome on the portal and the published result.
    page.goto(f"{url}/participation/portal/")
    page.wait_for_selector(f"#reports [data-report='{report.pk}'] [data-outcome=hazard]")
    shot(page, "portal-report-outcome.png")
    page.goto(f"{url}/participation/consultations/{vote.pk}/vote/")
    results = page.locator("#consultation-results")
    results.wait_for()
    assert "同意" in results.inner_text()
    shot(page, "portal-vote-result.png")
    for context in (phone, office):
        context.close()
