"""FilterSets of notices and reports (UI lists and API)."""
import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from resilience.participation.models import Notice, Report
from resilience.participation.vocab import NoticeState, ReportKind, ReportOutcome, ReportStatus
from resilience.places.filtersets import SearchFilterSet


class NoticeFilterSet(SearchFilterSet):
    search_fields = ("title", "body")
    state = django_filters.ChoiceFilter(choices=NoticeState.choices, method="filter_state",
                                        label=_("state"))

    class Meta:
        model = Notice
        fields = ["q", "community", "grid", "building", "pinned", "state"]

    def filter_state(self, queryset, name, value):
        now = timezone.now()
        if value == NoticeState.DRAFT:
            return queryset.filter(publish_at__isnull=True)
        if value == NoticeState.SCHEDULED:
            return queryset.filter(publish_at__gt=now)
        if value == NoticeState.EXPIRED:
            return queryset.filter(publish_at__lte=now, expires_at__lte=now)
        if value == NoticeState.PUBLISHED:
            return queryset.published(now)
        return queryset


class ReportFilterSet(SearchFilterSet):
    search_fields = ("description", "triage_note")
    status = django_filters.MultipleChoiceFilter(choices=ReportStatus.choices, label=_("status"))
    kind = django_filters.ChoiceFilter(choices=ReportKind.choices, label=_("kind"))
    outcome = django_filters.ChoiceFilter(choices=ReportOutcome.choices, label=_("outcome"))

    class Meta:
        model = Report
        fields = ["q", "community", "status", "kind", "outcome", "building"]
