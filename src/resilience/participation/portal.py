"""The resident portal: everything a resident needs on one phone page, gathered in a few queries.

``portal_for(user, language)`` returns a ``Portal``: the warnings in force that reached them, their
household (address, members, vulnerability in plain words), the shelter to go to and the route,
the community's main risks, emergency contacts, the latest notices, their reports, and — when the
apps that provide them are installed — their requests and the open consultations. Every record
comes through ``visible_to``; the one exception (the grid worker's name) is a public directory
entry, see ``grid_workers``.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field

from django.apps import apps
from django.db.models import Count, Q
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _

from resilience.core.roles import Role
from resilience.core.scope import memberships_of
from resilience.participation import services

NOTICES_SHOWN = 3
REPORTS_SHOWN = 5
RISKS_SHOWN = 5
# The national emergency numbers (label, number); the labels are translated when shown.
EMERGENCY_NUMBERS = (("Police", "110"), ("Fire", "119"), ("Ambulance", "120"),
                     ("Traffic accident", "122"))


@dataclass
class Portal:
    """What the portal page shows; a section is empty (or None) when there is nothing for it."""

    community: object | None = None
    household: object | None = None
    members: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    warnings: list[dict] = field(default_factory=list)
    shelter: dict | None = None
    risks: list[dict] = field(default_factory=list)
    contacts: dict = field(default_factory=dict)
    notices: list = field(default_factory=list)
    reports: list = field(default_factory=list)
    requests: list | None = None          # None: the relief app is not installed
    consultations: list | None = None     # None: not listed (the page links to them if it can)
    surveys: list | None = None           # open needs surveys asking this household
    consultations_url: str = ""
    learn_url: str = ""


def is_resident_only(user) -> bool:
    """Whether every role ``user`` holds is the resident role (they land on the portal)."""
    if not user.is_authenticated or user.is_superuser or user.is_staff:
        return False
    roles = {m.role for m in memberships_of(user)}
    return roles == {Role.RESIDENT}


def household_of(user):
    """The household ``user`` lives in (their first resident membership), or None."""
    for m in memberships_of(user):
        if m.role == Role.RESIDENT and m.household_id:
            return m.household
    return None


def language_of(user) -> str:
    """The language the resident chose in the registry, else the account's; Chinese by default."""
    from resilience.people.models import Resident

    chosen = (Resident.objects.filter(user=user).values_list("language", flat=True).first()
              or getattr(user, "language", "") or "zh-hans")
    return "en" if chosen.startswith("en") else "zh-hans"


def url_or_blank(name: str) -> str:
    """The URL named ``name``, or "" while the app that provides it is not there."""
    try:
        return reverse(name)
    except NoReverseMatch:
        return ""


def optional(module: str, name: str):
    """``module.name`` when that module exists and defines it, else None (another app's hook)."""
    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None


# -- sections ----------------------------------------------------------------------------------

def warnings_of(user, language: str) -> list[dict]:
    """The in-app alerts in force that reached ``user``: unacknowledged first, then newest."""
    from resilience.alerts.messages import language_of as message_language
    from resilience.alerts.messages import texts
    from resilience.alerts.views.ack import receipts_of
    from resilience.alerts.vocab import State

    rows = (receipts_of(user).filter(alert__state=State.ISSUED).select_related("alert")
            .order_by("-pk").distinct())
    language = message_language(language)
    out = [{"recipient": r, "alert": r.alert, "text": texts(r.alert, language)} for r in rows[:10]]
    out.sort(key=lambda w: w["recipient"].acknowledged_at is not None)
    return out


def household_details(user, household) -> tuple[list, list[str], list[dict]]:
    """The household's members (names), vulnerability tags in plain words, and emergency
    contacts — read from the residents ``user`` may see, and written to the access log."""
    from resilience.core.services import log_bulk_reveal
    from resilience.people.models import Resident
    from resilience.people.vocab import Vulnerability

    members = list(Resident.objects.visible_to(user, "view").filter(household=household)
                   .only("pk", "name", "vulnerability", "emergency_contact_name",
                         "emergency_contact_phone", "household_id", "community_id")
                   .order_by("birth_date", "pk"))
    labels = dict(Vulnerability.choices)
    tags: list[str] = []
    contacts: list[dict] = []
    for r in members:
        for tag in r.tags:
            label = str(labels.get(tag, tag))
            if label not in tags:
                tags.append(label)
        if r.emergency_contact_name or r.emergency_contact_phone:
            contact = {"name": r.emergency_contact_name, "phone": r.emergency_contact_phone}
            if contact not in contacts:
                contacts.append(contact)
    shown = [r for r in members if r.vulnerability or r.emergency_contact_phone]
    if shown:
        log_bulk_reveal(user, shown, ["vulnerability", "emergency_contact_phone"],
                        channel="portal")
    return [r.name for r in members], tags, contacts


def grid_workers(household) -> list[dict]:
    """Who looks after the household's grid: names and titles only.

    Not filtered by ``visible_to``: a resident may not browse memberships, but the name of their
    own grid worker is a public directory entry (it is on the notice board of every building).
    """
    from resilience.people.models import Membership

    grid_id = household.building.grid_id
    if not grid_id:
        return []
    rows = (Membership.objects.filter(role=Role.GRID_WORKER, grid_id=grid_id)
            .select_related("user").order_by("pk"))
    return [{"name": str(m.user), "title": m.title} for m in rows]


def _shelter_point(shelter) -> list[float]:
    return [shelter.facility.longitude, shelter.facility.latitude]


def nearest_shelter(user, household) -> dict | None:
    """Where the household's building goes: its assignment in the latest evacuation plan, else
    the nearest open shelter with free places by walking distance on the community's graph (in
    a straight line when there is no graph); while none is open, the nearest shelter at all.

    A dict with the shelter, distance (m), minutes (and for those needing help), the route as
    [[lng, lat], …], its legs (direction, metres) and ``source`` (plan, graph or straight)."""
    from resilience.shelters import evacuation
    from resilience.shelters.graph import haversine, segments_of
    from resilience.shelters.models import EvacuationPlan, Shelter, ShelterStatus

    building = household.building
    if building.latitude is None or building.longitude is None:
        return None
    shelters = {s.pk: s for s in Shelter.objects.visible_to(user, "view")
                .filter(facility__community=household.community_id,
                        facility__latitude__isnull=False, facility__longitude__isnull=False)
                .select_related("facility")
                .annotate(current=Count("stays", filter=Q(stays__checked_out_at__isnull=True)))}
    if not shelters:
        return None
    result = None
    plan = (EvacuationPlan.objects.visible_to(user, "view")
            .filter(community=household.community_id).first())
    if plan is not None:
        mine = sorted((a for a in plan.result.get("assignments", [])
                       if a["building"] == building.pk and a["shelter"] in shelters),
                      key=lambda a: a["distance"])
        if mine:
            result = {**mine[0], "source": "plan"}
    if result is None:
        open_ones = [s for s in shelters.values()
                     if s.status == ShelterStatus.OPEN and s.free_places > 0]
        candidates = open_ones or list(shelters.values())
        inputs = [evacuation.ShelterIn(s.pk, str(s.facility), s.facility.latitude,
                                       s.facility.longitude, max(s.free_places, 1))
                  for s in candidates]
        home = evacuation.BuildingIn(building.pk, building.name, building.latitude,
                                     building.longitude, 1)
        segments = segments_of(household.community)
        found = evacuation.plan([home], inputs, segments).assignments if segments else []
        if found:
            a = found[0]
            result = {"shelter": a.shelter, "distance": a.distance, "minutes": a.minutes,
                      "minutes_helped": a.minutes_helped, "route": a.route, "source": "graph"}
        else:
            here = (building.latitude, building.longitude)
            best = min(candidates, key=lambda s: haversine(
                here, (s.facility.latitude, s.facility.longitude)))
            distance = haversine(here, (best.facility.latitude, best.facility.longitude))
            result = {"shelter": best.pk, "distance": round(distance, 1),
                      "minutes": evacuation.minutes(distance, evacuation.WALK_SPEED),
                      "minutes_helped": evacuation.minutes(distance, evacuation.WALK_SPEED_HELPED),
                      "route": [[building.longitude, building.latitude], _shelter_point(best)],
                      "source": "straight"}
    shelter = shelters[result["shelter"]]
    return {**result, "shelter": shelter, "legs": evacuation.describe_route(result["route"]),
            "is_open": shelter.status == ShelterStatus.OPEN,
            "map": {"route": [[lat, lng] for lng, lat in result["route"]],
                    "home": [building.latitude, building.longitude],
                    "shelter": [shelter.facility.latitude, shelter.facility.longitude],
                    "homeLabel": str(building), "shelterLabel": str(shelter.facility)}}


def main_risks(user, community) -> list[dict]:
    """The community's active major and high risks, most severe first (the residents' page
    has them all, with what to do)."""
    from resilience.risks.models import RiskSource
    from resilience.risks.views.grades import grade_info
    from resilience.risks.vocab import Grade

    rows = (RiskSource.objects.visible_to(user, "view")
            .filter(community=community, active=True, grade__in=(Grade.MAJOR, Grade.HIGH))
            .select_related("building", "facility", "grid").order_by("-score", "name"))
    return [{"risk": r, **grade_info(r.grade), "where": r.facility or r.building or r.grid}
            for r in rows[:RISKS_SHOWN]]


def contacts_for(community, household, household_contacts: list[dict]) -> dict:
    """Emergency numbers, the community office, the grid worker and the household's contacts."""
    return {
        "emergency": [{"label": _(label), "number": number}
                      for label, number in EMERGENCY_NUMBERS],
        "office": {"name": community.name, "phone": community.phone,
                   "address": community.address} if community else None,
        "grid_workers": grid_workers(household) if household else [],
        "household": household_contacts,
    }


def portal_for(user, language: str = "zh-hans") -> Portal:
    """Everything the portal shows ``user``, each part through their scope."""
    from resilience.participation.models import Report

    household = household_of(user)
    community = household.community if household else services.community_of(user)
    portal = Portal(community=community, household=household)
    portal.warnings = warnings_of(user, language)
    household_contacts: list[dict] = []
    if household is not None:
        portal.members, portal.tags, household_contacts = household_details(user, household)
        portal.shelter = nearest_shelter(user, household)
    if community is not None:
        portal.risks = main_risks(user, community)
        portal.notices = list(services.readable_notices(user).published()[:NOTICES_SHOWN])
    portal.contacts = contacts_for(community, household, household_contacts)
    portal.reports = list(Report.objects.visible_to(user, "view").filter(reporter=user)
                          .order_by("-created", "-id")[:REPORTS_SHOWN])
    if apps.is_installed("resilience.relief"):
        requests_of = optional("resilience.relief.services", "requests_of")
        if requests_of is not None:
            portal.requests = list(requests_of(user))
        open_surveys = optional("resilience.relief.surveys", "open_for")
        if open_surveys is not None:
            portal.surveys = list(open_surveys(user)[:5])
    portal.consultations_url = url_or_blank("participation:consultation_open")
    if portal.consultations_url:
        open_for = optional("resilience.participation.consultations", "open_for")
        if open_for is not None:
            portal.consultations = list(open_for(user))
    portal.learn_url = url_or_blank("participation:learn")
    return portal
