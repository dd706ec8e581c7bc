"""Fault tests with a real broker and a real database: a numbered stream of 3,000 readings is
published at QoS 1 while (a) the broker restarts, (b) the ingester is stopped with SIGTERM and
started again, (c) the database refuses writes for a while — and every reading is stored exactly
once (the set of (sensor, time) stored equals the set published; nothing in the dead letters).

Where the child ingester writes: on PostgreSQL, pytest's test database (the test runs as a
transactional test, so the seeded sensors are committed and flushed afterwards); on SQLite, whose
test database lives in pytest's memory, a scratch SQLite file migrated and seeded by a child
process (see ``test_mqtt.child_database``). So (a) and (b) run on both.

(c) runs on PostgreSQL only: ``ALTER DATABASE … SET default_transaction_read_only = on`` and the
ingester's sessions are terminated, so its reconnect gets a read-only session and every INSERT
fails ("cannot execute INSERT in a read-only transaction") until the setting is reset three
seconds later. The ingester must not acknowledge meanwhile and must retry until the batch commits.

The broker "restart" is graceful (SIGTERM), as an operator's restart is: Mosquitto writes its
persistence file on the way out. A broker killed with SIGKILL loses what it had acknowledged to
publishers but not yet saved — a broker setting (``autosave_interval``), not the ingester's doing.
"""
import datetime as dt
import json
import threading
import time

import pytest
from django.db import connection

from resilience.bench.seed import sensor_code
from resilience.bench.services import IngesterProcess, Publisher
from resilience.monitoring.tests.test_mqtt import (  # noqa: F401 - fixtures
    SENSORS, broker, child_database, child_env, e2e, sqlite_child_database, topic_of, wait_for)

READINGS = 3_000
RATE = 800  # readings per second: the stream lasts about four seconds


def stream(base: dt.datetime):
    """Messages of 1–3 readings each, numbered, one sensor per message."""
    j = 0
    k = 0
    while j < READINGS:
        size = min(1 + k % 3, READINGS - j)
        sensor = k % SENSORS
        readings = [{"sensor": sensor_code(sensor),
                     "time": (base + dt.timedelta(milliseconds=j + n)).isoformat(),
                     "value": float((j + n) % 50)} for n in range(size)]
        yield topic_of(sensor), json.dumps(readings).encode(), readings
        j += size
        k += 1


def run_stream(broker, database, fault, fault_at: float = 0.35) -> tuple[set, IngesterProcess]:
    """Publish the stream with ``fault(ingester)`` started in a thread part-way; wait for all."""
    ingester = IngesterProcess(broker.port, child_env(database), batch_ms=20).start()
    holder = {"ingester": ingester}
    publisher = Publisher(broker.port)
    base = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=1)
    expected = set()
    faulted = None
    started = time.monotonic()
    try:
        published = 0
        for topic, payload, readings in stream(base):
            if faulted is None and published >= READINGS * fault_at:
                faulted = threading.Thread(target=fault, args=(holder,), daemon=True)
                faulted.start()
            publisher.publish(topic, payload)
            for r in readings:
                expected.add((r["sensor"], dt.datetime.fromisoformat(r["time"])))
            published += len(readings)
            ahead = published / RATE - (time.monotonic() - started)
            if ahead > 0:
                time.sleep(ahead)
        faulted.join(30)
        if not publisher.wait_acked(20):
            publisher.republish_unacked()  # what the broker never acknowledged, sent again
            assert publisher.wait_acked(15), "the broker did not acknowledge the stream"
        assert wait_for(lambda: database.count() >= READINGS, 30, step=0.25), (
            holder["ingester"].output()[-3000:])
        time.sleep(0.3)  # anything more (a duplicate) would show now
    finally:
        publisher.close()
        code = holder["ingester"].stop()
    assert code == 0, holder["ingester"].output()[-3000:]
    assert len(expected) == READINGS
    return expected, holder["ingester"]


def assert_exactly_once(database, expected: set) -> None:
    stored = database.observation_keys()
    assert len(stored) == READINGS, f"{len(stored)} rows for {READINGS} readings"
    assert set(stored) == expected
    assert database.dead_letters() == 0


@e2e
def test_a_broker_restart_loses_and_doubles_nothing(broker, child_database):
    def restart_broker(holder):
        broker.restart(down=1.0)

    expected, ingester = run_stream(broker, child_database, restart_broker)
    assert_exactly_once(child_database, expected)
    assert "disconnected" in ingester.output()  # the fault did reach the ingester


@e2e
def test_an_ingester_restart_loses_and_doubles_nothing(broker, child_database):
    def restart_ingester(holder):
        first = holder["ingester"]
        assert first.stop() == 0
        assert "stopped after" in first.output()
        time.sleep(1.0)  # readings pile up in the broker for the persistent session
        holder["ingester"] = IngesterProcess(broker.port, child_env(child_database),
                                             batch_ms=20).start()
        holder["first"] = first

    expected, _ingester = run_stream(broker, child_database, restart_ingester)
    assert_exactly_once(child_database, expected)


@e2e
def test_a_database_refusing_writes_loses_and_doubles_nothing(broker, child_database):
    if connection.vendor != "postgresql":
        pytest.skip("refusing writes is a PostgreSQL setting (default_transaction_read_only); "
                    "runs when the suite runs on PostgreSQL")

    def refuse_writes(holder):
        try:
            assert child_database.refuse_writes() >= 1  # the ingester's session was ended
            time.sleep(3.0)
        finally:
            child_database.allow_writes()

    try:
        expected, ingester = run_stream(broker, child_database, refuse_writes)
    finally:
        child_database.allow_writes()
    assert_exactly_once(child_database, expected)
    assert "database error" in ingester.output() and "read-only" in ingester.output()
