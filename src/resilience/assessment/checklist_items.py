"""How the items of the demonstration-community self-evaluation (``checklist.ITEMS``) are
judged from the platform's data.

An item with a ``judge`` is judged from the data: the judge returns the share of the item's
points earned (0–1), a reason and the pages that show the evidence. An item without one is
``manual``: staff attest it with a note. The figures a judge needs are read once per evaluation
through ``Context``.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from django.db.models import Count, Q
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from resilience.assessment.stress.common import VULNERABLE_HOUSEHOLDS_PER_HELPER_DAY

YEAR = dt.timedelta(days=365)
# Planning targets of the data-judged items (ours; the criteria ask for the thing, not a number):
SHELTER_SHARE_TARGET = 0.2          # shelter places for a fifth of the residents
DRILLS_PER_YEAR = 2
DRILL_PARTICIPATION_TARGET = 30.0   # per cent of the households a drill is for
NOTICES_PER_YEAR = 4
LESSON_REACH_TARGET = 0.1           # residents completing a safety lesson in a year
VOLUNTEERS_PER_1000 = 10
ORGANISATIONS_TARGET = 2
# A risk type of a major or high risk source → the plan scenario that answers it.
SCENARIO_OF_RISK = {
    "fire": "high_rise_fire", "ebike_fire": "high_rise_fire", "electrical": "high_rise_fire",
    "flood": "flood", "garage_flood": "flood", "typhoon": "flood", "gas": "gas_leak",
    "hazmat": "gas_leak", "structure": "earthquake", "geological": "earthquake",
    "epidemic": "epidemic_lockdown", "heat": "heat_wave",
}


@dataclass
class Judgement:
    """What a judge found: the share of the points earned, why, and where to see it."""

    share: float
    reason: str
    evidence: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class Item:
    """One criterion: ``basic`` conditions must all be met; scored elements earn ``points``."""

    code: str
    group: str
    text: str
    how: str
    points: int = 0
    basic: bool = False
    judge: Callable[["Context"], Judgement] | None = None

    @property
    def kind(self) -> str:
        return "data" if self.judge else "manual"


class Context:
    """The community and time being judged, with the shared figures read once."""

    def __init__(self, community, at: dt.datetime):
        self.community = community
        self.at = at
        self.on = at.date()
        self.year_ago = at - YEAR

    def link(self, label: str, name: str, *args, query: bool = True) -> dict:
        """``{"label", "url"}`` of a page, filtered to the community (list pages)."""
        try:
            url = reverse(name, args=args)
        except NoReverseMatch:  # an app without its pages (never in a full install)
            return {"label": label, "url": ""}
        return {"label": label, "url": f"{url}?community={self.community.pk}" if query else url}

    def plans_link(self) -> dict:
        return self.link(_("Emergency plans"), "response:plan_list")

    def objects(self, rows, limit: int = 3) -> list[dict]:
        return [{"label": str(obj), "url": obj.get_absolute_url()} for obj in rows[:limit]]

    @cached_property
    def residents(self) -> int:
        return self.community.residents.count()

    @cached_property
    def plans(self) -> list:
        from resilience.response.models import Plan
        from resilience.response.vocab import PlanStatus

        return list(Plan.objects.filter(community=self.community, status=PlanStatus.ACTIVE)
                    .annotate(n_levels=Count("levels", distinct=True),
                              n_tasks=Count("tasks", distinct=True),
                              n_roles=Count("roles", distinct=True)).order_by("scenario"))

    @cached_property
    def plan_roles(self) -> set[str]:
        from resilience.response.models import PlanRole

        return set(PlanRole.objects.filter(plan__in=[p.pk for p in self.plans])
                   .values_list("role", flat=True))

    @cached_property
    def drills(self) -> list:
        from resilience.participation.models import Drill
        from resilience.participation.vocab_learning import DrillStatus

        return list(Drill.objects.filter(community=self.community, status=DrillStatus.DONE,
                                         planned_at__gt=self.year_ago, planned_at__lte=self.at)
                    .order_by("-planned_at"))

    @cached_property
    def risks(self) -> list:
        from resilience.risks.models import RiskSource

        return list(RiskSource.objects.filter(community=self.community, active=True)
                    .annotate(n_sensors=Count("sensors", filter=Q(sensors__active=True))))


def _share(part: float, whole: float) -> float:
    return max(0.0, min(1.0, part / whole)) if whole else 0.0


# -- basic conditions -------------------------------------------------------------------------

def no_major_accident(ctx: Context) -> Judgement:
    from resilience.response.models import Incident

    since = ctx.at - 3 * YEAR
    major = Incident.objects.filter(community=ctx.community, created__gt=since,
                                    created__lte=ctx.at).filter(
        Q(level__in=[1, 2]) | Q(injured__gte=10))
    found = list(major.order_by("-created")[:3])
    if found:
        return Judgement(0, _("%(n)s incident(s) at response level I/II or with 10+ injured in "
                              "the last 3 years.") % {"n": major.count()},
                         ctx.objects(found) + [ctx.link(_("Incidents"), "response:incident_list")])
    return Judgement(1, _("No incident at response level I or II, and none with 10 or more "
                          "injured, in the last 3 years."),
                     [ctx.link(_("Incidents"), "response:incident_list")])


def plan_and_drills(ctx: Context) -> Judgement:
    evidence = ctx.objects(ctx.plans) + ctx.objects(ctx.drills, 1) + [
        ctx.link(_("Emergency plans"), "response:plan_list"),
        ctx.link(_("Drills"), "participation:drill_list")]
    if ctx.plans and ctx.drills:
        return Judgement(1, _("%(plans)s plan(s) in force; %(drills)s drill(s) held in the last "
                              "12 months.") % {"plans": len(ctx.plans), "drills": len(ctx.drills)},
                         evidence)
    if not ctx.plans and not ctx.drills:
        reason = _("No emergency plan is in force and no drill was held in the last 12 months.")
    elif not ctx.plans:
        reason = _("No emergency plan is in force.")
    else:
        reason = _("No drill was held in the last 12 months.")
    return Judgement(0, reason, evidence)


def information_officer(ctx: Context) -> Judgement:
    from resilience.response.models import PlanRole

    roles = PlanRole.objects.filter(plan__in=[p.pk for p in ctx.plans], role="communication")
    plans = [p for p in ctx.plans if any(r.plan_id == p.pk for r in roles)]
    if plans:
        return Judgement(1, _("The plan in force names who holds the communication role "
                              "(disaster information officer)."),
                         ctx.objects(plans) + [ctx.plans_link()])
    return Judgement(0, _("No plan in force names a holder of the communication role."),
                     [ctx.link(_("Emergency plans"), "response:plan_list")])


# -- organisation and management --------------------------------------------------------------

def command(ctx: Context) -> Judgement:
    from resilience.response.vocab import CommandRole

    have = [str(CommandRole(r).label) for r in ("commander", "deputy") if r in ctx.plan_roles]
    return Judgement(len(have) / 2, _("Named in the plans in force: %(roles)s.")
                     % {"roles": ", ".join(have) or _("nobody")},
                     ctx.objects(ctx.plans) + [ctx.plans_link()])


def grid_coverage(ctx: Context) -> Judgement:
    from resilience.core.roles import Role
    from resilience.people.models.memberships import current_q

    grids = ctx.community.grids.annotate(workers=Count(
        "memberships", filter=Q(memberships__role=Role.GRID_WORKER) & current_q("memberships__")))
    total = len(grids)
    covered = sum(1 for g in grids if g.workers)
    return Judgement(_share(covered, total), _("%(c)s of %(t)s grids have a grid worker.")
                     % {"c": covered, "t": total},
                     [ctx.link(_("Grids"), "places:grid_list"),
                      ctx.link(_("Staff and roles"), "people:membership_list")])


# -- risk assessment --------------------------------------------------------------------------

def risk_register(ctx: Context) -> Judgement:
    half_year = ctx.at - dt.timedelta(days=182)
    graded = sum(1 for r in ctx.risks if r.assessed_at and r.assessed_at > half_year)
    return Judgement(_share(graded, len(ctx.risks)),
                     _("%(g)s of %(t)s active risk sources graded in the last 6 months.")
                     % {"g": graded, "t": len(ctx.risks)},
                     [ctx.link(_("Risk register"), "risks:risksource_list")])


def risk_map(ctx: Context) -> Judgement:
    located = sum(1 for r in ctx.risks if r.geometry or r.latitude is not None
                  or r.building_id or r.facility_id)
    return Judgement(_share(located, len(ctx.risks)),
                     _("%(l)s of %(t)s active risk sources are on the four-colour map.")
                     % {"l": located, "t": len(ctx.risks)},
                     [ctx.link(_("Four-colour risk map"), "risks:map")])


def vulnerable_list(ctx: Context) -> Judgement:
    from resilience.assessment.stress.common import helpers
    from resilience.people.models import Resident

    households = (Resident.objects.filter(community=ctx.community).exclude(tag_index="")
                  .values("household").distinct().count())
    found = helpers(ctx.community)["total"]
    needed = -(-households // VULNERABLE_HOUSEHOLDS_PER_HELPER_DAY)
    evidence = [ctx.link(_("Residents"), "people:resident_list"),
                ctx.link(_("Volunteers"), "people:volunteer_list")]
    if not households:
        return Judgement(0, _("No vulnerable resident is recorded."), evidence)
    return Judgement(_share(found, needed),
                     ngettext("%(h)s household with vulnerable residents; %(f)s helpers for the "
                              "%(n)s needed (one per %(per)s households).",
                              "%(h)s households with vulnerable residents; %(f)s helpers for the "
                              "%(n)s needed (one per %(per)s households).", households)
                     % {"h": households, "f": found, "n": needed,
                        "per": VULNERABLE_HOUSEHOLDS_PER_HELPER_DAY}, evidence)


def hazards_rectified(ctx: Context) -> Judgement:
    from resilience.risks.models import Hazard

    due = list(Hazard.objects.filter(community=ctx.community, deadline__gt=ctx.on - YEAR,
                                     deadline__lte=ctx.on)
               .values_list("deadline", "rectified_at"))
    on_time = sum(1 for deadline, done in due
                  if done is not None and done.date() <= deadline)
    evidence = [ctx.link(_("Hazards"), "risks:hazard_list")]
    if not due:
        return Judgement(1, _("No hazard came due in the last 12 months."), evidence)
    return Judgement(_share(on_time, len(due)),
                     _("%(o)s of %(d)s hazards due in the last 12 months were rectified on time.")
                     % {"o": on_time, "d": len(due)}, evidence)


def monitoring(ctx: Context) -> Judgement:
    serious = [r for r in ctx.risks if r.grade in ("major", "high")]
    watched = sum(1 for r in serious if r.n_sensors)
    evidence = [ctx.link(_("Sensors"), "monitoring:sensor_list")]
    if not ctx.risks:
        return Judgement(0, _("No risk source is recorded."),
                         evidence + [ctx.link(_("Risk register"), "risks:risksource_list")])
    if not serious:
        return Judgement(1, _("No major or high risk source to monitor."), evidence)
    return Judgement(_share(watched, len(serious)),
                     _("%(w)s of %(t)s major or high risk sources have an active sensor.")
                     % {"w": watched, "t": len(serious)}, evidence)


# -- emergency plans --------------------------------------------------------------------------

def plans_cover_risks(ctx: Context) -> Judgement:
    wanted = {SCENARIO_OF_RISK[r.risk_type] for r in ctx.risks
              if r.grade in ("major", "high") and r.risk_type in SCENARIO_OF_RISK}
    have = {p.scenario for p in ctx.plans}
    evidence = ctx.objects(ctx.plans) + [ctx.link(_("Emergency plans"), "response:plan_list"),
                                         ctx.link(_("Risk register"), "risks:risksource_list")]
    if not wanted:
        return Judgement(1 if have else 0,
                         _("No major or high risk source; %(n)s plan(s) in force.")
                         % {"n": len(ctx.plans)}, evidence)
    missing = sorted(wanted - have)
    return Judgement(_share(len(wanted & have), len(wanted)),
                     _("Plans in force cover %(c)s of %(t)s scenarios of the major and high "
                       "risks; missing: %(m)s.") % {"c": len(wanted & have), "t": len(wanted),
                                                    "m": ", ".join(missing) or "—"}, evidence)


def plans_reviewed(ctx: Context) -> Judgement:
    reviewed = [p for p in ctx.plans if p.reviewed_on and p.reviewed_on > ctx.on - YEAR]
    return Judgement(_share(len(reviewed), len(ctx.plans)),
                     _("%(r)s of %(t)s plans in force reviewed in the last 12 months.")
                     % {"r": len(reviewed), "t": len(ctx.plans)},
                     [ctx.link(_("Emergency plans"), "response:plan_list")])


def plans_complete(ctx: Context) -> Judgement:
    whole = [p for p in ctx.plans if p.n_levels and p.n_tasks and p.n_roles]
    return Judgement(_share(len(whole), len(ctx.plans)),
                     _("%(w)s of %(t)s plans in force have activation levels, tasks and named "
                       "roles.") % {"w": len(whole), "t": len(ctx.plans)},
                     ctx.objects(ctx.plans) + [ctx.plans_link()])


def warning(ctx: Context) -> Judgement:
    from resilience.alerts.models import Alert

    issued = Alert.objects.filter(community=ctx.community, issued_at__gt=ctx.year_ago,
                                  issued_at__lte=ctx.at).order_by("-issued_at")
    found = list(issued[:2])
    return Judgement(1 if found else 0,
                     _("%(n)s alert(s), exercises included, issued in the last 12 months.")
                     % {"n": issued.count()},
                     ctx.objects(found) + [ctx.link(_("Alerts"), "alerts:alert_list")])


# -- drills -----------------------------------------------------------------------------------

def drills_held(ctx: Context) -> Judgement:
    return Judgement(_share(len(ctx.drills), DRILLS_PER_YEAR),
                     ngettext("%(n)s drill held in the last 12 months (%(t)s wanted).",
                              "%(n)s drills held in the last 12 months (%(t)s wanted).",
                              len(ctx.drills)) % {"n": len(ctx.drills), "t": DRILLS_PER_YEAR},
                     ctx.objects(ctx.drills) + [ctx.link(_("Drills"), "participation:drill_list")])


def drill_participation(ctx: Context) -> Judgement:
    from resilience.participation.drills import participation_rate

    best = max((participation_rate(d)["rate"] for d in ctx.drills), default=0.0)
    return Judgement(_share(best, DRILL_PARTICIPATION_TARGET),
                     _("Best drill participation in the last 12 months: %(r)s%% of households "
                       "(%(t)s%% wanted).") % {"r": best, "t": DRILL_PARTICIPATION_TARGET},
                     ctx.objects(ctx.drills) + [ctx.link(_("Drills"), "participation:drill_list")])


def drill_lessons(ctx: Context) -> Judgement:
    reviewed = [d for d in ctx.drills if d.lessons_learned.strip()]
    return Judgement(_share(len(reviewed), len(ctx.drills)),
                     _("%(r)s of %(t)s drills of the last 12 months have lessons learned "
                       "recorded.") % {"r": len(reviewed), "t": len(ctx.drills)},
                     ctx.objects(reviewed) + [ctx.link(_("Drills"), "participation:drill_list")])


# -- shelters ---------------------------------------------------------------------------------

def shelter_places(ctx: Context) -> Judgement:
    from resilience.assessment.stress.common import shelters

    places = sum(s.free for s in shelters(ctx.community))
    wanted = ctx.residents * SHELTER_SHARE_TARGET
    return Judgement(_share(places, wanted),
                     _("%(p)s shelter places for %(r)s residents (%(w)s wanted).")
                     % {"p": places, "r": ctx.residents, "w": round(wanted)},
                     [ctx.link(_("Shelters"), "shelters:shelter_list")])


def shelter_equipment(ctx: Context) -> Judgement:
    from resilience.places.models import Facility
    from resilience.shelters.models import Shelter

    features = ("has_water", "has_toilets", "has_power", "has_medical", "is_accessible")
    rows = list(Shelter.objects.filter(facility__community=ctx.community,
                                       facility__status=Facility.Status.IN_SERVICE)
                .values_list(*features))
    have = sum(sum(1 for f in row if f) for row in rows)
    return Judgement(_share(have, len(rows) * len(features)),
                     _("%(n)s shelters in service have %(h)s of %(t)s of water, toilets, power, a "
                       "medical point and step-free access.")
                     % {"n": len(rows), "h": have, "t": len(rows) * len(features)},
                     [ctx.link(_("Shelters"), "shelters:shelter_list")])


def evacuation_plan(ctx: Context) -> Judgement:
    from resilience.shelters.models import EvacuationPlan

    stored = EvacuationPlan.objects.filter(community=ctx.community).first()
    evidence = [ctx.link(_("Evacuation plan"), "shelters:evacuation_detail", ctx.community.pk,
                         query=False)]
    if stored is None:
        return Judgement(0, _("No evacuation plan has been computed."), evidence)
    people = stored.result.get("people") or 0
    placed = stored.result.get("placed") or 0
    return Judgement(_share(placed, people), _("The evacuation plan places %(p)s of %(n)s "
                                               "residents.") % {"p": placed, "n": people},
                     evidence)


# -- supplies ---------------------------------------------------------------------------------

@dataclass
class _Reserve:
    rows: list
    days: float | None


def _reserve(ctx: Context) -> _Reserve:
    cached = getattr(ctx, "_reserve_cache", None)
    if cached is None:
        from resilience.relief.norms import autonomy, community_days

        rows = autonomy(ctx.community, on=ctx.on)
        cached = ctx._reserve_cache = _Reserve(rows, community_days(rows))
    return cached


def supply_days(ctx: Context) -> Judgement:
    reserve = _reserve(ctx)
    targets = [r["target_days"] for r in reserve.rows if r["target_days"]]
    target = min(targets) if targets else 3
    days = float(reserve.days) if reserve.days is not None else 0.0
    return Judgement(_share(days, target),
                     _("The reserve lasts %(d)s days (%(t)s wanted).") % {"d": days, "t": target},
                     [ctx.link(_("Days of autonomy"), "relief:autonomy")])


def supply_norms(ctx: Context) -> Judgement:
    normed = [r for r in _reserve(ctx).rows if r["norm"] is not None]
    stocked = [r for r in normed if not r["shortfall"]]
    return Judgement(_share(len(stocked), len(normed)),
                     _("%(s)s of %(n)s categories with a norm are stocked to it.")
                     % {"s": len(stocked), "n": len(normed)},
                     [ctx.link(_("Reserve norms"), "relief:reservenorm_list"),
                      ctx.link(_("Stock"), "relief:stock_list")])


def equipment(ctx: Context) -> Judgement:
    from resilience.places.models import Facility

    kinds = ("fire_equipment", "hydrant", "aed")
    have = set(Facility.objects.filter(community=ctx.community, kind__in=kinds,
                                       status=Facility.Status.IN_SERVICE)
               .values_list("kind", flat=True))
    return Judgement(len(have) / len(kinds),
                     _("In service: %(have)s of fire equipment, hydrants and an AED.")
                     % {"have": len(have)}, [ctx.link(_("Facilities"), "places:facility_list")])


# -- publicity, education and participation ---------------------------------------------------

def notices(ctx: Context) -> Judgement:
    from resilience.participation.models import Notice

    n = Notice.objects.filter(community=ctx.community, publish_at__gt=ctx.year_ago,
                              publish_at__lte=ctx.at).count()
    return Judgement(_share(n, NOTICES_PER_YEAR),
                     _("%(n)s notices published in the last 12 months (%(t)s wanted).")
                     % {"n": n, "t": NOTICES_PER_YEAR},
                     [ctx.link(_("Notices"), "participation:notice_list")])


def education(ctx: Context) -> Judgement:
    from resilience.participation.models import LessonCompletion

    done = (LessonCompletion.objects.filter(completed_at__gt=ctx.year_ago, completed_at__lte=ctx.at,
                                            passed=True)
            .filter(Q(community=ctx.community) | Q(resident__community=ctx.community))
            .values_list("resident", "user").distinct().count())
    wanted = ctx.residents * LESSON_REACH_TARGET
    return Judgement(_share(done, wanted),
                     _("%(d)s people passed a safety lesson in the last 12 months (%(w)s "
                       "wanted).") % {"d": done, "w": round(wanted)},
                     [ctx.link(_("Lesson assignments"), "participation:lessonassignment_list")])


def volunteers(ctx: Context) -> Judgement:
    n = ctx.community.volunteers.filter(active=True).count()
    rate = 1000 * n / ctx.residents if ctx.residents else 0.0
    return Judgement(_share(rate, VOLUNTEERS_PER_1000),
                     _("%(n)s active volunteers: %(r)s per 1,000 residents (%(t)s wanted).")
                     % {"n": n, "r": round(rate, 1), "t": VOLUNTEERS_PER_1000},
                     [ctx.link(_("Volunteers"), "people:volunteer_list")])


def consultations(ctx: Context) -> Judgement:
    from resilience.participation.models import Consultation, Report

    held = Consultation.objects.filter(community=ctx.community, closes_at__gt=ctx.year_ago,
                                       opens_at__lte=ctx.at).count()
    reports = Report.objects.filter(community=ctx.community, created__gt=ctx.year_ago,
                                    created__lte=ctx.at).count()
    return Judgement((0.5 if held else 0) + (0.5 if reports else 0),
                     _("In the last 12 months: %(c)s consultation(s), %(r)s resident report(s).")
                     % {"c": held, "r": reports},
                     [ctx.link(_("Consultations"), "participation:consultation_list"),
                      ctx.link(_("Resident reports"), "participation:report_list")])


def organisations(ctx: Context) -> Judgement:
    n = ctx.community.organisations.filter(
        kind__in=("social", "volunteer_team", "enterprise")).count()
    return Judgement(_share(n, ORGANISATIONS_TARGET),
                     _("%(n)s social organisations, volunteer teams or enterprises registered "
                       "(%(t)s wanted).") % {"n": n, "t": ORGANISATIONS_TARGET},
                     [ctx.link(_("Organisations"), "people:organisation_list")])
