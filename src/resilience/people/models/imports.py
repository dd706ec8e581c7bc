import datetime as dt

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ImportJobQuerySet(models.QuerySet):
    def for_user(self, user) -> "ImportJobQuerySet":
        """The jobs ``user`` may follow: their own (all of them for a superuser)."""
        if user is None or not user.is_authenticated:
            return self.none()
        return self if user.is_superuser else self.filter(user=user)


STALE_AFTER = dt.timedelta(minutes=10)


class ImportJob(models.Model):
    """One upload being imported in the background: its progress, then its row-level report.

    Not a domain record (no change log, no scope): it belongs to the user who started it.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        SUCCEEDED = "succeeded", _("imported")
        FAILED = "failed", _("not imported")

    class Stage(models.TextChoices):
        READING = "reading", _("reading the file")
        CHECKING = "checking", _("checking rows")
        WRITING = "writing", _("writing")
        DONE = "done", _("done")

    kind = models.CharField(_("kind"), max_length=20)
    community = models.ForeignKey("places.Community", verbose_name=_("community"),
                                  on_delete=models.CASCADE, related_name="import_jobs")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True,
                             on_delete=models.SET_NULL, related_name="import_jobs")
    file_name = models.CharField(_("file"), max_length=200, blank=True)
    crs = models.CharField(_("coordinate system"), max_length=10, default="wgs84")
    dry_run = models.BooleanField(_("check only"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices,
                              default=Status.QUEUED)
    stage = models.CharField(_("stage"), max_length=10, choices=Stage.choices,
                             default=Stage.READING)
    total = models.PositiveIntegerField(_("rows"), default=0)
    done = models.PositiveIntegerField(_("rows checked"), default=0)
    report = models.JSONField(_("report"), null=True, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)
    finished = models.DateTimeField(_("finished"), null=True, blank=True)

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")

    def __str__(self) -> str:
        return f"{self.kind} · {self.file_name} · {self.get_status_display()}"

    def get_absolute_url(self) -> str:
        return reverse("people:import_job", args=[self.pk])

    @property
    def finished_ok(self) -> bool:
        return self.status == self.Status.SUCCEEDED

    @property
    def running(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def interrupted(self) -> bool:
        """Still "running" but silent for long: the process running it stopped (its transaction
        was rolled back, so nothing was written)."""
        return self.running and self.updated < timezone.now() - STALE_AFTER

    @property
    def polling(self) -> bool:
        return self.running and not self.interrupted

    @property
    def percent(self) -> int:
        if self.stage in (self.Stage.WRITING, self.Stage.DONE):
            return 100
        return int(100 * self.done / self.total) if self.total else 0

    def finish(self, status: str, report: dict) -> None:
        self.status = status
        self.stage = self.Stage.DONE
        self.report = report
        self.finished = timezone.now()
        self.save()
