"""FilterSets of checklists, inspection plans, inspections and hazards (UI lists and API)."""
import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from resilience.places.filtersets import SearchFilterSet
from resilience.places.vocab import FacilityKind
from resilience.risks import hazards, inspections
from resilience.risks.filtersets import MultipleChoiceFilter
from resilience.risks.models import ChecklistTemplate, Hazard, Inspection, InspectionPlan
from resilience.risks.vocab import HazardSeverity, HazardSource, HazardStatus, RiskType


class ChecklistTemplateFilterSet(SearchFilterSet):
    search_fields = ("name", "description")
    risk_type = django_filters.ChoiceFilter(choices=RiskType.choices, label=_("risk type"))
    facility_kind = django_filters.ChoiceFilter(choices=FacilityKind.choices, label=_("facility type"))
    shared = django_filters.BooleanFilter(field_name="community", lookup_expr="isnull",
                                          label=_("shared by all communities"))

    class Meta:
        model = ChecklistTemplate
        fields = ["q", "community", "risk_type", "facility_kind", "shared"]


class InspectionPlanFilterSet(SearchFilterSet):
    search_fields = ("template__name", "facility__name", "building__name", "risk__name")
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("overdue"))

    class Meta:
        model = InspectionPlan
        fields = ["q", "community", "grid", "template", "facility", "building", "risk",
                  "organisation", "active", "overdue"]

    def filter_overdue(self, queryset, name, value):
        late = inspections.overdue_plans(queryset, timezone.localdate())
        return late if value else queryset.exclude(pk__in=late.values("pk"))


class InspectionFilterSet(SearchFilterSet):
    search_fields = ("template__name", "facility__name", "building__name", "notes")
    status = django_filters.ChoiceFilter(choices=Inspection.Status.choices, label=_("status"))
    completed_after = django_filters.DateFilter(field_name="completed_at", lookup_expr="date__gte",
                                                label=_("completed on or after"))
    completed_before = django_filters.DateFilter(field_name="completed_at", lookup_expr="date__lte",
                                                 label=_("completed on or before"))

    class Meta:
        model = Inspection
        fields = ["q", "community", "grid", "template", "plan", "facility", "building", "risk",
                  "inspector", "organisation", "status", "completed_after", "completed_before"]


class HazardFilterSet(SearchFilterSet):
    search_fields = ("title", "description")
    status = MultipleChoiceFilter(choices=HazardStatus.choices, label=_("status"))
    severity = django_filters.ChoiceFilter(choices=HazardSeverity.choices, label=_("severity"))
    source = django_filters.ChoiceFilter(choices=HazardSource.choices, label=_("source"))
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("overdue"))
    open = django_filters.BooleanFilter(method="filter_open",
                                       label=pgettext_lazy("hazards not yet closed", "open"))
    escalation_level = django_filters.NumberFilter(label=_("escalation level"))

    class Meta:
        model = Hazard
        fields = ["q", "community", "grid", "building", "facility", "risk", "responsible",
                  "assignee", "status", "severity", "source", "overdue", "open",
                  "escalation_level"]

    def filter_overdue(self, queryset, name, value):
        late = hazards.overdue(queryset)
        return late if value else queryset.exclude(pk__in=late.values("pk"))

    def filter_open(self, queryset, name, value):
        if value:
            return queryset.exclude(status=HazardStatus.VERIFIED)
        return queryset.filter(status=HazardStatus.VERIFIED)
