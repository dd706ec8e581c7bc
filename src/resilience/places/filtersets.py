"""One FilterSet per model, shared by the UI lists and the API."""
import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from resilience.places.models import Building, Community, Facility, Grid, Region, Unit
from resilience.places.vocab import FacilityKind, RegionLevel, Structure


class SearchFilterSet(django_filters.FilterSet):
    """Adds ``q``: a free-text search over the model's ``search_fields``."""

    q = django_filters.CharFilter(method="search", label=_("Search"))
    search_fields: tuple[str, ...] = ("name", "code")

    def search(self, queryset, name, value):
        query = Q()
        for field in self.search_fields:
            query |= Q(**{f"{field}__icontains": value.strip()})
        return queryset.filter(query)


class RegionFilterSet(SearchFilterSet):
    level = django_filters.ChoiceFilter(choices=RegionLevel.choices, label=_("level"))

    class Meta:
        model = Region
        fields = ["q", "level", "parent"]


class CommunityFilterSet(SearchFilterSet):
    class Meta:
        model = Community
        fields = ["q", "region"]


class GridFilterSet(SearchFilterSet):
    class Meta:
        model = Grid
        fields = ["q", "community"]


class BuildingFilterSet(SearchFilterSet):
    structure = django_filters.ChoiceFilter(choices=Structure.choices, label=_("structure"))
    search_fields = ("name", "code", "address")

    class Meta:
        model = Building
        fields = ["q", "community", "grid", "structure", "has_elevator", "manager"]


class UnitFilterSet(SearchFilterSet):
    search_fields = ("number",)

    class Meta:
        model = Unit
        fields = ["q", "building"]


class FacilityFilterSet(SearchFilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=FacilityKind.choices, label=_("type"))
    status = django_filters.ChoiceFilter(choices=Facility.Status.choices, label=_("status"))

    class Meta:
        model = Facility
        fields = ["q", "community", "grid", "building", "kind", "status", "owner"]
