"""Reading spreadsheet files as community workers keep them: CSV in UTF-8 (with or without BOM),
GB18030 or UTF-16 (Excel's "Unicode text"), and XLSX. Rows come out as lists of raw cell values
with their row number as the spreadsheet shows it."""
from __future__ import annotations

import csv
import io
import zipfile

from django.utils.translation import gettext as _

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old binary .xls format
DELIMITERS = (",", "\t", ";")

Row = tuple[int, list]  # (row number, cell values)


class FileError(Exception):
    """The file as a whole cannot be read; the message says why, for the person who uploaded it."""


def decode_text(data: bytes) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was in: UTF-8 with BOM, UTF-16 with BOM,
    UTF-8, else GB18030 (a superset of GBK and GB2312)."""
    if data.startswith(b"\xef\xbb\xbf"):
        candidates = ["utf-8-sig"]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8", "gb18030"]
    for encoding in candidates:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _looks_binary(text):
            break
        return text, encoding
    raise FileError(_("The file is not text in UTF-8 or GB18030 (GBK), nor an XLSX workbook. "
                      "Save it from the spreadsheet as \"CSV UTF-8\" or as .xlsx."))


def _looks_binary(text: str) -> bool:
    sample = text[:4096]
    return any(ord(ch) < 32 and ch not in "\t\r\n\f\v" for ch in sample)


def read_csv(text: str) -> list[Row]:
    # Count over the first lines, not the first alone: it may be a title (XX社区居民花名册).
    sample = [line for line in text[:65536].splitlines() if line.strip()][:10]
    delimiter = max(DELIMITERS, key=lambda d: (sum(line.count(d) for line in sample), d == ","))
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[Row] = []
    line = 0
    try:
        for cells in reader:
            start, line = line + 1, reader.line_num
            if any(c.strip() for c in cells):
                rows.append((start, _trim(cells)))
    except csv.Error as exc:
        raise FileError(_("The CSV file is malformed near line %(line)d: %(error)s")
                        % {"line": line + 1, "error": exc})
    return rows


def read_xlsx(data: bytes) -> list[Row]:
    import openpyxl

    workbook = None
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        if not workbook.worksheets:
            raise FileError(_("The workbook has no sheets."))
        sheet = workbook.worksheets[0]
        rows: list[Row] = []
        for number, cells in enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1):
            cells = list(cells)
            if any(_filled(c) for c in cells):
                rows.append((number, _trim(cells)))
        return rows
    except FileError:
        raise
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise FileError(_("The XLSX workbook cannot be opened: %(error)s") % {"error": exc})
    except Exception as exc:
        # A damaged workbook fails with whatever its layers raise — zlib.error, XML ParseError,
        # IndexError… — on opening or, since the sheet is read lazily, on reading it (found by
        # tests/reliability/test_fuzz_import.py). The person who uploaded it needs one reason.
        raise FileError(_("The XLSX workbook is damaged and cannot be read: %(error)s")
                        % {"error": f"{type(exc).__name__}: {exc}"[:200]}) from None
    finally:
        if workbook is not None:
            workbook.close()


def read_rows(data: bytes, file_name: str = "") -> list[Row]:
    """The non-empty rows of a CSV or XLSX file (the first sheet of a workbook)."""
    if not data.strip():
        raise FileError(_("The file is empty."))
    if data.startswith(OLE_MAGIC):
        raise FileError(_("Old Excel .xls files cannot be read: save the sheet as .xlsx or CSV."))
    if data.startswith(ZIP_MAGIC):
        return read_xlsx(data)
    text, _encoding = decode_text(data)
    return read_csv(text)


def _filled(value) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _trim(cells: list) -> list:
    while cells and not _filled(cells[-1]):
        cells.pop()
    return cells
