"""ready = notify with real programs (SPEC §2.3): redis-server --supervised
systemd, PostgreSQL 15, haproxy -Ws (MAINPID, RELOADING=1 on SIGUSR2).
Each test skips with a clear note when its program is not installed.
"""
import os
import pwd
import shutil
import signal
import subprocess

from harness import Fail, check, eq, wait_until, timeout
import harness as h

POSTGRES_BIN = "/usr/lib/postgresql/15/bin"


def _ready(t):
    return os.path.exists(t.path("run", "ready"))


def _skip(t, what):
    t.note("SKIP: %s" % what)


@timeout(40)
def test_redis_supervised_systemd(t):
    redis = shutil.which("redis-server")
    if redis is None:
        return _skip(t, "redis-server is not installed (apt-get install redis-server)")
    td = t.tree("""
[service:redis]
command = %s --supervised systemd --port 0 --unixsocket %s --save "" --appendonly no --dir %s
ready = notify
start-timeout = 20s
""" % (redis, t.path("redis.sock"), t.tmp))
    td.wait_for_log(r" ready redis: ready after", 20)
    td.wait_until(lambda: _ready(t), 5, "the ready file")
    status = h.log_events(td, "status", "redis")
    check(status, "redis sent STATUS= lines")
    check(os.path.exists(t.path("redis.sock")), "redis listens")
    td.kill(signal.SIGTERM)
    eq(td.wait(20), 0, "tend's exit status")


def _postgres_user():
    try:
        return pwd.getpwnam("postgres")
    except KeyError:
        return None


@timeout(90)
def test_postgresql(t):
    if not os.path.exists(os.path.join(POSTGRES_BIN, "postgres")) or _postgres_user() is None:
        return _skip(t, "PostgreSQL 15 is not installed (apt-get install postgresql-15)")
    user = _postgres_user()
    data = t.path("pgdata")
    os.chmod(t.tmp, 0o755)
    os.makedirs(data, mode=0o700)
    os.chown(data, user.pw_uid, user.pw_gid)
    r = t.run(["runuser", "-u", "postgres", "--", os.path.join(POSTGRES_BIN, "initdb"),
               "-D", data, "-A", "trust", "-U", "postgres", "--no-sync"], timeout=60)
    if r.returncode != 0:
        raise Fail("initdb failed: %s" % (r.stderr[-500:]))
    td = t.tree("""
[service:db]
command = %s/postgres -D %s -k %s -c listen_addresses= -c fsync=off
user = postgres
ready = notify
start-timeout = 30s
stop-signal = INT
""" % (POSTGRES_BIN, data, data), args=["-v"])
    td.wait_for_log(r" ready db: ready after", 30)
    td.wait_until(lambda: _ready(t), 5, "the ready file")
    mark = td.mark()
    td.kill(signal.SIGTERM)
    # postgres says STOPPING=1 when it begins to shut down
    td.wait_for_log(r" notify db: RELOADING or STOPPING", 10, start=mark)
    eq(td.wait(30), 0, "tend's exit status")


HAPROXY_CFG = """
global
    master-worker
defaults
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe
    bind unix@{sock}
    default_backend be
backend be
    server s1 127.0.0.1:9 disabled
"""


@timeout(40)
def test_haproxy_master_worker(t):
    haproxy = shutil.which("haproxy")
    if haproxy is None:
        return _skip(t, "haproxy is not installed (apt-get install haproxy)")
    cfg = t.write("haproxy.cfg", HAPROXY_CFG.format(sock=t.path("haproxy.sock")))
    td = t.tree("""
[service:lb]
command = %s -Ws -f %s
ready = notify
start-timeout = 20s
stop-signal = USR1
""" % (haproxy, cfg), args=["-v"])
    td.wait_for_log(r" ready lb: ready after", 20)
    td.wait_until(lambda: _ready(t), 5, "the ready file")
    starts = h.started_ns_pids(td, "lb")
    eq(len(starts), 1, "one start")
    master = td.host_pid(starts[0])
    check(not [e for e in h.log_events(td, "notify", "lb") if "ignored" in e.msg],
          "MAINPID of the master is accepted")
    # reload: RELOADING=1, then READY=1 again, same master
    mark = td.mark()
    os.kill(master, signal.SIGUSR2)
    td.wait_for_log(r" notify lb: RELOADING or STOPPING", 10, start=mark)
    td.wait_for_log(r" ready lb: ready after", 20, start=mark)
    td.wait_until(lambda: _ready(t), 5, "ready again after the reload")
    check(h.alive(master), "the master survived the reload")
    eq(len(h.started_ns_pids(td, "lb")), 1, "not restarted by the reload")
