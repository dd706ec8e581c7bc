"""Alarm services: open, refresh, clear and acknowledge an alarm — safe with several ingesters.

One alarm is open per (sensor, rule) at a time; the database holds that rule (a partial unique
constraint), so two processes racing to open the same alarm end with one row: the loser catches
the ``IntegrityError`` and refreshes the winner's alarm instead. Clearing claims the alarm with a
conditional ``UPDATE … WHERE status = 'open'``, so exactly one caller clears it and sends the
signal. ``alarm_raised`` (also when an open alarm's level rises) and ``alarm_cleared`` are sent
after the transaction commits — never for work that is rolled back.

Opening, clearing, a level change and an acknowledgement are change-logged. Refreshing an open
alarm's ``value`` and ``last_seen_at`` on every reading is machine data, written with one
``UPDATE`` per batch (``refresh_alarms``) and not change-logged, like the readings themselves.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from resilience.core.actor import acting_as, current_actor, current_source
from resilience.core.changelog import snapshot
from resilience.core.models import ChangeLogEntry
from resilience.core.scope import can
from resilience.monitoring.models import Alarm
from resilience.monitoring.signals import alarm_cleared, alarm_raised

logger = logging.getLogger(__name__)
OPEN, CLEARED = Alarm.Status.OPEN, Alarm.Status.CLEARED


def _send_after_commit(signal, alarm: Alarm) -> None:
    def send() -> None:
        # A failing receiver (early warning, a webhook…) must not take ingestion down with it.
        for receiver, result in signal.send_robust(sender=Alarm, alarm=alarm):
            if isinstance(result, Exception):
                logger.error("alarm signal receiver %r failed on alarm %s", receiver, alarm.pk,
                             exc_info=result)

    transaction.on_commit(send)


def open_alarm(*, community_id: int, sensor_id: int, rule_id: int, level: int, message: str,
               value: float | None, at: datetime) -> tuple[Alarm, bool]:
    """Open the alarm of (sensor, rule) at ``at``; return ``(alarm, created)``.

    If another process opened it first, its alarm is refreshed (value, last seen, a higher level)
    and returned with ``created`` false: never a duplicate.
    """
    alarm = Alarm(community_id=community_id, sensor_id=sensor_id, rule_id=rule_id, level=level,
                  status=OPEN, message=message[:300], value=value, opened_at=at, last_seen_at=at)
    try:
        with transaction.atomic():
            alarm.save()
    except IntegrityError:
        existing = Alarm.objects.filter(sensor_id=sensor_id, rule_id=rule_id, status=OPEN).first()
        if existing is None:  # not the one-open-alarm rule: a real error
            raise
        escalate(existing, level)
        refresh_alarms([touch(existing, at, value)])
        return existing, False
    _send_after_commit(alarm_raised, alarm)
    return alarm, True


def touch(alarm: Alarm, at: datetime, value: float | None) -> Alarm:
    """Note a reading that confirms the open alarm (in memory; ``refresh_alarms`` writes it)."""
    if alarm.last_seen_at is None or at >= alarm.last_seen_at:
        alarm.last_seen_at = at
        alarm.value = value
    return alarm


def refresh_alarms(alarms: Iterable[Alarm]) -> int:
    """Write the ``value`` and ``last_seen_at`` of open alarms: one batched statement.

    (``bulk_update`` builds a CASE per row and costs more than the rules themselves.)
    """
    alarms = [a for a in alarms if a.pk is not None]
    if not alarms:
        return 0
    table = connection.ops.quote_name(Alarm._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"UPDATE {table} AS a SET value = v.value, last_seen_at = v.seen "  # nosec B608 # table from _meta
                f"FROM unnest(%s::bigint[], %s::float8[], %s::timestamptz[]) AS v(id, value, seen) "
                f"WHERE a.id = v.id AND a.status = 'open'",
                [[a.pk for a in alarms], [a.value for a in alarms],
                 [a.last_seen_at for a in alarms]])
        else:
            adapt = connection.ops.adapt_datetimefield_value
            cursor.executemany(f"UPDATE {table} SET value = %s, last_seen_at = %s "  # nosec B608 # table from _meta
                               f"WHERE id = %s AND status = 'open'",
                               [(a.value, adapt(a.last_seen_at), a.pk) for a in alarms])
    return len(alarms)


def escalate(alarm: Alarm, level: int) -> bool:
    """Raise an open alarm's level if ``level`` is more severe (I = 1 is the most severe)."""
    if level >= alarm.level or alarm.status != OPEN:
        return False
    before = snapshot(alarm)
    now = timezone.now()
    if not Alarm.objects.filter(pk=alarm.pk, status=OPEN, level__gt=level).update(
            level=level, updated=now):
        return False
    alarm.level, alarm.updated = level, now
    _log_update(alarm, before)
    _send_after_commit(alarm_raised, alarm)
    return True


def clear_alarm(alarm: Alarm, at: datetime, value: float | None = None) -> bool:
    """Clear an open alarm at ``at``; true if this call cleared it (and so sends the signal)."""
    before = snapshot(alarm)
    at = max(at, alarm.opened_at)
    fields = {"status": CLEARED, "cleared_at": at, "updated": timezone.now()}
    if value is not None:
        fields.update(value=value, last_seen_at=max(at, alarm.last_seen_at))
    if not Alarm.objects.filter(pk=alarm.pk, status=OPEN).update(**fields):
        return False  # someone else cleared it first
    for name, field_value in fields.items():
        setattr(alarm, name, field_value)
    _log_update(alarm, before)
    _send_after_commit(alarm_cleared, alarm)
    return True


def _log_update(alarm: Alarm, before: dict) -> None:
    # The claim above is a conditional UPDATE (no model signals), so log the change here.
    user = current_actor()
    ChangeLogEntry.objects.create(
        user=user if user is not None and user.pk else None, source=current_source() or "rules",
        action=ChangeLogEntry.Action.UPDATE,
        content_type=ContentType.objects.get_for_model(Alarm), object_id=alarm.pk,
        object_repr=str(alarm)[:200], before=before, after=snapshot(alarm))


def acknowledge(alarm: Alarm, user) -> Alarm:
    """Record that ``user`` has seen the alarm (the first acknowledgement is kept).

    Needs the ``change`` right on the alarm (community staff, the owning property company);
    raises ``PermissionDenied`` otherwise.
    """
    if not can(user, "change", alarm):
        raise PermissionDenied(_("You may not acknowledge this alarm."))
    if alarm.acknowledged_at is not None:
        return alarm
    before = snapshot(alarm)
    now = timezone.now()
    with acting_as(user, current_source() or "web"), transaction.atomic():
        if Alarm.objects.filter(pk=alarm.pk, acknowledged_at__isnull=True).update(
                acknowledged_by=user, acknowledged_at=now, updated=now):
            alarm.acknowledged_by, alarm.acknowledged_at, alarm.updated = user, now, now
            _log_update(alarm, before)
        else:  # acknowledged meanwhile by someone else: show theirs
            alarm.refresh_from_db()
    return alarm
