"""The demo story's pieces without a browser: finding the dialysis patient, the archive's next
follow-up, what a grid worker gets from the API, the round page, Chinese condition names."""
import datetime as dt

import pytest
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone, translation

from resilience.core.models import AccessLogEntry
from resilience.health.models import Condition, FollowUp, HealthArchive
from resilience.health.services import archives, care, screening
from resilience.health.vocab import icd10_choices, icd10_label

pytestmark = pytest.mark.django_db
SECRETS = ("N18.5", "Chronic kidney disease", "Amlodipine", "Dr Wang")


def reads(archive, user=None):
    rows = AccessLogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(HealthArchive), object_id=archive.pk)
    return rows.filter(user=user) if user else rows


def test_health_worker_finds_the_dialysis_patients_by_tag_or_device(world, client, archive_a1):
    other = archives.open_archive(world.health_a, world.resident_a2)
    archives.add_part(world.health_a, other, Condition, code="E11")
    client.force_login(world.health_a)
    for query in ("tag=dialysis", "device=dialysis_peritoneal"):
        page = client.get(f"/health/archives/?{query}")
        assert page.status_code == 200
        assert "Resident A1" in page.text and "Resident A2" not in page.text, query
        api = client.get(f"/api/health/archives/?{query}").json()
        assert [row["id"] for row in api["results"]] == [archive_a1.pk], query
    both = client.get("/health/archives/?tag=chronic_illness").text
    assert "Resident A1" in both and "Resident A2" in both
    bad = client.get("/api/health/archives/?tag=nonsense")
    assert bad.status_code == 400 and "tag" in bad.json()


def test_the_archive_list_shows_the_next_follow_up_but_reads_no_archive(world, client,
                                                                       archive_a1):
    soon = timezone.localdate() + dt.timedelta(days=2)
    care.start_care_plan(world.health_a, world.resident_a1, kind="chronic", interval_days=7,
                         first_on=soon)
    client.force_login(world.health_a)
    page = client.get("/health/archives/?sort=next_followup")
    assert page.status_code == 200
    assert soon.strftime("%Y") in page.text and "Next follow-up" in page.text
    for secret in SECRETS:
        assert secret not in page.text
    assert not reads(archive_a1).exists()


def test_the_archive_shows_the_next_follow_up_and_records_it_in_place(world, client,
                                                                      archive_a1):
    today = timezone.localdate()
    plan = care.start_care_plan(world.health_a, world.resident_a1, kind="chronic",
                                interval_days=7)
    due = plan.followups.get()
    client.force_login(world.health_a)
    page = client.get(archive_a1.get_absolute_url())
    assert f'data-followup="{due.pk}"' in page.text.split('id="next-followup"')[1].split(
        "</section>")[0]
    assert f'action="/health/followups/{due.pk}/record/"' in page.text
    response = client.post(f"/health/followups/{due.pk}/record/", {
        "outcome": "Dialysate clear.", "next": archive_a1.get_absolute_url() + "#next-followup"})
    assert response.status_code == 302
    assert response.url == archive_a1.get_absolute_url() + "#next-followup"
    following = FollowUp.objects.get(care_plan=plan, done_at__isnull=True)
    assert following.scheduled_on == today + dt.timedelta(days=7)
    page = client.get(archive_a1.get_absolute_url())
    panel = page.text.split('id="next-followup"')[1].split("</section>")[0]
    assert f'data-followup="{following.pk}"' in panel
    assert reads(archive_a1, world.health_a).count() == 2  # both openings are in the log
    log = page.text.split('id="access-log"')[1].split("</section>")[0]
    assert log.count('data-channel="web"') == 2 and "health_a" in log


def test_the_archive_without_a_follow_up_says_so_and_a_resident_gets_no_form(world, client,
                                                                            archive_a1):
    client.force_login(world.health_a)
    assert "No follow-up scheduled." in client.get(archive_a1.get_absolute_url()).text
    care.start_care_plan(world.health_a, world.resident_a1, kind="chronic", interval_days=7)
    world.resident_a1.user = world.users["resident_a1"]
    world.resident_a1.save()
    client.force_login(world.users["resident_a1"])
    page = client.get(archive_a1.get_absolute_url())
    assert page.status_code == 200 and 'id="next-followup"' in page.text
    assert "/record/" not in page.text  # the resident sees the date, never the record form


def test_grid_worker_gets_the_tag_from_the_residents_api_and_nothing_from_health(
        world, client, archive_a1):
    care.start_care_plan(world.health_a, world.resident_a1, kind="chronic", interval_days=7)
    client.force_login(world.grid_worker_a1)
    resident = client.get(f"/api/residents/{world.resident_a1.pk}/")
    assert resident.status_code == 200
    body = resident.json()
    assert body["has_health_tags"] is True and body["is_vulnerable"] is True
    assert "dialysis" not in body["tags"]  # a health tag is a flag here, never listed
    for secret in SECRETS:
        assert secret not in resident.text
    assert client.get(f"/api/health/archives/{archive_a1.pk}/").status_code == 404
    for endpoint in ("archives", "followups", "screenings", "referrals"):
        listed = client.get(f"/api/health/{endpoint}/")
        assert listed.status_code in (200, 403), endpoint
        if listed.status_code == 200:
            assert listed.json()["count"] == 0, endpoint
    assert not reads(archive_a1).exists()


def test_the_round_lists_vulnerable_first_filters_and_pages(world, client, monkeypatch):
    from resilience.health.tests.test_screening import closed_incident
    from resilience.health.views import screening as views

    world.resident_a2.tags = ["dialysis"]
    world.resident_a2.save()
    round_ = screening.start_round(world.health_a, closed_incident(world, grids=[
        world.grid_a1, world.grid_a2]))
    first = round_.screenings.get(resident=world.resident_a2)
    screening.record_screening(world.health_a, first, phq9=[0] * 9, gad7=[0] * 7)
    client.force_login(world.health_a)
    page = client.get(round_.get_absolute_url()).text
    assert page.index("Resident A2") < page.index("Resident A1")  # dialysis before alone
    rows = page.split("<tbody>")[1].split("</tbody>")[0]
    assert "health need" in rows and "dialysis" not in rows
    pending = client.get(round_.get_absolute_url() + "?show=pending").text
    assert "Resident A1" in pending and "Resident A2" not in pending
    screened = client.get(round_.get_absolute_url() + "?show=screened").text
    assert "Resident A2" in screened and "Resident A1" not in screened
    monkeypatch.setattr(views, "ROUND_PAGE", 1)
    second = client.get(round_.get_absolute_url() + "?page=2").text
    assert "Resident A1" in second and "Resident A2" not in second.split('id="screenings"')[1]
    assert "2 / 2" in second


def test_conditions_read_in_chinese_on_chinese_pages(world, client, archive_a1):
    assert icd10_label("N18.5") == "Chronic kidney disease, stage 5"
    with translation.override("zh-hans"):
        assert icd10_label("n18.5") == "慢性肾脏病5期"
        assert icd10_label("I10", "Hypertension (as the clinic wrote it)") == \
            "Hypertension (as the clinic wrote it)"  # an imported name is kept as given
        assert ("Z99.2", "Z99.2 依赖于肾透析") in icd10_choices()
    client.force_login(world.health_a)
    page = client.get(archive_a1.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="zh-CN")
    assert "慢性肾脏病5期" in page.text and "Chronic kidney disease" not in page.text
    stored = [c.display for c in archive_a1.conditions.all()]
    assert "Chronic kidney disease, stage 5" in stored  # stored and exported in English


def test_every_code_on_the_list_has_a_chinese_name():
    from resilience.health.vocab import _icd10_zh, icd10_codes

    assert set(_icd10_zh()) == set(icd10_codes())


def test_young_children_are_left_out_of_the_round(world):
    from resilience.core.testing import make_id_number
    from resilience.health.tests.test_screening import closed_incident
    from resilience.people.models import Resident

    born = timezone.localdate().replace(year=timezone.localdate().year - 5, month=1, day=1)
    Resident.objects.create(community=world.community_a, household=world.household_a1,
                            name="Child A1", sex="female", birth_date=born,
                            id_number=make_id_number(born, 90, female=True), tags=["infant"])
    round_ = screening.start_round(world.health_a, closed_incident(world, grids=[world.grid_a1]))
    assert list(round_.screenings.values_list("resident__name", flat=True)) == ["Resident A1"]
