"""In a real browser: the map shows the shelter with its live occupancy and the evacuation routes,
and the occupancy changes on the open map when someone checks in, without a reload."""
import pytest

from resilience.core.testing import PASSWORD, build_world
from resilience.shelters import checkin, demo
from resilience.shelters.models import Shelter
from tests.browser.conftest import browser, require_browser  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser


def test_the_map_shows_live_shelter_occupancy_and_routes(transactional_db, live_server, browser):  # noqa: F811
    require_browser()
    world = build_world()
    demo.seed(world.community_a)
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "staff_a")
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]:has-text('Sign in')")
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/map/?community={world.community_a.pk}")
    page.wait_for_selector(".shelter-marker:has-text('0/200')", timeout=15000)
    page.wait_for_selector("path.leaflet-interactive[stroke-dasharray]", state="attached",
                           timeout=15000)
    page.evaluate("window.notReloaded = true")
    checkin.check_in(Shelter.objects.get(facility=world.shelter_a), walk_in_name="Li Wei")
    page.wait_for_selector(".shelter-marker:has-text('1/200')", timeout=25000)
    assert page.evaluate("window.notReloaded") is True
    assert errors == []
