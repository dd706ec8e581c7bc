"""FilterSets of the health app (UI lists and API). Encrypted fields are never searched."""
import django_filters
from django.utils.translation import gettext_lazy as _

from resilience.health.models import CarePlan, FollowUp, HealthArchive, Referral, ScreeningRound
from resilience.health.vocab import CarePlanKind, ReferralStatus, ReferralTarget
from resilience.places.filtersets import SearchFilterSet


class HealthArchiveFilterSet(SearchFilterSet):
    search_fields = ("resident__name",)

    class Meta:
        model = HealthArchive
        fields = ["q", "community", "resident"]


class CarePlanFilterSet(SearchFilterSet):
    search_fields = ("resident__name",)
    kind = django_filters.ChoiceFilter(choices=CarePlanKind.choices, label=_("kind"))

    class Meta:
        model = CarePlan
        fields = ["q", "community", "kind", "active", "assignee", "resident"]


class FollowUpFilterSet(SearchFilterSet):
    search_fields = ("resident__name",)
    done = django_filters.BooleanFilter(field_name="done_at", lookup_expr="isnull", exclude=True,
                                        label=_("done"))
    scheduled_before = django_filters.DateFilter(field_name="scheduled_on", lookup_expr="lt",
                                                 label=_("scheduled before"))

    class Meta:
        model = FollowUp
        fields = ["q", "community", "kind", "assignee", "resident", "care_plan", "referral",
                  "done", "scheduled_before"]


class ScreeningRoundFilterSet(SearchFilterSet):
    search_fields = ("incident__title",)

    class Meta:
        model = ScreeningRound
        fields = ["q", "community", "incident"]


class ReferralFilterSet(SearchFilterSet):
    search_fields = ("resident__name",)
    status = django_filters.MultipleChoiceFilter(choices=ReferralStatus.choices,
                                                 label=_("status"))
    target = django_filters.ChoiceFilter(choices=ReferralTarget.choices, label=_("referred to"))

    class Meta:
        model = Referral
        fields = ["q", "community", "status", "target", "resident"]
