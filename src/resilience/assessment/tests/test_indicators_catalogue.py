"""The catalogue as a whole: every entry is complete, every compute answers for every community
(also one with no data at all) with JSON-safe inputs, and costs the same queries for 1 or 5
communities."""
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from resilience.assessment.catalogue import Measurement, catalogue
from resilience.assessment.indicators import common
from resilience.assessment.vocab import Dimension, Source

COMPUTED = sorted(code for code, i in catalogue().items() if i.compute)


def test_every_indicator_is_described_with_bands():
    for code, i in catalogue().items():
        assert i.code == code
        assert i.dimension in Dimension.values, code
        assert str(i.name).strip() and str(i.unit).strip(), code
        assert str(i.definition).strip().endswith("."), code
        assert i.target != i.worst, code
        assert len(i.recommendations) >= 2, code
        uppers = [upper for upper, _text in i.recommendations]
        assert uppers == sorted(uppers) and 0 < uppers[0] and uppers[-1] <= 100, code
        assert all(len(str(text)) > 40 for _upper, text in i.recommendations), code


def test_at_least_25_computed_indicators_cover_all_five_dimensions():
    computed = [i for i in catalogue().values() if i.compute]
    assert len(computed) >= 25
    for dimension in Dimension.values:
        assert sum(1 for i in computed if i.dimension == dimension) >= 4, dimension


def test_survey_and_imported_indicators_have_no_compute():
    entered = [i for i in catalogue().values() if i.source != Source.COMPUTED]
    assert len(entered) >= 2
    assert all(i.compute is None for i in entered)


def test_lower_is_better_indicator_scores_towards_its_target():
    ack = catalogue()["alert_ack_median_minutes"]
    assert ack.direction == -1
    assert ack.score(5) == 100 and ack.score(60) == 0 and ack.score(32.5) == 50


@pytest.fixture
def empty_community(world):
    from resilience.places.models import Community

    return Community.objects.create(code="comm-empty", name="Empty", region=world.street)


@pytest.mark.parametrize("code", COMPUTED)
def test_compute_answers_for_every_community_even_an_empty_one(world, empty_community, code):
    ids = [world.community_a.pk, world.community_c.pk, empty_community.pk]
    result = catalogue()[code].compute(ids, timezone.now())
    assert set(result) == set(ids)
    for cid, measurement in result.items():
        assert isinstance(measurement, Measurement)
        json.dumps(measurement.inputs)  # JSON-safe
        if measurement.value is None:
            assert measurement.inputs.get("reason"), (code, cid)
        else:
            assert isinstance(measurement.value, float), (code, cid)
    empty = result[empty_community.pk]
    assert empty.value is None or empty.value == 0, code


def test_query_count_does_not_grow_with_the_number_of_communities(world):
    from resilience.alerts.models import Alert, AlertRecipient
    from resilience.participation.models.drills import Drill
    from resilience.places.models import Community

    more = [Community.objects.create(code=f"comm-x{n}", name=f"X{n}", region=world.street).pk
            for n in range(2)]
    # Rows that take every branch: a drill of one grid, an issued alert with a recipient.
    now = timezone.now()
    Drill.objects.create(community=world.community_a, grid=world.grid_a1, scenario="flood",
                         title="D", planned_at=now, status="done")
    alert = Alert.objects.create(community=world.community_a, identifier="q-1", sender="t",
                                 level=3, event_type="rainstorm", headline="h", description="d",
                                 state="issued", issued_at=now)
    AlertRecipient.objects.create(alert=alert, key="resident:1", kind="resident",
                                  acknowledged_at=now)
    few = [world.community_a.pk]
    many = [world.community_a.pk, world.community_b.pk, world.community_c.pk, *more]
    at = timezone.now()
    for code in COMPUTED:
        compute = catalogue()[code].compute
        with CaptureQueriesContext(connection) as one:
            compute(few, at)
        with CaptureQueriesContext(connection) as five:
            compute(many, at)
        assert len(five) == len(one) <= 4, (code, len(one), len(five))


def test_shared_block_queries_population_once(world):
    ids = [world.community_a.pk, world.community_b.pk]
    at = timezone.now()
    with common.shared():
        with CaptureQueriesContext(connection) as first:
            common.population(ids, at)
        with CaptureQueriesContext(connection) as again:
            common.population(ids, at)
    assert len(first) == 1 and len(again) == 0
    with CaptureQueriesContext(connection) as outside:
        common.population(ids, at)
    assert len(outside) == 1
