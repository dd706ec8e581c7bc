"""The platform rules (community empty) every install starts with: ``rules.default_rules()``.

Communities see them and replace them for their own sensors with rules of their own (see
``monitoring.rules``); only the platform admin changes them.
"""
from django.db import migrations


def create_default_rules(apps, schema_editor):
    from resilience.monitoring.rules import default_rules

    Rule = apps.get_model("monitoring", "Rule")
    by_key = {}
    defaults = default_rules()
    # Combinations name other defaults, so create those first.
    for spec in sorted(defaults, key=lambda s: s["kind"] == "combination"):
        params = dict(spec["params"])
        for key in ("all", "any"):
            if key in params:
                params[key] = [by_key[name].pk for name in params[key]]
        rule, _created = Rule.objects.get_or_create(
            community=None, sensor=None, name=str(spec["name"]),
            defaults={"kind": str(spec["kind"]), "sensor_kind": str(spec["sensor_kind"]),
                      "facility_kind": str(spec["facility_kind"]), "params": params,
                      "level": int(spec["level"]), "auto_alert": False, "active": True})
        by_key[spec["key"]] = rule


def remove_default_rules(apps, schema_editor):
    from resilience.monitoring.rules import default_rules

    Rule = apps.get_model("monitoring", "Rule")
    names = [str(spec["name"]) for spec in default_rules()]
    Rule.objects.filter(community=None, sensor=None, name__in=names).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('monitoring', '0002_rule_facility_kind'),
    ]

    operations = [
        migrations.RunPython(create_default_rules, remove_default_rules),
    ]
