"""Alarm pages: the list (open first, in the four level colours, refreshing itself) with an
acknowledge button for those who may, and the detail page."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Exists, OuterRef
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _l
from django.views.decorators.http import require_POST

from resilience.core.views.generic import ObjectViews
from resilience.monitoring.alarms import acknowledge as acknowledge_alarm
from resilience.core.views.tables import EMPTY, Column, display
from resilience.monitoring.filtersets_alarms import AlarmFilterSet
from resilience.monitoring.models import Alarm
from resilience.monitoring.views.badges import level_badge, reading_text
from resilience.monitoring.views.sensors import open_first


def acknowledge_cell(alarm: Alarm):
    """Who acknowledged the alarm and when, or a button for those who may."""
    if alarm.acknowledged_at is not None:
        return format_html('<span class="acknowledged">{} · {}</span>',
                           alarm.acknowledged_by or _("someone"), display(alarm.acknowledged_at))
    if getattr(alarm, "may_acknowledge", False):
        url = reverse("monitoring:alarm_acknowledge", args=[alarm.pk])
        return format_html('<button type="button" class="button small ack-button" hx-post="{}" '
                           'hx-target="closest .ack-cell" hx-swap="outerHTML">{}</button>',
                           url, _("Acknowledge"))
    return EMPTY


def wrap_ack(alarm: Alarm):
    return format_html('<span class="ack-cell" data-alarm="{}">{}</span>', alarm.pk,
                       acknowledge_cell(alarm))


LEVEL_COLUMN = Column("level", _l("level"), value=lambda a: level_badge(a.level), order="level")
VALUE_COLUMN = Column("value", _l("value"),
                      value=lambda a: reading_text(a.sensor.kind, a.value, a.sensor.unit),
                      order="value")
ACK_COLUMN = Column("acknowledged_at", _l("acknowledged"), value=wrap_ack,
                    order="acknowledged_at")


class AlarmViews(ObjectViews):
    model = Alarm
    filterset = AlarmFilterSet
    # The message opens the alarm; the sensor's name opens the sensor and its live chart.
    columns = (LEVEL_COLUMN, "sensor", "status", Column("message", link=True), VALUE_COLUMN,
               "opened_at", "last_seen_at", ACK_COLUMN)
    select_related = ("sensor", "rule", "community", "acknowledged_by")
    filter_fields = ("status", "level", "acknowledged", "kind", "community")
    detail_groups = (
        (_l("alarm"), (LEVEL_COLUMN, "status", "message", VALUE_COLUMN, "sensor", "rule",
                       "community")),
        (_l("timeline"), ("opened_at", "last_seen_at", "cleared_at", "acknowledged_by",
                          "acknowledged_at")),
    )
    list_template = "monitoring/alarm_list.html"
    detail_template = "monitoring/alarm_detail.html"

    @classmethod
    def urls(cls) -> list:
        return [*super().urls(),  # delete answers 403: nobody may delete an alarm
                path("alarms/<int:pk>/acknowledge/", acknowledge, name="alarm_acknowledge")]

    def detail_context(self, request, obj, revealed: bool = False) -> dict:
        context = super().detail_context(request, obj, revealed)
        context["can_acknowledge"] = obj.acknowledged_at is None and obj.may_acknowledge
        return context

    def get_queryset(self, request, action: str = "view"):
        queryset = super().get_queryset(request, action)
        may = Alarm.objects.visible_to(request.user, "change").filter(pk=OuterRef("pk"))
        return open_first(queryset.annotate(may_acknowledge=Exists(may)))


@login_required
@require_POST
def acknowledge(request, pk: int):
    """Acknowledge an alarm: someone has seen it and is on it (it stays open until it clears)."""
    views = AlarmViews()
    alarm = views.get_object(request, pk, "change")
    if alarm.acknowledged_at is None:
        acknowledge_alarm(alarm, request.user)
        alarm.refresh_from_db()
    if request.htmx:
        return render(request, "monitoring/_ack_cell.html", {"cell": wrap_ack(alarm)})
    messages.success(request, _("Alarm acknowledged."))
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        target = alarm.get_absolute_url()
    return redirect(target)
