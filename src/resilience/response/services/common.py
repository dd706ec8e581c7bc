"""Small pieces the response services share."""
from __future__ import annotations

from resilience.core.actor import acting_as, current_source


def acting(user):
    """Attribute changes to ``user``, keeping the caller's source ("api", "web") if any."""
    return acting_as(user, current_source() or "response")


def works_in(user, community_id: int) -> bool:
    """Whether ``user`` holds a membership in force somewhere in the community."""
    from resilience.people.models.memberships import works_in as member_works_in

    return member_works_in(user, community_id)
