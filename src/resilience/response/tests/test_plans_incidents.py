"""Plans from templates, versions and reviews; incidents: activation, reports, closing."""
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from resilience.response.models import Incident, IncidentEvent, Plan, Task
from resilience.response.scenarios import TEMPLATES
from resilience.response.services import incidents, plans
from resilience.response.services import tasks as task_flow
from resilience.response.vocab import (
    CommandRole, IncidentStatus, PlanStatus, Scenario, TaskSource, TaskStatus,
)

pytestmark = pytest.mark.django_db


def test_every_scenario_has_a_bilingual_template_with_four_levels(world):
    assert set(TEMPLATES) == set(Scenario.values) - {Scenario.OTHER}
    for scenario in TEMPLATES:
        p = plans.from_template(world.community_a, scenario)
        assert p.name and p.name_en
        assert sorted(p.levels.values_list("level", flat=True)) == [1, 2, 3, 4]
        assert set(p.tasks.values_list("phase", flat=True)) == {"alert", "response", "recovery"}
        assert p.resources and p.contacts


def test_a_plan_from_a_template_is_a_draft_to_tailor(world):
    p = plans.from_template(world.community_a, Scenario.GAS_LEAK, world.staff_a)
    assert (p.status, p.version) == (PlanStatus.DRAFT, 1)
    assert plans.from_template(world.community_a, Scenario.GAS_LEAK, world.staff_a).version == 2


def test_staff_of_another_community_cannot_write_a_plan_here(world):
    with pytest.raises(PermissionDenied):
        plans.from_template(world.community_a, Scenario.FLOOD, world.staff_b)
    assert not Plan.objects.exists()


def test_a_new_version_is_a_draft_copy_and_putting_it_in_force_retires_the_old(world, plan):
    second = plans.new_version(plan, world.staff_a)
    assert (second.version, second.status, second.previous) == (2, PlanStatus.DRAFT, plan)
    assert second.tasks.count() == plan.tasks.count()
    assert second.roles.count() == plan.roles.count()
    plans.put_in_force(second, world.staff_a)
    plan.refresh_from_db()
    assert plan.status == PlanStatus.RETIRED
    assert plans.in_force(world.community_a, Scenario.FLOOD) == second


def test_plans_not_reviewed_for_a_year_are_listed_overdue(world, plan):
    today = timezone.localdate()
    assert plan.reviewed_on == today  # put in force: reviewed
    Plan.objects.filter(pk=plan.pk).update(reviewed_on=None)
    assert list(plans.review_overdue(Plan.objects.all())) == [plan]  # never reviewed
    plans.review(plan, world.staff_a, on=today - dt.timedelta(days=30))
    assert not plans.review_overdue(Plan.objects.all()).exists()
    plans.review(plan, world.staff_a, on=today - dt.timedelta(days=400))
    assert plan.review_overdue
    assert list(plans.review_overdue(Plan.objects.all())) == [plan]


def test_a_role_holder_must_work_in_the_community(world, plan):
    with pytest.raises(ValidationError) as exc:
        plans.assign_role(plan, world.staff_a, CommandRole.MEDICAL, world.staff_b)
    assert "user" in exc.value.message_dict


def test_activating_a_plan_creates_the_level_tasks_assigned_to_role_holders(world, plan, incident):
    now = timezone.now()
    created = incidents.activate(incident, world.staff_a, plan, 3, now=now)
    expected = plan.tasks.filter(level__gte=3)
    assert len(created) == expected.count()
    assert all(t.source == TaskSource.PLAN and t.incident == incident for t in created)
    by_role = {t.role: t for t in created}
    assert by_role[CommandRole.COMMANDER].assignee == world.staff_a
    assert by_role[CommandRole.GRID_LEAD].assignee == world.grid_worker_a1
    assert by_role[CommandRole.GRID_LEAD].grid == world.grid_a1
    assert by_role[CommandRole.LOGISTICS].assignee == world.users["volunteer_a"]
    for t in created:
        assert t.due == now + dt.timedelta(minutes=t.plan_task.time_limit)
    assert by_role[CommandRole.DEPUTY].assignee is None  # nobody holds it: on the timeline
    incident.refresh_from_db()
    assert (incident.status, incident.level, incident.plan) == (IncidentStatus.ACTIVE, 3, plan)
    assert "activated" in incident.events.values_list("action", flat=True)


def test_raising_the_level_adds_only_the_new_tasks(world, plan, incident):
    first = incidents.activate(incident, world.staff_a, plan, 4)
    second = incidents.activate(incident, world.staff_a, plan, 1)
    assert len(first) + len(second) == plan.tasks.count()
    assert Task.objects.filter(incident=incident).count() == plan.tasks.count()
    assert incidents.activate(incident, world.staff_a, plan, 1) == []


def test_a_plan_of_another_community_cannot_be_activated_and_nothing_is_written(world, incident):
    other = plans.from_template(world.community_b, Scenario.FLOOD, world.staff_b)
    with pytest.raises(ValidationError) as exc:
        incidents.activate(incident, world.staff_a, other, 2)
    assert "plan" in exc.value.message_dict
    assert not Task.objects.exists()
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.OPEN


def test_a_draft_plan_or_a_bad_level_is_refused(world, plan, incident):
    with pytest.raises(ValidationError) as exc:
        incidents.activate(incident, world.staff_a, plan, 7)
    assert "level" in exc.value.message_dict
    draft = plans.new_version(plan, world.staff_a)
    with pytest.raises(ValidationError) as exc:
        incidents.activate(incident, world.staff_a, draft, 2)
    assert "plan" in exc.value.message_dict


def test_a_volunteer_cannot_open_an_incident(world):
    with pytest.raises(PermissionDenied):
        incidents.open_incident(world.users["volunteer_a"], world.community_a, title="x",
                                scenario=Scenario.FLOOD)
    with pytest.raises(PermissionDenied):
        incidents.open_incident(world.staff_b, world.community_a, title="x",
                                scenario=Scenario.FLOOD)
    assert not Incident.objects.exists()


def test_an_incident_opened_from_an_alert_takes_its_area_and_activates_the_plan(world, plan):
    from resilience.alerts.models import Alert

    alert = Alert.objects.create(community=world.community_a, identifier="t-1", sender="t",
                                 level=2, event_type="rainstorm", headline="暴雨橙色预警",
                                 description="d", whole_community=False)
    alert.area_grids.set([world.grid_a1])
    incident = incidents.open_from_alert(alert, world.staff_a)
    assert incident.alert == alert and incident.scenario == Scenario.FLOOD
    assert list(incident.area_grids.all()) == [world.grid_a1]
    assert (incident.plan, incident.level) == (plan, 2)
    assert incident.tasks.count() == plan.tasks.filter(level__gte=2).count()


def test_a_situation_report_counts_the_area_and_keeps_the_staff_numbers(world, incident):
    sitrep = incidents.report(incident, world.staff_a, injured=2, needs="饮用水")
    assert sitrep.affected == 2  # residents A1 and A2
    assert sitrep.vulnerable == 1  # A1 lives alone
    assert sitrep.injured == 2 and sitrep.needs == "饮用水"
    with pytest.raises(ValidationError) as exc:
        incidents.report(incident, world.staff_a, injured=-1)
    assert "injured" in exc.value.message_dict


def test_closing_needs_a_review_and_cancels_open_tasks(world, plan, incident):
    incidents.activate(incident, world.staff_a, plan, 4)
    with pytest.raises(ValidationError) as exc:
        incidents.close(incident, world.staff_a, "  ")
    assert "lessons" in exc.value.message_dict
    incidents.close(incident, world.staff_a, "挡水板不足，需增加")
    incident.refresh_from_db()
    assert incident.status == IncidentStatus.CLOSED
    assert not incident.tasks.exclude(status=TaskStatus.CANCELLED).exists()
    with pytest.raises(ValidationError):
        incidents.activate(incident, world.staff_a, plan, 1)


def test_the_timeline_records_who_did_what_with_the_tasks(world, plan, incident):
    created = incidents.activate(incident, world.staff_a, plan, 4)
    task = next(t for t in created if t.assignee == world.users["volunteer_a"])
    task_flow.accept(task, world.users["volunteer_a"])
    events = IncidentEvent.objects.filter(incident=incident)
    assert events.filter(action="task_accept", user=world.users["volunteer_a"]).exists()


def test_the_demo_seed_makes_every_plan_with_role_holders_once(world):
    from resilience.response import demo

    made = demo.seed(world.community_a)
    assert {p.scenario for p in made} == set(TEMPLATES)
    assert all(p.status == PlanStatus.ACTIVE for p in made)
    flood = next(p for p in made if p.scenario == Scenario.FLOOD)
    roles = {(r.role, r.user) for r in flood.roles.all()}
    assert (CommandRole.COMMANDER, world.staff_a) in roles
    assert (CommandRole.GRID_LEAD, world.grid_worker_a1) in roles
    assert (CommandRole.LOGISTICS, world.users["volunteer_a"]) in roles
    assert (CommandRole.MEDICAL, world.health_a) in roles
    assert [p.scenario for p in plans.review_overdue(Plan.objects.all())] == [Scenario.EARTHQUAKE]
    assert demo.seed(world.community_a) == []  # again: nothing new


def test_the_activation_criteria_are_tailored_on_a_draft_only(world, plan, client):
    with pytest.raises(ValidationError) as exc:
        plans.set_criteria(plan, world.staff_a, 3, "积水超过 20 厘米")
    assert "status" in exc.value.message_dict  # a plan in force is changed by a new version
    draft = plans.new_version(plan, world.staff_a)
    plans.set_criteria(draft, world.staff_a, 3, "车库积水超过 20 厘米", "Garage water over 20 cm")
    assert draft.levels.get(level=3).criteria == "车库积水超过 20 厘米"
    with pytest.raises(ValidationError) as exc:
        plans.set_criteria(draft, world.staff_a, 3, "  ")
    assert "criteria" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        plans.set_criteria(draft, world.staff_b, 3, "x")
    from resilience.core.testing import PASSWORD

    client.login(username="staff_a", password=PASSWORD)
    page = client.get(draft.get_absolute_url()).content.decode()
    assert 'data-form="criteria"' in page
    client.post(f"/response/plans/{draft.pk}/criteria/", {"level": 2, "criteria": "水位超过 40 厘米"})
    assert draft.levels.get(level=2).criteria == "水位超过 40 厘米"


def test_a_plan_is_tailored_as_a_draft_not_in_force(world, plan):
    with pytest.raises(ValidationError) as exc:
        plans.add_task(plan, world.staff_a, phase="response", level=4, role="medical",
                       title="送透析病人", time_limit=30)
    assert "status" in exc.value.message_dict
    draft = plans.new_version(plan, world.staff_a)
    task = plans.add_task(draft, world.staff_a, phase="response", level=4, role="medical",
                          title="送透析病人", time_limit=30)
    assert draft.tasks.filter(pk=task.pk).exists()
    with pytest.raises(ValidationError) as exc:
        plans.add_task(draft, world.staff_a, phase="later", level=4, role="medical", title="x")
    assert "phase" in exc.value.message_dict
    plans.remove_task(draft, world.staff_a, task)
    assert not draft.tasks.filter(pk=task.pk).exists()
    with pytest.raises(PermissionDenied):
        plans.add_task(draft, world.staff_b, phase="response", level=4, role="medical", title="x")
