"""Re-encrypt every personal-data field under the newest field key (docs/reliability.md).

Put the new key first in ``RESILIENCE_FIELD_KEY`` (``new,old``), run this, then drop the old key.
Values are rotated in their stored (encrypted) form, batch by batch, each batch in a transaction;
nothing is decrypted to the screen, the change log is not touched (no domain value changes) and
keyed look-up hashes stay as they are (they use ``RESILIENCE_HASH_KEY``, not the field keys).
Running it again finds nothing left to do.
"""
from __future__ import annotations

from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from tqdm import tqdm

from resilience.core.fields import EncryptedTextField

BATCH = 500


@dataclass
class Counts:
    rows: int = 0
    values: int = 0  # values re-encrypted
    current: int = 0  # values already under the newest key


def encrypted_columns() -> list[tuple[type, list[str]]]:
    """Every concrete model with encrypted fields, and their column names."""
    found = []
    for model in apps.get_models():
        if model._meta.proxy or not model._meta.managed:
            continue
        columns = [f.column for f in model._meta.local_concrete_fields
                   if isinstance(f, EncryptedTextField)]
        if columns:
            found.append((model, columns))
    return found


class Rotator:
    """Re-encrypts stored tokens under the first key; knows which are already current."""

    def __init__(self, keys: list[str]) -> None:
        self.newest = Fernet(keys[0])
        self.all = MultiFernet([Fernet(k) for k in keys])

    def rotate(self, token: str) -> str | None:
        """The token under the newest key, or None when it already is."""
        try:
            self.newest.decrypt(token.encode())
            return None
        except InvalidToken:
            pass
        try:
            return self.all.rotate(token.encode()).decode()
        except InvalidToken as exc:
            raise CommandError("a stored value opens with none of the keys in "
                               "RESILIENCE_FIELD_KEY: keep every old key until rotation is "
                               "done") from exc


def rotate_model(model, columns: list[str], rotator: Rotator, batch: int = BATCH,
                 progress=None) -> Counts:
    """Rotate the encrypted ``columns`` of ``model``'s table, ``batch`` rows per transaction."""
    qn = connection.ops.quote_name
    table, pk = qn(model._meta.db_table), qn(model._meta.pk.column)
    cols = ", ".join(qn(c) for c in columns)
    counts, last = Counts(), None
    while True:
        with transaction.atomic(), connection.cursor() as cursor:
            where = f"WHERE {pk} > %s " if last is not None else ""
            # Raw SQL: the field's own conversion would decrypt and re-encrypt every value,
            # and a model save would write change-log entries for a change that is not one.
            cursor.execute(f"SELECT {pk}, {cols} FROM {table} {where}ORDER BY {pk} LIMIT %s",  # nosec B608  # names from _meta through quote_name; ids and batch are parameters
                           [last, batch] if last is not None else [batch])
            rows = cursor.fetchall()
            for row in rows:
                updates = {}
                for column, token in zip(columns, row[1:]):
                    new = rotator.rotate(token) if token else None
                    if new is None:
                        counts.current += bool(token)
                    else:
                        updates[column] = new
                if updates:
                    sets = ", ".join(f"{qn(c)} = %s" for c in updates)
                    cursor.execute(f"UPDATE {table} SET {sets} WHERE {pk} = %s",  # nosec B608  # names from _meta through quote_name; values are parameters
                                   [*updates.values(), row[0]])
                    counts.values += len(updates)
            counts.rows += len(rows)
        if progress is not None:
            progress.update(len(rows))
        if len(rows) < batch:
            return counts
        last = rows[-1][0]


class Command(BaseCommand):
    help = ("Re-encrypt every personal-data field under the newest key in RESILIENCE_FIELD_KEY "
            "(put the new key first, the old ones after it; afterwards the old ones may go).")

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=BATCH,
                            help=f"rows per transaction (default {BATCH})")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, batch: int, no_progress: bool, **options):
        if batch < 1:
            raise CommandError("--batch must be at least 1")
        rotator = Rotator(list(settings.RESILIENCE_FIELD_KEYS))
        total = Counts()
        for model, columns in encrypted_columns():
            rows = model._base_manager.count()
            label = model._meta.label
            with tqdm(total=rows, desc=label, unit="row", disable=no_progress or not rows,
                      file=self.stderr._out) as bar:
                counts = rotate_model(model, columns, rotator, batch, bar)
            self.stdout.write(f"{label}: {counts.rows} rows, {counts.values} values "
                              f"re-encrypted, {counts.current} already under the newest key")
            total.rows += counts.rows
            total.values += counts.values
            total.current += counts.current
        self.stdout.write(self.style.SUCCESS(
            f"Done: {total.values} values re-encrypted, {total.current} already current, "
            f"in {total.rows} rows. The old keys may now be removed from RESILIENCE_FIELD_KEY."))
