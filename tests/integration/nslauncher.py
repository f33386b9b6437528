"""PID 1 of a test namespace in which tend runs as an ordinary process.

usage: nslauncher.py STATUS_FILE HOLD_FILE -- TEND ARGS...

Starts TEND ARGS as its child, reaps every process that ends up its child,
writes tend's wait status to STATUS_FILE as JSON ({"code": N|null,
"signal": N|null}), then keeps the namespace (and reaping) alive while
HOLD_FILE exists (at most 120 s), so a test can look at what survived tend.
Exits with tend's exit code (128+N for a signal).
"""
import json
import os
import signal
import sys
import time


def main():
    status_file, hold_file = sys.argv[1], sys.argv[2]
    argv = sys.argv[sys.argv.index("--") + 1:]
    pid = os.fork()
    if pid == 0:
        # undo what Python did to its own signal dispositions
        for s in (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGINT):
            signal.signal(s, signal.SIG_DFL)
        try:
            os.execv(argv[0], argv)
        except OSError as e:
            os.write(2, ("nslauncher: exec %s: %s\n" % (argv[0], e)).encode())
        os._exit(127)
    result = None
    while result is None:
        try:
            p, st = os.waitpid(-1, 0)
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        if p == pid:
            if os.WIFSIGNALED(st):
                result = {"code": None, "signal": os.WTERMSIG(st)}
            else:
                result = {"code": os.WEXITSTATUS(st), "signal": None}
    if result is None:
        result = {"code": None, "signal": None}
    tmp = status_file + ".tmp"
    with open(tmp, "w") as f:
        json.dump(result, f)
    os.rename(tmp, status_file)
    deadline = time.monotonic() + 120
    while os.path.exists(hold_file) and time.monotonic() < deadline:
        while True:
            try:
                p, _ = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                break
            if p == 0:
                break
        time.sleep(0.02)
    if result["signal"]:
        return 128 + result["signal"]
    return result["code"] or 0


if __name__ == "__main__":
    sys.exit(main())
