"""DETAILS.md's "Where the answer changes": the crossovers of a task-size sweep, each a
number with its interval, computed from the grid (`comparisons.records.crossover`),
never read off by eye; left out of a run without a sweep.

A sweep is a CPU workload run at three or more task sizes with two or more workers (a
suite's `granularity`, e.g. `SUITE=map` or `SUITE=full`). Its axis is the plain loop's
time per task at each size (the serial cell of that size, median over its tasks), so a
boundary reads as "processes beat a plain loop from 180 µs of work per task". Each model
is set against the plain loop (where does it start to pay?) and against the process
pool that hands tasks over as it does (`processes:executor` for one message per task,
`processes`' Pool.map batches for a batching model: where does Ray, Dask or a thread
pool overtake it, if anywhere on the grid?). A boundary is where the two take equal
time; where the winner is 10% ahead (the verdict's tie band) is given beside it. The
points' job sizes differ (the suite caps tasks per point), and are stated.
"""

from __future__ import annotations

from collections.abc import Callable

from comparisons import formatting as fmt
from comparisons.backends import BASELINE
from comparisons.records.crossover import Answer, Crossover, sweep_crossovers, sweeps
from comparisons.report.sections.context import Cells, Context

TITLE = "Where the answer changes"
INTRO = (
    "From a sweep of the work split into tasks of each size: for two ways of running "
    "it, the task size (a plain loop's time per task) at which their times are equal, "
    "and from where the winner is 10% ahead, each interpolated in log-log between the "
    "two grid sizes around it (named: on a sparse grid the interpolation can be the "
    "larger error); the 95% interval covers the measurements' noise (fresh processes, "
    "repeats, and the plain loop that places each size), not that interpolation. Or the "
    "side faster over the whole grid, or *tied throughout* (within 10% at every size). "
    "*Undecided*: fewer than 95% of the bootstrap replicates agree. Each model against "
    "the plain loop, and against the process pool that dispatches as it does "
    "(`processes:executor` one task per message, `processes` Pool.map's batches); an "
    "event loop that runs the work on its own thread hands no task over, so it is set "
    "against the plain loop only. A "
    "suite may cap the tasks per size (`SUITE=map` does, at 1,000), so the job's size "
    "differs between sizes: each workload's table gives its tasks."
)


def describe(c: Crossover) -> str:
    """The crossover in words: "**processes** faster than serial above 180 µs per task
    (120 µs–260 µs)"."""
    grid = f"{fmt.seconds(c.xs[0])}–{fmt.seconds(c.xs[-1])}"
    if c.answer is Answer.CROSSES and c.at is not None and c.low is not None:
        side = "above" if c.first_wins_above else "below"
        other = "below" if c.first_wins_above else "above"
        text = (
            f"**{c.first}** faster than {c.second} {side} {fmt.seconds(c.at)} per task "
            f"({_interval(c)}); {c.second} {other}"
        )
        ahead = c.ahead
        if ahead is not None and ahead.answer is Answer.CROSSES and ahead.at is not None:
            text += f"; 10% ahead {side} {fmt.seconds(ahead.at)} ({_interval(ahead)})"
        elif ahead is not None:
            text += "; 10% ahead: not placed on this grid"
        return text + (f" (⚠ {c.caveat})" if c.caveat else "")
    if c.answer is Answer.TIED:
        return (
            f"{c.first} and {c.second} within 10% of each other over the whole grid "
            f"({grid} per task)"
        )
    if c.answer is Answer.FIRST_THROUGHOUT:
        return f"**{c.first}** faster than {c.second} over the whole grid ({grid} per task)"
    if c.answer is Answer.SECOND_THROUGHOUT:
        return f"{c.first} slower than **{c.second}** over the whole grid ({grid} per task)"
    if c.crossings > 1:
        return (
            f"{c.first} against {c.second}: undecided, the two change places "
            f"{c.crossings} times on this grid ({grid} per task)"
        )
    near = f" near {fmt.seconds(c.at)} per task" if c.at is not None else ""
    return (
        f"{c.first} against {c.second}: undecided{near} ({c.agreement:.0%} of the replicates agree)"
    )


def interval_text(c: Crossover, show: Callable[[float], str]) -> str:
    """A crossing's interval and the grid points it was interpolated between; where the
    interval reaches past them (some replicates cross in a neighbouring segment), the
    text says so rather than seem to contradict itself."""
    low, high = c.low or 0, c.high or 0
    text = f"{show(low)}–{show(high)}"
    if c.bracket is None:
        return text
    left, right = c.bracket
    grid = f"the grid's {show(left)} and {show(right)}"
    if left <= low and high <= right:
        return f"{text}, between {grid}"
    return f"{text}: interpolated between {grid}, some replicates change places beyond them"


def _interval(c: Crossover) -> str:
    return interval_text(c, fmt.seconds)


def render(cells: Cells, context: Context) -> list[str]:
    """One table row per pair of each sweep."""
    lines: list[str] = []
    for (workload, workers), rows in sweeps(cells).items():
        if not lines:
            lines = ["| work | pair | where the answer changes | task sizes |", "|---|---|---|---|"]
        for c in sweep_crossovers(rows):
            lines.append(
                f"| {workload}, {workers} workers | {c.first} / {c.second} | {describe(c)} | "
                f"{len(c.xs)} |"
            )
    return lines


MAP_FIGURE = "task_size_map.png"


def front(cells: Cells, context: Context) -> list[str]:
    """The front page's map: the figure, then per sweep two lines, where each model starts
    (or stops) beating a plain loop, and where an in-process model or an engine overtakes
    the process pool; each boundary with its interval, each caveat once (the full table
    is in the details)."""
    found = sweeps(cells)
    if not found:
        return []
    lines = [
        f"![{caption}]({path})" for path, caption in context.figures if path.endswith(MAP_FIGURE)
    ]
    lines += [""] if lines else []
    for (workload, workers), rows in found.items():
        found_crossovers = sweep_crossovers(rows)
        grid = found_crossovers[0].xs if found_crossovers else ()
        where = f"{workload}, {workers} workers"
        if grid:
            where += f", tasks of {fmt.seconds(grid[0])}–{fmt.seconds(grid[-1])} of serial work"
        against_loop = [c for c in found_crossovers if c.second == BASELINE]
        against_pool = [c for c in found_crossovers if c.second != BASELINE]
        lines.append(f"- **{where}**: against a plain loop, {_compact(against_loop)}.")
        if against_pool:
            pools = " and ".join(sorted({c.second for c in against_pool}))
            lines.append(f"- {where}: against the process pool {pools}, {_compact(against_pool)}.")
        if grid:
            lines.append(
                f"  Measured at {len(grid)} sizes ({', '.join(fmt.seconds(x) for x in grid)}): "
                "each boundary is interpolated between the two around it, and its interval "
                "covers the measurements' noise, not that interpolation."
            )
        caveats = sorted({c.caveat for c in found_crossovers if c.caveat})
        lines += [f"  ⚠ {caveat}." for caveat in caveats]
    return lines


def _compact(found: list[Crossover]) -> str:
    """Boundaries first, by where they lie ("processes:executor faster from 377 µs
    (337 µs–506 µs)"), then who wins or ties throughout, then the undecided."""
    crosses = sorted(
        (c for c in found if c.answer is Answer.CROSSES and c.at is not None and c.low),
        key=lambda c: c.at or 0.0,
    )
    parts = [
        f"**{c.first}** faster {'from' if c.first_wins_above else 'below'} "
        f"{fmt.seconds(c.at or 0)} ({fmt.seconds(c.low or 0)}–{fmt.seconds(c.high or 0)})"
        for c in crosses
    ]
    by_answer: dict[Answer, list[str]] = {}
    for c in found:
        by_answer.setdefault(c.answer, []).append(c.first)
    for answer, words in (
        (Answer.FIRST_THROUGHOUT, "faster at every size"),
        (Answer.TIED, "within 10% at every size"),
        (Answer.SECOND_THROUGHOUT, "slower at every size"),
    ):
        if by_answer.get(answer):
            parts.append(f"{', '.join(by_answer[answer])} {words}")
    if by_answer.get(Answer.UNDECIDED):
        parts.append(f"undecided: {', '.join(by_answer[Answer.UNDECIDED])}")
    return "; ".join(parts) if parts else "no boundary decided on this grid"
