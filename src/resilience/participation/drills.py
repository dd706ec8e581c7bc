"""Drills: recording participation and timings, finishing, and the figures that feed the
assessment (participation rate, evacuation times).

Everything a grid worker records goes through here: the drill row is locked while writing, every
row is checked before the first one is written, and each written row must fall inside the
recorder's scope (the same rule that filters reads).
"""
from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from resilience.core.roles import Role
from resilience.core.scope import can, memberships_of
from resilience.participation.models import Drill, DrillParticipation, DrillTiming
from resilience.participation.models.drills import action_errors
from resilience.participation.vocab_learning import DrillStatus


def households_in_scope(drill: Drill):
    """The households the drill is for: its building, its grid or its whole community."""
    from resilience.people.models import Household

    households = Household.objects.filter(community=drill.community_id)
    if drill.building_id:
        return households.filter(building=drill.building_id)
    if drill.grid_id:
        return households.filter(building__grid=drill.grid_id)
    return households


def buildings_in_scope(drill: Drill):
    from resilience.places.models import Building

    buildings = Building.objects.filter(community=drill.community_id)
    if drill.building_id:
        return buildings.filter(pk=drill.building_id)
    if drill.grid_id:
        return buildings.filter(grid=drill.grid_id)
    return buildings


def recordable_buildings(drill: Drill, user):
    """The buildings of the drill where ``user`` may record: all of them for staff who may change
    the drill, the buildings of their own grids for grid workers."""
    buildings = buildings_in_scope(drill).select_related("grid").order_by("grid__code", "code")
    if can(user, "change", drill):
        return buildings
    grids = [m.grid_id for m in memberships_of(user) if m.role == Role.GRID_WORKER and m.grid_id]
    return buildings.filter(grid__in=grids)


def _lock_open(drill: Drill, field: str = "drill") -> Drill:
    locked = Drill.objects.select_for_update().get(pk=drill.pk)
    if locked.status != DrillStatus.PLANNED:
        raise ValidationError({field: _("This drill is %(status)s: nothing more can be recorded.")
                               % {"status": locked.get_status_display()}})
    return locked


def record_participation(drill: Drill, user, entries: Iterable[dict]) -> list[DrillParticipation]:
    """Write participation rows: each entry is ``{"household": Household, "resident": Resident
    or None, "present": bool, "note": str}``; an existing row for the same household (or
    resident) is updated. All entries are checked before any is written."""
    from resilience.people.models import Resident

    entries = list(entries)
    in_scope = set(households_in_scope(drill).values_list("pk", flat=True))
    for entry in entries:
        resident = entry.get("resident")
        if resident is not None:
            if not isinstance(resident, Resident):
                raise ValidationError({"resident": _("Unknown resident.")})
            entry["household"] = entry.get("household") or resident.household
            if resident.household_id != entry["household"].pk:
                raise ValidationError({"resident": _("The resident does not live in that "
                                                     "household.")})
        household = entry.get("household")
        if household is None:
            raise ValidationError({"household": _("Choose a household or a resident.")})
        if household.pk not in in_scope:
            raise ValidationError({"household": _("%(household)s is outside the drill's scope.")
                                   % {"household": household}})
    written = []
    with transaction.atomic():
        locked = _lock_open(drill)
        for entry in entries:
            resident = entry.get("resident")
            row = (DrillParticipation.objects.select_for_update()
                   .filter(drill=locked, household=entry["household"],
                           resident=resident).order_by("pk").first()
                   if resident is not None else
                   DrillParticipation.objects.select_for_update()
                   .filter(drill=locked, household=entry["household"], resident__isnull=True)
                   .order_by("pk").first())
            action = "change" if row is not None else "add"
            if row is None:
                row = DrillParticipation(drill=locked, household=entry["household"],
                                         resident=resident)
            row.present = bool(entry.get("present", True))
            row.note = (entry.get("note") or "")[:200]
            row.recorded_by = user
            row.save()
            if not can(user, action, row):
                raise PermissionDenied(_("You may not record participation for %(household)s.")
                                       % {"household": entry["household"]})
            written.append(row)
    return written


def tick_building(drill: Drill, user, building, present_ids: Iterable[int]) -> int:
    """The phone form: households of ``building`` ticked present, the others absent."""
    present = {int(i) for i in present_ids}
    households = list(households_in_scope(drill).filter(building=building))
    known = {h.pk for h in households}
    if present - known:
        raise ValidationError({"household": _("A ticked household is not in this building.")})
    record_participation(drill, user, [{"household": h, "present": h.pk in present}
                                       for h in households])
    return len(present)


def record_timing(drill: Drill, user, *, building=None, step: str = "", started_at=None,
                  all_out_at=None, arrived_at=None, seconds=None, people_counted=None,
                  note: str = "", keep: bool = True) -> DrillTiming:
    """Create or update the timing of a building (or a named step). With ``keep`` the values not
    given are left as they were, so a stopwatch can post the start and the stop separately."""
    if building is not None and not buildings_in_scope(drill).filter(pk=building.pk).exists():
        raise ValidationError({"building": _("The building is outside the drill's scope.")})
    if seconds is not None and seconds < 0:
        raise ValidationError({"seconds": _("Give a positive time.")})
    with transaction.atomic():
        locked = _lock_open(drill)
        timing = None
        if building is not None:
            timing = (DrillTiming.objects.select_for_update()
                      .filter(drill=locked, building=building).order_by("pk").first())
        action = "change" if timing is not None else "add"
        timing = timing or DrillTiming(drill=locked, building=building)
        values = {"step": step, "started_at": started_at, "all_out_at": all_out_at,
                  "arrived_at": arrived_at, "seconds": seconds, "people_counted": people_counted,
                  "note": note}
        for name, value in values.items():
            if not keep or value not in (None, ""):
                setattr(timing, name, value)
        timing.recorded_by = user
        timing.full_clean(exclude=["drill", "building", "recorded_by"])
        timing.save()
        if not can(user, action, timing):
            raise PermissionDenied(_("You may not record times for this building."))
    return timing


def finish_drill(drill: Drill, user, *, lessons_learned: str, actions=None,
                 finished_at=None) -> Drill:
    """Mark a planned drill done with its lessons learned and follow-ups. Refused when it is not
    planned any more, when nothing was recorded, or without lessons learned."""
    lessons_learned = (lessons_learned or "").strip()
    errors = {}
    if not lessons_learned:
        errors["lessons_learned"] = _("Write down what the drill taught.")
    if actions is not None and action_errors(actions):
        errors["actions"] = action_errors(actions)
    with transaction.atomic():
        locked = Drill.objects.select_for_update().get(pk=drill.pk)
        if not can(user, "change", locked):
            raise PermissionDenied(_("You may not finish this drill."))
        if locked.status != DrillStatus.PLANNED:
            errors = {"status": _("This drill is already %(status)s.")
                      % {"status": locked.get_status_display()}}
        elif not (locked.timings.exists() or locked.participations.exists()):
            errors.setdefault("drill", _("Record at least one timing or participation first."))
        if errors:
            raise ValidationError(errors)
        locked.status = DrillStatus.DONE
        locked.lessons_learned = lessons_learned
        if actions is not None:
            locked.actions = actions
        locked.finished_at = finished_at or timezone.now()
        locked.finished_by = user
        locked.save()
    drill.refresh_from_db()
    return drill


def cancel_drill(drill: Drill, user) -> Drill:
    """Cancel a planned drill."""
    with transaction.atomic():
        locked = Drill.objects.select_for_update().get(pk=drill.pk)
        if not can(user, "change", locked):
            raise PermissionDenied(_("You may not cancel this drill."))
        if locked.status != DrillStatus.PLANNED:
            raise ValidationError({"status": _("Only a planned drill can be cancelled.")})
        locked.status = DrillStatus.CANCELLED
        locked.save()
    drill.refresh_from_db()
    return drill


# --- figures -----------------------------------------------------------------------------------


def participation_rate(drill: Drill) -> dict:
    """Households in scope, households with someone present, and the rate in per cent."""
    households = households_in_scope(drill).count()
    present = (DrillParticipation.objects.filter(drill=drill, present=True)
               .values("household").distinct().count())
    return {"households": households, "present": present,
            "rate": round(100 * present / households, 1) if households else 0.0}


def evacuation_times(drill: Drill) -> dict:
    """Per timing row: evacuation and shelter seconds and people counted; overall the longest
    evacuation (the drill is as fast as its slowest building) and the people counted."""
    rows = []
    for timing in drill.timings.select_related("building").order_by("building__code", "step"):
        rows.append({"timing": timing, "building": timing.building, "step": timing.step,
                     "seconds": timing.evacuation_seconds, "shelter": timing.shelter_seconds,
                     "people": timing.people_counted})
    seconds = [r["seconds"] for r in rows if r["seconds"] is not None]
    return {"rows": rows, "max": max(seconds) if seconds else None,
            "people": sum(r["people"] or 0 for r in rows)}


def drill_summary(community, since: dt.datetime | None = None) -> dict:
    """Drills of a community for the assessment: done since ``since`` (a year back by default),
    their overall participation rate (present households / households in scope, summed over the
    drills), median and max evacuation time over building timings (seconds), and how many are
    planned ahead."""
    now = timezone.now()
    since = since or now - dt.timedelta(days=365)
    done = list(Drill.objects.filter(community=community, status=DrillStatus.DONE,
                                     planned_at__gte=since).prefetch_related("timings"))
    households = present = 0
    times: list[int] = []
    for drill in done:
        rate = participation_rate(drill)
        households += rate["households"]
        present += rate["present"]
        times += [t.evacuation_seconds for t in drill.timings.all()
                  if t.evacuation_seconds is not None]
    return {
        "drills": len(done),
        "planned": Drill.objects.filter(community=community, status=DrillStatus.PLANNED,
                                        planned_at__gte=now).count(),
        "households": households,
        "present": present,
        "participation_rate": round(100 * present / households, 1) if households else 0.0,
        "median_evacuation_seconds": statistics.median(times) if times else None,
        "max_evacuation_seconds": max(times) if times else None,
        "scenarios": sorted({d.scenario for d in done}),
    }


def household_outcome(drill: Drill, user) -> bool | None:
    """Whether the user's own household was recorded present (None: not recorded)."""
    households = [m.household_id for m in memberships_of(user) if m.household_id]
    rows = DrillParticipation.objects.filter(drill=drill, household__in=households)
    if not rows.exists():
        return None
    return rows.filter(present=True).exists()
