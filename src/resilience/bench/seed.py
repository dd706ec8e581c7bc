"""A community with numbered sensors for benchmarks and fault tests.

In process: ``seed(sensors=100)``. In a fresh database, from the command line (migrates first)::

    python -m resilience.bench.seed --migrate --sensors 1000 [--threshold-sensors 50]
"""
from __future__ import annotations

import argparse

COMMUNITY = "bench"
STEP_SECONDS = 10  # each bench sensor reports every 10 seconds (its readings are that far apart)


def sensor_code(i: int) -> str:
    return f"bench-{i:05d}"


def seed(sensors: int, threshold_sensors: int = 0, threshold: float = 80.0) -> dict:
    """Create (once) the bench community, ``sensors`` temperature sensors and, on the first
    ``threshold_sensors`` of them, a rule raising an alarm above ``threshold``."""
    from resilience.monitoring.models import Rule, Sensor
    from resilience.places.models import Community, Region

    region, _ = Region.objects.get_or_create(code="bench-street", defaults={
        "name": "Bench street", "level": "street"})
    community, _ = Community.objects.get_or_create(code=COMMUNITY, defaults={
        "name": "Bench community", "region": region})
    existing = set(Sensor.objects.filter(community=community).values_list("code", flat=True))
    Sensor.objects.bulk_create([
        Sensor(community=community, code=sensor_code(i), name=f"Bench sensor {i}",
               kind="temperature", interval_seconds=STEP_SECONDS)
        for i in range(sensors) if sensor_code(i) not in existing
    ], batch_size=1000)
    if threshold_sensors:
        for sensor in Sensor.objects.filter(code__in=[sensor_code(i)
                                                      for i in range(threshold_sensors)]):
            Rule.objects.get_or_create(community=community, sensor=sensor, kind="threshold",
                                       defaults={"name": f"Hot {sensor.code}", "level": 2,
                                                 "params": threshold_params(threshold)})
    return {"community": community.pk, "sensors": Sensor.objects.filter(community=community)
            .count()}


def threshold_params(threshold: float) -> dict:
    """A threshold rule raising above ``threshold`` (see ``monitoring.rules``)."""
    return {"op": "above", "value": threshold, "clear": threshold - 5}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--migrate", action="store_true")
    parser.add_argument("--sensors", type=int, default=100)
    parser.add_argument("--threshold-sensors", type=int, default=0)
    parser.add_argument("--threshold", type=float, default=80.0)
    args = parser.parse_args(argv)
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "resilience.settings")
    import django

    django.setup()
    if args.migrate:
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
    print(seed(args.sensors, args.threshold_sensors, args.threshold))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
