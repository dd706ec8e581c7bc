"""Forms of lessons, assignments and drills, and the phone forms of learners and grid workers."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from resilience.core.views.forms import ScopedModelForm
from resilience.participation.models import Drill, Lesson, LessonAssignment

WHEN = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


class LessonForm(ScopedModelForm):
    """A lesson of the staff member's community (shared lessons are loaded by the platform)."""

    video_url = forms.URLField(label=_("video or link"), required=False, assume_scheme="https")

    class Meta:
        model = Lesson
        fields = ["community", "title", "topic", "summary", "body", "video_url", "minutes",
                  "quiz", "pass_mark"]
        widgets = {"body": forms.Textarea(attrs={"rows": 10})}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "community" in self.fields and not self.user.is_superuser:
            self.fields["community"].required = True  # only platform admins write shared content


class LessonAssignmentForm(ScopedModelForm):
    class Meta:
        model = LessonAssignment
        fields = ["community", "lesson", "grid", "building", "audience", "due_on"]
        widgets = {"due_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}


class QuizForm(forms.Form):
    """One radio group per question of a lesson's quiz."""

    def __init__(self, *args, lesson: Lesson, **kwargs):
        super().__init__(*args, **kwargs)
        for number, item in enumerate(lesson.quiz or []):
            self.fields[f"q{number}"] = forms.TypedChoiceField(
                label=item["question"], coerce=int, widget=forms.RadioSelect,
                choices=list(enumerate(item["choices"])))

    def answers(self) -> list[int]:
        return [self.cleaned_data[f"q{n}"] for n in range(len(self.fields))]


class DrillForm(ScopedModelForm):
    """Plan a drill; the lessons learned and follow-ups are written when it is finished."""

    class Meta:
        model = Drill
        fields = ["community", "title", "scenario", "grid", "building", "planned_at", "plan",
                  "objectives", "observers", "lessons_learned", "actions"]
        widgets = {"planned_at": WHEN, "objectives": forms.Textarea(attrs={"rows": 3}),
                   "observers": forms.Textarea(attrs={"rows": 2}),
                   "lessons_learned": forms.Textarea(attrs={"rows": 3})}


class FinishDrillForm(forms.Form):
    lessons_learned = forms.CharField(label=_("lessons learned"),
                                      widget=forms.Textarea(attrs={"rows": 4}))
    actions = forms.CharField(label=_("follow-up actions"), required=False,
                              widget=forms.Textarea(attrs={"rows": 3}),
                              help_text=_("One per line; add the owner after a “|” if known."))

    def action_list(self) -> list[dict]:
        result = []
        for line in self.cleaned_data["actions"].splitlines():
            text, _bar, owner = line.partition("|")
            if text.strip():
                result.append({"text": text.strip(), "owner": owner.strip()})
        return result


class TimingForm(forms.Form):
    """The phone timer of one building: start, all out, or minutes typed in."""

    EVENTS = (("start", _("start")), ("all_out", _("all out")), ("arrived", _("arrived")),
              ("minutes", _("minutes")))
    building = forms.IntegerField(widget=forms.HiddenInput)
    event = forms.ChoiceField(choices=EVENTS)
    minutes = forms.DecimalField(label=_("minutes"), required=False, min_value=0,
                                 max_value=600, decimal_places=1)
    people_counted = forms.IntegerField(label=_("people counted"), required=False, min_value=0)

    def clean(self):
        data = super().clean()
        if data.get("event") == "minutes" and data.get("minutes") is None:
            self.add_error("minutes", _("Give the evacuation time in minutes."))
        return data
