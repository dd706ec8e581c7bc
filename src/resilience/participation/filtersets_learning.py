"""FilterSets of lessons, lesson assignments and drills (UI lists and API)."""
import django_filters
from django.utils.translation import gettext_lazy as _

from resilience.participation.models import Drill, Lesson, LessonAssignment
from resilience.participation.vocab_learning import Audience, DrillStatus, LessonTopic
from resilience.places.filtersets import SearchFilterSet
from resilience.response.vocab import Scenario


class LessonFilterSet(SearchFilterSet):
    search_fields = ("title", "summary", "body")
    topic = django_filters.ChoiceFilter(choices=LessonTopic.choices, label=_("topic"))
    shared = django_filters.BooleanFilter(field_name="community", lookup_expr="isnull",
                                          label=_("shared platform content"))

    class Meta:
        model = Lesson
        fields = ["q", "topic", "community", "shared"]


class LessonAssignmentFilterSet(SearchFilterSet):
    search_fields = ("lesson__title",)
    audience = django_filters.ChoiceFilter(choices=Audience.choices, label=_("audience"))

    class Meta:
        model = LessonAssignment
        fields = ["q", "lesson", "audience", "community", "grid", "building"]


class DrillFilterSet(SearchFilterSet):
    search_fields = ("title", "objectives", "lessons_learned")
    status = django_filters.MultipleChoiceFilter(choices=DrillStatus.choices, label=_("status"))
    scenario = django_filters.ChoiceFilter(choices=Scenario.choices, label=_("scenario"))

    class Meta:
        model = Drill
        fields = ["q", "status", "scenario", "community", "grid", "building", "plan"]
