"""Exporting the registry to CSV, XLSX or GeoJSON: only the rows the user may see, personal data
masked unless revealed — and every reveal written to the access log first."""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.contrib.auth import get_user_model
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.translation import gettext as _

from resilience.core.services import log_bulk_reveal
from resilience.people.transfer.tables import EXPORT_KINDS, ExportColumn
from resilience.places.models import Community

KINDS = tuple(EXPORT_KINDS)
FORMATS = ("csv", "xlsx", "geojson")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "geojson": "application/geo+json",
}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class ExportError(Exception):
    """The export cannot be made as asked; the message says why."""


class RevealDenied(ExportError):
    """Personal data was asked for in clear on rows the user may not reveal."""


@dataclass
class Table:
    """The rows of an export, ready to be written in any format."""

    kind: str
    columns: tuple[ExportColumn, ...]
    rows: list[list[Any]]
    geometries: list[dict | None]
    revealed: bool


def build_table(kind: str, user=None, community: Community | None = None, reveal: bool = False) -> Table:
    """The ``kind`` rows ``user`` may see (all of them for ``user`` None, the operator), in
    ``community`` if given. Personal fields are masked unless ``reveal``, which needs the
    ``reveal`` action on every row and is written to the access log."""
    if kind not in EXPORT_KINDS:
        raise ExportError(_("Unknown export %(kind)r.") % {"kind": kind})
    spec = EXPORT_KINDS[kind]
    manager = spec.model.objects
    queryset = manager.all() if user is None else manager.visible_to(user, "view")
    if community is not None:
        queryset = queryset.filter(community=community)
    queryset = queryset.select_related(*spec.related)
    if spec.annotate:
        queryset = queryset.annotate(**spec.annotate)
    revealed = bool(reveal and spec.sensitive_fields)
    if revealed and user is not None:
        total = queryset.count()
        allowed = manager.visible_to(user, "reveal").filter(pk__in=queryset.values("pk")).count()
        if allowed < total:
            raise RevealDenied(_("You may not see personal data of %(n)d of these %(total)d records; "
                                 "export them masked.") % {"n": total - allowed, "total": total})
    objects = list(queryset)
    if revealed:
        log_bulk_reveal(user, objects, spec.sensitive_fields, channel="export")
    rows = [[column.get(obj, revealed) for column in spec.columns] for obj in objects]
    return Table(kind, spec.columns, rows, [spec.geometry(obj) for obj in objects], revealed)


def _csv_cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if not isinstance(value, str):
        return str(value)
    # Spreadsheets run cells that start like a formula; an apostrophe keeps them text.
    return "'" + value if value.startswith(FORMULA_START) else value


def write_csv(table: Table, stream: IO[bytes]) -> None:
    """UTF-8 with a BOM, so that Excel opens Chinese text correctly."""
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="", write_through=True)
    writer = csv.writer(text)
    writer.writerow([str(c.label) for c in table.columns])
    for row in table.rows:
        writer.writerow([_csv_cell(v) for v in row])
    text.flush()
    text.detach()


def write_xlsx(table: Table, stream: IO[bytes]) -> None:
    """One sheet, a bold frozen header; text stays text (ID numbers keep their digits)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=str(table.kind)[:31])
    sheet.freeze_panes = "A2"
    for index, column in enumerate(table.columns):
        letter = _column_letter(index)
        sheet.column_dimensions[letter].width = 22 if column.sensitive or column.key == "name" else 14
    bold = Font(bold=True)
    header = []
    for column in table.columns:
        cell = WriteOnlyCell(sheet, value=str(column.label))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in table.rows:
        sheet.append([_xlsx_cell(sheet, value) for value in row])
    workbook.save(stream)


def _xlsx_cell(sheet, value):
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, str):
        # XLSX cannot hold most control characters, and openpyxl refuses the whole sheet over
        # one; a name imported from a CSV file may carry one (found by
        # tests/reliability/test_fuzz_import.py). They print as nothing anyway.
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    if isinstance(value, str) and value.startswith("="):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"  # a value, never a formula
        return cell
    return value


def _column_letter(index: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(index + 1)


def write_geojson(table: Table, stream: IO[bytes]) -> None:
    """A FeatureCollection in WGS-84; properties keyed by column code."""
    features = [
        {"type": "Feature", "geometry": geometry,
         "properties": {c.key: value for c, value in zip(table.columns, row)}}
        for row, geometry in zip(table.rows, table.geometries)
    ]
    data = {"type": "FeatureCollection", "features": features}
    stream.write(json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).encode("utf-8"))


WRITERS = {"csv": write_csv, "xlsx": write_xlsx, "geojson": write_geojson}


def write_table(table: Table, fmt: str, stream: IO[bytes]) -> None:
    if fmt not in WRITERS:
        raise ExportError(_("Unknown format %(format)r: use csv, xlsx or geojson.") % {"format": fmt})
    WRITERS[fmt](table, stream)


def file_name(kind: str, fmt: str, community: Community | None = None) -> str:
    place = community.code if community is not None else "all"
    return f"{kind}-{place}-{dt.date.today():%Y%m%d}.{fmt}"


def run_export(kind: str, output: Path, fmt: str = "csv", community_code: str | None = None,
               username: str | None = None, reveal: bool = False) -> int:
    """The ``resilience export`` command: returns the number of rows written to ``output``."""
    community = None
    if community_code:
        community = Community.objects.filter(code=community_code).first()
        if community is None:
            raise ExportError(_("No community with code %(code)r.") % {"code": community_code})
    user = None
    if username:
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise ExportError(_("No active user named %(name)r.") % {"name": username})
    if fmt not in WRITERS:
        raise ExportError(_("Unknown format %(format)r: use csv, xlsx or geojson.") % {"format": fmt})
    table = build_table(kind, user=user, community=community, reveal=reveal)
    buffer = io.BytesIO()
    write_table(table, fmt, buffer)
    Path(output).write_bytes(buffer.getvalue())
    return len(table.rows)
