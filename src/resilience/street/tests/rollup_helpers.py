"""A hand-built street for the roll-up, dashboard and exchange tests, with known answers.

On top of the test world (communities a and b in one street, c in another):

- community a: 2 world residents (a1 elderly living alone) + 3 dialysis patients in grid a2,
  1 volunteer, grid worker a1; 20 bottles of water of 0.55 L (11 L, water norm 3 L/person/day,
  5 residents → 0.7 days); one open level II alarm on grid a1 and one cleared; an issued level
  III warning with 4 recipients (one acknowledged) and an expired one; one hazard overdue and
  one not yet due; one unmet need overdue; a score of 72.5 (and an older 60).
- community b: an open shelter of 100 m² (50 places at 2 m²) with one person checked in, an
  open incident.
- community c: nothing beyond the world.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone

from resilience.core.testing import make_id_number


def add_resident(world, community, household, name: str, serial: int, tags=()):
    from resilience.people.models import Resident

    birth = dt.date(1960, 1, 1 + serial)
    r = Resident(community=community, household=household, name=name, sex="male",
                 birth_date=birth, id_number=make_id_number(birth, 50 + serial, female=False),
                 phone=f"137{serial:08d}")
    r.tags = list(tags)
    r.save()
    return r


def build_street(world) -> dict:
    from resilience.alerts.models import Alert, AlertRecipient
    from resilience.assessment.models import AssessmentRun, Index
    from resilience.monitoring.models import Alarm, Rule, Sensor
    from resilience.places.models import Facility
    from resilience.relief import ledger, norms
    from resilience.relief.models import Item, NeedRequest
    from resilience.response.models import Incident
    from resilience.risks.models import Hazard
    from resilience.shelters.models import Shelter, Stay

    now = timezone.now()
    today = timezone.localdate()
    a, b = world.community_a, world.community_b
    dialysis = [add_resident(world, a, world.household_a2, f"Dialysis {i}", i, ["dialysis"])
                for i in range(3)]

    norms.install_defaults()
    store = Facility.objects.create(community=a, kind="warehouse", code="W1", name="Store A")
    water = Item.objects.create(community=a, name="Water 550 ml", category="water",
                                unit="bottle", per_capita_amount=Decimal("0.55"))
    ledger.receive(water, store, 20)

    sensor = Sensor.objects.create(community=a, grid=world.grid_a1, code="smoke-a1",
                                   name="Smoke A1", kind="smoke")
    rule = Rule.objects.create(community=a, sensor=sensor, name="Smoke", kind="threshold",
                               params={"op": "above", "value": 10, "clear": 5}, level=2)
    Alarm.objects.create(community=a, sensor=sensor, rule=rule, level=2, message="smoke",
                         opened_at=now, last_seen_at=now)
    Alarm.objects.create(community=a, sensor=sensor, rule=rule, level=3, message="old",
                         status="cleared", opened_at=now, last_seen_at=now, cleared_at=now)

    alert = Alert.objects.create(community=a, identifier="test-a-1", sender="a@test",
                                 state="issued", level=3, event_type="flood",
                                 headline="水浸 A", description="Water in the garage",
                                 issued_at=now, created_by=world.staff_a)
    Alert.objects.create(community=a, identifier="test-a-old", sender="a@test", state="issued",
                         level=1, event_type="fire", headline="Old", description="old",
                         issued_at=now - dt.timedelta(days=2),
                         expires=now - dt.timedelta(days=1))
    people = [world.resident_a1, world.resident_a2, *dialysis[:2]]
    for i, person in enumerate(people):
        AlertRecipient.objects.create(
            alert=alert, key=f"resident:{person.pk}", kind="resident", name=person.name,
            resident=person, grid=person.household.building.grid,
            acknowledged_at=now if i == 0 else None)

    Hazard.objects.create(community=a, grid=world.grid_a1, title="Blocked exit", status="assigned",
                          deadline=today - dt.timedelta(days=2))
    Hazard.objects.create(community=a, grid=world.grid_a2, title="Loose cable", status="found",
                          deadline=today + dt.timedelta(days=5))
    NeedRequest.objects.create(community=a, household=world.household_a1,
                               building=world.building_a1, grid=world.grid_a1, kind="food",
                               due_at=now - dt.timedelta(hours=1))

    index = Index.objects.create(code="test-index", name="Test index")
    AssessmentRun.objects.create(community=a, index=index, at=now - dt.timedelta(days=30),
                                 score=60)
    AssessmentRun.objects.create(community=a, index=index, at=now, score=72.5)

    shelter = Shelter.objects.get(facility=world.shelter_b)  # made by a signal with the facility
    shelter.status, shelter.floor_area = "open", 100
    shelter.save()
    Stay.objects.create(shelter=shelter, resident=world.resident_b1, checked_in_at=now)
    Incident.objects.create(community=b, title="Gas smell", scenario=_scenario())
    return {"alert": alert, "dialysis": dialysis, "water": water}


def _scenario() -> str:
    from resilience.response.vocab import Scenario

    return Scenario.values[0]
