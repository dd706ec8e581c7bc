"""The relief issue's "done when", in a real browser:

a needs survey is open in community A and a resident answers it on a phone → residents' requests
come in (the resident files one on the phone page, others are already waiting) → staff see the
priorities explained on the request list → staff plan batches on the dispatch page and confirm
them → the volunteer, on a phone (390×844), opens "My deliveries", reveals the phone number of
the person, marks the request picked up and delivered with a note → the stock and the days of
autonomy go down by what was delivered → the committee's needs board shows what is still unmet:
the request no helper could take and the one stock could not cover.
"""
import re
from decimal import Decimal

import pytest

from resilience.core.testing import build_world
from resilience.places.models import Facility
from resilience.relief import ledger, norms, surveys
from resilience.relief import requests as service
from resilience.relief.models import Item, NeedRequest, Survey, SurveyResponse
from resilience.relief.vocab import NeedKind, QuestionKind, RequestStatus, Urgency

pytestmark = pytest.mark.browser
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest.fixture
def lockdown_ready(transactional_db, settings, tmp_path):
    """Community A: water and milk powder in a warehouse, the default norms, an open needs
    survey, volunteer A (logistics, available any time), and two requests already waiting —
    a psychological one (no volunteer has the skill) and one for more milk powder than there is."""
    settings.MEDIA_ROOT = tmp_path
    world = build_world()
    a = world.community_a
    world.volunteer_a.availability = "anytime"
    world.volunteer_a.skills = ["logistics"]
    world.volunteer_a.save()
    norms.install_defaults()
    store = Facility.objects.create(community=a, kind="warehouse", code="W1", name="Warehouse A",
                                    latitude=31.2312, longitude=121.4712)
    water = Item.objects.create(community=a, name="Bottled water 550 ml", category="water",
                                unit="bottle", per_capita_amount=Decimal("0.55"))
    milk = Item.objects.create(community=a, name="Milk powder", category="baby", unit="tin")
    ledger.receive(water, store, 200)
    ledger.receive(milk, store, 1)
    survey = Survey.objects.create(community=a, title="Lockdown needs survey")
    surveys.add_question(survey, text="What does your household need most?",
                         kind=QuestionKind.CHOICE, choices=["Water", "Food", "Medicine"],
                         needs={"Water": NeedKind.FOOD, "Medicine": NeedKind.MEDICINE})
    surveys.open_survey(survey)
    service.file_request(world.staff_a, household=world.household_a2,
                         kind=NeedKind.PSYCHOLOGICAL, urgency=Urgency.HIGH,
                         description="Anxious, cannot sleep")
    service.file_request(world.staff_a, household=world.household_a2, kind=NeedKind.FOOD,
                         item=milk, quantity=Decimal(3), description="Milk powder for the baby")
    world.objects.update(survey=survey, water=water, store=store)
    return world


def water_days(community) -> Decimal:
    return next(r["days"] for r in norms.autonomy(community) if r["category"] == "water")


def test_survey_requests_priorities_dispatch_delivery_stock_and_unmet_needs(
        lockdown_ready, live_server, browser, results_dir, sign_in):
    world = lockdown_ready
    url = live_server.url
    a = world.community_a
    days_before = water_days(a)

    # 1. The resident answers the open needs survey on their phone.
    resident = browser.new_context(**PHONE).new_page()
    sign_in(resident, live_server, "resident_a1")
    resident.goto(f"{url}/relief/surveys/{world.survey.pk}/answer/")
    resident.check("input[type=radio][value=Water]")
    resident.click("form.phone-form button[type=submit]")
    resident.wait_for_load_state()
    assert SurveyResponse.objects.filter(survey=world.survey, household=world.household_a1).exists()

    # 2. …and asks for twelve bottles of water, within hours, on the phone request page.
    resident.goto(f"{url}/relief/requests/new/")
    resident.check("input[name=kind][value=food]")
    resident.select_option("select[name=urgency]", "3")
    resident.select_option("select[name=item]", str(world.water.pk))
    resident.fill("input[name=quantity]", "12")
    resident.fill("textarea[name=description]", "Water for two elderly people")
    resident.click("#request-form button[type=submit]")
    resident.wait_for_url(f"{url}/relief/requests/mine/")
    assert resident.locator(".phone-card").first.inner_text().lower().count("food") >= 1
    request = NeedRequest.objects.get(household=world.household_a1)
    resident.screenshot(path=str(results_dir / "relief-request-phone.png"), full_page=True)

    # 3. Staff see the requests ranked, each priority explained part by part.
    staff = browser.new_context(**DESKTOP).new_page()
    sign_in(staff, live_server, "staff_a")
    staff.goto(f"{url}/relief/requests/?status=open")
    table = staff.locator("table").inner_text()
    assert "urgency: within hours (+35)" in table
    assert "resident: elderly living alone (+10)" in table

    # 4. Staff plan batches, review them and confirm: the water request goes to volunteer A.
    staff.goto(f"{url}/relief/dispatch/?community={a.pk}")
    staff.click("#plan-batches")
    staff.wait_for_selector("section.batch")
    assert "Warehouse A" in staff.locator("section.batch").first.inner_text()
    staff.click("#confirm-all")
    staff.wait_for_selector("text=requests assigned")
    request.refresh_from_db()
    assert request.status == RequestStatus.ASSIGNED and request.volunteer == world.volunteer_a

    # 5. The volunteer, on a phone: route-ordered stops, the phone shown on demand, picked up,
    #    delivered with a note.
    volunteer = browser.new_context(**PHONE).new_page()
    sign_in(volunteer, live_server, "volunteer_a")
    volunteer.goto(f"{url}/relief/my-deliveries/")
    card = volunteer.locator(f"li[data-request='{request.pk}']")
    assert "Bottled water 550 ml (bottle) × 12 (Warehouse A)" in card.inner_text()
    masked = card.locator(f"#phone-{request.pk}").inner_text()
    assert "****" in masked and "13800000001" not in masked
    card.locator("button.reveal-phone").click()
    volunteer.wait_for_selector(f"#phone-{request.pk} a.phone")
    assert card.locator("a.phone").inner_text() == "13800000001"
    volunteer.screenshot(path=str(results_dir / "relief-deliveries-phone.png"), full_page=True)
    card.locator("button[data-step=pickup]").click()
    volunteer.wait_for_selector(f"li[data-request='{request.pk}'].status-in_delivery")
    card = volunteer.locator(f"li[data-request='{request.pk}']")
    card.locator("input[name=note]").fill("Handed to the resident at the door")
    card.locator("button[data-step=deliver]").click()
    volunteer.wait_for_selector("text=No deliveries for you now.")
    request.refresh_from_db()
    assert request.status == RequestStatus.FULFILLED
    assert request.proof_note == "Handed to the resident at the door"

    # 6. The stock and the days of autonomy went down by what was delivered.
    assert ledger.available(a)[world.water.pk][world.store.pk] == Decimal(188)
    assert water_days(a) < days_before
    staff.goto(f"{url}/relief/autonomy/?community={a.pk}")
    assert re.search(r"\d", staff.locator(".autonomy-days").inner_text())

    # 7. The needs board shows what is still unmet: no helper for the psychological request,
    #    not enough milk powder for the other.
    staff.goto(f"{url}/relief/needs/?community={a.pk}")
    assert "Building A2" in staff.locator("#needs-by-building").inner_text()
    assert "Psychological help" in staff.locator("#shortfall-helpers").inner_text()
    assert "Milk powder" in staff.locator("#shortfall-stock").inner_text()
    staff.screenshot(path=str(results_dir / "relief-needs-board.png"), full_page=True)
