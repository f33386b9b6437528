"""The control socket's transport (SPEC §6, doc/PROTOCOL.md): how the socket
is made and cleaned up, the wire protocol spoken raw, tendctl's own exit
codes, credentials, the event stream, and hostile clients that must not
reach PID 1's supervision or its fds.  What each command does is tested in
test_ctl_commands.py."""
import json
import os
import socket
import stat
import time

from harness import Fail, check, eq, wait_until
import harness as h

SLEEPER = "[service:sleeper]\ncommand = sleep 1000\n"


def _sock(t):
    return t.path("tend.sock")


def _wait_socket(t, path=None, timeout=5.0):
    path = path or _sock(t)
    wait_until(lambda: os.path.exists(path) and stat.S_ISSOCK(os.lstat(path).st_mode),
               timeout, "the control socket %s" % path)
    return path


def test_socket_made_in_missing_directory(t):
    path = t.path("run/deep/er/tend.sock")
    td = t.tree("[tend]\nsocket = %s\n\n%s" % (path, SLEEPER))
    _wait_socket(t, path)
    mode = os.lstat(path).st_mode
    eq(stat.S_IMODE(mode), 0o600, "default socket-mode")
    eq(stat.S_IMODE(os.stat(t.path("run/deep/er")).st_mode), 0o755, "directory mode")
    code, body = t.request(b"tend/1 events\n", socket=path)
    eq((code, body), (0, None), "events reply over the socket")
    td.kill(15)
    eq(td.wait(), 0, "tend's exit status")
    check(not os.path.exists(path), "the socket is removed at exit")


def test_socket_mode_and_group(t):
    td = t.tree("[tend]\nsocket-mode = 0660\nsocket-group = 4242\n\n" + SLEEPER)
    path = _wait_socket(t)
    st = os.lstat(path)
    eq(stat.S_IMODE(st.st_mode), 0o660, "socket-mode")
    eq(st.st_gid, 4242, "the socket's group")
    td.kill(15)
    td.wait()


def test_admin_group_is_the_file_group_when_alone(t):
    td = t.tree("[tend]\nsocket-mode = 0660\nadmin-group = 4343\n\n" + SLEEPER)
    path = _wait_socket(t)
    eq(os.lstat(path).st_gid, 4343, "the socket's group (admin-group)")
    td.kill(15)
    td.wait()


def test_stale_socket_replaced(t):
    path = _sock(t)
    # A socket nobody listens on: what a tend killed by SIGKILL leaves.
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(path)
    dead.close()
    td = t.tree(SLEEPER)
    td.wait_for_log(r"removed the stale control socket", 5)
    code, _ = t.request(b"tend/1 events\n")
    eq(code, 0, "the new socket answers")


def test_second_tend_on_live_socket_refused(t):
    first = t.tree(SLEEPER)
    _wait_socket(t)
    t.request(b"tend/1 events\n")
    marker = t.path("second-started")
    ini = t.write_ini("[tend]\nsocket = %s\n\n[service:x]\ncommand = touch %s\n"
                      % (_sock(t), marker), name="second.ini")
    second = t.tend(["-c", ini])
    eq(second.wait(10), 1, "the second tend's exit status")
    check(any("another tend is running" in line for line in second.log),
          "a clear message: %s" % second.log[-3:])
    check(not os.path.exists(marker), "the second tend started nothing")
    code, _ = t.request(b"tend/1 events\n")
    eq(code, 0, "the first tend still answers")
    check(first.running(), "the first tend still runs")


def test_path_that_is_not_a_socket_is_kept(t):
    path = t.path("not-a-socket")
    t.write("not-a-socket", "precious\n")
    td = t.tree("[tend]\nsocket = %s\n\n%s" % (path, SLEEPER))
    eq(td.wait(10), 1, "tend refuses to start")
    check(any("is not a socket" in line for line in td.log), "says why: %s" % td.log[-3:])
    eq(t.read("not-a-socket"), "precious\n", "the file is untouched")


def test_socket_none(t):
    td = t.tree("[tend]\nsocket = none\n\n" + SLEEPER)
    td.wait_for_log(r"start sleeper", 5)
    check(not os.path.exists(_sock(t)), "no socket with socket = none")
    targets = []
    for fd in h.fds(td.pid):
        try:
            targets.append(os.readlink("/proc/%d/fd/%d" % (td.pid, fd)))
        except OSError:
            pass
    # A listening socket shows as socket:[INODE] like any other: none of
    # tend's fds may be a socket bound to our path.
    check(not os.path.exists(_sock(t)), "still no socket")
    with open("/proc/net/unix") as f:
        check(_sock(t) not in f.read(), "no socket bound to %s" % _sock(t))


def test_tendctl_unreachable_is_3(t):
    r = t.run([t.binary, "ctl", "-s", t.path("nothing.sock"), "status"])
    eq(r.returncode, 3, "exit status with no socket")
    eq(r.stderr, "tendctl: cannot reach tend at %s: No such file or directory\n"
       % t.path("nothing.sock"), "message")
    eq(r.stdout, "", "stdout")
    # A socket file nobody listens on: refused.
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(t.path("dead.sock"))
    dead.close()
    r = t.run([t.binary, "ctl", "-s", t.path("dead.sock"), "status"])
    eq(r.returncode, 3, "exit status on a refused connection")
    check("Connection refused" in r.stderr, r.stderr)
    # $TEND_SOCKET names it when -s does not.
    env = dict(os.environ, TEND_SOCKET=t.path("env.sock"))
    r = t.run([t.binary, "ctl", "tree"], env=env)
    eq(r.returncode, 3, "exit status")
    check(t.path("env.sock") in r.stderr, "TEND_SOCKET used: %s" % r.stderr)


def test_tendctl_usage_errors_are_2(t):
    sock = t.path("nothing.sock")  # usage is checked before connecting
    for args in (["bogus"], ["start"], ["stop"], ["restart"], ["signal"],
                 ["signal", "TERM"], ["tree", "x"], ["reload", "x"], ["events", "x"],
                 ["metrics", "--json"], ["status", "--bogus"], []):
        r = t.run([t.binary, "ctl", "-s", sock] + args)
        eq(r.returncode, 2, "exit status of tendctl %s" % args)
        check(r.stderr.startswith("tendctl: "), "a usage message for %s: %r" % (args, r.stderr))
        eq(r.stdout, "", "stdout for %s" % args)
    r = t.run([t.binary, "ctl", "-s"])
    eq(r.returncode, 2, "-s without a value")
    r = t.run([t.binary, "ctl", "--help"])
    eq(r.returncode, 0, "--help")
    for command in ("status", "tree", "start", "stop", "restart", "signal", "reload",
                    "shutdown", "events", "metrics", "probe"):
        check(command in r.stdout, "--help lists %s" % command)


def test_raw_protocol(t):
    t.tree(SLEEPER)
    _wait_socket(t)
    # A bad version, an empty request, a control byte: code 2 with a reason.
    for data, words in ((b"tend/9 status\n", b"unsupported protocol version"),
                        (b"\n", b"empty request"),
                        (b"tend/1\n", b"empty request"),
                        (b"tend/1 sta\x1btus\n", b"control")):
        code, body = t.request(data)
        eq(code, 2, "code for %r" % data)
        check(words in body, "message for %r: %r" % (data, body))
        check(body.endswith(b"\n"), "a body ends with a newline")
    # A request over 4 KiB: refused with 2.
    code, body = t.request(b"tend/1 status " + b"a" * 5000 + b"\n")
    eq(code, 2, "code for a request over 4 KiB")
    check(b"too long" in body, body)
    # The longest request that fits (4096 bytes with the newline) is read.
    line = b"tend/1 status " + b"a" * (4096 - 15) + b"\n"
    eq(len(line), 4096, "request length")
    code, body = t.request(line)
    check(code != 2 or b"too long" not in body, "4096 bytes are not too long: %r" % body[:80])
    # Sent in pieces, with \r\n: still one request.
    sock = h.connect_socket(_sock(t))
    for piece in (b"te", b"nd/1 ev", b"ents\r", b"\n"):
        sock.sendall(piece)
        time.sleep(0.01)
    eq(h.read_reply(sock), (0, None), "events in pieces")
    sock.close()


def _ctl_as_nobody(t, td, args, gid=65534, groups=None):
    argv = [t.binary, "ctl", "-s", _sock(t)] + args
    if groups:
        pre = ["setpriv", "--reuid", "65534", "--regid", str(gid), "--groups", groups]
    else:
        pre = ["setpriv", "--reuid", "65534", "--regid", str(gid), "--clear-groups"]
    return td.exec(pre + argv)


def _open_socket_dir(t):
    os.chmod(t.tmp, 0o755)


def test_credentials_stranger_refused(t):
    _open_socket_dir(t)
    td = t.tree("[tend]\nsocket-mode = 0666\n\n" + SLEEPER)
    _wait_socket(t)
    r = _ctl_as_nobody(t, td, ["status"])
    eq(r.returncode, 3, "a stranger's status")
    check("permission denied: uid 65534" in r.stderr, r.stderr)
    r = _ctl_as_nobody(t, td, ["stop", "sleeper"])
    eq(r.returncode, 3, "a stranger's stop")
    r = _ctl_as_nobody(t, td, ["events"])
    eq(r.returncode, 3, "a stranger's events")


def test_credentials_socket_group_reads_only(t):
    _open_socket_dir(t)
    td = t.tree("[tend]\nsocket-mode = 0666\nsocket-group = 4242\n\n" + SLEEPER)
    _wait_socket(t)
    r = _ctl_as_nobody(t, td, ["status"])
    eq(r.returncode, 3, "not in socket-group")
    check("not in socket-group '4242'" in r.stderr, r.stderr)
    # Its primary group, then a supplementary one: either counts.
    for gid, groups in ((4242, None), (65534, "4242")):
        r = _ctl_as_nobody(t, td, ["status"], gid=gid, groups=groups)
        check(r.returncode != 3 and "permission denied" not in r.stderr,
              "a socket-group member may read: %s %r" % (r.returncode, r.stderr))
        r = _ctl_as_nobody(t, td, ["stop", "sleeper"], gid=gid, groups=groups)
        eq(r.returncode, 3, "a socket-group member's stop")
        check("may only use read-only commands" in r.stderr, r.stderr)
        r = _ctl_as_nobody(t, td, ["shutdown"], gid=gid, groups=groups)
        eq(r.returncode, 3, "a socket-group member's shutdown")
    check(td.running(), "tend still runs")


def test_credentials_admin_group_may_stop(t):
    _open_socket_dir(t)
    td = t.tree("[tend]\nsocket-mode = 0666\nsocket-group = 4242\nadmin-group = 4343\n\n"
                + SLEEPER)
    _wait_socket(t)
    r = _ctl_as_nobody(t, td, ["stop", "sleeper"], groups="4343")
    check(r.returncode != 3 and "permission denied" not in r.stderr,
          "an admin-group member may stop: %s %r" % (r.returncode, r.stderr))
    r = _ctl_as_nobody(t, td, ["stop", "sleeper"], groups="4242")
    eq(r.returncode, 3, "a socket-group member may not")
    check("not in admin-group '4343'" in r.stderr, r.stderr)


CRASHER = """[group:loop]
max-restarts = 1000000
restart-period = 1s

[service:loop/crasher]
command = sh -c "sleep 0.05; exit 3"
backoff-min = 0
backoff-jitter = 0
"""


def test_events_show_a_crash_loop_in_order(t):
    t.tree(CRASHER)
    _wait_socket(t)
    for json_form in (True, False):
        ev = t.events(None, json_form=json_form)
        if json_form:
            start = ev.wait_service("loop/crasher", "state", "starting")
            check(isinstance(start["pid"], int) and start["pid"] > 0, "a pid: %s" % start)
            ev.wait_service("loop/crasher", "state", "running")
            exited = ev.wait_service("loop/crasher", "exit")
            check("exit code 3" in exited["detail"], exited)
            ev.wait_service("loop/crasher", "state", "stopped")
            restart = ev.wait_service("loop/crasher", "restart")
            check("in 0 ms" in restart["detail"] and "exit code 3" in restart["detail"],
                  restart)
            backoff = ev.wait_service("loop/crasher", "state", "backoff")
            eq(backoff["restarts"], restart["restarts"], "restarts")
            again = ev.wait_service("loop/crasher", "state", "starting")
            check(again["pid"] != start["pid"], "a new pid")
            keys = {"ts", "kind", "name", "event", "state", "pid", "ready", "health",
                    "restarts", "detail"}
            eq(set(start), keys, "a service event's fields")
        else:
            line = ev.wait_for(lambda l: " service loop/crasher exit " in l, 5, "an exit line")
            check(line.endswith("exit code 3 after " + line.rsplit(" after ", 1)[1]), line)
            line = ev.wait_for(lambda l: " service loop/crasher restart " in l, 5, "restart")
            check(": restart " in line and " in 0 ms after exit code 3" in line, line)
            ev.wait_for(lambda l: " service loop/crasher state backoff " in l, 5, "backoff")
            line = ev.wait_for(lambda l: " service loop/crasher state starting " in l, 5,
                               "starting")
            check(" pid=" in line and "ready=no" in line, line)
        ev.close()


def test_events_subscriber_leaving_is_forgotten(t):
    td = t.tree(CRASHER)
    _wait_socket(t)
    baseline = len(h.fds(td.pid))
    streams = [t.events(td) for _ in range(5)]
    eq(len(h.fds(td.pid)), baseline + 5, "five subscribers, five fds")
    for s in streams:
        s.close()
    td.wait_until(lambda: len(h.fds(td.pid)) == baseline, 5, "fds back to the baseline")
