"""The lifecycle of an alert: draft → (pending approval for II and I) → issued → cancelled / expired.

Every step checks the user's permission (``PermissionDenied``) and the state it starts from
(``TransitionError``), locks the alert row (``select_for_update``), writes one ``AlertEvent`` and
runs under ``acting_as(user)`` so the change log names who did it. ``user=None`` is the system
itself (an automatic rule, the CAP relay): no permission is checked for it.

Approval (four eyes): an orange or red alert is approved by someone who may ``verify`` it
(community staff, the street office) and who did not write it; only a superuser may approve
their own. A cancellation is never held for approval: the all-clear must not wait.
"""
from __future__ import annotations

import datetime as dt
import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from resilience.alerts.cap.write import cap_sender
from resilience.alerts.models import Alert, AlertEvent
from resilience.alerts.vocab import APPROVAL_LEVELS, MessageType, State
from resilience.core.actor import acting_as
from resilience.core.scope import can

# Sent after the transaction that issued an alert commits (channels and deliveries hook here).
alert_issued = Signal()  # sender=Alert, alert=<Alert>

# Content copied from an alert into its update or cancellation.
CONTENT_FIELDS = (
    "exercise", "public", "source", "alarm", "level", "event_type", "urgency", "certainty",
    "headline", "description", "instruction", "headline_en", "description_en", "instruction_en",
    "effective", "expires", "whole_community", "area_geometry", "area_circle",
    "area_description", "audience",
)
AREA_M2M = ("area_grids", "area_buildings")


class TransitionError(ValidationError):
    """An alert cannot go from its state to the one asked for."""

    def __init__(self, alert: Alert, to_state: str, reason: str = ""):
        self.from_state, self.to_state = alert.state, to_state
        message = _("Alert %(identifier)s cannot go from %(from)s to %(to)s.") % {
            "identifier": alert.identifier, "from": State(alert.state).label,
            "to": State(to_state).label}
        super().__init__(f"{message} {reason}".strip(), code="transition")


def new_identifier(community, now: dt.datetime | None = None) -> str:
    """``<community code>-<YYYYMMDDHHMMSS>-<6 hex>``: unique, and never changed afterwards."""
    now = timezone.localtime(now or timezone.now())
    return f"{community.code}-{now:%Y%m%d%H%M%S}-{secrets.token_hex(3)}"


def _require(user, action: str, alert: Alert) -> None:
    if user is not None and not can(user, action, alert):
        raise PermissionDenied(_("You may not do this with alert %(identifier)s.")
                               % {"identifier": alert.identifier})


def _event(alert: Alert, user, action: str, note: str = "") -> AlertEvent:
    return AlertEvent.objects.create(alert=alert, user=user if getattr(user, "pk", None) else None,
                                     action=action, note=note)


def _locked(alert: Alert) -> Alert:
    return (Alert.objects.select_for_update(of=("self",)).select_related("community")
            .get(pk=alert.pk))


def _sync(target: Alert, source: Alert) -> Alert:
    """Copy the locked row's state back onto the caller's instance."""
    for field in ("state", "approved_by_id", "approved_at", "issued_at", "cancelled_at",
                  "updated"):
        setattr(target, field, getattr(source, field))
    return target


def _set_area(alert: Alert, grids, buildings) -> None:
    for name, values in (("area_grids", grids), ("area_buildings", buildings)):
        if values is None:
            continue
        values = list(values)
        ids = [getattr(v, "pk", v) for v in values]
        model = getattr(Alert, name).field.related_model
        if model.objects.filter(pk__in=ids).exclude(community_id=alert.community_id).exists():
            raise ValidationError({name: _("Choose places of the alert's own community.")})
        getattr(alert, name).set(ids)


def draft(user, community, **fields) -> Alert:
    """A new draft alert of ``community``; ``area_grids``/``area_buildings`` may be given.

    The identifier is generated once and the sender is the community's CAP sender.
    """
    grids, buildings = fields.pop("area_grids", None), fields.pop("area_buildings", None)
    if grids or buildings or fields.get("area_geometry") or fields.get("area_circle"):
        fields.setdefault("whole_community", False)
    with acting_as(user), transaction.atomic():
        alert = Alert(community=community, identifier=new_identifier(community),
                      sender=cap_sender(community), state=State.DRAFT,
                      created_by=user if getattr(user, "pk", None) else None, **fields)
        alert.full_clean()
        alert.save()
        _set_area(alert, grids, buildings)
        _require(user, "add", alert)  # raising here rolls the draft back
        _event(alert, user, "drafted")
    return alert


def _issue_locked(alert: Alert, user, now, note: str = "") -> None:
    alert.state, alert.issued_at = State.ISSUED, now
    alert.save(update_fields=["state", "issued_at", "approved_by", "approved_at", "updated"])
    _event(alert, user, "issued", note)
    original = alert.references
    if original is not None:
        if alert.msg_type == MessageType.CANCEL:
            if original.state in (State.DRAFT, State.PENDING, State.ISSUED):
                original.state, original.cancelled_at = State.CANCELLED, now
                original.save(update_fields=["state", "cancelled_at", "updated"])
            _event(original, user, "cancelled", _("Cancelled by %(identifier)s.")
                   % {"identifier": alert.identifier})
        else:
            _event(original, user, "superseded", _("Updated by %(identifier)s.")
                   % {"identifier": alert.identifier})
    from resilience.alerts.delivery import queue_fan_out

    queue_fan_out(alert)  # in this transaction: no issue without its deliveries, and vice versa
    issued = alert
    transaction.on_commit(lambda: alert_issued.send_robust(sender=Alert, alert=issued))


def submit(alert: Alert, user) -> Alert:
    """Send a draft on: to approval (levels II and I), or issued at once (III and IV)."""
    with acting_as(user), transaction.atomic():
        locked = _locked(alert)
        needs_approval = locked.level in APPROVAL_LEVELS and locked.msg_type != MessageType.CANCEL
        target = State.PENDING if needs_approval else State.ISSUED
        if locked.state != State.DRAFT:
            raise TransitionError(locked, target)
        if needs_approval:
            _require(user, "change", locked)
            locked.state = State.PENDING
            locked.save(update_fields=["state", "updated"])
            _event(locked, user, "submitted")
        else:
            _require(user, "add", locked)
            _issue_locked(locked, user, timezone.now())
    return _sync(alert, locked)


def approve(alert: Alert, user, note: str = "") -> Alert:
    """Approve a pending alert and issue it; the approver may ``verify`` and is not its author."""
    with acting_as(user), transaction.atomic():
        locked = _locked(alert)
        if locked.state != State.PENDING:
            raise TransitionError(locked, State.ISSUED, _("Only an alert awaiting approval can be approved."))
        _require(user, "verify", locked)
        if (user is not None and locked.created_by_id == user.pk and not user.is_superuser):
            raise PermissionDenied(_("Someone other than its author must approve this alert."))
        now = timezone.now()
        locked.approved_by = user if getattr(user, "pk", None) else None
        locked.approved_at = now
        _event(locked, user, "approved", note)
        _issue_locked(locked, user, now)
    return _sync(alert, locked)


def issue(alert: Alert, user) -> Alert:
    """Issue an alert: a draft of level III/IV directly; a pending one is approved (same rules)."""
    if alert.state == State.PENDING:
        return approve(alert, user)
    with acting_as(user), transaction.atomic():
        locked = _locked(alert)
        if locked.state != State.DRAFT:
            raise TransitionError(locked, State.ISSUED)
        if locked.level in APPROVAL_LEVELS and locked.msg_type != MessageType.CANCEL:
            raise TransitionError(locked, State.ISSUED,
                                  _("Levels II and I must be submitted for approval first."))
        _require(user, "add", locked)
        _issue_locked(locked, user, timezone.now())
    return _sync(alert, locked)


def _successor(original: Alert, user, msg_type: str, changes: dict) -> Alert:
    grids = changes.pop("area_grids", None)
    buildings = changes.pop("area_buildings", None)
    fields = {name: getattr(original, name) for name in CONTENT_FIELDS}
    fields.update(changes)
    successor = Alert(community=original.community, identifier=new_identifier(original.community),
                      sender=original.sender or cap_sender(original.community), msg_type=msg_type,
                      references=original, state=State.DRAFT,
                      created_by=user if getattr(user, "pk", None) else None, **fields)
    successor.full_clean()
    successor.save()
    successor.area_grids.set(original.area_grids.all())
    successor.area_buildings.set(original.area_buildings.all())
    _set_area(successor, grids, buildings)
    return successor


def update(alert: Alert, user, **changes) -> Alert:
    """A new Update alert referencing ``alert`` with ``changes``, submitted by the same rule.

    The original stays as it is (readable, issued) until the update is issued; then its
    timeline says which alert superseded it.
    """
    with acting_as(user), transaction.atomic():
        locked = _locked(alert)
        if locked.state != State.ISSUED or locked.msg_type == MessageType.CANCEL:
            raise TransitionError(locked, State.ISSUED, _("Only an issued alert can be updated."))
        _require(user, "change", locked)
        successor = _successor(locked, user, MessageType.UPDATE, changes)
        _event(successor, user, "drafted", _("Update of %(identifier)s.")
               % {"identifier": locked.identifier})
        _event(locked, user, "update drafted", successor.identifier)
    return submit(successor, user)


def cancel(alert: Alert, user, note: str = "") -> Alert:
    """Cancel an alert; returns the Cancel message (issued at once), or the withdrawn draft.

    An issued alert gets a Cancel referencing it and its state becomes cancelled. A draft or
    pending alert was never sent: it is withdrawn (state cancelled) and returned itself.
    """
    with acting_as(user), transaction.atomic():
        locked = _locked(alert)
        if locked.state in (State.DRAFT, State.PENDING):
            _require(user, "change", locked)
            locked.state, locked.cancelled_at = State.CANCELLED, timezone.now()
            locked.save(update_fields=["state", "cancelled_at", "updated"])
            _event(locked, user, "withdrawn", note)
            return _sync(alert, locked)
        if locked.state != State.ISSUED or locked.msg_type == MessageType.CANCEL:
            raise TransitionError(locked, State.CANCELLED)
        _require(user, "change", locked)
        changes = {}
        if note:
            changes = {"description": note, "description_en": note}
        message = _successor(locked, user, MessageType.CANCEL, changes)
        _event(message, user, "drafted", note)
        _issue_locked(message, user, timezone.now(), note)
    alert.refresh_from_db()
    return message


def expire_due(now: dt.datetime | None = None) -> int:
    """Mark issued alerts whose ``expires`` has passed as expired; return how many."""
    now = now or timezone.now()
    with acting_as(None, "expiry"), transaction.atomic():
        due = list(Alert.objects.select_for_update(skip_locked=True)
                   .filter(state=State.ISSUED, expires__lte=now).values_list("pk", flat=True))
        if not due:
            return 0
        Alert.objects.filter(pk__in=due, state=State.ISSUED).update(state=State.EXPIRED, updated=now)
        AlertEvent.objects.bulk_create([AlertEvent(alert_id=pk, action="expired") for pk in due])
    return len(due)


# -- the seam with monitoring -----------------------------------------------------------------
SENSOR_EVENT = {
    "smoke": "fire", "temperature": "fire", "gas": "gas", "co": "gas",
    "water_level": "flood", "rain": "rainstorm", "current": "power_cut", "voltage": "power_cut",
    "water_pressure": "water_cut", "door": "security", "elevator": "other", "tilt": "earthquake",
}
ALARM_RADIUS_KM = 0.05  # a facility or sensor known by a point: 50 m around it
LIVE_STATES = (State.DRAFT, State.PENDING, State.ISSUED)


def _alarm_texts(alarm, level: int) -> dict:
    from django.utils import translation

    sensor, rule = alarm.sensor, alarm.rule
    place = sensor.building or sensor.facility
    values = {"sensor": sensor.name, "place": str(place or alarm.community),
              "message": alarm.message}
    texts = {}
    for language, suffix in (("zh-hans", ""), ("en", "_en")):
        with translation.override(language):
            values["rule"] = _(rule.name)  # platform rules: English names marked for translation
            # No level in the text: staff may change the level, and every message shows it.
            texts["headline" + suffix] = (_("%(rule)s at %(place)s") % values)[:200]
            texts["description" + suffix] = _("%(message)s (sensor %(sensor)s, rule %(rule)s)") % values
            texts["instruction" + suffix] = _("Keep away from the area and follow the "
                                              "instructions of the community staff.")
    return texts


def _alarm_area(alarm) -> dict:
    from resilience.alerts.cap.geometry import circle_polygon

    sensor = alarm.sensor
    if sensor.building_id:
        return {"whole_community": False, "area_buildings": [sensor.building_id],
                "area_description": str(sensor.building)}
    for point in (sensor.facility, sensor):
        if point is not None and point.latitude is not None and point.longitude is not None:
            polygon = circle_polygon(point.latitude, point.longitude, ALARM_RADIUS_KM)
            return {"whole_community": False,
                    "area_circle": f"{point.latitude:.6f},{point.longitude:.6f} {ALARM_RADIUS_KM}",
                    "area_geometry": {"type": "Polygon",
                                      "coordinates": [[list(c) for c in polygon.exterior.coords]]},
                    "area_description": str(point)}
    return {"whole_community": True}


def live_alert_of(alarm) -> Alert | None:
    """The newest alert made from ``alarm`` that is still a draft, pending or issued."""
    return (Alert.objects.filter(alarm=alarm, state__in=LIVE_STATES)
            .order_by("-created", "-pk").first())


def alert_from_alarm(alarm, user, **overrides) -> Alert:
    """A draft alert from a monitoring alarm (the "turn into an alert" button).

    Level, event type, bilingual text and area (the sensor's building, else 50 m around its
    facility or itself) come from the alarm; ``overrides`` replace any of them. If the alarm
    already has a live alert, that one is returned instead of a second.
    """
    existing = live_alert_of(alarm)
    if existing is not None:
        return existing
    fields = {"source": "alarm", "alarm": alarm, "level": alarm.level,
              "event_type": SENSOR_EVENT.get(alarm.sensor.kind, "other"),
              "urgency": "Immediate", "certainty": "Observed",
              **_alarm_texts(alarm, alarm.level), **_alarm_area(alarm)}
    fields.update(overrides)
    return draft(user, alarm.community, **fields)


def auto_alert(alarm) -> Alert | None:
    """What a rule with ``auto_alert`` does when its alarm is raised (or its level rises).

    A first raise drafts the alert and submits it: levels II and I wait for approval, III and
    IV are issued. A later raise at a more severe level changes the draft or pending alert, or
    updates the issued one. The system acts (``user=None``): nobody's permission is used.
    """
    with transaction.atomic():
        existing = live_alert_of(alarm)
        if existing is None:
            return submit(alert_from_alarm(alarm, None), None)
        if alarm.level >= existing.level:
            return existing  # the same or a lower level: the alert already says it
        texts = _alarm_texts(alarm, alarm.level)
        if existing.state == State.ISSUED:
            return update(existing, None, level=alarm.level, **texts)
        locked = _locked(existing)
        with acting_as(None, "alarm"):
            was = locked.level
            locked.level = alarm.level
            for name, value in texts.items():
                setattr(locked, name, value)
            locked.save()
            _event(locked, None, "level raised", _("From %(was)s to %(now)s.")
                   % {"was": was, "now": alarm.level})
        return locked


def on_alarm_raised(sender, alarm, **kwargs) -> None:
    """Receiver of ``monitoring.signals.alarm_raised``: only rules with ``auto_alert`` act."""
    if alarm.rule.auto_alert:
        auto_alert(alarm)
