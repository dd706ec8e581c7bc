"""The stock ledger: movements balance every lot, stock never goes negative, bad movements are
refused with the field and the reason and change nothing — also under concurrent movements."""
from __future__ import annotations

import random
import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction
from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resilience.places.models import Facility
from resilience.relief import ledger
from resilience.relief.models import StockLot, StockMovement
from resilience.relief.tests.supplies_helpers import days, item, warehouse
from resilience.relief.vocab import MovementKind


def assert_ledger_balances() -> None:
    for lot in StockLot.objects.all():
        # summed here, not by the database: SQLite adds decimals as floats
        total = sum(lot.movements.values_list("quantity", flat=True), Decimal(0))
        assert total == lot.quantity, lot
        assert lot.quantity >= 0, lot
        last = lot.movements.order_by("-id").first()
        if last is not None:
            assert last.balance_after == lot.quantity


def state() -> tuple:
    return (sorted(StockLot.objects.values_list("pk", "quantity")),
            StockMovement.objects.count())


@pytest.fixture
def stock(world):
    c = world.community_a
    w1, w2 = warehouse(c, "W1"), warehouse(c, "W2")
    water = item(c, perishable=True)
    return c, w1, w2, water


@pytest.mark.django_db
def test_receive_then_issue_takes_the_earliest_expiry_first(stock):
    c, w1, _w2, water = stock
    ledger.receive(water, w1, 10, expires_on=days(40))
    ledger.receive(water, w1, 5, expires_on=days(10))
    movements = ledger.issue(water, w1, 7, reason="building 1")
    assert [(m.lot.expires_on, m.quantity) for m in movements] == [
        (days(10), Decimal("-5")), (days(40), Decimal("-2"))]
    assert ledger.available(c) == {water.pk: {w1.pk: Decimal("8")}}
    assert_ledger_balances()


@pytest.mark.django_db
def test_issuing_more_than_usable_is_refused_and_changes_nothing(stock):
    _c, w1, _w2, water = stock
    ledger.receive(water, w1, 3, expires_on=days(5))
    before = state()
    with pytest.raises(ValidationError) as refused:
        ledger.issue(water, w1, "3.5")
    assert "quantity" in refused.value.message_dict
    assert "Only 3" in refused.value.message_dict["quantity"][0]
    assert state() == before


@pytest.mark.django_db
def test_an_expired_lot_is_never_issued(stock):
    c, w1, _w2, water = stock
    ledger.receive(water, w1, 4, expires_on=days(2))
    ledger.receive(water, w1, 1, expires_on=days(20))
    StockLot.objects.filter(expires_on=days(2)).update(expires_on=days(-1))  # time passed
    assert ledger.available(c) == {water.pk: {w1.pk: Decimal("1")}}
    before = state()
    with pytest.raises(ValidationError) as refused:
        ledger.issue(water, w1, 2)
    assert "expired" in refused.value.message_dict["quantity"][0]
    assert state() == before
    assert ledger.issue(water, w1, 1)[0].lot.expires_on == days(20)


@pytest.mark.django_db
def test_issue_on_a_later_day_skips_lots_expired_by_then(stock):
    _c, w1, _w2, water = stock
    ledger.receive(water, w1, 4, expires_on=days(2))
    ledger.receive(water, w1, 4, expires_on=days(9))
    movements = ledger.issue(water, w1, 3, on=days(3))
    assert [m.lot.expires_on for m in movements] == [days(9)]


@pytest.mark.django_db
def test_receiving_expired_or_undated_perishable_stock_is_refused(stock):
    _c, w1, _w2, water = stock
    with pytest.raises(ValidationError) as refused:
        ledger.receive(water, w1, 1, expires_on=days(-1))
    assert "expires_on" in refused.value.message_dict
    with pytest.raises(ValidationError) as refused:
        ledger.receive(water, w1, 1)
    assert "expires_on" in refused.value.message_dict
    assert state() == ([], 0)


@pytest.mark.django_db
@pytest.mark.parametrize("bad", [0, -1, "x", "1.2345", "nan"])
def test_a_bad_quantity_is_refused(stock, bad):
    _c, w1, _w2, water = stock
    with pytest.raises(ValidationError) as refused:
        ledger.receive(water, w1, bad, expires_on=days(3))
    assert "quantity" in refused.value.message_dict


@pytest.mark.django_db
def test_a_facility_that_is_not_a_warehouse_or_of_another_community_is_refused(world, stock):
    _c, w1, _w2, water = stock
    with pytest.raises(ValidationError) as refused:
        ledger.receive(water, world.shelter_a, 1, expires_on=days(3))
    assert "not a supplies warehouse" in refused.value.message_dict["warehouse"][0]
    other = warehouse(world.community_b, "WB")
    with pytest.raises(ValidationError) as refused:
        ledger.receive(water, other, 1, expires_on=days(3))
    assert "another community" in refused.value.message_dict["warehouse"][0]
    with pytest.raises(ValidationError) as refused:
        ledger.transfer(water, w1, other, 1)
    assert "destination" in refused.value.message_dict


@pytest.mark.django_db
def test_transfer_keeps_expiry_and_pairs_movements_by_key(stock):
    c, w1, w2, water = stock
    ledger.receive(water, w1, 3, expires_on=days(5))
    ledger.receive(water, w1, 3, expires_on=days(50))
    movements = ledger.transfer(water, w1, w2, 4)
    assert len({m.transfer_key for m in movements}) == 1 and movements[0].transfer_key
    assert sum(m.quantity for m in movements) == 0
    assert {m.kind for m in movements} == {MovementKind.TRANSFER}
    assert ledger.available(c)[water.pk] == {w1.pk: Decimal("2"), w2.pk: Decimal("4")}
    assert sorted(StockLot.objects.filter(warehouse=w2).values_list("expires_on", "quantity")) == [
        (days(5), Decimal("3")), (days(50), Decimal("1"))]
    assert_ledger_balances()


@pytest.mark.django_db
def test_transfer_to_the_same_warehouse_is_refused(stock):
    _c, w1, _w2, water = stock
    ledger.receive(water, w1, 3, expires_on=days(5))
    before = state()
    with pytest.raises(ValidationError) as refused:
        ledger.transfer(water, w1, w1, 1)
    assert "destination" in refused.value.message_dict
    assert state() == before


@pytest.mark.django_db
def test_a_stock_take_writes_the_difference(stock):
    _c, w1, _w2, water = stock
    ledger.receive(water, w1, 10, expires_on=days(5))
    lot = StockLot.objects.get()
    movement = ledger.count(lot, "8.5", reason="monthly count")
    assert movement.kind == MovementKind.COUNT and movement.quantity == Decimal("-1.5")
    assert lot.quantity == Decimal("8.5")
    assert ledger.count(lot, "8.5").quantity == 0  # a matching count is still on the record
    with pytest.raises(ValidationError) as refused:
        ledger.count(lot, -1)
    assert "counted" in refused.value.message_dict
    assert_ledger_balances()


@pytest.mark.django_db
def test_the_database_refuses_a_negative_lot_even_outside_the_ledger(stock):
    from django.db import IntegrityError

    _c, w1, _w2, water = stock
    ledger.receive(water, w1, 1, expires_on=days(5))
    with pytest.raises(IntegrityError), transaction.atomic():
        StockLot.objects.update(quantity=Decimal("-1"))


OPERATIONS = st.lists(st.tuples(
    st.sampled_from(["in", "out", "transfer", "count", "expire"]),
    st.integers(0, 1),  # warehouse
    st.integers(0, 2),  # expiry choice
    st.decimals(min_value=Decimal("-2"), max_value=Decimal("12"), places=1,
                allow_nan=False, allow_infinity=False),
), min_size=1, max_size=12)


@pytest.mark.django_db
@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(operations=OPERATIONS)
def test_any_sequence_of_movements_keeps_the_ledger_balanced(stock, operations):
    c, w1, w2, water = stock
    warehouses = (w1, w2)
    expiries = (days(3), days(30), days(90))
    with transaction.atomic():
        for step, (kind, where, when, quantity) in enumerate(operations):
            before = state()
            try:
                if kind == "in":
                    ledger.receive(water, warehouses[where], quantity, expires_on=expiries[when])
                elif kind == "out":
                    ledger.issue(water, warehouses[where], quantity)
                elif kind == "transfer":
                    ledger.transfer(water, warehouses[where], warehouses[1 - where], quantity)
                elif kind == "count":
                    lot = StockLot.objects.filter(item=water).order_by("pk")[when:when + 1].first()
                    if lot is not None:
                        ledger.count(lot, quantity)
                else:  # time passes: the earliest lot expires
                    StockLot.objects.filter(expires_on=expiries[0]).update(
                        expires_on=days(-1 - step))
            except ValidationError:
                assert state() == before
            assert_ledger_balances()
            usable = ledger.available(c).get(water.pk, {})
            assert all(v > 0 for v in usable.values())
        transaction.set_rollback(True)


@pytest.mark.django_db(transaction=True)
def test_concurrent_issues_and_transfers_never_go_negative(world):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent movements need PostgreSQL (row locks); SQLite has one writer at "
                    "a time. Runs when the suite runs on PostgreSQL (DATABASE_URL).")
    c = world.community_a
    w1, w2 = warehouse(c, "W1"), warehouse(c, "W2")
    water = item(c, perishable=True)
    masks = item(c, name="Mask", category="masks", unit="piece")
    ledger.receive(water, w1, 30, expires_on=days(5))
    ledger.receive(water, w1, 30, expires_on=days(40))
    ledger.receive(water, w2, 20, expires_on=days(40))
    ledger.receive(masks, w1, 50)
    start_total = {water.pk: Decimal(80), masks.pk: Decimal(50)}
    start = threading.Barrier(16)
    outcomes: list[tuple[str, int, Decimal]] = []  # (ok/refused, item, net change)
    lock = threading.Lock()

    def worker(seed: int) -> None:
        rng = random.Random(seed)
        try:
            start.wait()
            for _ in range(8):
                thing = rng.choice([water, masks])
                a, b = rng.sample([Facility.objects.get(pk=w1.pk),
                                   Facility.objects.get(pk=w2.pk)], 2)
                quantity = rng.randint(1, 9)
                kind = rng.choice(["issue", "issue", "transfer", "receive"])
                try:
                    if kind == "issue":
                        moved = ledger.issue(thing, a, quantity)
                        net = sum(m.quantity for m in moved)
                    elif kind == "transfer":
                        moved = ledger.transfer(thing, a, b, quantity)
                        net = sum(m.quantity for m in moved)
                        assert net == 0
                    else:
                        moved = [ledger.receive(thing, a, quantity,
                                                expires_on=days(60) if thing == water else None)]
                        net = Decimal(quantity)
                    with lock:
                        outcomes.append(("ok", thing.pk, net, len(moved)))
                except ValidationError:
                    with lock:
                        outcomes.append(("refused", thing.pk, Decimal(0), 0))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    assert len(outcomes) == 16 * 8
    assert any(o[0] == "refused" for o in outcomes) and any(o[0] == "ok" for o in outcomes)
    assert_ledger_balances()
    # every refused movement wrote nothing: the ledger holds exactly the accepted movements
    assert StockMovement.objects.count() == 4 + sum(o[3] for o in outcomes)
    for thing_id, total in start_total.items():
        expected = total + sum(o[2] for o in outcomes if o[1] == thing_id)
        held = StockLot.objects.filter(item_id=thing_id).aggregate(t=Sum("quantity"))["t"]
        assert held == expected
