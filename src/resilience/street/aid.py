"""Mutual aid between the communities of a street: the services behind every step.

A community's staff ask their street for help (``open_request``); the street office answers with
steps, each written in one transaction with the request's new status:

- ``transfer_stock`` moves supplies out of the giver's lots (earliest expiry first, expiry dates
  kept) into the receiver's warehouse through ``relief.ledger.transfer_between``, so both
  ledgers carry movements sharing one ``transfer_key``;
- ``lend_volunteers`` records a ``VolunteerLoan`` per volunteer and gives each a volunteer
  membership in the receiving community that ends with the loan (``valid_until``);
- ``refer_evacuees`` points evacuees to a neighbouring community's shelter with free places.

Bad input is a ``ValidationError`` naming the field, with nothing written. Who may act is decided
by the same rule that filters reads: the new row is kept only if the actor may ``add`` it
(``core.scope.can``), so an office acts inside its own region only.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from resilience.core.actor import acting_as, current_source
from resilience.core.roles import Role
from resilience.core.scope import can
from resilience.people.models import Membership, Volunteer
from resilience.places.models import Facility
from resilience.places.vocab import FacilityKind
from resilience.relief import ledger
from resilience.relief.models import Item
from resilience.street.models import (AidRequest, ShelterReferral, StockTransfer,
                                      VolunteerLoan)
from resilience.street.vocab import AidKind, AidStatus, LoanStatus

ANSWERABLE = (AidStatus.OPEN, AidStatus.PARTLY)
# Places referred to a shelter count against its free places for this long: people on their way.
REFERRAL_HOLD = dt.timedelta(hours=24)


def acting(user):
    """Attribute changes to ``user``, keeping the caller's source ("api", "web") if any."""
    return acting_as(user, current_source() or "street")


def _keep_if_allowed(user, obj, action: str = "add") -> None:
    if user is not None and not can(user, action, obj):
        raise PermissionDenied(_("You may not do this for %(what)s: it is outside your scope.")
                               % {"what": obj})


def _whole(value, field: str) -> int:
    """A positive whole number (volunteers, shelter places)."""
    quantity = ledger.as_quantity(value, field)
    if quantity != quantity.to_integral():
        raise ValidationError({field: _("Enter a whole number.")})
    return int(quantity)


# --- requests ------------------------------------------------------------------------------

def open_request(user, community, *, kind: str, quantity, item_name: str = "", unit: str = "",
                 needed_by: dt.datetime | None = None, reason: str = "") -> AidRequest:
    """A community's request to its street: supplies (what, in which unit), volunteers or
    shelter places. Only someone who may add requests there (the community's staff) may."""
    if kind not in AidKind.values:
        raise ValidationError({"kind": _("Choose supplies, volunteers or shelter places.")})
    if community is None:
        raise ValidationError({"community": _("Choose the community asking for help.")})
    if community.region_id is None:
        raise ValidationError({"community": _("This community belongs to no street.")})
    if kind == AidKind.SUPPLIES:
        quantity = ledger.as_quantity(quantity)
        item_name, unit = (item_name or "").strip(), (unit or "").strip()
        errors = {}
        if not item_name:
            errors["item_name"] = _("Say which supply is needed.")
        if not unit:
            errors["unit"] = _("Say in which unit (bottle, box…).")
        if errors:
            raise ValidationError(errors)
    else:
        quantity = Decimal(_whole(quantity, "quantity"))
        item_name = unit = ""
    if needed_by is not None and needed_by < timezone.now() - dt.timedelta(minutes=5):
        raise ValidationError({"needed_by": _("This time has passed already.")})
    with acting(user), transaction.atomic():
        request = AidRequest(community=community, kind=kind, item_name=item_name[:120],
                             unit=unit[:20], quantity=quantity, needed_by=needed_by,
                             reason=reason or "",
                             created_by=user if getattr(user, "pk", None) else None)
        request.full_clean()
        request.save()
        _keep_if_allowed(user, request)
    return request


def cancel_request(request: AidRequest, user) -> AidRequest:
    """Withdraw an open or partly met request (the steps already taken stay on record)."""
    with acting(user), transaction.atomic():
        locked = AidRequest.objects.select_for_update().get(pk=request.pk)
        _keep_if_allowed(user, locked, "change")
        if locked.status not in ANSWERABLE:
            raise ValidationError({"status": _("Only an open request can be cancelled.")})
        locked.status = AidStatus.CANCELLED
        locked.save(update_fields=["status", "updated"])
    request.status = locked.status
    return request


def given(request: AidRequest) -> Decimal:
    """How much of the request the steps so far have given (units, volunteers or places)."""
    if request.kind == AidKind.SUPPLIES:
        total = sum(request.transfers.values_list("quantity", flat=True), Decimal(0))
    elif request.kind == AidKind.VOLUNTEERS:
        total = Decimal(request.loans.count())
    else:
        total = Decimal(sum(request.referrals.values_list("places", flat=True)))
    return total


def remaining(request: AidRequest) -> Decimal:
    """What is still missing, never below zero."""
    return max(request.quantity - given(request), Decimal(0))


def _locked_request(request: AidRequest | None, kind: str, receiver_id: int) -> AidRequest | None:
    """The request a step answers, locked; refused unless it is open, of this kind and asked by
    the receiving community."""
    if request is None:
        return None
    locked = AidRequest.objects.select_for_update().get(pk=request.pk)
    if locked.kind != kind:
        raise ValidationError({"request": _("This request asks for %(kind)s.")
                               % {"kind": locked.get_kind_display()}})
    if locked.status not in ANSWERABLE:
        raise ValidationError({"request": _("This request is %(status)s already.")
                               % {"status": locked.get_status_display()}})
    if locked.community_id != receiver_id:
        raise ValidationError({"request": _("This request was made by another community.")})
    return locked


def _update_status(request: AidRequest | None) -> None:
    if request is None:
        return
    request.status = AidStatus.MET if given(request) >= request.quantity else AidStatus.PARTLY
    request.save(update_fields=["status", "updated"])


def _check_neighbours(giver, receiver, field: str) -> None:
    if giver.pk == receiver.pk:
        raise ValidationError({field: _("Giver and receiver are the same community.")})
    if giver.region_id != receiver.region_id:
        raise ValidationError({field: _("%(community)s is in another street.")
                               % {"community": receiver}})


# --- stock ---------------------------------------------------------------------------------

def receiving_item(from_item: Item, community) -> Item:
    """The receiver's item of the same supply (same name and unit), created like the giver's if
    the receiver has never stocked it."""
    found = Item.objects.filter(community=community, name=from_item.name,
                                unit=from_item.unit).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():  # a savepoint: a concurrent creation is not an error
            return Item.objects.create(community=community, name=from_item.name,
                                       unit=from_item.unit, category=from_item.category,
                                       perishable=from_item.perishable,
                                       per_capita_amount=from_item.per_capita_amount)
    except IntegrityError:
        return Item.objects.get(community=community, name=from_item.name, unit=from_item.unit)


def default_warehouse(community) -> Facility | None:
    """Where supplies for ``community`` go unless the office says otherwise: its first warehouse."""
    return (Facility.objects.filter(community=community, kind=FacilityKind.WAREHOUSE)
            .order_by("pk").first())


def transfer_stock(*, from_item: Item, from_warehouse, to_community, quantity, by,
                   to_warehouse=None, request: AidRequest | None = None,
                   reason: str = "") -> StockTransfer:
    """Move ``quantity`` of ``from_item`` from its community's ``from_warehouse`` to
    ``to_community`` (its ``to_warehouse``, else its first warehouse), in one transaction: both
    ledgers, the ``StockTransfer`` record and the request's status, or nothing."""
    if from_item is None:
        raise ValidationError({"from_item": _("Choose the supply to give.")})
    if to_community is None:
        raise ValidationError({"to_community": _("Choose the receiving community.")})
    quantity = ledger.as_quantity(quantity)
    giver = from_item.community
    _check_neighbours(giver, to_community, "to_community")
    ledger.check_warehouse(from_item, from_warehouse, "from_warehouse")
    if to_warehouse is None:
        to_warehouse = default_warehouse(to_community)
        if to_warehouse is None:
            raise ValidationError({"to_warehouse": _("%(community)s has no supplies warehouse "
                                                     "to receive them.")
                                   % {"community": to_community}})
    if (to_warehouse.community_id != to_community.pk
            or to_warehouse.kind != FacilityKind.WAREHOUSE):
        raise ValidationError({"to_warehouse": _("Choose a supplies warehouse of %(community)s.")
                               % {"community": to_community}})
    reason = reason or _("Mutual aid: %(giver)s → %(receiver)s") % {
        "giver": giver, "receiver": to_community}
    with acting(by), transaction.atomic():
        locked = _locked_request(request, AidKind.SUPPLIES, to_community.pk)
        to_item = receiving_item(from_item, to_community)
        key, _movements = ledger.transfer_between(
            from_item, to_item, from_warehouse, to_warehouse, quantity,
            by=by if getattr(by, "pk", None) else None, reason=reason)
        transfer = StockTransfer.objects.create(
            region_id=giver.region_id, request=locked, from_community=giver,
            to_community=to_community, from_item=from_item, to_item=to_item,
            from_warehouse=from_warehouse, to_warehouse=to_warehouse, quantity=quantity,
            transfer_key=key, by=by if getattr(by, "pk", None) else None)
        _keep_if_allowed(by, transfer)
        _update_status(locked)
    if request is not None:
        request.refresh_from_db()
    return transfer


# --- volunteers ----------------------------------------------------------------------------

def active_loans():
    """Loans in force now."""
    return VolunteerLoan.objects.filter(status=LoanStatus.ACTIVE, ends__gt=timezone.now())


def lend_volunteers(volunteers, to_community, ends: dt.datetime, *, by,
                    request: AidRequest | None = None,
                    starts: dt.datetime | None = None) -> list[VolunteerLoan]:
    """Lend volunteers of neighbouring communities to ``to_community`` until ``ends``. Each gets a
    ``VolunteerLoan`` and, if they have an account, a volunteer membership in the receiving
    community valid until ``ends`` — so they see and do its volunteer tasks for that long only.
    A volunteer already lent, inactive, of the receiving community or of another street is
    refused (field ``volunteers``)."""
    now = timezone.now()
    starts = starts or now
    volunteers = list(volunteers or [])
    if not volunteers:
        raise ValidationError({"volunteers": _("Choose at least one volunteer.")})
    if to_community is None:
        raise ValidationError({"to_community": _("Choose the receiving community.")})
    if ends is None or ends <= max(now, starts):
        raise ValidationError({"ends": _("The loan must end later than it starts.")})
    with acting(by), transaction.atomic():
        locked = _locked_request(request, AidKind.VOLUNTEERS, to_community.pk)
        # Lock the volunteers (in a stable order) so two offices cannot lend one twice.
        ids = sorted({v.pk for v in volunteers})
        rows = list(Volunteer.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
        if len(rows) != len(ids):
            raise ValidationError({"volunteers": _("A chosen volunteer no longer exists.")})
        busy = set(active_loans().filter(volunteer_id__in=ids)
                   .values_list("volunteer_id", flat=True))
        loans = []
        for volunteer in rows:
            community = volunteer.community
            if volunteer.pk in busy:
                raise ValidationError({"volunteers": _("%(name)s is lent to a community already.")
                                       % {"name": volunteer}})
            if not volunteer.active:
                raise ValidationError({"volunteers": _("%(name)s is not an active volunteer.")
                                       % {"name": volunteer}})
            if community.pk == to_community.pk:
                raise ValidationError({"volunteers": _("%(name)s is a volunteer of %(community)s "
                                                       "already.")
                                       % {"name": volunteer, "community": to_community}})
            if community.region_id != to_community.region_id:
                raise ValidationError({"volunteers": _("%(name)s is a volunteer of another "
                                                       "street.") % {"name": volunteer}})
            membership = None
            if volunteer.user_id:
                membership = Membership.objects.create(
                    user_id=volunteer.user_id, role=Role.VOLUNTEER, community=to_community,
                    valid_until=ends, title=_("lent by %(community)s") % {"community": community})
            loan = VolunteerLoan.objects.create(
                region_id=to_community.region_id, request=locked, volunteer=volunteer,
                from_community=community, to_community=to_community, membership=membership,
                starts=starts, ends=ends, by=by if getattr(by, "pk", None) else None)
            _keep_if_allowed(by, loan)
            loans.append(loan)
        _update_status(locked)
    if request is not None:
        request.refresh_from_db()
    return loans


def _finish(loan: VolunteerLoan, now: dt.datetime, by) -> None:
    """End a locked loan: its membership stops now (if later), the volunteer's unfinished tasks
    in the receiving community go back to its staff."""
    if loan.membership_id:
        Membership.objects.filter(pk=loan.membership_id, valid_until__gt=now).update(
            valid_until=now, updated=now)
    loan.status = LoanStatus.ENDED
    if loan.ends > now > loan.starts:
        loan.ends = now
    loan.save(update_fields=["status", "ends", "updated"])
    if loan.volunteer.user_id:
        _hand_back_tasks(loan.volunteer.user, loan.to_community, by, now)


def _hand_back_tasks(user, community, by, now) -> None:
    """The lent volunteer's open response tasks there return to the community, unassigned (their
    home volunteer membership would otherwise keep showing them tasks of a community they no
    longer work in)."""
    from resilience.response.models import Task, TaskEvent
    from resilience.response.vocab import OPEN_STATUSES, TaskStatus

    tasks = list(Task.objects.select_for_update().filter(
        community=community, assignee=user, status__in=OPEN_STATUSES))
    for task in tasks:
        before = task.status
        task.assignee, task.status, task.accepted_at = None, TaskStatus.OPEN, None
        task.save(update_fields=["assignee", "status", "accepted_at", "updated"])
        TaskEvent.objects.create(task=task, user=by if getattr(by, "pk", None) else None,
                                 action="assign", from_status=before, to_status=task.status,
                                 note=_("The volunteer's loan ended; the task is open again."))


def end_loan(loan: VolunteerLoan, *, by, now: dt.datetime | None = None) -> VolunteerLoan:
    """End a loan early: the membership it granted stops now and the status is *ended*."""
    now = now or timezone.now()
    with acting(by), transaction.atomic():
        locked = (VolunteerLoan.objects.select_for_update(of=("self",))
                  .select_related("volunteer__user", "to_community").get(pk=loan.pk))
        _keep_if_allowed(by, locked, "change")
        if locked.status != LoanStatus.ACTIVE:
            raise ValidationError({"status": _("This loan has ended already.")})
        _finish(locked, now, by)
    loan.refresh_from_db()
    return loan


def end_expired_loans(now: dt.datetime | None = None) -> int:
    """Mark loans past their end as ended (their memberships lapsed by themselves) and hand their
    volunteers' open tasks back; returns how many. Run by the worker."""
    now = now or timezone.now()
    ended = 0
    with acting_as(None, "expiry"), transaction.atomic():
        due = (VolunteerLoan.objects.select_for_update(skip_locked=True, of=("self",))
               .filter(status=LoanStatus.ACTIVE, ends__lte=now)
               .select_related("volunteer__user", "to_community"))
        for loan in due:
            _finish(loan, now, None)
            ended += 1
    return ended


# --- shelter places ------------------------------------------------------------------------

def free_places(shelter, now: dt.datetime | None = None) -> int:
    """The shelter's free places less those referred in the last ``REFERRAL_HOLD``."""
    now = now or timezone.now()
    held = (ShelterReferral.objects.filter(shelter=shelter, at__gte=now - REFERRAL_HOLD)
            .aggregate(n=Sum("places"))["n"] or 0)
    return max(shelter.free_places - held, 0)


def refer_evacuees(*, from_community, shelter, places, by, request: AidRequest | None = None,
                   note: str = "") -> ShelterReferral:
    """Point ``places`` evacuees of ``from_community`` to a shelter of a neighbouring community
    that has that many free places."""
    from resilience.shelters.models import Shelter

    if from_community is None:
        raise ValidationError({"from_community": _("Choose the community whose people go.")})
    if shelter is None:
        raise ValidationError({"shelter": _("Choose a shelter.")})
    places = _whole(places, "places")
    with acting(by), transaction.atomic():
        locked_shelter = (Shelter.objects.select_for_update(of=("self",))
                          .select_related("facility__community").get(pk=shelter.pk))
        host = locked_shelter.facility.community
        _check_neighbours(from_community, host, "shelter")
        locked = _locked_request(request, AidKind.SHELTER, from_community.pk)
        free = free_places(locked_shelter)
        if places > free:
            raise ValidationError({"places": _("%(shelter)s has %(free)s free places; "
                                               "%(places)s asked.")
                                   % {"shelter": locked_shelter, "free": free, "places": places}})
        referral = ShelterReferral.objects.create(
            region_id=from_community.region_id, request=locked, from_community=from_community,
            shelter=locked_shelter, places=places, note=(note or "")[:200],
            by=by if getattr(by, "pk", None) else None)
        _keep_if_allowed(by, referral)
        _update_status(locked)
    if request is not None:
        request.refresh_from_db()
    return referral
