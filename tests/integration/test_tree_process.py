"""Tree mode (SPEC §2.3, reference A4, A16-A19): what a service process
starts with (fds, signal state, session, stdin, environment, directory,
user), an idle tend that never wakes up, and orphans reaped in tree mode.
"""
import os
import signal
import time

from harness import Fail, check, eq, wait_until, timeout, PY
import harness as h

# variables that describe tend's own environment (SPEC §2.3, A17)
UPSTREAM = {"NOTIFY_SOCKET": "@tend-it-upstream", "LISTEN_PID": "1", "LISTEN_FDS": "1",
            "LISTEN_FDNAMES": "x", "WATCHDOG_USEC": "1000000", "WATCHDOG_PID": "1"}


def _one_service(t, extra="", **kw):
    td = t.tree("""
[service:svc]
command = sleep 1001
%s
""" % extra, **kw)
    return td, h.one_pid(td, r"^sleep 1001$", 5)


def test_service_has_only_fds_0_1_2_and_stdin_dev_null(t):
    fd = os.open("/dev/null", os.O_RDONLY)
    try:
        if fd != 9:
            os.dup2(fd, 9)
        td, svc = _one_service(t, pass_fds=(9,))
    finally:
        os.close(fd)
        if fd != 9:
            os.close(9)
    t.note("tend's fds: %s" % h.fds(td.pid))
    h.wait_fds(svc, [0, 1, 2], "open fds of the service (tend got an extra fd 9)")
    eq(os.readlink("/proc/%d/fd/0" % svc), "/dev/null", "the service's stdin")


# execs its arguments with SIGPIPE, SIGUSR2 and SIGHUP ignored (ignored
# dispositions survive exec, A18), so tend starts with a non-empty SigIgn
IGNORING_WRAPPER = ("import os, signal, sys\n"
                    "for s in (signal.SIGPIPE, signal.SIGUSR2, signal.SIGHUP):\n"
                    "    signal.signal(s, signal.SIG_IGN)\n"
                    "os.execv(sys.argv[1], sys.argv[1:])\n")


def test_service_signal_state_is_default(t):
    td, svc = _one_service(t, prefix=[PY, "-c", IGNORING_WRAPPER])
    t.note("tend SigBlk=%s SigIgn=%s" % (h.status(td.pid).get("SigBlk"),
                                          h.status(td.pid).get("SigIgn")))
    eq(h.signals_in(h.sigmask(svc, "SigBlk")), [], "signals blocked in the service")
    eq(h.signals_in(h.sigmask(svc, "SigIgn")), [], "signals ignored in the service")


def test_service_leads_its_own_session(t):
    td, svc = _one_service(t)
    s = h.stat(svc)
    eq(s.session, svc, "session id of the service (its own)")
    eq(s.pgrp, svc, "process group of the service (its own)")
    eq(s.tty_nr, 0, "controlling terminal of the service")


def test_service_environment(t):
    env = dict(UPSTREAM, TEND_IT_MARK="kept")
    td, svc = _one_service(t, "env = FOO=bar\nenv = QUX=two words", env=env)
    e = h.environ(svc)
    eq(e.get("FOO"), "bar", "FOO from `env = FOO=bar`")
    eq(e.get("QUX"), "two words", "QUX from a second `env` line")
    eq(e.get("TEND_IT_MARK"), "kept", "a variable of tend's environment")
    eq(e.get("TEND_SERVICE"), "svc", "TEND_SERVICE")
    eq(e.get("TEND_INSTANCE"), None, "TEND_INSTANCE of a service without instances")
    eq(sorted(k for k in UPSTREAM if k in e), [],
       "tend's upstream NOTIFY_SOCKET/LISTEN_*/WATCHDOG_* passed to the service")


def test_service_directory(t):
    td = t.tree("""
[service:here]
command = sleep 1001
directory = /tmp

[service:default]
command = sleep 1002
""")
    eq(os.readlink("/proc/%d/cwd" % h.one_pid(td, r"^sleep 1001$", 5)), "/tmp",
       "cwd of a service with `directory = /tmp`")
    eq(os.readlink("/proc/%d/cwd" % h.one_pid(td, r"^sleep 1002$", 5)), "/",
       "cwd of a service without `directory` (tend runs in %s)" % t.tmp)


def _passwd(name):
    with open("/etc/passwd") as f:
        for line in f:
            p = line.rstrip("\n").split(":")
            if p[0] == name:
                return {"uid": int(p[2]), "gid": int(p[3]), "home": p[5]}
    raise Fail("no %s in /etc/passwd" % name)


def test_service_user_nobody(t):
    pw = _passwd("nobody")
    td, svc = _one_service(t, "user = nobody", env={"HOME": "/root"})
    st = h.status(svc)
    eq([int(x) for x in st["Uid"].split()], [pw["uid"]] * 4, "uids of the service")
    eq([int(x) for x in st["Gid"].split()], [pw["gid"]] * 4, "gids of the service")
    eq(h.environ(svc).get("HOME"), pw["home"], "HOME of a `user = nobody` service "
       "(tend's is /root)")


def test_service_user_sets_user_and_logname(t):
    # A19: HOME, USER and LOGNAME come from the passwd entry
    td, svc = _one_service(t, "user = nobody", env={"USER": "root", "LOGNAME": "root"})
    e = h.environ(svc)
    eq((e.get("USER"), e.get("LOGNAME")), ("nobody", "nobody"),
       "USER and LOGNAME of a `user = nobody` service (tend's are root)")


def test_service_capabilities_survive_the_user_switch(t):
    # `capabilities` keeps exactly the named ones: in the bounding set, and,
    # for a non-root user, permitted, effective, inheritable and ambient
    td, svc = _one_service(t, "user = nobody\ncapabilities = cap_net_bind_service, KILL")
    st = h.status(svc)
    want = (1 << 10) | (1 << 5)  # CAP_NET_BIND_SERVICE, CAP_KILL
    got = {k: int(st[k], 16) for k in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")}
    eq(got, {k: want for k in got}, "capability sets of the service")


def test_inherited_child_is_reaped_not_taken_for_a_service(t):
    # A4: the process that exec'd tend already had a child
    wrap = t.script("wrap.sh", "#!/bin/sh\nsleep 0.2 &\nexec \"$@\"\n")
    td = t.tree("""
[service:svc]
command = sleep 1001
""", prefix=[wrap])
    svc = h.one_pid(td, r"^sleep 1001$", 5)

    def inherited():
        return [c for c in td.children() if h.cmdline(c) == ["sleep", "0.2"]]
    wait_until(lambda: not inherited(), 5, "the inherited `sleep 0.2` to be reaped")
    time.sleep(0.1)
    check(td.alive(), "tend exited when an inherited child ended")
    eq(h.one_pid(td, r"^sleep 1001$", 2), svc, "pid of the service")
    eq(h.log_events(td, "exit", "svc"), [], "`exit svc` lines (the inherited "
       "child's exit taken for the service's)")
    eq(td.zombies(), [], "zombies")
    td.kill(signal.SIGTERM)
    eq(td.wait(5), 0, "exit status after SIGTERM")


# ------------------------------------------------------------------ idle

@timeout(30)
def test_idle_tend_makes_no_wakeups(t):
    services = "".join("[service:s%02d]\ncommand = sleep 1000\n\n" % i for i in range(50))
    td = t.tree("[tend]\nheartbeat = 0\n\n" + services)
    wait_until(lambda: len(h.live_pids_by_cmdline(td, r"^sleep 1000$")) == 50, 10,
               "50 services running")
    h.wait_log_events(td, "ready", "(root)", 1, 5)
    time.sleep(0.3)

    def switches():
        return int(h.status(td.pid)["voluntary_ctxt_switches"])
    before, lines = switches(), td.mark()
    time.sleep(3)
    after = switches()
    t.note("log lines while idle: %s" % td.log[lines:])
    eq(after - before, 0, "voluntary context switches of an idle tend over 3 s")
    td.kill(signal.SIGTERM)
    eq(td.wait(10), 0, "exit status after SIGTERM")


# --------------------------------------------------------------- orphans

@timeout(40)
def test_orphans_are_reaped_in_tree_mode(t):
    td = t.tree("""
[service:spawner]
command = sh -c 'for i in $(seq 1000); do (sleep 0.01 &); done; echo done > %s; exec sleep 1001'
""" % t.path("done"))
    t.wait_file("done", 25, "the service to create 1000 orphans")
    svc = h.one_pid(td, r"^sleep 1001$", 5)
    zs = []

    def no_zombies():
        zs[:] = td.zombies()
        return not zs
    try:
        wait_until(no_zombies, 5, "no zombie in the namespace", 0.05)
    except Fail:
        raise Fail("%d zombies left in the namespace, e.g. %s" % (len(zs), zs[:5]))
    check(h.alive(svc), "the service is no longer running")
    eq(len(h.started_ns_pids(td, "spawner")), 1, "starts of the service (orphans "
       "taken for it?)")
    td.kill(signal.SIGTERM)
    eq(td.wait(10), 0, "exit status after SIGTERM")
