"""Forms of consultations: the staff form (with its options, one per line), closing early, and
the residents' ballot."""
from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from resilience.core.views.forms import ScopedModelForm
from resilience.participation import consultations as services
from resilience.participation.models import Consultation

WHEN = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class ConsultationForm(ScopedModelForm):
    """The proposal, who votes, when, the rules, and its options (editable until it opens)."""

    options = forms.CharField(
        label=_("options"), widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One option per line, e.g. Agree / Disagree."))
    abstain_label = forms.CharField(
        label=_("abstention option"), required=False, max_length=200,
        help_text=_("Optional, e.g. Abstain: counts for turnout, not for the majority."))

    class Meta:
        model = Consultation
        fields = ["community", "grid", "building", "title", "body", "voter_unit", "opens_at",
                  "closes_at", "quorum_percent", "majority", "secret", "max_choices"]
        widgets = {"body": forms.Textarea(attrs={"rows": 8}), "opens_at": WHEN, "closes_at": WHEN}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            options = list(self.instance.options.all())
            self.initial["options"] = "\n".join(o.label for o in options if not o.abstain)
            self.initial["abstain_label"] = next((o.label for o in options if o.abstain), "")

    def option_rows(self) -> list[dict]:
        rows = [{"label": line.strip(), "abstain": False}
                for line in self.cleaned_data.get("options", "").splitlines() if line.strip()]
        if self.cleaned_data.get("abstain_label", "").strip():
            rows.append({"label": self.cleaned_data["abstain_label"].strip(), "abstain": True})
        return rows

    def clean(self):
        cleaned = super().clean()
        if "options" not in cleaned:
            return cleaned
        try:
            rows = services.check_options(self.option_rows())
        except ValidationError as exc:
            self.add_error("options", exc.message_dict["options"])
            return cleaned
        decisive = sum(1 for r in rows if not r["abstain"])
        if cleaned.get("max_choices") and cleaned["max_choices"] > decisive:
            self.add_error("max_choices", _("There are only %(n)d options.") % {"n": decisive})
        return cleaned

    def save(self, commit: bool = True):
        with transaction.atomic():
            consultation = super().save(commit=commit)
            if commit:  # clean() checked the options and that voting has not started
                services.write_options(consultation, self.option_rows())
        return consultation


class CloseForm(forms.Form):
    reason = forms.CharField(label=_("reason for closing early"), required=False,
                             widget=forms.Textarea(attrs={"rows": 2}))


class BallotForm(forms.Form):
    """The options of one consultation: radio buttons for one choice, boxes for several."""

    def __init__(self, *args, consultation: Consultation, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(o.pk, o.label) for o in consultation.options.all()]
        if consultation.max_choices == 1:
            self.fields["options"] = forms.TypedChoiceField(
                label=_("Your choice"), choices=choices, coerce=int, widget=forms.RadioSelect)
        else:
            self.fields["options"] = forms.TypedMultipleChoiceField(
                label=_("Your choices (at most %(n)d)") % {"n": consultation.max_choices},
                choices=choices, coerce=int, widget=forms.CheckboxSelectMultiple)

    def chosen(self) -> list[int]:
        value = self.cleaned_data["options"]
        return value if isinstance(value, list) else [value]
