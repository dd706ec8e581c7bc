"""Helpers for the CAP tests: sample alerts, hand-written CAP documents, a loopback HTTP server.

Test code only; nothing in the product imports it.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import http.server
import itertools
import os
import threading
from pathlib import Path
from xml.sax.saxutils import escape

from django.utils import timezone



def _shared_data() -> Path:
    """Reference data (never needed at run time): $RESILIENCE_SHARED_DATA, else the first
    ``shared/data`` beside the repository or one of its parents (normally <repo>/../shared/data)."""
    if os.environ.get("RESILIENCE_SHARED_DATA"):
        return Path(os.environ["RESILIENCE_SHARED_DATA"])
    repo = Path(__file__).resolve().parents[4]
    for folder in repo.parents:
        if (folder / "shared" / "data").is_dir():
            return folder / "shared" / "data"
    return repo.parent / "shared" / "data"


SHARED_CAP = _shared_data() / "cap"
SHARED_XSD = SHARED_CAP / "CAP-v1.2.xsd"
EXAMPLES = SHARED_CAP / "examples"

_serial = itertools.count(1)


def make_alert(community, **fields):
    """An issued, public orange rainstorm alert for the whole community, with English text."""
    from resilience.alerts.models import Alert
    from resilience.alerts.vocab import State

    now = timezone.now().replace(microsecond=0)
    values = dict(
        community=community, identifier=f"{community.code}.test.{next(_serial)}",
        sender=f"{community.code}@resilience.test", level=2, event_type="rainstorm",
        headline="暴雨橙色预警", description="预计未来3小时有大暴雨，请做好防范。",
        instruction="请勿前往地下车库。", headline_en="Orange rainstorm warning",
        description_en="Very heavy rain is expected within 3 hours.",
        instruction_en="Keep out of underground garages.", state=State.ISSUED, issued_at=now,
        effective=now, expires=now + dt.timedelta(hours=6),
    )
    values.update(fields)
    grids = values.pop("area_grids", [])
    buildings = values.pop("area_buildings", [])
    alert = Alert.objects.create(**values)
    alert.area_grids.set(grids)
    alert.area_buildings.set(buildings)
    return alert


def square_ring(lat: float, lng: float, size: float) -> str:
    """A CAP polygon: the square with its south-west corner at (lat, lng)."""
    points = [(lat, lng), (lat, lng + size), (lat + size, lng + size), (lat + size, lng),
              (lat, lng)]
    return " ".join(f"{a},{b}" for a, b in points)


def cap_document(identifier: str = "UP-1", *, sender: str = "upstream@met.example",
                 msg_type: str = "Alert", status: str = "Actual", scope: str = "Public",
                 references: str = "", severity: str = "Severe", event: str = "暴雨",
                 event_en: str = "Rainstorm", polygons: tuple[str, ...] = (),
                 circles: tuple[str, ...] = (), geocodes: tuple[tuple[str, str], ...] = (),
                 english: bool = True, info: bool = True,
                 sent: str = "2030-07-01T08:00:00+08:00",
                 expires: str = "2030-07-01T20:00:00+08:00") -> bytes:
    """A small CAP 1.2 document with a zh-CN (and an en-US) <info> over the given area."""

    def area() -> str:
        parts = ["<areaDesc>测试区域</areaDesc>"]
        parts += [f"<polygon>{p}</polygon>" for p in polygons]
        parts += [f"<circle>{c}</circle>" for c in circles]
        parts += [f"<geocode><valueName>{escape(n)}</valueName><value>{escape(v)}</value>"
                  f"</geocode>" for n, v in geocodes]
        return "<area>" + "".join(parts) + "</area>"

    def block(language: str, event_name: str, headline: str, description: str) -> str:
        return (f"<info><language>{language}</language><category>Met</category>"
                f"<event>{event_name}</event><urgency>Expected</urgency>"
                f"<severity>{severity}</severity><certainty>Likely</certainty>"
                f"<effective>{sent}</effective><expires>{expires}</expires>"
                f"<senderName>上游气象台</senderName><headline>{headline}</headline>"
                f"<description>{description}</description>"
                f"<instruction>{'注意防范' if language == 'zh-CN' else 'Take care'}</instruction>"
                f"{area()}</info>")

    blocks = ""
    if info:
        blocks = block("zh-CN", event, "暴雨预警", "预计有大暴雨。")
        if english:
            blocks += block("en-US", event_en, "Rainstorm warning", "Heavy rain is expected.")
    refs = f"<references>{references}</references>" if references else ""
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">'
            f"<identifier>{identifier}</identifier><sender>{sender}</sender><sent>{sent}</sent>"
            f"<status>{status}</status><msgType>{msg_type}</msgType><scope>{scope}</scope>"
            f"{refs}{blocks}</alert>").encode()


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - the stdlib's name
        self.server.requests.append(self.path)
        body, content_type = self.server.routes.get(self.path, (None, ""))
        if body is None:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # quiet
        pass


@contextlib.contextmanager
def loopback_server(routes: dict[str, tuple[bytes, str]] | None = None):
    """An HTTP server on 127.0.0.1 serving ``routes`` (path → (body, type)); ``.requests`` lists
    every path asked for, so a test can prove that nothing was fetched."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.routes = dict(routes or {})
    server.requests = []
    server.base = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
