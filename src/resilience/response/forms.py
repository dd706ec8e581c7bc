"""Forms of the response pages: registry forms and the small forms of each step."""
from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from resilience.core.views.forms import ScopedModelForm
from resilience.places.models import Building, Community, Grid
from resilience.response.models import Incident, Plan, Task
from resilience.response.vocab import (
    CommandRole, PlanStatus, ResponseLevel, RollCallStatus, Scenario,
)


class TaskForm(ScopedModelForm):
    """What a task is; its status moves only through the steps (accept, progress, done…)."""

    class Meta:
        model = Task
        fields = ["community", "title", "description", "priority", "assignee", "due", "grid",
                  "building", "resident"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3}),
                   "due": forms.DateTimeInput(attrs={"type": "datetime-local"})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        if "assignee" in self.fields:
            self.fields["assignee"].queryset = people_of(
                Community.objects.visible_to(user, "view"))


def people_of(communities):
    """Users holding a membership in one of ``communities`` (who may be given work there)."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    ids = communities.values("pk")
    return get_user_model().objects.filter(
        Q(memberships__community__in=ids) | Q(memberships__grid__community__in=ids)).distinct()


class PlanForm(ScopedModelForm):
    class Meta:
        model = Plan
        fields = ["community", "scenario", "name", "name_en", "summary", "resources", "contacts"]
        widgets = {"summary": forms.Textarea(attrs={"rows": 3})}


class CriteriaForm(forms.Form):
    """The activation criteria of one response level of a draft plan."""

    level = forms.TypedChoiceField(label=_("level"), coerce=int, choices=ResponseLevel.choices)
    criteria = forms.CharField(label=_("activation criteria"), widget=forms.Textarea(attrs={"rows": 2}))
    criteria_en = forms.CharField(label=_("activation criteria (English)"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 2}))


class IncidentForm(ScopedModelForm):
    """Edit what staff know of an incident; steps (activate, close) have their own forms."""

    class Meta:
        model = Incident
        fields = ["title", "description", "injured", "needs"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3}),
                   "needs": forms.Textarea(attrs={"rows": 3})}


class FromTemplateForm(forms.Form):
    community = forms.ModelChoiceField(Community.objects.all(), label=_("community"))
    scenario = forms.ChoiceField(label=_("scenario"),
                                 choices=[c for c in Scenario.choices if c[0] != Scenario.OTHER])

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = Community.objects.visible_to(user, "view")


class OpenIncidentForm(forms.Form):
    community = forms.ModelChoiceField(Community.objects.all(), label=_("community"))
    title = forms.CharField(label=_("title"), max_length=200)
    scenario = forms.ChoiceField(label=_("scenario"), choices=Scenario.choices)
    description = forms.CharField(label=_("description"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    grids = forms.ModelMultipleChoiceField(Grid.objects.all(), label=_("grids"), required=False,
                                           help_text=_("Leave empty for the whole community."))
    buildings = forms.ModelMultipleChoiceField(Building.objects.all(), label=_("buildings"),
                                               required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        for name, model in (("community", Community), ("grids", Grid), ("buildings", Building)):
            self.fields[name].queryset = model.objects.visible_to(user, "view")


class ActivateForm(forms.Form):
    plan = forms.ModelChoiceField(Plan.objects.all(), label=_("plan"))
    level = forms.TypedChoiceField(label=_("response level"), choices=ResponseLevel.choices,
                                   coerce=int)

    def __init__(self, *args, incident, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan"].queryset = Plan.objects.visible_to(user, "view").filter(
            community_id=incident.community_id, status=PlanStatus.ACTIVE)
        if incident.plan_id:
            self.initial.setdefault("plan", incident.plan_id)


class ReportForm(forms.Form):
    injured = forms.IntegerField(label=_("injured"), min_value=0, required=False)
    needs = forms.CharField(label=_("needs"), required=False,
                            widget=forms.Textarea(attrs={"rows": 2}))


class CloseForm(forms.Form):
    lessons = forms.CharField(label=_("review and lessons"), widget=forms.Textarea(attrs={"rows": 4}))


class NoteForm(forms.Form):
    note = forms.CharField(label=_("note"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    photo = forms.FileField(label=_("photo"), required=False)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("role"), choices=CommandRole.choices)
    user = forms.ModelChoiceField(queryset=None, label=_("user"))
    grid = forms.ModelChoiceField(Grid.objects.all(), label=_("grid"), required=False)

    def __init__(self, *args, plan, user, **kwargs):
        from django.contrib.auth import get_user_model
        from django.db.models import Q

        super().__init__(*args, **kwargs)
        c = plan.community_id
        self.fields["user"].queryset = get_user_model().objects.filter(
            Q(memberships__community_id=c) | Q(memberships__grid__community_id=c)).distinct()
        self.fields["grid"].queryset = Grid.objects.visible_to(user, "view").filter(community_id=c)


class MarkForm(forms.Form):
    status = forms.ChoiceField(label=_("status"), choices=[
        c for c in RollCallStatus.choices if c[0] != RollCallStatus.PENDING])
    note = forms.CharField(label=_("note"), required=False, max_length=300)


class TimelineForm(forms.Form):
    note = forms.CharField(label=_("note"), widget=forms.Textarea(attrs={"rows": 2}))


class PlanTaskForm(forms.ModelForm):
    class Meta:
        from resilience.response.models import PlanTask

        model = PlanTask
        fields = ["phase", "level", "role", "title", "title_en", "time_limit", "order"]
