"""The ingestion pipeline: every dead-letter reason, idempotency, batches, latest reading, fuzz."""
import datetime as dt
import json

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resilience.monitoring import ingest, rules
from resilience.monitoring.ingest import Batch, store
from resilience.monitoring.models import DeadLetter, Observation, Sensor

T0 = dt.datetime(2025, 6, 1, 0, 0, tzinfo=dt.UTC)


def iso(moment: dt.datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@pytest.fixture
def sensors(world):
    """A temperature sensor of property A, a smoke detector of community A, one of community B."""
    made = {
        "temp-a1": Sensor.objects.create(community=world.community_a, code="temp-a1",
                                         name="Power room A", kind="temperature",
                                         owner=world.property_a),
        "smoke-a2": Sensor.objects.create(community=world.community_a, code="smoke-a2",
                                          name="Stairs A2", kind="smoke"),
        "temp-b1": Sensor.objects.create(community=world.community_b, code="temp-b1",
                                         name="Power room B", kind="temperature"),
        "old-a3": Sensor.objects.create(community=world.community_a, code="old-a3",
                                        name="Retired", kind="temperature", active=False),
    }
    ingest.directory.clear()
    return made


@pytest.fixture
def recorded_rules(monkeypatch):
    """Replace the rules with a recorder of what they are given."""
    calls = []
    monkeypatch.setattr(rules, "evaluate", lambda readings, now: calls.append(readings) or [],
                        raising=False)
    return calls


def reading(sensor="temp-a1", at=T0, value=21.5, **extra):
    item = {"sensor": sensor, "time": iso(at) if isinstance(at, dt.datetime) else at,
            "value": value}
    item.update(extra)
    return item


def payload(*items) -> bytes:
    return json.dumps(list(items)).encode()


def topic(sensor="temp-a1", community="comm-a"):
    return f"resilience/{community}/sensors/{sensor}"


def run(raw, topic_name="", source="mqtt", now=None):
    return ingest.ingest(raw, source=source, topic=topic_name, now=now or T0 + dt.timedelta(hours=1))


def reasons() -> list[str]:
    return list(DeadLetter.objects.order_by("id").values_list("reason", flat=True))


# --- storing ------------------------------------------------------------------------------------

def test_a_list_of_readings_is_stored_and_the_sensor_shows_the_latest(sensors, recorded_rules):
    result = run(payload(reading(at=T0, value=20), reading(at=T0 + dt.timedelta(minutes=1),
                                                           value=22.5)), topic())
    assert (result.stored, result.duplicates, result.dead_letters) == (2, 0, 0)
    assert Observation.objects.filter(sensor=sensors["temp-a1"]).count() == 2
    sensor = Sensor.objects.get(code="temp-a1")
    assert (sensor.last_time, sensor.last_value, sensor.status) == (
        T0 + dt.timedelta(minutes=1), 22.5, "online")


def test_one_object_is_a_payload_too(sensors, recorded_rules):
    result = run(json.dumps(reading()), topic())
    assert result.stored == 1


def test_times_with_any_offset_are_the_same_instant(sensors, recorded_rules):
    run(payload(reading(at="2025-06-01T08:00:00+08:00")), topic())
    result = run(payload(reading(at="2025-06-01T00:00:00Z")), topic())
    assert (result.stored, result.duplicates) == (0, 1)
    assert Observation.objects.get().time == T0


def test_a_resend_stores_nothing_and_does_not_reach_the_rules_again(sensors, recorded_rules):
    raw = payload(reading(at=T0), reading(at=T0 + dt.timedelta(seconds=30)))
    first = run(raw, topic())
    second = run(raw, topic())
    assert (first.stored, first.duplicates) == (2, 0)
    assert (second.stored, second.duplicates, second.dead_letters) == (0, 2, 0)
    assert Observation.objects.count() == 2
    assert len(recorded_rules) == 1
    sensor_id = sensors["temp-a1"].pk
    assert recorded_rules[0] == {sensor_id: [(T0, 21.5), (T0 + dt.timedelta(seconds=30), 21.5)]}


def test_a_partly_new_resend_hands_only_the_new_readings_to_the_rules(sensors, recorded_rules):
    run(payload(reading(at=T0)), topic())
    result = run(payload(reading(at=T0), reading(at=T0 + dt.timedelta(minutes=1), value=30)),
                 topic())
    assert (result.stored, result.duplicates) == (1, 1)
    assert recorded_rules[-1] == {sensors["temp-a1"].pk: [(T0 + dt.timedelta(minutes=1), 30.0)]}


def test_the_same_reading_twice_in_one_batch_is_stored_once(sensors, recorded_rules):
    batch = Batch("mqtt", now=T0 + dt.timedelta(hours=1))
    batch.add_payload(payload(reading(value=1)), topic())
    batch.add_payload(payload(reading(value=2)), topic())
    result = store(batch)
    assert (result.stored, result.duplicates) == (1, 1)
    assert Observation.objects.get().value == 1


@pytest.mark.parametrize("copy_from", [ingest.COPY_FROM, 1])  # PostgreSQL: arrays, then COPY
def test_a_batch_of_many_payloads_and_sensors_is_stored_in_one_go(sensors, recorded_rules,
                                                                   monkeypatch, copy_from):
    monkeypatch.setattr(ingest, "COPY_FROM", copy_from)
    batch = Batch("mqtt", now=T0 + dt.timedelta(hours=1))
    for i in range(700):  # more rows than one SQLite statement takes
        at = T0 + dt.timedelta(seconds=i)
        batch.add_payload(payload(reading("temp-a1", at, 20 + i % 7)), topic("temp-a1"))
        batch.add_payload(payload(reading("smoke-a2", at, i % 3)), topic("smoke-a2"))
    batch.add_payload(b"not json", topic())
    result = store(batch)
    assert (result.stored, result.duplicates, result.dead_letters) == (1400, 0, 1)
    assert Observation.objects.count() == 1400
    assert sorted(len(series) for series in recorded_rules[0].values()) == [700, 700]
    assert all(series == sorted(series) for series in recorded_rules[0].values())
    # The boundary: a second batch overlapping the first stores only what is new.
    batch = Batch("mqtt", now=T0 + dt.timedelta(hours=1))
    for i in range(690, 710):
        batch.add_payload(payload(reading("temp-a1", T0 + dt.timedelta(seconds=i), 25)),
                          topic("temp-a1"))
    result = store(batch)
    assert (result.stored, result.duplicates) == (10, 10)
    assert Observation.objects.filter(sensor=sensors["temp-a1"]).count() == 710


def test_the_latest_reading_moves_only_forward(sensors, recorded_rules):
    run(payload(reading(at=T0 + dt.timedelta(minutes=5), value=30)), topic())
    run(payload(reading(at=T0, value=10)), topic())  # late arrival of an older reading
    sensor = Sensor.objects.get(code="temp-a1")
    assert (sensor.last_time, sensor.last_value) == (T0 + dt.timedelta(minutes=5), 30.0)
    assert Observation.objects.count() == 2
    run(payload(reading(at=T0 + dt.timedelta(minutes=6), value=31)), topic())
    sensor.refresh_from_db()
    assert (sensor.last_time, sensor.last_value) == (T0 + dt.timedelta(minutes=6), 31.0)


def test_a_faulty_sensor_stays_faulty_when_readings_come(sensors, recorded_rules):
    Sensor.objects.filter(code="temp-a1").update(status="fault")
    run(payload(reading()), topic())
    assert Sensor.objects.get(code="temp-a1").status == "fault"


def test_a_failing_rule_does_not_stop_ingestion(sensors, monkeypatch):
    def broken(readings, now):
        raise ZeroDivisionError("bug in a rule")

    monkeypatch.setattr(rules, "evaluate", broken, raising=False)
    assert run(payload(reading()), topic()).stored == 1


def test_rules_not_yet_written_are_skipped(sensors, monkeypatch):
    def unwritten(readings, now):
        raise NotImplementedError

    monkeypatch.setattr(rules, "evaluate", unwritten, raising=False)
    assert run(payload(reading()), topic()).stored == 1


def test_a_new_sensor_is_found_without_a_restart(sensors, world, recorded_rules):
    assert run(payload(reading("new-1")), topic("new-1")).dead_letters == 1
    # Created elsewhere (another process): the cache has not been told.
    Sensor.objects.bulk_create([Sensor(community=world.community_a, code="new-1", name="New",
                                       kind="temperature")])
    ingest.directory._unknown.clear()  # the few seconds an unknown code is remembered are over
    assert run(payload(reading("new-1")), topic("new-1")).stored == 1


def test_a_sensor_switched_off_is_refused_at_once(sensors, recorded_rules):
    assert run(payload(reading()), topic()).stored == 1  # now in the cache
    sensor = Sensor.objects.get(code="temp-a1")
    sensor.active = False
    sensor.save()
    result = run(payload(reading(at=T0 + dt.timedelta(minutes=1))), topic())
    assert (result.stored, result.dead_letters) == (0, 1)
    assert reasons() == ["sensor temp-a1 is inactive"]


@pytest.mark.django_db(transaction=True)  # the foreign key is checked when the batch commits
def test_a_sensor_deleted_behind_the_cache_is_an_unknown_sensor(sensors, recorded_rules):
    run(payload(reading("smoke-a2", value=-1)), topic("smoke-a2"))  # cached, nothing stored
    Sensor.objects.filter(code="smoke-a2")._raw_delete(Sensor.objects.db)  # no signals
    result = run(payload(reading("smoke-a2", T0, 1)), topic("smoke-a2"))
    assert (result.stored, result.dead_letters) == (0, 1)
    assert reasons()[-1] == "unknown sensor smoke-a2"


# --- every dead-letter reason -------------------------------------------------------------------

NOW = T0 + dt.timedelta(hours=1)


@pytest.mark.parametrize("raw, reason", [
    (b"\xff\xfe", "payload is not UTF-8 text"),
    (b"{not json", "payload is not valid JSON"),
    (b"42", "payload is not an object or a list of objects"),
    (b'"text"', "payload is not an object or a list of objects"),
    (b"[]", "payload holds no readings"),
    (b"[1]", "reading is not an object"),
    (b'[{"sensor": "temp-a1", "value": 1}]', "reading lacks time"),
    (b'[{"time": "2025-06-01T00:00:00Z"}]', "reading lacks sensor, value"),
    (b'[{"sensor": "temp-a1", "time": "2025-06-01T00:00:00Z", "value": 1, "unit": "C"}]',
     "reading has unexpected keys: unit"),
    (b'[{"sensor": 7, "time": "2025-06-01T00:00:00Z", "value": 1}]',
     "sensor must be a sensor code (text)"),
    (b'[{"sensor": ["temp-a1"], "time": "2025-06-01T00:00:00Z", "value": 1}]',
     "sensor must be a sensor code (text)"),
    (b'[{"sensor": "nope", "time": "2025-06-01T00:00:00Z", "value": 1}]', "unknown sensor nope"),
    (b'[{"sensor": "old-a3", "time": "2025-06-01T00:00:00Z", "value": 1}]',
     "sensor old-a3 is inactive"),
    (b'[{"sensor": "temp-a1", "time": "2025-06-01T00:00:00Z", "value": "21.5"}]',
     "value must be a number"),
    (b'[{"sensor": "temp-a1", "time": "2025-06-01T00:00:00Z", "value": true}]',
     "value must be a number"),
    (b'[{"sensor": "temp-a1", "time": "2025-06-01T00:00:00Z", "value": null}]',
     "value must be a number"),
    (b'[{"sensor": "temp-a1", "time": "2025-06-01T00:00:00Z", "value": NaN}]',
     "value must be a finite number"),
    (b'[{"sensor": "temp-a1", "time": "2025-06-01T00:00:00Z", "value": Infinity}]',
     "value must be a finite number"),
    (b'[{"sensor": "temp-a1", "time": "2025-06-01T00:00:00Z", "value": 1' + b"0" * 400 + b"}]",
     "value must be a finite number"),
    (b'[{"sensor": "temp-a1", "time": "2025-06-01T00:00:00Z", "value": 900}]',
     "value 900 is outside the plausible range -50 … 200 °C of a temperature sensor"),
    (b'[{"sensor": "temp-a1", "time": "2025-06-01T00:00:00Z", "value": -51}]',
     "value -51 is outside the plausible range"),
    (b'[{"sensor": "temp-a1", "time": 1748736000, "value": 1}]', "time must be an ISO 8601 text"),
    (b'[{"sensor": "temp-a1", "time": "yesterday", "value": 1}]',
     "time yesterday is not an ISO 8601 date and time"),
    (b'[{"sensor": "temp-a1", "time": "2025-06-01T00:00:00", "value": 1}]',
     "time 2025-06-01T00:00:00 has no UTC offset"),
    (b'[{"sensor": "temp-a1", "time": "2025-06-01", "value": 1}]', "has no UTC offset"),
    (b'[{"sensor": "temp-a1", "time": "0001-01-01T00:00:00+01:00", "value": 1}]',
     "is not an ISO 8601 date and time"),
    (b'[{"sensor": "temp-a1", "time": "2025-06-01T01:06:00Z", "value": 1}]',
     "time 2025-06-01T01:06:00Z is more than 5 minutes in the future"),
])
def test_a_refused_payload_goes_to_the_dead_letters_with_its_reason(sensors, recorded_rules,
                                                                    raw, reason):
    result = ingest.ingest(raw, source="http", now=NOW)
    assert (result.stored, result.dead_letters) == (0, 1)
    letter = DeadLetter.objects.get()
    assert reason in letter.reason
    assert letter.source == "http"
    assert letter.payload  # the raw payload or reading is kept
    assert Observation.objects.count() == 0


def test_a_reading_just_under_five_minutes_ahead_is_accepted(sensors, recorded_rules):
    result = run(payload(reading(at=NOW + dt.timedelta(minutes=4, seconds=59))), topic(), now=NOW)
    assert result.stored == 1


def test_a_value_on_the_edge_of_the_range_is_accepted(sensors, recorded_rules):
    result = run(payload(reading("smoke-a2", T0, 0), reading("smoke-a2", T0 + dt.timedelta(1), 100)),
                 topic("smoke-a2"), now=T0 + dt.timedelta(days=2))
    assert result.stored == 2


def test_the_topic_must_name_the_readings_sensor_and_its_community(sensors, recorded_rules):
    run(payload(reading("temp-a1")), topic("smoke-a2"))
    run(payload(reading("temp-a1")), topic("temp-a1", community="comm-b"))
    run(payload(reading("temp-a1")), "resilience/comm-a/temp-a1")
    assert reasons() == [
        "the topic names sensor smoke-a2 but the reading names temp-a1",
        "sensor temp-a1 belongs to community comm-a, not to the topic's community comm-b",
        "topic is not <prefix>/<community>/sensors/<sensor>",
    ]
    assert Observation.objects.count() == 0


def test_a_dead_letter_knows_its_sensor_topic_and_community(sensors, world, recorded_rules):
    run(payload(reading("temp-a1", value=999)), topic())
    run(b"garbage", topic("ghost", community="comm-b"))
    run(payload(reading("ghost")), topic("ghost", community="comm-b"))
    first, second, third = DeadLetter.objects.order_by("id")
    assert (first.sensor_code, first.community, first.source, first.topic) == (
        "temp-a1", world.community_a, "mqtt", topic())
    assert json.loads(first.payload) == reading("temp-a1", value=999)
    assert (second.payload, second.sensor_code, second.community) == (
        "garbage", "ghost", world.community_b)
    assert (third.sensor_code, third.community) == ("ghost", world.community_b)


def test_good_readings_of_a_payload_are_stored_beside_refused_ones(sensors, recorded_rules):
    result = run(payload(reading(at=T0), reading(at=T0, value="hot"),
                         reading(at=T0 + dt.timedelta(seconds=1))), topic())
    assert (result.stored, result.dead_letters) == (2, 1)
    assert result.errors[0]["index"] == 1
    assert result.errors[0]["reason"].english() == "value must be a number"


def test_nul_characters_and_lone_surrogates_are_kept_safely(sensors, recorded_rules):
    result = run(b'[{"sensor": "temp-a1", "time": "2025\\u0000\\ud800", "value": 1}]', topic())
    assert result.dead_letters == 1
    letter = DeadLetter.objects.get()
    assert "\x00" not in letter.reason and "\x00" not in letter.payload


# --- never crash --------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["sensor", "time", "value", "x"]) | st.text(max_size=5), children,
        max_size=4),
    max_leaves=12,
)
reading_like = st.fixed_dictionaries({
    "sensor": st.sampled_from(["temp-a1", "smoke-a2", "old-a3", "temp-b1", "nope", ""])
    | st.text(max_size=70) | json_values,
    "time": st.datetimes(timezones=st.none() | st.timezones()).map(lambda d: d.isoformat())
    | st.text(max_size=40),
    "value": st.floats() | st.integers() | st.text(max_size=5) | st.booleans(),
})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.one_of(
    st.binary(max_size=200),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.lists(reading_like, max_size=5).map(lambda v: json.dumps(v).encode()),
), topic_name=st.sampled_from(["", topic(), topic("temp-b1", "comm-b"), "a/b", "x/comm-a/sensors/"]))
def test_the_pipeline_never_raises_on_any_input(sensors, recorded_rules, data, topic_name):
    result = ingest.ingest(data, source="mqtt", topic=topic_name, now=NOW)
    assert result.stored + result.duplicates + result.dead_letters >= 1


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=300))
def test_the_parser_never_raises_anything_but_a_payload_error(raw):
    try:
        items = ingest.parse(raw)
    except ingest.PayloadError as exc:
        assert exc.refusal.english()
    else:
        assert isinstance(items, list) and items


# --- with the real rules ------------------------------------------------------------------------

def _rules_written() -> bool:
    if not hasattr(rules, "evaluate"):
        return False
    try:
        rules.evaluate({}, timezone.now())
    except NotImplementedError:
        return False
    except Exception:
        return True
    return True


def test_a_resend_raises_no_second_alarm(sensors, world):
    if not _rules_written():
        pytest.skip("monitoring.rules.evaluate is not written yet")
    from resilience.monitoring.models import Alarm, Rule

    Rule.objects.create(community=world.community_a, sensor=sensors["temp-a1"], name="Hot",
                        kind="threshold", params={"op": "above", "value": 60, "clear": 55},
                        level=2)
    now = timezone.now()
    raw = payload(reading(at=now - dt.timedelta(seconds=10), value=70))
    ingest.ingest(raw, source="mqtt", topic=topic())
    assert Alarm.objects.filter(status="open").count() == 1
    ingest.ingest(raw, source="mqtt", topic=topic())
    assert Alarm.objects.count() == 1
