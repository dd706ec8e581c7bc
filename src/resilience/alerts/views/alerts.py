"""Alert pages: the list (level colours), authoring, the detail with its timeline, recipients
and the steps the user may take, the update form, and "turn this alarm into an alert"."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import pgettext
from django.views.decorators.http import require_POST

from resilience.alerts import presets, services, targeting
from resilience.alerts.forms import AlertFilterSet, AlertForm, CancelForm, UpdateForm
from resilience.alerts.models import Alert
from resilience.alerts.vocab import APPROVAL_LEVELS, MessageType, State
from resilience.core.scope import can
from resilience.core.views.generic import ObjectViews
from resilience.core.views.tables import Column


EVENT_LABELS = {
    "drafted": gettext_lazy("drafted"), "edited": gettext_lazy("edited"),
    "submitted": gettext_lazy("submitted for approval"), "approved": gettext_lazy("approved"),
    "issued": gettext_lazy("issued"), "update drafted": gettext_lazy("update drafted"),
    "superseded": gettext_lazy("superseded by an update"),
    "cancelled": gettext_lazy("cancelled"), "withdrawn": gettext_lazy("withdrawn"),
    "expired": gettext_lazy("expired"), "level raised": gettext_lazy("level raised"),
    "relayed": gettext_lazy("relayed"), "not issued": gettext_lazy("not issued"),
}


def level_badge(alert: Alert):
    return format_html('<span class="level level-{}" data-level="{}">{}</span>', alert.colour,
                       alert.level, alert.get_level_display())


def allowed_actions(alert: Alert, user) -> list[dict]:
    """The steps ``user`` may take on ``alert`` now, as buttons (name, label, style)."""
    steps = []
    may_change = can(user, "change", alert)
    if alert.state == State.DRAFT and may_change:
        if alert.level in APPROVAL_LEVELS and alert.msg_type != MessageType.CANCEL:
            steps.append(("submit", _("Submit for approval"), "primary"))
        else:
            steps.append(("issue", _("Issue"), "primary"))
    if (alert.state == State.PENDING and can(user, "verify", alert)
            and (alert.created_by_id != user.pk or user.is_superuser)):
        steps.append(("approve", _("Approve and issue"), "primary"))
    if alert.state == State.ISSUED and alert.msg_type != MessageType.CANCEL and may_change:
        steps.append(("update", _("Update"), ""))
    if alert.state in (State.DRAFT, State.PENDING, State.ISSUED) \
            and alert.msg_type != MessageType.CANCEL and may_change:
        steps.append(("cancel", pgettext("alert", "Cancel") if alert.state == State.ISSUED else _("Withdraw"),
                      "danger"))
    return [{"name": n, "label": label, "style": style} for n, label, style in steps]


class AlertViews(ObjectViews):
    model = Alert
    form = AlertForm
    filterset = AlertFilterSet
    columns = (
        Column("level", gettext_lazy("level"), level_badge, "level"),
        Column("headline", link=True), "state", "msg_type", "event_type", "community",
        "issued_at", "expires",
    )
    detail_groups = (
        (gettext_lazy("alert"), ("identifier", Column("level", gettext_lazy("level"), level_badge),
                                 "event_type", "state", "msg_type", "references", "source",
                                 "alarm", "community", "audience", "urgency", "certainty")),
        (gettext_lazy("text"), ("headline", "description", "instruction", "headline_en",
                                "description_en", "instruction_en")),
        (gettext_lazy("when and where"), ("effective", "expires", "whole_community",
                                          "area_grids_text", "area_buildings_text",
                                          "area_circle", "area_description")),
        (gettext_lazy("approval"), ("created_by", "approved_by", "approved_at", "issued_at",
                                    "cancelled_at")),
    )
    filter_fields = ("community", "level", "state", "event_type")
    select_related = ("community",)
    detail_template = "alerts/alert_detail.html"
    edit_template = "alerts/alert_edit.html"
    list_template = "alerts/alert_list.html"

    def get_groups(self, obj) -> list[dict]:
        obj.area_grids_text = ", ".join(str(g) for g in obj.area_grids.all())
        obj.area_buildings_text = ", ".join(str(b) for b in obj.area_buildings.all())
        groups = super().get_groups(obj)
        for group in groups:  # computed rows have no field to name them
            group["rows"] = [(_("grids") if label == "area grids text" else
                              _("buildings") if label == "area buildings text" else label, cell)
                             for label, cell in group["rows"]]
        return groups

    def get_form(self, request, instance, data=None):
        """A new alert may start from a ready-made text: ``?template=<key>`` (``presets``)."""
        form = super().get_form(request, instance, data)
        preset = presets.get(request.GET.get("template", "")) if instance.pk is None else None
        if preset is not None and data is None:
            form.initial.update(preset.initial())
        return form

    def get_object(self, request, pk: int, action: str = "view"):
        obj = super().get_object(request, pk, action)
        if action in ("change", "delete") and obj.state != State.DRAFT:
            raise PermissionDenied(_("Only a draft can be edited or deleted."))
        return obj

    def detail_context(self, request, obj, revealed: bool = False) -> dict:
        context = super().detail_context(request, obj, revealed)
        context["can_change"] = context["can_change"] and obj.state == State.DRAFT
        context["can_delete"] = context["can_delete"] and obj.state == State.DRAFT
        context["steps"] = allowed_actions(obj, request.user)
        context["events"] = events = list(obj.events.select_related("user"))
        for event in events:
            event.label = EVENT_LABELS.get(event.action, event.action)
        context["replaced_by"] = obj.replaced_by.all()
        context["cancel_form"] = CancelForm()
        if can(request.user, "change", obj):
            found = targeting.recipients(obj)
            context["recipients"] = targeting.summary(found)
            context["first_recipients"] = found[:20]
        return context


@login_required
@require_POST
def act(request, pk: int, step: str):
    """Submit, approve, issue or cancel an alert (the buttons of the detail page)."""
    alert = get_object_or_404(Alert.objects.visible_to(request.user, "view"), pk=pk)
    steps = {"submit": services.submit, "approve": services.approve, "issue": services.issue}
    try:
        if step == "cancel":
            form = CancelForm(request.POST)
            form.is_valid()
            result = services.cancel(alert, request.user, form.cleaned_data.get("note", ""))
        elif step in steps:
            result = steps[step](alert, request.user)
        else:
            raise PermissionDenied
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(alert.get_absolute_url())
    messages.success(request, _("The alert is now “%(state)s”.")
                     % {"state": result.get_state_display()})
    return redirect(result.get_absolute_url())


@login_required
def update(request, pk: int):
    """Write an update of an issued alert: a new alert referencing it."""
    alert = get_object_or_404(Alert.objects.visible_to(request.user, "view"), pk=pk)
    if not can(request.user, "change", alert):
        raise PermissionDenied
    form = UpdateForm(request.POST or None, initial=UpdateForm.initial_from(alert))
    if request.method == "POST" and form.is_valid():
        try:
            new = services.update(alert, request.user, **form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Update %(identifier)s: %(state)s.") % {
                "identifier": new.identifier, "state": new.get_state_display()})
            return redirect(new.get_absolute_url())
    return render(request, "alerts/alert_update.html", {"form": form, "object": alert},
                  status=400 if form.is_bound and form.errors else 200)


@login_required
@require_POST
def from_alarm(request, alarm_id: int):
    """The "turn into an alert" button of an alarm: a draft from it (or its live alert)."""
    from resilience.monitoring.models import Alarm

    alarm = get_object_or_404(Alarm.objects.visible_to(request.user, "view"), pk=alarm_id)
    alert = services.alert_from_alarm(alarm, request.user)
    if alert.state == State.DRAFT:
        return redirect("alerts:alert_edit", alert.pk)
    return redirect(alert.get_absolute_url())


def urls() -> list:
    return [
        *AlertViews.urls(),
        path("alerts/<int:pk>/update/", update, name="alert_update"),
        path("alerts/<int:pk>/<str:step>/", act, name="alert_act"),
        path("from-alarm/<int:alarm_id>/", from_alarm, name="alert_from_alarm"),
    ]
