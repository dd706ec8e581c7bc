"""Post-crisis psychological care: PHQ-9 / GAD-7 scoring, screening rounds for the residents an
incident affected (vulnerable first), and referrals tracked open → accepted → closed.

Scoring follows the published instruments: PHQ-9 sums nine items of 0–3 (0–27; minimal 0–4,
mild 5–9, moderate 10–14, moderately severe 15–19, severe 20–27) and any answer above 0 on item 9
(self-harm) makes the screening urgent; GAD-7 sums seven items (0–21; minimal 0–4, mild 5–9,
moderate 10–14, severe 15–21). A missing or out-of-range answer is refused naming the item.
"""
from __future__ import annotations

import datetime as dt
import json

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from resilience.core.changelog import log_created
from resilience.core.scope import can, can_any
from resilience.health.models import Referral, Screening, ScreeningRound
from resilience.health.services import care
from resilience.health.services.archives import acting
from resilience.health.vocab import (
    GAD7_BANDS, GAD7_ITEMS, PHQ9_BANDS, PHQ9_ITEMS, FollowUpKind, ReferralStatus, ReferralTarget,
)
from resilience.people.models import Resident

INSTRUMENTS = {"phq9": (PHQ9_ITEMS, PHQ9_BANDS), "gad7": (GAD7_ITEMS, GAD7_BANDS)}
MIN_AGE = 12  # the youngest screened; the adolescent PHQ-9 is validated from about 11-12


def band(instrument: str, total: int) -> str:
    """The severity band key of a total."""
    _items, bands = INSTRUMENTS[instrument]
    return [key for low, key, _label in bands if total >= low][-1]


def score(instrument: str, answers) -> tuple[list[int], int, str]:
    """Validate the answers of ``instrument`` ("phq9" or "gad7"); return (answers, total, band).
    Errors are keyed ``phq9_3`` (item 3 of PHQ-9) so forms and the API name the item."""
    items, _bands = INSTRUMENTS[instrument]
    answers = list(answers or [])
    if len(answers) > len(items):
        raise ValidationError({instrument: _("%(name)s has %(n)d items; %(given)d answers given.")
                               % {"name": instrument.upper(), "n": len(items),
                                  "given": len(answers)}})
    answers += [None] * (len(items) - len(answers))
    errors, clean = {}, []
    for number, value in enumerate(answers, start=1):
        try:
            value = int(value) if value not in (None, "") else None
        except (TypeError, ValueError):
            value = -1
        if value is None:
            errors[f"{instrument}_{number}"] = _("Item %(n)d is not answered.") % {"n": number}
        elif not 0 <= value <= 3:
            errors[f"{instrument}_{number}"] = _("Item %(n)d must be 0, 1, 2 or 3.") % {"n": number}
        else:
            clean.append(value)
    if errors:
        raise ValidationError(errors)
    total = sum(clean)
    return clean, total, band(instrument, total)


# --- rounds ----------------------------------------------------------------------------------

def affected_residents(incident) -> list[tuple[Resident, int]]:
    """Residents of the incident's area aged ``MIN_AGE`` or more (or of unknown age) with their
    priority (lower = more urgent), vulnerable first."""
    from resilience.alerts.targeting import _token_priority, priority_of
    from resilience.response.services.rollcall import area_buildings

    buildings = list(area_buildings(incident))
    tokens = _token_priority()
    today = timezone.localdate()
    # PHQ-9 / GAD-7 are not for young children: their parents are screened instead.
    born_by = today.replace(year=today.year - MIN_AGE) if not (
        today.month == 2 and today.day == 29) else dt.date(today.year - MIN_AGE, 2, 28)
    found = [(r, priority_of(r.tag_index, tokens)) for r in
             Resident.objects.filter(household__building_id__in=buildings,
                                     community_id=incident.community_id)
             .exclude(birth_date__gt=born_by)]
    found.sort(key=lambda pair: (pair[1], pair[0].name, pair[0].pk))
    return found


def start_round(user, incident) -> ScreeningRound:
    """A screening round for a closed incident, one pending screening per affected resident.
    ``user`` None is the system (the worker, after the incident closed)."""
    from resilience.response.vocab import IncidentStatus

    if user is not None:
        if not can_any(user, "add", ScreeningRound) or not can(user, "view", incident):
            raise PermissionDenied(_("Only health workers of the incident's community may start "
                                     "a screening round."))
    if incident.status != IncidentStatus.CLOSED:
        raise ValidationError({"incident": _("Screening starts once the incident is closed.")})
    if ScreeningRound.objects.filter(incident=incident).exists():
        raise ValidationError({"incident": _("A screening round for this incident exists already.")})
    residents = affected_residents(incident)
    try:
        with acting(user), transaction.atomic():
            round_ = ScreeningRound.objects.create(community_id=incident.community_id,
                                                   incident=incident, started_by=user)
            if user is not None and not can(user, "add", round_):
                raise PermissionDenied(_("The incident is outside your community."))
            screenings = [Screening(community_id=incident.community_id, round=round_,
                                    resident=r, priority=p) for r, p in residents]
            Screening.objects.bulk_create(screenings, batch_size=2000)
            log_created(screenings)
    except IntegrityError:  # a concurrent start won the unique constraint
        raise ValidationError({"incident": _("A screening round for this incident exists already.")})
    return round_


def start_round_for(incident_id: int) -> ScreeningRound | None:
    """The worker's handler: start the round unless one exists (idempotent)."""
    from resilience.response.models import Incident

    incident = Incident.objects.filter(pk=incident_id).first()
    if incident is None or ScreeningRound.objects.filter(incident=incident).exists():
        return None
    try:
        return start_round(None, incident)
    except ValidationError:
        return None


def recent_closed_incidents(user, days: int = 90):
    """Closed incidents of the user's communities in the last ``days``, newest first, with
    their round if started."""
    from resilience.response.models import Incident
    from resilience.response.vocab import IncidentStatus

    since = timezone.now() - dt.timedelta(days=days)
    return (Incident.objects.visible_to(user, "view")
            .filter(status=IncidentStatus.CLOSED, closed_at__gte=since)
            .prefetch_related("screening_rounds").order_by("-closed_at"))


# --- screenings ------------------------------------------------------------------------------

def record_screening(user, screening: Screening, *, phq9, gad7) -> Screening:
    """Score and store both questionnaires; urgent when PHQ-9 item 9 is above 0."""
    errors = {}
    results = {}
    for name, answers in (("phq9", phq9), ("gad7", gad7)):
        try:
            results[name] = score(name, answers)
        except ValidationError as exc:
            errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    with acting(user), transaction.atomic():
        locked = Screening.objects.select_for_update().get(pk=screening.pk)
        if not can(user, "change", locked):
            raise PermissionDenied(_("You may not record this screening."))
        locked.answers = json.dumps({"phq9": results["phq9"][0], "gad7": results["gad7"][0]})
        locked.phq9_total, locked.phq9_severity = results["phq9"][1], results["phq9"][2]
        locked.gad7_total, locked.gad7_severity = results["gad7"][1], results["gad7"][2]
        locked.urgent = results["phq9"][0][8] > 0
        locked.screened_at, locked.screened_by = timezone.now(), user
        locked.save()
    for field in ("answers", "phq9_total", "phq9_severity", "gad7_total", "gad7_severity",
                  "urgent", "screened_at", "screened_by_id"):
        setattr(screening, field, getattr(locked, field))
    return screening


def needs_referral(screening: Screening) -> bool:
    """Urgent, or moderate or worse on either instrument."""
    return bool(screening.urgent or (screening.phq9_total or 0) >= 10
                or (screening.gad7_total or 0) >= 10)


# --- referrals -------------------------------------------------------------------------------

def refer(user, resident, *, target: str, reason: str = "", screening: Screening | None = None,
          follow_up_in_days: int = 7) -> Referral:
    """Open a referral and schedule a follow-up call to see it through."""
    if target not in ReferralTarget.values:
        raise ValidationError({"target": _("Choose counselling, a clinic or psychiatric care.")})
    if screening is not None and screening.resident_id != resident.pk:
        raise ValidationError({"screening": _("The screening is another resident's.")})
    if not can_any(user, "add", Referral):
        raise PermissionDenied(_("Only health workers may refer residents."))
    with acting(user), transaction.atomic():
        referral = Referral.objects.create(community_id=resident.community_id, resident=resident,
                                           screening=screening, target=target, reason=reason,
                                           created_by=user)
        if not can(user, "add", referral):
            raise PermissionDenied(_("The resident lives outside your community."))
        care.schedule(user, resident, kind=FollowUpKind.CALL, referral=referral,
                      scheduled_on=timezone.localdate() + dt.timedelta(days=follow_up_in_days))
    return referral


def advance_referral(user, referral: Referral, status: str, outcome: str = "") -> Referral:
    """open → accepted → closed; closing needs the outcome and settles its open follow-ups."""
    allowed = {ReferralStatus.OPEN: (ReferralStatus.ACCEPTED, ReferralStatus.CLOSED),
               ReferralStatus.ACCEPTED: (ReferralStatus.CLOSED,)}
    if status == ReferralStatus.CLOSED and not (outcome or "").strip():
        raise ValidationError({"outcome": _("Write the outcome to close the referral.")})
    with acting(user), transaction.atomic():
        locked = Referral.objects.select_for_update().get(pk=referral.pk)
        if not can(user, "change", locked):
            raise PermissionDenied(_("You may not change this referral."))
        if status not in allowed.get(locked.status, ()):
            raise ValidationError({"status": _("A referral that is “%(now)s” cannot become "
                                               "“%(next)s”.") % {
                "now": locked.get_status_display(), "next": ReferralStatus(status).label
                if status in ReferralStatus.values else status}})
        now = timezone.now()
        locked.status = status
        if status == ReferralStatus.ACCEPTED:
            locked.accepted_at = now
        else:
            locked.closed_at, locked.outcome = now, outcome.strip()
            for followup in locked.followups.filter(done_at__isnull=True):
                followup.done_at, followup.recorded_by = now, user
                followup.outcome = _("Referral closed: %(outcome)s") % {"outcome": outcome.strip()}
                followup.save()
        locked.save()
    for field in ("status", "accepted_at", "closed_at", "outcome"):
        setattr(referral, field, getattr(locked, field))
    return referral
