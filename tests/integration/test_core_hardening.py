"""Hardening of tend itself (issue 8, part B): what a hostile start or a
lost log reader must not do to PID 1, and config mistakes caught at load.
"""
import ctypes
import json
import os
import platform
import signal
import struct
import time

from harness import Fail, check, eq, wait_until, timeout, PY
import harness as h


def _cpu_seconds(pid):
    """utime + stime of pid, in seconds."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# Exec the rest of argv with stderr a pipe that nobody reads: its only read
# end is closed before the exec.
DEAD_STDERR = r"""
import os, sys
r, w = os.pipe()
os.dup2(w, 2)
os.close(w)
os.close(r)
os.execvp(sys.argv[1], sys.argv[1:])
"""


def _assert_no_spin(t, td):
    # tend writes its first lines at once; each write now fails with EPIPE
    td.wait_until(lambda: td.running(), 5, "tend running")
    time.sleep(0.5)
    before = _cpu_seconds(td.pid)
    time.sleep(2.0)
    used = _cpu_seconds(td.pid) - before
    t.note("CPU used by tend in 2 s with a dead stderr: %.2f s (load %s)"
           % (used, os.getloadavg()))
    check(used < 0.3, "tend used %.2f s of CPU in 2 s with no reader on its stderr "
          "(a SIGPIPE storm)" % used)


def test_dead_stderr_with_v_does_not_spin_tree_mode(t):
    ini = t.write_ini("[service:s]\ncommand = sleep 1001\n")
    td = t.tend(["-v", "-c", ini], prefix=t.py("dead_stderr.py", DEAD_STDERR))
    h.one_pid(td, r"^sleep 1001$", 5)
    _assert_no_spin(t, td)
    td.kill(signal.SIGTERM)
    eq(td.wait(5), 0, "exit status after SIGTERM")


def test_dead_stderr_with_v_does_not_spin_single_mode(t):
    td = t.tend(["-v", "--", "sleep", "1001"], prefix=t.py("dead_stderr.py", DEAD_STDERR))
    td.child(5)
    _assert_no_spin(t, td)
    td.kill(signal.SIGTERM)
    eq(td.wait(5), 143, "exit status after SIGTERM (the child's 128 + 15)")


# ------------------------------------------------ closed standard fds

CLOSE_STD_FDS = ["sh", "-c", 'exec "$@" <&- >&- 2>&-', "sh"]
# the shell's own fds 0-2 ($$), written through fd 3
SHOW_FDS = ("exec 3> %s; for n in 0 1 2; do "
            "echo $n $(readlink /proc/$$/fd/$n || echo missing) >&3; done; exec 3>&-")


def _check_std_fds(t, name):
    text = t.wait_file(name, 5, "the child's list of its fds 0-2")
    t.note(text)
    for n in "012":
        check("%s /dev/null" % n in text, "fd %s of the child is not /dev/null:\n%s"
              % (n, text))


def test_closed_std_fds_become_dev_null_single_mode(t):
    out = t.path("fds")
    td = t.tend(["--", "sh", "-c", SHOW_FDS % out], prefix=CLOSE_STD_FDS)
    eq(td.wait(5), 0, "exit status")
    _check_std_fds(t, "fds")


def test_closed_std_fds_become_dev_null_tree_mode(t):
    ini = t.write_ini("[service:s]\ncommand = sh -c '%s; exec sleep 1001'\n"
                      % (SHOW_FDS % t.path("fds")))
    td = t.tend(["-c", ini], prefix=CLOSE_STD_FDS)
    h.one_pid(td, r"^sleep 1001$", 5)      # the list is complete
    _check_std_fds(t, "fds")
    td.kill(signal.SIGTERM)
    eq(td.wait(5), 0, "exit status after SIGTERM")


# ----------------------------------------------------- oneshot settling

def test_failed_oneshot_with_restart_never_holds_the_next_child_back(t):
    td = t.tree("""
[service:migrate]
type = oneshot
restart = never
command = sh -c 'exit 1'

[service:app]
command = sh -c 'echo started > %s; exec sleep 1001'
""" % t.path("app-started"))
    ev = h.wait_log_events(td, "exit", "migrate", 1, 5)
    check("exit code 1" in ev[0].msg, "migrate's exit: %r" % ev[0].msg)
    # a start of app would follow at once: give it a generous second
    time.sleep(1.0)
    check(t.read("app-started") is None, "app started after the migration failed")
    eq(h.started_ns_pids(td, "app"), [], "starts of app")
    check(td.alive(), "tend exited")
    td.kill(signal.SIGTERM)
    eq(td.wait(5), 0, "exit status after SIGTERM")


# ------------------------------------------ single mode: a failing watch

SYS_EPOLL_CTL = 233                       # x86_64
AUDIT_ARCH_X86_64 = 0xC000003E
# Install a seccomp filter, then exec the rest: epoll_ctl(ADD) fails with
# ENOSPC for every fd but 3 (tend's signalfd, the first fd it makes).
FAIL_EPOLL_ADD = r"""
import ctypes, os, struct, sys
def op(code, jt, jf, k):
    return struct.pack("HBBI", code, jt, jf, k)
LD, JEQ, JGE, RET = 0x20, 0x15, 0x35, 0x06
prog = b"".join([
    op(LD, 0, 0, 4), op(JEQ, 1, 0, 0xC000003E), op(RET, 0, 0, 0x7FFF0000),
    op(LD, 0, 0, 0), op(JEQ, 0, 5, 233),             # nr == epoll_ctl?
    op(LD, 0, 0, 24), op(JEQ, 0, 3, 1),              # op == EPOLL_CTL_ADD?
    op(LD, 0, 0, 32), op(JEQ, 1, 0, 3),              # fd == 3: allowed
    op(RET, 0, 0, 0x00050000 | 28),                  # ERRNO(ENOSPC)
    op(RET, 0, 0, 0x7FFF0000),
])
n = len(prog) // 8
buf = ctypes.create_string_buffer(prog)
fprog = struct.pack("HxxxxxxQ", n, ctypes.addressof(buf))
fbuf = ctypes.create_string_buffer(fprog)
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(38, 1, 0, 0, 0) != 0:                  # PR_SET_NO_NEW_PRIVS
    sys.exit("no_new_privs: %d" % ctypes.get_errno())
if libc.prctl(22, 2, ctypes.c_ulong(ctypes.addressof(fbuf)), 0, 0) != 0:   # SECCOMP_MODE_FILTER
    sys.exit("seccomp: %d" % ctypes.get_errno())
os.execvp(sys.argv[1], sys.argv[1:])
"""


def test_single_mode_survives_a_watch_that_cannot_be_added(t):
    if platform.machine() != "x86_64":
        t.note("skipped: the seccomp filter is written for x86_64")
        return
    td = t.tend(["--", "sh", "-c", "exit 7"], prefix=t.py("fail_epoll_add.py", FAIL_EPOLL_ADD))
    eq(td.wait(10), 7, "exit status of `tend -- sh -c 'exit 7'` with epoll_ctl(ADD) "
       "failing for all but the signalfd")


# -------------------------------------------------------- JSON log lines

def test_json_log_line_stays_one_object_when_the_message_fills_it(t):
    long_path = "/nonexistent/" + "x" * 5000
    td = t.run_tend(["--log-format", "json", "--", long_path], timeout=10)
    check(td.returncode in (126, 127), "exit status %s for a program that cannot run"
          % td.returncode)
    lines = [l for l in td.log if l.strip()]
    check(lines, "tend logged nothing")
    longest = 0
    for line in lines:
        try:
            obj = json.loads(line)
        except ValueError as e:
            raise Fail("not one JSON object (%s): %r...%r" % (e, line[:60], line[-60:]))
        check(isinstance(obj, dict) and "msg" in obj, "no msg in %r" % line[:80])
        longest = max(longest, len(line))
    check(longest > 3000, "no line carried the long message (longest %d)" % longest)


# -------------------------------------------------------------- commands

def test_empty_command_is_rejected_at_load_with_file_and_line(t):
    ini = t.write_ini('[service:a]\ncommand = ""\n')
    r = t.run([t.binary, "-t", "-c", ini])
    eq(r.returncode, 2, "exit status of tend -t for command = \"\"")
    line = next((l for l in open(ini).read().splitlines() if l.startswith("command")), None)
    number = open(ini).read().splitlines().index(line) + 1
    check("%s:%d:" % (ini, number) in r.stderr and "empty program name" in r.stderr,
          "no FILE:LINE problem for command = \"\": %r" % r.stderr)


def test_percent_other_than_i_is_kept_in_commands(t):
    out = t.path("out")
    ini = ("[service:fmt]\ntype = oneshot\n"
           "command = sh -c 'printf \"%s-%i\\n\" x > OUT; date +%s >> OUT'\n\n"
           "[service:after]\ncommand = sleep 1001\n").replace("OUT", out)
    td = t.tree(ini)
    h.one_pid(td, r"^sleep 1001$", 5)
    lines = (t.read("out") or "").split()
    t.note(repr(lines))
    eq(len(lines), 2, "lines written by the oneshot")
    eq(lines[0], "x-0", "printf's output (%s kept, %i expanded)")
    check(lines[1].isdigit(), "date +%%s printed %r" % lines[1])
    td.kill(signal.SIGTERM)
    eq(td.wait(5), 0, "exit status after SIGTERM")
