"""The resident portal: one phone page with the warnings, the household, the shelter and route,
risks, contacts, what to do, notices, reports, requests and consultations.

Residents read it in the language of their registry record (Chinese unless they chose English);
once they press the language switch, the switch's choice wins.
"""
from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from resilience.participation import portal as service


def _language(request) -> str:
    """The switch's choice (its cookie) when made, else the resident's own language."""
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    if chosen and translation.check_for_language(chosen):
        return translation.get_language()
    if service.household_of(request.user) is None:
        return translation.get_language()
    return service.language_of(request.user)


@login_required
def portal(request):
    """The resident's page of their community."""
    language = _language(request)
    with translation.override(language):
        request.LANGUAGE_CODE = language
        data = service.portal_for(request.user, language)
        if data.shelter:
            data.shelter["map"].update(tileUrl=settings.RESILIENCE_TILE_URL,
                                       tileAttribution=settings.RESILIENCE_TILE_ATTRIBUTION)
        response = render(request, "participation/portal.html", {
            "portal": data, "sections": _sections(data)})
        response["Content-Language"] = language
    return response


def _sections(data: service.Portal) -> list[dict]:
    """The jump links at the top: one per section the page shows."""
    out = [("warnings", _("Warnings")), ("household", _("My household")),
           ("shelter", _("Shelter")), ("risks", _("Risks")), ("contacts", _("Contacts")),
           ("procedures", _("What to do")), ("notices", _("Community notices")),
           ("reports", _("My reports"))]
    if data.requests is not None:
        out.append(("requests", _("My requests")))
    if data.consultations_url:
        out.append(("consultations", _("Consultations")))
    shown = {"household": data.household is not None, "shelter": data.household is not None}
    return [{"id": key, "label": label} for key, label in out if shown.get(key, True)]


@login_required
@require_POST
def acknowledge(request, pk: int):
    """The portal's "I have received this" / "I need help": the alerts app's acknowledgement,
    back to the portal afterwards."""
    from resilience.alerts import delivery
    from resilience.alerts.forms import AckForm
    from resilience.alerts.views.ack import receipts_of
    from resilience.alerts.vocab import AckMethod

    recipient = get_object_or_404(receipts_of(request.user).distinct(), pk=pk)
    form = AckForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect(reverse("participation:portal") + "#warnings")
    first = delivery.acknowledge(recipient, AckMethod.APP, by=request.user,
                                 note=form.cleaned_data["note"],
                                 needs_help=form.cleaned_data["needs_help"])
    if form.cleaned_data["needs_help"]:
        messages.warning(request, _("We have told the community staff that you need help."))
    elif first:
        messages.success(request, _("Thank you: your acknowledgement is recorded."))
    return redirect(reverse("participation:portal") + "#warnings")


def home(request):
    """The home page ("/") of a resident is their portal; everyone else gets the dashboard."""
    return portal(request) if service.is_resident_only(request.user) else None


def urls() -> list:
    return [
        path("portal/", portal, name="portal"),
        path("portal/warnings/<int:pk>/acknowledge/", acknowledge, name="portal_ack"),
    ]
