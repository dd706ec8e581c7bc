"""The demo community's risk register: realistic, graded, located, logged, the same every time."""
from __future__ import annotations

import datetime as dt
import random
import re
import time
from collections import Counter

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from shapely.geometry import Point, shape

from resilience.core.models import ChangeLogEntry
from resilience.demo.generator import generate
from resilience.demo.risks import LEC_INPUTS, MATRIX_INPUTS, generate_risks
from resilience.places.models import Community
from resilience.risks.grading import grade
from resilience.risks.models import RiskAssessment, RiskSource
from resilience.risks.services import grade_counts
from resilience.risks.vocab import Grade

TODAY = dt.date(2025, 6, 1)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        with transaction.atomic():
            counts = generate(communities=1, seed=1, today=TODAY)
            yield counts
            transaction.set_rollback(True)


def register_rows() -> list:
    return sorted((r.name, r.risk_type, r.grade, r.score, r.latitude, r.longitude, r.owner_id,
                   [(a.method, a.inputs, a.grade, a.assessed_at.isoformat())
                    for a in r.assessments.order_by("assessed_at")])
                  for r in RiskSource.objects.prefetch_related("assessments"))


def test_input_tables_give_the_grades_they_are_filed_under():
    for grade_, pairs in MATRIX_INPUTS.items():
        for likelihood, consequence in pairs:
            assert grade("matrix", {"likelihood": likelihood, "consequence": consequence})[1] == grade_
    for grade_, triples in LEC_INPUTS.items():
        for l, e, c in triples:  # noqa: E741
            assert grade("lec", {"l": l, "e": e, "c": c})[1] == grade_


def test_about_forty_risks_across_all_grades_and_the_main_types(db, demo):
    risks = list(RiskSource.objects.all())
    assert demo["risk sources"] == len(risks) and 35 <= len(risks) <= 50
    assert demo["risk assessments"] == RiskAssessment.objects.count() > len(risks)
    counts = grade_counts(RiskSource.objects.all())
    assert all(counts[g] >= 1 for g in Grade.values), counts
    assert counts["low"] + counts["medium"] > counts["high"] + counts["major"]
    types = Counter(r.risk_type for r in risks)
    assert {"ebike_fire", "electrical", "garage_flood", "gas", "structure", "fire",
            "falling_objects", "elevator", "flood", "crowding", "epidemic"} <= set(types)
    garage = RiskSource.objects.get(risk_type="garage_flood")
    assert garage.grade == "major" and garage.colour == "red"
    assert {r.grade for r in risks if r.risk_type == "ebike_fire"} <= {"high", "medium"}


def test_every_risk_is_graded_by_its_latest_assessment(db, demo):
    for risk in RiskSource.objects.prefetch_related("assessments"):
        history = list(risk.assessments.all())  # newest first
        latest = history[0]
        assert (risk.method, risk.inputs, risk.score, risk.grade) == (
            latest.method, latest.inputs, latest.score, latest.grade)
        assert grade(risk.method, risk.inputs) == (risk.score, risk.grade)
        assert risk.assessed_at == latest.assessed_at
        assert all(a.assessed_at.date() <= TODAY for a in history)
        assert latest.assessed_by is not None
    regraded = [r for r in RiskSource.objects.all() if r.assessments.count() == 2]
    assert len(regraded) >= 3
    assert any(r.assessments.last().grade != r.grade for r in regraded)
    methods = set(RiskSource.objects.values_list("method", flat=True))
    assert methods == {"matrix", "lec"}


def test_risks_are_located_in_the_community_at_their_building_or_facility(db, demo):
    community = Community.objects.get()
    area = shape(community.geometry)
    for risk in RiskSource.objects.select_related("building", "facility", "grid"):
        assert risk.geometry["type"] == "Point"
        here = Point(risk.longitude, risk.latitude)
        assert shape(risk.geometry).equals(here) and area.covers(here)
        place = risk.facility or risk.building
        if place is not None:
            assert (risk.latitude, risk.longitude) == (place.latitude, place.longitude)
            assert risk.grid_id == place.grid_id
        assert risk.grid is not None and shape(risk.grid.geometry).buffer(1e-7).covers(here)
        risk.full_clean()


def test_risks_read_like_a_committees_register(db, demo):
    for risk in RiskSource.objects.select_related("owner"):
        assert re.search(r"[\u4e00-\u9fff]", risk.name)
        assert len(risk.controls) > 20 and len(risk.advice) > 20 and risk.description
        assert "{" not in risk.description
    owned = RiskSource.objects.filter(owner__kind="property").count()
    assert owned > RiskSource.objects.count() / 2
    assert RiskSource.objects.filter(risk_type="gas", owner__isnull=True).exists()


def test_every_risk_is_in_the_change_log(db, demo):
    logged = ChangeLogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(RiskSource), action="create", source="generate")
    assert logged.count() == RiskSource.objects.count()


def test_the_same_seed_gives_the_same_register(db, demo):
    stored = register_rows()
    community = Community.objects.get()
    with transaction.atomic():
        RiskSource.objects.all().delete()
        started = time.perf_counter()
        generate_risks(community, random.Random("resilience-demo-risks:1:0"), TODAY)
        elapsed = time.perf_counter() - started
        again = register_rows()
        transaction.set_rollback(True)
    assert again == stored
    print(f"risk register: {elapsed:.3f} s")  # budget: < 0.3 s per community (DESIGN §6 benches)
