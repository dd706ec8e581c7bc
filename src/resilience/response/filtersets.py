"""FilterSets of response records (UI lists and API)."""
import django_filters
from django.utils.translation import gettext_lazy as _

from resilience.places.filtersets import SearchFilterSet
from resilience.response.models import Task
from resilience.response.vocab import OPEN_STATUSES, TaskSource, TaskStatus


class TaskFilterSet(SearchFilterSet):
    search_fields = ("title", "description")
    status = django_filters.MultipleChoiceFilter(choices=TaskStatus.choices, label=_("status"))
    source = django_filters.ChoiceFilter(choices=TaskSource.choices, label=_("source"))
    mine = django_filters.BooleanFilter(method="filter_mine", label=_("assigned to me"))
    open = django_filters.BooleanFilter(method="filter_open", label=_("open"))

    class Meta:
        model = Task
        fields = ["q", "community", "status", "source", "assignee", "grid", "alert", "mine", "open"]

    def filter_mine(self, queryset, name, value):
        user = getattr(self.request, "user", None)
        if value is None or user is None:
            return queryset
        return queryset.filter(assignee=user) if value else queryset.exclude(assignee=user)

    def filter_open(self, queryset, name, value):
        if value is None:
            return queryset
        return (queryset.filter(status__in=OPEN_STATUSES) if value
                else queryset.exclude(status__in=OPEN_STATUSES))
