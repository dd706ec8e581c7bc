"""Controlled vocabularies of early warning, and their CAP 1.2 counterparts."""
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Level(models.IntegerChoices):
    """Warning levels (预警级别): IV blue is the lowest, I red the highest."""

    IV = 4, _("IV blue")
    III = 3, _("III yellow")
    II = 2, _("II orange")
    I = 1, _("I red")  # noqa: E741


LEVEL_COLOUR = {4: "blue", 3: "yellow", 2: "orange", 1: "red"}
# DESIGN §2.4: level → CAP <severity>.
LEVEL_SEVERITY = {4: "Minor", 3: "Moderate", 2: "Severe", 1: "Extreme"}
SEVERITY_LEVEL = {v: k for k, v in LEVEL_SEVERITY.items()}
APPROVAL_LEVELS = {2, 1}  # orange and red need approval before issue


class EventType(models.TextChoices):
    RAINSTORM = "rainstorm", _("rainstorm")
    FLOOD = "flood", _("flood / waterlogging")
    TYPHOON = "typhoon", _("typhoon")
    GALE = "gale", _("gale")
    HEAT = "heat", _("heat wave")
    COLD = "cold", _("cold wave")
    SNOW = "snow", _("snow / ice")
    THUNDER = "thunder", _("thunderstorm / lightning")
    FOG = "fog", _("fog / haze")
    EARTHQUAKE = "earthquake", _("earthquake")
    FIRE = "fire", _("fire")
    GAS = "gas", _("gas leak")
    POWER_CUT = "power_cut", _("power cut")
    WATER_CUT = "water_cut", _("water cut")
    EPIDEMIC = "epidemic", _("epidemic")
    HAZMAT = "hazmat", _("hazardous materials")
    SECURITY = "security", _("public security")
    OTHER = "other", _("other")


class State(models.TextChoices):
    DRAFT = "draft", _("draft")
    PENDING = "pending", _("awaiting approval")
    ISSUED = "issued", _("issued")
    CANCELLED = "cancelled", _("cancelled")
    EXPIRED = "expired", _("expired")


class MessageType(models.TextChoices):
    """CAP <msgType>: an update or cancel references the alert it replaces."""

    ALERT = "Alert", pgettext_lazy("CAP message type", "alert")
    UPDATE = "Update", _("update")
    CANCEL = "Cancel", _("cancel")


class Audience(models.TextChoices):
    EVERYONE = "everyone", _("everyone in the area")
    STAFF = "staff", _("staff only")
    VULNERABLE = "vulnerable", _("vulnerable residents and their helpers")


class Source(models.TextChoices):
    STAFF = "staff", _("staff")
    ALARM = "alarm", _("monitoring alarm")
    CAP = "cap", _("upstream CAP alert")


class Urgency(models.TextChoices):
    IMMEDIATE = "Immediate", _("immediate")
    EXPECTED = "Expected", _("expected")
    FUTURE = "Future", _("future")
    PAST = "Past", _("past")
    UNKNOWN = "Unknown", _("unknown")


class Certainty(models.TextChoices):
    OBSERVED = "Observed", _("observed")
    LIKELY = "Likely", _("likely")
    POSSIBLE = "Possible", _("possible")
    UNLIKELY = "Unlikely", _("unlikely")
    UNKNOWN = "Unknown", _("unknown")


class RecipientKind(models.TextChoices):
    """Why a person (or group) is on an alert's list."""

    RESIDENT = "resident", _("resident")
    GRID_WORKER = "grid_worker", _("grid worker")
    VOLUNTEER = "volunteer", _("volunteer")
    EMERGENCY_CONTACT = "emergency_contact", _("emergency contact")
    STAFF = "staff", _("staff")
    GROUP = "group", _("group chat or system")


class ChannelName(models.TextChoices):
    """The ways a message leaves the platform; each has its folder in ``alerts/channels``."""

    INAPP = "inapp", _("in the app")
    EMAIL = "email", _("e-mail")
    SMS = "sms", _("SMS")
    WECOM = "wecom", _("WeCom robot")
    DINGTALK = "dingtalk", _("DingTalk robot")
    FEISHU = "feishu", _("Feishu robot")
    WEBHOOK = "webhook", _("signed webhook")


GROUP_CHANNELS = (ChannelName.WECOM, ChannelName.DINGTALK, ChannelName.FEISHU, ChannelName.WEBHOOK)


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    SENDING = "sending", _("sending")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")


class AckMethod(models.TextChoices):
    """How an acknowledgement came: from the person (link, app) or marked by staff."""

    LINK = "link", _("link in the message")
    APP = "app", _("button in the app")
    CALL = "call", _("phone call by staff")
    VISIT = "visit", _("door knock by staff")
