"""Pages of the people registry. Personal data is masked in lists and on detail pages; a user
allowed to reveal it sees it in clear after pressing Reveal, and each reveal is logged."""
import django_filters
from django.utils.translation import gettext_lazy as _

from resilience.core import crypto
from resilience.core.scope import can_any
from resilience.core.services import log_reveal
from resilience.core.views.generic import ObjectViews, Related, client_ip
from resilience.core.views.tables import Column
from resilience.people import filtersets, forms
from resilience.people.models import (
    Household,
    Membership,
    Organisation,
    Pairing,
    Resident,
    Volunteer,
)
from resilience.people.vocab import HEALTH_TAGS, Vulnerability
from resilience.places.models import Building, Grid

HIDDEN_HEALTH = _("health-related tags hidden")


def public_tags(resident) -> str:
    """The resident's vulnerability tags that are not health data."""
    return ", ".join(str(Vulnerability(t).label) for t in resident.tags
                     if t in Vulnerability.values and t not in HEALTH_TAGS)


class HouseholdListFilterSet(filtersets.HouseholdFilterSet):
    grid = django_filters.ModelChoiceFilter(field_name="building__grid", queryset=Grid.objects.all(),
                                            label=_("grid"))


class ResidentListFilterSet(filtersets.ResidentFilterSet):
    grid = django_filters.ModelChoiceFilter(field_name="household__building__grid",
                                            queryset=Grid.objects.all(), label=_("grid"))
    building = django_filters.ModelChoiceFilter(field_name="household__building",
                                                queryset=Building.objects.all(), label=_("building"))


class OrganisationViews(ObjectViews):
    model = Organisation
    filterset = filtersets.OrganisationFilterSet
    form = forms.OrganisationForm
    columns = ("name", "kind", "community", "contact_name", "phone")
    select_related = ("community",)
    detail_groups = (
        (_("organisation"), ("name", "kind", "community", "contact_name", "phone", "address",
                             "notes")),
    )
    related = (Related(Volunteer, "team"), Related(Membership, "organisation"))


class HouseholdViews(ObjectViews):
    model = Household
    filterset = HouseholdListFilterSet
    form = forms.HouseholdForm
    columns = (Column("code", link=True), "building", "unit", "room",
               Column("phone", _("household phone"), value=lambda h: crypto.mask_phone(h.phone)),
               "community")
    select_related = ("community", "building", "unit")
    filter_fields = ("community", "grid", "building")
    personal_fields = ("phone",)
    detail_groups = (
        (_("household"), ("code", "community", "building", "unit", "room", "notes")),
    )
    related = (Related(Resident, "household"),)


class ResidentViews(ObjectViews):
    model = Resident
    filterset = ResidentListFilterSet
    form = forms.ResidentForm
    columns = (
        "name", "sex", Column("age", _("age"), value=lambda r: r.age()), "household",
        Column("id_number_masked", _("ID number")), Column("phone_masked", _("phone")),
        Column("tags", _("vulnerability"), value=public_tags), "community",
    )
    select_related = ("community", "household__building", "household__unit")
    filter_fields = ("community", "grid", "building", "sex", "tag", "vulnerable", "min_age",
                     "max_age")
    personal_fields = ("id_number", "phone", "emergency_contact_phone", "vulnerability")
    detail_groups = (
        (_("resident"), ("name", "sex", "birth_date", Column("age", _("age"), value=lambda r: r.age()),
                         "relationship", "household", "community", "emergency_contact_name",
                         "notes")),
    )
    related = (Related(Pairing, "resident"),)

    def get_filterset(self, request, queryset):
        filterset = super().get_filterset(request, queryset)
        if not can_any(request.user, "reveal", Resident):
            # Choosing residents by a health condition would reveal it: not for this role.
            field = filterset.form.fields["tag"]
            field.choices = [c for c in field.choices if c[0] not in HEALTH_TAGS]
        return filterset

    def masked_value(self, obj, name):
        if name == "vulnerability":
            shown = public_tags(obj)
            return f"{shown} ({HIDDEN_HEALTH})" if shown else f"({HIDDEN_HEALTH})"
        return super().masked_value(obj, name)

    def clear_value(self, obj, name):
        if name == "vulnerability":
            return ", ".join(obj.tag_labels())
        return super().clear_value(obj, name)

    def form_shown(self, request, form):
        # The edit form shows health-related tags to those allowed to see them: that is a reveal.
        obj = form.instance
        if obj.pk and form.shows_health_tags and any(t in HEALTH_TAGS for t in obj.tags):
            log_reveal(request.user, obj, ["vulnerability"], channel="web", ip=client_ip(request))


class VolunteerViews(ObjectViews):
    model = Volunteer
    filterset = filtersets.VolunteerFilterSet
    form = forms.VolunteerForm
    columns = ("name", "community", Column("skills", _("skills"), value=lambda v: v.skill_labels()),
               "availability", Column("phone_masked", _("phone")), "team", "active")
    select_related = ("community", "team")
    filter_fields = ("community", "skill", "availability", "active", "team")
    personal_fields = ("phone",)
    detail_groups = (
        (_("volunteer"), ("name", "community", Column("skills", _("skills"),
                                                       value=lambda v: v.skill_labels()),
                          "availability", "active", "team", "home_building", "resident", "user")),
    )
    related = (Related(Pairing, "volunteer"),)


class PairingViews(ObjectViews):
    """Helper pairings: list (with "vulnerable residents without a helper" one click away on the
    residents list: ``?vulnerable=true&paired=false``), add, end (edit: set the end date)."""

    model = Pairing
    filterset = filtersets.PairingFilterSet
    form = forms.PairingForm
    columns = (Column("resident", link=True), "volunteer", "since", "ended", "note", "community")
    select_related = ("resident", "volunteer", "community")
    filter_fields = ("community", "current", "volunteer")
    detail_groups = (
        (_("helper pairing"), ("resident", "volunteer", "community", "since", "ended", "note")),
    )


class MembershipViews(ObjectViews):
    model = Membership
    filterset = filtersets.MembershipFilterSet
    form = forms.MembershipForm
    columns = (Column("user", link=True), "role", Column("node", _("scope")), "organisation",
               "title")
    select_related = ("user", "region", "community", "grid", "household__building",
                      "household__unit", "organisation")
    detail_groups = (
        (_("role"), ("user", "role", Column("node", _("scope")), "region", "community", "grid",
                     "household", "organisation", "title")),
    )
