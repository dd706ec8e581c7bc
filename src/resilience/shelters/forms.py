from django import forms
from django.utils.translation import gettext_lazy as _

from resilience.core.views.forms import ScopedModelForm
from resilience.shelters.models import Shelter


class ShelterForm(ScopedModelForm):
    class Meta:
        model = Shelter
        fields = ["floor_area", "has_water", "has_toilets", "has_power", "has_medical",
                  "is_accessible", "notes"]


class WalkInForm(forms.Form):
    walk_in_name = forms.CharField(label=_("Name"), max_length=60)
    walk_in_phone = forms.CharField(label=_("Phone"), max_length=30, required=False)
