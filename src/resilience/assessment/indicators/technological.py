"""Technological indicators: sensors watching the major risks, and warnings reaching people."""
from __future__ import annotations

import statistics
from collections import defaultdict

from django.db.models import Count, Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from resilience.assessment.catalogue import Measurement, indicator
from resilience.assessment.indicators import common
from resilience.assessment.vocab import Dimension

ALERT_WINDOW = common.YEAR       # the "last alert" is the last one issued in the year before
DELIVERY_WINDOW = common.YEAR


@indicator(
    "sensor_coverage_major_risks", Dimension.TECHNOLOGICAL,
    name=_("Major risks watched by a sensor"),
    definition=_("Share of the active major or high risk sources at the time (graded as then) "
                 "with an active sensor on them or on their facility."),
    unit=_("share of major risk sources"), target=1.0, worst=0.0,
    recommendations=(
        (50, _("Most major risks have no sensor: fit smoke and temperature sensors in the power "
               "rooms and e-bike charging points, and water-level sensors in the underground "
               "garage, and link each to its risk source.")),
        (100, _("Some major risks have no sensor: add one to each and link it to the risk "
                "source so its alarms reach the right people.")),
    ))
def sensor_coverage_major_risks(community_ids, at):
    from resilience.monitoring.models import Sensor

    sensors = Sensor.objects.filter(active=True, created__lte=at)
    watched = (Exists(sensors.filter(risk=OuterRef("pk")))
               | Exists(sensors.filter(facility_id=OuterRef("facility_id"))))
    rows = common.grouped(common.serious_risks(community_ids, at), total=Count("pk"),
                          watched=Count("pk", filter=watched))
    return common.ratios(rows, community_ids, "watched", "total",
                         part_name="watched", whole_name="major_risks")


@indicator(
    "sensor_uptime", Dimension.TECHNOLOGICAL,
    name=_("Sensors reporting"),
    definition=_("Share of the active sensors at the time that sent at least one reading in the "
                 "24 hours before it; target 95 %."),
    unit=_("share of sensors"), target=0.95, worst=0.5,
    recommendations=(
        (50, _("Many sensors are silent: check the gateway and network first (a whole building "
               "silent), then batteries, from the device health page.")),
        (100, _("Some sensors are silent: replace the batteries of the low ones and ask the "
                "property company to check those offline for more than a day.")),
    ))
def sensor_uptime(community_ids, at):
    from resilience.monitoring.models import Observation, Sensor

    reporting = Exists(Observation.objects.filter(sensor=OuterRef("pk"),
                                                  time__gt=at - common.DAY, time__lte=at))
    rows = common.grouped(Sensor.objects.filter(community_id__in=community_ids, active=True,
                                                created__lte=at),
                          total=Count("pk"), reporting=Count("pk", filter=reporting))
    return common.ratios(rows, community_ids, "reporting", "total",
                         part_name="reporting", whole_name="sensors")


def last_alerts(community_ids, at) -> dict[int, tuple[int, object]]:
    """``{community id: (alert id, issued at)}``: the last alert (not an update or a
    cancellation) issued in the year before ``at``."""
    from resilience.alerts.models import Alert
    from resilience.alerts.vocab import MessageType

    def compute():
        found = {}
        for cid, pk, issued in (Alert.objects.filter(
                community_id__in=community_ids, msg_type=MessageType.ALERT,
                issued_at__gt=at - ALERT_WINDOW, issued_at__lte=at)
                .order_by("community_id", "-issued_at", "-pk")
                .values_list("community_id", "pk", "issued_at")):
            found.setdefault(cid, (pk, issued))
        return found

    return common.remembered(("last_alerts", tuple(community_ids), at), compute)


def _people(alert_ids):
    from resilience.alerts.models import AlertRecipient
    from resilience.alerts.vocab import RecipientKind

    return AlertRecipient.objects.filter(alert_id__in=alert_ids).exclude(kind=RecipientKind.GROUP)


@indicator(
    "alert_ack_median_minutes", Dimension.TECHNOLOGICAL,
    name=_("Median time to acknowledge the last alert"),
    definition=_("Median minutes from issue to acknowledgement over the people the last alert "
                 "of the 12 months before the time was sent to, those who had not acknowledged "
                 "by then counting as never (when more than half had not, the value is the "
                 "minutes elapsed, a lower bound)."),
    unit=_("minutes"), target=5.0, worst=60.0,
    recommendations=(
        (50, _("Half the people take more than half an hour to acknowledge a warning, or never "
               "do: ask residents to save the acknowledgement link, and have grid workers phone "
               "the vulnerable residents who have not answered within 10 minutes.")),
        (100, _("Acknowledgements are slow: use the in-app channel and SMS together, and "
                "practise acknowledging in the next drill with an exercise alert.")),
    ))
def alert_ack_median_minutes(community_ids, at):
    last = last_alerts(community_ids, at)
    waits: dict[int, list[float]] = defaultdict(list)
    for alert_id, acknowledged in _people([pk for pk, _issued in last.values()]).values_list(
            "alert_id", "acknowledged_at"):
        waits[alert_id].append(float("inf") if acknowledged is None or acknowledged > at
                               else acknowledged.timestamp())
    result = {}
    for cid in community_ids:
        if cid not in last:
            result[cid] = common.none("no_alert", recipients=0)
            continue
        pk, issued = last[cid]
        minutes = [(t - issued.timestamp()) / 60 for t in waits[pk]]
        if not minutes:
            result[cid] = common.none("no_recipients", alert=pk, recipients=0)
            continue
        median = statistics.median(minutes)
        acknowledged = sum(1 for m in minutes if common.finite(m))
        inputs = {"alert": pk, "recipients": len(minutes), "acknowledged": acknowledged}
        if not common.finite(median):
            elapsed = (at - issued).total_seconds() / 60
            result[cid] = Measurement(round(elapsed, 1), {**inputs, "lower_bound": 1})
        else:
            result[cid] = Measurement(round(median, 1), inputs)
    return result


@indicator(
    "alert_reach", Dimension.TECHNOLOGICAL,
    name=_("People reached by the last alert"),
    definition=_("Share of the people the last alert of the 12 months before the time was "
                 "meant for whom at least one channel had delivered it by then."),
    unit=_("share of recipients"), target=1.0, worst=0.0,
    recommendations=(
        (50, _("The last warning reached fewer than half of the people it was meant for: "
               "collect phone numbers in the household visits and check the failed deliveries "
               "on the alert's board for wrong numbers.")),
        (100, _("Some people were not reached by the last warning: add SMS for those without "
                "the app, and have grid workers knock on the doors of the vulnerable ones "
                "not reached.")),
    ))
def alert_reach(community_ids, at):
    last = last_alerts(community_ids, at)
    rows = common.grouped(_people([pk for pk, _issued in last.values()]), "alert_id",
                          total=Count("pk"),
                          reached=Count("pk", filter=Q(reached_at__isnull=False,
                                                       reached_at__lte=at)))
    result = {}
    for cid in community_ids:
        if cid not in last:
            result[cid] = common.none("no_alert", recipients=0)
            continue
        row = rows.get(last[cid][0], {})
        result[cid] = common.ratio(row.get("reached", 0), row.get("total", 0),
                                   part_name="reached", whole_name="recipients",
                                   alert=last[cid][0])
    return result


@indicator(
    "alert_delivery_success", Dimension.TECHNOLOGICAL,
    name=_("Warning messages delivered"),
    definition=_("Share of the finished deliveries (sent or failed after their retries) of the "
                 "alerts issued in the 12 months before the time that were sent; target 99 %."),
    unit=_("share of deliveries"), target=0.99, worst=0.8,
    recommendations=(
        (50, _("One warning message in ten or more fails: check the channel settings (SMS "
               "gateway, group robots) with a test message, and correct the phone numbers and "
               "addresses the failures name.")),
        (100, _("Some warning messages fail: read the reasons on the failed deliveries and fix "
                "the numbers or endpoints behind them.")),
    ))
def alert_delivery_success(community_ids, at):
    from resilience.alerts.models import Delivery
    from resilience.alerts.vocab import DeliveryStatus

    rows = common.grouped(
        Delivery.objects.filter(alert__community_id__in=community_ids,
                                alert__issued_at__gt=at - DELIVERY_WINDOW,
                                alert__issued_at__lte=at,
                                status__in=[DeliveryStatus.SENT, DeliveryStatus.FAILED]),
        "alert__community", total=Count("pk"),
        sent=Count("pk", filter=Q(status=DeliveryStatus.SENT)))
    return common.ratios(rows, community_ids, "sent", "total",
                         part_name="sent", whole_name="deliveries")


@indicator(
    "residents_with_phone", Dimension.TECHNOLOGICAL,
    name=_("Residents with a phone number"),
    definition=_("Share of the residents registered at the time with a phone number on record, "
                 "so an SMS or call can reach them."),
    unit=_("share of residents"), target=1.0, worst=0.5,
    recommendations=(
        (50, _("Many residents have no phone number on record: collect numbers in the next "
               "household visits, and for those without a phone record the number of a "
               "relative or neighbour as emergency contact.")),
        (100, _("Some residents have no phone number on record: ask the grid workers to fill "
                "them in from the household list, building by building.")),
    ))
def residents_with_phone(community_ids, at):
    people = common.population(community_ids, at)
    return {cid: common.ratio(people[cid]["with_phone"], people[cid]["residents"],
                              part_name="with_phone", whole_name="residents")
            for cid in community_ids}
