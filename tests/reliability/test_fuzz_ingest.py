"""Fuzzing sensor payloads: the MQTT ingester's loop (``Ingester._collect`` → ``_commit_and_ack``,
as messages on ``resilience/<community>/sensors/<sensor>`` arrive) and ``POST /api/observations/``.

The contract: every reading of every message is stored, a duplicate of a stored one, or a dead
letter with a reason — counted exactly, never an exception out of the loop, never the last-resort
"ingestion failed" refusal (which means the pipeline itself broke); the HTTP endpoint answers
200/207/400/403 with its summary, never 500.

Examples per test: ``RESILIENCE_FUZZ_EXAMPLES`` (default small; see docs/reliability.md).
"""
import datetime as dt
import json
import os
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from resilience.monitoring import ingest
from resilience.monitoring.models import DeadLetter, Observation, Sensor
from resilience.monitoring.mqtt import Ingester

EXAMPLES = int(os.environ.get("RESILIENCE_FUZZ_EXAMPLES", "0")) or None
NOW = dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.UTC)
INTERNAL = "ingestion failed"


def bounded(default: int):
    return settings(max_examples=EXAMPLES or default, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow, HealthCheck.data_too_large])


@pytest.fixture
def sensors(world):
    made = [
        Sensor.objects.create(community=world.community_a, code="temp-a1", name="Power room A",
                              kind="temperature", owner=world.property_a),
        Sensor.objects.create(community=world.community_a, code="smoke-a2", name="Stairs",
                              kind="smoke"),
        Sensor.objects.create(community=world.community_b, code="temp-b1", name="Power room B",
                              kind="temperature"),
        Sensor.objects.create(community=world.community_a, code="old-a3", name="Retired",
                              kind="temperature", active=False),
    ]
    ingest.directory.clear()
    return made


# --- what may arrive ----------------------------------------------------------------------------

CODES = ["temp-a1", "smoke-a2", "temp-b1", "old-a3", "nope", "", "temp-a1 ", "TEMP-A1",
         "a" * 65, "温度", "temp-a1\x00", "../temp-a1"]
numbers = (st.floats(allow_nan=True, allow_infinity=True) | st.integers()
           | st.integers(-10**400, 10**400) | st.sampled_from([0, -0.0, 1e308, 21.5, 10**20]))
times = (st.datetimes(dt.datetime(1, 1, 1), dt.datetime(9999, 12, 31),
                      timezones=st.none() | st.timezones()).map(lambda d: d.isoformat())
         | st.sampled_from(["2025-06-01T11:00:00Z", "2025-06-01T11:00:00+08:00",
                            "2025-06-01T11:00:00", "2025-13-01T00:00:00Z", "9999-12-31T23:59:59-23:59",
                            "0001-01-01T00:00:00+14:00", "", "now", "2025-06-01T11:00:00+24:00"])
         | st.text(max_size=30) | st.integers() | st.none())
json_values = st.recursive(
    st.none() | st.booleans() | numbers | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["sensor", "time", "value"]) | st.text(max_size=5), children, max_size=4),
    max_leaves=15,
)
readings = st.fixed_dictionaries(
    {"sensor": st.sampled_from(CODES) | st.text(max_size=70) | json_values,
     "time": times, "value": numbers | json_values},
    optional={"extra": json_values},
)
items = readings | json_values


def dumps(value) -> bytes:
    try:
        return json.dumps(value, allow_nan=True).encode()
    except (ValueError, OverflowError):
        return b"[]"


payloads = st.one_of(
    st.binary(max_size=300),
    st.lists(items, min_size=0, max_size=6).map(dumps),
    readings.map(dumps),
    json_values.map(dumps),
    st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.sampled_from([
        b"[" * 100_000 + b"]" * 100_000,  # nested past the recursion limit
        b'{"sensor": "temp-a1", "time": "2025-06-01T11:00:00Z", "value": NaN}',
        b'{"sensor": "temp-a1", "time": "2025-06-01T11:00:00Z", "value": -Infinity}',
        b'{"sensor": "temp-a1", "time": "2025-06-01T11:00:00Z", "value": 1e999}',
        b'{"sensor": "temp-a1", "time": "2025-06-01T11:00:00Z", "value": ' + b"9" * 5000 + b"}",
        b'{"sensor": "temp-a1", "time": "2025-06-01T11:00:00Z", "value": 21.5, "value": "x"}',
        b'{"sensor": "temp-a1\\u0000", "time": "2025-06-01T11:00:00Z", "value": 1}',
        b'{"sensor": "\\ud800", "time": "\\udfff", "value": 1}',
        b"\xef\xbb\xbf[]", b"\x00" * 50, b"", b"null", b"{}", b"[[]]",
    ]),
)
topics = st.one_of(
    st.sampled_from(["resilience/comm-a/sensors/temp-a1", "resilience/comm-b/sensors/temp-b1",
                     "resilience/comm-a/sensors/temp-b1", "resilience/comm-x/sensors/nope",
                     "resilience/comm-a/sensors/", "resilience//sensors/temp-a1",
                     "resilience/comm-a/alarms/temp-a1", "", "#", "+/+/+/+",
                     "a/b/c/d/e/f/sensors/temp-a1", "resilience/" + "c" * 500 + "/sensors/x",
                     "resilience/comm-a/sensors/temp-a1\x00", "resilience/社区/sensors/温度"]),
    st.lists(st.text(max_size=12), min_size=1, max_size=6).map("/".join),
    st.builds(lambda c, s: f"resilience/{c}/sensors/{s}", st.text(max_size=20),
              st.sampled_from(CODES) | st.text(max_size=20)),
)
messages = st.lists(st.tuples(topics, payloads), min_size=1, max_size=8)


def expected_readings(payload: bytes) -> int:
    """How many outcomes a payload must produce: one per item of a readable list, else one."""
    try:
        return len(ingest.parse(payload))
    except ingest.PayloadError:
        return 1


# --- the MQTT ingester's loop -------------------------------------------------------------------

def message(topic: str, payload: bytes, mid: int) -> SimpleNamespace:
    """What paho hands ``on_message``: the parts the ingester reads (QoS 0: nothing to ack)."""
    return SimpleNamespace(topic=topic, payload=payload, qos=0, mid=mid)


@bounded(150)
@example(batch=[("resilience/comm-a/sensors/temp-a1",
                 b'{"sensor": "temp-a1", "time": "2025-06-01T11:00:00Z", "value": 21.5}')])
@example(batch=[("resilience/comm-a/sensors/temp-a1\x00", b"\xff\xfe\x00"),
                ("", b'[{"sensor": "temp-a1", "time": "2025-06-01T11:00:00Z", "value": NaN}]')])
@given(batch=messages)
def test_the_ingester_loop_accounts_for_every_reading_and_never_raises(sensors, monkeypatch,
                                                                       batch):
    monkeypatch.setattr(ingest, "evaluate_rules", lambda by_sensor, now: [])
    ingester = Ingester(batch_size=10_000, batch_ms=0)
    for n, (topic, payload) in enumerate(batch):
        ingester._on_message(None, None, message(topic, payload, n))
    observations, letters = Observation.objects.count(), DeadLetter.objects.count()
    collected = ingester._collect()
    assert collected is not None
    checked = ingester._check(collected[0])
    ingester._commit_and_ack(*collected, checked)

    counters = ingester.counters
    assert counters.messages == len(batch)
    assert counters.stored + counters.duplicates + counters.dead_letters == sum(
        expected_readings(payload) for _topic, payload in batch)
    assert Observation.objects.count() - observations == counters.stored
    new_letters = DeadLetter.objects.order_by("pk")[letters:]
    assert len(new_letters) == counters.dead_letters
    for letter in new_letters:
        assert letter.reason.strip() and INTERNAL not in letter.reason, letter.reason


@bounded(60)
@given(batch=messages)
def test_the_same_messages_twice_store_nothing_new(sensors, monkeypatch, batch):
    """A redelivery after a lost acknowledgement: nothing stored twice."""
    monkeypatch.setattr(ingest, "evaluate_rules", lambda by_sensor, now: [])
    first = ingest.Batch("mqtt", now=NOW)
    second = ingest.Batch("mqtt", now=NOW)
    for topic, payload in batch:
        first.add_payload(payload, topic)
        second.add_payload(payload, topic)
    stored = ingest.store(first).stored
    again = ingest.store(second)
    assert again.stored == 0 and again.duplicates >= stored


# --- over HTTP ----------------------------------------------------------------------------------

@bounded(60)
@example(body=b"[" * 100_000 + b"]" * 100_000, user="staff_a")
@example(body=b'[{"sensor": "temp-a1", "time": "2025-06-01T11:00:00Z", "value": NaN}]',
         user="property_a")
@example(body=b'{"sensor": "\\ud800", "time": "2025-06-01T11:00:00Z", "value": 1}',
         user="staff_a")  # was a 500: the summary echoed a lone surrogate
@given(body=payloads, user=st.sampled_from(["staff_a", "property_a", "resident_a1"]))
def test_posting_any_body_answers_with_a_summary_never_500(world, sensors, body, user):
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=world.users[user])
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    before = Observation.objects.count()
    response = client.post("/api/observations/", body, content_type="application/json")
    assert response.status_code in (200, 207, 400, 403), (response.status_code, body[:200])
    data = response.json()
    if response.status_code == 403 and "errors" not in data:
        assert data["detail"]  # may not post at all
        assert Observation.objects.count() == before
        return
    assert {"stored", "duplicates", "dead_letters", "errors"} <= data.keys()
    assert Observation.objects.count() - before == data["stored"]
    assert all(e["reason"] and INTERNAL not in e["reason"] for e in data["errors"])
    if response.status_code in (400, 403):
        assert data["stored"] == 0
