"""One receiver writes the change log for every ``ChangeLoggedModel`` (before/after snapshots)."""
from __future__ import annotations

import json
from collections.abc import Iterable

from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models.fields.files import FieldFile
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from resilience.core import crypto
from resilience.core.actor import current_actor, current_source
from resilience.core.models import ChangeLogEntry, ChangeLoggedModel


def snapshot(instance: models.Model) -> dict:
    """The instance's concrete field values as JSON-safe data; sensitive fields as fingerprints."""
    data = {}
    sensitive = getattr(instance, "sensitive_fields", ())
    for field in instance._meta.concrete_fields:
        value = field.value_from_object(instance)
        if isinstance(value, FieldFile):  # a file is logged by its stored name
            value = value.name or ""
        if field.name in sensitive:
            value = ("#" + crypto.keyed_hash(str(value), "changelog")[:12]) if value else ""
        data[field.attname if field.is_relation else field.name] = value
    return json.loads(json.dumps(data, cls=DjangoJSONEncoder))


def _is_logged(sender) -> bool:
    return isinstance(sender, type) and issubclass(sender, ChangeLoggedModel)


def _entry(instance, action: str, before, after) -> ChangeLogEntry:
    user = current_actor()
    return ChangeLogEntry(
        user=user if user is not None and user.pk else None,
        source=current_source(),
        action=action,
        content_type=ContentType.objects.get_for_model(instance, for_concrete_model=True),
        object_id=instance.pk,
        object_repr=str(instance)[:200],
        before=before,
        after=after,
    )


@receiver(pre_save)
def _remember_before(sender, instance, raw=False, **kwargs):
    if raw or not _is_logged(sender) or instance.pk is None:
        return
    previous = sender._base_manager.filter(pk=instance.pk).first()
    instance._changelog_before = snapshot(previous) if previous is not None else None


@receiver(post_save)
def _log_save(sender, instance, created, raw=False, **kwargs):
    if raw or not _is_logged(sender):
        return
    before = None if created else getattr(instance, "_changelog_before", None)
    after = snapshot(instance)
    if before == after:
        return  # a save that changed nothing is not a change
    action = ChangeLogEntry.Action.CREATE if created or before is None else ChangeLogEntry.Action.UPDATE
    _entry(instance, action, before, after).save()
    instance._changelog_before = after


@receiver(post_delete)
def _log_delete(sender, instance, **kwargs):
    if not _is_logged(sender):
        return
    _entry(instance, ChangeLogEntry.Action.DELETE, snapshot(instance), None).save()


def log_created(instances: Iterable[models.Model], batch_size: int = 2000) -> int:
    """Change-log entries for rows made with ``bulk_create`` (which sends no signals)."""
    entries = [_entry(obj, ChangeLogEntry.Action.CREATE, None, snapshot(obj)) for obj in instances]
    ChangeLogEntry.objects.bulk_create(entries, batch_size=batch_size)
    return len(entries)
