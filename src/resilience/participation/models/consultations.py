"""Consultations and votes (协商议事，投票表决): a proposal with options, put to the households or
adult residents of a community, a grid or a building, with quorum and majority rules.

How secrecy is kept: a ``Ballot`` records *who* voted (and for which household or resident) so
nobody votes twice; *what* they chose is, for a secret ballot, only ever added to the counter on
each ``ConsultationOption`` in the same transaction. No row links a voter to an option, so no
query — by staff, by an admin, or on the database itself — can recover a secret choice. For an
open ballot the choices are also kept as ``BallotChoice`` rows linked to the ballot.
"""
from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from resilience.core.models import ScopedModel
from resilience.core.roles import COMMUNITY, EDIT, SCOPE, Role, grant
from resilience.participation.sanitise import clean_html
from resilience.participation.vocab_consultations import ConsultationState, Majority, VoterUnit


class Consultation(ScopedModel):
    """A proposal put to a vote in a community, one of its grids or one building.

    The state comes from the times: no ``opens_at`` → draft; in the future → scheduled; between
    ``opens_at`` and ``closes_at`` → open; past ``closes_at`` → ended until it is counted
    (``closed_at`` set, ``result`` written once). ``eligible_count`` is the number of voters when
    it opened, frozen then so that the quorum does not move while people vote.
    """

    community = models.ForeignKey("places.Community", verbose_name=_("community"),
                                  on_delete=models.PROTECT, related_name="consultations")
    grid = models.ForeignKey("places.Grid", verbose_name=_("grid"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="consultations",
                             help_text=_("Leave empty for the whole community."))
    building = models.ForeignKey("places.Building", verbose_name=_("building"), null=True,
                                 blank=True, on_delete=models.PROTECT,
                                 related_name="consultations",
                                 help_text=_("Leave empty for the whole grid or community."))
    title = models.CharField(_("title"), max_length=200)
    body = models.TextField(_("proposal"), blank=True,
                            help_text=_("What is proposed and why: paragraphs, lists, links."))
    voter_unit = models.CharField(_("who votes"), max_length=12, choices=VoterUnit.choices,
                                  default=VoterUnit.HOUSEHOLD)
    opens_at = models.DateTimeField(_("opens at"), null=True, blank=True,
                                    help_text=_("Empty keeps it a draft."))
    closes_at = models.DateTimeField(_("closes at"))
    quorum_percent = models.PositiveSmallIntegerField(
        _("quorum (%)"), default=50, validators=[MaxValueValidator(100)],
        help_text=_("The turnout needed, as a percentage of the eligible voters."))
    majority = models.CharField(_("majority"), max_length=12, choices=Majority.choices,
                                default=Majority.SIMPLE)
    secret = models.BooleanField(_("secret ballot"), default=True,
                                 help_text=_("Who voted is recorded, never what they chose."))
    max_choices = models.PositiveSmallIntegerField(
        _("choices per voter"), default=1, validators=[MinValueValidator(1)],
        help_text=_("1 for a single choice."))
    eligible_count = models.PositiveIntegerField(_("eligible voters"), null=True, blank=True,
                                                 editable=False)
    eligible_counted_at = models.DateTimeField(_("voters counted at"), null=True, blank=True,
                                               editable=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("closed by"),
                                  null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+", editable=False)
    close_reason = models.TextField(_("reason for closing early"), blank=True, editable=False)
    result = models.JSONField(_("result"), null=True, blank=True, editable=False)
    published = models.BooleanField(_("results published"), default=False, editable=False)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True,
                                        editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"),
                                   null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")

    scope_paths = {"community": "community", "grid": "grid"}
    access = {
        Role.OFFICE: grant(SCOPE, "view"),
        Role.STAFF: grant(SCOPE, *EDIT),
        Role.GRID_WORKER: grant(COMMUNITY, "view"),
        Role.RESIDENT: grant(COMMUNITY, "view"),
    }

    class Meta:
        ordering = ["-opens_at", "-id"]
        verbose_name = _("consultation")
        verbose_name_plural = _("consultations")

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("participation:consultation_detail", args=[self.pk])

    def state(self, now=None) -> str:
        now = now or timezone.now()
        if self.closed_at is not None:
            return ConsultationState.CLOSED
        if self.opens_at is None:
            return ConsultationState.DRAFT
        if self.opens_at > now:
            return ConsultationState.SCHEDULED
        if self.closes_at <= now:
            return ConsultationState.ENDED
        return ConsultationState.OPEN

    def get_state_display(self) -> str:
        return ConsultationState(self.state()).label

    def has_opened(self, now=None) -> bool:
        now = now or timezone.now()
        return self.closed_at is not None or (self.opens_at is not None and self.opens_at <= now)

    def clean(self):
        errors = self.foreign_community_errors("grid", "building")
        if self.building_id and "building" not in errors:
            if self.grid_id and self.building.grid_id != self.grid_id:
                errors["building"] = _("The building is not in the chosen grid.")
            else:
                self.grid_id = self.building.grid_id  # a building's vote reaches its grid's staff
        if self.opens_at and self.closes_at and self.closes_at <= self.opens_at:
            errors["closes_at"] = _("It must close after it opens.")
        if self.pk:
            stored = Consultation.objects.filter(pk=self.pk).only("opens_at", "closed_at").first()
            if stored is not None and stored.has_opened():
                errors.setdefault("opens_at", _("Voting has started: the consultation can no "
                                                "longer be edited."))
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        self.body = clean_html(self.body)
        super().save(*args, **kwargs)


class ConsultationOption(models.Model):
    """One answer a voter may choose. ``votes`` is the running count, the only place a secret
    ballot's choice is kept; an ``abstain`` option counts for turnout but not for the majority."""

    consultation = models.ForeignKey(Consultation, verbose_name=_("consultation"),
                                     on_delete=models.CASCADE, related_name="options")
    label = models.CharField(_("option"), max_length=200)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    abstain = models.BooleanField(_("abstention"), default=False,
                                  help_text=_("Counts for turnout, not for the majority."))
    votes = models.PositiveIntegerField(_("votes"), default=0, editable=False)

    class Meta:
        ordering = ["consultation", "order", "id"]
        verbose_name = _("consultation option")
        verbose_name_plural = _("consultation options")

    def __str__(self) -> str:
        return self.label


class Ballot(models.Model):
    """That ``voter`` voted in ``consultation`` for one household or one resident — never how.

    The unique constraints make a second vote for the same household or resident impossible,
    even when two submissions race each other."""

    consultation = models.ForeignKey(Consultation, verbose_name=_("consultation"),
                                     on_delete=models.CASCADE, related_name="ballots")
    voter = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("voter"), null=True,
                              on_delete=models.SET_NULL, related_name="+")
    household = models.ForeignKey("people.Household", verbose_name=_("household"), null=True,
                                  blank=True, on_delete=models.PROTECT, related_name="+")
    resident = models.ForeignKey("people.Resident", verbose_name=_("resident"), null=True,
                                 blank=True, on_delete=models.PROTECT, related_name="+")
    cast_at = models.DateTimeField(_("cast at"), default=timezone.now)

    class Meta:
        ordering = ["consultation", "cast_at"]
        verbose_name = _("ballot")
        verbose_name_plural = _("ballots")
        constraints = [
            models.UniqueConstraint(fields=["consultation", "household"],
                                    condition=Q(household__isnull=False),
                                    name="participation_one_ballot_per_household"),
            models.UniqueConstraint(fields=["consultation", "resident"],
                                    condition=Q(resident__isnull=False),
                                    name="participation_one_ballot_per_resident"),
            models.CheckConstraint(
                condition=(Q(household__isnull=False, resident__isnull=True)
                           | Q(household__isnull=True, resident__isnull=False)),
                name="participation_ballot_counts_for_one"),
        ]

    def __str__(self) -> str:
        return f"{self.consultation} · {self.household or self.resident}"


class BallotChoice(models.Model):
    """What an open (not secret) ballot chose. Never written for a secret ballot."""

    ballot = models.ForeignKey(Ballot, verbose_name=_("ballot"), on_delete=models.CASCADE,
                               related_name="choices")
    option = models.ForeignKey(ConsultationOption, verbose_name=_("option"),
                               on_delete=models.CASCADE, related_name="choices")

    class Meta:
        verbose_name = _("ballot choice")
        verbose_name_plural = _("ballot choices")
        constraints = [models.UniqueConstraint(fields=["ballot", "option"],
                                               name="participation_choice_once")]

    def __str__(self) -> str:
        return f"{self.ballot} → {self.option}"
