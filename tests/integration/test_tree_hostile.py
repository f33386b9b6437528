"""Tree mode, hardening (issue 8, part A): what a service, perhaps hostile
and running as `nobody`, can make tend do with the paths tend opens on its
behalf (`file:` output, `directory`, `env-file`), its `ready = fd:N` pipe
and its capabilities. tend is root; the service must get no more than the
kernel would give it, and must never block tend.
"""
import os
import shutil
import signal

from harness import Fail, check, eq, timeout
import harness as h

O_NONBLOCK = 0o4000


def _nobody():
    with open("/etc/passwd") as f:
        for line in f:
            p = line.split(":")
            if p[0] == "nobody":
                return int(p[2]), int(p[3])
    raise Fail("no nobody in /etc/passwd")


def _nobody_dir(t, name):
    """A directory owned by nobody inside the (then searchable) temp dir."""
    uid, gid = _nobody()
    os.chmod(t.tmp, 0o755)
    d = t.path(name)
    os.mkdir(d, 0o755)
    os.chown(d, uid, gid)
    return d


def _as_nobody(path, make):
    """Create path with make(path) and give it to nobody, as the service
    itself would have made it."""
    uid, gid = _nobody()
    make(path)
    os.lchown(path, uid, gid)
    return path


def _exec_failure(td, name, words):
    ev = h.wait_log_events(td, "exec", name, 1, 5)[0]
    check(words in ev.msg, "spawn failure of %s should say %r: %r" % (name, words, ev.msg))
    return ev


# ------------------------------------------------------------ file: output

def test_file_output_is_created_by_the_service_user(t):
    logs = _nobody_dir(t, "logs")
    out = os.path.join(logs, "out.log")
    td = t.tree("""
[service:svc]
command = sh -c 'echo hello-from-svc; exec sleep 1001'
user = nobody
stdout = file:%s
""" % out)
    h.one_pid(td, r"^sleep 1001$", 5)
    td.wait_until(lambda: os.path.exists(out) and "hello-from-svc" in open(out).read(), 5,
                  "the service's line in its file: output")
    eq(os.stat(out).st_uid, _nobody()[0], "owner of the file: output tend created "
       "(it must be opened as the service, not as root)")


def test_file_output_symlink_to_a_root_only_file_is_refused(t):
    # the service swapped its log for a link to a file only root may write:
    # opened as the service, the kernel refuses, and the root file is intact
    logs = _nobody_dir(t, "logs")
    secret = t.write("root-only", "root's own\n", 0o600)
    link = _as_nobody(os.path.join(logs, "out.log"), lambda p: os.symlink(secret, p))
    td = t.tree("""
[service:svc]
command = echo written-by-the-service
user = nobody
stdout = file:%s
""" % link)
    _exec_failure(td, "svc", "stdout failed: Permission denied")
    eq(open(secret).read(), "root's own\n", "the root-only file behind the link")


def test_file_output_fifo_without_reader_fails_the_start_not_tend(t):
    # the service swapped its log for a FIFO nobody reads: the start fails
    # (ENXIO) and tend keeps going; before, tend hung in open(2)
    logs = _nobody_dir(t, "logs")
    fifo = _as_nobody(os.path.join(logs, "err.log"), os.mkfifo)
    td = t.tree("""
[service:sibling]
command = sleep 1001

[service:svc]
command = echo x
user = nobody
stderr = file:%s
""" % fifo)
    h.one_pid(td, r"^sleep 1001$", 5)
    _exec_failure(td, "svc", "stderr failed: No such device or address")
    td.kill(signal.SIGTERM)
    eq(td.wait(5), 0, "tend's exit status after SIGTERM")


# -------------------------------------------------------------- directory

def test_directory_is_entered_as_the_service_user(t):
    # a directory nobody cannot reach (its parent is root's, mode 0700):
    # root could chdir there and hand the service a way in; the service can't
    os.chmod(t.tmp, 0o755)
    private = t.path("private")
    os.mkdir(private, 0o700)
    inner = os.path.join(private, "open")
    os.mkdir(inner, 0o755)
    td = t.tree("""
[service:svc]
command = sleep 1001
user = nobody
directory = %s
""" % inner)
    _exec_failure(td, "svc", "directory failed: Permission denied")
    eq(h.live_pids_by_cmdline(td, r"^sleep 1001$"), [], "a service running in %s" % inner)


# ----------------------------------------------------------- ready = fd:N

def test_readiness_fd_is_blocking_for_the_service(t):
    td = t.tree("""
[service:svc]
command = sleep 1001
ready = fd:3
""")
    svc = h.one_pid(td, r"^sleep 1001$", 5)
    flags = None
    with open("/proc/%d/fdinfo/3" % svc) as f:
        for line in f:
            if line.startswith("flags:"):
                flags = int(line.split()[1], 8)
    check(flags is not None, "no flags in fdinfo of the service's fd 3")
    eq(flags & O_NONBLOCK, 0, "O_NONBLOCK on the service's ready fd 3 (flags %o)" % flags)


# ----------------------------------------------------------- capabilities

CAP_SETGID, CAP_SETUID, CAP_NET_BIND_SERVICE, CAP_SYS_ADMIN = 6, 7, 10, 21
SETS = ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")


def _cap_sets(pid):
    st = h.status(pid)
    return {k: int(st[k], 16) for k in SETS}


def _setpriv(t):
    path = shutil.which("setpriv")   # util-linux, in .ci/run's packages
    if path is None:
        raise Fail("setpriv (util-linux) is not installed")
    return path


def test_root_service_gets_exactly_its_capabilities_not_tends_inheritable(t):
    # CVE-2022-29162: a runtime left CAP_SYS_ADMIN in the inheritable set;
    # a root service keeping only cap_net_bind_service must not get it back
    # through its inheritable set at exec
    td = t.tree("""
[service:svc]
command = sleep 1001
capabilities = cap_net_bind_service
""", prefix=[_setpriv(t), "--inh-caps", "+sys_admin"])
    check(_cap_sets(td.pid)["CapInh"] & (1 << CAP_SYS_ADMIN),
          "setup: tend should have CAP_SYS_ADMIN inheritable")
    svc = h.one_pid(td, r"^sleep 1001$", 5)
    want = 1 << CAP_NET_BIND_SERVICE
    eq(_cap_sets(svc), {k: want for k in SETS}, "capability sets of the root service")


def test_capability_by_number(t):
    td = t.tree("""
[service:svc]
command = sleep 1001
user = nobody
capabilities = 10
""")
    svc = h.one_pid(td, r"^sleep 1001$", 5)
    want = 1 << CAP_NET_BIND_SERVICE
    eq(_cap_sets(svc), {k: want for k in SETS}, "capability sets of `capabilities = 10`")


def test_locked_down_pod_user_service_gets_its_ambient_capability(t):
    # a pod with drop: [ALL], add: [SETUID, SETGID, NET_BIND_SERVICE]: tend
    # has no CAP_SETPCAP, so the bounding set cannot shrink, and dropping
    # even an absent capability fails. With no-new-privileges (the default)
    # no exec can regain what stays in the bounding set: the service starts
    # with exactly its one capability. Without it, the start fails.
    pod = (1 << CAP_SETUID) | (1 << CAP_SETGID) | (1 << CAP_NET_BIND_SERVICE)
    td = t.tree("""
[group:g]
start = parallel

[service:g/svc]
command = sleep 1001
user = nobody
capabilities = cap_net_bind_service

[service:g/nnp-off]
command = sleep 1002
user = nobody
capabilities = cap_net_bind_service
no-new-privileges = no
""", prefix=[_setpriv(t), "--bounding-set", "-all,+setuid,+setgid,+net_bind_service"])
    eq(_cap_sets(td.pid)["CapBnd"], pod, "setup: tend's bounding set")
    eq(_cap_sets(td.pid)["CapPrm"], pod, "setup: tend's permitted set")
    svc = h.one_pid(td, r"^sleep 1001$", 5)
    want = 1 << CAP_NET_BIND_SERVICE
    eq(_cap_sets(svc), {"CapInh": want, "CapPrm": want, "CapEff": want, "CapAmb": want,
                        "CapBnd": pod}, "capability sets of the service in the pod")
    eq(h.status(svc)["NoNewPrivs"].strip(), "1", "NoNewPrivs of the service")
    _exec_failure(td, "g/nnp-off", "capabilities failed: Operation not permitted")
