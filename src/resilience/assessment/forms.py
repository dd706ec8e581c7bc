"""Forms of the assessment pages: an entered indicator value, a stress test, a
self-evaluation's attestations."""
from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from resilience.assessment.models import IndicatorEntry
from resilience.assessment.services.entries import check_entry, enterable
from resilience.assessment.vocab import Source


class EntryForm(forms.ModelForm):
    """A value from a survey or imported, for an indicator that is not computed."""

    indicator = forms.ChoiceField(label=_("indicator"))
    source = forms.ChoiceField(label=_("source"), choices=[
        (Source.SURVEY, Source.SURVEY.label), (Source.IMPORTED, Source.IMPORTED.label)])

    class Meta:
        model = IndicatorEntry
        fields = ("indicator", "value", "measured_on", "source", "note")
        widgets = {"measured_on": forms.DateInput(attrs={"type": "date"})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["indicator"].choices = [
            (i.code, f"{i.name} ({i.unit})") for i in enterable()]
        self.fields["measured_on"].initial = timezone.localdate()

    def clean(self):
        data = super().clean()
        if data.get("indicator") and data.get("value") is not None:
            try:
                check_entry(data["indicator"], data["value"], data.get("source"))
            except ValidationError as exc:
                for name, errors in exc.message_dict.items():
                    self.add_error(name if name in self.fields else None, errors)
        return data


class StressForm(forms.Form):
    """A scenario's parameters, built from its declaration (``assessment.stress``): whole
    numbers within their bounds, one building or several, grids."""

    def __init__(self, *args, community, kind: str, **kwargs):
        from resilience.assessment.stress import scenario
        from resilience.places.models import Building, Grid

        super().__init__(*args, **kwargs)
        self.kind = kind
        buildings = Building.objects.filter(community=community).order_by("code")
        grids = Grid.objects.filter(community=community).order_by("code")
        for p in scenario(kind).parameters:
            common = {"label": p.label, "required": p.required, "help_text": p.help}
            if p.kind == "int":
                field = forms.IntegerField(min_value=p.minimum, max_value=p.maximum,
                                           initial=p.default, **common)
            elif p.kind == "building":
                field = forms.ModelChoiceField(queryset=buildings, **common)
            elif p.kind == "buildings":
                field = forms.ModelMultipleChoiceField(queryset=buildings, **common)
            else:
                field = forms.ModelMultipleChoiceField(queryset=grids, **common)
            self.fields[p.name] = field

    def parameters(self) -> dict:
        """The cleaned values as the scenario takes them (ids for places)."""
        out = {}
        for name, value in self.cleaned_data.items():
            if value is None or value == "":
                continue
            if hasattr(value, "pk"):
                value = value.pk
            elif hasattr(value, "values_list"):
                value = sorted(value.values_list("pk", flat=True))
                if not value:
                    continue
            out[name] = value
        return out


class EvaluationForm(forms.Form):
    """Notes attesting the items judged by hand (one field per manual item)."""

    def __init__(self, *args, manual_items=(), initial_notes=None, **kwargs):
        super().__init__(*args, **kwargs)
        for item in manual_items:
            code = str(item.get("code"))
            self.fields[f"note_{code}"] = forms.CharField(
                label=item.get("text") or code, required=False,
                max_length=300, initial=(initial_notes or {}).get(code, ""),
                help_text=_("What shows this is done (a document, a date, who checked)."),
                widget=forms.Textarea(attrs={"rows": 2}))

    def attestations(self) -> dict:
        return {name[5:]: value for name, value in self.cleaned_data.items()
                if name.startswith("note_") and value.strip()}
