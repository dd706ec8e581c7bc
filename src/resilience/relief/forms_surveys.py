"""Forms of the needs surveys: the survey, its questions, and the answer form built from them."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from resilience.core.views.forms import ScopedModelForm
from resilience.people.models import Household
from resilience.relief.models import Survey
from resilience.relief.vocab import NeedKind, QuestionKind

WHEN = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class SurveyForm(ScopedModelForm):
    class Meta:
        model = Survey
        fields = ["community", "grid", "building", "title", "intro", "closes_at"]
        widgets = {"intro": forms.Textarea(attrs={"rows": 3}), "closes_at": WHEN}


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class QuestionForm(forms.Form):
    """A question typed as plain text: choices one per line, needs as ``choice = need kind``."""

    text = forms.CharField(label=_("question"), max_length=300)
    kind = forms.ChoiceField(label=_("kind"), choices=QuestionKind.choices)
    choices = forms.CharField(label=_("choices"), required=False,
                              widget=forms.Textarea(attrs={"rows": 4}),
                              help_text=_("One per line (choice questions only)."))
    needs = forms.CharField(label=_("needs of the choices"), required=False,
                            widget=forms.Textarea(attrs={"rows": 3}),
                            help_text=_("One per line: choice = kind of need (%(kinds)s).")
                            % {"kinds": ", ".join(NeedKind.values)})
    urgent = forms.CharField(label=_("urgent choices"), required=False,
                             widget=forms.Textarea(attrs={"rows": 2}),
                             help_text=_("One per line."))
    need_kind = forms.ChoiceField(label=_("need asked about"), required=False,
                                  choices=[("", "—"), *NeedKind.choices])
    required = forms.BooleanField(label=_("required"), required=False, initial=True)
    min_value = forms.DecimalField(label=_("smallest number"), required=False)
    max_value = forms.DecimalField(label=_("largest number"), required=False)

    def clean_needs(self):
        mapping = {}
        for line in _lines(self.cleaned_data.get("needs")):
            choice, sep, kind = line.rpartition("=")
            if not sep or not choice.strip() or kind.strip() not in NeedKind.values:
                raise forms.ValidationError(_("Write each line as: choice = kind of need."))
            mapping[choice.strip()] = kind.strip()
        return mapping

    def question_fields(self) -> dict:
        data = self.cleaned_data
        return {"text": data["text"], "kind": data["kind"], "choices": _lines(data["choices"]),
                "needs": data["needs"], "urgent": _lines(data["urgent"]),
                "need_kind": data["need_kind"], "required": data["required"],
                "min_value": data["min_value"], "max_value": data["max_value"]}


class AnswerForm(forms.Form):
    """The answer form of a survey: one field ``q_<id>`` per question."""

    def __init__(self, *args, survey, initial_answers=None, **kwargs):
        super().__init__(*args, **kwargs)
        initial_answers = initial_answers or {}
        for question in survey.questions.all():
            name, initial = f"q_{question.pk}", initial_answers.get(str(question.pk))
            common = {"label": question.text, "required": False, "initial": initial}
            if question.kind == QuestionKind.CHOICE:
                field = forms.ChoiceField(choices=[(c, c) for c in question.choices],
                                          widget=forms.RadioSelect, **common)
            elif question.kind == QuestionKind.MULTI:
                field = forms.MultipleChoiceField(choices=[(c, c) for c in question.choices],
                                                  widget=forms.CheckboxSelectMultiple, **common)
            elif question.kind == QuestionKind.NUMBER:
                field = forms.CharField(widget=forms.NumberInput(attrs={"step": "any"}), **common)
            else:
                field = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), **common)
            field.question_required = question.required
            self.fields[name] = field

    def answers(self) -> dict:
        """The raw answers by question id; the survey service checks them."""
        return {name.removeprefix("q_"): value for name, value in self.cleaned_data.items()}

    def add_service_errors(self, errors: dict) -> None:
        for key, messages in errors.items():
            name = f"q_{key}"
            self.add_error(name if name in self.fields else None, messages)


class PaperHouseholdForm(forms.Form):
    household = forms.ModelChoiceField(label=_("household"), queryset=Household.objects.none())

    def __init__(self, *args, queryset, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["household"].queryset = queryset
