"""FilterSets of response records (UI lists and API)."""
import django_filters
from django.utils.translation import gettext_lazy as _

from resilience.places.filtersets import SearchFilterSet
from resilience.response.models import Incident, Plan, Task
from resilience.response.vocab import (
    OPEN_STATUSES, IncidentStatus, PlanStatus, Scenario, TaskSource, TaskStatus,
)


class TaskFilterSet(SearchFilterSet):
    search_fields = ("title", "description")
    status = django_filters.MultipleChoiceFilter(choices=TaskStatus.choices, label=_("status"))
    source = django_filters.ChoiceFilter(choices=TaskSource.choices, label=_("source"))
    mine = django_filters.BooleanFilter(method="filter_mine", label=_("assigned to me"))
    open = django_filters.BooleanFilter(method="filter_open", label=_("open"))
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("overdue"))

    class Meta:
        model = Task
        fields = ["q", "community", "status", "source", "assignee", "grid", "alert", "incident",
                  "mine", "open", "overdue"]

    def filter_mine(self, queryset, name, value):
        user = getattr(self.request, "user", None)
        if value is None or user is None:
            return queryset
        return queryset.filter(assignee=user) if value else queryset.exclude(assignee=user)

    def filter_overdue(self, queryset, name, value):
        from django.utils import timezone

        if value is None:
            return queryset
        late = queryset.filter(status__in=OPEN_STATUSES, due__lt=timezone.now())
        return late if value else queryset.exclude(pk__in=late.values("pk"))

    def filter_open(self, queryset, name, value):
        if value is None:
            return queryset
        return (queryset.filter(status__in=OPEN_STATUSES) if value
                else queryset.exclude(status__in=OPEN_STATUSES))


class PlanFilterSet(SearchFilterSet):
    search_fields = ("name", "name_en", "summary")
    scenario = django_filters.ChoiceFilter(choices=Scenario.choices, label=_("scenario"))
    status = django_filters.ChoiceFilter(choices=PlanStatus.choices, label=_("status"))
    review_overdue = django_filters.BooleanFilter(method="filter_review_overdue",
                                                  label=_("review overdue"))

    class Meta:
        model = Plan
        fields = ["q", "community", "scenario", "status", "review_overdue"]

    def filter_review_overdue(self, queryset, name, value):
        from resilience.response.services.plans import review_overdue

        if value is None:
            return queryset
        overdue = review_overdue(queryset)
        return overdue if value else queryset.exclude(pk__in=overdue.values("pk"))


class IncidentFilterSet(SearchFilterSet):
    search_fields = ("title", "description")
    scenario = django_filters.ChoiceFilter(choices=Scenario.choices, label=_("scenario"))
    status = django_filters.MultipleChoiceFilter(choices=IncidentStatus.choices, label=_("status"))

    class Meta:
        model = Incident
        fields = ["q", "community", "scenario", "status", "level", "alert"]
