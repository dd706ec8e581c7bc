"""Recompute the community's evacuation plan after a shelter opens, fills, reopens or closes."""
from __future__ import annotations

from django.db import transaction
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from resilience.shelters.models import Shelter, ShelterStatus


@receiver(pre_save, sender=Shelter)
def remember_status(sender, instance: Shelter, **kwargs) -> None:
    if instance.pk is None:
        instance._previous_status = None
    else:
        instance._previous_status = (Shelter.objects.filter(pk=instance.pk)
                                     .values_list("status", flat=True).first())


@receiver(post_save, sender=Shelter)
def replan_on_status_change(sender, instance: Shelter, created: bool, raw: bool = False,
                            **kwargs) -> None:
    previous = getattr(instance, "_previous_status", None)
    if raw or previous == instance.status or (created and instance.status == ShelterStatus.CLOSED):
        return
    community_id = instance.facility.community_id
    transaction.on_commit(lambda: _replan(community_id))


def _replan(community_id: int) -> None:
    from resilience.places.models import Community
    from resilience.shelters import evacuation

    community = Community.objects.filter(pk=community_id).first()
    if community is not None:
        evacuation.recompute(community)


@receiver(post_save, sender="places.Facility")
def give_shelters_a_profile(sender, instance, raw: bool = False, **kwargs) -> None:
    """Every facility of type shelter has a (closed) shelter profile from the start."""
    if raw or instance.kind != "shelter":
        return
    if not Shelter.objects.filter(facility=instance).exists():
        Shelter.objects.create(facility=instance)
