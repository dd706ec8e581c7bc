"""XML attacks: no DOCTYPE gets in; even the bare parser reads no file and no URL (DESIGN §6)."""
from __future__ import annotations

import pytest
from hypothesis import given, settings as hsettings, strategies as st
from lxml import etree

from resilience.alerts.cap import CapError
from resilience.alerts.cap.read import parse_cap
from resilience.alerts.cap.relay import import_cap
from resilience.alerts.cap.safe import MAX_BYTES, PARSER, parse_xml
from resilience.alerts.cap.testing import EXAMPLES, cap_document, loopback_server
from tests.services import require

XXE = EXAMPLES / "attack" / "xxe.cap"
MARKER = "TOP-SECRET-MARKER-7f3a"


@pytest.fixture
def secret(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text(MARKER)
    return path


def attack(secret, base: str) -> bytes:
    """The shared attack, aimed at a marker file and our loopback server instead of :8080."""
    require(XXE.is_file(), f"reference data missing: {XXE}")
    text = XXE.read_text(encoding="utf-8")
    text = text.replace("http://localhost:8080", base).replace("http://http://localhost:8080", base)
    text = text.replace("file:///etc/passwd", secret.as_uri())
    text = text.replace('<!ENTITY xxe SYSTEM "' + base + '/payload3">',
                        f'<!ENTITY xxe SYSTEM "{secret.as_uri()}">'
                        f'<!ENTITY web SYSTEM "{base}/payload3">')
    return text.encode()


def test_the_shared_attack_is_refused_with_a_reason():
    require(XXE.is_file(), f"reference data missing: {XXE}")
    with pytest.raises(CapError, match="DOCTYPE"):
        parse_cap(XXE.read_bytes())


def test_the_attack_reads_no_file_and_no_url_through_parse_cap(secret, db):
    dtd = {"/payload1.dtd": (b'<!ENTITY send "x">', "application/xml-dtd")}
    with loopback_server(dtd) as server:
        data = attack(secret, server.base)
        for parse in (parse_xml, parse_cap, import_cap):
            with pytest.raises(CapError) as refused:
                parse(data)
            assert MARKER not in refused.value.reason
        assert server.requests == []


def test_even_the_bare_parser_reads_no_file_and_no_url(secret):
    """Below the DOCTYPE refusal: the hardened parser itself resolves nothing."""
    with loopback_server({"/payload1.dtd": (b'<!ENTITY send "x">', "application/xml-dtd"),
                          "/payload3": (MARKER.encode(), "text/plain")}) as server:
        data = attack(secret, server.base)
        try:
            root = etree.fromstring(data, PARSER)
            dumped = etree.tostring(root, encoding="unicode")
            texts = " ".join(root.itertext())
        except etree.XMLSyntaxError as exc:  # refusing to parse is fine too
            dumped = texts = str(exc)
        assert MARKER not in dumped and MARKER not in texts
        assert server.requests == []


def test_a_plain_file_entity_is_not_expanded(secret):
    document = (f'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "{secret.as_uri()}">]>'
                f"<a>&x;</a>").encode()
    with pytest.raises(CapError, match="DOCTYPE"):
        parse_xml(document)
    root = etree.fromstring(document, PARSER)
    assert MARKER not in etree.tostring(root, encoding="unicode")


def test_xinclude_is_never_processed(secret, db):
    document = cap_document().replace(
        b"<identifier>", f'<x xmlns:xi="http://www.w3.org/2001/XInclude"><xi:include '
                         f'href="{secret.as_uri()}" parse="text"/></x><identifier>'.encode(), 1)
    root = parse_xml(document)
    assert MARKER not in etree.tostring(root, encoding="unicode")
    with pytest.raises(CapError, match="schema"):
        parse_cap(document)


def test_billion_laughs_is_refused_at_once():
    lol = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
           + "".join(f'<!ENTITY lol{i} "{("&lol%s;" % (i - 1 if i > 1 else "")) * 10}">'
                     for i in range(1, 10))
           + ']><lolz>&lol9;</lolz>').encode()
    with pytest.raises(CapError, match="DOCTYPE"):
        parse_xml(lol)


@pytest.mark.parametrize("codec", ["utf-16", "utf-32"])
def test_a_doctype_in_another_encoding_is_refused_too(codec, secret):
    document = (f'<?xml version="1.0" encoding="{codec.upper()}"?>\n<!-- hello -->\n'
                f'<!DOCTYPE a [<!ENTITY x SYSTEM "{secret.as_uri()}">]><a>&x;</a>').encode(codec)
    with pytest.raises(CapError, match="DOCTYPE"):
        parse_xml(document)


def test_a_doctype_mentioned_inside_text_is_no_doctype(db):
    document = cap_document().replace(
        "<description>预计有大暴雨。</description>".encode(),
        b"<description><![CDATA[<!DOCTYPE html> is how pages start]]></description>", 1)
    cap = parse_cap(document)
    assert cap.infos[0].description.startswith("<!DOCTYPE html>")


def test_documents_over_the_size_limit_are_refused():
    big = cap_document().replace(b"<description>", b"<description>" + b"x" * MAX_BYTES, 1)
    with pytest.raises(CapError, match="larger than"):
        parse_xml(big)


@pytest.mark.parametrize("data", [b"", b"   ", b"<a>", b"\xff\xfe\x00garbage", b"{}",
                                  b'<?xml version="1.0" encoding="no-such-codec"?><a/>'])
def test_garbage_is_not_xml_with_a_reason(data):
    with pytest.raises(CapError, match="Not XML"):
        parse_xml(data)


# --- never a crash: whatever arrives is a CapAlert or a CapError ---------------------------------

SAMPLE = cap_document(polygons=("31.231,121.471 31.231,121.476 31.236,121.476 31.231,121.471",),
                      circles=("31.235,121.475 0.3",))


def _read_or_refuse(data: bytes) -> None:
    try:
        parse_cap(data)
    except CapError as exc:
        assert exc.reason.strip()


@hsettings(max_examples=150, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_are_read_or_refused_never_crash(data):
    _read_or_refuse(data)


@hsettings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.integers(0, len(SAMPLE) - 1), st.integers(0, 255)), max_size=6))
def test_a_damaged_alert_is_read_or_refused_never_crash(changes):
    data = bytearray(SAMPLE)
    for index, value in changes:
        data[index] = value
    _read_or_refuse(bytes(data))


@hsettings(max_examples=100, deadline=None)
@given(st.text(alphabet="0123456789.,- +eE", max_size=60))
def test_any_polygon_or_circle_text_is_read_or_refused(text):
    _read_or_refuse(SAMPLE.replace(b"31.235,121.475 0.3", text.encode(), 1))
    _read_or_refuse(SAMPLE.replace(
        b"31.231,121.471 31.231,121.476 31.236,121.476 31.231,121.471", text.encode(), 1))
