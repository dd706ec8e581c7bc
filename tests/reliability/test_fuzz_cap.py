"""Fuzzing CAP input: the real CAP files of ``shared/data/cap/`` (and one over community A, so
that alerts are really relayed) mutated element by element and byte by byte, through
``import_cap`` — the path of ``resilience import-cap`` and of feed polling.

The contract: the document is relayed (every alert saved whole, every text within its column)
or refused with ``CapError`` and a reason, and then no alert and no alert event was created;
never another exception. The XML external-entity attack stays refused in every disguise.

Examples per test: ``RESILIENCE_FUZZ_EXAMPLES`` (default small; see docs/reliability.md).
"""
import codecs
import csv
import itertools
import os

import pytest
from django.db import models, transaction
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from lxml import etree

from resilience.alerts.cap import CapError
from resilience.alerts.cap.relay import import_cap
from resilience.alerts.cap.safe import PARSER
from resilience.alerts.cap.testing import EXAMPLES as CAP_EXAMPLES
from resilience.alerts.cap.testing import cap_document, square_ring
from resilience.alerts.models import Alert, AlertEvent
from tests.services import require

EXAMPLES = int(os.environ.get("RESILIENCE_FUZZ_EXAMPLES", "0")) or None
OVER_A = square_ring(31.231, 121.471, 0.005)  # inside community A of the test world
SERIAL = itertools.count(1)


def bounded(default: int):
    return settings(max_examples=EXAMPLES or default, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow, HealthCheck.data_too_large])


def _documents() -> dict[str, bytes]:
    documents = {"over-community-a": cap_document("FUZZ-1", polygons=(OVER_A,))}
    listing = CAP_EXAMPLES / "expected.csv"
    if listing.is_file():
        with listing.open(encoding="utf-8") as rows:
            for row in csv.DictReader(rows):
                documents[row["file"]] = (CAP_EXAMPLES / row["file"]).read_bytes()
    return documents


DOCUMENTS = _documents()
NAMES = sorted(name for name in DOCUMENTS if not name.startswith("attack/"))


@pytest.fixture
def shared_data():
    require(len(DOCUMENTS) > 1, f"reference data missing: {CAP_EXAMPLES}")


# --- mutations ----------------------------------------------------------------------------------

xml_text = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Cn"),
                                 whitelist_characters="\t\n"), max_size=40)
GARBAGE = [
    "", " ", "2003-06-17T14:57:00", "2003-02-30T14:57:00-07:00", "9999-12-31T23:59:59+14:00",
    "0001-01-01T00:00:00-14:00", "yesterday", "2003-06-17T14:57:00-07:00", "NaN", "1e999",
    "38.47,-120.14 38.34,-119.95", "nan,nan nan,nan nan,nan nan,nan", "91,181 0,0 1,1 91,181",
    "38.47;-120.14 1,2 3,4", "1,2,3 4,5 6,7 1,2,3", OVER_A, "31.233,121.473 1e308",
    "31.233,121.473 -5", "31.233,121.473", "0,0 0,1 1,0 1,1 0,0", "1,1 " * 3000,
    "x" * 5000, "测" * 300, "Actual", "Exercise", "Test", "Alert", "Update", "Cancel", "Ack",
    "Public", "Restricted", "Extreme", "Severe", "Unknown", "a,b,c d,e,f", ",,, ,,,",
    "KSTO@NWS.NOAA.GOV,KSTO1055887203,2003-06-17T14:57:00-07:00",
]
texts = st.sampled_from(GARBAGE) | xml_text
operations = st.lists(st.one_of(
    st.tuples(st.just("drop"), st.integers(0, 10**6)),
    st.tuples(st.just("duplicate"), st.integers(0, 10**6)),
    st.tuples(st.just("text"), st.integers(0, 10**6), texts),
    st.tuples(st.just("rename"), st.integers(0, 10**6),
              st.sampled_from(["alert", "info", "area", "polygon", "circle", "sent", "x"])),
    st.tuples(st.just("move"), st.integers(0, 10**6), st.integers(0, 10**6)),
), min_size=1, max_size=6)


def mutate(data: bytes, ops: list, relocate: bool = False) -> bytes | None:
    """Apply element-level ``ops`` to a document; None if it is not XML to begin with.
    ``relocate`` first moves every polygon over community A, so that the alert is relayed."""
    try:
        root = etree.fromstring(data, PARSER)
    except (etree.XMLSyntaxError, ValueError):
        return None
    if root is None:
        return None
    if relocate:
        for polygon in root.iter("{*}polygon"):
            polygon.text = OVER_A
    # A new identifier each time: the same one again would only be "already relayed".
    for identifier in root.findall("{*}identifier"):
        identifier.text = f"FUZZ-{next(SERIAL)}"
    for op in ops:
        elements = [e for e in root.iter() if isinstance(e.tag, str)]
        target = elements[op[1] % len(elements)]
        parent = target.getparent()
        try:
            if op[0] == "drop" and parent is not None:
                parent.remove(target)
            elif op[0] == "duplicate" and parent is not None:
                parent.insert(parent.index(target), etree.fromstring(etree.tostring(target)))
            elif op[0] == "text":
                target.text = op[2]
            elif op[0] == "rename":
                namespace = etree.QName(target).namespace
                target.tag = f"{{{namespace}}}{op[2]}" if namespace else op[2]
            elif op[0] == "move" and parent is not None:
                other = elements[op[2] % len(elements)]
                if other is not target and target not in other.iterancestors():
                    parent.remove(target)
                    other.append(target)
        except ValueError:  # lxml refuses some names and texts outright
            continue
    return etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8")


def bytewise(data: bytes, cuts: list[tuple[int, int]]) -> bytes:
    for at, value in cuts:
        at %= max(1, len(data))
        data = data[:at] + bytes([value]) + data[at + 1:]
    return data


# --- the contract -------------------------------------------------------------------------------

def note(what: str) -> None:
    try:
        event(what)
    except InvalidArgument:  # outside a hypothesis test
        pass


def check_import(data: bytes):
    """Relayed whole or refused with a reason and nothing created; nothing else."""
    alerts, events = Alert.objects.count(), AlertEvent.objects.count()
    try:
        with transaction.atomic():  # a test-local savepoint: a failure must not poison the test
            relayed = import_cap(data, source_url="https://fuzz.example/cap.xml")
    except CapError as exc:
        note(f"refused: {exc.reason.split(':')[0][:40]}")
        assert exc.reason.strip()
        assert (Alert.objects.count(), AlertEvent.objects.count()) == (alerts, events)
        return None
    note("relayed to a community" if relayed else "accepted, nothing relayed")
    assert Alert.objects.count() == alerts + len(relayed)
    for alert in relayed:
        stored = Alert.objects.get(pk=alert.pk)
        for field in Alert._meta.concrete_fields:
            value = getattr(stored, field.attname)
            if isinstance(field, models.CharField) and value is not None:
                assert len(value) <= field.max_length, (field.name, len(value))
        assert stored.events.exists()
    return relayed


@bounded(150)
@example(name="over-community-a", ops=[("text", 1, "x" * 300)], relocate=False)  # <identifier>
@example(name="over-community-a", ops=[("text", 2, "s" * 300)], relocate=False)  # <sender>
@given(name=st.sampled_from(NAMES) | st.just("over-community-a"), ops=operations,
       relocate=st.booleans())
def test_mutated_cap_documents_are_relayed_or_refused_with_a_reason(world, shared_data, name,
                                                                    ops, relocate):
    data = mutate(DOCUMENTS[name], ops, relocate)
    if data is not None:
        check_import(data)


@bounded(100)
@given(name=st.sampled_from(NAMES),
       cuts=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=4),
       truncate=st.none() | st.integers(0, 10**6))
def test_damaged_bytes_are_relayed_or_refused_with_a_reason(world, shared_data, name, cuts,
                                                            truncate):
    data = bytewise(DOCUMENTS[name], cuts)
    if truncate is not None:
        data = data[:truncate % max(1, len(data))]
    check_import(data)


@bounded(60)
@given(name=st.sampled_from(NAMES), ops=operations)
def test_the_same_document_twice_relays_nothing_new(world, shared_data, name, ops):
    data = mutate(DOCUMENTS[name], ops, relocate=True)
    if data is None or check_import(data) is None:
        return
    again = check_import(data)
    assert again is not None and len(again) == 0


# --- the external-entity attack in disguise ------------------------------------------------------

def _disguises() -> list[bytes]:
    attack = DOCUMENTS.get("attack/xxe.cap", b"")
    if not attack:
        return []
    text = attack.decode("utf-8")
    no_declaration = text.split("?>", 1)[1]
    return [
        attack,
        codecs.BOM_UTF8 + attack,
        "\n\n   ".encode() + no_declaration.lstrip().encode(),
        ("<!-- a comment -->" + no_declaration).encode(),
        text.replace('encoding="utf-8"', 'encoding="utf-16"').encode("utf-16"),
        codecs.BOM_UTF16_BE + text.replace('encoding="utf-8"', 'encoding="utf-16"')
        .encode("utf-16-be"),
        text.replace("<!DOCTYPE", "<!doctype").encode(),
        text.replace('encoding="utf-8"', 'encoding="iso-8859-1"').encode("latin-1", "replace"),
        text.replace("<!DOCTYPE alert", "<!DOCTYPE\talert").encode(),
    ]


@pytest.mark.parametrize("index", range(9))
def test_the_external_entity_attack_stays_refused_in_every_disguise(world, shared_data, index):
    disguises = _disguises()
    require(disguises, "reference data missing: attack/xxe.cap")
    alerts = Alert.objects.count()
    with pytest.raises(CapError) as refused:
        import_cap(disguises[index])
    assert refused.value.reason.strip()
    assert Alert.objects.count() == alerts


@bounded(60)
@given(cuts=st.lists(st.tuples(st.integers(0, 10**6), st.integers(0, 255)), max_size=3))
def test_a_mutated_external_entity_attack_never_relays_an_entity(world, shared_data, cuts):
    """Whatever is left of the attack after damage: refused, or relayed without a single byte
    from a file or URL (the marker text ``&xxe;`` would stand for)."""
    attack = DOCUMENTS.get("attack/xxe.cap")
    require(attack, "reference data missing: attack/xxe.cap")
    data = bytewise(attack, cuts)
    relayed = check_import(data)
    if relayed:
        for alert in relayed:
            assert "root:" not in alert.upstream_cap and "root:" not in alert.description
