"""Load (or refresh) the platform's shared safety lessons."""
from django.core.management.base import BaseCommand

from resilience.participation.lesson_library import load_lessons


class Command(BaseCommand):
    help = ("Create or update the shared safety lessons (self-rescue, fire extinguisher, flood "
            "safety, first aid, e-bike charging) visible to every community.")

    def handle(self, *args, **options):
        result = load_lessons()
        self.stdout.write(self.style.SUCCESS(
            f"Shared lessons: {result['created']} created, {result['updated']} updated."))
