"""Services of the core app: the access log of personal-data reveals."""
from __future__ import annotations

from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.db import models

from resilience.core.models import AccessLogEntry


def log_reveal(user, obj: models.Model, fields: Iterable[str], channel: str = "web",
               ip: str | None = None) -> AccessLogEntry:
    """Record that ``user`` saw ``fields`` of ``obj`` in clear. Call before showing them."""
    return AccessLogEntry.objects.create(
        user=user if user is not None and user.pk else None,
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=True),
        object_id=obj.pk,
        object_repr=str(obj)[:200],
        fields=",".join(fields)[:200],
        channel=channel,
        ip=ip,
    )


def log_bulk_reveal(user, objs: Iterable[models.Model], fields: Iterable[str],
                    channel: str = "export") -> int:
    """One access-log entry per object, for exports that carry personal data in clear."""
    fields = ",".join(fields)[:200]
    entries = [
        AccessLogEntry(
            user=user if user is not None and user.pk else None,
            content_type=ContentType.objects.get_for_model(obj, for_concrete_model=True),
            object_id=obj.pk, object_repr=str(obj)[:200], fields=fields, channel=channel,
        )
        for obj in objs
    ]
    AccessLogEntry.objects.bulk_create(entries, batch_size=2000)
    return len(entries)
