"""Distributions: recorded against stock in one transaction, refused whole when stock is short."""
from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from resilience.relief import distributions, ledger
from resilience.relief.models import Distribution, StockMovement
from resilience.relief.tests.supplies_helpers import days, item, warehouse


@pytest.fixture
def stock(world):
    c = world.community_a
    w = warehouse(c)
    water = item(c, perishable=True)
    ledger.receive(water, w, 10, expires_on=days(20))
    return c, w, water


@pytest.mark.django_db
def test_a_distribution_issues_the_stock_and_links_the_movements(world, stock):
    _c, w, water = stock
    made = distributions.distribute(item=water, warehouse=w, building=world.building_a1,
                                    household=world.household_a1, quantity=4,
                                    by=world.staff_a, note="elderly")
    assert made.movements.count() == 1 and made.movements.get().quantity == Decimal("-4")
    assert ledger.available(world.community_a)[water.pk][w.pk] == Decimal("6")


@pytest.mark.django_db
def test_short_stock_refuses_the_distribution_and_writes_nothing(world, stock):
    _c, w, water = stock
    with pytest.raises(ValidationError) as refused:
        distributions.distribute(item=water, warehouse=w, building=world.building_a1,
                                 quantity=11)
    assert "quantity" in refused.value.message_dict
    assert not Distribution.objects.exists() and StockMovement.objects.count() == 1


@pytest.mark.django_db
def test_a_household_of_another_building_or_community_is_refused(world, stock):
    _c, w, water = stock
    with pytest.raises(ValidationError) as refused:
        distributions.distribute(item=water, warehouse=w, building=world.building_a2,
                                 household=world.household_a1, quantity=1)
    assert "household" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        distributions.distribute(item=water, warehouse=w, building=world.building_b1, quantity=1)
    assert "building" in refused.value.message_dict
    assert not Distribution.objects.exists()


@pytest.mark.django_db
def test_totals_per_building(world, stock):
    _c, w, water = stock
    distributions.distribute(item=water, warehouse=w, building=world.building_a1,
                             household=world.household_a1, quantity=2)
    distributions.distribute(item=water, warehouse=w, building=world.building_a1, quantity=3)
    distributions.distribute(item=water, warehouse=w, building=world.building_a2, quantity=1)
    rows = distributions.totals_by_building(Distribution.objects.all())
    assert [(r["building_name"], r["total"], r["times"], r["households"]) for r in rows] == [
        ("Building A1", Decimal("5"), 2, 1), ("Building A2", Decimal("1"), 1, 0)]
