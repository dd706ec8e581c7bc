"""Check-in and check-out: the only ways occupancy changes, each in one transaction that locks the
shelter row, so two people checking in at once can never fill a shelter beyond its capacity.

Status follows occupancy: a shelter becomes ``full`` when the last place is taken and ``open``
again when someone leaves. Opening and closing are explicit (``open_shelter``/``close_shelter``).
"""
from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from resilience.core import crypto
from resilience.core.scope import can
from resilience.shelters.models import Shelter, ShelterStatus, Stay


def _locked(shelter: Shelter) -> Shelter:
    return Shelter.objects.select_for_update(of=("self",)).select_related("facility").get(pk=shelter.pk)


def _set_status(shelter: Shelter, status: str) -> None:
    if shelter.status != status:
        shelter.status = status
        shelter.save(update_fields=["status", "updated"])


def _refusal(shelter: Shelter, person: str) -> ValidationError | None:
    """Why nobody more can enter the (locked) shelter, or None. A shelter found at capacity but
    not yet marked full (its capacity was lowered) is marked full here."""
    if shelter.status == ShelterStatus.CLOSED:
        return ValidationError(_("%(shelter)s is closed: open it before checking anyone in.")
                               % {"shelter": shelter})
    capacity, occupancy = shelter.effective_capacity, shelter.occupancy
    if shelter.status == ShelterStatus.FULL or occupancy >= capacity:
        _set_status(shelter, ShelterStatus.FULL)
        return ValidationError(
            _("%(shelter)s is full (%(occupancy)s of %(capacity)s places taken): send "
              "%(person)s to another shelter.")
            % {"shelter": shelter, "occupancy": occupancy, "capacity": capacity, "person": person})
    return None


def check_in(shelter: Shelter, *, user=None, resident=None, walk_in_name: str = "",
             walk_in_phone: str = "", incident_id: int | None = None) -> Stay:
    """Check a resident (or a walk-in, by name) into the shelter. Refused with a clear message if
    the shelter is closed or full, or the resident is already in a shelter; ``user`` must be
    allowed to add stays there (else ``PermissionDenied``, nothing written)."""
    if resident is None and not walk_in_name.strip():
        raise ValidationError(_("Choose a registered resident or give the walk-in's name."))
    person = resident.name if resident else walk_in_name.strip()
    with transaction.atomic():
        shelter = _locked(shelter)
        # A refusal is raised after the block, so marking the shelter full still commits.
        refusal = _refusal(shelter, person)
        if refusal is None:
            stay = _admit(shelter, user, resident, walk_in_name, walk_in_phone, incident_id)
    if refusal is not None:
        raise refusal
    return stay


def _admit(shelter: Shelter, user, resident, walk_in_name: str, walk_in_phone: str,
           incident_id: int | None) -> Stay:
    capacity, occupancy = shelter.effective_capacity, shelter.occupancy
    if resident is not None:
        elsewhere = Stay.objects.filter(resident=resident, checked_out_at__isnull=True) \
            .select_related("shelter__facility").first()
        if elsewhere:
            raise ValidationError(_("%(person)s is already checked in at %(shelter)s.")
                                  % {"person": resident.name, "shelter": elsewhere.shelter})
    try:
        with transaction.atomic():
            stay = Stay.objects.create(
                shelter=shelter, resident=resident, walk_in_name=walk_in_name.strip(),
                walk_in_phone=walk_in_phone.strip(), incident_id=incident_id,
                checked_in_at=timezone.now(), checked_in_by=user)
    except IntegrityError:  # the same resident checked in elsewhere at this very moment
        raise ValidationError(_("%(person)s is already checked in at another shelter.")
                              % {"person": resident.name if resident else walk_in_name}) from None
    if user is not None and not can(user, "add", stay):
        raise PermissionDenied(_("You may not check people in at this shelter."))
    if occupancy + 1 >= capacity:
        _set_status(shelter, ShelterStatus.FULL)
    return stay


def check_out(stay: Stay, *, user=None) -> Stay:
    """Check the person out; a full shelter opens again. Checking out twice is refused."""
    with transaction.atomic():
        shelter = _locked(stay.shelter)
        stay = Stay.objects.select_for_update().get(pk=stay.pk)
        if user is not None and not can(user, "change", stay):
            raise PermissionDenied(_("You may not check people out at this shelter."))
        if stay.checked_out_at is not None:
            raise ValidationError(_("%(person)s was already checked out.")
                                  % {"person": stay.person_name})
        stay.checked_out_at = timezone.now()
        stay.checked_out_by = user
        stay.save(update_fields=["checked_out_at", "checked_out_by", "updated"])
        if shelter.status == ShelterStatus.FULL and shelter.occupancy < shelter.effective_capacity:
            _set_status(shelter, ShelterStatus.OPEN)
    return stay


def open_shelter(shelter: Shelter, *, user=None) -> Shelter:
    """Open the shelter (full at once if it has no free place)."""
    with transaction.atomic():
        shelter = _locked(shelter)
        if user is not None and not can(user, "change", shelter):
            raise PermissionDenied(_("You may not open or close this shelter."))
        if shelter.effective_capacity <= 0:
            raise ValidationError(_("%(shelter)s has no capacity: give its places or floor area "
                                    "first.") % {"shelter": shelter})
        if shelter.status == ShelterStatus.CLOSED:
            shelter.opened_at = timezone.now()
            shelter.closed_at = None
        shelter.status = (ShelterStatus.FULL if shelter.occupancy >= shelter.effective_capacity
                          else ShelterStatus.OPEN)
        shelter.save(update_fields=["status", "opened_at", "closed_at", "updated"])
    return shelter


def close_shelter(shelter: Shelter, *, user=None) -> Shelter:
    """Close the shelter to new arrivals (people inside stay checked in until they leave)."""
    with transaction.atomic():
        shelter = _locked(shelter)
        if user is not None and not can(user, "change", shelter):
            raise PermissionDenied(_("You may not open or close this shelter."))
        shelter.status = ShelterStatus.CLOSED
        shelter.closed_at = timezone.now()
        shelter.save(update_fields=["status", "closed_at", "updated"])
    return shelter


def resident_by_id_number(shelter: Shelter, id_number: str):
    """The resident of the shelter's community with exactly this ID number (by its keyed hash),
    for people who check others in without access to the resident register (volunteers)."""
    from resilience.people.models import Resident

    digest = crypto.keyed_hash(id_number.strip(), "id_number")
    if not digest:
        return None
    return Resident.objects.filter(community_id=shelter.facility.community_id,
                                   id_number_hash=digest).first()


def find_residents(queryset, term: str):
    """Residents matching ``term``: the exact ID number (by its keyed hash) or part of the name."""
    term = term.strip()
    if not term:
        return queryset.none()
    q = Q(name__icontains=term)
    if len(term) >= 15:
        q |= Q(id_number_hash=crypto.keyed_hash(term, "id_number"))
    return queryset.filter(q)
