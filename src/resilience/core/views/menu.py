"""The navigation menu: groups of pages, each shown only to users who may view its model.

Apps add their pages with ``register(group, label, url_name, model_label)`` (e.g. from their
``AppConfig.ready``); the registry apps' pages are declared here.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from django.apps import apps
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from resilience.core.scope import can_any, memberships_of


@dataclass
class MenuItem:
    label: object
    url_name: str
    model: str | None = None  # "app_label.ModelName": shown only if the user may view some
    roles: frozenset | None = None  # shown only to holders of one of these roles (None: any)


@dataclass
class MenuGroup:
    label: object
    items: list[MenuItem] = field(default_factory=list)


MENU: list[MenuGroup] = [
    MenuGroup(_("Places"), [
        MenuItem(_("Regions"), "places:region_list", "places.Region"),
        MenuItem(_("Communities"), "places:community_list", "places.Community"),
        MenuItem(_("Grids"), "places:grid_list", "places.Grid"),
        MenuItem(_("Buildings"), "places:building_list", "places.Building"),
        MenuItem(_("Units"), "places:unit_list", "places.Unit"),
        MenuItem(_("Facilities"), "places:facility_list", "places.Facility"),
    ]),
    MenuGroup(_("People"), [
        MenuItem(_("Households"), "people:household_list", "people.Household"),
        MenuItem(_("Residents"), "people:resident_list", "people.Resident"),
        MenuItem(_("Volunteers"), "people:volunteer_list", "people.Volunteer"),
        MenuItem(_("Helper pairings"), "people:pairing_list", "people.Pairing",
                 frozenset({"admin", "office", "staff", "grid_worker"})),
        MenuItem(_("Organisations"), "people:organisation_list", "people.Organisation"),
        MenuItem(_("Staff and roles"), "people:membership_list", "people.Membership"),
        MenuItem(_("Import"), "people:import", "people.Resident"),
        MenuItem(_("Export"), "people:export", "people.Resident"),
    ]),
]


def register(group: object, label: object, url_name: str, model: str | None = None,
             roles=None) -> None:
    """Add a page to the menu, in the group with this label (created at the end if new).
    ``roles`` keeps a page (e.g. a staff registry) from people who have their own page for the
    same records (a resident's "My reports")."""
    item = MenuItem(label, url_name, model, frozenset(roles) if roles is not None else None)
    for existing in MENU:
        if str(existing.label) == str(group):
            existing.items.append(item)
            return
    MENU.append(MenuGroup(group, [item]))


def menu_for(user) -> list[dict]:
    """The groups and items ``user`` may see, with their URLs."""
    result = []
    held = {m.role for m in memberships_of(user)}
    for group in MENU:
        items = []
        for item in group.items:
            if item.roles is not None and not user.is_superuser and not held & item.roles:
                continue
            if item.model and not can_any(user, "view", apps.get_model(item.model)):
                continue
            try:
                url = reverse(item.url_name)
            except NoReverseMatch:
                continue
            items.append({"label": item.label, "url": url})
        if items:
            result.append({"label": group.label, "items": items})
    return result
