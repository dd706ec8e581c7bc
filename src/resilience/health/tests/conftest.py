import datetime as dt

import pytest

from resilience.core.roles import Role


@pytest.fixture
def health_b(world):
    from django.contrib.auth import get_user_model

    from resilience.people.models import Membership

    user = get_user_model().objects.create_user("health_b", password="x")
    Membership.objects.create(user=user, role=Role.HEALTH_WORKER, community=world.community_b)
    return user


@pytest.fixture
def archive_a1(world):
    """Resident A1's archive: hypertension, a medication, a home dialysis machine, consents."""
    from resilience.health.models import Condition, Consent, Device, Medication
    from resilience.health.services import archives

    archive = archives.open_archive(world.health_a, world.resident_a1, family_doctor="Dr Wang")
    archives.add_part(world.health_a, archive, Condition, code="I10",
                      onset=dt.date(2015, 5, 1))
    archives.add_part(world.health_a, archive, Condition, code="N18.5")
    archives.add_part(world.health_a, archive, Medication, name="Amlodipine", dose="5 mg daily",
                      days_supply=30, recorded_on=dt.date(2026, 1, 1))
    archives.add_part(world.health_a, archive, Device, device_type="dialysis_peritoneal",
                      needs_power=True, battery_hours=4)
    archives.add_part(world.health_a, archive, Consent, purpose="fhir_export",
                      granted_on=dt.date(2025, 1, 1))
    archive.refresh_from_db()
    return archive


@pytest.fixture
def api(client):
    def call(user, method, url, data=None):
        client.force_login(user)
        return getattr(client, method)(url, data=data, content_type="application/json") \
            if method in ("post", "put", "patch") else getattr(client, method)(url, data or {})
    return call
