"""Reload (SPEC §5): SIGHUP and `tendctl reload` apply a new config by name:
removed things are stopped, new ones started, changed ones restarted with
their new settings, unchanged ones untouched (same pid, same restart
count, a `tendctl stop` hold kept); an invalid file changes nothing and its
FILE:LINE errors come back; during a shutdown a reload is refused.

Services are told apart by their argv (`sleep 1001`, ...). The first tests
use SIGHUP and tend's log; the `tendctl` ones read state through
`tendctl status --json`.
"""
import json
import os
import signal

from harness import Fail, check, eq, wait_until, timeout
import harness as h


def _up(td):
    td.wait_for_log(r" ready \(root\): group ready", 5)


def _hup(td, outcome=r"reloaded: |reload failed|reload refused"):
    """SIGHUP tend; return the reload's result line (from the log)."""
    mark = td.mark()
    td.kill(signal.SIGHUP)
    return td.wait_for_log(r"tend \w+ reload: ((?:%s).*)$" % outcome, 5, start=mark).group(1)


def _rewrite(t, text):
    t.write_ini(text)


def _sleep(td, number, exclude=(), timeout_s=5):
    return h.one_pid(td, r"^sleep %d$" % number, timeout_s, exclude=exclude)


def _gone(td, pid, what):
    td.wait_until(lambda: not h.alive(pid), 5, what)


BASE = """
[service:a]
command = sleep 1001
[service:b]
command = sleep 1002
[service:c]
command = sleep 1003
"""

NEXT = """
[service:a]
command = sleep 1001
[service:b]
command = sleep 1012
[service:d]
command = sleep 1004
"""


def test_sighup_add_remove_change(t):
    td = t.tree(BASE)
    _up(td)
    a, b, c = _sleep(td, 1001), _sleep(td, 1002), _sleep(td, 1003)
    _rewrite(t, NEXT)
    eq(_hup(td), "reloaded: 1 added, 1 removed, 1 changed, 1 unchanged", "summary")
    _gone(td, c, "the removed service c stopped")
    _gone(td, b, "the changed service b's old process stopped")
    _sleep(td, 1012)  # b again, with its new command
    _sleep(td, 1004)  # d, new
    check(h.alive(a), "the unchanged service a keeps its process")
    eq(_sleep(td, 1001), a, "a's pid")
    eq(h.started_ns_pids(td, "a").__len__(), 1, "a started once")
    td.wait_for_log(r" ready \(root\): group ready", 5, start=td.mark() - 5)


GROUPS = """
[service:a]
command = sleep 1001
[group:g]
[service:g/x]
command = sleep 1021
[service:g/y]
command = sleep 1022
"""

GROUPS_NEXT = """
[service:a]
command = sleep 1001
[group:h]
strategy = one-for-all
[service:h/z]
command = sleep 1031
"""


def test_sighup_add_and_remove_group(t):
    td = t.tree(GROUPS)
    _up(td)
    a, x, y = _sleep(td, 1001), _sleep(td, 1021), _sleep(td, 1022)
    _rewrite(t, GROUPS_NEXT)
    # added: group h and h/z; removed: group g, g/x, g/y; unchanged: a
    eq(_hup(td), "reloaded: 2 added, 3 removed, 0 changed, 1 unchanged", "summary")
    _gone(td, x, "g/x stopped with its group")
    _gone(td, y, "g/y stopped with its group")
    _sleep(td, 1031)
    eq(_sleep(td, 1001), a, "a untouched")
    # and back again: the removed group comes back as new
    _rewrite(t, GROUPS)
    eq(_hup(td), "reloaded: 3 added, 2 removed, 0 changed, 1 unchanged", "summary back")
    _sleep(td, 1021)
    _sleep(td, 1022)
    eq(_sleep(td, 1001), a, "a still untouched")


INSTANCES = """
[service:w]
command = sleep 105%i
instances = {n}
"""


def test_sighup_instances_grow_and_shrink(t):
    td = t.tree(INSTANCES.format(n=3))
    _up(td)
    first = [_sleep(td, 1050 + i) for i in range(3)]
    _rewrite(t, INSTANCES.format(n=5))
    eq(_hup(td), "reloaded: 2 added, 0 removed, 0 changed, 3 unchanged", "3 -> 5")
    _sleep(td, 1053)
    _sleep(td, 1054)
    eq([_sleep(td, 1050 + i) for i in range(3)], first, "the first three untouched")
    _rewrite(t, INSTANCES.format(n=2))
    eq(_hup(td), "reloaded: 0 added, 3 removed, 0 changed, 2 unchanged", "5 -> 2")
    _gone(td, first[2], "w.2 stopped")
    eq([_sleep(td, 1050 + i) for i in range(2)], first[:2], "w.0 and w.1 untouched")
    td.wait_until(lambda: not h.live_pids_by_cmdline(td, r"^sleep 105[34]$"), 5,
                  "w.3 and w.4 stopped")


def test_sighup_invalid_changes_nothing(t):
    td = t.tree(BASE)
    _up(td)
    pids = [_sleep(td, 1001 + i) for i in range(3)]
    path = t.write_ini(BASE + "\n[service:bad]\nrestart = sometimes\n")
    mark = td.mark()
    eq(_hup(td), "reload failed: 2 problems in the config; nothing changed", "result")
    text = "\n".join(td.log[mark:])
    check("%s:" % path in text, "the problems are logged with their file: %s" % text)
    check("sometimes" in text, "the bad value is named: %s" % text)
    check("command" in text, "the missing command is named: %s" % text)
    eq([_sleep(td, 1001 + i) for i in range(3)], pids, "nothing restarted")
    check(td.running(), "tend still runs")


CHANGED_KINDS = """
[service:a]
command = sleep 1001
stop-timeout = {stop}
[service:b]
command = sleep 1002
autostart = {auto}
"""


def test_sighup_change_of_autostart_alone_is_no_change(t):
    td = t.tree(CHANGED_KINDS.format(stop="10s", auto="yes"))
    _up(td)
    a, b = _sleep(td, 1001), _sleep(td, 1002)
    _rewrite(t, CHANGED_KINDS.format(stop="5s", auto="no"))
    eq(_hup(td), "reloaded: 0 added, 0 removed, 1 changed, 1 unchanged", "summary")
    _gone(td, a, "a (stop-timeout changed) restarted")
    _sleep(td, 1001, exclude=[a])
    eq(_sleep(td, 1002), b, "b (only autostart changed) untouched")


SLOW_STOP = """
[tend]
shutdown-timeout = 20s
[service:slow]
command = {cmd}
stop-timeout = 15s
[service:a]
command = sleep 1001
"""

IGNORE_TERM = r"""
import os, signal, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
tmp = sys.argv[1] + ".tmp"
open(tmp, "w").write(str(os.getpid()))
os.rename(tmp, sys.argv[1])
while True:
    time.sleep(1)
"""


def test_sighup_refused_during_shutdown(t):
    cmd = " ".join(t.py("ignore_term.py", IGNORE_TERM) + [t.path("slow.pid")])
    td = t.tree(SLOW_STOP.format(cmd=cmd))
    _up(td)
    t.wait_file("slow.pid", 5)
    mark = td.mark()
    td.kill(signal.SIGTERM)
    td.wait_for_log(r"stop slow: sent SIGTERM", 5, start=mark)
    _rewrite(t, SLOW_STOP.format(cmd=cmd) + "[service:new]\ncommand = sleep 1009\n")
    eq(_hup(td), "reload refused: tend is shutting down", "result")
    check(not h.live_pids_by_cmdline(td, r"^sleep 1009$"), "nothing new started")
    check(td.running(), "tend still shutting down")


REMOVE_SLOW = """
[service:slow]
command = {cmd}
stop-timeout = 3s
[service:a]
command = sleep 1001
"""


@timeout(40)
def test_sighup_while_removed_still_stopping(t):
    """A reload while the previous one's stops are still going applies on
    top of it: the slow one goes on stopping (killed at its stop-timeout),
    the second reload's changes apply at once, and nothing breaks."""
    cmd = " ".join(t.py("ignore_term.py", IGNORE_TERM) + [t.path("slow.pid")])
    td = t.tree(REMOVE_SLOW.format(cmd=cmd))
    _up(td)
    t.wait_file("slow.pid", 5)
    slow = td.host_pid(int(t.read("slow.pid")))
    a = _sleep(td, 1001)
    _rewrite(t, "[service:a]\ncommand = sleep 1001\n")
    eq(_hup(td), "reloaded: 0 added, 1 removed, 0 changed, 1 unchanged", "first")
    check(h.alive(slow), "slow still stopping (it ignores SIGTERM)")
    _rewrite(t, "[service:a]\ncommand = sleep 1011\n[service:b]\ncommand = sleep 1002\n")
    eq(_hup(td), "reloaded: 1 added, 0 removed, 1 changed, 0 unchanged", "second, on top")
    _sleep(td, 1011)
    _sleep(td, 1002)
    _gone(td, a, "a's old process")
    check(h.alive(slow), "slow still stopping")
    td.wait_until(lambda: not h.alive(slow), 8, "slow SIGKILLed at its stop-timeout")
    # the third one after it is gone is plain
    _rewrite(t, "[service:a]\ncommand = sleep 1011\n")
    eq(_hup(td), "reloaded: 0 added, 1 removed, 0 changed, 1 unchanged", "third")
    check(td.running(), "tend runs")


def _rss_kb(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


MANY = """
[service:keep]
command = sleep 1001
[service:flip]
command = sleep {n}
[group:g{n}]
[service:g{n}/x]
command = sleep 1100
"""


@timeout(120)
def test_sighup_repeated_reloads_keep_fds_and_rss_flat(t):
    td = t.tree(MANY.format(n=2000))
    _up(td)
    keep = _sleep(td, 1001)

    def cycle(i):
        _rewrite(t, MANY.format(n=2000 + i % 2))
        eq(_hup(td), "reloaded: 2 added, 2 removed, 1 changed, 1 unchanged",
           "reload %d" % i)

    for i in range(1, 11):
        cycle(i)
    td.wait_until(lambda: len(h.live_pids_by_cmdline(td, r"^sleep 1100$")) == 1, 5,
                  "one g*/x")
    fds0, rss0 = len(h.fds(td.pid)), _rss_kb(td.pid)
    for i in range(11, 111):
        cycle(i)
    td.wait_until(lambda: len(h.live_pids_by_cmdline(td, r"^sleep 1100$")) == 1, 5,
                  "one g*/x")
    td.wait_until(lambda: len(h.fds(td.pid)) == fds0, 5,
                  "tend's fd count back to %d (is %d)" % (fds0, len(h.fds(td.pid))))
    rss1 = _rss_kb(td.pid)
    t.note("RSS after 10 reloads %d KiB, after 110 %d KiB" % (rss0, rss1))
    check(rss1 <= rss0 + 64, "RSS flat across 100 reloads: %d -> %d KiB" % (rss0, rss1))
    eq(_sleep(td, 1001), keep, "the unchanged service kept its pid through 110 reloads")
