"""The mutual-aid and warning pages: the office answers from the request page, staff ask and
see only their own community, errors show on the form, and the pages render in Chinese."""
from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from resilience.core.testing import PASSWORD
from resilience.relief.tests.supplies_helpers import days
from resilience.street import aid
from resilience.street.models import AidRequest, Broadcast, StockTransfer
from resilience.street.tests.helpers import stock, warehouse
from resilience.street.vocab import AidKind


def signed_in(username: str, language: str = "en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    assert client.login(username=username, password=PASSWORD)
    return client


@pytest.fixture
def asked(world):
    water_a, store_a = stock(world.community_a, 300, days(30))
    warehouse(world.community_b, "WB")
    request = aid.open_request(world.staff_b, world.community_b, kind=AidKind.SUPPLIES,
                               quantity=200, item_name="Bottled water 550 ml", unit="bottle")
    world.objects.update(water_a=water_a, store_a=store_a, request=request)
    return world


@pytest.mark.django_db
def test_the_office_board_shows_the_streets_communities_and_requests(asked):
    page = signed_in("office").get(reverse("street:aid_board")).content.decode()
    assert "Community A" in page and "Community B" in page and "Community C" not in page
    assert f'data-request="{asked.request.pk}"' in page


@pytest.mark.django_db
def test_staff_ask_on_the_form_and_see_only_their_own(asked):
    client = signed_in("staff_a")
    response = client.post(reverse("street:aid_new"), {
        "community": asked.community_a.pk, "kind": "volunteers", "quantity": "3",
        "reason": "Many elderly to visit"})
    made = AidRequest.objects.get(community=asked.community_a)
    assert response.status_code == 302 and response.url == made.get_absolute_url()
    board = client.get(reverse("street:aid_board")).content.decode()
    assert f'data-request="{made.pk}"' in board
    assert f'data-request="{asked.request.pk}"' not in board and "Community B" not in board
    assert client.get(asked.request.get_absolute_url()).status_code == 404
    assert client.get(reverse("street:aid_records")).status_code == 403


@pytest.mark.django_db
def test_a_bad_request_shows_the_error_on_the_form(asked):
    response = signed_in("staff_a").post(reverse("street:aid_new"), {
        "community": asked.community_a.pk, "kind": "supplies", "quantity": "5"})
    assert response.status_code == 400
    assert "Say which supply is needed." in response.content.decode()


@pytest.mark.django_db
def test_the_office_moves_stock_from_the_request_page(asked):
    client = signed_in("office")
    url = asked.request.get_absolute_url()
    page = client.get(url).content.decode()
    assert 'id="offers"' in page and "Community A" in page
    key = f"{asked.water_a.pk}:{asked.store_a.pk}"
    too_much = client.post(reverse("street:aid_answer", args=[asked.request.pk]),
                           {"source": key, "quantity": "900",
                            "to_warehouse": asked.community_b.facilities.get(code="WB").pk})
    assert too_much.status_code == 400 and "can be issued" in too_much.content.decode()
    done = client.post(reverse("street:aid_answer", args=[asked.request.pk]),
                       {"source": key, "quantity": "200",
                        "to_warehouse": asked.community_b.facilities.get(code="WB").pk})
    assert done.status_code == 302
    assert StockTransfer.objects.get().quantity == 200
    staff_view = signed_in("staff_b").get(url).content.decode()
    assert "200 bottle of Bottled water 550 ml from Community A" in staff_view
    assert 'id="offers"' not in staff_view


@pytest.mark.django_db
def test_the_office_warns_both_communities_from_the_page(world):
    client = signed_in("office")
    assert client.get(reverse("street:broadcast_new")).status_code == 200
    response = client.post(reverse("street:broadcast_new"), {
        "all_communities": "on", "level": "4", "event_type": "rainstorm",
        "headline": "Rainstorm", "description": "Heavy rain tonight."})
    broadcast = Broadcast.objects.get()
    assert response.status_code == 302
    assert broadcast.alerts.count() == 2
    listing = client.get(reverse("street:broadcast_list")).content.decode()
    assert "Community A" in listing and "Community B" in listing
    relay = client.get(reverse("street:broadcast_relay")).content.decode()
    assert "Rainstorm" in relay
    assert signed_in("staff_a").get(reverse("street:broadcast_new")).status_code == 403


@pytest.mark.django_db
def test_the_pages_render_in_chinese(asked):
    client = signed_in("office", "zh-hans")
    for name in ("street:aid_board", "street:aid_records", "street:broadcast_list",
                 "street:broadcast_new", "street:broadcast_relay"):
        assert client.get(reverse(name)).status_code == 200, name
    assert client.get(asked.request.get_absolute_url()).status_code == 200
    assert signed_in("staff_b", "zh-hans").get(reverse("street:aid_new")).status_code == 200


@pytest.mark.django_db
def test_the_host_communitys_staff_see_evacuees_referred_to_their_shelter(world):
    from resilience.shelters.models import Shelter

    aid.refer_evacuees(from_community=world.community_a,
                       shelter=Shelter.objects.get(facility=world.shelter_b), places=12,
                       by=world.office, note="Building A1")
    host = signed_in("staff_b").get(reverse("street:aid_board")).content.decode()
    assert 'id="incoming-referrals"' in host and "12 people of Community A" in host
    other = signed_in("staff_a").get(reverse("street:aid_board")).content.decode()
    assert 'id="incoming-referrals"' not in other


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["admin", "office", "staff_a", "staff_b", "grid_worker_a1",
                                      "property_a", "volunteer_a", "health_a", "resident_a1",
                                      "outsider"])
def test_every_role_gets_an_answer_never_an_error(asked, username):
    client = signed_in(username)
    for url in [reverse(name) for name in ("street:aid_board", "street:aid_new",
                                           "street:aid_records", "street:broadcast_list",
                                           "street:broadcast_new", "street:broadcast_relay")] + [
            asked.request.get_absolute_url()]:
        assert client.get(url).status_code in (200, 403, 404), (username, url)
