"""Figures of a round, as text."""

from __future__ import annotations

import math
import os
from collections import Counter

from tools.loadtest.students import Round


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100); NaN for no values."""
    if not values:
        return math.nan
    s = sorted(values)
    return s[max(0, math.ceil(p / 100 * len(s)) - 1)]


def mb(n: int | None) -> str:
    return "n/a" if n is None else f"{n / 2**20:.1f} MB"


def growth(before: int | None, after: int | None) -> float | None:
    if not before or after is None:
        return None
    return (after - before) / before * 100


def slowest(r: Round, most: int = 5, at_least: int = 5) -> str:
    """The controls whose changes took longest, by median latency (those changed at least
    ``at_least`` times): where to look first for server work per interaction."""
    by: dict[str, list[float]] = {}
    for i in r.interactions:
        by.setdefault(f"{i.kind} {i.label!r}"[:48], []).append(i.latency)
    ranked = sorted(((percentile(v, 50), k, len(v)) for k, v in by.items() if len(v) >= at_least), reverse=True)
    return ", ".join(f"{k} {p50:.2f} s (x{n})" for p50, k, n in ranked[:most]) or "n/a"


def summary(title: str, r: Round) -> str:
    lat, opens = r.latencies, r.opens
    kinds = Counter(i.kind for i in r.interactions)
    fragment = sum(i.fragment for i in r.interactions)
    kb = sum(i.bytes for i in r.interactions) / max(1, len(r.interactions)) / 1e3
    lines = [
        f"{title}: {r.config.sessions} sessions x {r.config.seconds:.0f} s on {r.config.url}{r.config.page}"
        f" ({r.wall:.0f} s wall)",
        f"  interactions {len(lat)} ({len(lat) / max(r.wall, 1e-9):.1f}/s; {len(lat) - fragment} full reruns, "
        f"{fragment} fragment reruns, {r.page_switches} page switches); script runs served {r.script_runs}; "
        f"{kb:.0f} kB received per interaction",
        f"  latency      p50 {percentile(lat, 50):.3f} s   p95 {percentile(lat, 95):.3f} s   "
        f"max {max(lat, default=math.nan):.3f} s",
        f"  page open    p50 {percentile(opens, 50):.3f} s   p95 {percentile(opens, 95):.3f} s   "
        f"({len(opens)} opens)",
        f"  widgets      " + ", ".join(f"{k} {n}" for k, n in kinds.most_common()),
        f"  slowest      " + slowest(r),
        f"  errors       {r.error_count}",
    ]
    lines += [f"    - {e}" for e in r.errors[:5]]
    if r.rss_before is not None:
        per = r.cpu_per_rerun
        lines.append(f"  server RSS   before {mb(r.rss_before)}, peak {mb(r.rss_peak)}, after {mb(r.rss_after)}")
        lines.append(f"  server CPU   {r.server_cpu:.1f} s = "
                     + (f"{per * 1e3:.1f} ms per script run" if per is not None else "n/a (no runs)"))
    else:
        lines.append("  server       memory and CPU not measured (no pid: pass --pid)")
    if r.proxy_cpu is not None:
        lines.append(f"  proxy CPU    {r.proxy_cpu:.1f} s; sessions per replica "
                     + ", ".join(f"{k}: {n}" for k, n in sorted(r.replicas.items())))
    lines.append(f"  client CPU   {r.client_cpu:.1f} s ({r.client_cpu / max(r.wall, 1e-9) * 100:.0f}% of one core); "
                 f"everything else on the machine {r.other_cpu / max(r.wall, 1e-9) * 100:.0f}% of one core "
                 f"({os.cpu_count()} cores)")
    return "\n".join(lines)


def rounds_growth(rounds: list[Round]) -> str | None:
    """Memory of the last round against the first: the server should level off."""
    if len(rounds) < 2 or rounds[0].rss_peak is None:
        return None
    a, b = rounds[0], rounds[-1]
    return (f"memory, round {len(rounds)} over round 1: peak {mb(a.rss_peak)} -> {mb(b.rss_peak)} "
            f"({growth(a.rss_peak, b.rss_peak):+.1f}%), after {mb(a.rss_after)} -> {mb(b.rss_after)} "
            f"({growth(a.rss_after, b.rss_after):+.1f}%)")


def sweep_table(rounds: list[Round]) -> str:
    rows = ["sessions  interactions  p50 s   p95 s   max s   errors  CPU ms/run"]
    for r in rounds:
        lat = r.latencies
        per = r.cpu_per_rerun
        rows.append(f"{r.config.sessions:8d}  {len(lat):12d}  {percentile(lat, 50):6.3f}  {percentile(lat, 95):6.3f}  "
                    f"{max(lat, default=math.nan):6.3f}  {r.error_count:6d}  "
                    + (f"{per * 1e3:10.1f}" if per is not None else "       n/a"))
    return "\n".join(rows)


def sessions_at(rounds: list[Round], p95: float) -> float | None:
    """Sessions held at the given p95, interpolated between sweep levels
    (None if even the smallest level is slower)."""
    pts = sorted((r.config.sessions, percentile(r.latencies, 95)) for r in rounds if r.latencies)
    best = None
    for (n0, l0), (n1, l1) in zip(pts, pts[1:]):
        if l0 <= p95 < l1:
            return n0 + (n1 - n0) * (p95 - l0) / (l1 - l0)
    for n, lat in pts:
        if lat <= p95:
            best = n
    return best
