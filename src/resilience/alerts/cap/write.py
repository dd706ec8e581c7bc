"""Write one of our alerts as CAP 1.2: ``alert_to_cap(alert) -> bytes``.

Two ``<info>`` blocks: zh-CN (the Chinese text) and en-US (the ``_en`` fields, left out when the
alert has no English). Level → severity per DESIGN §2.4 (IV Minor … I Extreme); the level itself
travels as ``<parameter>`` ``level`` = ``"II orange"``. The area is one ``<area>`` with the
alert's target as ``<polygon>``s (CAP rings have no holes: a hole is covered, never left out) and
a ``<circle>`` when the alert was drawn as one.
"""
from __future__ import annotations

import datetime as dt
import re

from django.conf import settings
from django.utils import timezone, translation
from lxml import etree
from lxml.builder import ElementMaker
from shapely.ops import unary_union

from resilience.alerts.cap import CAP_NS
from resilience.alerts.cap.geometry import polygons_of, safe_shape
from resilience.alerts.cap.read import parse_circle
from resilience.alerts.vocab import LEVEL_COLOUR, LEVEL_SEVERITY, EventType, Level, MessageType

E = ElementMaker(namespace=CAP_NS, nsmap={None: CAP_NS})

# Our event types → CAP <category>.
EVENT_CATEGORY = {
    EventType.RAINSTORM: "Met", EventType.FLOOD: "Met", EventType.TYPHOON: "Met",
    EventType.GALE: "Met", EventType.HEAT: "Met", EventType.COLD: "Met", EventType.SNOW: "Met",
    EventType.THUNDER: "Met", EventType.FOG: "Met", EventType.EARTHQUAKE: "Geo",
    EventType.FIRE: "Fire", EventType.GAS: "Safety", EventType.POWER_CUT: "Infra",
    EventType.WATER_CUT: "Infra", EventType.EPIDEMIC: "Health", EventType.HAZMAT: "Env",
    EventType.SECURITY: "Security", EventType.OTHER: "Other",
}
BUILDING_POINT_RADIUS_KM = 0.05  # a building known only by a point: a 50 m circle around it
COORDINATE_DECIMALS = 6  # ~0.1 m
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value: str) -> str:
    """``value`` without the control characters XML 1.0 cannot carry (lxml would refuse them)."""
    return _NOT_XML.sub("", value or "")


def cap_sender(community) -> str:
    """Our CAP ``<sender>`` for a community's alerts (no spaces or commas, as CAP requires)."""
    domain = getattr(settings, "RESILIENCE_CAP_SENDER_DOMAIN", "") or "resilience.local"
    return f"{community.code}@{domain}"


def cap_time(moment: dt.datetime) -> str:
    """CAP's date-time: whole seconds with an explicit offset, in the configured time zone."""
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return timezone.localtime(moment).replace(microsecond=0).isoformat()


def sent_time(alert) -> dt.datetime:
    """When the alert was (or, for a draft, would be) sent."""
    return alert.issued_at or alert.created or timezone.now()


def sender_of(alert) -> str:
    return alert.sender or cap_sender(alert.community)


def cap_reference(alert) -> str:
    """``sender,identifier,sent`` of ``alert``, as CAP ``<references>`` lists it."""
    return f"{sender_of(alert)},{alert.identifier},{cap_time(sent_time(alert))}"


def referenced_chain(alert) -> list:
    """The alerts ``alert`` replaces, oldest first (an update of an update references both)."""
    chain, seen, current = [], {alert.pk}, alert.references
    while current is not None and current.pk not in seen:
        chain.append(current)
        seen.add(current.pk)
        current = current.references
    return chain[::-1]


def level_value(level: int) -> str:
    """``"II orange"``: the Chinese level as CAP ``<parameter>`` value."""
    return f"{Level(level).name} {LEVEL_COLOUR[level]}"


def alert_area(alert) -> tuple[list, list[tuple[float, float, float]]]:
    """The alert's target as (shapely polygons, circles as (lat, lng, km)).

    The whole community → its boundary; otherwise the union of the drawn polygon (unless it only
    approximates ``area_circle``, which is sent as a circle), the grids and the buildings.
    Nothing drawn at all → the community boundary.
    """
    community_shape = safe_shape(alert.community.geometry)
    if alert.whole_community:
        return polygons_of(community_shape), []
    shapes, circles = [], []
    if alert.area_circle:
        try:
            circles.append(parse_circle(alert.area_circle))
        except ValueError:
            pass  # a malformed circle falls back to the polygon stored with it
    if alert.area_geometry and not circles:
        shapes.append(safe_shape(alert.area_geometry))
    for grid in alert.area_grids.all():
        shapes.append(safe_shape(grid.geometry))
    for building in alert.area_buildings.all():
        geom = safe_shape(building.geometry)
        if geom is not None and geom.geom_type == "Point":
            circles.append((geom.y, geom.x, BUILDING_POINT_RADIUS_KM))
        elif geom is not None:
            shapes.append(geom)
        elif building.latitude is not None and building.longitude is not None:
            circles.append((building.latitude, building.longitude, BUILDING_POINT_RADIUS_KM))
    shapes = [s for s in shapes if s is not None]
    if not shapes and not circles:
        return polygons_of(community_shape), []
    return polygons_of(unary_union(shapes)) if shapes else [], circles


def polygon_text(polygon) -> str:
    """CAP ``"lat,lng lat,lng …"``: the exterior ring, closed, rounded to ~0.1 m."""
    points: list[tuple[float, float]] = []
    for lng, lat in polygon.exterior.coords:
        p = (round(lat, COORDINATE_DECIMALS), round(lng, COORDINATE_DECIMALS))
        if not points or points[-1] != p:
            points.append(p)
    if points[0] != points[-1]:
        points.append(points[0])
    if len(points) < 4:  # smaller than the rounding: nothing left to send
        return ""
    return " ".join(f"{_num(lat)},{_num(lng)}" for lat, lng in points)


def _num(value: float) -> str:
    text = f"{value:.{COORDINATE_DECIMALS}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def circle_text(circle: tuple[float, float, float]) -> str:
    lat, lng, km = circle
    return f"{_num(lat)},{_num(lng)} {_num(km)}"


def _info(alert, language: str, headline: str, description: str, instruction: str,
          polygons: list, circles: list) -> etree._Element:
    with translation.override("zh-hans" if language.startswith("zh") else "en"):
        event = (str(EventType(alert.event_type).label) if alert.event_type in EventType.values
                 else alert.event_type or str(EventType.OTHER.label))
    category = EVENT_CATEGORY.get(alert.event_type, "Other")
    info = E.info(E.language(language), E.category(category), E.event(event))
    if alert.msg_type == MessageType.CANCEL:
        info.append(E.responseType("AllClear"))
    info.extend([E.urgency(alert.urgency), E.severity(LEVEL_SEVERITY[alert.level]),
                 E.certainty(alert.certainty)])
    if alert.effective:
        info.append(E.effective(cap_time(alert.effective)))
    if alert.expires:
        info.append(E.expires(cap_time(alert.expires)))
    info.append(E.senderName(xml_text(alert.community.name)))
    if headline:
        info.append(E.headline(xml_text(headline)))
    if description:
        info.append(E.description(xml_text(description)))
    if instruction:
        info.append(E.instruction(xml_text(instruction)))
    if alert.community.phone:
        info.append(E.contact(xml_text(alert.community.phone)))
    info.append(E.parameter(E.valueName("level"), E.value(level_value(alert.level))))
    area = E.area(E.areaDesc(xml_text(alert.area_description or alert.community.name)))
    area.extend(E.polygon(text) for text in map(polygon_text, polygons) if text)
    area.extend(E.circle(circle_text(c)) for c in circles)
    info.append(area)
    return info


def alert_to_cap(alert) -> bytes:
    """The alert as a CAP 1.2 document (UTF-8 bytes), valid against the OASIS schema."""
    doc = E.alert(
        E.identifier(xml_text(alert.identifier)),
        E.sender(xml_text(sender_of(alert))),
        E.sent(cap_time(sent_time(alert))),
        E.status("Exercise" if alert.exercise else "Actual"),
        E.msgType(alert.msg_type),
        E.scope("Public"),
    )
    chain = referenced_chain(alert)
    if chain:
        doc.append(E.references(" ".join(cap_reference(a) for a in chain)))
    polygons, circles = alert_area(alert)
    doc.append(_info(alert, "zh-CN", alert.headline, alert.description, alert.instruction,
                     polygons, circles))
    if alert.headline_en or alert.description_en or alert.instruction_en:
        doc.append(_info(alert, "en-US", alert.headline_en, alert.description_en,
                         alert.instruction_en, polygons, circles))
    return etree.tostring(doc, xml_declaration=True, encoding="UTF-8", pretty_print=True)

