"""Drills: participation rate and evacuation times computed right, refusals, the grid worker's
phone page, scope (another community's staff, residents and other households), the summary."""
import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from resilience.participation import demo_learning, drills
from resilience.participation.models import Drill, DrillParticipation, DrillTiming
from resilience.people.models import Household

pytestmark = pytest.mark.django_db
T0 = timezone.make_aware(dt.datetime(2026, 4, 18, 9, 30))


@pytest.fixture
def flats(world):
    """Household a1-101 and three more in building A1 (four in all)."""
    more = [Household.objects.create(community=world.community_a, building=world.building_a1,
                                     room=room, code=f"a1-{room}")
            for room in ("201", "301", "401")]
    return [world.household_a1, *more]


def make_drill(world, **place) -> Drill:
    drill = Drill(community=world.community_a, scenario="high_rise_fire", title="Fire drill",
                  planned_at=T0, **place)
    drill.full_clean()
    drill.save()
    return drill


def tick(drill, user, households, present):
    return drills.record_participation(drill, user, [
        {"household": h, "present": h in present} for h in households])


def test_participation_rate_is_present_households_over_households_in_scope(world, flats):
    drill = make_drill(world, grid=world.grid_a1)
    tick(drill, world.staff_a, flats, present=flats[:3])
    assert drills.participation_rate(drill) == {"households": 4, "present": 3, "rate": 75.0}
    # a resident recorded present in an otherwise absent household makes it present, once
    drills.record_participation(drill, world.staff_a, [{"resident": world.resident_a1,
                                                        "household": None, "present": True}])
    tick(drill, world.staff_a, flats[:1], present=())
    assert drills.participation_rate(drill)["present"] == 3
    # ticking again updates rows rather than adding them
    tick(drill, world.staff_a, flats, present=flats)
    assert DrillParticipation.objects.filter(drill=drill).count() == 5
    assert drills.participation_rate(drill)["rate"] == 100.0


def test_evacuation_times_per_building_and_overall(world):
    drill = make_drill(world)
    drills.record_timing(drill, world.staff_a, building=world.building_a1, started_at=T0,
                         all_out_at=T0 + dt.timedelta(minutes=5),
                         arrived_at=T0 + dt.timedelta(minutes=9), people_counted=40)
    drills.record_timing(drill, world.staff_a, building=world.building_a2, seconds=420,
                         people_counted=25)
    times = drills.evacuation_times(drill)
    by_building = {r["building"]: (r["seconds"], r["shelter"]) for r in times["rows"]}
    assert by_building == {world.building_a1: (300, 540), world.building_a2: (420, None)}
    assert (times["max"], times["people"]) == (420, 65)


def test_a_stopwatch_posts_start_and_stop_separately(world):
    drill = make_drill(world)
    drills.record_timing(drill, world.staff_a, building=world.building_a1, started_at=T0)
    drills.record_timing(drill, world.staff_a, building=world.building_a1,
                         all_out_at=T0 + dt.timedelta(seconds=250))
    assert DrillTiming.objects.get().evacuation_seconds == 250


def test_bad_timings_and_participation_are_refused_naming_the_field(world, flats):
    drill = make_drill(world, grid=world.grid_a1)
    with pytest.raises(ValidationError) as exc:
        drills.record_timing(drill, world.staff_a, building=world.building_a1,
                             started_at=T0, all_out_at=T0 - dt.timedelta(minutes=1))
    assert "all_out_at" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        drills.record_timing(drill, world.staff_a, building=world.building_a2, seconds=10)
    assert "building" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:  # one bad row: nothing is written
        tick(drill, world.staff_a, [flats[0], world.household_a2], present=(flats[0],))
    assert "household" in exc.value.message_dict
    assert not DrillParticipation.objects.exists() and not DrillTiming.objects.exists()


def test_finishing_needs_records_and_lessons_and_happens_once(world, flats):
    drill = make_drill(world)
    with pytest.raises(ValidationError) as exc:
        drills.finish_drill(drill, world.staff_a, lessons_learned="Stairs were blocked")
    assert "drill" in exc.value.message_dict
    tick(drill, world.staff_a, flats, present=flats[:2])
    with pytest.raises(ValidationError) as exc:
        drills.finish_drill(drill, world.staff_a, lessons_learned=" ")
    assert "lessons_learned" in exc.value.message_dict
    drills.finish_drill(drill, world.staff_a, lessons_learned="Stairs were blocked",
                        actions=[{"text": "Clear the stairs", "owner": "property"}])
    assert drill.status == "done" and drill.finished_at and drill.actions[0]["owner"] == "property"
    with pytest.raises(ValidationError) as exc:
        drills.finish_drill(drill, world.staff_a, lessons_learned="again")
    assert "status" in exc.value.message_dict
    with pytest.raises(ValidationError) as exc:
        tick(drill, world.staff_a, flats, present=flats)
    assert "drill" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        drills.cancel_drill(make_drill(world), world.staff_b)


def test_grid_workers_record_only_their_grids_buildings(world):
    drill = make_drill(world)
    worker = world.grid_worker_a1
    assert list(drills.recordable_buildings(drill, worker)) == [world.building_a1]
    drills.record_participation(drill, worker, [{"household": world.household_a1}])
    drills.record_timing(drill, worker, building=world.building_a1, seconds=100)
    with pytest.raises(PermissionDenied):
        drills.record_participation(drill, worker, [{"household": world.household_a2}])
    with pytest.raises(PermissionDenied):
        drills.record_timing(drill, worker, building=world.building_a2, seconds=100)
    assert DrillParticipation.objects.count() == 1 and DrillTiming.objects.count() == 1


def test_scope_other_community_and_other_households(world, flats):
    drill = make_drill(world)
    tick(drill, world.staff_a, [world.household_a1, world.household_a2],
         present=[world.household_a2])
    assert not Drill.objects.visible_to(world.staff_b).exists()
    assert Drill.objects.visible_to(world.users["resident_a1"]).get() == drill
    mine = DrillParticipation.objects.visible_to(world.users["resident_a1"])
    assert [p.household_id for p in mine] == [world.household_a1.pk]
    assert drills.household_outcome(drill, world.users["resident_a1"]) is False
    assert not DrillParticipation.objects.visible_to(world.staff_b).exists()


def test_drill_summary_for_the_assessment(world, flats):
    recent = make_drill(world, building=world.building_a1)
    tick(recent, world.staff_a, flats, present=flats[:2])
    drills.record_timing(recent, world.staff_a, building=world.building_a1, seconds=300)
    recent.planned_at = timezone.now() - dt.timedelta(days=30)
    recent.save()
    drills.finish_drill(recent, world.staff_a, lessons_learned="ok")
    other = make_drill(world)
    drills.record_timing(other, world.staff_a, building=world.building_a1, seconds=200)
    drills.record_timing(other, world.staff_a, building=world.building_a2, seconds=600)
    tick(other, world.staff_a, [world.household_a2], present=[world.household_a2])
    other.planned_at = timezone.now() - dt.timedelta(days=60)
    other.save()
    drills.finish_drill(other, world.staff_a, lessons_learned="ok")
    old = make_drill(world)
    Drill.objects.filter(pk=old.pk).update(status="done",
                                           planned_at=timezone.now() - dt.timedelta(days=500))
    upcoming = make_drill(world)
    Drill.objects.filter(pk=upcoming.pk).update(planned_at=timezone.now() + dt.timedelta(days=20))
    summary = drills.drill_summary(world.community_a)
    # recent: 2 of 4 households; other (community): 1 of 5
    assert (summary["drills"], summary["households"], summary["present"]) == (2, 9, 3)
    assert summary["participation_rate"] == 33.3
    assert (summary["median_evacuation_seconds"], summary["max_evacuation_seconds"]) == (300, 600)
    assert summary["planned"] == 1


def test_the_phone_page_ticks_households_and_times_a_building(client, world, flats):
    drill = make_drill(world)
    client.force_login(world.grid_worker_a1)
    url = f"/participation/drills/{drill.pk}/field/"
    page = client.get(url).content.decode()
    assert f'id="building-{world.building_a1.pk}"' in page
    assert f'id="building-{world.building_a2.pk}"' not in page
    client.post(url, {"building": world.building_a1.pk,
                      "present": [flats[0].pk, flats[1].pk]})
    assert drills.participation_rate(drill)["present"] == 2
    timer = f"/participation/drills/{drill.pk}/timer/"
    client.post(timer, {"building": world.building_a1.pk, "event": "start"})
    client.post(timer, {"building": world.building_a1.pk, "event": "all_out"})
    assert DrillTiming.objects.get().evacuation_seconds is not None
    client.post(timer, {"building": world.building_a1.pk, "event": "minutes", "minutes": "4.5",
                        "people_counted": "30"})
    timing = DrillTiming.objects.get()
    assert (timing.seconds, timing.people_counted) == (270, 30)
    assert client.post(timer, {"building": world.building_a2.pk,
                               "event": "start"}).status_code == 403
    client.force_login(world.users["resident_a1"])
    assert client.get(url).status_code == 403


def test_staff_finish_on_the_page_and_the_report_prints(client, world, flats):
    drill = make_drill(world, building=world.building_a1)
    tick(drill, world.staff_a, flats, present=flats[:3])
    client.force_login(world.staff_a)
    response = client.post(f"/participation/drills/{drill.pk}/finish/", {
        "lessons_learned": "Too slow on floor 6", "actions": "Clear stairs | property\nTrain"})
    assert response.status_code == 302
    drill.refresh_from_db()
    assert drill.status == "done" and drill.actions == [
        {"text": "Clear stairs", "owner": "property"}, {"text": "Train", "owner": ""}]
    report = client.get(f"/participation/drills/{drill.pk}/report/").content.decode()
    assert "75.0" in report and "Too slow on floor 6" in report
    client.force_login(world.staff_b)
    assert client.get(f"/participation/drills/{drill.pk}/report/").status_code == 404
    assert client.get(f"/participation/drills/{drill.pk}/").status_code == 404


def test_residents_see_their_communitys_drills_without_other_households(client, world, flats):
    done = make_drill(world, grid=world.grid_a1)
    tick(done, world.staff_a, flats, present=flats[1:])
    DrillParticipation.objects.filter(household=flats[1]).update(note="SECRET-NOTE")
    drills.finish_drill(done, world.staff_a, lessons_learned="ok")
    Drill.objects.create(community=world.community_a, scenario="flood", title="Next flood drill",
                         planned_at=timezone.now() + dt.timedelta(days=10))
    Drill.objects.create(community=world.community_b, scenario="flood", title="B drill",
                         planned_at=timezone.now() + dt.timedelta(days=10))
    client.force_login(world.users["resident_a1"])
    page = client.get("/participation/drills/community/").content.decode()
    assert "Next flood drill" in page and "Fire drill" in page and "B drill" not in page
    assert "SECRET-NOTE" not in page and "recorded absent" in page


@pytest.mark.parametrize("username", ["admin", "office", "staff_a", "staff_b", "grid_worker_a1",
                                      "property_a", "volunteer_a", "resident_a1", "outsider"])
def test_drill_pages_answer_every_role(client, world, username):
    drill = make_drill(world)
    client.force_login(world.users[username])
    for url in ("/participation/drills/", f"/participation/drills/{drill.pk}/",
                "/participation/drills/add/", f"/participation/drills/{drill.pk}/edit/",
                f"/participation/drills/{drill.pk}/field/",
                f"/participation/drills/{drill.pk}/report/", "/participation/drills/community/"):
        status = client.get(url).status_code
        assert status in (200, 302, 403, 404), (url, status)


def test_the_demo_seeds_lessons_drills_and_about_a_third_trained(world):
    counts = demo_learning.seed_learning(world.community_a, timezone.localdate())
    assert counts["lessons"] == 5 and counts["drills"] == 3
    assert demo_learning.seed_learning(world.community_a) == {}
    assert Drill.objects.filter(community=world.community_a, status="done").count() == 2
    assert Drill.objects.filter(status="planned", planned_at__gt=timezone.now()).count() == 1
    fire = Drill.objects.get(scenario="high_rise_fire")
    assert drills.evacuation_times(fire)["max"] > 0 and fire.lessons_learned
