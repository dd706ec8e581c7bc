import time, cProfile, pstats, io
from django.db import connection
from django.test.utils import CaptureQueriesContext
from resilience.alerts.tests.test_board import send, LIVE, board_url
from resilience.alerts.models import AlertRecipient, Delivery

def test_perf(world, settings, client):
    alert = send(world, settings)
    AlertRecipient.objects.bulk_create([AlertRecipient(alert=alert, key=f"t:{i}", kind="resident", name=f"P {i}", grid=world.grid_a2, building=world.building_a2, vulnerable=i % 10 == 0, priority=2 if i % 10 == 0 else 9) for i in range(4000)])
    Delivery.objects.bulk_create([Delivery(alert=alert, recipient=r, channel=c) for r in AlertRecipient.objects.filter(alert=alert, key__startswith="t:") for c in ("sms", "inapp")])
    client.force_login(world.users["staff_a"])
    client.get(board_url(alert), **LIVE)
    with CaptureQueriesContext(connection) as q:
        pr = cProfile.Profile(); pr.enable()
        client.get(board_url(alert), **LIVE)
        pr.disable()
    tot = 0
    for x in q.captured_queries:
        tot += float(x["time"])
    print("queries", len(q.captured_queries), "sql time", tot)
    for x in sorted(q.captured_queries, key=lambda x: -float(x["time"]))[:4]:
        print(x["time"], x["sql"][:300])
    s = io.StringIO(); pstats.Stats(pr, stream=s).sort_stats("cumulative").print_stats(25); print(s.getvalue()[:6000])
