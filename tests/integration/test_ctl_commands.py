"""tendctl commands over the control socket (SPEC §6): status (table,
--json fields and types exactly, NAME filters), tree, start/stop/restart on
services, instances and groups, signal, shutdown, metrics, exit codes and
the did-you-mean message.

Every wait goes through `status --json` polled with a deadline (or tend's
log); pids in the JSON are namespace pids, which is what `signal` and the
services see.
"""
import json
import os
import re
import shutil
import time

from harness import Fail, Skip, check, eq, wait_until, timeout
import harness as h


def _ctl(t, td, *args, timeout=10.0):
    return t.ctl(td, list(args), timeout=timeout)


# tendctl output and status --json through the harness (one definition
# for every module)
_output, _services, _groups = h.ctl_output, h.services_of, h.groups_of
_status, _wait_status = h.status_json, h.wait_status


def _wait_state(t, td, name, state, timeout=10.0):
    return _wait_status(t, td, lambda d: _services(d).get(name, {}).get("state") == state,
                        "%s %s" % (name, state), timeout)


def _wait_ready(t, td, timeout=10.0):
    return _wait_status(t, td, lambda d: d["ready"], "the tree ready", timeout)


TREE = """
[service:db]
command = sleep 2001
stop-timeout = 2s

[group:web]
strategy = one-for-all
max-restarts = 50

[service:web/nginx]
command = sleep 2002
stop-timeout = 2s

[service:web/php]
command = sleep 2003
stop-timeout = 2s
backoff-min = 0
backoff-jitter = 0

[group:web/admin]

[service:web/admin/panel]
command = sleep 2004
stop-timeout = 2s

[service:worker]
command = sleep 2005
instances = 2
stop-timeout = 2s

[service:setup]
type = oneshot
command = true
"""


def _up(t, ini=TREE):
    td = t.tree(t.write_ini(ini))
    _wait_ready(t, td)
    return td


# ------------------------------------------------------------------ status

SERVICE_KEYS = {"name", "group", "state", "pid", "ready", "health", "restarts", "uptime_s",
                "last_exit", "reason", "status_text"}
GROUP_KEYS = {"name", "group", "state", "ready", "restarts"}
SERVICE_STATES = {"stopped", "starting", "running", "stopping", "backoff", "exited", "failed"}
GROUP_STATES = {"up", "starting", "stopping", "stopped", "failed"}


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_service(s):
    eq(set(s), SERVICE_KEYS, "keys of service %s" % s.get("name"))
    check(isinstance(s["name"], str) and s["name"], "name is a non-empty string: %r" % s)
    check(isinstance(s["group"], str), "group is a string: %r" % s)
    check(s["state"] in SERVICE_STATES, "state %r" % s["state"])
    check(s["pid"] is None or (isinstance(s["pid"], int) and not isinstance(s["pid"], bool)
                               and s["pid"] > 0), "pid %r" % s["pid"])
    check(isinstance(s["ready"], bool), "ready is a bool: %r" % s)
    check(s["health"] in ("none", "unknown", "healthy", "unhealthy"), "health %r" % s["health"])
    check(isinstance(s["restarts"], int) and not isinstance(s["restarts"], bool)
          and s["restarts"] >= 0, "restarts %r" % s["restarts"])
    check(s["uptime_s"] is None or (_is_number(s["uptime_s"]) and s["uptime_s"] >= 0),
          "uptime_s %r" % s["uptime_s"])
    check((s["uptime_s"] is None) == (s["pid"] is None), "uptime_s null exactly without a pid: %r" % s)
    le = s["last_exit"]
    if le is not None:
        eq(set(le), {"code", "signal"}, "last_exit keys")
        check((le["code"] is None) != (le["signal"] is None), "one of code or signal: %r" % le)
        check(le["code"] is None or isinstance(le["code"], int), "code %r" % le)
        check(le["signal"] is None or re.match(r"^SIG[A-Z0-9+]+$", le["signal"]), "signal %r" % le)
    check(s["reason"] is None or (isinstance(s["reason"], str) and s["reason"]), "reason %r" % s)
    check(s["status_text"] is None or isinstance(s["status_text"], str), "status_text %r" % s)


def test_status_json_fields_and_types(t):
    td = _up(t)
    doc = _wait_status(t, td, lambda d: _services(d)["setup"]["state"] == "exited", "setup exited")
    eq(list(doc), ["live", "ready", "services", "groups"], "top-level keys in order")
    check(doc["live"] is True and doc["ready"] is True, "live and ready: %r" % doc)
    eq([s["name"] for s in doc["services"]],
       ["db", "web/nginx", "web/php", "web/admin/panel", "worker.0", "worker.1", "setup"],
       "services in config order")
    for s in doc["services"]:
        _check_service(s)
    services = _services(doc)
    for name in ("db", "web/nginx", "web/php", "web/admin/panel", "worker.0", "worker.1"):
        s = services[name]
        eq(s["state"], "running", name + " state")
        check(s["ready"] is True and s["pid"] > 0 and s["uptime_s"] >= 0, "%s: %r" % (name, s))
        eq(s["last_exit"], None, name + " last_exit")
        eq(s["restarts"], 0, name + " restarts")
        eq(s["health"], "none", name + " health")
    eq(services["db"]["group"], "", "a root child's group")
    eq(services["web/admin/panel"]["group"], "web/admin", "a nested service's group")
    eq(services["worker.1"]["group"], "", "an instance's group")
    setup = services["setup"]
    eq((setup["state"], setup["ready"], setup["pid"], setup["uptime_s"]),
       ("exited", True, None, None), "the finished oneshot")
    eq(setup["last_exit"], {"code": 0, "signal": None}, "the oneshot's last_exit")
    groups = doc["groups"]
    eq([g["name"] for g in groups], ["", "web", "web/admin"], "groups in config order, root first")
    for g in groups:
        eq(set(g), GROUP_KEYS, "keys of group %r" % g["name"])
        check(g["state"] in GROUP_STATES and isinstance(g["ready"], bool)
              and isinstance(g["restarts"], int), "group %r" % g)
    eq(groups[0]["group"], None, "the root's group")
    eq(groups[1]["group"], "", "web's group")
    eq(groups[2]["group"], "web", "web/admin's group")
    eq([(g["state"], g["ready"], g["restarts"]) for g in groups], [("up", True, 0)] * 3,
       "groups up and ready")


def test_status_json_after_a_kill_shows_the_signal_and_reason(t):
    td = _up(t)
    before = _services(_status(t, td))["db"]
    check(_ctl(t, td, "signal", "KILL", "db").returncode == 0, "signal KILL db")
    doc = _wait_status(t, td, lambda d: _services(d)["db"]["restarts"] == 1
                       and _services(d)["db"]["state"] == "running"
                       and _services(d)["db"]["pid"] != before["pid"], "db restarted")
    db = _services(doc)["db"]
    eq(db["last_exit"], {"code": None, "signal": "SIGKILL"}, "last_exit after SIGKILL")
    _check_service(db)


def test_status_table(t):
    td = _up(t)
    r = _ctl(t, td, "status")
    eq(r.returncode, 0, "status exit code")
    lines = r.stdout.rstrip("\n").split("\n")
    header = lines[0]
    check(re.match(r"^NAME\s+STATE\s+PID\s+READY\s+HEALTH\s+RESTARTS\s+UPTIME\s+LAST EXIT$", header),
          "header: %r" % header)
    rows = {l.split()[0]: l for l in lines[1:]}
    eq(sorted(rows), sorted(["db", "web/nginx", "web/php", "web/admin/panel", "worker.0",
                             "worker.1", "setup"]), "one row per service")
    columns = [header.index(c) for c in ("STATE", "PID", "READY", "HEALTH", "RESTARTS", "UPTIME",
                                         "LAST EXIT")]
    for line in lines[1:]:
        for c in columns:
            check(line[c - 2:c] == "  " and line[c] != " ",
                  "row aligned with the header at column %d: %r / %r" % (c, header, line))
    db = rows["db"].split()
    eq(db[1], "running", "db STATE")
    check(db[2].isdigit(), "db PID: %r" % rows["db"])
    eq((db[3], db[4], db[5]), ("yes", "-", "0"), "db READY HEALTH RESTARTS")
    check(re.match(r"^\d+s$|^\d+m(\d+s)?$", db[6]), "db UPTIME: %r" % db[6])
    eq(db[7], "-", "db LAST EXIT before any exit")
    setup = rows["setup"].split()
    eq((setup[1], setup[2], setup[3], setup[6], setup[7]), ("exited", "-", "yes", "-", "0"),
       "the oneshot's row")


def test_status_name_filters(t):
    td = _up(t)
    web = _status(t, td, "web")
    eq([s["name"] for s in web["services"]], ["web/nginx", "web/php", "web/admin/panel"],
       "a group's subtree")
    eq([g["name"] for g in web["groups"]], ["web", "web/admin"], "the groups of the subtree")
    eq([s["name"] for s in _status(t, td, "worker")["services"]], ["worker.0", "worker.1"],
       "an instanced service's base name")
    both = _status(t, td, "worker.1", "db")
    eq([s["name"] for s in both["services"]], ["db", "worker.1"], "several names, config order")
    eq(both["groups"], [], "no groups for service names")
    table = _ctl(t, td, "status", "web/admin")
    eq(table.returncode, 0, "status web/admin")
    eq([l.split()[0] for l in table.stdout.strip().split("\n")[1:]], ["web/admin/panel"],
       "the table of a group")


def test_unknown_names_did_you_mean(t):
    td = _up(t)
    for args in (["status", "wbe"], ["stop", "wbe"], ["signal", "TERM", "wbe"],
                 ["restart", "web/ngnix"]):
        r = _ctl(t, td, *args)
        eq(r.returncode, 1, "%s exit code" % args)
    r = _ctl(t, td, "status", "wbe")
    check("no service named 'wbe' (did you mean 'web'?)" in _output(r), "message: %r" % _output(r))
    r = _ctl(t, td, "restart", "web/ngnix")
    check("did you mean 'web/nginx'?" in _output(r), "message: %r" % _output(r))
    r = _ctl(t, td, "status", "zzzzzzzz")
    check("no service named 'zzzzzzzz'" in _output(r) and "did you mean" not in _output(r),
          "no suggestion for a far name: %r" % _output(r))
    # one unknown name among known ones: nothing is done
    pid = _services(_status(t, td))["db"]["pid"]
    eq(_ctl(t, td, "stop", "db", "nosuch").returncode, 1, "stop db nosuch")
    db = _services(_status(t, td))["db"]
    eq((db["state"], db["pid"]), ("running", pid), "db untouched")


def test_usage_errors_exit_2(t):
    td = _up(t)
    for args in (["status", "--bogus"], ["tree", "extra"], ["start"], ["stop"], ["restart"],
                 ["signal"], ["signal", "TERM"], ["signal", "NOSUCHSIG", "db"],
                 ["metrics", "extra"], ["shutdown", "now"], ["frobnicate"]):
        r = _ctl(t, td, *args)
        eq(r.returncode, 2, "%s exit code (%s)" % (args, _output(r).strip()))
    check(_services(_status(t, td))["db"]["state"] == "running", "nothing happened")


def test_no_socket_exits_3(t):
    td = _up(t)
    r = td.exec([t.binary, "ctl", "-s", t.path("nosuch.sock"), "status"])
    eq(r.returncode, 3, "status on a missing socket (%s)" % _output(r).strip())


def test_tree_command(t):
    td = _up(t)
    r = _ctl(t, td, "tree")
    eq(r.returncode, 0, "tree exit code")
    lines = r.stdout.rstrip("\n").split("\n")
    check(re.match(r"^/\s+one-for-one\s+up\s+ready$", lines[0]), "root line: %r" % lines[0])
    text = r.stdout
    check(re.search(r"^  web/\s+one-for-all\s+up\s+ready$", text, re.M), "web line:\n" + text)
    check(re.search(r"^    web/admin/\s+one-for-one\s+up\s+ready$", text, re.M),
          "nested group indented:\n" + text)
    check(re.search(r"^      web/admin/panel\s+running\s+pid \d+\s+ready$", text, re.M),
          "nested service indented:\n" + text)
    check(re.search(r"^  db\s+running\s+pid \d+\s+ready$", text, re.M), "db line:\n" + text)
    eq(len(lines), 10, "one line per group and service:\n" + text)


# --------------------------------------------------- start, stop, restart

def test_restart_gives_a_new_pid(t):
    td = _up(t)
    old = _services(_status(t, td))["db"]["pid"]
    r = _ctl(t, td, "restart", "db")
    eq(r.returncode, 0, "restart exit code: %s" % _output(r))
    doc = _wait_status(t, td, lambda d: _services(d)["db"]["state"] == "running"
                       and _services(d)["db"]["pid"] not in (None, old), "db running again")
    db = _services(doc)["db"]
    eq(db["restarts"], 0, "a tendctl restart is not counted in restarts")
    eq(db["last_exit"], {"code": None, "signal": "SIGTERM"}, "it was stopped with SIGTERM")
    eq(_services(doc)["web/nginx"]["restarts"], 0, "nothing else restarted")


def test_stop_holds_across_one_for_all_restarts(t):
    td = _up(t)
    eq(_ctl(t, td, "stop", "web/nginx").returncode, 0, "stop web/nginx")
    doc = _wait_state(t, td, "web/nginx", "stopped")
    nginx = _services(doc)["web/nginx"]
    eq((nginx["pid"], nginx["ready"]), (None, False), "stopped web/nginx")
    check(doc["ready"] and _groups(doc)["web"]["ready"], "a held service does not count: %r"
          % _groups(doc)["web"])
    # a sibling crashes: one-for-all restarts the group's children, but
    # not the held one
    for round_ in range(2):
        php = _services(_status(t, td))["web/php"]
        eq(_ctl(t, td, "signal", "KILL", "web/php").returncode, 0, "kill web/php")
        doc = _wait_status(t, td, lambda d: _services(d)["web/php"]["restarts"] == round_ + 1
                           and _services(d)["web/php"]["state"] == "running"
                           and _groups(d)["web"]["state"] == "up", "web/php restarted")
        check(_services(doc)["web/php"]["pid"] != php["pid"], "a new web/php")
        nginx = _services(doc)["web/nginx"]
        eq((nginx["state"], nginx["pid"]), ("stopped", None), "held across restart %d" % round_)
    check(not h.live_pids_by_cmdline(td, r"^sleep 2002$"), "no web/nginx process")
    eq(_ctl(t, td, "start", "web/nginx").returncode, 0, "start web/nginx")
    _wait_state(t, td, "web/nginx", "running")


def test_group_targets(t):
    td = _up(t)
    eq(_ctl(t, td, "stop", "web").returncode, 0, "stop web")
    doc = _wait_status(t, td, lambda d: _groups(d)["web"]["state"] == "stopped", "web stopped")
    for name in ("web/nginx", "web/php", "web/admin/panel"):
        eq(_services(doc)[name]["state"], "stopped", name)
    eq(_groups(doc)["web/admin"]["state"], "stopped", "the nested group")
    eq(_services(doc)["db"]["state"], "running", "db untouched")
    eq(_ctl(t, td, "start", "web").returncode, 0, "start web")
    doc = _wait_status(t, td, lambda d: all(_services(d)[n]["state"] == "running" for n in
                                            ("web/nginx", "web/php", "web/admin/panel")),
                       "web running")
    old = {n: _services(doc)[n]["pid"] for n in ("web/nginx", "web/php", "web/admin/panel", "db")}
    eq(_ctl(t, td, "restart", "web").returncode, 0, "restart web")
    doc = _wait_status(t, td, lambda d: all(
        _services(d)[n]["state"] == "running" and _services(d)[n]["pid"] != old[n]
        for n in ("web/nginx", "web/php", "web/admin/panel")), "web restarted")
    eq(_services(doc)["db"]["pid"], old["db"], "db untouched by restart web")
    # an instanced service's base name is all its instances
    eq(_ctl(t, td, "stop", "worker").returncode, 0, "stop worker")
    doc = _wait_status(t, td, lambda d: _services(d)["worker.0"]["state"] == "stopped"
                       and _services(d)["worker.1"]["state"] == "stopped", "workers stopped")
    eq(_ctl(t, td, "start", "worker.1").returncode, 0, "start worker.1")
    doc = _wait_state(t, td, "worker.1", "running")
    eq(_services(doc)["worker.0"]["state"], "stopped", "worker.0 still held")


def test_start_a_service_of_a_stopped_group_starts_the_group(t):
    ini = TREE.replace("[group:web/admin]\n", "[group:web/admin]\nautostart = no\n")
    td = _up(t, ini)
    doc = _status(t, td)
    eq(_groups(doc)["web/admin"]["state"], "stopped", "web/admin with autostart = no")
    eq(_services(doc)["web/admin/panel"]["state"], "stopped", "its service")
    eq(_ctl(t, td, "start", "web/admin/panel").returncode, 0, "start web/admin/panel")
    doc = _wait_state(t, td, "web/admin/panel", "running")
    eq(_groups(doc)["web/admin"]["state"], "up", "its group came up with it")


def test_start_after_the_root_gave_up_with_stay(t):
    ini = """
[tend]
on-root-failure = stay
max-restarts = 0

[service:crash]
command = sh -c 'sleep 0.3; exit 3'
backoff-min = 0

[service:steady]
command = sleep 2010
"""
    td = t.tree(t.write_ini(ini))
    doc = _wait_status(t, td, lambda d: d["live"] is False, "the root gave up", 15)
    crash = _services(doc)["crash"]
    eq(crash["state"], "failed", "crash after the give-up")
    eq(_services(doc)["steady"]["state"], "failed", "steady after the give-up")
    check(crash["reason"] is not None, "a reason: %r" % crash)
    eq(_groups(doc)[""]["state"], "failed", "the root")
    eq(_ctl(t, td, "start", "steady").returncode, 0, "start steady")
    doc = _wait_status(t, td, lambda d: _services(d)["steady"]["state"] == "running",
                       "steady running again")
    check(doc["live"] is True, "live again once the root runs: %r" % doc["live"])
    check(td.alive(), "tend stayed")


def test_stop_is_refused_during_shutdown_and_shutdown_exits_0(t):
    td = _up(t, TREE.replace("command = sleep 2001\nstop-timeout = 2s",
                             "command = sh -c 'trap \"sleep 1; exit 0\" TERM; sleep 2001 & wait'\n"
                             "stop-timeout = 5s"))
    r = _ctl(t, td, "shutdown")
    eq(r.returncode, 0, "shutdown exit code: %s" % _output(r))
    r = _ctl(t, td, "stop", "worker.0")
    if r.returncode != 3:   # tend may be gone already
        eq(r.returncode, 1, "stop during the shutdown: %s" % _output(r))
        check("shutting down" in _output(r), "says why: %r" % _output(r))
    eq(td.wait(20), 0, "tend's exit status after tendctl shutdown")


# ------------------------------------------------------------------ signal

SIGNAL_TREE = """
[service:catcher]
command = sh -c 'trap "echo usr1 >> {out}" USR1; trap "echo hup >> {out}" HUP; while :; do sleep 1 & wait; done'
kill-group = no

[service:idle]
command = sleep 2020
autostart = no
"""


def test_signal_reaches_the_process(t):
    out = t.path("signals.txt")
    td = t.tree(t.write_ini(SIGNAL_TREE.format(out=out)))
    _wait_state(t, td, "catcher", "running")
    wait_until(lambda: h.live_pids_by_cmdline(td, r"^sleep 1$"), 5, "the catcher's loop")
    eq(_ctl(t, td, "signal", "USR1", "catcher").returncode, 0, "signal USR1")
    wait_until(lambda: "usr1" in (t.read("signals.txt") or ""), 5, "USR1 caught")
    eq(_ctl(t, td, "signal", "SIGHUP", "catcher").returncode, 0, "signal SIGHUP")
    wait_until(lambda: "hup" in (t.read("signals.txt") or ""), 5, "HUP caught")
    eq(_ctl(t, td, "signal", "10", "catcher").returncode, 0, "signal 10 (a number)")
    wait_until(lambda: (t.read("signals.txt") or "").count("usr1") == 2, 5, "second USR1")
    r = _ctl(t, td, "signal", "TERM", "idle")
    eq(r.returncode, 1, "signal to a stopped service")
    check("'idle' is not running" in _output(r), "the reason: %r" % _output(r))
    eq(_services(_status(t, td))["catcher"]["state"], "running", "the catcher still runs")


def test_signal_a_group_reaches_every_service(t):
    td = _up(t)
    eq(_ctl(t, td, "signal", "KILL", "web/admin").returncode, 0, "signal KILL web/admin")
    _wait_status(t, td, lambda d: _services(d)["web/admin/panel"]["restarts"] == 1, "panel restarted")
    old = {n: s["pid"] for n, s in _services(_status(t, td)).items()}
    eq(_ctl(t, td, "signal", "STOP", "worker").returncode, 0, "signal STOP worker")
    for name in ("worker.0", "worker.1"):
        wait_until(lambda: h.stat(td.host_pid(old[name])).state == "T", 5, name + " stopped (T)")
    eq(_ctl(t, td, "signal", "CONT", "worker").returncode, 0, "signal CONT worker")


# ----------------------------------------------------------------- metrics

def test_metrics_pass_promtool(t):
    promtool = shutil.which("promtool")
    td = _up(t)
    _ctl(t, td, "signal", "KILL", "db")
    _wait_status(t, td, lambda d: _services(d)["db"]["restarts"] == 1
                 and _services(d)["db"]["state"] == "running", "db restarted")
    r = _ctl(t, td, "metrics")
    eq(r.returncode, 0, "metrics exit code")
    text = r.stdout
    for line in ('tend_service_up{service="db"} 1', 'tend_service_ready{service="web/nginx"} 1',
                 'tend_service_restarts_total{service="db"} 1',
                 'tend_service_last_exit_code{service="db"} 137',
                 'tend_service_health{service="db",health="none"} 1',
                 'tend_service_health{service="db",health="healthy"} 0',
                 'tend_group_ready{group="web"} 1', 'tend_group_restarts_total{group=""} 0',
                 "tend_live 1", "tend_ready 1"):
        check(line in text.split("\n"), "%r in the metrics:\n%s" % (line, text[:3000]))
    check(re.search(r'^tend_build_info\{version="[^"]+"\} 1$', text, re.M), "build info")
    check(re.search(r'^tend_service_start_time_seconds\{service="db"\} (\d+)$', text, re.M),
          "start time")
    start = int(re.search(r'^tend_service_start_time_seconds\{service="db"\} (\d+)$', text,
                          re.M).group(1))
    check(abs(start - time.time()) < 60, "start time is a unix time: %d" % start)
    check(re.search(r"^tend_orphans_reaped_total \d+$", text, re.M), "orphans")
    check(re.search(r"^tend_uptime_seconds \d+$", text, re.M), "uptime")
    if promtool is None:
        raise Skip("promtool is not installed")
    p = t.run([promtool, "check", "metrics"], input=text, stdin=None)
    eq(p.returncode, 0, "promtool check metrics: %s%s" % (p.stdout, p.stderr))


# -------------------------------------------------------------- 1,000 services

@timeout(120)
def test_status_over_1000_services(t):
    ini = "[service:s]\ncommand = sleep 2030\ninstances = 1000\nstop-timeout = 2s\n"
    td = t.tree(t.write_ini(ini))
    doc = _wait_status(t, td, lambda d: d["ready"], "1,000 services ready", 90)
    eq(len(doc["services"]), 1000, "services")
    best = None
    for _ in range(5):
        began = time.monotonic()
        r = _ctl(t, td, "status", "--json")
        elapsed = time.monotonic() - began
        eq(r.returncode, 0, "status --json")
        best = elapsed if best is None else min(best, elapsed)
    eq(len(json.loads(r.stdout)["services"]), 1000, "services")
    t.note("status --json over 1,000 services, nsenter and tendctl included: %.1f ms" % (best * 1000))
    check(best < 0.5, "status over 1,000 services took %.3f s" % best)
    r = _ctl(t, td, "status")
    eq(len(r.stdout.strip().split("\n")), 1001, "table rows")


# ------------------------------------------------------- reasons and escaping

NOTIFIER = h.NOTIFY_CLIENT + r"""
import time
notify_socket().send(b'READY=1\nSTATUS=say "hi" \\ back\x7f caf\xc3\xa9 bad\xff end')
time.sleep(1000)
"""


def test_status_json_strings_are_escaped(t):
    ini = """
[service:talker]
command = {cmd}
ready = notify

[service:broken]
command = /nonexistent/program
backoff-min = 5s
""".format(cmd=" ".join(t.py("notifier.py", NOTIFIER)))
    td = t.tree(t.write_ini(ini))
    doc = _wait_status(t, td, lambda d: _services(d)["talker"]["status_text"] is not None,
                       "talker's STATUS=")
    talker = _services(doc)["talker"]
    eq(talker["status_text"], 'say "hi" \\ back\x7f caf\u00e9 bad\ufffd end',
       "status_text through JSON (quotes, backslash, DEL, UTF-8, an invalid byte)")
    eq((talker["state"], talker["ready"]), ("running", True), "talker ready by notify")
    raw = _ctl(t, td, "status", "--json", "talker").stdout
    check("\\u007f" in raw and "\\ufffd" in raw and "\\\"hi\\\"" in raw, "escapes on the wire: %r" % raw)
    doc = _wait_status(t, td, lambda d: _services(d)["broken"]["state"] == "backoff", "broken backs off")
    broken = _services(doc)["broken"]
    check(broken["reason"] is not None and "No such file or directory" in broken["reason"],
          "the exec failure as the reason: %r" % broken["reason"])
    eq(broken["pid"], None, "no pid in backoff")
    r = _ctl(t, td, "signal", "TERM", "broken")
    eq(r.returncode, 1, "signal to a service in backoff")
    check("'broken' is not running (backoff: " in _output(r), "the reason: %r" % _output(r))


def test_many_unknown_names_are_cheap(t):
    td = _up(t)
    names = ["dbq"] * 900
    began = time.monotonic()
    r = _ctl(t, td, "status", *names)
    elapsed = time.monotonic() - began
    eq(r.returncode, 1, "status with 900 unknown names")
    lines = _output(r).strip().split("\n")
    eq(len([l for l in lines if l.startswith("no service named 'dbq'")]), 900, "a line per name")
    eq(len([l for l in lines if "did you mean 'db'?" in l]), 8, "suggestions for the first 8 only")
    check(elapsed < 2.0, "took %.2f s" % elapsed)
    eq(_services(_status(t, td))["db"]["state"], "running", "tend still answers")


def test_a_stopped_group_stays_down_across_its_parents_restart(t):
    ini = "[tend]\nstrategy = rest-for-one\nmax-restarts = 50\n" + TREE.replace(
        "command = sleep 2001\nstop-timeout = 2s", "command = sleep 2001\nstop-timeout = 2s\nbackoff-min = 0")
    td = _up(t, ini)
    eq(_ctl(t, td, "stop", "web").returncode, 0, "stop web")
    _wait_status(t, td, lambda d: _groups(d)["web"]["state"] == "stopped", "web stopped")
    old = {n: s["pid"] for n, s in _services(_status(t, td)).items()}
    # db is the root's first child: rest-for-one restarts everything after it
    eq(_ctl(t, td, "signal", "KILL", "db").returncode, 0, "kill db")
    doc = _wait_status(t, td, lambda d: d["ready"] and all(
        _services(d)[n]["state"] == "running" and _services(d)[n]["pid"] != old[n]
        for n in ("db", "worker.0", "worker.1")), "db and the workers restarted, ready again")
    for name in ("web/nginx", "web/php", "web/admin/panel"):
        eq((_services(doc)[name]["state"], _services(doc)[name]["pid"]), ("stopped", None), name)
    eq(_groups(doc)["web"]["state"], "stopped", "web held across the root's restart")
    eq(_services(doc)["setup"]["state"], "exited", "the oneshot ran again")
