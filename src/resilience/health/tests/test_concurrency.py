"""Two health workers recording the same follow-up at once: one wins, one next follow-up."""
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections

from resilience.health.models import FollowUp
from resilience.health.services import care


def test_a_follow_up_recorded_twice_at_once_schedules_one_next(world, transactional_db):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; real row locks need PostgreSQL")
    plan = care.start_care_plan(world.health_a, world.resident_a1, kind="chronic",
                                interval_days=7)
    followup = plan.followups.get()
    barrier, outcomes = threading.Barrier(2), []

    def record():
        try:
            barrier.wait()
            care.record(world.health_a, FollowUp.objects.get(pk=followup.pk), outcome="seen")
            outcomes.append("ok")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=record) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["ok", "refused"]
    assert FollowUp.objects.filter(care_plan=plan).count() == 2
