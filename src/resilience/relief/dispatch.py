"""Dispatch: a matching plan saved as *planned* batches for staff to review, confirmed into
assignments, and the volunteer's route-ordered view of their batches.

``propose`` replaces the community's planned (unconfirmed) batches with a fresh plan;
``confirm`` assigns each still-open request of a batch to its volunteer (through
``requests.assign``, so every assignment is an event) and marks the batch dispatched.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from resilience.core.actor import acting_as, current_source
from resilience.core.crypto import mask_phone
from resilience.core.scope import can
from resilience.relief import matching
from resilience.relief import requests as service
from resilience.relief.models import DispatchBatch, NeedRequest
from resilience.relief.vocab import ACTIVE_REQUEST_STATUSES, BatchStatus, RequestStatus


@dataclass
class Proposal:
    """The saved planned batches and what the plan could not cover."""

    batches: list
    short_stock: list
    short_helpers: list


def propose(community, user, *, now=None) -> Proposal:
    """Plan the community's open requests and save the batches as *planned*, replacing the
    previous unconfirmed plan. Only someone who may add batches there (staff) may."""
    if not can_dispatch(user, community):
        raise PermissionDenied(_("You may not dispatch in this community."))
    result = matching.plan(community, now=now)
    with acting_as(user, current_source() or "relief"), transaction.atomic():
        DispatchBatch.objects.filter(community=community, status=BatchStatus.PLANNED).delete()
        created = DispatchBatch.objects.bulk_create([
            DispatchBatch(community=community, building_id=b.building, volunteer_id=b.volunteer,
                          route=b.requests, picks=b.picks, distance_m=b.distance_m,
                          created_by=user if user is not None and user.pk else None)
            for b in result.batches])
    return Proposal(created, result.short_stock, result.short_helpers)


def can_dispatch(user, community) -> bool:
    """Whether ``user`` may plan batches for the whole community: its staff, or an admin."""
    from resilience.core.roles import Role
    from resilience.core.scope import memberships_of

    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    return any(m.role == Role.ADMIN or (m.role == Role.STAFF and m.community_id == community.pk)
               for m in memberships_of(user))


def confirm(batch: DispatchBatch, user) -> DispatchBatch:
    """Assign the batch's still-open requests to its volunteer; the batch is dispatched.
    Requests no longer open (filed elsewhere, cancelled) are dropped from its route."""
    with acting_as(user, current_source() or "relief"), transaction.atomic():
        locked = (DispatchBatch.objects.select_for_update(of=("self",))
                  .select_related("volunteer").get(pk=batch.pk))
        if not can(user, "change", locked):
            raise PermissionDenied(_("You may not confirm this batch."))
        if locked.status != BatchStatus.PLANNED:
            raise ValidationError({"status": _("Only a planned batch can be confirmed.")})
        if locked.volunteer is None:
            raise ValidationError({"volunteer": _("The batch has no volunteer.")})
        route = []
        for request in NeedRequest.objects.filter(pk__in=locked.route, status=RequestStatus.OPEN):
            service.assign(request, user, locked.volunteer, batch=locked)
            route.append(request.pk)
        locked.route = [pk for pk in locked.route if pk in set(route)]
        locked.picks = [p for p in locked.picks if p.get("request") in set(route)]
        locked.status = BatchStatus.DISPATCHED if route else BatchStatus.CANCELLED
        locked.save()
    batch.refresh_from_db()
    return batch


def confirm_all(community, user) -> int:
    """Confirm every planned batch of the community the user may change; how many requests
    were assigned."""
    count = 0
    for batch in DispatchBatch.objects.visible_to(user, "change").filter(
            community=community, status=BatchStatus.PLANNED):
        count += len(confirm(batch, user).route)
    return count


# --- the volunteer's side --------------------------------------------------------------------


def batches_of(user):
    """The dispatched batches of the volunteer ``user``, in nearest-neighbour order from their
    home building."""
    batches = list(DispatchBatch.objects.visible_to(user, "view").filter(
        volunteer__user=user, status=BatchStatus.DISPATCHED).select_related(
        "building", "volunteer__home_building"))
    if not batches:
        return []
    home = batches[0].volunteer.home_building
    start = (home.latitude, home.longitude) if home else None
    order = matching.route_order(start, [(b.pk, b.building.latitude, b.building.longitude)
                                         for b in batches])
    by_id = {b.pk: b for b in batches}
    return [by_id[pk] for pk in order]


def first_name(name: str) -> str:
    """What a volunteer needs to greet the person: the given name of a Western name, the
    surname and a mask of a Chinese one (张*)."""
    name = (name or "").strip()
    if not name:
        return ""
    if " " in name:
        return name.split()[0]
    return name[0] + "*" * min(2, len(name) - 1)


def contact_of(request: NeedRequest):
    """Who to ask for at the door: the person named, else the head of the household (else any
    member); and the record whose phone to call (theirs, else the household's)."""
    person = request.resident
    if person is None:
        members = sorted(request.household.residents.all(),
                         key=lambda r: (r.relationship != "head", r.pk))
        person = members[0] if members else None
    if person is not None and person.phone:
        return person, person
    return person, request.household


def stops(batch: DispatchBatch, user) -> list[dict]:
    """The batch's requests in route order with only what the trip needs: address, what to
    bring, the person's first name and masked phone."""
    by_id = {r.pk: r for r in NeedRequest.objects.visible_to(user, "view").filter(
        pk__in=batch.route).select_related("household__unit", "household__building", "resident",
                                           "item").prefetch_related("household__residents")}
    picks = {p.get("request"): p for p in batch.picks or []}
    out = []
    for pk in batch.route:
        request = by_id.get(pk)
        if request is None:
            continue
        person, holder = contact_of(request)
        phone = holder.phone or ""

        out.append({
            "request": request, "pick": picks.get(pk),
            "address": str(request.household),
            "name": first_name(person.name if person else ""),
            "phone_masked": mask_phone(phone) if phone else "",
            "active": request.status in ACTIVE_REQUEST_STATUSES,
            "actions": service.allowed_actions(request, user),
        })
    return out


def reveal_phone(request: NeedRequest, user, *, ip: str | None = None) -> str:
    """The phone of the person in need, in clear, for the volunteer holding the active request
    (or a supervisor); the reveal is written to the access log first."""
    from resilience.core.services import log_reveal

    if request.status not in ACTIVE_REQUEST_STATUSES:
        raise PermissionDenied(_("The request is closed: its phone is no longer shown."))
    if not (service.holds(user, request) or service.is_supervisor(user, request)):
        raise PermissionDenied(_("Only the volunteer holding the request may see the phone."))
    _person, target = contact_of(request)
    log_reveal(user, target, ["phone"], channel="relief", ip=ip)
    return target.phone or ""
