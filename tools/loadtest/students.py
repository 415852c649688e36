"""A class of simulated students hitting one URL for a while: one round of the load test.

Each student opens the shared link, waits for the first script run, then
every 0.5-1.5 s (random) changes a random widget of the page to a random
allowed value and waits for that rerun.  Interaction latency is from sending
the rerun request to its script_finished.  Meanwhile a sampler reads the
server processes' memory from /proc for the peak.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from dataclasses import dataclass, field

from tools.loadtest import procstat
from tools.loadtest import widgets as wd
from tools.loadtest.session import AppSession, SessionError

MAX_ERRORS_KEPT = 20
# The main column's width (px, as ui/viewport.py reports it) on common screens with the
# sidebar open: 1024, 1280, 1366, 1600 and 1920 px wide.
COLUMN_WIDTHS = (560, 840, 920, 1160, 1480)


@dataclass
class Config:
    url: str
    sessions: int = 30
    seconds: float = 60.0
    page: str = "/"
    query: str = ""
    think: tuple[float, float] = (0.5, 1.5)  # seconds between a rerun and the next change
    ramp: float = 3.0  # students arrive within this many seconds
    timeout: float = 60.0  # longest wait for one rerun
    assets: bool = False  # also fetch the JS/CSS that index.html names
    seed: int | None = None


@dataclass
class Interaction:
    kind: str
    latency: float
    fragment: bool
    bytes: int
    label: str = ""  # the control's label, for the slowest-controls line of the report


@dataclass
class Round:
    """What one round measured.  Memory in bytes, CPU in seconds (None: not measured)."""
    config: Config
    interactions: list[Interaction] = field(default_factory=list)
    opens: list[float] = field(default_factory=list)  # link opened -> first run finished
    error_count: int = 0
    errors: list[str] = field(default_factory=list)  # the first MAX_ERRORS_KEPT, distinct
    script_runs: int = 0  # script_finished messages: reruns the server served
    replicas: Counter = field(default_factory=Counter)  # affinity cookie value -> sessions
    page_switches: int = 0  # interactions that took the session to another page (st.switch_page)
    wall: float = 0.0
    client_cpu: float = 0.0
    rss_before: int | None = None
    rss_peak: int | None = None
    rss_after: int | None = None
    server_cpu: float | None = None
    proxy_cpu: float | None = None
    machine_busy: float = 0.0  # CPU seconds the whole machine was busy during the round

    def error(self, text: str) -> None:
        self.error_count += 1
        if text not in self.errors and len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append(text)

    @property
    def latencies(self) -> list[float]:
        return [i.latency for i in self.interactions]

    @property
    def other_cpu(self) -> float:
        """CPU seconds used by everything but the server, the proxy and this client."""
        return self.machine_busy - (self.server_cpu or 0) - (self.proxy_cpu or 0) - self.client_cpu

    @property
    def cpu_per_rerun(self) -> float | None:
        if self.server_cpu is None or not self.script_runs:
            return None
        return self.server_cpu / self.script_runs


async def _student(n: int, cfg: Config, deadline: float, out: Round, rng: random.Random) -> None:
    await asyncio.sleep(rng.uniform(0, cfg.ramp))
    width = COLUMN_WIDTHS[n % len(COLUMN_WIDTHS)]  # this student's screen: the class spreads evenly

    async def report_width(s: AppSession) -> None:
        # the page's reporter measures the column once drawn: one more rerun, as in a browser
        r = await s.report_width(width)
        if r is not None:
            out.interactions.append(Interaction(wd.COLUMN_WIDTH, r.latency, r.fragment, r.bytes, "column width"))
            out.script_runs += r.script_runs
            for e in r.errors:
                out.error(f"reporting the column width {width}: {e}")

    async def report_ready(s: AppSession) -> None:
        # a page that keeps its charts: the browser has plotly.js and says so, one more rerun
        r = await s.report_ready()
        if r is not None:
            out.interactions.append(Interaction(wd.PLOTLY_READY, r.latency, r.fragment, r.bytes, "plotly.js there"))
            out.script_runs += r.script_runs
            for e in r.errors:
                out.error(f"reporting plotly.js there: {e}")

    while time.monotonic() < deadline:
        s = AppSession(cfg.url, cfg.page, cfg.query, timeout=cfg.timeout, assets=cfg.assets)
        try:
            first = await s.open()
            out.opens.append(first.latency)
            out.script_runs += first.script_runs
            out.replicas[s.cookies.get("SERVERID", "-")] += 1
            for e in first.errors:
                out.error(f"opening {cfg.page}: {e}")
            await report_width(s)
            await report_ready(s)
            while True:
                pause = rng.uniform(*cfg.think)
                if time.monotonic() + pause >= deadline:
                    return
                await asyncio.sleep(pause)
                choices = s.drivable()
                if not choices:
                    out.error(f"no widget to change on {cfg.page}")
                    return
                w = rng.choice(choices)
                state = wd.random_change(w, s.states.get(w.id), rng)
                if state is None:
                    continue
                page = s.page_script_hash
                r = await s.interact(w, state)
                out.page_switches += s.page_script_hash != page
                out.interactions.append(Interaction(w.kind, r.latency, r.fragment, r.bytes, w.label))
                out.script_runs += r.script_runs
                for e in r.errors:
                    out.error(f"{w.kind} {w.label!r} = {wd.decode(state)!r:.60}: {e}")
                await report_width(s)  # a page switch, a lesson or presentation mode may bring the reporter
                await report_ready(s)
        except SessionError as e:
            out.error(f"student {n}: {e}")
            await asyncio.sleep(1.0)  # then reloads the page, as a student would
        except Exception as e:  # a message this client does not understand: report it, go on
            out.error(f"student {n}: client failure {e!r}")
            await asyncio.sleep(1.0)
        finally:
            await s.close()


async def _sample_memory(pids: list[int], out: Round, every: float = 0.2) -> None:
    while True:
        out.rss_peak = max(out.rss_peak or 0, procstat.rss_bytes(pids))
        await asyncio.sleep(every)


async def run_round(cfg: Config, server_pids: list[int] | None = None,
                    proxy_pids: list[int] | None = None, settle: float = 1.0) -> Round:
    """One round against cfg.url.  `server_pids`: the app processes to measure
    (children included); None skips memory and CPU."""
    out = Round(cfg)
    pids = procstat.with_children(server_pids) if server_pids else []
    proxies = procstat.with_children(proxy_pids) if proxy_pids else []
    rng = random.Random(cfg.seed)
    if pids:
        out.rss_before = procstat.rss_bytes(pids)
        cpu0 = procstat.cpu_seconds(pids)
    pcpu0 = procstat.cpu_seconds(proxies)
    busy0 = procstat.machine_busy_seconds()
    client0, t0 = time.process_time(), time.monotonic()
    deadline = t0 + cfg.seconds
    sampler = asyncio.create_task(_sample_memory(pids, out)) if pids else None
    try:
        students = [_student(i, cfg, deadline, out, random.Random(rng.random())) for i in range(cfg.sessions)]
        # Bounded: every wait inside is bounded by cfg.timeout; this is the backstop.
        await asyncio.wait_for(asyncio.gather(*students), cfg.seconds + 2 * cfg.timeout + 30)
    except asyncio.TimeoutError:
        out.error("round did not end in time")
    finally:
        if sampler:
            sampler.cancel()
    out.wall = time.monotonic() - t0
    out.client_cpu = time.process_time() - client0
    out.machine_busy = procstat.machine_busy_seconds() - busy0
    if pids:
        out.server_cpu = procstat.cpu_seconds(pids) - cpu0
        await asyncio.sleep(settle)
        out.rss_after = procstat.rss_bytes(pids)
        out.rss_peak = max(out.rss_peak or 0, out.rss_after)
    if proxies:
        out.proxy_cpu = procstat.cpu_seconds(proxies) - pcpu0
    return out
