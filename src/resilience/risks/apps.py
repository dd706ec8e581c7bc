from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RisksConfig(AppConfig):
    name = "resilience.risks"
    label = "risks"
    verbose_name = _("Risks")

    def ready(self) -> None:
        from resilience.core.views import menu, pages
        from resilience.risks.views import dashboard, maps

        group = _("Risks")
        menu.register(group, _("Risk register"), "risks:risksource_list", "risks.RiskSource")
        menu.register(group, _("Four-colour map"), "risks:map", "risks.RiskSource")
        menu.register(group, _("Risks near you"), "risks:residents", "risks.RiskSource")
        menu.register(group, _("Due inspections"), "risks:inspection_due", "risks.Inspection")
        menu.register(group, _("Inspections"), "risks:inspection_list", "risks.Inspection")
        menu.register(group, _("Hazards"), "risks:hazard_list", "risks.Hazard")
        menu.register(group, _("Checklists"), "risks:checklisttemplate_list", "risks.ChecklistTemplate")
        menu.register(group, _("Inspection plans"), "risks:inspectionplan_list", "risks.InspectionPlan")
        pages.MAP_LAYERS.append(maps.map_layer)
        pages.DASHBOARD_PANELS.append(dashboard.panel)
