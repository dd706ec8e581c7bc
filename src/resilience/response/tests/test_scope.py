"""Who sees what: a matrix of role × response record × action."""
import pytest

from resilience.core.scope import can
from resilience.response.models import Incident, Plan, RollCallEntry, Task
from resilience.response.services import incidents
from resilience.response.services import rollcall as roll

pytestmark = pytest.mark.django_db

# user → (plan: view, change), (incident: view, change), (their task: view), (entry: view)
MATRIX = {
    "admin": (True, True, True, True, True, True),
    "office": (True, False, True, False, True, True),
    "staff_a": (True, True, True, True, True, True),
    "staff_b": (False, False, False, False, False, False),
    "grid_worker_a1": (True, False, True, False, True, True),
    "property_a": (True, False, True, False, False, False),
    "volunteer_a": (True, False, True, False, True, True),
    "health_a": (True, False, True, False, False, False),
    "resident_a1": (False, False, False, False, False, False),
    "outsider": (False, False, False, False, False, False),
}


@pytest.mark.parametrize("username", list(MATRIX))
def test_each_role_sees_exactly_its_part_of_the_response(world, plan, incident, username):
    incidents.activate(incident, world.staff_a, plan, 4)
    roll.start(incident, world.staff_a)
    user = world.users[username]
    commander = Task.objects.get(incident=incident, role="commander")
    lead = Task.objects.get(incident=incident, role="grid_lead")
    logistics = Task.objects.filter(incident=incident, role="logistics").first()
    entry = RollCallEntry.objects.get()
    task = {"grid_worker_a1": lead, "volunteer_a": logistics}.get(username, commander)
    expected = MATRIX[username]
    got = (can(user, "view", plan), can(user, "change", plan), can(user, "view", incident),
           can(user, "change", incident), can(user, "view", task),
           can(user, "view", entry) or entry.helper_id == user.pk)
    assert got == expected


def test_a_volunteer_sees_no_task_but_their_own(world, plan, incident):
    incidents.activate(incident, world.staff_a, plan, 4)
    volunteer = world.users["volunteer_a"]
    visible = Task.objects.visible_to(volunteer, "view")
    assert visible.exists() and not visible.exclude(assignee=volunteer).exists()


def test_community_b_records_stay_hidden_from_community_a(world):
    from resilience.response.services import plans

    plans.from_template(world.community_b, "flood")
    incidents.open_incident(world.staff_b, world.community_b, title="b", scenario="flood")
    for model in (Plan, Incident):
        assert not model.objects.visible_to(world.staff_a, "view").exists()


def test_staff_run_an_incident_but_only_an_admin_deletes_it(world, incident):
    assert can(world.staff_a, "change", incident)
    assert not can(world.staff_a, "delete", incident)
    assert can(world.admin, "delete", incident)


def test_the_activate_step_becomes_a_level_change_once_a_plan_is_active(world, plan, incident):
    from resilience.response.views.incidents import step_forms

    def label():
        return str(next(s["label"] for s in step_forms(incident, world.staff_a)
                        if s["step"] == "activate"))

    assert label() == "Activate a plan"
    incidents.activate(incident, world.staff_a, plan, 4)
    incident.refresh_from_db()
    assert label() == "Change the response level"
