"""FilterSets of who an alert reached, its deliveries and group endpoints (UI and API)."""
from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from resilience.alerts.models import AlertRecipient, Delivery, Endpoint
from resilience.alerts.vocab import ChannelName, DeliveryStatus, RecipientKind
from resilience.places.filtersets import SearchFilterSet


class RecipientStatus:
    """Where a recipient stands, as the board shows it (most urgent first)."""

    NEEDS_HELP, OPEN, NOT_REACHED, REACHED, ACKNOWLEDGED = (
        "needs_help", "open", "not_reached", "reached", "acknowledged")
    CHOICES = [(NEEDS_HELP, _("needs help")), (OPEN, _("not acknowledged")),
               (NOT_REACHED, _("not reached")), (REACHED, _("reached, not acknowledged")),
               (ACKNOWLEDGED, _("acknowledged"))]
    LOOKUPS = {
        NEEDS_HELP: {"needs_help": True},
        OPEN: {"acknowledged_at__isnull": True},
        NOT_REACHED: {"reached_at__isnull": True},
        REACHED: {"reached_at__isnull": False, "acknowledged_at__isnull": True},
        ACKNOWLEDGED: {"acknowledged_at__isnull": False},
    }


def status_of(recipient: AlertRecipient) -> str:
    """One word for a recipient's state: needs_help, acknowledged, reached or not_reached."""
    if recipient.needs_help:
        return RecipientStatus.NEEDS_HELP
    if recipient.acknowledged_at:
        return RecipientStatus.ACKNOWLEDGED
    return RecipientStatus.REACHED if recipient.reached_at else RecipientStatus.NOT_REACHED


class AlertRecipientFilterSet(SearchFilterSet):
    search_fields = ("name", "reason")
    status = django_filters.ChoiceFilter(choices=RecipientStatus.CHOICES, method="filter_status",
                                         label=_("status"))
    kind = django_filters.ChoiceFilter(choices=RecipientKind.choices, label=_("kind"))
    vulnerable = django_filters.BooleanFilter(label=_("vulnerable"))

    class Meta:
        model = AlertRecipient
        fields = ["q", "alert", "status", "kind", "vulnerable", "grid", "building"]

    def filter_status(self, queryset, name, value):
        return queryset.filter(**RecipientStatus.LOOKUPS[value])


class DeliveryFilterSet(django_filters.FilterSet):
    channel = django_filters.ChoiceFilter(choices=ChannelName.choices, label=_("channel"))
    status = django_filters.ChoiceFilter(choices=DeliveryStatus.choices, label=_("status"))

    class Meta:
        model = Delivery
        fields = ["alert", "recipient", "channel", "status"]


class EndpointFilterSet(SearchFilterSet):
    search_fields = ("name",)

    class Meta:
        model = Endpoint
        fields = ["q", "community", "channel", "lowest_level", "language", "active"]
