"""The stock ledger: the only code that changes ``StockLot.quantity``.

Every change is a ``StockMovement`` written in the same transaction as the new balance, so for
every lot the sum of its movements equals its quantity, and a balance never goes below zero
(a check constraint guards that too). A call either writes everything or nothing.

Locking: a call first locks the item row (``select_for_update``), then the lots it touches in
primary-key order. The item lock serialises every movement of one item, including the creation of
new lots, so two calls never deadlock on one item. A caller that moves several items in one
transaction should call ``lock_items(items)`` first, which takes the item locks in a stable order.
"""
from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from resilience.places.vocab import FacilityKind
from resilience.relief.models import Item, StockLot, StockMovement
from resilience.relief.vocab import MovementKind

PLACES = Decimal("0.001")
MAX_QUANTITY = Decimal("99999999999")  # 14 digits, 3 after the point


def as_quantity(value, field: str = "quantity", *, allow_zero: bool = False) -> Decimal:
    """``value`` as a Decimal with at most three decimals, more than zero (or zero if allowed)."""
    try:
        quantity = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError, TypeError):
        raise ValidationError({field: _("Enter a number.")})
    if not quantity.is_finite():
        raise ValidationError({field: _("Enter a number.")})
    if quantity != quantity.quantize(PLACES):
        raise ValidationError({field: _("At most three decimal places.")})
    if quantity < 0 or (quantity == 0 and not allow_zero):
        raise ValidationError({field: _("It must be more than zero.") if not allow_zero
                               else _("It cannot be negative.")})
    if quantity > MAX_QUANTITY:
        raise ValidationError({field: _("This quantity is too large.")})
    return quantity.quantize(PLACES)


def today() -> dt.date:
    return timezone.localdate()


def is_usable(lot: StockLot, on: dt.date) -> bool:
    """A lot is usable on its expiry date and not after it."""
    return lot.expires_on is None or lot.expires_on >= on


def check_warehouse(item: Item, warehouse, field: str = "warehouse") -> None:
    """Refuse a facility that is not a warehouse, or a warehouse of another community."""
    if warehouse is None:
        raise ValidationError({field: _("Choose a warehouse.")})
    if warehouse.kind != FacilityKind.WAREHOUSE:
        raise ValidationError({field: _("%(facility)s is not a supplies warehouse.")
                               % {"facility": warehouse}})
    if warehouse.community_id != item.community_id:
        raise ValidationError({field: _("The warehouse belongs to another community than the "
                                        "item.")})


def lock_items(items: Iterable[Item]) -> None:
    """Lock the ledgers of several items, in primary-key order (call inside ``atomic``)."""
    ids = sorted({item.pk for item in items})
    list(Item.objects.select_for_update().filter(pk__in=ids).order_by("pk").values_list("pk"))


def _lock_item(item: Item) -> None:
    if not Item.objects.select_for_update().filter(pk=item.pk).exists():
        raise ValidationError({"item": _("This item no longer exists.")})


def _locked_lots(item: Item, *warehouses) -> list[StockLot]:
    return list(StockLot.objects.select_for_update()
                .filter(item=item, warehouse__in=warehouses).order_by("pk"))


def _move(lot: StockLot, kind: str, delta: Decimal, *, by=None, reason: str = "",
          transfer_key: str = "", request=None, distribution=None) -> StockMovement:
    """Apply ``delta`` to a locked lot and write its ledger line."""
    lot.quantity = (lot.quantity + delta).quantize(PLACES)
    if lot.quantity < 0:  # callers check first; this is the last guard before the constraint
        raise ValidationError({"quantity": _("Stock would go below zero.")})
    lot.save(update_fields=["quantity", "updated"])
    return StockMovement.objects.create(
        community_id=lot.community_id, lot=lot, kind=kind, quantity=delta,
        balance_after=lot.quantity, transfer_key=transfer_key, reason=reason[:200],
        request=request, distribution=distribution, by=by if by is not None and by.pk else None)


def _lot_for(item: Item, warehouse, expires_on) -> StockLot:
    """The lot of item × warehouse × expiry, created empty if missing (under the item lock)."""
    lot, _created = StockLot.objects.get_or_create(
        item=item, warehouse=warehouse, expires_on=expires_on,
        defaults={"community_id": item.community_id, "quantity": Decimal(0)})
    return StockLot.objects.select_for_update().get(pk=lot.pk)


def _consume_plan(lots: list[StockLot], quantity: Decimal, on: dt.date, item: Item,
                  warehouse) -> list[tuple[StockLot, Decimal]]:
    """Which usable lots give ``quantity``, earliest expiry first; refuse if there is not enough."""
    usable = sorted((lot for lot in lots if lot.quantity > 0 and is_usable(lot, on)),
                    key=lambda lot: (lot.expires_on is None, lot.expires_on or on, lot.pk))
    have = sum((lot.quantity for lot in usable), Decimal(0))
    if have < quantity:
        expired = sum((lot.quantity for lot in lots if not is_usable(lot, on)), Decimal(0))
        message = _("Only %(have)s %(unit)s of %(item)s can be issued from %(warehouse)s; "
                    "%(quantity)s asked.") % {"have": format_quantity(have), "unit": item.unit,
                                              "item": item.name, "warehouse": warehouse,
                                              "quantity": format_quantity(quantity)}
        if expired:
            message += " " + _("%(expired)s %(unit)s there have expired and are never issued.") % {
                "expired": format_quantity(expired), "unit": item.unit}
        raise ValidationError({"quantity": message})
    plan, left = [], quantity
    for lot in usable:
        take = min(lot.quantity, left)
        plan.append((lot, take))
        left -= take
        if left == 0:
            break
    return plan


def format_quantity(value: Decimal) -> str:
    """A quantity without trailing zeros: 12, 0.55."""
    return f"{value.normalize():f}" if value == value.to_integral() else f"{value:f}".rstrip("0")


def receive(item: Item, warehouse, quantity, *, expires_on: dt.date | None = None, by=None,
            reason: str = "", on: dt.date | None = None) -> StockMovement:
    """Put ``quantity`` of ``item`` into ``warehouse`` (into the lot with that expiry date);
    ``on`` is the day it arrives (today unless a record is being written for another day)."""
    quantity = as_quantity(quantity)
    check_warehouse(item, warehouse)
    if item.perishable and expires_on is None:
        raise ValidationError({"expires_on": _("This item has an expiry date: enter it.")})
    if expires_on is not None and expires_on < (on or today()):
        raise ValidationError({"expires_on": _("This stock has already expired; do not take it "
                                               "into the warehouse.")})
    with transaction.atomic():
        _lock_item(item)
        lot = _lot_for(item, warehouse, expires_on)
        return _move(lot, MovementKind.IN, quantity, by=by, reason=reason)


def issue(item: Item, warehouse, quantity, *, by=None, reason: str = "", request=None,
          distribution=None, on: dt.date | None = None) -> list[StockMovement]:
    """Take ``quantity`` of ``item`` out of ``warehouse``: earliest expiry first, never an expired
    lot. Refused (``ValidationError`` on ``quantity``) when not enough usable stock is there."""
    quantity = as_quantity(quantity)
    check_warehouse(item, warehouse)
    on = on or today()
    with transaction.atomic():
        _lock_item(item)
        lots = _locked_lots(item, warehouse)
        plan = _consume_plan(lots, quantity, on, item, warehouse)
        return [_move(lot, MovementKind.OUT, -take, by=by, reason=reason, request=request,
                      distribution=distribution) for lot, take in plan]


def transfer(item: Item, source, destination, quantity, *, by=None, reason: str = "",
             on: dt.date | None = None) -> list[StockMovement]:
    """Move usable stock from one warehouse to another, keeping expiry dates. Every pair of
    movements (− source lot, + destination lot) shares one ``transfer_key``."""
    quantity = as_quantity(quantity)
    check_warehouse(item, source, "source")
    check_warehouse(item, destination, "destination")
    if source.pk == destination.pk:
        raise ValidationError({"destination": _("Choose another warehouse than the source.")})
    on = on or today()
    key = str(uuid.uuid4())
    with transaction.atomic():
        _lock_item(item)
        lots = _locked_lots(item, source, destination)
        plan = _consume_plan([lot for lot in lots if lot.warehouse_id == source.pk], quantity, on,
                             item, source)
        movements = []
        for lot, take in plan:
            movements.append(_move(lot, MovementKind.TRANSFER, -take, by=by, reason=reason,
                                   transfer_key=key))
            target = _lot_for(item, destination, lot.expires_on)
            movements.append(_move(target, MovementKind.TRANSFER, take, by=by, reason=reason,
                                   transfer_key=key))
        return movements


def count(lot: StockLot, counted, *, by=None, reason: str = "") -> StockMovement:
    """Record a stock-take of ``lot``: the difference from the book balance becomes a COUNT
    movement (zero when the count matched, so the check itself is on the record)."""
    counted = as_quantity(counted, "counted", allow_zero=True)
    with transaction.atomic():
        _lock_item(lot.item)
        locked = StockLot.objects.select_for_update().get(pk=lot.pk)
        movement = _move(locked, MovementKind.COUNT, counted - locked.quantity, by=by,
                         reason=reason)
    lot.quantity = locked.quantity
    return movement


def usable_lots(community, *, on: dt.date | None = None):
    """Lots of ``community`` with stock that may still be issued on ``on``."""
    on = on or today()
    return StockLot.objects.filter(community=community, quantity__gt=0).filter(
        Q(expires_on__isnull=True) | Q(expires_on__gte=on))


def available(community, *, on: dt.date | None = None) -> dict[int, dict[int, Decimal]]:
    """Item id → warehouse id → usable (non-expired on ``on``) quantity, for one community."""
    result: dict[int, dict[int, Decimal]] = defaultdict(dict)
    rows = (usable_lots(community, on=on).values("item_id", "warehouse_id")
            .annotate(total=Sum("quantity")).order_by())
    for row in rows:
        # SQLite sums decimals as floats: round back to the ledger's three places
        result[row["item_id"]][row["warehouse_id"]] = Decimal(row["total"]).quantize(PLACES)
    return dict(result)


def expiring(queryset, *, within_days: int = 30, on: dt.date | None = None):
    """Lots with stock that expire within ``within_days`` of ``on`` or have expired already."""
    on = on or today()
    return queryset.filter(quantity__gt=0, expires_on__isnull=False,
                           expires_on__lte=on + dt.timedelta(days=within_days))


def transfer_between(from_item: Item, to_item: Item, source, destination, quantity, *, by=None,
                     reason: str = "", on: dt.date | None = None) -> tuple[str, list[StockMovement]]:
    """Move usable stock of ``from_item`` out of ``source`` into ``destination`` as ``to_item``
    (the same supply kept by another community, whose ledger it joins): earliest expiry first,
    each lot landing in the receiving lot with the same expiry date. Both sides' movements share
    one ``transfer_key`` (returned with them); refused with a ``ValidationError`` naming the field
    (``from_warehouse``, ``to_warehouse``, ``quantity``) and nothing written."""
    quantity = as_quantity(quantity)
    check_warehouse(from_item, source, "from_warehouse")
    check_warehouse(to_item, destination, "to_warehouse")
    if source.pk == destination.pk or from_item.pk == to_item.pk:
        raise ValidationError({"to_warehouse": _("Choose another warehouse than the source.")})
    on = on or today()
    key = str(uuid.uuid4())
    with transaction.atomic():
        lock_items([from_item, to_item])
        if Item.objects.filter(pk__in=[from_item.pk, to_item.pk]).count() != 2:
            raise ValidationError({"item": _("This item no longer exists.")})
        plan = _consume_plan(_locked_lots(from_item, source), quantity, on, from_item, source)
        movements = []
        for lot, take in plan:
            movements.append(_move(lot, MovementKind.TRANSFER, -take, by=by, reason=reason,
                                   transfer_key=key))
            target = _lot_for(to_item, destination, lot.expires_on)
            movements.append(_move(target, MovementKind.TRANSFER, take, by=by, reason=reason,
                                   transfer_key=key))
        return key, movements
