"""Group purchases: one order per household of the building, bounded, until the deadline."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from resilience.relief import purchases
from resilience.relief.models import GroupPurchase, PurchaseOrder
from resilience.relief.vocab import PurchaseStatus


@pytest.fixture
def purchase(world):
    p = GroupPurchase.objects.create(community=world.community_a, building=world.building_a1,
                                     title="Vegetables",
                                     order_by=timezone.now() + dt.timedelta(hours=5))
    veg = purchases.add_line(p, name="Vegetable box", unit="box", price=Decimal("39.9"),
                             max_per_household=2)
    eggs = purchases.add_line(p, name="Eggs", unit="tray", price=Decimal("28"))
    return p, veg, eggs


@pytest.mark.django_db
def test_a_resident_orders_and_changes_the_order(world, purchase):
    p, veg, eggs = purchase
    user = world.users["resident_a1"]
    purchases.order_as_resident(p, user, {str(veg.pk): 2, str(eggs.pk): 1})
    order = purchases.order_as_resident(p, user, {str(veg.pk): 1})
    assert PurchaseOrder.objects.count() == 1 and order.quantities == {str(veg.pk): 1}
    assert purchases.order_as_resident(p, user, {str(veg.pk): 0}) is None
    assert not PurchaseOrder.objects.exists()


@pytest.mark.django_db
def test_more_than_the_maximum_or_a_bad_number_is_refused(world, purchase):
    p, veg, eggs = purchase
    for bad in (3, -1, "two", "1.5"):
        with pytest.raises(ValidationError) as refused:
            purchases.place_order(p, world.household_a1, {str(veg.pk): bad})
        assert f"line_{veg.pk}" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        purchases.place_order(p, world.household_a1, {"999999": 1})
    assert "quantities" in refused.value.message_dict
    assert not PurchaseOrder.objects.exists()


@pytest.mark.django_db
def test_orders_after_the_deadline_or_from_another_building_are_refused(world, purchase):
    p, veg, _eggs = purchase
    with pytest.raises(ValidationError) as refused:
        purchases.place_order(p, world.household_a1, {str(veg.pk): 1},
                              now=timezone.now() + dt.timedelta(hours=6))
    assert "purchase" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        purchases.place_order(p, world.household_a2, {str(veg.pk): 1})
    assert "household" in refused.value.message_dict
    with pytest.raises(PermissionDenied):
        purchases.order_as_resident(p, world.users["staff_a"], {str(veg.pk): 1})
    assert not PurchaseOrder.objects.exists()


@pytest.mark.django_db
def test_status_goes_collecting_ordered_delivered_closed(world, purchase):
    p, veg, eggs = purchase
    staff = world.staff_a
    with pytest.raises(ValidationError):
        purchases.advance(p, staff, PurchaseStatus.ORDERED)  # nobody ordered yet
    purchases.place_order(p, world.household_a1, {str(veg.pk): 2, str(eggs.pk): 1})
    with pytest.raises(ValidationError):
        purchases.advance(p, staff, PurchaseStatus.DELIVERED)  # skipping a step
    with pytest.raises(PermissionDenied):
        purchases.advance(p, world.users["resident_a1"], PurchaseStatus.ORDERED)
    purchases.advance(p, staff, PurchaseStatus.ORDERED)
    with pytest.raises(ValidationError):  # orders are closed once ordered
        purchases.place_order(p, world.household_a1, {str(veg.pk): 1})
    purchases.advance(p, staff, PurchaseStatus.DELIVERED)
    assert PurchaseOrder.objects.get().delivered
    purchases.advance(p, staff, PurchaseStatus.CLOSED)
    with pytest.raises(ValidationError):
        purchases.advance(p, staff, PurchaseStatus.CANCELLED)


@pytest.mark.django_db
def test_totals_for_the_supplier(world, purchase):
    p, veg, eggs = purchase
    from resilience.people.models import Household

    neighbour = Household.objects.create(community=world.community_a, building=world.building_a1,
                                         room="102", code="a1-102")
    purchases.place_order(p, world.household_a1, {str(veg.pk): 2, str(eggs.pk): 1})
    purchases.place_order(p, neighbour, {str(veg.pk): 1})
    totals = purchases.line_totals(p)
    assert [(r["name"], r["quantity"], r["households"], r["amount"]) for r in totals["lines"]] == [
        ("Vegetable box", 3, 2, Decimal("119.7")), ("Eggs", 1, 1, Decimal("28"))]
    assert totals["orders"] == 2 and totals["amount"] == Decimal("147.7")
