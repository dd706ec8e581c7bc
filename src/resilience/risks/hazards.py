"""The hidden-hazard rectification loop (隐患整改闭环): report, assign, rectify, verify, escalate.

found → assigned → rectifying → rectified → verified, and a failed verification (``reopen``)
sends a rectified hazard back to rectifying. Each step is one transaction that locks the hazard
row, checks the user's right on it (``change``; ``verify`` for verify and reopen), writes a
``HazardEvent`` and, through the change log, who did it. Anything else is a ``TransitionError``.

Overdue escalation (``escalate_overdue``, run daily by ``resilience manage escalate_hazards``):
an open hazard past its deadline goes one level up — 0 community, 1 street office, 2 district —
and again at most once every ``ESCALATION_INTERVAL`` days while it stays overdue, so running the
command several times a day changes nothing.
"""
from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass
from pathlib import PurePath

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from resilience.core.actor import acting_as, current_source
from resilience.core.geo import centroid
from resilience.core.scope import can
from resilience.risks.models import Hazard, HazardEvent
from resilience.risks.vocab import HazardSeverity, HazardSource, HazardStatus

S = HazardStatus
A = HazardEvent.Action

# action → {status it may start from: status it leads to}
TRANSITIONS: dict[str, dict[str, str]] = {
    A.ASSIGN: {S.FOUND: S.ASSIGNED, S.ASSIGNED: S.ASSIGNED, S.RECTIFYING: S.RECTIFYING},
    A.START: {S.ASSIGNED: S.RECTIFYING},
    A.RECTIFY: {S.ASSIGNED: S.RECTIFIED, S.RECTIFYING: S.RECTIFIED},
    A.VERIFY: {S.RECTIFIED: S.VERIFIED},
    A.REOPEN: {S.RECTIFIED: S.RECTIFYING},
}
# Where an action leads, to name it in the refusal when it is not allowed.
TARGET_STATUS = {A.ASSIGN: S.ASSIGNED, A.START: S.RECTIFYING, A.RECTIFY: S.RECTIFIED,
                 A.VERIFY: S.VERIFIED, A.REOPEN: S.RECTIFYING}
OPEN_STATUSES = (S.FOUND, S.ASSIGNED, S.RECTIFYING)  # not yet rectified
MAX_ESCALATION = 2
ESCALATION_INTERVAL = 3  # days between two escalations of the same hazard
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".gif", ".webp", ".heic", ".heif", ".bmp"}


class TransitionError(ValidationError):
    """The hazard's status does not allow this step (e.g. verifying a hazard nobody rectified)."""

    def __init__(self, from_status: str, to_status: str):
        self.from_status, self.to_status = from_status, to_status
        message = _("A hazard that is “%(from)s” cannot become “%(to)s”.") % {
            "from": S(from_status).label, "to": S(to_status).label}
        super().__init__({"status": [ValidationError(message, code="invalid_transition")]})


@dataclass
class Target:
    """What a hazard or an inspection is about, and what follows from it: where, whose."""

    community_id: int
    grid: object = None
    building: object = None
    facility: object = None
    risk: object = None
    latitude: float | None = None
    longitude: float | None = None
    owner: object = None  # the organisation that owns or manages it

    @classmethod
    def of(cls, *, facility=None, building=None, risk=None, grid=None) -> "Target":
        """The target named by the most specific of the objects given; all in one community."""
        given = {name: obj for name, obj in (("facility", facility), ("building", building),
                                             ("risk", risk), ("grid", grid)) if obj is not None}
        if not given:
            raise ValidationError({"facility": _("Say what it is about: a facility, building, "
                                                 "risk source or grid.")})
        community_id = next(iter(given.values())).community_id
        errors = {name: _("It belongs to another community.")
                  for name, obj in given.items() if obj.community_id != community_id}
        if errors:
            raise ValidationError(errors)
        if risk is not None:
            facility = facility or risk.facility
            building = building or risk.building
        if facility is not None:
            building = building or facility.building
        grid = grid or next((o.grid for o in (facility, building, risk) if o is not None and o.grid_id),
                            None)
        target = cls(community_id, grid, building, facility, risk)
        for obj in (facility, risk, building):
            if obj is None:
                continue
            if target.latitude is None:
                target.latitude, target.longitude = _position(obj)
            if target.owner is None:
                target.owner = getattr(obj, "owner", None) or getattr(obj, "manager", None)
        if target.latitude is None and grid is not None:
            target.latitude, target.longitude = centroid(grid.geometry) or (None, None)
        return target

    @property
    def label(self) -> str:
        return str(self.facility or self.building or self.risk or self.grid)


def _position(obj) -> tuple[float | None, float | None]:
    if obj.latitude is not None and obj.longitude is not None:
        return obj.latitude, obj.longitude
    return centroid(getattr(obj, "geometry", None)) or (None, None)


# --- queries ---------------------------------------------------------------------------------

def overdue(queryset: QuerySet, today: dt.date | None = None) -> QuerySet:
    """Hazards past their deadline and not yet rectified."""
    today = today or timezone.localdate()
    return queryset.filter(status__in=OPEN_STATUSES, deadline__lt=today)


def on_time_rate(queryset: QuerySet, today: dt.date | None = None) -> float | None:
    """Share of hazards rectified by their deadline, among those whose outcome is known.

    Known: rectified (or verified), or still open past the deadline (late already). A hazard
    without a deadline, or open and not yet due, is not counted. None when nothing is counted.
    """
    today = today or timezone.localdate()
    known = Q(rectified_at__isnull=False) | Q(deadline__lt=today)
    on_time = Q(rectified_at__isnull=False, rectified_at__date__lte=F("deadline"))
    totals = queryset.filter(deadline__isnull=False).aggregate(
        known=Count("pk", filter=known), on_time=Count("pk", filter=on_time))
    return totals["on_time"] / totals["known"] if totals["known"] else None


# --- the state machine -----------------------------------------------------------------------

def report(user, *, community, title: str, severity: str = HazardSeverity.GENERAL,
           source: str = HazardSource.STAFF, description: str = "", grid=None, building=None,
           facility=None, risk=None, responsible=None, deadline: dt.date | None = None,
           latitude: float | None = None, longitude: float | None = None, photo=None) -> Hazard:
    """Record a hazard found by ``user`` (status found); refused unless they may add it there.

    Grid, building, position and responsible organisation default from the facility, building
    or risk source it is at; ``deadline`` and ``responsible`` are proposals until ``assign``.
    """
    if photo is not None:
        check_photo(photo, "photo")
    hazard = Hazard(community=community, title=(title or "").strip(), severity=severity,
                    source=source, description=description, responsible=responsible,
                    deadline=deadline, latitude=latitude, longitude=longitude, found_by=user)
    if any(o is not None for o in (facility, building, risk, grid)):
        target = Target.of(facility=facility, building=building, risk=risk, grid=grid)
        if target.community_id != community.pk:
            raise ValidationError({"community": _("The place is in another community.")})
        _place(hazard, target)
    if photo is not None:
        hazard.photo = photo
    with _acting(user), transaction.atomic():
        _save_new(hazard, user)
        if not can(user, "add", hazard):
            raise PermissionDenied(_("You may not report a hazard here: it is outside your scope."))
    return hazard


def create_found(user, target: Target, *, title: str, severity: str, source: str, deadline,
                 description: str = "", answer=None, photo=None, note: str = "") -> Hazard:
    """A hazard that follows from another record (a failed inspection item): no right checked
    here — the caller has checked the right to that record. Call inside a transaction."""
    hazard = Hazard(community_id=target.community_id, title=title[:200], severity=severity,
                    source=source, description=description, deadline=deadline, answer=answer,
                    found_by=user)
    _place(hazard, target)
    if photo:
        hazard.photo = photo
    _save_new(hazard, user, note=note)
    return hazard


def _place(hazard: Hazard, target: Target) -> None:
    hazard.grid, hazard.building = target.grid, target.building
    hazard.facility, hazard.risk = target.facility, target.risk
    if hazard.latitude is None or hazard.longitude is None:
        hazard.latitude, hazard.longitude = target.latitude, target.longitude
    if hazard.responsible_id is None and target.owner is not None:
        hazard.responsible = target.owner


def _save_new(hazard: Hazard, user, note: str = "") -> None:
    hazard.full_clean(exclude=["answer"])
    hazard.save()
    _event(hazard, user, A.REPORT, "", hazard.status, note=note)


def assign(hazard: Hazard, user, *, responsible=None, assignee=None, deadline: dt.date,
           note: str = "") -> Hazard:
    """Give the hazard to an organisation and/or a person with a deadline (or change them)."""
    errors = {}
    if not isinstance(deadline, dt.date):
        errors["deadline"] = _("Give a deadline.")
    elif deadline < timezone.localdate():
        errors["deadline"] = _("The deadline cannot be in the past.")
    if errors:
        raise ValidationError(errors)
    with _locked(hazard, user, "change") as locked:
        to = _check(locked, A.ASSIGN)
        if responsible is not None:
            locked.responsible = responsible
        if assignee is not None:
            if not _works_in(assignee, locked.community_id):
                raise ValidationError({"assignee": _("This person does not work in the hazard's community.")})
            locked.assignee = assignee
        if locked.responsible_id is None and locked.assignee_id is None:
            raise ValidationError(
                {"responsible": _("Say who is to rectify it: an organisation or a person.")})
        locked.deadline = deadline
        locked.clean()
        before = locked.status
        locked.status = to
        locked.save()
        if not can(user, "change", locked):
            raise PermissionDenied(_("You may not hand this hazard to someone outside your scope."))
        _event(locked, user, A.ASSIGN, before, to, note=note)
    return hazard


def start(hazard: Hazard, user, note: str = "") -> Hazard:
    """The responsible party has started rectifying."""
    with _locked(hazard, user, "change") as locked:
        _move(locked, user, A.START, note=note)
    return hazard


def rectify(hazard: Hazard, user, *, note: str, photo) -> Hazard:
    """Rectified, with evidence: a note saying what was done and a photo of the result."""
    errors = {}
    if not (note or "").strip():
        errors["note"] = _("Say what was done.")
    if not photo:
        errors["photo"] = _("A photo of the rectified hazard is required as evidence.")
    else:
        try:
            check_photo(photo, "photo")
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    with _locked(hazard, user, "change") as locked:
        _check(locked, A.RECTIFY)
        locked.rectified_at = timezone.now()
        _move(locked, user, A.RECTIFY, note=note, photo=photo)
    return hazard


def verify(hazard: Hazard, user, note: str = "") -> Hazard:
    """Verification passed (验收): the hazard is closed. Staff and the street office only."""
    with _locked(hazard, user, "verify") as locked:
        _check(locked, A.VERIFY)
        locked.verified_at, locked.verified_by = timezone.now(), user
        _move(locked, user, A.VERIFY, note=note)
    return hazard


def reopen(hazard: Hazard, user, note: str) -> Hazard:
    """Verification failed: back to rectifying, with the reason."""
    if not (note or "").strip():
        raise ValidationError({"note": _("Say why the rectification is not accepted.")})
    with _locked(hazard, user, "verify") as locked:
        _check(locked, A.REOPEN)
        locked.rectified_at = None
        _move(locked, user, A.REOPEN, note=note)
    return hazard


def comment(hazard: Hazard, user, note: str, photo=None) -> HazardEvent:
    """A note (and photo) on the hazard's timeline; anyone who may see the hazard may comment."""
    if not (note or "").strip():
        raise ValidationError({"note": _("Write a comment.")})
    if photo:
        check_photo(photo, "photo")
    with _locked(hazard, user, "view") as locked:
        return _event(locked, user, A.COMMENT, locked.status, locked.status, note=note, photo=photo)


def escalate_overdue(now: dt.datetime | None = None) -> list[Hazard]:
    """Raise every overdue hazard one level, at most once every ``ESCALATION_INTERVAL`` days."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    # Escalated on day D → eligible again from day D + ESCALATION_INTERVAL (by calendar day).
    since = timezone.make_aware(dt.datetime.combine(
        today - dt.timedelta(days=ESCALATION_INTERVAL - 1), dt.time.min))
    due = (overdue(Hazard.objects.all(), today).filter(escalation_level__lt=MAX_ESCALATION)
           .filter(Q(escalated_at__isnull=True) | Q(escalated_at__lt=since)))
    escalated = []
    with acting_as(None, "escalate"):
        for pk in list(due.order_by("pk").values_list("pk", flat=True)):
            with transaction.atomic():
                hazard = due.select_for_update().filter(pk=pk).first()
                if hazard is None:  # rectified or escalated meanwhile
                    continue
                hazard.escalation_level += 1
                hazard.escalated_at = now
                hazard.save()
                note = _("Overdue since %(deadline)s: escalated to the %(level)s.") % {
                    "deadline": hazard.deadline.isoformat(),
                    "level": escalation_label(hazard.escalation_level)}
                event = _event(hazard, None, A.ESCALATE, hazard.status, hazard.status, note=note)
                HazardEvent.objects.filter(pk=event.pk).update(time=now)
                escalated.append(hazard)
    return escalated


def escalation_label(level: int) -> str:
    return {0: _("community"), 1: _("street office"), 2: _("district")}[level]


# --- helpers ---------------------------------------------------------------------------------

def _acting(user):
    # Keep the caller's source ("api", "web") when there is one.
    return acting_as(user, current_source() or "hazards")


@contextlib.contextmanager
def _locked(hazard: Hazard, user, right: str):
    """The hazard's row, locked for this transaction, once ``user`` is known to have ``right``."""
    with _acting(user), transaction.atomic():
        locked = Hazard.objects.select_for_update().get(pk=hazard.pk)
        if not can(user, right, locked):
            raise PermissionDenied({
                "verify": _("Only community staff or the street office may verify a hazard."),
                "view": _("You may not see this hazard."),
            }.get(right, _("You may not change this hazard.")))
        yield locked
    for field in Hazard._meta.concrete_fields:  # the caller's object shows the new state
        setattr(hazard, field.attname, getattr(locked, field.attname))


def _check(hazard: Hazard, action: str) -> str:
    to = TRANSITIONS[action].get(hazard.status)
    if to is None:
        raise TransitionError(hazard.status, TARGET_STATUS[action])
    return to


def _move(hazard: Hazard, user, action: str, note: str = "", photo=None) -> None:
    to = _check(hazard, action)
    before = hazard.status
    hazard.status = to
    hazard.save()
    _event(hazard, user, action, before, to, note=note, photo=photo)


def _event(hazard: Hazard, user, action: str, from_status: str, to_status: str, note: str = "",
           photo=None) -> HazardEvent:
    return HazardEvent.objects.create(
        hazard=hazard, user=user if user is not None and user.pk else None, action=action,
        from_status=from_status, to_status=to_status, note=note or "", photo=photo or "")


def _works_in(user, community_id: int) -> bool:
    from resilience.people.models.memberships import works_in

    return works_in(user, community_id)


def check_photo(photo, field: str) -> None:
    """Refuse (ValidationError on ``field``) an upload that is not a non-empty image."""
    content_type = getattr(photo, "content_type", "") or ""
    suffix = PurePath(getattr(photo, "name", "") or "").suffix.lower()
    if not (content_type.startswith("image/") or suffix in IMAGE_SUFFIXES):
        raise ValidationError({field: _("The photo must be an image (JPEG, PNG, HEIC…).")})
    if getattr(photo, "size", 1) == 0:
        raise ValidationError({field: _("The photo is empty.")})
