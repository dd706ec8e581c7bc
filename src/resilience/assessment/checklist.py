"""Self-evaluation against the national comprehensive disaster-reduction demonstration community
criteria: basic conditions that must all be met, and scored elements worth 100 points; a
community passes with every basic condition met and at least ``PASS_MARK`` points.

Based on the published assessment criteria for national comprehensive disaster-reduction
demonstration communities (全国综合减灾示范社区); item texts paraphrased (``ITEMS``), grouping
following the criteria's headings, points and numeric targets ours. Not an official text. Items
are judged from the platform's data where it holds the answer (``checklist_items``), with links
to the pages that show it; the rest are manual and count only when staff attest them with a note.
"""
from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as L

from resilience.assessment.checklist_items import (
    Context, Item, command, consultations, drill_lessons, drill_participation, drills_held,
    education, equipment, evacuation_plan, grid_coverage, hazards_rectified, information_officer,
    monitoring, no_major_accident, notices, organisations, plan_and_drills, plans_complete,
    plans_cover_risks, plans_reviewed, risk_map, risk_register, shelter_equipment,
    shelter_places, supply_days, supply_norms, vulnerable_list, volunteers, warning,
)
from resilience.assessment.stress import moment

PASS_MARK = 80
MAX_POINTS = 100
# A scored element counts as met (and leaves the "missing" list) at this share of its points.
MET_SHARE = 0.8
NOTE_MAX = 500

SOURCE = ("Based on the published assessment criteria for national comprehensive "
          "disaster-reduction demonstration communities; item texts paraphrased.")

ITEMS: tuple[Item, ...] = (
    # basic conditions: all must be met
    Item("B1", L("basic conditions"), L("No major disaster-caused accident in the community in "
                                        "the last three years."),
         L("No incident at response level I or II, and none with 10 or more injured, opened in "
           "the last 3 years."), basic=True, judge=no_major_accident),
    Item("B2", L("basic conditions"), L("An emergency plan suited to the community, exercised "
                                        "by regular drills."),
         L("At least one plan in force and one drill done in the last 12 months."),
         basic=True, judge=plan_and_drills),
    Item("B3", L("basic conditions"), L("A disaster information officer is appointed."),
         L("A plan in force names who holds the communication role."),
         basic=True, judge=information_officer),
    Item("B4", L("basic conditions"), L("Residents' satisfaction with the community's disaster "
                                        "reduction work is above 70%."),
         L("Attested by staff from a residents' survey."), basic=True),
    # organisation and management: 10
    Item("O1", L("organisation and management"), L("A disaster-reduction leading group with "
                                                   "clear responsibilities."),
         L("The plans in force name a commander and a deputy (half the points each)."),
         points=3, judge=command),
    Item("O2", L("organisation and management"), L("Grid management covers the whole "
                                                   "community."),
         L("Share of grids with a grid worker in post."), points=3, judge=grid_coverage),
    Item("O3", L("organisation and management"), L("Fixed funding for disaster reduction and "
                                                   "complete work records."),
         L("Attested by staff."), points=2),
    Item("O4", L("organisation and management"), L("Joint working with neighbouring "
                                                   "communities, units and rescue services."),
         L("Attested by staff."), points=2),
    # risk assessment: 15
    Item("R1", L("risk assessment"), L("A register of the community's risks, assessed "
                                       "regularly."),
         L("Share of active risk sources graded in the last 6 months."), points=4,
         judge=risk_register),
    Item("R2", L("risk assessment"), L("A disaster risk map of the community."),
         L("Share of active risk sources placed on the four-colour map."), points=2,
         judge=risk_map),
    Item("R3", L("risk assessment"), L("A list of vulnerable residents, each with help "
                                       "arranged."),
         L("Vulnerable residents recorded, and helpers (volunteers, grid workers) for them at "
           "one per 5 households: share of the helpers needed."), points=4,
         judge=vulnerable_list),
    Item("R4", L("risk assessment"), L("Hidden hazards are found and rectified in time."),
         L("Share of hazards due in the last 12 months rectified by their deadline (full "
           "points when none came due)."), points=3, judge=hazards_rectified),
    Item("R5", L("risk assessment"), L("The main risk sources are monitored."),
         L("Share of major and high risk sources with an active sensor (full points when the "
           "register has none; none when there is no register)."), points=2,
         judge=monitoring),
    # emergency plans: 15
    Item("P1", L("emergency plans"), L("Emergency plans cover the community's main risks."),
         L("Share of the scenarios of major and high risk sources with a plan in force."),
         points=5, judge=plans_cover_risks),
    Item("P2", L("emergency plans"), L("Plans are kept up to date."),
         L("Share of plans in force reviewed in the last 12 months."), points=4,
         judge=plans_reviewed),
    Item("P3", L("emergency plans"), L("Plans say who does what and when."),
         L("Share of plans in force with activation levels, tasks and named roles."), points=3,
         judge=plans_complete),
    Item("P4", L("emergency plans"), L("Residents can be warned in time."),
         L("An alert (exercises count) issued to the community in the last 12 months."),
         points=3, judge=warning),
    # drills: 10
    Item("D1", L("drills"), L("Drills are held regularly."),
         L("Drills done in the last 12 months, two for full points."), points=5,
         judge=drills_held),
    Item("D2", L("drills"), L("Residents take part in drills."),
         L("Best household participation of a drill in the last 12 months, 30% for full "
           "points."), points=3, judge=drill_participation),
    Item("D3", L("drills"), L("Drills are reviewed and improved."),
         L("Share of the year's drills with lessons learned recorded."), points=2,
         judge=drill_lessons),
    # emergency shelters: 15
    Item("S1", L("emergency shelters"), L("Enough emergency shelter places."),
         L("Free shelter places for a fifth of the residents for full points."), points=5,
         judge=shelter_places),
    Item("S2", L("emergency shelters"), L("Shelters are equipped for their use."),
         L("Share of water, toilets, power, a medical point and step-free access over the "
           "shelters in service."), points=4, judge=shelter_equipment),
    Item("S3", L("emergency shelters"), L("Evacuation routes to the shelters are planned."),
         L("Share of residents placed by the stored evacuation plan."), points=3,
         judge=evacuation_plan),
    Item("S4", L("emergency shelters"), L("Shelters and evacuation routes are signposted and "
                                          "known to residents."),
         L("Attested by staff."), points=3),
    # resources and supplies: 10
    Item("M1", L("resources and supplies"), L("A reserve of emergency supplies."),
         L("Days of autonomy of the reserve against the norms' target days."), points=4,
         judge=supply_days),
    Item("M2", L("resources and supplies"), L("Supplies meet the reserve norms."),
         L("Share of the categories with a norm that are stocked to it."), points=3,
         judge=supply_norms),
    Item("M3", L("resources and supplies"), L("Fire-fighting and rescue equipment in "
                                              "service."),
         L("Fire equipment, hydrants and an AED in service (a third each)."), points=3,
         judge=equipment),
    # publicity and education: 10
    Item("E1", L("publicity and education"), L("Regular risk communication to residents."),
         L("Notices published in the last 12 months, four for full points."), points=3,
         judge=notices),
    Item("E2", L("publicity and education"), L("Safety education reaches residents."),
         L("People passing a safety lesson in the last 12 months, a tenth of the residents "
           "for full points."), points=4, judge=education),
    Item("E3", L("publicity and education"), L("Activities on Disaster Prevention and "
                                               "Reduction Day (12 May) and in Safety Month."),
         L("Attested by staff."), points=3),
    # residents' participation: 10
    Item("V1", L("residents' participation"), L("A volunteer team for disaster reduction."),
         L("Active volunteers per 1,000 residents, ten for full points."), points=4,
         judge=volunteers),
    Item("V2", L("residents' participation"), L("Residents take part in decisions and report "
                                                "risks."),
         L("A consultation and resident reports in the last 12 months (half each)."),
         points=3, judge=consultations),
    Item("V3", L("residents' participation"), L("Social organisations and enterprises take "
                                                "part."),
         L("Social organisations, volunteer teams or enterprises registered, two for full "
           "points."), points=3, judge=organisations),
    # characteristic practices: 5
    Item("X1", L("characteristic practices"), L("A distinctive practice of the community's own "
                                                "(a mutual-aid scheme, smart monitoring, a "
                                                "model others adopted…)."),
         L("Attested by staff."), points=5),
)


assert sum(i.points for i in ITEMS) == MAX_POINTS, "the scored elements must total 100 points"


def items() -> list[Item]:
    """The criteria, basic conditions first."""
    return list(ITEMS)


def manual_codes() -> list[str]:
    return [i.code for i in ITEMS if i.judge is None]


def clean_attestations(attestations: dict | None) -> dict[str, str]:
    """``{code: note}`` for manual items, notes trimmed; ``ValidationError({"attestations": …})``
    for an unknown code, a data-judged item or a note that is not text."""
    if attestations in (None, ""):
        return {}
    if not isinstance(attestations, dict):
        raise ValidationError({"attestations": _("Give the attestations as an object of item "
                                                 "code → note.")})
    known = {i.code: i for i in ITEMS}
    problems, cleaned = [], {}
    for code, note in attestations.items():
        item = known.get(code)
        if item is None:
            problems.append(_("%(code)s is not an item of the checklist.") % {"code": code})
        elif item.judge is not None:
            problems.append(_("%(code)s is judged from the platform's data and cannot be "
                              "attested.") % {"code": code})
        elif not isinstance(note, str):
            problems.append(_("The note of %(code)s must be text.") % {"code": code})
        elif len(note.strip()) > NOTE_MAX:
            problems.append(_("The note of %(code)s is longer than %(n)s characters.")
                            % {"code": code, "n": NOTE_MAX})
        elif note.strip():
            cleaned[code] = note.strip()
    if problems:
        raise ValidationError({"attestations": problems})
    return cleaned


def evaluate(community, attestations: dict[str, str] | None = None, *,
             at: dt.datetime | None = None) -> dict:
    """Judge every item for ``community`` at ``at`` (default now).

    Returns ``{"basic": [item…], "scored": [item…], "total", "max": 100, "passed",
    "missing": [codes], "source"}``; each item is ``{"code", "group", "text", "how", "kind":
    "data"|"manual", "points_max", "points", "met", "evidence": [{"label", "url"}], "reason"}``
    (``points_max`` and ``points`` are 0 for basic conditions). ``attestations`` (``{code: note}``)
    count only for manual items: an attested manual item is met with full points. ``missing``
    names the unmet basic conditions and the scored elements below ``MET_SHARE`` of their
    points. Pure: the caller checks permissions and stores the result (``SelfEvaluation``).
    """
    notes = clean_attestations(attestations)
    ctx = Context(community, moment(at))
    basic, scored = [], []
    for item in ITEMS:
        row = _judge(item, ctx, notes)
        (basic if item.basic else scored).append(row)
    total = round(sum(r["points"] for r in scored), 1)
    basics_met = all(r["met"] for r in basic)
    return {
        "basic": basic,
        "scored": scored,
        "total": total,
        "max": MAX_POINTS,
        "passed": basics_met and total >= PASS_MARK,
        "missing": [r["code"] for r in basic + scored if not r["met"]],
        "source": SOURCE,
    }


def _judge(item: Item, ctx: Context, notes: dict[str, str]) -> dict:
    row = {"code": item.code, "group": str(item.group), "text": str(item.text),
           "how": str(item.how), "kind": item.kind, "points_max": item.points}
    if item.judge is None:
        note = notes.get(item.code)
        share = 1.0 if note else 0.0
        evidence: list[dict] = []
        reason = note or _("Not attested yet: staff confirm it with a note.")
    else:
        found = item.judge(ctx)
        share, evidence, reason = max(0.0, min(1.0, found.share)), found.evidence, found.reason
    points = round(item.points * share, 1)
    row.update(points=points,
               met=share >= 1.0 if item.basic else share >= MET_SHARE,
               evidence=evidence, reason=str(reason))
    return row
