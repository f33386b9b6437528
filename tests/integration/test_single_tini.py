"""tini's own test scenarios, as behaviour tests of tend's single-command
mode (SPEC §1.2): a drop-in for tini must pass what tini checks about
itself (exit codes and -e, forwarding and 128 + signal, reaping as a
subreaper, -g, -p, and the signal configuration its child starts with).
Written from the scenarios' descriptions; no code of tini's is used.
"""
import os
import signal
import subprocess

from harness import Fail, check, eq, wait_until, timeout, PY
import harness as h


# ----------------------------------------------------------- -e, every code

def _run(t, args, timeout_s=10):
    try:
        return subprocess.run([t.binary] + args, stdin=subprocess.DEVNULL,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              timeout=timeout_s).returncode
    except subprocess.TimeoutExpired:
        raise Fail("tend %s did not finish within %ds" % (" ".join(args), timeout_s))


@timeout(120)
def test_tini_every_exit_code_named_by_e_becomes_0(t):
    bad = []
    for code in range(256):
        rc = _run(t, ["-e", str(code), "--", "sh", "-c", "exit %d" % code])
        if rc != 0:
            bad.append((code, rc))
    eq(bad, [], "(code, tend's status) for `tend -e CODE -- sh -c 'exit CODE'`")


@timeout(120)
def test_tini_every_other_exit_code_passes_through_without_dashdash(t):
    bad = []
    for code in range(256):
        others = [a for x in range(256) if x != code for a in ("-e", str(x))]
        rc = _run(t, others + ["sh", "-c", "exit %d" % code])
        if rc != code:
            bad.append((code, rc))
    eq(bad, [], "(code, tend's status) when every code but CODE is given with -e "
       "and no -- separates the command")


# ------------------------------------------- forwarding and 128 + signal

# The child leaves TERM, USR1 and USR2 at their default action and waits in
# a grandchild (`sleep`), so the forwarded signal kills it.
DEFAULT_ACTIONS = r"""
import os, signal, sys
for s in (signal.SIGTERM, signal.SIGUSR1, signal.SIGUSR2):
    signal.signal(s, signal.SIG_DFL)
open(sys.argv[1] + ".tmp", "w").write("1")
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
os.system("sleep 100")
"""


def _signal_case(name, mode):
    def test(t):
        td = t.tend(["--"] + t.py("dfl.py", DEFAULT_ACTIONS) + [t.path("ready")], mode=mode)
        t.wait_file("ready", 10, "the child to set its signals")
        td.wait_until(lambda: len(h.descendants(td.pid)) >= 2, 5,
                      "the child's grandchild (sleep)")
        number = getattr(signal, "SIG" + name)
        td.kill(number)
        eq(td.wait(5), 128 + number, "tend's status after SIG%s killed the child" % name)
    return test


for _s in ("TERM", "USR1", "USR2"):
    for _m in ("pid1", "sub"):
        globals()["test_tini_sig%s_forwarded_exit_128_plus_signal_%s" % (_s.lower(), _m)] = \
            _signal_case(_s, _m)
del _s, _m


# ----------------------------------------------- reaping as a subreaper

# The child starts a process that starts 100 short sleeps and exits
# without waiting for them: they are orphaned to tend (a subreaper here).
# The child then waits until none of them is left, zombie or not, and
# exits 0; a zombie that nobody reaps keeps it waiting (and fails).
ORPHANS = r"""
import os, subprocess, sys, time
script = "for i in $(seq 100); do sleep 0.$((i %% 5 + 1)) & done"
subprocess.run(["sh", "-c", script], check=True)
me = os.getpid()
def mine_left():
    left = []
    for p in os.listdir("/proc"):
        if not p.isdigit() or int(p) == me:
            continue
        try:
            with open("/proc/%s/stat" % p) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == os.getpgid(0):
            left.append((p, fields[0]))
    return left
deadline = time.monotonic() + 10
while mine_left():
    if time.monotonic() > deadline:
        sys.exit("not reaped: %s" % mine_left()[:5])
    time.sleep(0.05)
"""


def test_tini_orphans_are_reaped_by_tend_as_subreaper(t):
    td = t.tend(["--"] + t.py("orphans.py", ORPHANS), mode="sub")
    check(td.pid != td.init_pid, "tend is not PID 1 here (test setup)")
    eq(td.wait(20), 0, "tend's status (the child exits 1 when orphans stay zombies)")


# ---------------------------------------------------------------- -g

# The child ignores USR1 and waits for its own child, which does not.
IGNORE_AND_WAIT = r"""
import signal, subprocess, sys
signal.signal(signal.SIGUSR1, signal.SIG_IGN)
p = subprocess.Popen(["sleep", "1000"],
                     preexec_fn=lambda: signal.signal(signal.SIGUSR1, signal.SIG_DFL))
open(sys.argv[1], "w").write("1")
p.wait()
"""


def test_tini_g_signals_the_whole_process_group(t):
    td = t.tend(["-g", "--"] + t.py("pg.py", IGNORE_AND_WAIT) + [t.path("ready")])
    t.wait_file("ready", 10, "the child and its sleep")
    td.kill(signal.SIGUSR1)
    eq(td.wait(5), 0, "tend's status: the sleep died of USR1 (-g), then the child exited")


# ---------------------------------------------------------------- -p

# The child writes "ok" when it gets USR1.
ON_USR1 = r"""
import signal, sys, time
def handler(number, frame):
    with open(sys.argv[1], "w") as f:
        f.write("ok")
    sys.exit(0)
signal.signal(signal.SIGUSR1, handler)
open(sys.argv[2], "w").write("1")
time.sleep(100)
"""


def test_tini_p_parent_death_signal_goes_to_the_child(t):
    td = t.tend(["-p", "SIGUSR1", "--"] + t.py("usr1.py", ON_USR1)
                + [t.path("result"), t.path("ready")], kill_child=False)
    t.wait_file("ready", 10, "the child to install its handler")
    os.kill(td.proc.pid, signal.SIGKILL)   # tend's parent (unshare) dies
    eq(t.wait_file("result", 5, "the child to get USR1"), "ok", "the child's result")


# ------------------------------------------------ signal configuration

# Run the rest of argv with some signals ignored and some blocked, as a
# caller (nohup, a shell, a runtime) may leave them; the rest at default.
CALLER = r"""
import os, signal, sys
for number in range(1, signal.NSIG):
    try:
        signal.signal(number, signal.SIG_DFL)
    except (OSError, ValueError, RuntimeError):
        pass
for s in (signal.SIGTTOU, signal.SIGSEGV, signal.SIGINT, signal.SIGHUP):
    signal.signal(s, signal.SIG_IGN)
signal.pthread_sigmask(signal.SIG_SETMASK, {signal.SIGTTIN, signal.SIGILL, signal.SIGTERM})
os.execvp(sys.argv[1], sys.argv[1:])
"""
IGNORED = sorted(["TTOU", "SEGV", "INT", "HUP"])
BLOCKED = sorted(["TTIN", "ILL", "TERM"])


def _names(mask):
    return sorted(n[3:] if n.startswith("SIG") else n for n in h.signals_in(mask))


def test_tini_child_gets_back_the_callers_ignored_and_blocked_signals(t):
    td = t.tend(["--", "sleep", "1001"], prefix=t.py("caller.py", CALLER))
    child = td.child(10, cmdline=r"^sleep 1001$")
    ignored = IGNORED
    if os.environ.get("TEND_SANITIZED"):
        # AddressSanitizer's runtime installs its SIGSEGV handler before
        # main(): tend then never sees the caller's SIG_IGN on it
        ignored = [n for n in IGNORED if n != "SEGV"]
    eq(_names(h.sigmask(child, "SigIgn")), ignored, "signals ignored in the child")
    eq(_names(h.sigmask(child, "SigBlk")), BLOCKED, "signals blocked in the child")
    eq(_names(h.sigmask(td.pid, "SigIgn")), [], "signals ignored by tend itself")
    td.kill(signal.SIGQUIT)
    eq(td.wait(5), 128 + signal.SIGQUIT, "tend's status after SIGQUIT killed the child")


def test_tini_nohup_keeps_sighup_ignored_for_the_command(t):
    td = t.tend(["--", "sleep", "1002"], prefix=["nohup"])
    child = td.child(10, cmdline=r"^sleep 1002$")
    check("HUP" in _names(h.sigmask(child, "SigIgn")),
          "`nohup tend -- sleep`: SIGHUP is not ignored in the command (SigIgn %s)"
          % h.sigmask(child, "SigIgn"))
    td.kill(signal.SIGHUP)      # forwarded, and ignored by the command
    td.kill(signal.SIGTERM)     # signals reach the child in order
    eq(td.wait(5), 128 + signal.SIGTERM,
       "tend's status (129 if the forwarded SIGHUP had killed the command)")


def test_tree_services_start_with_defaults_whatever_the_caller_left(t):
    ini = t.write_ini("[service:s]\ncommand = sleep 1001\n")
    td = t.tend(["-c", ini], prefix=t.py("caller.py", CALLER))
    svc = h.one_pid(td, r"^sleep 1001$", 5)
    eq(_names(h.sigmask(svc, "SigIgn")), [], "signals ignored in a tree-mode service")
    eq(_names(h.sigmask(svc, "SigBlk")), [], "signals blocked in a tree-mode service")
    td.kill(signal.SIGQUIT)
    eq(td.wait(5), 0, "tend's status after SIGQUIT")
