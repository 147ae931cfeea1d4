"""Maps of two axes: where the answer changes along each line of a grid of cells, with
its interval (the crossovers of `comparisons.records.crossover`, along two axes).

A grid is the cells of one workload (measured, status ok) where two coordinates vary
over two or more values each and every other parameter is equal. Two kinds are found:

- *CPU work and its bytes* (`cpu_grids`): CPU cells at one `workers` value, varying the
  size of a task (any parameter but the bytes one) and the bytes sent to and returned
  from each task (`BYTES_PARAM`, KiB). Position on the size axis is the plain loop's time
  per task at that point (its serial cell's median over its tasks, as a sweep's), on the
  bytes axis the bytes. Pairs: every model against the plain loop and against the
  process pool that dispatches as it does (`crossover.sweep_pairs`).
- *Waiting I/O* (`io_grids`): I/O cells varying the requests in flight (the `workers`
  field) and the wait of each (`WAIT_PARAMS`: io.http's `delay`, io.sleep's `latency`, in
  seconds). There is no plain loop for I/O: every model is set against the standard
  library's thread pool (`IO_POOL`), and asyncio against Trio when both ran.

A line is one axis held at one value while the other varies over two or more points;
along every line each pair's crossover is computed by `crossover.crossover` (log-log
interpolation between the two points around a change of side; the interval from
bootstrap replicates of fresh processes and repeats, and of the plain loop that places a
task size). An axis that holds a zero (no bytes, no wait) is shifted by `Axis.shift`
before the log, so it is interpolated linearly near zero and in log far from it, as
symlog draws it. `point_winners` ranks the models at one point (the map's colour there).
`comparisons.report.sections.maps` prints the lines, `comparisons.report.plots.grid_maps`
draws the grids.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from comparisons import formatting as fmt
from comparisons.backends import BASELINE
from comparisons.cell.outcome import Status
from comparisons.measure.stats import PRACTICAL_THRESHOLD
from comparisons.records.cells import Cell, baseline_key, is_measured, median_s
from comparisons.records.crossover import (
    Answer,
    Crossover,
    Point,
    crossover,
    on_the_loop,
    sweep_pairs,
    winners_at,
)
from comparisons.records.ranking import (
    Ranking,
    has_own_first_run,
    model,
    one_shot_s,
    one_shot_winners,
)
from workloads import REGISTRY as WORKLOADS
from workloads import load_workload

# The parameter of CPU work that sets the KiB sent to and returned from each task.
BYTES_PARAM = "kilobytes"
# The parameters of waiting I/O that set how long each request waits, in seconds.
WAIT_PARAMS = ("delay", "latency")
# The requests in flight of I/O work: a cell's `workers` field.
IN_FLIGHT = "workers"
# What waiting I/O is set against: the standard library's pool; and the two event loops.
IO_POOL = "threads"
LOOPS = ("asyncio", "trio")
# Each axis of a grid needs this many values.
MIN_VALUES = 2
# Yardsticks are no contenders: the ceiling is left out of a grid, and the plain loop
# joins CPU work's points only as what places them (I/O has none).
YARDSTICKS = (BASELINE, "ceiling")


@dataclass(frozen=True)
class Axis:
    """One axis of a grid: the coordinate a cell holds (`parameter`: a name in its
    params, or `workers`), its name and unit as the report says them, the words after a
    position on it ("400 µs per task"), and `shift`, added to every position before the
    log interpolation (non-zero only on an axis holding zero)."""

    parameter: str
    name: str
    unit: str
    tail: str
    shift: float = 0.0

    def show(self, value: float) -> str:
        """A position on this axis as the report prints it, without its tail."""
        if self.unit == "bytes":
            return fmt.size(value)
        if self.unit == "requests":
            return f"{value:,.0f}"
        return fmt.seconds(value)


@dataclass(frozen=True)
class GridPoint:
    """One point of a grid: its coordinates as set (`at`: the x and y parameters'
    values), its position on each axis, every cell measured there, and the plain loop's
    cell that places `x` (CPU work; None for I/O)."""

    at: tuple[Any, Any]
    x: float
    y: float
    rows: tuple[Cell, ...]
    loop: Cell | None = None


@dataclass(frozen=True)
class Grid:
    """The cells of one workload over two axes; `workers` is the pool's size for CPU
    work (None for I/O, where it is the x axis); `held` the parameters every cell shares."""

    workload: str
    kind: str
    workers: int | None
    x: Axis
    y: Axis
    held: tuple[tuple[str, Any], ...]
    points: tuple[GridPoint, ...]

    @property
    def cells(self) -> list[Cell]:
        return [r for p in self.points for r in p.rows]

    def values(self, axis: Axis) -> list[Any]:
        """The axis's coordinates as set, smallest first."""
        i = 0 if axis is self.x else 1
        return sorted({p.at[i] for p in self.points})


@dataclass(frozen=True)
class Line:
    """One line of a grid: `varies` changes while `fixed` is held at `fixed_at` (its
    position; for a task size, the median of the plain loop's times along the line), and
    each pair's crossover along it, in the varying axis's unit."""

    varies: Axis
    fixed: Axis
    fixed_at: float
    crossovers: tuple[Crossover, ...]
    # The fixed coordinate as set (a parameter's value, a count in flight): what names the
    # line across runs, where a task size's position (its plain loop's time) moves.
    fixed_as_set: Any = None


def grids(cells: Sequence[Cell]) -> list[Grid]:
    """Every grid of a run: CPU work against its bytes, then waiting I/O."""
    measured = [c for c in cells if c["status"] == Status.OK and is_measured(c)]
    return [*cpu_grids(measured), *io_grids(measured)]


def cpu_grids(cells: Sequence[Cell]) -> list[Grid]:
    """CPU cells at one `workers` value over a task size and `BYTES_PARAM`, each point
    placed by its plain loop (a point without one is left out)."""
    loops = {baseline_key(c): c for c in cells if c["backend"] == BASELINE}
    rows = [c for c in cells if c["kind"] == "cpu" and c["backend"] not in YARDSTICKS]
    found = []
    for size in sorted({k for c in rows for k in c["params"]} - {BYTES_PARAM}):
        placed = [c for c in rows if baseline_key(c) in loops]
        for (workload, workers, held), plane in _planes(placed, size, BYTES_PARAM).items():
            points = [_cpu_point(at, at_rows, loops) for at, at_rows in plane.items()]
            x = Axis(size, "task size", "s per task", "per task")
            y = _axis(Axis(BYTES_PARAM, "bytes per task", "bytes", "each way", 1024.0), points)
            found.append(Grid(workload, "cpu", workers, x, y, held, tuple(points)))
    return found


def _cpu_point(at: tuple[Any, Any], rows: list[Cell], loops: dict[Any, Cell]) -> GridPoint:
    loop = loops[baseline_key(rows[0])]
    per_task = median_s(loop) / loop["tasks"]
    return GridPoint(at, per_task, float(at[1]) * 1024, (*rows, loop), loop)


def io_grids(cells: Sequence[Cell]) -> list[Grid]:
    """I/O cells over the requests in flight and a wait (`WAIT_PARAMS`)."""
    rows = [c for c in cells if c["kind"] == "io" and c["backend"] not in YARDSTICKS]
    found = []
    for wait in WAIT_PARAMS:
        for (workload, _, held), plane in _planes(rows, IN_FLIGHT, wait).items():
            points = [
                GridPoint(at, float(at[0]), float(at[1]), tuple(at_rows))
                for at, at_rows in plane.items()
            ]
            x = Axis(IN_FLIGHT, "requests in flight", "requests", "in flight")
            y = _axis(Axis(wait, wait, "s", f"of {wait}", 1e-3), points)
            found.append(Grid(workload, "io", None, x, y, held, tuple(points)))
    return found


def _axis(y: Axis, points: list[GridPoint]) -> Axis:
    """The y axis, shifted for the log interpolation only where it holds a zero, so an
    axis of positive values is interpolated in log-log as a sweep is."""
    return y if any(p.y <= 0 for p in points) else replace(y, shift=0.0)


def _coordinate(c: Cell, name: str) -> Any:
    """A cell's value of an axis: `workers`, or a parameter; one its record leaves out is
    at the workload's default (a parameter added later is recorded only away from its
    default, `Param.omit_default`, so the cells at 0 KiB are the task-size sweep's own);
    None where the workload has no such parameter."""
    if name == IN_FLIGHT:
        return c["workers"]
    if name in c["params"]:
        return c["params"][name]
    if c["workload"] not in WORKLOADS:
        return None
    declared = load_workload(c["workload"]).params.get(name)
    return None if declared is None else declared.default


def _held(c: Cell, x: str, y: str) -> tuple[str, int | None, tuple[tuple[str, Any], ...]]:
    """What every cell of a grid over `x` and `y` shares: the workload, the workers
    (unless an axis), every other parameter."""
    workers = None if IN_FLIGHT in (x, y) else c["workers"]
    return (
        c["workload"],
        workers,
        tuple(sorted(p for p in c["params"].items() if p[0] not in (x, y))),
    )


def _planes(rows: list[Cell], x: str, y: str) -> dict[Any, dict[tuple[Any, Any], list[Cell]]]:
    """The rows that hold both axes, grouped by what they share (`_held`), then by their
    two coordinates; only groups with a line along each axis and one cell per backend a
    point (two would be two pieces of work, e.g. two task counts, that one point cannot
    hold)."""
    by_rest: dict[Any, dict[tuple[Any, Any], list[Cell]]] = defaultdict(lambda: defaultdict(list))
    for c in rows:
        at = (_coordinate(c, x), _coordinate(c, y))
        if None not in at:
            by_rest[_held(c, x, y)][at].append(c)
    planes = {}
    for key, plane in by_rest.items():
        unique = all(len({r["backend"] for r in p}) == len(p) for p in plane.values())
        if unique and _line_each_way(list(plane)):
            planes[key] = dict(sorted(plane.items()))
    return dict(sorted(planes.items(), key=lambda item: repr(item[0])))


def _line_each_way(coordinates: list[tuple[Any, Any]]) -> bool:
    """Whether the points make a line along each axis (`MIN_VALUES` of one coordinate
    at one value of the other): points scattered one per row and column, as a suite's
    separate cells at (3 in flight, 2 s) and (1,000, 100 ms), are no grid."""
    for fixed in (0, 1):
        by_fixed: dict[Any, set[Any]] = defaultdict(set)
        for at in coordinates:
            by_fixed[at[fixed]].add(at[1 - fixed])
        if all(len(varying) < MIN_VALUES for varying in by_fixed.values()):
            return False
    return True


def pairs(grid: Grid) -> list[tuple[str, str]]:
    """What each line compares: CPU work as a sweep does (`sweep_pairs`); waiting I/O
    every model against `IO_POOL`, and asyncio against Trio when both ran."""
    present = {r["backend"] for r in grid.cells}
    if grid.kind == "cpu":
        return sweep_pairs(present, on_the_loop(grid.cells))
    found = [(m, IO_POOL) for m in sorted(present - {IO_POOL})] if IO_POOL in present else []
    return found + ([LOOPS] if set(LOOPS) <= present else [])


def lines(grid: Grid) -> list[Line]:
    """Every line of the grid with two or more points: along x at each y, then along y
    at each x, each in the order of its fixed position."""
    found = []
    for varies, fixed, i in ((grid.x, grid.y, 1), (grid.y, grid.x, 0)):
        by_fixed: dict[Any, list[GridPoint]] = defaultdict(list)
        for p in grid.points:
            by_fixed[p.at[i]].append(p)
        on_lines = [
            replace(_line(grid, varies, fixed, on), fixed_as_set=held)
            for held, on in by_fixed.items()
            if len({p.at[1 - i] for p in on}) >= MIN_VALUES
        ]
        found += sorted(on_lines, key=lambda line: line.fixed_at)
    return found


def _line(grid: Grid, varies: Axis, fixed: Axis, on_line: list[GridPoint]) -> Line:
    along_x = varies is grid.x
    fixed_at = statistics.median(p.y if along_x else p.x for p in on_line)
    found = []
    for first, second in pairs(grid):
        points = [pt for p in on_line if (pt := _point(p, first, second, along_x, varies))]
        result = crossover(first, second, points)
        if result is None:
            continue
        if result.answer is Answer.CROSSES:
            # Where the winner gets the verdict's tie band ahead: equal times alone may
            # fall where the two are tied for practical purposes.
            ahead = crossover(first, second, points, ahead_by=PRACTICAL_THRESHOLD)
            result = replace(
                result, ahead=None if ahead is None else _unshifted(ahead, varies.shift)
            )
        found.append(_unshifted(result, varies.shift))
    return Line(varies, fixed, fixed_at, tuple(found))


def _point(p: GridPoint, first: str, second: str, along_x: bool, axis: Axis) -> Point | None:
    """The pair at one grid point, placed on the varying axis; a task size by its plain
    loop's cell, which the interval resamples too."""
    by_backend = {r["backend"]: r for r in p.rows}
    if first not in by_backend or second not in by_backend:
        return None
    if along_x and p.loop is not None:
        return Point(p.x, by_backend[first], by_backend[second], p.loop, p.loop["tasks"])
    return Point((p.x if along_x else p.y) + axis.shift, by_backend[first], by_backend[second])


def _unshifted(c: Crossover, shift: float) -> Crossover:
    """A crossover computed on a shifted axis, back in the axis's own values."""
    if not shift:
        return c

    def back(v: float | None) -> float | None:
        return None if v is None else v - shift

    bracket = None if c.bracket is None else (c.bracket[0] - shift, c.bracket[1] - shift)
    return replace(
        c,
        xs=tuple(x - shift for x in c.xs),
        at=back(c.at),
        low=back(c.low),
        high=back(c.high),
        bracket=bracket,
    )


def point_winners(point: GridPoint) -> Ranking | None:
    """Every model's standing at one point (`crossover.winners_at`: each by its best
    variant, the plain loop a contender of CPU work; I/O grids hold no plain loop)."""
    return winners_at(point.rows)


@dataclass(frozen=True)
class OnceAtPoint:
    """At one point of a grid, the job run once (set-up, first run, teardown:
    `ranking.one_shot_s`) beside the job run many times: the cheapest model to run once
    and every model within the practical threshold of it (`one_shot_winners`; one value
    per process, medians, so no interval), and the fastest many times (`point_winners`)."""

    point: GridPoint
    steady: tuple[str, ...]
    once: tuple[str, ...]
    once_s: float

    @property
    def differs(self) -> bool:
        """None of the cheapest to run once (the cheapest and those tied with it) is
        among the fastest to run many times."""
        return not set(self.once) & set(self.steady)


def once_at_points(grid: Grid) -> list[OnceAtPoint]:
    """`OnceAtPoint` at every point of the grid that has a ranking, each model by its
    cheapest row to run once (the plain loop a contender of CPU work, as on the map)."""
    found = []
    for p in grid.points:
        ranked = point_winners(p)
        if ranked is None:
            continue
        cheapest: dict[str, Cell] = {}
        models = set()
        for r in p.rows:
            if not is_measured(r) or (r["yardstick"] and r["backend"] != BASELINE):
                continue
            models.add(model(r))
            if not has_own_first_run(r):
                continue
            name = model(r)
            if name not in cheapest or one_shot_s(r) < one_shot_s(cheapest[name]):
                cheapest[name] = r
        if not cheapest or set(cheapest) != models:
            # Some model's first run here was only measured warm (after other points in
            # its process): no fair answer for the job run once at this point.
            continue
        once = one_shot_winners(list(cheapest.values()))
        found.append(
            OnceAtPoint(
                p,
                tuple(dict.fromkeys(model(r) for r in ranked.winners)),
                tuple(model(r) for r in once),
                one_shot_s(once[0]),
            )
        )
    return found


@dataclass(frozen=True)
class MemoryLine:
    """One model's memory over an I/O grid's requests in flight: at each count, the peak
    PSS of its cell at the grid's longest wait (where the requests are all held open at
    once: with short waits a pool reuses its threads and fewer exist), and the cost of
    each request added, the slope between the fewest and the most in flight."""

    backend: str
    peaks: tuple[tuple[int, int], ...]  # (in flight, peak PSS bytes), fewest first

    @property
    def per_request_bytes(self) -> float | None:
        if len(self.peaks) < MIN_VALUES:
            return None
        (few, low), (many, high) = self.peaks[0], self.peaks[-1]
        return (high - low) / (many - few)


def memory_lines(grid: Grid) -> list[MemoryLine]:
    """Each model's `MemoryLine` over an I/O grid (none for CPU grids: their x axis is
    no count of anything held open)."""
    if grid.kind != "io":
        return []
    longest: dict[tuple[str, int], tuple[float, int]] = {}
    for p in grid.points:
        for r in p.rows:
            if r["peak_pss_bytes"]:
                at = (r["backend"], int(r["workers"]))
                if at not in longest or p.y > longest[at][0]:
                    longest[at] = (p.y, int(r["peak_pss_bytes"]))
    peaks: dict[str, dict[int, int]] = defaultdict(dict)
    for (backend, flight), (_, peak) in longest.items():
        peaks[backend][flight] = peak
    return [
        MemoryLine(backend, tuple(sorted(by_flight.items())))
        for backend, by_flight in sorted(peaks.items())
    ]
