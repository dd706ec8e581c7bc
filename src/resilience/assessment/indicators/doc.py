"""The indicator table of ``docs/indicators.md``, generated from the catalogue so the two cannot
drift apart (a test compares them)."""
from __future__ import annotations

from django.utils import translation

from resilience.assessment.catalogue import catalogue
from resilience.assessment.vocab import Dimension, Source


def _cell(text) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _number(value: float) -> str:
    return f"{value:g}"


def markdown_table() -> str:
    """Every indicator, dimension by dimension, as a Markdown table (in English)."""
    order = list(Dimension.values)
    rows = sorted(catalogue().values(), key=lambda i: (order.index(i.dimension), i.code))
    with translation.override("en"):
        lines = ["| code | dimension | name | definition | unit | target | worst | source |",
                 "| --- | --- | --- | --- | --- | --- | --- | --- |"]
        for i in rows:
            lines.append("| " + " | ".join([
                f"`{i.code}`", _cell(Dimension(i.dimension).label), _cell(i.name),
                _cell(i.definition), _cell(i.unit), _number(i.target), _number(i.worst),
                _cell(Source(i.source).label)]) + " |")
    return "\n".join(lines)
