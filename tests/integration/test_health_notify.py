"""ready = notify (SPEC §2.3): the sd_notify protocol. READY=1, RELOADING=1,
STOPPING=1, STATUS=, WATCHDOG=1, WATCHDOG=trigger, EXTEND_TIMEOUT_USEC=,
MAINPID=; senders attributed by their session (a sibling or a stranger
cannot speak for a service); real systemd-notify (BARRIER=1 with an fd).

Services are driven by a small sd_notify client that sends the contents of
the files cmd.1, cmd.2, ... in its directory, in order, as they appear.
"""
import os
import shutil
import signal
import time

from harness import Fail, check, eq, wait_until, timeout
import harness as h

# notify_driver.py DIR: send DIR/cmd.N (N = 1, 2, ...) as one message each,
# once it exists; record NOTIFY_SOCKET, WATCHDOG_*, the pid in DIR/env.
DRIVER = r"""
import os, socket, sys, time
d = sys.argv[1]
os.makedirs(d, exist_ok=True)
addr = os.environ.get("NOTIFY_SOCKET", "")
with open(os.path.join(d, "env.tmp"), "w") as f:
    f.write("pid=%d\n" % os.getpid())
    for k in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"):
        f.write("%s=%s\n" % (k, os.environ.get(k, "")))
os.rename(os.path.join(d, "env.tmp"), os.path.join(d, "env"))
if addr.startswith("@"):
    addr = "\0" + addr[1:]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
n = 1
while True:
    p = os.path.join(d, "cmd.%d" % n)
    if os.path.exists(p):
        s.sendto(open(p, "rb").read(), addr)
        open(os.path.join(d, "sent.%d" % n), "w").close()
        n += 1
        continue
    time.sleep(0.01)
"""


def _driver(t, name):
    return " ".join(t.py("notify_driver.py", DRIVER) + [t.path(name)])


class Driven:
    def __init__(self, t, name):
        self.t, self.name, self.n = t, name, 0

    def send(self, text):
        self.n += 1
        self.t.write("%s/cmd.%d.tmp" % (self.name, self.n), text)
        os.rename(self.t.path(self.name, "cmd.%d.tmp" % self.n),
                  self.t.path(self.name, "cmd.%d" % self.n))
        wait_until(lambda: os.path.exists(self.t.path(self.name, "sent.%d" % self.n)), 5,
                       "message %d sent" % self.n)

    def env(self):
        text = self.t.wait_file("%s/env" % self.name)
        return dict(line.split("=", 1) for line in text.splitlines())


def _ready(t):
    return os.path.exists(t.path("run", "ready"))


def test_notify_ready_and_status(t):
    td = t.tree("""
[service:app]
command = %s
ready = notify
""" % _driver(t, "app"))
    d = Driven(t, "app")
    env = d.env()
    check(env["NOTIFY_SOCKET"] in (t.path("run", "notify"),) or env["NOTIFY_SOCKET"].startswith("@"),
          "NOTIFY_SOCKET is the socket in health-dir: %r" % env["NOTIFY_SOCKET"])
    eq(env["WATCHDOG_USEC"], "", "WATCHDOG_USEC without watchdog")
    time.sleep(0.2)
    check(not _ready(t), "not ready before READY=1")
    d.send("STATUS=warming up\n")
    td.wait_for_log(r" status app: warming up$", 5)
    check(not _ready(t), "STATUS= alone does not make it ready")
    d.send("READY=1\nSTATUS=serving")
    td.wait_for_log(r" ready app: ready after", 5)
    td.wait_for_log(r" status app: serving$", 5)
    td.wait_until(lambda: _ready(t), 5, "the ready file")


def test_reloading_and_stopping_make_it_unready(t):
    td = t.tree("""
[service:app]
command = %s
ready = notify
""" % _driver(t, "app"))
    d = Driven(t, "app")
    d.env()
    d.send("READY=1")
    td.wait_until(lambda: _ready(t), 5, "ready")
    d.send("RELOADING=1")
    td.wait_until(lambda: not _ready(t), 5, "ready gone on RELOADING=1")
    d.send("READY=1")
    td.wait_until(lambda: _ready(t), 5, "ready again on READY=1")
    d.send("STOPPING=1")
    td.wait_until(lambda: not _ready(t), 5, "ready gone on STOPPING=1")
    d.send("READY=1")
    td.wait_until(lambda: _ready(t), 5, "ready again")
    eq(len(h.started_ns_pids(td, "app")), 1, "starts of app (never restarted)")


SENDER = r"""
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.sendto(sys.argv[2].encode(), sys.argv[1])
open(sys.argv[3], "w").close()
"""


def test_sibling_and_stranger_cannot_notify(t):
    sock = t.path("run", "notify")
    sender = t.py("sender.py", SENDER)
    td = t.tree("""
[tend]
start = parallel

[service:app]
command = %s
ready = notify
start-timeout = 0

[service:sibling]
command = sh -c 'while [ ! -S %s ]; do sleep 0.01; done; %s %s "READY=1" %s; exec sleep 1001'
""" % (_driver(t, "app"), sock, " ".join(sender), sock, t.path("sibling.sent")), args=["-v"])
    d = Driven(t, "app")
    d.env()
    wait_until(
        lambda: os.path.exists(t.path("sibling.sent")), 5, "the sibling's message")
    td.wait_for_log(r"notify: message from pid \d+ ignored", 5)
    # a stranger: a process in the namespace that belongs to no service
    mark = td.mark()
    p = td.spawn_in_ns(sender + [sock, "READY=1\nMAINPID=1", t.path("stranger.sent")])
    p.wait(5)
    wait_until(lambda: os.path.exists(t.path("stranger.sent")), 5, "the stranger's message")
    td.wait_for_log(r"notify: message from pid \d+ ignored", 5, start=mark)
    # and one from outside the namespace (the test itself)
    t.run(sender + [sock, "READY=1", t.path("outside.sent")])
    check(not _ready(t) and not h.log_events(td, "ready", "app"), "app not ready from others' READY=1")
    d.send("READY=1")
    td.wait_for_log(r" ready app: ready after", 5)


def test_mainpid_outside_the_session_is_ignored(t):
    td = t.tree("""
[service:app]
command = %s
ready = notify
""" % _driver(t, "app"))
    d = Driven(t, "app")
    d.env()
    d.send("MAINPID=1\nREADY=1")
    td.wait_for_log(r"MAINPID=1 ignored", 5)
    td.wait_for_log(r" ready app: ready after", 5)


@timeout(40)
def test_systemd_notify(t):
    if shutil.which("systemd-notify") is None:
        t.note("SKIP: systemd-notify is not installed (apt-get install systemd)")
        return
    td = t.tree("""
[service:app]
command = sh -c 'systemd-notify --ready --status="up and running" && exec sleep 1001; exec sleep 1002'
ready = notify
""")
    td.wait_for_log(r" ready app: ready after", 5)
    td.wait_for_log(r" status app: up and running$", 5)
    # systemd-notify waits until the fd it sent with BARRIER=1 is closed:
    # closed at once, it returns at once (and succeeded: sleep 1001).
    pid = h.one_pid(td, r"^sleep 1001$", 3)
    check(pid, "systemd-notify returned")
    # had tend kept the fd, systemd-notify would have waited for its 5 s
    # barrier timeout before the exec
    started = h.log_events(td, "start", "app")[0].ts
    execd = time.time()
    check(execd - started < 4, "systemd-notify returned %.3fs after the start" % (execd - started))
    td.wait_until(lambda: _ready(t), 5, "the ready file")


def test_watchdog(t):
    drv = _driver(t, "app")
    # sent as soon as the driver runs (a Python start may take a while
    # under load; the watchdog runs from the process's start)
    t.write("app/cmd.1", "READY=1\nWATCHDOG=1")
    td = t.tree("""
[service:app]
command = %s
ready = notify
watchdog = 2s
backoff-min = 0
""" % drv)
    d = Driven(t, "app")
    d.n = 1
    env = d.env()
    eq(env["WATCHDOG_USEC"], "2000000", "WATCHDOG_USEC")
    eq(env["WATCHDOG_PID"], env["pid"], "WATCHDOG_PID is the service's pid")
    wait_until(lambda: os.path.exists(t.path("app", "sent.1")), 10, "the first message")
    # kept alive by WATCHDOG=1 for longer than the period
    end = time.monotonic() + 3.0
    while time.monotonic() < end:
        d.send("WATCHDOG=1")
        time.sleep(0.3)
    check(not h.log_events(td, "watchdog", "app"), "no watchdog while WATCHDOG=1 comes")
    first = env["pid"]
    td.wait_for_log(r" watchdog app: no WATCHDOG=1 within 2000 ms", 5)
    td.wait_for_log(r" exit app: pid %s killed by SIGABRT" % first, 3)
    h.wait_log_events(td, "start", "app", 2, 5)


def test_watchdog_trigger(t):
    td = t.tree("""
[service:app]
command = %s
ready = notify
watchdog = 30s
backoff-min = 0
""" % _driver(t, "app"))
    d = Driven(t, "app")
    pid = d.env()["pid"]
    d.send("READY=1")
    td.wait_for_log(r" ready app: ready after", 5)
    mark = td.mark()
    d.send("WATCHDOG=trigger")
    td.wait_for_log(r" exit app: pid %s killed by SIGABRT" % pid, 2, start=mark)
    h.wait_log_events(td, "start", "app", 2, 5)


def test_extend_timeout(t):
    # The first message is there before the service starts: the driver
    # sends it as soon as it runs.
    t.write("app/cmd.1", "EXTEND_TIMEOUT_USEC=8000000")
    td = t.tree("""
[service:app]
command = %s
ready = notify
start-timeout = 2s
""" % _driver(t, "app"))
    d = Driven(t, "app")
    d.n = 1
    wait_until(lambda: os.path.exists(t.path("app", "sent.1")), 10, "EXTEND_TIMEOUT_USEC sent")
    started = h.wait_log_events(td, "start", "app", 1)[0].ts
    # past the start-timeout of 2 s, within the extension
    wait_until(lambda: time.time() > started + 3.0, 10, "3 s after the start")
    check(not h.log_events(td, "timeout", "app"), "no start timeout after EXTEND_TIMEOUT_USEC")
    d.send("READY=1")
    td.wait_for_log(r" ready app: ready after", 5)
    eq(len(h.started_ns_pids(td, "app")), 1, "starts")


def test_abstract_socket_when_health_dir_is_unwritable(t):
    t.write("blocker", "a file, not a directory\n")
    td = t.tree("""
[tend]
health-dir = %s

[service:app]
command = %s
ready = notify
""" % (t.path("blocker", "run"), _driver(t, "app")))
    d = Driven(t, "app")
    env = d.env()
    check(env["NOTIFY_SOCKET"].startswith("@"), "an abstract NOTIFY_SOCKET: %r" % env["NOTIFY_SOCKET"])
    d.send("READY=1")
    td.wait_for_log(r" ready app: ready after", 5)
