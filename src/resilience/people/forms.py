"""Forms of the people registry.

ID and phone numbers are write-only (never pre-filled; blank keeps the value). A user who may
not reveal a resident's health data cannot see or change its health-related tags here.
"""
from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from resilience.core import crypto
from resilience.core.scope import can
from resilience.core.views.forms import ScopedModelForm
from resilience.people import idnumber
from resilience.people.models import (
    Household,
    Membership,
    Organisation,
    Pairing,
    Resident,
    Volunteer,
)
from resilience.people.vocab import HEALTH_TAGS, Skill, Vulnerability


class OrganisationForm(ScopedModelForm):
    class Meta:
        model = Organisation
        fields = ["community", "kind", "name", "contact_name", "phone", "address", "notes"]
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}


class HouseholdForm(ScopedModelForm):
    derived = {"community": "building"}
    secret_fields = ("phone",)

    class Meta:
        model = Household
        fields = ["building", "unit", "room", "code", "phone", "notes"]
        widgets = {
            "phone": forms.TextInput(attrs={"type": "tel", "inputmode": "tel"}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }


class ResidentForm(ScopedModelForm):
    vulnerability = forms.MultipleChoiceField(
        label=_("vulnerability"), choices=Vulnerability.choices, required=False,
        widget=forms.CheckboxSelectMultiple)

    derived = {"community": "household"}
    secret_fields = ("id_number", "phone", "emergency_contact_phone")
    field_order = ["household", "name", "sex", "birth_date", "relationship", "id_number",
                   "vulnerability"]

    class Meta:
        model = Resident
        fields = ["household", "name", "sex", "birth_date", "relationship", "id_number", "phone",
                  "emergency_contact_name", "emergency_contact_phone", "notes"]
        widgets = {
            "birth_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "id_number": forms.TextInput(attrs={"inputmode": "text", "maxlength": 18,
                                                "spellcheck": "false"}),
            "phone": forms.TextInput(attrs={"type": "tel", "inputmode": "tel"}),
            "emergency_contact_phone": forms.TextInput(attrs={"type": "tel", "inputmode": "tel"}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        current = self.instance.tags if self.instance.pk else []
        self.shows_health_tags = self.instance.pk is None or can(self.user, "reveal", self.instance)
        field = self.fields["vulnerability"]
        if self.shows_health_tags:
            self.kept_tags = []
        else:
            field.choices = [c for c in Vulnerability.choices if c[0] not in HEALTH_TAGS]
            field.help_text = _("Health-related tags are kept as they are.")
            self.kept_tags = [t for t in current if t in HEALTH_TAGS]
            current = [t for t in current if t not in HEALTH_TAGS]
        self.initial["vulnerability"] = current

    def clean(self):
        cleaned = super().clean()
        if "vulnerability" in cleaned:
            self.instance.tags = list(cleaned["vulnerability"]) + self.kept_tags
        number = idnumber.normalise(cleaned.get("id_number") or "")
        if number and self.instance.community_id:
            cleaned["id_number"] = number
            duplicate = Resident.objects.filter(
                community_id=self.instance.community_id,
                id_number_hash=crypto.keyed_hash(number, "id_number"),
            ).exclude(pk=self.instance.pk)
            if duplicate.exists():
                self.add_error("id_number", _("A resident with this ID number already lives in "
                                              "this community."))
        return cleaned


class PairingForm(ScopedModelForm):
    """Pair a vulnerable resident with a volunteer of the same community."""

    class Meta:
        model = Pairing
        fields = ["resident", "volunteer", "since", "ended", "note"]
        widgets = {"since": forms.DateInput(attrs={"type": "date"}),
                   "ended": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Only residents with a vulnerability tag need a helper; only active volunteers help.
        self.fields["resident"].queryset = self.fields["resident"].queryset.exclude(tag_index="")
        self.fields["volunteer"].queryset = self.fields["volunteer"].queryset.filter(active=True)


class VolunteerForm(ScopedModelForm):
    skills = forms.MultipleChoiceField(label=_("skills"), choices=Skill.choices, required=False,
                                       widget=forms.CheckboxSelectMultiple)
    secret_fields = ("phone",)

    class Meta:
        model = Volunteer
        fields = ["community", "name", "phone", "skills", "availability", "home_building", "team",
                  "resident", "active"]
        widgets = {"phone": forms.TextInput(attrs={"type": "tel", "inputmode": "tel"})}


class MembershipForm(ScopedModelForm):
    class Meta:
        model = Membership
        fields = ["user", "role", "region", "community", "grid", "household", "organisation",
                  "title"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "user" in self.fields and not self.user.is_superuser:
            # Staff pick among the people they already manage and accounts with no role yet.
            managed = Membership.objects.visible_to(self.user, "view").values("user")
            self.fields["user"].queryset = get_user_model().objects.filter(
                Q(pk__in=managed) | Q(memberships__isnull=True), is_active=True,
                is_superuser=False).distinct()
