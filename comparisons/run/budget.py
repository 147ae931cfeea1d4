"""A run that must end by a time: `BUDGET=` of a TARGET run is a promise, not a wish.

`comparisons.target.plan` sizes the cells to fit the budget from estimates; this module
keeps the promise while they run (`comparisons.run.runner.run_suite` asks it before each
cell). A cell whose expected wall time (the wall time an earlier process of the same cell
took, else the plan's estimate) exceeds what is left is not started: it is recorded as
skipped with that reason, so the report lists what the budget left out. A cell that is
started gets at most the time left as its timeout, so one that runs far beyond its
estimate is stopped (and recorded as stopped at the budget) instead of overrunning it.
The order is the run's own, except that within each round the serial baseline, then the
models, then the ceiling, then the variants go first: a budget that runs short drops
variants before a model.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from comparisons.backends import BASELINE
from comparisons.cell.contract import CellSpec
from comparisons.records.schema import CEILING

# How a record says the budget left it out or stopped it (the report finds them by it).
SKIP_PREFIX = "left out to end within BUDGET"
STOP_PREFIX = "stopped at BUDGET"
# A cell given less than this is not worth starting: its interpreter alone takes a part.
SHORTEST_TIMEOUT_S = 2.0


@dataclass
class Deadline:
    """When the cells must be done by (`time.monotonic()`), for a run of `budget_s`."""

    ends_at: float
    budget_s: float
    estimate: Callable[[CellSpec], float]
    measured: dict[str, float] = field(default_factory=dict)

    @classmethod
    def after(
        cls, seconds: float, budget_s: float, estimate: Callable[[CellSpec], float]
    ) -> Deadline:
        return cls(time.monotonic() + seconds, budget_s, estimate)

    def left_s(self) -> float:
        return max(0.0, self.ends_at - time.monotonic())

    def expected_s(self, spec: CellSpec) -> float:
        """What one process of `spec` should take: as measured for its cell, else the
        estimate."""
        return self.measured.get(spec.key, self.estimate(spec))

    def why_not(self, spec: CellSpec) -> str | None:
        """Why `spec` is not started, or None when it fits in what is left."""
        expected, left = self.expected_s(spec), self.left_s()
        if expected <= left and left >= SHORTEST_TIMEOUT_S:
            return None
        return (
            f"{SKIP_PREFIX} ({self.budget_s:.0f} s): about "
            f"{expected:.0f} s needed, {left:.0f} s left"
        )

    def bounded(self, spec: CellSpec) -> CellSpec:
        """`spec` with at most the time left as its timeout."""
        return replace(spec, timeout_s=min(spec.timeout_s, max(self.left_s(), SHORTEST_TIMEOUT_S)))

    def learn(self, spec: CellSpec, wall_s: float | None) -> None:
        if wall_s:
            self.measured[spec.key] = max(wall_s, self.measured.get(spec.key, 0.0))


def priority(spec: CellSpec) -> int:
    """Which goes first within a round when time may run short."""
    if spec.backend == BASELINE:
        return 0
    if spec.backend == CEILING:
        return 2
    return 3 if ":" in spec.backend else 1


def by_priority(order: list[CellSpec]) -> list[CellSpec]:
    """The run's order, each round's cells stably sorted by `priority`."""
    return sorted(order, key=lambda c: (c.invocation, priority(c)))
