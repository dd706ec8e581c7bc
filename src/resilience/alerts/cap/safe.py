"""The one XML parser for documents from outside: no DTD, no entities, no network, no giants.

A CAP document has no business declaring a DOCTYPE, so one that does is refused outright (that is
how every XML external-entity and "billion laughs" attack starts). The parser below would not
resolve entities or load anything anyway; the refusal just says so clearly.
"""
from __future__ import annotations

import codecs
import re

from django.utils.translation import gettext as _
from lxml import etree

from resilience.alerts.cap import CapError

MAX_BYTES = 1_000_000  # 1 MB: real CAP alerts are a few kB; the largest feed we know is ~60 kB

PARSER = etree.XMLParser(
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=False,
    remove_pis=True,  # e.g. <?xml-stylesheet href="http://…"?>: never followed, dropped
)

# The prolog (BOM, XML declaration, comments, processing instructions, space) up to a DOCTYPE.
_DOCTYPE_IN_PROLOG = re.compile(r"^\ufeff?(?:\s+|<\?.*?\?>|<!--.*?-->)*<!DOCTYPE", re.S)
_UTF16_32 = {codecs.BOM_UTF32_LE: "utf-32", codecs.BOM_UTF32_BE: "utf-32",
             codecs.BOM_UTF16_LE: "utf-16", codecs.BOM_UTF16_BE: "utf-16"}


def _declares_doctype(data: bytes) -> bool:
    head = data[:4096]
    for bom, codec in _UTF16_32.items():  # UTF-32 BOMs first: they start like UTF-16 ones
        if head.startswith(bom):
            text = head.decode(codec, errors="ignore")
            break
    else:
        # Every ASCII-compatible encoding spells "<!DOCTYPE" alike.
        text = head.removeprefix(codecs.BOM_UTF8).decode("latin-1")
    return bool(_DOCTYPE_IN_PROLOG.match(text))


def _doctype_refused() -> str:
    return _("Refused: the document declares a DOCTYPE or ENTITY. CAP never needs one, and it is "
             "how XML external-entity attacks start; nothing was read from any file or URL.")


def parse_xml(data: bytes, *, max_bytes: int = MAX_BYTES) -> etree._Element:
    """The root element of ``data``, or ``CapError`` saying why the document is refused."""
    if isinstance(data, str):
        raise TypeError("parse_xml takes bytes; let the XML declaration name the encoding")
    if len(data) > max_bytes:
        raise CapError(_("The document is larger than %(limit)s kB (%(size)s bytes); refused.")
                       % {"limit": max_bytes // 1000, "size": len(data)})
    if not data.strip(b" \t\r\n\x00" + codecs.BOM_UTF8):
        raise CapError(_("Not XML: the document is empty."))
    if _declares_doctype(data):
        raise CapError(_doctype_refused())
    try:
        root = etree.fromstring(data, PARSER)
    except etree.XMLSyntaxError as exc:
        raise CapError(_("Not XML: %(error)s") % {"error": exc}) from None
    except ValueError as exc:  # e.g. an unknown encoding in the XML declaration
        raise CapError(_("Not XML: %(error)s") % {"error": exc}) from None
    if root is None:
        raise CapError(_("Not XML: no root element."))
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:  # belt and braces for the scan above
        raise CapError(_doctype_refused())
    return root


def declared_encoding(root: etree._Element) -> str:
    """The encoding the document declared (UTF-8 when it declared none)."""
    return root.getroottree().docinfo.encoding or "UTF-8"
