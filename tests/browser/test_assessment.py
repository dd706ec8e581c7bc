"""The assessment issue's "done when", in a real browser:

staff of community A run an assessment, open the report and see the weakest indicators — the
shelter holds 2 people for 32 residents — and run an earthquake stress test that finds shelter
places short; they raise the shelter's capacity on the facility page, then, on a phone
(390×844), run the assessment again and the stress test again: the score goes up, "why did it
change" names the shelter places, and the stress test's shortfall of shelter places shrinks.
"""
import datetime as dt

import pytest
from django.urls import reverse

from resilience.assessment.models import AssessmentRun, StressTest
from resilience.core.testing import build_world, make_id_number
from resilience.people.models import Resident

pytestmark = pytest.mark.browser
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
SHELTER_INDICATOR = "shelter_places_per_resident"


@pytest.fixture
def crowded(transactional_db):
    """Community A with 32 residents and a shelter for 2 of them."""
    world = build_world()
    a = world.community_a
    for n in range(30):
        birth = dt.date(1960, 1, 1) + dt.timedelta(days=97 * n)
        Resident.objects.create(
            community=a, household=world.household_a1 if n % 2 else world.household_a2,
            name=f"Resident {n}", sex="male", birth_date=birth,
            id_number=make_id_number(birth, 500 + n, female=False), phone="",
            vulnerability='["elderly"]' if n % 5 == 0 else "")
    world.shelter_a.capacity = 2
    world.shelter_a.save()
    return world


def latest_run(community) -> AssessmentRun:
    return AssessmentRun.objects.filter(community=community).order_by("-at", "-id").first()


def test_assess_report_improve_shelter_and_see_score_and_stress_test_improve(
        crowded, live_server, browser, results_dir, sign_in):
    world = crowded
    url = live_server.url
    a = world.community_a

    # 1. Staff run the first assessment from the assessment home (their community's page).
    desk = browser.new_context(**DESKTOP).new_page()
    sign_in(desk, live_server, "staff_a")
    desk.goto(f"{url}/assessment/")
    desk.wait_for_url(f"{url}{reverse('assessment:community', args=[a.pk])}")
    desk.click("#run-assessment")
    desk.wait_for_selector("#indicator-table")
    first = latest_run(a)
    assert first.score is not None
    assert desk.locator(f"#indicator-table tr[data-code={SHELTER_INDICATOR}]").count() == 1

    # 2. The report shows the score, the radar and the weakest indicators, shelter places among
    #    them with a recommendation.
    desk.goto(f"{url}{reverse('assessment:community', args=[a.pk])}")
    desk.click("#open-report")
    desk.wait_for_selector("#weakest")
    assert desk.locator("#radar svg").count() == 1
    assert desk.locator("#building-map svg, .panel svg.chart").count() >= 1
    weak = desk.locator(f"#weakest li[data-code={SHELTER_INDICATOR}]")
    assert weak.count() == 1 and weak.locator(".advice").inner_text().strip()
    desk.screenshot(path=str(results_dir / "assessment-report.png"), full_page=True)

    # 3. An earthquake stress test finds shelter places short.
    desk.goto(f"{url}{reverse('assessment:stress_new', args=[a.pk])}?kind=earthquake")
    desk.fill("#stress-form input[name=intensity]", "9")
    desk.click("#stress-form button[type=submit]")
    desk.wait_for_selector("#figures")
    quake = StressTest.objects.get(community=a, kind="earthquake")
    short_before = quake.result["shelter_places_short"]
    assert short_before and short_before > 0

    # 4. They raise the shelter's capacity on the existing facility page.
    desk.goto(f"{url}{reverse('places:facility_edit', args=[world.shelter_a.pk])}")
    desk.fill("input[name=capacity]", "40")
    desk.click("form button[type=submit]:has-text('Save')")
    desk.wait_for_load_state()
    world.shelter_a.refresh_from_db()
    assert world.shelter_a.capacity == 40

    # 5. On a phone: run the assessment again; the score rises and the shelter places explain it.
    phone = browser.new_context(**PHONE).new_page()
    sign_in(phone, live_server, "staff_a")
    phone.goto(f"{url}{reverse('assessment:community', args=[a.pk])}")
    phone.click("#run-assessment")
    phone.wait_for_selector("#why-changed")
    second = latest_run(a)
    assert second.pk != first.pk and second.score > first.score
    assert phone.locator(f"#why-changed tr[data-code={SHELTER_INDICATOR}]").count() == 1
    assert float(phone.locator("#score-delta").inner_text()) > 0
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390 + 1, "the run page fits a phone without sideways scrolling"
    phone.screenshot(path=str(results_dir / "assessment-rerun-phone.png"))

    # 6. The stress test run again: fewer shelter places short, marked better.
    phone.goto(f"{url}{reverse('assessment:stress_detail', args=[quake.pk])}")
    phone.click("#run-again")
    phone.wait_for_selector("#comparison")
    again = StressTest.objects.filter(community=a, kind="earthquake").order_by("-at", "-id")[0]
    assert again.pk != quake.pk
    assert again.result["shelter_places_short"] < short_before
    row = phone.locator("#comparison tr[data-key=shelter_places_short]")
    assert "verdict-better" in row.locator("td").last.get_attribute("class")
    # the community page lists the stress test with its comparison
    phone.goto(f"{url}{reverse('assessment:community', args=[a.pk])}")
    assert phone.locator("#stress-panel .verdict-better").count() >= 1
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390 + 1
