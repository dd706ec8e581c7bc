"""What the other communities of a street could give for one request (the office's view).

- supplies: each neighbour's usable stock of the same supply (same name and unit, else the same
  category), per warehouse, and the days of autonomy the neighbour would keep after giving;
- volunteers: each neighbour's active volunteers who are not lent and hold no open task;
- shelter places: the neighbours' shelters with free places.

Only for someone who may change the request (its street office): callers check that first.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal

from django.db.models import Q

from resilience.people.models import Volunteer
from resilience.places.models import Community
from resilience.relief import ledger, norms
from resilience.relief.models import Item
from resilience.street import aid
from resilience.street.models import AidRequest
from resilience.street.vocab import AidKind


@dataclass
class SupplyOffer:
    """One neighbour's usable stock of the asked supply in one warehouse."""

    community: Community
    item: Item
    warehouse: object
    usable: Decimal          # in this warehouse
    exact: bool              # same name and unit (else: same category)
    give: Decimal            # what it could give toward what is missing
    days_before: Decimal | None = None
    days_after: Decimal | None = None

    @property
    def key(self) -> str:
        return f"{self.item.pk}:{self.warehouse.pk}"


@dataclass
class CommunityVolunteers:
    """One neighbour's volunteers free to be lent."""

    community: Community
    volunteers: list = field(default_factory=list)


def neighbours(request: AidRequest):
    """The other communities of the request's street."""
    return (Community.objects.filter(region_id=request.region_id)
            .exclude(pk=request.community_id).order_by("name", "pk"))


def requested_item(request: AidRequest) -> Item | None:
    """The asked supply as an item: the asking community's own item of that name (and unit, if
    it has one), else a neighbour's item of that name and unit; it gives the category."""
    own = Item.objects.filter(community_id=request.community_id, name=request.item_name)
    return (own.filter(unit=request.unit).first() or own.first()
            or Item.objects.filter(community__region_id=request.region_id,
                                   name=request.item_name, unit=request.unit).first())


def _in_units_of(item: Item, missing: Decimal, asked: Item | None) -> Decimal:
    """``missing`` units of the asked supply expressed in ``item``'s units (both converted to the
    norm unit, e.g. litres), rounded up; unchanged when either has no conversion."""
    if asked is None or item.pk == asked.pk or not (item.per_capita_amount
                                                      and asked.per_capita_amount):
        return missing
    if item.name == asked.name and item.unit == asked.unit:
        return missing
    return (missing * asked.per_capita_amount / item.per_capita_amount).to_integral_value(
        rounding=ROUND_CEILING)


def _days_after(community, category: str, given_units: Decimal, item: Item) -> tuple:
    row = next((r for r in norms.autonomy(community) if r["category"] == category), None)
    if row is None or not row["need_per_day"]:
        return None, None
    factor = item.per_capita_amount or Decimal(1)
    after = max(row["stock"] - given_units * factor, Decimal(0)) / row["need_per_day"]
    return row["days"], after.quantize(Decimal("0.1"))


def supply_offers(request: AidRequest) -> list[SupplyOffer]:
    """Neighbours' usable stock of the asked supply, exact matches first, most stock first."""
    missing = aid.remaining(request)
    asked = requested_item(request)
    category = asked.category if asked else None
    match = Q(name=request.item_name, unit=request.unit)
    if category:
        match |= Q(category=category)
    offers: list[SupplyOffer] = []
    for community in neighbours(request):
        items = {i.pk: i for i in Item.objects.filter(match, community=community)}
        if not items:
            continue
        available = ledger.available(community)
        warehouses = {w.pk: w for w in community.facilities.filter(kind="warehouse")}
        for item_id, per_warehouse in available.items():
            item = items.get(item_id)
            if item is None:
                continue
            for warehouse_id, usable in per_warehouse.items():
                wanted = _in_units_of(item, missing, asked)
                give = min(usable, wanted) if wanted else usable
                before, after = _days_after(community, item.category, give, item)
                offers.append(SupplyOffer(
                    community=community, item=item, warehouse=warehouses.get(warehouse_id),
                    usable=usable, exact=item.name == request.item_name
                    and item.unit == request.unit, give=give, days_before=before,
                    days_after=after))
    offers = [o for o in offers if o.warehouse is not None]
    offers.sort(key=lambda o: (not o.exact, -o.usable, o.community.name))
    return offers


def busy_volunteer_ids(communities) -> set[int]:
    """Volunteers of these communities who are lent now or hold an open task or delivery."""
    from resilience.relief.models import NeedRequest
    from resilience.relief.vocab import ACTIVE_REQUEST_STATUSES
    from resilience.response.models import Task
    from resilience.response.vocab import OPEN_STATUSES

    lent = set(aid.active_loans().values_list("volunteer_id", flat=True))
    tasked_users = Task.objects.filter(status__in=OPEN_STATUSES, assignee__isnull=False).values(
        "assignee_id")
    on_task = set(Volunteer.objects.filter(community__in=communities, user_id__in=tasked_users)
                  .values_list("pk", flat=True))
    delivering = set(NeedRequest.objects.filter(
        volunteer__community__in=communities, status__in=ACTIVE_REQUEST_STATUSES)
        .values_list("volunteer_id", flat=True))
    return lent | on_task | delivering


def volunteer_offers(request: AidRequest) -> list[CommunityVolunteers]:
    """Per neighbour, its active volunteers free to go (not lent, no open task)."""
    communities = list(neighbours(request))
    busy = busy_volunteer_ids(communities)
    result = []
    for community in communities:
        free = [v for v in Volunteer.objects.filter(community=community, active=True)
                .order_by("name", "pk") if v.pk not in busy]
        if free:
            result.append(CommunityVolunteers(community, free))
    return result


def shelter_offers(request: AidRequest) -> list[dict]:
    """The neighbours' shelters with free places, most free first."""
    from resilience.shelters.models import Shelter

    rows = []
    for shelter in (Shelter.objects.filter(facility__community__in=neighbours(request))
                    .select_related("facility__community")):
        free = aid.free_places(shelter)
        if free > 0:
            rows.append({"shelter": shelter, "community": shelter.facility.community,
                         "free": free, "status": shelter.get_status_display()})
    rows.sort(key=lambda r: (-r["free"], r["community"].name))
    return rows


def offers_for(request: AidRequest) -> dict:
    """The offers that fit the request's kind, under one key each."""
    if request.kind == AidKind.SUPPLIES:
        return {"supplies": supply_offers(request)}
    if request.kind == AidKind.VOLUNTEERS:
        return {"volunteers": volunteer_offers(request)}
    return {"shelters": shelter_offers(request)}
