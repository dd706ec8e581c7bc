"""Shared makers of the supplies tests: warehouses and items in the test world."""
from __future__ import annotations

import datetime as dt

from django.utils import timezone

from resilience.places.models import Facility
from resilience.relief.models import Item


def warehouse(community, code: str = "W1", name: str | None = None) -> Facility:
    return Facility.objects.create(community=community, kind="warehouse", code=code,
                                   name=name or f"Warehouse {code} of {community.code}")


def item(community, name: str = "Bottled water 550 ml", category: str = "water",
         unit: str = "bottle", perishable: bool = False, per_capita_amount=None) -> Item:
    return Item.objects.create(community=community, name=name, category=category, unit=unit,
                               perishable=perishable, per_capita_amount=per_capita_amount)


def days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)
