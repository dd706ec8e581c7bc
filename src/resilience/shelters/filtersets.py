"""One FilterSet per model, shared by the UI lists and the API."""
import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from resilience.places.models import Community
from resilience.shelters.models import PathEdge, Shelter, ShelterStatus, Stay


class ShelterFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    community = django_filters.ModelChoiceFilter(field_name="facility__community",
                                                 queryset=Community.objects.all(),
                                                 label=_("community"))
    status = django_filters.ChoiceFilter(choices=ShelterStatus.choices, label=_("status"))

    class Meta:
        model = Shelter
        fields = ["q", "community", "status"]

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(Q(facility__name__icontains=value) | Q(facility__code__icontains=value))


class StayFilterSet(django_filters.FilterSet):
    present = django_filters.BooleanFilter(field_name="checked_out_at", lookup_expr="isnull",
                                           label=_("still in the shelter"))

    class Meta:
        model = Stay
        fields = ["shelter", "present"]


class PathEdgeFilterSet(django_filters.FilterSet):
    class Meta:
        model = PathEdge
        fields = ["community", "blocked", "source"]
