from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "resilience.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from resilience.core import changelog  # noqa: F401  (connects the change-log receivers)
        from resilience.core import middleware  # noqa: F401  (stamps the idle timer at sign-in)
