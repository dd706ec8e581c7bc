"""The archive derives the resident's health tags, adds and removes only its own."""
import pytest

from resilience.health.models import Condition, Device
from resilience.health.services import archives

pytestmark = pytest.mark.django_db


def tags(resident):
    resident.refresh_from_db()
    return set(resident.tags)


def test_archive_adds_health_tags_and_keeps_other_tags(world, archive_a1):
    assert tags(world.resident_a1) == {"elderly_alone", "chronic_illness", "dialysis"}


def test_removing_the_device_removes_the_tag_it_derived(world, archive_a1):
    archives.remove_part(world.health_a, archive_a1.devices.get())
    assert tags(world.resident_a1) == {"elderly_alone", "chronic_illness"}
    for condition in archive_a1.conditions.all():
        archives.remove_part(world.health_a, condition)
    assert tags(world.resident_a1) == {"elderly_alone"}


def test_resolved_condition_is_no_chronic_illness(world):
    archive = archives.open_archive(world.health_a, world.resident_a2)
    condition = archives.add_part(world.health_a, archive, Condition, code="J44")
    assert "chronic_illness" in tags(world.resident_a2)
    condition.status = "resolved"
    condition.save()
    assert "chronic_illness" not in tags(world.resident_a2)


def test_devices_and_mobility_derive_their_tags(world):
    archive = archives.open_archive(world.health_a, world.resident_a2)
    archives.add_part(world.health_a, archive, Device, device_type="oxygen_concentrator")
    archives.add_part(world.health_a, archive, Device, device_type="ventilator")
    archive.mobility = "bedridden"
    archive.save()
    assert tags(world.resident_a2) == {"oxygen", "medical_device", "bedridden"}
    archive.mobility = "wheelchair"
    archive.save()
    assert tags(world.resident_a2) == {"oxygen", "medical_device"}


def test_a_tag_staff_set_by_hand_is_not_removed(world):
    resident = world.resident_a2
    resident.tags = ["dialysis", "pregnant"]
    resident.save()
    archive = archives.open_archive(world.health_a, resident)
    device = archives.add_part(world.health_a, archive, Device, device_type="suction")
    assert tags(resident) == {"dialysis", "pregnant", "medical_device"}
    archives.remove_part(world.health_a, device)
    assert tags(resident) == {"dialysis", "pregnant"}


def test_deleting_the_archive_releases_its_tags(world, archive_a1):
    archive_a1.delete()
    assert tags(world.resident_a1) == {"elderly_alone"}
