"""The control socket's transport (SPEC §6, doc/PROTOCOL.md): how the socket
is made and cleaned up, the wire protocol spoken raw, tendctl's own exit
codes, credentials, the event stream, and hostile clients that must not
reach PID 1's supervision or its fds.  What each command does is tested in
test_ctl_commands.py."""
import json
import os
import select
import socket
import stat
import subprocess
import threading
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
    t.request(b"tend/1 events\n", socket=path)
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
    t.request(b"tend/1 events\n")  # it listens only once mode and group are set
    st = os.lstat(path)
    eq(stat.S_IMODE(st.st_mode), 0o660, "socket-mode")
    eq(st.st_gid, 4242, "the socket's group")
    td.kill(15)
    td.wait()


def test_admin_group_is_the_file_group_when_alone(t):
    td = t.tree("[tend]\nsocket-mode = 0660\nadmin-group = 4343\n\n" + SLEEPER)
    path = _wait_socket(t)
    t.request(b"tend/1 events\n")
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
    # A stranger in a loop: every request refused, the log not flooded.
    loop = ("import socket\n"
            "codes = set()\n"
            "for i in range(200):\n"
            "    s = socket.socket(socket.AF_UNIX); s.connect(%r)\n"
            "    try:\n"
            "        s.sendall(b'tend/1 stop sleeper\\n')\n"
            "    except BrokenPipeError:\n"
            "        pass  # refused before the request was read: the reply waits\n"
            "    codes.add(s.makefile('rb').readline().split()[1]); s.close()\n"
            "print(sorted(codes))\n" % _sock(t))
    mark = td.mark()
    r = td.exec(["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups",
                 "python3", "-c", loop])
    eq((r.returncode, r.stdout.strip()), (0, "[b'3']"), "200 refusals (%r)" % r.stderr)
    started = time.monotonic()
    wait_until(lambda: time.monotonic() - started > 1.1, 3, "a second")
    eq(_ctl_as_nobody(t, td, ["status"]).returncode, 3, "one more")
    line = td.wait_for_log(r"more refusals not logged", 5, start=mark)
    logged = sum(1 for l in td.log[mark:] if "control socket: refused" in l)
    check(logged <= 6, "at most one refusal logged a second (%d)" % logged)


def test_strangers_cannot_hold_the_client_places(t):
    # 128 connections of a stranger that send nothing: each is refused at
    # once (not after the 5 s a request may take), so root still gets in.
    _open_socket_dir(t)
    td = t.tree("[tend]\nsocket-mode = 0666\n\n" + SLEEPER)
    _wait_socket(t)
    holder = ("import socket, sys, time\n"
              "held, codes = [], set()\n"
              "for i in range(128):\n"
              "    s = socket.socket(socket.AF_UNIX); s.connect(%r); s.settimeout(2)\n"
              "    codes.add(s.makefile('rb').readline().split()[1]); held.append(s)\n"
              "print(sorted(codes), flush=True)\n"
              "time.sleep(20)\n" % _sock(t))
    p = td.spawn_in_ns(["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups",
                        "python3", "-c", holder], stdout=subprocess.PIPE)
    ready = select.select([p.stdout], [], [], 10)[0]
    check(ready, "the stranger's 128 connections answered within 10 s")
    eq(p.stdout.readline().strip(), b"[b'3']", "each refused at once, without a request")
    r = t.ctl(td, ["status"])
    eq(r.returncode, 0, "root's status while the stranger holds 128 connections (%r)" % r.stderr)
    p.kill()


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
        eq(r.returncode, 0, "a socket-group member's status (%r)" % r.stderr)
        check("sleeper" in r.stdout, "status shows the service: %r" % r.stdout)
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
    ev = t.events(td)
    r = _ctl_as_nobody(t, td, ["stop", "sleeper"], groups="4343")
    eq(r.returncode, 0, "an admin-group member's stop (%r)" % r.stderr)
    ev.wait_service("sleeper", "state", "stopped")
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
            # The root group (name "") is not ready while its child is down.
            root = ev.wait_for(lambda e: e["kind"] == "group" and e["name"] == ""
                               and e["event"] == "ready" and not e["ready"], 5, "the root")
            eq(root["detail"], "not ready", "the root's readiness event")
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
            ev.wait_for(lambda l: " group (root) ready up ready=no restarts=0: not ready" in l,
                        5, "the root in text")
        ev.close()


def test_events_subscriber_leaving_is_forgotten(t):
    td = t.tree(CRASHER)
    _wait_socket(t)
    baseline = _fd_count(td)
    streams = [t.events(td) for _ in range(5)]
    eq(_fd_count(td), baseline + 5, "five subscribers, five sockets")
    for s in streams:
        s.close()
    td.wait_until(lambda: _fd_count(td) == baseline, 5, "sockets back to the baseline")


# ------------------------------------------------------------ hostile clients

def _crasher_restarts(t):
    """The crash loop's restart count, read over the raw protocol."""
    started = time.monotonic()
    code, body = t.request(b"tend/1 status loop/crasher --json\n", timeout=2)
    latency = time.monotonic() - started
    eq(code, 0, "status code (%r)" % body[:200])
    services = json.loads(body)["services"]
    return services[0]["restarts"], latency


def _pace(t, seconds):
    """Restarts per second of the crash loop over a window, asking status
    every 50 ms meanwhile (each answer must come within 1 s)."""
    first, _ = _crasher_restarts(t)
    started = time.monotonic()
    worst = 0.0
    asked = 0
    while time.monotonic() - started < seconds:
        count, latency = _crasher_restarts(t)
        worst = max(worst, latency)
        asked += 1
        time.sleep(0.05)
    last, _ = _crasher_restarts(t)
    check(worst < 1.0, "status answered within 1 s (worst %.3f s)" % worst)
    return (last - first) / (time.monotonic() - started), worst, asked


def _fd_links(td):
    """What tend's open fds are (readlink of each; one that closed meanwhile
    is left out)."""
    links = []
    for fd in h.fds(td.pid):
        try:
            links.append(os.readlink("/proc/%d/fd/%d" % (td.pid, fd)))
        except OSError:
            pass
    return links


def _fd_count(td):
    """tend's sockets: the listening one and its clients (the pipes of a
    crash-looping service's spawns come and go, so they are not counted)."""
    return sum(1 for link in _fd_links(td) if link.startswith("socket:"))


def _cpu_ticks(td):
    with open("/proc/%d/stat" % td.pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def _fds_but_pipes(td):
    """tend's fds but pipes: a crash-looping service's spawns open and
    close pipes all the time (none at tend's start, before its first
    spawn); what a client could leak (a socket, a timer) is counted."""
    return sum(1 for link in _fd_links(td) if not link.startswith("pipe:"))


@h.timeout(60)
def test_client_limit_is_128(t):
    td = t.tree(CRASHER)
    _wait_socket(t)
    baseline = _fd_count(td)
    idle = [h.connect_socket(_sock(t)) for _ in range(128)]
    td.wait_until(lambda: _fd_count(td) == baseline + 128, 5, "128 clients accepted")
    # The 129th is accepted and closed at once: EOF, not a wait.
    extra = h.connect_socket(_sock(t))
    started = time.monotonic()
    extra.settimeout(2)
    eq(extra.recv(100), b"", "the 129th client is closed")
    check(time.monotonic() - started < 1.0, "closed at once")
    extra.close()
    r = t.ctl(td, ["status"])
    eq(r.returncode, 3, "tendctl as the 129th")
    check("closed without a reply (too many clients?)" in r.stderr, r.stderr)
    eq(_fd_count(td), baseline + 128, "fds with 128 clients")
    td.wait_for_log(r"128 clients connected; refusing more", 2)
    for sock in idle[:10]:
        sock.close()
    td.wait_until(lambda: _fd_count(td) == baseline + 118, 5, "10 clients gone")
    # Room again: a request is answered while 118 idle clients wait.
    code, _ = t.request(b"tend/1 status\n")
    eq(code, 0, "status with 118 idle clients")
    for sock in idle[10:]:
        sock.close()
    td.wait_until(lambda: _fd_count(td) == baseline, 5, "fds back to %d" % baseline)


SPAMMER = h.NOTIFY_CLIENT + r"""
import time
sock = notify_socket()
sock.send(b"READY=1")
n = 0
while True:
    n += 1
    try:
        sock.send(b"STATUS=" + b"x" * 200 + str(n).encode())
    except OSError:
        pass
    time.sleep(0.002)
"""


def _many_idle_services(count):
    return "".join("[service:idle/s%04d]\ncommand = sleep 1000\nautostart = no\n\n" % i
                   for i in range(count))


@h.timeout(90)
def test_hostile_clients_during_crash_loop(t):
    # 3000 services that never start make `status --json` about 0.5 MB:
    # more than a socket buffer, so a client that does not read it holds
    # a reply tend must not wait for.
    td = t.tree(CRASHER + "\n[group:idle]\nautostart = no\n\n" + _many_idle_services(3000))
    _wait_socket(t)
    baseline, all_baseline = _fd_count(td), _fds_but_pipes(td)
    td.wait_until(lambda: _crasher_restarts(t)[0] >= 3, 10, "the crash loop to run")
    code, big = t.request(b"tend/1 status --json\n", timeout=10)
    eq(code, 0, "status --json")
    check(len(big) > 400000, "a large status (%d bytes)" % len(big))
    quiet_pace, quiet_worst, _ = _pace(t, 3)
    t.note("pace without hostile clients: %.1f restarts/s, status worst %.3f s"
           % (quiet_pace, quiet_worst))
    check(quiet_pace > 3, "the crash loop restarts (%.1f/s)" % quiet_pace)

    hostile = []
    # 100 idle connections.
    hostile += [h.connect_socket(_sock(t)) for _ in range(100)]
    # An events subscriber that never reads.
    lazy = h.connect_socket(_sock(t))
    lazy.sendall(b"tend/1 events\n")
    hostile.append(lazy)
    # Two clients asking for the large status and never reading it.
    for _ in range(2):
        sock = h.connect_socket(_sock(t))
        sock.sendall(b"tend/1 status --json\n")
        hostile.append(sock)
    # Random bytes, with and without a newline.
    for n in (100, 3000, 4096, 70000):
        sock = h.connect_socket(_sock(t))
        try:
            sock.sendall(os.urandom(n))
        except OSError:
            pass  # refused while sending: fine
        hostile.append(sock)
    # 1 MiB without a newline: refused after 4 KiB, never buffered whole.
    flood = h.connect_socket(_sock(t))
    flood.settimeout(5)
    started = time.monotonic()
    try:
        flood.sendall(b"x" * (1 << 20))
        raise Fail("tend took 1 MiB without a newline")
    except (BrokenPipeError, ConnectionResetError):
        pass
    check(time.monotonic() - started < 2, "the flood was cut at once")
    hostile.append(flood)

    busy_pace, busy_worst, asked = _pace(t, 3)
    t.note("pace with hostile clients: %.1f restarts/s, status worst %.3f s, %d asked"
           % (busy_pace, busy_worst, asked))
    check(busy_pace >= 0.6 * quiet_pace,
          "the crash loop keeps its pace: %.1f/s with hostile clients, %.1f/s without"
          % (busy_pace, quiet_pace))
    check(td.running(), "tend runs")
    for sock in hostile:
        sock.close()
    td.wait_until(lambda: _fd_count(td) == baseline, 10,
                  "tend's sockets back to the baseline %d" % baseline)
    # All fds but the crash loop's pipes, which come and go.
    td.wait_until(lambda: _fds_but_pipes(td) == all_baseline, 5,
                  "tend's fds but pipes back to the baseline %d" % all_baseline)


@h.timeout(40)
def test_silent_client_dropped_after_5s(t):
    td = t.tree(SLEEPER)
    _wait_socket(t)
    baseline = _fd_count(td)
    silent = h.connect_socket(_sock(t))
    partial = h.connect_socket(_sock(t))
    partial.sendall(b"tend/1 stat")  # never finished
    started = time.monotonic()
    for sock in (silent, partial):
        sock.settimeout(8)
        eq(sock.recv(100), b"", "dropped without a reply")
    took = time.monotonic() - started
    check(4.5 <= took < 7, "dropped after 5 s (%.2f s)" % took)
    td.wait_until(lambda: _fd_count(td) == baseline, 2, "fds back to the baseline")


@h.timeout(40)
def test_client_not_reading_a_large_reply_is_dropped(t):
    td = t.tree(SLEEPER + "\n[group:idle]\nautostart = no\n\n" + _many_idle_services(3000))
    _wait_socket(t)
    baseline = _fd_count(td)
    lazy = h.connect_socket(_sock(t))
    lazy.sendall(b"tend/1 status --json\n")
    td.wait_until(lambda: _fd_count(td) == baseline + 1, 2, "the client accepted")
    # Once the reply has begun (the request is read), more bytes that tend
    # never reads: they must not wake it while it waits for room.
    readable, _, _ = select.select([lazy], [], [], 5)
    check(readable, "the reply began")
    lazy.sendall(b"and more")
    started, cpu = time.monotonic(), _cpu_ticks(td)
    td.wait_until(lambda: _fd_count(td) == baseline, 10, "the non-reader dropped")
    took = time.monotonic() - started
    check(took > 3.5, "dropped after no progress for 5 s, not before (%.2f s)" % took)
    used = (_cpu_ticks(td) - cpu) / os.sysconf("SC_CLK_TCK")
    check(used < 0.3, "tend idle while it waited (%.2f s of CPU in %.1f s)" % (used, took))
    # What it gets when it reads at last: the start of the reply, then EOF.
    lazy.settimeout(5)
    data = b""
    while True:
        try:
            chunk = lazy.recv(1 << 16)
        except ConnectionResetError:  # it closed with our "and more" unread
            break
        if not chunk:
            break
        data += chunk
    check(data.startswith(b"tend/1 0 "), "the reply began: %r" % data[:30])
    length = int(data.split(b"\n", 1)[0].split()[2])
    check(len(data) < length, "cut short (%d of %d bytes)" % (len(data), length))


@h.timeout(40)
def test_events_subscriber_that_does_not_read_is_dropped(t):
    td = t.tree("[service:spammer]\nready = notify\ncommand = %s\n"
                % " ".join(t.py("spammer.py", SPAMMER)))
    _wait_socket(t)
    td.wait_for_log(r"ready spammer", 5)
    baseline = _fd_count(td)
    # A reader that keeps up, in a thread, beside one that never reads.
    reader = t.events(td)
    numbers, errors, stop = [], [], threading.Event()

    def read():
        try:
            while not stop.is_set():
                e = reader.next(5)
                if e["kind"] == "service" and e["event"] == "status":
                    numbers.append(int(e["detail"].lstrip("x")))
        except Exception as e:  # reported below
            errors.append(e)
    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    lazy = h.connect_socket(_sock(t))
    lazy.sendall(b"tend/1 events --json\n")
    td.wait_until(lambda: _fd_count(td) == baseline + 2, 2, "two subscribers")
    td.wait_for_log(r"dropped the events subscriber", 20)
    eq(_fd_count(td), baseline + 1, "only the reader is left")
    count = len(numbers)
    wait_until(lambda: len(numbers) > count + 100 or errors, 5, "the reader to go on")
    stop.set()
    thread.join(6)
    check(not errors, "the reader was not dropped: %s" % errors)
    eq(numbers, list(range(numbers[0], numbers[0] + len(numbers))),
       "the reader got every status event, in order")
    eq(sum(1 for line in td.log if "dropped the events subscriber" in line), 1,
       "one subscriber dropped")


def test_idle_tend_with_socket_makes_no_wakeups(t):
    td = t.tree("[tend]\nheartbeat = 0\n\n" + SLEEPER)
    _wait_socket(t)
    code, _ = t.request(b"tend/1 status\n")
    eq(code, 0, "status")
    subscriber = t.events(td)  # an idle subscriber costs no timer either
    time.sleep(0.2)

    def switches():
        return int(h.status(td.pid)["voluntary_ctxt_switches"])
    before = switches()
    time.sleep(1.5)
    after = switches()
    eq(after - before, 0, "wake-ups of an idle tend with its socket open over 1.5 s")
    subscriber.close()


def test_half_closed_clients(t):
    """A client that shuts down its sending side (socat, nc) after its
    request: a request without the final newline is still answered, and an
    events subscriber keeps its stream until it closes for good."""
    td = t.tree(SLEEPER)
    _wait_socket(t)
    sock = h.connect_socket(_sock(t))
    sock.sendall(b"tend/1 status --json")
    sock.shutdown(socket.SHUT_WR)
    code, body = h.read_reply(sock)
    eq(code, 0, "status without a newline, then EOF")
    eq(json.loads(body)["services"][0]["name"], "sleeper", "the reply")
    sock.close()
    sub = h.connect_socket(_sock(t))
    sub.sendall(b"tend/1 events --json\n")
    sub.shutdown(socket.SHUT_WR)
    eq(h.read_reply(sub), (0, None), "the stream header")
    baseline = _fd_count(td)
    r = t.ctl(td, ["restart", "sleeper"])
    eq(r.returncode, 0, "restart (%r)" % r.stderr)
    sub.settimeout(5)
    data = b""
    while b'"state":"running"' not in data:
        chunk = sub.recv(65536)
        check(chunk, "the half-closed subscriber still gets events (%r)" % data[-200:])
        data += chunk
    eq(_fd_count(td), baseline, "it is still connected")
    sub.close()
    td.wait_until(lambda: _fd_count(td) == baseline - 1, 5, "its close noticed")


@h.timeout(40)
def test_out_of_fds_pauses_accepting_without_spinning(t):
    """EMFILE on accept (tend's fd limit is low here): tend pauses accepting
    for a second at a time instead of spinning on the readable socket, and
    takes clients again once fds are free."""
    td = t.tree(SLEEPER, prefix=["prlimit", "--nofile=24:24", "--"])
    _wait_socket(t)
    eq(t.request(b"tend/1 status\n")[0], 0, "status")
    clients = [h.connect_socket(_sock(t)) for _ in range(40)]  # the backlog holds them
    td.wait_for_log(r"cannot accept a client: Too many open files; pausing", 5)
    mark, cpu, started = td.mark(), _cpu_ticks(td), time.monotonic()
    wait_until(lambda: time.monotonic() - started > 2.5, 5, "2.5 s with fds exhausted")
    used = (_cpu_ticks(td) - cpu) / os.sysconf("SC_CLK_TCK")
    check(used < 0.3, "no spinning: %.2f s of CPU in 2.5 s" % used)
    pauses = sum(1 for line in td.log[mark:] if "pausing accepts" in line)
    check(pauses <= 4, "one pause a second, not a flood of them (%d)" % pauses)
    for sock in clients:
        sock.close()
    code, body = t.request(b"tend/1 status\n", timeout=5)
    eq(code, 0, "status once fds are free (%r)" % body)
    check(td.running(), "tend runs")


STATUS_SENDER = h.NOTIFY_CLIENT + r"""
import sys, time
sock = notify_socket()
sock.send(b"READY=1")
open(sys.argv[1], "w").write("up")
while not os.path.exists(sys.argv[2]):
    time.sleep(0.01)
sock.send(b'STATUS=a"b\\c\x7fd \xc3\xa9 \xf0\x9f\x98\x80 \xff \xc2\x9b end')
time.sleep(1000)
"""


def test_events_escape_what_services_send(t):
    """A STATUS= with quotes, a backslash, DEL, UTF-8, a byte that is not
    UTF-8 and a C1 control (CSI): valid JSON with the text intact (U+FFFD
    for the bad byte), and a text line with no control character."""
    td = t.tree("[service:talker]\nready = notify\ncommand = %s\n"
                % " ".join(t.py("talker.py", STATUS_SENDER) + [t.path("up"), t.path("go")]))
    t.wait_file("up", 5)
    as_json, as_text = t.events(td), t.events(td, json_form=False)
    t.write("go", "")
    e = as_json.wait_service("talker", "status")
    eq(e["detail"], 'a"b\\c\x7fd \u00e9 \U0001F600 \ufffd \u009b end', "the JSON detail")
    line = as_text.wait_for(lambda l: " service talker status " in l, 5, "the text line")
    check(line.endswith(': a"b\\c?d \u00e9 \U0001F600 ? ? end'), repr(line))
    check(not any(ord(ch) < 0x20 or 0x7f <= ord(ch) < 0xa0 for ch in line), repr(line))


def test_tendctl_events_until_tend_exits(t):
    """`tendctl events` prints each line as it comes (stdout a pipe) and
    exits 0 when tend closes the stream at its exit."""
    # mode sub: the namespace outlives tend, so tendctl (inside it) sees
    # the end of the stream instead of being killed with the namespace.
    td = t.tree(SLEEPER, mode="sub")
    _wait_socket(t)
    td.wait_until(lambda: td.pid, 10, "tend's pid")  # found before tendctl runs too
    ev = t.events(td)  # to know when tendctl's own subscription is in place
    proc = td.spawn_in_ns([t.binary, "ctl", "-s", _sock(t), "events"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    wait_until(lambda: _fd_count(td) >= 3, 5, "tendctl subscribed")
    r = t.ctl(td, ["restart", "sleeper"])
    eq(r.returncode, 0, "restart")
    ev.wait_service("sleeper", "state", "running")
    # The lines arrive while tend still runs: read them before it exits.
    out = b""
    deadline = time.monotonic() + 5
    while b" service sleeper state running " not in out:
        check(time.monotonic() < deadline, "tendctl printed %r" % out)
        ready, _, _ = select.select([proc.stdout], [], [], 0.2)
        if ready:
            out += os.read(proc.stdout.fileno(), 65536)
    check(b" service sleeper state stopping " in out, out)
    r = t.ctl(td, ["shutdown"])
    eq(r.returncode, 0, "shutdown")
    eq(proc.wait(10), 0, "tendctl events exits 0 when tend exits")
    rest = proc.stdout.read().decode()
    check(" tend shutdown" in rest and " tend exit: exit status 0" in rest, rest)


@h.timeout(40)
def test_tendctl_events_dropped_says_so(t):
    """`tendctl events` whose stdout nobody reads falls behind, tend drops
    it, and once its output is read it says why the stream ended and exits
    3 instead of 0 as if tend had exited."""
    td = t.tree("[service:spammer]\nready = notify\ncommand = %s\n"
                % " ".join(t.py("spammer.py", SPAMMER)))
    _wait_socket(t)
    td.wait_for_log(r"ready spammer", 5)
    proc = td.spawn_in_ns([t.binary, "ctl", "-s", _sock(t), "events"],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    td.wait_for_log(r"dropped the events subscriber", 25)
    out = b""
    deadline = time.monotonic() + 10
    while proc.poll() is None:  # drain its stdout so it can end
        check(time.monotonic() < deadline, "tendctl events did not end")
        ready, _, _ = select.select([proc.stdout], [], [], 0.2)
        if ready:
            out += os.read(proc.stdout.fileno(), 65536)
    eq(proc.returncode, 3, "a dropped tendctl events exits 3")
    err = proc.stderr.read().decode()
    check("the event stream ended before tend exited" in err, err)
    check(b" service spammer status " in out, "it printed the events it got")
    check(td.running(), "tend runs on")


def test_reload_applies_socket_mode_and_groups(t):
    _open_socket_dir(t)
    ini = t.write_ini(SLEEPER)
    td = t.tree(ini)
    path = _wait_socket(t)
    t.request(b"tend/1 events\n")
    r = _ctl_as_nobody(t, td, ["status"], gid=4242)
    eq(r.returncode, 3, "uid 65534 on a 0600 socket")
    check("Permission denied" in r.stderr, r.stderr)
    t.write_ini("[tend]\nsocket-mode = 0666\nsocket-group = 4242\n\n" + SLEEPER)
    r = t.ctl(td, ["reload"])
    eq(r.returncode, 0, "reload (%r)" % r.stderr)
    st = os.lstat(path)
    eq((stat.S_IMODE(st.st_mode), st.st_gid), (0o666, 4242), "mode and group after the reload")
    r = _ctl_as_nobody(t, td, ["status"], gid=4242)
    eq(r.returncode, 0, "a socket-group member after the reload (%r)" % r.stderr)
    r = _ctl_as_nobody(t, td, ["stop", "sleeper"], gid=4242)
    eq(r.returncode, 3, "still read-only")
    # The group removed again: the file goes back to tend's group, the
    # member is a stranger again.
    t.write_ini("[tend]\nsocket-mode = 0666\n\n" + SLEEPER)
    eq(t.ctl(td, ["reload"]).returncode, 0, "second reload")
    eq(os.lstat(path).st_gid, os.getegid(), "the socket's group after socket-group is gone")
    r = _ctl_as_nobody(t, td, ["status"], gid=4242)
    eq(r.returncode, 3, "no longer allowed")
    check("no socket-group or admin-group is set" in r.stderr, r.stderr)


def test_events_of_groups_and_tend(t):
    td = t.tree("[group:web]\n\n[service:web/app]\ncommand = sleep 1000\n", mode="sub")
    _wait_socket(t)
    ev = t.events(td)
    text = t.events(td, json_form=False)
    eq(t.ctl(td, ["stop", "web"]).returncode, 0, "stop web")
    ready = ev.wait_for(lambda e: e["kind"] == "group" and e["name"] == "web"
                        and e["event"] == "ready" and not e["ready"], 5, "web not ready")
    eq((ready["ready"], ready["detail"]), (False, "not ready"), "web's readiness event")
    eq(set(ready), {"ts", "kind", "name", "event", "state", "ready", "restarts", "detail"},
       "a group event's fields")
    stopped = ev.wait_for(lambda e: e["kind"] == "group" and e["name"] == "web"
                          and e["event"] == "state" and e["state"] == "stopped", 5, "web stopped")
    eq(stopped["ready"], False, "ready")
    text.wait_for(lambda l: " group web state stopped ready=no restarts=0" in l, 5, "text")
    eq(t.ctl(td, ["shutdown"]).returncode, 0, "shutdown")
    shutdown = ev.wait_for(lambda e: e["kind"] == "tend" and e["event"] == "shutdown", 5,
                           "tend shutdown")
    eq(set(shutdown), {"ts", "kind", "event", "detail"}, "a tend event's fields")
    check(shutdown["detail"], "the shutdown says why: %s" % shutdown)
    ev.wait_for(lambda e: e["kind"] == "tend" and e["event"] == "stopping", 5, "stopping")
    end = ev.wait_for(lambda e: e["kind"] == "tend" and e["event"] == "exit", 5, "tend exit")
    eq(end["detail"], "exit status 0", "the exit event")
    text.wait_for(lambda l: l.endswith(" tend exit: exit status 0"), 5, "the text exit line")
    eq(td.wait(10), 0, "tend's exit status")
