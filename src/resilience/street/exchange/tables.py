"""Roll-ups as spreadsheet files: CSV (UTF-8 with BOM) and XLSX (one sheet per level).

Cells that look like a formula get an apostrophe in CSV and are typed as text in XLSX, so a
community called "=…" never runs in somebody's spreadsheet.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

from django.utils import timezone

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "true" if value else "false"
    if not isinstance(value, str):
        return str(value)
    return "'" + value if value.startswith(FORMULA_START) else value


def csv_bytes(names: list[str], rows: list[dict]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(names)
    for row in rows:
        writer.writerow([cell_text(row.get(name)) for name in names])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _xlsx_value(sheet, value):
    from openpyxl.cell import WriteOnlyCell

    if isinstance(value, dt.datetime):
        # Excel has no time zones: local wall-clock time, as the people who read it live it
        if timezone.is_aware(value):
            value = timezone.localtime(value).replace(tzinfo=None)
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "yyyy-mm-dd hh:mm"
        return cell
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, str) and value.startswith(FORMULA_START):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def xlsx_bytes(sheets: list[tuple[str, list[str], list[dict]]]) -> bytes:
    """A workbook with one sheet per ``(title, names, rows)``: a bold frozen header of field
    names, then the rows."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    for title, names, rows in sheets:
        sheet = workbook.create_sheet(title=title[:31])
        sheet.freeze_panes = "A2"
        header = []
        for name in names:
            cell = WriteOnlyCell(sheet, value=name)
            cell.font = bold
            header.append(cell)
        sheet.append(header)
        for row in rows:
            sheet.append([_xlsx_value(sheet, row.get(name)) for name in names])
    stream = io.BytesIO()
    workbook.save(stream)
    return stream.getvalue()
