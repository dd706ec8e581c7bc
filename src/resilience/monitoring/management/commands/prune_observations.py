"""Down-sample (or delete) old sensor readings: ``monitoring.retention``."""
import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from resilience.core.management.options import parse_now
from resilience.monitoring.models import Sensor
from resilience.monitoring.retention import AGGREGATES, KEEP, prune_observations


class Command(BaseCommand):
    help = ("Replace each sensor's readings older than DAYS days by one reading per hour, at the "
            "hour's start, holding the hour's mean (--value max or min to keep the peak or the "
            "trough); --keep none deletes them instead. Works in batches and may be run again "
            "at any time.")

    def add_arguments(self, parser):
        parser.add_argument("--older-than", type=float, required=True, metavar="DAYS",
                            help="Readings older than this many days (rounded down to the hour).")
        parser.add_argument("--keep", choices=KEEP, default="hourly",
                            help="hourly: one reading per sensor per hour (default); none: delete.")
        parser.add_argument("--value", choices=tuple(AGGREGATES), default="mean",
                            help="What the hourly reading holds (default: mean).")
        parser.add_argument("--batch-hours", type=int, default=24,
                            help="Hours of one sensor's readings per transaction (default 24).")
        parser.add_argument("--now", help="Count the days back from this time (ISO 8601).")

    def handle(self, *args, older_than, keep, value, batch_hours, now=None, **options):
        now = parse_now(now)
        if older_than < 0:
            raise CommandError("--older-than: give a number of days, 0 or more.")
        if batch_hours < 1:
            raise CommandError("--batch-hours: give at least 1.")
        codes = dict(Sensor.objects.values_list("pk", "code"))
        bar = tqdm(total=len(codes), unit="sensor", file=sys.stderr,
                   disable=not sys.stderr.isatty())

        def progress(sensor_id, result):
            bar.update(1)
            if result.deleted:
                message = (f"{codes.get(sensor_id, sensor_id)}: {result.deleted} readings → "
                           f"{result.kept} hourly")
                if bar.disable:
                    self.stdout.write(message)
                else:
                    bar.write(message, file=sys.stdout)  # above the progress bar

        try:
            total = prune_observations(older_than, keep=keep, how=value, batch_hours=batch_hours,
                                       now=now, progress=progress)
        finally:
            bar.close()
        self.stdout.write(self.style.SUCCESS(
            f"{total.sensors} sensor(s): {total.deleted} readings removed, {total.kept} hourly "
            f"readings written ({total.deleted - total.kept} fewer rows)."))
