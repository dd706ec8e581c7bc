from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StreetConfig(AppConfig):
    """The street and district view (DESIGN §1, issue 13): the command dashboard over many
    communities, roll-ups without personal data, mutual aid between communities, region-wide
    warnings and the versioned data exchange for upstream departments."""

    name = "resilience.street"
    label = "street"
    verbose_name = _("Street and district")

    def ready(self) -> None:
        from resilience.core.roles import Role
        from resilience.core.views import menu

        group = _("Street")
        menu.register(group, _("Mutual aid"), "street:aid_board", "street.AidRequest")
        menu.register(group, _("Ask the street for help"), "street:aid_new", "street.AidRequest",
                      roles=(Role.STAFF,))
        menu.register(group, _("Street records"), "street:aid_records", "street.StockTransfer")
        menu.register(group, _("Region-wide warnings"), "street:broadcast_list",
                      "street.Broadcast")
        dashboard_roles = (Role.ADMIN, Role.OFFICE, Role.STAFF)  # street dashboard helper
        menu.register(group, _("Command dashboard"), "street_dashboard:board", "places.Community",
                      roles=dashboard_roles)
        menu.register(group, _("Roll-ups"), "street_dashboard:rollups", "places.Community",
                      roles=dashboard_roles)
        menu.register(group, _("Data exchange"), "street_dashboard:exchange", "places.Community",
                      roles=dashboard_roles)
