"""The assessment pages: who sees what, running from the page, forms and their errors."""
import pytest
from django.test import Client
from django.urls import reverse

from resilience.assessment.models import AssessmentRun, IndicatorEntry, StressTest
from resilience.assessment.services import runs
from resilience.assessment.tests.assess_helpers import make, set_values, use_catalogue
from resilience.assessment.vocab import Source
from resilience.core.testing import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def small(monkeypatch, world):
    use_catalogue(monkeypatch,
                  make("p1", "physical", 10, recommendations=((100, "Add shelter places."),)),
                  make("s1", "social", 5, 60),
                  make("drills", "organisational", 4, source=Source.SURVEY))
    set_values("p1", {world.community_a: 5, world.community_b: 10, world.community_c: 1})
    set_values("s1", {world.community_a: 5, world.community_b: 60, world.community_c: 5})
    return world


def login(world, name: str) -> Client:
    c = Client()
    assert c.login(username=world.users[name].username, password=PASSWORD)
    return c


def test_staff_run_an_assessment_from_the_community_page(small):
    c = login(small, "staff_a")
    page = c.get(reverse("assessment:community", args=[small.community_a.pk]))
    assert page.status_code == 200
    assert b'id="run-assessment"' in page.content
    response = c.post(reverse("assessment:run_new", args=[small.community_a.pk]))
    run = AssessmentRun.objects.get()
    assert response.status_code == 302 and response["Location"] == run.get_absolute_url()
    detail = c.get(run.get_absolute_url())
    assert detail.status_code == 200
    assert b"Name of p1" in detail.content
    assert b"entries/new/?indicator=drills" in detail.content  # a survey value to enter
    assert b"?indicator=p1" not in detail.content  # computed: nothing to enter
    home = c.get(reverse("assessment:community", args=[small.community_a.pk])).content.decode()
    assert "75.0" in home and "Add shelter places." in home and "<svg" in home


def test_home_sends_staff_to_their_community_and_office_to_the_street(small):
    response = login(small, "staff_a").get(reverse("assessment:home"))
    assert response["Location"] == reverse("assessment:community", args=[small.community_a.pk])
    response = login(small, "office").get(reverse("assessment:home"))
    assert response["Location"] == reverse("assessment:street")


def test_residents_volunteers_and_outsiders_get_nothing(small):
    run = runs.assess_one(small.community_a)
    for name in ("resident_a1", "volunteer_a", "outsider"):
        c = login(small, name)
        assert c.get(reverse("assessment:home")).status_code == 403
        assert c.get(reverse("assessment:community", args=[small.community_a.pk])
                     ).status_code == 404
        assert c.get(run.get_absolute_url()).status_code == 404
        assert b"assessment/" not in c.get(reverse("dashboard")).content.split(b"<main")[0]


def test_staff_b_cannot_see_community_a(small):
    run = runs.assess_one(small.community_a)
    c = login(small, "staff_b")
    assert c.get(reverse("assessment:community", args=[small.community_a.pk])).status_code == 404
    assert c.get(run.get_absolute_url()).status_code == 404
    assert c.get(reverse("assessment:run_csv", args=[run.pk])).status_code == 404
    assert c.post(reverse("assessment:run_new", args=[small.community_a.pk])).status_code == 404


def test_grid_worker_views_but_may_not_run(small):
    c = login(small, "grid_worker_a1")
    page = c.get(reverse("assessment:community", args=[small.community_a.pk]))
    assert page.status_code == 200 and b'id="run-assessment"' not in page.content
    assert c.post(reverse("assessment:run_new", args=[small.community_a.pk])).status_code == 403


def test_street_comparison_office_sees_a_and_b_not_c_sorted_by_score(small):
    runs.assess([small.community_a, small.community_b, small.community_c])
    page = login(small, "office").get(reverse("assessment:street")).content.decode()
    assert page.index("comm-a") < page.index("comm-b")  # 75 before 50
    assert "comm-c" not in page
    page = login(small, "office").get(reverse("assessment:street") + "?sort=-score").content
    assert page.index(b"comm-b") < page.index(b"comm-a")
    staff = login(small, "staff_b").get(reverse("assessment:street")).content
    assert b"comm-b" in staff and b"comm-a" not in staff


def test_entry_form_saves_and_refuses_bad_values(small):
    c = login(small, "staff_a")
    url = reverse("assessment:entry_new", args=[small.community_a.pk])
    bad = c.post(url, {"indicator": "drills", "value": "lots", "measured_on": "2026-01-05",
                       "source": "survey"})
    assert bad.status_code == 200 and b"errorlist" in bad.content
    bad = c.post(url, {"indicator": "p1", "value": "3", "measured_on": "2026-01-05",
                       "source": "survey"})
    assert bad.status_code == 200 and not IndicatorEntry.objects.exists()
    assert b'value="drills" selected' in c.get(url + "?indicator=drills").content
    ok = c.post(url, {"indicator": "drills", "value": "3", "measured_on": "2026-01-05",
                      "source": "survey", "note": "Drill log"})
    assert ok.status_code == 302
    assert IndicatorEntry.objects.get().by == small.users["staff_a"]
    assert login(small, "grid_worker_a1").get(url).status_code == 403


def test_stress_test_form_runs_and_compares_with_the_previous_run(world):
    c = login(world, "staff_a")
    url = reverse("assessment:stress_new", args=[world.community_a.pk])
    assert c.get(url + "?kind=fire").status_code == 200
    bad = c.post(url, {"kind": "lockdown", "days": "0"})
    assert bad.status_code == 200 and b"errorlist" in bad.content
    assert not StressTest.objects.exists()
    response = c.post(url, {"kind": "lockdown", "days": "14"})
    first = StressTest.objects.get()
    assert response["Location"] == first.get_absolute_url()
    again = c.post(reverse("assessment:stress_again", args=[first.pk]))
    second = StressTest.objects.exclude(pk=first.pk).get()
    assert again["Location"] == second.get_absolute_url()
    page = c.get(second.get_absolute_url())
    assert page.status_code == 200 and b'id="comparison"' in page.content
    fire = c.post(url, {"kind": "fire", "building": world.building_a1.pk, "floor": "1"})
    assert fire.status_code == 302


def test_report_page_renders_charts_and_csv_link(small):
    runs.assess_one(small.community_a)
    page = login(small, "staff_a").get(reverse("assessment:report",
                                                args=[small.community_a.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count("<svg") >= 2 and "@media print" not in html  # print CSS in the file
    assert 'id="csv-link"' in html and 'id="print"' in html


def test_index_pages(small):
    c = login(small, "staff_a")
    index = runs.default_index()
    assert c.get(reverse("assessment:index_list")).status_code == 200
    assert b"Name of p1" in c.get(index.get_absolute_url()).content
    assert login(small, "resident_a1").get(index.get_absolute_url()).status_code == 403


def test_the_real_catalogue_assesses_the_world_and_the_page_shows_it(world):
    run = runs.assess_one(world.community_a)
    assert run.values.count() >= 25
    c = login(world, "staff_a")
    assert c.get(run.get_absolute_url()).status_code == 200
    assert c.get(reverse("assessment:report", args=[world.community_a.pk])).status_code == 200


def test_self_evaluation_from_the_page_keeps_attestations(world):
    from resilience.assessment import checklist
    from resilience.assessment.models import SelfEvaluation

    code = checklist.manual_codes()[0]
    c = login(world, "staff_a")
    response = c.post(reverse("assessment:evaluation_new", args=[world.community_a.pk]),
                      {f"note_{code}": "Plan signed by the committee"})
    evaluation = SelfEvaluation.objects.get()
    assert response["Location"] == evaluation.get_absolute_url()
    assert evaluation.attestations == {code: "Plan signed by the committee"}
    page = c.get(evaluation.get_absolute_url())
    assert page.status_code == 200 and b'id="scored"' in page.content
    assert b"Plan signed by the committee" in page.content
    c.post(reverse("assessment:evaluation_new", args=[world.community_a.pk]))
    assert SelfEvaluation.objects.latest("at").attestations == evaluation.attestations
    assert login(world, "staff_b").get(evaluation.get_absolute_url()).status_code == 404
    assert login(world, "grid_worker_a1").post(
        reverse("assessment:evaluation_new", args=[world.community_a.pk])).status_code == 403


def test_pages_render_in_chinese(small):
    from django.utils import translation

    run = runs.assess_one(small.community_a)
    c = login(small, "staff_a")
    with translation.override("zh-hans"):
        for url in (reverse("assessment:community", args=[small.community_a.pk]),
                    run.get_absolute_url(),
                    reverse("assessment:report", args=[small.community_a.pk]),
                    reverse("assessment:stress_new", args=[small.community_a.pk])):
            page = c.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
            assert page.status_code == 200, url
            assert b'lang="zh-hans"' in page.content
