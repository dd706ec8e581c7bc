"""Volunteers lent between communities: the receiving community's tasks while the loan lasts, and
nothing there once it ends (by itself, by the worker's job, or early)."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from resilience.core.testing import PASSWORD
from resilience.people.models import Membership, Volunteer
from resilience.people.models.memberships import works_in
from resilience.response.models import Task
from resilience.response.services import tasks as flow
from resilience.response.vocab import TaskStatus
from resilience.street import aid, jobs
from resilience.street.models import VolunteerLoan
from resilience.street.vocab import AidKind, AidStatus, LoanStatus


def fresh(user):
    """The user again, without the memberships cached on the object."""
    return type(user).objects.get(pk=user.pk)


def later(hours: float = 8) -> dt.datetime:
    return timezone.now() + dt.timedelta(hours=hours)


@pytest.fixture
def lent(world):
    """Volunteer A (with an account) lent to community B for eight hours, against B's request."""
    request = aid.open_request(world.staff_b, world.community_b, kind=AidKind.VOLUNTEERS,
                               quantity=2)
    loans = aid.lend_volunteers([world.volunteer_a], world.community_b, later(), by=world.office,
                                request=request)
    world.objects.update(request=request, loan=loans[0])
    return world


def task_in_b(world, title="Carry water to building B1") -> Task:
    return Task.objects.create(community=world.community_b, title=title)


@pytest.mark.django_db
def test_a_loan_grants_a_volunteer_membership_in_the_receiving_community_until_it_ends(lent):
    w = lent
    loan = w.loan
    assert loan.from_community == w.community_a and loan.to_community == w.community_b
    assert loan.membership.role == "volunteer" and loan.membership.community == w.community_b
    assert loan.membership.valid_until == loan.ends
    assert works_in(w.volunteer_a.user, w.community_b.pk)
    w.request.refresh_from_db()
    assert w.request.status == AidStatus.PARTLY


@pytest.mark.django_db
def test_the_lent_volunteer_takes_and_does_the_receiving_communitys_tasks(lent):
    w = lent
    task = task_in_b(w)
    flow.assign(task, w.staff_b, w.volunteer_a.user)
    volunteer = fresh(w.volunteer_a.user)
    assert Task.objects.visible_to(volunteer).filter(pk=task.pk).exists()
    flow.accept(task, volunteer)
    flow.complete(task, fresh(volunteer), note="Done")
    assert task.status == TaskStatus.DONE
    # …and on the volunteer's phone page
    client = Client()
    client.login(username="volunteer_a", password=PASSWORD)
    second = task_in_b(w, "Check on the elderly of B2")
    flow.assign(second, w.staff_b, w.volunteer_a.user)
    page = client.get(reverse("response:task_mine"))
    assert "Check on the elderly of B2" in page.content.decode()


@pytest.mark.django_db
def test_once_the_loan_has_run_out_the_volunteer_has_no_scope_there(lent):
    w = lent
    task = task_in_b(w)
    flow.assign(task, w.staff_b, w.volunteer_a.user)
    # time passes: the loan's end is behind us
    past = timezone.now() - dt.timedelta(minutes=1)
    VolunteerLoan.objects.filter(pk=w.loan.pk).update(starts=past - dt.timedelta(hours=8),
                                                       ends=past)
    Membership.objects.filter(pk=w.loan.membership_id).update(valid_until=past)
    volunteer = fresh(w.volunteer_a.user)
    assert not works_in(volunteer, w.community_b.pk)
    with pytest.raises(ValidationError):
        flow.assign(task_in_b(w, "Another"), w.staff_b, volunteer)
    assert jobs.end_expired_loans(timezone.now()) == 1
    w.loan.refresh_from_db()
    assert w.loan.status == LoanStatus.ENDED
    task.refresh_from_db()
    assert task.assignee is None and task.status == TaskStatus.OPEN
    assert not Task.objects.visible_to(fresh(volunteer)).filter(community=w.community_b).exists()
    assert jobs.end_expired_loans(timezone.now()) == 0
    # the volunteer still works at home
    assert works_in(fresh(volunteer), w.community_a.pk)


@pytest.mark.django_db
def test_ending_a_loan_early_stops_its_membership_now(lent):
    w = lent
    task = task_in_b(w)
    flow.assign(task, w.staff_b, w.volunteer_a.user)
    flow.accept(task, fresh(w.volunteer_a.user))
    aid.end_loan(w.loan, by=w.office)
    assert w.loan.status == LoanStatus.ENDED and w.loan.ends <= timezone.now()
    membership = Membership.objects.get(pk=w.loan.membership_id)
    assert membership.valid_until <= timezone.now()
    volunteer = fresh(w.volunteer_a.user)
    assert not works_in(volunteer, w.community_b.pk)
    task.refresh_from_db()
    assert task.assignee is None and task.events.last().action == "assign"
    with pytest.raises(PermissionDenied):
        flow.accept(task, volunteer)
    with pytest.raises(ValidationError) as info:
        aid.end_loan(w.loan, by=w.office)
    assert "status" in info.value.message_dict


@pytest.mark.django_db
def test_a_volunteer_already_lent_cannot_be_lent_again(lent):
    w = lent
    with pytest.raises(ValidationError) as info:
        aid.lend_volunteers([w.volunteer_a], w.community_b, later(), by=w.office)
    assert "volunteers" in info.value.message_dict
    assert VolunteerLoan.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("who, to, field", [
    ("volunteer_c", "community_b", "volunteers"),   # another street
    ("volunteer_b", "community_b", "volunteers"),   # already of the receiving community
])
def test_a_volunteer_of_another_street_or_of_the_receiver_is_refused(world, who, to, field):
    before = Membership.objects.count()
    with pytest.raises(ValidationError) as info:
        aid.lend_volunteers([getattr(world, who)], getattr(world, to), later(), by=world.office)
    assert field in info.value.message_dict
    assert Membership.objects.count() == before and not VolunteerLoan.objects.exists()


@pytest.mark.django_db
def test_a_loan_must_end_in_the_future(world):
    with pytest.raises(ValidationError) as info:
        aid.lend_volunteers([world.volunteer_a], world.community_b,
                            timezone.now() - dt.timedelta(hours=1), by=world.office)
    assert "ends" in info.value.message_dict


@pytest.mark.django_db
def test_only_the_street_office_lends(world):
    before = Membership.objects.count()
    with pytest.raises(PermissionDenied):
        aid.lend_volunteers([world.volunteer_a], world.community_b, later(), by=world.staff_b)
    assert Membership.objects.count() == before and not VolunteerLoan.objects.exists()


@pytest.mark.django_db
def test_three_volunteers_without_accounts_are_lent_too(world):
    a = world.community_a
    extra = [Volunteer.objects.create(community=a, name=f"Helper {n}", phone="13900000001")
             for n in range(3)]
    loans = aid.lend_volunteers(extra, world.community_b, later(), by=world.office)
    assert len(loans) == 3 and all(loan.membership is None for loan in loans)
    # they are no longer offered while lent
    from resilience.street import offers

    request = aid.open_request(world.staff_b, world.community_b, kind=AidKind.VOLUNTEERS,
                               quantity=1)
    offered = {v for group in offers.volunteer_offers(request) for v in group.volunteers}
    assert offered == {world.volunteer_a}
