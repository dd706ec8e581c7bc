"""The issue's path in a real browser: a community worker grades a risk and sees it red on the
four-colour map and the printable sheet; a grid worker on a phone inspects, fails an item, and the
hazard it becomes is assigned, rectified with a photo and verified."""
import datetime as dt
import struct
import zlib

import pytest
from django.utils import timezone

from resilience.core.testing import build_world
from resilience.risks.models import ChecklistItem, ChecklistTemplate, Hazard, InspectionPlan, RiskSource

pytestmark = pytest.mark.browser
RED = "#d1242f"
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def png(width: int = 8, height: int = 8, rgb=(209, 36, 47)) -> bytes:
    """A small solid-colour PNG, written by hand (no imaging library needed)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


@pytest.fixture
def world_with_a_due_inspection(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    world = build_world()
    shelter = world.shelter_a
    shelter.grid = world.grid_a1
    shelter.save()
    checklist = ChecklistTemplate.objects.create(community=world.community_a, name="Shelter check")
    ChecklistItem.objects.create(template=checklist, order=1, text="Exits are clear", rectify_days=3)
    ChecklistItem.objects.create(template=checklist, order=2, text="Emergency lights work",
                                 rectify_days=7)
    InspectionPlan.objects.create(community=world.community_a, template=checklist,
                                  facility=shelter, grid=world.grid_a1, frequency_days=30,
                                  next_due=timezone.localdate() - dt.timedelta(days=1))
    return world


def test_from_a_graded_risk_to_a_verified_hazard(world_with_a_due_inspection, live_server, browser,
                                                 results_dir, sign_in):
    world = world_with_a_due_inspection
    url = live_server.url

    # staff_a grades a new risk: 5 × 5 on the matrix is major, red
    staff = browser.new_context(viewport={"width": 1280, "height": 900})
    page = staff.new_page()
    sign_in(page, live_server, "staff_a")
    page.goto(f"{url}/risks/register/add/")
    page.fill("input[name=name]", "E-bike charging shed, Building A1")
    page.select_option("select[name=risk_type]", "ebike_fire")
    page.select_option("select[name=building]", str(world.building_a1.pk))
    page.fill("textarea[name=advice]", "Never charge an e-bike indoors or in the stairwell.")
    assert page.is_hidden("select[name=l]")  # the LEC inputs wait until LEC is chosen
    page.select_option("select[name=likelihood]", "5")
    page.select_option("select[name=consequence]", "5")
    page.wait_for_selector("#grade-preview [data-grade=major]")
    assert "25" in page.inner_text("#grade-preview")
    page.screenshot(path=str(results_dir / "risk-grade-form.png"), full_page=True)
    page.click("button:has-text('Save and grade')")
    page.wait_for_selector(".grade-large [data-grade=major]")
    risk = RiskSource.objects.get(name="E-bike charging shed, Building A1")
    assert (risk.grade, risk.colour, risk.assessments.count()) == ("major", "red", 1)
    page.screenshot(path=str(results_dir / "risk-detail.png"), full_page=True)

    # … sees it on the four-colour map in red
    page.goto(f"{url}/map/?community={world.community_a.pk}")
    page.wait_for_selector("#map[data-risks]", timeout=15000)
    page.wait_for_selector("#map[data-ready]")
    assert page.get_attribute("#map", "data-risks") == "1"
    assert page.locator(f".leaflet-risks-pane path[fill='{RED}']").count() == 1
    legend = page.locator(".risk-legend")
    assert "Major (1)" in legend.inner_text()
    assert page.get_by_label("Risks").is_checked()
    page.wait_for_timeout(800)  # let the zoom to the layers finish before the picture
    page.screenshot(path=str(results_dir / "risk-map.png"))
    legend.locator("input[value=major]").uncheck()  # the grade filter hides it
    assert page.get_attribute("#map", "data-risks-shown") == "0"
    legend.locator("input[value=major]").check()

    # … and opens the printable risk map
    page.click("a:has-text('Print the risk map')")
    page.wait_for_selector(".print-sheet svg")
    sheet = page.inner_text(".print-sheet")
    assert "Community A" in sheet and "E-bike charging shed" in sheet
    assert page.locator(f".print-map circle[fill='{RED}']").count() == 1
    assert page.locator("#legend li").count() >= 4
    page.emulate_media(media="print")
    page.screenshot(path=str(results_dir / "risk-map-print.png"), full_page=True)
    page.pdf(path=str(results_dir / "risk-map-print.pdf"), landscape=True, format="A4",
             print_background=True, prefer_css_page_size=True)
    page.emulate_media(media="screen")

    # grid_worker_a1, on a phone, starts the due inspection and fails an item
    phone = browser.new_context(**PHONE, geolocation={"latitude": 31.2321, "longitude": 121.4722},
                                permissions=["geolocation"])
    worker = phone.new_page()
    sign_in(worker, live_server, "grid_worker_a1")
    worker.goto(f"{url}/risks/inspections/due/")
    worker.wait_for_selector("text=Shelter A")
    worker.screenshot(path=str(results_dir / "inspections-due-phone.png"), full_page=True)
    worker.click(".due-list button:has-text('Start')")
    worker.wait_for_selector(".item-card")
    cards = worker.locator(".item-card")
    assert cards.count() == 2
    assert cards.nth(0).locator("input[type=file]").get_attribute("capture") == "environment"
    box = cards.nth(0).locator(".answer-buttons label").first.bounding_box()
    assert box["height"] >= 44  # a thumb hits it
    cards.nth(0).locator("label:has-text('Pass')").click()
    worker.click("button:has-text('Submit inspection')")  # item 2 unanswered
    worker.wait_for_selector(".item-card.has-error")
    assert "Answer this item" in worker.locator(".item-card").nth(1).inner_text()
    cards = worker.locator(".item-card")
    cards.nth(0).locator("label:has-text('Pass')").click()
    cards.nth(1).locator("label:has-text('Fail')").click()
    cards.nth(1).locator("textarea").fill("Two emergency lights on the 2nd floor are dead")
    worker.wait_for_function("() => document.querySelector('input[name=latitude]').value !== ''")
    worker.screenshot(path=str(results_dir / "inspection-phone.png"), full_page=True)
    worker.click("button:has-text('Submit inspection')")
    worker.wait_for_selector("#hazards-found a")
    hazard = Hazard.objects.get()
    assert hazard.title in worker.inner_text("#hazards-found")
    assert hazard.answer.inspection.latitude == pytest.approx(31.2321)
    worker.screenshot(path=str(results_dir / "inspection-result-phone.png"), full_page=True)

    # staff_a assigns it to the property company and the grid worker
    page.goto(f"{url}{hazard.get_absolute_url()}")
    page.click("[data-action=assign] summary")
    form = page.locator("[data-action=assign] form")
    form.locator("select[name=assign-responsible]").select_option(str(world.property_a.pk))
    form.locator("select[name=assign-assignee]").select_option(
        str(world.users["grid_worker_a1"].pk))
    form.locator("input[name=assign-deadline]").fill(
        (timezone.localdate() + dt.timedelta(days=3)).isoformat())
    form.locator("button[type=submit]").click()
    page.wait_for_selector("[data-status=assigned]")

    # the grid worker rectifies it with a photo; verifying is not theirs to do
    worker.goto(f"{url}{hazard.get_absolute_url()}")
    assert worker.locator("[data-action=verify]").count() == 0
    worker.click("[data-action=rectify] summary")
    rectify = worker.locator("[data-action=rectify] form")
    rectify.locator("textarea").fill("Replaced both lights")
    rectify.locator("input[type=file]").set_input_files(
        {"name": "lights.png", "mimeType": "image/png", "buffer": png()})
    rectify.locator("button[type=submit]").click()
    worker.wait_for_selector("[data-status=rectified]")
    assert worker.locator("[data-action=verify]").count() == 0
    worker.locator(".event-photo img").scroll_into_view_if_needed()
    worker.wait_for_function("() => document.querySelector('.event-photo img').naturalWidth === 8")
    worker.screenshot(path=str(results_dir / "hazard-rectified-phone.png"), full_page=True)

    # staff_a verifies: the hazard shows "verified"
    page.goto(f"{url}{hazard.get_absolute_url()}")
    page.click("[data-action=verify] summary")
    page.locator("[data-action=verify] button[type=submit]").click()
    page.wait_for_selector("[data-status=verified]")
    assert "verified" in page.inner_text(".page-head")
    hazard.refresh_from_db()
    assert hazard.status == "verified" and hazard.verified_by == world.users["staff_a"]
    assert list(hazard.events.values_list("action", flat=True)) == [
        "report", "assign", "rectify", "verify"]
    page.screenshot(path=str(results_dir / "hazard-verified.png"), full_page=True)
    page.goto(f"{url}/risks/hazards/")
    page.wait_for_selector("#hazard-summary h3")
    page.screenshot(path=str(results_dir / "hazard-list.png"), full_page=True)
    phone.close()
    staff.close()

    # a resident, on a phone, reads the main risks in plain words and finds the nearest shelter
    resident_context = browser.new_context(**PHONE)
    resident = resident_context.new_page()
    sign_in(resident, live_server, "resident_a1")
    resident.goto(f"{url}/risks/residents/")
    text = resident.inner_text("main")
    assert "Never charge an e-bike indoors" in text and "Shelter A" in text
    assert resident.evaluate("document.documentElement.scrollWidth") <= 390
    resident.screenshot(path=str(results_dir / "residents-phone.png"), full_page=True)
    resident_context.close()
