import pytest

from resilience.response.services import plans
from resilience.response.vocab import CommandRole, Scenario


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def plan(world):
    """Community A's flood plan in force: staff_a commands, grid_worker_a1 leads grid A1,
    volunteer_a does logistics."""
    p = plans.from_template(world.community_a, Scenario.FLOOD, world.staff_a)
    plans.put_in_force(p, world.staff_a)
    plans.assign_role(p, world.staff_a, CommandRole.COMMANDER, world.staff_a)
    plans.assign_role(p, world.staff_a, CommandRole.GRID_LEAD, world.grid_worker_a1,
                      grid=world.grid_a1)
    plans.assign_role(p, world.staff_a, CommandRole.LOGISTICS, world.users["volunteer_a"])
    return p


@pytest.fixture
def incident(world):
    from resilience.response.services import incidents

    return incidents.open_incident(world.staff_a, world.community_a, title="地下车库进水",
                                   scenario=Scenario.FLOOD)
