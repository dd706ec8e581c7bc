"""One FilterSet per model, shared by the UI lists and the API."""
import datetime as dt

import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from resilience.core.roles import Role
from resilience.people.models import Household, Membership, Organisation, Resident, Volunteer
from resilience.people.models.residents import tag_filter
from resilience.people.vocab import Availability, OrganisationKind, Sex, Skill, Vulnerability
from resilience.places.filtersets import SearchFilterSet


class OrganisationFilterSet(SearchFilterSet):
    kind = django_filters.ChoiceFilter(choices=OrganisationKind.choices, label=_("type"))
    search_fields = ("name", "contact_name")

    class Meta:
        model = Organisation
        fields = ["q", "community", "kind"]


class HouseholdFilterSet(SearchFilterSet):
    search_fields = ("code", "room", "building__name")
    grid = django_filters.NumberFilter(field_name="building__grid", label=_("grid"))

    class Meta:
        model = Household
        fields = ["q", "community", "grid", "building", "unit"]


class ResidentFilterSet(SearchFilterSet):
    search_fields = ("name",)
    grid = django_filters.NumberFilter(field_name="household__building__grid", label=_("grid"))
    building = django_filters.NumberFilter(field_name="household__building", label=_("building"))
    sex = django_filters.ChoiceFilter(choices=Sex.choices, label=_("sex"))
    tag = django_filters.ChoiceFilter(choices=Vulnerability.choices, method="filter_tag",
                                      label=_("vulnerability"))
    vulnerable = django_filters.BooleanFilter(method="filter_vulnerable", label=_("vulnerable"))
    min_age = django_filters.NumberFilter(method="filter_min_age", label=_("minimum age"))
    max_age = django_filters.NumberFilter(method="filter_max_age", label=_("maximum age"))

    class Meta:
        model = Resident
        fields = ["q", "community", "grid", "building", "household", "sex", "tag", "vulnerable",
                  "min_age", "max_age"]

    def filter_tag(self, queryset, name, value):
        return queryset.filter(tag_filter(value))

    def filter_vulnerable(self, queryset, name, value):
        return queryset.exclude(tag_index="") if value else queryset.filter(tag_index="")

    def filter_min_age(self, queryset, name, value):
        today = timezone.localdate()
        return queryset.filter(birth_date__lte=_years_before(today, int(value)))

    def filter_max_age(self, queryset, name, value):
        today = timezone.localdate()
        return queryset.filter(birth_date__gt=_years_before(today, int(value) + 1))


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


class VolunteerFilterSet(SearchFilterSet):
    search_fields = ("name",)
    skill = django_filters.ChoiceFilter(choices=Skill.choices, method="filter_skill", label=_("skill"))
    availability = django_filters.ChoiceFilter(choices=Availability.choices, label=_("availability"))

    class Meta:
        model = Volunteer
        fields = ["q", "community", "skill", "availability", "active", "team", "home_building"]

    def filter_skill(self, queryset, name, value):
        # JSON containment is not portable to SQLite; skills are short lists of plain codes.
        return queryset.filter(skills__icontains=f'"{value}"')


class MembershipFilterSet(SearchFilterSet):
    search_fields = ("user__username", "user__display_name", "title")
    role = django_filters.ChoiceFilter(choices=Role.choices, label=_("role"))

    class Meta:
        model = Membership
        fields = ["q", "role", "community", "grid", "region", "organisation"]
