"""DETAILS.md's "Where the answer changes on two axes": per grid of cells that vary two
things at once (`comparisons.records.maps`), what was measured and, along every line of
it, where one way of running the work overtakes another, with its interval; left out of
a run without a grid.

A grid is CPU work at one pool size over the task size and the bytes sent to and from
each task, or waiting I/O over the requests in flight and the wait of each. A line holds
one axis at one value and varies the other; each row of the table is one line and one
pair that crosses on it or is decided along all of it, and the pairs the line leaves
undecided are listed after the table, so the table stays the answers. The figure
(`comparisons.report.plots.grid_maps`) is in "Plots".
"""

from __future__ import annotations

from comparisons import formatting as fmt
from comparisons.backends import BASELINE
from comparisons.records.crossover import Answer, Crossover
from comparisons.records.maps import (
    IO_POOL,
    Axis,
    Grid,
    Line,
    grids,
    lines,
    memory_lines,
    once_at_points,
    point_winners,
)
from comparisons.records.ranking import NOTICEABLE_START_S, PRACTICAL_THRESHOLD
from comparisons.records.service import SERVER_BOUND_SHARE, server_share
from comparisons.report.sections.context import Cells, Context
from comparisons.report.sections.crossovers import interval_text

TITLE = "Where the answer changes on two axes"
INTRO = (
    "From grids of cells that vary two things at once: CPU work by its task size (a "
    "plain loop's time per task) and by the bytes sent to and returned from each task; "
    "waiting I/O by the requests in flight and how long each waits. Along each line of a "
    "grid (one axis held, the other varying), for two ways of running the work: where "
    "their times are equal, interpolated in log-log between the two grid points around "
    "the change (linearly near zero on an axis that holds zero, as the figure's symlog "
    "draws it); the 95% interval covers the measurements' noise (fresh processes, "
    "repeats, and the plain loop that places a task size), not that interpolation, "
    "which on a grid of few points can be the larger error. Or the side faster along the "
    "whole line, or *tied throughout* (within 10% at every point); *undecided*: fewer "
    "than 95% of the bootstrap replicates agree. CPU work: each model against a plain "
    "loop and against the process pool that dispatches as it does (an event loop "
    "running the work on its own thread: against the plain loop only); waiting I/O: each "
    "model against the thread pool (`threads`), and asyncio against Trio."
)


def render(cells: Cells, context: Context) -> list[str]:
    """Per grid: what was measured, its table, then its undecided pairs."""
    out: list[str] = []
    for grid in grids(cells):
        found = lines(grid)
        decided = [(line, c) for line in found for c in line.crossovers if _decided(c)]
        out += [_measured(grid), ""]
        if decided:
            out += ["| line | pair | where the answer changes |", "|---|---|---|"]
            out += [
                f"| {_line(line)} | {c.first} / {c.second} | {describe(c, line.varies)} |"
                for line, c in decided
            ]
            out.append("")
        out += _undecided(found)
        out += _once(grid) + _server_bound(grid) + _memory(grid)
    return out[:-1] if out and not out[-1] else out


def _once(grid: Grid) -> list[str]:
    """Where the job run once (start-up included) has another answer than run many
    times: each such point with the cheapest to run once, or one line saying there is
    none."""
    found = once_at_points(grid)
    ranked = sum(1 for p in grid.points if point_winners(p) is not None)
    if not ranked:
        return []
    left = ranked - len(found)
    head = (
        "Run once (set-up + first run + teardown: a job started, run and ended once, the "
        "model's start-up included; the median over the processes that measured each "
        "first run alone, often one a point, so no interval; tied within "
        f"{PRACTICAL_THRESHOLD * 100:.0f}% or {fmt.seconds(NOTICEABLE_START_S)}, what a "
        "job run once does not notice, however large the ratio)"
        + (
            f", at {len(found)} of {ranked} points (at the other {left} some model's first "
            "run was only measured after other points in its process, already warm)"
            if left
            else ""
        )
        + ": "
    )
    differs = [o for o in found if o.differs]
    if not found:
        return [head + "no point to compare.", ""]
    if not differs:
        return [head + "the cheapest is among the fastest run many times at each.", ""]
    where = [
        f"{grid.x.show(o.point.x)} {grid.x.tail} at {grid.y.show(o.point.y)} "
        f"{grid.y.tail}: **{' / '.join(o.once)}** ({fmt.seconds(o.once_s)}; many times: "
        f"{' / '.join(o.steady)})"
        for o in differs
    ]
    return [
        head + f"the cheapest differs from the fastest run many times at {len(differs)} of "
        f"{len(found)} points (drawn in the map's run-once panel): " + "; ".join(where) + ".",
        "",
    ]


def _server_bound(grid: Grid) -> list[str]:
    """The points of an I/O grid whose fastest row had the one-process test server busy
    `SERVER_BOUND_SHARE` of a core or more: there the server set the pace, not the model."""
    bound = []
    for p in grid.points:
        ranked = point_winners(p)
        if ranked is None:
            continue
        share = server_share(ranked.rows[0])
        if share is not None and share >= SERVER_BOUND_SHARE:
            bound.append(
                f"{grid.x.show(p.x)} {grid.x.tail} at {grid.y.show(p.y)} {grid.y.tail} "
                f"({ranked.rows[0]['backend']}, server busy {fmt.percent(share)} of a core)"
            )
    if not bound:
        return []
    return [
        "Server-bound points (the test server, one process on this machine's cores, busy "
        f"{fmt.percent(SERVER_BOUND_SHARE)} of a core or more during the fastest model's "
        "repeats: it, not the model, set the pace there; marked *S* on the map): "
        + "; ".join(bound)
        + ".",
        "",
    ]


def _memory(grid: Grid) -> list[str]:
    """An I/O grid's memory table: each model's peak PSS at each count in flight, and
    what each request added costs."""
    found = memory_lines(grid)
    if not found:
        return []
    counts = sorted({n for m in found for n, _ in m.peaks})
    out = [
        "Memory over requests in flight (peak PSS of the cell's whole process tree, at "
        f"the longest wait, {grid.y.show(max(p.y for p in grid.points))}, where every "
        "request in flight is held open at once; the last column is the slope between the "
        "fewest and the most in flight each model ran, what one more request held open "
        "costs; an engine runs one worker process per request in flight):",
        "",
        "| model | " + " | ".join(f"{n:,} in flight" for n in counts) + " | each request added |",
        "|---|" + "---|" * (len(counts) + 1),
    ]
    for m in found:
        at = dict(m.peaks)
        slope = m.per_request_bytes
        out.append(
            f"| {m.backend} | "
            + " | ".join(fmt.size(at[n]) if n in at else "–" for n in counts)
            + f" | {fmt.size(slope) if slope is not None else '– (one count only)'} |"
        )
    return [*out, ""]


GRID_FIGURE = "grid_maps.png"


def front(cells: Cells, context: Context) -> list[str]:
    """The front page's maps of two axes: the figure, then per line of each grid the
    boundaries against the plain loop (CPU work) or the thread pool (waiting I/O), each
    with its interval, where one model overtakes it (every pair is in the details)."""
    found = grids(cells)
    if not found:
        return []
    out = [
        f"![{caption}]({path})" for path, caption in context.figures if path.endswith(GRID_FIGURE)
    ]
    out += [""] if out else []
    for grid in found:
        against = BASELINE if grid.kind == "cpu" else IO_POOL
        for line in lines(grid):
            crosses = sorted(
                (
                    c
                    for c in line.crossovers
                    if c.second == against and c.answer is Answer.CROSSES and c.at is not None
                ),
                key=lambda c: c.at or 0.0,
            )
            if crosses:
                where = grid.workload + (f", {grid.workers} workers" if grid.workers else "")
                named = "a plain loop" if against == BASELINE else f"`{against}`"
                out.append(
                    f"- **{where}**, {_line(line)}: against {named}, "
                    + "; ".join(_boundary(c, line.varies) for c in crosses)
                    + "."
                )
    if len(out) > 2:
        out.append(
            "  Each boundary is where the winner gets 10% ahead (the verdict's tie band; "
            "where the two times are equal beside it), interpolated between the two grid "
            "points around it; its interval covers the measurements' noise, not that "
            "interpolation."
        )
    return out


def _ahead(c: Crossover, axis: Axis, side: str) -> str:
    """Where the winner of a crossing gets the verdict's tie band (10%) ahead, or that
    it never does along the line (the two are then tied for practical purposes)."""
    ahead = c.ahead
    if ahead is not None and ahead.answer is Answer.CROSSES and ahead.at is not None:
        return f"10% ahead {side} {axis.show(ahead.at)} ({interval_text(ahead, axis.show)})"
    return "never 10% ahead along the line: tied for practical purposes"


def _boundary(c: Crossover, axis: Axis) -> str:
    """The front page's boundary: where the winner gets 10% ahead (the verdict's tie
    band), with where the times are equal beside it; equal times alone are no answer."""
    side = "from" if c.first_wins_above else "below"
    equal = f"equal at {axis.show(c.at or 0)} ({axis.show(c.low or 0)}–{axis.show(c.high or 0)})"
    ahead = c.ahead
    if ahead is not None and ahead.answer is Answer.CROSSES and ahead.at is not None:
        return (
            f"**{c.first}** 10% ahead {side} {axis.show(ahead.at)} "
            f"({axis.show(ahead.low or 0)}–{axis.show(ahead.high or 0)}; {equal})"
        )
    return f"**{c.first}** ahead {side} {axis.show(c.at or 0)} but never by 10% ({equal})"


def _decided(c: Crossover) -> bool:
    return c.answer is not Answer.UNDECIDED and (c.answer is not Answer.CROSSES or c.at is not None)


def _measured(grid: Grid) -> str:
    """What the grid measured in one sentence."""
    where = grid.workload + (f", {grid.workers} workers" if grid.workers else "")
    held = ", ".join(f"{k}={v}" for k, v in grid.held)
    return (
        f"**{where}**{f' ({held})' if held else ''}: {_values(grid, grid.x)} × "
        f"{_values(grid, grid.y)}; {len(grid.cells)} cells at {len(grid.points)} points."
        + _shared_processes(grid)
    )


def _shared_processes(grid: Grid) -> str:
    """How many fresh processes measured the grid's points, where points shared them."""
    entries = [e for c in grid.cells for e in c["shared_process"]]
    if not entries:
        return ""
    processes = round(sum(1 / e["points"] for e in entries))
    alone = sum(c["invocations_done"] for c in grid.cells) - len(entries)
    tail = f" and {alone} of their own" if alone else ""
    return (
        f" Each model's points shared a fresh process per round, the model set up once: "
        f"{len(entries)} point measurements in {processes} processes{tail}; a point's "
        "set-up and teardown are its process's, its CPU its own window, and its memory and "
        "first run are read only where it came first in its process."
    )


def _values(grid: Grid, axis: Axis) -> str:
    """An axis's values; a task size by its parameter and the plain loop's times."""
    if axis is grid.x and grid.kind == "cpu":
        positions = sorted(p.x for p in grid.points)
        set_to = ", ".join(f"{v:,}" for v in grid.values(axis))
        return (
            f"{axis.name} ({axis.parameter} {set_to}: {axis.show(positions[0])}–"
            f"{axis.show(positions[-1])} of a plain loop's work per task)"
        )
    i = 0 if axis is grid.x else 1
    positions = sorted({p.x if i == 0 else p.y for p in grid.points})
    return f"{axis.name} {', '.join(axis.show(v) for v in positions)}"


def _line(line: Line) -> str:
    return f"along {line.varies.name}, {line.fixed.show(line.fixed_at)} {line.fixed.tail}"


def describe(c: Crossover, axis: Axis) -> str:
    """A decided crossover along `axis` in words, as the task-size table words its own:
    "**asyncio** faster than threads above 200 in flight (180–230, between the grid's
    100 and 1,000); threads below"."""
    span = f"{axis.show(c.xs[0])}–{axis.show(c.xs[-1])} {axis.tail}"
    if c.answer is Answer.CROSSES and c.at is not None:
        side, other = ("above", "below") if c.first_wins_above else ("below", "above")
        interval = interval_text(c, axis.show)
        return (
            f"**{c.first}** faster than {c.second} {side} {axis.show(c.at)} {axis.tail} "
            f"({interval}); {c.second} {other}; {_ahead(c, axis, side)}"
        )
    if c.answer is Answer.TIED:
        return f"{c.first} and {c.second} within 10% of each other along the line ({span})"
    if c.answer is Answer.FIRST_THROUGHOUT:
        return f"**{c.first}** faster than {c.second} along the whole line ({span})"
    return f"{c.first} slower than **{c.second}** along the whole line ({span})"


def _undecided(found: list[Line]) -> list[str]:
    """The pairs each line leaves undecided, one line of text per grid line."""
    out = []
    for line in found:
        pairs = [
            f"{c.first} / {c.second}"
            + (f" (changes places {c.crossings} times)" if c.crossings > 1 else "")
            for c in line.crossovers
            if not _decided(c)
        ]
        if pairs:
            out.append(f"- {_line(line)}: undecided {', '.join(pairs)}")
    return [*out, ""] if out else []
