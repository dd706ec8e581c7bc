"""The shelter seed on a real demo community: 30 buildings, ~4,000 residents, its shelters."""
from __future__ import annotations

import datetime as dt
import time

import pytest

from resilience.demo.generator import generate
from resilience.places.models import Community
from resilience.shelters import demo, evacuation
from resilience.shelters.models import PathEdge, Shelter, ShelterStatus


@pytest.mark.django_db
def test_a_demo_community_gets_open_shelters_a_walking_graph_and_a_quick_plan():
    generate(communities=1, seed=1, today=dt.date(2026, 6, 1))
    community = Community.objects.get()
    shelters = demo.seed(community)
    assert shelters and all(s.status == ShelterStatus.OPEN for s in shelters)
    assert all(s.effective_capacity > 0 for s in shelters)
    assert PathEdge.objects.filter(community=community).count() >= 30
    start = time.perf_counter()
    stored = evacuation.recompute(community)
    assert time.perf_counter() - start < 2.0
    result = stored.result
    assert result["people"] > 3000
    capacity = sum(s.effective_capacity for s in Shelter.objects.filter(facility__community=community))
    assert result["placed"] == min(result["people"], capacity)
    assert all(len(a["route"]) >= 2 for a in result["assignments"])
