"""Columns of an import file: what each one means, the headers it goes by (Chinese or English), and
finding them in a file's header row."""
from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from resilience.core import crypto
from resilience.people.transfer.parsers import normalise_header, text
from resilience.people.transfer.readers import Row
from resilience.people.transfer.report import Report

HEADER_SEARCH_ROWS = 10  # a sheet may start with a title row or two (XX社区居民花名册)


@dataclass(frozen=True)
class Column:
    """One column an importer understands: ``label`` is its translatable English header."""

    key: str
    label: Promise
    aliases: tuple[str, ...] = ()
    required: bool = False
    mask: str = ""  # "id" or "phone": how to show its value in a report

    def header_keys(self) -> set[str]:
        keys = {normalise_header(self.key), normalise_header(str(self.label))}
        keys.update(normalise_header(alias) for alias in self.aliases)
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                keys.add(normalise_header(str(self.label)))
        keys.discard("")
        return keys

    def example(self) -> str:
        """The English header and the first Chinese alias, e.g. ``name (姓名)``."""
        chinese = next((a for a in self.aliases if not a.isascii()), "")
        return f"{self.label} ({chinese})" if chinese else str(self.label)

    def shown(self, value) -> str:
        """A cell value as a report may show it: personal numbers masked."""
        value = text(value)
        if self.mask == "id":
            return crypto.mask_id_number(value)
        if self.mask == "phone":
            return crypto.mask_phone(value)
        return value


@dataclass
class Header:
    """Where each known column is in the file, and what the file calls it."""

    row: int
    index: dict[str, int] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)


def _match(cells: list, columns: tuple[Column, ...]) -> tuple[dict[str, list[int]], list[str]]:
    by_key = {}
    for column in columns:
        for header_key in column.header_keys():
            by_key.setdefault(header_key, column.key)
    found: dict[str, list[int]] = {}
    ignored = []
    for index, cell in enumerate(cells):
        name = normalise_header(cell)
        if not name:
            continue
        column_key = by_key.get(name)
        if column_key is None:
            ignored.append(text(cell))
        else:
            found.setdefault(column_key, []).append(index)
    return found, ignored


def find_header(rows: list[Row], columns: tuple[Column, ...], report: Report) -> Header | None:
    """The header: the first row naming two or more known columns (else the first row).

    Missing required columns and columns given twice are file problems in ``report``; returns
    None when there are any.
    """
    if not rows:
        report.add(None, "", "", _("The file has no rows."))
        return None
    chosen = 0
    for position, (_number, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if len(_match(cells, columns)[0]) >= 2:
            chosen = position
            break
    number, cells = rows[chosen]
    found, ignored = _match(cells, columns)
    header = Header(row=number, ignored=ignored)
    for column in columns:
        indexes = found.get(column.key, [])
        if len(indexes) > 1:
            names = "、".join(text(cells[i]) for i in indexes)
            report.add(None, names, "", _("These columns all mean %(column)s: keep one.") % {
                "column": column.label})
        elif indexes:
            header.index[column.key] = indexes[0]
            header.names[column.key] = text(cells[indexes[0]])
        elif column.required:
            report.add(None, column.example(), "", _("Missing required column %(column)s.") % {
                "column": column.example()})
    return None if report.problems else header


def data_rows(rows: list[Row], header: Header) -> list[Row]:
    return [row for row in rows if row[0] > header.row]


def values(cells: list, header: Header) -> dict:
    """Column key → raw value of one row (None where the row is short)."""
    return {k: (cells[i] if i < len(cells) else None) for k, i in header.index.items()}
