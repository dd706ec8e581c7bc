"""``resilience manage refresh_baselines``: recompute sensor baselines now."""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from resilience.monitoring.baseline import HISTORY_DAYS, refresh_baselines
from resilience.monitoring.models import Sensor


class Command(BaseCommand):
    help = ("Recompute each sensor's baseline (median and spread by hour of the day or week) "
            "from its recent readings; the worker does it hourly.")

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=HISTORY_DAYS,
                            help=f"days of history (default {HISTORY_DAYS})")
        parser.add_argument("--community", default=None, help="only this community (code)")
        parser.add_argument("--sensor", default=None, help="only this sensor (code)")

    def handle(self, *args, days: int, community: str | None, sensor: str | None, **options):
        if days < 1:
            raise CommandError("--days must be 1 or more")
        sensors = Sensor.objects.filter(active=True)
        if community:
            sensors = sensors.filter(community__code=community)
        if sensor:
            sensors = sensors.filter(code=sensor)
        written = refresh_baselines(sensors, days=days)
        self.stdout.write(f"{written} baselines written from the last {days} days.")
