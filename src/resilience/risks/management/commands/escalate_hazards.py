"""Escalate overdue hazards one level up (community → street office → district); run it daily."""

from django.core.management.base import BaseCommand

from resilience.core.management.options import parse_now
from resilience.risks.hazards import ESCALATION_INTERVAL, escalate_overdue, escalation_label


class Command(BaseCommand):
    help = (f"Raise every hazard past its deadline and not yet rectified one escalation level "
            f"(0 community, 1 street office, 2 district), at most once every "
            f"{ESCALATION_INTERVAL} days; safe to run as often as you like.")

    def add_arguments(self, parser):
        parser.add_argument("--now", help="Act as if it were this time (ISO 8601), for a re-run.")

    def handle(self, *args, now=None, **options):
        when = parse_now(now)
        escalated = escalate_overdue(when)
        for hazard in escalated:
            self.stdout.write(
                f"{hazard.community.code} #{hazard.pk} {hazard.title} — due {hazard.deadline}, "
                f"now level {hazard.escalation_level} ({escalation_label(hazard.escalation_level)})")
        self.stdout.write(self.style.SUCCESS(f"{len(escalated)} hazard(s) escalated."))
