"""The street issue's "done when" for mutual aid and region-wide warnings, in a real browser:

community B's staff ask the street for bottled water on a phone → the street office signs in and
sees both communities (the command dashboard and the aid board) → moves 200 bottles of water from
community A to community B → lends three of A's volunteers to B → relays a district alert to both
communities → each community's staff sign in and see only their own community: A's ledger shows
−200 and B's +200, each board shows its own part of the alert, and the other community's pages
answer 404.
"""
import datetime as dt
from decimal import Decimal

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from resilience.alerts import delivery
from resilience.alerts import services as alerts
from resilience.core.testing import build_world
from resilience.people.models import Volunteer
from resilience.places.models import Facility
from resilience.relief import ledger
from resilience.relief.models import Item
from resilience.street import aid
from resilience.street.models import AidRequest, Broadcast, StockTransfer, VolunteerLoan
from resilience.street.vocab import AidKind, AidStatus

pytestmark = pytest.mark.browser
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
WATER = "Bottled water 550 ml"


@pytest.fixture
def street_ready(transactional_db, settings, tmp_path):
    """Water in both communities of the street (A has plenty), three more volunteers in A, B's
    request for three volunteers, and an upstream district warning relayed into A as a draft
    (waiting for review)."""
    settings.MEDIA_ROOT = tmp_path
    world = build_world()
    a, b = world.community_a, world.community_b
    soon = timezone.localdate() + dt.timedelta(days=60)
    for tag, community, code, quantity in (("a", a, "WA", 500), ("b", b, "WB", 40)):
        store = Facility.objects.create(community=community, kind="warehouse", code=code,
                                        name=f"Warehouse {community.code}")
        water = Item.objects.create(community=community, name=WATER, category="water",
                                    unit="bottle", perishable=True,
                                    per_capita_amount=Decimal("0.55"))
        ledger.receive(water, store, quantity, expires_on=soon)
        world.objects[f"store_{tag}"] = store
        world.objects[f"water_{tag}"] = water
    for n in (2, 3):
        Volunteer.objects.create(community=a, name=f"Volunteer A{n}", phone="13900000002")
    helpers = aid.open_request(world.staff_b, b, kind=AidKind.VOLUNTEERS, quantity=3,
                               reason="Door-to-door checks on the elderly")
    district = alerts.draft(None, a, source="cap", level=4, event_type="rainstorm",
                            headline="District rainstorm blue warning",
                            description="Heavy rain within six hours.")
    world.objects.update(helpers=helpers, district=district)
    return world


def test_office_moves_water_lends_volunteers_relays_a_warning_staff_see_their_own(
        street_ready, live_server, browser, results_dir, sign_in):
    world = street_ready
    url = live_server.url
    a, b = world.community_a, world.community_b

    # 1. B's staff ask the street for 200 bottles of water, on a phone.
    staff_b = browser.new_context(**PHONE).new_page()
    sign_in(staff_b, live_server, "staff_b")
    staff_b.goto(f"{url}/street/aid/new/")
    staff_b.check("input[name=kind][value=supplies]")
    staff_b.fill("input[name=item_name]", WATER)
    staff_b.fill("input[name=unit]", "bottle")
    staff_b.fill("input[name=quantity]", "200")
    staff_b.fill("textarea[name=reason]", "The water main burst")
    staff_b.click("#aid-request-form button[type=submit]")
    request = AidRequest.objects.get(community=b, kind=AidKind.SUPPLIES)
    staff_b.wait_for_url(f"{url}/street/aid/{request.pk}/")
    assert "The street office has not answered yet." in staff_b.content()
    staff_b.screenshot(path=str(results_dir / "street-ask-phone.png"), full_page=True)

    # 2. The street office sees both communities: on the dashboard and on the aid board.
    office = browser.new_context(**DESKTOP).new_page()
    sign_in(office, live_server, "office")
    try:
        dashboard = reverse("street_dashboard:board")
    except NoReverseMatch:
        dashboard = None
    if dashboard:
        office.goto(f"{url}{dashboard}")
        office.wait_for_selector("text=Community B")
        assert "Community A" in office.content()
    office.goto(f"{url}/street/aid/")
    chips = office.locator("#street-communities").inner_text()
    assert "Community A" in chips and "Community B" in chips and "Community C" not in chips

    # The office's request page, with its offers and the transfer form, fits a phone.
    phone = browser.new_context(**PHONE).new_page()
    sign_in(phone, live_server, "office")
    phone.goto(f"{url}/street/aid/{request.pk}/")
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    phone.screenshot(path=str(results_dir / "street-request-office-phone.png"), full_page=True)

    # 3. …moves 200 bottles of water from A to B from the request's page.
    office.click(f"li[data-request='{request.pk}'] h2 a")
    office.wait_for_url(f"{url}/street/aid/{request.pk}/")
    assert "Community A" in office.locator("#offers").inner_text()
    office.select_option("select[name=source]",
                         f"{world.water_a.pk}:{world.store_a.pk}")
    office.fill("input[name=quantity]", "200")
    office.click("#aid-answer button[type=submit]")
    office.wait_for_selector("text=Stock moved; both ledgers have it.")
    assert office.locator("#aid-status").inner_text() == "met"
    transfer = StockTransfer.objects.get()
    assert transfer.quantity == 200 and transfer.to_community == b

    # 4. …lends three of A's volunteers to B.
    office.goto(f"{url}/street/aid/{world.helpers.pk}/")
    for volunteer in Volunteer.objects.filter(community=a).order_by("name"):
        office.check(f"input[name=volunteers][value='{volunteer.pk}']")
    office.click("#aid-answer button[type=submit]")
    office.wait_for_selector("text=Volunteers lent.")
    assert VolunteerLoan.objects.filter(to_community=b, status="active").count() == 3
    world.helpers.refresh_from_db()
    assert world.helpers.status == AidStatus.MET
    office.screenshot(path=str(results_dir / "street-aid-office.png"), full_page=True)

    # 5. …relays the district's warning to both communities.
    office.goto(f"{url}/street/warnings/relay/?source={world.district.pk}")
    office.check("input[name=all_communities]")
    office.click("#broadcast-form button[type=submit]")
    office.wait_for_selector("text=Sent to 2 communities.")
    broadcast = Broadcast.objects.get()
    parts = {alert.community_id: alert for alert in broadcast.alerts.all()}
    assert set(parts) == {a.pk, b.pk}
    for alert in parts.values():
        alert.refresh_from_db()
        assert alert.state == "issued"
        delivery.fan_out(alert)  # what the worker does after the issue
    office.reload()
    assert office.locator(".broadcast-parts li").count() == 2

    # 6. A's staff: their ledger shows −200, their part of the warning; nothing of B's.
    staff_a = browser.new_context(**DESKTOP).new_page()
    sign_in(staff_a, live_server, "staff_a")
    staff_a.goto(f"{url}/relief/items/{world.water_a.pk}/")
    assert "-200" in staff_a.locator("table.stock-table").last.inner_text()
    staff_a.goto(f"{url}/alerts/alerts/{parts[a.pk].pk}/board/")
    assert "District rainstorm blue warning" in staff_a.content()
    water_b = Item.objects.get(community=b, name=WATER)
    for page in (f"/relief/items/{water_b.pk}/", f"/alerts/alerts/{parts[b.pk].pk}/board/",
                 f"/street/aid/{request.pk}/"):
        assert staff_a.goto(f"{url}{page}").status == 404, page
    staff_a.goto(f"{url}/street/aid/")
    assert "Community B" not in staff_a.content()

    # 7. B's staff, on the phone: +200 in their ledger, their part of the warning; nothing of A's.
    staff_b.goto(f"{url}/relief/items/{water_b.pk}/")
    assert "+200" in staff_b.locator("table.stock-table").last.inner_text()
    staff_b.goto(f"{url}/alerts/alerts/{parts[b.pk].pk}/board/")
    assert "District rainstorm blue warning" in staff_b.content()
    staff_b.screenshot(path=str(results_dir / "street-warning-board-phone.png"), full_page=True)
    for page in (f"/relief/items/{world.water_a.pk}/",
                 f"/alerts/alerts/{parts[a.pk].pk}/board/"):
        assert staff_b.goto(f"{url}{page}").status == 404, page
    assert staff_b.goto(f"{url}/street/aid/records/").status == 403
    assert ledger.available(a)[world.water_a.pk][world.store_a.pk] == Decimal(300)
    assert ledger.available(b)[water_b.pk][world.store_b.pk] == Decimal(240)
