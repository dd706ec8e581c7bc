"""The relief app's small facade for other apps (the resident portal) and its own pages."""
from __future__ import annotations

from resilience.relief.models import NeedRequest

MY_REQUESTS_SHOWN = 10


def requests_of(user, limit: int = MY_REQUESTS_SHOWN):
    """The resident portal's "My requests": requests of the households where ``user`` lives as
    a resident, newest first (through ``visible_to``, so nothing beyond their household)."""
    from resilience.core.roles import Role
    from resilience.core.scope import memberships_of

    households = [m.household_id for m in memberships_of(user)
                  if m.role == Role.RESIDENT and m.household_id]
    if not households:
        return NeedRequest.objects.none()
    return (NeedRequest.objects.visible_to(user, "view").filter(household_id__in=households)
            .select_related("item").order_by("-created", "-id")[:limit])


def file_request(user, **fields) -> NeedRequest:
    """File a request (see ``relief.requests.file_request``)."""
    from resilience.relief.requests import file_request as run

    return run(user, **fields)
