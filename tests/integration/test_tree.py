"""Tree mode (SPEC §2): config checking, start order, restart strategies,
intensity and escalation, backoff, restart policies, instances.

tend runs as PID 1 of a fresh PID namespace (`tend -c FILE`) unless a test
needs to see what is left after tend exits (mode "sub").  Services are told
apart by their argv (`sleep 1001`, `sleep 1002`, ...) or by files they write;
tend's log lines are used for ordering and reasons.
"""
import os
import signal
import time

from harness import Fail, check, eq, wait_until, timeout
import harness as h


def _sleep_pids(td, names):
    """{name: host pid} of the `sleep N` services given as {name: N}, once
    the whole tree is up: the processes show in /proc before the log reader
    has read their `start` lines, and a mark taken in between would count
    those first starts as restarts."""
    pids = {n: h.one_pid(td, r"^sleep %d$" % v, 5) for n, v in names.items()}
    td.wait_for_log(r" ready \(root\): group ready", 5)
    return pids


def _new_pid(td, number, old, timeout=5.0):
    """Host pid of the `sleep NUMBER` process that replaced pid `old`."""
    return h.one_pid(td, r"^sleep %d$" % number, timeout, exclude=[old])


def _lines(t, name):
    return (t.read(name) or "").split()


# ------------------------------------------------------------- --check

VALID = """
[tend]
socket = none
health-dir = {run}

[service:setup]
type = oneshot
command = sh -c 'echo started > {marker}'

[group:web]
strategy = one-for-all
max-restarts = 3
restart-period = 10s

[service:web/app]
command = sleep 1001
env = A=b
stop-timeout = 500ms
"""

# every line of INVALID is numbered by where it is in the text
INVALID = """[tend]
socket = none
health-dir = {run}

[service:setup]
type = oneshot
command = sh -c 'echo started > {marker}'

[service:colourful]
command = sleep 1001
colour = blue

[service:nocommand]
type = simple

[service:ghost/child]
command = sleep 1002
"""


def _line_of(text, needle):
    for i, line in enumerate(text.splitlines(), 1):
        if line.strip() == needle:
            return i
    raise Fail("test bug: %r not in the config" % needle)


def _invalid(t):
    text = INVALID.format(run=t.path("run"), marker=t.path("marker"))
    path = t.write_ini(text, name="bad.ini", isolate=False)
    want = {"unknown key": _line_of(text, "colour = blue"),
            "service without command": _line_of(text, "[service:nocommand]"),
            "undeclared group": _line_of(text, "[service:ghost/child]")}
    return path, want


def _check_problems(td, path, want):
    for what, line in want.items():
        prefix = "%s:%d:" % (path, line)
        check(any(l.startswith(prefix) for l in td.log),
              "no `%s message` line for the %s (stderr: %s)" % (prefix, what, td.log[-6:]))


def test_check_valid_config_exits_0_and_starts_nothing(t):
    for flag in ("--check", "-t"):
        path = t.write_ini(VALID.format(run=t.path("run"), marker=t.path("marker")),
                           isolate=False)
        td = t.run_tend([flag, "-c", path], timeout=10)
        eq(td.returncode, 0, "exit status of `tend %s -c FILE` for a valid tree" % flag)
        eq(t.read("marker"), None, "marker of a service after `tend %s`" % flag)
        eq(h.log_events(td, "start", "setup"), [], "`start setup` lines after %s" % flag)


def test_check_invalid_config_exits_2_with_file_line_messages(t):
    path, want = _invalid(t)
    td = t.run_tend(["--check", "-c", path], timeout=10)
    eq(td.returncode, 2, "exit status of `tend --check` for an invalid tree")
    _check_problems(td, path, want)
    eq(t.read("marker"), None, "marker of a service after `tend --check` (started?)")


def test_invalid_config_exits_2_before_starting_anything(t):
    path, want = _invalid(t)
    td = t.run_tend(["-c", path], timeout=10)
    eq(td.returncode, 2, "exit status of `tend -c INVALID`")
    _check_problems(td, path, want)
    eq(t.read("marker"), None, "marker of the valid service of an invalid tree")
    eq(h.log_events(td, "start", "setup"), [], "`start setup` lines for an invalid tree")


def test_tend_config_env_names_the_file(t):
    good = t.write_ini(VALID.format(run=t.path("run"), marker=t.path("marker")),
                       isolate=False)
    td = t.tend([], env={"TEND_CONFIG": good})
    t.wait_file("marker", 5, "the oneshot of the tree named by TEND_CONFIG")
    h.one_pid(td, r"^sleep 1001$", 5)
    td.kill(signal.SIGTERM)
    eq(td.wait(5), 0, "exit status after SIGTERM (tree from TEND_CONFIG)")

    # TEND_CONFIG also holds with `-- CMD` (the tree, with CMD as main)
    os.unlink(t.path("marker"))
    td = t.run_tend(["--", "sh", "-c", "[ -s %s ] && exit 5; exit 6" % t.path("marker")],
                    env={"TEND_CONFIG": good}, timeout=10)
    eq(td.returncode, 5, "exit status of `TEND_CONFIG=FILE tend -- CMD` "
       "(6: the tree's oneshot had not run before CMD)")

    # and with --check
    bad, want = _invalid(t)
    td = t.run_tend(["--check"], env={"TEND_CONFIG": bad}, timeout=10)
    eq(td.returncode, 2, "exit status of `TEND_CONFIG=INVALID tend --check`")
    _check_problems(td, bad, want)


def test_main_command_conflict_is_reported_with_every_other_problem(t):
    # `-c FILE -- CMD` with a root child `main` and a `main = yes` service:
    # config errors, reported (with the file's other problems) by --check and
    # by a real start, which then starts nothing
    text = """[tend]
socket = none
health-dir = {run}

[service:setup]
type = oneshot
command = sh -c 'echo started > {marker}'

[service:main]
command = sleep 1001

[group:main2]

[service:main2/app]
command = sleep 1002
main = yes

[service:colourful]
command = sleep 1003
colour = blue
""".format(run=t.path("run"), marker=t.path("marker"))
    path = t.write_ini(text, name="main.ini", isolate=False)
    want = {"root child named main": _line_of(text, "[service:main]"),
            "main = yes service": _line_of(text, "[service:main2/app]"),
            "unknown key": _line_of(text, "colour = blue")}
    for args in (["--check", "-c", path, "--", "true"], ["-c", path, "--", "true"]):
        td = t.run_tend(args, timeout=10)
        eq(td.returncode, 2, "exit status of `tend %s`" % " ".join(args))
        _check_problems(td, path, want)
        check(any("conflicts with the command given after --" in l for l in td.log),
              "the conflict is not named (stderr: %s)" % td.log[-6:])
        eq(t.read("marker"), None, "marker of a service after `tend %s`" % " ".join(args))
    # without `-- CMD` the same names are fine (only the unknown key is wrong)
    td = t.run_tend(["--check", "-c", path], timeout=10)
    eq(td.returncode, 2, "exit status of `tend --check` for the file alone")
    eq([l for l in td.log if l.startswith(path + ":")],
       ["%s:%d: unknown key 'colour' in [service:colourful]" % (path, want["unknown key"])],
       "problems of the file without `-- CMD`")


# ---------------------------------------------------------- start order

def test_sequential_start_waits_for_oneshot_to_finish(t):
    setup = t.script("setup.sh", "#!/bin/sh\ndate +%%s.%%N > %s\nsleep 0.3\necho done > %s\n"
                     % (t.path("setup-began"), t.path("setup-done")))
    nxt = t.script("next.sh", "#!/bin/sh\ndate +%%s.%%N > %s\n"
                   "if [ -e %s ]; then echo yes; else echo no; fi > %s\nexec sleep 1001\n"
                   % (t.path("next-began"), t.path("setup-done"), t.path("seen")))
    td = t.tree("""
[service:setup]
type = oneshot
command = %s

[service:next]
command = %s
""" % (setup, nxt))
    seen = t.wait_file("seen", 5, "the next service to start").strip()
    eq(seen, "yes", "setup's marker existed when the next service started")
    gap = float(t.read("next-began")) - float(t.read("setup-began"))
    check(gap >= 0.3, "the next service started %.3fs after the 0.3 s oneshot began" % gap)
    td.kill(signal.SIGTERM)
    eq(td.wait(5), 0, "exit status after SIGTERM")


def test_failing_oneshot_is_retried_and_blocks_later_services(t):
    attempt = t.script("attempt.sh", "#!/bin/sh\n"
                       "n=$(cat %s 2>/dev/null || echo 0)\nn=$((n + 1))\necho $n > %s\n"
                       "[ $n -ge 3 ]\n" % (t.path("count"), t.path("count")))
    td = t.tree("""
[service:setup]
type = oneshot
command = %s
backoff-min = 50ms
backoff-jitter = 0

[service:next]
command = sh -c 'cat %s > %s; exec sleep 1001'
""" % (attempt, t.path("count"), t.path("seen")))
    seen = t.wait_file("seen", 5, "the service after the oneshot to start").strip()
    eq(seen, "3", "attempts of the oneshot (fails twice) when the next service started")
    nxt = h.one_pid(td, r"^sleep 1001$", 5)
    time.sleep(0.5)                         # a 4th run would come within ~0.4 s
    eq(t.read("count").strip(), "3", "runs of the oneshot once it succeeded")
    eq(len(h.started_ns_pids(td, "next")), 1, "starts of the next service")
    check(h.alive(nxt), "the next service died")
    td.kill(signal.SIGTERM)
    eq(td.wait(5), 0, "exit status after SIGTERM")


def test_parallel_group_starts_children_without_waiting(t):
    td = t.tree("""
[group:p]
start = parallel

[service:p/slow]
type = oneshot
command = sh -c 'sleep 1; echo done > %s'

[service:p/fast]
command = sh -c '[ -e %s ] && echo after > %s || echo before > %s; exec sleep 1001'
""" % (t.path("slow-done"), t.path("slow-done"), t.path("fast"), t.path("fast")))
    eq(t.wait_file("fast", 3, "p/fast to start").strip(), "before",
       "p/fast started before the 1 s oneshot p/slow had finished (start = parallel)")
    td.kill(signal.SIGTERM)
    eq(td.wait(5), 0, "exit status after SIGTERM")


def _many_services(n):
    return "[tend]\nstart = parallel\n\n" + "".join(
        "[service:s%03d]\ncommand = sleep 1000\n\n" % i for i in range(n))


@timeout(60)
def test_parallel_start_of_more_services_than_the_fd_limit(t):
    # Each spawn holds a pipe until its exec is confirmed; tend keeps at most
    # 64 in flight, so 300 services at once start under RLIMIT_NOFILE = 128.
    n = 300
    td = t.tree(_many_services(n), prefix=["prlimit", "--nofile=128", "--"])
    wait_until(lambda: len(h.live_pids_by_cmdline(td, r"^sleep 1000$")) == n, 30,
               "%d services running" % n)
    h.wait_log_events(td, "ready", "(root)", 1, 10)
    eq([l for l in td.log if " error " in l], [], "error lines in tend's log")
    eq(len([e for e in h.log_events(td, "start") if e.name]), n,
       "`start` lines of services (one per service)")
    td.kill(signal.SIGTERM)
    eq(td.wait(20), 0, "exit status after SIGTERM")


@timeout(60)
def test_stop_while_services_wait_for_a_spawn_slot(t):
    # SIGTERM as soon as the first service started: most of the 300 are
    # still queued for a spawn slot; they are stopped without ever running.
    n = 300
    td = t.tree(_many_services(n))
    h.wait_log_events(td, "start", None, 1, 10)
    td.kill(signal.SIGTERM)
    eq(td.wait(20), 0, "exit status after SIGTERM")
    started = len([e for e in h.log_events(td, "start") if e.name])
    exits = len([e for e in h.log_events(td, "exit") if e.name])
    t.note("started before the stop: %d of %d" % (started, n))
    check(started < n, "every service had started before SIGTERM was handled: "
          "nothing was queued, the test shows nothing")
    eq(exits, started, "`exit` lines: one for each service that started")


# ----------------------------------------------------------- strategies

STRATEGY_TREE = """
[group:g]
strategy = %s

[service:g/z]
command = sleep 1000

[service:g/a]
command = sleep 1001
backoff-min = 50ms
backoff-jitter = 0

[service:g/b]
command = sleep 1002
backoff-min = 50ms
backoff-jitter = 0

[service:g/c]
command = sleep 1003
"""
STRATEGY_SLEEPS = {"z": 1000, "a": 1001, "b": 1002, "c": 1003}


def _events_after(td, mark, event, prefix="g/"):
    return [e for e in h.log_events(td, event, start=mark)
            if e.name and e.name.startswith(prefix)]


def test_one_for_one_restarts_only_the_failed_child(t):
    td = t.tree(STRATEGY_TREE % "one-for-one")
    pids = _sleep_pids(td, STRATEGY_SLEEPS)
    mark = td.mark()
    os.kill(pids["b"], signal.SIGKILL)
    new_b = _new_pid(td, 1002, pids["b"])
    check(new_b != pids["b"], "g/b was not restarted")
    time.sleep(0.2)
    for n in ("z", "a", "c"):
        eq(h.one_pid(td, r"^sleep %d$" % STRATEGY_SLEEPS[n], 2), pids[n],
           "pid of sibling g/%s after g/b crashed (one-for-one)" % n)
    eq([e.name for e in _events_after(td, mark, "stop")], [],
       "services stopped when g/b crashed (one-for-one)")
    eq([e.name for e in _events_after(td, mark, "start")], ["g/b"],
       "services started after g/b crashed")
    td.kill(signal.SIGTERM)
    eq(td.wait(5), 0, "exit status after SIGTERM")


def test_one_for_all_restarts_all_in_order(t):
    td = t.tree(STRATEGY_TREE % "one-for-all")
    pids = _sleep_pids(td, STRATEGY_SLEEPS)
    mark = td.mark()
    os.kill(pids["b"], signal.SIGKILL)
    new = {n: _new_pid(td, v, pids[n]) for n, v in STRATEGY_SLEEPS.items()}
    for n in STRATEGY_SLEEPS:
        check(not h.alive(pids[n]), "old g/%s (pid %d) still runs after the "
              "one-for-all restart" % (n, pids[n]))
        check(new[n] != pids[n], "g/%s kept its pid under one-for-all" % n)
    stops = _events_after(td, mark, "stop")
    starts = _events_after(td, mark, "start")
    eq([e.name for e in stops], ["g/c", "g/a", "g/z"],
       "stop order after g/b crashed (reverse start order, g/b already dead)")
    eq([e.name for e in starts], ["g/z", "g/a", "g/b", "g/c"],
       "start order after the one-for-all stop")
    check(stops[-1].index < starts[0].index,
          "a child was started before all were stopped: %s" % h.log_events(td, start=mark))
    td.kill(signal.SIGTERM)
    eq(td.wait(5), 0, "exit status after SIGTERM")


def test_rest_for_one_restarts_the_failed_and_later_children(t):
    td = t.tree(STRATEGY_TREE % "rest-for-one")
    pids = _sleep_pids(td, STRATEGY_SLEEPS)
    mark = td.mark()
    os.kill(pids["a"], signal.SIGKILL)
    new = {n: _new_pid(td, STRATEGY_SLEEPS[n], pids[n]) for n in ("a", "b", "c")}
    for n in ("a", "b", "c"):
        check(new[n] != pids[n], "g/%s kept its pid under rest-for-one" % n)
        check(not h.alive(pids[n]), "old g/%s still runs" % n)
    eq(h.one_pid(td, r"^sleep 1000$", 2), pids["z"],
       "pid of g/z (started before the failed g/a)")
    stops = _events_after(td, mark, "stop")
    starts = _events_after(td, mark, "start")
    eq([e.name for e in stops], ["g/c", "g/b"],
       "stop order after g/a crashed (rest-for-one, g/a already dead)")
    eq([e.name for e in starts], ["g/a", "g/b", "g/c"], "start order after the stop")
    check(stops[-1].index < starts[0].index, "a child was started before all were stopped")
    td.kill(signal.SIGTERM)
    eq(td.wait(5), 0, "exit status after SIGTERM")


# ------------------------------------------------ intensity, escalation

INTENSITY_TREE = """
[tend]
%s

[service:keep]
command = sleep 1001

[group:g]
max-restarts = 2
restart-period = 10s

[service:g/x]
command = sh -c 'echo x >> %s; exit 1'
backoff-min = 0
backoff-jitter = 0
"""


def _starts_before(td, event):
    return len([e for e in h.log_events(td, "start", "g/x") if e.index < event.index])


def test_intensity_group_gives_up_after_max_restarts_and_root_restarts_it(t):
    td = t.tree(INTENSITY_TREE % ("", t.path("count")))
    keep = h.one_pid(td, r"^sleep 1001$", 5)
    give_ups = h.wait_log_events(td, "give-up", "g", 2, 5)
    eq(_starts_before(td, give_ups[0]), 3,
       "starts of g/x before group g gave up (max-restarts = 2)")
    eq(_starts_before(td, give_ups[1]), 6,
       "starts of g/x before g gave up the second time (after the root restarted it)")
    failed = h.log_events(td, "failed", "g")
    check(failed and failed[0].index > give_ups[0].index,
          "no `failed g` line after g gave up")
    check(h.log_events(td, "start", "g"), "no `start g` line")
    check(td.alive(), "tend exited although the root (max-restarts 10) should restart g")
    eq(h.one_pid(td, r"^sleep 1001$", 2), keep, "pid of the root's other child")
    td.kill(signal.SIGTERM)
    eq(td.wait(5), 0, "exit status after SIGTERM")
    eq(len(_lines(t, "count")), len(h.started_ns_pids(td, "g/x")),
       "runs of g/x (its file) vs its `start` lines")


def test_intensity_root_gives_up_and_tend_exits_1(t):
    # sub mode: tend is not PID 1, so what it leaves behind outlives it
    td = t.tree(INTENSITY_TREE % ("max-restarts = 0", t.path("count")), mode="sub")
    eq(td.wait(5), 1, "exit status after the root supervisor gave up")
    eq(len(_lines(t, "count")), 3, "runs of g/x (max-restarts = 2 in g)")
    check(h.log_events(td, "give-up", "(root)"), "no `give-up (root)` line")
    check(h.log_events(td, "stop", "keep"), "the root's other child was not stopped")
    init = td.init_pid
    left = [p for p in td.ns_pids() if p != init]
    eq([" ".join(h.cmdline(p)) for p in left], [], "processes left after tend exited")


def test_intensity_counts_failures_within_the_period_only(t):
    # max-restarts = 1 within 400ms, failures about 0.6 s apart: the window
    # slides, the group never gives up (B5)
    td = t.tree("""
[tend]
max-restarts = 0

[group:g]
max-restarts = 1
restart-period = 400ms

[service:g/x]
command = sh -c 'echo x >> %s; sleep 0.6; exit 1'
backoff-min = 0
backoff-jitter = 0
""" % t.path("count"))
    wait_until(lambda: len(_lines(t, "count")) >= 5, 6, "g/x to run 5 times")
    check(td.alive(), "tend exited: failures 0.6 s apart exceeded 1 restart per 400ms?")
    eq(h.log_events(td, "give-up"), [], "give-up lines")
    td.kill(signal.SIGTERM)
    eq(td.wait(5), 0, "exit status after SIGTERM")


# --------------------------------------------------------------- backoff

def _start_times(t, name):
    return [float(x) for x in _lines(t, name)]


def _gaps_case(t, extra, expected):
    stamp = t.script("stamp.sh", "#!/bin/sh\ndate +%%s.%%N >> %s\nexit 1\n" % t.path("times"))
    td = t.tree("""
[tend]
max-restarts = 100

[service:crash]
command = %s
backoff-min = 200ms
backoff-factor = 2
backoff-jitter = 0
%s
""" % (stamp, extra))
    n = len(expected) + 1
    wait_until(lambda: len(_lines(t, "times")) >= n, sum(expected) + 3,
               "%d starts of the crashing service" % n)
    times = _start_times(t, "times")[:n]
    gaps = [round(b - a, 3) for a, b in zip(times, times[1:])]
    t.note("gaps between starts: %s" % gaps)
    for i, (gap, want) in enumerate(zip(gaps, expected), 1):
        check(want <= gap < want + 0.25,
              "gap %d between starts: %.3fs, expected %.1fs (gaps %s)" % (i, gap, want, gaps))
    td.kill(signal.SIGTERM)
    eq(td.wait(5), 0, "exit status after SIGTERM")


def test_backoff_doubles_from_min(t):
    _gaps_case(t, "", [0.2, 0.4, 0.8])


def test_backoff_capped_at_max(t):
    _gaps_case(t, "backoff-max = 300ms", [0.2, 0.3, 0.3])


# ------------------------------------------------------- restart policy

def test_restart_never_service_stays_exited(t):
    td = t.tree("""
[service:keep]
command = sleep 1001

[service:once]
command = sh -c 'echo x >> %s; exit 3'
restart = never
backoff-min = 50ms
""" % t.path("count"))
    h.wait_log_events(td, "exit", "once", 1, 5)
    time.sleep(0.5)                    # a restart would come after ~50 ms
    eq(len(_lines(t, "count")), 1, "runs of a `restart = never` service that exited 3")
    eq(h.log_events(td, "restart", "once"), [], "restart lines for `once`")
    check(td.alive(), "tend exited when a restart = never service ended")
    h.one_pid(td, r"^sleep 1001$", 2)
    td.kill(signal.SIGTERM)
    eq(td.wait(5), 0, "exit status after SIGTERM")


def test_restart_on_failure_honours_success_exit(t):
    td = t.tree("""
[service:keep]
command = sleep 1001

[service:ok3]
command = sh -c 'echo x >> %s; exit 3'
restart = on-failure
success-exit = 2, 3
backoff-min = 50ms
backoff-factor = 1
backoff-jitter = 0

[service:bad4]
command = sh -c 'echo x >> %s; exit 4'
restart = on-failure
success-exit = 2, 3
backoff-min = 50ms
backoff-factor = 1
backoff-jitter = 0
""" % (t.path("ok3"), t.path("bad4")))
    wait_until(lambda: len(_lines(t, "bad4")) >= 3, 5,
               "bad4 (exit 4, not a success code) to be restarted twice")
    time.sleep(0.2)
    eq(len(_lines(t, "ok3")), 1, "runs of ok3 (exit 3 is in success-exit)")
    eq(h.log_events(td, "restart", "ok3"), [], "restart lines for ok3")
    check(td.alive(), "tend exited")
    td.kill(signal.SIGTERM)
    eq(td.wait(5), 0, "exit status after SIGTERM")


# ------------------------------------------------------------- instances

def test_instances_run_n_copies_with_their_numbers(t):
    d = t.path("inst")
    os.makedirs(d)
    td = t.tree("""
[group:pool]

[service:pool/w]
instances = 3
command = sh -c 'echo %%i > %s/inst.%%i; exec sleep 1001'
""" % d)
    wait_until(lambda: len(h.live_pids_by_cmdline(td, r"^sleep 1001$")) == 3, 5,
               "3 instances running")
    wait_until(lambda: len(os.listdir(d)) >= 3, 2, "3 instance files")
    eq(sorted(os.listdir(d)), ["inst.0", "inst.1", "inst.2"], "files written by %i")
    for k in range(3):
        eq(t.read("inst/inst.%d" % k).strip(), str(k), "content of inst.%d" % k)
    seen = sorted((h.environ(p).get("TEND_SERVICE"), h.environ(p).get("TEND_INSTANCE"))
                  for p in h.live_pids_by_cmdline(td, r"^sleep 1001$"))
    eq(seen, [("pool/w.%d" % k, str(k)) for k in range(3)],
       "(TEND_SERVICE, TEND_INSTANCE) of the instances")
    eq(sorted(e.name for e in h.log_events(td, "start") if e.name and e.name.startswith("pool/")),
       ["pool/w.0", "pool/w.1", "pool/w.2"], "names in the start lines")
    td.kill(signal.SIGTERM)
    eq(td.wait(5), 0, "exit status after SIGTERM")


# ------------------------------------------------- more intensity (B5)

def test_intensity_nested_groups_multiply(t):
    # inner and outer each allow 3 restarts: the leaf starts (3+1) x (3+1)
    # times before outer gives up; the root (max-restarts 0) then gives up
    td = t.tree("""
[tend]
max-restarts = 0

[group:outer]
max-restarts = 3
restart-period = 30s

[group:outer/inner]
max-restarts = 3
restart-period = 30s
backoff-min = 0
backoff-jitter = 0

[service:outer/inner/leaf]
command = sh -c 'echo x >> %s; exit 1'
backoff-min = 0
backoff-jitter = 0
""" % t.path("count"))
    eq(td.wait(10), 1, "exit status after the root gave up")
    eq(len(_lines(t, "count")), 16, "starts of the leaf (intensities 3 and 3)")
    eq(len(h.log_events(td, "give-up", "outer/inner")), 4, "give-ups of outer/inner")
    eq(len(h.log_events(td, "give-up", "outer")), 1, "give-ups of outer")


def test_one_for_all_restart_counts_once_toward_intensity(t):
    # max-restarts = 1: restarting all three children after one crash is one
    # restart, not three
    once = t.script("once.sh", "#!/bin/sh\nif [ -e %s ]; then exec sleep 1002; fi\n"
                    "touch %s\nsleep 0.2\nexit 1\n" % (t.path("crashed"), t.path("crashed")))
    td = t.tree("""
[tend]
max-restarts = 0

[group:g]
strategy = one-for-all
max-restarts = 1

[service:g/a]
command = sleep 1001

[service:g/b]
command = %s
backoff-min = 0

[service:g/c]
command = sleep 1003
""" % once)
    a = h.one_pid(td, r"^sleep 1001$", 5)
    h.one_pid(td, r"^sleep 1002$", 5)                    # b after its crash
    h.one_pid(td, r"^sleep 1001$", 5, exclude=[a])       # a restarted with it
    h.one_pid(td, r"^sleep 1003$", 5)
    time.sleep(0.2)
    check(td.alive(), "tend exited: the one-for-all restart counted more than once")
    eq(h.log_events(td, "give-up"), [], "give-up lines")
    td.kill(signal.SIGTERM)
    eq(td.wait(5), 0, "exit status after SIGTERM")


def test_backoff_reset_after_running_long_enough(t):
    # each run lasts 0.3 s, longer than backoff-reset: every restart waits
    # backoff-min again (without the reset: 0.4, 0.8, 1.6 s)
    stamp = t.script("stamp.sh", "#!/bin/sh\ndate +%%s.%%N >> %s\nsleep 0.3\nexit 1\n"
                     % t.path("times"))
    td = t.tree("""
[tend]
max-restarts = 100

[service:crash]
command = %s
backoff-min = 400ms
backoff-factor = 2
backoff-jitter = 0
backoff-reset = 200ms
""" % stamp)
    wait_until(lambda: len(_lines(t, "times")) >= 4, 6, "4 starts")
    times = _start_times(t, "times")[:4]
    gaps = [round(b - a, 3) for a, b in zip(times, times[1:])]
    for i, gap in enumerate(gaps, 1):
        check(0.7 <= gap < 0.95, "gap %d between starts: %.3fs, expected 0.7 s "
              "(0.3 s run + 400ms backoff-min after the reset); gaps %s" % (i, gap, gaps))
    td.kill(signal.SIGTERM)
    eq(td.wait(5), 0, "exit status after SIGTERM")


# ------------------------------------------------------------- log format

def _json_case(args, tend_section):
    def test(t):
        import json
        td = t.tree("""
[tend]
%s

[service:svc]
command = sleep 1001
""" % tend_section, args)
        svc_ns_pid = h.nspid(h.one_pid(td, r"^sleep 1001$", 5))[-1]
        td.kill(signal.SIGTERM)
        eq(td.wait(5), 0, "exit status after SIGTERM")
        objs = []
        for line in td.log:
            try:
                objs.append(json.loads(line))
            except ValueError:
                raise Fail("a log line is not JSON: %r" % line)
        check(objs, "no log lines")
        for o in objs:
            missing = [k for k in ("ts", "level", "event", "msg") if k not in o]
            check(not missing, "log object without %s: %r" % (missing, o))
        starts = [o for o in objs if o.get("event") == "start" and o.get("service") == "svc"]
        check(starts, "no {event: start, service: svc} object: %r" % objs[:4])
        eq(svc_ns_pid, int(starts[0]["msg"].split()[-1]),
           "pid in the start object's msg (%r)" % starts[0]["msg"])
    return test


test_log_format_json_option = _json_case(["--log-format", "json"], "")
test_log_format_json_key = _json_case([], "log-format = json")
