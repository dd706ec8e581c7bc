"""``resilience ingest-mqtt``: sensor readings from an MQTT broker into the ingestion pipeline.

No acknowledged reading is ever lost:

- QoS 1 subscription on a persistent session (MQTT 5, ``clean_start=False`` and a session expiry
  interval, stable client id): while the ingester is away the broker keeps its messages;
- manual acknowledgement: a message is acknowledged (PUBACK) only after the batch holding its
  readings has committed; if the database fails the batch is retried with backoff and nothing is
  acknowledged meanwhile; storage is idempotent on (sensor, time), so a redelivery is harmless;
- a message received on an earlier connection is never acknowledged on a later one (its packet
  id may mean another message by then): the broker redelivers it and it is stored as a duplicate;
- SIGTERM/SIGINT finish the current batch, acknowledge it, disconnect and print a summary.

Several ingesters share the load with ``--shared GROUP`` (``$share/GROUP/<topic filter>``), each
with its own client id.
"""
from __future__ import annotations

import logging
import os
import queue
import signal
import socket
import sys
import threading
import time
from dataclasses import dataclass, field

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

logger = logging.getLogger(__name__)

DEFAULT_PREFIX = "resilience"
SESSION_EXPIRY = 7 * 24 * 3600  # seconds the broker keeps our session (and messages) while away
KEEPALIVE = 30
LOG_EVERY = 5.0  # seconds between progress lines
NAP = 0.002  # seconds between looks at the incoming queue while a batch fills
RETRY_MIN, RETRY_MAX = 0.1, 2.0  # backoff of a batch the database refused


def topic_prefix(value: str | None = None) -> str:
    """The topic prefix: the argument, else ``RESILIENCE_MQTT_PREFIX``, else ``resilience``."""
    return (value or os.environ.get("RESILIENCE_MQTT_PREFIX") or DEFAULT_PREFIX).strip("/")


def topic_filter(prefix: str, shared: str | None = None) -> str:
    """``<prefix>/+/sensors/+``, or its shared form ``$share/<group>/…``."""
    base = f"{prefix}/+/sensors/+"
    return f"$share/{shared}/{base}" if shared else base


def default_client_id() -> str:
    """``RESILIENCE_MQTT_CLIENT_ID``, else one per host: stable, so the session survives."""
    return (os.environ.get("RESILIENCE_MQTT_CLIENT_ID")
            or f"resilience-ingest-{socket.gethostname()}")


@dataclass
class Counters:
    messages: int = 0
    stored: int = 0
    duplicates: int = 0
    dead_letters: int = 0
    alarms: int = 0
    batches: int = 0
    retries: int = 0
    writing: float = 0.0  # seconds spent storing batches (the writer's busy time)
    started: float = field(default_factory=time.monotonic)


class Ingester:
    """An MQTT client feeding batches to ``ingest.store``; see the module docstring."""

    def __init__(self, host: str = "127.0.0.1", port: int = 1883, prefix: str | None = None,
                 client_id: str | None = None, shared: str | None = None,
                 batch_size: int = 5000, batch_ms: int = 20, out=None) -> None:
        self.host, self.port = host, port
        self.prefix = topic_prefix(prefix)
        self.filter = topic_filter(self.prefix, shared)
        self.client_id = client_id or default_client_id()
        self.batch_size = max(1, batch_size)
        self.receive_maximum = min(65535, max(100, 2 * self.batch_size))
        self.batch_seconds = max(0, batch_ms) / 1000
        self.out = out or sys.stdout
        self.counters = Counters()
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._stop = threading.Event()
        self._ack_lock = threading.Lock()
        self._generation = 0  # changes on every connect and disconnect
        self.connected = threading.Event()
        self.subscribed = threading.Event()
        client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=self.client_id,
                             protocol=mqtt.MQTTv5, manual_ack=True)
        client.reconnect_delay_set(min_delay=1, max_delay=15)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        self.client = client

    # --- network thread ---------------------------------------------------------------------
    def _on_connect(self, client, userdata, flags, reason, properties) -> None:
        if reason.is_failure:
            logger.warning("broker %s:%s refused the connection: %s", self.host, self.port, reason)
            return
        with self._ack_lock:
            self._generation += 1
        logger.info("connected to %s:%s as %s (session present: %s, receive maximum %d)",
                    self.host, self.port, self.client_id, flags.session_present,
                    self.receive_maximum)
        self.connected.set()
        client.subscribe([(self.filter, SubscribeOptions(qos=1))])

    def _on_disconnect(self, client, userdata, flags, reason, properties) -> None:
        with self._ack_lock:
            self._generation += 1
        self.connected.clear()
        if not self._stop.is_set():
            logger.warning("disconnected from %s:%s (%s); reconnecting", self.host, self.port,
                           reason)

    def _on_subscribe(self, client, userdata, mid, reason_codes, properties) -> None:
        if any(code.is_failure for code in reason_codes):
            logger.error("subscription to %s refused: %s", self.filter, reason_codes)
            return
        self.subscribed.set()
        print(f"ingest-mqtt: subscribed to {self.filter} on {self.host}:{self.port}",
              file=self.out, flush=True)

    def _on_message(self, client, userdata, message) -> None:
        self._queue.put((self._generation, message))

    # --- worker (the calling thread) --------------------------------------------------------
    def stop(self, *_args) -> None:
        """Ask the ingester to finish its current batch and stop."""
        self._stop.set()

    def run(self) -> Counters:
        """Connect and ingest until ``stop()``; returns the counters.

        Two threads besides paho's: this one gathers and checks the next batch while the writer
        stores the previous one (the database's time overlaps with ours); at most one checked
        batch waits for the writer.
        """
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = SESSION_EXPIRY
        # How many unacknowledged messages the broker may send us (MQTT 5; Mosquitto's
        # max_inflight_messages does not apply to v5 clients): two batches' worth, so one is
        # received while the other is stored.
        props.ReceiveMaximum = self.receive_maximum
        self.client.connect_async(self.host, self.port, keepalive=KEEPALIVE, clean_start=False,
                                  properties=props)
        self.client.loop_start()
        ready: queue.Queue = queue.Queue(maxsize=1)
        writer = threading.Thread(target=self._write_loop, args=(ready,), name="ingest-writer",
                                  daemon=True)
        writer.start()
        next_log = time.monotonic() + LOG_EVERY
        try:
            while not self._stop.is_set() and writer.is_alive():
                batch = self._collect()
                if batch is not None:
                    ready.put((*batch, self._check(batch[0])))
                if time.monotonic() >= next_log:
                    self._log_progress()
                    next_log = time.monotonic() + LOG_EVERY
        finally:
            ready.put(None)
            writer.join()
            self.client.disconnect()
            self.client.loop_stop()
            _close_connection()
        return self.counters

    def _write_loop(self, ready: queue.Queue) -> None:
        try:
            while (item := ready.get()) is not None:
                self._commit_and_ack(*item)
        except BaseException:
            logger.exception("the writer stopped; stopping the ingester")
            self._stop.set()
            while ready.get() is not None:  # unblock the reader; nothing is acknowledged
                pass
            raise
        finally:
            _close_connection()

    def _check(self, batch):
        """Check a batch ahead of the writer; on a database error leave it to the writer."""
        try:
            return batch.check()
        except database_errors():
            _close_connection()
            return None

    def _collect(self):
        """Messages for one batch: up to ``batch_size`` readings or ``batch_ms`` after the first."""
        from resilience.monitoring.ingest import Batch

        try:
            first = self._queue.get(timeout=0.2)
        except queue.Empty:
            return None
        batch = Batch("mqtt")
        received = [first]
        readings = batch.add_payload(first[1].payload, first[1].topic)
        deadline = time.monotonic() + self.batch_seconds
        get = self._queue.get_nowait
        # Take what has arrived, then nap: waking for every message would cost more than the
        # message itself (thread switches), napping a few milliseconds costs nothing.
        while readings < self.batch_size:
            try:
                item = get()
            except queue.Empty:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                time.sleep(min(remaining, NAP))
                continue
            received.append(item)
            readings += batch.add_payload(item[1].payload, item[1].topic)
        return batch, received

    def _commit_and_ack(self, batch, received, checked=None) -> None:
        """Store a batch, retrying while the database fails, then acknowledge its messages."""
        from resilience.monitoring import ingest

        delay = RETRY_MIN
        started = time.perf_counter()
        while True:
            try:
                result = ingest.store(batch, checked)
                break
            except database_errors() as exc:
                self.counters.retries += 1
                logger.warning("database error, batch of %d messages not acknowledged; retrying "
                               "in %.1f s: %s", len(received), delay, str(exc).strip()[:200])
                _close_connection()
                checked = None  # check again on the new connection
                if self._stop.wait(delay):
                    logger.warning("stopping with %d messages unacknowledged: the broker keeps "
                                   "them for the next start", len(received))
                    return
                delay = min(delay * 2, RETRY_MAX)
            except Exception as exc:  # a fault of ours: keep the payloads, never lose them
                logger.exception("ingestion failed; %d payloads go to the dead letters",
                                 len(received))
                try:
                    ingest.refuse_messages([(m.topic, m.payload) for _g, m in received], "mqtt",
                                           exc)
                except Exception:
                    logger.exception("could not keep the payloads; retrying")
                    if self._stop.wait(delay):
                        return
                    delay = min(delay * 2, RETRY_MAX)
                    continue
                result = None
                break
        self._ack(received)
        counters = self.counters
        counters.writing += time.perf_counter() - started
        counters.messages += len(received)
        counters.batches += 1
        if result is not None:
            counters.stored += result.stored
            counters.duplicates += result.duplicates
            counters.dead_letters += result.dead_letters
            counters.alarms += result.alarms
        else:
            counters.dead_letters += len(received)

    def _ack(self, received) -> None:
        with self._ack_lock:
            generation = self._generation
            for received_in, message in received:
                if received_in == generation and message.qos:
                    self.client.ack(message.mid, message.qos)

    def _log_progress(self) -> None:
        c = self.counters
        elapsed = max(time.monotonic() - c.started, 1e-9)
        logger.info("%d messages, %d stored (%.0f/s), %d duplicates, %d dead letters, %d alarms, "
                    "%d batches, %d retries, %d waiting, writer busy %.0f%%", c.messages,
                    c.stored, c.stored / elapsed, c.duplicates, c.dead_letters, c.alarms,
                    c.batches, c.retries, self._queue.qsize(), 100 * c.writing / elapsed)

    def summary(self) -> str:
        c = self.counters
        elapsed = time.monotonic() - c.started
        return (f"ingest-mqtt: stopped after {elapsed:.1f} s: {c.messages} messages, "
                f"{c.stored} readings stored, {c.duplicates} duplicates, "
                f"{c.dead_letters} dead letters, {c.alarms} alarms, {c.retries} retries")


def _close_connection() -> None:
    """Close this thread's database connection, however broken it is."""
    from django.db import connection

    try:
        connection.close()
    except Exception:  # a connection beyond closing cleanly is gone anyway
        pass


def database_errors() -> tuple[type[BaseException], ...]:
    """What a database failure may raise: Django's errors, and the drivers' own."""
    import sqlite3

    from django.db import Error

    errors: tuple = (Error, sqlite3.Error)
    try:
        import psycopg
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return errors
    return (*errors, psycopg.Error)


def _log_alarms(path: str) -> None:
    """Benchmark hook: append ``<sensor id>\\t<unix time>`` when an alarm's row has committed."""
    from resilience.monitoring.signals import alarm_raised

    lock = threading.Lock()

    def write(sender, alarm, **kwargs):
        line = f"{alarm.sensor_id}\t{time.time():.6f}\n"
        with lock, open(path, "a", encoding="utf-8") as fh:
            fh.write(line)

    alarm_raised.connect(write, weak=False, dispatch_uid="ingest-mqtt-alarm-log")


def _configure_logging() -> None:
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in root.handlers:
        if handler.formatter is None:
            handler.setFormatter(logging.Formatter(
                "%(asctime)s %(levelname)s %(name)s: %(message)s"))
    if logger.getEffectiveLevel() > logging.INFO:
        logger.setLevel(logging.INFO)


def run_ingester(args) -> int:
    """Entry point of ``resilience ingest-mqtt``."""
    _configure_logging()
    if os.environ.get("RESILIENCE_ALARM_LOG"):
        _log_alarms(os.environ["RESILIENCE_ALARM_LOG"])
    ingester = Ingester(host=args.host, port=args.port, prefix=args.prefix,
                        client_id=args.client_id, shared=args.shared,
                        batch_size=args.batch_size, batch_ms=args.batch_ms)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, ingester.stop)
    print(f"ingest-mqtt: connecting to {args.host}:{args.port} as {ingester.client_id}, "
          f"topics {ingester.filter}", flush=True)
    ingester.run()
    print(ingester.summary(), flush=True)
    return 0
