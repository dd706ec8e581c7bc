"""FilterSets of assessment runs, indicator values, entries, stress tests and self-evaluations
(UI lists and API)."""
from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from resilience.assessment.models import (AssessmentRun, IndicatorEntry, IndicatorValue,
                                          SelfEvaluation, StressTest)
from resilience.assessment.vocab import Dimension, Source, StressKind
from resilience.core.filters import UtcIsoDateTimeFilter


class AssessmentRunFilterSet(django_filters.FilterSet):
    after = UtcIsoDateTimeFilter(field_name="at", lookup_expr="gte", label=_("from"))
    before = UtcIsoDateTimeFilter(field_name="at", lookup_expr="lte", label=_("to"))

    class Meta:
        model = AssessmentRun
        fields = ["community", "index", "after", "before"]


class IndicatorValueFilterSet(django_filters.FilterSet):
    dimension = django_filters.ChoiceFilter(choices=Dimension.choices, label=_("dimension"))

    class Meta:
        model = IndicatorValue
        fields = ["run", "community", "indicator", "dimension", "source"]


class IndicatorEntryFilterSet(django_filters.FilterSet):
    source = django_filters.ChoiceFilter(choices=Source.choices, label=_("source"))

    class Meta:
        model = IndicatorEntry
        fields = ["community", "indicator", "source"]


class StressTestFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=StressKind.choices, label=_("scenario"))

    class Meta:
        model = StressTest
        fields = ["community", "kind"]


class SelfEvaluationFilterSet(django_filters.FilterSet):
    class Meta:
        model = SelfEvaluation
        fields = ["community", "passed"]
