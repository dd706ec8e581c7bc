"""CAP in: upstream alerts relayed to the communities their area covers, once, with updates."""
from __future__ import annotations

import datetime as dt

import pytest
from shapely.geometry import shape

from resilience.alerts.cap import CapError
from resilience.alerts.cap.fetch import fetch_url, read_source
from resilience.alerts.cap.relay import admin_prefix, event_type_of, import_cap, poll_feed
from resilience.alerts.cap.testing import cap_document, loopback_server, square_ring
from resilience.alerts.models import Alert
from resilience.alerts.vocab import MessageType, Source, State

# World: community A is lng 121.47–121.48, B 121.48–121.49, C 121.49–121.50; all lat 31.23–31.24.
OVER_A = square_ring(31.231, 121.471, 0.005)  # inside A only
OVER_A_AND_B = "31.225,121.465 31.225,121.485 31.245,121.485 31.245,121.465 31.225,121.465"
FAR_AWAY = square_ring(-33.9, 151.2, 0.1)  # Sydney


def test_an_upstream_alert_becomes_a_draft_in_the_community_it_covers(world):
    relayed = import_cap(cap_document(polygons=(OVER_A,)), source_url="https://met.example/1.xml")
    [alert] = relayed
    assert alert.community == world.community_a
    assert (alert.source, alert.state, alert.msg_type) == (Source.CAP, State.DRAFT, "Alert")
    assert alert.level == 2  # Severe → II orange
    assert alert.event_type == "rainstorm"
    assert (alert.headline, alert.description, alert.instruction) == ("暴雨预警", "预计有大暴雨。",
                                                                      "注意防范")
    assert (alert.headline_en, alert.description_en, alert.instruction_en) == (
        "Rainstorm warning", "Heavy rain is expected.", "Take care")
    alert.refresh_from_db()
    assert alert.effective == dt.datetime(2030, 7, 1, 0, 0, tzinfo=dt.timezone.utc)
    assert alert.expires == dt.datetime(2030, 7, 1, 12, 0, tzinfo=dt.timezone.utc)
    assert (alert.upstream_identifier, alert.upstream_sender) == ("UP-1", "upstream@met.example")
    assert "<identifier>UP-1</identifier>" in alert.upstream_cap
    assert not alert.whole_community
    clipped = shape(alert.area_geometry)
    assert clipped.area == pytest.approx(0.005 * 0.005)
    assert alert.events.get().action == "relayed"
    assert "https://met.example/1.xml" in alert.events.get().note
    assert relayed.reason == ""


def test_an_area_over_two_communities_is_clipped_to_each(world):
    relayed = import_cap(cap_document(polygons=(OVER_A_AND_B,)))
    by_code = {a.community.code: a for a in relayed}
    assert sorted(by_code) == ["comm-a", "comm-b"]
    assert by_code["comm-a"].whole_community and by_code["comm-a"].area_geometry is None
    b = by_code["comm-b"]
    assert not b.whole_community
    assert shape(b.area_geometry).bounds == pytest.approx((121.48, 31.23, 121.485, 31.24))


def test_a_circle_covers_the_communities_it_reaches(world):
    relayed = import_cap(cap_document(circles=("31.235,121.495 0.3",)))  # 300 m inside C
    assert [a.community for a in relayed] == [world.community_c]


def test_severity_sets_the_level_and_unknown_is_the_lowest(world):
    levels = {}
    for n, severity in enumerate(["Extreme", "Severe", "Moderate", "Minor", "Unknown"]):
        [alert] = import_cap(cap_document(f"S{n}", severity=severity, polygons=(OVER_A,)))
        levels[severity] = alert.level
    assert levels == {"Extreme": 1, "Severe": 2, "Moderate": 3, "Minor": 4, "Unknown": 4}


def test_importing_the_same_alert_again_changes_nothing(world):
    document = cap_document(polygons=(OVER_A_AND_B,))
    first = import_cap(document)
    again = import_cap(document)
    assert list(again) == []
    assert sorted(a.pk for a in again.already) == sorted(a.pk for a in first)
    assert Alert.objects.filter(upstream_identifier="UP-1").count() == 2
    assert "Already relayed" in again.reason


def test_an_upstream_update_updates_the_relayed_alert(world):
    [original] = import_cap(cap_document(polygons=(OVER_A,)))
    update = cap_document("UP-2", msg_type="Update", severity="Extreme", polygons=(OVER_A,),
                          references="upstream@met.example,UP-1,2030-07-01T08:00:00+08:00")
    [relayed] = import_cap(update)
    assert relayed.msg_type == MessageType.UPDATE and relayed.references == original
    assert relayed.level == 1
    assert list(import_cap(update)) == []  # idempotent too
    # an update of the update replaces the newest version
    again = cap_document("UP-3", msg_type="Update", polygons=(OVER_A,),
                         references="upstream@met.example,UP-1,2030-07-01T08:00:00+08:00 "
                                    "upstream@met.example,UP-2,2030-07-01T08:00:00+08:00")
    [third] = import_cap(again)
    assert third.references == relayed


def test_an_update_of_an_alert_never_relayed_here_is_a_new_alert(world):
    update = cap_document("UP-9", msg_type="Update", polygons=(OVER_A,),
                          references="upstream@met.example,UP-0,2030-07-01T08:00:00+08:00")
    [alert] = import_cap(update)
    assert alert.msg_type == MessageType.ALERT and alert.references is None


def test_an_update_that_no_longer_covers_a_community_ends_the_warning_there(world):
    import_cap(cap_document(polygons=(OVER_A_AND_B,)))
    update = cap_document("UP-2", msg_type="Update", polygons=(OVER_A,),
                          references="upstream@met.example,UP-1,2030-07-01T08:00:00+08:00")
    by_code = {a.community.code: a for a in import_cap(update)}
    assert by_code["comm-a"].msg_type == MessageType.UPDATE
    assert by_code["comm-b"].msg_type == MessageType.CANCEL
    assert by_code["comm-b"].references.community == world.community_b


def test_an_upstream_cancel_without_info_cancels_the_relayed_alert(world):
    [original] = import_cap(cap_document(polygons=(OVER_A,)), auto_issue=True)
    assert original.state == State.ISSUED and original.issued_at
    cancel = cap_document("UP-2", msg_type="Cancel", info=False,
                          references="upstream@met.example,UP-1,2030-07-01T08:00:00+08:00")
    [relayed] = import_cap(cancel, auto_issue=True)
    assert relayed.msg_type == MessageType.CANCEL and relayed.references == original
    assert relayed.headline == original.headline and relayed.level == original.level
    assert relayed.area_geometry == original.area_geometry
    original.refresh_from_db()
    assert original.state == State.CANCELLED and original.cancelled_at


def test_a_cancel_of_something_never_relayed_does_nothing_and_says_so(world):
    cancel = cap_document("UP-2", msg_type="Cancel", info=False,
                          references="upstream@met.example,UP-1,2030-07-01T08:00:00+08:00")
    relayed = import_cap(cancel)
    assert list(relayed) == [] and "never relayed" in relayed.reason


def test_auto_issue_issues_at_once_unless_already_expired(world):
    [alert] = import_cap(cap_document(polygons=(OVER_A,)), auto_issue=True)
    assert alert.state == State.ISSUED
    assert [e.action for e in alert.events.all()] == ["relayed", "issued"]
    [old] = import_cap(cap_document("OLD", polygons=(OVER_A,), sent="2020-01-01T08:00:00+08:00",
                                    expires="2020-01-01T20:00:00+08:00"), auto_issue=True)
    assert old.state == State.DRAFT


def test_no_community_matched_is_accepted_with_a_reason(world):
    relayed = import_cap(cap_document(polygons=(FAR_AWAY,)))
    assert list(relayed) == []
    assert "No community" in relayed.reason and "测试区域" in relayed.reason


def test_geocodes_alone_cannot_place_an_alert(world):
    relayed = import_cap(cap_document(geocodes=(("SAME", "006109"),)))
    assert list(relayed) == []
    assert "no polygon or circle" in relayed.reason


def test_an_administrative_division_code_places_an_alert_without_geometry(world):
    # the street of communities A and B is 310101001; community C's street is 310101002
    relayed = import_cap(cap_document(geocodes=(("CPEAS Geographic Code", "310101001000"),)))
    assert sorted(a.community.code for a in relayed) == ["comm-a", "comm-b"]
    assert all(a.whole_community for a in relayed)
    district = import_cap(cap_document("D", geocodes=(("GB/T 2260", "310101"),)))
    assert len(district) == 3
    elsewhere = import_cap(cap_document("E", geocodes=(("CPEAS Geographic Code", "130602000000"),)))
    assert list(elsewhere) == [] and "130602" in elsewhere.reason


@pytest.mark.parametrize("status", ["Test", "System", "Draft"])
def test_messages_not_meant_for_the_public_are_not_relayed(world, status):
    relayed = import_cap(cap_document(status=status, polygons=(OVER_A,)))
    assert list(relayed) == [] and status in relayed.reason


def test_an_exercise_stays_an_exercise_and_restricted_stays_private(world):
    [drill] = import_cap(cap_document("X", status="Exercise", polygons=(OVER_A,)))
    assert drill.exercise
    [restricted] = import_cap(cap_document("R", scope="Restricted", polygons=(OVER_A,)))
    assert not restricted.public


def test_without_chinese_the_first_block_is_used(world):
    document = cap_document(polygons=(OVER_A,)).replace(b"zh-CN", b"de-DE")
    [alert] = import_cap(document)
    assert alert.headline == "暴雨预警"  # the first block, whatever its language
    assert alert.headline_en == "Rainstorm warning"


def test_refused_documents_raise_with_a_reason(world):
    with pytest.raises(CapError, match="CAP 1.1"):
        import_cap(cap_document(polygons=(OVER_A,)).replace(b"cap:1.2", b"cap:1.1"))
    with pytest.raises(CapError, match="Not XML"):
        import_cap(b"this is not xml")
    assert not Alert.objects.exists()


@pytest.mark.parametrize(("texts", "categories", "expected"), [
    (("雷电",), [], "thunder"), (("Severe Thunderstorm Warning",), [], "thunder"),
    (("暴雨",), [], "rainstorm"), (("Flood Watch",), [], "flood"), (("台风",), [], "typhoon"),
    (("Tropical Storm Warning",), [], "typhoon"), (("Earthquake",), [], "earthquake"),
    (("Bushfire",), [], "fire"), (("High Wind",), [], "gale"), (("Dense Fog",), [], "fog"),
    (("terrain notice",), [], "other"), (("Notice",), ["Health"], "epidemic"),
    (("高温",), [], "heat"), (("道路结冰",), [], "snow"),
])
def test_event_types_are_recognised_best_effort(texts, categories, expected):
    assert event_type_of(*texts, categories=categories) == expected


def test_administrative_codes_reduce_to_their_significant_digits():
    assert admin_prefix("130602000000") == "130602"
    assert admin_prefix("310000") == "31"
    assert admin_prefix("310101001") == "310101001"
    assert admin_prefix("006109") is None or admin_prefix("006109") == "006109"
    assert admin_prefix("comm-a") is None and admin_prefix("000000") is None


# --- fetching and polling ------------------------------------------------------------------------

def atom_feed(*hrefs: str) -> bytes:
    entries = "".join(
        f"<entry><id>urn:x:{n}</id><title>t</title><updated>2030-07-01T00:00:00Z</updated>"
        f'<link rel="alternate" type="application/cap+xml" href="{h}"/></entry>'
        for n, h in enumerate(hrefs))
    return (f'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><id>urn:f</id>'
            f"<title>f</title><updated>2030-07-01T00:00:00Z</updated>{entries}</feed>").encode()


def test_polling_a_feed_relays_each_alert_once(world):
    good = cap_document(polygons=(OVER_A,))
    old = cap_document("OLD", polygons=(OVER_A,)).replace(b"cap:1.2", b"cap:1.1")
    routes = {"/feed.atom": (atom_feed("/a/1.xml", "a/2.xml", "/missing.xml"),
                             "application/atom+xml"),
              "/a/1.xml": (good, "application/cap+xml"), "/a/2.xml": (old, "application/xml")}
    with loopback_server(routes) as server:
        relayed = poll_feed(server.base + "/feed.atom")
        assert [a.community for a in relayed] == [world.community_a]
        assert "CAP 1.1" in relayed.reason and "404" in relayed.reason
        again = poll_feed(server.base + "/feed.atom")
    assert list(again) == [] and len(again.already) == 1


def test_polling_an_rss_feed_or_a_single_alert(world):
    rss = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>'
           b"<item><title>a</title><link>/a.xml</link></item></channel></rss>")
    routes = {"/rss": (rss, "application/rss+xml"),
              "/a.xml": (cap_document(polygons=(OVER_A,)), "application/cap+xml"),
              "/b.xml": (cap_document("B", polygons=(OVER_A,)), "application/cap+xml")}
    with loopback_server(routes) as server:
        assert len(poll_feed(server.base + "/rss")) == 1
        assert len(poll_feed(server.base + "/b.xml")) == 1


def test_a_feed_that_is_no_feed_is_refused(world):
    with loopback_server({"/x": (b"<html><body/></html>", "text/html")}) as server:
        with pytest.raises(CapError, match="Not a feed"):
            poll_feed(server.base + "/x")


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/a.cap",
                                 "gopher://example.org/", "data:text/plain,hello"])
def test_only_http_and_https_are_fetched(url):
    with pytest.raises(CapError, match="Only http and https"):
        fetch_url(url)


def test_fetching_stops_at_the_size_limit():
    with loopback_server({"/big": (b"<a>" + b"x" * 5000 + b"</a>", "application/xml")}) as server:
        with pytest.raises(CapError, match="larger than"):
            fetch_url(server.base + "/big", max_bytes=1000)
        assert fetch_url(server.base + "/big").startswith(b"<a>")


def test_an_unreachable_or_failing_server_is_a_reason_not_a_crash():
    with loopback_server({}) as server:
        with pytest.raises(CapError, match="404"):
            fetch_url(server.base + "/nothing")
        port = server.server_address[1]
    with pytest.raises(CapError, match="Could not fetch"):
        fetch_url(f"http://127.0.0.1:{port}/gone", timeout=2)


def test_reading_a_missing_file_is_a_reason(tmp_path):
    with pytest.raises(CapError, match="Cannot read"):
        read_source(str(tmp_path / "nope.cap"))


def test_the_worker_polls_the_configured_feeds_and_relays_new_alerts(world, settings):
    from resilience.alerts.jobs import poll_cap_feeds

    now = dt.datetime(2030, 7, 1, tzinfo=dt.timezone.utc)

    routes = {"/feed.atom": (atom_feed("/a/1.xml"), "application/atom+xml"),
              "/a/1.xml": (cap_document(polygons=(OVER_A,)), "application/cap+xml")}
    with loopback_server(routes) as server:
        settings.RESILIENCE_CAP_FEEDS = [server.base + "/nothing-here", server.base + "/feed.atom"]
        assert poll_cap_feeds(now) == 1  # the broken feed does not stop the good one
        assert poll_cap_feeds(now) == 0  # relayed once
        settings.RESILIENCE_CAP_FEEDS = [server.base + "/nothing-here"]
        with pytest.raises(RuntimeError, match="every CAP feed failed"):
            poll_cap_feeds(now)
    relayed = Alert.objects.get(source="cap", community=world.community_a)
    assert relayed.state == "draft"
