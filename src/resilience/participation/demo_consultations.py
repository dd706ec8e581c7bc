"""Demo consultations: one open secret household vote on an e-bike charging shed with some
households already voted, and one closed vote whose results are published.

``seed_consultations(community)`` is idempotent: a community that already has consultations is
left alone. Demo households have no account holders apart from the demo resident, so ballots of
the other households are written directly (as if their holders had voted) and the electorate
counts every household of the community that voted plus those with an account holder.
"""
from __future__ import annotations

import datetime as dt
import random

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from resilience.core.roles import Role
from resilience.participation import consultations as services
from resilience.participation.models import Ballot, Consultation, ConsultationOption
from resilience.participation.vocab_consultations import Majority, VoterUnit
from resilience.people.models import Household, Membership

OPEN = {
    "title": "是否同意在小区东门加装电动自行车集中充电棚",
    "body": "<p>为消除电动自行车<strong>飞线充电、入户充电</strong>的火灾隐患，居委会拟在小区东门"
            "绿地旁加装集中充电棚（约 40 个充电位，智能计费，配备烟感和灭火器）。</p>"
            "<ul><li>费用：由专项维修资金和街道补贴承担</li><li>施工周期：约 2 周</li></ul>"
            "<p>请各户户主在截止时间前投票。</p>",
    "options": (("同意", False), ("不同意", False), ("弃权", True)),
}
CLOSED = {
    "title": "是否同意将每月第一个周六定为社区消防安全检查日",
    "body": "<p>每月第一个周六上午，由楼组长和志愿者协助检查楼道堆物和消防设施。</p>",
    "options": (("同意", False), ("不同意", False), ("弃权", True)),
}


def _ballots(consultation: Consultation, households: list, rng: random.Random,
             weights: tuple[int, ...], until: dt.datetime) -> None:
    """Votes of ``households`` spread over the voting time and over the options by ``weights``
    (as their holders would have voted)."""
    options = list(consultation.options.order_by("order"))
    span = until - consultation.opens_at
    Ballot.objects.bulk_create(
        Ballot(consultation=consultation, household=household,
               cast_at=consultation.opens_at + span * (k + 1) / (len(households) + 1))
        for k, household in enumerate(households))
    chosen = rng.choices(options, weights=weights, k=len(households))
    for option in options:
        ConsultationOption.objects.filter(pk=option.pk).update(
            votes=F("votes") + sum(1 for c in chosen if c.pk == option.pk))


def seed_consultations(community) -> dict[str, int]:
    """The open charging-shed vote (quorum 50 %, secret; just over half of the households have
    voted, so staff can close it with the quorum met) and a closed, published vote; once."""
    if Consultation.objects.filter(community=community).exists():
        return {}
    rng = random.Random(f"consultations-{community.pk}")
    now = timezone.now()
    staff = (Membership.objects.filter(community=community, role=Role.STAFF)
             .select_related("user").order_by("id").first())
    holders = set(Membership.objects.filter(household__community=community, role=Role.RESIDENT)
                  .values_list("household_id", flat=True))
    households = list(Household.objects.filter(community=community).exclude(pk__in=holders)
                      .order_by("pk"))
    with transaction.atomic():
        made = []
        for spec, opened, closes in ((OPEN, now - dt.timedelta(days=2), now + dt.timedelta(days=5)),
                                     (CLOSED, now - dt.timedelta(days=30),
                                      now - dt.timedelta(days=16))):
            consultation = Consultation.objects.create(
                community=community, title=spec["title"], body=spec["body"],
                voter_unit=VoterUnit.HOUSEHOLD, opens_at=opened, closes_at=closes,
                quorum_percent=50, majority=Majority.SIMPLE, secret=True, max_choices=1,
                created_by=staff.user if staff else None)
            services.write_options(consultation, [{"label": label, "abstain": abstain}
                                                  for label, abstain in spec["options"]])
            made.append(consultation)
        open_vote, closed_vote = made
        # The demo's households have no account holders but the demo resident; ballots written
        # here stand for holders who voted, and the electorate is every household of the
        # community (what it would be if each had an account holder).
        electorate = Household.objects.filter(community=community).count()
        _ballots(open_vote, households[:int(electorate * 0.52)], rng, (6, 3, 1), now)
        for consultation in made:
            consultation.eligible_count = electorate
            consultation.eligible_counted_at = consultation.opens_at
            consultation.save(update_fields=["eligible_count", "eligible_counted_at"])
        rng.shuffle(households)
        _ballots(closed_vote, households[:int(electorate * 0.62)], rng, (7, 2, 1),
                 closed_vote.closes_at)
        services.close(closed_vote, None, now=closed_vote.closes_at + dt.timedelta(minutes=5))
        published_at = closed_vote.closes_at + dt.timedelta(hours=2)
        if staff:
            services.publish(closed_vote, staff.user, now=published_at)
        else:
            Consultation.objects.filter(pk=closed_vote.pk).update(published=True,
                                                                  published_at=published_at)
    return {"consultations": 2, "ballots": Ballot.objects.filter(
        consultation__community=community).count()}
