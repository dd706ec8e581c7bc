"""Region-wide warnings: a street or district office warns all or some of its communities in one
action (``issue``), or passes on an alert it has seen (``relay``).

Each chosen community gets its own ``alerts.Alert``, made through the alerts app's own services
(``draft`` then ``submit``): levels III and IV are issued at once and fan out to the community's
people as usual; levels II and I wait for approval by someone else who may verify (the
community's staff), as every orange or red alert does. The alerts are listed in
``Broadcast.alerts``, so each community's board shows its own part and the acknowledgement rate
is counted per community. Communities outside the region are refused (field ``communities``).
Everything happens in one transaction: all the communities' alerts, or none.
"""
from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils.translation import gettext as _

from resilience.alerts import services as alerts
from resilience.alerts.models import Alert, AlertRecipient
from resilience.alerts.vocab import MessageType, RecipientKind, State
from resilience.core.scope import can
from resilience.places.models import Community, Region
from resilience.street.aid import acting
from resilience.street.models import Broadcast

# What a relayed alert keeps of its source: the message, not the source community's area.
RELAYED_FIELDS = ("exercise", "public", "level", "event_type", "urgency", "certainty",
                  "headline", "description", "instruction", "headline_en", "description_en",
                  "instruction_en", "effective", "expires", "audience")
ISSUE_FIELDS = set(RELAYED_FIELDS)
RELAYABLE_STATES = (State.DRAFT, State.PENDING, State.ISSUED)


def communities_in(region: Region):
    """Every community of ``region`` and the regions below it."""
    ids, frontier = {region.pk}, {region.pk}
    while frontier:
        frontier = set(Region.objects.filter(parent_id__in=frontier)
                       .values_list("pk", flat=True)) - ids
        ids |= frontier
    return Community.objects.filter(region_id__in=ids)


def _chosen(region: Region, communities) -> list[Community]:
    if region is None:
        raise ValidationError({"region": _("Choose the street or district that warns.")})
    chosen = sorted({c.pk: c for c in (communities or [])}.values(), key=lambda c: c.pk)
    if not chosen:
        raise ValidationError({"communities": _("Choose at least one community.")})
    inside = set(communities_in(region).filter(pk__in=[c.pk for c in chosen])
                 .values_list("pk", flat=True))
    outside = [c for c in chosen if c.pk not in inside]
    if outside:
        raise ValidationError({"communities": _("%(names)s is not in %(region)s.") % {
            "names": ", ".join(str(c) for c in outside), "region": region}})
    return chosen


def _start(region: Region, chosen: list[Community], headline: str, by, source=None) -> Broadcast:
    broadcast = Broadcast.objects.create(region=region, headline=headline[:200], source=source,
                                         by=by if getattr(by, "pk", None) else None)
    if by is not None and not can(by, "add", broadcast):
        raise PermissionDenied(_("You may not warn the communities of %(region)s.")
                               % {"region": region})
    broadcast.communities.set(chosen)
    return broadcast


def _send(community: Community, by, fields: dict) -> Alert:
    alert = alerts.draft(by, community, whole_community=True, **fields)
    return alerts.submit(alert, by)


def _own_part(source: Alert, by) -> Alert:
    """The source's own community keeps the source as its part; a draft (an upstream alert
    relayed in for review) is submitted like the others, a pending one still awaits approval."""
    return alerts.submit(source, by) if source.state == State.DRAFT else source


def issue(region: Region, communities, *, by, **fields) -> Broadcast:
    """Warn the chosen communities of ``region``: one alert per community with ``fields``
    (``level``, ``event_type``, ``headline``, ``description``… as ``alerts.services.draft``
    takes them), each submitted (issued, or awaiting approval for II and I)."""
    unknown = set(fields) - ISSUE_FIELDS
    if unknown:
        raise ValidationError({sorted(unknown)[0]: _("Not a field of a region-wide warning.")})
    chosen = _chosen(region, communities)
    if not (fields.get("headline") or "").strip():
        raise ValidationError({"headline": _("Write the headline.")})
    with acting(by), transaction.atomic():
        broadcast = _start(region, chosen, fields["headline"], by)
        broadcast.alerts.set([_send(c, by, fields) for c in chosen])
    return broadcast


def relay(source_alert: Alert, communities, *, by, region: Region | None = None) -> Broadcast:
    """Pass ``source_alert`` (an upstream or a community's alert the office may see) on to the
    chosen communities of ``region`` (by default the first region the office works for that
    holds them all). The source's own community keeps the source as its part (submitted, if it
    was still a draft)."""
    if source_alert is None:
        raise ValidationError({"source": _("Choose the alert to relay.")})
    if by is not None and not can(by, "view", source_alert):
        raise ValidationError({"source": _("No such alert that you may see.")})
    if source_alert.state not in RELAYABLE_STATES or source_alert.msg_type == MessageType.CANCEL:
        raise ValidationError({"source": _("Only a live alert can be relayed (not a "
                                           "cancelled or expired one).")})
    if region is None:
        region = region_for(by, communities)
    chosen = _chosen(region, communities)
    fields = {name: getattr(source_alert, name) for name in RELAYED_FIELDS}
    with acting(by), transaction.atomic():
        broadcast = _start(region, chosen, source_alert.headline, by, source=source_alert)
        parts = [_own_part(source_alert, by) if c.pk == source_alert.community_id
                 else _send(c, by, fields) for c in chosen]
        broadcast.alerts.set(parts)
    return broadcast


def regions_of(user) -> list[Region]:
    """The regions ``user`` may warn from: those where they may add a broadcast."""
    from resilience.core.scope import memberships_of
    from resilience.core.roles import Role

    if user.is_superuser:
        return list(Region.objects.order_by("level", "name"))
    ids = [m.region_id for m in memberships_of(user)
           if m.region_id and m.role in (Role.OFFICE, Role.ADMIN)]
    return list(Region.objects.filter(pk__in=ids).order_by("name"))


def region_for(user, communities) -> Region:
    """The user's region that holds every chosen community (refused if none does)."""
    wanted = {c.pk for c in communities or []}
    for region in regions_of(user):
        if wanted and set(communities_in(region).filter(pk__in=wanted)
                          .values_list("pk", flat=True)) == wanted:
            return region
    raise ValidationError({"communities": _("Choose communities of a street or district you "
                                            "work for.")})


def ack_rates(broadcast: Broadcast) -> list[dict]:
    """Per community: its alert, state, people reached and acknowledged, and the rate."""
    counts = {row["alert_id"]: row for row in AlertRecipient.objects.filter(
        alert__in=broadcast.alerts.all()).exclude(kind=RecipientKind.GROUP).values("alert_id")
        .annotate(total=Count("pk"), acknowledged=Count("pk", filter=Q(
            acknowledged_at__isnull=False))).order_by()}
    rows = []
    for alert in broadcast.alerts.select_related("community").order_by("community__name"):
        row = counts.get(alert.pk, {"total": 0, "acknowledged": 0})
        rate = round(100 * row["acknowledged"] / row["total"]) if row["total"] else None
        rows.append({"community": alert.community, "alert": alert, "total": row["total"],
                     "acknowledged": row["acknowledged"], "rate": rate})
    return rows
