"""PHQ-9 / GAD-7 scoring, screening rounds after an incident closes, referrals to closure."""
import pytest
from django.core.exceptions import ValidationError

from resilience.health.models import FollowUp, Referral, Screening, ScreeningRound
from resilience.health.services import screening

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("answers, total, band", [
    ([0] * 9, 0, "minimal"), ([1, 1, 1, 1, 0, 0, 0, 0, 0], 4, "minimal"),
    ([1] * 5 + [0] * 4, 5, "mild"), ([1] * 9, 9, "mild"), ([2] * 5 + [0] * 4, 10, "moderate"),
    ([3, 3, 3, 3, 2, 1, 0, 0, 0], 15, "moderately_severe"), ([2] * 9 + [], 18,
                                                               "moderately_severe"),
    ([3] * 6 + [2, 0, 0], 20, "severe"), ([3] * 9, 27, "severe"),
])
def test_phq9_scores_and_bands(answers, total, band):
    assert screening.score("phq9", answers)[1:] == (total, band)


@pytest.mark.parametrize("answers, total, band", [
    ([0] * 7, 0, "minimal"), ([1, 1, 1, 1, 1, 0, 0], 5, "mild"), ([2] * 5 + [0, 0], 10,
                                                                    "moderate"),
    ([3] * 5 + [0, 0], 15, "severe"), ([3] * 7, 21, "severe"), ([2, 2, 0, 0, 0, 0, 0], 4,
                                                                  "minimal"),
])
def test_gad7_scores_and_bands(answers, total, band):
    assert screening.score("gad7", answers)[1:] == (total, band)


def test_missing_and_bad_answers_are_refused_naming_the_item():
    with pytest.raises(ValidationError) as error:
        screening.score("phq9", [0, 1, None, 2, 0, 0, 0, 0])
    assert set(error.value.message_dict) == {"phq9_3", "phq9_9"}
    with pytest.raises(ValidationError) as error:
        screening.score("gad7", [0, 1, 4, 0, 0, 0, 0])
    assert set(error.value.message_dict) == {"gad7_3"}


def closed_incident(world, grids=()):
    from resilience.response.services import incidents

    incident = incidents.open_incident(world.staff_a, world.community_a, title="Fire in B1",
                                       scenario="other", grids=list(grids))
    return incidents.close(incident, world.staff_a, "All safe; lessons written.")


def test_closing_an_incident_queues_a_round_the_worker_starts(world):
    from resilience.core.models import Task
    from resilience.health import jobs

    incident = closed_incident(world)
    task = Task.objects.get(kind="health.start_screening")
    assert task.payload == {"incident": incident.pk}
    jobs.start_screening(task.payload)
    jobs.start_screening(task.payload)  # idempotent
    round_ = ScreeningRound.objects.get(incident=incident)
    names = list(round_.screenings.values_list("resident__name", flat=True))
    assert names[0] == "Resident A1"  # vulnerable (elderly alone) first
    assert set(names) == {"Resident A1", "Resident A2"}


def test_health_worker_starts_a_round_for_the_incident_area(world, client):
    incident = closed_incident(world, grids=[world.grid_a2])
    client.force_login(world.staff_a)
    assert client.post(f"/health/rounds/start/{incident.pk}/").status_code in (403, 404)
    client.force_login(world.health_a)
    page = client.get("/health/")
    assert "Fire in B1" in page.text
    response = client.post(f"/health/rounds/start/{incident.pk}/")
    assert response.status_code == 302
    round_ = ScreeningRound.objects.get(incident=incident)
    assert list(round_.screenings.values_list("resident__name", flat=True)) == ["Resident A2"]
    again = client.post("/api/health/screenings/", {"incident": incident.pk},
                        content_type="application/json")
    assert again.status_code == 400 and "incident" in again.json()


def test_screening_referral_and_follow_up_to_closure(world, client):
    incident = closed_incident(world)
    round_ = screening.start_round(world.health_a, incident)
    item = round_.screenings.first()
    client.force_login(world.health_a)
    missing = client.post(f"/api/health/screenings/{item.pk}/answers/",
                          {"phq9": [1, 1, 1, 1, 1, 1, 1, 1], "gad7": [0] * 7},
                          content_type="application/json")
    assert missing.status_code == 400 and "phq9_9" in missing.json()
    item.refresh_from_db()
    assert item.screened_at is None
    done = client.post(f"/api/health/screenings/{item.pk}/answers/",
                       {"phq9": [2, 2, 2, 2, 1, 1, 1, 0, 1], "gad7": [2] * 7},
                       content_type="application/json")
    assert done.status_code == 200, done.text
    body = done.json()
    assert (body["phq9_total"], body["phq9_severity"], body["urgent"]) == (12, "moderate", True)
    assert (body["gad7_total"], body["gad7_severity"]) == (14, "moderate")
    item.refresh_from_db()
    assert screening.needs_referral(item)
    page = client.post(f"/health/screenings/{item.pk}/refer/", {"target": "counselling",
                                                                 "reason": "PHQ-9 12"})
    referral = Referral.objects.get(screening=item)
    assert page.status_code == 302
    assert FollowUp.objects.filter(referral=referral, done_at__isnull=True).count() == 1
    bad = client.post(f"/api/health/referrals/{referral.pk}/advance/", {"status": "closed"},
                      content_type="application/json")
    assert bad.status_code == 400 and "outcome" in bad.json()
    assert client.post(f"/api/health/referrals/{referral.pk}/advance/", {"status": "accepted"},
                       content_type="application/json").status_code == 200
    closed = client.post(f"/api/health/referrals/{referral.pk}/advance/",
                         {"status": "closed", "outcome": "Six sessions; improved."},
                         content_type="application/json")
    assert closed.json()["status"] == "closed"
    assert not FollowUp.objects.filter(referral=referral, done_at__isnull=True).exists()


def test_screening_page_refuses_missing_answers_naming_the_item(world, client):
    round_ = screening.start_round(world.health_a, closed_incident(world))
    item = round_.screenings.first()
    client.force_login(world.health_a)
    data = {f"phq9_{n}": 0 for n in range(1, 10)}
    data.update({f"gad7_{n}": 1 for n in range(1, 7)})
    page = client.post(f"/health/screenings/{item.pk}/answers/", data)
    assert page.status_code == 400
    assert "Item 7 is not answered." in page.text
    assert Screening.objects.get(pk=item.pk).screened_at is None
