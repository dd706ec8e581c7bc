"""Rule pages on the generic views. The platform's default rules are listed with a community's own
(``Rule.objects.visible_to`` includes them for every member) and changed only by platform admins."""
from __future__ import annotations

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _l

from resilience.core.views.generic import ObjectViews, Related
from resilience.core.views.tables import Column
from resilience.monitoring import forms
from resilience.monitoring.filtersets_alarms import RuleFilterSet
from resilience.monitoring.models import Alarm, Rule
from resilience.monitoring.views.badges import level_badge

PLATFORM_DEFAULT = _l("platform default")
# The platform rules' names are English, marked for translation (``rules.default_rules``).
NAME_COLUMN = Column("name", _l("name"), value=lambda r: gettext(r.name), order="name", link=True)
LEVEL_COLUMN = Column("level", _l("alarm level"), value=lambda r: level_badge(r.level),
                      order="level")
WHERE_COLUMN = Column("community", _l("community"),
                      value=lambda r: r.community or PLATFORM_DEFAULT, order="community")


class RuleViews(ObjectViews):
    model = Rule
    filterset = RuleFilterSet
    form = forms.RuleForm
    columns = (NAME_COLUMN, "kind", "sensor_kind", "facility_kind", "sensor", LEVEL_COLUMN,
               WHERE_COLUMN, "auto_alert", "active")
    select_related = ("community", "sensor")
    filter_fields = ("kind", "sensor_kind", "facility_kind", "level", "community", "platform",
                     "auto_alert", "active")
    detail_groups = (
        (_l("rule"), (NAME_COLUMN, "kind", "params", LEVEL_COLUMN, "auto_alert", "active")),
        (_l("applies to"), (WHERE_COLUMN, "sensor_kind", "facility_kind", "sensor")),
    )
    related = (Related(Alarm, "rule"),)
    detail_template = "monitoring/rule_detail.html"
