"""Group purchases (团购) per building: an organiser offers lines (unit, price, most per
household) until a deadline, each household of the building orders once (editable until the
deadline), the supplier gets the totals per line, and the purchase moves collecting → ordered →
delivered → closed (or is cancelled)."""
from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from resilience.core.roles import Role
from resilience.core.scope import can, memberships_of
from resilience.people.models import Household
from resilience.relief.models import GroupPurchase, PurchaseLine, PurchaseOrder
from resilience.relief.vocab import PurchaseStatus

NEXT = {
    PurchaseStatus.COLLECTING: PurchaseStatus.ORDERED,
    PurchaseStatus.ORDERED: PurchaseStatus.DELIVERED,
    PurchaseStatus.DELIVERED: PurchaseStatus.CLOSED,
}


def households_of(user) -> list[Household]:
    """The households ``user`` belongs to as a resident."""
    return [m.household for m in memberships_of(user) if m.role == Role.RESIDENT and m.household_id]


def is_collecting(purchase: GroupPurchase, now=None) -> bool:
    """Orders are taken: status collecting and the deadline (if any) not passed."""
    now = now or timezone.now()
    return purchase.status == PurchaseStatus.COLLECTING and (
        purchase.order_by is None or now <= purchase.order_by)


def clean_quantities(purchase: GroupPurchase, quantities: dict) -> dict[str, int]:
    """``{line id: whole number}`` checked against the purchase's lines and their maxima; errors
    are keyed ``line_<id>`` (or ``quantities`` for an unknown line)."""
    lines = {str(line.pk): line for line in purchase.lines.all()}
    if not isinstance(quantities, dict):
        raise ValidationError({"quantities": _("Give a quantity for each line.")})
    errors, clean = {}, {}
    for key, value in quantities.items():
        line = lines.get(str(key))
        if line is None:
            errors["quantities"] = _("Line %(line)s is not part of this purchase.") % {"line": key}
            continue
        if value in (None, ""):
            value = 0
        try:
            number = int(str(value).strip())
            if str(number) != str(value).strip().lstrip("+"):
                raise ValueError
        except (TypeError, ValueError):
            errors[f"line_{line.pk}"] = _("%(line)s: enter a whole number.") % {"line": line.name}
            continue
        if number < 0:
            errors[f"line_{line.pk}"] = _("%(line)s: it cannot be negative.") % {"line": line.name}
        elif line.max_per_household is not None and number > line.max_per_household:
            errors[f"line_{line.pk}"] = _("%(line)s: at most %(max)d per household.") % {
                "line": line.name, "max": line.max_per_household}
        elif number:
            clean[str(line.pk)] = number
    if errors:
        raise ValidationError(errors)
    return clean


def place_order(purchase: GroupPurchase, household: Household, quantities: dict, *, by=None,
                now=None) -> PurchaseOrder | None:
    """Create or replace ``household``'s order. Refused after the deadline, when the purchase is
    no longer collecting, or for a household outside the purchase's building. Ordering nothing
    withdraws the order (returns None)."""
    if household.building_id != purchase.building_id:
        raise ValidationError({"household": _("Only households of %(building)s can order in this "
                                              "group purchase.") % {"building": purchase.building}})
    clean = clean_quantities(purchase, quantities)
    with transaction.atomic():
        locked = GroupPurchase.objects.select_for_update().get(pk=purchase.pk)
        if not is_collecting(locked, now):
            raise ValidationError({"purchase": _("Orders for this group purchase are closed.")})
        if not clean:
            PurchaseOrder.objects.filter(purchase=locked, household=household).delete()
            return None
        try:
            with transaction.atomic():
                order, _created = PurchaseOrder.objects.update_or_create(
                    purchase=locked, household=household,
                    defaults={"community_id": locked.community_id, "quantities": clean,
                              "entered_by": by if by is not None and by.pk else None})
        except IntegrityError:  # another request of the same household won the insert
            order = PurchaseOrder.objects.get(purchase=locked, household=household)
            order.quantities = clean
            order.save()
    return order


def order_as_resident(purchase: GroupPurchase, user, quantities: dict, now=None):
    """A resident orders for their own household in the purchase's building."""
    households = [h for h in households_of(user) if h.building_id == purchase.building_id]
    if not households:
        raise PermissionDenied(_("You do not live in %(building)s.") % {
            "building": purchase.building})
    return place_order(purchase, households[0], quantities, by=user, now=now)


def advance(purchase: GroupPurchase, user, to: str) -> GroupPurchase:
    """Move the purchase to its next status, or cancel it. Delivering marks every order
    delivered. Only users who may change the purchase."""
    if not can(user, "change", purchase):
        raise PermissionDenied(_("You may not change this group purchase."))
    with transaction.atomic():
        locked = GroupPurchase.objects.select_for_update().get(pk=purchase.pk)
        if to == PurchaseStatus.CANCELLED:
            if locked.status in (PurchaseStatus.CLOSED, PurchaseStatus.CANCELLED):
                raise ValidationError({"status": _("This group purchase is already finished.")})
        elif NEXT.get(locked.status) != to:
            raise ValidationError({"status": _("A group purchase that is %(now)s cannot become "
                                               "%(to)s.") % {
                "now": locked.get_status_display(), "to": PurchaseStatus(to).label}})
        if to == PurchaseStatus.ORDERED and not locked.orders.exists():
            raise ValidationError({"status": _("No household has ordered yet.")})
        locked.status = to
        locked.save(update_fields=["status", "updated"])
        if to == PurchaseStatus.DELIVERED:
            for order in locked.orders.filter(delivered=False):
                order.delivered = True
                order.save(update_fields=["delivered", "updated"])
    purchase.status = locked.status
    return purchase


def mark_delivered(order: PurchaseOrder, user, delivered: bool = True) -> PurchaseOrder:
    """Tick one household's order as handed over (after the goods came)."""
    if not can(user, "change", order.purchase):
        raise PermissionDenied(_("You may not change this group purchase."))
    if order.purchase.status not in (PurchaseStatus.ORDERED, PurchaseStatus.DELIVERED):
        raise ValidationError({"delivered": _("The goods have not been ordered yet.")})
    order.delivered = delivered
    order.save(update_fields=["delivered", "updated"])
    return order


def line_totals(purchase: GroupPurchase) -> dict:
    """What to order from the supplier: per line the quantity, the households and the amount."""
    lines = list(purchase.lines.all())
    rows = {line.pk: {"line": line, "id": line.pk, "name": line.name, "unit": line.unit,
                      "price": line.price, "quantity": 0, "households": 0,
                      "amount": Decimal(0) if line.price is not None else None}
            for line in lines}
    orders = list(purchase.orders.all())
    for order in orders:
        for key, quantity in order.quantities.items():
            row = rows.get(int(key))
            if row is None or not quantity:
                continue
            row["quantity"] += int(quantity)
            row["households"] += 1
    for row in rows.values():
        if row["price"] is not None:
            row["amount"] = row["price"] * row["quantity"]
    amounts = [r["amount"] for r in rows.values() if r["amount"] is not None]
    return {"lines": list(rows.values()), "orders": len(orders),
            "delivered": sum(1 for o in orders if o.delivered),
            "amount": sum(amounts, Decimal(0))}


def order_amount(order: PurchaseOrder) -> Decimal:
    prices = dict(order.purchase.lines.values_list("pk", "price"))
    return sum((Decimal(q) * (prices.get(int(k)) or 0) for k, q in order.quantities.items()),
               Decimal(0))


def add_line(purchase: GroupPurchase, *, name: str, unit: str, price=None,
             max_per_household=None) -> PurchaseLine:
    """Add a line to a purchase still collecting orders."""
    if purchase.status != PurchaseStatus.COLLECTING:
        raise ValidationError({"name": _("Lines can only be added while collecting orders.")})
    line = PurchaseLine(purchase=purchase, name=name, unit=unit, price=price,
                        max_per_household=max_per_household)
    line.full_clean()
    line.save()
    return line
