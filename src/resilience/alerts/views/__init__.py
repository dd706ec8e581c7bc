"""Early-warning pages: alerts (``alerts``), the live board and staff marking (``board``), the
acknowledgement link, the inbox and the banner (``ack``), group endpoints (``endpoints``)."""
from __future__ import annotations

from resilience.alerts.views import ack, alerts, board, endpoints


def urls() -> list:
    # The board and the other fixed sub-pages come before alerts' "<pk>/<step>/" pattern.
    return [*board.urls(), *ack.urls(), *endpoints.urls(), *alerts.urls()]
