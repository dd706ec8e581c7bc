"""The checks and figures of ``resilience bench faults`` (see ``bench.faults``): from what the
clients saw (the journal), what the database holds at the end, and what the fake gateway got."""
from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

OUTAGE_MARGIN = 2.0  # seconds before the restart in which a request may already be hit by it


def ok(status: int) -> bool:
    return 200 <= status < 300


def _check(checks: list, name: str, passed: bool, detail: str) -> None:
    checks.append({"check": name, "passed": bool(passed), "detail": detail})


def readings(journal, facts: dict, unacked: int, checks: list) -> dict:
    """Every reading the broker acknowledged stored exactly once, none doubled, none refused."""
    stored = facts["observations"]
    distinct = set(stored)
    published = journal.readings
    figures = {"published": len(published), "unacknowledged_messages": unacked,
               "stored_rows": len(stored), "doubled": len(stored) - len(distinct),
               "missing": len(published - distinct), "unexpected": len(distinct - published),
               "dead_letters": facts["dead_letters"]}
    _check(checks, "broker acknowledged every reading", unacked == 0,
           f"{unacked} messages unacknowledged")
    _check(checks, "every acknowledged reading stored exactly once",
           distinct == published and figures["doubled"] == 0 and not facts["dead_letters"],
           f"{len(published)} published, {len(stored)} rows, {figures['missing']} missing, "
           f"{figures['doubled']} doubled, {figures['dead_letters']} dead letters")
    return figures


def writes(journal, facts: dict, checks: list) -> dict:
    """Every needs request answered 2xx stored once; a failed one at most once; none doubled."""
    posts = [c for c in journal.calls if c.kind == "requests POST"]
    stored = facts["requests"]
    answered = [c for c in posts if ok(c.status)]
    failed = [c for c in posts if not ok(c.status)]
    figures = {
        "sent": len(posts), "answered_2xx": len(answered), "failed": len(failed),
        "answered_stored_once": sum(1 for c in answered if stored.get(c.marker) == 1),
        "answered_missing": sum(1 for c in answered if not stored.get(c.marker)),
        "failed_absent": sum(1 for c in failed if not stored.get(c.marker)),
        "failed_stored_once": sum(1 for c in failed if stored.get(c.marker) == 1),
        "doubled": sum(1 for n in stored.values() if n > 1),
        "unexpected": len(set(stored) - {c.marker for c in posts}),
    }
    _check(checks, "every write answered 2xx stored exactly once; none doubled",
           figures["answered_stored_once"] == len(answered) and not figures["doubled"]
           and not figures["unexpected"],
           f"{len(answered)} answered 2xx, {figures['answered_stored_once']} stored once, "
           f"{figures['answered_missing']} missing, {figures['doubled']} doubled; of "
           f"{len(failed)} failed: {figures['failed_absent']} absent, "
           f"{figures['failed_stored_once']} stored once")
    return figures


def alerts(journal, facts: dict, gateway, checks: list) -> dict:
    """Every alert created is issued once, fans out one delivery per recipient and channel, all
    sent; the gateway accepted each SMS once and got every one."""
    by_marker = Counter(headline for _id, headline, _state in facts["alerts"])
    state = {headline: s for _id, headline, s in facts["alerts"]}
    created = [a for a in journal.alerts if ok(a["create"])]
    issued_ids = {i for i, _h, s in facts["alerts"] if s == "issued"}
    channels_of: dict[int, set] = defaultdict(set)  # alert → {(recipient, channel)} expected
    sms_refs = set()
    recipients_per_alert = Counter()
    for alert_id, recipient_id, channels, token in facts["recipients"]:
        recipients_per_alert[alert_id] += 1
        for channel in filter(None, channels.strip("|").split("|")):
            channels_of[alert_id].add((recipient_id, channel))
            if channel == "sms" and alert_id in issued_ids:
                sms_refs.add(f"{token}.sms")
    got: dict[int, Counter] = defaultdict(Counter)
    statuses = Counter()
    for alert_id, recipient_id, channel, status, _sent in facts["deliveries"]:
        got[alert_id][(recipient_id, channel)] += 1
        statuses[status] += 1
    exact = sum(1 for a in issued_ids if set(got[a]) == channels_of[a] and channels_of[a]
                and max(got[a].values()) == 1)
    accepted = [m["ref"] for m in gateway.sms]
    figures = {
        "created": len(created), "create_failed": len(journal.alerts) - len(created),
        "submit_retries": sum(max(0, len(a["submits"]) - 1) for a in created),
        "issued": len(issued_ids), "doubled": sum(1 for n in by_marker.values() if n > 1),
        "recipients_per_alert": sorted(set(recipients_per_alert.values())),
        "deliveries": sum(statuses.values()), "delivery_statuses": dict(statuses),
        "sms_accepted": len(accepted), "sms_accepted_twice": len(accepted) - len(set(accepted)),
        "sms_resends_refused": gateway.duplicates,
    }
    _check(checks, "every alert created was issued exactly once",
           all(state.get(a["marker"]) == "issued" for a in created) and not figures["doubled"],
           f"{len(created)} created, {len(issued_ids)} issued, {figures['doubled']} doubled, "
           f"{figures['submit_retries']} submits sent again")
    _check(checks, "one delivery per recipient and channel, all sent",
           exact == len(issued_ids) and set(statuses) <= {"sent"},
           f"{exact} of {len(issued_ids)} alerts exact; deliveries {dict(statuses)}")
    _check(checks, "the gateway accepted every SMS exactly once",
           set(accepted) == sms_refs and not figures["sms_accepted_twice"],
           f"{len(sms_refs)} SMS deliveries, {len(accepted)} accepted, "
           f"{figures['sms_accepted_twice']} accepted twice, {gateway.duplicates} re-sends refused")
    return figures


def errors(journal, restart: dict, ended: float, final: list, checks: list) -> dict:
    """Answers per kind of request: during the load, around the restart, in the final round."""
    table: dict = {}
    for call in journal.calls:
        row = table.setdefault(call.kind, Counter())
        row["requests"] += 1
        row["no answer" if call.status == 0 else "5xx" if call.status >= 500 else
            "4xx" if call.status >= 400 else "2xx"] += 1
    failures = [c for c in journal.calls if not ok(c.status) and c.started <= ended]
    outside = [c for c in failures if not restart["at"] - OUTAGE_MARGIN <= c.started]
    clients = [c for c in journal.calls if 400 <= c.status < 500]
    _check(checks, "errors only after the restart began, no 4xx", not outside and not clients,
           f"{len(failures)} failed requests, {len(outside)} before the restart, "
           f"{len(clients)} answered 4xx")
    _check(checks, "after recovery every request is answered",
           final and all(ok(c.status) for c in final),
           f"final round: {sum(ok(c.status) for c in final)} of {len(final)} answered 2xx")
    last = max((c.ended for c in failures), default=None)
    return {"by_kind": {k: dict(v) for k, v in table.items()},
            "last_error_after_restart_s": round(last - restart["at"], 2) if last else None}


def recovery(journal, facts: dict, restart: dict) -> dict:
    """Seconds from the start of the restart until the web server answered /healthz 200 for
    good, until a reading was stored again, until the worker sent again."""
    at, up = restart["at"], restart["up"]
    probes = sorted((c for c in journal.calls if c.kind == "healthz"), key=lambda c: c.started)
    failed = [c for c in probes if not ok(c.status) and c.started >= at - OUTAGE_MARGIN]
    since = failed[-1].ended if failed else at
    web = next((c.ended for c in probes if ok(c.status) and c.started >= since), None)
    samples = [(t, n) for t, n in journal.observations if t >= up]
    stored = next((t for t, n in samples if n > samples[0][1]), None) if samples else None
    sent = [s.timestamp() for *_rest, s in facts["deliveries"]
            if s is not None and s.timestamp() >= up]
    # The worker has something to send only once an alert is issued: when was the first after?
    issued = [c.ended for c in journal.calls if c.kind == "alert submit" and ok(c.status)
              and c.ended >= up]
    return {"pg_ctl_restart_s": round(restart["seconds"], 2),
            "first_alert_issued_after_s": round(min(issued) - at, 2) if issued else None,
            "web_s": round(web - at, 2) if web else None,
            "web_failed_probes": len(failed),
            "ingestion_s": round(stored - at, 2) if stored else None,
            "worker_s": round(min(sent) - at, 2) if sent else None}


def processes(alive: dict, codes: dict, outputs: dict, checks: list) -> dict:
    """Every process lived through the restart and stopped cleanly when asked."""
    _check(checks, "no process died; nobody restarted one", all(alive.values()),
           ", ".join(f"{k} {'alive' if v else 'DEAD'}" for k, v in alive.items()))
    _check(checks, "every process stopped cleanly (exit 0)", all(c == 0 for c in codes.values()),
           ", ".join(f"{k} {c}" for k, c in codes.items()))
    return {"alive_after_load": alive, "exit_codes": codes,
            "ingester_database_errors": outputs["ingester"].count("database error"),
            "worker_database_errors": outputs["worker"].count("database unavailable")}


def report(journal, facts, gateway, restart, began, ended, alive, codes, final, unacked,
           settled, outputs) -> dict:
    """All figures and checks of one run."""
    checks: list = []
    result = {
        "seconds": round(ended - began, 1), "restart_at_s": round(restart["at"] - began, 1),
        "restart_mode": restart["mode"],
        "readings": readings(journal, facts, unacked, checks),
        "writes": writes(journal, facts, checks),
        "alerts": alerts(journal, facts, gateway, checks),
        "errors": errors(journal, restart, ended, final, checks),
        "recovery": recovery(journal, facts, restart),
        "processes": processes(alive, codes, outputs, checks),
        "settle": settled,
    }
    _check(checks, "the system settled", settled["settled"],
           f"in {settled['seconds']} s" + ("" if settled["settled"] else f": {settled['left']}"))
    result["checks"] = checks
    result["passed"] = all(c["passed"] for c in checks)
    result["finished"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return result


def table(result: dict) -> str:
    """The checks and the main figures, for the terminal."""
    r = result
    lines = [f"PostgreSQL restarted (-m {r['restart_mode']}) at {r['restart_at_s']} s of "
             f"{r['seconds']} s",
             f"{'check':<58} result"]
    lines += [f"{c['check']:<58} {'ok' if c['passed'] else 'FAILED'}  {c['detail']}"
              for c in r["checks"]]
    rec = r["recovery"]
    lines.append(f"recovery from the restart: pg_ctl {rec['pg_ctl_restart_s']} s; web "
                 f"{rec['web_s']} s; ingestion {rec['ingestion_s']} s; worker {rec['worker_s']} s")
    lines.append(f"{'requests':<16} {'sent':>6} {'2xx':>6} {'4xx':>5} {'5xx':>5} {'none':>5}")
    for kind, row in r["errors"]["by_kind"].items():
        lines.append(f"{kind:<16} {row.get('requests', 0):>6} {row.get('2xx', 0):>6} "
                     f"{row.get('4xx', 0):>5} {row.get('5xx', 0):>5} {row.get('no answer', 0):>5}")
    return "\n".join(lines)
