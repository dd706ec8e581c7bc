"""Issue 12's demo story in a real browser: with a garage water-level sensor's page open, the
simulator's flood scenario posts readings to the API; the page's forecast panel says when the
water "reaches 30 cm", the forecast pre-alarm opens before the 30 cm threshold alarm, and both
show on the page without a reload.

Every wait is on a condition, bounded by ``GIVE_UP_SECONDS`` (a failure bound, not a speed
claim); the simulator runs slower than real time so the rise lasts long enough for the panel's
refresh (every few seconds) to catch the forecast on a busy machine."""
import importlib
import threading

import pytest
from django.apps import apps

from resilience.core.testing import build_world
from resilience.demo.sensors import early_warning_rules
from resilience.monitoring import ingest, rules
from resilience.monitoring.models import Alarm, Sensor
from resilience.monitoring.simulator import HttpPublisher, Simulator, load_sensors, run
from resilience.places.models import Facility

pytestmark = pytest.mark.browser
SPEED = 0.5          # the flood's rise from 5 to 30 cm takes about a minute of wall time
GIVE_UP_SECONDS = 180


@pytest.fixture
def garage_sensor(transactional_db):
    """Community A with an underground garage, its water-level sensor, the platform thresholds
    (10 cm, 30 cm) and the garage early-warning rules the demo gives every community."""
    world = build_world()
    importlib.import_module("resilience.monitoring.migrations.0003_default_rules") \
        .create_default_rules(apps, None)
    garage = Facility.objects.create(community=world.community_a, grid=world.grid_a1,
                                     kind="underground_garage", code="G1", name="Garage A1",
                                     owner=world.property_a, latitude=31.2312,
                                     longitude=121.4712)
    sensor = Sensor.objects.create(community=world.community_a, grid=world.grid_a1,
                                   facility=garage, owner=world.property_a,
                                   code="comm-a-water-level-01", name="Garage ramp water level",
                                   kind="water_level", interval_seconds=60,
                                   latitude=31.23121, longitude=121.47121)
    early_warning_rules(world.community_a)
    ingest.directory.clear()
    rules.engine.reset()
    return world, sensor


def test_the_flood_shows_a_forecast_and_a_pre_alarm_before_the_threshold_alarm(
        garage_sensor, live_server, browser, results_dir, sign_in):
    from rest_framework.authtoken.models import Token

    world, sensor = garage_sensor
    token = Token.objects.create(user=world.users["staff_a"]).key
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    sign_in(page, live_server, "staff_a")
    page.goto(f"{live_server.url}/monitoring/sensors/{sensor.pk}/")
    page.wait_for_selector("#sensor-outlook")
    page.evaluate("window.notReloaded = true")

    simulator = Simulator(load_sensors("comm-a"), scenario="flood", speed=SPEED)
    stop = threading.Event()
    worker = threading.Thread(target=run, args=(simulator, HttpPublisher(live_server.url, token),
                                                stop), kwargs={"say": print})
    worker.start()
    try:
        # The forecast panel (refreshed by the page itself) names the limit and the time left.
        page.wait_for_function(
            "() => /Garage ramp water level reaches 30 cm in about \\d+ (seconds|minutes?)/"
            ".test(document.getElementById('sensor-outlook').innerText)",
            timeout=GIVE_UP_SECONDS * 1000)
        forecast = page.inner_text("#sensor-outlook")
        page.screenshot(path=str(results_dir / "prediction-flood-forecast.png"), full_page=True)
        # The threshold alarm at 30 cm (II) arrives on the open page…
        page.wait_for_selector("#sensor-alarms li[data-level='2']",
                               timeout=GIVE_UP_SECONDS * 1000)
    finally:
        stop.set()
        worker.join(10)
    print(f"forecast panel: {forecast!r}")

    # …after the pre-alarm, which said when the water would get there.
    pre = Alarm.objects.get(sensor=sensor, rule__name="Garage flooding forecast")
    flooding = Alarm.objects.get(sensor=sensor, rule__name="Underground garage flooding")
    assert pre.level == 3 and flooding.level == 2
    assert pre.opened_at < flooding.opened_at
    assert "forecast to reach 30 cm in about" in pre.message
    page.wait_for_selector("#sensor-alarms li[data-level='3']:has-text('forecast to reach 30 cm')")
    assert page.evaluate("window.notReloaded") is True
    print(f"pre-alarm {(flooding.opened_at - pre.opened_at).total_seconds():.0f} s before the "
          f"threshold alarm: {pre.message}")
    page.screenshot(path=str(results_dir / "prediction-flood-alarms.png"), full_page=True)
