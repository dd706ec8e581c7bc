"""Reserve norms and the days of autonomy they give a community's population.

A norm says how much of a supply category a community should hold (``ReserveNorm``): platform
defaults (``community`` empty) that a community may override with its own row. With a per person
per day norm, the stock of the category in norm units divided by (amount × population) is the
number of days the community can live on its own stock; the community's days of autonomy are the
smallest of these. Other bases (per person, per household, per community) give a target quantity
only. ``autonomy()`` is what the assessment's "days of supply" indicator reads.
"""
from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from resilience.people.models import Household, Resident
from resilience.relief import ledger
from resilience.relief.models import Item, ReserveNorm
from resilience.relief.vocab import NormBasis, SupplyCategory

# Defaults to adjust: each one says where its figure comes from. They are starting points for a
# committee to check against its own district's rules, not a statement of any binding standard.
DEFAULT_NORMS: list[dict] = [
    {"category": SupplyCategory.WATER, "basis": NormBasis.PERSON_DAY, "amount": "3",
     "unit": "L", "days": 3,
     "note": "Default: ~3 L drinking water/person/day (Sphere Handbook survival intake 2.5–3 L); "
             "3 days as in household reserve advice. Adjust."},
    {"category": SupplyCategory.FOOD, "basis": NormBasis.PERSON_DAY, "amount": "1",
     "unit": "day-ration", "days": 3,
     "note": "Default: one day's ration/person/day; food for about 3 days as in the 2020 "
             "national household emergency supplies list (应急管理部). Adjust."},
    {"category": SupplyCategory.MASKS, "basis": NormBasis.PERSON_DAY, "amount": "1",
     "unit": "piece", "days": 7,
     "note": "Default: one disposable mask/person/day (replaced daily, 2020 public-health "
             "advice), one week. Adjust to the epidemic situation."},
    {"category": SupplyCategory.MEDICAL_KIT, "basis": NormBasis.HOUSEHOLD, "amount": "1",
     "unit": "kit", "days": 0,
     "note": "Default: one first-aid kit per household (2020 national household emergency "
             "supplies list). Adjust."},
    {"category": SupplyCategory.BLANKETS, "basis": NormBasis.PERSON, "amount": "1",
     "unit": "piece", "days": 0,
     "note": "Default: one blanket per person (shelter planning practice). Adjust to climate "
             "and season."},
    {"category": SupplyCategory.LIGHTING, "basis": NormBasis.HOUSEHOLD, "amount": "1",
     "unit": "torch", "days": 0,
     "note": "Default: one torch with batteries per household (2020 national household "
             "emergency supplies list). Adjust."},
    {"category": SupplyCategory.GENERATOR, "basis": NormBasis.COMMUNITY, "amount": "1",
     "unit": "set", "days": 0,
     "note": "Default: one portable generator per community for the committee office and "
             "essential loads (common practice, no national figure). Adjust."},
]


def install_defaults() -> int:
    """Create the platform default norms that are missing; returns how many were created."""
    created = 0
    with transaction.atomic():
        for spec in DEFAULT_NORMS:
            _norm, made = ReserveNorm.objects.get_or_create(
                community=None, category=spec["category"],
                defaults={**{k: v for k, v in spec.items() if k != "category"},
                          "amount": Decimal(spec["amount"])})
            created += made
    return created


def effective_norms(community) -> dict[str, ReserveNorm]:
    """Category → the norm in force for ``community``: its own row, else the platform default."""
    norms: dict[str, ReserveNorm] = {}
    for norm in ReserveNorm.objects.filter(community__isnull=True):
        norms[norm.category] = norm
    for norm in ReserveNorm.objects.filter(community=community):
        norms[norm.category] = norm
    return norms


def population(community) -> dict[str, int]:
    """Residents and households of the community, from the registry."""
    return {"residents": Resident.objects.filter(community=community).count(),
            "households": Household.objects.filter(community=community).count()}


def stock_in_norm_units(community, *, on: dt.date | None = None) -> dict[str, Decimal]:
    """Category → usable stock, each item converted by ``per_capita_amount`` (1 if empty)."""
    available = ledger.available(community, on=on)
    factors = dict(Item.objects.filter(pk__in=available).values_list("pk", "per_capita_amount"))
    categories = dict(Item.objects.filter(pk__in=available).values_list("pk", "category"))
    totals: dict[str, Decimal] = {}
    for item_id, per_warehouse in available.items():
        amount = sum(per_warehouse.values(), Decimal(0)) * (factors[item_id] or Decimal(1))
        totals[categories[item_id]] = totals.get(categories[item_id], Decimal(0)) + amount
    return totals


def _round(value: Decimal, places: str = "0.1") -> Decimal:
    return value.quantize(Decimal(places), rounding=ROUND_HALF_UP)


def autonomy(community, *, on: dt.date | None = None) -> list[dict]:
    """Per category (those with a norm or with stock): ``category``, ``label``, ``norm`` (or
    None), ``basis``, ``unit``, ``stock`` (norm units), ``need_per_day`` (norm × population, per
    day norms only), ``days`` (days of autonomy, None without a per day norm), ``target_days``,
    ``target`` (quantity the norm asks for), ``shortfall`` (target − stock, never negative),
    ``source`` (the norm's note) and ``overridden`` (the community set its own norm)."""
    people = population(community)
    stock = stock_in_norm_units(community, on=on)
    norms = effective_norms(community)
    rows = []
    for category in SupplyCategory:
        norm = norms.get(category.value)
        held = stock.get(category.value, Decimal(0))
        if norm is None and not held:
            continue
        row = {"category": category.value, "label": category.label, "norm": norm,
               "basis": norm.basis if norm else None, "unit": norm.unit if norm else "",
               "stock": _round(held, "0.001"), "need_per_day": None, "days": None,
               "target_days": None, "target": None, "shortfall": None,
               "source": norm.note if norm else "",
               "overridden": bool(norm and norm.community_id)}
        if norm is not None:
            if norm.basis == NormBasis.PERSON_DAY:
                need = norm.amount * people["residents"]
                row["need_per_day"] = _round(need, "0.001")
                row["target_days"] = norm.days
                target = need * norm.days
                row["days"] = _round(held / need) if need else None
            elif norm.basis == NormBasis.PERSON:
                target = norm.amount * people["residents"]
            elif norm.basis == NormBasis.HOUSEHOLD:
                target = norm.amount * people["households"]
            else:
                target = norm.amount
            row["target"] = _round(target, "0.001")
            row["shortfall"] = _round(max(target - held, Decimal(0)), "0.001")
        rows.append(row)
    return rows


def community_days(rows: list[dict]) -> Decimal | None:
    """The community's days of autonomy: the smallest over categories with a per day norm."""
    days = [row["days"] for row in rows if row["days"] is not None]
    return min(days) if days else None


def summary(community, *, on: dt.date | None = None) -> dict:
    """``autonomy()`` rows with the population and the community's days of autonomy."""
    rows = autonomy(community, on=on)
    return {"population": population(community), "categories": rows,
            "days": community_days(rows),
            "limiting": min((r for r in rows if r["days"] is not None),
                            key=lambda r: r["days"], default=None)}


BASIS_HELP = _("Per person per day norms give days of autonomy; the others give a target only.")
