"""Consultations and votes: the voting window, eligibility, one vote per household or resident
(also under concurrent submissions on PostgreSQL), quorum and majority, secrecy, scope, pages."""
from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from resilience.core.roles import Role
from resilience.core.testing import PASSWORD
from resilience.participation import consultations as services
from resilience.participation.models import Ballot, BallotChoice, Consultation, ConsultationOption
from resilience.people.models import Membership

NOW = timezone.now()


def make(world, *, options=("Agree", "Disagree"), abstain="Abstain", opened=True, **fields):
    values = {"community": world.community_a, "title": "Charging shed", "body": "<p>Why</p>",
              "opens_at": NOW - dt.timedelta(hours=1) if opened else None,
              "closes_at": NOW + dt.timedelta(days=1), "quorum_percent": 50}
    values.update(fields)
    consultation = Consultation.objects.create(**values)
    rows = [{"label": label} for label in options]
    if abstain:
        rows.append({"label": abstain, "abstain": True})
    services.write_options(consultation, rows)
    return consultation


def option(consultation, label):
    return consultation.options.get(label=label)


def holder(world, name, household):
    """A new account holder (resident membership) of ``household``."""
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(name, password=PASSWORD)
    Membership.objects.create(user=user, role=Role.RESIDENT, household=household)
    return user


# --- rules -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_household_holder_votes_once_and_the_choice_is_counted(world):
    c = make(world)
    voter = world.users["resident_a1"]
    ballot = services.cast_vote(c, voter, [option(c, "Agree").pk])
    assert ballot.household == world.household_a1 and ballot.resident is None
    assert option(c, "Agree").votes == 1
    c.refresh_from_db()
    assert c.eligible_count == 1  # frozen at the first vote: only a1 has an account holder
    with pytest.raises(ValidationError, match="already voted") as exc:
        services.cast_vote(c, voter, [option(c, "Disagree").pk])
    assert "options" in exc.value.message_dict
    second = holder(world, "spouse_a1", world.household_a1)
    with pytest.raises(ValidationError, match="already voted"):
        services.cast_vote(c, second, [option(c, "Disagree").pk])
    assert Ballot.objects.count() == 1 and option(c, "Disagree").votes == 0


@pytest.mark.django_db
def test_votes_outside_the_window_are_refused(world):
    voter = world.users["resident_a1"]
    early = make(world, opens_at=NOW + dt.timedelta(hours=1))
    with pytest.raises(ValidationError, match="not opened"):
        services.cast_vote(early, voter, [option(early, "Agree").pk])
    late = make(world, opens_at=NOW - dt.timedelta(days=2), closes_at=NOW - dt.timedelta(days=1))
    with pytest.raises(ValidationError, match="closed"):
        services.cast_vote(late, voter, [option(late, "Agree").pk])
    draft = make(world, opened=False)
    with pytest.raises(ValidationError, match="not opened"):
        services.cast_vote(draft, voter, [option(draft, "Agree").pk])
    assert not Ballot.objects.exists()


@pytest.mark.django_db
def test_ineligible_voters_are_refused(world):
    c = make(world, building=world.building_a2)  # resident_a1 lives in building a1
    with pytest.raises(ValidationError, match="not eligible"):
        services.cast_vote(c, world.users["resident_a1"], [option(c, "Agree").pk])
    community_wide = make(world)
    for name in ("staff_a", "grid_worker_a1", "outsider"):
        with pytest.raises(ValidationError, match="not eligible"):
            services.cast_vote(community_wide, world.users[name], [option(community_wide, "Agree").pk])
    assert not Ballot.objects.exists()


@pytest.mark.django_db
def test_resident_voting_counts_adults_with_accounts(world):
    adult, child = world.resident_a1, world.resident_a2
    adult.user = world.users["resident_a1"]
    adult.save()
    child.user = holder(world, "teen_a2", world.household_a2)
    child.birth_date = NOW.date().replace(year=NOW.year - 15)
    child.save()
    c = make(world, voter_unit="resident")
    assert list(services.eligible_voters(c)) == [adult]
    with pytest.raises(ValidationError, match="18 or more"):
        services.cast_vote(c, child.user, [option(c, "Agree").pk])
    ballot = services.cast_vote(c, adult.user, [option(c, "Agree").pk])
    assert ballot.resident == adult and ballot.household is None
    with pytest.raises(ValidationError, match="already voted"):
        services.cast_vote(c, adult.user, [option(c, "Agree").pk])


@pytest.mark.django_db
def test_too_many_choices_foreign_options_and_mixed_abstentions_are_refused(world):
    voter = world.users["resident_a1"]
    single = make(world)
    other = make(world, title="Other")
    cases = [
        (single, [option(single, "Agree").pk, option(single, "Disagree").pk], "at most 1"),
        (single, [option(other, "Agree").pk], "does not belong"),
        (single, [], "Choose an option"),
        (single, ["x"], "numbers"),
    ]
    multi = make(world, title="Multi", options=("A", "B", "C"), max_choices=2)
    cases.append((multi, [option(multi, "A").pk, option(multi, "Abstain").pk], "abstention"))
    for consultation, ids, message in cases:
        with pytest.raises(ValidationError, match=message) as exc:
            services.cast_vote(consultation, voter, ids)
        assert list(exc.value.message_dict) == ["options"]
    assert not Ballot.objects.exists()
    assert services.cast_vote(multi, voter, [option(multi, "A").pk, option(multi, "B").pk])
    assert [o.votes for o in multi.options.all()] == [1, 1, 0, 0]


@pytest.mark.django_db
def test_options_and_the_proposal_cannot_change_once_voting_started(world):
    c = make(world)
    with pytest.raises(ValidationError, match="can no longer"):
        services.set_options(c, [{"label": "Yes"}, {"label": "No"}])
    c.title = "Changed"
    with pytest.raises(ValidationError) as exc:
        c.full_clean()
    assert "opens_at" in exc.value.message_dict
    draft = make(world, opened=False)
    services.set_options(draft, [{"label": "Yes"}, {"label": "No"}])
    assert [o.label for o in draft.options.all()] == ["Yes", "No"]
    with pytest.raises(ValidationError, match="two options"):
        services.set_options(draft, [{"label": "Yes"}, {"label": "Abstain", "abstain": True}])


@pytest.mark.django_db
def test_staff_open_early_and_close_only_after_opening_or_with_a_reason(world):
    draft = make(world, opened=False)
    with pytest.raises(ValidationError, match="not opened") as exc:
        services.close(draft, world.staff_a, reason="x")
    assert "opens_at" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        services.open_now(draft, world.staff_b)
    services.open_now(draft, world.staff_a)
    assert draft.state() == "open" and draft.eligible_count == 1
    with pytest.raises(ValidationError, match="reason") as exc:
        services.close(draft, world.staff_a)
    assert "reason" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        services.close(draft, world.users["resident_a1"], reason="x")
    services.close(draft, world.staff_a, reason="The committee withdrew the proposal.")
    assert draft.state() == "closed" and draft.result["reason"] == "quorum_not_met"
    with pytest.raises(ValidationError, match="already"):
        services.close(draft, world.staff_a, reason="again")


@pytest.mark.django_db
def test_the_worker_counts_ended_consultations_and_freezes_opened_ones(world):
    ended = make(world, opens_at=NOW - dt.timedelta(days=2), closes_at=NOW - dt.timedelta(hours=1))
    running = make(world, title="Running")
    assert services.close_ended(NOW) == {"opened": 2, "closed": 1}
    ended.refresh_from_db()
    running.refresh_from_db()
    assert ended.closed_at and ended.result["eligible"] == 1 and ended.closed_by is None
    assert running.eligible_count == 1 and running.closed_at is None
    assert services.close_ended(NOW) == {"opened": 0, "closed": 0}


# --- quorum and majority ---------------------------------------------------------------------


def counted(world, votes: dict[str, int], *, eligible: int, **fields) -> dict:
    """Close a consultation whose counters and ballots say ``votes`` (label → count)."""
    labels = [label for label in votes if label != "Abstain"]
    c = make(world, options=labels, **fields)
    households = []
    for i in range(sum(votes.values())):
        from resilience.people.models import Household

        households.append(Household.objects.create(community=world.community_a,
                                                   building=world.building_a1, room=f"{200 + i}",
                                                   code=f"q-{c.pk}-{i}"))
    it = iter(households)
    for label, n in votes.items():
        for _ in range(n):
            Ballot.objects.create(consultation=c, household=next(it))
        ConsultationOption.objects.filter(consultation=c, label=label).update(votes=n)
    Consultation.objects.filter(pk=c.pk).update(eligible_count=eligible)
    c.refresh_from_db()
    return services.close(c, world.staff_a, reason="test").result


@pytest.mark.django_db
def test_quorum_met_and_simple_majority_adopts_the_leading_option(world):
    result = counted(world, {"Agree": 6, "Disagree": 3, "Abstain": 1}, eligible=20)
    assert result["quorum_met"] and result["turnout_percent"] == 50.0
    assert result["decided"] and result["winner_label"] == "Agree" and result["base"] == 9
    assert [o["votes"] for o in result["options"]] == [6, 3, 1]


@pytest.mark.django_db
def test_quorum_not_met_decides_nothing(world):
    result = counted(world, {"Agree": 6, "Disagree": 3}, eligible=19)
    assert not result["quorum_met"] and not result["decided"]
    assert result["reason"] == "quorum_not_met" and result["winner"] is None


@pytest.mark.django_db
def test_a_tie_decides_nothing(world):
    result = counted(world, {"Agree": 4, "Disagree": 4, "Abstain": 3}, eligible=11)
    assert result["quorum_met"] and result["reason"] == "tie" and not result["decided"]
    three = counted(world, {"A": 3, "B": 3, "C": 1}, eligible=7, title="three")
    assert three["reason"] == "tie"


@pytest.mark.django_db
def test_two_thirds_majority(world):
    below = counted(world, {"Agree": 6, "Disagree": 4}, eligible=10, majority="two_thirds")
    assert below["reason"] == "below_two_thirds" and not below["decided"]
    # abstentions do not count against: 6 of 9 decisive votes is two thirds
    met = counted(world, {"Agree": 6, "Disagree": 3, "Abstain": 5}, eligible=14,
                  majority="two_thirds", title="again")
    assert met["decided"] and met["winner_label"] == "Agree"


@pytest.mark.django_db
def test_no_votes_for_any_option_decides_nothing(world):
    result = counted(world, {"Agree": 0, "Disagree": 0, "Abstain": 5}, eligible=5)
    assert result["quorum_met"] and result["reason"] == "no_votes"


# --- secrecy ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_secret_ballot_stores_nothing_that_links_a_voter_to_a_choice(world):
    c = make(world, secret=True)
    services.cast_vote(c, world.users["resident_a1"], [option(c, "Disagree").pk])
    assert not BallotChoice.objects.exists()
    ballot_fields = {f.name for f in Ballot._meta.get_fields()}
    assert "choices" in ballot_fields  # only open ballots fill it
    option_links = {f.name for f in ConsultationOption._meta.concrete_fields}
    assert option_links == {"id", "consultation", "label", "order", "abstain", "votes"}
    assert option(c, "Disagree").votes == 1
    # The ballot says who voted, for which household and when — nothing about the option.
    ballot = Ballot.objects.get()
    assert {f.attname for f in Ballot._meta.concrete_fields} == {
        "id", "consultation_id", "voter_id", "household_id", "resident_id", "cast_at"}
    assert ballot.choices.count() == 0


@pytest.mark.django_db
def test_an_open_ballot_records_the_choice_with_the_ballot(world):
    c = make(world, secret=False)
    ballot = services.cast_vote(c, world.users["resident_a1"], [option(c, "Agree").pk])
    assert [ch.option.label for ch in ballot.choices.all()] == ["Agree"]


# --- scope and results -----------------------------------------------------------------------


@pytest.mark.django_db
def test_residents_see_opened_consultations_of_their_area_and_staff_only_their_community(world):
    live = make(world)
    make(world, title="draft", opened=False)
    make(world, title="elsewhere", building=world.building_a2)
    resident = world.users["resident_a1"]
    assert list(services.readable_consultations(resident)) == [live]
    assert services.readable_consultations(world.staff_a).count() == 3
    assert services.readable_consultations(world.staff_b).count() == 0
    assert services.readable_consultations(world.users["office"]).count() == 3
    assert services.readable_consultations(world.users["outsider"]).count() == 0
    with pytest.raises(PermissionDenied):
        services.close(live, world.staff_b, reason="not mine")


@pytest.mark.django_db
def test_results_are_hidden_from_residents_until_published(world):
    c = make(world)
    services.cast_vote(c, world.users["resident_a1"], [option(c, "Agree").pk])
    services.close(c, world.staff_a, reason="done early")
    resident = world.users["resident_a1"]
    assert services.may_see_results(world.staff_a, c)
    assert not services.may_see_results(resident, c)
    assert not services.may_see_results(world.staff_b, c)
    services.publish(c, world.staff_a)
    assert services.may_see_results(resident, c)
    assert c.result["decided"] and c.result["winner_label"] == "Agree"


# --- pages -----------------------------------------------------------------------------------


def login(world, name) -> Client:
    client = Client()
    assert client.login(username=name, password=PASSWORD)
    return client


@pytest.mark.django_db
def test_a_resident_votes_on_the_phone_page(world):
    c = make(world, secret=True)
    client = login(world, "resident_a1")
    listing = client.get(reverse("participation:consultation_open"))
    assert listing.status_code == 200 and "Charging shed" in listing.content.decode()
    url = reverse("participation:consultation_vote", args=[c.pk])
    page = client.get(url)
    assert page.status_code == 200 and 'id="ballot"' in page.content.decode()
    assert client.post(url, {"options": option(c, "Agree").pk}).status_code == 302
    again = client.post(url, {"options": option(c, "Disagree").pk})
    assert again.status_code == 400 and "already voted" in again.content.decode()
    assert option(c, "Agree").votes == 1 and option(c, "Disagree").votes == 0
    assert "You have voted" in client.get(url).content.decode()


@pytest.mark.django_db
def test_staff_create_close_and_publish_through_the_pages(world):
    client = login(world, "staff_a")
    response = client.post(reverse("participation:consultation_add"), {
        "community": world.community_a.pk, "title": "Bike shed", "body": "<script>x</script><p>Why</p>",
        "voter_unit": "household", "closes_at": (NOW + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
        "quorum_percent": 50, "majority": "simple", "secret": "on", "max_choices": 1,
        "options": "Agree\nDisagree", "abstain_label": "Abstain"})
    assert response.status_code == 302, response.content.decode()[:2000]
    c = Consultation.objects.get(title="Bike shed")
    assert "<script>" not in c.body and c.options.count() == 3 and c.state() == "draft"
    detail = reverse("participation:consultation_detail", args=[c.pk])
    assert client.get(detail).status_code == 200
    client.post(reverse("participation:consultation_open_now", args=[c.pk]))
    c.refresh_from_db()
    assert c.state() == "open"
    edit = client.post(reverse("participation:consultation_edit", args=[c.pk]), {
        "community": world.community_a.pk, "title": "Changed", "voter_unit": "household",
        "closes_at": (NOW + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
        "quorum_percent": 50, "majority": "simple", "max_choices": 1, "options": "A\nB"})
    assert edit.status_code == 400 and Consultation.objects.get(pk=c.pk).title == "Bike shed"
    client.post(reverse("participation:consultation_close", args=[c.pk]), {"reason": ""})
    assert Consultation.objects.get(pk=c.pk).closed_at is None  # early close needs a reason
    client.post(reverse("participation:consultation_close", args=[c.pk]), {"reason": "Withdrawn"})
    client.post(reverse("participation:consultation_publish", args=[c.pk]))
    c.refresh_from_db()
    assert c.closed_at and c.published
    page = client.get(detail).content.decode()
    assert "The quorum of 50 % was not met." in page
    assert client.post(reverse("participation:consultation_delete", args=[c.pk])).status_code == 403
    other = login(world, "staff_b")
    assert other.get(detail).status_code == 404
    assert other.post(reverse("participation:consultation_publish", args=[c.pk])).status_code == 404


@pytest.mark.django_db
def test_the_form_refuses_too_few_options(world):
    client = login(world, "staff_a")
    response = client.post(reverse("participation:consultation_add"), {
        "community": world.community_a.pk, "title": "One", "voter_unit": "household",
        "closes_at": (NOW + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
        "quorum_percent": 50, "majority": "simple", "max_choices": 1, "options": "Only"})
    assert response.status_code == 400 and "at least two options" in response.content.decode()
    assert not Consultation.objects.exists()


# --- concurrency (PostgreSQL) ----------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_votes_for_one_household_count_once(world):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent votes need PostgreSQL (row locks and concurrent writers); SQLite "
                    "has one writer at a time. Runs when the suite runs on PostgreSQL.")
    c = make(world, secret=True)
    voters = [world.users["resident_a1"]] + [holder(world, f"holder_{i}", world.household_a1)
                                             for i in range(7)]
    agree = option(c, "Agree").pk
    start = threading.Barrier(len(voters))
    outcomes: list[str] = []

    def vote(user) -> None:
        try:
            start.wait()
            services.cast_vote(c, user, [agree])
            outcomes.append("counted")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=vote, args=(u,)) for u in voters]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert outcomes.count("counted") == 1 and outcomes.count("refused") == len(voters) - 1
    assert Ballot.objects.filter(consultation=c).count() == 1
    assert option(c, "Agree").votes == 1


@pytest.mark.django_db
def test_the_portal_lists_open_consultations_with_the_voters_state(world):

    c = make(world, secret=True)
    later = make(world, title="Not yet", opened=False)
    user = world.users["resident_a1"]
    listed = services.open_for(user)
    assert [x.pk for x in listed] == [c.pk] and listed[0].may_vote and not listed[0].voted
    services.cast_vote(c, user, [option(c, "Agree").pk])
    assert services.open_for(user)[0].voted
    page = login(world, "resident_a1").get(reverse("participation:portal")).content.decode()
    assert reverse("participation:consultation_vote", args=[c.pk]) in page
    assert f'data-consultation="{c.pk}"' in page
    assert f'data-consultation="{later.pk}"' not in page
