"""One FilterSet per model of the risk register, shared by the UI lists, the API and the map."""
import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from resilience.places.filtersets import SearchFilterSet
from resilience.risks.models import RiskAssessment, RiskSource
from resilience.risks.vocab import Grade, Method, RiskType


class CommaMultipleChoiceField(forms.MultipleChoiceField):
    """Accepts ``?grade=major&grade=high`` and the map's ``?grade=major,high`` alike."""

    def to_python(self, value):
        return [part for item in super().to_python(value) for part in item.split(",") if part]


class MultipleChoiceFilter(django_filters.MultipleChoiceFilter):
    field_class = CommaMultipleChoiceField


class RiskSourceFilterSet(SearchFilterSet):
    risk_type = MultipleChoiceFilter(choices=RiskType.choices, label=_("risk type"))
    grade = MultipleChoiceFilter(choices=Grade.choices, label=_("grade"))
    method = django_filters.ChoiceFilter(choices=Method.choices, label=_("assessment method"))
    search_fields = ("name", "description", "controls")

    class Meta:
        model = RiskSource
        fields = ["q", "community", "grid", "building", "facility", "risk_type", "grade", "method",
                  "owner", "active"]


class RiskAssessmentFilterSet(django_filters.FilterSet):
    grade = MultipleChoiceFilter(choices=Grade.choices, label=_("grade"))

    class Meta:
        model = RiskAssessment
        fields = ["risk", "method", "grade"]
