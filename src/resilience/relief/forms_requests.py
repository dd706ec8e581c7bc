"""Forms of needs requests: filing (phone page and staff), and the steps (assign, deliver,
cannot fulfil)."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from resilience.people.models import Household, Resident, Volunteer
from resilience.relief.models import Item
from resilience.relief.vocab import NeedKind, Urgency, VisitReason


class RequestForm(forms.Form):
    """What is needed, for whom. ``household`` is fixed for a resident (their own) and a choice
    of the households the user may see for workers; the service checks the scope again."""

    household = forms.ModelChoiceField(label=_("household"), queryset=Household.objects.none())
    resident = forms.ModelChoiceField(label=_("the person in need"), required=False,
                                      queryset=Resident.objects.none())
    kind = forms.ChoiceField(label=_("What is needed?"), choices=NeedKind.choices,
                             widget=forms.RadioSelect)
    visit_reason = forms.ChoiceField(label=_("reason for the visit"), required=False,
                                     choices=[("", "—"), *VisitReason.choices])
    urgency = forms.TypedChoiceField(label=_("How soon?"), choices=Urgency.choices, coerce=int,
                                     initial=Urgency.NORMAL)
    medicine = forms.CharField(label=_("medicine"), required=False, max_length=120)
    days_left = forms.IntegerField(label=_("days of supply left"), required=False, min_value=0,
                                   max_value=365)
    item = forms.ModelChoiceField(label=_("supply item"), required=False,
                                  queryset=Item.objects.none())
    quantity = forms.DecimalField(label=_("quantity"), required=False, min_value=0,
                                  max_digits=12, decimal_places=2)
    description = forms.CharField(label=_("description"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, user, household=None, **kwargs):
        super().__init__(*args, **kwargs)
        if household is not None:
            self.fields["household"].queryset = Household.objects.filter(pk=household.pk)
            self.fields["household"].initial = household.pk
            self.fields["household"].widget = forms.HiddenInput()
            self.fields["resident"].queryset = Resident.objects.visible_to(user, "view").filter(
                household=household)
            self.fields["item"].queryset = Item.objects.filter(community=household.community_id)
        else:
            self.fields["household"].queryset = Household.objects.visible_to(
                user, "add").select_related("building", "unit")
            self.fields["resident"].queryset = Resident.objects.visible_to(user, "view")
            self.fields["item"].queryset = Item.objects.visible_to(user, "view")

    def clean(self):
        data = super().clean()
        resident, household = data.get("resident"), data.get("household")
        if resident is not None and household is not None and resident.household_id != household.pk:
            self.add_error("resident", _("The resident does not live in this household."))
        return data


class AssignForm(forms.Form):
    volunteer = forms.ModelChoiceField(label=_("volunteer"), queryset=Volunteer.objects.none())
    note = forms.CharField(label=_("note"), required=False, max_length=300)

    def __init__(self, *args, user, community_id, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["volunteer"].queryset = Volunteer.objects.visible_to(user, "view").filter(
            community_id=community_id, active=True)


class DeliverForm(forms.Form):
    note = forms.CharField(label=_("delivery note"), required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))
    proof = forms.FileField(label=_("photo"), required=False, widget=forms.ClearableFileInput(
        attrs={"accept": "image/*", "capture": "environment"}))


class CannotFulfilForm(forms.Form):
    reason = forms.CharField(label=_("why it cannot be fulfilled"),
                             widget=forms.Textarea(attrs={"rows": 2}))


class NoteForm(forms.Form):
    note = forms.CharField(label=_("note"), required=False, max_length=300)
