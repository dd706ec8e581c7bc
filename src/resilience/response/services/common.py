"""Small pieces the response services share."""
from __future__ import annotations

from django.db.models import Q

from resilience.core.actor import acting_as, current_source


def acting(user):
    """Attribute changes to ``user``, keeping the caller's source ("api", "web") if any."""
    return acting_as(user, current_source() or "response")


def works_in(user, community_id: int) -> bool:
    """Whether ``user`` holds a membership somewhere in the community."""
    from resilience.people.models import Membership

    if user.is_superuser:
        return True
    return Membership.objects.filter(user=user).filter(
        Q(community_id=community_id) | Q(grid__community_id=community_id)
        | Q(household__community_id=community_id) | Q(organisation__community_id=community_id)
    ).exists()
