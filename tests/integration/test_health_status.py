"""Health as tendctl shows it (SPEC §2.4, §6): `status --json` health,
ready, reason and status_text; the table's HEALTH column; the metrics'
health series; the `health` event.  The health tests of their own read
tend's log and the health files; a user reads these.
"""
import os

from harness import check, eq
import harness as h


NOTIFIER = h.NOTIFY_CLIENT + r"""
import time
notify_socket().send(b'READY=1\nSTATUS=serving 3 clients, "quoted"')
time.sleep(1000)
"""


def _wait_services(t, td, predicate, what, timeout=10.0):
    doc = h.wait_status(t, td, lambda d: predicate(h.by_name(d["services"])), what, timeout)
    return h.by_name(doc["services"])


def test_status_json_health_reason_and_status_text(t):
    td = t.tree("""
[tend]
start = parallel

[service:good]
command = sleep 1001
check = true
check-interval = 100ms

[service:bad]
command = sleep 1002
check = false
check-interval = 100ms
check-retries = 2
check-action = none

[service:later]
command = sleep 1003
check = true
check-interval = 1h

[service:plain]
command = sleep 1004

[service:notifier]
command = %s
ready = notify
""" % " ".join(t.py("notifier.py", NOTIFIER)))
    s = _wait_services(t, td, lambda s: s["good"]["health"] == "healthy"
                       and s["bad"]["health"] == "unhealthy"
                       and s["notifier"]["status_text"] is not None,
                       "good healthy, bad unhealthy, notifier's STATUS= seen")
    eq(s["good"]["ready"], True, "a healthy service is ready")
    eq(s["good"]["state"], "running", "good's state")
    eq(s["bad"]["ready"], False, "unhealthy with check-action = none: not ready")
    eq(s["bad"]["state"], "starting", "unhealthy, not ready, still running: state")
    check(isinstance(s["bad"]["pid"], int), "the unhealthy service keeps running (check-action = none)")
    check(isinstance(s["bad"]["reason"], str) and "unhealthy" in s["bad"]["reason"],
          "reason names the verdict: %r" % s["bad"]["reason"])
    check(s["bad"]["reason"].endswith("last output: (exit code 1)"),
          "reason ends with the check's last output: %r" % s["bad"]["reason"])
    eq(s["later"]["health"], "unknown", "a check that has not run yet (check-interval = 1h)")
    eq(s["plain"]["health"], "none", "no check: health none")
    eq(s["plain"]["status_text"], None, "no STATUS= sent: status_text null")
    eq(s["notifier"]["status_text"], 'serving 3 clients, "quoted"', "status_text is the last STATUS=")
    eq(s["notifier"]["ready"], True, "READY=1: ready")

    # The table shows the same, in the HEALTH column.
    r = t.ctl(td, ["status"])
    eq(r.returncode, 0, "status exit status")
    rows = {line.split()[0]: line.split() for line in r.stdout.splitlines()[1:] if line.strip()}
    check("healthy" in rows["good"], "table row of good: %r" % rows["good"])
    check("unhealthy" in rows["bad"], "table row of bad: %r" % rows["bad"])

    # The metrics: one series per health value, 1 on the current one.
    r = t.ctl(td, ["metrics"])
    eq(r.returncode, 0, "metrics exit status")
    for line in ('tend_service_health{service="good",health="healthy"} 1',
                 'tend_service_health{service="bad",health="unhealthy"} 1',
                 'tend_service_health{service="bad",health="healthy"} 0'):
        check(line in r.stdout.splitlines(), "metrics line %r" % line)


def test_health_change_is_an_event_and_a_restart_shows_unknown_again(t):
    t.write("ok", "")
    td = t.tree("""
[service:app]
command = sleep 1001
check = test -e %s
check-interval = 100ms
check-retries = 1
check-action = none
""" % t.path("ok"))
    _wait_services(t, td, lambda s: s["app"]["health"] == "healthy", "app healthy")
    stream = t.events(td, json_form=True)
    os.unlink(t.path("ok"))
    ev = stream.wait_for(lambda e: e.get("event") == "health" and e.get("name") == "app", 5,
                         "a health event for app")
    eq(ev.get("health"), "unhealthy", "the event's health field")
    s = _wait_services(t, td, lambda s: s["app"]["health"] == "unhealthy", "app unhealthy")
    eq(s["app"]["ready"], False, "not ready while unhealthy")
    # A restart (tendctl restart) starts a new life: no verdict yet.
    t.write("ok", "")
    old = s["app"]["pid"]
    r = t.ctl(td, ["restart", "app"])
    eq(r.returncode, 0, "restart exit status (%s)" % r.stderr.strip())
    s = _wait_services(t, td, lambda s: s["app"]["pid"] not in (None, old), "a new pid")
    check(s["app"]["health"] in ("unknown", "healthy"),
          "after a restart the health starts again: %r" % s["app"]["health"])
    _wait_services(t, td, lambda s: s["app"]["health"] == "healthy", "healthy again")
