"""Shelter pages: the list that refreshes itself, the shelter page with check-in and check-out."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from resilience.core.scope import can, can_any
from resilience.people.models import Resident
from resilience.shelters import checkin
from resilience.shelters.filtersets import ShelterFilterSet
from resilience.shelters.forms import ShelterForm, WalkInForm
from resilience.shelters.models import Shelter, Stay

REFRESH_SECONDS = 15


def _shelters(user, action: str = "view"):
    return Shelter.objects.visible_to(user, action).select_related(
        "facility", "facility__community").annotate(
        current=Count("stays", filter=Q(stays__checked_out_at__isnull=True))).order_by(
        "facility__community__name", "facility__code")


@login_required
def shelter_list(request):
    """Shelters with status and live occupancy; the table part reloads itself (htmx)."""
    filterset = ShelterFilterSet(request.GET, queryset=_shelters(request.user), request=request)
    page = Paginator(filterset.qs, 25).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"filterset": filterset, "page": page, "refresh_seconds": REFRESH_SECONDS,
               "query": query.urlencode()}
    if request.headers.get("HX-Request"):
        return render(request, "shelters/_shelter_rows.html", context)
    return render(request, "shelters/shelter_list.html", context)


@login_required
def shelter_detail(request, pk: int):
    shelter = get_object_or_404(_shelters(request.user), pk=pk)
    term = request.GET.get("q", "").strip()
    found = []
    if term and can_any(request.user, "view", Resident):
        found = list(checkin.find_residents(
            Resident.objects.visible_to(request.user, "view"), term).select_related(
            "household", "household__building")[:20])
    elif term:  # no access to the register: only the exact ID number of a resident here
        found = [r for r in [checkin.resident_by_id_number(shelter, term)] if r is not None]
    stays = (Stay.objects.visible_to(request.user, "view").filter(
        shelter=shelter, checked_out_at__isnull=True).select_related("resident"))
    return render(request, "shelters/shelter_detail.html", {
        "shelter": shelter, "stays": stays[:500], "term": term, "found": found,
        "walk_in_form": WalkInForm(),
        "can_change": can(request.user, "change", shelter),
        "can_check_in": can_any(request.user, "add", Stay),
        "can_search": can_any(request.user, "view", Resident),
        "refresh_seconds": REFRESH_SECONDS,
    })


@login_required
def shelter_edit(request, pk: int):
    shelter = get_object_or_404(_shelters(request.user, "change"), pk=pk)
    form = ShelterForm(request.POST or None, instance=shelter, user=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        return redirect(shelter.get_absolute_url())
    return render(request, "shelters/shelter_edit.html", {"shelter": shelter, "form": form})


@login_required
@require_POST
def shelter_act(request, pk: int, action: str):
    """The buttons of the shelter page: open, close, check in (resident or walk-in), check out."""
    shelter = get_object_or_404(_shelters(request.user), pk=pk)
    try:
        if action == "open":
            checkin.open_shelter(shelter, user=request.user)
        elif action == "close":
            checkin.close_shelter(shelter, user=request.user)
        elif action == "check-in":
            resident = None
            if request.POST.get("id_number"):
                resident = checkin.resident_by_id_number(shelter, request.POST["id_number"])
                if resident is None:
                    raise ValidationError(_("No resident of this community has that ID number; "
                                            "check them in as a walk-in."))
            elif request.POST.get("resident"):
                resident = get_object_or_404(Resident.objects.visible_to(request.user, "view"),
                                             pk=request.POST["resident"])
            stay = checkin.check_in(shelter, user=request.user, resident=resident,
                                    walk_in_name=request.POST.get("walk_in_name", ""),
                                    walk_in_phone=request.POST.get("walk_in_phone", ""))
            messages.success(request, _checked_in(stay))
        elif action == "check-out":
            stay = get_object_or_404(Stay.objects.visible_to(request.user, "view"),
                                     shelter=shelter, pk=request.POST.get("stay"))
            checkin.check_out(stay, user=request.user)
        else:
            raise PermissionDenied
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    return redirect(shelter.get_absolute_url())


def _checked_in(stay: Stay) -> str:
    return _("%(person)s is checked in.") % {"person": stay.person_name}
