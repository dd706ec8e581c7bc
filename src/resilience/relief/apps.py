from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from resilience.core.roles import Role

# Who runs relief (the registries and boards); residents and volunteers use their own pages.
WORKERS = (Role.OFFICE, Role.STAFF, Role.GRID_WORKER)
FILERS = (Role.STAFF, Role.GRID_WORKER, Role.RESIDENT)  # who files a request


class ReliefConfig(AppConfig):
    name = "resilience.relief"
    label = "relief"
    verbose_name = _("Relief and needs")

    def ready(self) -> None:
        from resilience.core.views import menu, pages
        from resilience.relief.views.needs import requests_panel

        group = _("Relief")
        menu.register(group, _("Stock"), "relief:stock_list", "relief.StockLot")
        menu.register(group, _("Supply items"), "relief:item_list", "relief.Item")
        menu.register(group, _("Expiring stock"), "relief:stock_expiring", "relief.StockLot")
        menu.register(group, _("Days of autonomy"), "relief:autonomy", "relief.StockLot")
        menu.register(group, _("Reserve norms"), "relief:reservenorm_list", "relief.ReserveNorm")
        menu.register(group, _("Distributions"), "relief:distribution_list", "relief.Distribution")
        menu.register(group, _("Distributions per building"), "relief:distribution_totals",
                      "relief.Distribution")
        menu.register(group, _("Group purchases"), "relief:grouppurchase_list",
                      "relief.GroupPurchase")
        menu.register(group, _("Needs surveys"), "relief:survey_list", "relief.Survey")
        menu.register(group, _("Surveys for my household"), "relief:survey_mine",
                      "relief.SurveyResponse", roles=(Role.RESIDENT,))
        menu.register(group, _("Needs requests"), "relief:needrequest_list", "relief.NeedRequest",
                      roles=WORKERS)
        menu.register(group, _("New request"), "relief:request_new", "relief.NeedRequest",
                      roles=FILERS)
        menu.register(group, _("My requests"), "relief:request_mine", "relief.NeedRequest",
                      roles=(Role.RESIDENT,))
        menu.register(group, _("Unmet needs"), "relief:needs_board", "relief.NeedRequest",
                      roles=WORKERS)
        menu.register(group, _("Dispatch"), "relief:dispatch_board", "relief.DispatchBatch",
                      roles=WORKERS)
        menu.register(group, _("My deliveries"), "relief:dispatch_mine", "relief.DispatchBatch",
                      roles=(Role.VOLUNTEER,))
        pages.DASHBOARD_PANELS.append(requests_panel)
        from resilience.relief.views.supplies import supplies_panel

        pages.DASHBOARD_PANELS.append(supplies_panel)
