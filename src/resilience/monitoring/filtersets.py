"""The sensors' FilterSet, shared by the UI list, the API and the map layer (rules and alarms:
``filtersets_alarms``; observations and dead letters: ``filtersets_observations``)."""
import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from resilience.monitoring.models import Alarm, Sensor
from resilience.monitoring.vocab import SensorKind, SensorStatus
from resilience.places.filtersets import SearchFilterSet
from resilience.risks.filtersets import MultipleChoiceFilter

LOW_BATTERY = 20  # per cent


class SensorFilterSet(SearchFilterSet):
    kind = MultipleChoiceFilter(choices=SensorKind.choices, label=_("type"))
    status = MultipleChoiceFilter(choices=SensorStatus.choices, label=_("status"))
    community_code = django_filters.CharFilter(field_name="community__code",
                                               label=_("community code"))
    code = django_filters.CharFilter(label=_("code"))
    low_battery = django_filters.BooleanFilter(method="filter_low_battery",
                                               label=_("low battery"))
    alarm = django_filters.BooleanFilter(method="filter_alarm", label=_("open alarm"))
    search_fields = ("name", "code")

    class Meta:
        model = Sensor
        fields = ["q", "community", "community_code", "grid", "building", "facility", "risk",
                  "kind", "status", "owner", "active", "code", "low_battery", "alarm"]

    def filter_low_battery(self, queryset, name, value):
        low = Q(battery__lt=LOW_BATTERY)
        return queryset.filter(low) if value else queryset.exclude(low)

    def filter_alarm(self, queryset, name, value):
        with_alarm = Q(pk__in=Alarm.objects.filter(status=Alarm.Status.OPEN).values("sensor_id"))
        return queryset.filter(with_alarm) if value else queryset.exclude(with_alarm)
