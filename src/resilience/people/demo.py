"""Demo helper pairings: each vulnerable resident whose building has an active volunteer is
paired with that neighbour (at most three residents per volunteer), as a committee would start;
the rest are left for the staff to pair — the assessment shows them as a weakness."""
from __future__ import annotations

import datetime as dt
from collections import defaultdict

from resilience.core.changelog import log_created
from resilience.people.models import Pairing, Resident, Volunteer

MOST_PER_VOLUNTEER = 3


def seed_pairings(community, today: dt.date) -> dict[str, int]:
    helpers = defaultdict(list)
    for volunteer in (Volunteer.objects.filter(community=community, active=True,
                                               home_building__isnull=False).order_by("pk")):
        helpers[volunteer.home_building_id].append(volunteer)
    load: dict[int, int] = defaultdict(int)
    pairs = []
    residents = (Resident.objects.filter(community=community).exclude(tag_index="")
                 .select_related("household").order_by("pk"))
    for resident in residents:
        for volunteer in helpers.get(resident.household.building_id, ()):
            if volunteer.resident_id != resident.pk and load[volunteer.pk] < MOST_PER_VOLUNTEER:
                load[volunteer.pk] += 1
                pairs.append(Pairing(community=community, resident=resident, volunteer=volunteer,
                                     since=today - dt.timedelta(days=90),
                                     note="邻里结对"))
                break
    Pairing.objects.bulk_create(pairs, batch_size=1000)
    log_created(pairs)
    return {"helper pairings": len(pairs)}
