"""Roles (DESIGN §1) and the access levels a model grants each of them."""
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("platform admin")
    OFFICE = "office", _("street / district emergency office")
    STAFF = "staff", _("community staff")
    GRID_WORKER = "grid_worker", _("grid worker")
    PROPERTY = "property", _("property company / facility owner")
    VOLUNTEER = "volunteer", _("volunteer")
    HEALTH_WORKER = "health_worker", _("health worker")
    RESIDENT = "resident", _("resident")


# Access levels, from the row's point of view:
SCOPE = "scope"              # the row lies inside the membership's node (its grid, its household…)
COMMUNITY = "community"      # the row lies in the community that holds the membership's node
ORGANISATION = "organisation"  # the row belongs to the membership's organisation
SELF = "self"                # the row is the member's own record

ACTIONS = ("view", "add", "change", "delete", "reveal", "verify", "ingest")


def grant(level: str, *actions: str) -> dict[str, str]:
    """``grant(SCOPE, "view", "change")`` → ``{"view": "scope", "change": "scope"}``."""
    unknown = set(actions) - set(ACTIONS)
    if unknown:
        raise ValueError(f"unknown actions: {sorted(unknown)}")
    return {action: level for action in actions}


EDIT = ("view", "add", "change", "delete")


def community_record(**overrides: dict[str, str]) -> dict[str, dict[str, str]]:
    """Access to a record everyone in the community may look up (a grid, a building, a shelter):
    staff edit it, the street office sees it, every other member of the community views it.
    ``overrides`` replace one role's grants, e.g. ``community_record(property=...)``."""
    access = {
        Role.OFFICE: grant(SCOPE, "view"),
        Role.STAFF: grant(SCOPE, *EDIT),
        Role.GRID_WORKER: grant(COMMUNITY, "view"),
        Role.PROPERTY: grant(COMMUNITY, "view"),
        Role.VOLUNTEER: grant(COMMUNITY, "view"),
        Role.HEALTH_WORKER: grant(COMMUNITY, "view"),
        Role.RESIDENT: grant(COMMUNITY, "view"),
    }
    access.update({Role(role): grants for role, grants in overrides.items()})
    return access
