"""Real services for benchmarks and fault tests: a private Mosquitto, the ingester as a process,
and a QoS 1 publisher that keeps count of what the broker acknowledged.
"""
from __future__ import annotations

import getpass
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

# The broker settings DESIGN §6 measured: without them QoS 1 crawls (Nagle, 20 in flight).
TUNED = (
    "set_tcp_nodelay true",
    "max_inflight_messages 1000",
    "max_queued_messages 1000000",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def terminate(process: subprocess.Popen, timeout: float = 30) -> int:
    """SIGTERM (a clean stop), then SIGKILL if it has not ended within ``timeout``; the exit code."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


def mosquitto_binary() -> str | None:
    return shutil.which("mosquitto") or next(
        (p for p in ("/usr/sbin/mosquitto", "/usr/local/sbin/mosquitto") if os.path.exists(p)),
        None)


class PrivateBroker:
    """A Mosquitto of our own on a free port, persistent, with the tuned settings."""

    def __init__(self, workdir: Path, port: int | None = None, tuned: bool = True) -> None:
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.binary = mosquitto_binary()
        self.config_lines = [
            f"listener {self.port} 127.0.0.1",
            "allow_anonymous true",
            "persistence true",
            f"persistence_location {self.workdir}/",
            *(TUNED if tuned else ()),
        ]
        self.config = self.workdir / "mosquitto.conf"
        # Run as ourselves: as root, Mosquitto would switch to a user who cannot write here.
        self.config.write_text("\n".join([*self.config_lines, f"user {getpass.getuser()}",
                                          f"log_dest file {self.workdir}/mosquitto.log", ""]))
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 10) -> "PrivateBroker":
        if self.binary is None:
            raise RuntimeError("mosquitto is not installed")
        self.process = subprocess.Popen([self.binary, "-c", str(self.config)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while not port_open("127.0.0.1", self.port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"mosquitto did not start on port {self.port}: "
                                   + self.log()[-500:])
            time.sleep(0.02)
        return self

    def stop(self, timeout: float = 10) -> None:
        """Stop gracefully (SIGTERM): Mosquitto writes its persistence file on the way out."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def restart(self, down: float = 0.5) -> None:
        self.stop()
        time.sleep(down)
        self.start()

    def log(self) -> str:
        path = self.workdir / "mosquitto.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def __enter__(self) -> "PrivateBroker":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class IngesterProcess:
    """``resilience ingest-mqtt`` as a child process, with its output collected."""

    def __init__(self, port: int, env: dict, client_id: str = "resilience-test-ingester",
                 batch_size: int = 5000, batch_ms: int = 20, extra: tuple = ()) -> None:
        self.args = [sys.executable, "-m", "resilience.cli", "ingest-mqtt", "--host", "127.0.0.1",
                     "--port", str(port), "--client-id", client_id, "--batch-size",
                     str(batch_size), "--batch-ms", str(batch_ms), *extra]
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1", **env}
        self.process: subprocess.Popen | None = None
        self.lines: list[str] = []
        self._subscribed = threading.Event()

    def start(self, timeout: float = 30) -> "IngesterProcess":
        self._subscribed.clear()
        self.process = subprocess.Popen(self.args, env=self.env, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True, bufsize=1)
        threading.Thread(target=self._read, args=(self.process,), daemon=True).start()
        if not self._subscribed.wait(timeout):
            self.kill()
            raise RuntimeError("the ingester did not subscribe:\n" + self.output()[-3000:])
        return self

    def _read(self, process) -> None:
        for line in process.stdout:
            self.lines.append(line)
            if "subscribed to" in line:
                self._subscribed.set()

    def stop(self, timeout: float = 30) -> int:
        """SIGTERM and wait: the ingester finishes its batch, acknowledges and says goodbye."""
        if self.process is None:
            return 0
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self.process = None
        time.sleep(0.05)  # let the reader thread take the last lines
        return code

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.process = None

    def output(self) -> str:
        return "".join(self.lines)


class Publisher:
    """A QoS 1 publisher on a persistent session: paho resends what the broker has not
    acknowledged after a reconnect, and ``republish_unacked`` sends again whatever is left."""

    def __init__(self, port: int, client_id: str = "resilience-test-publisher",
                 inflight: int = 1000) -> None:
        import paho.mqtt.client as mqtt
        from paho.mqtt.packettypes import PacketTypes
        from paho.mqtt.properties import Properties

        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=client_id,
                                  protocol=mqtt.MQTTv5)
        self.client.max_inflight_messages_set(inflight)
        self.client.max_queued_messages_set(0)
        self.client.reconnect_delay_set(min_delay=1, max_delay=2)
        self._lock = threading.Lock()
        self.acked = 0
        self._pending: dict[int, tuple[str, bytes]] = {}
        self._early: set[int] = set()
        self.connected = threading.Event()
        self.client.on_publish = self._on_publish
        self.client.on_connect = lambda c, u, f, r, p: self.connected.set()
        self.client.on_disconnect = lambda c, u, f, r, p: self.connected.clear()
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 3600
        self.client.connect_async("127.0.0.1", port, keepalive=10, clean_start=False,
                                  properties=props)
        self.client.loop_start()
        if not self.connected.wait(10):
            raise RuntimeError("the publisher could not connect")

    def _on_publish(self, client, userdata, mid, reason, properties) -> None:
        with self._lock:
            self.acked += 1
            if self._pending.pop(mid, None) is None:
                self._early.add(mid)  # acknowledged before publish() returned

    def publish(self, topic: str, payload: bytes) -> None:
        info = self.client.publish(topic, payload, qos=1)
        with self._lock:
            if info.mid in self._early:
                self._early.discard(info.mid)
            else:
                self._pending[info.mid] = (topic, payload)

    def unacked(self) -> int:
        with self._lock:
            return len(self._pending)

    def wait_acked(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.unacked():
                return True
            time.sleep(0.05)
        return not self.unacked()

    def republish_unacked(self) -> int:
        with self._lock:
            left = list(self._pending.items())
            self._pending.clear()
        for _mid, (topic, payload) in left:
            self.publish(topic, payload)
        return len(left)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()
