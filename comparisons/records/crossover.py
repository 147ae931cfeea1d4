"""Where the answer changes: the crossover between two ways of running the same work
along one axis of it (serial seconds per task in a task-size sweep), with its interval.

A sweep runs the same work at several points of one axis, every model at each. For two
models and every point both ran, the ratio of their times (the verdict's estimator: the
lower quartile of the repeats); the crossover is where that ratio passes 1, by linear
interpolation of log ratio against log axis between the two points around the change of
sign. Its interval comes from the same computation on bootstrap replicates (fresh
processes resampled, then repeats within each, as every interval of this project): the
2.5th and 97.5th percentiles of the replicates' crossovers.

Four answers, each of which the grid can fail to support:

- *crosses*: one change of sign in the estimate, and at least `AGREEMENT` of the
  replicates change sign exactly once too;
- *tied throughout*: at every point the two are within the tie band of each other (the
  verdict's rule: the ratio's whole interval inside 10%), so no side wins anywhere;
- *first throughout* / *second throughout*: no change of sign in the estimate, and at
  least `AGREEMENT` of the replicates agree (a faster side over the whole grid, said
  with the grid's range: the boundary, if any, lies beyond it);
- *undecided*: anything else (replicates disagree on whether or how often it crosses, or
  the estimate itself crosses more than once).

`sweeps` finds a run's task-size sweeps and `sweep_crossovers` sets every model against
the plain loop and against the process pool on each; `winners_at` names who wins at one
point (the map's regions). `comparisons.report.sections.crossovers` prints the
boundaries, `comparisons.report.plots.task_size_map` draws them.
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from collections.abc import Sequence, Set
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

import numpy as np

from comparisons import formatting as fmt
from comparisons.backends import BASELINE, UnknownBackend, backend_class
from comparisons.backends.base import PER_TASK
from comparisons.cell.outcome import Status
from comparisons.measure.stats import (
    BOOTSTRAP_RESAMPLES,
    BOOTSTRAP_SEED,
    PRACTICAL_THRESHOLD,
    resampled_percentiles,
)
from comparisons.records.cells import Cell, baseline_key, is_measured, median_s, samples_of
from comparisons.records.ranking import (
    Outcome,
    Ranking,
    against_best,
    best_per_model,
    outcome_of,
    rank,
    speed_s,
)

# Share of replicates that must agree with the estimate before it is an answer.
AGREEMENT = 0.95
# The verdict's estimator: the lower quartile of the repeats.
PERCENT = 25.0
# The standard library's pools for CPU work: what every other model is set against,
# batched (Pool.map) or one task per message (ProcessPoolExecutor.map), as it dispatches.
POOL = "processes"
PER_TASK_POOL = "processes:executor"
# A sweep needs this many points (task sizes) to draw a boundary through.
MIN_SIZES = 3


class Answer(StrEnum):
    CROSSES = "crosses"
    TIED = "tied throughout"
    FIRST_THROUGHOUT = "first throughout"
    SECOND_THROUGHOUT = "second throughout"
    UNDECIDED = "undecided"


@dataclass(frozen=True)
class Crossover:
    """Two models along one axis. `at` (with `low`-`high`) is where their times are
    equal; `first_wins_above` says on which side `first` is the faster. `xs` is the grid
    both ran; `agreement` the share of replicates that agree with the answer."""

    first: str
    second: str
    xs: tuple[float, ...]
    answer: Answer
    agreement: float
    at: float | None = None
    low: float | None = None
    high: float | None = None
    first_wins_above: bool | None = None
    # The grid points either side of the crossing: the interval covers the repeats'
    # noise, not the interpolation between these, which can be the larger error on a
    # sparse grid.
    bracket: tuple[float, float] | None = None
    # How many times the estimate changes side: over one, the grid cannot place a
    # single boundary (two models within noise of each other, or a real double cross).
    crossings: int = 0
    # Where the winner gets the tie band ahead (a crossover of its own), and why the
    # boundary may mislead (a plain loop it was placed by is flagged unreliable).
    ahead: Crossover | None = None
    caveat: str | None = None


def crossing(xs: Sequence[float], log_ratios: Sequence[float]) -> list[tuple[float, bool]]:
    """Every change of side along `xs` of `log_ratios` (log of first's time over
    second's; below zero, first is the faster): (where, interpolated linearly in log x;
    whether first is the faster above it)."""
    found = []
    for i in range(len(xs) - 1):
        a, b = log_ratios[i], log_ratios[i + 1]
        if (a < 0) == (b < 0):
            continue
        lx, rx = math.log(xs[i]), math.log(xs[i + 1])
        found.append((math.exp(lx + (rx - lx) * a / (a - b)), b < 0))
    return found


def crossover(
    first: str,
    second: str,
    points: Sequence[Point],
    seed: int = BOOTSTRAP_SEED,
    ahead_by: float = 0.0,
) -> Crossover | None:
    """The crossover of `first` and `second` over `points` (any order); None with fewer
    than two points. With `ahead_by` (0.1: the tie band), where `first` becomes that much
    faster than `second` rather than equal to it. Each replicate resamples both cells'
    processes and, where a point has one, the cell its position is read from (a serial
    cell's median per task), so the interval covers the axis's noise too."""
    ordered = sorted(points, key=lambda p: p.x)
    if len(ordered) < 2:
        return None
    xs = tuple(p.x for p in ordered)
    if not ahead_by and all(
        outcome_of(against_best(p.first, p.second)) is Outcome.TIED for p in ordered
    ):
        return Crossover(first, second, xs, Answer.TIED, 1.0)
    shift = math.log(1 + ahead_by)
    rng = np.random.default_rng(seed)
    estimate = [_log_ratio(p.first, p.second) + shift for p in ordered]
    # One column per point: the replicates' log ratios, and their positions on the axis.
    replicates = np.column_stack(
        [
            np.log(resampled_percentiles(samples_of(p.first), PERCENT, _rng(p.first, rng, seed)))
            - np.log(
                resampled_percentiles(samples_of(p.second), PERCENT, _rng(p.second, rng, seed))
            )
            + shift
            for p in ordered
        ]
    )
    positions = np.column_stack([_positions(p, rng, seed) for p in ordered])
    found = crossing(xs, estimate)
    per_replicate = [
        crossing(list(where), list(row)) for where, row in zip(positions, replicates, strict=True)
    ]
    if len(found) == 1:
        where, first_above = found[0]
        agreeing = [c[0][0] for c in per_replicate if len(c) == 1 and c[0][1] == first_above]
        share = len(agreeing) / len(per_replicate)
        if share < AGREEMENT:
            return Crossover(first, second, xs, Answer.UNDECIDED, share, at=where)
        low, high = (float(v) for v in np.percentile(agreeing, [2.5, 97.5]))
        side = next(i for i in range(len(xs) - 1) if xs[i] <= where <= xs[i + 1])
        return Crossover(
            first,
            second,
            xs,
            Answer.CROSSES,
            share,
            where,
            low,
            high,
            first_above,
            (xs[side], xs[side + 1]),
        )
    if not found:
        first_faster = estimate[0] < 0
        share = sum(
            1
            for c, row in zip(per_replicate, replicates, strict=True)
            if not c and (row[0] < 0) == first_faster
        ) / len(per_replicate)
        throughout = Answer.FIRST_THROUGHOUT if first_faster else Answer.SECOND_THROUGHOUT
        answer = throughout if share >= AGREEMENT else Answer.UNDECIDED
        return Crossover(first, second, xs, answer, share)
    return Crossover(first, second, xs, Answer.UNDECIDED, 0.0, crossings=len(found))


@dataclass(frozen=True)
class Point:
    """One point of a sweep for a pair: its position `x`, each side's cell there, and
    the cell `x` was read from (its median over `per`), if it was measured."""

    x: float
    first: Cell
    second: Cell
    axis_cell: Cell | None = None
    per: int = 1


def _positions(p: Point, rng: np.random.Generator, seed: int) -> np.ndarray:
    """The point's position in every replicate: fixed, or resampled from its cell."""
    if p.axis_cell is None:
        return np.full(BOOTSTRAP_RESAMPLES, p.x)
    return resampled_percentiles(samples_of(p.axis_cell), 50, _rng(p.axis_cell, rng, seed)) / p.per


def _rng(cell: Cell, shared: np.random.Generator, seed: int) -> np.random.Generator:
    """The generator a cell's replicates are drawn from. A model's points that shared
    fresh processes (`shared_process`) were measured together, round by round (the same
    slow spell, the same heap): each draws from a generator seeded by the model's
    backend alone, so every replicate picks the same rounds for all of them (the first
    draw of `resampled_percentiles` is the rounds) and the interval keeps that they
    moved together. Other cells draw from the crossing's one stream, as they always did."""
    if not cell["shared_process"]:
        return shared
    tag = int.from_bytes(hashlib.sha256(cell["backend"].encode()).digest()[:8], "little")
    return np.random.default_rng([seed, tag])


def _log_ratio(a: Cell, b: Cell) -> float:
    return math.log(_quartile(a)) - math.log(_quartile(b))


def _quartile(cell: Cell) -> float:
    values = [v for run in samples_of(cell) for v in run]
    return float(np.percentile(values, PERCENT))


def sweep_points(rows: Sequence[Cell], first: str, second: str) -> list[Point]:
    """Every point of a task-size sweep where both ran, placed at the plain loop's time
    per task there (its serial cell, which the interval resamples too)."""
    loops = {baseline_key(c): c for c in rows if c["backend"] == BASELINE and is_measured(c)}
    seconds = {baseline_key(c): c for c in rows if c["backend"] == second}
    points = []
    for c in rows:
        key = baseline_key(c)
        if c["backend"] != first or key not in seconds or key not in loops:
            continue
        loop = loops[key]
        points.append(Point(median_s(loop) / loop["tasks"], c, seconds[key], loop, loop["tasks"]))
    return points


def sweeps(cells: Sequence[Cell]) -> dict[tuple[str, int], list[Cell]]:
    """A run's task-size sweeps, by (workload, workers): CPU cells at two or more
    workers, at `MIN_SIZES` or more points that differ in one parameter only (the size
    of a task; every other parameter equal), a plain loop at each point (the axis)."""
    groups: dict[tuple[str, int], list[Cell]] = defaultdict(list)
    for c in cells:
        if c["kind"] == "cpu" and c["status"] == Status.OK and is_measured(c):
            groups[(c["workload"], c["workers"])].append(c)
    serial = serial_per_task(cells)
    found = {}
    for (workload, workers), rows in groups.items():
        points = axis_points({baseline_key(r) for r in rows if baseline_key(r) in serial})
        if workers >= 2 and points:
            found[(workload, workers)] = [r for r in rows if baseline_key(r) in points] + [
                c for c in cells if c["backend"] == BASELINE and baseline_key(c) in points
            ]
    return dict(sorted(found.items()))


def axis_points(keys: set[tuple[Any, ...]]) -> set[tuple[Any, ...]]:
    """The largest set of these points ((workload, tasks, params) keys) whose parameters
    differ in one parameter only, one point per value of it; empty under `MIN_SIZES`."""
    best: set[tuple[Any, ...]] = set()
    for name in sorted({k for key in keys for k, _ in key[2]}):
        by_rest: dict[tuple[Any, ...], set[tuple[Any, ...]]] = defaultdict(set)
        for key in keys:
            by_rest[tuple(p for p in key[2] if p[0] != name)].add(key)
        for group in by_rest.values():
            values = {dict(key[2]).get(name) for key in group}
            if len(values) == len(group) and len(group) > len(best):
                best = group
    return best if len(best) >= MIN_SIZES else set()


def serial_per_task(cells: Sequence[Cell]) -> dict[tuple[Any, ...], float]:
    """The plain loop's time per task at each size (its median over the tasks)."""
    return {
        baseline_key(c): median_s(c) / c["tasks"]
        for c in cells
        if c["backend"] == BASELINE and is_measured(c)
    }


def pool_for(backend: str, present: set[str]) -> str:
    """The process pool a model is set against: the one that hands tasks over as it
    does (`processes:executor`, one message per task, for a model that sends each task
    on its own; `processes`, Pool.map's batches, for one that batches), so the boundary
    is the model's, not batching's."""
    try:
        per_task = backend_class(backend).dispatch == PER_TASK
    except UnknownBackend:
        per_task = False
    return PER_TASK_POOL if per_task and PER_TASK_POOL in present else POOL


def sweep_pairs(present: set[str], on_loop: Set[str] = frozenset()) -> list[tuple[str, str]]:
    """The pairs of CPU work's maps: every model (of the backends `present`) against the
    plain loop, then every other model against the process pool that dispatches as it
    does (`pool_for`), except those that hand no task to anyone (`on_loop`: an event
    loop running the work on its own thread, set against the plain loop only)."""
    models = sorted(present - {BASELINE, "ceiling"})
    return [(m, BASELINE) for m in models] + [
        (m, pool_for(m, present))
        for m in models
        if m not in (POOL, PER_TASK_POOL) and m not in on_loop
    ]


def on_the_loop(rows: Sequence[Cell]) -> set[str]:
    """The backends whose cells ran the work on an event loop's own thread."""
    return {r["backend"] for r in rows if r.get("blocks_event_loop")}


def sweep_crossovers(rows: list[Cell]) -> list[Crossover]:
    """Every model against the plain loop, then every other model against the process
    pool that dispatches as it does (`pool_for`). A boundary that crosses also says
    where the winner gets `PRACTICAL_THRESHOLD` ahead (`Crossover.ahead`), and carries a
    caveat where a plain loop it was placed by is flagged unreliable."""
    found = []
    for first, second in sweep_pairs({r["backend"] for r in rows}, on_the_loop(rows)):
        points = sweep_points(rows, first, second)
        result = crossover(first, second, points)
        if result is None:
            continue
        if result.answer is Answer.CROSSES:
            ahead = crossover(first, second, points, ahead_by=PRACTICAL_THRESHOLD)
            result = replace(result, ahead=ahead, caveat=_unreliable_near(result, points))
        found.append(result)
    return found


def _unreliable_near(c: Crossover, points: Sequence[Point]) -> str | None:
    """Why the boundary's bracket rests on a flagged plain loop, if it does."""
    if c.bracket is None:
        return None
    for p in points:
        base = p.first["baseline"]
        if c.bracket[0] <= p.x <= c.bracket[1] and base is not None and base.unreliable:
            return (
                f"the plain loop at {fmt.seconds(p.x)} per task is flagged unreliable "
                "(its table says why)"
            )
    return None


def winners_at(rows: Sequence[Cell]) -> Ranking | None:
    """Every model's standing at one point of a sweep, the plain loop included (on a
    map, "a plain loop" is a region like any other): each model by its fastest row (its
    best variant, `best_per_model`, as in the verdict), ranked by the verdict's rule
    (best, tied, slower, undecided)."""
    loops = [r for r in rows if r["backend"] == BASELINE and is_measured(r)]
    return rank(
        sorted([*best_per_model(list(rows)), *loops[:1]], key=lambda r: (speed_s(r), r["backend"]))
    )


def sizes(rows: Sequence[Cell]) -> list[tuple[float, list[Cell]]]:
    """Each size of a sweep, smallest first: the plain loop's time per task there, and
    the rows measured at it."""
    per_task = serial_per_task(rows)
    at: dict[tuple[Any, ...], list[Cell]] = defaultdict(list)
    for r in rows:
        if baseline_key(r) in per_task:
            at[baseline_key(r)].append(r)
    return sorted(((per_task[key], found) for key, found in at.items()), key=lambda p: p[0])


@dataclass(frozen=True)
class Boundary:
    """Where a model starts (or stops) beating the plain loop on a sweep."""

    model: str
    at: float
    above: bool  # the model is the faster above `at`
    low: float | None = None  # the 95% interval of `at`
    high: float | None = None


def placed_on_map(cells: Sequence[Cell]) -> dict[tuple[Any, ...], tuple[float, list[Boundary]]]:
    """For every point of every sweep (by its serial baseline key): the plain loop's time
    per task there and the boundaries against the plain loop that the sweep decided."""
    found: dict[tuple[Any, ...], tuple[float, list[Boundary]]] = {}
    for rows in sweeps(cells).values():
        boundaries = [
            Boundary(c.first, c.at, bool(c.first_wins_above), c.low, c.high)
            for c in sweep_crossovers(rows)
            if c.second == BASELINE and c.answer is Answer.CROSSES and c.at is not None
        ]
        for x, at in sizes(rows):
            found[baseline_key(at[0])] = (x, boundaries)
    return found


def nearest_boundary(x: float, boundaries: Sequence[Boundary]) -> Boundary | None:
    """The boundary nearest a task size, by log distance."""
    return min(boundaries, key=lambda b: abs(math.log(x / b.at)), default=None)
