from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ShelterConfig(AppConfig):
    name = "resilience.shelters"
    label = "shelters"
    verbose_name = _("Shelters and evacuation")

    def ready(self) -> None:
        from resilience.core.views import menu, pages
        from resilience.shelters import signals  # noqa: F401  (connects the receivers)
        from resilience.shelters.views import maps

        group = _("Shelters")
        menu.register(group, _("Shelters"), "shelters:shelter_list", "shelters.Shelter")
        menu.register(group, _("Evacuation"), "shelters:evacuation_choose", "shelters.PathEdge")
        pages.MAP_LAYERS.append(maps.map_layer)
