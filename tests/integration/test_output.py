"""stdout/stderr = prefix (SPEC §2.3, §7): each line of a prefixed service
comes out of tend's stdout (stderr) whole, as `NAME | line` or, with
--log-format json, one JSON object; long lines are cut into marked pieces;
an unfinished last line is forwarded when the process exits; a slow reader
of tend's stdout slows the services down (backpressure) instead of losing
lines or blocking supervision; a closed or full stdout is survived.

Big outputs are read from a pipe of the test's own (tend's stdout is
redirected to it by a wrapper), not through the harness's line reader.
"""
import json
import os
import shutil
import signal
import socket
import threading
import time
import urllib.request

from harness import Fail, Skip, check, eq, wait_until, timeout, PY
import harness as h


class Drain(threading.Thread):
    """Reads a pipe into a bytearray; `delay` seconds between reads of
    `chunk` bytes while self.slow is set (a slow `docker logs`)."""

    def __init__(self, fd, chunk=65536, delay=0.0):
        super().__init__(daemon=True)
        self.fd, self.chunk, self.delay = fd, chunk, delay
        self.slow = delay > 0
        self.data = bytearray()
        self.done = False
        self.start()

    def run(self):
        try:
            while True:
                b = os.read(self.fd, self.chunk if self.slow else 1 << 20)
                if not b:
                    break
                self.data += b
                if self.slow:
                    time.sleep(self.delay)
        finally:
            self.done = True
            os.close(self.fd)

    def lines(self):
        return bytes(self.data).split(b"\n")


def _tend_to_pipe(t, ini, args=(), chunk=65536, delay=0.0, **kw):
    """tend with its stdout on a pipe the test reads (a Drain)."""
    r, w = os.pipe()
    wrapper = ["sh", "-c", 'exec "$@" >&%d %d>&-' % (w, w), "sh"]
    td = t.tree(ini, args, prefix=wrapper, pass_fds=(w,), **kw)
    os.close(w)
    return td, Drain(r, chunk, delay)


def _stop(td, drain, timeout_s=20):
    td.kill(signal.SIGTERM)
    eq(td.wait(timeout_s), 0, "tend's exit status after SIGTERM")
    drain.slow = False
    wait_until(lambda: drain.done, 10, "end of tend's stdout")


# ------------------------------------------------------------- the format

def test_prefix_text_lines_on_stdout_and_stderr(t):
    t.script("svc", "#!/bin/sh\necho one\necho two >&2\necho three\nexec sleep 1001\n")
    td = t.tree("""
[service:web/app]
command = %s
stdout = prefix
stderr = prefix
[service:other]
command = sh -c 'echo plain; exec sleep 1002'
[group:web]
""" % t.path("svc"))
    td.wait_until(lambda: "web/app | three" in td.out, 5, "web/app's stdout lines")
    eq([l for l in td.out if l.startswith("web/app")], ["web/app | one", "web/app | three"],
       "web/app's lines on tend's stdout")
    td.wait_for_log(r"^web/app \| two$", 5)
    check("plain" in td.out, "an inherited stdout is written by the service itself")
    check(not any("prefix" in l and "not supported" in l for l in td.log),
          "no 'not supported' warning any more")
    td.kill(signal.SIGTERM)
    eq(td.wait(5), 0, "exit status")


JSON_SERVICE = r"""import os
os.write(1, b'say "hi"\\ \t\x01 caf\xc3\xa9 \xff end\n')
os.write(2, b'on stderr\n')
os.execvp("sleep", ["sleep", "1001"])
"""


def _check_json(td):
    td.wait_until(lambda: any('"stream":"stdout"' in l for l in td.out), 5, "a JSON line")
    objs = [json.loads(l) for l in td.out if l]
    mine = [o for o in objs if o.get("service") == "svc"]
    eq(len(mine), 1, "JSON lines of svc on stdout (%s)" % td.out)
    o = mine[0]
    eq(sorted(o), ["line", "service", "stream", "ts"], "keys")
    eq(o["stream"], "stdout", "stream")
    eq(o["line"], 'say "hi"\\ \t\x01 caf\u00e9 \ufffd end', "line (escaped, invalid UTF-8 as U+FFFD)")
    check(len(o["ts"]) == 24 and o["ts"].endswith("Z") and o["ts"][10] == "T", "ts: %s" % o["ts"])

    def on_stderr():
        for l in td.log:
            if '"stream":"stderr"' in l:
                return json.loads(l)
    e = td.wait_until(on_stderr, 5, "the stderr line as JSON")
    eq((e["service"], e["line"]), ("svc", "on stderr"), "stderr JSON line")


def test_json_lines_with_log_format_option(t):
    td = t.tree("""
[service:svc]
command = %s
stdout = prefix
stderr = prefix
""" % " ".join(t.py("svc.py", JSON_SERVICE)), ["--log-format", "json"])
    _check_json(td)


def test_json_lines_with_log_format_in_the_file(t):
    td = t.tree("""
[tend]
log-format = json
[service:svc]
command = %s
stdout = prefix
stderr = prefix
""" % " ".join(t.py("svc.py", JSON_SERVICE)))
    _check_json(td)


LONG_SERVICE = r"""import os
os.write(1, b"x" * 10000 + b"\n" + b"y" * 4095 + "\u00e9".encode() + b"z" * 10 + b"\n"
         + b"w" * 4096 + b"\n")
os.execvp("sleep", ["sleep", "1001"])
"""


def test_long_lines_are_cut_into_marked_pieces(t):
    td = t.tree("""
[service:svc]
command = %s
stdout = prefix
""" % " ".join(t.py("svc.py", LONG_SERVICE)))
    td.wait_until(lambda: len(td.out) >= 6, 5, "six lines")
    eq(td.out[:6], ["svc | " + "x" * 4096 + "\\", "svc | " + "x" * 4096 + "\\", "svc | " + "x" * 1808,
                    "svc | " + "y" * 4095 + "\\", "svc | \u00e9" + "z" * 10,
                    "svc | " + "w" * 4096],
       "pieces of at most 4096 bytes, each continued one ending in a backslash, "
       "never cutting a UTF-8 character; a line of exactly 4096 bytes whole")


def test_long_lines_in_json_are_marked_partial(t):
    td = t.tree("""
[service:svc]
command = %s
stdout = prefix
""" % " ".join(t.py("svc.py", LONG_SERVICE)), ["--log-format", "json"])
    td.wait_until(lambda: len([l for l in td.out if l]) >= 6, 5, "six JSON lines")
    objs = [json.loads(l) for l in td.out if l][:6]
    eq([(len(o["line"].encode()), o.get("partial", False)) for o in objs],
       [(4096, True), (4096, True), (1808, False), (4095, True), (12, False), (4096, False)],
       "(bytes, partial) of each piece")


def test_unfinished_last_line_is_forwarded_at_exit(t):
    # the background sleep keeps the pipe open: the flush must not wait for
    # the end of file, and the next life's output must come after it
    t.script("svc", "#!/bin/sh\nprintf 'first\\nlast words'\nsleep 1001 &\nexit 1\n")
    td = t.tree("""
[tend]
max-restarts = 1000
[service:svc]
command = %s
stdout = prefix
kill-group = no
backoff-min = 300ms
backoff-max = 300ms
""" % t.path("svc"))
    td.wait_until(lambda: len(td.out) >= 4, 5, "two lives of output")
    eq(td.out[:4], ["svc | first", "svc | last words", "svc | first", "svc | last words"],
       "lines of two lives, each unfinished last line forwarded at its exit")


# --------------------------------------------- volume and backpressure

WRITER = r"""import os, sys
name = sys.argv[1]
out = sys.stdout.buffer
for i in range(0, 100000, 1000):
    out.write("".join("%s %06d ..................\n" % (name, j) for j in range(i, i + 1000)).encode())
out.flush()
"""

VOLUME_INI = """
[tend]
max-restarts = 100000
%s
[service:crash]
command = sh -c 'exit 1'
backoff-min = 200ms
backoff-max = 200ms
backoff-jitter = 0
"""


def _volume_ini(t):
    cmd = " ".join(t.py("writer.py", WRITER))
    services = "".join("[service:%s]\ncommand = %s %s\nstdout = prefix\nrestart = never\n"
                       % (n, cmd, n) for n in ("a", "b", "c"))
    return VOLUME_INI % services


def _check_volume(drain):
    got = {"a": [], "b": [], "c": []}
    bad = []
    for line in drain.lines():
        if not line:
            continue
        parts = line.split(b" ")
        name = parts[0].decode(errors="replace")
        if (len(parts) != 5 or name not in got or parts[1] != b"|" or parts[2] != parts[0]
                or parts[4] != b"." * 18):
            bad.append(line)
            continue
        got[name].append(int(parts[3]))
    check(not bad, "%d torn or foreign lines, e.g. %r" % (len(bad), bad[:3]))
    for name, seq in got.items():
        eq(len(seq), 100000, "lines of %s" % name)
        check(seq == list(range(100000)), "lines of %s in order, each once" % name)


def _starts(td, name):
    return [e.ts for e in h.log_events(td, "start", name)]


@timeout(60)
def test_100000_lines_from_three_services_arrive_whole_in_order(t):
    td, drain = _tend_to_pipe(t, _volume_ini(t))
    for n in ("a", "b", "c"):
        h.wait_log_events(td, "exit", n, 1, 30)
    _stop(td, drain)
    _check_volume(drain)


@timeout(90)
def test_slow_reader_backpressure_loses_nothing_and_keeps_supervising(t):
    # 4 KiB every 20 ms: about 200 KiB/s, against services that could write
    # their 3.3 MB in well under a second
    td, drain = _tend_to_pipe(t, _volume_ini(t), chunk=4096, delay=0.02)
    h.wait_log_events(td, "start", "c", 1, 10)
    start = time.monotonic()
    rss = []
    while time.monotonic() - start < 4:
        rss.append(int(h.status(td.pid).get("VmRSS", "0 kB").split()[0]))
        time.sleep(0.2)
    writers = [e for n in ("a", "b", "c") for e in h.log_events(td, "exit", n)]
    check(not writers, "the writers were held back by the slow reader (exited: %s)" % writers)
    check(len(drain.data) < 2000000, "only what the reader took came out (%d bytes)" % len(drain.data))
    shares = {n: sum(1 for l in drain.lines() if l.startswith(n.encode() + b" | ")) for n in "abc"}
    t.note("lines of each writer during the slow phase: %s" % shares)
    check(all(v >= 0.2 * sum(shares.values()) for v in shares.values()),
          "the slow reader's lines are shared fairly between the writers: %s" % shares)
    t.note("tend VmRSS over the slow phase (kB): %s" % rss)
    check(max(rss) < 16 * 1024, "tend's RSS stays bounded (max %d kB)" % max(rss))
    starts = [s for s in _starts(td, "crash")]
    gaps = [b - a for a, b in zip(starts, starts[1:])]
    t.note("crash restart gaps: %s" % [round(g, 3) for g in gaps])
    check(len(gaps) >= 10, "the crashing sibling kept restarting (%d starts)" % len(starts))
    check(all(0.19 <= g < 0.35 for g in gaps[-10:]),
          "the sibling's 200 ms backoff kept while output backs up: %s" % gaps[-10:])
    drain.slow = False
    for n in ("a", "b", "c"):
        h.wait_log_events(td, "exit", n, 1, 30)
    _stop(td, drain)
    _check_volume(drain)


# ----------------------------------------- a stdout that fails for good

FAILING_INI = """
[tend]
max-restarts = 100000
[service:talker]
command = %s
stdout = prefix
restart = never
[service:crash]
command = sh -c 'exit 1'
backoff-min = 100ms
backoff-max = 100ms
"""

TALKER = "import sys\nfor i in range(50000):\n    print('line %d' % i)\n"


def test_closed_stdout_epipe_is_reported_once_and_survived(t):
    r, w = os.pipe()
    os.close(r)
    try:
        os.dup2(w, 9)
        _survives_failing_stdout_fd(t, 9, "Broken pipe")
    finally:
        os.close(w)
        os.close(9)


def _survives_failing_stdout_fd(t, fd, words):
    wrapper = ["sh", "-c", 'exec "$@" >&%d %d>&-' % (fd, fd), "sh"]
    td = t.tree(FAILING_INI % " ".join(t.py("talker.py", TALKER)), prefix=wrapper, pass_fds=(fd,))
    h.wait_log_events(td, "exit", "talker", 1, 10)
    mark = len(h.log_events(td, "start", "crash"))
    h.wait_log_events(td, "start", "crash", mark + 3, 5)
    errors = [l for l in td.log if "cannot write to stdout" in l]
    eq(len(errors), 1, "reports of the failing stdout (%s)" % errors)
    check(words in errors[0], "the report says why: %s" % errors[0])
    exits = h.log_events(td, "exit", "talker")
    check("exit code 0" in exits[0].msg, "the talker was not blocked or killed: %s" % exits[0].msg)
    td.kill(signal.SIGTERM)
    eq(td.wait(5), 0, "exit status after SIGTERM")
    td.wait_for_log(r"output: \d+ lines of service output for stdout were discarded", 2)


def test_full_stdout_dev_full_is_reported_once_and_survived(t):
    fd = os.open("/dev/full", os.O_WRONLY)
    try:
        os.dup2(fd, 9)
        _survives_failing_stdout_fd(t, 9, "No space left on device")
    finally:
        os.close(fd)
        os.close(9)


# ------------------------------------------------------------------ nginx

NGINX_CONF = """
daemon off;
master_process on;
worker_processes 1;
pid {tmp}/nginx.pid;
error_log /dev/stderr notice;
events {{ worker_connections 64; }}
http {{
    access_log /dev/stdout;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location / {{ return 200 "hello from nginx\\n"; }}
    }}
}}
"""


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@timeout(40)
def test_nginx_access_and_error_log_under_prefix(t):
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else None)
    if not nginx:
        raise Skip("nginx is not installed (apt-get install nginx-light)")
    port = _free_port()
    conf = t.write("nginx.conf", NGINX_CONF.format(tmp=t.tmp, port=port))
    td = t.tree("""
[service:web/nginx]
command = %s -e /dev/stderr -p %s -c %s
stdout = prefix
stderr = prefix
[group:web]
""" % (nginx, t.tmp, conf))
    td.wait_for_log(r"^web/nginx \| .*(start worker process|using the \"epoll\" event method)", 10)

    def fetch():
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/tend-probe" % port, timeout=2) as r:
                return r.read()
        except OSError:
            return None
    eq(wait_until(fetch, 10, "an answer from nginx"), b"hello from nginx\n", "nginx's answer")
    line = td.wait_until(lambda: [l for l in td.out if "/tend-probe" in l], 5, "the access log line")[0]
    check(line.startswith("web/nginx | 127.0.0.1 - ") and '"GET /tend-probe HTTP/1.1" 200' in line,
          "the access log line, prefixed: %r" % line)
    td.kill(signal.SIGTERM)
    eq(td.wait(10), 0, "exit status")
