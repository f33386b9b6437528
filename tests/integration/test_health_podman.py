"""A real container runtime (SPEC §3, §4): the image of contrib/docker/
(FROM scratch: the static tend and a service tree, HEALTHCHECK with
`tend ctl probe ready`) built with podman and run with runc. The health
check turns healthy once the tree is ready and unhealthy while a required
service is down; `podman stop` ends it with the main service's status.

Skips with a note when podman or runc is not installed, or when the tend
under test is not a static binary (the sanitizer build): a scratch image
has no C library.
"""
import os
import shutil
import signal
import struct
import subprocess
import threading
import time

from harness import Fail, check, eq, wait_until, timeout
import harness as h


def _is_static(path):
    """No PT_INTERP program header: the ELF needs no dynamic loader."""
    with open(path, "rb") as f:
        head = f.read(64)
        if head[:4] != b"\x7fELF" or head[4] != 2:
            return False
        phoff, = struct.unpack_from("<Q", head, 32)
        phentsize, phnum = struct.unpack_from("<HH", head, 54)
        f.seek(phoff)
        table = f.read(phentsize * phnum)
    return all(struct.unpack_from("<I", table, i * phentsize)[0] != 3 for i in range(phnum))


def _children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(x) for x in f.read().split()]
    except OSError:
        return []


def _service_pid(tend_pid, name):
    for c in _children(tend_pid):
        try:
            with open("/proc/%d/environ" % c, "rb") as f:
                if b"\0TEND_SERVICE=%s\0" % name.encode() in b"\0" + f.read():
                    return c
        except OSError:
            pass
    return None


@timeout(300)
def test_podman_image_health_and_stop(t):
    missing = [p for p in ("podman", "runc") if shutil.which(p) is None]
    if missing:
        t.note("SKIP: %s not installed (apt-get install podman runc)" % " ".join(missing))
        return
    if not _is_static(t.binary):
        t.note("SKIP: %s is not static (a FROM scratch image needs the static build)" % t.binary)
        return
    src = t.srcdir
    ctx = t.path("ctx")
    os.makedirs(os.path.join(ctx, "src"))
    shutil.copy(t.binary, os.path.join(ctx, "src", "tend"))
    shutil.copytree(os.path.join(src, "contrib", "docker"), os.path.join(ctx, "contrib", "docker"))
    podman = ["podman", "--root", t.path("storage"), "--runroot", t.path("runroot"),
              "--storage-driver", "vfs", "--runtime", "runc", "--cgroup-manager", "cgroupfs"]
    image = "localhost/tend-test-%d" % os.getpid()
    name = "tend-test-%d" % os.getpid()
    r = t.run(podman + ["build", "--format", "docker", "--network", "none", "-f",
                        os.path.join(ctx, "contrib", "docker", "Containerfile"), "-t", image, ctx],
              timeout=180)
    if r.returncode != 0:
        raise Fail("podman build failed: %s" % (r.stdout[-800:] + r.stderr[-800:]))
    out = open(t.path("container.out"), "w")
    container = t.spawn(podman + ["run", "--rm", "--name", name, "--network", "none",
                                  "--ulimit", "nofile=1024:1024", "--ulimit", "nproc=1000:1000", image],
                        stdout=out, stderr=subprocess.STDOUT)
    try:
        def health():
            return t.run(podman + ["healthcheck", "run", name], timeout=60)

        def tend_pid():
            r = t.run(podman + ["inspect", "-f", "{{.State.Pid}}", name], timeout=60)
            return int(r.stdout.strip()) if r.returncode == 0 and r.stdout.strip().isdigit() \
                and int(r.stdout.strip()) > 0 else None

        pid = wait_until(tend_pid, 60, "the container to run")
        wait_until(lambda: health().returncode == 0, 60, "podman healthcheck run: healthy")
        # the sidecar (ready-required) down: kill it whenever it is back
        # (its backoff grows), until podman sees the container unhealthy
        stop = threading.Event()

        def killer():
            while not stop.is_set():
                p = _service_pid(pid, "sidecar")
                if p:
                    try:
                        os.kill(p, signal.SIGKILL)
                    except OSError:
                        pass
                time.sleep(0.02)
        thread = threading.Thread(target=killer, daemon=True)
        thread.start()
        try:
            r = wait_until(lambda: (lambda r: r if r.returncode != 0 else None)(health()), 60,
                           "podman healthcheck run: unhealthy while the sidecar is down")
            check("unhealthy" in (r.stdout + r.stderr), "podman says unhealthy: %r" % (r.stdout + r.stderr))
        finally:
            stop.set()
            thread.join(5)
        wait_until(lambda: health().returncode == 0, 60, "healthy again once the sidecar is back")
        r = t.run(podman + ["stop", "-t", "10", name], timeout=60)
        eq(r.returncode, 0, "podman stop")
        try:
            status = container.wait(60)
        except subprocess.TimeoutExpired:
            raise Fail("the container did not end after podman stop")
        out.flush()
        log = open(t.path("container.out")).read()
        t.note(log[-1500:])
        check("shutting down: SIGTERM" in log, "tend shut down on podman stop's SIGTERM")
        check("exit app: " in log and "exit code 0" in log, "the main service ended")
        eq(status, 0, "the container's exit status (the main service's)")
    finally:
        if container.poll() is None:
            t.run(podman + ["kill", name], timeout=60)
            container.wait(30)
        t.run(podman + ["rmi", "-f", image], timeout=120)
