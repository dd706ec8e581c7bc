"""Shared makers of the street tests: water in both communities of the street."""
from __future__ import annotations

from decimal import Decimal

from resilience.places.models import Facility
from resilience.relief import ledger
from resilience.relief.models import Item


def warehouse(community, code: str = "W1") -> Facility:
    return Facility.objects.create(community=community, kind="warehouse", code=code,
                                   name=f"Warehouse {code} of {community.code}")


def water(community, **extra) -> Item:
    return Item.objects.create(community=community, name="Bottled water 550 ml",
                               category="water", unit="bottle", perishable=True,
                               per_capita_amount=Decimal("0.55"), **extra)


def stock(community, quantity, expires_on, code: str = "W1") -> tuple[Item, Facility]:
    """Water in a warehouse of ``community`` (both made if missing)."""
    store = (Facility.objects.filter(community=community, kind="warehouse", code=code).first()
             or warehouse(community, code))
    item = Item.objects.filter(community=community, name="Bottled water 550 ml").first() \
        or water(community)
    ledger.receive(item, store, quantity, expires_on=expires_on)
    return item, store
