from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from resilience.core.models import ScopedModel
from resilience.core.roles import EDIT, SCOPE, SELF, Role, grant
from resilience.response.vocab import (
    OPEN_STATUSES, CommandRole, Phase, TaskSource, TaskStatus,
)


class Task(ScopedModel):
    """A piece of response work assigned to a person: check on a resident who did not acknowledge
    a warning, open a shelter, deliver medicine… Statuses open → accepted → in progress → done
    (or cancelled); ``due`` drives the overdue list.

    ``key`` de-duplicates tasks a rule creates (``follow-up:<recipient id>``): a rule that runs
    twice makes one task. ``resident`` is the person the task is about, ``alert`` the warning
    that caused it.
    """

    community = models.ForeignKey("places.Community", verbose_name=_("community"),
                                  on_delete=models.PROTECT, related_name="tasks")
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    status = models.CharField(_("status"), max_length=12, choices=TaskStatus.choices,
                              default=TaskStatus.OPEN, db_index=True)
    priority = models.PositiveSmallIntegerField(_("priority"), default=5,
                                                help_text=_("1 is the most urgent."))
    source = models.CharField(_("source"), max_length=20, choices=TaskSource.choices,
                              default=TaskSource.STAFF)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assigned to"),
                                 null=True, blank=True, on_delete=models.SET_NULL,
                                 related_name="response_tasks")
    due = models.DateTimeField(_("due"), null=True, blank=True)
    alert = models.ForeignKey("alerts.Alert", verbose_name=_("alert"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="tasks")
    resident = models.ForeignKey("people.Resident", verbose_name=_("about resident"), null=True,
                                 blank=True, on_delete=models.SET_NULL, related_name="tasks")
    grid = models.ForeignKey("places.Grid", verbose_name=_("grid"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="tasks")
    building = models.ForeignKey("places.Building", verbose_name=_("building"), null=True,
                                 blank=True, on_delete=models.SET_NULL, related_name="tasks")
    key = models.CharField(max_length=100, unique=True, null=True, blank=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"),
                                   null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    accepted_at = models.DateTimeField(pgettext_lazy("time", "accepted"), null=True, blank=True)
    completed_at = models.DateTimeField(pgettext_lazy("time", "completed"), null=True, blank=True)
    outcome = models.TextField(_("outcome"), blank=True)
    incident = models.ForeignKey("response.Incident", verbose_name=_("incident"), null=True,
                                 blank=True, on_delete=models.CASCADE, related_name="tasks")
    plan_task = models.ForeignKey("response.PlanTask", verbose_name=_("plan task"), null=True,
                                  blank=True, on_delete=models.SET_NULL, related_name="+")
    role = models.CharField(_("role"), max_length=20, choices=CommandRole.choices, blank=True)
    phase = models.CharField(_("phase"), max_length=10, choices=Phase.choices, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    escalated_at = models.DateTimeField(pgettext_lazy("time", "escalated"), null=True, blank=True)

    scope_paths = {"community": "community", "grid": "grid", "user": "assignee"}
    access = {
        Role.OFFICE: grant(SCOPE, "view"),
        Role.STAFF: grant(SCOPE, *EDIT),
        Role.GRID_WORKER: grant(SCOPE, "view", "change"),
        Role.VOLUNTEER: grant(SELF, "view", "change"),
        Role.PROPERTY: grant(SELF, "view", "change"),
        Role.HEALTH_WORKER: grant(SELF, "view", "change"),
    }

    class Meta:
        ordering = ["priority", "due", "id"]
        verbose_name = _("task")
        verbose_name_plural = _("tasks")
        indexes = [models.Index(fields=["assignee", "status"], name="response_task_mine")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("response:task_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def clean(self):
        from django.core.exceptions import ValidationError

        errors = self.foreign_community_errors("alert", "resident", "grid", "building", "incident")
        if self.assignee_id and self.community_id and "assignee" not in errors:
            from resilience.response.services.common import works_in

            if not works_in(self.assignee, self.community_id):
                errors["assignee"] = _("This person does not work in the task's community.")
        if errors:
            raise ValidationError(errors)


class TaskEvent(models.Model):
    """One step in a task's life (the notes log): who moved it, from what to what, with a note
    and perhaps a photo."""

    task = models.ForeignKey(Task, verbose_name=_("task"), on_delete=models.CASCADE,
                             related_name="events")
    time = models.DateTimeField(_("time"), auto_now_add=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True,
                             blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(_("action"), max_length=20)
    from_status = models.CharField(_("from"), max_length=12, blank=True)
    to_status = models.CharField(_("to"), max_length=12, blank=True)
    note = models.TextField(_("note"), blank=True)
    photo = models.FileField(_("photo"), upload_to="tasks/%Y/%m/", blank=True)

    class Meta:
        ordering = ["time", "id"]
        verbose_name = _("task event")
        verbose_name_plural = _("task events")

    def __str__(self) -> str:
        return f"{self.task} · {self.action}"
