"""Read a CAP 1.2 alert: ``parse_cap(data) -> CapAlert``, or ``CapError`` with the reason.

Accepted: one CAP 1.2 ``<alert>`` that is valid against the OASIS schema. Refused, each with a
reason: anything that is not XML, declares a DOCTYPE, or whose root is not a CAP 1.2 ``<alert>``
(CAP 1.1 and 1.0, EDXL-DE envelopes, ``<alerts>`` lists, schemas, Atom/RSS feeds).

XML signatures (``<ds:Signature>``) are *not* verified: a signed alert is read like an unsigned
one and ``CapAlert.signed`` only says that a signature was present. Trust in an upstream comes
from where we fetch it (the configured feed URL over HTTPS), not from the document.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from lxml import etree

from resilience.alerts.cap import ATOM_NS, CAP_10_NAMESPACES, CAP_11_NS, CAP_NS, CapError
from resilience.alerts.cap.safe import parse_xml
from resilience.alerts.cap.schema import first_schema_error

__all__ = ["CapAlert", "CapArea", "CapError", "CapInfo", "CapReference", "parse_cap"]

DSIG_NS = "http://www.w3.org/2000/09/xmldsig#"
EDXL_DE_NS = "urn:oasis:names:tc:emergency:EDXL:DE:1.0"
XSD_NS = "http://www.w3.org/2001/XMLSchema"
_C = "{%s}" % CAP_NS


@dataclass
class CapArea:
    """``<area>``: polygons as closed rings of (lat, lng), circles as (lat, lng, radius km)."""

    area_desc: str
    polygons: list[list[tuple[float, float]]] = field(default_factory=list)
    circles: list[tuple[float, float, float]] = field(default_factory=list)
    geocodes: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class CapInfo:
    """One ``<info>`` block: the alert in one language."""

    language: str
    categories: list[str]
    event: str
    urgency: str
    severity: str
    certainty: str
    effective: dt.datetime | None = None
    onset: dt.datetime | None = None
    expires: dt.datetime | None = None
    sender_name: str = ""
    headline: str = ""
    description: str = ""
    instruction: str = ""
    web: str = ""
    contact: str = ""
    parameters: list[tuple[str, str]] = field(default_factory=list)
    areas: list[CapArea] = field(default_factory=list)


@dataclass(frozen=True)
class CapReference:
    """One entry of ``<references>``: ``sender,identifier,sent``."""

    sender: str
    identifier: str
    sent: str = ""


@dataclass
class CapAlert:
    """A CAP 1.2 ``<alert>``; field names are CAP's in snake case (``msg_type``, ``sender_name``)"""

    identifier: str
    sender: str
    sent: dt.datetime
    status: str
    msg_type: str
    scope: str
    source: str = ""
    note: str = ""
    references: list[CapReference] = field(default_factory=list)
    infos: list[CapInfo] = field(default_factory=list)
    signed: bool = False  # a <ds:Signature> was present; it is not verified
    encoding: str = "UTF-8"

    def info_in(self, language: str) -> CapInfo | None:
        """The first ``<info>`` whose language starts with ``language`` ("zh", "en-US"…)."""
        wanted = language.lower()
        for info in self.infos:
            if info.language.lower().startswith(wanted):
                return info
        return None


def parse_cap(data: bytes) -> CapAlert:
    """The CAP 1.2 alert in ``data``, or ``CapError`` saying why it is refused."""
    root = parse_xml(data)
    _check_root(root)
    error = first_schema_error(root)
    if error:
        raise CapError(_("Not valid CAP 1.2 (OASIS schema): %(error)s") % {"error": error})
    return _alert(root)


def _check_root(root: etree._Element) -> None:
    if not isinstance(root.tag, str):
        raise CapError(_("Not a CAP alert: the document has no root element."))
    qname = etree.QName(root)
    ns, name = qname.namespace or "", qname.localname
    if ns == CAP_NS and name == "alert":
        return
    if ns == CAP_11_NS:
        raise CapError(_("CAP 1.1 is not accepted: only CAP 1.2 (%(ns)s) is. Ask the sender for "
                         "the CAP 1.2 version of this alert.") % {"ns": CAP_NS})
    if ns in CAP_10_NAMESPACES:
        raise CapError(_("CAP 1.0 is not accepted: only CAP 1.2 (%(ns)s) is.") % {"ns": CAP_NS})
    if ns == CAP_NS and name == "alerts":
        raise CapError(_("Not a CAP alert: this is a list of alerts (<alerts>), not one CAP 1.2 "
                         "<alert>; import each alert on its own."))
    if ns == EDXL_DE_NS:
        raise CapError(_("Not a CAP alert: this is an EDXL-DE distribution envelope; import the "
                         "CAP 1.2 <alert> it carries on its own."))
    if ns == XSD_NS:
        raise CapError(_("Not a CAP alert: this is an XML Schema document."))
    if ns == ATOM_NS or name in ("rss", "RDF"):
        raise CapError(_("Not a CAP alert: this is a feed (Atom or RSS); import the CAP alerts it "
                         "links to, or poll it as a feed."))
    if name == "alert":
        raise CapError(_("Not a CAP 1.2 alert: <alert> is in namespace %(found)r, not %(ns)r.")
                       % {"found": ns, "ns": CAP_NS})
    raise CapError(_("Not a CAP alert: the root element is <%(name)s>%(ns)s, not a CAP 1.2 "
                     "<alert>.") % {"name": name, "ns": f" ({ns})" if ns else ""})


def _text(element: etree._Element | None, name: str) -> str:
    if element is None:
        return ""
    child = element.find(_C + name)
    return (child.text or "").strip() if child is not None else ""


def _texts(element: etree._Element, name: str) -> list[str]:
    return [(child.text or "").strip() for child in element.findall(_C + name)]


def _pairs(element: etree._Element, name: str) -> list[tuple[str, str]]:
    return [(_text(child, "valueName"), _text(child, "value"))
            for child in element.findall(_C + name)]


def _time(element: etree._Element, name: str) -> dt.datetime | None:
    value = _text(element, name)
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        raise CapError(_("<%(name)s> is not a date and time: %(value)r") % {
            "name": name, "value": value}) from None
    if moment.tzinfo is None:  # the schema's pattern requires an offset; keep it that way
        raise CapError(_("<%(name)s> has no time-zone offset: %(value)r") % {
            "name": name, "value": value})
    return moment


def _number(token: str, what: str, area: str) -> float:
    try:
        value = float(token)
    except ValueError:
        raise CapError(_("Area %(area)r: %(what)s has a value that is not a number: %(token)r")
                       % {"area": area, "what": what, "token": token}) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise CapError(_("Area %(area)r: %(what)s has a value that is not a number: %(token)r")
                       % {"area": area, "what": what, "token": token})
    return value


def _point(token: str, what: str, area: str) -> tuple[float, float]:
    parts = token.split(",")
    if len(parts) != 2:
        raise CapError(_("Area %(area)r: %(what)s has a point that is not 'lat,lng': %(token)r")
                       % {"area": area, "what": what, "token": token})
    lat, lng = (_number(part, what, area) for part in parts)
    if not (-90 <= lat <= 90 and -180 <= lng <= 180):
        raise CapError(_("Area %(area)r: %(what)s has a point outside latitude −90…90 / longitude "
                         "−180…180: %(token)r") % {"area": area, "what": what, "token": token})
    return lat, lng


def parse_polygon(text: str, area: str = "") -> list[tuple[float, float]]:
    """CAP ``"lat,lng lat,lng …"`` as a closed ring; a ring left open by the sender is closed."""
    ring = [_point(token, "<polygon>", area) for token in text.split()]
    if ring and ring[0] != ring[-1]:
        ring.append(ring[0])
    if len(ring) < 4:
        raise CapError(_("Area %(area)r: a <polygon> needs at least three distinct points, got "
                         "%(text)r") % {"area": area, "text": text[:80]})
    return ring


def parse_circle(text: str, area: str = "") -> tuple[float, float, float]:
    """CAP ``"lat,lng radius"`` (radius in km)."""
    parts = text.split()
    if len(parts) != 2:
        raise CapError(_("Area %(area)r: a <circle> must be 'lat,lng radius_km', got %(text)r")
                       % {"area": area, "text": text[:80]})
    lat, lng = _point(parts[0], "<circle>", area)
    radius = _number(parts[1], "<circle>", area)
    if radius < 0:
        raise CapError(_("Area %(area)r: a <circle> has a negative radius: %(text)r")
                       % {"area": area, "text": text[:80]})
    return lat, lng, radius


def _area(element: etree._Element) -> CapArea:
    desc = _text(element, "areaDesc")
    return CapArea(
        area_desc=desc,
        polygons=[parse_polygon(text, desc) for text in _texts(element, "polygon") if text],
        circles=[parse_circle(text, desc) for text in _texts(element, "circle") if text],
        geocodes=_pairs(element, "geocode"),
    )


def _info(element: etree._Element) -> CapInfo:
    return CapInfo(
        language=_text(element, "language") or "en-US",  # CAP's default
        categories=_texts(element, "category"),
        event=_text(element, "event"),
        urgency=_text(element, "urgency"),
        severity=_text(element, "severity"),
        certainty=_text(element, "certainty"),
        effective=_time(element, "effective"),
        onset=_time(element, "onset"),
        expires=_time(element, "expires"),
        sender_name=_text(element, "senderName"),
        headline=_text(element, "headline"),
        description=_text(element, "description"),
        instruction=_text(element, "instruction"),
        web=_text(element, "web"),
        contact=_text(element, "contact"),
        parameters=_pairs(element, "parameter"),
        areas=[_area(area) for area in element.findall(_C + "area")],
    )


def parse_references(text: str) -> list[CapReference]:
    """``"sender,identifier,sent sender,identifier,sent"``; malformed entries are left out."""
    refs = []
    for token in text.split():
        parts = token.split(",")
        if len(parts) >= 2 and parts[0] and parts[1]:
            refs.append(CapReference(parts[0], parts[1], ",".join(parts[2:])))
    return refs


def _alert(root: etree._Element) -> CapAlert:
    sent = _time(root, "sent")
    if sent is None:  # the schema requires it; an explicit check survives ``python -O``
        raise CapError(_("The alert has no <sent> time."))
    return CapAlert(
        identifier=_text(root, "identifier"),
        sender=_text(root, "sender"),
        sent=sent,
        status=_text(root, "status"),
        msg_type=_text(root, "msgType"),
        scope=_text(root, "scope"),
        source=_text(root, "source"),
        note=_text(root, "note"),
        references=parse_references(_text(root, "references")),
        infos=[_info(info) for info in root.findall(_C + "info")],
        signed=root.find(f".//{{{DSIG_NS}}}Signature") is not None,
        encoding=root.getroottree().docinfo.encoding or "UTF-8",
    )
