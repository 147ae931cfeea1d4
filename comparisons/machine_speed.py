"""A speed gate: is this machine running at its usual speed right now?

On a shared virtual machine the CPU can run tens of percent slower for a minute or more
(another tenant, the host's own load) without anything inside the VM showing it: in the
reference run 20261125-212048-default-a342 the serial loop of `cpu.primes` took 439, 620
and 481 ms in its three fresh processes, each at 100% CPU. Such a slow spell lands on
whichever cells run during it, and two runs of one commit then disagree.

So the runner times a fixed pure-Python loop (`probe_s`, best of three, ~10 ms) in its
own process just before and just after each invocation of a cell. The run's usual speed
is a low quantile of the probes so far (`SpeedGate.usual_s`). An invocation with a probe
more than `SLOW_BY` above it is recorded with `machine_slow` and the probes, and is run
once more later in the run (the retry's record replaces it in the statistics, both stay
in records.jsonl); before an invocation whose first probe is slow, the runner waits a
little for the machine to come back. Both are capped, so a machine that is slow all the
time still finishes its suite, with every affected record marked. This is a filter on
the machine, never on a cell's own numbers: the probe runs no project code.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field

# The loop's length: ~10 ms on a 2020s x86 core under CPython 3.11.
PROBE_LOOPS = 150_000
PROBE_ROUNDS = 3
# A probe this much slower than the run's usual speed marks the machine as slow.
SLOW_BY = 0.10
# The usual speed: this quantile of the probes so far (the fast end, not the fastest).
USUAL_QUANTILE = 0.25
# Probes taken before a verdict is given (taken at the run's start).
WARM_PROBES = 5
# The machine here has blips (one probe 50% slow, the next not) as well as spells lasting
# seconds; only a slow probe confirmed by another one SETTLE_PAUSE_S later counts.
# Waiting for a slow machine before an invocation: a pause between probes, a cap per
# invocation, and a cap per run (ten pauses per allowed retry, at most SETTLE_RUN_MAX_S).
SETTLE_PAUSE_S = 0.5
SETTLE_MAX_S = 10.0
SETTLE_RUN_MAX_S = 90.0
# At most this share of a run's invocations (at least one) is run again.
RETRY_SHARE = 0.08


def _spin(loops: int) -> int:
    total = 0
    for i in range(loops):
        total += i * i % 7
    return total


def probe_s(loops: int = PROBE_LOOPS, rounds: int = PROBE_ROUNDS) -> float:
    """Seconds for a fixed pure-Python loop, best of `rounds` (a hiccup is not a spell)."""
    best = math.inf
    for _ in range(rounds):
        begin = time.perf_counter()
        _spin(loops)
        best = min(best, time.perf_counter() - begin)
    return best


@dataclass
class SpeedGate:
    """The run's probes and its decisions; `probe` and `sleep` are swappable for tests."""

    invocations: int
    probe: Callable[[], float] = probe_s
    sleep: Callable[[float], None] = time.sleep
    probes: list[float] = field(default_factory=list)
    settled_s: float = 0.0
    retries: int = 0

    def __post_init__(self) -> None:
        for _ in range(WARM_PROBES):
            self.measure()

    def measure(self) -> float:
        value = self.probe()
        self.probes.append(value)
        return value

    @property
    def usual_s(self) -> float:
        ordered = sorted(self.probes)
        return ordered[int(USUAL_QUANTILE * (len(ordered) - 1))]

    def is_slow(self, probe: float) -> bool:
        return probe > self.usual_s * (1 + SLOW_BY)

    @property
    def retry_budget(self) -> int:
        return max(1, int(RETRY_SHARE * self.invocations))

    @property
    def settle_budget_s(self) -> float:
        return min(SETTLE_RUN_MAX_S, 10 * SETTLE_PAUSE_S * self.retry_budget)

    def before(self) -> tuple[float, float]:
        """Probe before an invocation, waiting (within the caps) while the machine is
        slow. Returns (the last probe, seconds waited)."""
        value = self.measure()
        waited = 0.0
        while (
            self.is_slow(value)
            and waited + SETTLE_PAUSE_S <= SETTLE_MAX_S
            and self.settled_s + SETTLE_PAUSE_S <= self.settle_budget_s
        ):
            self.sleep(SETTLE_PAUSE_S)
            waited += SETTLE_PAUSE_S
            self.settled_s += SETTLE_PAUSE_S
            value = self.measure()
        return value, waited

    def after(self) -> tuple[float, bool]:
        """Probe after an invocation: (the probe, whether a slow spell is confirmed by
        a second probe SETTLE_PAUSE_S later)."""
        value = self.measure()
        if not self.is_slow(value):
            return value, False
        self.sleep(SETTLE_PAUSE_S)
        return value, self.is_slow(self.measure())

    def may_retry(self) -> bool:
        """True (and counted) while the run's retry budget lasts."""
        if self.retries >= self.retry_budget:
            return False
        self.retries += 1
        return True

    def summary(self) -> dict[str, float | int]:
        return {
            "usual_probe_s": self.usual_s,
            "median_probe_s": statistics.median(self.probes),
            "probes": len(self.probes),
            "settled_s": self.settled_s,
            "retries": self.retries,
        }
