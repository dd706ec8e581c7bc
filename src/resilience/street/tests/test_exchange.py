"""The data exchange: every field classified, the level enforced (personal never, internal only
for who may), versioned URLs and payloads, CSV and CAP/Atom, 400s naming the parameter, the CLI,
and docs/exchange.md generated from the declarations."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from lxml import etree
from rest_framework.test import APIClient

from resilience.alerts.cap import ATOM_NS, CAP_NS
from resilience.alerts.cap.schema import first_schema_error
from resilience.street.exchange import export as gate
from resilience.street.exchange.datasets import DATASETS, VERSION
from resilience.street.exchange.fields import (ALLOWED, CLASSIFICATIONS, INTERNAL, PERSONAL,
                                               PUBLIC, Field)
from resilience.street.tests.rollup_helpers import build_street

pytestmark = pytest.mark.django_db
DOCS = Path(__file__).resolve().parents[4] / "docs"
SECRET = "Call Mr Wang 13912345678"


def api(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


@pytest.fixture
def street(world):
    data = build_street(world)
    owner = world.property_a
    owner.contact_name = "Wang Contact"
    owner.save()
    world.shelter_a.notes = SECRET
    world.shelter_a.save()
    from resilience.risks.models import RiskSource

    RiskSource.objects.create(community=world.community_a, name="E-bike shed",
                              risk_type="ebike_fire", grade="high", score=12, description=SECRET,
                              latitude=31.235, longitude=121.475)
    from resilience.alerts.models import Alert

    Alert.objects.create(community=world.community_a, identifier="test-a-private",
                         sender="a@test", state="issued", level=4, event_type="other",
                         headline="Staff only", description="internal", public=False,
                         issued_at=data["alert"].issued_at, created_by=world.staff_a)
    return data


def personal_values(world) -> list[str]:
    return [SECRET, "Wang Contact", world.staff_a.get_username()]


def test_every_field_is_classified_and_typed():
    assert set(DATASETS) == {"communities", "facilities", "risk_sources", "shelters", "alerts",
                             "rollups", "rollups_grid"}
    for dataset in DATASETS.values():
        names = [f.name for f in dataset.fields]
        assert len(names) == len(set(names)), dataset.name
        for field in dataset.fields:
            assert isinstance(field, Field)
            assert field.classification in CLASSIFICATIONS, (dataset.name, field.name)
            assert field.description, (dataset.name, field.name)
    with pytest.raises(ValueError, match="classification"):
        Field("x", "string", "secret", "no such classification")


@pytest.mark.parametrize("level", [PUBLIC, INTERNAL])
def test_exports_carry_only_the_fields_the_level_allows(world, street, level):
    client = api(world.admin)
    for name, dataset in DATASETS.items():
        allowed = [f.name for f in dataset.fields if f.classification in ALLOWED[level]]
        personal = {f.name for f in dataset.fields if f.classification == PERSONAL}
        response = client.get(f"/api/exchange/{VERSION}/{name}/", {"level": level})
        assert response.status_code == 200, (name, response.content)
        body = response.json()
        assert (body["version"], body["dataset"], body["level"]) == (VERSION, name, level)
        assert [f["name"] for f in body["fields"]] == allowed
        assert body["count"] == len(body["results"]) > 0, name
        for row in body["results"]:
            assert list(row) == allowed
            assert not personal & set(row)
        text = response.content.decode()
        for value in personal_values(world):
            assert value not in text, (name, value)
        rows = list(csv.reader(io.StringIO(b"".join(client.get(
            f"/api/exchange/{VERSION}/{name}/", {"level": level, "format": "csv"})
            .streaming_content).decode("utf-8-sig"))))
        assert rows[0] == allowed and len(rows) == body["count"] + 1
        for value in personal_values(world):
            assert value not in repr(rows), (name, value)


def test_internal_fields_only_for_who_may_see_them(world, street):
    public = api(world.admin).get(f"/api/exchange/{VERSION}/facilities/").json()
    assert public["level"] == PUBLIC and "status" not in public["fields"][0]
    assert "status" not in {f["name"] for f in public["fields"]}
    internal = api(world.office).get(f"/api/exchange/{VERSION}/facilities/",
                                     {"level": "internal"}).json()
    assert "status" in {f["name"] for f in internal["fields"]}
    assert {r["community_code"] for r in internal["results"]} == {"comm-a", "comm-b"}
    resident = api(world.users["resident_a1"])
    assert resident.get(f"/api/exchange/{VERSION}/facilities/",
                        {"level": "internal"}).status_code == 403
    rows = resident.get(f"/api/exchange/{VERSION}/facilities/").json()["results"]
    assert {r["community_code"] for r in rows} == {"comm-a"}  # visible_to decides the rows


def test_public_alerts_only_at_the_public_level(world, street):
    client = api(world.office)
    public = {r["identifier"] for r in client.get(f"/api/exchange/{VERSION}/alerts/").json()[
        "results"]}
    internal = {r["identifier"] for r in client.get(
        f"/api/exchange/{VERSION}/alerts/", {"level": "internal"}).json()["results"]}
    assert "test-a-1" in public and "test-a-private" not in public
    assert "test-a-private" in internal


def test_alerts_as_cap_in_atom(world, street):
    response = api(world.office).get(f"/api/exchange/{VERSION}/alerts/",
                                     {"format": "atom", "level": "internal"})
    assert response.status_code == 200 and response["Content-Type"] == "application/atom+xml"
    assert response["X-Exchange-Version"] == VERSION
    feed = etree.fromstring(response.content)
    assert feed.find(f"{{{ATOM_NS}}}generator").get("version") == VERSION
    caps = feed.findall(f"{{{ATOM_NS}}}entry/{{{ATOM_NS}}}content/{{{CAP_NS}}}alert")
    identifiers = {c.findtext(f"{{{CAP_NS}}}identifier") for c in caps}
    assert {"test-a-1", "test-a-private", "test-a-old"} <= identifiers
    for cap in caps:
        assert first_schema_error(etree.fromstring(etree.tostring(cap))) is None
    assert world.staff_a.get_username() not in response.content.decode()


@pytest.mark.parametrize("url, params, field", [
    (f"/api/exchange/{VERSION}/people/", {}, "dataset"),
    (f"/api/exchange/{VERSION}/communities/", {"level": "personal"}, "level"),
    (f"/api/exchange/{VERSION}/communities/", {"level": "secret"}, "level"),
    (f"/api/exchange/{VERSION}/communities/", {"format": "pdf"}, "format"),
    (f"/api/exchange/{VERSION}/communities/", {"format": "atom"}, "format"),
])
def test_bad_parameters_are_400_naming_the_parameter(world, url, params, field):
    response = api(world.office).get(url, params)
    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_index_lists_the_datasets_and_their_classifications(world):
    body = api(world.users["resident_a1"]).get(f"/api/exchange/{VERSION}/").json()
    assert body["version"] == VERSION and body["levels"] == ["public", "internal"]
    alerts = next(d for d in body["datasets"] if d["name"] == "alerts")
    assert "atom" in alerts["formats"]
    assert {"name": "created_by", "type": "string", "classification": "personal",
            "description": "User who drafted it (never exported)."} in alerts["fields"]
    assert APIClient().get(f"/api/exchange/{VERSION}/").status_code in (401, 403)


def test_undeclared_field_stops_the_export(world, monkeypatch):
    dataset = DATASETS["communities"]
    monkeypatch.setitem(DATASETS, "communities", type(dataset)(
        dataset.name, dataset.title, dataset.description, dataset.fields,
        lambda user, level: [{"code": "x", "leak": "y"}]))
    exported = gate.export(world.admin, "communities", PUBLIC)
    with pytest.raises(RuntimeError, match="undeclared"):
        list(exported.rows())


def test_the_schema_documents_the_exchange(world):
    schema = api(world.admin).get("/api/schema/", {"format": "json"}).json()
    path = schema["paths"][f"/api/exchange/{VERSION}/{{dataset}}/"]["get"]
    names = {p["name"] for p in path["parameters"]}
    assert {"dataset", "level", "format"} <= names
    assert "/api/rollups/" in schema["paths"]


def test_cli_writes_a_dataset(world, street, tmp_path):
    out = tmp_path / "facilities.csv"
    call_command("export_exchange", "--dataset", "facilities", "--level", "public",
                 "--out", str(out))
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert rows[0] == [f.name for f in DATASETS["facilities"].fields
                       if f.classification == PUBLIC]
    assert len(rows) > 3 and SECRET not in out.read_text(encoding="utf-8-sig")
    target = tmp_path / "rollups.json"
    call_command("export_exchange", "--dataset", "rollups", "--level", "internal",
                 "--out", str(target))
    body = json.loads(target.read_text())
    assert body["version"] == VERSION and body["count"] == 3
    with pytest.raises(CommandError, match="--dataset"):
        call_command("export_exchange", "--dataset", "people", "--out", str(out))
    with pytest.raises(CommandError, match="--level"):
        call_command("export_exchange", "--dataset", "facilities", "--level", "internal",
                     "--user", "resident_a1", "--out", str(out))


def test_docs_match_the_declarations():
    out = io.StringIO()
    call_command("export_exchange", "--describe", stdout=out)
    assert out.getvalue().strip() in (DOCS / "exchange.md").read_text(encoding="utf-8"), (
        "docs/exchange.md is out of date: paste `resilience manage export_exchange --describe`")
