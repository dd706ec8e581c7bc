"""Saying "I have the warning": the link in a message, the in-app inbox and the live banner.

The link (``/a/<token>``) needs no account: the secret token is the authority. GET only shows
(SMS link scanners and chat apps fetch links before the person does); POST acknowledges. The
banner is polled by every signed-in page every two seconds, so an in-app alert shows within
about two seconds of being sent; it is one indexed query and an empty answer when there is
nothing to show.
"""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, When
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from resilience.alerts import delivery
from resilience.alerts.forms import AckForm
from resilience.alerts.messages import LANGUAGES, language_of, texts
from resilience.alerts.models import AlertRecipient
from resilience.alerts.vocab import (AckMethod, ChannelName, DeliveryStatus, MessageType,
                                     RecipientKind, State)

INBOX_PAGE = 20


def _alert_context(alert, language: str) -> dict:
    """What a person is shown about an alert, in ``language``."""
    return {"alert": alert, "text": texts(alert, language),
            "cancelled": alert.state == State.CANCELLED or alert.msg_type == MessageType.CANCEL,
            "expired": alert.state == State.EXPIRED,
            "updated": alert.replaced_by.filter(msg_type=MessageType.UPDATE,
                                                state=State.ISSUED).exists()}


# -- the link ---------------------------------------------------------------------------------
# No session is involved: the token in the URL is the only authority, so a cross-site request
# could do nothing its sender cannot already do; and a phone's in-app browser may drop cookies.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def link(request, token: str) -> HttpResponse:
    """The acknowledgement page of one recipient, in their language (``?lang=`` switches)."""
    recipient = get_object_or_404(AlertRecipient.objects.select_related("alert__community"),
                                  token=token)
    if recipient.kind == RecipientKind.GROUP:
        raise Http404
    chosen = request.GET.get("lang")
    language = chosen if chosen in LANGUAGES else language_of(recipient.language)
    form = AckForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            delivery.acknowledge(recipient, AckMethod.LINK, note=form.cleaned_data["note"],
                                 needs_help=form.cleaned_data["needs_help"])
            # See-other: a reload shows the thanks, it does not post again.
            response = HttpResponseRedirect(request.get_full_path(), status=303)
            return _private(response)
        status = 400
    with translation.override(language):
        response = render(request, "alerts/ack.html", {
            **_alert_context(recipient.alert, language), "recipient": recipient, "form": form,
            "language": language, "other_language": "en" if language != "en" else "zh-hans",
        }, status=status)
        response["Content-Language"] = language
    return _private(response)


def _private(response: HttpResponse) -> HttpResponse:
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"  # the token must not leak to linked sites
    return response


# -- in the app -------------------------------------------------------------------------------
def receipts_of(user):
    """The user's own in-app receipts: alerts whose in-app message was sent to them.

    A person's own rows, whatever their role's scope (the ``SELF`` rule every role has here)."""
    return AlertRecipient.objects.filter(user=user, deliveries__channel=ChannelName.INAPP,
                                         deliveries__status=DeliveryStatus.SENT)


def newest_open(user) -> AlertRecipient | None:
    """The newest in-app alert the user has not acknowledged, while it is in force."""
    return (receipts_of(user).filter(acknowledged_at__isnull=True, alert__state=State.ISSUED)
            .select_related("alert").order_by("-pk").first())


@login_required
def inbox(request) -> HttpResponse:
    """The user's alerts: the ones not yet acknowledged on top, then the newest first."""
    rows = receipts_of(request.user).select_related("alert").annotate(done=Case(
        When(acknowledged_at__isnull=True, then=0), default=1, output_field=IntegerField())
    ).order_by("done", "-pk")
    page = Paginator(rows, INBOX_PAGE).get_page(request.GET.get("page"))
    language = language_of(translation.get_language())
    items = [{"recipient": r, **_alert_context(r.alert, language)} for r in page.object_list]
    return render(request, "alerts/inbox.html", {"page": page, "items": items})


@never_cache
def banner(request) -> HttpResponse:
    """The newest unacknowledged in-app alert, or an empty answer (also when signed out: the
    poll must never put the sign-in page into the banner)."""
    if not request.user.is_authenticated:
        return HttpResponse("")
    return _banner(request)


def _banner(request) -> HttpResponse:
    recipient = newest_open(request.user)
    if recipient is None:
        return HttpResponse("")
    language = language_of(translation.get_language())
    return render(request, "alerts/_banner.html", {
        "recipient": recipient, "alert": recipient.alert,
        "text": texts(recipient.alert, language)})


@login_required
@require_POST
def inbox_ack(request, pk: int) -> HttpResponse:
    """The "I have received this" (and "I need help") button of the inbox and the banner."""
    recipient = get_object_or_404(AlertRecipient, pk=pk, user=request.user)
    form = AckForm(request.POST)
    if not form.is_valid():
        if request.htmx:
            return HttpResponse(status=400)
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("alerts:inbox")
    first = delivery.acknowledge(recipient, AckMethod.APP, by=request.user,
                                 note=form.cleaned_data["note"],
                                 needs_help=form.cleaned_data["needs_help"])
    if request.htmx:  # the banner: show the next alert, or nothing
        return _banner(request)
    if form.cleaned_data["needs_help"]:
        messages.warning(request, _("We have told the community staff that you need help."))
    elif first:
        messages.success(request, _("Thank you: your acknowledgement is recorded."))
    return redirect("alerts:inbox")


def urls() -> list:
    return [
        path("inbox/", inbox, name="inbox"),
        path("inbox/<int:pk>/acknowledge/", inbox_ack, name="inbox_ack"),
        path("banner/", banner, name="banner"),
    ]
