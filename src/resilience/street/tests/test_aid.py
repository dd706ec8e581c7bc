"""Mutual-aid requests, stock transfers between two communities' ledgers, shelter referrals and
the offers the office sees: both ledgers stay balanced, refusals name the field and write
nothing, and each side sees only what its scope allows."""
from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections, transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from resilience.relief import ledger
from resilience.relief.models import Item, StockLot, StockMovement
from resilience.relief.tests.supplies_helpers import days
from resilience.relief.tests.test_ledger import assert_ledger_balances
from resilience.relief.vocab import MovementKind
from resilience.shelters.models import Shelter, Stay
from resilience.street import aid, offers
from resilience.street.models import AidRequest, ShelterReferral, StockTransfer
from resilience.street.tests.helpers import stock, warehouse
from resilience.street.vocab import AidKind, AidStatus


def total(community) -> Decimal:
    return sum(StockLot.objects.filter(community=community).values_list("quantity", flat=True),
               Decimal(0))


def written() -> tuple:
    return (sorted(StockLot.objects.values_list("pk", "quantity")),
            StockMovement.objects.count(), StockTransfer.objects.count(),
            Item.objects.count(), list(AidRequest.objects.values_list("pk", "status")))


@pytest.fixture
def waters(world):
    a, b = world.community_a, world.community_b
    water_a, store_a = stock(a, 300, days(20))
    ledger.receive(water_a, store_a, 100, expires_on=days(90))
    store_b = warehouse(b, "WB")
    world.objects.update(water_a=water_a, store_a=store_a, store_b=store_b)
    return world


def ask_water(world, quantity=200) -> AidRequest:
    return aid.open_request(world.staff_b, world.community_b, kind=AidKind.SUPPLIES,
                            quantity=quantity, item_name="Bottled water 550 ml", unit="bottle",
                            reason="The water main burst")


@pytest.mark.django_db
def test_staff_ask_their_street_and_the_request_belongs_to_it(waters):
    request = ask_water(waters)
    assert request.region == waters.street and request.status == AidStatus.OPEN
    assert request.created_by == waters.staff_b


@pytest.mark.django_db
def test_staff_cannot_ask_for_another_community(waters):
    with pytest.raises(PermissionDenied):
        aid.open_request(waters.staff_a, waters.community_b, kind=AidKind.VOLUNTEERS,
                         quantity=2)
    assert not AidRequest.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("fields, field", [
    ({"kind": "money", "quantity": 1}, "kind"),
    ({"kind": AidKind.SUPPLIES, "quantity": 5, "unit": "bottle"}, "item_name"),
    ({"kind": AidKind.VOLUNTEERS, "quantity": "1.5"}, "quantity"),
    ({"kind": AidKind.SHELTER, "quantity": 0}, "quantity"),
    ({"kind": AidKind.SHELTER, "quantity": "many"}, "quantity"),
])
def test_a_bad_request_names_the_field(waters, fields, field):
    with pytest.raises(ValidationError) as info:
        aid.open_request(waters.staff_b, waters.community_b, **fields)
    assert field in info.value.message_dict
    assert not AidRequest.objects.exists()


@pytest.mark.django_db
def test_a_transfer_moves_stock_between_the_two_ledgers_earliest_expiry_first(waters):
    w = waters
    request = ask_water(w)
    a_before, b_before = total(w.community_a), total(w.community_b)
    transfer = aid.transfer_stock(from_item=w.water_a, from_warehouse=w.store_a,
                                  to_community=w.community_b, quantity=200, by=w.office,
                                  request=request)
    water_b = Item.objects.get(community=w.community_b, name="Bottled water 550 ml")
    assert (water_b.category, water_b.unit, water_b.per_capita_amount) == (
        "water", "bottle", Decimal("0.55"))
    assert transfer.to_item == water_b and transfer.to_warehouse == w.store_b
    moves = StockMovement.objects.filter(transfer_key=transfer.transfer_key)
    out = [m for m in moves if m.community_id == w.community_a.pk]
    into = [m for m in moves if m.community_id == w.community_b.pk]
    assert {m.kind for m in moves} == {MovementKind.TRANSFER}
    assert sum(m.quantity for m in out) == Decimal(-200)
    assert sum(m.quantity for m in into) == Decimal(200)
    # the 20-day lot went (it expires first) and kept its expiry date on the other side
    assert {m.lot.expires_on for m in into} == {days(20)}
    assert total(w.community_a) == a_before - 200 and total(w.community_b) == b_before + 200
    assert_ledger_balances()
    request.refresh_from_db()
    assert request.status == AidStatus.MET


@pytest.mark.django_db
def test_part_of_a_request_leaves_it_partly_met(waters):
    w = waters
    request = ask_water(w, 500)
    aid.transfer_stock(from_item=w.water_a, from_warehouse=w.store_a, to_community=w.community_b,
                       quantity=120, by=w.office, request=request)
    request.refresh_from_db()
    assert request.status == AidStatus.PARTLY and aid.remaining(request) == Decimal(380)


@pytest.mark.django_db
@pytest.mark.parametrize("change, field", [
    ({"quantity": 1000}, "quantity"),
    ({"quantity": -5}, "quantity"),
    ({"to_community": "community_a"}, "to_community"),
    ({"to_community": "community_c"}, "to_community"),
    ({"from_warehouse": "store_b"}, "from_warehouse"),
    ({"to_warehouse": "store_a"}, "to_warehouse"),
    ({"to_warehouse": "shelter_b"}, "to_warehouse"),
])
def test_a_bad_transfer_names_the_field_and_writes_nothing(waters, change, field):
    w = waters
    warehouse(w.community_c, "WC")
    request = ask_water(w)
    args = {"from_item": w.water_a, "from_warehouse": w.store_a, "to_community": w.community_b,
            "quantity": 200, "by": w.office, "request": request}
    args.update({k: getattr(w, v) if isinstance(v, str) else v for k, v in change.items()})
    before = written()
    with pytest.raises(ValidationError) as info:
        aid.transfer_stock(**args)
    assert field in info.value.message_dict
    assert written() == before


@pytest.mark.django_db
def test_a_transfer_to_a_community_without_warehouse_is_refused(waters):
    w = waters
    w.store_b.delete()
    with pytest.raises(ValidationError) as info:
        aid.transfer_stock(from_item=w.water_a, from_warehouse=w.store_a,
                           to_community=w.community_b, quantity=5, by=w.office)
    assert "to_warehouse" in info.value.message_dict


@pytest.mark.django_db
def test_an_answered_request_takes_no_more_steps(waters):
    w = waters
    request = ask_water(w, 10)
    aid.transfer_stock(from_item=w.water_a, from_warehouse=w.store_a, to_community=w.community_b,
                       quantity=10, by=w.office, request=request)
    with pytest.raises(ValidationError) as info:
        aid.transfer_stock(from_item=w.water_a, from_warehouse=w.store_a,
                           to_community=w.community_b, quantity=10, by=w.office,
                           request=request)
    assert "request" in info.value.message_dict


@pytest.mark.django_db
def test_staff_cannot_move_stock_between_communities(waters):
    w = waters
    before = written()
    with pytest.raises(PermissionDenied):
        aid.transfer_stock(from_item=w.water_a, from_warehouse=w.store_a,
                           to_community=w.community_b, quantity=10, by=w.staff_a)
    assert written() == before


@pytest.mark.django_db
def test_office_of_another_street_cannot_act_on_this_one(waters):
    from django.contrib.auth import get_user_model

    from resilience.people.models import Membership

    w = waters
    other = get_user_model().objects.create_user("office_2", password="x")
    Membership.objects.create(user=other, role="office", region=w.other_street)
    before = written()
    with pytest.raises(PermissionDenied):
        aid.transfer_stock(from_item=w.water_a, from_warehouse=w.store_a,
                           to_community=w.community_b, quantity=10, by=other)
    assert written() == before
    request = ask_water(w)
    assert not AidRequest.objects.visible_to(other).filter(pk=request.pk).exists()


@pytest.mark.django_db
def test_each_side_sees_only_its_own_requests(waters):
    w = waters
    request = ask_water(w)
    assert AidRequest.objects.visible_to(w.office).filter(pk=request.pk).exists()
    assert AidRequest.objects.visible_to(w.staff_b).filter(pk=request.pk).exists()
    assert not AidRequest.objects.visible_to(w.staff_a).filter(pk=request.pk).exists()
    assert not StockTransfer.objects.visible_to(w.staff_a).exists()


TRANSFERS = st.lists(st.tuples(st.booleans(), st.integers(-3, 180)), min_size=1, max_size=10)


@pytest.mark.django_db
@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(steps=TRANSFERS)
def test_any_sequence_of_transfers_keeps_both_ledgers_balanced(waters, steps):
    w = waters
    with transaction.atomic():
        grand = total(w.community_a) + total(w.community_b)
        for a_to_b, quantity in steps:
            giver, receiver = ((w.community_a, w.community_b) if a_to_b
                               else (w.community_b, w.community_a))
            item = Item.objects.filter(community=giver, name="Bottled water 550 ml").first()
            store = w.store_a if a_to_b else w.store_b
            before = written()
            try:
                if item is None:
                    raise ValidationError({"from_item": "none yet"})
                transfer = aid.transfer_stock(from_item=item, from_warehouse=store,
                                              to_community=receiver, quantity=quantity,
                                              by=w.office)
            except ValidationError:
                assert written() == before
            else:
                moves = StockMovement.objects.filter(transfer_key=transfer.transfer_key)
                assert sum(m.quantity for m in moves if m.community_id == giver.pk) == -quantity
                assert sum(m.quantity for m in moves if m.community_id == receiver.pk) == quantity
            assert_ledger_balances()
            assert total(w.community_a) + total(w.community_b) == grand
        transaction.set_rollback(True)


@pytest.mark.django_db(transaction=True)
def test_two_transfers_racing_for_the_last_stock_one_fails_cleanly(world):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent transfers need PostgreSQL (row locks); SQLite has one writer at "
                    "a time. Runs when the suite runs on PostgreSQL (DATABASE_URL).")
    a, b = world.community_a, world.community_b
    water_a, store_a = stock(a, 100, days(30))
    warehouse(b, "WB")
    start = threading.Barrier(2)
    outcomes: list[str] = []
    lock = threading.Lock()

    def racer() -> None:
        try:
            start.wait()
            try:
                aid.transfer_stock(from_item=water_a, from_warehouse=store_a, to_community=b,
                                   quantity=80, by=world.office)
                result = "ok"
            except ValidationError as exc:
                result = "refused:" + ",".join(exc.message_dict)
            with lock:
                outcomes.append(result)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=racer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(outcomes) == ["ok", "refused:quantity"]
    assert_ledger_balances()
    assert total(a) == Decimal(20) and total(b) == Decimal(80)
    assert StockTransfer.objects.count() == 1
    assert Item.objects.filter(community=b).count() == 1


@pytest.mark.django_db
def test_the_office_sees_neighbours_stock_and_the_days_it_would_keep(waters):
    from resilience.relief import norms

    w = waters
    norms.install_defaults()
    request = ask_water(w)
    found = offers.supply_offers(request)
    assert [(o.community, o.item, o.usable, o.give, o.exact) for o in found] == [
        (w.community_a, w.water_a, Decimal(400), Decimal(200), True)]
    assert found[0].days_after < found[0].days_before


@pytest.mark.django_db
def test_shelter_referral_points_evacuees_to_free_places_of_a_neighbour(waters):
    w = waters
    shelter_b = Shelter.objects.get(facility=w.shelter_b)
    Stay.objects.create(shelter=shelter_b, walk_in_name="Guest", checked_in_at=timezone.now())
    request = aid.open_request(w.staff_a, w.community_a, kind=AidKind.SHELTER, quantity=30)
    rows = offers.shelter_offers(request)
    assert [r["shelter"] for r in rows] == [shelter_b]
    free = rows[0]["free"]
    referral = aid.refer_evacuees(from_community=w.community_a, shelter=shelter_b, places=30,
                                  by=w.office, request=request, note="Building A1")
    assert referral.region == w.street and aid.free_places(shelter_b) == free - 30
    request.refresh_from_db()
    assert request.status == AidStatus.MET
    with pytest.raises(ValidationError) as info:
        aid.refer_evacuees(from_community=w.community_a, shelter=shelter_b, places=free,
                           by=w.office)
    assert "places" in info.value.message_dict
    with pytest.raises(ValidationError) as info:
        aid.refer_evacuees(from_community=w.community_b, shelter=shelter_b, places=1,
                           by=w.office)
    assert "shelter" in info.value.message_dict
    shelter_c = Shelter.objects.get(facility=w.shelter_c)
    with pytest.raises(ValidationError) as info:
        aid.refer_evacuees(from_community=w.community_a, shelter=shelter_c, places=1,
                           by=w.office)
    assert "shelter" in info.value.message_dict
    assert ShelterReferral.objects.count() == 1
    # the host community's staff see who is coming; the others see it on their request only
    assert list(ShelterReferral.objects.visible_to(w.staff_b)) == [referral]
    assert not ShelterReferral.objects.visible_to(w.staff_a).exists()
    assert list(ShelterReferral.objects.visible_to(w.office)) == [referral]


@pytest.mark.django_db
def test_cancelling_a_request_keeps_its_steps(waters):
    w = waters
    request = ask_water(w, 300)
    aid.transfer_stock(from_item=w.water_a, from_warehouse=w.store_a, to_community=w.community_b,
                       quantity=50, by=w.office, request=request)
    aid.cancel_request(request, w.staff_b)
    assert request.status == AidStatus.CANCELLED and request.transfers.count() == 1
    with pytest.raises(ValidationError):
        aid.cancel_request(request, w.staff_b)
    with pytest.raises(PermissionDenied):
        aid.cancel_request(ask_water(w), w.staff_a)
