"""The sensor page's forecast panel: when the reading reaches the limits that watch it, and how
unusual it is for the hour — a partial the page refreshes itself (htmx) every few seconds."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from resilience.monitoring.forecast import sensor_outlook

REFRESH_SECONDS = 5


def outlook_context(sensor) -> dict:
    """What ``monitoring/_outlook.html`` shows for ``sensor``."""
    outlook = sensor_outlook(sensor)
    score = outlook["score"]
    return {"outlook": outlook, "outlook_sensor": sensor,
            "outlook_refresh": REFRESH_SECONDS,
            "outlook_unusual": score is not None and abs(score) >= 4}


@login_required
@require_GET
def sensor_outlook_view(request, pk: int):
    """The forecast panel of one sensor the user may view (404 otherwise)."""
    from resilience.monitoring.views.sensors import SensorViews

    sensor = SensorViews().get_object(request, pk)
    response = render(request, "monitoring/_outlook_body.html", outlook_context(sensor))
    response["Cache-Control"] = "no-store"
    return response
