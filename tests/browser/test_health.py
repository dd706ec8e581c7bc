"""The community-health issue's "done when", in a real browser, on the health demo seed:

a health worker finds the dialysis patient in the archive list (filter "dialysis", soonest
follow-up first), opens the archive — the opening is in the access log — sees the next
follow-up (due today) and records it; the next one moves a care-plan interval on → staff start
a roll-call in the patient's grid: the board lists the resident with a tag ("health need") and
no condition, medication or device text; the helper's phone list neither → after the demo
incident (closed, in the patient's building) the screening round lists the affected residents,
vulnerable first; on a phone the health worker records a PHQ-9 / GAD-7 screening (a missing
answer is refused first, nothing written), refers the resident and tracks the referral from
open through accepted to closed.
"""
import datetime as dt
import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from resilience.core.models import AccessLogEntry
from resilience.core.testing import build_world, make_id_number
from resilience.health import demo
from resilience.health.models import FollowUp, HealthArchive, Referral, Screening, ScreeningRound
from resilience.health.vocab import icd10_display
from resilience.people.models import Household, Resident

pytestmark = pytest.mark.browser
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest.fixture
def health_ready(transactional_db):
    """Community A after the health demo seed: Resident A1 (elderly, living alone, chronically
    ill) becomes the dialysis patient, with a follow-up due today; the demo's closed fire in
    building A1 has its screening round: Resident A1 screened and referred by the seed,
    Li Ming (disabled) and Zhao Lei (no tag) still to screen."""
    world = build_world()
    world.resident_a1.tags = ["elderly_alone", "chronic_illness"]
    world.resident_a1.save()
    world.objects["li"] = add_resident(world.building_a1, "Li Ming", ["disabled"], 62)
    world.objects["zhao"] = add_resident(world.building_a1, "Zhao Lei", [], 63)
    counts = demo.seed(world.community_a, timezone.localdate())
    assert counts["health archives"] == 1 and counts["referrals"] == 1
    return world


def add_resident(building, name: str, tags: list[str], serial: int) -> Resident:
    """A resident of ``building`` in a household of their own."""
    household = Household.objects.create(community=building.community, building=building,
                                         room=f"{serial}", code=f"h{serial}")
    birth = dt.date(1960, 1, serial % 28 + 1)
    return Resident.objects.create(
        community=building.community, household=household, name=name, sex="male",
        birth_date=birth, id_number=make_id_number(birth, serial, female=False),
        phone=f"137{serial:08d}", tags=tags)


def archive_reads(archive, user) -> int:
    return AccessLogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(HealthArchive), object_id=archive.pk,
        user=user).count()


def no_overflow(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_follow_up_roll_call_tag_screening_and_referral(health_ready, live_server, browser,
                                                        results_dir, sign_in):
    world = health_ready
    url = live_server.url
    today = timezone.localdate()
    patient = world.resident_a1
    archive = HealthArchive.objects.get(resident=patient)
    assert {"dialysis", "chronic_illness", "elderly_alone"} <= set(
        Resident.objects.get(pk=patient.pk).tags)
    due = FollowUp.objects.get(resident=patient, done_at__isnull=True, care_plan__isnull=False)
    assert due.scheduled_on == today and due.care_plan.interval_days == 7

    # 1. The health worker finds the dialysis patient and opens the archive: the read is logged.
    health = browser.new_context(**DESKTOP).new_page()
    sign_in(health, live_server, "health_a")
    health.goto(f"{url}/health/archives/?tag=dialysis&sort=next_followup")
    rows = health.locator("table.objects tbody tr")
    assert rows.count() == 1 and patient.name in rows.first.inner_text()
    assert archive_reads(archive, world.health_a) == 0  # the list is no read of an archive
    rows.first.locator(f"a[href='{archive.get_absolute_url()}']").click()
    health.wait_for_url(f"{url}{archive.get_absolute_url()}")
    assert archive_reads(archive, world.health_a) == 1
    assert "health_a" in health.inner_text("#access-log li[data-channel=web]")
    assert "N18.5" in health.inner_text("#conditions")
    panel = health.locator(f"#next-followup [data-followup='{due.pk}']")
    assert today.strftime("%Y") in panel.inner_text()

    # 2. …sees the next follow-up (due today, the form open) and records it.
    health.fill("#next-followup textarea[name=outcome]", "BP 138/86, dialysate clear, weight "
                                                           "stable.")
    with health.expect_navigation():
        health.click("#next-followup button[type=submit]")
    due.refresh_from_db()
    assert due.done_at is not None and due.recorded_by == world.health_a
    assert due.outcome.startswith("BP 138/86")
    following = FollowUp.objects.get(care_plan=due.care_plan, done_at__isnull=True)
    assert following.scheduled_on == today + dt.timedelta(days=7) == due.next_on
    # The panel now shows the soonest open follow-up: a week on (the plan's, or the call the
    # seed's referral scheduled for the same day).
    shown = int(health.get_attribute("#next-followup [data-followup]", "data-followup"))
    assert FollowUp.objects.get(pk=shown).scheduled_on == following.scheduled_on
    assert health.locator(f"#care tr[data-followup='{due.pk}']").count() == 1
    health.screenshot(path=str(results_dir / "health-archive-recorded.png"), full_page=True)

    # 3. Staff start a roll-call in the patient's grid: the tag, never the medical detail.
    from resilience.response.services import incidents

    incident = incidents.open_incident(world.staff_a, world.community_a, title="Power cut",
                                       scenario="power_cut", grids=[world.grid_a1])
    staff = browser.new_context(**DESKTOP).new_page()
    sign_in(staff, live_server, "staff_a")
    staff.goto(f"{url}{incident.get_absolute_url()}")
    staff.click("details[data-step=rollcall] summary")
    staff.click("details[data-step=rollcall] button[type=submit]")
    staff.wait_for_url(re.compile(r".*/response/rollcall/\d+/$"))
    entry = incident.rollcalls.get().entries.select_related("helper").get(resident=patient)
    row = staff.locator(f"tr[data-entry='{entry.pk}']")
    assert patient.name in row.inner_text() and "health need" in row.inner_text()
    secrets = [icd10_display(c) for c in ("N18.5", "Z99.2", "I10")] + [
        "N18.5", "Z99.2", "碳酸钙", "dialysis machine", "peritoneal", "dialysate"]
    board = staff.content()
    assert not [s for s in secrets if s in board]
    staff.screenshot(path=str(results_dir / "health-rollcall-board.png"), full_page=True)

    helper = browser.new_context(**PHONE).new_page()
    sign_in(helper, live_server, entry.helper.username)
    helper.goto(f"{url}/response/rollcall/mine/")
    card = helper.locator(f"li[data-entry='{entry.pk}']")
    assert card.locator(".needs .tag").count() >= 1
    assert not [s for s in secrets if s in helper.content()]

    # 4. The screening round after the demo incident lists the affected residents, vulnerable
    #    first; on a phone the health worker screens Li Ming.
    round_ = ScreeningRound.objects.get(community=world.community_a)
    li, zhao = world.objects["li"], world.objects["zhao"]
    phone = browser.new_context(**PHONE).new_page()
    sign_in(phone, live_server, "health_a")
    phone.goto(f"{url}/health/")
    phone.click(f"#closed-incidents a[href='{round_.get_absolute_url()}']")
    phone.wait_for_url(f"{url}{round_.get_absolute_url()}")
    listed = phone.locator("#screenings tbody tr").evaluate_all(
        "rows => rows.map(r => [r.querySelector('a').textContent, +r.dataset.priority])")
    assert [name for name, _p in listed] == [patient.name, "Li Ming", "Zhao Lei"]
    assert [p for _n, p in listed] == sorted(p for _n, p in listed)
    no_overflow(phone)
    phone.click("#screenings nav a[href='?show=pending']")
    phone.wait_for_url(re.compile(r".*show=pending$"))
    assert phone.locator("#screenings tbody tr a").all_inner_texts() == ["Li Ming", "Zhao Lei"]
    screening = Screening.objects.get(round=round_, resident=li)
    phone.click(f"#screenings a[href='{screening.get_absolute_url()}']")
    phone.wait_for_url(f"{url}{screening.get_absolute_url()}")

    # A missing answer: the item is named, nothing is written.
    for number, value in enumerate([2, 2, 1, 2, 1, 1, 2, 1], start=1):  # item 9 left out
        phone.check(f"input[name=phq9_{number}][value='{value}']")
    for number, value in enumerate([2, 2, 2, 1, 1, 1, 2], start=1):
        phone.check(f"input[name=gad7_{number}][value='{value}']")
    phone.click("#questionnaire button[type=submit]")
    phone.wait_for_selector("#questionnaire .error")
    assert "Item 9 is not answered" in phone.inner_text("#questionnaire")
    screening.refresh_from_db()
    assert screening.screened_at is None
    for number, value in enumerate([2, 2, 1, 2, 1, 1, 2, 1, 0], start=1):
        phone.check(f"input[name=phq9_{number}][value='{value}']")
    for number, value in enumerate([2, 2, 2, 1, 1, 1, 2], start=1):
        phone.check(f"input[name=gad7_{number}][value='{value}']")
    phone.click("#questionnaire button[type=submit]")
    phone.wait_for_url(f"{url}{screening.get_absolute_url()}")
    screening.refresh_from_db()
    assert (screening.phq9_total, screening.phq9_severity) == (12, "moderate")
    assert (screening.gad7_total, screening.urgent) == (11, False)
    assert screening.screened_by == world.health_a
    no_overflow(phone)

    # 5. The result suggests a referral; it is opened and tracked to closure.
    phone.select_option("#referrals select[name=target]", "counselling")
    phone.fill("#referrals textarea[name=reason]", "PHQ-9 12 after the fire")
    phone.click("#referrals button[type=submit]")
    phone.wait_for_url(re.compile(r".*/health/referrals/\d+/$"))
    referral = Referral.objects.get(screening=screening)
    assert referral.status == "open"
    assert referral.followups.filter(done_at__isnull=True).count() == 1
    with phone.expect_navigation():
        phone.click("#advance input[value=accepted] + button")
    referral.refresh_from_db()
    assert referral.status == "accepted" and referral.accepted_at is not None
    assert phone.locator("#advance input[value=accepted]").count() == 0
    phone.fill("#advance textarea[name=outcome]", "Four counselling sessions; PHQ-9 now 4.")
    with phone.expect_navigation():
        phone.click("#advance button.primary")
    referral.refresh_from_db()
    assert referral.status == "closed" and referral.closed_at is not None
    assert referral.outcome == "Four counselling sessions; PHQ-9 now 4."
    assert not referral.followups.filter(done_at__isnull=True).exists()
    assert phone.locator("#advance").count() == 0  # a closed referral has nothing left to do
    no_overflow(phone)
    phone.screenshot(path=str(results_dir / "health-referral-closed.png"), full_page=True)


def test_the_archive_and_the_round_in_chinese_on_a_phone(health_ready, live_server, browser,
                                                         sign_in):
    """The same pages in Chinese on a 390 px phone: condition names in Chinese, no overflow."""
    world = health_ready
    archive = HealthArchive.objects.get(resident=world.resident_a1)
    page = browser.new_context(locale="zh-CN", **PHONE).new_page()
    sign_in_zh(page, live_server, "health_a")
    page.goto(f"{live_server.url}{archive.get_absolute_url()}")
    assert page.get_attribute("html", "lang") == "zh-hans"
    conditions = page.inner_text("#conditions")
    assert "慢性肾脏病5期" in conditions and "Chronic kidney disease" not in conditions
    no_overflow(page)
    page.goto(f"{live_server.url}{ScreeningRound.objects.get().get_absolute_url()}")
    assert page.locator("#screenings tbody tr").count() == 3
    no_overflow(page)


def sign_in_zh(page, live_server, username: str) -> None:
    """The login page in Chinese: its button reads 登录, so submit with Enter."""
    from resilience.core.testing import PASSWORD

    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.press("input[name=password]", "Enter")
    page.wait_for_url(f"{live_server.url}/")
