"""Sensor pages: the list with status, latest reading and battery; the detail page with a live
chart fed by a small JSON endpoint the page polls every second."""
from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.db.models import Case, IntegerField, Q, Value, When
from django.http import HttpResponseBadRequest, JsonResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_GET

from resilience.core.scope import can_any
from resilience.core.views.generic import ObjectViews, Related
from resilience.core.views.tables import Column
from resilience.monitoring import filtersets, forms
from resilience.monitoring.models import Alarm, Observation, Rule, Sensor
from resilience.monitoring.views.outlook import outlook_context, sensor_outlook_view
from resilience.monitoring.views.badges import (
    ELEVATOR_STATES, battery_text, level_info, reading_text, status_badge,
)

FIRST_READINGS = 240  # readings the chart starts with
MORE_READINGS = 500  # the most one poll returns
ALARMS_SHOWN = 20

STATUS_COLUMN = Column("status", _l("status"),
                       value=lambda s: status_badge(s.status, s.get_status_display()),
                       order="status")
LAST_VALUE_COLUMN = Column("last_value", _l("last value"),
                           value=lambda s: reading_text(s.kind, s.last_value, s.unit),
                           order="last_value")
BATTERY_COLUMN = Column("battery", _l("battery (%)"), value=lambda s: battery_text(s.battery),
                        order="battery")


class SensorViews(ObjectViews):
    model = Sensor
    filterset = filtersets.SensorFilterSet
    form = forms.SensorForm
    columns = ("name", "code", "kind", STATUS_COLUMN, LAST_VALUE_COLUMN, "last_time",
               BATTERY_COLUMN, "grid", "facility")
    select_related = ("community", "grid", "facility")
    filter_fields = ("kind", "status", "community", "grid", "alarm", "low_battery", "owner",
                     "active")
    detail_groups = (
        # Status and latest reading are in the live panel above, kept up to date.
        (_l("sensor"), ("name", "code", "kind", BATTERY_COLUMN, "interval_seconds", "owner",
                        "active")),
        (_l("where"), ("community", "grid", "building", "facility", "risk", "latitude",
                       "longitude")),
    )
    related = (Related(Alarm, "sensor"), Related(Rule, "sensor"))
    list_template = "monitoring/sensor_list.html"
    detail_template = "monitoring/sensor_detail.html"

    @classmethod
    def urls(cls) -> list:
        return [*super().urls(),
                path("sensors/<int:pk>/live/", sensor_live, name="sensor_live"),
                path("sensors/<int:pk>/outlook/", sensor_outlook_view, name="sensor_outlook")]

    def detail_context(self, request, obj, revealed: bool = False) -> dict:
        context = super().detail_context(request, obj, revealed)
        context["chart"] = {
            "url": reverse("monitoring:sensor_live", args=[obj.pk]),
            "unit": obj.unit,
            "kind": obj.kind,
            "thresholds": thresholds(obj),
            "timeZone": timezone.get_current_timezone_name(),
            "states": {str(k): str(v) for k, v in ELEVATOR_STATES.items()}
            if obj.kind == "elevator" else {},
            "labels": {
                "empty": _("No readings yet. They appear here as they arrive."),
                "readings": _("%(count)s readings"),
                "paused": _("Updates paused: the server does not answer."),
                "chart": _("Readings of %(sensor)s") % {"sensor": obj.name},
            },
        }
        context["alarms"] = sensor_alarms(request.user, obj)
        context.update(outlook_context(obj))
        return context


def thresholds(sensor: Sensor) -> list[dict]:
    """The threshold lines to draw on the chart: the threshold rules that watch this sensor —
    its own, else its community's for its type, else the platform's (as ``monitoring.rules``)."""
    facility_kind = sensor.facility.kind if sensor.facility_id else ""
    kind_rules = Rule.objects.filter(
        active=True, kind="threshold", sensor__isnull=True, sensor_kind=sensor.kind).filter(
        Q(facility_kind="") | Q(facility_kind=facility_kind))
    for rules in (Rule.objects.filter(active=True, kind="threshold", sensor=sensor),
                  kind_rules.filter(community=sensor.community_id),
                  kind_rules.filter(community__isnull=True)):
        rules = list(rules.order_by("-level"))
        if rules:
            break
    lines = []
    for rule in rules:
        value = (rule.params or {}).get("value")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            info = level_info(rule.level)
            lines.append({"value": value, "hex": info["hex"],
                          "label": f"{info['numeral']} · {_(rule.name)}"})
    return lines


def sensor_alarms(user, sensor: Sensor) -> list[dict]:
    """The sensor's alarms the user may see, open ones first."""
    alarms = open_first(Alarm.objects.visible_to(user, "view").filter(sensor=sensor)
                        .select_related("rule"))[:ALARMS_SHOWN]
    return [alarm_row(a) for a in alarms]


def open_first(alarms):
    """Open alarms first, the most severe (I) first, then the newest."""
    return alarms.annotate(open_rank=Case(When(status=Alarm.Status.OPEN, then=Value(0)),
                                          default=Value(1), output_field=IntegerField())
                           ).order_by("open_rank", "level", "-opened_at")


def alarm_row(alarm: Alarm) -> dict:
    info = level_info(alarm.level)
    return {"id": alarm.pk, "url": alarm.get_absolute_url(), "level": alarm.level,
            "numeral": info["numeral"], "hex": info["hex"], "text": info["text"],
            "level_label": str(info["label"]), "status": alarm.status,
            "status_label": str(alarm.get_status_display()), "message": alarm.message,
            "rule": str(alarm.rule), "value": alarm.value,
            "opened_at": alarm.opened_at.isoformat(),
            "opened_text": _local(alarm.opened_at),
            "acknowledged": alarm.acknowledged_at is not None}


def _local(when: dt.datetime) -> str:
    return timezone.localtime(when).strftime("%Y-%m-%d %H:%M:%S")


@login_required
@require_GET
def sensor_live(request, pk: int):
    """The sensor's latest state and its readings after ``?after=<ISO time>`` (or the last few
    hundred), with its alarms: what the detail page polls."""
    sensor = SensorViews().get_object(request, pk)
    readings = Observation.objects.filter(sensor=sensor)
    after = request.GET.get("after")
    if after:
        when = parse_datetime(after)
        if when is None:
            return HttpResponseBadRequest(_("“after” must be an ISO 8601 time."))
        if timezone.is_naive(when):
            when = timezone.make_aware(when, dt.timezone.utc)
        rows = list(readings.filter(time__gt=when).order_by("time")
                    .values_list("time", "value")[:MORE_READINGS])
    else:
        rows = list(readings.order_by("-time").values_list("time", "value")[:FIRST_READINGS])
        rows.reverse()
    data = {
        "sensor": {
            "id": sensor.pk, "code": sensor.code, "status": sensor.status,
            "status_label": str(sensor.get_status_display()),
            "last_value": sensor.last_value,
            "last_text": reading_text(sensor.kind, sensor.last_value, sensor.unit),
            "last_time": sensor.last_time.isoformat() if sensor.last_time else None,
            "last_time_text": _local(sensor.last_time) if sensor.last_time else "—",
            "battery": sensor.battery, "unit": sensor.unit,
        },
        "readings": [[t.isoformat(), v] for t, v in rows],
        "alarms": sensor_alarms(request.user, sensor) if can_any(request.user, "view", Alarm)
        else [],
        "now": timezone.now().isoformat(),
    }
    response = JsonResponse(data)
    response["Cache-Control"] = "no-store"
    return response
