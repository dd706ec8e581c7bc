"""Authoring an alert: content in Chinese and English, when it applies, where and to whom; a
group endpoint; staff marking a person reached; a person acknowledging."""
from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from resilience.alerts.cap.read import parse_circle
from resilience.alerts.cap.write import cap_sender
from resilience.alerts.models import Alert, AlertEvent, Endpoint
from resilience.alerts.services import new_identifier
from resilience.alerts.targeting import circle_shape
from resilience.alerts.vocab import AckMethod, Level, MessageType, Source, State
from resilience.core.views.forms import ScopedModelForm
from resilience.places.filtersets import SearchFilterSet


class AreaMode:
    WHOLE, GRIDS, BUILDINGS, CIRCLE = "whole", "grids", "buildings", "circle"
    CHOICES = [(WHOLE, _("the whole community")), (GRIDS, _("grids")),
               (BUILDINGS, _("buildings")), (CIRCLE, _("a circle"))]


def area_mode_of(alert: Alert) -> str:
    if alert.pk is None or alert.whole_community:
        return AreaMode.WHOLE
    if alert.area_circle:
        return AreaMode.CIRCLE
    if alert.area_buildings.exists():
        return AreaMode.BUILDINGS
    return AreaMode.GRIDS


class AlertFilterSet(SearchFilterSet):
    level = django_filters.ChoiceFilter(choices=Level.choices, label=_("level"))
    state = django_filters.ChoiceFilter(choices=State.choices, label=_("state"))
    msg_type = django_filters.ChoiceFilter(choices=MessageType.choices, label=_("message type"))
    source = django_filters.ChoiceFilter(choices=Source.choices, label=_("source"))
    search_fields = ("headline", "headline_en", "identifier")

    class Meta:
        model = Alert
        fields = ["q", "community", "level", "state", "event_type", "msg_type", "source"]


class AlertForm(ScopedModelForm):
    """A draft alert. The area is one of: whole community, grids, buildings, or a circle."""

    area_mode = forms.ChoiceField(label=pgettext_lazy("alert", "area"), choices=AreaMode.CHOICES,
                                  widget=forms.RadioSelect, initial=AreaMode.WHOLE)

    class Meta:
        model = Alert
        fields = ["community", "level", "event_type", "urgency", "certainty", "audience",
                  "headline", "description", "instruction", "headline_en", "description_en",
                  "instruction_en", "effective", "expires", "area_mode", "area_grids",
                  "area_buildings", "area_circle", "area_description", "exercise", "public"]
        widgets = {
            "effective": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "expires": forms.DateTimeInput(attrs={"type": "datetime-local"}),
            "area_grids": forms.CheckboxSelectMultiple,
            "area_buildings": forms.CheckboxSelectMultiple,
            "description": forms.Textarea(attrs={"rows": 4}),
            "description_en": forms.Textarea(attrs={"rows": 4}),
            "instruction": forms.Textarea(attrs={"rows": 3}),
            "instruction_en": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("area_mode", area_mode_of(self.instance))
        for name in ("effective", "expires"):
            self.fields[name].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M",
                                               "%Y-%m-%d %H:%M:%S"]

    def clean(self):
        data = super().clean()
        mode = data.get("area_mode")
        community = data.get("community") or getattr(self.instance, "community", None)
        for name in ("area_grids", "area_buildings"):
            if community and any(p.community_id != community.pk for p in data.get(name) or ()):
                self.add_error(name, _("Choose places of the alert's own community."))
        if mode != AreaMode.GRIDS:
            data["area_grids"] = []
        if mode != AreaMode.BUILDINGS:
            data["area_buildings"] = []
        if mode == AreaMode.GRIDS and not data.get("area_grids"):
            self.add_error("area_grids", _("Choose at least one grid."))
        if mode == AreaMode.BUILDINGS and not data.get("area_buildings"):
            self.add_error("area_buildings", _("Choose at least one building."))
        self.instance.area_geometry = None
        if mode == AreaMode.CIRCLE:
            try:
                lat, lng, km = parse_circle(data.get("area_circle") or "")
            except Exception:  # noqa: BLE001 — CapError or a malformed number
                self.add_error("area_circle", _("Write the circle as 'latitude,longitude "
                                                "radius in km', e.g. 31.2304,121.4737 0.5."))
            else:
                circle = circle_shape(lat, lng, km * 1000)
                self.instance.area_geometry = {
                    "type": "Polygon",
                    "coordinates": [[list(p) for p in circle.exterior.coords]]}
        else:
            data["area_circle"] = ""
        self.instance.whole_community = mode == AreaMode.WHOLE
        return data

    def save(self, commit: bool = True) -> Alert:
        alert = self.instance
        is_new = alert.pk is None
        if is_new:
            alert.identifier = new_identifier(self.cleaned_data["community"])
            alert.sender = cap_sender(self.cleaned_data["community"])
            alert.state = State.DRAFT
            alert.created_by = self.user if getattr(self.user, "pk", None) else None
        alert = super().save(commit=commit)
        if commit:
            AlertEvent.objects.create(alert=alert, user=alert.created_by if is_new else self.user,
                                      action="drafted" if is_new else "edited")
        return alert


class UpdateForm(forms.Form):
    """What an update of an issued alert changes; the rest is copied from it."""

    level = forms.TypedChoiceField(label=_("level"), choices=Level.choices, coerce=int)
    headline = forms.CharField(label=_("headline"), max_length=200)
    description = forms.CharField(label=_("description"), widget=forms.Textarea(attrs={"rows": 4}))
    instruction = forms.CharField(label=_("what to do"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 3}))
    headline_en = forms.CharField(label=_("headline (English)"), max_length=200, required=False)
    description_en = forms.CharField(label=_("description (English)"), required=False,
                                     widget=forms.Textarea(attrs={"rows": 4}))
    instruction_en = forms.CharField(label=_("what to do (English)"), required=False,
                                     widget=forms.Textarea(attrs={"rows": 3}))
    expires = forms.DateTimeField(label=_("expires"), required=False,
                                  input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
                                  widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))

    @classmethod
    def initial_from(cls, alert: Alert) -> dict:
        return {name: getattr(alert, name) for name in cls.base_fields}


class CancelForm(forms.Form):
    note = forms.CharField(label=_("reason"), required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))


def mask_url(url: str) -> str:
    """A robot's webhook URL carries its key (``?key=…``, ``/hook/<token>``): show the host and
    the last four characters only, e.g. ``https://qyapi.weixin.qq.com/…x7Qa``."""
    if not url:
        return ""
    scheme, _sep, rest = url.partition("://")
    host = rest.split("/", 1)[0].split("?", 1)[0]
    tail = url[-4:] if len(url) - len(scheme) - len(host) > 12 else ""
    return f"{scheme}://{host}/…{tail}"


class EndpointForm(ScopedModelForm):
    """A group robot or webhook. The URL and the secret are write-only: leaving them blank keeps
    the saved ones; "remove the secret" clears it (for a robot without signing)."""

    secret_fields = ("url", "secret")
    clear_secret = forms.BooleanField(label=_("remove the signing secret"), required=False)

    class Meta:
        model = Endpoint
        fields = ["community", "name", "channel", "url", "secret", "lowest_level", "language",
                  "active"]
        widgets = {
            "url": forms.URLInput(attrs={"placeholder": "https://"}),
            "secret": forms.PasswordInput(render_value=False),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        has_secret = bool(self.instance.pk and self.instance.secret)
        if self.instance.pk:
            self.fields["url"].required = False
            self.fields["url"].help_text = _("Now %(masked)s. Leave blank to keep it.") % {
                "masked": mask_url(self.instance.url)}
        # Never hint at the secret itself, not even masked.
        self.fields["secret"].help_text = (
            _("A secret is set. Leave blank to keep it.") if has_secret
            else self._meta.model._meta.get_field("secret").help_text)
        if not has_secret:
            del self.fields["clear_secret"]

    def clean(self):
        data = super().clean()
        if data.get("clear_secret") and not (self.data.get("secret") or "").strip():
            data["secret"] = ""
        return data


class MarkForm(forms.Form):
    """Staff record that they reached a person themselves: by phone or at the door."""

    method = forms.ChoiceField(label=_("how"), choices=[
        (AckMethod.CALL, _("reached by phone call")), (AckMethod.VISIT, _("door knock"))],
        widget=forms.RadioSelect)
    note = forms.CharField(label=_("note"), max_length=300, required=False)
    needs_help = forms.BooleanField(label=_("needs help"), required=False)


class AckForm(forms.Form):
    """A person says they have the warning (and maybe that they need help)."""

    needs_help = forms.BooleanField(required=False)
    note = forms.CharField(label=_("what do you need? (optional)"), max_length=300,
                           required=False, widget=forms.Textarea(attrs={"rows": 2}))
