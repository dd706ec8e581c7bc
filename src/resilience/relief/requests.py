"""Needs requests: filing, the state machine, priorities, service-time targets and escalation.

open → assigned → in delivery → fulfilled (proof: a photo and/or a note) / cannot fulfil (a
reason); assigned → fulfilled directly when the volunteer skips "picked up"; (re)assigning an
assigned request keeps it assigned. Each step locks the request row, checks who acts — the
volunteer holding it, or a supervisor (someone who may add *and* change requests there: staff, the
grid worker) — writes a ``RequestEvent`` and, through the change log, who did it. Anything else
raises ``RequestTransitionError`` (a ``ValidationError`` on ``status``).

Fulfilling a request that names a supply item issues the stock through ``ledger.issue`` in the
same transaction: not enough usable (non-expired) stock refuses the delivery and changes nothing.
"""
from __future__ import annotations

import contextlib
import datetime as dt
from collections import Counter
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from resilience.core.actor import acting_as, current_source
from resilience.core.scope import can
from resilience.people.vocab import Vulnerability
from resilience.relief import priority
from resilience.relief.models import DispatchBatch, NeedRequest, RequestEvent
from resilience.relief.vocab import (ACTIVE_REQUEST_STATUSES, BatchStatus, NeedKind,
                                     RequestStatus, VisitReason)

S = RequestStatus
ASSIGN, PICKUP, DELIVER, CANNOT = "assign", "pickup", "deliver", "cannot_fulfil"
TRANSITIONS: dict[str, dict[str, str]] = {
    ASSIGN: {S.OPEN: S.ASSIGNED, S.ASSIGNED: S.ASSIGNED},
    PICKUP: {S.ASSIGNED: S.IN_DELIVERY},
    DELIVER: {S.ASSIGNED: S.FULFILLED, S.IN_DELIVERY: S.FULFILLED},
    CANNOT: {S.OPEN: S.CANNOT_FULFIL, S.ASSIGNED: S.CANNOT_FULFIL,
             S.IN_DELIVERY: S.CANNOT_FULFIL},
}
TARGET_STATUS = {ASSIGN: S.ASSIGNED, PICKUP: S.IN_DELIVERY, DELIVER: S.FULFILLED,
                 CANNOT: S.CANNOT_FULFIL}

# Service-time targets in hours: "kind" or "medical_visit:<reason>". Settings override entries.
DEFAULT_TARGET_HOURS: dict[str, float] = {
    f"{NeedKind.MEDICAL_VISIT}:{VisitReason.EMERGENCY}": 1,
    f"{NeedKind.MEDICAL_VISIT}:{VisitReason.DIALYSIS}": 4,
    f"{NeedKind.MEDICAL_VISIT}:{VisitReason.CHEMOTHERAPY}": 8,
    f"{NeedKind.MEDICAL_VISIT}:{VisitReason.PREGNANCY}": 12,
    NeedKind.MEDICAL_VISIT: 8,
    NeedKind.MEDICINE: 24,
    NeedKind.FOOD: 24,
    NeedKind.CARE: 12,
    NeedKind.PSYCHOLOGICAL: 48,
    NeedKind.PET_CARE: 48,
    NeedKind.OTHER: 72,
}


class RequestTransitionError(ValidationError):
    """The request's status does not allow this step (e.g. delivering an open request)."""

    def __init__(self, from_status: str, to_status: str):
        message = _("A request that is “%(from)s” cannot become “%(to)s”.") % {
            "from": S(from_status).label, "to": S(to_status).label}
        super().__init__({"status": [ValidationError(message, code="invalid_transition")]})


# --- targets and priority --------------------------------------------------------------------


def target_hours(kind: str, visit_reason: str = "") -> float:
    """The service-time target of a kind (and visit reason), from ``RESILIENCE_RELIEF_TARGET_HOURS``
    over the defaults."""
    table = {**DEFAULT_TARGET_HOURS, **getattr(settings, "RESILIENCE_RELIEF_TARGET_HOURS", {})}
    if visit_reason and f"{kind}:{visit_reason}" in table:
        return float(table[f"{kind}:{visit_reason}"])
    return float(table.get(kind, table[NeedKind.OTHER]))


@lru_cache(maxsize=4)
def _tag_of_token(hash_key: str) -> dict[str, str]:
    from resilience.people.models.residents import tag_token

    return {tag_token(t): str(t) for t in Vulnerability.values}


def tags_from_index(tag_index: str) -> set[str]:
    """Vulnerability tags from a resident's keyed ``tag_index``, without decrypting anything."""
    table = _tag_of_token(str(settings.RESILIENCE_HASH_KEY))
    return {table[t] for t in (tag_index or "").strip("|").split("|") if t in table}


def vulnerability_of(request: NeedRequest) -> set[str]:
    """The tags of the person in need, or of everyone in the household when no one is named."""
    from resilience.people.models import Resident

    if request.resident_id:
        indexes = Resident.objects.filter(pk=request.resident_id).values_list("tag_index",
                                                                               flat=True)
    else:
        indexes = Resident.objects.filter(household=request.household_id).values_list(
            "tag_index", flat=True)
    tags: set[str] = set()
    for index in indexes:
        tags |= tags_from_index(index)
    return tags


def inputs_of(request: NeedRequest, *, tags, similar: int, now: dt.datetime) -> priority.Inputs:
    """The priority inputs of a request at ``now``. Medicine left counts down from filing."""
    created = request.created or now
    waited = max(0.0, (now - created).total_seconds() / 3600)
    overdue = max(0.0, (now - request.due_at).total_seconds() / 3600) if request.due_at else 0.0
    days_left = None
    if request.days_left is not None:
        days_left = max(0.0, request.days_left - waited / 24)
    return priority.Inputs(kind=request.kind, urgency=request.urgency,
                           visit_reason=request.visit_reason, tags=frozenset(tags),
                           waited_hours=waited, overdue_hours=overdue, days_left=days_left,
                           similar=similar)


def _similar_counts(community_id: int) -> Counter:
    rows = NeedRequest.objects.filter(community_id=community_id, status=S.OPEN).values_list(
        "building_id", "kind")
    return Counter(rows)


def recompute_priorities(community=None, *, now: dt.datetime | None = None,
                         batch_size: int = 1000) -> int:
    """Recompute the priority of every active request (waiting time and concentration change),
    from stored values only — the tags kept in ``priority_reasons``, no decryption — and write
    the changed ones in bulk. Returns how many changed."""
    from types import SimpleNamespace

    now = now or timezone.now()
    queryset = NeedRequest.objects.filter(status__in=ACTIVE_REQUEST_STATUSES)
    if community is not None:
        queryset = queryset.filter(community=community)
    names = ("pk", "kind", "urgency", "visit_reason", "days_left", "created", "due_at",
             "building_id", "status", "priority", "priority_reasons")
    rows = [SimpleNamespace(**dict(zip(names, values)))
            for values in queryset.order_by().values_list(*names)]
    similar = Counter((r.building_id, r.kind) for r in rows if r.status == S.OPEN)
    changed = []
    for r in rows:
        stored = r.priority_reasons or {}
        own = 1 if r.status == S.OPEN else 0
        inputs = inputs_of(r, tags=stored.get("tags", ()),
                           similar=similar[(r.building_id, r.kind)] - own, now=now)
        reasons = priority.reasons(inputs, stored.get("building", ""))
        value = priority.total(reasons["parts"])
        if value != r.priority or reasons != stored:
            r.priority, r.priority_reasons = value, reasons
            changed.append(r)
    _write_priorities(changed, batch_size)
    return len(changed)


def _write_priorities(rows: list, batch_size: int) -> None:
    """Write new priorities in bulk, far cheaper than ``bulk_update``'s CASE expressions at
    10,000 rows: on PostgreSQL one ``UPDATE … FROM (VALUES …)`` per batch, elsewhere one
    parameterised UPDATE per row through ``executemany``. No change-log entry: a priority moving
    with the clock is not a change anyone made."""
    import json

    from django.db import connection

    table = connection.ops.quote_name(NeedRequest._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        for start in range(0, len(rows), batch_size):
            chunk = rows[start:start + batch_size]
            if connection.vendor == "postgresql":
                values = ", ".join(["(%s::bigint, %s::double precision, %s::jsonb)"] * len(chunk))
                params = [x for r in chunk
                          for x in (r.pk, r.priority, json.dumps(r.priority_reasons))]
                cursor.execute(
                    f"UPDATE {table} AS t SET priority = v.p, priority_reasons = v.r "  # nosec B608 # table from _meta, placeholders
                    f"FROM (VALUES {values}) AS v(id, p, r) WHERE t.id = v.id", params)
            else:
                cursor.executemany(
                    f"UPDATE {table} SET priority = %s, priority_reasons = %s WHERE id = %s",  # nosec B608 # table from _meta
                    [(r.priority, json.dumps(r.priority_reasons), r.pk) for r in chunk])


def shows_health(user) -> bool:
    """Whether the priority sentences ``user`` reads may name health conditions: only for
    roles that may see residents' health data (staff, grid workers, health workers, the
    resident); the street office and volunteers read "health need"."""
    from resilience.core.roles import Role
    from resilience.core.scope import memberships_of

    allowed = (Role.ADMIN, Role.STAFF, Role.GRID_WORKER, Role.HEALTH_WORKER, Role.RESIDENT)
    return bool(user.is_superuser or any(m.role in allowed for m in memberships_of(user)))


# --- filing ----------------------------------------------------------------------------------


def file_request(user, *, household, kind: str, resident=None, visit_reason: str = "",
                 urgency: int | None = None, description: str = "", medicine: str = "",
                 days_left: int | None = None, item=None, quantity=None,
                 now: dt.datetime | None = None) -> NeedRequest:
    """A new open request for ``household``, by a user who may add one there: the resident for
    their own household, a grid worker in their grid, staff in their community. Refused with
    ``PermissionDenied`` (outside the user's scope) or ``ValidationError`` naming the field.
    ``user=None`` files as the system (the demo, a scenario): no user, no scope check."""
    if household is None:
        raise ValidationError({"household": _("Choose the household in need.")})
    now = now or timezone.now()
    request = NeedRequest(
        community_id=household.community_id, household=household, resident=resident, kind=kind,
        visit_reason=visit_reason or "", description=(description or "").strip(),
        medicine=(medicine or "").strip(), days_left=days_left, item=item, quantity=quantity,
        created_by=user if user is not None and user.pk else None)
    if urgency is not None:
        request.urgency = urgency
    if item is not None and quantity is None:
        request.quantity = 1
    request.full_clean(exclude=["building", "grid", "created_by"])
    request.due_at = now + dt.timedelta(hours=target_hours(kind, visit_reason))
    tags = vulnerability_of(request)
    similar = _similar_counts(request.community_id)[(request.building_id, kind)]
    inputs = inputs_of(request, tags=tags, similar=similar, now=now)
    request.priority = priority.score(inputs)
    request.priority_reasons = priority.reasons(inputs, str(household.building))
    with acting_as(user, current_source() or "relief"), transaction.atomic():
        request.save()
        if user is not None and not can(user, "add", request):
            raise PermissionDenied(_("You may not file a request for this household: it is "
                                     "outside your scope."))
        RequestEvent.objects.create(request=request, status=S.OPEN, by=request.created_by,
                                    note=_("Filed."))
    return request


# --- the state machine -----------------------------------------------------------------------


def is_supervisor(user, request: NeedRequest) -> bool:
    """Staff and grid workers of the request's place (they may add and change requests there)."""
    return can(user, "add", request) and can(user, "change", request)


def holds(user, request: NeedRequest) -> bool:
    """Whether ``user`` is the volunteer the request is assigned to."""
    return bool(request.volunteer_id) and request.volunteer.user_id == getattr(user, "pk", None)


def allowed_actions(request: NeedRequest, user) -> list[str]:
    """The steps ``user`` may take on the request now (for buttons)."""
    supervisor = is_supervisor(user, request)
    mine = holds(user, request)
    out = []
    for action, moves in TRANSITIONS.items():
        if request.status not in moves:
            continue
        if action == ASSIGN and supervisor:
            out.append(action)
        elif action != ASSIGN and (supervisor or (mine and request.status != S.OPEN)):
            out.append(action)
    return out


@contextlib.contextmanager
def _locked(request: NeedRequest, user, supervisor_only: bool = False):
    with acting_as(user, current_source() or "relief"), transaction.atomic():
        locked = (NeedRequest.objects.select_for_update(of=("self",)).select_related("volunteer")
                  .get(pk=request.pk))
        if not can(user, "view", locked):
            raise PermissionDenied(_("You may not see this request."))
        if not is_supervisor(user, locked) and (supervisor_only or not holds(user, locked)):
            raise PermissionDenied(_("Only the volunteer holding the request, or community "
                                     "staff, may do this."))
        yield locked
    for f in NeedRequest._meta.concrete_fields:  # the caller's object shows the new state
        setattr(request, f.attname, getattr(locked, f.attname))


def _move(request: NeedRequest, action: str) -> str:
    before = request.status
    to = TRANSITIONS[action].get(before)
    if to is None:
        raise RequestTransitionError(before, TARGET_STATUS[action])
    request.status = to
    return before


def _event(request: NeedRequest, user, note: str = "") -> RequestEvent:
    return RequestEvent.objects.create(request=request, status=request.status, note=note,
                                       by=user if user is not None and user.pk else None)


def _close_batch_if_done(batch_id: int | None) -> None:
    if batch_id and not NeedRequest.objects.filter(
            batch_id=batch_id, status__in=ACTIVE_REQUEST_STATUSES).exists():
        DispatchBatch.objects.filter(pk=batch_id).exclude(status=BatchStatus.CANCELLED).update(
            status=BatchStatus.DONE, updated=timezone.now())


def assign(request: NeedRequest, user, volunteer, *, batch: DispatchBatch | None = None,
           note: str = "") -> NeedRequest:
    """Give the request to ``volunteer`` (an active volunteer of its community)."""
    if volunteer is None:
        raise ValidationError({"volunteer": _("Choose the volunteer.")})
    if volunteer.community_id != request.community_id:
        raise ValidationError({"volunteer": _("This volunteer belongs to another community.")})
    if not volunteer.active:
        raise ValidationError({"volunteer": _("This volunteer is not active.")})
    with _locked(request, user, supervisor_only=True) as locked:
        _move(locked, ASSIGN)
        locked.volunteer = volunteer
        if batch is not None:
            locked.batch = batch
        locked.save()
        _event(locked, user, note or _("Assigned to %(name)s.") % {"name": volunteer.name})
    return request


def pick_up(request: NeedRequest, user, note: str = "") -> NeedRequest:
    """The volunteer has picked up what to bring and is on the way."""
    with _locked(request, user) as locked:
        _move(locked, PICKUP)
        locked.save()
        _event(locked, user, note or _("Picked up."))
        if locked.batch_id:
            DispatchBatch.objects.filter(pk=locked.batch_id, status=BatchStatus.PLANNED).update(
                status=BatchStatus.DISPATCHED)
    return request


def _warehouse_for(request: NeedRequest):
    """The warehouse the plan picked for this request, else the one with the most usable stock."""
    from resilience.places.models import Facility
    from resilience.relief import ledger

    if request.batch_id:
        for pick in DispatchBatch.objects.get(pk=request.batch_id).picks or []:
            if pick.get("request") == request.pk and pick.get("warehouse"):
                return Facility.objects.filter(pk=pick["warehouse"]).first()
    stock = ledger.available(request.community).get(request.item_id, {})
    if not stock:
        return None
    best = max(stock.items(), key=lambda kv: (kv[1], -kv[0]))[0]
    return Facility.objects.filter(pk=best).first()


def deliver(request: NeedRequest, user, *, note: str = "", photo=None) -> NeedRequest:
    """Fulfilled, with proof (a photo and/or a note). A request for a supply item issues it from
    stock in the same transaction; not enough usable stock refuses the delivery, nothing changed."""
    from resilience.relief import ledger
    from resilience.response.services.tasks import check_photo

    note = (note or "").strip()
    if not note and not photo:
        raise ValidationError({"proof": _("Add a photo or a note as proof of delivery.")})
    if photo:
        check_photo(photo, "proof")
    with _locked(request, user) as locked:
        _move(locked, DELIVER)
        if locked.item_id:
            warehouse = _warehouse_for(locked)
            if warehouse is None:
                raise ValidationError({"item": _("%(item)s is not in stock.") % {
                    "item": locked.item}})
            try:
                ledger.issue(locked.item, warehouse, locked.quantity or 1, by=user,
                             reason=_("Request %(id)d") % {"id": locked.pk}, request=locked)
            except ValidationError as exc:
                raise ValidationError({"item": [_("%(item)s cannot be issued:") % {
                    "item": locked.item}] + exc.messages})
        if photo:
            locked.proof = photo
        locked.proof_note = note
        locked.closed_at = timezone.now()
        locked.save()
        _event(locked, user, note or _("Delivered (photo)."))
        _close_batch_if_done(locked.batch_id)
    return request


def cannot_fulfil(request: NeedRequest, user, reason: str) -> NeedRequest:
    """The request cannot be met; the reason is required and shown to the resident."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the request cannot be fulfilled.")})
    with _locked(request, user) as locked:
        _move(locked, CANNOT)
        locked.outcome_reason = reason
        locked.closed_at = timezone.now()
        locked.save()
        _event(locked, user, reason)
        _close_batch_if_done(locked.batch_id)
    return request


# --- overdue ---------------------------------------------------------------------------------


def overdue(queryset, now: dt.datetime | None = None):
    """Active requests past their service-time target."""
    return queryset.filter(status__in=ACTIVE_REQUEST_STATUSES, due_at__lt=now or timezone.now())


def escalate_overdue(now: dt.datetime | None = None) -> int:
    """Mark every overdue request not yet escalated (``escalated_at``), once: a conditional update,
    so two workers never escalate the same request twice. Each escalation writes an event to the
    request's timeline; staff see escalated requests on the dashboard panel and the needs board."""
    now = now or timezone.now()
    candidates = list(overdue(NeedRequest.objects.all(), now).filter(
        escalated_at__isnull=True).values_list("pk", "status", "due_at"))
    count = 0
    for pk, status, due_at in candidates:
        with acting_as(None, "escalation"), transaction.atomic():
            won = NeedRequest.objects.filter(pk=pk, escalated_at__isnull=True).filter(
                Q(status__in=ACTIVE_REQUEST_STATUSES)).update(escalated_at=now)
            if not won:
                continue
            RequestEvent.objects.create(
                request_id=pk, status=status,
                note=_("Overdue since %(due)s: escalated to the community staff.") % {
                    "due": timezone.localtime(due_at).strftime("%Y-%m-%d %H:%M")})
            count += 1
    return count
