"""Roll-call of the vulnerable residents of an incident's area.

``start`` lists every vulnerable resident of the area (most urgent first), finds the helpers —
grid workers of the community (placed at their grid's centre) and active volunteers with an
account (placed at their home building) — and pairs them with ``assignment.assign``. Each helper
marks their residents on a phone page; ``progress`` counts by grid for the live board.
"""
from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from resilience.core.changelog import log_created
from resilience.core.geo import centroid
from resilience.core.roles import Role
from resilience.core.scope import can
from resilience.people.models import Membership, Resident, Volunteer
from resilience.people.models.residents import tag_token
from resilience.people.vocab import HEALTH_TAGS, Vulnerability
from resilience.places.models import Building, Grid
from resilience.response.assignment import assign, distance_m
from resilience.response.models import IncidentEvent, RollCall, RollCallEntry
from resilience.response.services.common import acting
from resilience.response.vocab import HelperKind, IncidentStatus, RollCallStatus

MARKS = (RollCallStatus.SAFE, RollCallStatus.NEEDS_HELP, RollCallStatus.EVACUATED,
         RollCallStatus.UNREACHABLE)


def _position(obj) -> tuple[float, float] | None:
    if getattr(obj, "latitude", None) is not None and getattr(obj, "longitude", None) is not None:
        return obj.latitude, obj.longitude
    return centroid(getattr(obj, "geometry", None))


def area_buildings(incident) -> dict[int, int]:
    """``{building id: grid id}`` of the incident's area (same rules as an alert's area)."""
    from resilience.alerts.targeting import buildings_in_area

    return buildings_in_area(incident)


def helpers_of(community_id: int) -> list[tuple[tuple, str, tuple[float, float]]]:
    """``[((kind, user id), kind, (lat, lng))]``: who can walk to residents, and from where."""
    found, seen = [], set()
    grids = {g.pk: g for g in Grid.objects.filter(community_id=community_id)}
    for user_id, grid_id in Membership.objects.filter(
            role=Role.GRID_WORKER, grid_id__in=list(grids)).values_list("user_id", "grid_id"):
        where = _grid_position(grids[grid_id])
        if where and user_id not in seen:
            seen.add(user_id)
            found.append((user_id, HelperKind.GRID_WORKER, where))
    for volunteer in Volunteer.objects.filter(
            community_id=community_id, active=True, user__isnull=False,
            home_building__isnull=False).select_related("home_building"):
        where = _position(volunteer.home_building)
        if where and volunteer.user_id not in seen:
            seen.add(volunteer.user_id)
            found.append((volunteer.user_id, HelperKind.VOLUNTEER, where))
    return found


def _grid_position(grid) -> tuple[float, float] | None:
    where = centroid(grid.geometry)
    if where:
        return where
    points = [p for p in (_position(b) for b in Building.objects.filter(grid=grid)) if p]
    if not points:
        return None
    return (sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points))


def start(incident, user, slack: int = 1) -> RollCall:
    """A new roll-call of the incident's area: entries made, helpers paired, in one transaction."""
    from resilience.alerts.targeting import _token_priority, priority_of

    if not can(user, "change", incident):
        raise PermissionDenied(_("You may not run a roll-call for this incident."))
    if incident.status == IncidentStatus.CLOSED:
        raise ValidationError({"incident": _("The incident is closed.")})
    buildings = area_buildings(incident)
    positions = {b.pk: _position(b) for b in Building.objects.filter(pk__in=list(buildings))}
    tokens = _token_priority()
    residents = list(Resident.objects.filter(household__building_id__in=list(buildings))
                     .exclude(tag_index="").values_list("pk", "tag_index",
                                                        "household__building_id"))
    helpers = helpers_of(incident.community_id)
    located = [(pk, *positions[b]) for pk, _t, b in residents if positions.get(b)]
    pairs = assign(located, [(uid, *where) for uid, _k, where in helpers], slack=slack)
    kind_of = {uid: kind for uid, kind, _w in helpers}
    where_of = {uid: where for uid, _k, where in helpers}
    with acting(user), transaction.atomic():
        rollcall = RollCall.objects.create(incident=incident, community_id=incident.community_id,
                                           started_by=user)
        entries, total = [], 0.0
        for pk, tag_index, building_id in residents:
            helper = pairs.get(pk)
            distance = (distance_m(positions[building_id], where_of[helper])
                        if helper is not None and positions.get(building_id) else None)
            total += distance or 0
            entries.append(RollCallEntry(
                rollcall=rollcall, community_id=incident.community_id, resident_id=pk,
                building_id=building_id, grid_id=buildings.get(building_id), helper_id=helper,
                helper_kind=kind_of.get(helper, ""), distance_m=distance,
                priority=priority_of(tag_index, tokens)))
        RollCallEntry.objects.bulk_create(entries, batch_size=2000)
        log_created(entries)
        rollcall.total_distance_m = total
        rollcall.save()
        IncidentEvent.objects.create(
            incident=incident, user=user, action="rollcall",
            note=ngettext("Roll-call of %(n)d vulnerable resident, %(h)d helpers.",
                          "Roll-call of %(n)d vulnerable residents, %(h)d helpers.",
                          len(entries)) % {"n": len(entries), "h": len(set(pairs.values()))})
    return rollcall


def may_mark(entry: RollCallEntry, user) -> bool:
    """The helper the entry is assigned to, or staff marking on their behalf."""
    return entry.helper_id == user.pk or can(user, "verify", entry)


def mark(entry: RollCallEntry, user, status: str, note: str = "") -> RollCallEntry:
    """The helper's finding about one resident: safe, needs help, evacuated or unreachable."""
    if status not in MARKS:
        raise ValidationError({"status": _("Choose safe, needs help, evacuated or unreachable.")})
    if status in (RollCallStatus.NEEDS_HELP, RollCallStatus.UNREACHABLE) and len(note) > 300:
        raise ValidationError({"note": _("Keep the note under 300 characters.")})
    with acting(user), transaction.atomic():
        locked = RollCallEntry.objects.select_for_update().select_related("rollcall").get(
            pk=entry.pk)
        if not may_mark(locked, user):
            raise ValidationError({"helper": _("Only the helper assigned to this resident, or "
                                               "community staff, may mark them.")})
        if locked.rollcall.closed_at is not None:
            raise ValidationError({"rollcall": _("This roll-call is closed.")})
        locked.status, locked.note = status, note
        locked.marked_by, locked.marked_at = user, timezone.now()
        locked.save()
    for field in ("status", "note", "marked_by_id", "marked_at"):
        setattr(entry, field, getattr(locked, field))
    return entry


def progress(rollcall: RollCall) -> dict:
    """Counts by status, in total and per grid (for the live board)."""
    counts = {s: Count("pk", filter=Q(status=s)) for s in RollCallStatus.values}
    rows = (rollcall.entries.order_by().values("grid", "grid__name").annotate(
        total=Count("pk"), **counts).order_by("grid__name"))
    grids = [{"grid": r["grid"], "name": r["grid__name"] or "—", "total": r["total"],
              "done": r["total"] - r[RollCallStatus.PENDING],
              **{s: r[s] for s in RollCallStatus.values}} for r in rows]
    total = {s: sum(g[s] for g in grids) for s in RollCallStatus.values}
    total["total"] = sum(g["total"] for g in grids)
    total["done"] = total["total"] - total[RollCallStatus.PENDING]
    return {"grids": grids, "total": total}


def needs_of(resident: Resident, user, log: bool = True) -> list[str]:
    """The resident's needs as labels: decrypted (and the reveal logged) for a user who may
    reveal the resident's data; otherwise read from the keyed tokens, health conditions shown
    only as "health need"."""
    if can(user, "reveal", resident):
        if log:
            from resilience.core.services import log_reveal

            log_reveal(user, resident, ["vulnerability"], channel="rollcall")
        return resident.tag_labels()
    return labels_from_tokens(resident.tag_index)


def labels_from_tokens(tag_index: str) -> list[str]:
    """Tag kinds from ``tag_index`` without decrypting; health tags collapse to one label."""
    by_token = {tag_token(t): t for t in Vulnerability.values}
    labels, health = [], False
    for token in (tag_index or "").strip("|").split("|"):
        tag = by_token.get(token)
        if tag is None:
            continue
        if tag in HEALTH_TAGS:
            health = True
        else:
            labels.append(str(Vulnerability(tag).label))
    if health:
        labels.append(_("health need"))
    return labels
