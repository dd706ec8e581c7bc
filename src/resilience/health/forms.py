"""Forms of the health pages: archive profile and parts, care plans, follow-up records,
screening questionnaires, referrals and FHIR import."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from resilience.core.views.forms import ScopedModelForm
from resilience.health.models import CarePlan, Condition, Consent, Device, HealthArchive, Medication
from resilience.health.vocab import (
    ANSWER_CHOICES, GAD7_ITEMS, PHQ9_ITEMS, CareNeed, FollowUpKind, ReferralTarget, icd10_choices,
)
from resilience.people.models import Resident

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class HealthArchiveForm(ScopedModelForm):
    """The archive's profile: who, mobility, care needs, allergies, family doctor and clinic."""

    care_needs = forms.MultipleChoiceField(label=_("care needs"), choices=CareNeed.choices,
                                           required=False, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = HealthArchive
        fields = ["resident", "mobility", "allergies", "family_doctor", "clinic", "notes"]
        widgets = {"allergies": forms.Textarea(attrs={"rows": 2}),
                   "family_doctor": forms.TextInput(), "notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["care_needs"].initial = self.instance.care_needs
        if self.instance.pk:
            self.fields["resident"].disabled = True
        else:  # residents who have no archive yet
            self.fields["resident"].queryset = self.fields["resident"].queryset.filter(
                health_archive__isnull=True)

    def clean(self):
        data = super().clean()
        self.instance.care_needs = data.get("care_needs") or []
        if data.get("resident") is not None and not self.instance.community_id:
            self.instance.community_id = data["resident"].community_id
        return data

    def save(self, commit=True):
        if self.instance.pk is None and self.user is not None:
            self.instance.created_by = self.user
        return super().save(commit)


class ConditionForm(forms.ModelForm):
    code = forms.ChoiceField(label=_("condition (ICD-10)"), choices=())

    class Meta:
        model = Condition
        fields = ["code", "onset", "status", "note"]
        widgets = {"onset": DATE, "note": forms.TextInput()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].choices = [("", "—")] + icd10_choices()


class MedicationForm(forms.ModelForm):
    class Meta:
        model = Medication
        fields = ["name", "dose", "days_supply", "recorded_on"]
        widgets = {"name": forms.TextInput(), "dose": forms.TextInput(), "recorded_on": DATE}


class DeviceForm(forms.ModelForm):
    class Meta:
        model = Device
        fields = ["device_type", "needs_power", "battery_hours", "note"]
        widgets = {"note": forms.TextInput()}


class ConsentForm(forms.ModelForm):
    class Meta:
        model = Consent
        fields = ["purpose", "granted_on"]
        widgets = {"granted_on": DATE}


PART_FORMS = {"condition": ConditionForm, "medication": MedicationForm, "device": DeviceForm,
              "consent": ConsentForm}


class CarePlanForm(ScopedModelForm):
    class Meta:
        model = CarePlan
        fields = ["resident", "kind", "interval_days", "assignee", "goal", "active", "started_on"]
        widgets = {"goal": forms.Textarea(attrs={"rows": 2}), "started_on": DATE}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from resilience.core.roles import Role
        from django.contrib.auth import get_user_model

        self.fields["assignee"].queryset = get_user_model().objects.filter(
            memberships__role=Role.HEALTH_WORKER).distinct()

    def clean(self):
        data = super().clean()
        if data.get("resident") is not None:
            self.instance.community_id = data["resident"].community_id
        return data


class StartCarePlanForm(forms.Form):
    kind = forms.ChoiceField(label=_("kind"), choices=CarePlan._meta.get_field("kind").choices)
    interval_days = forms.IntegerField(label=_("every (days)"), min_value=1, max_value=365,
                                       initial=30)
    first_on = forms.DateField(label=_("first follow-up on"), required=False, widget=DATE)


class RecordFollowUpForm(forms.Form):
    outcome = forms.CharField(label=_("outcome"), widget=forms.Textarea(attrs={"rows": 3}))
    next_on = forms.DateField(label=_("next follow-up on"), required=False, widget=DATE,
                              help_text=_("Empty: the care plan's interval from today."))


class ScheduleForm(forms.Form):
    scheduled_on = forms.DateField(label=_("scheduled on"), widget=DATE)
    kind = forms.ChoiceField(label=_("kind"), choices=FollowUpKind.choices)


class ScreeningForm(forms.Form):
    """PHQ-9 then GAD-7, one radio group per item; every item must be answered."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for prefix, items in (("phq9", PHQ9_ITEMS), ("gad7", GAD7_ITEMS)):
            for number, text in enumerate(items, start=1):
                self.fields[f"{prefix}_{number}"] = forms.TypedChoiceField(
                    label=f"{number}. {text}", choices=ANSWER_CHOICES, coerce=int,
                    widget=forms.RadioSelect, required=False)

    def answers(self, prefix: str) -> list:
        count = len(PHQ9_ITEMS if prefix == "phq9" else GAD7_ITEMS)
        return [self.cleaned_data.get(f"{prefix}_{n}") for n in range(1, count + 1)]

    def phq9_fields(self):
        return [self[f"phq9_{n}"] for n in range(1, len(PHQ9_ITEMS) + 1)]

    def gad7_fields(self):
        return [self[f"gad7_{n}"] for n in range(1, len(GAD7_ITEMS) + 1)]


class ReferForm(forms.Form):
    target = forms.ChoiceField(label=_("refer to"), choices=ReferralTarget.choices)
    reason = forms.CharField(label=_("reason"), required=False,
                             widget=forms.Textarea(attrs={"rows": 2}))


class CloseReferralForm(forms.Form):
    outcome = forms.CharField(label=_("outcome"), widget=forms.Textarea(attrs={"rows": 2}))


class ImportForm(forms.Form):
    resident = forms.ModelChoiceField(label=_("resident"), queryset=Resident.objects.none())
    file = forms.FileField(label=_("FHIR Bundle (JSON)"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resident"].queryset = Resident.objects.visible_to(user, "view")
