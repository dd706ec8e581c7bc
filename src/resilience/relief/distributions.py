"""Distributions: supplies handed out to a building or one household, recorded against stock.

A distribution and the ledger issue it causes are written in one transaction: if the warehouse
cannot give the quantity (not enough usable stock, only expired lots), nothing is written.
"""
from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Sum
from django.utils.translation import gettext as _

from resilience.relief import ledger
from resilience.relief.models import Distribution


def distribute(*, item, warehouse, building, quantity, household=None, by=None,
               note: str = "") -> Distribution:
    """Hand out ``quantity`` of ``item`` from ``warehouse`` to ``building`` (or one of its
    households); issues the stock through the ledger, earliest expiry first."""
    quantity = ledger.as_quantity(quantity)
    if household is not None and building is None:
        building = household.building
    distribution = Distribution(community_id=item.community_id, item=item, warehouse=warehouse,
                                building=building, household=household, quantity=quantity,
                                note=note[:200], by=by if by is not None and by.pk else None)
    if building is None:
        raise ValidationError({"building": _("Choose a building or a household.")})
    distribution.clean()
    ledger.check_warehouse(item, warehouse)
    with transaction.atomic():
        distribution.save()
        ledger.issue(item, warehouse, quantity, by=distribution.by,
                     reason=_("distribution to %(to)s") % {"to": household or building},
                     distribution=distribution)
    return distribution


def totals_by_building(queryset) -> list[dict]:
    """Per building and item: total handed out, how many distributions, households reached."""
    rows = (queryset.values("building_id", "building__name", "item_id", "item__name", "item__unit")
            .annotate(total=Sum("quantity"), times=Count("id"),
                      households=Count("household", distinct=True))
            .order_by("building__name", "item__name"))
    return [{"building": r["building_id"], "building_name": r["building__name"],
             "item": r["item_id"], "item_name": r["item__name"], "unit": r["item__unit"],
             "total": Decimal(r["total"] or 0).quantize(ledger.PLACES), "times": r["times"],
             "households": r["households"]} for r in rows]
