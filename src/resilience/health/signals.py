"""Receivers of the health app: archive changes re-derive the resident's tags; closing an
incident queues a post-crisis screening round (outbox task, same transaction)."""
from __future__ import annotations

from django.db.models.signals import post_delete, post_save, pre_delete, pre_save
from django.dispatch import receiver

from resilience.health.models import Condition, Device, HealthArchive

_deleting: set[int] = set()  # archives being deleted: their parts' deletions must not re-tag


@receiver(post_save, sender=HealthArchive)
@receiver(post_save, sender=Condition)
@receiver(post_save, sender=Device)
@receiver(post_delete, sender=Condition)
@receiver(post_delete, sender=Device)
def _rederive(sender, instance, raw=False, **kwargs):
    from resilience.health.services.archives import rederive_tags

    if raw:
        return
    archive_id = instance.pk if sender is HealthArchive else instance.archive_id
    if archive_id in _deleting:
        return
    if sender is HealthArchive:
        rederive_tags(instance)
    elif HealthArchive.objects.filter(pk=archive_id).exists():
        rederive_tags(instance.archive)


@receiver(pre_delete, sender=HealthArchive)
def _release(sender, instance, **kwargs):
    from resilience.health.services.archives import release_tags

    _deleting.add(instance.pk)
    release_tags(instance)


@receiver(post_delete, sender=HealthArchive)
def _released(sender, instance, **kwargs):
    _deleting.discard(instance.pk)


def _incident_saved(sender, instance, created, raw=False, **kwargs):
    from resilience.core.tasks import enqueue
    from resilience.response.vocab import IncidentStatus

    if raw or instance.status != IncidentStatus.CLOSED:
        return
    if getattr(instance, "_health_status_before", None) == IncidentStatus.CLOSED:
        return
    enqueue("health.start_screening", {"incident": instance.pk},
            key=f"health-screening:{instance.pk}")


def _incident_before(sender, instance, raw=False, **kwargs):
    if raw or instance.pk is None:
        return
    instance._health_status_before = (sender._base_manager.filter(pk=instance.pk)
                                      .values_list("status", flat=True).first())


def connect() -> None:
    """Connect the incident receivers (response may be absent in a trimmed install)."""
    from django.apps import apps

    if not apps.is_installed("resilience.response"):
        return
    Incident = apps.get_model("response", "Incident")
    pre_save.connect(_incident_before, sender=Incident, dispatch_uid="health_incident_before")
    post_save.connect(_incident_saved, sender=Incident, dispatch_uid="health_incident_closed")
