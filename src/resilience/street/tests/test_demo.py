"""The demo's street story: an office account over a street of two communities, one open request
and an upstream warning to relay — made once, however often the demo starts."""
from __future__ import annotations

import pytest

from resilience.alerts.models import Alert
from resilience.core import tasks
from resilience.core.scope import memberships_of
from resilience.core.worker import load_handlers
from resilience.street.demo import OFFICE_USERNAME, seed_street
from resilience.street.models import AidRequest


@pytest.mark.django_db
def test_the_demo_street_gets_its_office_request_and_warning_once(world):
    world.office.delete()  # the demo makes its own
    made = seed_street("demo-password")
    assert made["street"] == world.street and made["office_made"]
    office = made["office"]
    assert office.username == OFFICE_USERNAME and office.check_password("demo-password")
    assert [(m.role, m.region) for m in memberships_of(office)] == [("office", world.street)]
    request = AidRequest.objects.get()
    assert request.community == world.community_b and request.status == "open"
    assert Alert.objects.get().community == world.community_a
    again = seed_street("demo-password")
    assert not again["office_made"] and again["request"] is None and again["alert"] is None
    assert AidRequest.objects.count() == 1 and Alert.objects.count() == 1


def test_the_worker_runs_the_loan_expiry_job():
    load_handlers()
    assert "street.end_expired_loans" in tasks.periodic()
