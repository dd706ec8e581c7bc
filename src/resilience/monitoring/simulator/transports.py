"""Where readings go: MQTT, HTTP, or straight into the ingestion pipeline."""
from __future__ import annotations

import json
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable

from resilience.monitoring.simulator.behaviour import Reading

HTTP_BATCH = 500  # readings per POST
HTTP_BUFFER = 50_000  # readings kept for a server that does not answer, oldest dropped first


class MqttPublisher:
    """Publishes each sensor's readings as a JSON list on its topic, QoS 1; reconnects by itself.

    paho keeps QoS 1 messages published while the broker is away and sends them on reconnect.
    """

    def __init__(self, host: str, port: int, prefix: str, client_id: str | None = None,
                 say: Callable[[str], None] = print):
        import paho.mqtt.client as mqtt

        self.prefix = prefix.rstrip("/")
        self.say = say
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2,
                                  client_id=client_id or f"resilience-sim-{uuid.uuid4().hex[:8]}")
        self.client.max_inflight_messages_set(1000)
        self.client.max_queued_messages_set(0)  # unlimited: nothing is dropped while away
        self.client.reconnect_delay_set(1, 10)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.connected = threading.Event()
        self.closing = False
        self.last = None
        self.client.connect_async(host, port, keepalive=30)
        self.client.loop_start()
        self.where = f"MQTT {host}:{port}"

    def _on_connect(self, client, userdata, flags, reason_code, properties=None):
        if reason_code == 0:
            self.connected.set()
            self.say(f"Simulator: connected to the broker, publishing on {self.prefix}/…")
        else:
            self.say(f"Simulator: the broker refused the connection ({reason_code})")

    def _on_disconnect(self, client, userdata, flags, reason_code, properties=None):
        if self.connected.is_set() and not self.closing:
            self.say(f"Simulator: lost the broker ({reason_code}); reconnecting…")
        self.connected.clear()

    def send(self, readings: list[Reading]) -> None:
        by_sensor: dict[str, list[Reading]] = {}
        for r in readings:
            by_sensor.setdefault(r.sensor.code, []).append(r)
        for code, rows in by_sensor.items():
            topic = f"{self.prefix}/{rows[0].sensor.community}/sensors/{code}"
            self.last = self.client.publish(topic, json.dumps([r.payload() for r in rows]), qos=1)

    def close(self, timeout: float = 5.0) -> None:
        """Wait (a little) for the broker to acknowledge what was published, then disconnect."""
        self.closing = True
        if self.last is not None and self.connected.is_set():
            try:
                self.last.wait_for_publish(timeout)
            except (RuntimeError, ValueError):
                pass
        self.client.disconnect()
        self.client.loop_stop()


class HttpPublisher:
    """Posts readings in batches to ``/api/observations/`` with a token; keeps them while the
    server does not answer (a resend is harmless: ingestion is idempotent on sensor and time)."""

    def __init__(self, url: str, token: str | None, say: Callable[[str], None] = print):
        # urlopen would also read file: and other schemes; only a web server is meant here.
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise ValueError(f"--url must be an http:// or https:// address, not {url!r}")
        self.endpoint = url.rstrip("/") + "/api/observations/"
        self.token = token
        self.say = say
        self.pending: list[dict] = []
        self.failing = False
        self.where = self.endpoint

    def send(self, readings: list[Reading]) -> None:
        self.pending.extend(r.payload() for r in readings)
        if len(self.pending) > HTTP_BUFFER:
            del self.pending[: len(self.pending) - HTTP_BUFFER]
        while self.pending:
            batch = self.pending[:HTTP_BATCH]
            if not self._post(batch):
                return
            del self.pending[: len(batch)]

    def _post(self, batch: list[dict]) -> bool:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Token {self.token}"
        request = urllib.request.Request(self.endpoint, data=json.dumps(batch).encode(),
                                         headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=10):  # nosec B310 # http(s) only, checked above
                pass
        except urllib.error.HTTPError as exc:
            body = exc.read()[:300].decode("utf-8", "replace")
            if 400 <= exc.code < 500 and exc.code not in (408, 429):
                # The server read the batch and refused it (its dead letters keep the bad rows).
                self.say(f"Simulator: the server refused a batch ({exc.code}): {body}")
                return True
            return self._failed(f"{exc.code} {body}")
        except OSError as exc:
            return self._failed(str(exc))
        if self.failing:
            self.say("Simulator: the server answers again")
            self.failing = False
        return True

    def _failed(self, reason: str) -> bool:
        if not self.failing:
            self.say(f"Simulator: cannot post to {self.endpoint} ({reason}); keeping the readings")
            self.failing = True
        return False

    def close(self) -> None:
        if self.pending:
            self.send([])


class DirectPublisher:
    """Stores readings through ``monitoring.ingest`` in this process (``resilience demo`` without
    a broker, and tests): the same pipeline, without the network. Refused readings are kept in
    the dead letters under the HTTP source."""

    where = "in-process ingestion"

    def send(self, readings: list[Reading]) -> None:
        from resilience.monitoring import ingest

        if readings:
            ingest.ingest(json.dumps([r.payload() for r in readings]), source="http")

    def close(self) -> None:
        pass


# --- running -------------------------------------------------------------------------------

def make_publisher(args, say: Callable[[str], None] = print):
    """The transport named by ``args.transport``: mqtt, http, or direct (in this process)."""
    transport = getattr(args, "transport", "mqtt")
    if transport == "mqtt":
        from resilience.monitoring.mqtt import topic_prefix

        return MqttPublisher(args.host, args.port, topic_prefix(getattr(args, "prefix", None)),
                             client_id=getattr(args, "client_id", None), say=say)
    if transport == "http":
        return HttpPublisher(args.url, getattr(args, "token", None), say=say)
    if transport == "direct":
        return DirectPublisher()
    raise ValueError(f"unknown transport {transport!r}")
