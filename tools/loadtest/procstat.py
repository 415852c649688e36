"""Memory and CPU of server processes, read from /proc (Linux only).

CPU is the process's own utime + stime (fields 14 and 15 of /proc/<pid>/stat,
in clock ticks): the honest cost of the reruns it served, whatever the client
or other processes on the machine were doing meanwhile.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

_TICK = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            text = f.read()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces.
    return text[text.rindex(")") + 2:].split()


def children(pid: int) -> list[int]:
    """All descendants of `pid` (a server started through `make` is make's child)."""
    by_parent: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            fields = _stat_fields(int(name))
            if fields:
                by_parent.setdefault(int(fields[1]), []).append(int(name))
    found, todo = [], [pid]
    while todo:
        for c in by_parent.get(todo.pop(), []):
            found.append(c)
            todo.append(c)
    return found


def with_children(pids: Iterable[int]) -> list[int]:
    out: list[int] = []
    for p in pids:
        out += [p, *children(p)]
    return list(dict.fromkeys(out))


def rss_bytes(pids: Iterable[int]) -> int:
    """Sum of VmRSS over `pids` (processes that are gone count as 0)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1]) * 1024
                        break
        except OSError:
            pass
    return total


def cpu_seconds(pids: Iterable[int]) -> float:
    """Sum of utime + stime over `pids`, in seconds."""
    ticks = 0
    for pid in pids:
        fields = _stat_fields(pid)
        if fields:
            # After the command name: state is index 0, so utime/stime (fields 14/15) are 11/12.
            ticks += int(fields[11]) + int(fields[12])
    return ticks / _TICK


def alive(pid: int) -> bool:
    return _stat_fields(pid) is not None


def machine_busy_seconds() -> float:
    """CPU time the whole machine spent busy (all cores, from /proc/stat): with the
    server's and the client's own time taken out, what else was running."""
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / _TICK
