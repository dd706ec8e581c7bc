"""``assess`` against hand-computed small cases: each method, each weighting, entries, storage."""
import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from resilience.assessment.models import AssessmentRun, Index, IndicatorEntry, IndicatorValue
from resilience.assessment.services import runs, trends, weakness
from resilience.assessment.tests.assess_helpers import make, set_values, use_catalogue
from resilience.assessment.vocab import Method, Source, Weighting

pytestmark = pytest.mark.django_db


@pytest.fixture
def indicators(monkeypatch):
    """p1: target 10 (higher better); p2: target 1; s1: lower is better, target 5, worst 60."""
    use_catalogue(monkeypatch,
                  make("p1", "physical", 10, recommendations=((50, "Build more."),
                                                              (100, "Build a little more."))),
                  make("p2", "physical", 1),
                  make("s1", "social", 5, 60, recommendations=((100, "Answer faster."),)))


def index(**fields) -> Index:
    return Index.objects.create(code=fields.pop("code", "test"), name="Test", **fields)


def scores(run) -> dict:
    return dict(run.values.values_list("indicator", "score"))


def test_default_index_exists_after_migrations():
    default = runs.default_index()
    assert (default.code, default.method, default.weighting, default.is_default) == (
        "default", Method.TARGET, Weighting.EQUAL, True)


def test_target_method_with_equal_weights(world, indicators):
    a, b = world.community_a, world.community_b
    set_values("p1", {a: 5, b: 10})
    set_values("p2", {a: 1, b: 0})
    set_values("s1", {a: 5, b: 32.5})
    run_a, run_b = runs.assess([a, b], index())
    assert scores(run_a) == {"p1": 50.0, "p2": 100.0, "s1": 100.0}
    assert scores(run_b) == {"p1": 100.0, "p2": 0.0, "s1": 50.0}
    assert run_a.dimension_scores == {"physical": 75.0, "social": 100.0}
    assert (run_a.score, run_b.score) == (87.5, 50.0)
    assert run_a.weights == {"physical": 0.5, "social": 0.5}
    weights = dict(run_a.values.values_list("indicator", "weight"))
    assert weights == {"p1": 0.25, "p2": 0.25, "s1": 0.5}
    assert AssessmentRun.objects.get(pk=run_a.pk).score == 87.5
    assert run_a.values.get(indicator="p1").inputs == {"given": 5}


def test_min_max_scales_across_the_communities_assessed_together(world, indicators):
    a, b, c = world.community_a, world.community_b, world.community_c
    set_values("p1", {a: 5, b: 10, c: 7.5})
    set_values("p2", {a: 1, b: 1, c: 1})  # nobody is worse: all get full marks
    set_values("s1", {a: 5, b: 32.5, c: 60})
    run_a, run_b, run_c = runs.assess([a, b, c], index(method=Method.MINMAX))
    assert scores(run_a) == {"p1": 0.0, "p2": 100.0, "s1": 100.0}
    assert scores(run_b) == {"p1": 100.0, "p2": 100.0, "s1": 50.0}
    assert scores(run_c) == {"p1": 50.0, "p2": 100.0, "s1": 0.0}
    assert run_c.score == 37.5  # physical 75, social 0


def test_percentile_ranks_with_ties_at_the_lowest_rank(world, indicators):
    a, b, c = world.community_a, world.community_b, world.community_c
    set_values("p1", {a: 5, b: 10, c: 5})
    set_values("p2", {a: 0, b: 1, c: 2})
    set_values("s1", {a: 5, b: 20, c: 60})  # lower is better: a ranks highest
    run_a, run_b, run_c = runs.assess([a, b, c], index(method=Method.PERCENTILE))
    assert scores(run_a) == {"p1": 0.0, "p2": 0.0, "s1": 100.0}
    assert scores(run_b) == {"p1": 100.0, "p2": 50.0, "s1": 50.0}
    assert scores(run_c) == {"p1": 0.0, "p2": 100.0, "s1": 0.0}


def test_manual_dimension_weights(world, indicators):
    a = world.community_a
    set_values("p1", {a: 5})
    set_values("p2", {a: 1})
    set_values("s1", {a: 5})
    run = runs.assess_one(a, index(weighting=Weighting.MANUAL,
                                   dimension_weights={"physical": 3, "social": 1}))
    assert run.weights == {"physical": 0.75, "social": 0.25}
    assert run.score == 81.25  # 0.75 × 75 + 0.25 × 100


def test_indicator_weights_inside_a_dimension(world, indicators):
    a = world.community_a
    set_values("p1", {a: 5})
    set_values("p2", {a: 1})
    set_values("s1", {a: 5})
    run = runs.assess_one(a, index(indicator_weights={"p1": 3, "p2": 1}))
    assert run.dimension_scores["physical"] == 62.5  # (3 × 50 + 1 × 100) / 4
    assert dict(run.values.values_list("indicator", "weight"))["p1"] == 0.375


def test_ahp_weights_and_consistency_ratio(world, monkeypatch):
    use_catalogue(monkeypatch, make("p", "physical", 10), make("o", "organisational", 10),
                  make("s", "social", 10))
    a = world.community_a
    set_values("p", {a: 10})
    set_values("o", {a: 5})
    set_values("s", {a: 0})
    # perfectly consistent: physical 2× organisational, organisational 2× social
    run = runs.assess_one(a, index(weighting=Weighting.AHP, pairwise={
        "physical/organisational": 2, "physical/social": 4, "organisational/social": 2}))
    assert run.weights == pytest.approx({"physical": 4 / 7, "organisational": 2 / 7,
                                         "social": 1 / 7}, abs=1e-6)
    assert run.consistency_ratio == pytest.approx(0.0, abs=1e-4)
    assert run.score == pytest.approx(100 * 4 / 7 + 50 * 2 / 7, abs=0.01)


def test_inconsistent_ahp_judgements_are_refused_and_nothing_is_written(world, monkeypatch):
    use_catalogue(monkeypatch, make("p", "physical", 10), make("o", "organisational", 10),
                  make("s", "social", 10))
    bad = index(weighting=Weighting.AHP, pairwise={
        "physical/organisational": 9, "organisational/social": 9, "social/physical": 9})
    with pytest.raises(ValidationError) as caught:
        runs.assess([world.community_a], bad)
    assert "pairwise" in caught.value.message_dict
    assert "consistency ratio" in caught.value.message_dict["pairwise"][0]
    assert not AssessmentRun.objects.exists()
    with pytest.raises(ValidationError):
        runs.check_index(bad)


def test_incomplete_ahp_judgements_name_pairwise(world, indicators):
    with pytest.raises(ValidationError) as caught:
        runs.assess([world.community_a], index(weighting=Weighting.AHP, pairwise={}))
    assert "pairwise" in caught.value.message_dict


def test_entropy_gives_no_weight_to_a_dimension_that_does_not_vary(world, indicators):
    a, b, c = world.community_a, world.community_b, world.community_c
    set_values("p1", {a: 5, b: 5, c: 5})
    set_values("p2", {a: 1, b: 1, c: 1})  # physical: 75 everywhere
    set_values("s1", {a: 5, b: 32.5, c: 60})  # social: 100, 50, 0
    run_a, run_b, run_c = runs.assess([a, b, c], index(weighting=Weighting.ENTROPY))
    assert run_a.weights == {"physical": 0.0, "social": 1.0}
    assert (run_a.score, run_b.score, run_c.score) == (100.0, 50.0, 0.0)


def test_entropy_with_one_community_falls_back_to_equal_weights_and_says_so(world, indicators):
    set_values("p1", {world.community_a: 5})
    run = runs.assess_one(world.community_a, index(weighting=Weighting.ENTROPY))
    assert run.weights == {"physical": 0.5, "social": 0.5}
    assert "equal weights" in run.note


def test_missing_values_are_left_out_of_the_score(world, indicators):
    a = world.community_a
    set_values("p1", {a: 5})  # p2 and s1 have no value
    run = runs.assess_one(a, index())
    assert run.dimension_scores == {"physical": 50.0, "social": None}
    assert run.score == 50.0


def test_survey_value_is_the_newest_entry_on_or_before_the_assessment(world, monkeypatch):
    use_catalogue(monkeypatch, make("drills", "organisational", 4, source=Source.SURVEY))
    a = world.community_a
    for day, value in ((1, 1), (10, 2), (20, 4)):
        IndicatorEntry.objects.create(community=a, indicator="drills", value=value,
                                      measured_on=dt.date(2026, 5, day))
    at = timezone.make_aware(dt.datetime(2026, 5, 15, 12))
    run = runs.assess_one(a, index(), at=at)
    value = run.values.get(indicator="drills")
    assert (value.value, value.score, value.source) == (2.0, 50.0, Source.SURVEY)
    assert value.inputs["measured_on"] == "2026-05-10"
    run_b = runs.assess_one(world.community_b, index(code="other"), at=at)
    assert run_b.values.get(indicator="drills").value is None


def test_an_unknown_indicator_in_the_index_is_refused(world, indicators):
    with pytest.raises(ValidationError) as caught:
        runs.assess([world.community_a], index(indicators=["p1", "nope"]))
    assert "indicators" in caught.value.message_dict


def test_weakest_indicators_come_with_their_recommendation(world, indicators):
    a = world.community_a
    set_values("p1", {a: 2})   # 20: the first band
    set_values("p2", {a: 1})   # met
    set_values("s1", {a: 32.5})  # 50
    run = runs.assess_one(a, index())
    weakest = weakness.weakest(run)
    assert [w["code"] for w in weakest] == ["s1", "p1"]  # s1 weighs 0.5 × 50 lost
    assert weakest[1]["recommendation"] == "Build more."
    assert weakest[0]["recommendation"] == "Answer faster."


def test_why_did_it_change_names_the_indicator_that_moved(world, indicators):
    a = world.community_a
    set_values("p1", {a: 2})
    set_values("p2", {a: 1})
    set_values("s1", {a: 32.5})
    test_index = index()
    first = runs.assess_one(a, test_index, at=timezone.now() - dt.timedelta(days=30))
    set_values("p1", {a: 8})
    second = runs.assess_one(a, test_index)
    change = trends.why_changed(second)
    assert change["previous"] == first
    assert change["score_delta"] == pytest.approx(second.score - first.score)
    top = change["indicators"][0]
    assert (top["code"], top["before"], top["after"]) == ("p1", 2.0, 8.0)
    assert top["inputs_before"] == {"given": 2} and top["inputs_after"] == {"given": 8}
    history = trends.history(a, test_index)
    assert [r["score"] for r in history] == [first.score, second.score]


def test_many_communities_store_one_value_per_indicator_each(world, indicators):
    communities = [world.community_a, world.community_b, world.community_c]
    made = runs.assess(communities, index())
    assert len(made) == 3 and all(r.pk for r in made)
    assert IndicatorValue.objects.filter(run__in=made).count() == 9
