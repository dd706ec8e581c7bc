"""The consultations API: staff create and edit until voting starts, residents vote, 400s name
the field, results are hidden until published, other communities see nothing."""
from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework.test import APIClient

from resilience.participation import consultations as services
from resilience.participation.models import Ballot, Consultation

pytestmark = pytest.mark.django_db
NOW = timezone.now()


def client(user) -> APIClient:
    c = APIClient()
    c.force_authenticate(user)
    return c


def payload(world, **overrides) -> dict:
    body = {"community": world.community_a.pk, "title": "Charging shed",
            "body": "<p onclick=x>Why</p>", "voter_unit": "household",
            "opens_at": (NOW - dt.timedelta(hours=1)).isoformat(),
            "closes_at": (NOW + dt.timedelta(days=2)).isoformat(), "quorum_percent": 50,
            "majority": "simple", "secret": True, "max_choices": 1,
            "options": [{"label": "Agree"}, {"label": "Disagree"},
                        {"label": "Abstain", "abstain": True}]}
    body.update(overrides)
    return body


def create(world, **overrides) -> dict:
    response = client(world.staff_a).post("/api/consultations/", payload(world, **overrides),
                                          format="json")
    assert response.status_code == 201, response.data
    return response.data


def test_staff_create_with_options_and_residents_cannot(world):
    data = create(world)
    assert [o["label"] for o in data["options"]] == ["Agree", "Disagree", "Abstain"]
    assert data["state"] == "open" and Consultation.objects.get().body == "<p>Why</p>"
    refused = client(world.users["resident_a1"]).post("/api/consultations/", payload(world),
                                                      format="json")
    assert refused.status_code == 403
    assert client(world.staff_b).post("/api/consultations/", payload(world),
                                      format="json").status_code in (400, 403)
    assert Consultation.objects.count() == 1


def test_bad_input_is_a_400_naming_the_field(world):
    staff = client(world.staff_a)
    cases = [
        ({"options": [{"label": "Only"}]}, "options"),
        ({"options": [{"label": "A"}, {"label": "A"}]}, "options"),
        ({"closes_at": (NOW - dt.timedelta(days=1)).isoformat()}, "closes_at"),
        ({"max_choices": 3}, "max_choices"),
        ({"quorum_percent": 101}, "quorum_percent"),
        ({"voter_unit": "dog"}, "voter_unit"),
    ]
    for overrides, field in cases:
        response = staff.post("/api/consultations/", payload(world, **overrides), format="json")
        assert response.status_code == 400 and field in response.data, (overrides, response.data)
    assert not Consultation.objects.exists()


def test_editing_is_refused_once_voting_started(world):
    draft = create(world, opens_at=None)
    staff = client(world.staff_a)
    url = f"/api/consultations/{draft['id']}/"
    response = staff.patch(url, {"options": [{"label": "Yes"}, {"label": "No"}]}, format="json")
    assert response.status_code == 200 and [o["label"] for o in response.data["options"]] == ["Yes", "No"]
    assert staff.post(f"{url}open/").data["state"] == "open"
    response = staff.patch(url, {"title": "Changed"}, format="json")
    assert response.status_code == 400 and "opens_at" in response.data
    response = staff.patch(url, {"options": [{"label": "X"}, {"label": "Y"}]}, format="json")
    assert response.status_code == 400
    assert Consultation.objects.get().title == "Charging shed"
    response = staff.delete(url)
    assert response.status_code == 400 and "opens_at" in response.data
    assert staff.delete(f"/api/consultations/{create(world, opens_at=None)['id']}/").status_code == 204


def test_vote_close_publish_and_results(world):
    data = create(world)
    url = f"/api/consultations/{data['id']}/"
    agree, disagree = data["options"][0]["id"], data["options"][1]["id"]
    resident = client(world.users["resident_a1"])
    assert resident.get(url).data["i_may_vote"] is True
    response = resident.post(f"{url}vote/", {"options": [agree]}, format="json")
    assert response.status_code == 201, response.data
    assert str(world.household_a1) == response.data["for"]
    again = resident.post(f"{url}vote/", {"options": [disagree]}, format="json")
    assert again.status_code == 400 and "options" in again.data
    assert resident.get(url).data["i_may_vote"] is False
    assert resident.post(f"{url}vote/", {"options": "x"}, format="json").status_code == 400
    staff = client(world.staff_a)
    assert staff.get(url).data["ballots"] == 1 and staff.get(url).data["result"] is None
    early = staff.post(f"{url}close/", {}, format="json")
    assert early.status_code == 400 and "reason" in early.data
    assert resident.post(f"{url}close/", {"reason": "x"}, format="json").status_code == 403
    closed = staff.post(f"{url}close/", {"reason": "Everyone voted"}, format="json")
    assert closed.status_code == 200 and closed.data["state"] == "closed"
    assert closed.data["result"]["quorum_met"] and closed.data["result"]["winner_label"] == "Agree"
    assert resident.get(f"{url}results/").status_code == 404
    assert resident.get(url).data["result"] is None
    assert staff.get(f"{url}results/").data["turnout_percent"] == 100.0
    late = resident.post(f"{url}vote/", {"options": [agree]}, format="json")
    assert late.status_code == 400 and "closed" in str(late.data["options"])
    assert resident.post(f"{url}publish/").status_code == 403
    assert staff.post(f"{url}publish/").data["published"] is True
    results = resident.get(f"{url}results/")
    assert results.status_code == 200 and results.data["decided"] and results.data["eligible"] == 1
    assert results.data["options"][0] == {"id": agree, "label": "Agree", "abstain": False,
                                          "votes": 1, "percent": 100.0}


def test_other_communities_and_outsiders_see_nothing(world):
    data = create(world)
    url = f"/api/consultations/{data['id']}/"
    for name in ("staff_b", "outsider"):
        other = client(world.users[name])
        assert other.get("/api/consultations/").data["results"] == []
        assert other.get(url).status_code == 404
        assert other.post(f"{url}close/", {"reason": "x"}, format="json").status_code == 404
        assert other.post(f"{url}vote/", {"options": [1]}, format="json").status_code == 404
    assert client(world.users["office"]).get(url).status_code == 200
    assert client(world.users["grid_worker_a1"]).get(url).status_code == 200
    assert client(world.users["grid_worker_a1"]).post(
        f"{url}vote/", {"options": [data["options"][0]["id"]]}, format="json").status_code == 400


def test_a_consultation_past_its_closing_time_is_counted_when_read(world):
    data = create(world, opens_at=(NOW - dt.timedelta(days=3)).isoformat(),
                  closes_at=(NOW - dt.timedelta(days=1)).isoformat())
    response = client(world.staff_a).get(f"/api/consultations/{data['id']}/")
    assert response.data["state"] == "closed" and response.data["result"]["reason"] == "quorum_not_met"


def test_the_database_refuses_a_second_ballot_for_a_household(world):
    data = create(world)
    consultation = Consultation.objects.get(pk=data["id"])
    Ballot.objects.create(consultation=consultation, household=world.household_a1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Ballot.objects.create(consultation=consultation, household=world.household_a1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Ballot.objects.create(consultation=consultation)  # counts for nobody


def test_schema_lists_the_consultation_endpoints(world):
    schema = client(world.users["admin"]).get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    text = schema.content.decode()
    for path in ("/api/consultations/{id}/vote/", "/api/consultations/{id}/results/",
                 "/api/consultations/{id}/close/"):
        assert path in text


def test_demo_seed_makes_an_open_and_a_published_consultation(world):
    from resilience.participation.demo_consultations import seed_consultations

    counts = seed_consultations(world.community_a)
    assert counts["consultations"] == 2
    assert seed_consultations(world.community_a) == {}
    open_vote = Consultation.objects.get(title__contains="充电棚")
    assert open_vote.state() == "open" and open_vote.secret and open_vote.quorum_percent == 50
    assert [o.label for o in open_vote.options.all()] == ["同意", "不同意", "弃权"]
    closed = Consultation.objects.exclude(pk=open_vote.pk).get()
    assert closed.published and closed.result["ballots"] == closed.ballots.count()
    assert services.may_see_results(world.users["resident_a1"], closed)
    # the demo resident's household has not voted and may vote
    assert services.cast_vote(open_vote, world.users["resident_a1"],
                              [open_vote.options.first().pk])
