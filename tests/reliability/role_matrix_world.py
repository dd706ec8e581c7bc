"""The role matrix's fixture: ``build_world()`` plus one object of every type in communities A,
B and C.

The object of community A lies in grid A1 and belongs to household A1 where it can: it is the one
every role of community A is checked against ("own community"). B (same street as A) and C
(another street) hold the same objects: only the office (its street) and the admin may reach
them.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import models
from django.utils import timezone

from resilience.core.testing import build_world

NOW = timezone.now()


def make(model, **values):
    """Create ``model`` with ``values``; required fields left out get a plain valid value."""
    for f in model._meta.concrete_fields:
        if f.primary_key or f.name in values or f.attname in values or f.null or f.has_default():
            continue
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False) or f.is_relation:
            continue
        if f.choices:
            values[f.name] = f.choices[0][0]
        elif isinstance(f, models.DateTimeField):
            values[f.name] = NOW
        elif isinstance(f, models.DateField):
            values[f.name] = NOW.date()
        elif isinstance(f, (models.IntegerField, models.FloatField, models.DecimalField)):
            values[f.name] = Decimal(1) if isinstance(f, models.DecimalField) else 1
        elif isinstance(f, models.JSONField):
            values[f.name] = {}
        elif isinstance(f, (models.CharField, models.TextField)) and not f.blank:
            values[f.name] = "x"
    return model.objects.create(**values)


def build():
    """The world of ``core.testing`` and one object of each type per community (tags a, b, c)."""
    from resilience.alerts.models import Alert
    from resilience.assessment.models import AssessmentRun, Index
    from resilience.health.models import HealthArchive
    from resilience.health.vocab import ConsentPurpose
    from resilience.monitoring.models import Alarm, Rule, Sensor
    from resilience.participation.models import Consultation, Drill, Notice, Report
    from resilience.people.models import Membership, Pairing, Resident
    from resilience.relief.models import Item, NeedRequest, StockLot
    from resilience.response.models import Incident, Plan
    from resilience.risks.models import Hazard, RiskSource
    from resilience.shelters.models import Shelter
    from resilience.street.models import AidRequest

    w = build_world()
    o = w.objects
    resident_user = w.users["resident_a1"]
    o["resident_a1"].user = resident_user
    o["resident_a1"].save()
    # A second resident of household A1, free to be paired by the API's create cell.
    o["resident_a1_second"] = make(Resident, community=o["community_a"],
                                   household=o["household_a1"], name="Second of A1", sex="male", birth_date=dt.date(1960, 1, 1))
    index = make(Index, code="matrix", name="Matrix index", is_default=True)
    for tag in "abc":
        c, grid, building = o[f"community_{tag}"], o[f"grid_{tag}1"], o[f"building_{tag}1"]
        household, resident = o[f"household_{tag}1"], o[f"resident_{tag}1"]
        owner, volunteer = o[f"property_{tag}"], o[f"volunteer_{tag}"]
        name = f"Matrix {tag.upper()}"
        o[f"membership_{tag}"] = (
            Membership.objects.get(user=resident_user) if tag == "a" else
            Membership.objects.create(user=_user(f"resident_{tag}1_user"), role="resident",
                                      household=household))
        o[f"pairing_{tag}"] = make(Pairing, community=c, resident=resident, volunteer=volunteer,
                                   note=name)
        o[f"risksource_{tag}"] = make(RiskSource, community=c, grid=grid, owner=owner, name=name)
        o[f"hazard_{tag}"] = make(Hazard, community=c, grid=grid, responsible=owner, title=name)
        sensor = o[f"sensor_{tag}"] = make(Sensor, community=c, grid=grid, owner=owner,
                                           code=f"matrix-{tag}", name=name)
        rule = make(Rule, community=c, name=f"Rule {tag}")
        o[f"alarm_{tag}"] = make(Alarm, community=c, sensor=sensor, rule=rule, message=name)
        o[f"alert_{tag}"] = make(Alert, community=c, identifier=f"matrix-{tag}", headline=name,
                                 state="issued", issued_at=NOW)
        o[f"alertdraft_{tag}"] = make(Alert, community=c, identifier=f"matrix-draft-{tag}",
                                      headline=f"Draft {tag.upper()}", state="draft")
        o[f"incident_{tag}"] = make(Incident, community=c, title=name)
        o[f"plan_{tag}"] = make(Plan, community=c, name=name)
        # A shelter facility gets its shelter record from a signal.
        o[f"shelter_{tag}_place"] = Shelter.objects.get(facility=o[f"shelter_{tag}"])
        o[f"needrequest_{tag}"] = make(NeedRequest, community=c, grid=grid, household=household,
                                       building=building, kind="food", description=name)
        item = o[f"item_{tag}"] = make(Item, community=c, name=name)
        o[f"stocklot_{tag}"] = make(StockLot, community=c, item=item, quantity=Decimal(10),
                                    warehouse=o[f"shelter_{tag}"])
        o[f"notice_{tag}"] = make(Notice, community=c, grid=grid, title=name,
                                 publish_at=NOW - dt.timedelta(hours=1))
        o[f"report_{tag}"] = make(Report, community=c, grid=grid, description=name,
                                  reporter=resident_user if tag == "a" else None)
        o[f"consultation_{tag}"] = make(Consultation, community=c, grid=grid, title=name,
                                        opens_at=NOW - dt.timedelta(hours=1),
                                        closes_at=NOW + dt.timedelta(days=7))
        o[f"consultationdraft_{tag}"] = make(Consultation, community=c, grid=grid,
                                             title=f"Draft {tag.upper()}",
                                             closes_at=NOW + dt.timedelta(days=7))
        o[f"drill_{tag}"] = make(Drill, community=c, grid=grid, title=name)
        archive = o[f"healtharchive_{tag}"] = make(HealthArchive, community=c, resident=resident)
        archive.consents.create(purpose=ConsentPurpose.FHIR_EXPORT)
        o[f"assessmentrun_{tag}"] = make(AssessmentRun, community=c, index=index, note=name,
                                             score=50.0)
        o[f"aidrequest_{tag}"] = make(AidRequest, community=c, region=c.region, item_name=name)
    return w


def _user(name):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.create_user(name, password="unused-password-1234")
