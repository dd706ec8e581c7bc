"""Exports hold only what the user may see, personal data masked unless revealed, and every reveal
is in the access log."""
import csv
import datetime as dt
import io
import json
import re

import openpyxl
import pytest

from resilience.core.models import AccessLogEntry
from resilience.core.testing import make_id_number
from resilience.people.models import Resident
from resilience.people.transfer.exporting import (
    ExportError, RevealDenied, build_table, run_export, write_table,
)
from resilience.people.transfer.importing import run_import

MASKED_ID = re.compile(r"^\d{3}\*{11}[\dX]{4}$")


@pytest.fixture
def beijing_resident(world):
    """A resident of community A with an ID number from Beijing (110…) and a health tag."""
    birth = dt.date(1948, 8, 8)
    number = make_id_number(birth, 77, female=False, region="110101")
    resident = Resident.objects.create(
        community=world.community_a, household=world.household_a1, name="老王", sex="male",
        birth_date=birth, id_number=number, phone="13712345678",
        vulnerability='["dialysis", "elderly_alone"]', emergency_contact_phone="13698765432",
        notes="=HYPERLINK(\"http://evil\")")
    return resident


def read_csv(path) -> list[dict]:
    text = path.read_bytes().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def test_a_masked_export_hides_id_numbers_phones_and_health_tags(world, beijing_resident, tmp_path):
    out = tmp_path / "residents.csv"
    count = run_export("residents", out, fmt="csv", community_code="comm-a", username="staff_a")
    rows = read_csv(out)
    assert count == len(rows) == 3
    wang = next(r for r in rows if r["name"] == "老王")
    assert MASKED_ID.match(wang["ID number"]) and wang["ID number"].startswith("110***********")
    assert wang["ID number"] == "110***********" + beijing_resident.id_number[-4:]
    assert wang["phone"] == "137****5678" and wang["emergency phone"] == "136****5432"
    assert wang["vulnerability"] == "elderly living alone"  # dialysis is health data
    assert wang["notes"].startswith("'=")  # never a live formula in a spreadsheet
    assert all(MASKED_ID.match(r["ID number"]) for r in rows)
    assert not AccessLogEntry.objects.exists()


def test_an_export_holds_only_the_rows_in_the_users_scope(world, tmp_path):
    out = tmp_path / "all.csv"
    run_export("residents", out, fmt="csv", username="staff_a")
    rows = read_csv(out)
    assert {r["community"] for r in rows} == {"comm-a"}
    assert {r["name"] for r in rows} == {"Resident A1", "Resident A2"}
    run_export("residents", out, fmt="csv", username="grid_worker_a1")
    assert [r["name"] for r in read_csv(out)] == ["Resident A1"]
    run_export("residents", out, fmt="csv", username="volunteer_a")
    assert read_csv(out) == []
    run_export("residents", out, fmt="csv")  # the operator sees everything
    assert len(read_csv(out)) == 6


def test_reveal_shows_personal_data_and_writes_the_access_log(world, beijing_resident, tmp_path):
    out = tmp_path / "revealed.xlsx"
    count = run_export("residents", out, fmt="xlsx", community_code="comm-a", username="staff_a",
                       reveal=True)
    entries = AccessLogEntry.objects.filter(channel="export")
    assert entries.count() == count == 3
    assert {e.user for e in entries} == {world.users["staff_a"]}
    entry = entries.get(object_id=beijing_resident.pk)
    assert "id_number" in entry.fields and "vulnerability" in entry.fields
    sheet = openpyxl.load_workbook(out).active
    header = [c.value for c in sheet[1]]
    rows = [dict(zip(header, (c.value for c in row))) for row in sheet.iter_rows(min_row=2)]
    wang = next(r for r in rows if r["name"] == "老王")
    assert wang["ID number"] == beijing_resident.id_number  # text, every digit kept
    assert wang["birth date"] == dt.datetime(1948, 8, 8)
    assert wang["vulnerability"] == "dialysis, elderly living alone"
    assert wang["notes"] == '=HYPERLINK("http://evil")'
    assert sheet.cell(row=2 + rows.index(wang), column=header.index("notes") + 1).data_type == "s"


def test_reveal_without_the_right_is_refused_and_logs_nothing(world, tmp_path):
    with pytest.raises(RevealDenied):
        run_export("residents", tmp_path / "x.csv", username="office", reveal=True)
    assert not AccessLogEntry.objects.exists()
    assert not (tmp_path / "x.csv").exists()
    # The office may still export masked.
    assert run_export("residents", tmp_path / "x.csv", username="office") == 4


def test_an_operator_reveal_is_logged_without_a_user(world, tmp_path):
    count = run_export("volunteers", tmp_path / "v.csv", community_code="comm-a", reveal=True)
    assert count == 1
    entry = AccessLogEntry.objects.get()
    assert entry.user is None and entry.fields == "phone" and entry.channel == "export"
    assert read_csv(tmp_path / "v.csv")[0]["phone"] == "13900000000"


def test_places_have_nothing_to_reveal(world, tmp_path):
    run_export("buildings", tmp_path / "b.csv", username="staff_a", reveal=True)
    assert not AccessLogEntry.objects.exists()


def test_geojson_exports_are_feature_collections_in_wgs84(world, tmp_path):
    out = tmp_path / "facilities.geojson"
    assert run_export("facilities", out, fmt="geojson", username="staff_a") == 1
    data = json.loads(out.read_text("utf-8"))
    assert data["type"] == "FeatureCollection"
    feature = data["features"][0]
    assert feature["geometry"] == {"type": "Point", "coordinates": [121.472, 31.232]}
    assert feature["properties"]["code"] == "S1" and feature["properties"]["kind"] == "shelter"
    grids = tmp_path / "grids.geojson"
    run_export("grids", grids, fmt="geojson", community_code="comm-b")
    features = json.loads(grids.read_text("utf-8"))["features"]
    assert [f["geometry"]["type"] for f in features] == ["Polygon", "Polygon"]
    assert features[0]["properties"]["buildings"] == 1


def test_households_export_masks_the_household_phone(world, tmp_path):
    world.household_a1.phone = "02163210000"
    world.household_a1.save()
    run_export("households", tmp_path / "h.csv", username="staff_a")
    rows = {r["code"]: r for r in read_csv(tmp_path / "h.csv")}
    assert rows["a1-101"]["household phone"] == "021****0000" and rows["a1-101"]["residents"] == "1"


def test_a_revealed_export_imports_again_elsewhere(world, tmp_path):
    out = tmp_path / "a.csv"
    run_export("residents", out, community_code="comm-a", reveal=True)
    report = run_import("residents", out, community_code="comm-c")
    assert report.ok, report.as_text()
    assert report.imported == 2 and set(report.ignored_columns) == {"community", "household"}
    moved = Resident.objects.get(community=world.community_c, name="Resident A1")
    assert moved.id_number == world.resident_a1.id_number and moved.tags == ["elderly_alone"]
    assert moved.household == world.household_c1  # building B1, room 101 of community C


def test_a_masked_export_cannot_be_imported_as_real_numbers(world, tmp_path):
    out = tmp_path / "masked.csv"
    run_export("residents", out, community_code="comm-a")
    report = run_import("residents", out, community_code="comm-c")
    assert not report.ok and "masked" in report.problems[0].reason


def test_unknown_community_or_user_is_a_clear_error(world, tmp_path):
    with pytest.raises(ExportError, match="nowhere"):
        run_export("residents", tmp_path / "x.csv", community_code="nowhere")
    with pytest.raises(ExportError, match="nobody"):
        run_export("residents", tmp_path / "x.csv", username="nobody")


def test_write_table_writes_every_format_to_a_stream(world):
    table = build_table("buildings", user=world.users["staff_b"])
    assert {row[0] for row in table.rows} == {"comm-b"}
    for fmt in ("csv", "xlsx", "geojson"):
        buffer = io.BytesIO()
        write_table(table, fmt, buffer)
        assert buffer.getvalue()
