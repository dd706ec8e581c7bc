"""Lockdown for N days: everyone stays home and lives on the community's reserve.

Reads the population, the reserve norms and the usable stock (relief), the vulnerable residents
(tags and mobility), the helpers (active volunteers and grid workers) and, as counts only, the
days of regular medication residents hold (health archive).
"""
from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from resilience.assessment.stress import common as c

KIND = "lockdown"
# Home haemodialysis aside, dialysis is about three sessions a week at a centre (the usual
# schedule); each session is a trip someone must arrange during a lockdown.
DIALYSIS_SESSIONS_PER_WEEK = 3

PARAMETERS = (
    c.Param("days", gettext_lazy("days"), "int", required=True, minimum=1, maximum=90,
            help=gettext_lazy("How long residents must stay home (1–90 days).")),
)


def compute(community, params: dict, at: dt.datetime) -> dict:
    """The lockdown result (see ``assessment.stress`` for the shape)."""
    days = params["days"]
    on = at.date()
    result = c.new_result()
    population = c.residents_by_building(community)
    residents = sum(row["residents"] for row in population.values())
    households = sum(row["households"] for row in population.values())

    norms, built_in = c.norms_in_force(community)
    rows, autonomy = c.supplies(community, c.demands(norms, residents, households), days, on)

    needing = [p for p in c.vulnerable_people(community)
               if p.tags & c.DELIVERY_TAGS or p.mobility in c.HELPED_MOBILITY]
    vulnerable_households = len({p.household for p in needing})
    dialysis = sum(1 for p in needing if "dialysis" in p.tags)
    found = c.helpers(community)

    result.update(
        people_affected=residents,
        vulnerable_needing_help=len(needing),
        helpers_available=found["total"],
        helpers_needed=c.ceil_div(vulnerable_households, c.VULNERABLE_HOUSEHOLDS_PER_HELPER_DAY),
        supplies=rows,
        days_of_autonomy=autonomy,
    )
    short_rows = [r for r in rows if r["short"]]
    result["details"] = {
        "days": days,
        "residents": residents,
        "households": households,
        "vulnerable_households": vulnerable_households,
        "medication_short": c.medication_short(community, days, on),
        "dialysis_residents": dialysis,
        "dialysis_trips": dialysis * -(-days * DIALYSIS_SESSIONS_PER_WEEK // 7),
        "volunteers": found["volunteers"],
        "grid_workers": found["grid_workers"],
        "categories_short": [r["category"] for r in short_rows],
        "limiting_category": min((r for r in rows if r["days"] is not None),
                                 key=lambda r: r["days"], default={}).get("category"),
    }
    result["assumptions"] = [
        str(c.SUPPLY_ASSUMPTION),
        _("Per person per day norms are needed for every day of the lockdown; other norms "
          "(per person, per household, per community) once."),
        _("One helper makes delivery or care visits to %(n)s vulnerable households a day "
          "(a planning figure from 2022 lockdown practice, not a standard).")
        % {"n": c.VULNERABLE_HOUSEHOLDS_PER_HELPER_DAY},
        _("Vulnerable households needing deliveries: a resident tagged elderly, disabled, "
          "bedridden, chronically ill, on a home device or dialysis, with a mental health "
          "condition, pregnant, an infant, low income or a left-behind child, or with a mobility "
          "need in the health archive."),
        _("Medication: residents whose recorded days of a regular medication, counted down from "
          "the day recorded, are fewer than the lockdown days."),
        _("Dialysis: %(n)s sessions a week, each a trip to arrange.")
        % {"n": DIALYSIS_SESSIONS_PER_WEEK},
    ]
    if built_in:
        result["assumptions"].append(_("No reserve norms are installed: the platform's built-in "
                                       "default norms were used."))
    return c.finish(result)
