"""Safety inspections (安全体检): start one on a target, complete it, turn failed items into hazards.

An inspection takes its community, grid and organisation from what is inspected, so the scope
rules that apply to the facility or building apply to its inspections too. Completing one is a
single transaction: the answers, the completed inspection, one hazard per failed item (due in
the item's ``rectify_days``, at the target, for the target's owner or manager) and the plan's
next due date.
"""
from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from resilience.core.actor import acting_as, current_source
from resilience.core.scope import can
from resilience.risks import hazards as hazard_services
from resilience.risks.hazards import Target
from resilience.risks.models import (
    ChecklistItem, ChecklistTemplate, Hazard, Inspection, InspectionAnswer, InspectionPlan,
)
from resilience.risks.vocab import Answer, HazardSource

TARGETS = ("facility", "building", "risk", "grid")


def start_inspection(user, template: ChecklistTemplate | None, *, facility=None, building=None,
                     risk=None, grid=None, plan: InspectionPlan | None = None) -> Inspection:
    """Begin an inspection of a target with a checklist; a plan gives both when they are omitted.

    Refused (ValidationError) when the target or plan is outside the user's scope or the
    checklist does not fit; PermissionDenied when the user may not inspect there.
    """
    targets = {"facility": facility, "building": building, "risk": risk, "grid": grid}
    if plan is not None:
        if not InspectionPlan.objects.visible_to(user, "view").filter(pk=plan.pk).exists():
            raise ValidationError({"plan": _("This plan is outside your scope.")})
        template = template or plan.template
        if template.pk != plan.template_id:
            raise ValidationError({"template": _("The plan uses another checklist.")})
        if not any(targets.values()):
            targets = {name: getattr(plan, name) for name in TARGETS}
    if template is None:
        raise ValidationError({"template": _("Choose a checklist.")})
    out_of_scope = {
        name: _("It is outside your scope.") for name, obj in targets.items()
        if obj is not None and not type(obj).objects.visible_to(user, "view").filter(pk=obj.pk).exists()
    }
    if out_of_scope:
        raise ValidationError(out_of_scope)
    target = Target.of(**targets)
    if template.community_id not in (None, target.community_id):
        raise ValidationError({"template": _("This checklist belongs to another community.")})
    if not template.items.exists():
        raise ValidationError({"template": _("This checklist has no items.")})
    if plan is not None and plan.community_id != target.community_id:
        raise ValidationError({"plan": _("The plan is for another community.")})
    organisation = target.owner or (plan.organisation if plan is not None else None)
    with acting_as(user, current_source() or "inspections"), transaction.atomic():
        inspection = Inspection.objects.create(
            community_id=target.community_id, plan=plan, template=template,
            facility=target.facility, building=target.building, risk=target.risk, grid=target.grid,
            inspector=user, organisation=organisation)
        if not can(user, "add", inspection):
            raise PermissionDenied(_("You may not inspect here: it is outside your scope."))
    return inspection


def complete_inspection(inspection: Inspection, user, answers: dict[int, dict],
                        latitude: float | None = None, longitude: float | None = None) -> list[Hazard]:
    """Record every item's answer and close the inspection; return the hazards it found.

    ``answers`` maps an item id to ``{"answer": "pass"|"fail"|"na", "note": str,
    "photo": UploadedFile | None}``. Every item must be answered and a failed item needs a note
    or a photo; otherwise nothing is written.
    """
    with acting_as(user, current_source() or "inspections"), transaction.atomic():
        locked = Inspection.objects.select_for_update().get(pk=inspection.pk)
        if not can(user, "change", locked):
            raise PermissionDenied(_("You may not complete this inspection."))
        if locked.status != Inspection.Status.IN_PROGRESS:
            raise ValidationError({"status": _("This inspection is already completed.")})
        items = list(locked.template.items.all())
        answers = _validated(items, answers, latitude, longitude)
        saved = []
        for item in items:
            given = answers[item.pk]
            answer = InspectionAnswer(inspection=locked, item=item, answer=given["answer"],
                                      note=given.get("note") or "")
            if given.get("photo"):
                answer.photo = given["photo"]
            answer.save()
            saved.append(answer)
        now = timezone.now()
        locked.status, locked.completed_at = Inspection.Status.COMPLETED, now
        locked.latitude, locked.longitude = latitude, longitude
        locked.save()
        target = Target.of(facility=locked.facility, building=locked.building, risk=locked.risk,
                           grid=locked.grid)
        today = timezone.localdate(now)
        found = [
            hazard_services.create_found(
                user, target, title=hazard_title(target.label, answer.item.text),
                severity=answer.item.severity, source=HazardSource.INSPECTION,
                deadline=today + dt.timedelta(days=answer.item.rectify_days),
                description=answer.note, answer=answer, photo=answer.photo.name or None,
                note=_("Failed in the inspection of %(date)s.") % {"date": today.isoformat()})
            for answer in saved if answer.answer == Answer.FAIL
        ]
        if locked.plan_id:
            plan = InspectionPlan.objects.select_for_update().get(pk=locked.plan_id)
            plan.next_due = next_due(plan, today)
            plan.save()
    for field in Inspection._meta.concrete_fields:
        setattr(inspection, field.attname, getattr(locked, field.attname))
    return found


def hazard_title(target: str, item: str) -> str:
    """A failed item's hazard title: where, and the requirement that was not met."""
    return (_("%(target)s: %(item)s") % {"target": target, "item": item})[:200]


def next_due(plan: InspectionPlan, done: dt.date) -> dt.date:
    """Due again ``frequency_days`` after the later of the due date and the day it was done, so an
    early inspection keeps the rhythm and a late one does not leave the plan overdue."""
    return max(plan.next_due, done) + dt.timedelta(days=plan.frequency_days)


def overdue_plans(queryset: QuerySet, today: dt.date | None = None) -> QuerySet:
    """Active plans whose inspection should have been done before ``today``."""
    return queryset.filter(active=True, next_due__lt=today or timezone.localdate())


def due_plans(queryset: QuerySet, today: dt.date | None = None, within_days: int = 7) -> QuerySet:
    """Active plans due within ``within_days`` of ``today``, overdue ones included."""
    today = today or timezone.localdate()
    return queryset.filter(active=True, next_due__lte=today + dt.timedelta(days=within_days))


def _validated(items: list[ChecklistItem], answers: dict, latitude, longitude) -> dict[int, dict]:
    errors: dict[str, list[str]] = {}
    by_id = {item.pk: item for item in items}
    given: dict[int, dict] = {}
    unknown = []
    for key, value in (answers or {}).items():
        try:
            item_id = int(key)
        except (TypeError, ValueError):
            unknown.append(str(key))
            continue
        if item_id not in by_id:
            unknown.append(str(key))
        else:
            given[item_id] = value if isinstance(value, dict) else {"answer": value}
    problems = []
    if unknown:
        problems.append(_("Not items of this checklist: %(items)s.") % {"items": ", ".join(unknown)})
    missing = [item for item in items if item.pk not in given]
    if missing:
        problems.append(_("Answer every item; missing: %(items)s.") % {"items": "; ".join(
            _item_name(item) for item in missing)})
    for item_id, value in given.items():
        item = by_id[item_id]
        if value.get("answer") not in Answer.values:
            problems.append(_("%(item)s: the answer must be pass, fail or na.") % {"item": _item_name(item)})
        elif value["answer"] == Answer.FAIL and not ((value.get("note") or "").strip() or value.get("photo")):
            problems.append(_("%(item)s failed: add a note or a photo.") % {"item": _item_name(item)})
        if value.get("photo"):
            try:
                hazard_services.check_photo(value["photo"], "photo")
            except ValidationError:
                problems.append(_("%(item)s: the photo must be an image.") % {"item": _item_name(item)})
    if problems:
        errors["answers"] = problems
    for name, value, limit in (("latitude", latitude, 90), ("longitude", longitude, 180)):
        if value is not None and not (isinstance(value, (int, float)) and -limit <= value <= limit):
            errors[name] = [_("Ensure this value is between %(low)s and %(high)s.") % {
                "low": -limit, "high": limit}]
    if errors:
        raise ValidationError(errors)
    return given


def _item_name(item: ChecklistItem) -> str:
    return f"{item.order}. {item.text}"
