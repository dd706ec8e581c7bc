"""Pages of the places registry: one declaration per model on the generic views."""
from django.utils.translation import gettext_lazy as _

from resilience.core.views.generic import ObjectViews, Related
from resilience.core.views.tables import Column
from resilience.people.models import Household, Organisation, Resident, Volunteer
from resilience.places import filtersets, forms
from resilience.places.models import Building, Community, Facility, Grid, Region, Unit

PLACE = _("place")


class RegionViews(ObjectViews):
    model = Region
    filterset = filtersets.RegionFilterSet
    form = forms.RegionForm
    columns = ("name", "code", "level", "parent")
    select_related = ("parent",)
    detail_groups = ((_("region"), ("name", "code", "level", "parent", "geometry")),)
    related = (Related(Region, "parent"), Related(Community, "region"))


class CommunityViews(ObjectViews):
    model = Community
    slug = "communities"
    filterset = filtersets.CommunityFilterSet
    form = forms.CommunityForm
    columns = ("name", "code", "region", "address", "phone")
    select_related = ("region",)
    detail_groups = (
        (_("community"), ("name", "code", "region", "address", "phone")),
        (PLACE, ("latitude", "longitude", "geometry")),
    )
    related = (
        Related(Grid, "community"), Related(Building, "community"), Related(Facility, "community"),
        Related(Household, "community"), Related(Resident, "community"),
        Related(Volunteer, "community"), Related(Organisation, "community"),
    )


class GridViews(ObjectViews):
    model = Grid
    filterset = filtersets.GridFilterSet
    form = forms.GridForm
    columns = ("name", "code", "community")
    select_related = ("community",)
    detail_groups = (
        (_("grid"), ("name", "code", "community", "geometry")),
    )
    related = (Related(Building, "grid"), Related(Facility, "grid"),
               Related(Household, "grid", "building__grid"),
               Related(Resident, "grid", "household__building__grid"))


class BuildingViews(ObjectViews):
    model = Building
    filterset = filtersets.BuildingFilterSet
    form = forms.BuildingForm
    columns = ("name", "code", "community", "grid", "floors", "structure", "has_elevator")
    select_related = ("community", "grid")
    filter_fields = ("community", "grid", "structure", "has_elevator", "manager")
    detail_groups = (
        (_("building"), ("name", "code", "community", "grid", "address", "manager")),
        (_("structure"), ("floors", "basement_floors", "year_built", "structure", "has_elevator")),
        (PLACE, ("latitude", "longitude", "geometry")),
    )
    related = (Related(Unit, "building"), Related(Household, "building"),
               Related(Resident, "building", "household__building"),
               Related(Facility, "building"))


class UnitViews(ObjectViews):
    model = Unit
    filterset = filtersets.UnitFilterSet
    form = forms.UnitForm
    columns = (Column("number", link=True), "building", "has_elevator")
    select_related = ("building",)
    filter_fields = ("building",)
    detail_groups = ((_("unit"), ("number", "building", "has_elevator")),)
    related = (Related(Household, "unit"),)


class FacilityViews(ObjectViews):
    model = Facility
    slug = "facilities"
    filterset = filtersets.FacilityFilterSet
    form = forms.FacilityForm
    columns = ("name", "code", "kind", "community", "grid", "capacity", "status")
    select_related = ("community", "grid")
    filter_fields = ("community", "kind", "status", "grid", "owner")
    detail_groups = (
        (_("facility"), ("name", "code", "kind", "status", "capacity", "community", "grid",
                         "building", "owner", "notes")),
        (PLACE, ("latitude", "longitude", "geometry")),
    )
