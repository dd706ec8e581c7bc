"""The standard datasets of the data exchange (version ``v1``), each declared in one place.

A dataset names its fields (``exchange.fields.Field``: type, classification, meaning) and a
``rows(user)`` function that reads the rows the user may see (``visible_to``) and returns one
dict per row with a value for **every** declared field, personal ones included — the export
(``exchange.export``) is the single gate that keeps only what the requested level allows, so
what is withheld is written down rather than forgotten.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from resilience.street.exchange.fields import INTERNAL, PERSONAL, PUBLIC, Field

VERSION = "v1"


@dataclass(frozen=True)
class Dataset:
    name: str
    title: object
    description: str
    fields: tuple[Field, ...]
    rows: Callable[..., Iterable[dict]]
    cap: bool = False  # also offered as CAP 1.2 in an Atom feed

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]


def F(name, type_, classification, description) -> Field:  # noqa: N802 - a table, read as one
    return Field(name, type_, classification, description)


# --- communities -----------------------------------------------------------------------------

COMMUNITY_FIELDS = (
    F("code", "string", PUBLIC, "Community code, unique on the platform."),
    F("name", "string", PUBLIC, "Name of the community (residents' committee)."),
    F("region_code", "string", PUBLIC, "Code of its street (sub-district)."),
    F("region_name", "string", PUBLIC, "Name of its street."),
    F("address", "string", PUBLIC, "Address of the committee office."),
    F("phone", "string", PUBLIC, "Office phone of the committee (an organisation's number)."),
    F("latitude", "number", PUBLIC, "WGS-84 latitude of its centre."),
    F("longitude", "number", PUBLIC, "WGS-84 longitude of its centre."),
    F("geometry", "geojson", PUBLIC, "Boundary as a GeoJSON Polygon or MultiPolygon (WGS-84)."),
    F("id", "integer", INTERNAL, "Platform id (stable, for reconciling with the API)."),
    F("updated", "date-time", INTERNAL, "When the record last changed."),
)


def community_rows(user, level: str = PUBLIC) -> Iterable[dict]:
    from resilience.places.models import Community

    for c in Community.objects.visible_to(user, "view").select_related("region").order_by("code"):
        yield {"code": c.code, "name": c.name, "region_code": c.region.code,
               "region_name": c.region.name, "address": c.address, "phone": c.phone,
               "latitude": c.latitude, "longitude": c.longitude, "geometry": c.geometry,
               "id": c.pk, "updated": c.updated}


# --- facilities ------------------------------------------------------------------------------

FACILITY_FIELDS = (
    F("community_code", "string", PUBLIC, "Code of the community holding it."),
    F("code", "string", PUBLIC, "Facility code, unique within the community."),
    F("name", "string", PUBLIC, "Name."),
    F("kind", "string", PUBLIC, "Type: shelter, hydrant, power_room, warehouse, aed… "
                                "(places.vocab.FacilityKind)."),
    F("latitude", "number", PUBLIC, "WGS-84 latitude."),
    F("longitude", "number", PUBLIC, "WGS-84 longitude."),
    F("capacity", "integer", PUBLIC, "People for a shelter; places or units otherwise."),
    F("status", "string", INTERNAL, "in_service, out_of_service or under_repair."),
    F("owner", "string", INTERNAL, "Owner organisation's name."),
    F("owner_contact_name", "string", PERSONAL, "Contact person of the owner organisation."),
    F("notes", "string", PERSONAL, "Free-text notes (may name people: never exported)."),
    F("id", "integer", INTERNAL, "Platform id."),
)


def facility_rows(user, level: str = PUBLIC) -> Iterable[dict]:
    from resilience.places.models import Facility

    for f in (Facility.objects.visible_to(user, "view").select_related("community", "owner")
              .order_by("community__code", "code")):
        yield {"community_code": f.community.code, "code": f.code, "name": f.name,
               "kind": f.kind, "latitude": f.latitude, "longitude": f.longitude,
               "capacity": f.capacity, "status": f.status,
               "owner": f.owner.name if f.owner else "",
               "owner_contact_name": f.owner.contact_name if f.owner else "",
               "notes": f.notes, "id": f.pk}


# --- risk sources ----------------------------------------------------------------------------

RISK_FIELDS = (
    F("community_code", "string", PUBLIC, "Code of the community."),
    F("name", "string", PUBLIC, "Name of the risk source."),
    F("risk_type", "string", PUBLIC, "Type (risks.vocab.RiskType)."),
    F("grade", "string", PUBLIC, "major, high, medium or low (empty: not assessed)."),
    F("colour", "string", PUBLIC, "Four-colour map colour of the grade: red, orange, yellow, "
                                  "blue."),
    F("latitude", "number", PUBLIC, "WGS-84 latitude."),
    F("longitude", "number", PUBLIC, "WGS-84 longitude."),
    F("geometry", "geojson", PUBLIC, "Location as GeoJSON (point, line or area)."),
    F("advice", "string", PUBLIC, "What residents should do."),
    F("method", "string", INTERNAL, "Assessment method: matrix or lec."),
    F("score", "number", INTERNAL, "Score of the latest assessment."),
    F("assessed_at", "date-time", INTERNAL, "When it was last assessed."),
    F("controls", "string", INTERNAL, "Controls in place."),
    F("owner", "string", INTERNAL, "Owner organisation's name."),
    F("description", "string", PERSONAL, "Free-text description (may name people: never "
                                         "exported)."),
    F("id", "integer", INTERNAL, "Platform id."),
)


def risk_rows(user, level: str = PUBLIC) -> Iterable[dict]:
    from resilience.risks.models import RiskSource
    from resilience.risks.vocab import GRADE_COLOUR

    for r in (RiskSource.objects.visible_to(user, "view").filter(active=True)
              .select_related("community", "owner").order_by("community__code", "name", "pk")):
        yield {"community_code": r.community.code, "name": r.name, "risk_type": r.risk_type,
               "grade": r.grade, "colour": GRADE_COLOUR.get(r.grade, ""),
               "latitude": r.latitude, "longitude": r.longitude, "geometry": r.geometry,
               "advice": r.advice, "method": r.method, "score": r.score,
               "assessed_at": r.assessed_at, "controls": r.controls,
               "owner": r.owner.name if r.owner else "", "description": r.description,
               "id": r.pk}


# --- shelters --------------------------------------------------------------------------------

SHELTER_FIELDS = (
    F("community_code", "string", PUBLIC, "Code of the community."),
    F("code", "string", PUBLIC, "Facility code of the shelter."),
    F("name", "string", PUBLIC, "Name."),
    F("latitude", "number", PUBLIC, "WGS-84 latitude."),
    F("longitude", "number", PUBLIC, "WGS-84 longitude."),
    F("status", "string", PUBLIC, "closed, open or full."),
    F("places", "integer", PUBLIC, "Places (people it holds) as registered."),
    F("floor_area", "number", PUBLIC, "Floor area in m²."),
    F("effective_capacity", "integer", PUBLIC, "The smaller of places and floor-area capacity "
                                               "(GB 21734, 2 m² per person by default)."),
    F("has_water", "boolean", PUBLIC, "Drinking water."),
    F("has_toilets", "boolean", PUBLIC, "Toilets."),
    F("has_power", "boolean", PUBLIC, "Power."),
    F("has_medical", "boolean", PUBLIC, "Medical point."),
    F("is_accessible", "boolean", PUBLIC, "Step-free access."),
    F("occupancy", "integer", INTERNAL, "People checked in now."),
    F("free_places", "integer", INTERNAL, "Effective capacity minus occupancy."),
    F("notes", "string", PERSONAL, "Free-text notes (never exported)."),
    F("id", "integer", INTERNAL, "Platform id of the shelter profile."),
)


def shelter_rows(user, level: str = PUBLIC) -> Iterable[dict]:
    from django.db.models import Count, Q

    from resilience.shelters.models import Shelter

    for s in (Shelter.objects.visible_to(user, "view")
              .select_related("facility__community")
              .annotate(current=Count("stays", filter=Q(stays__checked_out_at__isnull=True)))
              .order_by("facility__community__code", "facility__code")):
        f = s.facility
        yield {"community_code": f.community.code, "code": f.code, "name": f.name,
               "latitude": f.latitude, "longitude": f.longitude, "status": s.status,
               "places": f.capacity, "floor_area": s.floor_area,
               "effective_capacity": s.effective_capacity, "has_water": s.has_water,
               "has_toilets": s.has_toilets, "has_power": s.has_power,
               "has_medical": s.has_medical, "is_accessible": s.is_accessible,
               "occupancy": s.occupancy, "free_places": s.free_places, "notes": s.notes,
               "id": s.pk}


# --- alerts ----------------------------------------------------------------------------------

ALERT_FIELDS = (
    F("identifier", "string", PUBLIC, "CAP identifier, unique."),
    F("sender", "string", PUBLIC, "CAP sender."),
    F("sent", "date-time", PUBLIC, "When it was issued."),
    F("status", "string", PUBLIC, "CAP status: Actual or Exercise."),
    F("msg_type", "string", PUBLIC, "CAP msgType: Alert, Update or Cancel."),
    F("references", "string", PUBLIC, "Identifier of the alert it updates or cancels."),
    F("community_code", "string", PUBLIC, "Code of the community it was issued for."),
    F("state", "string", PUBLIC, "issued, cancelled or expired."),
    F("level", "integer", PUBLIC, "Chinese warning level: 1 = I red … 4 = IV blue."),
    F("severity", "string", PUBLIC, "CAP severity: Extreme, Severe, Moderate, Minor."),
    F("event_type", "string", PUBLIC, "Event type (alerts.vocab.EventType)."),
    F("urgency", "string", PUBLIC, "CAP urgency."),
    F("certainty", "string", PUBLIC, "CAP certainty."),
    F("headline", "string", PUBLIC, "Headline (Chinese)."),
    F("description", "string", PUBLIC, "Description (Chinese)."),
    F("instruction", "string", PUBLIC, "What to do (Chinese)."),
    F("headline_en", "string", PUBLIC, "Headline (English)."),
    F("effective", "date-time", PUBLIC, "When it takes effect."),
    F("expires", "date-time", PUBLIC, "When it expires."),
    F("area_description", "string", PUBLIC, "Area in words."),
    F("public", "boolean", INTERNAL, "Published in the public CAP feed (only internal exports "
                                     "carry the others)."),
    F("audience", "string", INTERNAL, "everyone, staff or vulnerable."),
    F("source", "string", INTERNAL, "staff, alarm or cap (relayed)."),
    F("upstream_identifier", "string", INTERNAL, "Identifier of the relayed upstream alert."),
    F("created_by", "string", PERSONAL, "User who drafted it (never exported)."),
    F("approved_by", "string", PERSONAL, "User who approved it (never exported)."),
)


def alerts_for(user, level: str):
    """Issued alerts (never drafts) the user may see; only public ones at the public level."""
    from resilience.alerts.models import Alert
    from resilience.alerts.vocab import State

    alerts = (Alert.objects.visible_to(user, "view")
              .filter(issued_at__isnull=False,
                      state__in=[State.ISSUED, State.CANCELLED, State.EXPIRED])
              .select_related("community", "references", "created_by", "approved_by")
              .order_by("-issued_at", "-pk"))
    return alerts.filter(public=True) if level == PUBLIC else alerts


def alert_rows(user, level: str) -> Iterable[dict]:
    from resilience.alerts.vocab import LEVEL_SEVERITY

    for a in alerts_for(user, level):
        yield {"identifier": a.identifier, "sender": a.sender, "sent": a.issued_at,
               "status": "Exercise" if a.exercise else "Actual", "msg_type": a.msg_type,
               "references": a.references.identifier if a.references else "",
               "community_code": a.community.code, "state": a.state, "level": a.level,
               "severity": LEVEL_SEVERITY[a.level], "event_type": a.event_type,
               "urgency": a.urgency, "certainty": a.certainty, "headline": a.headline,
               "description": a.description, "instruction": a.instruction,
               "headline_en": a.headline_en, "effective": a.effective, "expires": a.expires,
               "area_description": a.area_description, "public": a.public,
               "audience": a.audience, "source": a.source,
               "upstream_identifier": a.upstream_identifier,
               "created_by": a.created_by.get_username() if a.created_by else "",
               "approved_by": a.approved_by.get_username() if a.approved_by else ""}


# --- roll-ups --------------------------------------------------------------------------------

def rollup_rows(user, level: str = PUBLIC) -> Iterable[dict]:
    from resilience.street import rollups

    names = [f.name for f in _rollup_fields("community")]
    rows = rollups.suppress(rollups.compute(rollups.communities_for(user)))
    return [{name: row.get(name) for name in names} for row in rows]  # without ids and points


def rollup_grid_rows(user, level: str = PUBLIC) -> Iterable[dict]:
    from resilience.street import rollups

    names = [f.name for f in _rollup_fields("grid")]
    rows = rollups.suppress(rollups.compute_grids(rollups.communities_for(user)))
    return [{name: row.get(name) for name in names} for row in rows]


def _rollup_fields(level: str) -> tuple[Field, ...]:
    from resilience.street.rollup_fields import fields_for

    return tuple(fields_for(level))


DATASETS: dict[str, Dataset] = {d.name: d for d in (
    Dataset("communities", _("Communities"), "The communities: names, street, office, centre "
            "and boundary.", COMMUNITY_FIELDS, community_rows),
    Dataset("facilities", _("Facilities"), "Facilities that matter in an emergency.",
            FACILITY_FIELDS, facility_rows),
    Dataset("risk_sources", _("Risk sources"), "The risk register with grades (four-colour "
            "map); active risk sources only.", RISK_FIELDS, risk_rows),
    Dataset("shelters", _("Shelters"), "Emergency shelters with capacity and amenities.",
            SHELTER_FIELDS, shelter_rows),
    Dataset("alerts", _("Warnings"), "Issued early warnings (never drafts), newest first; also "
            "as CAP 1.2 documents in an Atom feed.", ALERT_FIELDS, alert_rows, cap=True),
    Dataset("rollups", _("Roll-ups per community"), "Counts and rates per community, no personal "
            "data; small counts of vulnerable residents shown as \"<3\".",
            _rollup_fields("community"), rollup_rows),
    Dataset("rollups_grid", _("Roll-ups per grid"), "The same per grid.",
            _rollup_fields("grid"), rollup_grid_rows),
)}


def as_text(value) -> object:
    """A value as JSON carries it: times in ISO 8601, decimals as numbers."""
    from decimal import Decimal

    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value
