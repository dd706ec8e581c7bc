"""Group endpoint pages: the chat robots and webhooks that get a community's alerts.

The webhook URL carries the robot's key and the signing secret is a credential: pages show the
URL masked and only whether a secret is set, never the secret itself.
"""
from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from resilience.alerts.filtersets import EndpointFilterSet
from resilience.alerts.forms import EndpointForm, mask_url
from resilience.alerts.models import Endpoint
from resilience.core.views.generic import ObjectViews
from resilience.core.views.tables import Column


def url_cell(endpoint: Endpoint) -> str:
    return mask_url(endpoint.url)


def secret_cell(endpoint: Endpoint):
    return _("set") if endpoint.secret else _("not set")


class EndpointViews(ObjectViews):
    model = Endpoint
    form = EndpointForm
    filterset = EndpointFilterSet
    columns = ("name", "channel", "community", "lowest_level", "language", "active")
    detail_groups = (
        (_("group endpoint"), ("name", "channel", "community", "lowest_level", "language",
                               "active", Column("url", _("webhook URL"), url_cell),
                               Column("secret", _("signing secret"), secret_cell))),
    )
    filter_fields = ("community", "channel", "lowest_level", "active")
    select_related = ("community",)


def urls() -> list:
    return EndpointViews.urls()
