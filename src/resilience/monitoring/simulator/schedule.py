"""The schedule: which sensor reads when, on a clock a test can drive."""
from __future__ import annotations

import datetime as dt
import heapq
import math
import random
import time
from collections.abc import Callable

from resilience.monitoring.simulator.behaviour import Behaviour, Reading, SimSensor
from resilience.monitoring.simulator.scenarios import EVENT_INTERVAL, LEAD_IN, plan_scenario

YIELD_SECONDS = 60.0  # how long a yielding simulator leaves a sensor after another's reading


class Simulator:
    """Produces the readings due at each moment; ``run`` sends them until stopped.

    ``clock`` gives wall seconds (monotonic) and ``now`` the timestamp of a reading, so a test can
    drive it without sleeping: ``sim.due(t)`` for increasing ``t``.
    """

    def __init__(self, sensors: list[SimSensor], scenario: str = "normal", speed: float = 1.0,
                 interval: float | None = None, seed: int = 1,
                 clock: Callable[[], float] = time.monotonic,
                 now: Callable[[], dt.datetime] | None = None):
        if speed <= 0:
            raise ValueError("speed must be positive")
        self.sensors = sensors
        self.speed = speed
        self.interval = interval
        self.clock = clock
        self.now = now or (lambda: dt.datetime.now(dt.timezone.utc))
        self.scenario = plan_scenario(scenario, sensors)
        self.behaviours = {s.code: Behaviour(s, random.Random(f"{seed}:{s.code}")) for s in sensors}
        self.started = clock()
        self.sim_start = self.now()
        rng = random.Random(seed)
        # Every sensor reports once within the first two seconds, so a page is alive at once.
        self.queue = [(self.started + rng.uniform(0, min(2.0, self.period(s, self.started))), k)
                      for k, s in enumerate(sensors)]
        heapq.heapify(self.queue)
        self.begun = False
        self.sent = 0
        self.silenced: set[str] = set()
        self.sent_at: dict[str, dt.datetime] = {}  # our latest reading of each sensor
        self.yielded: dict[str, float] = {}  # sensors left to another sender, until (wall)

    def period(self, sensor: SimSensor, wall: float) -> float:
        """Wall seconds between two readings of ``sensor``."""
        seconds = self.interval or sensor.interval
        if self.scenario_time(wall) >= 0 and sensor.code in self.scenario.curves:
            seconds = min(seconds, EVENT_INTERVAL)
        return max(0.05, seconds / self.speed)

    def scenario_time(self, wall: float) -> float:
        """Scenario seconds since the scenario began (negative during the lead-in)."""
        return (wall - self.started) * self.speed - LEAD_IN

    def next_due(self) -> float | None:
        return self.queue[0][0] if self.queue else None

    def due(self, wall: float | None = None) -> list[Reading]:
        """The readings due at wall time ``wall`` (default: now); each sensor is rescheduled."""
        wall = self.clock() if wall is None else wall
        if not self.begun and self.scenario_time(wall) >= 0:
            # The sensors a scenario takes over report at once, as a detector does on change.
            self.begun = True
            curves = self.scenario.curves
            self.queue = [(min(due, wall) if self.sensors[k].code in curves else due, k)
                          for due, k in self.queue]
            heapq.heapify(self.queue)
        readings = []
        while self.queue and self.queue[0][0] <= wall:
            _, k = heapq.heappop(self.queue)
            sensor = self.sensors[k]
            if self.yielded.get(sensor.code, -math.inf) <= wall:
                reading = self.reading(sensor, wall)
                if reading is not None:
                    readings.append(reading)
                    self.sent_at[sensor.code] = reading.time
            heapq.heappush(self.queue, (wall + self.period(sensor, wall), k))
        self.sent += len(readings)
        return readings

    def notice_others(self, latest: dict[str, dt.datetime], wall: float) -> list[str]:
        """Leave alone, for ``YIELD_SECONDS``, each sensor whose latest stored reading is newer
        than ours: something else reports for it (a real device, or a scenario run beside the
        demo), and our normal readings would clear its alarms. Returns the sensors newly left."""
        newly = []
        for code, stored in latest.items():
            mine = self.sent_at.get(code)
            if mine is None or stored is None or stored <= mine:
                continue
            if self.yielded.get(code, -math.inf) <= wall:
                newly.append(code)
            self.yielded[code] = wall + YIELD_SECONDS
        return newly

    def reading(self, sensor: SimSensor, wall: float) -> Reading | None:
        elapsed = (wall - self.started) * self.speed
        clock = self.sim_start + dt.timedelta(seconds=elapsed)
        local = clock.astimezone(_local_zone())
        behaviour = self.behaviours[sensor.code]
        value = behaviour.value(local, elapsed)
        behaviour.battery()
        t = self.scenario_time(wall)
        curve = self.scenario.curves.get(sensor.code)
        if curve is not None and t >= 0:
            value = curve(t, value)
            if value is None:
                self.silenced.add(sensor.code)
                return None
            value = round(value + behaviour.rng.gauss(0, 0.2 if value > 5 else 0.02), 2)
        return Reading(sensor, self.now(), float(value))


def _local_zone():
    from django.utils import timezone

    return timezone.get_default_timezone()
