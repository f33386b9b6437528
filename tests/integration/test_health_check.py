"""Health checks (SPEC §2.3 check*, §2.4 health, §2.5): Docker HEALTHCHECK
semantics (retries, start period, timeout), ready = check, check-action
restart (only the unhealthy service restarts) and none, checks that never
overlap and run as the service would.
"""
import os
import signal
import time

from harness import Fail, check, eq, wait_until, timeout
import harness as h


def _ready(t):
    return os.path.exists(t.path("run", "ready"))


def _health_lines(td, name):
    return [e.msg for e in h.log_events(td, "health", name)]


def test_retries_then_unhealthy_action_none(t):
    # The check passes while the file `ok` exists.
    t.write("ok", "")
    td = t.tree("""
[service:app]
command = sleep 1001
check = test -e %s
check-interval = 100ms
check-retries = 3
check-action = none
""" % t.path("ok"))
    pid = h.one_pid(td, r"^sleep 1001$")
    td.wait_for_log(r" health app: healthy$", 5)
    td.wait_until(lambda: _ready(t), 5, "ready")
    mark = td.mark()
    os.unlink(t.path("ok"))
    td.wait_for_log(r" health app: unhealthy: 3 checks failed in a row", 5, start=mark)
    failed = [e for e in h.log_events(td, "health", "app", start=mark) if "check failed" in e.msg]
    eq([e.msg for e in failed[:3]], ["check failed (1 of 3)", "check failed (2 of 3)",
                                     "check failed (3 of 3)"], "failures before the verdict")
    td.wait_until(lambda: not _ready(t), 2, "ready gone while unhealthy (check-action = none)")
    check(h.alive(pid), "check-action = none keeps it running")
    eq(len(h.started_ns_pids(td, "app")), 1, "starts (not restarted)")
    t.write("ok", "")
    td.wait_for_log(r" health app: healthy$", 5, start=mark)
    td.wait_until(lambda: _ready(t), 2, "ready again once healthy")
    check(h.alive(pid), "same process")


def test_start_period(t):
    td = t.tree("""
[service:app]
command = sleep 1001
check = false
check-interval = 100ms
check-retries = 1
check-start-period = 1s
check-action = none
""")
    h.one_pid(td, r"^sleep 1001$")
    start = h.log_events(td, "start", "app")
    td.wait_for_log(r" health app: unhealthy", 5)
    started = h.wait_log_events(td, "start", "app", 1)[0].ts
    verdict = [e for e in h.log_events(td, "health", "app") if "unhealthy" in e.msg][0].ts
    check(verdict - started >= 0.95, "unhealthy %.3fs after start (start period 1s)" % (verdict - started))
    check(verdict - started < 5.0, "unhealthy after the start period, not never (%.3fs)" % (verdict - started))


def test_timeout_kills_the_check_group(t):
    # The check leaves a sleep behind in its process group, then hangs.
    td = t.tree("""
[service:app]
command = sleep 1001
check = sh -c 'sleep 1077 & echo started check; exec sleep 1078'
check-interval = 100ms
check-timeout = 300ms
check-retries = 1
check-action = none
""")
    h.one_pid(td, r"^sleep 1001$")
    td.wait_for_log(r" check app: check still running after 300 ms: SIGKILL", 5)
    td.wait_for_log(r" health app: unhealthy: 1 checks failed in a row; last output: started check", 5)
    # nothing of a timed-out check survives (a check never overlaps either:
    # at most one of each sleep at any time)
    for _ in range(10):
        check(len(h.live_pids_by_cmdline(td, r"^sleep 1078$")) <= 1, "one check at a time")
        time.sleep(0.05)
    td.wait_until(lambda: len(h.live_pids_by_cmdline(td, r"^sleep 107[78]$")) <= 2, 2,
                  "no piling up of checks")


def test_checks_never_overlap(t):
    log = t.path("checks.log")
    chk = t.script("check.sh", "#!/bin/sh\necho start >> %s\nsleep 0.25\necho end >> %s\n" % (log, log))
    td = t.tree("""
[service:app]
command = sleep 1001
check = %s
check-interval = 10ms
check-timeout = 5s
""" % chk)
    td.wait_until(lambda: (t.read("checks.log") or "").count("end") >= 4, 10, "four checks")
    kinds = t.read("checks.log").split()
    for i, k in enumerate(kinds[:8]):
        eq(k, "start" if i % 2 == 0 else "end", "check log line %d (no overlap)" % i)


def test_ready_check(t):
    td = t.tree("""
[service:db]
command = sleep 1001
ready = check
check = test -e %s
check-interval = 100ms
check-retries = 100

[service:after]
command = sleep 1002
""" % t.path("up"))
    h.one_pid(td, r"^sleep 1001$")
    time.sleep(0.4)
    check(not _ready(t), "not ready before the check passed")
    check(not h.live_pids_by_cmdline(td, r"^sleep 1002$"), "the next service waits (sequential)")
    t.write("up", "")
    h.one_pid(td, r"^sleep 1002$", 5)
    td.wait_for_log(r" ready db: ready after", 5)
    td.wait_until(lambda: _ready(t), 5, "ready")


def test_unhealthy_restarts_only_that_service(t):
    td = t.tree("""
[tend]
start = parallel

[service:sick]
command = sleep 1001
check = test -e %s
check-interval = 100ms
check-retries = 2
backoff-min = 0

[service:sibling]
command = sleep 1002
check = true
check-interval = 100ms

[service:other]
command = sleep 1003
""" % t.path("ok"))
    t.write("ok", "")
    sick = h.one_pid(td, r"^sleep 1001$")
    sibling = h.one_pid(td, r"^sleep 1002$")
    other = h.one_pid(td, r"^sleep 1003$")
    td.wait_for_log(r" health sick: healthy", 5)
    mark = td.mark()
    os.unlink(t.path("ok"))
    td.wait_for_log(r" health sick: unhealthy", 5, start=mark)
    td.wait_for_log(r" restart sick: restart 1 in \d+ ms \(unhealthy: 2 health checks failed", 5,
                    start=mark)
    new = h.one_pid(td, r"^sleep 1001$", 5, exclude=[sick])
    check(new != sick, "the unhealthy service was restarted")
    eq(h.live_pids_by_cmdline(td, r"^sleep 1002$"), [sibling], "the sibling keeps its pid")
    eq(h.live_pids_by_cmdline(td, r"^sleep 1003$"), [other], "the other keeps its pid")


def test_check_runs_as_the_service(t):
    out = t.path("who")
    os.chmod(t.tmp, 0o755)
    os.makedirs(t.path("wd"))
    os.chmod(t.path("wd"), 0o777)
    td = t.tree("""
[service:app]
command = sleep 1001
user = nobody
directory = %s
env = FOO=bar
limit-nofile = 77
check = sh -c 'echo "$(id -u) $(pwd) $FOO $(ulimit -n) $TEND_SERVICE $$ $(ps -o sid= -p $$)" > %s/who'
check-interval = 100ms
""" % (t.path("wd"), t.path("wd")))
    text = td.wait_until(lambda: t.read("wd/who"), 5, "the check's report")
    uid, cwd, foo, nofile, svc, pid, sid = text.split()
    eq(uid, "65534", "the check's uid")
    eq(cwd, t.path("wd"), "the check's directory")
    eq(foo, "bar", "the check's environment")
    eq(nofile, "77", "the check's limits")
    eq(svc, "app", "TEND_SERVICE")
    eq(pid, sid, "the check leads its own session")


def _voluntary(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("voluntary_ctxt_switches:"):
                return int(line.split()[1])
    raise Fail("no voluntary_ctxt_switches for %d" % pid)


def test_no_wakeups_between_checks(t):
    td = t.tree("""
[tend]
heartbeat = 0

[service:app]
command = sleep 1001
check = true
check-interval = 1s
""")
    td.wait_for_log(r" health app: healthy", 5)
    time.sleep(0.2)
    before = _voluntary(td.pid)
    time.sleep(3.0)
    after = _voluntary(td.pid)
    # about 3 checks, each: its deadline, its end (SIGCHLD and the output's
    # end of file), and the wait in vfork until it has exec'd
    t.note("voluntary context switches in 3 s with one check a second: %d" % (after - before))
    check(after - before <= 3 * 4 + 2, "no wake-ups between checks (%d in 3 s)" % (after - before))
