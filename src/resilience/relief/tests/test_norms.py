"""Reserve norms and days of autonomy: defaults, community overrides, population, expiry."""
from __future__ import annotations

from decimal import Decimal

import pytest

from resilience.relief import ledger, norms
from resilience.relief.models import ReserveNorm, StockLot
from resilience.relief.tests.supplies_helpers import days, item, warehouse


@pytest.fixture
def stocked(world):
    norms.install_defaults()
    c = world.community_a  # 2 residents in 2 households
    w = warehouse(c)
    water = item(c, perishable=True, per_capita_amount=Decimal("0.5"))
    ledger.receive(water, w, 60, expires_on=days(30))  # 30 L
    return c, w, water


def by_category(rows):
    return {row["category"]: row for row in rows}


@pytest.mark.django_db
def test_defaults_are_installed_once_and_say_where_they_come_from(world):
    assert norms.install_defaults() == len(norms.DEFAULT_NORMS)
    assert norms.install_defaults() == 0
    for norm in ReserveNorm.objects.filter(community__isnull=True):
        assert norm.note and "Adjust" in norm.note


@pytest.mark.django_db
def test_days_of_autonomy_is_stock_over_norm_times_population(stocked):
    c, _w, _water = stocked
    water = by_category(norms.autonomy(c))["water"]
    # 30 L ÷ (3 L × 2 residents) = 5 days; target 3 days = 18 L, so no shortfall
    assert water["stock"] == Decimal("30.000")
    assert water["need_per_day"] == Decimal("6.000")
    assert water["days"] == Decimal("5.0")
    assert water["target_days"] == 3 and water["shortfall"] == 0
    food = by_category(norms.autonomy(c))["food"]
    assert food["days"] == 0 and food["shortfall"] == Decimal("6.000")
    assert norms.summary(c)["days"] == 0  # the minimum over per-day categories: no food


@pytest.mark.django_db
def test_a_community_norm_overrides_the_default(stocked):
    c, _w, _water = stocked
    ReserveNorm.objects.create(community=c, category="water", basis="person_day",
                               amount=Decimal("5"), unit="L", days=7)
    water = by_category(norms.autonomy(c))["water"]
    assert water["days"] == Decimal("3.0") and water["overridden"]
    assert water["shortfall"] == Decimal("40.000")  # 5 × 2 × 7 = 70 L wanted, 30 held
    other = by_category(norms.autonomy(c.__class__.objects.get(code="comm-b")))["water"]
    assert other["norm"].community_id is None


@pytest.mark.django_db
def test_expired_stock_gives_no_autonomy(stocked):
    c, _w, _water = stocked
    StockLot.objects.update(expires_on=days(-1))
    assert by_category(norms.autonomy(c))["water"]["days"] == 0


@pytest.mark.django_db
def test_other_bases_give_a_target_and_no_days(stocked, world):
    c, w, _water = stocked
    kits = item(c, name="First-aid kit", category="medical_kit", unit="kit")
    ledger.receive(kits, w, 1)
    row = by_category(norms.autonomy(c))["medical_kit"]
    assert row["days"] is None and row["target"] == Decimal("2.000")  # one per household
    assert row["shortfall"] == Decimal("1.000")
    generator = by_category(norms.autonomy(c))["generator"]
    assert generator["target"] == Decimal("1.000") and generator["stock"] == 0


@pytest.mark.django_db
def test_no_residents_means_no_days(world):
    norms.install_defaults()
    from resilience.places.models import Community

    empty = Community.objects.create(code="empty", name="Empty", region=world.street)
    rows = by_category(norms.autonomy(empty))
    assert rows["water"]["days"] is None and norms.summary(empty)["days"] is None
