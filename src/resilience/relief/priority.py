"""The priority of a needs request: a pure function of what is asked, for whom, since when.

``score(inputs)`` adds five parts, each bounded, so the total is bounded by ``MAX_SCORE``:

- **need** — the urgency the requester or a worker chose (critical ≫ high ≫ normal ≫ low), plus
  what is asked: a medical visit by its reason (emergency > dialysis > chemotherapy > pregnancy
  > other), else the kind (medicine > care > food > psychological > other > pet care);
- **vulnerability** — the person's tags (dialysis, oxygen, bedridden…), capped;
- **waiting** — one point a whole hour waited (capped), and three an hour (counted by half
  hours) once past the service-time target, so a forgotten request climbs fast;
- **medicine** — the fewer days of supply left, the more points;
- **concentration** — one point per similar open request in the same building (capped), so a
  volunteer's trip serves several.

Every part is monotone in its input, which the property tests check: more urgent, more
vulnerable, longer waiting never ranks lower, all else equal. ``parts()`` keeps each
contribution (stored in ``NeedRequest.priority_reasons``); ``explain()`` turns them into the
sentence shown in lists, in the reader's language.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from resilience.people.vocab import HEALTH_TAGS, Vulnerability
from resilience.relief.vocab import NeedKind, Urgency, VisitReason

URGENCY_POINTS = {Urgency.LOW: 0, Urgency.NORMAL: 15, Urgency.HIGH: 35, Urgency.CRITICAL: 60}
VISIT_POINTS = {VisitReason.EMERGENCY: 50, VisitReason.DIALYSIS: 40,
                VisitReason.CHEMOTHERAPY: 35, VisitReason.PREGNANCY: 30, VisitReason.OTHER: 20}
KIND_POINTS = {NeedKind.MEDICINE: 15, NeedKind.CARE: 12, NeedKind.FOOD: 10,
               NeedKind.PSYCHOLOGICAL: 8, NeedKind.OTHER: 4, NeedKind.PET_CARE: 3,
               NeedKind.MEDICAL_VISIT: 20}
TAG_POINTS = {
    Vulnerability.DIALYSIS: 15, Vulnerability.OXYGEN: 15, Vulnerability.BEDRIDDEN: 12,
    Vulnerability.MEDICAL_DEVICE: 10, Vulnerability.ELDERLY_ALONE: 10,
    Vulnerability.PREGNANT: 10, Vulnerability.INFANT: 10, Vulnerability.DISABLED: 8,
    Vulnerability.ELDERLY: 6, Vulnerability.CHRONIC_ILLNESS: 6, Vulnerability.MENTAL_HEALTH: 5,
    Vulnerability.LEFT_BEHIND_CHILD: 5, Vulnerability.LOW_INCOME: 3,
    Vulnerability.LANGUAGE_BARRIER: 3,
}
VULNERABILITY_CAP = 40
WAIT_CAP = 30          # points for plain waiting (one an hour)
OVERDUE_RATE = 3       # points an hour past the target
OVERDUE_CAP = 60
MEDICINE_CAP = 20      # points when the supply has run out
MEDICINE_STEP = 4      # points lost per day of supply left
CONCENTRATION_CAP = 10
MAX_SCORE = (max(URGENCY_POINTS.values()) + max(VISIT_POINTS.values()) + VULNERABILITY_CAP
             + WAIT_CAP + OVERDUE_CAP + MEDICINE_CAP + CONCENTRATION_CAP)


@dataclass(frozen=True)
class Inputs:
    """What the priority of one request depends on (all plain values, no database)."""

    kind: str
    urgency: int = Urgency.NORMAL
    visit_reason: str = ""
    tags: frozenset = field(default_factory=frozenset)
    waited_hours: float = 0.0
    overdue_hours: float = 0.0
    days_left: float | None = None
    similar: int = 0  # other open requests of the same kind in the same building


def _need_points(inputs: Inputs) -> tuple[str, str, int]:
    if inputs.kind == NeedKind.MEDICAL_VISIT and inputs.visit_reason in VISIT_POINTS:
        return "visit", inputs.visit_reason, VISIT_POINTS[inputs.visit_reason]
    return "kind", inputs.kind, KIND_POINTS.get(inputs.kind, 0)


def _tag_parts(tags) -> list[dict]:
    """Points per tag, largest first, the last one cut so the sum stays under the cap."""
    parts, left = [], VULNERABILITY_CAP
    for tag in sorted((t for t in tags if t in TAG_POINTS), key=lambda t: (-TAG_POINTS[t], t)):
        points = min(TAG_POINTS[tag], left)
        if points <= 0:
            break
        parts.append({"key": "tag", "value": str(tag), "points": points})
        left -= points
    return parts


def parts(inputs: Inputs) -> list[dict]:
    """Each contribution as ``{"key", "value", "points"}``; zero parts are left out."""
    urgency = int(inputs.urgency)
    out = [{"key": "urgency", "value": urgency, "points": URGENCY_POINTS.get(urgency, 0)}]
    key, value, points = _need_points(inputs)
    out.append({"key": key, "value": str(value), "points": points})
    out += _tag_parts(inputs.tags)
    # Whole hours waited, half hours overdue: the parts change a few times an hour at most, so
    # the periodic recompute rewrites only the requests whose priority really moved.
    waited = math.floor(max(0.0, float(inputs.waited_hours)))
    out.append({"key": "wait", "value": waited, "points": min(WAIT_CAP, waited)})
    overdue = math.floor(2 * max(0.0, float(inputs.overdue_hours))) / 2
    if overdue > 0:
        out.append({"key": "overdue", "value": overdue,
                    "points": min(OVERDUE_CAP, OVERDUE_RATE * overdue)})
    if inputs.days_left is not None:
        days = max(0.0, float(inputs.days_left))
        out.append({"key": "medicine", "value": round(days, 1),
                    "points": max(0.0, round(MEDICINE_CAP - MEDICINE_STEP * days, 1))})
    similar = max(0, int(inputs.similar))
    out.append({"key": "similar", "value": similar, "points": min(CONCENTRATION_CAP, similar)})
    return [p for p in out if p["points"]]


def score(inputs: Inputs) -> float:
    """The priority, between 0 and ``MAX_SCORE``; higher is served first."""
    return total(parts(inputs))


def total(computed: list[dict]) -> float:
    """The priority from already computed ``parts``."""
    return round(float(sum(p["points"] for p in computed)), 1)


def reasons(inputs: Inputs, building: str = "") -> dict:
    """What ``NeedRequest.priority_reasons`` stores: the parts, the building's name (for the
    sentence) and the tags (so the periodic recompute need not decrypt the resident)."""
    return {"parts": parts(inputs), "building": building, "tags": sorted(inputs.tags)}


def _label(part: dict, building: str) -> str:
    key, value = part["key"], part["value"]
    if key == "urgency":
        return _("urgency: %(level)s") % {"level": Urgency(value).label}
    if key == "visit":
        return _("%(reason)s visit") % {"reason": VisitReason(value).label}
    if key == "kind":
        return str(NeedKind(value).label) if value in NeedKind.values else str(value)
    if key == "tag":
        label = Vulnerability(value).label if value in Vulnerability.values else value
        return _("resident: %(tag)s") % {"tag": label}
    if key == "health":
        return _("resident: health need")
    if key == "wait":
        return _("waiting %(hours)s h") % {"hours": f"{value:g}"}
    if key == "overdue":
        return _("overdue by %(hours)s h") % {"hours": f"{value:g}"}
    if key == "medicine":
        return _("medicine left for %(days)s days") % {"days": f"{value:g}"}
    if key == "similar":
        if building:
            return _("%(count)d similar in %(building)s") % {"count": value, "building": building}
        return _("%(count)d similar in the building") % {"count": value}
    return str(key)


def explain(stored: dict | list | None, *, health: bool = True) -> str:
    """The sentence of a stored ``priority_reasons``, e.g. "dialysis visit (+40), resident:
    dialysis (+15), waiting 6 h (+6), 4 similar in Building 3 (+4)". With ``health=False`` (a
    reader who may not see residents' health data) health conditions add up under one
    "resident: health need" part."""
    if not stored:
        return ""
    items = stored.get("parts", []) if isinstance(stored, dict) else stored
    building = stored.get("building", "") if isinstance(stored, dict) else ""
    if not health:
        hidden = [p for p in items if p["key"] == "tag" and p["value"] in HEALTH_TAGS]
        items = [p for p in items if p not in hidden]
        if hidden:
            items.append({"key": "health", "value": "", "points": sum(p["points"] for p in hidden)})
    return ", ".join(f"{_label(p, building)} (+{p['points']:g})" for p in items)
