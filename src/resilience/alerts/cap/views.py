"""The public CAP endpoints: no login, public issued alerts only (drafts and non-public → 404)."""
from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.views.decorators.http import require_safe

from resilience.alerts.cap.feed import (
    FEED_LIMIT, alerts_to_atom, current_public_alerts, published_alerts,
)
from resilience.alerts.cap.write import alert_to_cap

CAP_CONTENT_TYPE = "application/cap+xml"
ATOM_CONTENT_TYPE = "application/atom+xml"


@require_safe
def alert_feed(request: HttpRequest) -> HttpResponse:
    """``/cap/alerts.atom``: the current public alerts, newest first."""
    alerts = current_public_alerts().select_related("community")[:FEED_LIMIT]

    def cap_url(alert) -> str:
        return request.build_absolute_uri(reverse("cap:alert", args=[alert.identifier]))

    body = alerts_to_atom(alerts, feed_url=request.build_absolute_uri(), cap_url=cap_url)
    return HttpResponse(body, content_type=ATOM_CONTENT_TYPE)


@require_safe
def alert_document(request: HttpRequest, identifier: str) -> HttpResponse:
    """``/cap/alerts/<identifier>.xml``: one public alert as CAP 1.2."""
    alert = get_object_or_404(
        published_alerts().prefetch_related("area_grids", "area_buildings"), identifier=identifier)
    response = HttpResponse(alert_to_cap(alert), content_type=CAP_CONTENT_TYPE)
    response["Content-Disposition"] = f'inline; filename="{_filename(identifier)}.xml"'
    return response


def _filename(identifier: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in identifier)[:100]
