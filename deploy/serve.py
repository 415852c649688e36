"""Serve a school: N app processes behind HAProxy, in the foreground (`make serve-replicas`).

    python -m deploy.serve --replicas 2 --port 8501 [--bind 0.0.0.0]

Each replica is `make run` on its own loopback port; HAProxy listens on
--bind:--port, keeps each browser on one replica (cookie SERVERID) and takes a
replica that stops answering /_stcore/health out of rotation.  Ctrl-C or TERM
stops the proxy and every replica.  A replica that dies is reported and left
out (the others keep serving); if HAProxy itself dies, everything stops.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

from deploy.processes import HAPROXY, AppProcess, Proxy


class _Stop(Exception):
    """Ctrl-C or TERM."""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replicas", "-n", type=int, default=2, help="app processes (default 2)")
    ap.add_argument("--port", type=int, default=8501, help="where HAProxy listens (default 8501)")
    ap.add_argument("--bind", default="0.0.0.0", help="HAProxy's address (default all interfaces, as `make run`)")
    ap.add_argument("--haproxy", default=HAPROXY, help=f"HAProxy binary (default {HAPROXY})")
    args = ap.parse_args(argv)
    if args.replicas < 1:
        ap.error("--replicas must be at least 1")

    def stop(signum, _frame):
        raise _Stop(signum)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)

    logs = Path(tempfile.mkdtemp(prefix="serve-replicas-"))
    apps: list[AppProcess] = []
    proxy = None
    try:
        for i in range(1, args.replicas + 1):  # all started before waiting: they load in parallel
            apps.append(AppProcess(log=logs / f"r{i}.log"))
        for app in apps:
            app.wait_healthy()
        proxy = Proxy(args.port, [a.port for a in apps], bind=args.bind, haproxy=args.haproxy)
        proxy.wait_healthy()
        for i, app in enumerate(apps, start=1):
            print(f"replica r{i}: {app.url} (make pid {app.pid}, log {app.log_path})", flush=True)
        print(f"HAProxy (pid {proxy.pid}) on http://{args.bind}:{args.port}, config {proxy.config}; "
              f"Ctrl-C stops everything", flush=True)
        reported: set[int] = set()
        parent = os.getppid()
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:  # `make` was killed (TERM to make is not passed on)
                print("parent process gone; stopping", file=sys.stderr, flush=True)
                return 0
            if not proxy.running():
                print(f"HAProxy exited with code {proxy.proc.returncode}; stopping", file=sys.stderr, flush=True)
                return 1
            for i, app in enumerate(apps, start=1):
                if not app.running() and i not in reported:
                    reported.add(i)
                    print(f"replica r{i} exited with code {app.proc.returncode}; HAProxy's health check "
                          f"takes it out of rotation. Last log lines:\n{app.log_tail(10)}",
                          file=sys.stderr, flush=True)
            if len(reported) == len(apps):
                print("every replica is gone; stopping", file=sys.stderr, flush=True)
                return 1
    except _Stop:
        return 0
    except (RuntimeError, FileNotFoundError) as e:
        print(e, file=sys.stderr)
        return 1
    finally:
        # A second Ctrl-C must not interrupt the clean-up half way.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if proxy is not None:
            proxy.stop()
        for app in apps:
            app.stop()


if __name__ == "__main__":
    sys.exit(main())
