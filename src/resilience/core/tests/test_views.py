"""The web UI's frame: sign in, dashboard, map page, menu, language switch, generic coverage."""
import pytest
from django.apps import apps
from django.urls import NoReverseMatch, reverse

from resilience.core.models import ScopedModel
from resilience.core.testing import PASSWORD

pytestmark = pytest.mark.django_db


def test_pages_ask_anonymous_visitors_to_sign_in(client):
    for url in ("/", "/map/", reverse("places:building_list"), reverse("people:resident_list")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_sign_in_through_the_form_leads_to_the_dashboard(client, world):
    page = client.get(reverse("login"))
    assert page.status_code == 200
    assert b'name="username"' in page.content
    response = client.post(reverse("login"), {"username": "staff_a", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("dashboard")


def test_wrong_password_is_a_form_error(client, world):
    response = client.post(reverse("login"), {"username": "staff_a", "password": "nope"})
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()


def test_sign_out_is_a_post(client, world):
    client.force_login(world.users["staff_a"])
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_dashboard_counts_the_users_scope(client, world):
    client.force_login(world.users["staff_a"])
    response = client.get("/")
    assert response.status_code == 200
    cards = {str(c["label"]): c["value"] for c in response.context["cards"]}
    assert cards["Communities"] == 1
    assert cards["Buildings"] == 2
    assert cards["Residents"] == 2
    assert cards["Vulnerable residents"] == 1
    shelters = response.context["shelters"]
    assert shelters["count"] == 1 and shelters["capacity"] == 200
    assert shelters["per_resident"] == pytest.approx(100.0)
    tags = {str(t["label"]): t["count"] for t in response.context["vulnerable_by_tag"]}
    assert tags == {"elderly living alone": 1}
    assert b"Community B" not in response.content


def test_street_office_dashboard_covers_its_communities(client, world):
    client.force_login(world.users["office"])
    cards = {str(c["label"]): c["value"] for c in client.get("/").context["cards"]}
    assert cards["Communities"] == 2
    assert cards["Residents"] == 4


def test_volunteer_dashboard_has_no_resident_counts(client, world):
    client.force_login(world.users["volunteer_a"])
    response = client.get("/")
    labels = {str(c["label"]) for c in response.context["cards"]}
    assert "Residents" not in labels and "Households" not in labels
    assert "Buildings" in labels


def test_menu_shows_only_what_the_user_may_view(client, world):
    client.force_login(world.users["volunteer_a"])
    html = client.get("/").content.decode()
    assert reverse("places:building_list") in html
    assert reverse("people:volunteer_list") in html
    assert reverse("people:resident_list") not in html
    assert reverse("people:household_list") not in html

    client.force_login(world.users["staff_a"])
    html = client.get("/").content.decode()
    assert reverse("people:resident_list") in html


def test_menu_keeps_staff_registries_from_those_who_have_their_own_page(world):
    from resilience.core.views.menu import menu_for

    def urls(name):
        return {i["url"] for g in menu_for(world.users[name]) for i in g["items"]}

    registry, mine = reverse("participation:report_list"), reverse("participation:report_mine")
    assert mine in urls("resident_a1") and registry not in urls("resident_a1")
    assert {registry, mine} <= urls("staff_a")
    assert registry in urls("office") and registry in urls("admin")


def test_language_switch_renders_the_dashboard_in_chinese(client, world):
    client.force_login(world.users["staff_a"])
    assert '<html lang="en">' in client.get("/").content.decode()
    response = client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert response.status_code == 302
    html = client.get("/").content.decode()
    assert '<html lang="zh-hans">' in html
    assert "简体中文" in html


def test_map_page_carries_the_layer_contract(client, world):
    client.force_login(world.users["staff_a"])
    response = client.get(reverse("map"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="map"' in html
    assert "leaflet/leaflet.js" in html and "resilience/map.js" in html
    assert "cdn" not in html.lower() and "unpkg" not in html
    config = response.context["map_config"]
    assert config["community"] == world.community_a.pk  # the only one staff_a sees
    assert config["endpoints"]["buildings"] == "/api/geo/buildings/"
    assert config["tileUrl"] == ""  # layers work without a tile server


def test_map_of_another_community_is_not_found(client, world):
    client.force_login(world.users["staff_a"])
    assert client.get(reverse("map"), {"community": world.community_b.pk}).status_code == 404
    assert client.get(reverse("map"), {"community": "x"}).status_code == 404


def test_map_uses_the_tile_url_setting(client, world, settings):
    settings.RESILIENCE_TILE_URL = "https://tiles.example/{z}/{x}/{y}.png"
    client.force_login(world.users["office"])
    response = client.get(reverse("map"), {"community": world.community_b.pk})
    assert response.context["map_config"]["tileUrl"] == settings.RESILIENCE_TILE_URL
    assert response.context["map_config"]["community"] == world.community_b.pk


def test_buildings_geojson_layer_answers_the_map(client, world):
    client.force_login(world.users["staff_a"])
    response = client.get("/api/geo/buildings/", {"community": world.community_a.pk})
    assert response.status_code == 200
    features = response.json()["features"]
    assert len(features) == 2
    assert {f["properties"]["url"] for f in features} == {
        world.building_a1.get_absolute_url(), world.building_a2.get_absolute_url()}


def test_every_registry_model_has_its_pages():
    """A scoped model of places or people without list and detail pages fails here."""
    missing = []
    for app in ("places", "people"):
        for model in apps.get_app_config(app).get_models():
            if not issubclass(model, ScopedModel):
                continue
            name = model._meta.model_name
            for action, args in (("list", []), ("detail", [1]), ("add", []), ("edit", [1])):
                try:
                    reverse(f"{app}:{name}_{action}", args=args)
                except NoReverseMatch:
                    missing.append(f"{app}:{name}_{action}")
    assert not missing, missing


REGISTRY = [
    ("places", "community", "community_a"), ("places", "grid", "grid_a1"),
    ("places", "building", "building_a1"), ("places", "facility", "shelter_a"),
    ("places", "region", "street"), ("people", "organisation", "property_a"),
    ("people", "household", "household_a1"), ("people", "resident", "resident_a1"),
    ("people", "volunteer", "volunteer_a"),
]


@pytest.mark.parametrize("username", ["admin", "office", "staff_a", "staff_b", "grid_worker_a1",
                                      "property_a", "volunteer_a", "health_a", "resident_a1",
                                      "outsider"])
def test_every_role_gets_an_answer_never_an_error(client, world, username):
    client.force_login(world.users[username])
    assert client.get("/").status_code == 200
    assert client.get(reverse("map")).status_code == 200
    for app, name, obj_name in REGISTRY:
        obj = getattr(world, obj_name)
        for url in (reverse(f"{app}:{name}_list"), reverse(f"{app}:{name}_add"),
                    reverse(f"{app}:{name}_detail", args=[obj.pk]),
                    reverse(f"{app}:{name}_edit", args=[obj.pk]),
                    reverse(f"{app}:{name}_delete", args=[obj.pk])):
            assert client.get(url).status_code in (200, 403, 404), (username, url)


def test_health_condition_counts_are_not_links_for_roles_that_cannot_reveal(client, world):
    world.resident_a2.tags = ["dialysis"]
    world.resident_a2.save()
    client.force_login(world.users["office"])
    tags = {str(t["label"]): t for t in client.get("/").context["vulnerable_by_tag"]}
    assert tags["dialysis"]["count"] == 1 and tags["dialysis"]["url"] is None
    assert tags["elderly living alone"]["url"]
    client.force_login(world.users["staff_a"])
    tags = {str(t["label"]): t for t in client.get("/").context["vulnerable_by_tag"]}
    assert tags["dialysis"]["url"]
