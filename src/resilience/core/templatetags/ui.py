"""Template tags of the web UI: the menu the user may see, and small helpers for forms."""
from django import forms, template

from resilience.core.views.menu import menu_for

register = template.Library()


@register.simple_tag(takes_context=True)
def nav_menu(context) -> list[dict]:
    """The menu groups the signed-in user may see (computed once per request)."""
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return []
    cached = getattr(request, "_resilience_menu", None)
    if cached is None:
        cached = request._resilience_menu = menu_for(request.user)
    return cached


@register.filter
def widget_kind(bound_field) -> str:
    """A CSS hook for the kind of input: checkbox, choices, select, textarea or text."""
    widget = bound_field.field.widget
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    if isinstance(widget, (forms.CheckboxSelectMultiple, forms.RadioSelect)):
        return "choices"
    if isinstance(widget, forms.Select):
        return "select"
    if isinstance(widget, forms.Textarea):
        return "textarea"
    return "text"
