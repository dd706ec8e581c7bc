"""Forms of the risks app: the register with its assessment, checklists, plans, inspections, hazards.

Forms only collect and check input; grading, inspections and the hazard loop are done by the
service functions (``risks.services``, ``risks.inspections``, ``risks.hazards``) the views call.
"""
from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.forms import inlineformset_factory
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from resilience.core.views.forms import ScopedModelForm
from resilience.people.models import Membership, Organisation
from resilience.risks.models import (
    ChecklistItem, ChecklistTemplate, Hazard, InspectionPlan, RiskSource,
)
from resilience.risks.grading import LEC_TABLES
from resilience.risks.vocab import Answer, Method

# 5×5 matrix: the usual short labels for each step.
LIKELIHOOD = [
    (1, _("1 · rare")),
    (2, _("2 · unlikely")),
    (3, _("3 · possible")),
    (4, _("4 · likely")),
    (5, _("5 · almost certain")),
]
CONSEQUENCE = [
    (1, _("1 · negligible")),
    (2, _("2 · minor")),
    (3, _("3 · moderate")),
    (4, _("4 · severe")),
    (5, _("5 · catastrophic")),
]
# LEC (Graham–Kinney, 作业条件危险性评价法): the meaning of each value of ``grading.LEC_TABLES``.
LEC_MEANINGS = {
    "l": {10: _("expected to happen"), 6: _("quite possible"), 3: _("unusual but possible"),
          1: _("remotely possible"), 0.5: _("conceivable but very unlikely"),
          0.2: _("practically impossible"), 0.1: _("virtually impossible")},
    "e": {10: _("continuously"), 6: _("every day"), 3: _("weekly, or now and then"),
          2: _("monthly"), 1: _("a few times a year"), 0.5: _("very rarely")},
    "c": {100: _("catastrophe, many deaths"), 40: _("disaster, several deaths"),
          15: _("very serious, one death"), 7: _("serious injury"), 3: _("disabling injury"),
          1: _("noticeable, needs first aid")},
}


def lec_choices(key: str) -> list[tuple]:
    """The table values of L, E or C, highest first, each with its meaning."""
    return [(v, format_lazy("{} · {}", f"{v:g}", LEC_MEANINGS[key].get(v, "")))
            for v in sorted(LEC_TABLES[key], reverse=True)]


MATRIX_FIELDS = ("likelihood", "consequence")
LEC_FIELDS = ("l", "e", "c")


def _number(value: str) -> float | int:
    number = float(value)
    return int(number) if number.is_integer() else number


def _choice(label, choices, **attrs) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label, required=False, coerce=_number, empty_value=None,
        choices=[("", "—"), *((str(v), text) for v, text in choices)],
        widget=forms.Select(attrs=attrs))


class AssessmentForm(forms.Form):
    """A method and its inputs (matrix: likelihood, consequence; LEC: L, E, C)."""

    method = forms.ChoiceField(label=_("assessment method"), choices=Method.choices,
                               initial=Method.MATRIX, widget=forms.RadioSelect)
    likelihood = _choice(_("likelihood"), LIKELIHOOD, **{"data-method": "matrix"})
    consequence = _choice(_("consequence"), CONSEQUENCE, **{"data-method": "matrix"})
    l = _choice(_("L · likelihood of an accident"), lec_choices("l"), **{"data-method": "lec"})  # noqa: E741
    e = _choice(_("E · exposure to the hazard"), lec_choices("e"), **{"data-method": "lec"})
    c = _choice(_("C · consequence"), lec_choices("c"), **{"data-method": "lec"})
    note = forms.CharField(label=_("assessment note"), required=False,
                           widget=forms.Textarea(attrs={"rows": 2}),
                           help_text=_("Why this grade: what you saw, what changed."))

    ASSESSMENT_FIELDS = ("method", *MATRIX_FIELDS, *LEC_FIELDS, "note")

    def clean(self):
        cleaned = super().clean()
        method = cleaned.get("method")
        needed = {Method.MATRIX: MATRIX_FIELDS, Method.LEC: LEC_FIELDS}.get(method, ())
        for name in needed:
            if cleaned.get(name) is None and name not in self.errors:
                self.add_error(name, _("Choose a value for the %(method)s method.")
                               % {"method": Method(method).label})
        return cleaned

    def assessment_fields(self) -> list:
        return [self[n] for n in self.ASSESSMENT_FIELDS]

    def assessment(self) -> tuple[str, dict, str]:
        """(method, inputs, note) from valid data, in the shape ``risks.grading`` expects."""
        method = self.cleaned_data["method"]
        names = MATRIX_FIELDS if method == Method.MATRIX else LEC_FIELDS
        return method, {n: self.cleaned_data[n] for n in names}, self.cleaned_data.get("note", "")

    @classmethod
    def initial_from(cls, risk: RiskSource) -> dict:
        """The current assessment of a risk source as initial values."""
        initial = {"method": risk.method or Method.MATRIX}
        for name, value in (risk.inputs or {}).items():
            if name in (*MATRIX_FIELDS, *LEC_FIELDS) and value is not None:
                initial[name] = str(_number(str(value)))
        return initial


class RiskSourceForm(ScopedModelForm, AssessmentForm):
    """A risk source and its assessment; the view grades it with ``risks.services.assess``."""

    class Meta:
        model = RiskSource
        fields = ["community", "risk_type", "name", "description", "grid", "building", "facility",
                  "owner", "latitude", "longitude", "geometry", "controls", "advice", "active"]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "controls": forms.Textarea(attrs={"rows": 3}),
            "advice": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        instance = kwargs.get("instance")
        data = args[0] if args else kwargs.get("data")
        if instance is not None and instance.pk and data is None:
            kwargs["initial"] = {**AssessmentForm.initial_from(instance), **kwargs.get("initial", {})}
        super().__init__(*args, **kwargs)
        for name in ("advice", "controls", "description"):
            self.fields[name].widget.attrs.pop("cols", None)

    def clean(self):
        # ModelForm.clean does not call on along the MRO: check the assessment here.
        ScopedModelForm.clean(self)
        return AssessmentForm.clean(self)

    def place_fields(self) -> list:
        return [self[n] for n in self._meta.fields if n in self.fields]

    def assessment_changed(self) -> bool:
        """Whether the method or inputs differ from the risk's current assessment."""
        if not self.instance.grade:
            return True
        method, inputs, note = self.assessment()
        current = {k: _number(str(v)) for k, v in (self.instance.inputs or {}).items()}
        return method != self.instance.method or inputs != current or bool(note)


class ChecklistTemplateForm(ScopedModelForm):
    class Meta:
        model = ChecklistTemplate
        fields = ["community", "name", "risk_type", "facility_kind", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "community" in self.fields:
            # A shared template (no community) is the platform's; staff write their own.
            self.fields["community"].required = not kwargs["user"].is_superuser


class ChecklistItemForm(forms.ModelForm):
    class Meta:
        model = ChecklistItem
        fields = ["order", "text", "guidance", "severity", "rectify_days"]

    def has_changed(self) -> bool:
        # A new item left without a question is skipped, whatever its other defaults say.
        if self.instance.pk is None and not (self.data.get(self.add_prefix("text")) or "").strip():
            return False
        return super().has_changed()


ChecklistItemFormSet = inlineformset_factory(
    ChecklistTemplate, ChecklistItem, form=ChecklistItemForm,
    fields=["order", "text", "guidance", "severity", "rectify_days"],
    extra=3, can_delete=True,
    widgets={"guidance": forms.Textarea(attrs={"rows": 2}),
             "order": forms.NumberInput(attrs={"min": 0, "class": "narrow"}),
             "rectify_days": forms.NumberInput(attrs={"min": 0, "class": "narrow"})})


class InspectionPlanForm(ScopedModelForm):
    class Meta:
        model = InspectionPlan
        fields = ["community", "template", "facility", "building", "risk", "grid", "organisation",
                  "frequency_days", "next_due", "active"]
        widgets = {"next_due": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}


class StartInspectionForm(forms.Form):
    """An inspection not in a plan: which checklist, on what."""

    template = forms.ModelChoiceField(label=_("checklist"), queryset=ChecklistTemplate.objects.none())
    facility = forms.ModelChoiceField(label=_("facility"), required=False, queryset=None)
    building = forms.ModelChoiceField(label=_("building"), required=False, queryset=None)
    risk = forms.ModelChoiceField(label=_("risk source"), required=False,
                                  queryset=RiskSource.objects.none())
    grid = forms.ModelChoiceField(label=_("grid"), required=False, queryset=None)

    def __init__(self, *args, user, **kwargs):
        from resilience.places.models import Building, Facility, Grid

        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["template"].queryset = ChecklistTemplate.objects.visible_to(user, "view")
        self.fields["facility"].queryset = Facility.objects.visible_to(user, "view")
        self.fields["building"].queryset = Building.objects.visible_to(user, "view")
        self.fields["risk"].queryset = RiskSource.objects.visible_to(user, "view")
        self.fields["grid"].queryset = Grid.objects.visible_to(user, "view")

    def clean(self):
        cleaned = super().clean()
        if not any(cleaned.get(n) for n in ("facility", "building", "risk", "grid")):
            raise ValidationError(_("Say what you inspect: a facility, building, risk source or "
                                    "grid."))
        return cleaned


class ChecklistAnswersForm(forms.Form):
    """One Pass / Fail / N.A. answer, a note and a photo per checklist item."""

    latitude = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-90,
                                max_value=90)
    longitude = forms.FloatField(required=False, widget=forms.HiddenInput, min_value=-180,
                                 max_value=180)

    def __init__(self, *args, items, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = list(items)
        for item in self.items:
            self.fields[f"answer_{item.pk}"] = forms.ChoiceField(
                label=item.text, choices=Answer.choices, widget=forms.RadioSelect,
                error_messages={"required": _("Answer this item: pass, fail or not applicable.")})
            self.fields[f"note_{item.pk}"] = forms.CharField(
                label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
            self.fields[f"photo_{item.pk}"] = forms.FileField(
                label=_("photo"), required=False,
                widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}))

    def clean(self):
        cleaned = super().clean()
        for item in self.items:
            if cleaned.get(f"answer_{item.pk}") == Answer.FAIL and not (
                    (cleaned.get(f"note_{item.pk}") or "").strip() or cleaned.get(f"photo_{item.pk}")):
                self.add_error(f"note_{item.pk}",
                               _("Say what is wrong (a note or a photo): it becomes a hazard."))
        return cleaned

    def cards(self) -> list[dict]:
        return [{"item": item, "answer": self[f"answer_{item.pk}"], "note": self[f"note_{item.pk}"],
                 "photo": self[f"photo_{item.pk}"],
                 "errors": [*self[f"answer_{item.pk}"].errors, *self[f"note_{item.pk}"].errors,
                            *self[f"photo_{item.pk}"].errors]}
                for item in self.items]

    def answers(self) -> dict:
        """``{item_id: {"answer", "note", "photo"}}`` as ``complete_inspection`` takes them."""
        return {item.pk: {"answer": self.cleaned_data[f"answer_{item.pk}"],
                          "note": (self.cleaned_data.get(f"note_{item.pk}") or "").strip(),
                          "photo": self.cleaned_data.get(f"photo_{item.pk}")}
                for item in self.items}


class HazardForm(ScopedModelForm):
    """What a hazard is and where; its status changes only through the loop's actions."""

    class Meta:
        model = Hazard
        fields = ["community", "title", "description", "severity", "grid", "building", "facility",
                  "risk", "latitude", "longitude"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class ReportHazardForm(HazardForm):
    """A staff finding or a grid worker's report: a new hazard with an optional photo."""

    photo = forms.FileField(label=_("photo"), required=False,
                             widget=forms.ClearableFileInput(attrs={"accept": "image/*",
                                                                    "capture": "environment"}))


def _users_who_may_work_on(hazard: Hazard):
    """People with a role in the hazard's community who may change it (candidate assignees)."""
    User = get_user_model()
    members = Membership.objects.filter(community_id=hazard.community_id)
    members = members | Membership.objects.filter(grid__community_id=hazard.community_id)
    return User.objects.filter(pk__in=members.values("user_id"), is_active=True).order_by("username")


class AssignForm(forms.Form):
    responsible = forms.ModelChoiceField(label=_("responsible organisation"), required=False,
                                         queryset=Organisation.objects.none())
    assignee = forms.ModelChoiceField(label=_("assignee"), required=False,
                                      queryset=get_user_model().objects.none())
    deadline = forms.DateField(label=_("deadline"),
                               widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    note = forms.CharField(label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, hazard: Hazard, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible"].queryset = Organisation.objects.visible_to(user, "view").filter(
            community_id=hazard.community_id)
        self.fields["assignee"].queryset = _users_who_may_work_on(hazard)
        if not self.is_bound:
            self.initial.update(responsible=hazard.responsible_id, assignee=hazard.assignee_id,
                                deadline=hazard.deadline)

    def clean(self):
        cleaned = super().clean()
        if not (cleaned.get("responsible") or cleaned.get("assignee")) and not self.errors:
            raise ValidationError(_("Choose a responsible organisation, an assignee or both."))
        return cleaned


class NoteForm(forms.Form):
    note = forms.CharField(label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class RequiredNoteForm(forms.Form):
    note = forms.CharField(label=_("note"), widget=forms.Textarea(attrs={"rows": 2}),
                           help_text=_("Say what is still wrong."))


class RectifyForm(forms.Form):
    note = forms.CharField(label=_("what was done"), widget=forms.Textarea(attrs={"rows": 2}))
    photo = forms.FileField(label=_("photo of the result"),
                             widget=forms.ClearableFileInput(attrs={"accept": "image/*",
                                                                    "capture": "environment"}),
                             error_messages={"required": _("A photo of the result is required "
                                                           "as evidence.")})

