"""Grade badges: the four colours of the risk map, with text that stays readable on each."""
from __future__ import annotations

from django.utils.html import format_html
from django.utils.translation import gettext as _

from resilience.risks.vocab import GRADE_COLOUR, GRADE_HEX, GRADE_ORDER, Grade

# Dark text on orange and yellow, white on red and blue: each pair passes WCAG AA.
TEXT_ON = {"red": "#ffffff", "orange": "#1f2328", "yellow": "#1f2328", "blue": "#ffffff"}


def grade_info(grade: str) -> dict:
    """Label, colour name, fill and text colour of a grade ('' when not assessed)."""
    colour = GRADE_COLOUR.get(grade, "")
    return {
        "grade": grade,
        "label": Grade(grade).label if grade in Grade.values else _("not assessed"),
        "colour": colour,
        "hex": GRADE_HEX.get(colour, "#8c959f"),
        "text": TEXT_ON.get(colour, "#ffffff"),
    }


def grade_badge(grade: str, score: float | None = None) -> str:
    """A badge in the grade's colour, e.g. a red "major"; a grey one when not assessed."""
    info = grade_info(grade)
    text = str(info["label"]) if score is None else f"{info['label']} · {score:g}"
    return format_html(
        '<span class="grade-badge grade-{}" data-grade="{}" style="background:{};color:{}">{}</span>',
        grade or "none", grade, info["hex"], info["text"], text)


def inputs_text(inputs: dict) -> str:
    """An assessment's inputs as people read them: "likelihood 5 × consequence 4", "L 3 × E 6 × C 15"."""
    names = {"likelihood": _("likelihood"), "consequence": _("consequence")}
    return " × ".join(f"{names.get(k, k.upper())} {v:g}" if isinstance(v, (int, float))
                      else f"{names.get(k, k.upper())} {v}" for k, v in (inputs or {}).items())


def legend() -> list[dict]:
    """The four grades, most severe first, for legends."""
    return [grade_info(g) for g in GRADE_ORDER]
