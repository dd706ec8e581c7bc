"""Fuzzing the CSV/XLSX import of residents, buildings, facilities and volunteers.

The contract under hostile files (random bytes, encodings, headers, huge fields, formula cells,
random unicode, odd XLSX cell types, truncated zips): ``import_file`` returns a ``Report`` —
never raises — and either imports everything or writes nothing, with a reason for each problem;
the upload page never answers 500 and its job never ends in "an error in the platform".

Examples per test: ``RESILIENCE_FUZZ_EXAMPLES`` (default small; see docs/reliability.md).
"""
import datetime as dt
import io
import os

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from resilience.core.models import ChangeLogEntry
from resilience.people.models import Household, ImportJob, Resident, Volunteer
from resilience.people.transfer.exporting import build_table, write_table
from resilience.people.transfer.importing import IMPORTERS, KINDS, import_file
from resilience.people.transfer.report import Report
from resilience.places.models import Building, Facility, Unit

EXAMPLES = int(os.environ.get("RESILIENCE_FUZZ_EXAMPLES", "0")) or None
PLATFORM_ERROR = "error in the platform"


def bounded(default: int):
    return settings(max_examples=EXAMPLES or default, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow, HealthCheck.data_too_large])


def counts() -> dict:
    return {model.__name__: model.objects.count()
            for model in (Resident, Household, Unit, Building, Facility, Volunteer, ChangeLogEntry)}


# --- what may arrive ----------------------------------------------------------------------------

def _headers() -> list[str]:
    names = []
    for importer in IMPORTERS.values():
        for column in importer.columns:
            names += [column.key, str(column.label), *column.aliases]
    return sorted(set(names))


HEADERS = _headers()
FORMULAS = ["=cmd|' /C calc'!A0", "=HYPERLINK(\"http://evil.example\",\"x\")", "+1+1", "-2+3",
            "@SUM(1,1)", "=1+1", "'=1+1", "\t=1", "=WEBSERVICE(\"http://x\")"]
KNOWN = ["B1", "B2", "Building A1", "1号楼", "3栋", "101", "201", "1单元", "一单元", "张三", "男",
         "女", "1950-01-01", "1960/5/6", "19500301", "2030-13-45", "13812345678", "户主", "独居老人",
         "低保、火星人", "shelter", "避难场所", "31.23", "121.47", "是", "否", "G1", "Grid A1", "0",
         "-1", "1e308", "nan", "inf", "110101195804020011", "A" * 300]
cell_text = (st.sampled_from(KNOWN + FORMULAS + HEADERS) | st.text(max_size=40)
             | st.text(st.characters(codec="utf-8"), max_size=20))
csv_cells = cell_text | st.just("") | st.sampled_from(['"', '""', '"a,b"', ",", ";", "\t", "\n"])
header_row = st.lists(st.sampled_from(HEADERS) | st.text(max_size=10), min_size=0, max_size=12)
ENCODINGS = ["utf-8", "utf-8-sig", "gb18030", "latin-1", "utf-16", "cp1252", "big5"]


def _line(cells: list[str], delimiter: str) -> str:
    return delimiter.join(cells)


@st.composite
def csv_files(draw) -> bytes:
    delimiter = draw(st.sampled_from([",", ",", "\t", ";", "|"]))
    title = draw(st.lists(st.text(max_size=20), max_size=2))
    header = draw(header_row)
    body = draw(st.lists(st.lists(csv_cells, max_size=14), max_size=8))
    lines = title + [_line(header, delimiter)] + [_line(row, delimiter) for row in body]
    text = draw(st.sampled_from(["\n", "\r\n", "\r"])).join(lines)
    if draw(st.booleans()):
        # A huge field, past the csv module's limit, or a NUL beyond the binary sniffing window.
        text += "\n" + draw(st.sampled_from(["x" * 140_000, "B1,101," + "张" * 5000 + "\x00"]))
    encoding = draw(st.sampled_from(ENCODINGS))
    return text.encode(encoding, errors="replace")


@st.composite
def plausible_csv(draw) -> bytes:
    """A file shaped like a real one of any kind — every required column, maybe the others —
    with cells that are often right, so that whole imports happen too."""
    kind = draw(st.sampled_from(KINDS))
    # Columns that only make sense together, or that a row without an ID number needs.
    together = {"latitude": "longitude", "longitude": "latitude", "sex": "birth_date",
                "birth_date": "sex", "kind": "capacity"}
    chosen = {c.key for c in IMPORTERS[kind].columns if c.required or draw(st.booleans())}
    chosen |= {together[k] for k in chosen if k in together}
    chosen |= {"sex", "birth_date"} if kind == "residents" else set()
    columns = [c for c in IMPORTERS[kind].columns if c.key in chosen]
    header = [draw(st.sampled_from([c.key, str(c.label), *c.aliases])) for c in columns]
    good = {"building": ["B1", "Building A1", "B2"], "room": ["101", "102室", "9" * 16],
            "name": ["张三", "李四", "Wang Fang"], "grid": ["G1", "Grid A1"],
            "kind": ["shelter", "避难场所", "warehouse"], "code": [f"F{n}" for n in range(5)],
            "sex": ["男", "女", "F"], "birth_date": ["1950-01-01", "19600506"],
            "phone": ["13812345678", "021-63211234"], "latitude": ["31.235"],
            "longitude": ["121.475"], "floors": ["6"], "capacity": ["100"]}
    noisy = draw(st.booleans())
    rows = []
    for n in range(draw(st.integers(1, 6))):
        unique = {"code": [f"FZ{n}"], "phone": [f"1381234{n:04d}"]}  # codes, phones: once a file
        cells = []
        for column in columns:
            value = st.sampled_from(unique.get(column.key) or good.get(column.key, [""]))
            cells.append(draw(value | cell_text if noisy else value))
        rows.append([c.replace(",", " ").replace("\n", " ").replace("\r", " ")
                     .replace('"', "'") for c in cells])
    lines = [",".join(header)] + [",".join(row) for row in rows]
    return "\r\n".join(lines).encode(draw(st.sampled_from(["utf-8", "utf-8-sig", "gb18030"])),
                                       errors="replace")


raw_files = st.one_of(
    st.binary(max_size=600),
    st.binary(max_size=300).map(lambda b: b"PK\x03\x04" + b),  # looks like a zip
    st.binary(max_size=300).map(lambda b: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b),  # old .xls
    st.binary(max_size=300).map(lambda b: b"\xef\xbb\xbf" + b),
    st.binary(max_size=300).map(lambda b: b"\xff\xfe" + b),
)

# openpyxl refuses control characters in cells; anything else may be in a sheet.
sheet_text = st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=60)
xlsx_values = st.one_of(
    st.none(), st.booleans(), st.integers(-10**15, 10**15), st.floats(allow_nan=False),
    st.dates(dt.date(1900, 1, 1)), st.datetimes(dt.datetime(1900, 1, 1)),
    st.times(), st.sampled_from(KNOWN + FORMULAS + HEADERS),
    sheet_text,
    st.just("长" * 32_000),
)


@st.composite
def xlsx_files(draw) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    if draw(st.booleans()):
        sheet.append(draw(st.lists(xlsx_values, max_size=3)))  # a title row
    sheet.append(draw(st.lists(st.sampled_from(HEADERS) | sheet_text, max_size=12)))
    for row in draw(st.lists(st.lists(xlsx_values, max_size=14), max_size=6)):
        sheet.append(row)
    stream = io.BytesIO()
    workbook.save(stream)
    data = stream.getvalue()
    cut = draw(st.sampled_from([None, None, "truncate", "flip"]))
    # The position is drawn before it is fitted to the size: a workbook's size varies with the
    # clock (its saved time), and hypothesis wants the same draws for the same example.
    at = 4 + draw(st.integers(0, 2**20)) % (len(data) - 4)
    if cut == "truncate":
        data = data[:at]
    elif cut == "flip":
        data = data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1:]
    return data


any_file = csv_files() | plausible_csv() | raw_files | xlsx_files()


def check_import(kind: str, data: bytes, community, user=None, dry_run=False) -> Report:
    """Import and hold the contract: a report; all or nothing; a reason for every problem."""
    before = counts()
    report = import_file(kind, data, community, user=user, dry_run=dry_run, file_name="fuzz")
    assert isinstance(report, Report)
    try:
        event(f"{kind}: {'imported' if report.ok and not dry_run else 'refused'}")
    except InvalidArgument:  # not inside a hypothesis test
        pass
    after = counts()
    if report.ok and not dry_run:
        assert after[type_of(kind)] == before[type_of(kind)] + report.imported
    else:
        assert after == before, report.as_text()
        if not report.ok:
            assert all(p.reason.strip() for p in report.problems)
            text = report.as_text()  # the report renders, whatever was in the file
            assert text
    return report


def type_of(kind: str) -> str:
    return {"residents": "Resident", "buildings": "Building", "facilities": "Facility",
            "volunteers": "Volunteer"}[kind]


# --- the service --------------------------------------------------------------------------------

@bounded(200)
@example(kind="residents", data="姓名,楼栋,房号\n" + "x" * 140_000)
@example(kind="residents", data=b"\xef\xbb\xbf\xe5\xa7\x93\xe5\x90\x8d,\xe5\xa7\x93\xe5\x90\x8d")
@example(kind="volunteers", data="姓名,电话\n=cmd|' /C calc'!A0,13812345678\n")
@example(kind="buildings", data=b"PK\x03\x04\x14\x00\x00\x00")
@given(kind=st.sampled_from(KINDS), data=any_file)
def test_any_file_gives_a_report_and_writes_all_or_nothing(world, kind, data):
    if isinstance(data, str):
        data = data.encode()
    check_import(kind, data, world.community_a)


@bounded(60)
@given(data=plausible_csv(), kind=st.sampled_from(KINDS))
def test_files_shaped_like_real_ones_import_whole_or_not_at_all(world, data, kind):
    """Mostly-right files of every kind (some rows good, some not): all rows or none."""
    check_import(kind, data, world.community_a)


@bounded(60)
@given(kind=st.sampled_from(KINDS), data=csv_files() | plausible_csv() | xlsx_files(),
       user=st.sampled_from(["staff_a", "grid_worker_a1", "volunteer_a", "outsider"]))
def test_any_file_from_any_user_gives_a_report(world, kind, data, user):
    check_import(kind, data, world.community_a, user=world.users[user],
                 dry_run=user == "outsider")


@bounded(30)
@example(name="=a\x0bb", fmt="xlsx")  # a vertical tab: XLSX export failed (IllegalCharacterError)
@given(name=st.sampled_from(FORMULAS) | st.text(min_size=1, max_size=30).map(lambda s: "=" + s),
       fmt=st.sampled_from(["csv", "xlsx"]))
def test_formula_cells_import_as_text_and_export_defused(world, name, fmt):
    """A formula-looking name is data: stored as given, written back so no spreadsheet runs it."""
    data = f"姓名,电话\n{name.replace(',', ' ').replace(chr(10), ' ')},\n".encode("utf-8")
    report = check_import("volunteers", data, world.community_a)
    if not report.ok:
        return
    stored = Volunteer.objects.order_by("-pk").first()
    stream = io.BytesIO()
    write_table(build_table("volunteers", community=world.community_a), fmt, stream)
    if fmt == "csv":
        body = stream.getvalue().decode("utf-8-sig")
        for line in body.splitlines()[1:]:
            for cell in line.split(","):
                assert not cell.lstrip('"').startswith(("=", "+", "-", "@")), line
    else:
        sheet = openpyxl.load_workbook(io.BytesIO(stream.getvalue())).active
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                assert cell.data_type != "f", (cell.coordinate, cell.value)
    stored.delete()


# --- the upload page ----------------------------------------------------------------------------

@bounded(40)
@example(kind="residents", data=b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1junk")
@example(kind="residents", data="楼栋,房号,姓名\nB1,101," + "张" * 5000 + "\n" + "a" * 5000
         + "\x00,b\n")
@given(kind=st.sampled_from(KINDS), data=any_file)
def test_an_upload_of_any_file_ends_in_a_report_never_a_platform_error(world, client, kind,
                                                                       data):
    if isinstance(data, str):
        data = data.encode()
    client.force_login(world.users["staff_a"])
    before = counts()
    with override_settings(RESILIENCE_IMPORT_IN_BACKGROUND=False):
        response = client.post(reverse("people:import"), {
            "kind": kind, "community": world.community_a.pk, "crs": "wgs84",
            "file": SimpleUploadedFile("花名册.csv", data, "text/csv")})
    assert response.status_code in (302, 400), response.status_code
    if response.status_code == 400:  # an empty upload: a form error, no job
        assert counts() == before
        return
    job = ImportJob.objects.order_by("-pk").first()
    assert job.status in ("succeeded", "failed")
    reasons = [p["reason"] for p in job.report.get("problems", [])]
    assert not any(PLATFORM_ERROR in r for r in reasons), reasons
    if job.status == "failed":
        assert reasons and counts() == before
    page = client.get(job.get_absolute_url())
    assert page.status_code == 200
    job.delete()


@pytest.mark.parametrize("kind", KINDS)
def test_a_truncated_workbook_is_refused_as_a_file_problem(world, kind):
    workbook = openpyxl.Workbook()
    workbook.active.append(["姓名", "楼栋", "房号", "编号", "名称", "网格", "类型"])
    workbook.active.append(["张三", "B1", "101", "X1", "X", "G1", "shelter"])
    stream = io.BytesIO()
    workbook.save(stream)
    report = check_import(kind, stream.getvalue()[:-200], world.community_a)
    assert not report.ok and report.file_problems


def test_every_damaged_byte_of_a_workbook_gives_rows_or_a_file_error():
    """Flip bytes all over a small workbook (every ``STRIDE``-th): rows or ``FileError``. Before
    the fix a flipped byte in the compressed sheet raised ``zlib.error`` out of the import."""
    from resilience.people.transfer.readers import FileError, read_rows

    workbook = openpyxl.Workbook()
    workbook.active.append(["姓名", "楼栋", "房号"])
    for n in range(20):
        workbook.active.append([f"张{n}", "B1", 100 + n])
    stream = io.BytesIO()
    workbook.save(stream)
    data = stream.getvalue()
    stride = 1 if EXAMPLES else 5
    outcomes = {"rows": 0, "refused": 0}
    for at in range(0, len(data), stride):
        damaged = data[:at] + bytes([data[at] ^ 0xFF]) + data[at + 1:]
        try:
            read_rows(damaged, "damaged.xlsx")
        except FileError as exc:
            assert str(exc)
            outcomes["refused"] += 1
        else:
            outcomes["rows"] += 1
    assert outcomes["refused"] > 0
