"""Building blocks for tend's integration tests (Python 3, stdlib only).

A test is a plain function ``test_NAME(t)`` in ``tests/integration/test_*.py``;
``t`` is a :class:`T`, the per-test context.  The runner (``run``) executes
every test in a forked process of its own with a fresh temporary directory
and a deadline, and afterwards SIGKILLs, by pid, every process the test left
behind (the runner is a child subreaper, so orphans come back to it).

Ways to start tend (``t.tend(args, mode=...)``):

``pid1`` (default)
    ``unshare --pid --fork --mount-proc --kill-child TEND ARGS``: tend is
    PID 1 of a fresh PID namespace (the container case).  ``Tend.wait()``
    returns unshare's exit status, which is tend's exit code; when tend
    itself dies *by a signal* unshare prints an error and returns 1, so
    assert on death-by-signal through ``Tend.pid`` (``alive()``), not the code.
``sub``
    tend runs as an ordinary process (not PID 1, so it must act as a child
    subreaper), but inside a PID namespace whose PID 1 is a tiny launcher
    (``nslauncher.py``).  The namespace is only a blast shield: if tend ever
    did ``kill(-1, ...)`` outside PID 1, it could reach no process of the
    shared machine.  The launcher reports tend's exact wait status (so
    ``returncode`` is negative for death by a signal, like Popen), then keeps
    the namespace alive (reaping orphans) until ``Tend.release()`` or the
    test ends, so survivors can be inspected after tend exited.
``host``
    tend runs directly as a child of the test.  Avoid it for anything that
    could signal other processes.

Everything that waits takes a deadline and raises :class:`Fail` on timeout;
there is no bare sleep-and-hope.
"""

import errno
import json
import os
import re
import shutil
import signal
import socket as socketlib
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
LAUNCHER = os.path.join(HERE, "nslauncher.py")
PY = sys.executable or "/usr/bin/python3"

DEFAULT_TIMEOUT = 30.0          # seconds per test (runner-enforced)


class Fail(Exception):
    """A test failure with a one-line reason."""


class Skip(Exception):
    """The test cannot run here (an optional program is missing): the
    runner prints `skip NAME: reason` and counts it as passed."""


# ---------------------------------------------------------------- decorators

def timeout(seconds):
    """Decorator: give one test a different per-test deadline."""
    def deco(fn):
        fn.timeout = float(seconds)
        return fn
    return deco


# ---------------------------------------------------------------- assertions

def check(cond, msg="check failed"):
    if not cond:
        raise Fail(msg)
    return cond


def eq(actual, expected, what="value"):
    if actual != expected:
        raise Fail("%s: expected %r, got %r" % (what, expected, actual))
    return actual


def wait_until(cond, timeout=5.0, what="condition", interval=0.01):
    """Poll cond() until it returns a truthy value (which is returned);
    raise Fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() >= deadline:
            raise Fail("timed out after %.1fs waiting for %s" % (timeout, what))
        time.sleep(interval)


# ---------------------------------------------------------------- environment

_ns_problem = "not checked"


def ns_problem():
    """None if `unshare --pid --fork --mount-proc` works here, else a reason."""
    global _ns_problem
    if _ns_problem != "not checked":
        return _ns_problem
    if os.geteuid() != 0:
        _ns_problem = "needs root for unshare --pid (euid %d)" % os.geteuid()
    elif not shutil.which("unshare") or not shutil.which("nsenter"):
        _ns_problem = "needs unshare and nsenter (util-linux) in PATH"
    else:
        try:
            r = subprocess.run(["unshare", "--pid", "--fork", "--mount-proc",
                                "--kill-child", "true"],
                               stdin=subprocess.DEVNULL, capture_output=True,
                               timeout=10)
            _ns_problem = None if r.returncode == 0 else (
                "unshare --pid --fork --mount-proc true failed (%d): %s"
                % (r.returncode, r.stderr.decode(errors="replace").strip()))
        except (OSError, subprocess.TimeoutExpired) as e:
            _ns_problem = "unshare --pid unusable: %s" % e
    return _ns_problem


def tend_binary():
    b = os.environ.get("TEND_BINARY")
    if not b:
        b = os.path.join(HERE, "..", "..", "src", "tend")
    return os.path.abspath(b)


def tend_srcdir():
    return os.path.abspath(os.environ.get("TEND_SRCDIR") or os.path.join(HERE, "..", ".."))


def is_tini(binary=None):
    return os.path.basename(os.path.realpath(binary or tend_binary())) == "tini"


# ---------------------------------------------------------------- /proc

class Stat:
    """Fields of /proc/PID/stat (host pid numbers)."""
    __slots__ = ("pid", "comm", "state", "ppid", "pgrp", "session",
                 "tty_nr", "tpgid")

    def __init__(self, pid, comm, state, ppid, pgrp, session, tty_nr, tpgid):
        self.pid, self.comm, self.state, self.ppid = pid, comm, state, ppid
        self.pgrp, self.session, self.tty_nr, self.tpgid = pgrp, session, tty_nr, tpgid

    def __repr__(self):
        return "<%d %s %s ppid=%d pgrp=%d sid=%d tpgid=%d>" % (
            self.pid, self.comm, self.state, self.ppid, self.pgrp,
            self.session, self.tpgid)


def _read(path, mode="r"):
    try:
        with open(path, mode) as f:
            return f.read()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    except OSError as e:
        if e.errno in (errno.ESRCH, errno.ENOENT, errno.EACCES):
            return None
        raise


def stat(pid):
    """Stat of pid, or None when it does not exist."""
    s = _read("/proc/%d/stat" % pid)
    if not s:
        return None
    l, r = s.index("("), s.rindex(")")
    f = s[r + 2:].split()
    return Stat(pid, s[l + 1:r], f[0], int(f[1]), int(f[2]), int(f[3]),
                int(f[4]), int(f[5]))


def status(pid):
    """/proc/PID/status as a dict of strings (empty when gone)."""
    s = _read("/proc/%d/status" % pid) or ""
    d = {}
    for line in s.splitlines():
        k, _, v = line.partition(":")
        d[k] = v.strip()
    return d


def sigmask(pid, field):
    """Integer value of SigBlk / SigIgn / SigCgt / SigPnd / ShdPnd."""
    v = status(pid).get(field)
    if v is None:
        raise Fail("no %s for pid %d (gone?)" % (field, pid))
    return int(v, 16)


def signals_in(mask):
    """Names of the signals set in a /proc mask."""
    out = []
    for n in range(1, 65):
        if mask & (1 << (n - 1)):
            try:
                out.append(signal.Signals(n).name)
            except ValueError:
                out.append(str(n))
    return out


def exists(pid):
    return os.path.exists("/proc/%d" % pid)


def alive(pid):
    """Exists and is not a zombie."""
    s = stat(pid)
    return s is not None and s.state not in ("Z", "X")


def cmdline(pid):
    s = _read("/proc/%d/cmdline" % pid, "rb")
    if not s:
        return []
    return [a.decode(errors="replace") for a in s.rstrip(b"\0").split(b"\0")]


def exe(pid):
    try:
        return os.readlink("/proc/%d/exe" % pid)
    except OSError:
        return None


def environ(pid):
    s = _read("/proc/%d/environ" % pid, "rb")
    if s is None:
        raise Fail("cannot read environ of pid %d" % pid)
    d = {}
    for item in s.split(b"\0"):
        if item:
            k, _, v = item.decode(errors="replace").partition("=")
            d[k] = v
    return d


def fds(pid):
    try:
        return sorted(int(x) for x in os.listdir("/proc/%d/fd" % pid))
    except OSError:
        raise Fail("cannot list fds of pid %d" % pid)


# The start of a service script (Python) that speaks sd_notify: it defines
# notify_socket(), a datagram socket connected to $NOTIFY_SOCKET (a name
# starting with @ is in the abstract namespace).
NOTIFY_CLIENT = r"""
import os, socket
def notify_socket():
    address = os.environ["NOTIFY_SOCKET"]
    if address.startswith("@"):
        address = "\0" + address[1:]
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.connect(address)
    return sock
"""


def wait_fds(pid, want, what, timeout=5.0):
    """Wait until pid has exactly the fds `want`; else fail with the ones it
    has. A program's own start may hold an fd for a moment (the dynamic
    loader opens each library as fd 3, maps it, closes it), while an fd it
    was handed stays open."""
    deadline = time.monotonic() + timeout
    have = fds(pid)
    while have != want and time.monotonic() < deadline:
        time.sleep(0.01)
        have = fds(pid)
    eq(have, want, what)


def pid_ns(pid):
    try:
        return os.readlink("/proc/%d/ns/pid" % pid)
    except OSError:
        return None


def nspid(pid):
    """Pid numbers of pid from the host namespace inwards (NSpid line)."""
    return [int(x) for x in status(pid).get("NSpid", "").split()]


def all_pids():
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def children(pid):
    """Direct children of pid (via ppid, so it sees every thread's children)."""
    out = []
    for p in all_pids():
        s = stat(p)
        if s and s.ppid == pid:
            out.append(p)
    return sorted(out)


def descendants(pid):
    """All descendants of pid, parents before children."""
    kids = {}
    for p in all_pids():
        s = stat(p)
        if s:
            kids.setdefault(s.ppid, []).append(p)
    out, todo = [], [pid]
    while todo:
        cur = todo.pop(0)
        for c in sorted(kids.get(cur, [])):
            out.append(c)
            todo.append(c)
    return out


def ns_members(ns):
    """Host pids of every process in PID namespace `ns` (a readlink value)."""
    return sorted(p for p in all_pids() if pid_ns(p) == ns)


def kill_quiet(pid, sig=signal.SIGKILL):
    try:
        os.kill(pid, sig)
        return True
    except (ProcessLookupError, PermissionError):
        return False


# ---------------------------------------------------------------- processes

class _Reader(threading.Thread):
    """Collect the lines of a pipe (or bytes of a pty master) into a list."""

    def __init__(self, fd, lines=True):
        super().__init__(daemon=True)
        self.fd, self.lines_mode = fd, lines
        self.lines, self.data = [], bytearray()
        self.done = False
        self.start()

    def run(self):
        buf = b""
        try:
            while True:
                try:
                    chunk = os.read(self.fd, 65536)
                except OSError:      # EIO from a pty master: slave side gone
                    break
                if not chunk:
                    break
                self.data += chunk
                if self.lines_mode:
                    buf += chunk
                    while b"\n" in buf:
                        line, buf = buf.split(b"\n", 1)
                        self.lines.append(line.decode(errors="replace"))
            if buf:
                self.lines.append(buf.decode(errors="replace"))
        finally:
            self.done = True
            try:
                os.close(self.fd)
            except OSError:
                pass


class Tend:
    """A running tend (or what was started in its place)."""

    def __init__(self, t, args, mode, argv, popen, stderr, stdout, master,
                 binary, status_file, hold_file):
        self.t, self.args, self.mode, self.argv = t, args, mode, argv
        self.proc = popen
        self._stderr, self._stdout, self.master = stderr, stdout, master
        self.binary = binary
        self.status_file, self.hold_file = status_file, hold_file
        self.started = time.monotonic()
        self.ended = None
        self._pid = None
        self._init = None
        self._ns = None
        self._rc = None
        self._gone_seen = None

    # -- identity
    @property
    def pid(self):
        """Host pid of tend (waits up to 5 s for it to have exec'd)."""
        if self._pid is None:
            self._pid = self.find_pid(5.0)
        return self._pid

    def find_pid(self, timeout=5.0, interval=0.005):
        if self.mode == "host":
            return self.proc.pid
        want = os.path.realpath(self.binary)

        def look():
            if self.mode == "pid1":
                # tend is unshare's (only) child, once it has exec'd
                for c in children(self.proc.pid):
                    if exe(c) == want:
                        return c
                return None
            init = self.init_pid_now()
            if init:
                for c in children(init):
                    if exe(c) == want:
                        return c
            return None
        return self.wait_until(look, timeout, "tend's host pid (exe %s)" % want,
                               interval)

    def init_pid_now(self):
        if self._init is None:
            cs = children(self.proc.pid)
            if cs:
                self._init = cs[0]
        return self._init

    @property
    def init_pid(self):
        """Host pid of the namespace's PID 1 (tend in pid1 mode)."""
        if self.mode == "pid1":
            return self.pid
        if self.mode == "host":
            raise Fail("no namespace in host mode")
        return wait_until(self.init_pid_now, 5.0, "namespace init")

    @property
    def ns(self):
        if self._ns is None:
            self._ns = pid_ns(self.init_pid if self.mode != "host" else self.pid)
        return self._ns

    # -- logs
    @property
    def log(self):
        """tend's stderr, as a list of lines (unshare's own errors included)."""
        return self._stderr.lines if self._stderr else []

    @property
    def out(self):
        """stdout lines (pty output lines in pty mode)."""
        return self._stdout.lines if self._stdout else []

    @property
    def pty_output(self):
        return bytes(self._stdout.data) if self._stdout else b""

    def log_text(self):
        return "\n".join(self.log)

    def mark(self):
        """Current number of log lines: pass it as wait_for_log(start=...) to
        match only what is logged after this point."""
        return len(self.log)

    def _gone(self):
        """None while tend may still produce output; else a description of
        its end (its exit seen and its stderr read to the end)."""
        if self.mode == "sub":
            if not os.path.exists(self.status_file) and self.proc.poll() is None:
                return None
        elif self.proc.poll() is None:
            return None
        now = time.monotonic()
        if self._gone_seen is None:
            self._gone_seen = now
        if self._stderr is not None and not self._stderr.done and now - self._gone_seen < 0.3:
            return None
        if self.mode == "sub":
            st = _read(self.status_file) or "(no status)"
            return "tend exited %s" % st.strip()
        return "tend exited (%s status %s)" % (
            "unshare" if self.mode == "pid1" else "exit", self.proc.returncode)

    def wait_until(self, cond, timeout=5.0, what="condition", interval=0.01):
        """wait_until() that fails at once, with the last log lines, when tend
        has exited (so a test whose tend died does not sit out its deadline)."""
        def look():
            v = cond()
            if v:
                return v
            gone = self._gone()
            if gone:
                v = cond()
                if v:
                    return v
                raise Fail("%s while waiting for %s; last log lines: %s"
                           % (gone, what, self.log[-3:]))
            return v
        return wait_until(look, timeout, what, interval)

    def wait_for_log(self, regex, timeout=5.0, start=0):
        """First stderr line (from index `start`) matching regex -> re.Match."""
        rx = re.compile(regex)

        def look():
            lines = self.log
            for line in lines[start:]:
                m = rx.search(line)
                if m:
                    return m
            return None
        return self.wait_until(look, timeout, "log line /%s/" % regex)

    def write_pty(self, data):
        if self.master is None:
            raise Fail("tend was not started with pty=True")
        os.write(self.master, data)

    # -- signals and state
    def kill(self, sig):
        os.kill(self.pid, sig)

    def alive(self):
        return alive(self.pid)

    def children(self):
        return children(self.pid)

    def child(self, timeout=5.0, exe_path=None, cmdline=None):
        """Host pid of tend's first child; with exe_path, wait until it has
        exec'd that program; with cmdline, until its argv matches that regex.
        /proc/PID/exe names the new program a moment before execve closes
        the close-on-exec fds; the name (comm) changes from tend's after
        that: the exec is waited for until then."""
        want = os.path.realpath(exe_path) if exe_path else None
        rx = re.compile(cmdline) if cmdline else None
        mine = stat(self.pid)

        def look():
            for c in children(self.pid):
                if want is not None and exe(c) != want:
                    continue
                if want is not None and mine is not None and (stat(c) or mine).comm == mine.comm:
                    continue
                if rx is not None and not rx.search(" ".join(globals()["cmdline"](c))):
                    continue
                return c
            return None
        return self.wait_until(look, timeout, "tend's child%s" % (
            " running %s" % exe_path if exe_path else ""))

    def ns_pids(self):
        """Host pids of every process in tend's PID namespace (in host mode:
        tend and its descendants)."""
        if self.mode == "host":
            return [self.pid] + descendants(self.pid)
        return ns_members(self.ns)

    def procs(self):
        return [s for s in (stat(p) for p in self.ns_pids()) if s]

    def zombies(self):
        return [s for s in self.procs() if s.state == "Z"]

    def pids_by_cmdline(self, regex):
        """Host pids in the namespace whose space-joined argv matches regex."""
        rx = re.compile(regex)
        return [p for p in self.ns_pids() if rx.search(" ".join(cmdline(p)))]

    def host_pid(self, ns_pid):
        """Host pid of the process that has pid ns_pid inside the namespace."""
        for p in self.ns_pids():
            n = nspid(p)
            if n and n[-1] == ns_pid:
                return p
        return None

    def tree(self):
        """Readable process tree of the namespace (for failure messages)."""
        procs = {s.pid: s for s in self.procs()}
        lines = []

        def walk(pid, depth):
            s = procs.get(pid)
            lines.append("%s%d %s %s" % ("  " * depth, pid, s.state if s else "?",
                                         " ".join(cmdline(pid)) or (s.comm if s else "")))
            for c in sorted(p for p, x in procs.items() if x.ppid == pid):
                walk(c, depth + 1)
        roots = [p for p, s in procs.items() if s.ppid not in procs]
        for r in sorted(roots):
            walk(r, 0)
        return "\n".join(lines)

    def exec(self, argv, timeout=10.0, **kw):
        """Run argv inside the namespace, as `docker exec` would (nsenter);
        returns subprocess.CompletedProcess (text).  Output is captured, so
        it also waits for background processes that keep stdout open (pass
        stdout=subprocess.DEVNULL, stderr=... to avoid that)."""
        return self.t.nsenter(self.init_pid, argv, timeout=timeout, **kw)

    def spawn_in_ns(self, argv, **kw):
        """Start argv inside the namespace (nsenter), not waiting: returns the
        nsenter Popen; .ns_child(p) gives the host pid of the process."""
        return self.t.spawn(["nsenter", "-t", str(self.init_pid), "-p", "-m"]
                            + list(argv), **kw)

    # -- exit
    def running(self):
        if self.mode == "sub":
            return not os.path.exists(self.status_file) and self.proc.poll() is None
        return self.proc.poll() is None

    def wait(self, timeout=10.0):
        """Wait for tend to exit; return its exit code (negative: killed by
        that signal, known exactly in sub and host mode only)."""
        if self._rc is not None:
            return self._rc
        if self.mode == "sub":
            def done():
                if os.path.exists(self.status_file):
                    return True
                return self.proc.poll() is not None
            try:
                wait_until(done, timeout, "tend to exit")
            except Fail:
                raise Fail("tend did not exit within %.1fs" % timeout)
            st = _read(self.status_file)
            if not st:
                raise Fail("launcher exited (%s) without tend's status; log: %s"
                           % (self.proc.returncode, self.log[-3:]))
            st = json.loads(st)
            self._rc = st["code"] if st["signal"] is None else -st["signal"]
        else:
            try:
                self._rc = self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                raise Fail("tend did not exit within %.1fs" % timeout)
        self.ended = time.monotonic()
        # let the readers drain what is left
        for r in (self._stderr, self._stdout):
            if r is not None:
                r.join(1.0 if self.mode != "sub" else 0.05)
        return self._rc

    @property
    def returncode(self):
        return self._rc

    @property
    def elapsed(self):
        """Seconds from start to the observed exit."""
        return (self.ended or time.monotonic()) - self.started

    def killed_by_signal_in_pid1(self):
        """pid1 mode heuristic: unshare reports a signal death as exit 1
        plus an error line of its own."""
        return self._rc == 1 and any(l.startswith("unshare:") for l in self.log)

    def release(self):
        """sub mode: let the launcher (and with it the namespace) end."""
        if self.hold_file:
            try:
                os.unlink(self.hold_file)
            except FileNotFoundError:
                pass

    def stop(self):
        """Kill everything this started (by pid)."""
        pids = []
        if self._pid:
            pids.append(self._pid)
        if self._init:
            pids.append(self._init)
        for p in pids:
            kill_quiet(p)
        if self.proc.poll() is None:
            kill_quiet(self.proc.pid)
        try:
            self.proc.wait(5)
        except subprocess.TimeoutExpired:
            pass
        self.release()


class T:
    """Per-test context: a fresh temp dir and tracking of started processes."""

    def __init__(self, name, tmp, binary=None, srcdir=None):
        self.name, self.tmp = name, tmp
        self.binary = binary or tend_binary()
        self.srcdir = srcdir or tend_srcdir()
        self.tends, self.procs, self.streams = [], [], []
        self.notes = []            # extra lines shown when the test fails
        self.tini = is_tini(self.binary)

    # -- files
    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def write(self, name, text, mode=0o644):
        p = self.path(name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "w") as f:
            f.write(text)
        os.chmod(p, mode)
        return p

    def script(self, name, text):
        """An executable file (give it a #! line)."""
        return self.write(name, text, 0o755)

    def py(self, name, code):
        """A Python script; returns the argv that runs it."""
        return [PY, self.write(name, code)]

    def read(self, name, default=None):
        v = _read(self.path(name))
        return default if v is None else v

    def wait_file(self, name, timeout=5.0, what=None):
        """Wait until file `name` exists and is non-empty; return its text."""
        p = self.path(name)
        return wait_until(lambda: _read(p), timeout, what or "file %s" % name)

    def note(self, text):
        self.notes.append(str(text))

    # -- processes
    def spawn(self, argv, **kw):
        """subprocess.Popen, tracked for cleanup (stdin defaults to /dev/null)."""
        kw.setdefault("stdin", subprocess.DEVNULL)
        p = subprocess.Popen(argv, **kw)
        self.procs.append(p)
        return p

    def run(self, argv, timeout=10.0, **kw):
        """subprocess.run with a deadline; output captured as text."""
        kw.setdefault("stdin", subprocess.DEVNULL)
        kw.setdefault("capture_output", True)
        try:
            return subprocess.run(argv, timeout=timeout, text=True, **kw)
        except subprocess.TimeoutExpired:
            raise Fail("%s did not finish within %.1fs" % (argv, timeout))

    def nsenter(self, target, argv, timeout=10.0, **kw):
        return self.run(["nsenter", "-t", str(target), "-p", "-m"] + list(argv),
                        timeout=timeout, **kw)

    def tend(self, args, mode="pid1", env=None, pass_fds=(), pty=False,
             stdin=None, binary=None, cwd=None, stderr_to_pty=False,
             prefix=(), kill_child=True):
        """Start tend with `args` (a list); see the module doc for `mode`.

        env: variables added to (value None: removed from) the environment.
        pty: stdin and stdout are a new pty, made the controlling terminal of
             a new session (`setsid --ctty`), like `docker run -it`; stderr
             stays a pipe unless stderr_to_pty.  Write with write_pty().
        binary: run this file instead of TEND_BINARY (e.g. a tendctl link).
        kill_child: pass --kill-child to unshare (pid1/sub), so tend gets
             SIGKILL when unshare dies; False to test `-p`.
        prefix: argv that execs the rest (e.g. a wrapper script, `prlimit
             --nofile=N --`): tend is found once it has exec'd.
        """
        binary = binary or self.binary
        if mode not in ("pid1", "sub", "host"):
            raise ValueError(mode)
        if mode != "host":
            prob = ns_problem()
            if prob:
                raise Fail(prob)
        if not os.access(binary, os.X_OK):
            raise Fail("tend binary not executable: %s (set TEND_BINARY)" % binary)
        args = list(args)
        if mode == "sub" and is_tini(binary) and "-s" not in args:
            args = ["-s"] + args       # tini needs -s to be a subreaper
        prefix = list(prefix)
        status_file = hold_file = None
        unshare = ["unshare", "--pid", "--fork", "--mount-proc"] + (
            ["--kill-child"] if kill_child else [])
        if mode == "pid1":
            argv = unshare + prefix + [binary] + args
        elif mode == "sub":
            n = len(self.tends)
            status_file = self.path(".tend-status-%d" % n)
            hold_file = self.path(".tend-hold-%d" % n)
            open(hold_file, "w").close()
            argv = unshare + [PY, LAUNCHER, status_file, hold_file, "--"] + prefix + [binary] + args
        else:
            argv = prefix + [binary] + args
        e = dict(os.environ)
        for k, v in (env or {}).items():
            if v is None:
                e.pop(k, None)
            else:
                e[k] = v
        master = None
        kw = dict(env=e, cwd=cwd or self.tmp, pass_fds=tuple(pass_fds),
                  stderr=subprocess.PIPE)
        if pty:
            master, slave = os.openpty()
            # setsid(1) does not fork (a Popen child is no group leader), so
            # the Popen pid stays unshare's; --ctty makes the pty (stdin) the
            # controlling terminal of the new session.
            argv = ["setsid", "--ctty"] + argv
            kw.update(stdin=slave, stdout=slave)
            if stderr_to_pty:
                kw["stderr"] = slave
        else:
            kw.update(stdin=stdin if stdin is not None else subprocess.DEVNULL,
                      stdout=subprocess.PIPE)
        popen = subprocess.Popen(argv, **kw)
        self.procs.append(popen)
        if pty:
            os.close(slave)
            out = _Reader(os.dup(master), lines=True)
        else:
            out = _Reader(os.dup(popen.stdout.fileno()))
            popen.stdout.close()
        err = None
        if popen.stderr is not None:
            err = _Reader(os.dup(popen.stderr.fileno()))
            popen.stderr.close()
        td = Tend(self, args, mode, argv, popen, err, out, master, binary,
                  status_file, hold_file)
        self.tends.append(td)
        return td

    def run_tend(self, args, timeout=10.0, **kw):
        """Start tend, wait for it to exit; returns the Tend (see .returncode,
        .out, .log)."""
        td = self.tend(args, **kw)
        td.wait(timeout)
        return td

    # -- tree mode
    def write_ini(self, text, name="tend.ini", isolate=True):
        """Write an INI file into the temp dir and return its path.  With
        isolate, `socket` and `health-dir` default to files in the temp dir
        (so parallel runs on one machine never share /run/tend)."""
        if isolate:
            extra = []
            if not re.search(r"(?m)^\s*socket\s*=", text):
                extra.append("socket = %s" % self.path("tend.sock"))
            if not re.search(r"(?m)^\s*health-dir\s*=", text):
                extra.append("health-dir = %s" % self.path("run"))
            if extra:
                m = re.search(r"(?m)^\s*\[tend\]\s*$", text)
                if m:
                    text = text[:m.end()] + "\n" + "\n".join(extra) + text[m.end():]
                else:
                    text = "[tend]\n" + "\n".join(extra) + "\n\n" + text
        return self.write(name, text)

    def tree(self, ini, args=(), mode="pid1", **kw):
        """Start `tend -c FILE ARGS` (as PID 1 by default).  `ini` is INI text
        (written with write_ini) or the path of an existing file."""
        path = ini if os.path.exists(ini) and "\n" not in ini else self.write_ini(ini)
        return self.tend(["-c", path] + list(args), mode=mode, **kw)

    def ctl(self, tend, args, socket=None, timeout=10.0):
        """Run `TEND ctl -s SOCKET ARGS` inside tend's namespace."""
        sock = socket or self.path("tend.sock")
        return tend.exec([self.binary, "ctl", "-s", sock] + list(args), timeout=timeout)

    def events(self, tend, json_form=True, socket=None, timeout=5.0):
        """Subscribe to tend's event stream (`events [--json]` on the control
        socket, spoken from the test process): an EventStream whose waits
        all have deadlines.  Returns once tend has answered the
        subscription, so every event after this call is seen."""
        stream = EventStream(socket or self.path("tend.sock"), json_form, timeout)
        self.streams.append(stream)
        return stream

    def request(self, data, socket=None, timeout=5.0):
        """Send raw bytes on the control socket and read the reply: returns
        (code, body bytes) of `tend/1 CODE LENGTH`, (code, None) for a
        stream."""
        return raw_request(socket or self.path("tend.sock"), data, timeout)

    # -- cleanup
    def cleanup(self):
        for stream in self.streams:
            stream.close()
        for td in self.tends:
            try:
                td.stop()
            except Exception:
                pass
            if td.master is not None:
                try:
                    os.close(td.master)
                except OSError:
                    pass
        for p in self.procs:
            if p.poll() is None:
                kill_quiet(p.pid)
                try:
                    p.wait(5)
                except subprocess.TimeoutExpired:
                    pass

    def diagnostics(self):
        lines = list(self.notes)
        for i, td in enumerate(self.tends):
            log = td.log[-8:]
            if log:
                lines.append("tend#%d %s stderr (last %d lines):" % (i, td.args, len(log)))
                lines += ["  " + l for l in log]
        return lines


# ------------------------------------------------- tree mode: status --json

def status_json(t, td, *names):
    """`tendctl status --json [NAME...]` inside td's namespace, parsed; a
    non-zero exit fails the test with tendctl's output."""
    r = t.ctl(td, ["status", "--json"] + list(names))
    if r.returncode != 0:
        raise Fail("status --json %s exited %d: %s"
                   % (" ".join(names), r.returncode, (r.stdout or "") + (r.stderr or "")))
    return json.loads(r.stdout)


def by_name(items):
    """{name: object} of a status document's "services" or "groups"."""
    return {x["name"]: x for x in items}


def services_of(doc):
    """{name: service} of a status --json document."""
    return by_name(doc["services"])


def groups_of(doc):
    """{name: group} of a status --json document."""
    return by_name(doc["groups"])


def ctl_output(r):
    """What a tendctl run printed, stdout then stderr (for messages)."""
    return (r.stdout or "") + (r.stderr or "")


def wait_status(t, td, predicate, what, timeout=10.0):
    """Poll status --json until predicate(doc) is truthy; returns that doc.
    At the deadline the failure quotes the last document."""
    last = {}

    def look():
        r = t.ctl(td, ["status", "--json"])
        if r.returncode != 0:
            return None
        last["doc"] = json.loads(r.stdout)
        return last["doc"] if predicate(last["doc"]) else None
    try:
        return td.wait_until(look, timeout, what)
    except Fail as e:
        raise Fail("%s; last status: %s" % (e, json.dumps(last.get("doc"))[:2000]))


# ------------------------------------------------- tree mode: tend's log lines
# (appended for test_tree*.py)
#
# tend logs one line per event: `TS tend LEVEL EVENT [NAME]: MESSAGE`, e.g.
# `2026-11-22T03:44:37.466Z tend info start web: pid 3`.

_TREE_LOG_RX = re.compile(
    r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?)Z tend (\w+) ([a-z-]+)(?: (\S+))?: (.*)$")


class LogEvent:
    """One parsed line of tend's log: index (line number in Tend.log), ts
    (seconds since the epoch, float), level, event, name (None when the line
    is about no service or group), msg."""
    __slots__ = ("index", "ts", "level", "event", "name", "msg")

    def __init__(self, index, ts, level, event, name, msg):
        self.index, self.ts, self.level = index, ts, level
        self.event, self.name, self.msg = event, name, msg

    def __repr__(self):
        return "<#%d %s%s: %s>" % (self.index, self.event,
                                   " " + self.name if self.name else "", self.msg)


def _log_ts(text):
    import datetime
    fmt = "%Y-%m-%dT%H:%M:%S.%f" if "." in text else "%Y-%m-%dT%H:%M:%S"
    d = datetime.datetime.strptime(text, fmt)
    return d.replace(tzinfo=datetime.timezone.utc).timestamp()


def parse_log(lines, start=0):
    """LogEvents of the lines from index `start` on (unparsable lines skipped)."""
    out = []
    for i in range(start, len(lines)):
        m = _TREE_LOG_RX.match(lines[i])
        if m:
            out.append(LogEvent(i, _log_ts(m.group(1)), m.group(2), m.group(3),
                                m.group(4), m.group(5)))
    return out


def log_events(td, event=None, name=None, start=0):
    """tend's parsed log events, filtered by event and/or name (exact)."""
    return [e for e in parse_log(list(td.log), start)
            if (event is None or e.event == event)
            and (name is None or e.name == name)]


def wait_log_events(td, event, name, count, timeout=5.0, start=0):
    """Wait until at least `count` events `event name` were logged; return them."""
    def enough():
        ev = log_events(td, event, name, start)
        return ev if len(ev) >= count else None
    return td.wait_until(enough, timeout, "%d `%s %s` log line(s) (have %d)"
                      % (count, event, name, len(log_events(td, event, name, start))))


def started_ns_pids(td, name, start=0):
    """Namespace pids from tend's `start NAME: pid N` lines, in order."""
    out = []
    for e in log_events(td, "start", name, start):
        m = re.match(r"pid (\d+)", e.msg)
        if m:
            out.append(int(m.group(1)))
    return out


def live_pids_by_cmdline(td, regex):
    """Host pids of live (non-zombie) processes in td's namespace whose
    space-joined argv matches regex."""
    return [p for p in td.pids_by_cmdline(regex) if alive(p)]


def one_pid(td, regex, timeout=5.0, exclude=()):
    """Wait until exactly one live process in td's namespace matches regex
    (ignoring pids in `exclude`); return its host pid."""
    found = []

    def look():
        found[:] = [p for p in live_pids_by_cmdline(td, regex) if p not in exclude]
        return found[0] if len(found) == 1 else None
    try:
        return td.wait_until(look, timeout, "one process /%s/" % regex)
    except Fail as e:
        raise Fail("expected one live process /%s/ in the namespace%s, found %s%s"
                   % (regex, " besides %s" % list(exclude) if exclude else "", found,
                      " (%s)" % e if "tend exited" in str(e) else ""))


# ---------------------------------------------------------------- control socket

def connect_socket(path, timeout=5.0):
    """A connected Unix stream socket to path, retried until it is there
    (tend creates it just after it starts) or the deadline."""
    box = []

    def attempt():
        sock = socketlib.socket(socketlib.AF_UNIX, socketlib.SOCK_STREAM)
        try:
            sock.connect(path)
        except (FileNotFoundError, ConnectionRefusedError):
            sock.close()
            return False
        box.append(sock)
        return True
    wait_until(attempt, timeout, "the control socket %s to accept" % path)
    box[0].settimeout(timeout)
    return box[0]


def read_reply(sock, timeout=5.0):
    """Read one reply: (code, body) for `tend/1 CODE LENGTH`, (code, None)
    for a stream header (the stream itself is left unread)."""
    deadline = time.monotonic() + timeout
    data = b""
    while b"\n" not in data:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = sock.recv(4096)
        if not chunk:
            raise Fail("the control socket closed before a reply header (got %r)" % data)
        data += chunk
    header, _, rest = data.partition(b"\n")
    m = re.fullmatch(rb"tend/1 (\d+) (\d+|stream)", header)
    if not m:
        raise Fail("not a reply header: %r" % header)
    code = int(m.group(1))
    if m.group(2) == b"stream":
        return code, None
    length = int(m.group(2))
    while len(rest) < length:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = sock.recv(65536)
        if not chunk:
            raise Fail("the reply ended after %d of %d bytes" % (len(rest), length))
        rest += chunk
    if len(rest) != length:
        raise Fail("%d bytes after a reply of %d" % (len(rest), length))
    return code, rest


def raw_request(path, data, timeout=5.0):
    sock = connect_socket(path, timeout)
    try:
        sock.sendall(data)
        return read_reply(sock, timeout)
    finally:
        sock.close()


class EventStream:
    """`events` (json_form: `events --json`, each line parsed) read from
    the control socket.  next(timeout) gives the next event; wait_for(pred,
    timeout, what) the first that matches, skipping others; wait_service()
    for a service's event; every event read is kept in .seen."""

    def __init__(self, path, json_form=True, timeout=5.0):
        self.json_form = json_form
        self.seen = []
        self.buffer = b""
        self.sock = connect_socket(path, timeout)
        self.sock.sendall(b"tend/1 events --json\n" if json_form else b"tend/1 events\n")
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            chunk = self.sock.recv(4096)
            if not chunk:
                raise Fail("events: the socket closed before the header")
            self.buffer += chunk
        header, _, self.buffer = self.buffer.partition(b"\n")
        if header != b"tend/1 0 stream":
            raise Fail("events: unexpected header %r" % header)

    def next(self, timeout=5.0):
        deadline = time.monotonic() + timeout
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise Fail("no event within %.1fs (last: %s)" % (timeout, self.seen[-3:]))
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socketlib.timeout:
                continue
            if not chunk:
                raise Fail("the event stream ended (last: %s)" % self.seen[-3:])
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        text = line.decode()
        event = json.loads(text) if self.json_form else text
        self.seen.append(event)
        return event

    def wait_for(self, pred, timeout=5.0, what="an event"):
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            try:
                if left <= 0:
                    raise Fail("deadline")
                event = self.next(left)
            except Fail as e:
                raise Fail("timed out after %.1fs waiting for %s (%s; last events: %s)"
                           % (timeout, what, e, self.seen[-5:]))
            if pred(event):
                return event

    def wait_service(self, name, event="state", state=None, timeout=5.0):
        """JSON form: the next event `event` of service `name` (in `state`,
        if given)."""
        return self.wait_for(
            lambda e: e.get("kind") == "service" and e.get("name") == name
            and e.get("event") == event and (state is None or e.get("state") == state),
            timeout, "service %s %s %s" % (name, event, state or ""))

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass
