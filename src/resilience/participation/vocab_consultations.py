"""Vocabulary of consultations and votes (协商议事，投票表决)."""
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class VoterUnit(models.TextChoices):
    """Who holds a vote: each household (through its account holder) or each adult resident."""

    HOUSEHOLD = "household", _("one vote per household")
    RESIDENT = "resident", _("one vote per adult resident")


class Majority(models.TextChoices):
    """What an option needs, of the votes for options that are not abstentions, to be adopted."""

    SIMPLE = "simple", _("simple majority (most votes)")
    TWO_THIRDS = "two_thirds", _("two-thirds majority")


class ConsultationState(models.TextChoices):
    """Derived from the times and ``closed_at``, never stored."""

    DRAFT = "draft", pgettext_lazy("consultation", "draft")
    SCHEDULED = "scheduled", pgettext_lazy("consultation", "scheduled")
    OPEN = "open", pgettext_lazy("consultation", "open")
    ENDED = "ended", pgettext_lazy("consultation", "voting ended, not yet counted")
    CLOSED = "closed", pgettext_lazy("consultation", "closed")


class NoDecision(models.TextChoices):
    """Why a closed consultation decided nothing (stored as the code in ``result``)."""

    QUORUM = "quorum_not_met", _("the quorum was not met")
    NO_VOTES = "no_votes", _("no votes for any option")
    TIE = "tie", _("a tie between the leading options")
    TWO_THIRDS = "below_two_thirds", _("no option reached two thirds of the votes")
