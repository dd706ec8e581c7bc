"""Personal data at rest and in use (issue 10, docs/reliability.md "Personal data"): a raw read of
the database shows no ID or phone number anywhere, not even in the change log; pages, the API and
exports mask by default; every reveal, on any channel, writes the access log.

Finer cases live beside the code: people/tests/test_views.py, people/tests/test_export.py,
core/tests/test_api.py, health/tests/test_access.py.
"""
import datetime as dt

import pytest
from django.db import connection
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from resilience.core import crypto
from resilience.core.models import AccessLogEntry, ChangeLogEntry
from resilience.core.testing import make_id_number
from resilience.people.models import Household, Resident, Volunteer
from resilience.people.transfer.exporting import run_export

BIRTH = dt.date(1961, 3, 9)
NEW_ID = make_id_number(BIRTH, 321, female=True)
NEW_PHONE = "13765432109"
LATER_PHONE = "13611112222"


def api_as(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    return client


@pytest.fixture
def people(world):
    """A resident made through the API (change log with an actor), then edited, plus the
    world's residents, household phones and volunteers."""
    response = api_as(world.users["staff_a"]).post("/api/residents/", {
        "household": world.household_a1.pk, "name": "李四", "sex": "female",
        "birth_date": BIRTH.isoformat(), "id_number": NEW_ID, "phone": NEW_PHONE,
        "emergency_contact_phone": "13500001111"}, format="json")
    assert response.status_code == 201, response.content
    resident = Resident.objects.get(pk=response.json()["id"])
    resident.phone = LATER_PHONE
    resident.save()
    household = world.household_a1
    household.phone = "13822223333"
    household.save()
    return resident


def secrets_in_clear() -> set[str]:
    values = set()
    for r in Resident.objects.all():
        values |= {r.id_number, r.phone, r.emergency_contact_phone}
    values |= set(Household.objects.values_list("phone", flat=True))
    values |= {v.phone for v in Volunteer.objects.all()}
    return {v for v in values if v}


def as_text(value) -> str:
    if isinstance(value, memoryview):
        value = value.tobytes()
    if isinstance(value, bytes):
        return value.decode(errors="replace")
    return str(value)


def every_cell():
    """(table, column, text) for every non-empty cell of every table, read with a plain cursor."""
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            names = [c[0] for c in cursor.description]
            for row in cursor.fetchall():
                for name, value in zip(names, row):
                    if value is not None:
                        yield table, name, as_text(value)


def test_a_raw_read_of_the_database_shows_no_id_or_phone_number(people):
    clear = secrets_in_clear() | {NEW_PHONE}  # the number it had before the edit, too
    assert {NEW_ID, LATER_PHONE} <= clear and len(clear) > 10
    found = [(table, column, needle) for table, column, text in every_cell()
             for needle in clear if needle in text]
    assert found == []
    assert ChangeLogEntry.objects.filter(object_id=people.pk).count() >= 2


def test_the_change_log_keeps_fingerprints_that_show_a_change_without_the_number(people):
    entry = ChangeLogEntry.objects.filter(object_id=people.pk, action="update").first()
    assert "phone" in entry.changed_fields()
    assert entry.before["phone"].startswith("#") and entry.after["phone"].startswith("#")
    assert NEW_PHONE not in str(entry.before) and LATER_PHONE not in str(entry.after)


def test_stored_values_are_ciphertext_that_the_field_key_opens(people):
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone, id_number_hash FROM people_resident "
                       "WHERE id = %s", [people.pk])
        id_token, phone_token, id_hash = cursor.fetchone()
    assert crypto.decrypt(id_token) == NEW_ID and crypto.decrypt(phone_token) == LATER_PHONE
    assert id_hash == crypto.keyed_hash(NEW_ID, "id_number")  # a keyed hash, not the number


def test_pages_api_and_exports_are_masked_by_default_and_log_nothing(client, people, world,
                                                                    tmp_path):
    staff = world.users["staff_a"]
    client.force_login(staff)
    pages = [client.get(reverse("people:resident_list")).content.decode(),
             client.get(people.get_absolute_url()).content.decode()]
    api = api_as(staff)
    answers = [api.get("/api/residents/").content.decode(),
               api.get(f"/api/residents/{people.pk}/").content.decode()]
    out = tmp_path / "residents.csv"
    run_export("residents", out, fmt="csv", community_code="comm-a", username="staff_a")
    export = out.read_text(encoding="utf-8-sig")
    for text in (*pages, *answers, export):
        assert NEW_ID not in text and LATER_PHONE not in text
    assert crypto.mask_phone(LATER_PHONE) in pages[1] and crypto.mask_phone(LATER_PHONE) in export
    assert not AccessLogEntry.objects.exists()


def test_every_reveal_writes_the_access_log_on_every_channel(client, people, world, tmp_path):
    staff = world.users["staff_a"]
    client.force_login(staff)
    response = client.post(reverse("people:resident_reveal", args=[people.pk]))
    assert NEW_ID in response.content.decode()
    response = api_as(staff).post(f"/api/residents/{people.pk}/reveal/")
    assert response.json()["id_number"] == NEW_ID
    out = tmp_path / "clear.csv"
    rows = run_export("residents", out, fmt="csv", community_code="comm-a", username="staff_a",
                      reveal=True)
    assert NEW_ID in out.read_text(encoding="utf-8-sig")

    entries = AccessLogEntry.objects.filter(object_id=people.pk, user=staff)
    assert sorted(entries.values_list("channel", flat=True)) == ["api", "export", "web"]
    assert all("id_number" in e.fields for e in entries)
    assert AccessLogEntry.objects.filter(channel="export").count() == rows  # one per resident


def test_a_role_that_may_not_reveal_is_refused_and_nothing_is_logged(client, people, world):
    client.force_login(world.users["office"])
    response = client.post(reverse("people:resident_reveal", args=[people.pk]))
    assert response.status_code == 403 and NEW_ID not in response.content.decode()
    assert api_as(world.users["office"]).post(
        f"/api/residents/{people.pk}/reveal/").status_code == 403
    assert not AccessLogEntry.objects.exists()
