"""Watch for silent sensors: status stale/offline and stale alarms (``rules.check_stale``)."""
import signal
import threading

from django.core.management.base import BaseCommand, CommandError
from django.db import close_old_connections
from django.utils import timezone

from resilience.core.actor import acting_as
from resilience.core.management.options import parse_now
from resilience.monitoring.rules import check_stale


class Command(BaseCommand):
    help = ("Mark sensors that sent nothing for their stale rule's number of intervals stale "
            "(offline after three times as long), open and clear stale alarms. Runs once, or "
            "every SECONDS with --loop until SIGTERM or Ctrl-C.")

    def add_arguments(self, parser):
        parser.add_argument("--loop", type=float, metavar="SECONDS",
                            help="Check again every SECONDS until stopped.")
        parser.add_argument("--now", help="Act as if it were this time (ISO 8601); once only.")

    def handle(self, *args, loop=None, now=None, **options):
        if loop is not None and loop <= 0:
            raise CommandError("--loop: give a number of seconds above 0.")
        if now and loop:
            raise CommandError("--now and --loop do not go together.")
        when = parse_now(now)
        if not loop:
            self._check(when)
            return
        stop = threading.Event()
        main = threading.current_thread() is threading.main_thread()  # signals: main thread only
        previous = signal.signal(signal.SIGTERM, lambda signum, frame: stop.set()) if main else None
        try:
            while not stop.is_set():
                close_old_connections()
                try:
                    self._check(None)
                except Exception as exc:  # a database restart must not end the loop
                    self.stderr.write(f"check failed: {type(exc).__name__}: {exc}")
                stop.wait(loop)
        except KeyboardInterrupt:
            pass
        finally:
            if main:
                signal.signal(signal.SIGTERM, previous)
        self.stdout.write("stopped")

    def _check(self, when) -> None:
        with acting_as(None, "check_sensors"):
            changed = check_stale(when)
        for alarm in changed:
            self.stdout.write(f"{alarm.get_status_display()}: {alarm.message}")
        self.stdout.write(f"{timezone.localtime(when or timezone.now()):%Y-%m-%d %H:%M:%S} "
                          f"{len(changed)} alarm(s) changed")
