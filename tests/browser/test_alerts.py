"""The early-warning issue's "done when", in a real browser, with the real worker and the fake SMS
gateway on loopback:

the simulator's fire scenario raises a smoke alarm in building A1 → staff turn the alarm into an
alert, make it orange (II) for buildings A1 and A2 and submit it → an admin approves it → the
worker fans it out and the residents' SMS reach the gateway → a resident taps the link in their
SMS and acknowledges → the board, open all along, shows it without a reload → the bedridden
resident who did not answer gets a follow-up task for their grid worker, who sees it on the
phone page "My tasks".
"""
import datetime as dt
import importlib
import re
import threading
import time

import pytest
from django.apps import apps
from django.utils import timezone

from resilience.alerts import channels, delivery
from resilience.alerts.fakegateway import FakeGateway
from resilience.alerts.models import Alert, AlertRecipient
from resilience.core.testing import build_world
from resilience.core.worker import Worker, load_handlers
from resilience.monitoring import ingest, rules
from resilience.monitoring.models import Alarm, Sensor
from resilience.monitoring.simulator import LEAD_IN, HttpPublisher, Simulator, load_sensors, run
from resilience.response.models import Task

pytestmark = pytest.mark.browser
SPEED = 5
LINK = re.compile(r"https?://\S+/a/[\w-]+")


@pytest.fixture
def stairwell(transactional_db):
    """Community A with a smoke detector in building A1's stairwell; resident A1 is bedridden."""
    world = build_world()
    importlib.import_module("resilience.monitoring.migrations.0003_default_rules") \
        .create_default_rules(apps, None)
    sensor = Sensor.objects.create(community=world.community_a, grid=world.grid_a1,
                                   building=world.building_a1, owner=world.property_a,
                                   code="comm-a-smoke-01", name="Building A1 stairwell smoke",
                                   kind="smoke", interval_seconds=60, latitude=31.23125,
                                   longitude=121.47125)
    world.resident_a1.vulnerability = '["bedridden"]'
    world.resident_a1.save()
    ingest.directory.clear()
    rules.engine.reset()
    return world, sensor


@pytest.fixture
def gateway(settings, live_server):
    with FakeGateway() as fake:
        settings.RESILIENCE_SMS_URL = f"{fake.url}/sms"
        settings.RESILIENCE_ALERT_CHANNELS = ["inapp", "sms"]
        settings.RESILIENCE_PUBLIC_URL = live_server.url
        channels.reset()
        yield fake
    channels.reset()


@pytest.fixture
def worker():
    load_handlers()
    running = Worker("browser-test", concurrency=4)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    yield running
    running.stop()
    thread.join(15)


def fire(url: str, token: str, stop: threading.Event) -> threading.Thread:
    simulator = Simulator(load_sensors("comm-a"), scenario="fire", speed=SPEED)
    thread = threading.Thread(target=run, args=(simulator, HttpPublisher(url, token), stop),
                              kwargs={"duration": (LEAD_IN + 40) / SPEED, "say": print})
    thread.start()
    return thread


def wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


def test_fire_alarm_to_orange_alert_to_acknowledgement_and_follow_up(
        stairwell, gateway, worker, live_server, browser, results_dir, sign_in):
    from rest_framework.authtoken.models import Token

    world, sensor = stairwell
    url = live_server.url
    token = Token.objects.create(user=world.users["staff_a"]).key

    # 1. The fire scenario raises the smoke alarm.
    stop = threading.Event()
    simulator = fire(url, token, stop)
    try:
        assert wait_for(lambda: Alarm.objects.filter(sensor=sensor).exists(), 30)
    finally:
        stop.set()
        simulator.join(15)
    alarm = Alarm.objects.filter(sensor=sensor).order_by("pk").first()

    # 2. Staff turn the alarm into an alert: orange, buildings A1 and A2; submit for approval.
    staff = browser.new_context(viewport={"width": 1280, "height": 900})
    page = staff.new_page()
    sign_in(page, live_server, "staff_a")
    page.goto(f"{url}/monitoring/alarms/{alarm.pk}/")
    page.click(f"form[action='/alerts/from-alarm/{alarm.pk}/'] button")
    page.wait_for_url(re.compile(r".*/alerts/alerts/\d+/edit/"))
    page.select_option("select[name=level]", "2")
    page.check("input[name=area_mode][value=buildings]")
    for building in (world.building_a1, world.building_a2):
        page.check(f"input[name=area_buildings][value='{building.pk}']")
    page.click("form.object-form button[type=submit], main form button[type=submit]")
    page.wait_for_url(re.compile(r".*/alerts/alerts/\d+/$"))
    alert = Alert.objects.get(alarm=alarm)
    assert alert.level == 2 and not alert.whole_community
    assert set(alert.area_buildings.all()) == {world.building_a1, world.building_a2}
    page.click("button[data-step=submit]")
    page.wait_for_selector("[data-state=pending], .status-badge:has-text('approval')")
    alert.refresh_from_db()
    assert alert.state == "pending"

    # The board, open before anything is sent; it must update without a reload.
    board = staff.new_page()
    board.goto(f"{url}/alerts/alerts/{alert.pk}/board/")
    board.evaluate("window.notReloaded = true")

    # 3. An admin (not the author) approves; the alert is issued.
    admin = browser.new_context(viewport={"width": 1280, "height": 900})
    approver = admin.new_page()
    sign_in(approver, live_server, "admin")
    approver.goto(f"{url}/alerts/alerts/{alert.pk}/")
    approver.click("button[data-step=approve]")
    approver.wait_for_selector("button[data-step=update], a[data-step=update]")
    alert.refresh_from_db()
    assert alert.state == "issued"

    # 4. The worker fans out and sends: every resident of A1 and A2 gets an SMS with a link.
    phones = {world.resident_a1.phone, world.resident_a2.phone}
    assert wait_for(lambda: phones <= {m["to"] for m in gateway.sms}, 30), gateway.sms
    message = next(m for m in gateway.sms if m["to"] == world.resident_a2.phone)
    assert "火警" in message["text"] or "Smoke" in message["text"] or alert.headline in message["text"]
    link = LINK.search(message["text"]).group(0)
    assert link.startswith(url)
    board.wait_for_function(
        "() => Number(document.querySelector('[data-count=reached]').textContent) >= 2",
        timeout=15_000)

    # 5. Resident A2 opens the link on a phone (no sign-in) and acknowledges.
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                has_touch=True)
    resident = phone.new_page()
    resident.goto(link)
    resident.wait_for_selector("button[data-ack=received]")
    assert resident.evaluate("document.documentElement.scrollWidth") <= 392
    resident.screenshot(path=str(results_dir / "alerts-ack-link-phone.png"), full_page=True)
    resident.click("button[data-ack=received]")
    resident.wait_for_selector(".ack-done")
    a2 = AlertRecipient.objects.get(alert=alert, resident=world.resident_a2, kind="resident")
    assert a2.acknowledged_at is not None and a2.ack_method == "link"

    # 6. The board shows it within a few seconds, without a reload.
    board.wait_for_function(
        "() => Number(document.querySelector('[data-count=acknowledged]').textContent) >= 1",
        timeout=10_000)
    assert board.evaluate("window.notReloaded") is True
    board.screenshot(path=str(results_dir / "alerts-board.png"), full_page=True)

    # 7. Resident A1 (bedridden) never answers: after the orange level's 15 minutes the
    #    follow-up job gives their grid worker a task, which they see on their phone.
    a1 = AlertRecipient.objects.get(alert=alert, resident=world.resident_a1, kind="resident")
    assert a1.acknowledged_at is None and a1.vulnerable
    later = alert.issued_at + dt.timedelta(minutes=delivery.FOLLOW_UP_MINUTES[2], seconds=1)
    assert delivery.follow_up(max(later, timezone.now())) == 1
    task = Task.objects.get(alert=alert, resident=world.resident_a1)
    assert task.assignee == world.users["grid_worker_a1"]
    helper = phone.new_page()
    sign_in(helper, live_server, "grid_worker_a1")
    helper.goto(f"{url}/response/tasks/mine/")
    helper.wait_for_selector(f"[data-task='{task.pk}']")
    assert "Resident A1" in helper.inner_text(f"[data-task='{task.pk}']")
    helper.screenshot(path=str(results_dir / "alerts-follow-up-task-phone.png"), full_page=True)
    for context in (staff, admin, phone):
        context.close()
