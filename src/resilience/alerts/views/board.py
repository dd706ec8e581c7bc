"""The live board of an issued alert, and staff marking a person reached by phone or at the door.

Everything on the board comes from the rows the reader may view
(``AlertRecipient.objects.visible_to``): staff see their community, a grid worker their grid, a
resident only their own receipt. The page shows the counts and the first ``PAGE_SIZE`` people of
the chosen filter, vulnerable residents first; the part that changes (``_board_table.html``) is
fetched again every two seconds, unless the reader is busy in it; while nothing changed, the
poll is answered "204 No Content" and neither the server renders nor the page swaps anything.
"""
from __future__ import annotations

import hashlib
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Max, Prefetch
from django.http import HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone, translation
from django.utils.cache import patch_vary_headers
from django.utils.formats import date_format
from django.utils.http import urlencode
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from resilience.alerts import delivery
from resilience.alerts.filtersets import AlertRecipientFilterSet, status_of
from resilience.alerts.forms import MarkForm
from resilience.alerts.messages import language_of, texts
from resilience.alerts.models import Alert, AlertRecipient, Delivery
from resilience.alerts.vocab import ChannelName, DeliveryStatus, RecipientKind
from resilience.places.models import Building, Grid

PAGE_SIZE = 200
LIVE_TARGET = "board-live"
VERSION_HEADER = "X-Board-Version"
FILTER_PARAMS = ("q", "status", "kind", "vulnerable", "grid", "building", "page")


def recipients_of(alert: Alert, user):
    """The alert's recipients ``user`` may view."""
    return AlertRecipient.objects.visible_to(user, "view").filter(alert=alert)


def channel_table(by_channel: dict) -> list[dict]:
    labels = dict(ChannelName.choices)
    return [{"name": name, "label": labels.get(name, name),
             "counts": [(label, by_channel[name].get(value, 0))
                        for value, label in DeliveryStatus.choices]}
            for name in ChannelName.values if name in by_channel]


def clean_query(raw: str) -> str:
    """The board's own filter parameters from a query string (a redirect target we build)."""
    given = QueryDict(raw)
    return urlencode([(k, v) for k in FILTER_PARAMS for v in given.getlist(k) if v])


def board_url(alert_id: int, query: str = "") -> str:
    url = reverse("alerts:alert_board", args=[alert_id])
    return f"{url}?{query}" if query else url


def _filterset(request, rows, tally: dict) -> AlertRecipientFilterSet:
    filterset = AlertRecipientFilterSet(request.GET, queryset=rows.exclude(
        kind=RecipientKind.GROUP), request=request)
    form = filterset.form
    # Choose among the places this alert reached, in the reader's scope.
    form.fields["grid"].queryset = Grid.objects.filter(
        pk__in=[g["grid_id"] for g in tally["grids"] if g["grid_id"]])
    form.fields["building"].queryset = Building.objects.filter(
        pk__in=[b["building_id"] for b in tally["buildings"] if b["building_id"]])
    form.fields["vulnerable"].widget.choices = [("unknown", _("any")), ("true", _("yes")),
                                                ("false", _("no"))]
    return filterset


def _rows(request, page_rows) -> list[dict]:
    markable = set(AlertRecipient.objects.visible_to(request.user, "change")
                   .filter(pk__in=[r.pk for r in page_rows])
                   .exclude(user=request.user).values_list("pk", flat=True))
    return [{"object": r, "status": status_of(r), "markable": r.pk in markable,
             "deliveries": list(r.deliveries.all())} for r in page_rows]


def version_of(request, alert: Alert, rows, tally: dict) -> tuple[str, object]:
    """A fingerprint of what the live part would show (with the alert's state, which the live
    part also swaps into the page head), and the time of the last change: when the poll brings
    the fingerprint it already has, nothing is rendered or swapped."""
    last_change = rows.aggregate(last=Max("updated"))["last"]
    seen = json.dumps([tally, last_change, alert.state, request.get_full_path(),
                       translation.get_language()],
                      default=str, sort_keys=True)
    return hashlib.sha256(seen.encode()).hexdigest()[:20], last_change


def board_context(request, alert: Alert, rows, tally: dict) -> dict:
    filterset = _filterset(request, rows, tally)
    valid = filterset.is_valid()
    queryset = delivery.ordered(filterset.qs if valid else rows.none()).select_related(
        "grid", "building", "acknowledged_by").prefetch_related(Prefetch(
            "deliveries", queryset=Delivery.objects.only("recipient_id", "channel", "status")))
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    return {
        "alert": alert, "text": texts(alert, language_of(translation.get_language())),
        "tally": tally, "totals": tally["totals"], "channels": channel_table(tally["channels"]),
        "statuses": DeliveryStatus.choices, "page": page,
        "rows": _rows(request, list(page.object_list)),
        "filter_form": filterset.form, "filter_errors": [] if valid else [
            (filterset.form.fields[n].label if n in filterset.form.fields else "", e)
            for n, errors in filterset.form.errors.items() for e in errors],
        "filtered": any(request.GET.get(k) for k in FILTER_PARAMS if k != "page"),
        "query": clean_query(request.GET.urlencode()), "live_target": LIVE_TARGET,
        "poll_url": request.get_full_path(), "mark_form": MarkForm(),
        "version_header": VERSION_HEADER,
    }


def _visible_alert(request, pk: int) -> Alert:
    return get_object_or_404(Alert.objects.visible_to(request.user, "view")
                             .select_related("community"), pk=pk)


@login_required
def board(request, pk: int) -> HttpResponse:
    """The board page; an htmx request (the poll, a filter, a page link) gets the live part."""
    alert = _visible_alert(request, pk)
    rows = recipients_of(alert, request.user)
    tally = delivery.board(alert, rows)
    version, last_change = version_of(request, alert, rows, tally)
    live = request.htmx and request.htmx.target == LIVE_TARGET
    if live and request.headers.get(VERSION_HEADER) == version:
        response = HttpResponse(status=204)  # htmx swaps nothing: the reader's page stays
    else:
        context = {**board_context(request, alert, rows, tally), "version": version,
                   "last_change": last_change, "live": live}
        response = render(request, "alerts/_board_table.html" if live else "alerts/board.html",
                          context)
    patch_vary_headers(response, ["HX-Request", "HX-Target", VERSION_HEADER])
    response["Cache-Control"] = "no-store"
    return response


@login_required
def summary(request, pk: int) -> HttpResponse:
    """The counts of the alert's detail page, with a link to the board."""
    alert = _visible_alert(request, pk)
    tally = delivery.board(alert, recipients_of(alert, request.user))
    response = render(request, "alerts/_board_summary.html", {
        "alert": alert, "totals": tally["totals"], "channels": channel_table(tally["channels"]),
        "statuses": DeliveryStatus.choices})
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def mark(request, pk: int) -> HttpResponse:
    """Staff or a grid worker record that they reached someone by phone or at the door."""
    recipient = get_object_or_404(AlertRecipient.objects.visible_to(request.user, "view")
                                  .select_related("alert"), pk=pk)
    if recipient.user_id == request.user.pk or not AlertRecipient.objects.visible_to(
            request.user, "change").filter(pk=pk).exists():
        raise PermissionDenied(_("You may not mark this person's acknowledgement."))
    query = clean_query(request.POST.get("query", ""))
    form = MarkForm(request.POST)
    if not form.is_valid():
        problems = [f"{capfirst(form.fields[n].label)}: {e}" if n in form.fields else e
                    for n, errors in form.errors.items() for e in errors]
        messages.error(request, _("Nothing was recorded for %(name)s. %(problems)s") % {
            "name": recipient.name, "problems": " ".join(problems)})
        return redirect(board_url(recipient.alert_id, query))
    data = form.cleaned_data
    first = delivery.acknowledge(recipient, data["method"], by=request.user, note=data["note"],
                                 needs_help=data["needs_help"])
    if first:
        messages.success(request, _("Recorded: %(name)s, %(method)s.") % {
            "name": recipient.name, "method": recipient.get_ack_method_display()})
    else:
        messages.info(request, _("%(name)s had already acknowledged (%(method)s, %(time)s).") % {
            "name": recipient.name, "method": recipient.get_ack_method_display(),
            "time": date_format(timezone.localtime(recipient.acknowledged_at),
                                "SHORT_DATETIME_FORMAT")})
    if data["needs_help"]:
        messages.warning(request, _("%(name)s is marked as needing help.") % {
            "name": recipient.name})
    return redirect(f"{board_url(recipient.alert_id, query)}#recipient-{recipient.pk}")


def urls() -> list:
    return [
        path("alerts/<int:pk>/board/", board, name="alert_board"),
        path("alerts/<int:pk>/board/summary/", summary, name="alert_board_summary"),
        path("recipients/<int:pk>/mark/", mark, name="recipient_mark"),
    ]
