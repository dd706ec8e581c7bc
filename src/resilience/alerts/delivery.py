"""From an issued alert to messages sent and acknowledged.

1. ``fan_out(alert)`` — run by the worker right after issue (the task is written in the issuing
   transaction): resolves the recipients (``targeting``), writes one ``AlertRecipient`` per person
   and one queued ``Delivery`` per person and channel in a few bulk statements, all or nothing,
   and asks the worker to send. Running it twice adds nothing.
2. ``send_due(channel, worker)`` — run by the worker per channel: claims due deliveries, most
   urgent first, with a lease; sends each with its idempotency key; marks it sent, or queued again
   with back-off, or failed with the reason. A channel that keeps failing stops its own batch and
   backs off: it never holds up the other channels, which run as their own tasks.
3. ``acknowledge(recipient, method)`` — from the link, the app, or staff marking a call or a door
   knock; the first acknowledgement counts, and it closes the follow-up task if there is one.
4. ``follow_up(now)`` — periodic: a vulnerable resident who has not acknowledged within the
   level's time gets a task for their helper (grid worker, else a volunteer, else staff).
"""
from __future__ import annotations

import datetime as dt
import logging
import time
from collections import Counter
from collections.abc import Callable, Iterable

from django.conf import settings
from django.db import Error as DatabaseFailure
from django.db import connection, transaction
from django.db.models import Case, Count, DateTimeField, F, IntegerField, Q, Value, When
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from resilience.alerts import channels, targeting
from resilience.alerts.messages import render
from resilience.alerts.models import Alert, AlertRecipient, Delivery, Endpoint
from resilience.alerts.vocab import DeliveryStatus, MessageType, RecipientKind, State
from resilience.core import tasks as outbox

log = logging.getLogger(__name__)

LEASE = dt.timedelta(seconds=int(getattr(settings, "RESILIENCE_DELIVERY_LEASE_SECONDS", 120)))
BATCH_SECONDS = 10.0  # one send task works this long, then hands over to a fresh one
TRIP_AFTER = 3  # consecutive temporary failures that make a channel back off as a whole
CHUNK = 5000  # rows per bulk insert
# Minutes a vulnerable resident has to acknowledge before their helper gets a task, per level.
FOLLOW_UP_MINUTES = {1: 10, 2: 15, 3: 30, 4: 60}

RESUME_SECONDS = 10  # how often the safety net looks for due work without a task
FAN_OUT = "alerts.fan_out"
SEND = "alerts.send"


def enabled_channels() -> set[str]:
    wanted = getattr(settings, "RESILIENCE_ALERT_CHANNELS", None) or list(channels.REGISTRY)
    return {name for name in wanted if name in channels.REGISTRY and channels.get(name).enabled()}


def queue_fan_out(alert: Alert) -> None:
    """Write the fan-out task in the caller's transaction (the alert's issue)."""
    outbox.enqueue(FAN_OUT, {"alert": alert.pk}, key=f"fan-out:{alert.pk}")


# -- 1. fan-out -------------------------------------------------------------------------------
def _person_channels(r: targeting.Recipient, emails: set[int], enabled: set[str]) -> list[str]:
    found = []
    if r.user_id and "inapp" in enabled:
        found.append("inapp")
    if r.has_phone and "sms" in enabled:
        found.append("sms")
    if r.user_id and r.user_id in emails and "email" in enabled:
        found.append("email")
    return found


def _key(r: targeting.Recipient) -> str:
    kind, ident = r.key
    return f"{kind}:{ident}"


def _users_with_email(user_ids: Iterable[int]) -> set[int]:
    from django.contrib.auth import get_user_model

    ids, found = list(user_ids), set()
    for start in range(0, len(ids), CHUNK):
        found |= set(get_user_model().objects.filter(pk__in=ids[start:start + CHUNK])
                     .exclude(email="").values_list("pk", flat=True))
    return found


def fan_out(alert: Alert, now: dt.datetime | None = None) -> int:
    """Write the alert's recipients and queued deliveries; return how many deliveries were queued
    (0 when it had already been done, or the alert is not issued).

    Speed matters here (a red alert to 4,000 people is queued in well under a second): the
    recipients go in with one COPY (PostgreSQL) or executemany (SQLite) of plain tuples, and the
    deliveries with one ``INSERT … SELECT`` per channel from the recipients' ``channels`` column.
    """
    now = now or timezone.now()
    enabled = enabled_channels()
    with transaction.atomic():
        alert = Alert.objects.select_for_update().select_related("community").get(pk=alert.pk)
        if alert.state != State.ISSUED and alert.msg_type != MessageType.CANCEL:
            return 0
        if AlertRecipient.objects.filter(alert=alert).exists():
            return 0
        people = targeting.recipients(alert)
        emails = _users_with_email({r.user_id for r in people if r.user_id}) \
            if "email" in enabled else set()
        rows = []
        for r in people:
            chosen = _person_channels(r, emails, enabled)
            rows.append(_recipient_row(
                alert, now, key=_key(r), kind=r.kind, name=r.name, reason=r.reason,
                priority=r.priority, vulnerable=r.kind == RecipientKind.RESIDENT
                and r.priority < targeting.OTHER_PRIORITY,
                resident_id=r.resident.pk if r.resident else None, user_id=r.user_id,
                volunteer_id=r.volunteer_id, helps_id=r.helps, building_id=r.building_id,
                grid_id=r.grid_id, language=r.language, channels=chosen))
        # Group chats and systems get every alert from their level up, whatever its audience.
        for endpoint in Endpoint.objects.filter(community_id=alert.community_id, active=True,
                                                lowest_level__gte=alert.level):
            if endpoint.channel in enabled:
                rows.append(_recipient_row(
                    alert, now, key=f"endpoint:{endpoint.pk}", kind=RecipientKind.GROUP,
                    name=endpoint.name, reason=_("group endpoint"), priority=9,
                    endpoint_id=endpoint.pk, language=endpoint.language,
                    channels=[endpoint.channel]))
        _insert_rows(AlertRecipient, RECIPIENT_COLUMNS, rows)
        queued = 0
        used = {name for row in rows for name in row[-1].strip("|").split("|") if name}
        for name in sorted(used):
            queued += _insert_deliveries(alert, name, now)
            for k in range(channels.get(name).parallel):
                outbox.enqueue(SEND, {"channel": name}, key=f"send:{name}:alert:{alert.pk}:{k}")
    return queued


RECIPIENT_COLUMNS = ("created", "updated", "alert_id", "key", "kind", "name", "reason", "priority",
                     "vulnerable", "resident_id", "user_id", "volunteer_id", "endpoint_id",
                     "helps_id", "building_id", "grid_id", "language", "token", "ack_method",
                     "needs_help", "ack_note", "channels")


def _recipient_row(alert, now, *, key, kind, name, reason, priority, vulnerable=False,
                   resident_id=None, user_id=None, volunteer_id=None, endpoint_id=None,
                   helps_id=None, building_id=None, grid_id=None, language="zh-hans",
                   channels=()) -> tuple:
    from resilience.alerts.models.deliveries import new_token

    stamp = connection.ops.adapt_datetimefield_value(now)  # as Django would store it
    return (stamp, stamp, alert.pk, key, kind, (name or "")[:100], (reason or "")[:200], priority,
            vulnerable, resident_id, user_id, volunteer_id, endpoint_id, helps_id, building_id,
            grid_id, language or "zh-hans", new_token(), "", False, "",
            ("|" + "|".join(channels) + "|") if channels else "")


def _insert_rows(model, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Insert plain tuples: COPY on PostgreSQL, executemany elsewhere (no model instances)."""
    if not rows:
        return
    table = connection.ops.quote_name(model._meta.db_table)
    names = ", ".join(connection.ops.quote_name(c) for c in columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        marks = ", ".join(["%s"] * len(columns))
        sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # nosec B608 # names from the model's _meta, quoted; values are parameters
        for start in range(0, len(rows), CHUNK):
            cursor.executemany(sql, rows[start:start + CHUNK])


def _insert_deliveries(alert: Alert, channel: str, now: dt.datetime) -> int:
    """One queued delivery on ``channel`` for each of the alert's recipients that chose it."""
    q = connection.ops.quote_name
    delivery, recipient = q(Delivery._meta.db_table), q(AlertRecipient._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {delivery} (alert_id, recipient_id, channel, priority, status, attempts, "  # nosec B608 # table names from _meta
            f"next_attempt_at, locked_by, provider_ref, last_error) "
            f"SELECT alert_id, id, %s, priority, %s, 0, %s, '', '', '' FROM {recipient} "
            f"WHERE alert_id = %s AND channels LIKE %s",
            [channel, DeliveryStatus.QUEUED, connection.ops.adapt_datetimefield_value(now),
             alert.pk, f"%|{channel}|%"])
        return cursor.rowcount


# -- 2. sending -------------------------------------------------------------------------------
def _due(channel: str, now: dt.datetime) -> Q:
    return Q(channel=channel) & (Q(status=DeliveryStatus.QUEUED, next_attempt_at__lte=now)
                                 | Q(status=DeliveryStatus.SENDING, locked_until__lt=now))


def claim(channel: str, worker: str, limit: int, now: dt.datetime) -> list[Delivery]:
    """Take up to ``limit`` due deliveries of ``channel`` (most urgent first) under a lease."""
    until = now + LEASE
    with transaction.atomic():
        candidates = Delivery.objects.filter(_due(channel, now)).order_by("priority", "id")
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        ids = list(candidates.values_list("id", flat=True)[:limit])
        if not ids:
            return []
        Delivery.objects.filter(_due(channel, now), id__in=ids).update(
            status=DeliveryStatus.SENDING, locked_by=worker, locked_until=until,
            attempts=F("attempts") + 1)
    return list(Delivery.objects.filter(id__in=ids, status=DeliveryStatus.SENDING,
                                        locked_by=worker, locked_until=until)
                .select_related("alert__community", "recipient__user", "recipient__resident",
                                "recipient__volunteer", "recipient__endpoint")
                .order_by("priority", "id"))


def _mine(delivery: Delivery):
    return Delivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENDING,
                                   locked_by=delivery.locked_by)


def _mark_sent(batch: list[Delivery], now: dt.datetime, refs: dict[int, str] | None = None) -> None:
    with transaction.atomic():
        for d in batch:
            _mine(d).update(status=DeliveryStatus.SENT, sent_at=now, locked_until=None,
                            provider_ref=(refs or {}).get(d.pk, "")[:200], last_error="")
        AlertRecipient.objects.filter(pk__in=[d.recipient_id for d in batch],
                                      reached_at__isnull=True).update(reached_at=now)


def _mark_sent_at_once(batch: list[Delivery], worker: str, now: dt.datetime) -> None:
    with transaction.atomic():
        Delivery.objects.filter(pk__in=[d.pk for d in batch], status=DeliveryStatus.SENDING,
                                locked_by=worker).update(status=DeliveryStatus.SENT, sent_at=now,
                                                         locked_until=None, last_error="")
        AlertRecipient.objects.filter(pk__in=[d.recipient_id for d in batch],
                                      reached_at__isnull=True).update(reached_at=now)


def _mark_failed(d: Delivery, reason: str, now: dt.datetime) -> None:
    _mine(d).update(status=DeliveryStatus.FAILED, locked_until=None, last_error=reason[:2000])


def _retry(d: Delivery, reason: str, now: dt.datetime) -> None:
    _mine(d).update(status=DeliveryStatus.QUEUED, locked_by="", locked_until=None,
                    next_attempt_at=now + dt.timedelta(seconds=outbox.backoff(d.attempts)),
                    last_error=reason[:2000])


def _give_back(batch: list[Delivery], worker: str, delay: float, reason: str,
               now: dt.datetime) -> None:
    """Return unsent claims after the channel tripped: not an attempt of theirs."""
    Delivery.objects.filter(pk__in=[d.pk for d in batch], status=DeliveryStatus.SENDING,
                            locked_by=worker).update(
        status=DeliveryStatus.QUEUED, locked_by="", locked_until=None,
        attempts=F("attempts") - 1, next_attempt_at=now + dt.timedelta(seconds=delay),
        last_error=reason[:2000])


def send_due(channel_name: str, worker: str = "worker", budget: float = BATCH_SECONDS,
             clock: Callable[[], dt.datetime] = timezone.now) -> Counter:
    """Send this channel's due deliveries for up to ``budget`` seconds; return the counts
    (sent, retried, failed, deferred)."""
    channel = channels.get(channel_name)
    counts: Counter = Counter()
    started = time.monotonic()
    while time.monotonic() - started < budget:
        batch = claim(channel_name, worker, channel.batch, clock())
        if not batch:
            break
        try:
            if _send_batch(channel, channel_name, batch, worker, started, budget, clock, counts):
                return counts
        except BaseException as exc:
            # The database (or this worker) failed mid-batch: what is still ours goes back to
            # the queue rather than waiting out its lease — when the database answers again, if
            # it was the database that failed (a restart takes seconds).
            patience = outbox.GIVE_BACK_PATIENCE if isinstance(exc, DatabaseFailure) else 0
            try:
                given = outbox.when_database_answers(
                    lambda: _give_back(batch, worker, 1.0, "", clock()), patience)
            except Exception:  # noqa: BLE001 — the lease brings them back anyway
                given = False
            if not given:
                log.exception("could not give back %d claimed deliveries", len(batch))
            raise
    return counts


def _send_batch(channel, channel_name: str, batch: list[Delivery], worker: str, started: float,
                budget: float, clock, counts: Counter) -> bool:
    """Send one claimed batch; return True when the run should stop (time up, channel tripped)."""
    if channel.instant:
        _mark_sent_at_once(batch, worker, clock())
        counts["sent"] += len(batch)
        return False
    failures_in_a_row = 0
    for i, d in enumerate(batch):
        if failures_in_a_row >= TRIP_AFTER or time.monotonic() - started >= budget:
            rest = batch[i:]
            delay = outbox.backoff(max(d.attempts, 1)) if failures_in_a_row else 0
            _give_back(rest, worker, delay, d.last_error if failures_in_a_row else "", clock())
            counts["deferred"] += len(rest)
            return True
        try:
            message = render(d.alert, d.recipient, channel_name)
            ref = channel.send(d, message)
        except channels.PermanentFailure as exc:
            _mark_failed(d, str(exc) or type(exc).__name__, clock())
            counts["failed"] += 1
            failures_in_a_row = 0
        except Exception as exc:  # noqa: BLE001 — any other failure may pass: retry
            reason = f"{type(exc).__name__}: {exc}"
            d.last_error = reason
            failures_in_a_row += 1
            if d.attempts >= channel.max_attempts:
                _mark_failed(d, _("gave up after %(n)d attempts: %(reason)s")
                             % {"n": d.attempts, "reason": reason}, clock())
                counts["failed"] += 1
            else:
                _retry(d, reason, clock())
                counts["retried"] += 1
        else:
            _mark_sent([d], clock(), {d.pk: ref or ""})
            counts["sent"] += 1
            failures_in_a_row = 0
    return False


def schedule_next(channel_name: str, now: dt.datetime | None = None) -> None:
    """After a send run: ask for another run when this channel has work left — now if some is
    due, else at the earliest retry time."""
    now = now or timezone.now()
    pending = Delivery.objects.filter(channel=channel_name, status__in=[
        DeliveryStatus.QUEUED, DeliveryStatus.SENDING])
    if not pending.exists():
        return
    if pending.filter(_due(channel_name, now)).exists():
        outbox.enqueue(SEND, {"channel": channel_name})
        return
    nxt = min(filter(None, [
        pending.filter(status=DeliveryStatus.QUEUED).order_by("next_attempt_at")
        .values_list("next_attempt_at", flat=True).first(),
        pending.filter(status=DeliveryStatus.SENDING).order_by("locked_until")
        .values_list("locked_until", flat=True).first()]), default=None)
    if nxt is not None:
        outbox.enqueue(SEND, {"channel": channel_name}, run_at=nxt,
                       key=f"send:{channel_name}:at:{int(nxt.timestamp())}")


def resume_sending(now: dt.datetime) -> int:
    """Periodic safety net: a send task for every channel with due work (a lost task, a worker
    that died holding leases). Returns how many channels had work."""
    names = set(Delivery.objects.filter(
        Q(status=DeliveryStatus.QUEUED, next_attempt_at__lte=now)
        | Q(status=DeliveryStatus.SENDING, locked_until__lt=now))
        .values_list("channel", flat=True).distinct())
    period = int(now.timestamp()) // RESUME_SECONDS
    for name in names:
        outbox.enqueue(SEND, {"channel": name}, key=f"send:{name}:resume:{period}")
    return len(names)


# -- 3. acknowledgements ----------------------------------------------------------------------
def acknowledge(recipient: AlertRecipient, method: str, by=None, note: str = "",
                needs_help: bool = False, now: dt.datetime | None = None) -> bool:
    """Record that ``recipient`` has the warning. The first acknowledgement counts (later ones
    may still raise "needs help"); return True if this one was the first."""
    now = now or timezone.now()
    with transaction.atomic():
        first = AlertRecipient.objects.filter(pk=recipient.pk, acknowledged_at__isnull=True).update(
            acknowledged_at=now, ack_method=method, acknowledged_by=by if getattr(by, "pk", None)
            else None, ack_note=note[:300], updated=now,
            # Whoever acknowledged was reached, whatever the delivery rows say.
            reached_at=Coalesce(F("reached_at"), Value(now, output_field=DateTimeField()))) == 1
        if needs_help:
            AlertRecipient.objects.filter(pk=recipient.pk).update(needs_help=True, updated=now)
        if first and recipient.resident_id and recipient.kind == RecipientKind.RESIDENT:
            _close_follow_ups(recipient, now)
    recipient.refresh_from_db()
    return first


def _close_follow_ups(recipient: AlertRecipient, now: dt.datetime) -> None:
    from resilience.response.models import Task
    from resilience.response.vocab import OPEN_STATUSES, TaskStatus

    for task in Task.objects.filter(key=follow_up_key(recipient), status__in=OPEN_STATUSES):
        task.status, task.completed_at = TaskStatus.DONE, now
        task.outcome = _("%(name)s acknowledged the warning.") % {"name": recipient.name}
        task.save(update_fields=["status", "completed_at", "outcome", "updated"])


# -- 4. follow-up tasks -----------------------------------------------------------------------
def follow_up_key(recipient: AlertRecipient) -> str:
    return f"follow-up:{recipient.pk}"


def _helper_of(recipient: AlertRecipient) -> tuple[int | None, str]:
    """The user who should check on a vulnerable resident: their grid worker, else a volunteer
    living near them with an account, else a staff member of the community."""
    from resilience.core.roles import Role
    from resilience.people.models import Membership

    helpers = (AlertRecipient.objects.filter(alert_id=recipient.alert_id, helps_id=recipient.resident_id,
                                             user__isnull=False)
               .values_list("kind", "user_id"))
    by_kind: dict[str, int] = {}
    for kind, user_id in helpers:
        by_kind.setdefault(kind, user_id)
    for kind in (RecipientKind.GRID_WORKER, RecipientKind.VOLUNTEER):
        if kind in by_kind:
            return by_kind[kind], kind
    staff = (Membership.objects.filter(role=Role.STAFF, community_id=recipient.alert.community_id)
             .order_by("pk").values_list("user_id", flat=True).first())
    return staff, RecipientKind.STAFF


def follow_up(now: dt.datetime | None = None) -> int:
    """Create a task for the helper of each vulnerable resident who has not acknowledged an issued
    alert in time; return how many were created (a second run creates none)."""
    from resilience.response.models import Task
    from resilience.response.vocab import TaskSource

    now = now or timezone.now()
    created = 0
    for level, minutes in FOLLOW_UP_MINUTES.items():
        overdue = (AlertRecipient.objects.filter(
            alert__state=State.ISSUED, alert__level=level, alert__msg_type__in=[
                MessageType.ALERT, MessageType.UPDATE],
            alert__issued_at__lte=now - dt.timedelta(minutes=minutes),
            kind=RecipientKind.RESIDENT, vulnerable=True, acknowledged_at__isnull=True)
            .select_related("alert__community", "resident__household__building", "grid")
            .order_by("priority", "id"))
        existing = set(Task.objects.filter(key__in=[follow_up_key(r) for r in overdue])
                       .values_list("key", flat=True))
        for recipient in overdue:
            if follow_up_key(recipient) in existing:
                continue
            assignee, helper_kind = _helper_of(recipient)
            alert = recipient.alert
            resident = recipient.resident
            building = resident.household.building if resident and resident.household_id else None
            title = _("Check on %(name)s: no acknowledgement of “%(headline)s”") % {
                "name": recipient.name, "headline": alert.headline}
            with transaction.atomic():
                _task, made = Task.objects.get_or_create(key=follow_up_key(recipient), defaults=dict(
                    community=alert.community, title=title[:200], source=TaskSource.ALERT_FOLLOW_UP,
                    description=_("%(name)s (%(reason)s) has not acknowledged the %(level)s warning "
                                  "issued at %(time)s. Call or visit them, then record the outcome "
                                  "on the alert's board.") % {
                        "name": recipient.name, "reason": recipient.reason,
                        "level": alert.get_level_display(),
                        "time": timezone.localtime(alert.issued_at).strftime("%H:%M")},
                    priority=1 if recipient.priority <= 2 else 2, assignee_id=assignee,
                    due=now + dt.timedelta(minutes=minutes), alert=alert, resident=resident,
                    grid_id=recipient.grid_id, building=building))
            created += made
    return created


ACKNOWLEDGED = Q(acknowledged_at__isnull=False)
REACHED = Q(reached_at__isnull=False)


def _tallies() -> dict:
    return {"total": Count("pk"), "reached": Count("pk", filter=REACHED),
            "acknowledged": Count("pk", filter=ACKNOWLEDGED),
            "vulnerable_total": Count("pk", filter=Q(vulnerable=True))}


def board(alert: Alert, rows=None) -> dict:
    """Counts for the live board: totals, delivery statuses (overall and per channel), and per
    grid and building, vulnerable-unacknowledged first. ``rows`` restricts it to the recipients
    a reader may see (all of the alert's by default)."""
    rows = AlertRecipient.objects.filter(alert=alert) if rows is None else rows
    people = rows.exclude(kind=RecipientKind.GROUP)
    totals = people.aggregate(
        **_tallies(), needs_help=Count("pk", filter=Q(needs_help=True)),
        vulnerable_acknowledged=Count("pk", filter=Q(vulnerable=True) & ACKNOWLEDGED))
    totals["not_reached"] = totals["total"] - totals["reached"]
    by_channel: dict[str, dict[str, int]] = {}
    statuses: dict[str, int] = {}
    for channel, status, n in (Delivery.objects.filter(alert=alert, recipient__in=rows.values("pk"))
                               .values_list("channel", "status").annotate(n=Count("pk"))
                               .order_by("channel", "status")):
        by_channel.setdefault(channel, {})[status] = n
        statuses[status] = statuses.get(status, 0) + n

    def grouped(field: str, label: str) -> list[dict]:
        return list(people.values(field, label).annotate(
            **_tallies(),
            vulnerable_open=Count("pk", filter=Q(vulnerable=True, acknowledged_at__isnull=True)))
            .order_by("-vulnerable_open", label))

    return {"totals": totals, "deliveries": statuses, "channels": by_channel,
            "grids": grouped("grid_id", "grid__name"),
            "buildings": grouped("building_id", "building__name")}


def ordered(rows):
    """Vulnerable residents first; within them and the others, those who need help, then those
    who have not acknowledged, then the rest (most urgent priority first)."""
    rank = Case(When(needs_help=True, then=0), When(acknowledged_at__isnull=True, then=1),
                default=2, output_field=IntegerField())
    return rows.annotate(rank=rank).order_by("-vulnerable", "rank", "priority", "name", "pk")
