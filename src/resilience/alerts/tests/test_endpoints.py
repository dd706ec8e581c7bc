"""Group endpoints (chat robots, webhooks): pages and API never show the secret or the full URL."""
from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from resilience.alerts.forms import mask_url
from resilience.alerts.models import Endpoint

URL = "https://oapi.dingtalk.com/robot/send?access_token=0123456789abcdefTAIL"
SECRET = "SECtopsecretsigningkey42"


@pytest.fixture
def endpoint(world):
    return Endpoint.objects.create(community=world.community_a, name="Duty group",
                                   channel="dingtalk", url=URL, secret=SECRET)


@pytest.fixture
def api(world):
    def client_for(name):
        client = APIClient()
        client.force_authenticate(world.users[name])
        return client
    return client_for


def form_data(world, **changes):
    return {"community": world.community_a.pk, "name": "Duty group", "channel": "dingtalk",
            "url": URL, "secret": SECRET, "lowest_level": 4, "language": "zh-hans",
            "active": "on", **changes}


def shows_no_secret(html: str) -> bool:
    return SECRET not in html and "access_token" not in html and "0123456789" not in html


def test_mask_url_keeps_the_host_and_the_last_four_characters():
    assert mask_url(URL) == "https://oapi.dingtalk.com/…TAIL"
    assert mask_url("https://hooks.example.org/x") == "https://hooks.example.org/…"
    assert mask_url("") == ""


def test_staff_add_an_endpoint_and_its_pages_show_no_secret(world, client):
    client.force_login(world.users["staff_a"])
    response = client.post(reverse("alerts:endpoint_add"), form_data(world))
    assert response.status_code == 302, response.context["form"].errors
    endpoint = Endpoint.objects.get()
    assert endpoint.url == URL and endpoint.secret == SECRET
    for url in (response["Location"], reverse("alerts:endpoint_list"),
                reverse("alerts:endpoint_edit", args=[endpoint.pk])):
        html = client.get(url).content.decode()
        assert shows_no_secret(html), url
    detail = client.get(endpoint.get_absolute_url()).content.decode()
    assert "https://oapi.dingtalk.com/…TAIL" in detail


def test_editing_with_blank_url_and_secret_keeps_them(world, client, endpoint):
    client.force_login(world.users["staff_a"])
    response = client.post(reverse("alerts:endpoint_edit", args=[endpoint.pk]),
                           form_data(world, name="Night duty", url="", secret=""))
    assert response.status_code == 302
    endpoint.refresh_from_db()
    assert (endpoint.name, endpoint.url, endpoint.secret) == ("Night duty", URL, SECRET)


def test_the_secret_can_be_replaced_or_removed(world, client, endpoint):
    client.force_login(world.users["staff_a"])
    edit = reverse("alerts:endpoint_edit", args=[endpoint.pk])
    client.post(edit, form_data(world, url="", secret="SECnew"))
    endpoint.refresh_from_db()
    assert endpoint.secret == "SECnew"
    client.post(edit, form_data(world, url="", secret="", clear_secret="on"))
    endpoint.refresh_from_db()
    assert endpoint.secret == "" and endpoint.url == URL


def test_a_bad_url_is_a_form_error(world, client):
    client.force_login(world.users["staff_a"])
    response = client.post(reverse("alerts:endpoint_add"), form_data(world, url="ftp://x/y"))
    assert response.status_code == 400 and "url" in response.context["form"].errors
    assert not Endpoint.objects.exists()


def test_endpoint_pages_are_scoped(world, client, endpoint):
    client.force_login(world.users["staff_b"])
    assert client.get(endpoint.get_absolute_url()).status_code == 404
    client.force_login(world.users["grid_worker_a1"])
    assert client.get(endpoint.get_absolute_url()).status_code == 200
    assert client.get(reverse("alerts:endpoint_edit", args=[endpoint.pk])).status_code == 403
    client.force_login(world.users["resident_a1"])
    assert client.get(reverse("alerts:endpoint_list")).status_code == 403


def test_the_menu_lists_endpoints_and_my_alerts(world, client):
    client.force_login(world.users["staff_a"])
    html = client.get(reverse("dashboard")).content.decode()
    assert reverse("alerts:endpoint_list") in html and reverse("alerts:inbox") in html
    client.force_login(world.users["resident_a1"])
    html = client.get(reverse("dashboard")).content.decode()
    assert reverse("alerts:endpoint_list") not in html and reverse("alerts:inbox") in html


# -- API --------------------------------------------------------------------------------------
def test_api_secret_is_write_only_and_url_masked(world, api):
    client = api("staff_a")
    response = client.post("/api/alert-endpoints/", {
        "community": world.community_a.pk, "name": "Robot", "channel": "dingtalk", "url": URL,
        "secret": SECRET}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["url_masked"] == mask_url(URL) and body["has_secret"] is True
    assert "url" not in body and "secret" not in body
    listed = client.get("/api/alert-endpoints/").content.decode()
    assert shows_no_secret(listed)
    pk = body["id"]
    assert client.patch(f"/api/alert-endpoints/{pk}/", {"name": "Robot 2"},
                        format="json").status_code == 200
    endpoint = Endpoint.objects.get(pk=pk)
    assert (endpoint.name, endpoint.url, endpoint.secret) == ("Robot 2", URL, SECRET)
    client.patch(f"/api/alert-endpoints/{pk}/", {"secret": ""}, format="json")
    assert Endpoint.objects.get(pk=pk).secret == ""


@pytest.mark.parametrize("changes,field", [
    ({"url": "not a url"}, "url"), ({"url": "ftp://example.org/x"}, "url"), ({"url": ""}, "url"),
    ({"channel": "sms"}, "channel"), ({"lowest_level": 7}, "lowest_level"),
])
def test_api_bad_endpoint_is_a_400_naming_the_field(world, api, changes, field):
    data = {"community": world.community_a.pk, "name": "Robot", "channel": "wecom", "url": URL,
            **changes}
    response = api("staff_a").post("/api/alert-endpoints/", data, format="json")
    assert response.status_code == 400 and field in response.json(), response.json()


def test_api_endpoints_are_scoped(world, api, endpoint):
    assert api("staff_b").get(f"/api/alert-endpoints/{endpoint.pk}/").status_code == 404
    assert api("grid_worker_a1").get(f"/api/alert-endpoints/{endpoint.pk}/").status_code == 200
    assert api("grid_worker_a1").patch(f"/api/alert-endpoints/{endpoint.pk}/", {"name": "x"},
                                       format="json").status_code == 403
    response = api("staff_b").post("/api/alert-endpoints/", {
        "community": world.community_a.pk, "name": "x", "channel": "wecom", "url": URL},
        format="json")
    assert response.status_code == 400 and "community" in response.json()
