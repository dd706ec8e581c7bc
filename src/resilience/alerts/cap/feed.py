"""The public Atom feed of current alerts, each entry linking to its CAP 1.2 document.

"Current" means issued, public, not cancelled, not expired and not replaced by an issued update or
cancellation (the replacement is in the feed instead, referencing it).
"""
from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from lxml import etree
from lxml.builder import ElementMaker

from resilience.alerts.cap import ATOM_NS
from resilience.alerts.cap.write import (
    EVENT_CATEGORY, cap_time, level_value, sent_time, xml_text,
)
from resilience.alerts.models import Alert
from resilience.alerts.vocab import LEVEL_SEVERITY, EventType, State

A = ElementMaker(namespace=ATOM_NS, nsmap={None: ATOM_NS})
FEED_LIMIT = 500  # newest first; a community rarely has more than a handful current
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:\S+$")


def published_alerts() -> QuerySet:
    """Alerts whose CAP document is public: public ones that were issued (even if since
    cancelled, expired or replaced, so that references keep resolving). Never drafts."""
    return (Alert.objects.filter(public=True, issued_at__isnull=False,
                                 state__in=[State.ISSUED, State.CANCELLED, State.EXPIRED])
            .select_related("community", "references"))


def current_public_alerts(now: dt.datetime | None = None) -> QuerySet:
    """Public issued alerts in force at ``now``: not expired, not cancelled, not replaced."""
    now = now or timezone.now()
    return (published_alerts()
            .filter(state=State.ISSUED, cancelled_at__isnull=True)
            .filter(Q(expires__isnull=True) | Q(expires__gt=now))
            .exclude(replaced_by__state=State.ISSUED)
            .order_by("-issued_at", "-pk"))


def entry_id(alert, cap_url: str) -> str:
    """The Atom id: the CAP identifier when it is already a URI (``urn:oid:…``), else the CAP
    document's URL (Atom ids must be IRIs; ours are unique and permanent either way)."""
    return alert.identifier if _URI.match(alert.identifier) else cap_url


def cap_summary(alert) -> str:
    """One line a person can read: level and severity, event, area, time window, urgency."""
    parts = [
        _("Level %(level)s (CAP severity %(severity)s)") % {
            "level": level_value(alert.level), "severity": LEVEL_SEVERITY[alert.level]},
        str(EventType(alert.event_type).label) if alert.event_type in EventType.values else "",
        alert.area_description or alert.community.name,
        _("urgency %(urgency)s, certainty %(certainty)s") % {
            "urgency": alert.urgency, "certainty": alert.certainty},
    ]
    if alert.effective:
        parts.append(_("from %(time)s") % {"time": cap_time(alert.effective)})
    if alert.expires:
        parts.append(_("until %(time)s") % {"time": cap_time(alert.expires)})
    if alert.exercise:
        parts.insert(0, _("EXERCISE"))
    return " · ".join(p for p in parts if p)


def alerts_to_atom(alerts: Iterable, *, feed_url: str, cap_url: Callable[[object], str],
                   now: dt.datetime | None = None) -> bytes:
    """An Atom 1.0 feed of ``alerts``; ``cap_url(alert)`` gives each one's CAP document URL."""
    alerts = list(alerts)
    updated = max((sent_time(a) for a in alerts), default=now or timezone.now())
    feed = A.feed(
        A.id(feed_url),
        A.title(_("Resilient Community: current public alerts")),
        A.updated(cap_time(updated)),
        A.link(rel="self", type="application/atom+xml", href=feed_url),
        A.author(A.name(_("Resilient Community"))),
        A.generator("resilience"),
    )
    for alert in alerts:
        url = cap_url(alert)
        sent = cap_time(sent_time(alert))
        feed.append(A.entry(
            A.id(entry_id(alert, url)),
            A.title(xml_text(alert.headline)),
            A.updated(sent),
            A.published(sent),
            A.author(A.name(xml_text(alert.community.name))),
            A.link(rel="alternate", type="application/cap+xml", href=url),
            A.category(term=EVENT_CATEGORY.get(alert.event_type, "Other"),
                       label=str(EventType(alert.event_type).label)
                       if alert.event_type in EventType.values else alert.event_type),
            A.summary(xml_text(cap_summary(alert))),
        ))
    return etree.tostring(feed, xml_declaration=True, encoding="UTF-8", pretty_print=True)
