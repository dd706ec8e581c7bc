"""Escalate overdue hazards one level up (community → street office → district); run it daily."""
import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from resilience.risks.hazards import ESCALATION_INTERVAL, escalate_overdue, escalation_label


class Command(BaseCommand):
    help = (f"Raise every hazard past its deadline and not yet rectified one escalation level "
            f"(0 community, 1 street office, 2 district), at most once every "
            f"{ESCALATION_INTERVAL} days; safe to run as often as you like.")

    def add_arguments(self, parser):
        parser.add_argument("--now", help="Act as if it were this time (ISO 8601), for a re-run.")

    def handle(self, *args, now=None, **options):
        when = None
        if now:
            try:
                when = dt.datetime.fromisoformat(now)
            except ValueError:
                raise CommandError(f"--now: not an ISO 8601 time: {now!r}")
            if timezone.is_naive(when):
                when = timezone.make_aware(when)
        escalated = escalate_overdue(when)
        for hazard in escalated:
            self.stdout.write(
                f"{hazard.community.code} #{hazard.pk} {hazard.title} — due {hazard.deadline}, "
                f"now level {hazard.escalation_level} ({escalation_label(hazard.escalation_level)})")
        self.stdout.write(self.style.SUCCESS(f"{len(escalated)} hazard(s) escalated."))
