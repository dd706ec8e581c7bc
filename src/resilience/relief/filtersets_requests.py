"""FilterSets of needs requests and dispatch batches (UI lists and API)."""
from __future__ import annotations

import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from resilience.places.filtersets import SearchFilterSet
from resilience.relief.models import DispatchBatch, NeedRequest
from resilience.relief.vocab import (ACTIVE_REQUEST_STATUSES, BatchStatus, NeedKind,
                                     RequestStatus, Urgency)


class NeedRequestFilterSet(SearchFilterSet):
    search_fields = ("description", "medicine", "household__code", "building__name")
    status = django_filters.MultipleChoiceFilter(choices=RequestStatus.choices, label=_("status"))
    kind = django_filters.ChoiceFilter(choices=NeedKind.choices, label=_("kind"))
    urgency = django_filters.ChoiceFilter(choices=Urgency.choices, label=_("urgency"))
    active = django_filters.BooleanFilter(method="filter_active", label=_("still to do"))
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("overdue"))

    class Meta:
        model = NeedRequest
        fields = ["q", "community", "status", "kind", "urgency", "building", "household",
                  "volunteer", "batch", "active", "overdue"]

    def filter_active(self, queryset, name, value):
        if value is None:
            return queryset
        if value:
            return queryset.filter(status__in=ACTIVE_REQUEST_STATUSES)
        return queryset.exclude(status__in=ACTIVE_REQUEST_STATUSES)

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        late = {"status__in": ACTIVE_REQUEST_STATUSES, "due_at__lt": timezone.now()}
        return queryset.filter(**late) if value else queryset.exclude(**late)


class DispatchBatchFilterSet(SearchFilterSet):
    search_fields = ("building__name", "volunteer__name")
    status = django_filters.MultipleChoiceFilter(choices=BatchStatus.choices, label=_("status"))

    class Meta:
        model = DispatchBatch
        fields = ["q", "community", "status", "building", "volunteer"]
