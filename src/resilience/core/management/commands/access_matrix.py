"""Print who may do what, from the models' own ``access`` declarations (docs/roles.md)."""
from django.apps import apps
from django.core.management.base import BaseCommand

from resilience.core.models import ScopedModel
from resilience.core.roles import ACTIONS, Role


class Command(BaseCommand):
    help = "Print the role × model × action matrix as a Markdown table."

    def handle(self, *args, **options):
        roles = [r for r in Role if r != Role.ADMIN]
        self.stdout.write("| model | " + " | ".join(r.value for r in roles) + " |")
        self.stdout.write("| --- |" + " --- |" * len(roles))
        for model in sorted(apps.get_models(), key=lambda m: m._meta.label):
            if not issubclass(model, ScopedModel):
                continue
            cells = []
            for role in roles:
                grants = model.access.get(role, {})
                cells.append(", ".join(f"{a}:{grants[a]}" for a in ACTIONS if a in grants) or "—")
            self.stdout.write(f"| {model._meta.label} | " + " | ".join(cells) + " |")
