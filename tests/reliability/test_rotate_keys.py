"""`resilience manage rotate_keys` re-encrypts every personal-data field under the new key without
losing or changing a value (issue 10, docs/reliability.md "Personal data")."""
import io

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from resilience.core.management.commands.rotate_keys import encrypted_columns
from resilience.core.models import ChangeLogEntry
from resilience.people.models import Resident

KEY_B = Fernet.generate_key().decode()


def plaintexts() -> dict:
    """Every encrypted value of every model, read through the ORM (so decrypted)."""
    values = {}
    for model, columns in encrypted_columns():
        fields = [f.attname for f in model._meta.local_concrete_fields if f.column in columns]
        for row in model._base_manager.values("pk", *fields):
            values[(model._meta.label, row.pop("pk"))] = row
    return values


def stored_tokens() -> list[str]:
    tokens = []
    with connection.cursor() as cursor:
        for model, columns in encrypted_columns():
            cols = ", ".join(connection.ops.quote_name(c) for c in columns)
            cursor.execute(f"SELECT {cols} FROM {connection.ops.quote_name(model._meta.db_table)}")
            tokens += [t for row in cursor.fetchall() for t in row if t]
    return tokens


def rotate(*args) -> str:
    out = io.StringIO()
    call_command("rotate_keys", "--no-progress", *args, stdout=out)
    return out.getvalue()


def test_every_encrypted_model_is_found(db):
    labels = {model._meta.label for model, _columns in encrypted_columns()}
    assert {"people.Resident", "people.Household", "people.Volunteer",
            "health.HealthArchive", "shelters.Stay"} <= labels


def test_rotation_to_a_new_key_loses_nothing_and_the_old_key_can_go(world, settings):
    key_a = settings.RESILIENCE_FIELD_KEYS[0]
    before = plaintexts()
    hashes = list(Resident.objects.order_by("pk").values_list("id_number_hash", "phone_hash"))
    logged = ChangeLogEntry.objects.count()
    tokens = stored_tokens()
    assert len(tokens) > 10

    settings.RESILIENCE_FIELD_KEYS = [KEY_B, key_a]
    report = rotate("--batch", "2")  # many batches
    assert f"Done: {len(tokens)} values re-encrypted, 0 already current" in report

    settings.RESILIENCE_FIELD_KEYS = [KEY_B]  # the old key is gone
    assert plaintexts() == before
    for token in stored_tokens():
        Fernet(KEY_B).decrypt(token.encode())
        with pytest.raises(InvalidToken):
            Fernet(key_a).decrypt(token.encode())
    assert list(Resident.objects.order_by("pk")
                .values_list("id_number_hash", "phone_hash")) == hashes
    assert ChangeLogEntry.objects.count() == logged  # not a change of any record


def test_running_it_again_finds_nothing_to_do(world, settings):
    settings.RESILIENCE_FIELD_KEYS = [KEY_B, settings.RESILIENCE_FIELD_KEYS[0]]
    rotate()
    tokens = stored_tokens()
    report = rotate()
    assert f"Done: 0 values re-encrypted, {len(tokens)} already current" in report
    assert sorted(stored_tokens()) == sorted(tokens)  # untouched, not re-encrypted again


def test_a_value_no_key_opens_stops_the_rotation_with_a_clear_error(world, settings):
    settings.RESILIENCE_FIELD_KEYS = [KEY_B]  # the old key was dropped too early
    with pytest.raises(CommandError, match="keep every old key"):
        rotate()
    settings.RESILIENCE_FIELD_KEYS = [Fernet.generate_key().decode()]
    with pytest.raises(ValueError):
        list(Resident.objects.all())  # nothing was half-rotated under an unknown key


def test_bad_batch_size_is_refused(db):
    with pytest.raises(CommandError, match="--batch"):
        rotate("--batch", "0")
