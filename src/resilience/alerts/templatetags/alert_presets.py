"""``{% alert_presets as presets %}``: the ready-made alert texts, for the authoring page."""
from django import template
from django.utils import translation

from resilience.alerts.presets import PRESETS

register = template.Library()


@register.simple_tag
def alert_presets() -> list[dict]:
    english = (translation.get_language() or "").startswith("en")
    return [{"key": p.key, "label": p.headline_en if english else p.headline, "level": p.level}
            for p in PRESETS]
