"""Forms of the places registry; related choices are limited to the user's scope."""
from django import forms

from resilience.core.views.forms import ScopedModelForm
from resilience.places.models import Building, Community, Facility, Grid, Region, Unit

class RegionForm(ScopedModelForm):
    class Meta:
        model = Region
        fields = ["code", "name", "level", "parent", "geometry"]


class CommunityForm(ScopedModelForm):
    class Meta:
        model = Community
        fields = ["code", "name", "region", "address", "phone", "latitude", "longitude", "geometry"]


class GridForm(ScopedModelForm):
    class Meta:
        model = Grid
        fields = ["community", "code", "name", "geometry"]


class BuildingForm(ScopedModelForm):
    class Meta:
        model = Building
        fields = ["community", "grid", "code", "name", "address", "floors", "basement_floors",
                  "year_built", "structure", "has_elevator", "manager", "latitude", "longitude",
                  "geometry"]


class UnitForm(ScopedModelForm):
    class Meta:
        model = Unit
        fields = ["building", "number", "has_elevator"]


class FacilityForm(ScopedModelForm):
    class Meta:
        model = Facility
        fields = ["community", "kind", "code", "name", "status", "capacity", "grid", "building",
                  "owner", "latitude", "longitude", "geometry", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}
