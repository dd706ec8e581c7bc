"""The live board of an issued alert, staff marking, and the board and recipient API.

The alert of these tests reaches, in community A: Resident A1 (vulnerable, with an account),
Volunteer A and grid_worker_a1 (A1's helpers, grid A1), staff_a (no grid) and Resident A2 (no
account, grid A2: not reached, since only the in-app channel is on).
"""
from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from resilience.alerts import channels, delivery, services
from resilience.alerts.models import AlertRecipient, Delivery
from resilience.alerts.vocab import AckMethod, RecipientKind

LIVE = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "board-live"}


def send(world, settings, **fields):
    """Issue a level III alert in community A, fan it out and send the in-app messages."""
    settings.RESILIENCE_ALERT_CHANNELS = ["inapp"]
    channels.reset()
    resident = world.resident_a1
    resident.user = world.users["resident_a1"]
    resident.language = fields.pop("resident_language", resident.language)
    resident.save()
    fields = {"level": 3, "event_type": "fire", "headline": "火警", "description": "3号楼起火",
              "instruction": "请沿楼梯撤离", "headline_en": "Fire", "description_en":
              "Fire in building 3", "instruction_en": "Leave by the stairs", **fields}
    alert = services.submit(services.draft(world.staff_a, world.community_a, **fields),
                            world.staff_a)
    delivery.fan_out(alert)
    delivery.send_due("inapp", "test")
    return alert


def row_of(alert, name: str) -> AlertRecipient:
    return AlertRecipient.objects.get(alert=alert, name=name)


@pytest.fixture
def alert(world, settings):
    yield send(world, settings)
    channels.reset()


@pytest.fixture
def as_user(client, world):
    def sign_in(name):
        client.force_login(world.users[name])
        return client
    return sign_in


@pytest.fixture
def api(world):
    def client_for(name):
        client = APIClient()
        client.force_authenticate(world.users[name])
        return client
    return client_for


def board_url(alert, query: str = "") -> str:
    return reverse("alerts:alert_board", args=[alert.pk]) + (f"?{query}" if query else "")


def names(response) -> list[str]:
    return [row["object"].name for row in response.context["rows"]]


# -- counts and order -------------------------------------------------------------------------
def test_board_counts_reached_acknowledged_and_needs_help(world, alert, as_user):
    delivery.acknowledge(row_of(alert, "Resident A1"), AckMethod.LINK, needs_help=True)
    response = as_user("staff_a").get(board_url(alert))
    assert response.status_code == 200
    totals = response.context["totals"]
    assert (totals["total"], totals["reached"], totals["acknowledged"], totals["not_reached"],
            totals["needs_help"]) == (5, 4, 1, 1, 1)
    assert (totals["vulnerable_acknowledged"], totals["vulnerable_total"]) == (1, 1)
    assert response.context["channels"][0]["name"] == "inapp"
    assert response.context["tally"]["channels"] == {"inapp": {"sent": 4}}
    grids = {g["grid__name"]: g for g in response.context["tally"]["grids"]}
    assert grids["Grid A1"]["acknowledged"] == 1 and grids["Grid A2"]["reached"] == 0
    buildings = {b["building__name"]: b for b in response.context["tally"]["buildings"]}
    assert (buildings["Building A1"]["vulnerable_open"], buildings["Building A1"][
        "vulnerable_total"]) == (0, 1)


def test_vulnerable_unacknowledged_residents_come_first(world, settings, as_user):
    world.resident_a2.vulnerability = '["elderly_alone"]'
    world.resident_a2.save()
    alert = send(world, settings)
    delivery.acknowledge(row_of(alert, "Resident A1"), AckMethod.LINK)
    order = names(as_user("staff_a").get(board_url(alert)))
    assert order[:2] == ["Resident A2", "Resident A1"]  # both vulnerable; the open one first
    delivery.acknowledge(row_of(alert, "Volunteer A"), AckMethod.APP, needs_help=True)
    order = names(as_user("staff_a").get(board_url(alert)))
    assert order[2] == "Volunteer A"  # of the others, who needs help comes first


def test_board_api_matches_delivery_board_for_staff(world, alert, api):
    delivery.acknowledge(row_of(alert, "staff_a"), AckMethod.APP)
    body = api("staff_a").get(f"/api/alerts/{alert.pk}/board/").json()
    expected = delivery.board(alert)
    assert body["totals"] == expected["totals"] and body["deliveries"] == expected["deliveries"]
    assert body["grids"] == expected["grids"] and body["buildings"] == expected["buildings"]
    assert body["channels"] == {"inapp": {"sent": 4}}


# -- scope ------------------------------------------------------------------------------------
def test_grid_worker_sees_only_their_grid(world, alert, as_user, api):
    response = as_user("grid_worker_a1").get(board_url(alert))
    assert set(names(response)) == {"Resident A1", "Volunteer A", "grid_worker_a1"}
    assert response.context["totals"]["total"] == 3
    body = api("grid_worker_a1").get("/api/alert-recipients/", {"alert": alert.pk}).json()
    assert {r["name"] for r in body["results"]} == {"Resident A1", "Volunteer A",
                                                    "grid_worker_a1"}
    assert api("grid_worker_a1").get(f"/api/alerts/{alert.pk}/board/").json()[
        "totals"]["total"] == 3


def test_resident_sees_only_their_own_receipt(world, alert, as_user, api):
    response = as_user("resident_a1").get(board_url(alert))
    assert names(response) == ["Resident A1"]
    assert not response.context["rows"][0]["markable"]
    assert b'name="method"' not in response.content
    body = api("resident_a1").get("/api/alert-recipients/").json()
    assert [r["name"] for r in body["results"]] == ["Resident A1"]
    deliveries = api("resident_a1").get("/api/deliveries/").json()["results"]
    assert {d["recipient"] for d in deliveries} == {row_of(alert, "Resident A1").pk}


def test_staff_of_another_community_sees_nothing_of_community_a(world, alert, as_user, api):
    client = as_user("staff_b")
    assert client.get(board_url(alert)).status_code == 404
    assert client.get(reverse("alerts:alert_board_summary", args=[alert.pk])).status_code == 404
    assert api("staff_b").get(f"/api/alerts/{alert.pk}/board/").status_code == 404
    assert api("staff_b").get("/api/alert-recipients/").json()["count"] == 0
    assert api("staff_b").get("/api/deliveries/").json()["count"] == 0
    a1 = row_of(alert, "Resident A1")
    assert client.post(reverse("alerts:recipient_mark", args=[a1.pk]),
                       {"method": "call"}).status_code == 404
    assert api("staff_b").post(f"/api/alert-recipients/{a1.pk}/acknowledge/",
                               {"method": "call"}).status_code == 404
    a1.refresh_from_db()
    assert a1.acknowledged_at is None


def test_recipient_api_shows_no_personal_data_beyond_the_name(world, alert, api):
    row = api("staff_a").get("/api/alert-recipients/", {"alert": alert.pk}).json()["results"][0]
    assert row["name"] == "Resident A1" and row["status"] == "reached" and row["vulnerable"]
    assert not {"token", "key", "resident", "user", "volunteer", "helps", "language"} & set(row)


# -- the page: live part, filters, size -------------------------------------------------------
def test_the_poll_gets_the_live_part_alone_and_keeps_the_filters(world, alert, as_user):
    response = as_user("staff_a").get(board_url(alert, "status=open&kind=resident"), **LIVE)
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert 'id="board-live"' in html and 'hx-trigger="every 2s"' in html
    assert f'hx-get="{board_url(alert, "status=open&amp;kind=resident")}"' in html
    assert response["Cache-Control"] == "no-store"
    page = as_user("staff_a").get(board_url(alert)).content.decode()
    assert "<html" in page and "alerts/board.js" in page


def test_the_poll_answers_no_content_while_nothing_changed(world, alert, as_user):
    client = as_user("staff_a")
    version = client.get(board_url(alert)).context["version"]
    unchanged = client.get(board_url(alert), HTTP_X_BOARD_VERSION=version, **LIVE)
    assert unchanged.status_code == 204 and unchanged.content == b""
    other_filter = client.get(board_url(alert, "kind=staff"), HTTP_X_BOARD_VERSION=version,
                              **LIVE)
    assert other_filter.status_code == 200
    delivery.acknowledge(row_of(alert, "Resident A2"), AckMethod.CALL, by=world.staff_a)
    changed = client.get(board_url(alert), HTTP_X_BOARD_VERSION=version, **LIVE)
    assert changed.status_code == 200 and changed.context["version"] != version
    assert f'"X-Board-Version": "{changed.context["version"]}"' in changed.content.decode()


def test_the_poll_swaps_the_alert_state_into_the_page_head_when_it_changes(world, alert, as_user):
    client = as_user("staff_a")
    page = client.get(board_url(alert))
    version = page.context["version"]
    assert 'id="board-state"' in page.content.decode()
    assert 'hx-swap-oob' not in page.content.decode()  # the full page has it in place
    services.cancel(alert, world.staff_a, note="false alarm")
    changed = client.get(board_url(alert), HTTP_X_BOARD_VERSION=version, **LIVE)
    html = changed.content.decode()
    assert changed.status_code == 200
    assert 'id="board-state"' in html and 'hx-swap-oob="true"' in html
    assert 'data-state="cancelled"' in html


def test_board_filters_by_status_grid_building_and_kind(world, alert, as_user):
    client = as_user("staff_a")
    assert names(client.get(board_url(alert, "status=not_reached"))) == ["Resident A2"]
    assert names(client.get(board_url(alert, f"grid={world.grid_a2.pk}"))) == ["Resident A2"]
    assert names(client.get(board_url(alert, f"building={world.building_a2.pk}"))) == [
        "Resident A2"]
    assert names(client.get(board_url(alert, "kind=staff"))) == ["staff_a"]
    assert names(client.get(board_url(alert, "vulnerable=true"))) == ["Resident A1"]


def test_a_bad_filter_shows_its_error_and_no_rows(world, alert, as_user):
    response = as_user("staff_a").get(board_url(alert, f"grid={world.grid_b1.pk}&status=x"))
    assert response.status_code == 200 and response.context["rows"] == []
    assert {str(label) for label, _error in response.context["filter_errors"]} >= {"status"}


def test_a_big_alert_shows_the_first_page_in_few_queries(world, alert, as_user,
                                                        django_assert_max_num_queries):
    AlertRecipient.objects.bulk_create([
        AlertRecipient(alert=alert, key=f"test:{i}", kind=RecipientKind.RESIDENT,
                       name=f"Person {i:04d}", grid=world.grid_a2, building=world.building_a2,
                       vulnerable=i % 10 == 0, priority=2 if i % 10 == 0 else 9)
        for i in range(4000)])
    client = as_user("staff_a")
    with django_assert_max_num_queries(20):
        response = client.get(board_url(alert), **LIVE)
    assert len(response.context["rows"]) == 200
    assert response.context["page"].paginator.count == 4005
    assert all(row["object"].vulnerable for row in response.context["rows"])


def test_alert_detail_links_to_the_board_with_the_counts(world, alert, as_user):
    client = as_user("staff_a")
    assert board_url(alert).encode() in client.get(alert.get_absolute_url()).content
    summary = client.get(reverse("alerts:alert_board_summary", args=[alert.pk]))
    assert summary.context["totals"]["total"] == 5 and board_url(alert).encode() in summary.content


# -- staff marking on the page ----------------------------------------------------------------
def mark(client, recipient, **data):
    return client.post(reverse("alerts:recipient_mark", args=[recipient.pk]),
                       {"query": "status=open&evil=1", **data})


def test_staff_mark_a_resident_reached_by_phone(world, alert, as_user):
    a2 = row_of(alert, "Resident A2")
    response = mark(as_user("staff_a"), a2, method="call", note="answered", needs_help="on")
    assert response.status_code == 302
    assert response["Location"] == board_url(alert, "status=open") + f"#recipient-{a2.pk}"
    a2.refresh_from_db()
    assert a2.ack_method == AckMethod.CALL and a2.acknowledged_by == world.staff_a
    assert a2.ack_note == "answered" and a2.needs_help and a2.reached_at


def test_grid_worker_marks_a_door_knock_in_their_grid(world, alert, as_user):
    client = as_user("grid_worker_a1")
    page = client.get(board_url(alert))
    a1 = row_of(alert, "Resident A1")
    markable = {row["object"].name for row in page.context["rows"] if row["markable"]}
    assert markable == {"Resident A1", "Volunteer A"}  # not their own row
    mark(client, a1, method="visit")
    a1.refresh_from_db()
    assert a1.ack_method == AckMethod.VISIT


def test_bad_marking_input_records_nothing_and_says_why(world, alert, as_user):
    client = as_user("staff_a")
    a2 = row_of(alert, "Resident A2")
    response = mark(client, a2, method="fax", note="x" * 301)
    assert response.status_code == 302 and "#" not in response["Location"]
    text = [str(m) for m in client.get(response["Location"]).context["messages"]]
    assert any("Nothing was recorded" in t for t in text)
    a2.refresh_from_db()
    assert a2.acknowledged_at is None
    assert client.get(reverse("alerts:recipient_mark", args=[a2.pk])).status_code == 405


def test_no_one_marks_their_own_row_or_rows_they_cannot_change(world, alert, as_user):
    a1 = row_of(alert, "Resident A1")
    assert mark(as_user("resident_a1"), a1, method="call").status_code == 403
    assert mark(as_user("office"), a1, method="call").status_code == 403  # view only
    assert mark(as_user("volunteer_a"), a1, method="call").status_code == 404
    a1.refresh_from_db()
    assert a1.acknowledged_at is None


def test_marking_someone_who_already_acknowledged_keeps_the_first(world, alert, as_user):
    a1 = row_of(alert, "Resident A1")
    delivery.acknowledge(a1, AckMethod.LINK)
    client = as_user("staff_a")
    client.get(f"{mark(client, a1, method='visit', needs_help='on')['Location']}")
    a1.refresh_from_db()
    assert a1.ack_method == AckMethod.LINK and a1.needs_help


# -- marking and acknowledging through the API ------------------------------------------------
def ack_api(api, name, recipient, **data):
    return api(name).post(f"/api/alert-recipients/{recipient.pk}/acknowledge/", data,
                          format="json")


def test_api_staff_mark_a_call_and_residents_acknowledge_in_the_app(world, alert, api):
    a2, a1 = row_of(alert, "Resident A2"), row_of(alert, "Resident A1")
    response = ack_api(api, "staff_a", a2, method="call", note="ok")
    assert response.status_code == 200 and response.json()["first"]
    assert response.json()["ack_method"] == "call"
    response = ack_api(api, "resident_a1", a1, method="app", needs_help=True)
    assert response.status_code == 200 and response.json()["status"] == "needs_help"
    assert ack_api(api, "resident_a1", a1, method="app").json()["first"] is False


@pytest.mark.parametrize("name,who,data,field", [
    ("staff_a", "Resident A2", {}, "method"),
    ("staff_a", "Resident A2", {"method": "fax"}, "method"),
    ("staff_a", "Resident A2", {"method": "link"}, "method"),
    ("staff_a", "Resident A2", {"method": "app"}, "method"),  # not their own receipt
    ("resident_a1", "Resident A1", {"method": "call"}, "method"),  # their own: use app
    ("staff_a", "Resident A2", {"method": "call", "note": "x" * 301}, "note"),
    ("staff_a", "Resident A2", {"method": "call", "needs_help": "maybe"}, "needs_help"),
])
def test_api_bad_acknowledgement_is_a_400_naming_the_field(world, alert, api, name, who, data,
                                                           field):
    response = ack_api(api, name, row_of(alert, who), **data)
    assert response.status_code == 400 and field in response.json(), response.json()
    assert not AlertRecipient.objects.filter(alert=alert, acknowledged_at__isnull=False).exists()


def test_api_view_only_roles_may_not_mark(world, alert, api):
    assert ack_api(api, "office", row_of(alert, "Resident A2"), method="call").status_code == 403
    assert ack_api(api, "volunteer_a", row_of(alert, "Resident A1"),
                   method="call").status_code == 404


def test_api_filters_recipients_and_deliveries(world, alert, api):
    client = api("staff_a")
    delivery.acknowledge(row_of(alert, "staff_a"), AckMethod.APP)
    got = client.get("/api/alert-recipients/", {"alert": alert.pk, "status": "acknowledged"})
    assert [r["name"] for r in got.json()["results"]] == ["staff_a"]
    got = client.get("/api/alert-recipients/", {"grid": world.grid_a2.pk})
    assert [r["name"] for r in got.json()["results"]] == ["Resident A2"]
    bad = client.get("/api/alert-recipients/", {"status": "x"})
    assert bad.status_code == 400 and "status" in bad.json()
    got = client.get("/api/deliveries/", {"alert": alert.pk, "channel": "inapp",
                                          "status": "sent"})
    assert got.json()["count"] == Delivery.objects.filter(alert=alert).count() == 4
    assert "locked_by" not in got.json()["results"][0]
    assert client.get("/api/deliveries/", {"status": "lost"}).status_code == 400
    assert client.post("/api/deliveries/", {}).status_code == 405
