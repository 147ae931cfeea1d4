"""REPORT.md's "How small a task can each model afford?": read from a granularity sweep,
left out of a run without one.

A sweep splits CPU work into tasks of several sizes (`crossover.sweeps`: `cpu` cells at
two or more workers, at three or more points that differ in one parameter only, a plain
loop at each); per model, the section names the
smallest task at which it still reaches 80% of its own best efficiency, and how its tasks
were dispatched: one per task, or batched (`Pool.map`'s chunks, `ray:batched`,
`dask:bag`, with the batch sizes its records state), since a batched idiom pays a
dispatch per batch, not per task, and affords smaller tasks for that alone.
"""

from __future__ import annotations

from comparisons import formatting as fmt
from comparisons.backends import BASELINE, REGISTRY, backend_class
from comparisons.backends.base import BATCHED, PER_TASK
from comparisons.measure.stats import PRACTICAL_THRESHOLD
from comparisons.records.cells import Cell, baseline_of
from comparisons.records.crossover import sweeps
from comparisons.report.sections.claims import batch_size, batching
from comparisons.report.sections.context import Cells, Context

TITLE = "How small a task can each model afford?"
INTRO = (
    "From the granularity sweep (the work split into tasks of each size; the job's "
    "total may differ between sizes, as a suite may cap the tasks per size): the "
    "smallest task, in serial seconds, at which each model reaches 80% of its own best "
    "efficiency. Below it, per-task overhead eats the gain. A batched model sends "
    "several tasks per message, so its overhead is paid per batch."
)


def dispatch_label(rows: list[Cell]) -> str:
    """How one backend's rows of a sweep dispatched their tasks: 'one per task',
    'batched (chunks of 1-6250)', or the backend's own word."""
    backend = rows[0]["backend"]
    if backend not in REGISTRY:
        return "–"
    declared = backend_class(backend).dispatch
    if declared != BATCHED:
        return "one per task" if declared == PER_TASK else declared
    sizes = sorted({size for r in rows if (size := batch_size(r)) is not None})
    if not sizes:
        return f"batched ({batching(rows[0])})"
    spread = f"{sizes[0]}" if len(sizes) == 1 else f"{sizes[0]}-{sizes[-1]}"
    return f"batched (chunks of {spread})"


def smallest_affordable(rows: list[Cell], best: float) -> str:
    """The smallest task (`rows` by task size) reaching 80% of the model's best
    efficiency; none when the model never ran the work at least `PRACTICAL_THRESHOLD` faster than a
    plain loop (an event loop runs pure-Python tasks one at a time: its 80% of a serial
    pace is no size it affords, only the loop's own)."""
    if best * rows[0]["workers"] < 1 + PRACTICAL_THRESHOLD:
        margin = fmt.percent(PRACTICAL_THRESHOLD)
        return f"none: never {margin} faster than a plain loop at any size"
    good = [r for r in rows if baseline_of(r).efficiency >= 0.8 * best]
    per_task = baseline_of(good[0]).median_s / good[0]["tasks"]
    return f"{fmt.seconds(per_task)} of serial work per task"


def render(cells: Cells, context: Context) -> list[str]:
    """Per model, the smallest task at which it reaches 80% of its own best efficiency."""
    lines: list[str] = []
    left_out: list[str] = []
    for (workload, workers), found in sweeps(cells).items():
        # A task size whose serial baseline is unreliable says nothing of efficiency.
        rows = [
            r
            for r in found
            if r["backend"] != BASELINE and r["baseline"] and not r["baseline"].unreliable
        ]
        exposed = sorted(
            {
                r["baseline"].median_s / r["tasks"]
                for r in found
                if r["backend"] != BASELINE and r["baseline"] and r["baseline"].unreliable
            }
        )
        if exposed:
            sizes = ", ".join(fmt.seconds(s) for s in exposed)
            left_out.append(f"{workload}, {workers} workers: {sizes} per task")
        if not lines:
            lines = [
                "| work | model | dispatch | best efficiency | smallest task reaching 80% of it |",
                "|---|---|---|---|---|",
            ]
        for backend in sorted({r["backend"] for r in rows}):
            mine = sorted(
                (r for r in rows if r["backend"] == backend),
                key=lambda r: baseline_of(r).median_s / r["tasks"],
            )
            best = max(baseline_of(r).efficiency for r in mine)
            lines.append(
                f"| {workload}, {workers} workers | {backend} | {dispatch_label(mine)} | "
                f"{fmt.percent(best)} | {smallest_affordable(mine, best)} |"
            )
    if lines and left_out:
        lines += [
            "",
            "Task sizes left out, their plain loop exposed as unreliable by a speedup above "
            "the cores (a model's best may lie there): " + "; ".join(left_out) + ".",
        ]
    return lines
