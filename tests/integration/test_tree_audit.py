"""Tree mode against SPEC §2.2-§2.5 and §4, sentence by sentence: the
keys and behaviours the other tree tests do not reach (autostart,
stop = parallel, stop-signal, env-clear, give-up order, readiness of an
exited service, the main service and the shutdown deadline)."""
import os
import signal
import time

from harness import Fail, check, eq, wait_until
import harness as h

# Ignores SIGTERM, writes its pid to READY:  ignore_term.py READY
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


def test_autostart_no_service_and_group_are_not_started(t):
    td = t.tree("""
[service:early]
command = sleep 1001

[service:lazy]
autostart = no
command = sleep 1002

[group:idle]
autostart = no

[service:idle/child]
command = sleep 1003

[service:late]
command = sleep 1004
""")
    h.one_pid(td, r"^sleep 1001$", 5)
    h.one_pid(td, r"^sleep 1004$", 5)
    h.wait_log_events(td, "ready", "(root)", 1, 5)
    eq(h.live_pids_by_cmdline(td, r"^sleep 100[23]$"), [],
       "processes of `autostart = no` (service lazy, group idle)")
    eq(h.started_ns_pids(td, "lazy") + h.started_ns_pids(td, "idle/child"), [],
       "start lines of autostart = no children")


def test_stop_parallel_signals_all_children_at_once(t):
    td = t.tree("""
[group:g]
stop = parallel

[service:g/a]
command = %s
stop-timeout = 1s

[service:g/b]
command = %s
stop-timeout = 1s
""" % (_ignore_term(t, "ra"), _ignore_term(t, "rb")), mode="sub")
    t.wait_file("ra", 5, "service a")
    t.wait_file("rb", 5, "service b")
    t0 = time.monotonic()
    td.kill(signal.SIGTERM)
    eq(td.wait(8), 0, "exit status after SIGTERM")
    took = time.monotonic() - t0
    check(0.9 <= took < 1.95, "tend took %.2fs to stop two TERM-ignoring services with "
          "stop-timeout = 1s under `stop = parallel` (sequential would be 2s)" % took)
    first_exit = min(e.index for e in h.log_events(td, "exit") if e.name)
    stops = [e.name for e in h.log_events(td, "stop") if e.index < first_exit]
    eq(sorted(n for n in stops if n != "g"), ["g/a", "g/b"],
       "services signalled before the first one exited (stop = parallel)")
    td.release()


def test_stop_signal_and_main_killed_by_it_is_128_plus_signal(t):
    # stop-signal = HUP: sleep dies of it, and as the main service its
    # status is tend's: 128 + 1
    td = t.tree("""
[service:other]
command = sleep 1001

[service:app]
main = yes
command = sleep 1002
stop-signal = SIGHUP
""")
    h.one_pid(td, r"^sleep 1002$", 5)
    h.one_pid(td, r"^sleep 1001$", 5)
    td.kill(signal.SIGTERM)
    eq(td.wait(5), 129, "exit status when the main service died of its stop-signal HUP")


def test_main_killed_at_the_shutdown_deadline_is_137(t):
    td = t.tree("""
[tend]
shutdown-timeout = 1s

[service:app]
main = yes
command = %s
stop-timeout = 10s
""" % _ignore_term(t, "ready"))
    t.wait_file("ready", 5, "the main service")
    td.kill(signal.SIGTERM)
    eq(td.wait(6), 137, "exit status when the shutdown deadline SIGKILLed the main service")


def test_main_with_restart_always_is_restarted_not_the_end(t):
    td = t.tree("""
[service:app]
main = yes
backoff-min = 50ms
backoff-jitter = 0
command = sh -c 'sleep 0.1; exit 3'
""")
    h.wait_log_events(td, "start", "app", 3, 5)
    check(td.running(), "tend ended although the main service (restart = always) "
          "was going to be restarted")


def test_main_on_failure_success_ends_tend_with_0(t):
    td = t.tree("""
[service:other]
command = sleep 1001

[service:app]
main = yes
restart = on-failure
command = sh -c 'sleep 0.2; exit 0'
""")
    eq(td.wait(5), 0, "exit status when the on-failure main service exited 0")


def test_env_clear_starts_from_an_empty_environment(t):
    td = t.tree("""
[service:svc]
env-clear = yes
env = FOO=bar
command = sleep 1001
""", env=dict(os.environ, TEND_IT_MARK="dropped"))
    e = h.environ(h.one_pid(td, r"^sleep 1001$", 5))
    eq(e.get("TEND_IT_MARK"), None, "a variable of tend's environment with env-clear")
    eq(e.get("FOO"), "bar", "FOO from env")
    eq(e.get("TEND_SERVICE"), "svc", "TEND_SERVICE with env-clear")


def test_instances_get_their_full_names(t):
    td = t.tree("""
[group:web]

[service:web/worker]
instances = 2
command = sleep 100%i
""")
    e = h.environ(h.one_pid(td, r"^sleep 1001$", 5))
    eq(e.get("TEND_SERVICE"), "web/worker.1", "TEND_SERVICE of instance 1")
    eq(e.get("TEND_INSTANCE"), "1", "TEND_INSTANCE of instance 1")


def test_give_up_stops_children_in_reverse_order(t):
    td = t.tree("""
[tend]
max-restarts = 0

[group:g]
max-restarts = 0

[service:g/a]
command = sleep 1001

[service:g/b]
command = sleep 1002

[service:g/c]
command = sleep 1003

[service:g/crash]
command = sh -c 'sleep 0.3; exit 1'
""", mode="sub")
    eq(td.wait(8), 1, "exit status after the root gave up")
    stops = [e.name for e in h.log_events(td, "stop") if e.name.startswith("g/")]
    eq(stops[:3], ["g/c", "g/b", "g/a"], "order in which the group that gave up "
       "stopped its children")
    td.release()


def test_exited_simple_service_is_not_ready(t):
    # restart = never: the simple service ends in `exited`, which is not
    # ready, so its group (and the root) become not ready
    td = t.tree("""
[service:keep]
command = sleep 1001

[service:brief]
restart = never
command = sh -c 'sleep 0.3; exit 0'
""")
    h.wait_log_events(td, "ready", "(root)", 1, 5)
    mark = td.mark()
    h.wait_log_events(td, "unready", "(root)", 1, 5, start=mark)


def test_finished_oneshot_stays_ready(t):
    td = t.tree("""
[service:setup]
type = oneshot
command = true

[service:keep]
command = sleep 1001
""")
    h.one_pid(td, r"^sleep 1001$", 5)
    h.wait_log_events(td, "ready", "(root)", 1, 5)
    eq(h.log_events(td, "unready", "(root)"), [], "root unready after a oneshot finished")


def test_group_that_gave_up_is_restarted_after_its_backoff(t):
    td = t.tree("""
[group:g]
max-restarts = 0
backoff-min = 1s
backoff-jitter = 0

[service:g/x]
command = sh -c 'sleep 0.2; exit 1'
""")
    failed = h.wait_log_events(td, "failed", "g", 1, 5)[0]
    start = h.wait_log_events(td, "start", "g", 1, 5, start=failed.index)[0]
    gap = start.ts - failed.ts
    check(0.95 <= gap < 1.5, "group g restarted %.3fs after it failed; its "
          "backoff-min is 1s (jitter 0)" % gap)


def test_shutdown_timeout_shorter_than_the_drain_still_bounds_the_shutdown(t):
    td = t.tree("""
[tend]
shutdown-drain = 3s
shutdown-timeout = 1s

[service:app]
main = yes
command = sleep 1001
""")
    h.one_pid(td, r"^sleep 1001$", 5)
    t0 = time.monotonic()
    td.kill(signal.SIGTERM)
    eq(td.wait(6), 137, "exit status: the deadline SIGKILLed the main service during the drain")
    took = time.monotonic() - t0
    check(0.9 <= took < 2.0, "tend exited %.2fs after SIGTERM; shutdown-timeout is 1s "
          "(drain 3s)" % took)


def test_oneshot_that_outlives_its_start_timeout_is_a_failure(t):
    td = t.tree("""
[service:setup]
type = oneshot
start-timeout = 300ms
backoff-min = 100ms
backoff-jitter = 0
command = sleep 1001
""")
    h.wait_log_events(td, "timeout", "setup", 1, 5)
    h.wait_log_events(td, "start", "setup", 2, 5)


def test_stay_after_root_failure_then_sigterm_exits_1(t):
    td = t.tree("""
[tend]
max-restarts = 0
on-root-failure = stay

[service:crash]
command = sh -c 'sleep 0.2; exit 1'
""")
    h.wait_log_events(td, "failed", None, 1, 5)
    check(td.running(), "tend exited with on-root-failure = stay")
    td.kill(signal.SIGTERM)
    eq(td.wait(5), 1, "exit status of a requested shutdown after the root failed")


def test_main_service_gets_the_terminal_and_ctrl_c_exits_130(t):
    td = t.tree("""
[service:other]
command = sleep 1001

[service:app]
main = yes
restart = never
command = sleep 1002
""", pty=True)
    main = h.one_pid(td, r"^sleep 1002$", 5)
    other = h.one_pid(td, r"^sleep 1001$", 5)
    wait_until(lambda: h.stat(main).tpgid == main, 5,
               "the main service's group to be the terminal's foreground group")
    eq(h.stat(other).tty_nr, 0, "controlling tty of a service in its own session")
    td.write_pty(b"\x03")
    eq(td.wait(5), 130, "exit status after Ctrl-C reached the main service")


def test_restarted_main_service_gets_the_terminal_again(t):
    td = t.tree("""
[service:app]
main = yes
restart = always
backoff-min = 50ms
backoff-jitter = 0
command = sleep 1002
""", pty=True)
    first = h.one_pid(td, r"^sleep 1002$", 5)
    wait_until(lambda: h.stat(first).tpgid == first, 5,
               "the main service's group to be the terminal's foreground group")
    os.kill(first, signal.SIGKILL)
    second = h.one_pid(td, r"^sleep 1002$", 5, exclude=(first,))
    wait_until(lambda: h.stat(second).tpgid == second, 5,
               "the restarted main service's group to be the foreground group "
               "(tpgid %d, main %d)" % (h.stat(second).tpgid, second))
