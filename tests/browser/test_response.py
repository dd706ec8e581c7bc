"""The emergency-response issue's "done when", in a real browser:

staff issue a yellow (III) flood alert for the whole of community A on the alert pages → from the
alert they open an incident, which activates the community's waterlogging / underground garage
flood plan in force at level III: its tasks are created, each assigned to the holder of its
role → staff open two shelters on the shelter pages and the evacuation plan page shows everyone
placed, building by building, with distances → staff start a roll-call; two volunteers, each on a
phone, mark the vulnerable residents they were paired with (safe, needs help, evacuated,
unreachable) while the roll-call board, open all along, counts them by grid without a reload →
the evacuated resident is checked in at the shelter the plan sends their building to → the
situation report counts what the roll-call and the shelters say → staff close the incident with
a review; open tasks are cancelled and the roll-call closed.

Note: opening an incident from an alert activates the plan in force for its scenario at the
alert's level (docs/response.md, "Incidents"), so the plan's tasks exist as soon as the incident
is opened; the "Activate a plan" step on the incident page is not needed for it.
"""
import re

import pytest

from resilience.alerts.models import Alert
from resilience.core.roles import Role
from resilience.core.testing import PASSWORD, build_world, make_id_number
from resilience.people.models import Household, Membership, Resident, Volunteer
from resilience.places.models import Facility
from resilience.response import demo
from resilience.response.models import (
    Incident, Plan, RollCall, RollCallEntry, SituationReport, Task,
)
from resilience.response.vocab import Scenario
from resilience.shelters import graph
from resilience.shelters.models import EvacuationPlan, Shelter, Stay

pytestmark = pytest.mark.browser
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def add_resident(building, name: str, tags: list[str], serial: int) -> Resident:
    """A resident of ``building`` in a household of their own (as alerts' test_targeting does)."""
    import datetime as dt

    household = Household.objects.create(community=building.community, building=building,
                                         room=f"{serial}", code=f"h{serial}")
    birth = dt.date(1945, 1, 1 + serial % 28)
    return Resident.objects.create(
        community=building.community, household=household, name=name, sex="male",
        birth_date=birth, id_number=make_id_number(birth, serial, female=False),
        phone=f"137{serial:08d}", vulnerability=str(tags).replace("'", '"'))


@pytest.fixture
def flood_ready(transactional_db):
    """Community A with its plans in force (role holders: staff_a, grid_worker_a1,
    volunteer_a…), a second shelter, a walking graph, a second volunteer with an account living
    in building A2, and four vulnerable residents, two in each building."""
    from django.contrib.auth import get_user_model

    world = build_world()
    a = world.community_a
    user = get_user_model().objects.create_user("volunteer_a2", password=PASSWORD)
    Membership.objects.create(user=user, role=Role.VOLUNTEER, community=a)
    Volunteer.objects.create(community=a, name="Volunteer A2", phone="13900000002",
                             skills=["first_aid"], home_building=world.building_a2,
                             team=world.team_a, user=user)
    world.users["volunteer_a2"] = user
    # Resident A1 (elderly living alone, building A1) is vulnerable already; Resident A2 is not.
    world.objects["wang"] = add_resident(world.building_a1, "Wang Fang", ["bedridden"], 61)
    world.objects["li"] = add_resident(world.building_a2, "Li Ming", ["disabled"], 62)
    world.objects["zhao"] = add_resident(world.building_a2, "Zhao Lei", ["elderly"], 63)
    world.objects["shelter_a2"] = Facility.objects.create(
        community=a, kind="shelter", code="S2", name="Shelter A2", capacity=100,
        latitude=31.232, longitude=121.477, owner=world.property_a)
    graph.generate_for(a)
    demo.seed(a)  # the seven plans, in force, role holders named from the community's people
    return world


def test_flood_alert_to_incident_tasks_shelters_rollcall_report_and_review(
        flood_ready, live_server, browser, results_dir, sign_in):
    world = flood_ready
    url = live_server.url
    a = world.community_a
    staff_a, grid_worker, volunteer_a, volunteer_a2 = (
        world.users[n] for n in ("staff_a", "grid_worker_a1", "volunteer_a", "volunteer_a2"))
    flood_plan = Plan.objects.get(community=a, scenario=Scenario.FLOOD, status="active")
    holders = {r.role: r.user for r in flood_plan.roles.all()}
    assert {holders["commander"], holders["grid_lead"], holders["logistics"]} == {
        staff_a, grid_worker, volunteer_a}

    staff = browser.new_context(**DESKTOP)
    page = staff.new_page()
    sign_in(page, live_server, "staff_a")

    # 1. Staff write a yellow (III) flood alert for the whole community and issue it (III needs
    #    no approval).
    page.goto(f"{url}/alerts/alerts/add/")
    page.select_option("select[name=community]", str(a.pk))
    page.select_option("select[name=level]", "3")
    page.select_option("select[name=event_type]", "flood")
    page.fill("input[name=headline]", "社区内涝黄色预警 · Yellow flood warning")
    page.fill("textarea[name=description]", "暴雨导致地下车库进水。Heavy rain is flooding the "
                                            "underground garage.")
    page.check("input[name=area_mode][value=whole]")
    page.click("form.edit-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/alerts/alerts/\d+/$"))
    alert = Alert.objects.get(community=a, event_type="flood")
    assert alert.level == 3 and alert.whole_community and alert.state == "draft"
    page.click("button[data-step=issue]")
    page.wait_for_selector("[data-state=issued]")
    alert.refresh_from_db()
    assert alert.state == "issued" and alert.created_by == staff_a

    # 2. From the alert, open an incident; it takes the alert's area and scenario and activates
    #    the flood plan in force at the alert's level (III).
    page.click("a[data-step=open-incident]")
    page.wait_for_selector("button[data-step=open-incident]")
    page.click("button[data-step=open-incident]")
    page.wait_for_url(re.compile(r".*/response/incidents/\d+/$"))
    incident = Incident.objects.get(alert=alert)
    assert (incident.community, incident.scenario, incident.whole_community) == (
        a, Scenario.FLOOD, True)
    assert (incident.plan, incident.level, incident.status) == (flood_plan, 3, "active")

    # 3. The plan's level III and IV tasks, each assigned to the holder of its role, due in its
    #    time limit; the incident page lists them.
    tasks = list(Task.objects.filter(incident=incident).select_related("plan_task"))
    expected = flood_plan.tasks.filter(level__gte=3)
    assert len(tasks) == expected.count() == 10
    assert not flood_plan.tasks.filter(level__lt=3, pk__in=[t.plan_task_id for t in tasks])
    for task in tasks:
        assert task.assignee == holders[task.role], (task.title, task.role)
        assert task.status == "open" and task.due > incident.activated_at
    assert {t.assignee for t in tasks} == {staff_a, grid_worker, volunteer_a}
    assert page.locator("#incident-tasks tbody tr").count() == 10
    pumps = next(t for t in tasks if t.title == "启动排水泵")  # "Start the pumps"
    pumps_row = f"#incident-tasks tr:has(a[href='{pumps.get_absolute_url()}'])"
    assert volunteer_a.username in page.inner_text(pumps_row)
    page.wait_for_selector("#timeline li[data-event=activated]")
    assert page.inner_text("#situation dd[data-n=open_tasks]") == "10"
    assert page.inner_text("#situation dd[data-n=affected]") == "5"
    assert page.inner_text("#situation dd[data-n=vulnerable]") == "4"
    page.screenshot(path=str(results_dir / "response-incident-activated.png"), full_page=True)

    # 4. Staff open both shelters of the community from the shelter pages.
    shelters = [Shelter.objects.get(facility=f) for f in (world.shelter_a, world.shelter_a2)]
    page.goto(f"{url}/shelters/")
    for shelter in shelters:
        page.wait_for_selector(f"#shelter-rows a[href='{shelter.get_absolute_url()}']")
    for shelter in shelters:
        page.goto(f"{url}{shelter.get_absolute_url()}")
        page.click(f"form[action='/shelters/{shelter.pk}/open/'] button")
        page.wait_for_selector(f"form[action='/shelters/{shelter.pk}/close/'] button")
        shelter.refresh_from_db()
        assert shelter.status == "open" and shelter.opened_at is not None

    # 5. The evacuation plan (computed again when a shelter opened; "Plan again" on its page)
    #    places all five residents: building A1 to Shelter A, building A2 to Shelter A2.
    page.goto(f"{url}/shelters/evacuation/{a.pk}/")
    page.click(f"form[action='/shelters/evacuation/{a.pk}/recompute/'] button")
    page.wait_for_selector("#messages .alert")
    plan = EvacuationPlan.objects.get(community=a).result
    assert (plan["people"], plan["placed"], plan["unplaced"]) == (5, 5, [])
    routes = {(x["building"], x["shelter"]): x for x in plan["assignments"]}
    assert set(routes) == {(world.building_a1.pk, shelters[0].pk),
                           (world.building_a2.pk, shelters[1].pk)}
    assert all(len(x["route"]) >= 2 and x["distance"] > 0 for x in routes.values())
    assert "Everyone (5 people) has a place" in page.inner_text("p.panel[role=status]")
    row_a2 = page.locator(f"tr[data-building='{world.building_a2.pk}']")
    assert row_a2.get_attribute("data-shelter") == str(shelters[1].pk)
    assert row_a2.get_attribute("data-people") == "3"
    assert "Shelter A2" in row_a2.inner_text()
    assert page.locator(f"tr[data-building='{world.building_a1.pk}']").get_attribute(
        "data-people") == "2"
    page.screenshot(path=str(results_dir / "response-evacuation-plan.png"), full_page=True)

    # 6. Staff start a roll-call from the incident page; the four vulnerable residents are paired
    #    with the volunteers living in their buildings.
    page.goto(f"{url}{incident.get_absolute_url()}")
    page.click("details[data-step=rollcall] summary")
    page.click("details[data-step=rollcall] button[type=submit]")
    page.wait_for_url(re.compile(r".*/response/rollcall/\d+/$"))
    rollcall = RollCall.objects.get(incident=incident)
    entries = {e.resident.name: e for e in rollcall.entries.select_related("resident")}
    assert set(entries) == {"Resident A1", "Wang Fang", "Li Ming", "Zhao Lei"}
    assert {n: e.helper for n, e in entries.items()} == {
        "Resident A1": volunteer_a, "Wang Fang": volunteer_a,
        "Li Ming": volunteer_a2, "Zhao Lei": volunteer_a2}
    board = page
    board.wait_for_selector("#rollcall-board [data-n=total]:text-is('4')")
    assert board.inner_text("#rollcall-board [data-n=done]") == "0"
    board.evaluate("window.notReloaded = true")

    grid_a1 = f"#rollcall-board tr[data-grid='{world.grid_a1.pk}']"
    grid_a2 = f"#rollcall-board tr[data-grid='{world.grid_a2.pk}']"
    marks = {
        "volunteer_a": [("Resident A1", "safe", ""), ("Wang Fang", "needs_help",
                                                      "Bedridden, needs carrying down")],
        "volunteer_a2": [("Li Ming", "evacuated", "Walked to Shelter A2"),
                         ("Zhao Lei", "unreachable", "No answer at the door")],
    }
    phones = []
    for username, findings in marks.items():
        phone = browser.new_context(**PHONE)
        phones.append(phone)
        helper = phone.new_page()
        sign_in(helper, live_server, username)
        helper.goto(f"{url}/response/rollcall/mine/")
        mine = [entries[name].pk for name, _s, _n in findings]
        for pk in mine:
            helper.wait_for_selector(f"li[data-entry='{pk}'] button[data-mark=safe]")
        assert helper.locator("li[data-entry]").count() == 2  # only their own residents
        assert helper.evaluate("document.documentElement.scrollWidth") <= 392
        helper.screenshot(path=str(results_dir / f"response-rollcall-{username}-phone.png"),
                          full_page=True)
        for name, status, note in findings:
            card = f"li[data-entry='{entries[name].pk}']"
            if note:
                helper.fill(f"{card} input[name=note]", note)
            helper.click(f"{card} button[data-mark={status}]")
            helper.wait_for_selector(f"{card}.status-{status}")
            entry = RollCallEntry.objects.get(pk=entries[name].pk)
            assert (entry.status, entry.note, entry.marked_by) == (
                status, note, world.users[username])
        helper.screenshot(path=str(results_dir / f"response-rollcall-{username}-done-phone.png"),
                          full_page=True)
        # The board, open all along, shows this volunteer's findings within a poll or two.
        grid = grid_a1 if username == "volunteer_a" else grid_a2
        board.wait_for_selector(f"{grid}:has-text('2/2')", timeout=12_000)

    board.wait_for_selector("#rollcall-board [data-n=done]:text-is('4')", timeout=12_000)
    assert board.evaluate("window.notReloaded") is True
    cells = board.locator(f"{grid_a1} td").all_inner_texts()
    assert [c.strip() for c in cells[2:]] == ["1", "1", "0", "0"]  # safe, needs help, evac., unr.
    cells = board.locator(f"{grid_a2} td").all_inner_texts()
    assert [c.strip() for c in cells[2:]] == ["0", "0", "1", "1"]
    board.screenshot(path=str(results_dir / "response-rollcall-board.png"), full_page=True)

    # The evacuated resident arrives at the shelter the plan sends building A2 to; staff find
    # him by name and check him in, and a walk-in neighbour with him.
    page.goto(f"{url}{shelters[1].get_absolute_url()}")
    page.fill("#resident-search", "Li Ming")
    page.click("form[role=search] button")
    page.click(f"li:has-text('Li Ming') form[action='/shelters/{shelters[1].pk}/check-in/'] button")
    page.wait_for_selector(".stay-list li:has-text('Li Ming')")
    page.fill("input[name=walk_in_name]", "Chen Jie")
    page.fill("input[name=walk_in_phone]", "13600000001")
    page.click("input[name=walk_in_name] >> xpath=ancestor::form//button")
    page.wait_for_selector(".stay-list li:has-text('Chen Jie')")
    assert Stay.objects.filter(shelter=shelters[1], checked_out_at__isnull=True).count() == 2
    assert Stay.objects.filter(resident=world.li, checked_out_at__isnull=True).exists()

    # 7. The situation report: staff add the injured and the needs; the snapshot counts the
    #    roll-call and the shelters.
    page.goto(f"{url}{incident.get_absolute_url()}")
    page.click("details[data-step=report] summary")
    page.fill("input[name=report-injured]", "1")
    page.fill("textarea[name=report-needs]", "Stretcher for Wang Fang; pumps for the garage.")
    page.click("details[data-step=report] button[type=submit]")
    page.wait_for_selector("tr[data-report]")
    report = SituationReport.objects.get(incident=incident)
    numbers = {f: getattr(report, f) for f in ("affected", "vulnerable", "injured", "evacuated",
                                               "sheltered", "safe", "needs_help", "unreachable",
                                               "open_tasks")}
    assert numbers == {"affected": 5, "vulnerable": 4, "injured": 1, "evacuated": 1,
                       "sheltered": 2, "safe": 1, "needs_help": 1, "unreachable": 1,
                       "open_tasks": 10}
    assert report.created_by == staff_a and "Stretcher" in report.needs
    cells = page.locator(f"tr[data-report='{report.pk}'] td").all_inner_texts()
    # affected, injured, evacuated, sheltered, need help
    assert [c.strip() for c in cells[1:]] == ["5", "1", "1", "2", "1"]
    for name, value in (("affected", "5"), ("evacuated", "1"), ("sheltered", "2"), ("safe", "1"),
                        ("needs_help", "1"), ("unreachable", "1"), ("injured", "1")):
        assert page.inner_text(f"#situation dd[data-n={name}]") == value, name
    page.wait_for_selector("#timeline li[data-event=report]")
    page.screenshot(path=str(results_dir / "response-situation-report.png"), full_page=True)

    # 8. Staff close the incident with its review: open tasks are cancelled, the roll-call closed.
    page.click("details[data-step=close] summary")
    page.fill("textarea[name=close-lessons]",
              "Garage barriers went up in 25 minutes. Lesson: keep a stretcher in building A1.")
    page.click("details[data-step=close] button[type=submit]")
    page.wait_for_selector("[data-status=closed]")
    incident.refresh_from_db()
    assert incident.status == "closed" and incident.closed_at is not None
    assert incident.lessons.startswith("Garage barriers")
    assert not Task.objects.filter(incident=incident).exclude(status="cancelled").exists()
    rollcall.refresh_from_db()
    assert rollcall.closed_at is not None
    page.wait_for_selector("#timeline li[data-event=closed]:has-text('stretcher')")
    assert page.locator("#incident-steps").count() == 0  # nothing more to do on a closed one
    page.screenshot(path=str(results_dir / "response-incident-closed.png"), full_page=True)
    for context in (staff, *phones):
        context.close()
