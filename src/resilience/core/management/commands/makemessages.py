"""``makemessages`` that also extracts ``_l("…")``: several modules import gettext_lazy as ``_l``."""
from django.core.management.commands import makemessages


class Command(makemessages.Command):
    xgettext_options = [*makemessages.Command.xgettext_options, "--keyword=_l"]
