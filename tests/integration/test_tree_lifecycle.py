"""Tree mode (SPEC §1, §2.3, §2.5, §4): the main service and tend's exit
status, exec failures, shutdown (order, stop-timeout, shutdown-timeout,
process groups, leftovers) and signals sent to tend.

Tests that must see what tend leaves behind run it in mode "sub" (not PID 1,
inside a namespace that outlives it); when tend is PID 1 the kernel kills the
whole namespace as it exits, which would hide a service tend never stopped.
"""
import os
import signal
import time

from harness import Fail, check, eq, wait_until
import harness as h


def _leftovers(td):
    """sub mode, after tend exited: argv of every process left in the
    namespace besides the launcher."""
    init = td.init_pid
    return [" ".join(h.cmdline(p)) or repr(h.stat(p)) for p in td.ns_pids()
            if p != init and h.alive(p)]


def _no_leftovers(td, what):
    left = []

    def none():
        left[:] = _leftovers(td)
        return not left
    try:
        wait_until(none, 1, "nothing left in the namespace")
    except Fail:
        raise Fail("left in the namespace %s: %s" % (what, left))


# A process that ignores SIGTERM:  ignore_term.py READY
IGNORE_TERM = r"""
import os, signal, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
tmp = sys.argv[1] + ".tmp"
open(tmp, "w").write(str(os.getpid()))
os.rename(tmp, sys.argv[1])
while True:
    time.sleep(1)
"""


def _ignore_term(t, ready):
    return " ".join(t.py("ignore_term.py", IGNORE_TERM) + [t.path(ready)])


# Records the signals it gets:  recorder.py OUT READY SIG,SIG...
RECORDER = r"""
import os, signal, sys, time
out, ready, sigs = sys.argv[1], sys.argv[2], sys.argv[3]
def handler(n, frame):
    with open(out, "a") as f:
        f.write(signal.Signals(n).name[3:] + "\n")
for s in sigs.split(","):
    signal.signal(getattr(signal, "SIG" + s), handler)
tmp = ready + ".tmp"
open(tmp, "w").write(str(os.getpid()))
os.rename(tmp, ready)
while True:
    time.sleep(1)
"""


# ------------------------------------------------------------ main service

def test_main_service_exit_status_is_tends_and_rest_is_stopped(t):
    td = t.tree("""
[service:other]
command = sleep 1001

[service:app]
main = yes
restart = never
command = sh -c 'sleep 0.3; exit 7'
""", mode="sub")
    eq(td.wait(5), 7, "tend's exit status when the main service exited 7")
    check(h.log_events(td, "stop", "other"), "`other` was not stopped when main ended")
    _no_leftovers(td, "after the main service ended")


def test_main_from_command_line(t):
    # `-c FILE -- CMD`: CMD is the root's last child `main`, started once the
    # tree before it is ready; its exit status is tend's
    td = t.tree("""
[service:setup]
type = oneshot
command = sh -c 'sleep 0.2; echo done > %s'

[service:other]
command = sleep 1001
""" % t.path("setup-done"),
        ["--", "sh", "-c", "[ -s %s ] && exit 5; exit 6" % t.path("setup-done")], mode="sub")
    eq(td.wait(5), 5, "exit status of `tend -c FILE -- sh -c 'exit 5'` "
       "(6: main started before the oneshot before it finished)")
    check(h.started_ns_pids(td, "main"), "no `start main` line")
    check(h.log_events(td, "stop", "other"), "`other` was not stopped when main ended")
    _no_leftovers(td, "after main ended")


def _main_killed_case(sig, expected):
    def test(t):
        td = t.tree("""
[service:other]
command = sleep 1001
""", ["--", "sleep", "1002"])
        main = h.one_pid(td, r"^sleep 1002$", 5)
        h.one_pid(td, r"^sleep 1001$", 2)
        os.kill(main, sig)
        eq(td.wait(5), expected, "tend's exit status when main died of %s"
           % signal.Signals(sig).name)
    return test


test_main_killed_by_sigkill_exit_137 = _main_killed_case(signal.SIGKILL, 137)
test_main_killed_by_sigterm_exit_143 = _main_killed_case(signal.SIGTERM, 143)


def test_main_own_process_group_in_tends_session(t):
    td = t.tree("""
[service:other]
command = sleep 1001
""", ["--", "sleep", "1002"])
    main = h.one_pid(td, r"^sleep 1002$", 5)
    other = h.one_pid(td, r"^sleep 1001$", 2)
    ms, ts, os_ = h.stat(main), h.stat(td.pid), h.stat(other)
    eq(ms.pgrp, main, "process group of the main service (its own)")
    eq(ms.session, ts.session, "session of the main service (tend's)")
    eq(os_.session, other, "session of a normal service (its own)")
    td.kill(signal.SIGTERM)
    eq(td.wait(5), 143, "exit status after SIGTERM (main killed by the stop signal)")


# --------------------------------------------------------- exec failures

def test_exec_failure_is_logged_backs_off_and_tend_keeps_running(t):
    noexec = t.write("noexec.sh", "#!/bin/sh\nexit 0\n", 0o644)
    td = t.tree("""
[tend]
max-restarts = 100

[service:keep]
command = sleep 1001

# parallel: a service that cannot run never becomes ready, so with the
# default sequential start nothing after it would start
[group:bad]
start = parallel
max-restarts = 100

[service:bad/missing]
command = /nonexistent/tend-it-no-such-program arg
backoff-min = 100ms
backoff-factor = 2
backoff-jitter = 0

[service:bad/noexec]
command = %s
backoff-min = 100ms
backoff-factor = 2
backoff-jitter = 0
""" % noexec)
    keep = h.one_pid(td, r"^sleep 1001$", 5)
    first = h.wait_log_events(td, "exec", "bad/missing", 1, 5)[0]
    check("No such file or directory" in first.msg,
          "exec failure line without the reason: %r" % first.msg)
    eacces = h.wait_log_events(td, "exec", "bad/noexec", 1, 5)[0]
    check("Permission denied" in eacces.msg,
          "exec failure line (EACCES) without the reason: %r" % eacces.msg)
    time.sleep(max(0.0, 2.0 - (time.time() - first.ts)))   # 2 s after the first attempt
    for name in ("bad/missing", "bad/noexec"):
        ev = [e for e in h.log_events(td, "exec", name) if e.ts <= first.ts + 2.0]
        gaps = [round(b.ts - a.ts, 3) for a, b in zip(ev, ev[1:])]
        t.note("%s: %d attempts in 2 s, gaps %s" % (name, len(ev), gaps))
        check(3 <= len(ev) <= 6, "%d exec attempts of %s within 2 s (backoff 100ms x2: "
              "expected about 5)" % (len(ev), name))
        check(all(g >= 0.09 for g in gaps), "attempts of %s closer than the 100ms "
              "backoff: gaps %s" % (name, gaps))
    check(td.alive(), "tend died")
    eq(h.one_pid(td, r"^sleep 1001$", 2), keep, "pid of the healthy service")
    td.kill(signal.SIGTERM)
    eq(td.wait(5), 0, "exit status after SIGTERM")


# --------------------------------------------------------------- shutdown

def test_sigterm_stops_in_reverse_start_order_and_exits_0(t):
    td = t.tree("""
[service:s1]
command = sleep 1001

[group:g]

[service:g/a]
command = sleep 1002

[service:g/b]
command = sleep 1003

[service:s3]
command = sleep 1004
""", mode="sub")
    for n in range(1001, 1005):
        h.one_pid(td, r"^sleep %d$" % n, 5)
    h.wait_log_events(td, "ready", "(root)", 1, 5)
    mark = td.mark()
    t0 = time.monotonic()
    td.kill(signal.SIGTERM)
    eq(td.wait(5), 0, "exit status after SIGTERM")
    took = time.monotonic() - t0
    stops = h.log_events(td, "stop", start=mark)
    eq([e.name for e in stops], ["s3", "g/b", "g/a", "s1"], "stop order")
    # stop = sequential: each service has exited before the next is signalled
    for prev, nxt in zip(stops, stops[1:]):
        ex = [e for e in h.log_events(td, "exit", prev.name, mark)]
        check(ex and ex[0].index < nxt.index,
              "%s was signalled before %s had exited" % (nxt.name, prev.name))
    t.note("SIGTERM to exit: %.3fs" % took)
    check(took < 0.5, "tend took %.2fs to stop 4 services that exit at once on "
          "SIGTERM: it must not sleep out a grace period (A14)" % took)
    _no_leftovers(td, "after the shutdown")


def test_stop_timeout_then_sigkill(t):
    td = t.tree("""
[service:stubborn]
command = %s
stop-timeout = 500ms
""" % _ignore_term(t, "ready"))
    t.wait_file("ready", 5, "the TERM-ignoring service")
    t0 = time.monotonic()
    td.kill(signal.SIGTERM)
    eq(td.wait(8), 0, "exit status after SIGTERM")
    took = time.monotonic() - t0
    check(h.log_events(td, "kill", "stubborn"), "no `kill stubborn` line (SIGKILL)")
    check(0.45 <= took < 2.0, "tend exited %.2fs after SIGTERM; expected about the "
          "stop-timeout of 500ms" % took)


def test_shutdown_timeout_kills_everything(t):
    td = t.tree("""
[tend]
shutdown-timeout = 1s

[service:one]
command = %s
stop-timeout = 10s

[service:two]
command = %s
stop-timeout = 10s
""" % (_ignore_term(t, "ready1"), _ignore_term(t, "ready2")), mode="sub")
    t.wait_file("ready1", 5, "service one")
    t.wait_file("ready2", 5, "service two")
    t0 = time.monotonic()
    td.kill(signal.SIGTERM)
    eq(td.wait(8), 0, "exit status after SIGTERM (requested shutdown)")
    took = time.monotonic() - t0
    check(0.9 <= took < 2.5, "tend exited %.2fs after SIGTERM; expected about the "
          "shutdown-timeout of 1s (stop-timeouts are 10 s)" % took)
    _no_leftovers(td, "after the shutdown deadline")


GROUP_SCRIPT = "#!/bin/sh\nsleep 1005 &\nsleep 1006\n"


def _kill_group_case(t, kill_group):
    script = t.script("family.sh", GROUP_SCRIPT)
    td = t.tree("""
[group:g]
strategy = one-for-all

[service:g/family]
command = %s
kill-group = %s
stop-timeout = %s

[service:g/trigger]
command = sleep 1007
backoff-min = 0
""" % (script, kill_group, "5s" if kill_group == "yes" else "500ms"))
    bg = h.one_pid(td, r"^sleep 1005$", 5)
    fg = h.one_pid(td, r"^sleep 1006$", 5)
    trigger = h.one_pid(td, r"^sleep 1007$", 5)
    mark = td.mark()
    os.kill(trigger, signal.SIGKILL)           # one-for-all: g/family is stopped
    stop = h.wait_log_events(td, "stop", "g/family", 1, 5, start=mark)[0]
    return td, bg, fg, stop


def test_kill_group_yes_stops_the_services_process_group(t):
    td, bg, fg, stop = _kill_group_case(t, "yes")
    wait_until(lambda: not h.alive(bg) and not h.alive(fg), 1.5,
               "the service's children (its process group) to die of SIGTERM "
               "(stop-timeout is 5 s)")
    eq(h.log_events(td, "kill", "g/family"), [], "`kill g/family` (SIGKILL) lines")
    h.one_pid(td, r"^sleep 1005$", 5, exclude=[bg])     # restarted
    td.kill(signal.SIGTERM)
    eq(td.wait(5), 0, "exit status after SIGTERM")


def test_kill_group_no_signals_the_leader_only_and_kills_the_rest_at_the_deadline(t):
    # A8: with kill-group = no only the shell gets SIGTERM; what it leaves in
    # its session is killed at the stop deadline, not left behind
    td, bg, fg, stop = _kill_group_case(t, "no")
    time.sleep(0.15)
    check(h.alive(bg) and h.alive(fg),
          "the service's children died at once: they got the stop signal "
          "although kill-group = no")
    wait_until(lambda: not h.alive(bg) and not h.alive(fg), 1.5,
               "the service's children to be killed at the 500ms stop deadline")
    td.kill(signal.SIGTERM)
    eq(td.wait(5), 0, "exit status after SIGTERM")


# A daemon that escapes its service's session and cleans up slowly on TERM.
#   daemon.py MARKER READY
SLOW_DAEMON = r"""
import os, signal, sys, time
marker, ready = sys.argv[1], sys.argv[2]
def handler(n, frame):
    time.sleep(0.2)
    open(marker, "w").write("cleaned up\n")
    os._exit(0)
signal.signal(signal.SIGTERM, handler)
os.setsid()
tmp = ready + ".tmp"
open(tmp, "w").write(str(os.getpid()))
os.rename(tmp, ready)
while True:
    time.sleep(1)
"""


def test_daemonised_grandchild_cleans_up_before_pid1_exits(t):
    daemon = " ".join(t.py("daemon.py", SLOW_DAEMON) + [t.path("marker"), t.path("ready")])
    svc = t.script("svc.sh", "#!/bin/sh\n%s &\nwhile [ ! -s %s ]; do sleep 0.01; done\n"
                   "exec sleep 1001\n" % (daemon, t.path("ready")))
    td = t.tree("""
[service:svc]
command = %s
""" % svc)
    t.wait_file("ready", 5, "the daemon")
    h.one_pid(td, r"^sleep 1001$", 5)
    ns = td.ns
    td.kill(signal.SIGTERM)
    eq(td.wait(5), 0, "exit status after SIGTERM")
    eq(t.read("marker"), "cleaned up\n",
       "marker of the daemon's 0.2 s TERM handler (killed before it finished?)")
    wait_until(lambda: not h.ns_members(ns), 2, "the namespace to be empty")


# ---------------------------------------------------------------- signals

def test_harmless_signals_without_main_touch_no_service(t):
    td = t.tree("""
[service:a]
command = sleep 1001

[service:b]
command = sleep 1002
""")
    before = {n: h.one_pid(td, r"^sleep %d$" % n, 5) for n in (1001, 1002)}
    for sig in (signal.SIGUSR1, signal.SIGUSR2, signal.SIGALRM, signal.SIGPIPE,
                signal.SIGWINCH):
        td.kill(sig)
        time.sleep(0.05)
        check(td.alive(), "tend died of %s" % sig.name)
    time.sleep(0.3)
    for n, pid in before.items():
        eq(h.one_pid(td, r"^sleep %d$" % n, 2), pid, "pid of `sleep %d` after "
           "USR1, USR2, ALRM, PIPE, WINCH to tend" % n)
    eq(h.log_events(td, "restart"), [], "restart lines")
    td.kill(signal.SIGTERM)
    eq(td.wait(5), 0, "exit status after SIGTERM")


def test_usr1_usr2_winch_reach_the_main_service(t):
    rec = t.py("recorder.py", RECORDER) + [t.path("got"), t.path("ready"), "USR1,USR2,WINCH"]
    td = t.tree("""
[service:other]
command = sleep 1001
""", ["--"] + rec)
    t.wait_file("ready", 5, "the main service to install its handlers")
    other = h.one_pid(td, r"^sleep 1001$", 2)
    sent = []
    for name in ("USR1", "USR2", "WINCH"):
        sent.append(name)
        td.kill(getattr(signal, "SIG" + name))
        wait_until(lambda: (t.read("got") or "").split() == sent, 5,
                   "SIG%s to reach the main service" % name)
    eq(h.one_pid(td, r"^sleep 1001$", 2), other, "pid of the other service")
    td.kill(signal.SIGTERM)
    eq(td.wait(5), 143, "exit status after SIGTERM killed the main service")


def test_sigint_shuts_down_and_exits_0(t):
    td = t.tree("""
[service:a]
command = sleep 1001

[service:b]
command = sleep 1002
""", mode="sub")
    h.one_pid(td, r"^sleep 1002$", 5)
    td.kill(signal.SIGINT)
    eq(td.wait(5), 0, "exit status after SIGINT")
    eq([e.name for e in h.log_events(td, "stop")], ["b", "a"], "stop lines")
    _no_leftovers(td, "after SIGINT")


def test_not_pid1_shutdown_spares_unrelated_processes(t):
    # A7: kill(-1) only as PID 1; as a subreaper tend signals only its own
    td = t.tree("""
[service:svc]
command = sh -c 'sleep 1002 & exec sleep 1001'
""", mode="sub")
    h.one_pid(td, r"^sleep 1001$", 5)
    h.one_pid(td, r"^sleep 1002$", 5)
    unrelated = td.spawn_in_ns(["sleep", "300"])
    other = wait_until(lambda: [c for c in h.children(unrelated.pid)
                                if h.cmdline(c) == ["sleep", "300"]], 5,
                       "the unrelated sleep 300 to run")[0]
    td.kill(signal.SIGTERM)
    eq(td.wait(5), 0, "exit status after SIGTERM")
    check(h.alive(other), "tend (not PID 1) killed an unrelated process in its "
          "namespace: kill(-1) outside PID 1")
    eq(h.live_pids_by_cmdline(td, r"^sleep 100[12]$"), [],
       "the service and its child after tend exited")
