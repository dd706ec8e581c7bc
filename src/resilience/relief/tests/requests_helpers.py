"""Shared makers of the requests, matching and dispatch tests."""
from __future__ import annotations

import pytest

from resilience.people.models import Volunteer
from resilience.relief import requests as service
from resilience.relief.vocab import NeedKind


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Proof photos go to a temporary folder."""
    settings.MEDIA_ROOT = tmp_path


def food(world, user=None, household=None, **fields):
    """An open food request of household A1, filed by staff A unless told otherwise."""
    return service.file_request(user or world.staff_a, household=household or world.household_a1,
                                kind=fields.pop("kind", NeedKind.FOOD), **fields)


def volunteer(world, name: str, skills=(), building=None, community=None, **fields) -> Volunteer:
    return Volunteer.objects.create(community=community or world.community_a, name=name,
                                    phone="13911112222", skills=list(skills),
                                    availability=fields.pop("availability", "anytime"),
                                    home_building=building or world.building_a1, **fields)
