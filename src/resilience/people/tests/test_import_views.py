"""The import and export pages: upload, a job with a progress bar, the row-level report, downloads."""
import threading

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from resilience.core.models import AccessLogEntry
from resilience.people.models import ImportJob, Resident

GOOD = "姓名,性别,出生日期,楼栋,房号\n张三,男,1950-01-01,B1,901\n李四,女,1951-02-03,B2,902\n"
BAD = "姓名,性别,出生日期,楼栋,房号\n张三,男,1950-02-30,B1,901\n李四,女,1951-02-03,9号楼,902\n"


@pytest.fixture
def jobs_inline(settings):
    settings.RESILIENCE_IMPORT_IN_BACKGROUND = False


def login(client, world, name):
    client.force_login(world.users[name])
    return client


def upload(client, world, content: str, community=None, encoding="gb18030", **extra):
    data = {"kind": "residents", "community": (community or world.community_a).pk, "crs": "wgs84",
            "file": SimpleUploadedFile("花名册.csv", content.encode(encoding), "text/csv"), **extra}
    return client.post(reverse("people:import"), data)


def test_the_import_page_offers_the_form_and_the_columns(world, client):
    response = login(client, world, "staff_a").get(reverse("people:import"))
    assert response.status_code == 200
    content = response.content.decode()
    assert 'enctype="multipart/form-data"' in content and "身份证号" in content
    assert f'value="{world.community_a.pk}"' in content
    assert f'value="{world.community_b.pk}"' not in content


def test_an_upload_with_bad_rows_shows_the_report_and_imports_nothing(world, client, jobs_inline):
    before = Resident.objects.count()
    response = upload(login(client, world, "staff_a"), world, BAD)
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    assert job.status == "failed" and job.user == world.users["staff_a"]
    page = client.get(job.get_absolute_url()).content.decode()
    assert "Nothing imported: 2 errors." in page
    assert "1950-02-30" in page and "9号楼" in page and "出生日期" in page
    assert "<td>2</td>" in page and "<td>3</td>" in page
    assert 'hx-trigger="every 1s"' not in page  # finished: no more polling
    assert Resident.objects.count() == before
    report = client.get(reverse("people:import_report", args=[job.pk]))
    assert report["Content-Type"].startswith("text/csv")
    assert "9号楼" in report.content.decode("utf-8-sig")


def test_a_good_upload_imports_and_links_to_the_list(world, client, jobs_inline):
    response = upload(login(client, world, "staff_a"), world, GOOD, encoding="utf-8-sig")
    job = ImportJob.objects.get()
    assert job.status == "succeeded" and job.total == 2 and job.done == 2 and job.finished
    page = client.get(response["Location"]).content.decode()
    assert "2 rows imported." in page
    assert f"{reverse('people:resident_list')}?community={world.community_a.pk}" in page
    assert Resident.objects.filter(name__in=["张三", "李四"], community=world.community_a).count() == 2


def test_a_running_job_polls_with_a_progress_bar(world, client):
    job = ImportJob.objects.create(kind="residents", community=world.community_a,
                                   user=world.users["staff_a"], file_name="x.csv",
                                   status="running", stage="checking", total=200, done=50)
    login(client, world, "staff_a")
    page = client.get(job.get_absolute_url()).content.decode()
    assert "<html" in page and 'hx-trigger="every 1s"' in page
    assert '<progress max="100" value="25"' in page and "50 of 200 rows" in page
    fragment = client.get(job.get_absolute_url(), HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and 'hx-get="%s"' % job.get_absolute_url() in fragment


def test_a_dry_run_upload_says_nothing_was_written(world, client, jobs_inline):
    upload(login(client, world, "staff_a"), world, GOOD, dry_run="on")
    page = client.get(ImportJob.objects.get().get_absolute_url()).content.decode()
    assert "Dry run: 2 rows would be imported" in page
    assert not Resident.objects.filter(name="张三").exists()


def test_a_volunteer_cannot_import(world, client, jobs_inline):
    login(client, world, "volunteer_a")
    assert client.get(reverse("people:import")).status_code == 403
    assert upload(client, world, GOOD).status_code == 403
    assert not ImportJob.objects.exists()


def test_staff_cannot_upload_into_another_community(world, client, jobs_inline):
    response = upload(login(client, world, "staff_a"), world, GOOD, community=world.community_b)
    assert response.status_code == 400 and not ImportJob.objects.exists()


def test_a_grid_worker_may_import_residents_but_not_buildings(world, client, jobs_inline):
    login(client, world, "grid_worker_a1")
    page = client.get(reverse("people:import")).content.decode()
    assert 'value="residents"' in page and 'value="buildings"' not in page
    assert upload(client, world, GOOD, kind="buildings").status_code == 400
    upload(client, world, GOOD)
    job = ImportJob.objects.get()
    assert job.status == "failed"  # B2 is outside the grid worker's grid
    assert "may not add" in client.get(job.get_absolute_url()).content.decode()


def test_someone_elses_job_is_not_found(world, client, jobs_inline):
    upload(login(client, world, "staff_a"), world, GOOD)
    job = ImportJob.objects.get()
    login(client, world, "staff_b")
    assert client.get(job.get_absolute_url()).status_code == 404
    assert client.get(reverse("people:import_report", args=[job.pk])).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(world, client):
    assert client.get(reverse("people:import")).status_code == 302
    assert client.get(reverse("people:export")).status_code == 302


@pytest.mark.django_db(transaction=True)
def test_an_upload_runs_in_a_background_thread(world, client):
    upload(login(client, world, "staff_a"), world, GOOD)
    job = ImportJob.objects.get()
    for thread in threading.enumerate():
        if thread.name == f"import-job-{job.pk}":
            thread.join(timeout=30)
    job.refresh_from_db()
    assert job.status == "succeeded", job.report
    assert Resident.objects.filter(name="张三").exists()


# --- export --------------------------------------------------------------------------------------

def test_the_export_page_offers_what_the_user_may_see(world, client):
    page = login(client, world, "volunteer_a").get(reverse("people:export")).content.decode()
    assert 'value="volunteers"' in page and 'value="residents"' not in page


def test_an_export_download_is_masked_and_scoped(world, client):
    login(client, world, "staff_a")
    url = reverse("people:export")
    response = client.get(url, {"kind": "residents", "format": "csv", "community": world.community_a.pk})
    assert response.status_code == 200 and "attachment" in response["Content-Disposition"]
    text = response.content.decode("utf-8-sig")
    assert "Resident A1" in text and "310***********" in text
    assert world.resident_a1.id_number not in text
    response = client.get(url, {"kind": "residents", "format": "xlsx", "community": world.community_b.pk})
    assert response.status_code == 400
    everything = client.get(url, {"kind": "residents", "format": "geojson"}).json()
    assert {f["properties"]["community"] for f in everything["features"]} == {"comm-a"}


def test_a_revealed_download_is_logged_and_refused_without_the_right(world, client):
    url = reverse("people:export")
    login(client, world, "staff_a")
    response = client.get(url, {"kind": "residents", "format": "csv", "reveal": "on"})
    assert world.resident_a1.id_number in response.content.decode("utf-8-sig")
    assert AccessLogEntry.objects.filter(user=world.users["staff_a"], channel="export").count() == 2
    login(client, world, "office")
    response = client.get(url, {"kind": "residents", "format": "csv", "reveal": "on"})
    assert response.status_code == 403 and "may not see personal data" in response.content.decode()
    assert AccessLogEntry.objects.count() == 2
