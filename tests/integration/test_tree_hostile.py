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


def test_relative_file_output_is_relative_to_root_not_directory(t):
    logs = _nobody_dir(t, "logs")
    out = os.path.join(logs, "out.log")
    td = t.tree("""
[service:svc]
command = sh -c 'echo relative; exec sleep 1001'
user = nobody
directory = %s
stdout = file:%s
""" % (logs, out.lstrip("/")))
    h.one_pid(td, r"^sleep 1001$", 5)
    td.wait_until(lambda: os.path.exists(out) and "relative" in open(out).read(), 5,
                  "the line in %s (file:%s is relative to /)" % (out, out.lstrip("/")))


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


# ---------------------------------------------------------------- env-file

def test_env_file_is_read_as_the_service_user(t):
    # a service's env-file in a directory it owns, swapped (by an earlier
    # run of the service) for a link, a hard link or a FIFO: read as the
    # service, the link and hard link to a root-only file are refused
    # (FILE:LINE, exit 2), the FIFO never blocks; no secret reaches a service
    envs = _nobody_dir(t, "envs")
    secret = t.write("secret.env", "SECRET=root-only\n", 0o600)
    link = _as_nobody(os.path.join(envs, "link.env"), lambda p: os.symlink(secret, p))
    hard = os.path.join(envs, "hard.env")
    os.link(secret, hard)   # as if made while fs.protected_hardlinks was 0
    fifo = _as_nobody(os.path.join(envs, "fifo.env"), os.mkfifo)
    mine = _as_nobody(os.path.join(envs, "mine.env"),
                      lambda p: open(p, "w").write("MINE=yes\n"))
    ini = t.write_ini("""
[service:link]
command = sleep 1001
env-file = %s
user = nobody

[service:hard]
command = sleep 1001
user = nobody
env-file = %s

[service:fifo]
command = sleep 1001
user = nobody
env-file = %s
""" % (link, hard, fifo))
    td = t.run_tend(["-c", ini], timeout=10)
    eq(td.returncode, 2, "exit status of tend with unreadable env-files")
    text = "\n".join(td.log)
    lines = open(ini).read().split("\n")
    for what in (link, hard, fifo):
        line = lines.index("env-file = %s" % what) + 1
        check("%s:%d: cannot read env-file '%s'" % (ini, line, what) in text,
              "no FILE:LINE error for env-file %s at line %d in:\n%s" % (what, line, text))
    check(text.count("Permission denied") >= 2, "link and hard link should be refused "
          "with EACCES:\n%s" % text)
    check("SECRET" not in text and "root-only" not in text, "the secret in tend's log")
    # the service's own file is read, as before
    td = t.tree("""
[service:svc]
command = sleep 1001
user = nobody
env-file = %s
""" % mine)
    eq(h.environ(h.one_pid(td, r"^sleep 1001$", 5)).get("MINE"), "yes", "MINE from env-file")
    st = h.status(td.pid)
    eq((st["Uid"].split(), st["Gid"].split(), st["Groups"].split()),
       (["0"] * 4, ["0"] * 4, h.status(os.getpid())["Groups"].split()),
       "tend's uids, gids (the last is the filesystem one) and groups after reading")


# ------------------------------------------------ the hostile service (the bar)

# Each start plants one attack in the directory the service owns, then
# exits; what tend opens for the next start is the planted thing.
HOSTILE = r"""#!/bin/sh
cd "$1" || exit 9
case "$2" in
link) rm -f out.log; ln -s "$3" out.log ;;
fifo) rm -f out.log; mkfifo out.log ;;
hardlink) rm -f out.log; ln "$3" out.log 2>/dev/null || ln -s "$3" out.log ;;
escape)
    setsid sleep 1003 </dev/null >/dev/null 2>&1 &
    i=0
    while [ $i -lt 100 ]; do
        (sleep 1004 &) 2>/dev/null
        i=$((i + 1))
    done ;;
esac
echo "planted $2"
exit 1
"""


@timeout(60)
def test_hostile_service_cannot_make_tend_write_block_or_leave_processes(t):
    secret = t.write("root-only.log", "root's own\n", 0o600)
    hostile = t.script("hostile.sh", HOSTILE)
    os.chmod(hostile, 0o755)
    dirs = {k: _nobody_dir(t, k) for k in ("link", "fifo", "hardlink", "planted", "escape")}
    os.link(secret, os.path.join(dirs["planted"], "out.log"))  # a hard link already there
    services = "".join("""
[service:%s]
command = %s %s %s %s
user = nobody
stdout = file:%s/out.log
backoff-min = 50ms
backoff-max = 50ms
backoff-jitter = 0
%s
""" % (k, hostile, d, k, secret, d, "limit-nproc = 30" if k == "escape" else "")
        for k, d in dirs.items())
    td = t.tree("""
[tend]
start = parallel
max-restarts = 100000

[service:sibling]
command = sh -c 'exit 3'
backoff-min = 200ms
backoff-max = 200ms
backoff-jitter = 0
""" + services, mode="sub")
    # each attack is in place and its next start failed, as the service
    for name, words in (("link", "stdout failed: Permission denied"),
                        ("fifo", "stdout failed: No such device or address"),
                        ("planted", "stdout failed: Permission denied")):
        _exec_failure(td, name, words)
    hardlink = h.wait_log_events(td, "exec", "hardlink", 1, 5)[0].msg
    check("stdout failed: Permission denied" in hardlink, "hardlink: %r" % hardlink)
    h.wait_until(lambda: h.live_pids_by_cmdline(td, r"^sleep 1003$"), 5,
                 "the escaped setsid grandchild")
    bomb = h.live_pids_by_cmdline(td, r"^sleep 1004$")
    check(len(bomb) <= 30, "%d fork-bomb processes under limit-nproc = 30" % len(bomb))
    # meanwhile the crash-looping sibling keeps its schedule: a start every
    # 200 ms after each exit, none sooner, none stalled
    mark = len(h.log_events(td, "start", "sibling"))
    starts = [e.ts for e in h.wait_log_events(td, "start", "sibling", mark + 10, 10)][mark:]
    gaps = [round(b - a, 3) for a, b in zip(starts, starts[1:])]
    t.note("sibling restart gaps (s): %s" % gaps)
    check(min(gaps) >= 0.19, "a sibling restart sooner than its backoff: %s" % gaps)
    check(max(gaps) <= 1.0, "a sibling restart stalled: %s" % gaps)
    eq(open(secret).read(), "root's own\n", "the root-only file")
    eq(os.stat(secret).st_nlink, 2, "links of the root-only file (one planted)")
    td.kill(signal.SIGTERM)
    eq(td.wait(15), 0, "tend's exit status after SIGTERM")
    left = []

    def nothing_left():
        left[:] = [" ".join(h.cmdline(p)) for p in td.ns_pids()
                   if p != td.init_pid and h.alive(p)]
        return not left
    try:
        h.wait_until(nothing_left, 2, "nothing left in the namespace")
    except Fail:
        raise Fail("left in the namespace after tend exited: %s" % left)
