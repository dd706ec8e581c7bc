"""Every change to a registry record is in the change log, with who, when, before and after."""
from resilience.core.actor import acting_as
from resilience.core.models import ChangeLogEntry
from resilience.places.models import Building


def entries_for(obj):
    return ChangeLogEntry.objects.filter(object_id=obj.pk, content_type__model=obj._meta.model_name)


def test_update_records_before_and_after_and_who(world):
    building = world.building_a1
    with acting_as(world.users["staff_a"], "web"):
        building.floors = 9
        building.save()
    entry = entries_for(building).filter(action="update").get()
    assert entry.before["floors"] == 6 and entry.after["floors"] == 9
    assert entry.changed_fields() == ["floors", "updated"]
    assert entry.user == world.users["staff_a"] and entry.source == "web"


def test_a_save_that_changes_nothing_but_the_time_is_still_one_entry_at_most(world):
    building = world.building_a1
    count = entries_for(building).count()
    Building.objects.get(pk=building.pk).save()
    assert entries_for(building).count() <= count + 1


def test_delete_records_the_last_state(world):
    household = world.household_a1
    resident = world.resident_a1
    pk = resident.pk
    resident.delete()
    entry = ChangeLogEntry.objects.get(object_id=pk, content_type__model="resident", action="delete")
    assert entry.before["name"] == "Resident A1" and entry.after is None
    assert household.pk  # untouched


def test_sensitive_fields_are_fingerprinted_not_logged(world):
    resident = world.resident_a1
    old_fingerprint = entries_for(resident).get(action="create").after["id_number"]
    resident.phone = "13700000000"
    resident.save()
    entry = entries_for(resident).get(action="update")
    assert "13700000000" not in str(entry.after)
    assert entry.after["phone"].startswith("#") and entry.before["phone"] != entry.after["phone"]
    assert entry.after["id_number"] == old_fingerprint
    assert "phone" in entry.changed_fields() and "id_number" not in entry.changed_fields()


def test_every_registry_model_is_change_logged():
    from django.apps import apps

    from resilience.core.models import ChangeLoggedModel

    for label in ("places", "people"):
        for model in apps.get_app_config(label).get_models():
            if model._meta.model_name in {"importjob"}:
                continue
            assert issubclass(model, ChangeLoggedModel), model
