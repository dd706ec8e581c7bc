"""One-time sign-in codes sent by SMS (docs/phone-login.md).

Machine state, not a domain record: not change-logged and not shown in the UI. Neither the phone
number nor the code is stored: ``phone_hash`` is the keyed hash of the normalised number and
``code_hash`` a keyed hash of the code bound to that number. A row is written for every request,
also for numbers that belong to nobody, so that the rate limits behave the same for all numbers.
"""
from __future__ import annotations

from django.db import models
from django.utils import timezone


class OneTimeCode(models.Model):
    phone_hash = models.CharField(max_length=64)
    code_hash = models.CharField(max_length=64)
    created = models.DateTimeField(default=timezone.now, db_index=True)  # for the daily purge
    expires = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)  # wrong codes entered
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["phone_hash", "created"], name="core_otc_phone_created")]

    def __str__(self) -> str:
        return f"one-time code #{self.pk}"
