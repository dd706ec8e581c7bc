"""FilterSets of the health app (UI lists and API). Encrypted fields are never searched."""
import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from resilience.health.models import CarePlan, FollowUp, HealthArchive, Referral, ScreeningRound
from resilience.health.vocab import CarePlanKind, DeviceType, ReferralStatus, ReferralTarget
from resilience.people.models.residents import tag_token
from resilience.people.vocab import Vulnerability
from resilience.places.filtersets import SearchFilterSet


def resident_tag_filter(tag: str) -> Q:
    return Q(resident__tag_index__contains=f"|{tag_token(tag)}|")


# The tags an archive derives: the filter finds "the dialysis patients" without reading one.
ARCHIVE_TAGS = [(t.value, t.label) for t in (
    Vulnerability.DIALYSIS, Vulnerability.OXYGEN, Vulnerability.MEDICAL_DEVICE,
    Vulnerability.BEDRIDDEN, Vulnerability.CHRONIC_ILLNESS)]


class HealthArchiveFilterSet(SearchFilterSet):
    search_fields = ("resident__name",)
    tag = django_filters.ChoiceFilter(choices=ARCHIVE_TAGS, method="filter_tag",
                                      label=_("vulnerability tag"))
    device = django_filters.ChoiceFilter(field_name="devices__device_type",
                                         choices=DeviceType.choices, distinct=True,
                                         label=_("home medical device"))

    class Meta:
        model = HealthArchive
        fields = ["q", "community", "resident", "tag", "device"]

    def filter_tag(self, queryset, name, value):
        return queryset.filter(resident_tag_filter(value))


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
