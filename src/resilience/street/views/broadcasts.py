"""Region-wide warning pages: the list with each community's acknowledgement rate, one warning
with its parts, and the forms to write a new warning or relay one to all or some communities."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext as _

from resilience.alerts.models import Alert
from resilience.alerts.vocab import MessageType
from resilience.core.scope import can_any
from resilience.core.views.forms import add_errors
from resilience.places.models import Community
from resilience.street import broadcasts
from resilience.street.forms import BroadcastForm, RelayForm
from resilience.street.models import Broadcast

PAGE_SIZE = 20


def _need_office(user) -> None:
    if not can_any(user, "add", Broadcast):
        raise PermissionDenied


def warnable(user):
    """The communities of the regions the user warns from."""
    ids: set[int] = set()
    for region in broadcasts.regions_of(user):
        ids |= set(broadcasts.communities_in(region).values_list("pk", flat=True))
    return Community.objects.filter(pk__in=ids).order_by("name")


@login_required
def broadcast_list(request):
    if not can_any(request.user, "view", Broadcast):
        raise PermissionDenied
    page = Paginator(Broadcast.objects.visible_to(request.user).select_related("region", "by"),
                     PAGE_SIZE).get_page(request.GET.get("page"))
    for broadcast in page.object_list:
        broadcast.rates = broadcasts.ack_rates(broadcast)
    return render(request, "street/broadcast_list.html", {
        "page": page, "may_warn": can_any(request.user, "add", Broadcast)})


@login_required
def broadcast_detail(request, pk: int):
    broadcast = get_object_or_404(Broadcast.objects.visible_to(request.user)
                                  .select_related("region", "by", "source"), pk=pk)
    return render(request, "street/broadcast_detail.html", {
        "broadcast": broadcast, "rates": broadcasts.ack_rates(broadcast)})


def _done(request, broadcast: Broadcast):
    messages.success(request, _("Sent to %(count)s communities.") % {
        "count": broadcast.communities.count()})
    return redirect("street:broadcast_detail", pk=broadcast.pk)


@login_required
def broadcast_new(request):
    """Write one warning for all or some communities of the office's region."""
    _need_office(request.user)
    form = BroadcastForm(request.POST or None, communities=warnable(request.user))
    if request.method == "POST" and form.is_valid():
        chosen = form.cleaned_data["communities"]
        try:
            region = broadcasts.region_for(request.user, chosen)
            broadcast = broadcasts.issue(region, chosen, by=request.user, **form.alert_fields())
        except ValidationError as exc:
            add_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            return _done(request, broadcast)
    return render(request, "street/broadcast_form.html", {"form": form, "relay": False},
                  status=400 if form.errors else 200)


def relayable(user):
    return (Alert.objects.visible_to(user).filter(state__in=broadcasts.RELAYABLE_STATES)
            .exclude(msg_type=MessageType.CANCEL).select_related("community")
            .order_by("-created")[:200])


@login_required
def broadcast_relay(request):
    """Relay an alert the office can see (``?source=<alert id>``) to its communities."""
    _need_office(request.user)
    alerts = Alert.objects.filter(pk__in=[a.pk for a in relayable(request.user)]).order_by(
        "-created")
    initial = {"source": request.GET.get("source")} if request.GET.get("source") else None
    form = RelayForm(request.POST or None, initial=initial, alerts=alerts,
                     communities=warnable(request.user))
    if request.method == "POST" and form.is_valid():
        try:
            broadcast = broadcasts.relay(form.cleaned_data["source"],
                                         form.cleaned_data["communities"], by=request.user)
        except ValidationError as exc:
            add_errors(form, exc)
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        else:
            return _done(request, broadcast)
    return render(request, "street/broadcast_form.html", {"form": form, "relay": True},
                  status=400 if form.errors else 200)


def urls() -> list:
    return [
        path("warnings/", broadcast_list, name="broadcast_list"),
        path("warnings/new/", broadcast_new, name="broadcast_new"),
        path("warnings/relay/", broadcast_relay, name="broadcast_relay"),
        path("warnings/<int:pk>/", broadcast_detail, name="broadcast_detail"),
    ]
