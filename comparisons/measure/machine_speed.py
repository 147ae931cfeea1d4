"""How fast the machine itself ran while a cell ran: a small fixed loop, timed in CPU time.

On a shared virtual machine a vCPU can run 50% slower for seconds at a time with nothing
inside the VM to show for it: here a fixed pure-Python loop takes 7.3 ms or 12 ms in
alternating spells of 2-3 s, idle or not, and its *thread CPU time* grows with its wall
time, so the guest kernel charges the slowness to whoever runs. Two runs of one commit
then differ by which cells met which spells.

`probe_cpu_s` makes that visible: a ~1 ms loop timed with `time.thread_time()`, so a
probe descheduled by other work is not charged for the wait and reads the machine's
speed, not the load. The cell process takes one just before its first measured repeat
and one after each (`comparisons.cell.child`), outside every timed span, so the probe
costs the measured work nothing and each repeat has a probe beside it; the harness
collects them (`SpeedProbe`, one per harness process) and judges each invocation's
probes against the usual speed, a low quantile of every probe of the run. Each record
keeps the median probe of its invocation, its slowdown and the share of its probes taken
in a slow spell, so the report shows how much of a run met a slow spell and `make diff`
can tell "the machine ran slower during this cell" from "the code got slower". Nothing is
corrected or dropped: the numbers stay what was measured.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field

# ~1 ms of pure-Python work on a 2020s x86 core under CPython 3.11.
PROBE_LOOPS = 20_000
# The usual speed: this quantile of the probes so far (the fast end, not the fastest).
USUAL_QUANTILE = 0.25
# A probe this much slower than usual was taken during a slow spell.
SLOW_BY = 0.20
# When the probes are taken, as the report says it.
TAKEN = "in each cell's own process before its first measured repeat and after each"


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
    """The probes of every cell the harness ran (`history`: the usual speed) and those of
    the invocation at hand (`window`), as the cell process took them."""

    history: list[float] = field(default_factory=list)
    window: list[float] = field(default_factory=list)

    def add_window(self, probes: list[float]) -> None:
        """One invocation's probes: judged against the usual speed, and part of it."""
        self.window = list(probes)
        self.history.extend(probes)

    @property
    def usual_s(self) -> float:
        ordered = sorted(self.history)
        return ordered[int(USUAL_QUANTILE * (len(ordered) - 1))]

    def summary(self) -> dict[str, float | int | str] | None:
        """The window's probes against the usual speed: `slowdown` is the window's
        median probe over the usual one, `slow_share` the share of its probes taken in a
        slow spell; None for an invocation that measured no repeat."""
        if not self.window:
            return None
        usual = self.usual_s
        return {
            "probes": len(self.window),
            "probe_cpu_s": statistics.median(self.window),
            "usual_probe_cpu_s": usual,
            "slowdown": statistics.median(self.window) / usual,
            "slow_share": sum(v > usual * (1 + SLOW_BY) for v in self.window) / len(self.window),
            "taken": TAKEN,
        }


# One per harness process: the usual speed is learnt over every cell it runs.
PROBE = SpeedProbe()
