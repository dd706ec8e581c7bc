"""Where a user may add new rows of a model: the communities, grids or buildings an import may
put them in.

``visible_to(user, "add")`` answers for rows that exist; an import needs the same answer for rows
that do not exist yet. It uses the same policy (the model's ``access`` and the user's
memberships) through ``core.scope.membership_q``, evaluated on the place the new row will be in.
"""
from __future__ import annotations

from django.db import models
from django.db.models import Q

from resilience.core.roles import COMMUNITY, Role
from resilience.core.scope import membership_q, memberships_of
from resilience.places.models import Building, Community, Grid

# Paths from each kind of place to the scope nodes it lies in; and the finest node it can tell.
PLACE_PATHS = {
    Community: ({"community": "pk", "region": "region"}, "community"),
    Grid: ({"community": "community", "grid": "pk"}, "grid"),
    Building: ({"community": "community", "grid": "grid"}, "grid"),
}
FINENESS = {"household": 0, "grid": 1, "community": 2, "region": 3}


def _membership_level(membership) -> str | None:
    for level in ("household", "grid", "community", "region"):
        if getattr(membership, f"{level}_id"):
            return level
    return None


def places_for(user, action: str, model: type[models.Model], place: type[models.Model]) -> models.QuerySet:
    """The ``place`` rows (Community, Grid or Building) in which ``user`` may ``action`` rows of
    ``model``. ``user`` None is the operator: every place."""
    queryset = place.objects.all()
    if user is None or user.is_superuser:
        return queryset if user is None or user.is_active else queryset.none()
    if not user.is_active:
        return queryset.none()
    paths, finest = PLACE_PATHS[place]
    shim = type("Shim", (), {"access": getattr(model, "access", {}), "scope_paths": paths})
    combined: Q | None = None
    for membership in memberships_of(user):
        if membership.role != Role.ADMIN and not _covers(model, membership, action, finest):
            continue
        q = membership_q(shim, membership, action)
        if q is not None:
            combined = q if combined is None else combined | q
    return queryset.filter(combined) if combined is not None else queryset.none()


def _covers(model, membership, action: str, finest: str) -> bool:
    """Whether the membership's grant reaches whole places of this kind (a household's grant
    says nothing about a whole building)."""
    level = getattr(model, "access", {}).get(membership.role, {}).get(action)
    if level is None:
        return False
    if level == COMMUNITY:
        return True
    node = _membership_level(membership)
    return node is not None and FINENESS[node] >= FINENESS[finest]
