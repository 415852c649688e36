"""Load test: simulated students over Streamlit's websocket protocol (`make loadtest`).

    python -m tools.loadtest [--sessions 30] [--seconds 60] [--rounds 2] [--page /]
                             [--url URL [--pid PID ...]] [--replicas N]
                             [--max-p95 S] [--max-errors N] [--max-growth PCT]
                             [--sweep 10,20,30 [--target-p95 S]]

Without --url it starts the app the way `make run` does (on 127.0.0.1, a free
port) and measures that process; with --replicas N it starts N of them behind
HAProxy and drives the proxy.  Exits non-zero on any error (or more than
--max-errors) and when a given threshold is exceeded.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
import time
from dataclasses import asdict, fields

from tools.loadtest import procstat, report
from tools.loadtest.students import Config, Round, run_round


def _args(argv):
    ap = argparse.ArgumentParser(prog="python -m tools.loadtest", description=__doc__.splitlines()[0])
    ap.add_argument("--sessions", type=int, default=30, help="concurrent students (default 30)")
    ap.add_argument("--seconds", type=float, default=60, help="length of a round (default 60)")
    ap.add_argument("--rounds", type=int, default=2, help="identical rounds, fresh sessions each (default 2)")
    ap.add_argument("--page", default="/", help='page path, e.g. "/" or "/side_by_side" (default "/")')
    ap.add_argument("--query", default="", help="query string of the shared link (default none)")
    ap.add_argument("--url", default="", help="run against this server instead of starting one")
    ap.add_argument("--pid", type=int, action="append", default=[],
                    help="with --url: server process(es) to measure, children included (repeatable)")
    ap.add_argument("--replicas", type=int, default=0,
                    help="start N app processes behind HAProxy and drive the proxy")
    ap.add_argument("--think", type=float, nargs=2, default=(0.5, 1.5), metavar=("MIN", "MAX"),
                    help="seconds between a rerun and the next change (default 0.5 1.5)")
    ap.add_argument("--ramp", type=float, default=3.0, help="students arrive within this many seconds")
    ap.add_argument("--timeout", type=float, default=60.0, help="longest wait for one rerun (s)")
    ap.add_argument("--warmup", type=float, default=0.0, help="an unreported 3-session round first (s)")
    ap.add_argument("--assets", action="store_true", help="students also fetch the JS/CSS of index.html")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--sweep", default="", help="comma-separated session counts: one round each")
    ap.add_argument("--target-p95", type=float, default=None,
                    help="with --sweep: report the sessions held at this p95 (s)")
    ap.add_argument("--max-p95", type=float, default=None, help="fail if a round's p95 exceeds this (s)")
    ap.add_argument("--max-errors", type=int, default=0, help="fail above this many errors (default 0)")
    ap.add_argument("--max-growth", type=float, default=None,
                    help="fail if the last round's peak memory exceeds the first's by more (%%)")
    ap.add_argument("--json", default="", help="also write every round's figures to this file")
    a = ap.parse_args(argv)
    if a.url and a.replicas:
        ap.error("--url and --replicas exclude each other")
    if a.pid and not a.url:
        ap.error("--pid goes with --url (a server started here is measured anyway)")
    return a


@contextlib.contextmanager
def _target(a):
    """(url, server pids, proxy pids, description) of what is under load."""
    from deploy.processes import AppProcess, School  # only needed when we start servers

    if a.url:
        yield a.url, a.pid, [], f"{a.url} (server pid {_ids(a.pid) or 'unknown'})"
    elif a.replicas:
        with School(a.replicas) as school:
            pids = [p for app in school.apps for p in procstat.children(app.pid)]
            yield (school.url, pids, [school.proxy.pid],
                   f"{a.replicas} x `make run` behind HAProxy at {school.url} (server pids {_ids(pids)})")
    else:
        app = AppProcess()
        try:
            app.wait_healthy()
            pids = procstat.children(app.pid)  # the Python server under `make`
            yield app.url, pids, [], f"`make run` at {app.url} (server pid {_ids(pids)})"
        finally:
            app.stop()


def _ids(pids: list[int]) -> str:
    return ", ".join(map(str, pids))


def _config(a, url: str, sessions: int, seconds: float, seed) -> Config:
    return Config(url=url, sessions=sessions, seconds=seconds, page=a.page, query=a.query,
                  think=tuple(a.think), ramp=a.ramp, timeout=a.timeout, assets=a.assets, seed=seed)


def main(argv=None) -> int:
    a = _args(argv)
    rounds: list[Round] = []
    with _target(a) as (url, pids, proxy_pids, what):
        print(f"load test against {what}", flush=True)
        if a.url and not pids:
            print("  no --pid: server memory and CPU are not measured", flush=True)
        if a.warmup:
            asyncio.run(run_round(_config(a, url, 3, a.warmup, a.seed), pids, proxy_pids))
        levels = [int(x) for x in a.sweep.split(",") if x.strip()] or [a.sessions] * a.rounds
        for i, n in enumerate(levels, start=1):
            seed = None if a.seed is None else a.seed + i
            r = asyncio.run(run_round(_config(a, url, n, a.seconds, seed), pids, proxy_pids))
            rounds.append(r)
            print(report.summary(f"round {i}/{len(levels)}", r), flush=True)
            time.sleep(2)  # let the server drop the closed sessions before the next class arrives
    return _verdict(a, rounds)


def _verdict(a, rounds: list[Round]) -> int:
    failures = []
    if a.sweep:
        print(report.sweep_table(rounds))
        if a.target_p95 is not None:
            n = report.sessions_at(rounds, a.target_p95)
            top = max(r.config.sessions for r in rounds)
            held = "fewer than the smallest level" if n is None else (
                f"at least {n:.0f} (every level is faster)" if n == top else f"about {n:.0f}")
            print(f"sessions held at p95 {a.target_p95:.2f} s: {held}")
    else:
        g = report.rounds_growth(rounds)
        if g:
            print(g)
    errors = sum(r.error_count for r in rounds)
    if errors > a.max_errors:
        failures.append(f"{errors} errors (allowed {a.max_errors})")
    if not any(r.interactions for r in rounds):
        failures.append("no interaction completed")
    if a.max_p95 is not None:
        worst = max(report.percentile(r.latencies, 95) for r in rounds)
        if not worst <= a.max_p95:
            failures.append(f"p95 {worst:.3f} s over --max-p95 {a.max_p95} s")
    if a.max_growth is not None and len(rounds) > 1 and rounds[0].rss_peak:
        g = report.growth(rounds[0].rss_peak, rounds[-1].rss_peak)
        if g > a.max_growth:
            failures.append(f"memory grew {g:.1f}% over --max-growth {a.max_growth}%")
    if a.json:
        with open(a.json, "w") as f:
            json.dump([_as_json(r) for r in rounds], f, indent=1)
    for msg in failures:
        print(f"FAIL: {msg}", file=sys.stderr)
    return 1 if failures else 0


def _as_json(r: Round) -> dict:
    # Shallow on purpose: asdict() would rebuild the Counter from (key, value) pairs.
    d = {f.name: getattr(r, f.name) for f in fields(r)}
    d["config"], d["replicas"] = asdict(r.config), dict(r.replicas)
    d["interactions"] = [[i.kind, round(i.latency, 4), i.fragment, i.bytes] for i in r.interactions]
    d["p50"], d["p95"] = report.percentile(r.latencies, 50), report.percentile(r.latencies, 95)
    d["cpu_per_rerun"] = r.cpu_per_rerun
    return d


if __name__ == "__main__":
    sys.exit(main())
