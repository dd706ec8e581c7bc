"""The default resilience index: every indicator of the catalogue, scored against its target,
dimensions weighted equally."""
from django.db import migrations


def create_default(apps, schema_editor):
    Index = apps.get_model("assessment", "Index")
    if not Index.objects.filter(code="default").exists():
        Index.objects.create(
            code="default", name="Community resilience index", method="target",
            weighting="equal", is_default=True,
            description="Every indicator of the catalogue, scored against its target; the five "
                        "dimensions weigh the same.")


def remove_default(apps, schema_editor):
    apps.get_model("assessment", "Index").objects.filter(code="default").delete()


class Migration(migrations.Migration):

    dependencies = [("assessment", "0001_initial")]

    operations = [migrations.RunPython(create_default, remove_default)]
