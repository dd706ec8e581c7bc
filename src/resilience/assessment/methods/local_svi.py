"""A social vulnerability index of the buildings and grids of one community, from resident data.

The CDC SVI method (:mod:`.percentile`) over the community's own units: for each building (or
grid) the share of its residents with each vulnerability is ranked against the other buildings
of the community, the ranks are summed per theme and overall and ranked again, and shares at or
above the 90th percentile are flagged. It shows where help is needed first.

Only counts leave the database — tags are matched on their keyed tokens (``tag_index``), never
decrypted — and the result holds no personal data: a building with fewer residents than
``min_residents`` is not ranked and its shares are withheld, so that a share cannot point at one
person's health.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from resilience.assessment.methods.percentile import PercentileMethod, percentile_composite
from resilience.assessment.methods.percentile import round_values
from resilience.people.vocab import Vulnerability as V

MIN_RESIDENTS = 5


@dataclass(frozen=True)
class LocalVariable:
    """A share of residents with any of ``tags``."""

    key: str
    label: str
    tags: tuple[str, ...]


THEMES: dict[str, tuple[str, tuple[LocalVariable, ...]]] = {
    "household": (_("household composition and disability"), (
        LocalVariable("elderly_alone", _("elderly living alone"), (V.ELDERLY_ALONE,)),
        LocalVariable("elderly", _("elderly (80+)"), (V.ELDERLY,)),
        LocalVariable("disabled", _("disabled or bedridden"), (V.DISABLED, V.BEDRIDDEN)),
        LocalVariable("infant", _("infants"), (V.INFANT,)),
        LocalVariable("left_behind_child", _("left-behind children"), (V.LEFT_BEHIND_CHILD,)),
    )),
    "socioeconomic": (_("socioeconomic status"), (
        LocalVariable("low_income", _("low income"), (V.LOW_INCOME,)),
    )),
    "language": (_("language"), (
        LocalVariable("language_barrier", _("language barrier"), (V.LANGUAGE_BARRIER,)),
    )),
    "health": (_("health dependence"), (
        LocalVariable("chronic_illness", _("chronic illness"), (V.CHRONIC_ILLNESS,)),
        LocalVariable("device", _("dialysis, home oxygen or a medical device"),
                      (V.DIALYSIS, V.OXYGEN, V.MEDICAL_DEVICE)),
        LocalVariable("mental_health", _("mental health condition"), (V.MENTAL_HEALTH,)),
        LocalVariable("pregnant", _("pregnant"), (V.PREGNANT,)),
    )),
}

METHOD = PercentileMethod(themes={theme: [v.key for v in variables]
                                  for theme, (_label, variables) in THEMES.items()})


def _counts(community, group: str) -> dict[int, dict[str, int]]:
    """Residents per unit (``group`` is the path from Resident to the unit's key) and, for each
    variable, how many of them have any of its tags."""
    from resilience.people.models import Resident
    from resilience.people.models.residents import tag_filter

    annotations = {"total": Count("pk")}
    for _label, variables in THEMES.values():
        for v in variables:
            match = Q()
            for tag in v.tags:
                match |= tag_filter(tag)
            annotations[v.key] = Count("pk", filter=match)
    rows = (Resident.objects.filter(community=community).values(group).annotate(**annotations)
            .order_by())
    return {row[group]: row for row in rows}


def _index(units: list[dict], counts: dict[int, dict], min_residents: int) -> list[dict]:
    keys = METHOD.variables
    ranked = [u for u in units if counts.get(u["id"], {}).get("total", 0) >= min_residents]
    shares = {}
    for key in keys:
        column = np.array([100.0 * counts[u["id"]][key] / counts[u["id"]]["total"]
                           for u in ranked], dtype=float)
        shares[key] = round_values(column, 1)  # percentages to one decimal, as CDC's EP_
    result = percentile_composite(shares, METHOD) if ranked else None
    position = {u["id"]: i for i, u in enumerate(ranked)}
    out = []
    for unit in units:
        residents = counts.get(unit["id"], {}).get("total", 0)
        entry = dict(unit, residents=residents, ranked=unit["id"] in position,
                     shares=None, ranks=None, themes=None, rank=None, flags=None)
        if unit["id"] in position:
            i = position[unit["id"]]
            row = result.row(i)
            entry["shares"] = {k: float(shares[k][i]) for k in keys}
            entry["ranks"] = {k: row[f"rank:{k}"] for k in keys}
            entry["themes"] = {t: {"sum": row[f"sum:{t}"], "rank": row[f"rank:{t}"],
                                   "flags": int(row[f"flags:{t}"])} for t in THEMES}
            entry["rank"] = row["rank"]
            entry["flags"] = int(row["flags"])
        out.append(entry)
    # Most vulnerable first; units not ranked at the end.
    out.sort(key=lambda e: (e["rank"] is None, -(e["rank"] or 0), -(e["flags"] or 0), e["code"]))
    return out


def building_svi(community, min_residents: int = MIN_RESIDENTS) -> list[dict]:
    """The SVI of every building of ``community``, most vulnerable first.

    Each entry: ``id``, ``code``, ``name``, ``grid`` (id), ``residents`` (count), ``ranked``, and
    when ranked the ``shares`` (% of residents) and percentile ``ranks`` per variable, per theme
    ``sum``/``rank``/``flags``, the overall ``rank`` (0–1) and ``flags`` (variables at or above
    the 90th percentile). Buildings with fewer than ``min_residents`` residents are not ranked.
    """
    from resilience.places.models import Building

    units = [{"id": b.pk, "code": b.code, "name": b.name, "grid": b.grid_id}
             for b in Building.objects.filter(community=community).order_by("code")]
    return _index(units, _counts(community, "household__building"), min_residents)


def grid_svi(community, min_residents: int = MIN_RESIDENTS) -> list[dict]:
    """The SVI of every grid of ``community``, ranked against its other grids (as
    ``building_svi``)."""
    from resilience.places.models import Grid

    units = [{"id": g.pk, "code": g.code, "name": g.name}
             for g in Grid.objects.filter(community=community).order_by("code")]
    return _index(units, _counts(community, "household__building__grid"), min_residents)
