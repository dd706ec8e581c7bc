"""Consultations and votes: who may vote, casting a vote, opening, closing and counting.

Rules, each refused with the field it concerns:
- a vote counts only between ``opens_at`` and ``closes_at`` and before the count;
- only an eligible voter votes: for household voting, an account holder (resident membership) of
  a household in the consultation's scope votes for that household; for resident voting, a
  resident of the scope with a user account, aged 18 or more on the opening day;
- one vote per household or resident (a unique constraint, and the consultation row locked
  while voting, so racing submissions cannot both count);
- at most ``max_choices`` options, all of this consultation, and an abstention alone.

The number of eligible voters is frozen when the consultation opens (whichever comes first: the
worker's tick, "open now", the first vote, or the close), so the quorum does not move while
people vote. Per-option counts are shown only after the count: during a secret vote, live
counts would let someone watching them learn what the last voter chose.
"""
from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from resilience.core.roles import Role
from resilience.core.scope import can
from resilience.participation.models import Ballot, BallotChoice, Consultation, ConsultationOption
from resilience.participation.services import addressed_to, manages
from resilience.participation.vocab_consultations import (ConsultationState, Majority, NoDecision,
                                                          VoterUnit)

VOTING_AGE = 18
ORDER = ("-opens_at", "-id")


# --- who sees what ------------------------------------------------------------------------------


def readable_consultations(user, now=None):
    """The consultations ``user`` may see: staff and the office every state in their scope;
    residents and grid workers those of their community, grid or building that have opened."""
    now = now or timezone.now()
    opened = Q(opens_at__isnull=False, opens_at__lte=now) | Q(closed_at__isnull=False)
    return addressed_to(Consultation, user, opened, ORDER)


def open_for(user, now=None) -> list[Consultation]:
    """The consultations ``user`` may see that are open for voting now (for the resident portal),
    each with ``may_vote`` and ``voted`` set for this user."""
    now = now or timezone.now()
    items = []
    for consultation in readable_consultations(user, now).filter(
            opens_at__lte=now, closes_at__gt=now, closed_at__isnull=True)[:20]:
        consultation.may_vote = bool(voting_units(user, consultation))
        consultation.voted = consultation.may_vote and has_voted(user, consultation)
        items.append(consultation)
    return items


def may_see_results(user, consultation: Consultation) -> bool:
    """Counted results: staff who may change it at once; everyone who may see it once published."""
    if consultation.result is None:
        return False
    if consultation.published:
        return readable_consultations(user).filter(pk=consultation.pk).exists()
    return can(user, "change", consultation) or (
        manages(user) and can(user, "view", consultation))


# --- eligibility --------------------------------------------------------------------------------


def _households_in_scope(consultation: Consultation):
    from resilience.people.models import Household

    households = Household.objects.filter(community=consultation.community_id)
    if consultation.building_id:
        return households.filter(building=consultation.building_id)
    if consultation.grid_id:
        return households.filter(building__grid=consultation.grid_id)
    return households


def _adult_born_before(consultation: Consultation) -> dt.date:
    opened = consultation.opens_at
    day = timezone.localdate(opened) if opened else timezone.localdate()
    try:
        return day.replace(year=day.year - VOTING_AGE)
    except ValueError:  # 29 February
        return day.replace(year=day.year - VOTING_AGE, day=28)


def _adult_residents_in_scope(consultation: Consultation):
    from resilience.people.models import Resident

    residents = Resident.objects.filter(household__in=_households_in_scope(consultation),
                                        user__isnull=False,
                                        birth_date__lte=_adult_born_before(consultation))
    return residents


def eligible_voters(consultation: Consultation):
    """The households (with an account holder) or adult residents (with an account) who vote."""
    if consultation.voter_unit == VoterUnit.RESIDENT:
        return _adult_residents_in_scope(consultation)
    return _households_in_scope(consultation).filter(
        memberships__role=Role.RESIDENT).distinct()


def count_eligible(consultation: Consultation) -> int:
    return eligible_voters(consultation).count()


def voting_units(user, consultation: Consultation) -> list:
    """The households or the resident ``user`` may vote for in this consultation."""
    if not user.is_authenticated:
        return []
    if consultation.voter_unit == VoterUnit.RESIDENT:
        return list(_adult_residents_in_scope(consultation).filter(user=user))
    return list(_households_in_scope(consultation).filter(
        memberships__role=Role.RESIDENT, memberships__user=user).distinct().order_by("pk"))


def _voted_q(units: list) -> Q:
    if not units:
        return Q(pk__in=[])
    field = "resident" if type(units[0]).__name__ == "Resident" else "household"
    return Q(**{f"{field}__in": [u.pk for u in units]})


def has_voted(user, consultation: Consultation) -> bool:
    """Whether every unit ``user`` votes for has voted (False if they vote for none)."""
    units = voting_units(user, consultation)
    return bool(units) and consultation.ballots.filter(_voted_q(units)).count() >= len(units)


# --- opening ------------------------------------------------------------------------------------


def _freeze_electorate(locked: Consultation, now) -> None:
    if locked.eligible_count is None and locked.opens_at is not None and locked.opens_at <= now:
        locked.eligible_count = count_eligible(locked)
        locked.eligible_counted_at = now
        locked.save(update_fields=["eligible_count", "eligible_counted_at", "updated"])


def _copy(target: Consultation, source: Consultation) -> Consultation:
    for field in Consultation._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))
    return target


def open_now(consultation: Consultation, user, now=None) -> Consultation:
    """Open a draft or scheduled consultation at once (staff only); freezes the electorate."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Consultation.objects.select_for_update().get(pk=consultation.pk)
        if not can(user, "change", locked):
            raise PermissionDenied(_("You may not open this consultation."))
        if locked.has_opened(now):
            raise ValidationError({"opens_at": _("It is already open.")})
        if locked.closes_at <= now:
            raise ValidationError({"closes_at": _("Its closing time has passed: set a later "
                                                  "one first.")})
        if locked.options.count() < 2:
            raise ValidationError({"options": _("Give at least two options.")})
        locked.opens_at = now
        locked.save(update_fields=["opens_at", "updated"])
        _freeze_electorate(locked, now)
    return _copy(consultation, locked)


def check_options(options: list[dict]) -> list[dict]:
    """``[{"label": …, "abstain": bool}]`` trimmed, or a ValidationError on ``options``."""
    cleaned = [{"label": str(o.get("label") or "").strip(), "abstain": bool(o.get("abstain"))}
               for o in options]
    cleaned = [o for o in cleaned if o["label"]]
    if sum(1 for o in cleaned if not o["abstain"]) < 2:
        raise ValidationError({"options": _("Give at least two options that are not "
                                            "abstentions.")})
    if len({o["label"] for o in cleaned}) != len(cleaned):
        raise ValidationError({"options": _("Two options have the same text.")})
    if any(len(o["label"]) > 200 for o in cleaned):
        raise ValidationError({"options": _("An option is longer than 200 characters.")})
    return cleaned


def write_options(consultation: Consultation, options: list[dict]) -> list[ConsultationOption]:
    """Replace the options; the caller has checked that voting has not started (the model's
    ``clean`` refuses to edit an opened consultation) and the options (``check_options``)."""
    consultation.options.all().delete()
    return ConsultationOption.objects.bulk_create(
        ConsultationOption(consultation=consultation, label=o["label"],
                           abstain=bool(o.get("abstain")), order=i)
        for i, o in enumerate(options))


def set_options(consultation: Consultation, options: list[dict]) -> list[ConsultationOption]:
    """Replace the options of a consultation that has not opened yet."""
    cleaned = check_options(options)
    with transaction.atomic():
        locked = Consultation.objects.select_for_update().get(pk=consultation.pk)
        if locked.has_opened():
            raise ValidationError({"options": _("Voting has started: the options can no longer "
                                                "be changed.")})
        return write_options(locked, cleaned)


# --- voting -------------------------------------------------------------------------------------


def cast_vote(consultation: Consultation, user, option_ids, now=None) -> Ballot:
    """Record one vote of ``user`` for the first household or resident they vote for that has
    not voted yet. The consultation row is locked while the vote is written, so a vote cannot
    slip in after the count; the unique constraint refuses a second ballot whatever happens."""
    now = now or timezone.now()
    try:
        ids = sorted({int(i) for i in option_ids})
    except (TypeError, ValueError):
        raise ValidationError({"options": _("Options are given by their numbers.")})
    if not ids:
        raise ValidationError({"options": _("Choose an option.")})
    try:
        with transaction.atomic():
            locked = Consultation.objects.select_for_update().get(pk=consultation.pk)
            state = locked.state(now)
            if state in (ConsultationState.DRAFT, ConsultationState.SCHEDULED):
                raise ValidationError({"options": _("Voting has not opened yet.")})
            if state != ConsultationState.OPEN:
                raise ValidationError({"options": _("Voting has closed.")})
            if not readable_consultations(user, now).filter(pk=locked.pk).exists():
                raise ValidationError({"options": _("You are not eligible to vote here.")})
            units = voting_units(user, locked)
            if not units:
                raise ValidationError({"options": _(
                    "You are not eligible to vote here: only account holders of households in "
                    "its area vote.") if locked.voter_unit == VoterUnit.HOUSEHOLD else _(
                    "You are not eligible to vote here: only residents aged 18 or more of its "
                    "area with an account vote.")})
            options = list(locked.options.filter(pk__in=ids))
            if len(options) != len(ids):
                raise ValidationError({"options": _("An option does not belong to this "
                                                    "consultation.")})
            if len(ids) > locked.max_choices:
                raise ValidationError({"options": _("Choose at most %(n)d options.") % {
                    "n": locked.max_choices}})
            if len(ids) > 1 and any(o.abstain for o in options):
                raise ValidationError({"options": _("An abstention cannot be combined with other "
                                                    "options.")})
            voted = set(locked.ballots.filter(_voted_q(units)).values_list(
                "resident_id" if locked.voter_unit == VoterUnit.RESIDENT else "household_id",
                flat=True))
            unit = next((u for u in units if u.pk not in voted), None)
            if unit is None:
                raise ValidationError({"options": _("Your household has already voted.")
                                       if locked.voter_unit == VoterUnit.HOUSEHOLD
                                       else _("You have already voted.")})
            _freeze_electorate(locked, now)
            field = "resident" if locked.voter_unit == VoterUnit.RESIDENT else "household"
            ballot = Ballot.objects.create(consultation=locked, voter=user, cast_at=now,
                                           **{field: unit})
            # The counter is the only record of a secret choice.
            ConsultationOption.objects.filter(pk__in=ids).update(votes=F("votes") + 1)
            if not locked.secret:
                BallotChoice.objects.bulk_create(BallotChoice(ballot=ballot, option=o)
                                                 for o in options)
    except IntegrityError:
        raise ValidationError({"options": _("This vote has already been cast.")})
    return ballot


# --- closing and counting -----------------------------------------------------------------------


def tally(consultation: Consultation) -> dict:
    """The result of a consultation from its counters and ballots (does not save it)."""
    options = list(consultation.options.order_by("order", "pk"))
    ballots = consultation.ballots.count()
    eligible = consultation.eligible_count
    if eligible is None:
        eligible = count_eligible(consultation)
    quorum_met = ballots * 100 >= consultation.quorum_percent * eligible and (
        eligible > 0 or consultation.quorum_percent == 0)
    decisive = [o for o in options if not o.abstain]
    base = (sum(o.votes for o in decisive) if consultation.max_choices == 1
            else ballots - sum(o.votes for o in options if o.abstain))
    ranked = sorted(decisive, key=lambda o: -o.votes)
    winner, reason = None, None
    if not quorum_met:
        reason = NoDecision.QUORUM
    elif base <= 0 or not ranked or ranked[0].votes == 0:
        reason = NoDecision.NO_VOTES
    elif len(ranked) > 1 and ranked[0].votes == ranked[1].votes:
        reason = NoDecision.TIE
    elif consultation.majority == Majority.TWO_THIRDS and ranked[0].votes * 3 < base * 2:
        reason = NoDecision.TWO_THIRDS
    elif (consultation.majority == Majority.SIMPLE and len(decisive) == 2
          and ranked[0].votes * 2 <= base):
        reason = NoDecision.TIE  # yes/no: more than half of the votes for either
    else:
        winner = ranked[0]
    return {
        "eligible": eligible,
        "ballots": ballots,
        "turnout_percent": round(100 * ballots / eligible, 1) if eligible else 0.0,
        "quorum_percent": consultation.quorum_percent,
        "quorum_met": quorum_met,
        "majority": consultation.majority,
        "base": max(base, 0),
        "options": [{"id": o.pk, "label": o.label, "abstain": o.abstain, "votes": o.votes,
                     "percent": round(100 * o.votes / ballots, 1) if ballots else 0.0}
                    for o in options],
        "decided": winner is not None,
        "winner": winner.pk if winner else None,
        "winner_label": winner.label if winner else "",
        "reason": reason or "",
    }


def close(consultation: Consultation, user=None, *, reason: str = "", now=None) -> Consultation:
    """Count the votes and write the result, once. Staff close at or after ``closes_at``, or
    earlier with a reason; ``user=None`` is the worker closing a consultation that has ended."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    with transaction.atomic():
        locked = Consultation.objects.select_for_update().get(pk=consultation.pk)
        if user is not None and not can(user, "change", locked):
            raise PermissionDenied(_("You may not close this consultation."))
        if locked.closed_at is not None:
            raise ValidationError({"closes_at": _("It has already been closed and counted.")})
        if not locked.has_opened(now):
            raise ValidationError({"opens_at": _("It has not opened yet: it cannot be closed.")})
        early = locked.closes_at > now
        if early and user is None:
            raise ValidationError({"closes_at": _("Voting is still open.")})
        if early and not reason:
            raise ValidationError({"reason": _("Give the reason for closing before the closing "
                                               "time.")})
        _freeze_electorate(locked, now)
        locked.result = tally(locked)
        locked.closed_at, locked.closed_by, locked.close_reason = now, user, reason
        locked.save(update_fields=["result", "closed_at", "closed_by", "close_reason", "updated"])
    return _copy(consultation, locked)


def publish(consultation: Consultation, user, now=None) -> Consultation:
    """Show the counted result to everyone who sees the consultation."""
    with transaction.atomic():
        locked = Consultation.objects.select_for_update().get(pk=consultation.pk)
        if not can(user, "change", locked):
            raise PermissionDenied(_("You may not publish these results."))
        if locked.result is None:
            raise ValidationError({"published": _("Close and count the votes first.")})
        if not locked.published:
            locked.published, locked.published_at = True, now or timezone.now()
            locked.save(update_fields=["published", "published_at", "updated"])
    return _copy(consultation, locked)


def close_ended(now=None) -> dict[str, int]:
    """The worker's tick: freeze the electorate of consultations that opened, and count those
    whose closing time has passed. Each one in its own transaction."""
    now = now or timezone.now()
    opened = 0
    for pk in Consultation.objects.filter(opens_at__lte=now, eligible_count__isnull=True,
                                          closed_at__isnull=True).values_list("pk", flat=True):
        with transaction.atomic():
            locked = Consultation.objects.select_for_update().get(pk=pk)
            if locked.eligible_count is None:
                _freeze_electorate(locked, now)
                opened += 1
    closed = 0
    for consultation in Consultation.objects.filter(closes_at__lte=now, opens_at__isnull=False,
                                                    closed_at__isnull=True):
        try:
            close(consultation, None, now=now)
            closed += 1
        except ValidationError:  # closed by someone else meanwhile
            pass
    return {"opened": opened, "closed": closed}


def close_if_ended(consultation: Consultation, now=None) -> Consultation:
    """Count a consultation whose time has passed when someone looks at it before the worker."""
    now = now or timezone.now()
    if consultation.state(now) == ConsultationState.ENDED:
        try:
            close(consultation, None, now=now)
        except ValidationError:
            consultation.refresh_from_db()
    return consultation


def reason_text(code: str) -> str:
    """The words for a ``NoDecision`` code stored in a result."""
    return str(NoDecision(code).label) if code in NoDecision.values else ""
