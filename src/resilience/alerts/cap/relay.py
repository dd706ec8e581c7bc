"""Relay upstream CAP 1.2 alerts to the communities they cover.

``import_cap(data)`` parses the document (refusing it with ``CapError`` and a reason), finds every
community whose boundary intersects the alert's polygons and circles, and creates one relayed
``Alert`` per community: a draft for staff to review, or issued at once with ``auto_issue``.
When the area has no geometry, only administrative-division geocodes (GB/T 2260 codes, as the
China Public Emergency Alert System sends) are matched against our regions; other geocodes
(SAME, EMMA_ID, …) cannot be placed and the reason says so.

Idempotent: one upstream message (sender + identifier) gives at most one alert per community. An
upstream Update or Cancel creates our Update/Cancel referencing the alert we relayed before.
"""
from __future__ import annotations

import hashlib
import json
import re
from urllib.parse import urljoin

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from lxml import etree
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union

from resilience.alerts.cap import ATOM_NS, CAP_NS, CapError
from resilience.alerts.cap.fetch import fetch_url
from resilience.alerts.cap.geometry import cap_area_shape, polygons_of, safe_shape
from resilience.alerts.cap.read import CapAlert, CapInfo, parse_cap
from resilience.alerts.cap.safe import parse_xml
from resilience.alerts.cap.write import cap_sender
from resilience.alerts.models import Alert, AlertEvent
from resilience.alerts.vocab import (
    SEVERITY_LEVEL, Certainty, EventType, Level, MessageType, Source, State, Urgency,
)
from resilience.core.actor import acting_as

WHOLE_COMMUNITY_SHARE = 0.999  # an area covering this much of a boundary covers the community
FEED_MAX_ENTRIES = 200
ADMIN_CODE_NAMES = ("cpeas", "gb/t 2260", "gb/t2260", "gb2260", "行政区划", "administrative")

# Best effort from the upstream event name, headline and category to our event types; the first
# match wins, so specific words come before general ones ("thunderstorm" before "storm").
EVENT_WORDS: list[tuple[EventType, tuple[str, ...]]] = [
    (EventType.TYPHOON, ("typhoon", "hurricane", "cyclone", "tropical storm", "台风", "颱風",
                         "ciclón", "ciclon")),
    (EventType.EARTHQUAKE, ("earthquake", "seism", "tsunami", "地震", "海啸", "sismo")),
    (EventType.THUNDER, ("thunder", "lightning", "雷", "gewitter", "orage", "onweer")),
    (EventType.FLOOD, ("flood", "waterlog", "inundat", "洪", "内涝", "积水", "淹", "水库",
                       "hochwasser", "overstroming", "inondation")),
    (EventType.RAINSTORM, ("rain", "暴雨", "降雨", "大雨", "starkregen", "dauerregen", "pluie",
                           "lluvia", "regen")),
    (EventType.SNOW, ("snow", "blizzard", "freezing rain", "ice", "icy", "雪", "冰", "schnee",
                      "glätte", "glatteis", "neige", "verglas")),
    (EventType.HEAT, ("heat", "高温", "hitze", "canicule", "chaleur", "calor")),
    (EventType.COLD, ("cold", "frost", "寒潮", "低温", "霜冻", "kälte", "froid")),
    (EventType.GALE, ("wind", "gale", "storm", "大风", "sturm", "vent", "viento", "tempête")),
    (EventType.FOG, ("fog", "haze", "smog", "dust", "雾", "霾", "沙尘", "nebel", "brouillard")),
    (EventType.FIRE, ("fire", "bushfire", "wildfire", "grassfire", "火", "incendie", "feu",
                      "brand", "incendio")),
    (EventType.GAS, ("gas leak", "燃气", "煤气")),
    (EventType.POWER_CUT, ("power outage", "power cut", "blackout", "停电")),
    (EventType.WATER_CUT, ("water supply", "停水")),
    (EventType.EPIDEMIC, ("epidemic", "pandemic", "outbreak", "disease", "疫情", "传染")),
    (EventType.HAZMAT, ("hazardous material", "hazmat", "chemical", "toxic", "radiolog",
                        "nuclear", "危化", "泄漏")),
    (EventType.SECURITY, ("police", "terror", "shooting", "civil danger", "治安", "恐怖")),
]
CATEGORY_EVENT = {"Fire": EventType.FIRE, "Health": EventType.EPIDEMIC,
                  "Security": EventType.SECURITY, "CBRNE": EventType.HAZMAT}


def _word_pattern(word: str) -> str:
    # Latin words match at a word start ("rain" not in "terrain"); Chinese has no word breaks.
    return (r"\b" + re.escape(word)) if word.isascii() else re.escape(word)


_EVENT_PATTERNS = [(kind, re.compile("|".join(_word_pattern(w) for w in words), re.I))
                   for kind, words in EVENT_WORDS]


class Relayed(list):
    """The alerts one import created (a list), plus what was already there and why, if nothing."""

    def __init__(self, cap: CapAlert | None = None):
        super().__init__()
        self.cap = cap
        self.already: list[Alert] = []
        self.notes: list[str] = []

    @property
    def reason(self) -> str:
        """Why nothing (more) was relayed, for people; empty when every match was relayed."""
        return " ".join(self.notes)

    def merge(self, other: Relayed) -> None:
        self.extend(other)
        self.already.extend(other.already)
        self.notes.extend(other.notes)


def event_type_of(*texts: str, categories: list[str] | None = None) -> str:
    """Our event type for an upstream event name/headline, best effort, else by category."""
    text = " ".join(t for t in texts if t)
    for kind, pattern in _EVENT_PATTERNS:
        if pattern.search(text):
            return kind
    for category in categories or []:
        if category in CATEGORY_EVENT:
            return CATEGORY_EVENT[category]
    return EventType.OTHER


def admin_prefix(code: str) -> str | None:
    """The significant digits of a Chinese administrative division code (GB/T 2260 and its
    9/12-digit extensions): ``130602000000`` → ``130602``, ``310000`` → ``31``."""
    code = (code or "").strip()
    if not code.isdigit() or len(code) not in (2, 4, 6, 9, 12):
        return None
    code = code.ljust(12, "0")
    for start, end in ((9, 12), (6, 9), (4, 6), (2, 4)):
        if set(code[start:end]) != {"0"}:
            break
        code = code[:start]
    return code if set(code) != {"0"} else None


def _admin_codes(cap: CapAlert) -> set[str]:
    codes = set()
    for info in cap.infos:
        for area in info.areas:
            for name, value in area.geocodes:
                if any(word in name.lower() for word in ADMIN_CODE_NAMES):
                    prefix = admin_prefix(value)
                    if prefix:
                        codes.add(prefix)
    return codes


def _community_codes(community) -> set[str]:
    codes = {admin_prefix(community.code)}
    region = community.region
    while region is not None:
        codes.add(admin_prefix(region.code))
        region = region.parent
    return {c for c in codes if c}


def match_communities(cap: CapAlert) -> tuple[list[tuple[object, BaseGeometry | None]], str]:
    """Communities the alert covers, each with its clipped area (None: the whole community),
    and the reason when there are none."""
    from resilience.places.models import Community

    shapes = [s for info in cap.infos for area in info.areas if (s := cap_area_shape(area))]
    if shapes:
        area = unary_union(shapes)
        minx, miny, maxx, maxy = area.bounds
        matched = []
        for community in Community.objects.filter(geometry__isnull=False).order_by("pk"):
            boundary = safe_shape(community.geometry)
            if boundary is None:
                continue
            bx0, by0, bx1, by1 = boundary.bounds
            if bx0 > maxx or bx1 < minx or by0 > maxy or by1 < miny:
                continue
            clipped = area.intersection(boundary)
            if clipped.is_empty or clipped.area <= 0:
                continue
            whole = clipped.area >= boundary.area * WHOLE_COMMUNITY_SHARE
            matched.append((community, None if whole else clipped))
        if matched:
            return matched, ""
        return [], _("No community's boundary intersects the alert area (%(areas)s).") % {
            "areas": _area_names(cap)}
    codes = _admin_codes(cap)
    if not codes:
        return [], _("The alert area (%(areas)s) has no polygon or circle and no administrative "
                     "division code we can place, so no community matched (other geocodes, such "
                     "as SAME or EMMA_ID, are not mapped to communities).") % {
            "areas": _area_names(cap)}
    matched = []
    communities = Community.objects.select_related(
        "region", "region__parent", "region__parent__parent").order_by("pk")
    for community in communities:
        if any(own.startswith(code) for own in _community_codes(community) for code in codes):
            matched.append((community, None))
    if matched:
        return matched, ""
    return [], _("No community lies in the administrative division(s) %(codes)s of the alert "
                 "area (%(areas)s).") % {"codes": ", ".join(sorted(codes)),
                                         "areas": _area_names(cap)}


def _area_names(cap: CapAlert) -> str:
    names = []
    for info in cap.infos:
        for area in info.areas:
            if area.area_desc and area.area_desc not in names:
                names.append(area.area_desc)
    text = "; ".join(names) or _("no area given")
    return text if len(text) <= 200 else text[:199] + "…"


def relay_identifier(community, cap: CapAlert) -> str:
    """Our identifier of ``cap`` relayed to ``community``: stable, so re-imports find it."""
    digest = hashlib.sha256(f"{cap.sender},{cap.identifier}".encode()).hexdigest()[:20]
    return f"{community.code}.cap.{digest}"


def _texts(cap: CapAlert) -> tuple[CapInfo | None, CapInfo | None]:
    primary = cap.info_in("zh") or (cap.infos[0] if cap.infos else None)
    return primary, cap.info_in("en")


def _clip(value: str, length: int) -> str:
    return value if len(value) <= length else value[: length - 1] + "…"


def _geojson(geom: BaseGeometry | None) -> dict | None:
    polygons = polygons_of(geom)
    if not polygons:
        return None
    merged = unary_union(polygons)
    if merged.geom_type not in ("Polygon", "MultiPolygon"):
        return None
    return json.loads(json.dumps(mapping(merged)))  # lists, as the JSON column gives them back


def _new_alert(community, cap: CapAlert, text: str, *, msg_type: str, original: Alert | None,
               clipped: BaseGeometry | None) -> Alert:
    primary, english = _texts(cap)
    alert = Alert(
        community=community, identifier=relay_identifier(community, cap),
        sender=cap_sender(community), msg_type=msg_type, references=original,
        state=State.DRAFT, exercise=cap.status == "Exercise", public=cap.scope == "Public",
        source=Source.CAP, upstream_identifier=cap.identifier, upstream_sender=cap.sender,
        upstream_cap=text,
    )
    if primary is None:  # a Cancel without <info>: it says what the original said
        _copy_content(alert, original)
        with translation.override("zh-hans"):
            alert.description = cap.note or _("Cancelled by the upstream sender.")
        with translation.override("en"):
            alert.description_en = cap.note or _("Cancelled by the upstream sender.")
        return alert
    alert.level = SEVERITY_LEVEL.get(primary.severity, Level.IV)
    alert.event_type = event_type_of(primary.event, english.event if english else "",
                                     primary.headline, categories=primary.categories)
    alert.urgency = primary.urgency if primary.urgency in Urgency.values else Urgency.UNKNOWN
    alert.certainty = (primary.certainty if primary.certainty in Certainty.values
                       else Certainty.UNKNOWN)
    alert.headline = _clip(primary.headline or primary.event, 200)
    alert.description = primary.description or primary.headline or primary.event
    alert.instruction = primary.instruction
    if english is not None:
        alert.headline_en = _clip(english.headline or english.event, 200)
        alert.description_en = english.description or english.headline
        alert.instruction_en = english.instruction
    alert.effective = primary.effective or primary.onset or cap.sent
    alert.expires = primary.expires
    if alert.expires and alert.effective and alert.expires <= alert.effective:
        alert.effective = None  # upstream's window makes no sense; keep when it ends
    alert.area_geometry = _geojson(clipped)
    alert.whole_community = alert.area_geometry is None
    alert.area_description = _clip(_area_names(cap), 300)
    return alert


def _copy_content(alert: Alert, original: Alert | None) -> None:
    if original is None:
        return
    for name in ("level", "event_type", "urgency", "certainty", "headline", "instruction",
                 "headline_en", "instruction_en", "effective", "expires", "whole_community",
                 "area_geometry", "area_circle", "area_description", "audience"):
        setattr(alert, name, getattr(original, name))


def _copy_area(alert: Alert, original: Alert | None) -> None:
    if original is not None:
        for name in ("whole_community", "area_geometry", "area_circle", "area_description"):
            setattr(alert, name, getattr(original, name))


def _save(alert: Alert, note: str, result: Relayed) -> bool:
    try:
        with transaction.atomic():
            alert.save()
    except IntegrityError:  # relayed by a concurrent import a moment ago
        existing = Alert.objects.filter(identifier=alert.identifier).first()
        if existing is not None:
            result.already.append(existing)
        return False
    AlertEvent.objects.create(alert=alert, action="relayed", note=note)
    result.append(alert)
    return True


def _issue(alert: Alert, now) -> None:
    if alert.expires and alert.expires <= now:
        AlertEvent.objects.create(alert=alert, action="not issued",
                                  note=_("It had expired before it was relayed."))
        return
    alert.state, alert.issued_at = State.ISSUED, now
    alert.save(update_fields=["state", "issued_at", "updated"])
    AlertEvent.objects.create(alert=alert, action="issued",
                              note=_("Issued automatically (upstream CAP alert)."))
    original = alert.references
    if alert.msg_type == MessageType.CANCEL and original is not None \
            and original.state in (State.ISSUED, State.PENDING, State.DRAFT):
        original.state, original.cancelled_at = State.CANCELLED, now
        original.save(update_fields=["state", "cancelled_at", "updated"])
        AlertEvent.objects.create(alert=original, action="cancelled",
                                  note=_("Cancelled upstream: %(identifier)s")
                                  % {"identifier": alert.identifier})


def _latest_relayed(cap: CapAlert) -> dict[int, Alert]:
    """Per community, the newest alert we relayed from a message ``cap`` references."""
    if not cap.references:
        return {}
    q = Q()
    for ref in cap.references:
        q |= Q(upstream_sender=ref.sender, upstream_identifier=ref.identifier)
    latest: dict[int, Alert] = {}
    for alert in Alert.objects.filter(q, source=Source.CAP).order_by("created", "pk"):
        latest[alert.community_id] = alert
    # Something we relayed may since have been replaced by our own relay of a later message.
    for community_id, alert in list(latest.items()):
        newer = alert.replaced_by.order_by("-created", "-pk").first()
        while newer is not None:
            latest[community_id] = newer
            newer = newer.replaced_by.order_by("-created", "-pk").first()
    return latest


def _check_lengths(cap: CapAlert) -> None:
    """Refuse an identifier or sender longer than we keep: clipped, it would no longer match the
    references of the upstream's updates; stored, PostgreSQL would refuse it mid-import (found by
    tests/reliability/test_fuzz_cap.py)."""
    for tag, value, field in (("identifier", cap.identifier, "upstream_identifier"),
                              ("sender", cap.sender, "upstream_sender")):
        limit = Alert._meta.get_field(field).max_length
        if len(value) > limit:
            raise CapError(_("The alert's <%(tag)s> is %(length)d characters long; at most "
                             "%(limit)d are accepted.") % {"tag": tag, "length": len(value),
                                                           "limit": limit})


def import_cap(data: bytes, *, source_url: str = "", auto_issue: bool = False) -> Relayed:
    """Relay one upstream CAP 1.2 alert to every community it covers; ``CapError`` if refused.

    Returns the alerts created (a ``Relayed`` list) with ``.already`` (relayed before, unchanged)
    and ``.reason`` (why nothing was relayed, e.g. no community matched)."""
    cap = parse_cap(data)
    _check_lengths(cap)
    result = Relayed(cap)
    if cap.status not in ("Actual", "Exercise"):
        result.notes.append(_("Status %(status)s is not meant for the public; nothing relayed.")
                            % {"status": cap.status})
        return result
    if cap.msg_type not in (MessageType.ALERT, MessageType.UPDATE, MessageType.CANCEL):
        result.notes.append(_("Message type %(type)s carries no warning; nothing relayed.")
                            % {"type": cap.msg_type})
        return result
    try:
        text = data.decode(cap.encoding, errors="replace")
    except LookupError:
        text = data.decode("utf-8", errors="replace")
    text = text.replace("\x00", "")  # PostgreSQL text cannot hold NUL
    note = f"{cap.msg_type} {cap.sender},{cap.identifier}"
    if source_url:
        note += f" ({source_url})"
    now = timezone.now()
    with transaction.atomic(), acting_as(None, "cap"):
        done = {a.community_id: a for a in Alert.objects.filter(
            upstream_sender=cap.sender, upstream_identifier=cap.identifier, source=Source.CAP)}
        previous = _latest_relayed(cap) if cap.msg_type != MessageType.ALERT else {}
        if cap.msg_type == MessageType.CANCEL:
            targets = [(original.community, original, None, False)
                       for original in previous.values()]
            if not targets:
                result.notes.append(_("It cancels an alert that was never relayed here; "
                                      "nothing to do."))
        elif not cap.infos:
            targets = []
            result.notes.append(_("The alert has no <info> block, so there is nothing to relay."))
        else:
            matched, reason = match_communities(cap)
            if reason:
                result.notes.append(reason)
            targets = [(c, previous.pop(c.pk, None), clipped, False) for c, clipped in matched]
            # An update whose area no longer covers a community ends the warning there.
            targets += [(o.community, o, None, True) for o in previous.values()]
        for community, original, clipped, left_out in targets:
            if community.pk in done:
                result.already.append(done[community.pk])
                continue
            if left_out:
                msg_type = MessageType.CANCEL
            elif original is None:
                msg_type = MessageType.ALERT
            else:
                msg_type = cap.msg_type
            alert = _new_alert(community, cap, text, msg_type=msg_type, original=original,
                               clipped=clipped)
            if msg_type == MessageType.CANCEL:  # the warning ends where it was given
                _copy_area(alert, original)
            if left_out:
                _copy_content(alert, original)
                with translation.override("zh-hans"):
                    alert.description = _("The upstream update no longer covers this community.")
                with translation.override("en"):
                    alert.description_en = _("The upstream update no longer covers this "
                                             "community.")
            if _save(alert, note, result) and auto_issue:
                _issue(alert, now)
        if not result and result.already and not result.notes:
            result.notes.append(_("Already relayed; nothing changed."))
    return result


def feed_links(root: etree._Element, base_url: str) -> list[str]:
    """The CAP document URLs an Atom or RSS feed links to, absolute, in feed order."""
    links: list[str] = []
    atom = "{%s}" % ATOM_NS
    if root.tag == atom + "feed":
        for entry in root.iter(atom + "entry"):
            hrefs = [(link.get("type") or "", link.get("rel") or "alternate", link.get("href"))
                     for link in entry.findall(atom + "link") if link.get("href")]
            cap_links = [h for t, _r, h in hrefs if "cap" in t.lower()]
            alternates = [h for _t, r, h in hrefs if r == "alternate"]
            chosen = (cap_links or alternates or [h for _t, _r, h in hrefs] or [None])[0]
            if chosen:
                links.append(urljoin(base_url, chosen.strip()))
    elif etree.QName(root).localname in ("rss", "RDF"):
        for item in root.iter("item", "{*}item"):
            enclosure = item.find("enclosure")
            link = item.findtext("link") or item.findtext("{*}link")
            chosen = (enclosure.get("url") if enclosure is not None else None) or link
            if chosen and chosen.strip():
                links.append(urljoin(base_url, chosen.strip()))
    else:
        raise CapError(_("Not a feed: the root element is <%(name)s>, not an Atom <feed> or an "
                         "RSS <rss>.") % {"name": etree.QName(root).localname})
    return list(dict.fromkeys(links))


def poll_feed(url: str, *, auto_issue: bool = False) -> Relayed:
    """Fetch an upstream Atom/RSS feed of CAP links (or one CAP document) and relay each alert.

    Idempotent: entries relayed before are counted in ``.already``. A bad entry does not stop
    the others; its reason is in ``.notes``. ``CapError`` only when the feed itself is unusable."""
    data = fetch_url(url)
    root = parse_xml(data)
    if root.tag == "{%s}alert" % CAP_NS:
        return import_cap(data, source_url=url, auto_issue=auto_issue)
    total = Relayed()
    links = feed_links(root, url)
    if len(links) > FEED_MAX_ENTRIES:
        total.notes.append(_("The feed lists %(count)s entries; only the first %(limit)s were "
                             "read.") % {"count": len(links), "limit": FEED_MAX_ENTRIES})
    for link in links[:FEED_MAX_ENTRIES]:
        try:
            total.merge(import_cap(fetch_url(link), source_url=link, auto_issue=auto_issue))
        except CapError as exc:
            total.notes.append(f"{link}: {exc.reason}")
    return total
