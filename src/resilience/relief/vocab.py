"""Choices of the relief app: kinds of need, request statuses, supply categories, movements."""
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class NeedKind(models.TextChoices):
    """What a request asks for. Medical visits are the most urgent kind."""

    MEDICINE = "medicine", _("medicine")
    MEDICAL_VISIT = "medical_visit", _("medical visit")
    FOOD = "food", _("food and daily goods")
    CARE = "care", _("care for an elderly or disabled person")
    PET_CARE = "pet_care", _("pet care")
    PSYCHOLOGICAL = "psychological", _("psychological help")
    OTHER = "other", _("other need")


class VisitReason(models.TextChoices):
    """Why a medical visit is needed (only for ``NeedKind.MEDICAL_VISIT``)."""

    EMERGENCY = "emergency", _("emergency")
    DIALYSIS = "dialysis", _("dialysis")
    CHEMOTHERAPY = "chemotherapy", _("chemotherapy")
    PREGNANCY = "pregnancy", _("pregnancy check")
    OTHER = "other", _("other treatment")


class Urgency(models.IntegerChoices):
    """How soon the need must be met, as the requester or a worker judged it."""

    LOW = 1, _("within days")
    NORMAL = 2, _("within a day")
    HIGH = 3, _("within hours")
    CRITICAL = 4, _("at once")


class RequestStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("request", "open")
    ASSIGNED = "assigned", _("assigned")
    IN_DELIVERY = "in_delivery", _("in delivery")
    FULFILLED = "fulfilled", _("fulfilled")
    CANNOT_FULFIL = "cannot_fulfil", _("cannot fulfil")


ACTIVE_REQUEST_STATUSES = (RequestStatus.OPEN, RequestStatus.ASSIGNED, RequestStatus.IN_DELIVERY)


class SupplyCategory(models.TextChoices):
    WATER = "water", _("drinking water")
    FOOD = "food", _("food")
    MEDICINE = "medicine", _("medicine")
    MEDICAL_KIT = "medical_kit", _("first-aid kits")
    MASKS = "masks", _("masks and protective gear")
    BLANKETS = "blankets", _("blankets and bedding")
    GENERATOR = "generator", _("generators and power")
    FUEL = "fuel", _("fuel")
    HYGIENE = "hygiene", _("hygiene and disinfection")
    BABY = "baby", _("infant supplies")
    LIGHTING = "lighting", _("lighting and batteries")
    TOOLS = "tools", _("tools and rescue equipment")
    OTHER = "other", _("other supplies")


class MovementKind(models.TextChoices):
    """A line of the stock ledger. ``count`` records the difference a stock-take found."""

    IN = "in", _("received")
    OUT = "out", _("issued")
    TRANSFER = "transfer", _("transfer")
    COUNT = "count", _("stock-take adjustment")


class NormBasis(models.TextChoices):
    """What a reserve norm is counted per."""

    PERSON_DAY = "person_day", _("per person per day")
    PERSON = "person", _("per person")
    HOUSEHOLD = "household", _("per household")
    COMMUNITY = "community", _("per community")


class BatchStatus(models.TextChoices):
    PLANNED = "planned", _("planned")
    DISPATCHED = "dispatched", _("dispatched")
    DONE = "done", _("done")
    CANCELLED = "cancelled", pgettext_lazy("batch", "cancelled")


class SurveyStatus(models.TextChoices):
    DRAFT = "draft", _("draft")
    OPEN = "open", pgettext_lazy("survey", "open")
    CLOSED = "closed", pgettext_lazy("survey", "closed")


class QuestionKind(models.TextChoices):
    CHOICE = "choice", _("single choice")
    MULTI = "multi", _("multiple choice")
    NUMBER = "number", _("number")
    TEXT = "text", _("text")


class PurchaseStatus(models.TextChoices):
    COLLECTING = "collecting", _("collecting orders")
    ORDERED = "ordered", _("ordered from the supplier")
    DELIVERED = "delivered", _("delivered to the building")
    CLOSED = "closed", pgettext_lazy("purchase", "closed")
    CANCELLED = "cancelled", pgettext_lazy("purchase", "cancelled")
