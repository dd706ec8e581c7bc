"""The FilterSet of consultations (UI list and API)."""
import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from resilience.participation.models import Consultation
from resilience.participation.vocab_consultations import ConsultationState, Majority, VoterUnit
from resilience.places.filtersets import SearchFilterSet


class ConsultationFilterSet(SearchFilterSet):
    search_fields = ("title", "body")
    state = django_filters.ChoiceFilter(choices=ConsultationState.choices, method="filter_state",
                                        label=_("state"))
    voter_unit = django_filters.ChoiceFilter(choices=VoterUnit.choices, label=_("who votes"))
    majority = django_filters.ChoiceFilter(choices=Majority.choices, label=_("majority"))

    class Meta:
        model = Consultation
        fields = ["q", "community", "grid", "building", "state", "voter_unit", "majority",
                  "secret", "published"]

    def filter_state(self, queryset, name, value):
        now = timezone.now()
        live = Q(closed_at__isnull=True)
        if value == ConsultationState.DRAFT:
            return queryset.filter(live, opens_at__isnull=True)
        if value == ConsultationState.SCHEDULED:
            return queryset.filter(live, opens_at__gt=now)
        if value == ConsultationState.OPEN:
            return queryset.filter(live, opens_at__lte=now, closes_at__gt=now)
        if value == ConsultationState.ENDED:
            return queryset.filter(live, opens_at__lte=now, closes_at__lte=now)
        if value == ConsultationState.CLOSED:
            return queryset.filter(closed_at__isnull=False)
        return queryset
