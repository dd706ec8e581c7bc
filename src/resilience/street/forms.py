"""Forms of the mutual-aid and region-wide warning pages. They only collect input: the services
in ``street.aid`` and ``street.broadcasts`` check it and refuse with the field named, which the
views put back on the form (``core.views.forms.add_errors``)."""
from __future__ import annotations

import datetime as dt

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from resilience.alerts.models import Alert
from resilience.alerts.vocab import EventType, Level
from resilience.core.roles import Role
from resilience.core.scope import memberships_of
from resilience.places.models import Community, Facility
from resilience.places.vocab import FacilityKind
from resilience.street.vocab import AidKind

DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")
CHECKBOXES = forms.CheckboxSelectMultiple


def staff_communities(user):
    """The communities ``user`` may ask for help for: where they are staff (any for admins)."""
    if user.is_superuser or any(m.role == Role.ADMIN for m in memberships_of(user)):
        return Community.objects.order_by("name")
    ids = [m.community_id for m in memberships_of(user) if m.role == Role.STAFF and m.community_id]
    return Community.objects.filter(pk__in=ids).order_by("name")


class AidRequestForm(forms.Form):
    """“Ask the street for help”: staff of a community."""

    community = forms.ModelChoiceField(label=_("community"), queryset=Community.objects.none())
    kind = forms.ChoiceField(label=_("what is needed"), choices=AidKind.choices,
                             widget=forms.RadioSelect, initial=AidKind.SUPPLIES)
    item_name = forms.CharField(label=_("supply"), max_length=120, required=False,
                                help_text=_("For supplies: what is needed, e.g. bottled water."))
    unit = forms.CharField(label=_("unit"), max_length=20, required=False,
                           help_text=_("e.g. bottle, box, piece"))
    quantity = forms.DecimalField(label=_("how many"), min_value=0, max_digits=12,
                                  decimal_places=3,
                                  help_text=_("Units of supply, volunteers or shelter places."))
    needed_by = forms.DateTimeField(label=_("needed by"), required=False, widget=DATETIME)
    reason = forms.CharField(label=_("reason"), required=False,
                             widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        choices = staff_communities(user)
        self.fields["community"].queryset = choices
        if choices.count() == 1:
            self.fields["community"].initial = choices.first()
            self.fields["community"].widget = forms.HiddenInput()


class TransferForm(forms.Form):
    """Move stock from a neighbour's warehouse (one of the offers) to the asking community."""

    source = forms.ChoiceField(label=_("from"), choices=())
    quantity = forms.DecimalField(label=_("quantity"), min_value=0, max_digits=14,
                                  decimal_places=3)
    to_warehouse = forms.ModelChoiceField(label=_("into warehouse"),
                                          queryset=Facility.objects.none())

    def __init__(self, *args, request, supply_offers, **kwargs):
        super().__init__(*args, **kwargs)
        self.offers = {o.key: o for o in supply_offers}
        self.fields["source"].choices = [
            (o.key, _("%(community)s · %(item)s · %(warehouse)s · %(usable)s usable") % {
                "community": o.community, "item": o.item, "warehouse": o.warehouse,
                "usable": f"{o.usable.normalize():f}"}) for o in supply_offers]
        self.fields["to_warehouse"].queryset = Facility.objects.filter(
            community_id=request.community_id, kind=FacilityKind.WAREHOUSE).order_by("pk")
        self.fields["to_warehouse"].initial = self.fields["to_warehouse"].queryset.first()
        if supply_offers and not self.is_bound:
            self.fields["quantity"].initial = f"{supply_offers[0].give.normalize():f}"

    def chosen(self):
        return self.offers[self.cleaned_data["source"]]


class LendForm(forms.Form):
    """Lend free volunteers of the neighbours until a time."""

    volunteers = forms.MultipleChoiceField(label=_("volunteers"), choices=(), widget=CHECKBOXES)
    ends = forms.DateTimeField(label=_("until"), widget=DATETIME)

    def __init__(self, *args, request, groups, **kwargs):
        super().__init__(*args, **kwargs)
        self.volunteers = {str(v.pk): v for g in groups for v in g.volunteers}
        self.fields["volunteers"].choices = [
            (str(g.community), [(str(v.pk), v.name) for v in g.volunteers]) for g in groups]
        ends = request.needed_by if request.needed_by and request.needed_by > timezone.now() \
            else timezone.now() + dt.timedelta(days=3)
        self.fields["ends"].initial = timezone.localtime(ends).replace(second=0, microsecond=0)

    def chosen(self) -> list:
        return [self.volunteers[pk] for pk in self.cleaned_data["volunteers"]]


class ReferForm(forms.Form):
    """Point evacuees to a neighbour's shelter with free places."""

    shelter = forms.ChoiceField(label=_("shelter"), choices=())
    places = forms.IntegerField(label=_("places"), min_value=1)
    note = forms.CharField(label=_("note"), max_length=200, required=False)

    def __init__(self, *args, shelters, **kwargs):
        super().__init__(*args, **kwargs)
        self.shelters = {str(row["shelter"].pk): row["shelter"] for row in shelters}
        self.fields["shelter"].choices = [
            (str(row["shelter"].pk), _("%(community)s · %(shelter)s · %(free)s free") % {
                "community": row["community"], "shelter": row["shelter"], "free": row["free"]})
            for row in shelters]

    def chosen(self):
        return self.shelters[self.cleaned_data["shelter"]]


class CommunitiesField(forms.ModelMultipleChoiceField):
    widget = CHECKBOXES

    def label_from_instance(self, obj) -> str:
        return obj.name


class WarnForm(forms.Form):
    """The communities a region-wide warning goes to: some, or all of them."""

    all_communities = forms.BooleanField(label=_("all communities"), required=False)
    communities = CommunitiesField(label=_("communities"), queryset=Community.objects.none(),
                                   required=False)

    def __init__(self, *args, communities, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["communities"].queryset = communities

    def clean(self):
        data = super().clean()
        if data.get("all_communities"):
            data["communities"] = list(self.fields["communities"].queryset)
        if not data.get("communities"):
            self.add_error("communities", _("Choose at least one community, or all."))
        return data


class BroadcastForm(WarnForm):
    """A new warning written by the office."""

    level = forms.TypedChoiceField(label=_("level"), choices=Level.choices, coerce=int,
                                   initial=Level.IV)
    event_type = forms.ChoiceField(label=_("event type"), choices=EventType.choices)
    headline = forms.CharField(label=_("headline"), max_length=200)
    description = forms.CharField(label=_("description"), widget=forms.Textarea(attrs={"rows": 3}))
    instruction = forms.CharField(label=_("what to do"), required=False,
                                  widget=forms.Textarea(attrs={"rows": 2}))
    expires = forms.DateTimeField(label=_("expires"), required=False, widget=DATETIME)

    FIELDS = ("level", "event_type", "headline", "description", "instruction", "expires")

    def alert_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.FIELDS
                if self.cleaned_data.get(name) not in (None, "")}


class RelayForm(WarnForm):
    """Pass an alert the office can see on to its communities."""

    source = forms.ModelChoiceField(label=_("alert to relay"), queryset=Alert.objects.none())

    def __init__(self, *args, alerts, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["source"].queryset = alerts
        self.fields["source"].label_from_instance = (
            lambda a: f"{a.get_level_display()} · {a.headline} · {a.community} · "
                      f"{a.get_state_display()}")
