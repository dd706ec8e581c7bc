"""FilterSets of rules and alarms, shared by the UI lists and the API."""
import django_filters
from django.utils.translation import gettext_lazy as _

from resilience.core.filters import UtcIsoDateTimeFilter
from resilience.monitoring.models import Alarm, Rule
from resilience.monitoring.vocab import AlarmLevel, RuleKind, SensorKind
from resilience.places.filtersets import SearchFilterSet
from resilience.places.vocab import FacilityKind
from resilience.risks.filtersets import MultipleChoiceFilter


class RuleFilterSet(SearchFilterSet):
    kind = MultipleChoiceFilter(choices=RuleKind.choices, label=_("rule type"))
    sensor_kind = django_filters.ChoiceFilter(choices=SensorKind.choices, label=_("sensor type"))
    facility_kind = django_filters.ChoiceFilter(choices=FacilityKind.choices,
                                                label=_("facility type"))
    level = MultipleChoiceFilter(choices=AlarmLevel.choices, label=_("alarm level"))
    platform = django_filters.BooleanFilter(field_name="community", lookup_expr="isnull",
                                            label=_("platform default"))
    search_fields = ("name",)

    class Meta:
        model = Rule
        fields = ["q", "community", "sensor", "sensor_kind", "facility_kind", "kind", "level",
                  "platform", "auto_alert", "active"]


class AlarmFilterSet(SearchFilterSet):
    """``?open=true`` for the alarms still open; ``level`` takes a list (``level=1,2``)."""

    status = django_filters.ChoiceFilter(choices=Alarm.Status.choices, label=_("status"))
    open = django_filters.BooleanFilter(method="filter_open", label=_("open"))
    level = MultipleChoiceFilter(choices=AlarmLevel.choices, label=_("level"))
    community_code = django_filters.CharFilter(field_name="community__code",
                                               label=_("community code"))
    sensor_code = django_filters.CharFilter(field_name="sensor__code", label=_("sensor code"))
    kind = django_filters.ChoiceFilter(field_name="sensor__kind", choices=SensorKind.choices,
                                       label=_("sensor type"))
    rule_kind = django_filters.ChoiceFilter(field_name="rule__kind", choices=RuleKind.choices,
                                            label=_("rule type"))
    grid = django_filters.NumberFilter(field_name="sensor__grid", label=_("grid"))
    facility = django_filters.NumberFilter(field_name="sensor__facility", label=_("facility"))
    acknowledged = django_filters.BooleanFilter(field_name="acknowledged_at", lookup_expr="isnull",
                                                exclude=True, label=_("acknowledged"))
    opened_after = UtcIsoDateTimeFilter(field_name="opened_at", lookup_expr="gte",
                                                    label=_("opened from"))
    opened_before = UtcIsoDateTimeFilter(field_name="opened_at", lookup_expr="lt",
                                                     label=_("opened before"))
    search_fields = ("message", "sensor__code", "sensor__name")

    class Meta:
        model = Alarm
        fields = ["q", "community", "community_code", "sensor", "sensor_code", "rule",
                  "rule_kind", "kind", "grid", "facility", "level", "status", "open",
                  "acknowledged", "opened_after", "opened_before"]

    def filter_open(self, queryset, name, value):
        if value:
            return queryset.filter(status=Alarm.Status.OPEN)
        return queryset.exclude(status=Alarm.Status.OPEN)
