"""How many cores other programs keep busy, so that timed checks do not crowd a shared machine.

Read from Linux's /proc: the machine's busy time (stolen time included: a virtual machine's
host gave it away) less the CPU time of this process and its descendants (the check workers and
the trainings), over the time since the previous reading. Without /proc the answer is 0.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

PROC = Path("/proc")
MIN_WINDOW_S = 1.0  # readings closer together than this keep the previous answer
TICK_S = 1.0 / os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 0.01


def machine_ticks() -> tuple[int, int] | None:
    """(busy, total) clock ticks of all cores since boot; None without /proc."""
    try:
        fields = [int(x) for x in (PROC / "stat").read_text().split("\n", 1)[0].split()[1:9]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + fields[4]  # idle, iowait
    return sum(fields) - idle, sum(fields)


def tree_ticks(root: int) -> dict[int, int]:
    """Per process, user + system clock ticks of ``root`` and every live descendant."""
    parent: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            # the command name may hold spaces or parentheses: fields start after the last ')'
            rest = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # the process ended meanwhile
        pid = int(entry.name)
        parent[pid], ticks[pid] = int(rest[1]), int(rest[11]) + int(rest[12])
    out = {}
    for pid, t in ticks.items():
        p = pid
        while p and p != root:
            p = parent.get(p, 0)
        if p == root:
            out[pid] = t
    return out


class OtherLoad:
    """Cores busy with other programs' work, averaged since the previous reading."""

    def __init__(self, root: int | None = None) -> None:
        self.root = root if root is not None else os.getpid()
        self._last = self._reading()
        self._cores = 0.0

    def _reading(self) -> tuple[float, int, dict[int, int]] | None:
        machine = machine_ticks()
        return None if machine is None else (time.monotonic(), machine[0], tree_ticks(self.root))

    def __call__(self) -> float:
        now = self._reading()
        if now is None or self._last is None or now[0] - self._last[0] < MIN_WINDOW_S:
            return self._cores
        (t0, busy0, ours0), (t1, busy1, ours1) = self._last, now
        # a child that ended in the window takes that window's ticks with it: counted as others'
        ours = sum(t - ours0.get(pid, 0) for pid, t in ours1.items())
        self._cores = max(0.0, ((busy1 - busy0) - ours) * TICK_S / (t1 - t0))
        self._last = now
        return self._cores
