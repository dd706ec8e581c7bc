"""The monitoring panel of the dashboard: open alarms by level, the latest of them, and sensors
by status. It refreshes itself every two seconds (htmx polls ``dashboard_panel``)."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from resilience.core.scope import can_any
from resilience.monitoring.models import Alarm, Sensor
from resilience.monitoring.views.badges import levels, status_badge
from resilience.monitoring.views.sensors import alarm_row
from resilience.monitoring.vocab import SensorStatus

LATEST_SHOWN = 5
REFRESH_SECONDS = 2


def panel_context(user) -> dict | None:
    """The panel's content for ``user``, or None when they may see neither sensors nor alarms."""
    context: dict = {}
    if can_any(user, "view", Alarm):
        alarms = Alarm.objects.visible_to(user, "view").filter(status=Alarm.Status.OPEN)
        counts = dict(alarms.values_list("level").annotate(n=Count("pk")))
        alarm_list = reverse("monitoring:alarm_list")
        context["levels"] = [{**info, "count": counts.get(info["level"], 0),
                              "url": f"{alarm_list}?status=open&level={info['level']}"}
                             for info in levels()]
        context["open_alarms"] = sum(counts.values())
        context["unacknowledged"] = alarms.filter(acknowledged_at__isnull=True).count()
        context["latest"] = [alarm_row(a) for a in alarms.select_related("rule")
                             .order_by("level", "-opened_at")[:LATEST_SHOWN]]
        context["alarms_url"] = f"{alarm_list}?status=open"
    if can_any(user, "view", Sensor):
        counts = dict(Sensor.objects.visible_to(user, "view").filter(active=True)
                      .values_list("status").annotate(n=Count("pk")))
        sensor_list = reverse("monitoring:sensor_list")
        context["statuses"] = [{"status": s.value, "badge": status_badge(s.value, s.label),
                                "count": counts.get(s.value, 0),
                                "url": f"{sensor_list}?status={s.value}"}
                               for s in SensorStatus]
        context["sensors"] = sum(counts.values())
        context["sensors_url"] = sensor_list
    if not context:
        return None
    context["refresh_url"] = reverse("monitoring:dashboard_panel")
    context["refresh_seconds"] = REFRESH_SECONDS
    return context


def panel(request) -> dict | None:
    """The panel for the dashboard (registered in ``core.views.pages.DASHBOARD_PANELS``)."""
    context = panel_context(request.user)
    if context is None:
        return None
    return {"template": "monitoring/_dashboard.html", **context}


@login_required
@require_GET
def dashboard_panel(request):
    """The panel's body alone: what the dashboard fetches every two seconds."""
    context = panel_context(request.user)
    if context is None:
        return HttpResponse(status=204)
    response = render(request, "monitoring/_dashboard_body.html", {"panel": context})
    response["Cache-Control"] = "no-store"
    return response
