from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from resilience.core.models import ScopedModel
from resilience.core.roles import COMMUNITY, EDIT, SCOPE, Role, grant
from resilience.core.scope import ScopedQuerySet
from resilience.participation.sanitise import clean_html
from resilience.participation.vocab import NoticeState


class NoticeQuerySet(ScopedQuerySet):
    def published(self, now=None) -> "NoticeQuerySet":
        """Notices residents may read now: published and not yet expired."""
        now = now or timezone.now()
        return self.filter(publish_at__isnull=False, publish_at__lte=now).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now))


class Notice(ScopedModel):
    """A notice (公告) staff publish to the community, one grid or one building.

    The state is derived from the times: no ``publish_at`` → draft; in the future → scheduled;
    past ``expires_at`` → expired; else published. ``body`` is rich text, sanitised on save.
    """

    community = models.ForeignKey("places.Community", verbose_name=_("community"),
                                  on_delete=models.PROTECT, related_name="notices")
    grid = models.ForeignKey("places.Grid", verbose_name=_("grid"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="notices",
                             help_text=_("Leave empty for the whole community."))
    building = models.ForeignKey("places.Building", verbose_name=_("building"), null=True,
                                 blank=True, on_delete=models.PROTECT, related_name="notices",
                                 help_text=_("Leave empty for the whole grid or community."))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("body"), blank=True,
                            help_text=_("Paragraphs, lists, bold, links and small headings."))
    pinned = models.BooleanField(_("pinned"), default=False)
    publish_at = models.DateTimeField(_("publish at"), null=True, blank=True,
                                      help_text=_("Empty keeps it a draft."))
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"),
                                   null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    scope_paths = {"community": "community", "grid": "grid"}
    access = {
        Role.OFFICE: grant(SCOPE, "view"),
        Role.STAFF: grant(SCOPE, *EDIT),
        Role.GRID_WORKER: grant(COMMUNITY, "view"),
        Role.PROPERTY: grant(COMMUNITY, "view"),
        Role.VOLUNTEER: grant(COMMUNITY, "view"),
        Role.HEALTH_WORKER: grant(COMMUNITY, "view"),
        Role.RESIDENT: grant(COMMUNITY, "view"),
    }

    objects = NoticeQuerySet.as_manager()

    class Meta:
        ordering = ["-pinned", "-publish_at", "-id"]
        verbose_name = _("notice")
        verbose_name_plural = _("notices")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("participation:notice_detail", args=[self.pk])

    def state(self, now=None) -> str:
        now = now or timezone.now()
        if self.publish_at is None:
            return NoticeState.DRAFT
        if self.publish_at > now:
            return NoticeState.SCHEDULED
        if self.expires_at is not None and self.expires_at <= now:
            return NoticeState.EXPIRED
        return NoticeState.PUBLISHED

    def get_state_display(self) -> str:
        return NoticeState(self.state()).label

    def clean(self):
        errors = self.foreign_community_errors("grid", "building")
        if self.building_id and "building" not in errors:
            if self.grid_id and self.building.grid_id != self.grid_id:
                errors["building"] = _("The building is not in the chosen grid.")
            else:
                self.grid_id = self.building.grid_id  # a building notice reaches its grid's staff
        if self.publish_at and self.expires_at and self.expires_at <= self.publish_at:
            errors["expires_at"] = _("It must expire after it is published.")
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        self.body = clean_html(self.body)
        super().save(*args, **kwargs)


class NoticeAttachment(models.Model):
    """An image attached to a notice (checked by content, at most 5 MB)."""

    notice = models.ForeignKey(Notice, verbose_name=_("notice"), on_delete=models.CASCADE,
                               related_name="attachments")
    file = models.FileField(_("image"), upload_to="notices/%Y/%m/")
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("notice image")
        verbose_name_plural = _("notice images")

    def __str__(self) -> str:
        return self.file.name.rsplit("/", 1)[-1]


class NoticeRead(models.Model):
    """That ``user`` opened ``notice``, the first time: one row per notice and user."""

    notice = models.ForeignKey(Notice, verbose_name=_("notice"), on_delete=models.CASCADE,
                               related_name="reads")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"),
                             on_delete=models.CASCADE, related_name="+")
    read_at = models.DateTimeField(_("read at"), auto_now_add=True)

    class Meta:
        verbose_name = _("notice read")
        verbose_name_plural = _("notice reads")
        constraints = [models.UniqueConstraint(fields=["notice", "user"],
                                               name="participation_notice_read_once")]

    def __str__(self) -> str:
        return f"{self.notice} · {self.user}"
