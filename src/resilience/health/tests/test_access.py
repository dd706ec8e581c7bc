"""Who may open a health archive: health workers of the community, admins and the resident;
staff, grid workers, volunteers and the office never; every read is in the access log."""
import re

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.urls import reverse

from resilience.core.models import AccessLogEntry
from resilience.health.models import Condition, HealthArchive

pytestmark = pytest.mark.django_db


def reads_of(archive, channel=None):
    rows = AccessLogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(HealthArchive), object_id=archive.pk)
    return rows.filter(channel=channel) if channel else rows


def test_health_worker_of_the_community_opens_the_archive(world, client, archive_a1):
    client.force_login(world.health_a)
    page = client.get(archive_a1.get_absolute_url())
    assert page.status_code == 200
    assert "N18.5" in page.text and "Amlodipine" in page.text
    assert "Dialysis machine (home peritoneal)".lower() in page.text.lower()


@pytest.mark.parametrize("name", ["staff_a", "grid_worker_a1", "volunteer_a", "office",
                                  "property_a", "outsider"])
def test_other_roles_cannot_open_an_archive(world, client, archive_a1, name):
    client.force_login(world.users[name])
    assert client.get(archive_a1.get_absolute_url()).status_code in (403, 404)
    assert HealthArchive.objects.visible_to(world.users[name]).count() == 0
    assert Condition.objects.visible_to(world.users[name]).count() == 0
    response = client.get("/api/health/archives/")
    assert response.status_code in (200, 403)
    if response.status_code == 200:
        assert response.json()["count"] == 0
    assert client.get(f"/api/health/archives/{archive_a1.pk}/").status_code in (403, 404)
    assert client.get(f"/api/health/archives/{archive_a1.pk}/fhir/").status_code in (403, 404)
    assert not reads_of(archive_a1).exists()


def test_health_worker_of_another_community_cannot_see_the_archive(world, client, archive_a1,
                                                                   health_b):
    client.force_login(health_b)
    assert client.get(archive_a1.get_absolute_url()).status_code == 404
    assert client.get("/api/health/archives/").json()["count"] == 0
    assert client.get(f"/api/health/archives/{archive_a1.pk}/").status_code == 404


def test_resident_sees_their_own_archive_but_cannot_change_it(world, client, archive_a1):
    world.resident_a1.user = world.users["resident_a1"]
    world.resident_a1.save()
    client.force_login(world.users["resident_a1"])
    assert client.get(archive_a1.get_absolute_url()).status_code == 200
    response = client.post(reverse("health:archive_part_add", args=[archive_a1.pk, "condition"]),
                           {"code": "E11"})
    assert response.status_code == 403
    assert archive_a1.conditions.count() == 2


def test_a_household_member_does_not_see_another_members_archive(world, client, archive_a1):
    client.force_login(world.users["resident_a1"])  # same household, but not linked to A1
    assert client.get(archive_a1.get_absolute_url()).status_code == 404


def test_admin_sees_every_archive(world, client, archive_a1):
    client.force_login(world.admin)
    assert client.get("/api/health/archives/").json()["count"] == 1


def test_grid_worker_sees_the_tag_but_never_the_conditions(world, client, archive_a1):
    resident = world.resident_a1
    client.force_login(world.grid_worker_a1)
    page = client.get(resident.get_absolute_url())
    assert page.status_code == 200
    revealed = client.post(reverse("people:resident_reveal", args=[resident.pk]))
    assert "dialysis" in revealed.text.lower()
    assert "chronic illness" in revealed.text.lower()
    for secret in ("N18.5", "I10", "Chronic kidney disease", "hypertension", "Amlodipine"):
        assert secret not in page.text and secret not in revealed.text
    api = client.get(f"/api/residents/{resident.pk}/")
    assert "N18" not in api.text and "Amlodipine" not in api.text


def test_roll_call_lists_the_tag_without_medical_detail(world, client, archive_a1):
    from resilience.response.services import incidents, rollcall

    incident = incidents.open_incident(world.staff_a, world.community_a, title="Power cut",
                                       scenario="other",
                                       grids=[world.grid_a1])
    roll = rollcall.start(incident, world.staff_a)
    entry = roll.entries.get(resident=world.resident_a1)
    needs = rollcall.needs_of(entry.resident, world.grid_worker_a1)
    assert "dialysis" in " ".join(str(n) for n in needs).lower()
    client.force_login(world.staff_a)
    page = client.get(reverse("response:rollcall_detail", args=[roll.pk]))
    assert page.status_code == 200
    assert world.resident_a1.name in page.text
    assert "N18.5" not in page.text and "Chronic kidney disease" not in page.text


def test_every_read_is_logged(world, client, archive_a1):
    client.force_login(world.health_a)
    client.get(archive_a1.get_absolute_url())
    assert reads_of(archive_a1, "web").count() == 1
    client.get(f"/api/health/archives/{archive_a1.pk}/")
    assert reads_of(archive_a1, "api").count() == 1
    client.get("/api/health/archives/")
    assert reads_of(archive_a1, "api").count() == 2
    client.get(f"/api/health/archives/{archive_a1.pk}/fhir/")
    assert reads_of(archive_a1, "fhir").count() == 1
    assert reads_of(archive_a1).filter(user=world.health_a).count() == 4


def test_raw_database_rows_hold_no_condition_code_or_name(world, archive_a1):
    tables = [m._meta.db_table for m in (HealthArchive, Condition)]
    tables += ["health_medication", "core_changelogentry"]
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT * FROM {table}")
            dump = repr(cursor.fetchall())
            for secret in ("N18.5", "I10", "Chronic kidney disease", "hypertension",
                           "Amlodipine", "Dr Wang"):
                # As a word of its own: a short code such as "I10" turns up inside ciphertext
                # (URL-safe base64) by chance.
                found = re.search(rf"(?<![\w=-]){re.escape(secret)}(?![\w=-])", dump)
                assert not found, (table, secret)


def test_changes_are_in_the_change_log(world, archive_a1):
    from resilience.core.models import ChangeLogEntry

    types = ContentType.objects.get_for_models(HealthArchive, Condition).values()
    assert ChangeLogEntry.objects.filter(content_type__in=types).count() >= 3
