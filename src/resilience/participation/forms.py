from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from resilience.core.views.forms import ScopedModelForm
from resilience.participation.models import Notice
from resilience.participation.vocab import ReportKind, ReportOutcome
from resilience.places.models import Building
from resilience.response.vocab import Scenario

WHEN = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class NoticeForm(ScopedModelForm):
    """Title, rich-text body, where it goes and when it shows; images are added on its page."""

    class Meta:
        model = Notice
        fields = ["community", "grid", "building", "title", "body", "pinned", "publish_at",
                  "expires_at"]
        widgets = {"body": forms.Textarea(attrs={"rows": 8}), "publish_at": WHEN,
                   "expires_at": WHEN}


class AttachmentForm(forms.Form):
    file = forms.FileField(label=_("image"), widget=forms.ClearableFileInput(
        attrs={"accept": "image/png,image/jpeg,image/webp"}))


class ReportForm(forms.Form):
    """The phone form: what, a photo, and where (the phone's position fills the hidden fields)."""

    kind = forms.ChoiceField(label=_("What is it?"), choices=ReportKind.choices,
                             widget=forms.RadioSelect)
    description = forms.CharField(label=_("description"), widget=forms.Textarea(attrs={"rows": 4}))
    photo = forms.FileField(label=_("photo"), required=False, widget=forms.ClearableFileInput(
        attrs={"accept": "image/*", "capture": "environment"}))
    building = forms.ModelChoiceField(label=_("building"), required=False,
                                      queryset=Building.objects.none())
    latitude = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-90,
                                max_value=90)
    longitude = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-180,
                                 max_value=180)

    def __init__(self, *args, community=None, **kwargs):
        super().__init__(*args, **kwargs)
        if community is not None:
            self.fields["building"].queryset = Building.objects.filter(community=community)


class TriageForm(forms.Form):
    outcome = forms.ChoiceField(label=_("outcome"), choices=ReportOutcome.choices)
    note = forms.CharField(label=_("note"), required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))
    scenario = forms.ChoiceField(label=_("scenario (incident)"), choices=Scenario.choices,
                                 initial=Scenario.OTHER, required=False)
