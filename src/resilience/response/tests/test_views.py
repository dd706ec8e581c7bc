"""The response pages: plans, incidents and their steps, My tasks, roll-call on a phone."""
import pytest
from django.test import Client
from django.urls import reverse

from resilience.core.testing import PASSWORD
from resilience.response.models import Incident, Plan, RollCallEntry, Task
from resilience.response.services import incidents, rollcall as roll
from resilience.response.vocab import IncidentStatus, RollCallStatus, TaskStatus

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    c = Client()
    assert c.login(username=user.username, password=PASSWORD)
    return c


def test_the_list_and_detail_pages_render(world, plan, incident):
    c = login(world.staff_a)
    for url in (reverse("response:plan_list"), reverse("response:plan_list") + "?review_overdue=true",
                plan.get_absolute_url(), reverse("response:plan_print", args=[plan.pk]),
                reverse("response:plan_from_template"), reverse("response:incident_list"),
                incident.get_absolute_url(), reverse("response:incident_add"),
                reverse("response:task_list"), reverse("response:task_mine"),
                reverse("response:rollcall_mine"), reverse("dashboard")):
        response = c.get(url)
        assert response.status_code == 200, url


def test_the_printed_plan_has_its_levels_and_tasks(world, plan):
    html = login(world.staff_a).get(reverse("response:plan_print", args=[plan.pk])).content.decode()
    assert plan.name in html and "print.css" in html
    assert plan.tasks.first().title in html


def test_a_plan_is_made_from_a_template_on_the_page(world):
    c = login(world.staff_a)
    response = c.post(reverse("response:plan_from_template"),
                      {"community": world.community_a.pk, "scenario": "heat_wave"})
    assert response.status_code == 302
    assert Plan.objects.get().scenario == "heat_wave"


def test_activating_out_of_scope_shows_the_reason_and_writes_nothing(world, incident):
    from resilience.response.services import plans

    other = plans.from_template(world.community_b, "flood")
    c = login(world.staff_a)
    response = c.post(reverse("response:incident_step", args=[incident.pk, "activate"]),
                      {"activate-plan": other.pk, "activate-level": 2})
    assert response.status_code == 400
    assert "activate-plan" in response.content.decode()  # the form with its error
    assert not Task.objects.exists()


def test_staff_activate_a_plan_and_close_the_incident_on_the_page(world, plan, incident):
    c = login(world.staff_a)
    response = c.post(reverse("response:incident_step", args=[incident.pk, "activate"]),
                      {"activate-plan": plan.pk, "activate-level": 3})
    assert response.status_code == 302
    assert incident.tasks.count() == plan.tasks.filter(level__gte=3).count()
    response = c.post(reverse("response:incident_step", args=[incident.pk, "close"]),
                      {"close-lessons": ""})
    assert response.status_code == 400
    response = c.post(reverse("response:incident_step", args=[incident.pk, "close"]),
                      {"close-lessons": "复盘"})
    assert response.status_code == 302
    assert Incident.objects.get().status == IncidentStatus.CLOSED


def test_an_incident_is_opened_from_an_alert(world, plan):
    from resilience.alerts.models import Alert

    alert = Alert.objects.create(community=world.community_a, identifier="t-2", sender="t",
                                 level=3, event_type="flood", headline="内涝", description="d",
                                 state="issued")
    c = login(world.staff_a)
    page = c.get(alert.get_absolute_url()).content.decode()
    assert f"{reverse('response:incident_add')}?alert={alert.pk}" in page
    response = c.post(reverse("response:incident_add"), {"alert": alert.pk})
    assert response.status_code == 302
    incident = Incident.objects.get()
    assert (incident.alert, incident.plan, incident.level) == (alert, plan, 3)


def test_a_volunteer_sees_only_their_tasks_and_taps_through_them(world, plan, incident):
    incidents.activate(incident, world.staff_a, plan, 4)
    volunteer = world.users["volunteer_a"]
    c = login(volunteer)
    html = c.get(reverse("response:task_mine")).content.decode()
    mine = Task.objects.filter(assignee=volunteer)
    others = Task.objects.exclude(assignee=volunteer)
    assert all(t.title in html for t in mine)
    assert not any(f'data-task="{t.pk}"' in html for t in others)
    task = mine.first()
    url = reverse("response:task_step", args=[task.pk, "complete"])
    c.post(url, {"next": reverse("response:task_mine")})  # not accepted yet: refused
    task.refresh_from_db()
    assert task.status == TaskStatus.OPEN
    page = c.get(reverse("response:task_mine")).content.decode()
    assert "cannot become" in page
    c.post(reverse("response:task_step", args=[task.pk, "accept"]))
    c.post(url, {"note": "好了"})
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE


def test_the_helper_marks_on_the_phone_page_and_the_board_updates(world, incident):
    rollcall = roll.start(incident, world.staff_a)
    volunteer = login(world.users["volunteer_a"])
    html = volunteer.get(reverse("response:rollcall_mine")).content.decode()
    assert world.resident_a1.name in html and "elderly living alone" in html
    entry = RollCallEntry.objects.get()
    volunteer.post(reverse("response:rollcall_mark", args=[entry.pk]), {"status": "safe"})
    entry.refresh_from_db()
    assert entry.status == RollCallStatus.SAFE
    board = login(world.staff_a).get(reverse("response:rollcall_detail", args=[rollcall.pk]),
                                     HTTP_HX_REQUEST="true")
    assert 'hx-trigger="every 5s"' in board.content.decode()
    assert 'data-n="done">1<' in board.content.decode()


def test_someone_not_assigned_gets_a_message_and_nothing_changes(world, incident):
    roll.start(incident, world.staff_a)
    entry = RollCallEntry.objects.get()
    c = login(world.grid_worker_a1)
    response = c.post(reverse("response:rollcall_mark", args=[entry.pk]),
                      {"status": "safe", "next": reverse("response:rollcall_mine")}, follow=True)
    assert "Only the helper assigned" in response.content.decode()
    entry.refresh_from_db()
    assert entry.status == RollCallStatus.PENDING
    outsider = login(world.outsider)
    assert outsider.post(reverse("response:rollcall_mark", args=[entry.pk]),
                         {"status": "safe"}).status_code == 404


@pytest.mark.parametrize("username", ["admin", "office", "staff_a", "staff_b", "grid_worker_a1",
                                      "property_a", "volunteer_a", "health_a", "resident_a1",
                                      "outsider"])
def test_every_role_gets_an_answer_never_an_error(world, plan, incident, username):
    roll.start(incident, world.staff_a)
    c = Client()
    c.force_login(world.users[username])
    for url in (reverse("dashboard"), reverse("response:plan_list"),
                reverse("response:incident_list"), reverse("response:task_mine"),
                reverse("response:rollcall_mine"), plan.get_absolute_url(),
                incident.get_absolute_url()):
        assert c.get(url).status_code in (200, 403, 404), url


def test_the_api_schema_describes_the_response_endpoints(world):
    c = Client()
    c.force_login(world.users["admin"])
    paths = c.get("/api/schema/?format=json").json()["paths"]
    for path in ("/api/plans/", "/api/incidents/{id}/activate/", "/api/tasks/{id}/accept/",
                 "/api/rollcall-entries/{id}/mark/"):
        assert path in paths


def test_a_draft_plan_is_tailored_on_its_page(world, plan):
    from resilience.response.services import plans

    draft = plans.new_version(plan, world.staff_a)
    c = login(world.staff_a)
    assert "Add a task" in c.get(draft.get_absolute_url()).content.decode()
    assert "Add a task" not in c.get(plan.get_absolute_url()).content.decode()
    c.post(reverse("response:plan_task_add", args=[draft.pk]),
           {"phase": "alert", "level": 4, "role": "commander", "title": "新任务",
            "time_limit": 10, "order": 99})
    assert draft.tasks.filter(title="新任务").exists()
    task = draft.tasks.get(title="新任务")
    c.post(reverse("response:plan_task_delete", args=[draft.pk, task.pk]))
    assert not draft.tasks.filter(title="新任务").exists()


def test_the_incident_edit_page_and_the_live_situation_panel(world, incident):
    c = login(world.staff_a)
    assert c.get(reverse("response:incident_edit", args=[incident.pk])).status_code == 200
    response = c.post(reverse("response:incident_edit", args=[incident.pk]),
                      {"title": "车库进水（更新）", "description": "", "injured": 3, "needs": "泵"})
    assert response.status_code == 302
    panel = c.get(reverse("response:incident_situation", args=[incident.pk]),
                  HTTP_HX_REQUEST="true").content.decode()
    assert 'data-n="injured">3<' in panel and 'hx-trigger="every 10s"' in panel


def test_overdue_tasks_are_listed(world):
    import datetime as dt

    from django.utils import timezone

    late = Task.objects.create(community=world.community_a, title="迟了",
                               due=timezone.now() - dt.timedelta(hours=1))
    Task.objects.create(community=world.community_a, title="还早",
                        due=timezone.now() + dt.timedelta(hours=1))
    html = login(world.staff_a).get(reverse("response:task_list") + "?overdue=true").content.decode()
    assert late.title in html and "还早" not in html


def test_the_task_form_offers_only_people_of_the_community_and_no_status(world):
    c = login(world.staff_a)
    html = c.get(reverse("response:task_add")).content.decode()
    assert 'name="status"' not in html
    assert "staff_b" not in html and "outsider" not in html
    response = c.post(reverse("response:task_add"), {
        "community": world.community_a.pk, "title": "x", "priority": 5,
        "assignee": world.staff_b.pk})
    assert response.status_code == 400
    assert not Task.objects.exists()


def test_my_tasks_costs_the_same_queries_for_three_tasks_or_thirty(world):
    volunteer = world.users["volunteer_a"]
    c = login(volunteer)

    def count(n):
        Task.objects.all().delete()
        for i in range(n):
            Task.objects.create(community=world.community_a, title=f"t{i}", assignee=volunteer)
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert c.get(reverse("response:task_mine")).status_code == 200
        return len(ctx)

    assert count(3) == count(30)
