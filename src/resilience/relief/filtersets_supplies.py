"""FilterSets of supplies, distributions, group purchases and surveys (UI lists and API)."""
import django_filters
from django.utils.translation import gettext_lazy as _

from resilience.places.filtersets import SearchFilterSet
from resilience.relief.models import (Distribution, GroupPurchase, Item, StockLot, StockMovement,
                                      Survey)
from resilience.relief.vocab import MovementKind, PurchaseStatus, SupplyCategory, SurveyStatus


class ItemFilterSet(SearchFilterSet):
    search_fields = ("name",)
    category = django_filters.ChoiceFilter(choices=SupplyCategory.choices, label=_("category"))

    class Meta:
        model = Item
        fields = ["q", "community", "category", "perishable"]


class StockLotFilterSet(django_filters.FilterSet):
    category = django_filters.ChoiceFilter(field_name="item__category",
                                           choices=SupplyCategory.choices, label=_("category"))

    class Meta:
        model = StockLot
        fields = ["community", "item", "warehouse", "category"]


class StockMovementFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=MovementKind.choices, label=_("kind"))
    item = django_filters.NumberFilter(field_name="lot__item", label=_("item"))
    warehouse = django_filters.NumberFilter(field_name="lot__warehouse", label=_("warehouse"))

    class Meta:
        model = StockMovement
        fields = ["community", "lot", "kind", "item", "warehouse", "transfer_key", "distribution",
                  "request"]


class DistributionFilterSet(SearchFilterSet):
    search_fields = ("note", "item__name")

    class Meta:
        model = Distribution
        fields = ["q", "community", "item", "warehouse", "building", "household"]


class GroupPurchaseFilterSet(SearchFilterSet):
    search_fields = ("title", "supplier")
    status = django_filters.ChoiceFilter(choices=PurchaseStatus.choices, label=_("status"))

    class Meta:
        model = GroupPurchase
        fields = ["q", "community", "building", "status"]


class SurveyFilterSet(SearchFilterSet):
    search_fields = ("title", "intro")
    status = django_filters.ChoiceFilter(choices=SurveyStatus.choices, label=_("status"))

    class Meta:
        model = Survey
        fields = ["q", "community", "grid", "building", "status"]
