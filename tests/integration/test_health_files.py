"""The Kubernetes health files (SPEC §3, §4) and `tendctl probe`: `live` and
`ready` in health-dir, stale files, heartbeat, the shutdown order (ready
first, then drain, then the stop), on-root-failure = stay, an unwritable
health dir, aggregate readiness (quorums, ready-required, oneshots).

Every test runs tend as PID 1 with health-dir in its temp dir (`run/`).
"""
import os
import signal
import time

from harness import Fail, check, eq, wait_until, timeout
import harness as h


def _exists(t, name):
    return os.path.exists(t.path("run", name))


def _wait_present(t, td, name, timeout=5.0):
    td.wait_until(lambda: _exists(t, name), timeout, "run/%s to appear" % name)


def _wait_absent(t, td, name, timeout=5.0):
    td.wait_until(lambda: not _exists(t, name), timeout, "run/%s to go" % name)


def _probe(t, *args, env=None):
    e = dict(os.environ)
    e.pop("TEND_HEALTH_DIR", None)
    e.update(env or {})
    return t.run([t.binary, "ctl", "probe"] + list(args), env=e).returncode


# Writes READY (its pid) once it runs; on SIGTERM records whether `ready`
# existed at that moment and the time, then exits.
TERM_WITNESS = r"""
import os, signal, sys, time
run, out = sys.argv[1], sys.argv[2]
def on_term(n, f):
    with open(out, "w") as o:
        o.write("%s %.6f\n" % ("present" if os.path.exists(os.path.join(run, "ready")) else "absent",
                               time.time()))
    sys.exit(0)
signal.signal(signal.SIGTERM, on_term)
open(out + ".pid", "w").write(str(os.getpid()))
while True:
    time.sleep(1)
"""


def test_files_appear_and_probe_reads_them(t):
    td = t.tree("""
[service:app]
command = sleep 1001
""")
    _wait_present(t, td, "ready")
    check(_exists(t, "live"), "live exists while tend runs")
    run = t.path("run")
    eq(_probe(t, "ready", "--dir", run), 0, "probe ready --dir DIR")
    eq(_probe(t, "--dir", run, "live"), 0, "probe --dir DIR live")
    eq(_probe(t, "live", "--max-age", "60s", env={"TEND_HEALTH_DIR": run}), 0,
       "probe live --max-age with $TEND_HEALTH_DIR")
    eq(_probe(t, "ready", "--dir", t.path("elsewhere")), 1, "probe ready where there is no file")
    td.kill(signal.SIGTERM)
    eq(td.wait(10), 0, "exit status after SIGTERM")
    check(not _exists(t, "ready") and not _exists(t, "live"), "both files removed at exit")
    eq(_probe(t, "live", "--dir", run), 1, "probe live after exit")


def test_probe_usage(t):
    os.makedirs(t.path("d"))
    open(t.path("d", "ready"), "w").close()
    eq(_probe(t, "ready", "--dir", t.path("d")), 0, "ready present")
    eq(_probe(t, "live", "--dir", t.path("d")), 1, "live absent")
    eq(_probe(t, "--dir=" + t.path("d"), "ready"), 0, "--dir=DIR form")
    eq(_probe(t), 2, "no kind")
    eq(_probe(t, "alive"), 2, "unknown kind")
    eq(_probe(t, "live", "--max-age"), 2, "--max-age without a value")
    eq(_probe(t, "live", "--max-age", "soon"), 2, "bad duration")
    eq(_probe(t, "ready", "--max-age", "1s"), 2, "--max-age with ready")
    open(t.path("d", "live"), "w").close()
    old = time.time() - 120
    os.utime(t.path("d", "live"), (old, old))
    eq(_probe(t, "live", "--dir", t.path("d")), 0, "live without --max-age: any age")
    eq(_probe(t, "live", "--dir", t.path("d"), "--max-age", "60s"), 1, "live older than --max-age")
    eq(_probe(t, "live", "--dir", t.path("d"), "--max-age", "5m"), 0, "live younger than --max-age")
    eq(t.run([t.binary, "ctl", "probe", "ready"],
             env=dict(os.environ, TEND_HEALTH_DIR=t.path("d"))).returncode, 0,
       "$TEND_HEALTH_DIR")


def test_stale_files_removed_at_start(t):
    os.makedirs(t.path("run"))
    for name in ("ready", "live"):
        with open(t.path("run", name), "w") as f:
            f.write("stale\n")
        os.utime(t.path("run", name), (1000, 1000))
    # never ready: notify without READY=1
    td = t.tree("""
[service:app]
command = sleep 1001
ready = notify
start-timeout = 0
""")
    td.wait_until(lambda: _exists(t, "live") and os.stat(t.path("run", "live")).st_mtime > 1000,
                  5, "a fresh live file")
    h.one_pid(td, r"^sleep 1001$")
    td.wait_for_log(r" start app: pid", 5)
    check(not _exists(t, "ready"), "a stale ready file must not survive the start")


def test_heartbeat_refreshes_live(t):
    td = t.tree("""
[tend]
heartbeat = 200ms

[service:app]
command = sleep 1001
""")
    _wait_present(t, td, "live")
    first = os.stat(t.path("run", "live")).st_mtime
    td.wait_until(lambda: os.stat(t.path("run", "live")).st_mtime > first, 2, "live's mtime to move")
    time.sleep(0.5)  # a window longer than the heartbeat: still fresh
    eq(_probe(t, "live", "--dir", t.path("run"), "--max-age", "400ms"), 0, "probe live --max-age 400ms")


def test_no_heartbeat_live_ages(t):
    td = t.tree("""
[tend]
heartbeat = 0

[service:app]
command = sleep 1001
""")
    _wait_present(t, td, "live")
    mtime = os.stat(t.path("run", "live")).st_mtime
    td.wait_until(lambda: _probe(t, "live", "--dir", t.path("run"), "--max-age", "300ms") == 1,
                  3, "probe live --max-age 300ms to fail with heartbeat = 0")
    eq(os.stat(t.path("run", "live")).st_mtime, mtime, "live's mtime with heartbeat = 0")
    eq(_probe(t, "live", "--dir", t.path("run")), 0, "live still there")


@timeout(40)
def test_sigterm_ready_goes_before_any_stop_signal(t):
    w = t.py("witness.py", TERM_WITNESS)
    td = t.tree("""
[tend]
shutdown-drain = 700ms

[service:a]
command = %s %s %s
[service:b]
command = %s %s %s
""" % (" ".join(w), t.path("run"), t.path("a.out"), " ".join(w), t.path("run"), t.path("b.out")))
    _wait_present(t, td, "ready")
    t.wait_file("a.out.pid")
    t.wait_file("b.out.pid")
    td.kill(signal.SIGTERM)
    wait_until(lambda: not _exists(t, "ready"), 5, "ready to go", interval=0.002)
    gone = time.time()
    check(_exists(t, "live"), "live stays while services stop")
    eq(td.wait(15), 0, "exit status")
    for name in ("a.out", "b.out"):
        state, when = t.read(name).split()
        eq(state, "absent", "ready when %s got SIGTERM" % name[0])
        check(float(when) - gone >= 0.6,
              "%s got SIGTERM %.3fs after ready went (shutdown-drain = 700ms)"
              % (name[0], float(when) - gone))
    check(not _exists(t, "live"), "live gone at exit")


def test_required_service_down_drops_ready(t):
    td = t.tree("""
[service:app]
command = sleep 1001
backoff-min = 1s
backoff-jitter = 0

[service:extra]
command = sleep 1002
ready-required = no
backoff-min = 1s
backoff-jitter = 0
""")
    _wait_present(t, td, "ready")
    extra = h.one_pid(td, r"^sleep 1002$")
    os.kill(extra, signal.SIGKILL)
    td.wait_for_log(r" exit extra: ", 5)
    check(_exists(t, "ready"), "ready stays when a ready-required = no service is down")
    app = h.one_pid(td, r"^sleep 1001$")
    os.kill(app, signal.SIGKILL)
    _wait_absent(t, td, "ready", 2)
    _wait_present(t, td, "ready", 5)  # back once restarted
    check(_exists(t, "live"), "live all along")


def test_finished_oneshot_is_ready_exited_simple_is_not(t):
    td = t.tree("""
[service:setup]
type = oneshot
command = true

[service:app]
command = sleep 1001
""")
    _wait_present(t, td, "ready")
    td.kill(signal.SIGTERM)
    td.wait(10)
    td = t.tree("""
[tend]
health-dir = %s

[service:setup]
type = oneshot
command = true

[service:gone]
command = true
restart = never

[service:app]
command = sleep 1001
""" % t.path("run2"))
    h.one_pid(td, r"^sleep 1001$")
    td.wait_for_log(r" exit gone: ", 5)
    td.wait_until(lambda: os.path.exists(t.path("run2", "live")), 5, "live")
    time.sleep(0.3)
    check(not os.path.exists(t.path("run2", "ready")), "an exited simple service is not ready")


def test_quorums(t):
    # Never ready: notify without READY=1; ready = started: ready at once.
    td = t.tree("""
[group:count]
ready-quorum = 2
start = parallel
[service:count/a]
command = sleep 1001
[service:count/b]
command = sleep 1001
[service:count/never]
command = sleep 1001
ready = notify
start-timeout = 0

[group:percent]
ready-quorum = 60%%
start = parallel
[group:percent/inner]
ready-quorum = all
start = parallel
[service:percent/inner/a]
command = sleep 1002
[service:percent/a]
command = sleep 1002
[service:percent/never]
command = sleep 1002
ready = notify
start-timeout = 0
""".replace("%%", "%"))
    td.wait_for_log(r" ready count: group ready \(2 of 3", 5)
    td.wait_for_log(r" ready percent: group ready \(2 of 3", 5)
    _wait_present(t, td, "ready")
    # the nested group is a required child: take it down and the 60% fails
    inner = [e for e in h.log_events(td, "start", "percent/inner/a")]
    check(inner, "percent/inner/a started")
    pid = td.host_pid(int(inner[0].msg.split()[1]))
    mark = td.mark()
    os.kill(pid, signal.SIGKILL)
    td.wait_for_log(r" unready percent/inner: group not ready", 5, start=mark)
    td.wait_for_log(r" unready percent: group not ready \(1 of 3", 5, start=mark)
    _wait_absent(t, td, "ready", 2)


def test_quorum_all_default(t):
    td = t.tree("""
[tend]
start = parallel
[service:a]
command = sleep 1001
[service:never]
command = sleep 1002
ready = notify
start-timeout = 0
""")
    h.one_pid(td, r"^sleep 1002$")
    td.wait_for_log(r" start never: ", 5)
    time.sleep(0.3)
    check(not _exists(t, "ready"), "ready-quorum = all: one child not ready, root not ready")


def test_on_root_failure_stay_removes_live(t):
    td = t.tree("""
[tend]
on-root-failure = stay
max-restarts = 0

[service:app]
command = sh -c 'sleep 0.3; exit 3'
""")
    _wait_present(t, td, "ready")
    td.wait_for_log(r"staying up for inspection", 5)
    _wait_absent(t, td, "live", 2)
    check(not _exists(t, "ready"), "no ready after the root failed")
    check(td.running(), "tend stays up")


def test_unwritable_health_dir_is_retried(t):
    # The health dir's parent is a regular file: nothing can be written.
    t.write("blocker", "not a directory\n")
    run = t.path("blocker", "run")
    td = t.tree("""
[tend]
health-dir = %s

[service:app]
command = sleep 1001
backoff-min = 0
""" % run)
    td.wait_for_log(r"health-file: cannot", 5)
    first = h.one_pid(td, r"^sleep 1001$")
    td.wait_for_log(r" ready \(root\): group ready", 5)
    # tend keeps supervising: a crash is still restarted
    os.kill(first, signal.SIGKILL)
    second = h.one_pid(td, r"^sleep 1001$", exclude=[first])
    check(second != first, "restarted while the health dir is unwritable")
    # once the directory can be made, the next change writes both files
    os.unlink(t.path("blocker"))
    os.kill(second, signal.SIGKILL)
    td.wait_until(lambda: os.path.exists(os.path.join(run, "ready")) and
                  os.path.exists(os.path.join(run, "live")), 5, "files written at the next change")
    check(td.running(), "tend still running")


def test_heartbeat_is_one_wakeup_per_beat(t):
    td = t.tree("""
[tend]
heartbeat = 100ms

[service:app]
command = sleep 1001
""")
    _wait_present(t, td, "ready")
    time.sleep(0.3)
    before = _voluntary(td.pid)
    time.sleep(2.0)
    after = _voluntary(td.pid)
    t.note("voluntary context switches in 2 s with heartbeat = 100ms: %d" % (after - before))
    check(after - before <= 20 + 4, "at most one wake-up per heartbeat (%d in 2 s)" % (after - before))
    check(after - before >= 10, "the heartbeat wakes tend (%d in 2 s)" % (after - before))


def _voluntary(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("voluntary_ctxt_switches:"):
                return int(line.split()[1])
    raise Fail("no voluntary_ctxt_switches for %d" % pid)
