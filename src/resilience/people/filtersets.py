"""One FilterSet per model, shared by the UI lists and the API."""
import datetime as dt

import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from resilience.core.roles import Role
from resilience.people.models import (
    Household,
    Membership,
    Organisation,
    Pairing,
    Resident,
    Volunteer,
)
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
    # bounded: a huge age would overflow the date arithmetic (found by the API fuzzer)
    min_age = django_filters.NumberFilter(method="filter_min_age", label=_("minimum age"),
                                          min_value=0, max_value=150)
    max_age = django_filters.NumberFilter(method="filter_max_age", label=_("maximum age"),
                                          min_value=0, max_value=150)
    paired = django_filters.BooleanFilter(method="filter_paired", label=_("has a paired helper"))

    class Meta:
        model = Resident
        fields = ["q", "community", "grid", "building", "household", "sex", "tag", "vulnerable",
                  "min_age", "max_age", "paired"]

    def filter_paired(self, queryset, name, value):
        from resilience.people.pairings import in_force

        paired = in_force(Pairing.objects.all()).values("resident")
        return queryset.filter(pk__in=paired) if value else queryset.exclude(pk__in=paired)

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


class PairingFilterSet(SearchFilterSet):
    search_fields = ("resident__name", "volunteer__name", "note")
    grid = django_filters.NumberFilter(field_name="resident__household__building__grid",
                                       label=_("grid"))
    current = django_filters.BooleanFilter(method="filter_current", label=_("in force"))

    class Meta:
        model = Pairing
        fields = ["q", "community", "grid", "resident", "volunteer", "current"]

    def filter_current(self, queryset, name, value):
        from resilience.people.pairings import in_force

        current = in_force(queryset)
        return current if value else queryset.exclude(pk__in=current.values("pk"))


class MembershipFilterSet(SearchFilterSet):
    search_fields = ("user__username", "user__display_name", "title")
    role = django_filters.ChoiceFilter(choices=Role.choices, label=_("role"))

    class Meta:
        model = Membership
        fields = ["q", "role", "community", "grid", "region", "organisation"]
