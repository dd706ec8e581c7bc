"""The MQTT ingester: acknowledgement only after commit (in process), and end to end against a
private Mosquitto with ``resilience ingest-mqtt`` as a child process.

The child cannot see pytest's database when it lives in memory (SQLite), so on SQLite the
end-to-end tests give the child a scratch SQLite file, migrated and seeded by a child of its own;
on PostgreSQL the child writes to pytest's test database (``transactional_db``: the rows are
committed and flushed after the test).
"""
import datetime as dt
import json
import time

import paho.mqtt.client as mqtt
import pytest
from django.db import OperationalError, connection

from resilience.bench.databases import PostgresDatabase, SQLiteDatabase, seed_in_child
from resilience.bench.seed import COMMUNITY, seed, sensor_code
from resilience.bench.services import IngesterProcess, PrivateBroker, Publisher, mosquitto_binary
from resilience.monitoring import ingest, rules
from resilience.monitoring.models import Observation, Sensor
from resilience.monitoring.mqtt import Ingester, topic_filter, topic_prefix
from tests.services import require

SENSORS = 20


def topic_of(i: int, community: str = COMMUNITY) -> str:
    return f"resilience/{community}/sensors/{sensor_code(i)}"


def stream_time(j: int) -> dt.datetime:
    base = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=2)
    return base + dt.timedelta(milliseconds=10 * j)


# --- in process: when is a message acknowledged? -----------------------------------------------

class FakeClient:
    def __init__(self):
        self.acks = []

    def ack(self, mid, qos):
        self.acks.append(mid)


def message(mid: int, payload: dict | bytes, topic: str) -> mqtt.MQTTMessage:
    msg = mqtt.MQTTMessage(mid=mid, topic=topic.encode())
    msg.payload = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    msg.qos = 1
    return msg


@pytest.fixture
def fake(db, monkeypatch):
    monkeypatch.setattr(rules, "evaluate", lambda readings, now: [], raising=False)
    seed(3)
    ingest.directory.clear()
    ingester = Ingester(batch_size=100, batch_ms=20)
    ingester.client = FakeClient()
    ingester._generation = 1  # connected once
    return ingester


def feed(ingester, *messages):
    for msg in messages:
        ingester._on_message(None, None, msg)


def reading(i: int, j: int, value: float = 20.0) -> dict:
    return {"sensor": sensor_code(i), "time": stream_time(j).isoformat(), "value": value}


def test_messages_are_acknowledged_after_their_batch_commits(fake):
    feed(fake, message(1, reading(0, 0), topic_of(0)), message(2, b"junk", topic_of(1)),
         message(3, [reading(2, 1), reading(2, 2)], topic_of(2)))
    batch = fake._collect()
    assert fake.client.acks == []
    fake._commit_and_ack(*batch)
    assert fake.client.acks == [1, 2, 3]  # junk too: it is safe in the dead letters
    assert Observation.objects.count() == 3
    assert (fake.counters.stored, fake.counters.dead_letters) == (3, 1)


def test_a_database_error_delays_the_ack_until_the_batch_is_stored(fake, monkeypatch):
    calls = []
    real_store = ingest.store

    def flaky(batch, checked=None):
        calls.append(len(batch))
        if len(calls) < 3:
            raise OperationalError("the database system is starting up")
        return real_store(batch, checked)

    monkeypatch.setattr(ingest, "store", flaky)
    monkeypatch.setattr(connection, "close", lambda: None)  # keep pytest's test connection
    feed(fake, message(7, reading(0, 0), topic_of(0)))
    fake._commit_and_ack(*fake._collect())
    assert len(calls) == 3 and fake.client.acks == [7] and fake.counters.retries == 2
    assert Observation.objects.count() == 1


def test_stopping_during_a_database_outage_acknowledges_nothing(fake, monkeypatch):
    def down(batch, checked=None):
        fake.stop()
        raise OperationalError("connection refused")

    monkeypatch.setattr(ingest, "store", down)
    monkeypatch.setattr(connection, "close", lambda: None)
    feed(fake, message(9, reading(0, 0), topic_of(0)))
    fake._commit_and_ack(*fake._collect())
    assert fake.client.acks == []


def test_a_message_from_an_earlier_connection_is_never_acknowledged(fake):
    feed(fake, message(1, reading(0, 0), topic_of(0)))
    batch = fake._collect()
    fake._on_disconnect(None, None, None, None, None)  # its packet id may mean another message now
    fake._commit_and_ack(*batch)
    assert fake.client.acks == [] and Observation.objects.count() == 1


def test_a_batch_closes_at_its_size(fake):
    fake.batch_size = 5
    feed(fake, *[message(k, [reading(0, 2 * k), reading(0, 2 * k + 1)], topic_of(0))
                 for k in range(1, 6)])
    batch, received = fake._collect()
    assert len(received) == 3 and len(batch) == 6  # 2 + 2 + 2 ≥ 5


def test_topics_and_prefix(monkeypatch):
    monkeypatch.setenv("RESILIENCE_MQTT_PREFIX", "city/sh")
    assert topic_prefix() == "city/sh" and topic_prefix("x/") == "x"
    assert topic_filter("city/sh", "ingest") == "$share/ingest/city/sh/+/sensors/+"
    assert ingest.split_topic("city/sh/comm-a/sensors/t1") == ("comm-a", "t1")


# --- end to end: a real broker and the ingester as a child process ------------------------------

@pytest.fixture
def broker(tmp_path):
    require(mosquitto_binary(), "mosquitto is not installed (apt-get install mosquitto)")
    with PrivateBroker(tmp_path / "broker") as running:
        yield running


@pytest.fixture(scope="module")
def sqlite_child_database(tmp_path_factory, django_db_blocker):
    path = tmp_path_factory.mktemp("child-sqlite")
    database = SQLiteDatabase(path)
    database.create()
    seed_in_child(database, {"DJANGO_SETTINGS_MODULE": "resilience.settings_test"}, SENSORS,
                  settings_module="resilience.settings_test")
    return database


# The end-to-end tests commit for real: the child process must see the rows.
e2e = pytest.mark.django_db(transaction=True)


@pytest.fixture
def child_database(request):
    """Where the child ingester writes, and how the test reads it back (see the docstring)."""
    if connection.vendor == "postgresql":
        seed(SENSORS)
        return PostgresDatabase.from_settings(connection.settings_dict)
    database = request.getfixturevalue("sqlite_child_database")
    conn = database.connect()
    with conn:
        conn.execute("DELETE FROM monitoring_observation")
        conn.execute("DELETE FROM monitoring_deadletter")
    conn.close()
    return database


def child_env(database) -> dict:
    return {**database.env(), "DJANGO_SETTINGS_MODULE": "resilience.settings_test"}


def wait_for(predicate, timeout: float, step: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return predicate()


@e2e
def test_readings_published_on_mqtt_are_stored_and_bad_ones_dead_lettered(broker, child_database):
    ingester = IngesterProcess(broker.port, child_env(child_database)).start()
    publisher = Publisher(broker.port)
    try:
        for j in range(100):
            publisher.publish(topic_of(j % 5), json.dumps(reading(j % 5, j)).encode())
        publisher.publish(topic_of(1), b"{broken")
        publisher.publish(topic_of(1, community="elsewhere"), json.dumps(reading(1, 500)).encode())
        publisher.publish(topic_of(2), json.dumps(reading(2, 501, value=1e9)).encode())
        assert publisher.wait_acked(10)
        assert wait_for(lambda: child_database.count() == 100
                        and child_database.dead_letters() == 3, 20), (
            ingester.output() + str(child_database.scalar(
                "SELECT min(reason) || ' / ' || max(reason) FROM monitoring_deadletter")))
    finally:
        publisher.close()
        code = ingester.stop()
    assert code == 0
    summary = ingester.output().strip().splitlines()[-1]
    assert summary.startswith("ingest-mqtt: stopped after") and "100 readings stored" in summary
    assert "3 dead letters" in summary


@e2e
def test_two_ingesters_share_the_load_through_a_shared_subscription(broker, child_database):
    env = child_env(child_database)
    first = IngesterProcess(broker.port, env, client_id="ingest-1", extra=("--shared", "g")).start()
    second = IngesterProcess(broker.port, env, client_id="ingest-2", extra=("--shared", "g")).start()
    publisher = Publisher(broker.port)
    try:
        for j in range(400):
            publisher.publish(topic_of(j % SENSORS), json.dumps(reading(j % SENSORS, j)).encode())
        assert publisher.wait_acked(10)
        assert wait_for(lambda: child_database.count() == 400, 20), first.output()
    finally:
        publisher.close()
        first.stop()
        second.stop()
    stored = [int(p.output().strip().splitlines()[-1].split(" messages, ")[1].split()[0])
              for p in (first, second)]
    assert sum(stored) == 400 and min(stored) > 0  # each stored a share, none twice


@e2e
def test_readings_published_while_the_ingester_is_away_wait_for_it(broker, child_database):
    env = child_env(child_database)
    IngesterProcess(broker.port, env, client_id="away").start().stop()  # the session exists
    publisher = Publisher(broker.port)
    try:
        for j in range(50):
            publisher.publish(topic_of(0), json.dumps(reading(0, j)).encode())
        assert publisher.wait_acked(10)
        assert child_database.count() == 0
        ingester = IngesterProcess(broker.port, env, client_id="away").start()
        assert wait_for(lambda: child_database.count() == 50, 20), ingester.output()
        ingester.stop()
    finally:
        publisher.close()

