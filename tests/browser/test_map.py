"""The map shows the community's layers in a real browser, with no tile server."""
import pytest

from resilience.core.testing import PASSWORD, build_world
from resilience.places.models import Building

pytestmark = pytest.mark.browser


def sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form button[type=submit]:has-text('Sign in')")
    page.wait_for_url(f"{live_server.url}/")


def test_staff_sees_buildings_of_their_community_on_the_map(transactional_db, live_server,
                                                              browser, results_dir):
    world = build_world()
    expected = Building.objects.filter(community=world.community_a).count()
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    sign_in(page, live_server, "staff_a")

    page.goto(f"{live_server.url}/map/")
    page.wait_for_selector("#map[data-buildings]", timeout=15000)
    assert page.get_attribute("#map", "data-buildings") == str(expected) == "2"
    for label in ("Buildings", "Grids", "Facilities"):
        assert page.get_by_label(label).is_checked()
    page.wait_for_selector("#map[data-ready]")
    page.screenshot(path=str(results_dir / "map.png"), full_page=True)


def test_map_fits_a_phone(transactional_db, live_server, browser, results_dir):
    build_world()
    page = browser.new_page(viewport={"width": 390, "height": 844}, is_mobile=True,
                            has_touch=True)
    sign_in(page, live_server, "staff_a")
    page.goto(f"{live_server.url}/map/")
    page.wait_for_selector("#map[data-ready]", timeout=15000)
    box = page.locator("#map").bounding_box()
    assert box["width"] == pytest.approx(390, abs=2)
    assert box["height"] > 500  # the map takes the screen, not a strip of it
    page.screenshot(path=str(results_dir / "map-phone.png"))
