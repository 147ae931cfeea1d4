"""REPORT.md's "The tutorial's claims, checked": the tutorial's claims (and PEP 734's for
subinterpreters), each checked against this run.

`shared/seed-tutorial.txt`, the tutorial this project grew from, makes testable claims
about threading, multiprocessing and asyncio; PEP 734 makes two about subinterpreters.
Each claim below is a rule over the records: it finds the cells that bear on it, and
says *holds*, *does not hold*, *depends* (holds for some of the cells, not others) or
*not measured* (this run has no cell that bears on it), with the numbers that decided.
Nothing here is written by hand beyond the claim's wording and its rule. `CLAIMS` is
the declared list; a claim is added by writing its rule and one entry there.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from comparisons import formatting as fmt
from comparisons.measure.stats import Ratio, ratio_of_medians
from comparisons.records.cells import (
    Cell,
    baseline_of,
    is_measured,
    median_s,
    memory_bytes,
    samples_of,
)
from comparisons.report.sections.context import Cells, Context
from workloads.vocabulary import CPU_CATEGORIES, OVERHEAD_CATEGORIES, Category, waits_on_peers

TITLE = "The tutorial's claims, checked"
INTRO = (
    "The claims of the tutorial this project grew from (`shared/seed-tutorial.txt`), "
    "and PEP 734's for subinterpreters, each checked by a rule over this run's cells."
)

Records = list[Cell]
Finding = tuple[str, str]  # (verdict, evidence)
SUBINTERPRETERS_AND_PROCESSES = ("subinterpreters", "processes")
PROCESSES_AND_THREADS = ("processes", "threads")

PARALLEL_SHARE = 0.7  # "true parallelism": speedup at least 70% of the worker count
NO_SPEEDUP = 1.1  # a speedup whose interval reaches below this is no speedup
HIGH_CONCURRENCY = 100  # "high concurrency": at least this many tasks in flight
MEMORY_MARGIN = 0.10  # a memory difference under 10% is no difference
# The loop is "stalled" when its worst lag reaches this share of one task's CPU time.
STALL_SHARE = 0.8


def _ok(records: Records, **match: Any) -> Records:
    return [r for r in records if is_measured(r) and all(r.get(k) == v for k, v in match.items())]


def _level(r: Cell) -> int:
    return r.get("in_flight") or min(r["workers"], r["tasks"])


def _same_work(r: Cell) -> tuple:
    """Rows comparable with each other: same work, same in-flight count."""
    return (r["workload"], r["tasks"], tuple(sorted(r["params"].items())), _level(r))


def _pairs(records: Records, first: str, second: str) -> list[tuple[Cell, Cell]]:
    """(first, second) rows of the two backends doing the same work at the same level."""
    by_work: dict[tuple[Any, ...], dict[str, Cell]] = {}
    for r in _ok(records):
        by_work.setdefault(_same_work(r), {})[r["backend"]] = r
    return [
        (rows[first], rows[second])
        for _, rows in sorted(by_work.items(), key=lambda item: str(item[0]))
        if first in rows and second in rows
    ]


def _speedup(r: Cell) -> float | None:
    return r["baseline"].speedup if r["baseline"] else None


def _verdict(results: list[bool]) -> str:
    if not results:
        return "not measured"
    if all(results):
        return "holds"
    if not any(results):
        return "does not hold"
    return "depends"


def threads_do_not_speed_up_cpu(records: Records) -> Finding:
    """Per CPU row of the thread pool: no speedup (the interval reaches below 1.1).
    GIL-bound and GIL-releasing work are stated apart: the GIL explains only the first."""
    checks, notes = [], []
    for category in CPU_CATEGORIES:
        rows = [
            r
            for r in _ok(records, backend="threads", category=category)
            if r["workers"] > 1 and _speedup(r) is not None
        ]
        for r in rows:
            checks.append(baseline_of(r).speedup_ci95[0] <= NO_SPEEDUP)
        if rows:
            notes.append(
                f"{category}: "
                + ", ".join(
                    f"{r['workload']} with {r['workers']} threads {fmt.ratio(_speedup(r))}"
                    for r in rows
                )
            )
    return _verdict(checks), "; ".join(notes) or "no threads cell on CPU work with >1 worker"


def processes_give_true_parallelism(records: Records) -> Finding:
    rows = [
        (r, speedup)
        for r in _ok(records, backend="processes")
        if r["category"] in CPU_CATEGORIES
        and r["workers"] > 1
        and (speedup := _speedup(r)) is not None
    ]
    checks = [speedup >= PARALLEL_SHARE * min(r["workers"], _cores(r)) for r, speedup in rows]
    evidence = "; ".join(
        f"{r['workload']} with {r['workers']} processes: {fmt.ratio(speedup)} "
        f"(efficiency {fmt.percent(speedup / r['workers'])})"
        for r, speedup in rows
    )
    return _verdict(checks), evidence or "no processes cell on CPU work with >1 worker"


def _not_measured(records: Records, backend: str, what: str) -> Finding:
    """'not measured', with the reason the backend's cells were skipped, if they were."""
    skipped = [r for r in records if r.get("backend") == backend and r.get("status") == "skipped"]
    why = f": {skipped[0]['error']}" if skipped and skipped[0].get("error") else ""
    return "not measured", f"no {backend} and processes cells on {what}{why}"


def _pairwise(
    records: Records,
    pair: tuple[str, str],
    categories: Collection[str],
    holds: Callable[[Ratio], bool],
    note: Callable[[Cell, Cell, Ratio], str],
    missing: Finding,
) -> Finding:
    """A claim about two backends, judged per pair of their rows doing the same work at
    the same in-flight count in one of `categories`: `holds` reads the ratio of the
    first's median to the second's, `note` says the numbers; `missing` when no pair."""
    checks, notes = [], []
    for a, b in _pairs(records, *pair):
        if a.get("category") not in categories:
            continue
        result = ratio_of_medians(samples_of(a), samples_of(b))
        checks.append(holds(result))
        notes.append(note(a, b, result))
    return (_verdict(checks), "; ".join(notes)) if checks else missing


def _per_task(what: str, pair: tuple[str, str], a: Cell, b: Cell, aside: str = "") -> str:
    """Evidence in time per task, for work whose tasks are (nearly) empty."""
    per = [median_s(r) / r["tasks"] for r in (a, b)]
    return (
        f"{what} at {_level(a)} in flight: {pair[0]} {fmt.seconds(per[0])} per "
        f"task, {pair[1]} {fmt.seconds(per[1])}{aside}"
    )


def _sized(r: Cell, noun: str, otherwise: str) -> str:
    """`noun` after the bytes a transfer row sends with each task; `otherwise` for a row
    that sends none."""
    if r["measures_transfer"] and r["bytes_per_task"]:
        return f"{_size(r['bytes_per_task'])} {noun}"
    return otherwise


def subinterpreters_match_processes_on_gil_bound_cpu(records: Records) -> Finding:
    """Per GIL-bound CPU cell both ran at the same in-flight count: subinterpreters are
    not meaningfully slower than processes (a tie or better)."""
    return _pairwise(
        records,
        SUBINTERPRETERS_AND_PROCESSES,
        (Category.GIL_BOUND_CPU,),
        holds=lambda slower: not (slower.meaningful and slower.ratio > 1),
        note=lambda sub, procs, slower: (
            f"{sub['workload']} at {_level(sub)} in flight: subinterpreters "
            f"{fmt.seconds(median_s(sub))}, processes "
            f"{fmt.seconds(median_s(procs))} ({fmt.ratio(slower.ratio)})"
        ),
        missing=_not_measured(records, "subinterpreters", "GIL-bound CPU work"),
    )


def subinterpreters_move_data_cheaper_than_processes(records: Records) -> Finding:
    """Per overhead cell (empty tasks, data sent to the worker) both ran at the same
    in-flight count: subinterpreters meaningfully faster than processes."""
    return _pairwise(
        records,
        SUBINTERPRETERS_AND_PROCESSES,
        OVERHEAD_CATEGORIES,
        holds=lambda faster: faster.meaningful and faster.ratio < 1,
        note=lambda sub, procs, _: _per_task(
            _sized(sub, sub["workload"], otherwise=sub["workload"]),
            SUBINTERPRETERS_AND_PROCESSES,
            sub,
            procs,
        ),
        missing=_not_measured(records, "subinterpreters", "overhead workloads"),
    )


def _size(nbytes: int) -> str:
    return f"{nbytes / 2**20:g} MiB" if nbytes >= 2**20 else f"{nbytes / 2**10:g} KiB"


def _cores(r: Cell) -> int:
    return (r.get("env") or {}).get("usable_cores") or r["workers"]


def processes_cost_more_per_task(records: Records) -> Finding:
    """Per message (empty tasks) and per byte (arrays sent to the worker), processes
    against a thread pool at the same in-flight count: IPC shows as a meaningful cost."""
    return _pairwise(
        records,
        PROCESSES_AND_THREADS,
        OVERHEAD_CATEGORIES,
        holds=lambda slower: slower.meaningful and slower.ratio > 1,
        note=lambda procs, threads, _: _per_task(
            _sized(procs, "arrays", otherwise="empty tasks"),
            PROCESSES_AND_THREADS,
            procs,
            threads,
            aside=" (in-process, nothing moves)",
        ),
        missing=("not measured", "needs overhead.noop or overhead.transfer"),
    )


def threads_help_io(records: Records) -> Finding:
    rows = [
        r
        for r in _ok(records, backend="threads", kind="io")
        if _level(r) > 1 and _speedup(r) is not None
    ]
    checks = [baseline_of(r).speedup_ci95[0] > 1.5 for r in rows]
    evidence = "; ".join(
        f"{r['workload']} ({r['tasks']} tasks, {_level(r)} threads): {fmt.ratio(_speedup(r))}"
        for r in rows
    )
    return _verdict(checks), evidence or "no threads cell on I/O with a serial baseline"


def asyncio_suits_high_concurrency_io(records: Records) -> Finding:
    """At 100 or more in flight, asyncio is the fastest model or tied with it."""
    rows = [
        r
        for r in _ok(records)
        if waits_on_peers(r["kind"], r.get("category")) and _level(r) >= HIGH_CONCURRENCY
    ]
    by_work: dict[tuple, Records] = {}
    for r in rows:
        if not r.get("yardstick"):
            by_work.setdefault(_same_work(r), []).append(r)
    checks, notes = [], []
    for work, group in sorted(by_work.items(), key=lambda item: str(item[0])):
        # asyncio by its best idiom here (its own loop or uvloop), as in the verdict.
        ours = [r for r in group if r.get("model", r["backend"]) == "asyncio"]
        others = [r for r in group if r.get("model", r["backend"]) != "asyncio"]
        if not ours or not others:
            continue
        mine = min(ours, key=lambda r: median_s(r))
        best = min(others, key=lambda r: median_s(r))
        behind = ratio_of_medians(samples_of(mine), samples_of(best))
        checks.append(not (behind.meaningful and behind.ratio > 1))
        notes.append(
            f"{work[0]} ({work[1]} tasks), {work[3]} in flight: {mine['backend']} "
            f"{fmt.seconds(median_s(mine))}, best other {best['backend']} "
            f"{fmt.seconds(median_s(best))}"
        )
    if not checks:
        return (
            "not measured",
            f"no asyncio I/O cell at {HIGH_CONCURRENCY}+ in flight beside another model",
        )
    return _verdict(checks), "; ".join(notes)


def asyncio_blocks_on_cpu(records: Records) -> Finding:
    """The loop's worst lag while CPU work runs in coroutines reaches one task's length
    (nothing else can run meanwhile), and is at least twice the lag with `to_thread`."""
    checks, notes = [], []
    threaded = {_same_work(r): r for r in _ok(records, backend="asyncio:to-thread")}
    for r in _ok(records, backend="asyncio"):
        lag = (r.get("backend_info") or {}).get("loop_lag_max_s")
        base = r["baseline"]
        if not r["blocks_event_loop"] or lag is None or base is None:
            continue
        task = base.median_s / r["tasks"]
        other = threaded.get(_same_work(r))
        other_lag = (other.get("backend_info") or {}).get("loop_lag_max_s") if other else None
        stalled = lag >= STALL_SHARE * task
        if other_lag is not None:
            stalled = stalled and lag >= 2 * other_lag
        checks.append(stalled)
        notes.append(
            f"{r['workload']}: the loop waited up to {fmt.seconds(lag)} (one task: "
            f"{fmt.seconds(task)})"
            + (f", {fmt.seconds(other_lag)} with to_thread" if other_lag is not None else "")
        )
    return _verdict(checks), "; ".join(notes) or "no asyncio CPU cell with its loop's lag"


def _memory_claim(records: Records, heavier: str, lighter: str, minimum_level: int) -> Finding:
    checks, notes = [], []
    for a, b in _pairs(records, heavier, lighter):
        mem_a, mem_b = memory_bytes(a), memory_bytes(b)
        if _level(a) < minimum_level or not mem_a or not mem_b:
            continue
        checks.append(mem_a > mem_b * (1 + MEMORY_MARGIN))
        notes.append(
            f"{a['workload']} ({_level(a)} in flight): {heavier} "
            f"{fmt.mebibytes(mem_a)}, {lighter} {fmt.mebibytes(mem_b)}"
        )
    if not checks:
        return "not measured", f"no {heavier} and {lighter} cells doing the same work"
    return _verdict(checks), "; ".join(notes[:4]) + (" …" if len(notes) > 4 else "") + " (PSS)"


def processes_use_more_memory(records: Records) -> Finding:
    return _memory_claim(records, "processes", "threads", 1)


def asyncio_memory_is_low(records: Records) -> Finding:
    return _memory_claim(records, "threads", "asyncio", HIGH_CONCURRENCY)


def tutorial_examples_take_two_seconds(records: Records) -> Finding:
    rows = [
        r for r in _ok(records, workload="io.sleep", tasks=3) if r["params"].get("latency") == 2.0
    ]
    if not rows:
        return "not measured", "no 3 x 2 s io.sleep cell"
    checks = [
        (abs(median_s(r) - 6.0) < 0.3)
        if r["backend"] == "serial"
        else (abs(median_s(r) - 2.0) < 0.3)
        for r in rows
    ]
    evidence = ", ".join(
        f"{r['backend']} {fmt.seconds(median_s(r))}"
        for r in sorted(rows, key=lambda r: median_s(r))
    )
    return _verdict(checks), evidence


@dataclass(frozen=True)
class Claim:
    text: str
    check: Callable[[Records], Finding]


CLAIMS = (
    Claim(
        "Three tasks that each wait 2 s take about 2 s with threads, processes or "
        "asyncio (the tutorial's own examples), against 6 s one after another.",
        tutorial_examples_take_two_seconds,
    ),
    Claim(
        "Threads do not speed up CPU-bound work: the GIL lets one thread run bytecode at a "
        "time (checked on GIL-bound and on GIL-releasing CPU work, stated apart).",
        threads_do_not_speed_up_cpu,
    ),
    Claim("Threading is useful for I/O-bound tasks.", threads_help_io),
    Claim(
        "Multiprocessing gives true parallelism for CPU-bound tasks.",
        processes_give_true_parallelism,
    ),
    Claim(
        "Multiprocessing adds inter-process communication overhead.", processes_cost_more_per_task
    ),
    Claim(
        "Asyncio suits I/O-bound tasks that need high concurrency (here: fastest or tied "
        "at 100 or more in flight).",
        asyncio_suits_high_concurrency_io,
    ),
    Claim(
        "Blocking work inside coroutines stalls asyncio (here: the event loop's worst lag "
        "reaches one task's length, and twice its lag with to_thread).",
        asyncio_blocks_on_cpu,
    ),
    Claim(
        "Multiprocessing has a higher memory footprint than threading (here: 10% more PSS "
        "on the same work).",
        processes_use_more_memory,
    ),
    Claim(
        "Asyncio's memory footprint is relatively low (here: threads use 10% more PSS at "
        "100 or more tasks in flight).",
        asyncio_memory_is_low,
    ),
    Claim(
        "PEP 734: subinterpreters, one GIL each, run GIL-bound Python in parallel as "
        "processes do (here: not meaningfully slower than processes).",
        subinterpreters_match_processes_on_gil_bound_cpu,
    ),
    Claim(
        "PEP 734: tasks and data cost less to hand to another interpreter than to another "
        "process (here: meaningfully faster on empty tasks and on data sent to the task).",
        subinterpreters_move_data_cheaper_than_processes,
    ),
)


def render(cells: Cells, context: Context) -> list[str]:
    """Every claim against the run's cells (reference rows, run for comparison only, left
    out); on a user's function, only the claims its cells tested."""
    lines = claims_table([r for r in cells if not r.get("reference")])
    if not context.target:
        return lines
    kept = [line for line in lines if "| **not measured** |" not in line]
    return kept if len(kept) > 2 else ["None of the claims is about this kind of work."]


def claims_table(records: Records) -> list[str]:
    """One row per claim of `CLAIMS`: the claim, its verdict here and the evidence."""
    lines = ["| claim | here | evidence |", "|---|---|---|"]
    for claim in CLAIMS:
        verdict, evidence = claim.check(records)
        lines.append(f"| {claim.text} | **{verdict}** | {evidence} |")
    return lines
