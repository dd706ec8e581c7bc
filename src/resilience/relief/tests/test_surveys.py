"""Needs surveys: opening to an area, one validated response per household, results and the
ranked needs."""
from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from resilience.people.models import Household
from resilience.relief import surveys
from resilience.relief.models import Survey, SurveyResponse
from resilience.relief.vocab import NeedKind, QuestionKind, SurveyStatus


def make_survey(world, **area) -> tuple[Survey, dict]:
    survey = Survey.objects.create(community=world.community_a, title="Needs", **area)
    q = {
        "need": surveys.add_question(survey, text="What do you need?", kind=QuestionKind.MULTI,
                                     choices=["water", "medicine", "dialysis", "nothing"],
                                     needs={"water": NeedKind.FOOD, "medicine": NeedKind.MEDICINE,
                                            "dialysis": NeedKind.MEDICAL_VISIT},
                                     urgent=["dialysis"]),
        "days": surveys.add_question(survey, text="Days of food left", kind=QuestionKind.NUMBER,
                                     min_value=Decimal(0), max_value=Decimal(60)),
        "care": surveys.add_question(survey, text="Anyone needing care?", kind=QuestionKind.CHOICE,
                                     choices=["yes", "no"], needs={"yes": NeedKind.CARE}),
        "note": surveys.add_question(survey, text="Anything else", kind=QuestionKind.TEXT,
                                     required=False),
    }
    surveys.open_survey(survey)
    return survey, q


def answers(q, need=("water",), days=3, care="no", note=""):
    return {str(q["need"].pk): list(need), str(q["days"].pk): days, str(q["care"].pk): care,
            str(q["note"].pk): note}


@pytest.mark.django_db
def test_a_draft_needs_questions_before_it_opens(world):
    survey = Survey.objects.create(community=world.community_a, title="Empty")
    with pytest.raises(ValidationError):
        surveys.open_survey(survey)
    with pytest.raises(ValidationError) as refused:
        surveys.add_question(survey, text="Pick", kind=QuestionKind.CHOICE, choices=["only"])
    assert "choices" in refused.value.message_dict


@pytest.mark.django_db
def test_residents_of_the_area_see_the_open_survey(world):
    survey, _q = make_survey(world, building=world.building_a1)
    assert list(surveys.open_for(world.users["resident_a1"])) == [survey]
    other, _ = make_survey(world, building=world.building_a2)
    assert other not in surveys.open_for(world.users["resident_a1"])
    assert not surveys.open_for(world.users["staff_a"]).exists()
    surveys.close_survey(survey)
    assert not surveys.open_for(world.users["resident_a1"]).exists()


@pytest.mark.django_db
def test_the_resident_portal_links_the_open_survey(world, client):
    from django.urls import reverse

    survey, _q = make_survey(world, building=world.building_a1)
    client.force_login(world.users["resident_a1"])
    page = client.get(reverse("participation:portal")).content.decode()
    assert reverse("relief:survey_answer", args=[survey.pk]) in page


@pytest.mark.django_db
def test_one_response_per_household_answering_again_updates_it(world):
    survey, q = make_survey(world)
    user = world.users["resident_a1"]
    surveys.respond(survey, world.household_a1, answers(q), by=user)
    response = surveys.respond(survey, world.household_a1, answers(q, need=["medicine"]), by=user)
    assert SurveyResponse.objects.count() == 1
    assert response.answers[str(q["need"].pk)] == ["medicine"]
    assert response.building_id == world.building_a1.pk


@pytest.mark.django_db
@pytest.mark.parametrize("key,value,reason", [
    ("care", "maybe", "Choose one of"),
    ("need", ["water", "gold"], "Not among the choices"),
    ("days", 61, "at most"),
    ("days", "lots", "Enter a number"),
    ("care", "", "required"),
])
def test_a_bad_answer_is_refused_naming_the_question(world, key, value, reason):
    survey, q = make_survey(world)
    data = answers(q)
    data[str(q[key].pk)] = value
    with pytest.raises(ValidationError) as refused:
        surveys.respond(survey, world.household_a1, data)
    assert reason in refused.value.message_dict[str(q[key].pk)][0]
    assert not SurveyResponse.objects.exists()


@pytest.mark.django_db
def test_a_household_outside_the_area_or_someone_elses_is_refused(world):
    survey, q = make_survey(world, building=world.building_a1)
    with pytest.raises(ValidationError) as refused:
        surveys.respond(survey, world.household_a2, answers(q))
    assert "household" in refused.value.message_dict
    survey2, q2 = make_survey(world)
    with pytest.raises(PermissionDenied):
        surveys.respond(survey2, world.household_a2, answers(q2), by=world.users["resident_a1"])
    assert not SurveyResponse.objects.exists()


@pytest.mark.django_db
def test_a_grid_worker_enters_a_paper_form_in_their_grid(world):
    survey, q = make_survey(world)
    worker = world.users["grid_worker_a1"]
    response = surveys.respond(survey, world.household_a1, answers(q), by=worker, on_paper=True)
    assert response.on_paper and response.entered_by == worker
    with pytest.raises(PermissionDenied):
        surveys.respond(survey, world.household_a2, answers(q), by=worker, on_paper=True)


@pytest.mark.django_db
def test_a_closed_survey_takes_no_answers(world):
    survey, q = make_survey(world)
    surveys.close_survey(survey)
    with pytest.raises(ValidationError) as refused:
        surveys.respond(survey, world.household_a1, answers(q))
    assert "survey" in refused.value.message_dict


@pytest.mark.django_db
def test_results_rank_needs_by_households_and_urgency(world):
    survey, q = make_survey(world)
    extra = [Household.objects.create(community=world.community_a, building=world.building_a1,
                                      room=f"2{i}", code=f"a1-2{i}") for i in range(3)]
    surveys.respond(survey, world.household_a1, answers(q, need=["water", "dialysis"]))
    surveys.respond(survey, world.household_a2, answers(q, need=["water"], care="yes"))
    surveys.respond(survey, extra[0], answers(q, need=["medicine", "water"]))
    surveys.respond(survey, extra[1], answers(q, need=["dialysis"]))
    result = surveys.results(survey)
    assert result["households"] == 5 and result["responses"] == 4 and result["rate"] == 0.8
    ranked = [(n["need"], n["households"], n["urgent"]) for n in result["needs"]]
    # dialysis: 2 households, both urgent (score 4) ties water's 3 + 0 … and ranks first
    assert ranked[0] == (NeedKind.MEDICAL_VISIT, 2, 2)
    assert ranked[1] == (NeedKind.FOOD, 3, 0)
    assert {r[0] for r in ranked[2:]} == {NeedKind.MEDICINE, NeedKind.CARE}
    buildings = {b["name"]: (b["responses"], b["households"]) for b in result["buildings"]}
    assert buildings == {"Building A1": (3, 4), "Building A2": (1, 1)}
    assert {g["name"]: g["rate"] for g in result["grids"]} == {"Grid A1": 0.75, "Grid A2": 1.0}
    days = next(t for t in result["questions"] if t["id"] == q["days"].pk)
    assert days["sum"] == 12 and days["answered"] == 4
    assert survey.status == SurveyStatus.OPEN
