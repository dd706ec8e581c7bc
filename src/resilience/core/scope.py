"""The one place where what a user may see and do is decided.

Every queryset that reaches a user — UI lists, API, exports, map layers, search — starts from
``Model.objects.visible_to(user, action)``. A model says where its rows live
(``scope_paths``) and what each role may do (``access``, see ``core.roles``); a user's
memberships say where they work. A membership at a node reaches the rows inside that node; a
level of ``community`` widens it to the whole community holding the node.
"""
from __future__ import annotations

from django.apps import apps
from django.db import models
from django.db.models import Q

from resilience.core.roles import COMMUNITY, ORGANISATION, SCOPE, SELF, Role

LEVELS = ("household", "grid", "community", "region")  # from the most specific up


def memberships_of(user) -> list:
    """The user's memberships, loaded once per user object."""
    cached = getattr(user, "_resilience_memberships", None)
    if cached is None:
        from resilience.people.models.memberships import current_q

        Membership = apps.get_model("people", "Membership")
        cached = list(
            Membership.objects.filter(current_q(), user=user).select_related(
                "household__building", "grid", "community", "region"
            )
        )
        user._resilience_memberships = cached
    return cached


def region_subtree(region_id: int) -> set[int]:
    """The region and every region below it (a street's, a district's or a city's ids)."""
    Region = apps.get_model("places", "Region")
    ids, frontier = {region_id}, {region_id}
    while frontier:
        frontier = set(Region.objects.filter(parent_id__in=frontier).values_list("pk", flat=True))
        frontier -= ids
        ids |= frontier
    return ids


def _node_of(membership) -> tuple[str, int] | None:
    for level in LEVELS:
        node_id = getattr(membership, f"{level}_id")
        if node_id:
            return level, node_id
    return None


def _widen_to_community(membership) -> tuple[str, int] | None:
    if membership.region_id:
        return "region", membership.region_id
    if membership.community_id:
        return "community", membership.community_id
    if membership.grid_id:
        return "community", membership.grid.community_id
    if membership.household_id:
        return "community", membership.household.community_id
    return None


def _parent(level: str, node_id: int, membership) -> tuple[str, int] | None:
    """The node one level up from (level, node_id)."""
    if level == "household":
        return "grid", membership.household.building.grid_id
    if level == "grid":
        Grid = apps.get_model("places", "Grid")
        return "community", Grid.objects.values_list("community_id", flat=True).get(pk=node_id)
    if level == "community":
        Community = apps.get_model("places", "Community")
        return "region", Community.objects.values_list("region_id", flat=True).get(pk=node_id)
    return None


def node_q(model, level: str, node_id: int, membership) -> Q | None:
    """Rows of ``model`` inside the node, using the most specific path the model has."""
    paths = model.scope_paths
    while level:
        if level == "region":
            subtree = region_subtree(node_id)
            if "community" in paths:
                Community = apps.get_model("places", "Community")
                inside = Community.objects.filter(region_id__in=subtree).values("pk")
                return Q(**{f"{paths['community']}__in": inside})
            if "region" in paths:
                return Q(**{f"{paths['region']}__in": subtree})
            return None
        if level in paths:
            return Q(**{paths[level]: node_id})
        parent = _parent(level, node_id, membership)
        if parent is None or parent[1] is None:
            return None
        level, node_id = parent
    return None


def membership_q(model, membership, action: str) -> Q | None:
    if membership.role == Role.ADMIN:
        level = SCOPE
    else:
        level = getattr(model, "access", {}).get(membership.role, {}).get(action)
    if level is None:
        return None
    if level == SELF:
        path = model.scope_paths.get("user")
        return Q(**{path: membership.user_id}) if path else None
    if level == ORGANISATION:
        path = model.scope_paths.get("organisation")
        if not path or not membership.organisation_id:
            return None
        return Q(**{path: membership.organisation_id})
    node = _widen_to_community(membership) if level == COMMUNITY else _node_of(membership)
    if node is None:
        return None
    return node_q(model, node[0], node[1], membership)


def reached(queryset, user, action: str = "view", *, rules=None, roles=None):
    """The rows of ``queryset`` that ``user`` may ``action``, by the scope rules
    (``scope_paths``, ``access``) of ``rules`` — the queryset's model unless another view of it
    is given — through the memberships whose role is in ``roles`` (every one by default)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return queryset.none()
    if user.is_superuser:
        return queryset.all()
    combined: Q | None = None
    for membership in memberships_of(user):
        if roles is not None and membership.role not in roles:
            continue
        q = membership_q(rules or queryset.model, membership, action)
        if q is not None:
            combined = q if combined is None else combined | q
    return queryset.filter(combined) if combined is not None else queryset.none()


class ScopedQuerySet(models.QuerySet):
    def visible_to(self, user, action: str = "view") -> "ScopedQuerySet":
        """The rows ``user`` may ``action`` (view, add, change, delete, reveal)."""
        return reached(self, user, action)


def can(user, action: str, obj) -> bool:
    """Whether ``user`` may ``action`` this saved object."""
    return type(obj).objects.visible_to(user, action).filter(pk=obj.pk).exists()


def can_any(user, action: str, model) -> bool:
    """Whether ``user`` may ``action`` some rows of ``model`` (used to show menus and buttons)."""
    if user is None or not user.is_authenticated:
        return False
    if user.is_superuser:
        return True
    for membership in memberships_of(user):
        if membership.role == Role.ADMIN:
            return True
        if getattr(model, "access", {}).get(membership.role, {}).get(action):
            return True
    return False
