"""The sensor simulator: realistic readings for the sensors in the database, with scenarios.

``resilience simulate-sensors`` loads the active sensors (of ``--community`` or all), and sends
each one's reading every ``interval_seconds / speed`` seconds — over MQTT (QoS 1, one JSON list
per message on ``<prefix>/<community-code>/sensors/<sensor-code>``, reconnecting by itself), as
batched ``POST /api/observations/`` with a token, or, inside ``resilience demo`` without a broker,
straight into ``monitoring.ingest``.

Readings follow the day: temperatures peak in the afternoon, a power room's load in the evening,
e-bike sheds charge at night, garage CO at rush hours, hydrant pressure dips when taps run; water
levels stay near zero and smoke near nothing. A scenario takes over a few sensors after a short
lead-in (times are scenario seconds: wall seconds × speed); sensors caught in it report every
``EVENT_INTERVAL`` seconds, as real detectors report on change:

- ``power-room-overheat``: one power room's temperature climbs past 45 °C (~7 s) and 60 °C (~14 s)
  to about 72 °C at 20 s, its current up by a third;
- ``fire``: smoke and temperature rise in one building's stairwell;
- ``flood``: heavy rain, the garage water level rises past 10 cm (~15 s) to 40 cm;
- ``gas-leak``: one gas regulator's concentration passes 10 %LEL (~7 s) towards 30 %LEL;
- ``offline``: one grid's sensors go silent (a gateway lost).
"""
from __future__ import annotations

import datetime as dt
import os
import signal
import threading
from collections.abc import Callable

from resilience.monitoring.simulator.behaviour import (
    ELEVATOR_DOORS_OPEN, ELEVATOR_IDLE, ELEVATOR_MOVING, Behaviour, Reading, SimSensor,
    load_sensors,
)
from resilience.monitoring.simulator.scenarios import (
    EVENT_INTERVAL, LEAD_IN, SCENARIOS, Scenario, plan_scenario,
)
from resilience.monitoring.simulator.schedule import YIELD_SECONDS, Simulator
from resilience.monitoring.simulator.transports import (
    DirectPublisher, HttpPublisher, MqttPublisher, make_publisher,
)

__all__ = [
    "ELEVATOR_DOORS_OPEN", "ELEVATOR_IDLE", "ELEVATOR_MOVING", "EVENT_INTERVAL", "LEAD_IN",
    "SCENARIOS", "YIELD_SECONDS", "Behaviour", "DirectPublisher", "HttpPublisher",
    "MqttPublisher", "Reading", "Scenario", "SimSensor", "Simulator", "load_sensors",
    "make_publisher", "plan_scenario", "run", "run_simulator",
]

SUMMARY_EVERY = 30.0  # wall seconds between progress lines
WATCH_SECONDS = 2.0  # how often a yielding simulator looks for readings it did not send


def latest_stored(codes) -> dict[str, dt.datetime]:
    """The time of the latest stored reading of each of these sensors."""
    from resilience.monitoring.models import Sensor

    return dict(Sensor.objects.filter(code__in=list(codes), last_time__isnull=False)
                .values_list("code", "last_time"))


def run(simulator: Simulator, publisher, stop: threading.Event, duration: float = 0.0,
        say: Callable[[str], None] = print, yield_to_others: bool = False) -> int:
    """Send the simulator's readings through ``publisher`` until ``stop`` or ``duration``;
    with ``yield_to_others``, leave alone the sensors something else reports for."""
    started = simulator.clock()
    summary_at = started + SUMMARY_EVERY
    watch_at = started + WATCH_SECONDS
    announced = False
    try:
        while not stop.is_set():
            wall = simulator.clock()
            if duration and wall - started >= duration:
                break
            if not announced and simulator.scenario.curves and simulator.scenario_time(wall) >= 0:
                say(f"Simulator: scenario {simulator.scenario.name} begins — "
                    f"{simulator.scenario.description}")
                announced = True
            readings = simulator.due(wall)
            if readings:
                try:
                    publisher.send(readings)
                except Exception as exc:  # a transport hiccup must not end the simulation
                    say(f"Simulator: could not send {len(readings)} readings: {exc}")
            if yield_to_others and wall >= watch_at:
                watch_at = wall + WATCH_SECONDS
                try:
                    others = simulator.notice_others(latest_stored(simulator.sent_at), wall)
                except Exception as exc:  # the database busy: look again next time
                    say(f"Simulator: could not look for other senders: {exc}")
                    others = []
                if others:
                    names = ", ".join(sorted(others)[:3]) + (" …" if len(others) > 3 else "")
                    say(f"Simulator: {len(others)} sensor(s) reported by another sender ({names});"
                        " leaving them alone while that lasts")
            if wall >= summary_at:
                say(f"Simulator: {simulator.sent} readings sent so far")
                summary_at = wall + SUMMARY_EVERY
            upcoming = simulator.next_due()
            wait = 0.5 if upcoming is None else min(0.5, max(0.0, upcoming - simulator.clock()))
            if duration:
                wait = min(wait, max(0.0, started + duration - simulator.clock()))
            if wait:
                stop.wait(wait)
    finally:
        publisher.close()
    say(f"Simulator: stopped after {simulator.sent} readings")
    return 0


def run_simulator(args, stop: threading.Event | None = None,
                  say: Callable[[str], None] | None = None) -> int:
    """``resilience simulate-sensors``: load the sensors, send readings until stopped.

    ``args`` as parsed by the CLI (transport, host, port, prefix, url, token, community, scenario,
    speed, duration); optional ``interval`` (or ``RESILIENCE_SIMULATOR_INTERVAL``) overrides every
    sensor's interval, in seconds; ``yield_to_others`` (the demo's simulator) leaves alone the
    sensors another sender reports for. Stops on ``stop``, after ``--duration``, or on
    SIGTERM/SIGINT when run in the main thread.
    """
    say = say or (lambda line: print(line, flush=True))
    sensors = load_sensors(getattr(args, "community", None))
    if not sensors:
        say("Simulator: no active sensors" + (f" in community {args.community}"
                                              if getattr(args, "community", None) else "")
            + "; generate the demo first (resilience generate).")
        return 1
    interval = getattr(args, "interval", None) or float(
        os.environ.get("RESILIENCE_SIMULATOR_INTERVAL") or 0) or None
    simulator = Simulator(sensors, scenario=getattr(args, "scenario", "normal") or "normal",
                          speed=float(getattr(args, "speed", 1.0) or 1.0), interval=interval,
                          seed=getattr(args, "seed", None) or 1)
    publisher = make_publisher(args, say)
    communities = len({s.community for s in sensors})
    cadence = f"every {interval:g} s" if interval else "at each sensor's interval"
    say(f"Simulator: {len(sensors)} sensors in {communities} "
        f"communit{'y' if communities == 1 else 'ies'}, readings {cadence} "
        f"(speed {simulator.speed:g}) to {publisher.where}; scenario {simulator.scenario.name}")
    stop = stop or threading.Event()
    restore = _stop_on_signals(stop)
    try:
        return run(simulator, publisher, stop, float(getattr(args, "duration", 0) or 0), say,
                   yield_to_others=bool(getattr(args, "yield_to_others", False)))
    finally:
        restore()
        if threading.current_thread() is not threading.main_thread():
            from django.db import connection

            connection.close()  # the thread's own connection (the demo runs it in a thread)


def _stop_on_signals(stop: threading.Event) -> Callable[[], None]:
    """In the main thread, SIGTERM and SIGINT set ``stop``; returns how to undo that."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}

    def handler(signum, frame):
        stop.set()

    for sig in previous:
        signal.signal(sig, handler)

    def restore() -> None:
        for sig, old in previous.items():
            signal.signal(sig, old)
    return restore
