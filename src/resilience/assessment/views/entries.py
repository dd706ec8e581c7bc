"""Indicator values entered from a survey or imported: the list and the form."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from resilience.assessment import access
from resilience.assessment.catalogue import catalogue
from resilience.assessment.forms import EntryForm
from resilience.assessment.models import IndicatorEntry
from resilience.assessment.views.pages import community_of


@login_required
def entry_list(request, pk: int):
    place = community_of(request, pk)
    entries = (IndicatorEntry.objects.visible_to(request.user, "view")
               .filter(community=place).select_related("by").order_by("-measured_on", "-id"))
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    known = catalogue()
    for entry in page:
        entry.indicator_name = getattr(known.get(entry.indicator), "name", entry.indicator)
    return render(request, "assessment/entry_list.html", {
        "community": place, "page": page,
        "may_add": access.may(request.user, "add", place),
        "title": _("Entered indicator values")})


@login_required
def entry_new(request, pk: int):
    place = community_of(request, pk, "add")
    form = EntryForm(request.POST or None, initial={"indicator": request.GET.get("indicator")})
    if request.method == "POST" and form.is_valid():
        entry = form.save(commit=False)
        entry.community, entry.by = place, request.user
        with transaction.atomic():
            entry.save()
            if not IndicatorEntry.objects.visible_to(request.user, "add").filter(
                    pk=entry.pk).exists():
                raise PermissionDenied
        messages.success(request, _("Value saved; it counts from the next assessment."))
        return redirect("assessment:entry_list", pk=place.pk)
    return render(request, "assessment/entry_new.html", {
        "community": place, "form": form, "title": _("Enter an indicator value")})
