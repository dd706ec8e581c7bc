"""Who an alert reaches: its area as a geometry, and the people inside it, vulnerable first.

``recipients(alert)`` runs a handful of bulk queries whatever the size of the community: one for
the buildings, one for the residents, one each for grid workers, volunteers and staff. Buildings
are tested against a prepared geometry; vulnerability is read from ``tag_index`` (keyed tokens),
never decrypted.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import shapely
from django.db.models import BooleanField, ExpressionWrapper, F, Q
from django.utils.translation import gettext as _
from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union
from shapely.prepared import prep

from resilience.alerts.cap.geometry import safe_shape
from resilience.alerts.cap.read import parse_circle
from resilience.alerts.vocab import Audience
from resilience.core.roles import Role
from resilience.people.models import Membership, Resident, Volunteer
from resilience.people.models.residents import tag_token
from resilience.people.vocab import Vulnerability
from resilience.places.models import Building

EARTH_RADIUS_M = 6_371_008.8
BUILDING_POINT_RADIUS_M = 50  # a building known only by a point

# Who is reached first: lower is sooner. Life-supporting needs before mobility before the rest.
TAG_PRIORITY = {
    Vulnerability.BEDRIDDEN: 1, Vulnerability.DIALYSIS: 1, Vulnerability.OXYGEN: 1,
    Vulnerability.MEDICAL_DEVICE: 2, Vulnerability.ELDERLY_ALONE: 2, Vulnerability.DISABLED: 2,
    Vulnerability.INFANT: 3, Vulnerability.PREGNANT: 3, Vulnerability.ELDERLY: 3,
    Vulnerability.CHRONIC_ILLNESS: 4, Vulnerability.MENTAL_HEALTH: 4,
    Vulnerability.LEFT_BEHIND_CHILD: 4, Vulnerability.LANGUAGE_BARRIER: 5,
    Vulnerability.LOW_INCOME: 5,
}
OTHER_PRIORITY = 9  # residents without a vulnerability
STAFF_PRIORITY = 8  # staff who are not anyone's helper


@dataclass
class Recipient:
    """One person an alert should reach, why, and how soon (``priority``: lower is sooner).

    ``kind`` is resident, grid_worker, volunteer, emergency_contact or staff. A helper carries
    ``helps``: the vulnerable resident they are paired with. An emergency contact has no user
    account: ``resident`` is the person whose contact it is.
    """

    kind: str
    reason: str
    priority: int
    resident: Resident | None = None
    user_id: int | None = None
    volunteer_id: int | None = None
    name: str = ""
    building_id: int | None = None
    grid_id: int | None = None
    helps: int | None = None  # resident id
    has_phone: bool = False  # a phone number is on record (SMS possible); never decrypted here
    language: str = "zh-hans"

    @property
    def key(self) -> tuple:
        if self.kind == "emergency_contact":
            return ("contact", self.helps)
        if self.user_id:
            return ("user", self.user_id)
        if self.volunteer_id:
            return ("volunteer", self.volunteer_id)
        return ("resident", self.resident.pk if self.resident else None)


# -- the area ---------------------------------------------------------------------------------
def circle_shape(lat: float, lng: float, radius_m: float, segments: int = 64) -> BaseGeometry:
    """A circle of ``radius_m`` metres around (lat, lng), in lng/lat degrees.

    Buffered in a local azimuthal-equidistant-like plane (metres east/north of the centre), so
    it stays round on the ground at any latitude; exact enough for a few kilometres.
    """
    cos_lat = max(math.cos(math.radians(lat)), 1e-6)
    local = Point(0, 0).buffer(max(radius_m, 1.0), max(segments // 4, 4))
    scale = np.degrees(1 / np.array([EARTH_RADIUS_M * cos_lat, EARTH_RADIUS_M]))
    return shapely.transform(local, lambda xy: xy * scale + np.array([lng, lat]))


def resolve_area(alert) -> BaseGeometry | None:
    """The alert's target area in WGS-84 (lng, lat); None when the community has no boundary.

    Whole community → its boundary; otherwise the union of the drawn polygon, the circle, the
    grids and the buildings (a building without footprint: 50 m around its point).
    """
    community_shape = safe_shape(alert.community.geometry)
    if alert.whole_community:
        return community_shape
    parts = []
    if alert.area_circle:
        try:
            lat, lng, km = parse_circle(alert.area_circle)
        except Exception:  # noqa: BLE001 — a malformed circle falls back to the drawn polygon
            pass
        else:
            parts.append(circle_shape(lat, lng, km * 1000))
    if alert.area_geometry and not parts:
        parts.append(safe_shape(alert.area_geometry))
    for grid in alert.area_grids.all():
        parts.append(safe_shape(grid.geometry))
    for building in alert.area_buildings.all():
        parts.append(_building_shape(building.geometry, building.latitude, building.longitude))
    parts = [p for p in parts if p is not None]
    return unary_union(parts) if parts else community_shape


def _building_shape(geometry, lat, lng) -> BaseGeometry | None:
    geom = safe_shape(geometry)
    if geom is not None and geom.geom_type == "Point":
        return circle_shape(geom.y, geom.x, BUILDING_POINT_RADIUS_M)
    if geom is None and lat is not None and lng is not None:
        return circle_shape(lat, lng, BUILDING_POINT_RADIUS_M)
    return geom


def buildings_in_area(alert) -> dict[int, int]:
    """``{building id: grid id}`` of the community's buildings the alert covers."""
    rows = Building.objects.filter(community_id=alert.community_id).values_list(
        "pk", "grid_id", "geometry", "latitude", "longitude")
    if alert.whole_community:
        return {pk: grid_id for pk, grid_id, *_ in rows}
    chosen_grids = set(alert.area_grids.values_list("pk", flat=True))
    chosen_buildings = set(alert.area_buildings.values_list("pk", flat=True))
    area = resolve_area(alert)
    prepared = prep(area) if area is not None else None
    inside = {}
    for pk, grid_id, geometry, lat, lng in rows:
        if pk in chosen_buildings or grid_id in chosen_grids:
            inside[pk] = grid_id
            continue
        if prepared is None:
            continue
        footprint = safe_shape(geometry)
        if footprint is not None and prepared.intersects(footprint):
            inside[pk] = grid_id
        elif lat is not None and lng is not None and prepared.contains(Point(lng, lat)):
            inside[pk] = grid_id
    return inside


# -- the people -------------------------------------------------------------------------------
def _token_priority() -> dict[str, int]:
    return {tag_token(tag): rank for tag, rank in TAG_PRIORITY.items()}


def priority_of(tag_index: str, tokens: dict[str, int]) -> int:
    """The most urgent rank among a resident's tag tokens; ``OTHER_PRIORITY`` without any."""
    if not tag_index:
        return OTHER_PRIORITY
    ranks = [tokens.get(t, 5) for t in tag_index.strip("|").split("|") if t]
    return min(ranks) if ranks else OTHER_PRIORITY


def recipients(alert) -> list[Recipient]:
    """The people the alert reaches, per its audience, most urgent first, each person once.

    everyone: residents of the buildings in the area, the helpers of its vulnerable residents
    (grid workers of their grid, volunteers living in their building, their emergency contact)
    and the staff; vulnerable: those residents and their helpers only; staff: the community's
    staff and the grid workers of the grids touched.
    """
    buildings = buildings_in_area(alert)
    grids = set(buildings.values())
    found: list[Recipient] = []
    if alert.audience != Audience.STAFF:
        found += _residents_and_helpers(alert, buildings,
                                        vulnerable_only=alert.audience == Audience.VULNERABLE)
    if alert.audience != Audience.VULNERABLE:
        found += _staff(alert, grids)
    found.sort(key=lambda r: (r.priority, r.kind != "resident", r.building_id or 0, r.name))
    seen, result = set(), []
    for recipient in found:
        if recipient.key not in seen:
            seen.add(recipient.key)
            result.append(recipient)
    return result


def _residents_and_helpers(alert, buildings: dict[int, int], vulnerable_only: bool) -> list:
    tokens = _token_priority()
    qs = (Resident.objects.filter(household__building_id__in=list(buildings))
          .only("pk", "name", "user_id", "tag_index", "household_id", "community_id",
                "emergency_contact_name", "phone_hash", "language")
          .annotate(area_building_id=F("household__building_id"),
                    contact_phone_set=ExpressionWrapper(~Q(emergency_contact_phone=""),
                                                        output_field=BooleanField())))
    if vulnerable_only:
        qs = qs.exclude(tag_index="")
    found, vulnerable = [], []
    plain, fragile = _("resident in the area"), _("vulnerable resident in the area")
    for resident in qs.iterator(chunk_size=2000):
        building_id = resident.area_building_id
        priority = priority_of(resident.tag_index, tokens)
        found.append(Recipient("resident", plain if priority == OTHER_PRIORITY else fragile,
                               priority,
                               resident=resident, user_id=resident.user_id, name=resident.name,
                               building_id=building_id, grid_id=buildings[building_id],
                               has_phone=bool(resident.phone_hash), language=resident.language))
        if priority != OTHER_PRIORITY:
            vulnerable.append((resident, building_id, priority))
    if not vulnerable:
        return found
    grid_ids = {buildings[b] for _r, b, _p in vulnerable}
    workers: dict[int, list] = {}
    for user_id, grid_id, username, language in Membership.objects.filter(
            role=Role.GRID_WORKER, grid_id__in=grid_ids).values_list(
            "user_id", "grid_id", "user__username", "user__language"):
        workers.setdefault(grid_id, []).append((user_id, username, language))
    volunteers: dict[int, list] = {}
    for pk, user_id, name, building_id, phone_hash in Volunteer.objects.filter(
            community_id=alert.community_id, active=True,
            home_building_id__in={b for _r, b, _p in vulnerable}).values_list(
            "pk", "user_id", "name", "home_building_id", "phone_hash"):
        volunteers.setdefault(building_id, []).append((pk, user_id, name, bool(phone_hash)))
    for resident, building_id, priority in vulnerable:
        grid_id = buildings[building_id]
        helped = {"name": resident.name}
        for user_id, username, language in workers.get(grid_id, ()):
            found.append(Recipient("grid_worker", _("grid worker of %(name)s") % helped, priority,
                                   user_id=user_id, name=username, building_id=building_id,
                                   grid_id=grid_id, helps=resident.pk, language=language))
        for pk, user_id, name, has_phone in volunteers.get(building_id, ()):
            found.append(Recipient("volunteer", _("volunteer living near %(name)s") % helped,
                                   priority, user_id=user_id, volunteer_id=pk, name=name,
                                   building_id=building_id, grid_id=grid_id, helps=resident.pk,
                                   has_phone=has_phone))
        if resident.emergency_contact_name:
            found.append(Recipient("emergency_contact", _("emergency contact of %(name)s") % helped,
                                   priority, resident=resident,
                                   name=resident.emergency_contact_name,
                                   building_id=building_id, grid_id=grid_id, helps=resident.pk,
                                   has_phone=resident.contact_phone_set,
                                   language=resident.language))
    return found


def _staff(alert, grids: set[int]) -> list[Recipient]:
    rows = Membership.objects.filter(
        Q(role=Role.STAFF, community_id=alert.community_id)
        | Q(role=Role.GRID_WORKER, grid_id__in=grids)).values_list(
        "user_id", "role", "grid_id", "user__username", "user__language")
    return [Recipient("staff" if role == Role.STAFF else "grid_worker",
                      _("community staff") if role == Role.STAFF else _("grid worker of the area"),
                      STAFF_PRIORITY, user_id=user_id, name=username, grid_id=grid_id,
                      language=language)
            for user_id, role, grid_id, username, language in rows]


def summary(found: list[Recipient]) -> dict:
    """Counts of recipients: total, by kind, by grid and by building (for the UI and the API)."""
    by_kind: dict[str, int] = {}
    by_grid: dict[int | None, int] = {}
    by_building: dict[int | None, int] = {}
    vulnerable = 0
    for r in found:
        by_kind[r.kind] = by_kind.get(r.kind, 0) + 1
        if r.kind == "resident":
            by_grid[r.grid_id] = by_grid.get(r.grid_id, 0) + 1
            by_building[r.building_id] = by_building.get(r.building_id, 0) + 1
            vulnerable += r.priority != OTHER_PRIORITY
    return {"total": len(found), "vulnerable": vulnerable, "by_kind": by_kind,
            "by_grid": by_grid, "by_building": by_building}
