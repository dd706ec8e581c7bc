"""Roll-ups: counts and rates per community and per grid, with no personal data.

``compute(communities)`` and ``compute_grids(communities)`` return one dict per community (per
grid) with the columns of ``rollup_fields`` — residents, households, vulnerable residents by
kind, volunteers, grid workers, stock and days of autonomy, shelter places and occupancy, open
alarms, active warnings and their acknowledgement rate, open incidents, hazards overdue, unmet
needs and the latest resilience score. Each section is one grouped query over all the
communities at once, so the number of queries does not grow with the number of communities
(a test holds it constant). ``sections`` picks the parts to compute: the dashboard asks for the
live ones only and never scans the resident register.

Small cells: counts of people with a sensitive attribute (vulnerable residents, by kind and in
total) between 1 and ``min_cell() - 1`` are shown as ``"<3"`` by ``suppress()`` in everything
that leaves the dashboard (the roll-up page, CSV, XLSX, API and data exchange), because in a
small grid "one dialysis patient" points at a person. Zero stays zero, larger counts are exact.
"""
from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Count, DecimalField, F, Min, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from resilience.core.roles import Role
from resilience.core.scope import memberships_of, reached, region_subtree
from resilience.places.models import Community, Grid
from resilience.street.rollup_fields import BY_NAME, SECTIONS, fields_for

ROLLUP_ROLES = (Role.ADMIN, Role.OFFICE, Role.STAFF)
ALL_SECTIONS = tuple(name for name in SECTIONS if name != "identity")
LIVE_SECTIONS = ("shelters", "live", "score")
DEFAULT_MIN_CELL = 3


def min_cell() -> int:
    """Smallest count of people shown exactly (``RESILIENCE_ROLLUP_MIN_CELL``, default 3)."""
    value = int(getattr(settings, "RESILIENCE_ROLLUP_MIN_CELL", DEFAULT_MIN_CELL))
    if value < 1:
        raise ValueError("RESILIENCE_ROLLUP_MIN_CELL must be a whole number of at least 1")
    return value


def communities_for(user):
    """The communities whose roll-ups ``user`` may see: those inside the scope of their office,
    staff or admin memberships (an office sees its region, staff their own community)."""
    return reached(Community.objects.all(), user, "view", roles=ROLLUP_ROLES)


def may_see_rollups(user) -> bool:
    return bool(user and user.is_authenticated and (
        user.is_superuser or any(m.role in ROLLUP_ROLES for m in memberships_of(user))))


# --- helpers ---------------------------------------------------------------------------------

def _grouped(queryset, key: str, **aggregates) -> dict:
    """``{key value: {aggregate: value}}`` from one GROUP BY query."""
    rows = queryset.values(key).annotate(**aggregates).order_by()
    return {row[key]: row for row in rows}


def _rate(part, whole) -> float | None:
    return round(part / whole, 3) if whole else None


def _quantize(value, places: str) -> Decimal:
    # SQLite sums decimals as floats: round back through str to the places shown
    return Decimal(str(value)).quantize(Decimal(places), rounding=ROUND_HALF_UP)


class Keys:
    """The lookup paths of one roll-up level: ``community`` or ``grid``."""

    def __init__(self, level: str):
        self.level = level
        grid = level == "grid"
        self.resident = "household__building__grid_id" if grid else "community_id"
        self.household = "building__grid_id" if grid else "community_id"
        self.volunteer = "home_building__grid_id" if grid else "community_id"
        self.membership = "grid_id" if grid else "community_id"
        self.facility = "grid_id" if grid else "community_id"
        self.alarm = "sensor__grid_id" if grid else "community_id"
        self.recipient = "grid_id" if grid else "alert__community_id"
        self.hazard = "grid_id" if grid else "community_id"
        self.need = "grid_id" if grid else "community_id"


# --- sections --------------------------------------------------------------------------------

def _population(ids, keys: Keys, rows: dict) -> None:
    from resilience.people.models import Household, Resident
    from resilience.people.models.residents import tag_filter
    from resilience.people.vocab import Vulnerability

    residents = Resident.objects.filter(community_id__in=ids)
    totals = _grouped(residents, keys.resident, n=Count("pk"))
    households = _grouped(Household.objects.filter(community_id__in=ids), keys.household,
                          n=Count("pk"))
    # Only tagged residents are tested against the tag tokens (a fraction of the register).
    tagged = _grouped(residents.exclude(tag_index=""), keys.resident, n=Count("pk"), **{
        f"t_{t.value}": Count("pk", filter=tag_filter(t.value)) for t in Vulnerability})
    for key, row in rows.items():
        row["residents"] = totals.get(key, {}).get("n", 0)
        row["households"] = households.get(key, {}).get("n", 0)
        found = tagged.get(key, {})
        row["vulnerable_total"] = found.get("n", 0)
        for t in Vulnerability:
            row[f"vulnerable_{t.value}"] = found.get(f"t_{t.value}", 0)


def _helpers(ids, keys: Keys, rows: dict) -> None:
    from resilience.people.models import Membership, Volunteer
    from resilience.people.models.memberships import current_q

    volunteers = _grouped(Volunteer.objects.filter(community_id__in=ids, active=True),
                          keys.volunteer, n=Count("pk"))
    workers = _grouped(Membership.objects.filter(current_q(), role=Role.GRID_WORKER,
                                                 community_id__in=ids),
                       keys.membership, n=Count("user_id", distinct=True))
    for key, row in rows.items():
        row["volunteers"] = volunteers.get(key, {}).get("n", 0)
        row["grid_workers"] = workers.get(key, {}).get("n", 0)


def _supplies(ids, rows: dict, on: dt.date) -> None:
    """Stock per category in norm units and days of autonomy, as ``relief.norms`` computes
    them for one community, for all at once."""
    from resilience.people.models import Resident
    from resilience.relief.models import ReserveNorm, StockLot
    from resilience.relief.vocab import NormBasis, SupplyCategory

    factor = Coalesce(F("item__per_capita_amount"), Value(Decimal(1)),
                      output_field=DecimalField(max_digits=14, decimal_places=3))
    stock = defaultdict(dict)
    for row in (StockLot.objects.filter(community_id__in=ids, quantity__gt=0)
                .filter(Q(expires_on__isnull=True) | Q(expires_on__gte=on))
                .values("community_id", "item__category")
                .annotate(total=Sum(F("quantity") * factor,
                                    output_field=DecimalField(max_digits=20, decimal_places=6)))
                .order_by()):
        stock[row["community_id"]][row["item__category"]] = Decimal(str(row["total"] or 0))
    defaults, own = {}, defaultdict(dict)
    for norm in ReserveNorm.objects.filter(Q(community__isnull=True) | Q(community_id__in=ids)):
        if norm.community_id is None:
            defaults[norm.category] = norm
        else:
            own[norm.community_id][norm.category] = norm
    need_people = any(row.get("residents") is None for row in rows.values())
    people = (_grouped(Resident.objects.filter(community_id__in=ids), "community_id",
                       n=Count("pk")) if need_people else {})
    for key, row in rows.items():
        residents = row.get("residents")
        if residents is None:
            residents = people.get(key, {}).get("n", 0)
        norms = {**defaults, **own.get(key, {})}
        held = stock.get(key, {})
        days_seen = []
        for category in SupplyCategory:
            amount = held.get(category.value, Decimal(0))
            row[f"stock_{category.value}"] = _quantize(amount, "0.001")
            norm = norms.get(category.value)
            days = None
            if norm is not None and norm.basis == NormBasis.PERSON_DAY and residents:
                days = _quantize(amount / (norm.amount * residents), "0.1")
                days_seen.append(days)
            row[f"days_{category.value}"] = days
        row["days_of_autonomy"] = min(days_seen) if days_seen else None


def _shelters(ids, keys: Keys, rows: dict) -> None:
    from resilience.places.models import Facility
    from resilience.places.vocab import FacilityKind
    from resilience.shelters.models.shelters import ShelterStatus, m2_per_person

    per_person = m2_per_person()
    for row in rows.values():
        row.update(shelters=0, shelter_places=0, shelters_open=0, shelter_occupancy=0)
    shelters = (Facility.objects.filter(community_id__in=ids, kind=FacilityKind.SHELTER)
                .values("pk", keys.facility, "capacity", "shelter__floor_area", "shelter__status")
                .annotate(current=Count("shelter__stays", filter=Q(
                    shelter__stays__checked_out_at__isnull=True)))
                .order_by())
    for s in shelters:
        row = rows.get(s[keys.facility])
        if row is None:
            continue
        known = [s["capacity"]] if s["capacity"] is not None else []
        if s["shelter__floor_area"] is not None:
            known.append(math.floor(s["shelter__floor_area"] / per_person + 1e-9))
        row["shelters"] += 1
        row["shelter_places"] += min(known) if known else 0
        row["shelters_open"] += s["shelter__status"] in (ShelterStatus.OPEN, ShelterStatus.FULL)
        row["shelter_occupancy"] += s["current"]
    for row in rows.values():
        row["shelter_occupancy_rate"] = _rate(row["shelter_occupancy"], row["shelter_places"])


def active_alerts(ids, now: dt.datetime):
    """Issued warnings in force at ``now`` in these communities: not a cancellation, not
    expired, not replaced by an issued update."""
    from resilience.alerts.models import Alert
    from resilience.alerts.vocab import MessageType, State

    return (Alert.objects.filter(community_id__in=ids, state=State.ISSUED)
            .exclude(msg_type=MessageType.CANCEL)
            .filter(Q(expires__isnull=True) | Q(expires__gt=now))
            .exclude(replaced_by__state=State.ISSUED))


def _live(ids, keys: Keys, rows: dict, now: dt.datetime) -> None:
    from resilience.alerts.models import AlertRecipient
    from resilience.alerts.vocab import RecipientKind
    from resilience.monitoring.models import Alarm
    from resilience.relief.models import NeedRequest
    from resilience.relief.vocab import ACTIVE_REQUEST_STATUSES
    from resilience.response.models import Incident
    from resilience.response.vocab import IncidentStatus
    from resilience.risks.hazards import OPEN_STATUSES
    from resilience.risks.models import Hazard

    today = timezone.localdate(now)
    alarms = _grouped(Alarm.objects.filter(community_id__in=ids, status=Alarm.Status.OPEN),
                      keys.alarm, n=Count("pk"), severe=Count("pk", filter=Q(level__lte=2)))
    alerts = active_alerts(ids, now)
    recipients = _grouped(
        AlertRecipient.objects.filter(alert__in=alerts.values("pk"))
        .exclude(kind=RecipientKind.GROUP), keys.recipient,
        alerts=Count("alert_id", distinct=True), total=Count("pk"),
        ack=Count("pk", filter=Q(acknowledged_at__isnull=False)))
    hazards = _grouped(Hazard.objects.filter(community_id__in=ids, status__in=OPEN_STATUSES),
                       keys.hazard, n=Count("pk"), overdue=Count("pk", filter=Q(
                           deadline__lt=today)))
    needs = _grouped(NeedRequest.objects.filter(community_id__in=ids,
                                                status__in=ACTIVE_REQUEST_STATUSES),
                     keys.need, n=Count("pk"), overdue=Count("pk", filter=Q(due_at__lt=now)))
    grid = keys.level == "grid"
    if not grid:
        by_alert = _grouped(alerts, "community_id", n=Count("pk"), top=Min("level"))
        incidents = _grouped(Incident.objects.filter(
            community_id__in=ids, status__in=(IncidentStatus.OPEN, IncidentStatus.ACTIVE)),
            "community_id", n=Count("pk"))
    for key, row in rows.items():
        found = alarms.get(key, {})
        row["open_alarms"], row["open_alarms_severe"] = found.get("n", 0), found.get("severe", 0)
        sent = recipients.get(key, {})
        row["alert_recipients"] = sent.get("total", 0)
        row["alert_acknowledged"] = sent.get("ack", 0)
        row["alert_ack_rate"] = _rate(row["alert_acknowledged"], row["alert_recipients"])
        if grid:
            row["active_alerts"] = sent.get("alerts", 0)  # warnings that reached the grid
        else:
            row["active_alerts"] = by_alert.get(key, {}).get("n", 0)
            row["active_alert_level"] = by_alert.get(key, {}).get("top")
            row["open_incidents"] = incidents.get(key, {}).get("n", 0)
        found = hazards.get(key, {})
        row["hazards_open"], row["hazards_overdue"] = found.get("n", 0), found.get("overdue", 0)
        found = needs.get(key, {})
        row["unmet_needs"], row["unmet_needs_overdue"] = found.get("n", 0), found.get("overdue", 0)


# --- entry points ----------------------------------------------------------------------------

def _centre(geometry) -> tuple[float | None, float | None]:
    from resilience.core.geo import centroid

    try:
        return centroid(geometry) or (None, None)
    except Exception:  # a broken boundary must not take the dashboard down; no point then
        return None, None


def _ids(communities) -> list[int]:
    if hasattr(communities, "values_list"):
        return list(communities.values_list("pk", flat=True))
    return [c.pk for c in communities]


def compute(communities, *, sections=ALL_SECTIONS, now: dt.datetime | None = None) -> list[dict]:
    """One roll-up row per community (ordered by region and name) with the ``sections`` asked
    for; the identity columns and ``community_id`` always."""
    from resilience.assessment.models import AssessmentRun

    now = now or timezone.now()
    ids = _ids(communities)
    queryset = Community.objects.filter(pk__in=ids).select_related("region").order_by(
        "region__code", "name", "pk")
    if "score" in sections:
        latest = AssessmentRun.objects.filter(community_id=OuterRef("pk"), score__isnull=False
                                              ).order_by("-at", "-id")
        queryset = queryset.annotate(score=Subquery(latest.values("score")[:1]),
                                     score_at=Subquery(latest.values("at")[:1]))
    rows: dict[int, dict] = {}
    for c in queryset:
        row = {"community_id": c.pk, "community_code": c.code, "community_name": c.name,
               "region_code": c.region.code, "region_name": c.region.name,
               "latitude": c.latitude, "longitude": c.longitude}
        if c.latitude is None and c.geometry:
            row["latitude"], row["longitude"] = _centre(c.geometry)
        if "score" in sections:
            row["score"] = round(c.score, 1) if c.score is not None else None
            row["score_at"] = c.score_at
        rows[c.pk] = row
    _fill(ids, Keys("community"), rows, sections, now)
    return list(rows.values())


def compute_grids(communities, *, sections=ALL_SECTIONS, now: dt.datetime | None = None
                  ) -> list[dict]:
    """One roll-up row per grid of the communities (the grid-level columns only)."""
    now = now or timezone.now()
    ids = _ids(communities)
    rows: dict[int, dict] = {}
    for g in (Grid.objects.filter(community_id__in=ids).select_related("community__region")
              .order_by("community__region__code", "community__name", "code")):
        c = g.community
        rows[g.pk] = {"grid_id": g.pk, "community_id": c.pk, "community_code": c.code,
                      "community_name": c.name, "region_code": c.region.code,
                      "region_name": c.region.name, "grid_code": g.code, "grid_name": g.name}
    _fill(ids, Keys("grid"), rows, tuple(s for s in sections if s not in ("supplies", "score")),
          now)
    return list(rows.values())


def _fill(ids, keys: Keys, rows: dict, sections, now) -> None:
    if not rows:
        return
    if "population" in sections:
        _population(ids, keys, rows)
    if "helpers" in sections:
        _helpers(ids, keys, rows)
    if "supplies" in sections and keys.level == "community":
        _supplies(ids, rows, timezone.localdate(now))
    if "shelters" in sections:
        _shelters(ids, keys, rows)
    if "live" in sections:
        _live(ids, keys, rows, now)


def suppress(rows: list[dict], threshold: int | None = None) -> list[dict]:
    """Copies of ``rows`` with small counts of people replaced by ``"<threshold>"``."""
    threshold = min_cell() if threshold is None else threshold
    if threshold <= 1:
        return [dict(row) for row in rows]
    marker = f"<{threshold}"
    result = []
    for row in rows:
        row = dict(row)
        for name, value in row.items():
            field = BY_NAME.get(name)
            if field is not None and field.suppressed and isinstance(value, int) \
                    and 0 < value < threshold:
                row[name] = marker
        result.append(row)
    return result


def columns(level: str, sections=ALL_SECTIONS) -> list:
    """The declared fields of ``level`` that ``sections`` fill, in export order."""
    wanted = {f.name for name in ("identity", *sections) for f in SECTIONS.get(name, [])}
    return [f for f in fields_for(level) if f.name in wanted]


def in_region(communities, region):
    """The communities inside ``region`` (a street, district or city) and its sub-regions."""
    return communities.filter(region_id__in=region_subtree(region.pk))


def table(communities, per: str = "community", *, now: dt.datetime | None = None
          ) -> tuple[list[str], list[dict]]:
    """The export of ``per`` (community or grid): the declared column names and the rows,
    small cells suppressed."""
    if per == "grid":
        rows = compute_grids(communities, now=now)
    else:
        rows = compute(communities, now=now)
    return [f.name for f in fields_for(per)], suppress(rows)
