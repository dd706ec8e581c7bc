from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from resilience.core.models import ScopedModel
from resilience.core.roles import COMMUNITY, EDIT, SCOPE, SELF, Role, grant
from resilience.core.scope import ScopedQuerySet
from resilience.participation.sanitise import clean_html
from resilience.participation.vocab_learning import Audience, LessonTopic


class LessonQuerySet(ScopedQuerySet):
    def visible_to(self, user, action: str = "view") -> "LessonQuerySet":
        """Scoped lessons as usual; shared platform lessons (no community) are readable by every
        signed-in person and changed only by platform admins (superusers)."""
        scoped = super().visible_to(user, action)
        if action != "view" or user is None or not user.is_authenticated or not user.is_active:
            return scoped
        return self.filter(Q(pk__in=scoped.values("pk")) | Q(community__isnull=True))


def quiz_errors(quiz) -> list[str]:
    """What is wrong with a quiz: a list of {"question", "choices" (≥2), "answer" (an index)}."""
    if quiz in (None, ""):
        return []
    if not isinstance(quiz, list):
        return [_("The quiz must be a list of questions.")]
    errors = []
    for number, item in enumerate(quiz, start=1):
        if not isinstance(item, dict) or not str(item.get("question") or "").strip():
            errors.append(_("Question %(n)d has no text.") % {"n": number})
            continue
        choices = item.get("choices")
        if (not isinstance(choices, list) or len(choices) < 2
                or not all(isinstance(c, str) and c.strip() for c in choices)):
            errors.append(_("Question %(n)d needs at least two choices.") % {"n": number})
            continue
        answer = item.get("answer")
        if (not isinstance(answer, int) or isinstance(answer, bool)
                or not 0 <= answer < len(choices)):
            errors.append(_("Question %(n)d: the answer must be the index of a choice (0 is the "
                            "first).") % {"n": number})
    return errors


class Lesson(ScopedModel):
    """A short safety lesson (安全教育): text, an optional video or link, and an optional quiz.

    ``community`` empty makes it shared platform content that every community may assign.
    ``quiz`` is a list of ``{"question": …, "choices": [...], "answer": <index>}``; the answer
    is never shown to learners. ``pass_mark`` is the share of right answers, in per cent.
    """

    community = models.ForeignKey("places.Community", verbose_name=_("community"), null=True,
                                  blank=True, on_delete=models.PROTECT, related_name="lessons",
                                  help_text=_("Leave empty for shared platform content."))
    title = models.CharField(_("title"), max_length=200)
    topic = models.CharField(_("topic"), max_length=20, choices=LessonTopic.choices,
                             default=LessonTopic.OTHER, db_index=True)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    body = models.TextField(_("body"), blank=True,
                            help_text=_("Paragraphs, lists, bold, links and small headings."))
    video_url = models.URLField(_("video or link"), blank=True)
    minutes = models.PositiveSmallIntegerField(_("estimated minutes"), default=5,
                                               validators=[MinValueValidator(1),
                                                           MaxValueValidator(240)])
    quiz = models.JSONField(_("quiz"), default=list, blank=True,
                            help_text=_('A list of {"question": …, "choices": ["…", "…"], '
                                        '"answer": 0} (answer: index of the right choice).'))
    pass_mark = models.PositiveSmallIntegerField(_("pass mark (%)"), default=60,
                                                 validators=[MaxValueValidator(100)])
    code = models.SlugField(_("code"), max_length=40, blank=True,
                            help_text=_("Set on the shared lessons loaded by the platform."))

    scope_paths = {"community": "community"}
    access = {
        Role.OFFICE: grant(SCOPE, "view"),
        Role.STAFF: grant(SCOPE, *EDIT),
        Role.GRID_WORKER: grant(COMMUNITY, "view"),
        Role.PROPERTY: grant(COMMUNITY, "view"),
        Role.VOLUNTEER: grant(COMMUNITY, "view"),
        Role.HEALTH_WORKER: grant(COMMUNITY, "view"),
        Role.RESIDENT: grant(COMMUNITY, "view"),
    }

    objects = LessonQuerySet.as_manager()

    class Meta:
        ordering = ["topic", "title", "id"]
        verbose_name = _("lesson")
        verbose_name_plural = _("lessons")
        constraints = [models.UniqueConstraint(fields=["code"], condition=~Q(code=""),
                                               name="participation_lesson_unique_code")]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("participation:lesson_detail", args=[self.pk])

    @property
    def is_shared(self) -> bool:
        return self.community_id is None

    def clean(self):
        errors = quiz_errors(self.quiz)
        if errors:
            raise ValidationError({"quiz": errors})

    def save(self, *args, **kwargs):
        self.body = clean_html(self.body)
        if self.quiz is None:
            self.quiz = []
        super().save(*args, **kwargs)


class LessonAssignment(ScopedModel):
    """A lesson assigned to the people of a place (community, grid or building) — all residents,
    households with vulnerable residents, volunteers, grid workers or building leads — with a
    due date. Its coverage (who of them passed) is computed, never stored."""

    community = models.ForeignKey("places.Community", verbose_name=_("community"),
                                  on_delete=models.PROTECT, related_name="lesson_assignments")
    grid = models.ForeignKey("places.Grid", verbose_name=_("grid"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="+",
                             help_text=_("Leave empty for the whole community."))
    building = models.ForeignKey("places.Building", verbose_name=_("building"), null=True,
                                 blank=True, on_delete=models.PROTECT, related_name="+")
    lesson = models.ForeignKey(Lesson, verbose_name=_("lesson"), on_delete=models.PROTECT,
                               related_name="assignments")
    audience = models.CharField(_("audience"), max_length=24, choices=Audience.choices,
                                default=Audience.ALL_RESIDENTS)
    due_on = models.DateField(_("due on"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"),
                                   null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", editable=False)

    scope_paths = {"community": "community", "grid": "grid"}
    access = {
        Role.OFFICE: grant(SCOPE, "view"),
        Role.STAFF: grant(SCOPE, *EDIT),
        Role.GRID_WORKER: grant(COMMUNITY, "view"),
    }

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("lesson assignment")
        verbose_name_plural = _("lesson assignments")

    def __str__(self) -> str:
        place = self.building or self.grid or self.community
        return f"{self.lesson} · {place} · {self.get_audience_display()}"

    def get_absolute_url(self) -> str:
        return reverse("participation:lessonassignment_detail", args=[self.pk])

    def clean(self):
        errors = self.foreign_community_errors("grid", "building")
        if (self.lesson_id and self.community_id and self.lesson.community_id is not None
                and self.lesson.community_id != self.community_id):
            errors["lesson"] = _("The lesson belongs to another community.")
        if self.building_id and "building" not in errors:
            if self.grid_id and self.building.grid_id != self.grid_id:
                errors["building"] = _("The building is not in the chosen grid.")
            else:
                self.grid_id = self.building.grid_id
        if errors:
            raise ValidationError(errors)


class LessonCompletion(ScopedModel):
    """That a person completed a lesson: the account that took it (``user``) and/or the resident
    record (set when the account is a resident's, or when staff record an offline session for
    someone without an account). One per lesson and user, and one per lesson and resident;
    taking it again keeps the best score."""

    lesson = models.ForeignKey(Lesson, verbose_name=_("lesson"), on_delete=models.CASCADE,
                               related_name="completions")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True,
                             blank=True, on_delete=models.CASCADE, related_name="+")
    resident = models.ForeignKey("people.Resident", verbose_name=_("resident"), null=True,
                                 blank=True, on_delete=models.CASCADE, related_name="+")
    community = models.ForeignKey("places.Community", verbose_name=_("community"), null=True,
                                  blank=True, on_delete=models.CASCADE, related_name="+")
    grid = models.ForeignKey("places.Grid", verbose_name=_("grid"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    completed_at = models.DateTimeField(_("completed at"))
    score = models.PositiveSmallIntegerField(_("score (%)"), null=True, blank=True)
    passed = models.BooleanField(_("passed"), default=False)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=1)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"),
                                    null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")

    scope_paths = {"community": "community", "grid": "grid", "user": "user"}
    access = {
        Role.OFFICE: grant(SCOPE, "view"),
        Role.STAFF: grant(SCOPE, "view", "add", "change"),
        Role.GRID_WORKER: grant(SCOPE, "view"),
        Role.PROPERTY: grant(SELF, "view"),
        Role.VOLUNTEER: grant(SELF, "view"),
        Role.HEALTH_WORKER: grant(SELF, "view"),
        Role.RESIDENT: grant(SELF, "view"),
    }

    class Meta:
        ordering = ["-completed_at", "-id"]
        verbose_name = _("lesson completion")
        verbose_name_plural = _("lesson completions")
        constraints = [
            models.UniqueConstraint(fields=["lesson", "user"], condition=Q(user__isnull=False),
                                    name="participation_completion_once_per_user"),
            models.UniqueConstraint(fields=["lesson", "resident"],
                                    condition=Q(resident__isnull=False),
                                    name="participation_completion_once_per_resident"),
            models.CheckConstraint(condition=Q(user__isnull=False) | Q(resident__isnull=False),
                                   name="participation_completion_has_person"),
        ]

    def __str__(self) -> str:
        return f"{self.lesson} · {self.user or self.resident}"
