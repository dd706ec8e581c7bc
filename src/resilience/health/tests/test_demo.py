"""The demo seed: archives for tagged residents, the dialysis patient's follow-up due today,
a closed incident's screening round with a referral; idempotent."""
import pytest
from django.utils import timezone

from resilience.health import demo
from resilience.health.models import FollowUp, HealthArchive, Referral, ScreeningRound

pytestmark = pytest.mark.django_db


def test_seed_builds_the_story_once(world, client):
    resident = world.resident_a2
    resident.tags = ["chronic_illness"]
    resident.save()
    today = timezone.localdate()
    counts = demo.seed(world.community_a, today)
    assert counts["health archives"] == 1
    archive = HealthArchive.objects.get(resident=resident)
    assert archive.devices.get().device_type == "dialysis_peritoneal"
    resident.refresh_from_db()
    assert {"dialysis", "chronic_illness"} <= set(resident.tags)
    due = FollowUp.objects.get(resident=resident)
    assert due.scheduled_on == today and due.assignee == world.health_a
    round_ = ScreeningRound.objects.get(community=world.community_a)
    assert round_.screenings.count() >= 1
    assert Referral.objects.filter(community=world.community_a, status="accepted").exists()
    assert demo.seed(world.community_a, today) == {}
    client.force_login(world.health_a)
    page = client.get("/health/followups/mine/")
    assert resident.name in page.text
    assert client.get(archive.get_absolute_url()).status_code == 200
    assert client.get(f"/health/archives/{archive.pk}/fhir/").status_code == 200


def test_every_health_page_renders_for_the_health_worker(world, client):
    from resilience.health.models import CarePlan, Screening

    world.resident_a2.tags = ["oxygen", "chronic_illness"]
    world.resident_a2.save()
    demo.seed(world.community_a)
    client.force_login(world.health_a)
    round_ = ScreeningRound.objects.get()
    pages = ["/health/", "/health/archives/", "/health/careplans/", "/health/followups/",
             "/health/followups/mine/", "/health/followups/overdue/", "/health/rounds/",
             "/health/screenings/", "/health/referrals/", "/health/archives/import/",
             round_.get_absolute_url(), Screening.objects.first().get_absolute_url(),
             Referral.objects.get().get_absolute_url(), CarePlan.objects.first().get_absolute_url(),
             FollowUp.objects.first().get_absolute_url(), "/health/careplans/add/"]
    for url in pages:
        assert client.get(url).status_code == 200, url
    for url in pages:
        client.force_login(world.staff_a)
        assert client.get(url).status_code in (403, 404), url
