"""REPORT.md's "How to read this report": what each column and mark of the tables means.

The same text for every run, but for the thresholds it quotes, which come from where
they are applied (`comparisons.measure.stats`, `sections.rows`), so the guide cannot
state another number than the tables used.
"""

from __future__ import annotations

from comparisons.measure.stats import PRACTICAL_THRESHOLD, UNSTABLE_CV
from comparisons.report.sections.context import Cells, Context
from comparisons.report.sections.rows import LOOP_NOTE

TITLE = "How to read this report"
INTRO = ""
HOW_TO_READ = [
    "- **in flight** is how many tasks can run at once: the pool size or concurrency "
    "limit, or the tasks for a thread or process per task. Rows are ranked, and the "
    "verdict compares models, only at the same in-flight count.",
    "- **lower quartile** is the verdict's estimator: the 25th percentile of the work "
    "times of the repeats (a slow spell of the machine only adds time, so it is the time "
    "outside such spells); rows are ranked by it. **median** is the work time of one "
    "repeat (all tasks), the usual summary. Each cell runs as several "
    "fresh processes in a seeded, interleaved order; in each, set-up (pool, loop, "
    "cluster start), a first (warm-up) run and teardown are timed apart from the measured "
    "repeats.",
    "- **95% CI** is a two-level bootstrap interval for the median: it resamples the "
    "processes, then the repeats within each, so it covers run-to-run variance, not only "
    "the repeats inside one process.",
    "- **tied / undecided with the fastest**: the row's lower quartile over the "
    "fastest's has a 95% interval wholly within "
    f"{PRACTICAL_THRESHOLD * 100:.0f}% (tied), or straddling that edge (undecided, with "
    "the interval): the verdict's own rule, so a table never disagrees with it.",
    "- **run once** is set-up + first run + teardown: what a job run once waits for. "
    "The break-even says from how much work the steady-state winner pays for its "
    "start-up.",
    "- **% of the machine's ceiling**: the *ceiling* row runs the same tasks on "
    "pre-forked, warmed processes that share one task counter, the least any model must "
    "pay here; a model's share of it (with its interval) is what it leaves on the table. "
    "A model that beats the ceiling (over 100% of it) shows the ceiling was measured "
    "slow: it is marked *ceiling unreliable*, with the ceiling's own times, never "
    "replaced by the row that beat it. Likewise a speedup above the usable cores marks "
    "the serial baseline *unreliable*: no machine can do that, so the figure is not "
    "printed as a finding.",
    f"- **CV** is stdev / mean of the repeats. ⚠ marks a row whose CV exceeds "
    f"{UNSTABLE_CV * 100:.0f}%, whose min or max lies 50% or more from the mean, whose "
    "processes' medians differ by more than that, or whose repeats last under 1 ms "
    "(pyperf's warnings): close other programs or raise REPEATS before trusting it.",
    "- **speedup** is the serial baseline's median divided by this row's, with its own "
    "interval; **efficiency** is speedup / workers (1.0 = perfect use of every worker). "
    "Both are of medians, the usual summary; only the verdict's ranking uses lower "
    "quartiles.",
    "- **CPU use** is CPU seconds of the cell's whole process tree per second over the "
    "same window (exited children included). **peak PSS** is the tree's proportional set "
    "size at its peak: pages shared between processes (a forked parent's, Ray's object "
    "store) are split among them, so each is counted once; **RSS sum** counts them once "
    "per process and is kept for comparison. The tree is sampled up to 10 times a second "
    "outside the measured repeats and at most every 0.5 s during them, so the sampling "
    "costs the timed work nearly nothing; where the harness could make a memory cgroup "
    "for the cell, the kernel's own peak counter (`kernel_peak_bytes` in summary.csv) "
    "holds what falls between samples, and the memory claims compare by it.",
    "- *yardsticks* (the serial loop, the ceiling, in-process rows of a transfer "
    "workload, which move no bytes) are shown but never ranked.",
    f"- *{LOOP_NOTE}*: asyncio and Trio run CPU work on their one thread, as plain code "
    "does; the row shows what that costs, and asyncio rows show the loop's worst lag "
    "(how long a heartbeat coroutine waited beyond its time).",
]


SHARED_PROCESSES = (
    "- **shared processes** (this suite's `shared_processes`): each round, a model's "
    "points at one worker count shared a few fresh processes, the model set up once in "
    "each, so an engine's start-up is paid a few times a round, not once a point. Every "
    "point leads a process (comes first in it) in one round, dealt by the seed; the "
    "others follow in the round's shuffled order. Each point keeps its own warm-up, "
    "repeats, memory peak and CPU (read over its own window of the process); its set-up "
    "and teardown are the process's. Its memory, first run and event-loop lag are read "
    "only from the processes it led (after other points they include what those left: "
    "memory allocated, imports and code shipped), so *run once* and memory rest on one "
    "process a point; the time per run on all of them."
)


def render(cells: Cells, context: Context) -> list[str]:
    """The guide's bullets, the same for every run but for the one on shared processes,
    there only when some point shared one."""
    shared = any(c["shared_process"] for c in cells)
    return [*HOW_TO_READ, *([SHARED_PROCESSES] if shared else [])]
