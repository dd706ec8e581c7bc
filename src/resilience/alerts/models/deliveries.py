"""Who an issued alert reached, through which channels, and who acknowledged it.

One ``AlertRecipient`` per person (or group) per alert, written in bulk when the alert is issued
(the fan-out); one ``Delivery`` per recipient and channel, which is also the send queue the worker
drains. An acknowledgement belongs to the person, whatever channel they answered from.
"""
from __future__ import annotations

import secrets

from django.conf import settings
from django.core.validators import URLValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from resilience.alerts.vocab import AckMethod, ChannelName, DeliveryStatus, Level, RecipientKind
from resilience.core.fields import EncryptedTextField
from resilience.core.models import ScopedModel
from resilience.core.roles import COMMUNITY, EDIT, SCOPE, SELF, Role, grant

TOKEN_BYTES = 12  # 16 URL-safe characters: short enough for an SMS link, 96 bits of secret


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


class AlertRecipient(ScopedModel):
    """One person or group an issued alert is meant to reach, and whether they acknowledged it.

    ``key`` says who it is (``resident:12``, ``user:5``, ``contact:12`` — the emergency contact of
    resident 12 —, ``volunteer:3``, ``endpoint:2``) and is unique per alert, so a second fan-out
    adds nobody twice. ``token`` is the secret in the acknowledgement link. ``priority`` orders
    the board and the sending (lower is sooner: life-supporting needs first).
    """

    alert = models.ForeignKey("alerts.Alert", verbose_name=_("alert"), on_delete=models.CASCADE,
                              related_name="recipients")
    key = models.CharField(_("key"), max_length=40)
    kind = models.CharField(_("kind"), max_length=20, choices=RecipientKind.choices)
    name = models.CharField(_("name"), max_length=100, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    priority = models.PositiveSmallIntegerField(_("priority"), default=9)
    vulnerable = models.BooleanField(_("vulnerable"), default=False)
    resident = models.ForeignKey("people.Resident", verbose_name=_("resident"), null=True,
                                 blank=True, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True,
                             blank=True, on_delete=models.CASCADE, related_name="alert_receipts")
    volunteer = models.ForeignKey("people.Volunteer", verbose_name=_("volunteer"), null=True,
                                  blank=True, on_delete=models.CASCADE, related_name="+")
    endpoint = models.ForeignKey("alerts.Endpoint", verbose_name=_("group endpoint"), null=True,
                                 blank=True, on_delete=models.CASCADE, related_name="+")
    helps = models.ForeignKey("people.Resident", verbose_name=_("helps"), null=True, blank=True,
                              on_delete=models.CASCADE, related_name="+",
                              help_text=_("The vulnerable resident this helper is paired with."))
    building = models.ForeignKey("places.Building", verbose_name=_("building"), null=True,
                                 blank=True, on_delete=models.SET_NULL, related_name="+")
    grid = models.ForeignKey("places.Grid", verbose_name=_("grid"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    # The channels chosen at fan-out ("|inapp|sms|"): deliveries are inserted from this column
    # with one INSERT … SELECT per channel.
    channels = models.CharField(_("channels"), max_length=80, blank=True)
    token = models.CharField(max_length=32, unique=True, default=new_token, editable=False)
    reached_at = models.DateTimeField(_("reached"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    ack_method = models.CharField(_("how acknowledged"), max_length=10, choices=AckMethod.choices,
                                  blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("marked by"),
                                        null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+")
    needs_help = models.BooleanField(_("needs help"), default=False)
    ack_note = models.CharField(_("note"), max_length=300, blank=True)

    scope_paths = {"community": "alert__community", "grid": "grid", "user": "user"}
    access = {
        Role.OFFICE: grant(SCOPE, "view"),
        Role.STAFF: grant(SCOPE, "view", "change"),
        Role.GRID_WORKER: grant(SCOPE, "view", "change"),
        Role.VOLUNTEER: grant(SELF, "view", "change"),
        Role.PROPERTY: grant(SELF, "view", "change"),
        Role.HEALTH_WORKER: grant(SELF, "view", "change"),
        Role.RESIDENT: grant(SELF, "view", "change"),
    }

    class Meta:
        ordering = ["priority", "id"]
        verbose_name = _("alert recipient")
        verbose_name_plural = _("alert recipients")
        constraints = [models.UniqueConstraint(fields=["alert", "key"],
                                               name="alerts_recipient_once_per_alert")]
        indexes = [models.Index(fields=["alert", "priority"], name="alerts_recipient_board")]

    def __str__(self) -> str:
        return f"{self.alert} → {self.name or self.key}"

    def ack_url(self) -> str:
        return reverse("ack", args=[self.token])


class Delivery(models.Model):
    """One message to one recipient through one channel; also the channel's send queue.

    A machine record (not change-logged): the worker claims queued rows with a lease, sends them
    with ``ref`` as the idempotency key the receiving gateway de-duplicates on, and marks them
    sent or, after its attempts, failed with the reason. Never two rows per recipient and channel.
    """

    alert = models.ForeignKey("alerts.Alert", verbose_name=_("alert"), on_delete=models.CASCADE,
                              related_name="deliveries")
    recipient = models.ForeignKey(AlertRecipient, verbose_name=_("recipient"),
                                  on_delete=models.CASCADE, related_name="deliveries")
    channel = models.CharField(_("channel"), max_length=10, choices=ChannelName.choices)
    priority = models.PositiveSmallIntegerField(_("priority"), default=9)
    status = models.CharField(_("status"), max_length=10, choices=DeliveryStatus.choices,
                              default=DeliveryStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    locked_by = models.CharField(max_length=100, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    provider_ref = models.CharField(_("provider reference"), max_length=200, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        ordering = ["priority", "id"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [models.UniqueConstraint(fields=["recipient", "channel"],
                                               name="alerts_delivery_once_per_channel")]
        # What the sender asks: "this channel's due rows, most urgent first".
        indexes = [models.Index(fields=["channel", "status", "next_attempt_at"],
                                name="alerts_delivery_queue"),
                   models.Index(fields=["alert", "status"], name="alerts_delivery_alert")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} #{self.pk} ({self.status})"

    @property
    def ref(self) -> str:
        """The idempotency key sent with the message: the same on every retry of this row."""
        return f"{self.recipient.token}.{self.channel}" if self.recipient_id else str(self.pk)


class Endpoint(ScopedModel):
    """A group chat robot (WeCom, DingTalk, Feishu) or a system webhook that gets a community's
    alerts from ``lowest_level`` up. Its URL and secret are credentials: encrypted at rest."""

    community = models.ForeignKey("places.Community", verbose_name=_("community"),
                                  on_delete=models.CASCADE, related_name="alert_endpoints")
    name = models.CharField(_("name"), max_length=100)
    channel = models.CharField(_("kind"), max_length=10, choices=[
        (c.value, c.label) for c in (ChannelName.WECOM, ChannelName.DINGTALK, ChannelName.FEISHU,
                                     ChannelName.WEBHOOK)])
    url = EncryptedTextField(_("webhook URL"), blank=False,
                             validators=[URLValidator(schemes=["http", "https"])])
    secret = EncryptedTextField(_("signing secret"),
                              help_text=_("DingTalk and Feishu 'sign' secret, or the webhook's "
                                          "HMAC key."))
    lowest_level = models.PositiveSmallIntegerField(
        _("from level"), choices=Level.choices, default=Level.IV,
        help_text=_("Alerts at this level or more severe are sent here."))
    language = models.CharField(_("language"), max_length=10, choices=settings.LANGUAGES,
                                default="zh-hans")
    active = models.BooleanField(_("active"), default=True)

    sensitive_fields = ("url", "secret")
    scope_paths = {"community": "community"}
    access = {
        Role.OFFICE: grant(SCOPE, "view"),
        Role.STAFF: grant(SCOPE, *EDIT),
        Role.GRID_WORKER: grant(COMMUNITY, "view"),
    }

    class Meta:
        ordering = ["community", "name"]
        verbose_name = _("group endpoint")
        verbose_name_plural = _("group endpoints")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("alerts:endpoint_detail", args=[self.pk])
