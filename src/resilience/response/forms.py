from django import forms

from resilience.core.views.forms import ScopedModelForm
from resilience.response.models import Task


class TaskForm(ScopedModelForm):
    class Meta:
        model = Task
        fields = ["community", "title", "description", "priority", "assignee", "due", "grid",
                  "building", "resident", "status", "outcome"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3}),
                   "outcome": forms.Textarea(attrs={"rows": 3}),
                   "due": forms.DateTimeInput(attrs={"type": "datetime-local"})}
