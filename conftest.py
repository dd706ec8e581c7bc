"""Shared test fixtures; test keys and services are set in resilience.settings_test."""
import pytest  # noqa: E402


@pytest.fixture
def world(db):
    """Two communities of one street and one of another, with a user for every role."""
    from resilience.core.testing import build_world

    return build_world()
