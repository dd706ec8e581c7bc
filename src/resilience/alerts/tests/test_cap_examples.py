"""Every real-world example in ../shared/data/cap/examples is handled as expected.csv says:
valid CAP 1.2 accepted, everything else refused with a reason, never a crash."""
from __future__ import annotations

import csv

import pytest

from resilience.alerts.cap import CapError
from resilience.alerts.cap.read import parse_cap
from resilience.alerts.cap.relay import import_cap
from resilience.alerts.cap.testing import EXAMPLES
from resilience.core.testing import square
from tests.services import require

EXPECTED_CSV = EXAMPLES / "expected.csv"


def expected() -> dict[str, str]:
    if not EXPECTED_CSV.is_file():
        return {}
    with EXPECTED_CSV.open(encoding="utf-8") as f:
        return {row["file"]: row["verdict"] for row in csv.DictReader(f)}


def world_files() -> list[str]:
    folder = EXAMPLES / "world"
    return sorted(f"world/{p.name}" for p in folder.iterdir()) if folder.is_dir() else []


@pytest.fixture
def examples():
    require(EXPECTED_CSV.is_file(), f"reference data missing: {EXPECTED_CSV} "
            "(the CAP examples live in ../shared/data/cap/examples)")
    return expected()


def test_every_example_file_is_listed_in_expected_csv(examples):
    assert set(world_files()) <= set(examples)
    assert len(world_files()) >= 35


@pytest.mark.parametrize("name", world_files() or ["world/(missing)"])
def test_example_is_accepted_or_refused_as_expected(examples, name, db):
    verdict = examples.get(name)
    require(verdict, f"{name} is not in {EXPECTED_CSV}")
    data = (EXAMPLES / name).read_bytes()
    if verdict == "valid-cap-1.2":
        cap = parse_cap(data)
        assert cap.identifier and cap.sender and cap.sent.tzinfo is not None
        relayed = import_cap(data)  # no community in this database: accepted, with the reason
        assert list(relayed) == [] and relayed.reason
    else:
        with pytest.raises(CapError) as refused:
            parse_cap(data)
        reason = refused.value.reason
        assert reason.strip()
        if verdict == "cap-1.1":
            assert reason.startswith("CAP 1.1 is not accepted")
        elif verdict == "invalid-cap-1.2":
            assert "schema" in reason and "line " in reason
        else:
            assert "Not a CAP" in reason
        with pytest.raises(CapError):
            import_cap(data)


def test_the_verdict_counts_match_expected_csv(examples):
    accepted = refused = 0
    for name in world_files():
        try:
            parse_cap((EXAMPLES / name).read_bytes())
            accepted += 1
        except CapError:
            refused += 1
    valid = sum(1 for n, v in examples.items() if n.startswith("world/") and v == "valid-cap-1.2")
    assert (accepted, refused) == (valid, len(world_files()) - valid)


def test_iso_8859_1_text_is_decoded(examples):
    cap = parse_cap((EXAMPLES / "world/earthquake-iso8859-1.cap").read_bytes())
    text = " ".join(a.area_desc for i in cap.infos for a in i.areas) + " ".join(
        i.description for i in cap.infos)
    assert "Usulután" in text
    assert cap.encoding.upper() == "ISO-8859-1"


def test_signed_alerts_are_read_but_their_signature_is_not_verified(examples):
    for name in ("world/wmo_sc_valid.xml", "world/wmo_sc_incorrect_signature.xml",
                 "world/wmo_sc_incorrect_digest.xml"):
        cap = parse_cap((EXAMPLES / name).read_bytes())
        assert cap.signed


def test_the_baoding_bilingual_warning_is_relayed_to_a_community_in_its_district(examples, db):
    from resilience.places.models import Community, Region

    city = Region.objects.create(code="130600", name="保定市", level="city")
    district = Region.objects.create(code="130602", name="竞秀区（原新市区）", level="district",
                                     parent=city)
    street = Region.objects.create(code="130602001", name="东风街道", level="street",
                                   parent=district)
    # A residents' committee in Baoding's Jingxiu (formerly Xinshi) district.
    inside = Community.objects.create(code="baoding-1", name="保定社区", region=street,
                                      geometry=square(115.45, 38.87, 0.01))
    shanghai = Region.objects.create(code="310101001", name="南京东路街道", level="street")
    Community.objects.create(code="sh-1", name="上海社区", region=shanghai,
                             geometry=square(121.47, 31.23, 0.01))
    data = (EXAMPLES / "world/wmo_cn_valid.xml").read_bytes()
    [alert] = import_cap(data)
    assert alert.community == inside
    assert alert.level == 3  # Moderate → III yellow, as the warning itself says
    assert alert.event_type == "thunder"
    assert alert.headline == "保定市气象台更新雷电黄色预警[Ⅲ级/较重]"
    assert alert.instruction.startswith("1.政府及相关部门")
    assert alert.headline_en.startswith("Baoding Meteorological Observatory updates lightning")
    assert alert.whole_community
    assert alert.upstream_identifier == "13060041600000_20240712213138"
    assert alert.upstream_sender == "Baoding_Meteorological_Observatory"
    assert alert.area_description == "Show area; 新市区"
    assert list(import_cap(data)) == []  # and only once
