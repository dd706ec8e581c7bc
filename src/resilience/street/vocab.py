from django.db import models
from django.utils.translation import gettext_lazy as _


class AidKind(models.TextChoices):
    SUPPLIES = "supplies", _("supplies")
    VOLUNTEERS = "volunteers", _("volunteers")
    SHELTER = "shelter", _("shelter places")


class AidStatus(models.TextChoices):
    OPEN = "open", _("open")
    PARTLY = "partly", _("partly met")
    MET = "met", _("met")
    CANCELLED = "cancelled", _("cancelled")


class LoanStatus(models.TextChoices):
    ACTIVE = "active", _("active")
    ENDED = "ended", _("ended")
