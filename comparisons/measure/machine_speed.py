"""How fast the machine itself ran while a cell ran: a small fixed loop, timed in CPU time.

On a shared virtual machine a vCPU can run 50% slower for seconds at a time with nothing
inside the VM to show for it: here a fixed pure-Python loop takes 7.3 ms or 12 ms in
alternating spells of 2-3 s, idle or not, and its *thread CPU time* grows with its wall
time, so the guest kernel charges the slowness to whoever runs. Two runs of one commit
then differ by which cells met which spells.

`SpeedProbe` makes that visible. The harness, which only watches while a cell runs,
spins a ~1 ms loop every `PROBE_EVERY_S` (0.4% of one core) and times it with
`time.thread_time()`: a probe descheduled because the cell keeps every core busy is not
charged for the wait, so the probe reads the machine's speed, not the cell's load. Each
record keeps the median probe of its invocation and the harness's usual probe (a low
quantile of every probe it took), so the report shows how much of a run met a slow
spell and `make diff` can tell "the machine ran slower during this cell" from "the code
got slower". Nothing is corrected or dropped: the numbers stay what was measured.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field

# ~1 ms of pure-Python work on a 2020s x86 core under CPython 3.11.
PROBE_LOOPS = 20_000
PROBE_EVERY_S = 0.25
# The usual speed: this quantile of the probes so far (the fast end, not the fastest).
USUAL_QUANTILE = 0.25
# A probe this much slower than usual was taken during a slow spell.
SLOW_BY = 0.20


def _spin(loops: int) -> int:
    total = 0
    for i in range(loops):
        total += i * i % 7
    return total


def probe_cpu_s(loops: int = PROBE_LOOPS) -> float:
    """CPU seconds of this thread for a fixed pure-Python loop."""
    begin = time.thread_time()
    _spin(loops)
    return time.thread_time() - begin


@dataclass
class SpeedProbe:
    """Probes taken at most every `every_s`, kept for the whole process (the usual
    speed) and per window (one invocation of a cell)."""

    every_s: float = PROBE_EVERY_S
    history: list[float] = field(default_factory=list)
    window: list[float] = field(default_factory=list)
    last: float = -float("inf")

    def start_window(self) -> None:
        self.window = []
        self.take()

    def maybe_take(self) -> None:
        if time.monotonic() - self.last >= self.every_s:
            self.take()

    def take(self) -> float:
        self.last = time.monotonic()
        value = probe_cpu_s()
        self.history.append(value)
        self.window.append(value)
        return value

    @property
    def usual_s(self) -> float:
        ordered = sorted(self.history)
        return ordered[int(USUAL_QUANTILE * (len(ordered) - 1))]

    def summary(self) -> dict[str, float | int]:
        """The window's probes against the usual speed: `slowdown` is the window's
        median probe over the usual one, `slow_share` the share of its probes taken in a
        slow spell."""
        usual = self.usual_s
        return {
            "probes": len(self.window),
            "probe_cpu_s": statistics.median(self.window),
            "usual_probe_cpu_s": usual,
            "slowdown": statistics.median(self.window) / usual,
            "slow_share": sum(v > usual * (1 + SLOW_BY) for v in self.window) / len(self.window),
        }


# One per harness process: the usual speed is learnt over every cell it runs.
PROBE = SpeedProbe()
