"""Incidents: open (by hand or from an alert), activate a plan at a level, report, close.

Activating creates the plan's tasks for the level (those whose level is that one or less
severe), assigns each to the holder(s) of its role under the plan and starts its clock: due =
activation + time limit. Activating again at a more severe level adds only the tasks that level
adds (task keys ``incident:<id>:plantask:<id>`` de-duplicate). Every step lands on the timeline.
"""
from __future__ import annotations

import datetime as dt

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from resilience.core.scope import can, can_any
from resilience.people.models import Resident
from resilience.response.models import Incident, IncidentEvent, Plan, SituationReport, Task
from resilience.response.services.common import acting
from resilience.response.services.tasks import overdue
from resilience.response.vocab import (
    OPEN_STATUSES, SCENARIO_OF_EVENT, CommandRole, IncidentStatus, PlanStatus, ResponseLevel,
    RollCallStatus, Scenario, TaskSource, TaskStatus,
)


def _event(incident: Incident, user, action: str, note: str = "") -> IncidentEvent:
    return IncidentEvent.objects.create(incident=incident, action=action, note=note,
                                        user=user if user is not None and user.pk else None)


def open_incident(user, community, *, title: str, scenario: str, description: str = "",
                  alert=None, grids=(), buildings=(), plan: Plan | None = None,
                  level: int | None = None) -> Incident:
    """Open an incident in ``community`` (staff only); with ``plan`` and ``level`` it is
    activated at once, in the same transaction."""
    if not can_any(user, "add", Incident):
        raise PermissionDenied(_("You may not open an incident."))
    errors = {}
    if not (title or "").strip():
        errors["title"] = _("Give the incident a title.")
    if scenario not in Scenario.values:
        errors["scenario"] = _("Choose a scenario.")
    if alert is not None and alert.community_id != community.pk:
        errors["alert"] = _("It belongs to another community.")
    for name, places in (("area_grids", grids), ("area_buildings", buildings)):
        if any(p.community_id != community.pk for p in places):
            errors[name] = _("Choose places of the incident's own community.")
    if errors:
        raise ValidationError(errors)
    with acting(user), transaction.atomic():
        incident = Incident.objects.create(
            community=community, title=title.strip()[:200], scenario=scenario,
            description=description, alert=alert, opened_by=user,
            whole_community=not (grids or buildings))
        if grids:
            incident.area_grids.set(grids)
        if buildings:
            incident.area_buildings.set(buildings)
        if not can(user, "add", incident):
            raise PermissionDenied(_("You may not open an incident in this community."))
        _event(incident, user, "opened",
               _("Opened from alert “%(alert)s”.") % {"alert": alert} if alert else "")
        if plan is not None:
            activate(incident, user, plan, level or ResponseLevel.IV)
    return incident


def open_from_alert(alert, user, plan: Plan | None = None, level: int | None = None) -> Incident:
    """An incident for an alert: its community, area, headline and scenario; the plan in force
    for the scenario is activated at the alert's level when there is one (or ``plan``)."""
    from resilience.response.services.plans import in_force

    scenario = SCENARIO_OF_EVENT.get(alert.event_type, Scenario.OTHER)
    plan = plan or in_force(alert.community, scenario)
    with acting(user), transaction.atomic():
        incident = open_incident(
            user, alert.community, title=alert.headline, scenario=scenario,
            description=alert.description, alert=alert,
            grids=list(alert.area_grids.all()) if not alert.whole_community else (),
            buildings=list(alert.area_buildings.all()) if not alert.whole_community else ())
        if not alert.whole_community and (alert.area_geometry or alert.area_circle):
            incident.whole_community = False
            incident.area_geometry, incident.area_circle = alert.area_geometry, alert.area_circle
            incident.save()
        if plan is not None:
            activate(incident, user, plan, level or alert.level)
    return incident


def activate(incident: Incident, user, plan: Plan, level: int,
             now: dt.datetime | None = None) -> list[Task]:
    """Activate ``plan`` at ``level`` for the incident; returns the tasks created."""
    errors = {}
    if level not in ResponseLevel.values:
        errors["level"] = _("Choose a response level from I to IV.")
    if plan.community_id != incident.community_id or not can(user, "view", plan):
        errors["plan"] = _("This plan is not one of the incident's community.")
    elif plan.status != PlanStatus.ACTIVE:
        errors["plan"] = _("Only a plan in force can be activated (this one is “%(status)s”).") % {
            "status": plan.get_status_display()}
    elif level in ResponseLevel.values and not plan.levels.filter(level=level).exists():
        errors["level"] = _("The plan has no criteria for level %(level)s.") % {
            "level": ResponseLevel(level).label}
    if errors:
        raise ValidationError(errors)
    now = now or timezone.now()
    with acting(user), transaction.atomic():
        locked = Incident.objects.select_for_update().get(pk=incident.pk)
        if not can(user, "change", locked):
            raise PermissionDenied(_("You may not activate a plan for this incident."))
        if locked.status == IncidentStatus.CLOSED:
            raise ValidationError({"status": _("The incident is closed.")})
        if locked.plan_id and locked.plan_id != plan.pk:
            raise ValidationError({"plan": _("Another plan is already active for this incident.")})
        holders: dict[str, list] = {}
        for role in plan.roles.select_related("user", "grid").order_by("id"):
            holders.setdefault(role.role, []).append(role)
        created = []
        for plan_task in plan.tasks.filter(level__gte=level).order_by("order", "id"):
            targets = holders.get(plan_task.role) or [None]
            if plan_task.role != CommandRole.GRID_LEAD:
                targets = targets[:1]  # one owner; every grid lead does their own grid
            for holder in targets:
                key = f"incident:{locked.pk}:plantask:{plan_task.pk}"
                if holder is not None and len(targets) > 1:
                    key += f":user:{holder.user_id}"
                if Task.objects.filter(key=key).exists():
                    continue
                created.append(Task.objects.create(
                    community_id=locked.community_id, incident=locked, plan_task=plan_task,
                    key=key, title=plan_task.title, description=plan_task.title_en,
                    role=plan_task.role, phase=plan_task.phase, source=TaskSource.PLAN,
                    priority=min(plan_task.level, 5), created_by=user,
                    assignee=holder.user if holder else None,
                    grid=holder.grid if holder else None,
                    due=now + dt.timedelta(minutes=plan_task.time_limit)))
        unheld = sorted({str(CommandRole(t.role).label) for t in created if t.assignee_id is None})
        before = locked.level
        locked.plan, locked.level, locked.status = plan, level, IncidentStatus.ACTIVE
        locked.activated_at = locked.activated_at or now
        locked.save()
        note = _("%(plan)s at %(level)s: %(n)d tasks.") % {
            "plan": plan, "level": ResponseLevel(level).label, "n": len(created)}
        if unheld:
            note += " " + _("No one holds: %(roles)s.") % {"roles": ", ".join(unheld)}
        _event(locked, user, "activated" if before is None else "level_changed", note)
    for field in ("plan_id", "level", "status", "activated_at"):
        setattr(incident, field, getattr(locked, field))
    return created


def note(incident: Incident, user, text: str) -> IncidentEvent:
    """A line on the timeline written by someone handling the incident."""
    if not (text or "").strip():
        raise ValidationError({"note": _("Write something.")})
    if not can(user, "change", incident):
        raise PermissionDenied(_("You may not write on this incident's timeline."))
    return _event(incident, user, "note", text.strip())


def sheltered(incident: Incident) -> int | None:
    """People staying in the community's shelters now; None without the shelters app."""
    if not apps.is_installed("resilience.shelters"):
        return None
    try:
        Stay = apps.get_model("shelters", "Stay")
    except LookupError:
        return None
    return Stay.objects.filter(shelter__facility__community_id=incident.community_id,
                               checked_out_at__isnull=True).count()


def situation(incident: Incident, now: dt.datetime | None = None) -> dict:
    """The live numbers: residents of the area (the linked alert's recipients when it has them),
    roll-call findings, shelter occupancy and tasks; plus what staff recorded (injured, needs)."""
    from resilience.response.services.rollcall import area_buildings

    now = now or timezone.now()
    counts = None
    if incident.alert_id:
        from resilience.alerts.models import AlertRecipient

        recipients = AlertRecipient.objects.filter(alert_id=incident.alert_id,
                                                   resident__isnull=False)
        if recipients.exists():
            counts = (recipients.count(), recipients.filter(vulnerable=True).count())
    if counts is None:
        residents = Resident.objects.filter(
            household__building_id__in=list(area_buildings(incident)))
        counts = (residents.count(), residents.exclude(tag_index="").count())
    rollcall = incident.rollcalls.order_by("-created").first()
    marks = {s: 0 for s in RollCallStatus.values}
    if rollcall is not None:
        for status, n in _count_by(rollcall.entries.all(), "status"):
            marks[status] = n
    tasks = Task.objects.filter(incident=incident)
    return {
        "affected": counts[0], "vulnerable": counts[1], "injured": incident.injured,
        "evacuated": marks[RollCallStatus.EVACUATED], "sheltered": sheltered(incident),
        "safe": marks[RollCallStatus.SAFE], "needs_help": marks[RollCallStatus.NEEDS_HELP],
        "unreachable": marks[RollCallStatus.UNREACHABLE],
        "pending": marks[RollCallStatus.PENDING],
        "open_tasks": tasks.filter(status__in=OPEN_STATUSES).count(),
        "done_tasks": tasks.filter(status=TaskStatus.DONE).count(),
        "overdue_tasks": overdue(tasks, now).count(), "needs": incident.needs,
    }


def _count_by(queryset, field: str):
    from django.db.models import Count

    return queryset.order_by().values_list(field).annotate(n=Count("pk"))


def report(incident: Incident, user, *, injured: int | None = None,
           needs: str | None = None) -> SituationReport:
    """Record the staff's numbers and save a situation report of the live numbers."""
    if not can(user, "change", incident):
        raise PermissionDenied(_("You may not report on this incident."))
    if injured is not None and (not isinstance(injured, int) or injured < 0):
        raise ValidationError({"injured": _("Give the number of injured people (0 or more).")})
    with acting(user), transaction.atomic():
        if injured is not None:
            incident.injured = injured
        if needs is not None:
            incident.needs = needs
        incident.save()
        numbers = situation(incident)
        fields = {f.name for f in SituationReport._meta.concrete_fields}
        sitrep = SituationReport.objects.create(
            incident=incident, created_by=user,
            **{k: v for k, v in numbers.items() if k in fields})
        _event(incident, user, "report", _(
            "Situation report: %(affected)d affected, %(injured)d injured, %(evacuated)d "
            "evacuated.") % numbers)
    return sitrep


def close(incident: Incident, user, lessons: str) -> Incident:
    """Close the incident with its review; tasks still open are cancelled."""
    if not (lessons or "").strip():
        raise ValidationError({"lessons": _("Write the review (what happened, lessons) to close "
                                            "the incident.")})
    with acting(user), transaction.atomic():
        locked = Incident.objects.select_for_update().get(pk=incident.pk)
        if not can(user, "change", locked):
            raise PermissionDenied(_("You may not close this incident."))
        if locked.status == IncidentStatus.CLOSED:
            raise ValidationError({"status": _("The incident is already closed.")})
        now = timezone.now()
        for task in Task.objects.filter(incident=locked, status__in=OPEN_STATUSES):
            task.status, task.outcome = TaskStatus.CANCELLED, _("Incident closed.")
            task.save()
        for rollcall in locked.rollcalls.filter(closed_at__isnull=True):
            rollcall.closed_at = now
            rollcall.save()
        locked.status, locked.closed_at, locked.lessons = IncidentStatus.CLOSED, now, lessons
        locked.save()
        _event(locked, user, "closed", lessons)
    for field in ("status", "closed_at", "lessons"):
        setattr(incident, field, getattr(locked, field))
    return incident
