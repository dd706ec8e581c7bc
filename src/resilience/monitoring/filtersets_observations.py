"""Filters of observations and dead letters, shared by the API and the UI."""
import django_filters
from django.utils.translation import gettext_lazy as _

from resilience.core.filters import UtcIsoDateTimeFilter
from resilience.monitoring.models import DeadLetter, Observation


class ObservationFilterSet(django_filters.FilterSet):
    """``?sensor=<code>&since=<ISO 8601>&until=<ISO 8601>``: since inclusive, until exclusive."""

    sensor = django_filters.CharFilter(field_name="sensor__code", label=_("sensor code"))
    since = UtcIsoDateTimeFilter(field_name="time", lookup_expr="gte",
                                             label=_("from (inclusive)"))
    until = UtcIsoDateTimeFilter(field_name="time", lookup_expr="lt",
                                             label=_("until (exclusive)"))

    class Meta:
        model = Observation
        fields = ["sensor", "since", "until"]


class DeadLetterFilterSet(django_filters.FilterSet):
    sensor = django_filters.CharFilter(field_name="sensor_code", label=_("sensor code"))
    since = UtcIsoDateTimeFilter(field_name="received_at", lookup_expr="gte",
                                             label=_("received from"))
    until = UtcIsoDateTimeFilter(field_name="received_at", lookup_expr="lt",
                                             label=_("received until"))

    class Meta:
        model = DeadLetter
        fields = ["source", "community", "sensor", "since", "until"]
