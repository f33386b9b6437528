"""Shared plumbing for bench/single and bench/tree (Python 3 stdlib only).

Every init under test runs as PID 1 of a fresh PID namespace:
    unshare --pid --fork --mount-proc --kill-child INIT ...
Everything started here is tracked and ended by pid (SIGKILL to the init,
which tears its namespace down, then to the unshare process); nothing is
killed by name.  All scratch files live in one temporary directory under /tmp.
"""
import ctypes
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
UNSHARE = ["unshare", "--pid", "--fork", "--mount-proc", "--kill-child"]

_live = []          # NS objects not yet stopped
_tmp = None
_cgroup = None      # (our cpu cgroup, the one we came from), see enter_cpu_cgroup


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def tmpdir():
    global _tmp
    if _tmp is None:
        _tmp = tempfile.mkdtemp(prefix="tend-bench-", dir="/tmp")
    return _tmp


def become_subreaper():
    """Orphaned inits (if an unshare dies first) come back to us to be reaped."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(36, 1, 0, 0, 0)      # PR_SET_CHILD_SUBREAPER
    except Exception:
        pass


def cleanup(keep_tmp=False):
    for ns in list(_live):
        ns.stop()
    # reap anything re-parented to us
    for _ in range(50):
        try:
            pid, _st = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            time.sleep(0.02)
    leave_cgroup()
    if _tmp and not keep_tmp:
        shutil.rmtree(_tmp, ignore_errors=True)


def enter_cpu_cgroup():
    """Move this process (and so everything it starts from now on) into a
    fresh cgroup with the cpu controller, as every container runs in one:
    cgroup v2 when its root delegates cpu, else the v1 cpu hierarchy.
    Returns True, or False after saying why not.

    This matters for timings: the kernel's autogroup scheduling (on by
    default on most distributions) gives each session of the *root* cpu
    group a task group of its own, which changes who preempts whom on a
    wake-up; inside a cpu cgroup, as in a container, autogroup plays no
    part. One move, before anything is timed (a move can take milliseconds),
    and undone by cleanup()."""
    global _cgroup
    if not use_cgroups:
        return False
    for root, prefix in (("/sys/fs/cgroup", "0::"), ("/sys/fs/cgroup/cpu", None)):
        if prefix is not None:
            ctl = read(os.path.join(root, "cgroup.controllers")) or ""
            if "cpu" not in ctl.split():
                continue
        elif not os.path.exists(os.path.join(root, "cgroup.procs")):
            continue
        here = None
        for line in (read("/proc/self/cgroup", "") or "").splitlines():
            f = line.split(":", 2)
            if len(f) == 3 and (line.startswith(prefix) if prefix else "cpu" in f[1].split(",")):
                here = root + f[2].rstrip("/") if f[2] != "/" else root
        if here is None:
            continue
        d = os.path.join(root, f"tend-bench-{os.getpid()}")
        try:
            os.mkdir(d)
        except OSError as e:
            log(f"bench: cannot make a cgroup under {root}: {e}")
            continue
        try:
            with open(os.path.join(d, "cgroup.procs"), "w") as f:
                f.write("0")
        except OSError as e:
            log(f"bench: cannot enter the cgroup {d}: {e}")
            os.rmdir(d)
            continue
        _cgroup = (d, here)
        return True
    log("bench: no cpu cgroup available: everything runs in the root cpu group")
    return False


def leave_cgroup():
    """Back to the cgroup we came from; remove ours once it is empty."""
    global _cgroup
    if _cgroup is None:
        return
    d, home = _cgroup
    try:
        with open(os.path.join(home, "cgroup.procs"), "w") as f:
            f.write("0")
    except OSError as e:
        log(f"bench: cannot go back to the cgroup {home}: {e}")
    deadline = time.monotonic() + 5      # empty once every child is reaped
    while True:
        try:
            os.rmdir(d)
            break
        except OSError:
            if time.monotonic() > deadline:
                log(f"bench: cannot remove the cgroup {d}")
                break
            time.sleep(0.02)
    _cgroup = None


use_cgroups = True  # False: --no-cgroup


def add_cgroup_option(ap):
    ap.add_argument("--no-cgroup", action="store_true",
                    help="run in the cpu group the bench was started in instead of a "
                         "cpu cgroup of its own, as containers run (see bench/README.md)")


def cgroup_note():
    if _cgroup is not None:
        return ("everything ran in a cpu cgroup of its own, as a container does (--no-cgroup: where\n"
                "       the bench was started, where autogroup may apply: see bench/README.md).")
    return "everything ran where the bench was started (no cpu cgroup: see bench/README.md)."


def install_signal_cleanup():
    def handler(signum, _frame):
        cleanup()
        sys.exit(128 + signum)
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, handler)


def compile_helper():
    """Build bench/bh.c into the temp dir; returns its path."""
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        sys.exit("bench: a C compiler (cc) is needed to build bench/bh.c (apt-get install gcc)")
    out = os.path.join(tmpdir(), "bh")
    src = os.path.join(HERE, "bh.c")
    # static when the toolchain allows: a static parent forks fastest (fewest
    # mappings), which keeps the floors honest floors; exec'd helpers start faster
    r = subprocess.run([cc, "-O2", "-static", "-o", out, src],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if r.returncode != 0:
        log("bench: cannot link bench/bh.c statically (no libc.a?): using a dynamic helper")
        subprocess.run([cc, "-O2", "-o", out, src], check=True)
    return out


def tend_binary():
    return os.environ.get("TEND_BINARY") or os.path.join(REPO, "src", "tend")


def find_peer(name, paths, package):
    """Path of a peer's binary, or None after saying which package is missing."""
    for p in paths:
        if os.path.isfile(p) and os.access(p, os.X_OK):
            return p
        w = shutil.which(p)
        if w:
            return w
    log(f"bench: {name} not found: skipping it (apt-get install {package})")
    return None


# ---------------------------------------------------------------- /proc

def read(path, default=None):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return default


def status_field(pid, key):
    s = read(f"/proc/{pid}/status")
    if s is None:
        return None
    for line in s.splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    return None


def oncpu_ns(pid):
    """Time pid has spent on a CPU, in ns (/proc/<pid>/schedstat), or None."""
    s = read(f"/proc/{pid}/schedstat")
    try:
        return int(s.split()[0])
    except (AttributeError, IndexError, ValueError):
        return None


def pss_kib(pid):
    s = read(f"/proc/{pid}/smaps_rollup")
    if s is None:
        return None
    for line in s.splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return None


def smaps_rollup(pid):
    """{field: KiB} from /proc/<pid>/smaps_rollup, or None."""
    s = read(f"/proc/{pid}/smaps_rollup")
    if s is None:
        return None
    out = {}
    for line in s.splitlines()[1:]:
        f = line.split()
        if len(f) >= 2 and f[0].endswith(":") and f[1].isdigit():
            out[f[0][:-1]] = int(f[1])
    return out


def alive(pid):
    s = read(f"/proc/{pid}/stat")
    if s is None:
        return False
    return s[s.rindex(")") + 2] not in "ZX"


def children(pid):
    s = read(f"/proc/{pid}/task/{pid}/children", "")
    return [int(x) for x in s.split()]


def ns_procs(init_pid):
    """[(host pid, comm)] of every live process in init_pid's PID namespace."""
    try:
        ns = os.readlink(f"/proc/{init_pid}/ns/pid")
    except OSError:
        return []
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            if os.readlink(f"/proc/{d}/ns/pid") != ns:
                continue
        except OSError:
            continue
        comm = read(f"/proc/{d}/comm")
        if comm is not None:
            out.append((int(d), comm.strip()))
    return out


# ---------------------------------------------------------------- namespaces

class NS:
    """One init as PID 1 of a fresh PID namespace."""

    def __init__(self, argv, name="ns", cwd=None, env=None, preexec_fn=None):
        self.name = name
        d = tmpdir()
        self.out = open(os.path.join(d, f"{name}.out"), "ab")
        self.t0 = time.monotonic_ns()
        self.proc = subprocess.Popen(UNSHARE + argv, stdin=subprocess.DEVNULL,
                                     stdout=self.out, stderr=subprocess.STDOUT,
                                     cwd=cwd, env=env, preexec_fn=preexec_fn)
        _live.append(self)
        self.init = None
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            c = children(self.proc.pid)
            if c:
                self.init = c[0]
                break
            if self.proc.poll() is not None:
                break
            time.sleep(0.0005)

    def running(self):
        return self.init is not None and self.proc.poll() is None and alive(self.init)

    def wait(self, timeout):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self):
        if self not in _live:
            return
        if self.init is not None and alive(self.init):
            try:
                os.kill(self.init, signal.SIGKILL)
            except OSError:
                pass
        if self.wait(10) is None:
            try:
                self.proc.kill()
            except OSError:
                pass
            self.wait(5)
        # the namespace is gone once its init is; wait (bounded) for that
        deadline = time.monotonic() + 10
        while self.init is not None and alive(self.init) and time.monotonic() < deadline:
            time.sleep(0.01)
        self.out.close()
        _live.remove(self)

    def output(self):
        self.out.flush()
        return read(self.out.name, "")


# ---------------------------------------------------------------- numbers

def median(xs):
    return statistics.median(xs) if xs else None


def pct(xs, p):
    if not xs:
        return None
    s = sorted(xs)
    k = min(len(s) - 1, max(0, int(round(p / 100.0 * (len(s) - 1)))))
    return s[k]


def fmt(v, spec="{:,.0f}"):
    if v is None:
        return "n/a"
    if isinstance(v, str):
        return v
    return spec.format(v)


def ratio(a, b):
    if a is None or b is None or isinstance(a, str) or isinstance(b, str):
        return "n/a"
    if b == 0:
        return "0/0" if a == 0 else "inf"
    r = a / b
    if r == 0:
        return "0x"
    if r < 0.1:
        return f"1/{1 / r:,.0f}"      # tend needs 1/k of the peer's
    return f"{r:.2f}x"


def table(headers, rows, title=None):
    """Plain-text table; first column left-aligned, others right-aligned."""
    cols = [headers] + rows
    w = [max(len(str(r[i])) for r in cols) for i in range(len(headers))]
    lines = []
    if title:
        lines.append(title)
    def line(r):
        return "  ".join(str(c).ljust(w[i]) if i == 0 else str(c).rjust(w[i])
                         for i, c in enumerate(r))
    lines.append(line(headers))
    lines.append("  ".join("-" * x for x in w))
    for r in rows:
        lines.append(line(r))
    print("\n".join(lines), flush=True)


def loadavg():
    return " ".join((read("/proc/loadavg", "") or "").split()[:3])


def machine_line():
    ncpu = os.cpu_count()
    model = ""
    for line in (read("/proc/cpuinfo", "") or "").splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return (f"{time.strftime('%Y-%m-%d %H:%M:%S %Z')}  {os.uname().nodename}  "
            f"kernel {os.uname().release}  {ncpu} cpu  {model}  "
            f"loadavg {loadavg()}")
