"""Dead letters: what ingestion refused, with the raw payload and the reason, for the staff who
look after the sensors (community staff see their communities'; the platform admin all)."""
from __future__ import annotations

from django.urls import path
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _l

from resilience.core.views.generic import ObjectListView, ObjectViews
from resilience.core.views.tables import Column, as_columns
from resilience.monitoring.filtersets_observations import DeadLetterFilterSet
from resilience.monitoring.models import DeadLetter

PAYLOAD_SHOWN = 2000  # characters of a payload shown in the list


def payload_cell(letter: DeadLetter):
    text = letter.payload if len(letter.payload) <= PAYLOAD_SHOWN else (
        letter.payload[:PAYLOAD_SHOWN] + "…")
    return format_html('<details class="payload"><summary>{}</summary><pre>{}</pre></details>',
                       _l("payload"), text)


class DeadLetterViews(ObjectViews):
    """A list only: a dead letter is read where it is listed, and never edited."""

    model = DeadLetter
    filterset = DeadLetterFilterSet
    columns = ("received_at", "source", "reason", "sensor_code", "topic",
               Column("payload", _l("payload"), value=payload_cell), "community")
    select_related = ("community",)
    filter_fields = ("source", "sensor", "community", "since", "until")
    paginate_by = 50
    list_template = "monitoring/deadletter_list.html"

    @classmethod
    def urls(cls) -> list:
        return [path("dead-letters/", ObjectListView.as_view(views=cls()),
                     name="deadletter_list")]

    def get_columns(self) -> list[Column]:
        return as_columns(self.model, self.columns)  # no page of its own to link to
