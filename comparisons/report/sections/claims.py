"""The tutorial's claims (and PEP 734's for subinterpreters) as rules over a run's cells,
and the shared machinery of every claim (`Claim`, the row helpers, per-task costs); the
engines' own claims are in `engine_claims`, and `ledger` is the report's section.

`shared/seed-tutorial.txt`, the tutorial this project grew from, makes testable claims
about threading, multiprocessing and asyncio; PEP 734 and the documentation of the module
it became (`concurrent.interpreters`) make three about subinterpreters.
Each claim below is a rule over the records: it finds the cells that bear on it, and
says *holds*, *does not hold*, *depends* (holds for some of the cells, not others),
*undecided* (some cell's interval straddles the rule's edge, and no other cell
contradicts it; one that does makes it *does not hold*, or *depends* where others
hold) or *not measured* (this run has no cell that bears on it), with the
numbers that decided.
Nothing here is written by hand beyond the claim's wording, its source and its rule.
`CLAIMS` is the declared list; a claim is added by writing its rule and one entry there.

Per-task costs are compared one dispatch per task on every side (`per_task_claim`): a
model is represented by its best row that hands each task over on its own (a
`ProcessPoolExecutor`, not `Pool.map`, for processes; see `Backend.dispatch`), and a
batched row (`Pool.map` chunks, `ray:batched`, `dask:bag`) is stated beside it as its
own figure, never in its place. A run without a model's per-task row says which
built-in suite measures it. A/A twins (`backends.TWINS`) are left out: they are the
A/A control's, not claims' evidence.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from comparisons import formatting as fmt
from comparisons.backends import (
    REGISTRY,
    UnknownBackend,
    backend_class,
    expand_backend_name,
    model_of,
    twin_of,
)
from comparisons.backends.base import BATCHED, PER_TASK
from comparisons.measure.stats import PRACTICAL_THRESHOLD, Ratio, ratio_of_medians
from comparisons.records.cells import (
    Cell,
    baseline_of,
    is_measured,
    kernel_peak_bytes,
    median_s,
    memory_bytes,
    samples_of,
)
from workloads.vocabulary import CPU_CATEGORIES, OVERHEAD_CATEGORIES, Category, waits_on_peers

Records = list[Cell]
Finding = tuple[str, str]  # (verdict, evidence)
SUBINTERPRETERS_AND_PROCESSES = ("subinterpreters", "processes")
PROCESSES_AND_THREADS = ("processes", "threads")

PARALLEL_SHARE = 0.7  # "true parallelism": speedup at least 70% of the worker count
NO_SPEEDUP = 1.1  # a speedup whose interval reaches below this is no speedup
HIGH_CONCURRENCY = 100  # "high concurrency": at least this many tasks in flight
MEMORY_MARGIN = 0.10  # a memory difference under 10% is no difference
# A memory claim counts its pairs: it holds when at least this share show the difference,
# does not hold when at most MEMORY_FAILS_SHARE do, and depends in between.
MEMORY_HOLDS_SHARE = 0.8
MEMORY_FAILS_SHARE = 0.2
# Where the built-in suites are, to say which one measures what a run lacks.
SUITES_DIR = Path(__file__).resolve().parents[2] / "suites"
# The loop is "stalled" when its worst lag reaches this share of one task's CPU time;
# the stall comes from not awaiting when the same work awaiting between chunks
# (COOPERATIVE) keeps the worst lag at least AWAIT_FACTOR times smaller.
STALL_SHARE = 0.8
AWAIT_FACTOR = 4
COOPERATIVE = "asyncio:cooperative"


def ok_rows(records: Records, **match: Any) -> Records:
    return [r for r in records if is_measured(r) and all(r.get(k) == v for k, v in match.items())]


def in_flight_of(r: Cell) -> int:
    return r.get("in_flight") or min(r["workers"], r["tasks"])


def same_work(r: Cell) -> tuple:
    """Rows comparable with each other: same work, same in-flight count."""
    return (r["workload"], r["tasks"], tuple(sorted(r["params"].items())), in_flight_of(r))


def _pairs(records: Records, first: str, second: str) -> list[tuple[Cell, Cell]]:
    """(first, second) rows of the two backends doing the same work at the same level."""
    by_work: dict[tuple[Any, ...], dict[str, Cell]] = {}
    for r in ok_rows(records):
        by_work.setdefault(same_work(r), {})[r["backend"]] = r
    return [
        (rows[first], rows[second])
        for _, rows in sorted(by_work.items(), key=lambda item: str(item[0]))
        if first in rows and second in rows
    ]


def _speedup(r: Cell) -> float | None:
    """The row's speedup over serial; None without a baseline, or with one that a figure
    no machine can reach exposed as unreliable: a claim never rests on it."""
    base = r["baseline"]
    return base.speedup if base and not base.unreliable else None


def verdict_of(results: list[bool], undecided: int = 0) -> str:
    """A claim's verdict from its rows: `results` the rows that decided (True: holds
    there), `undecided` the rows whose interval straddled the rule's edge. Rows that
    disagree make it *depends*. A row decided against the claim contradicts it: with no
    row decided for it, the claim *does not hold* as stated (the undecided rows could at
    most make it *depends*, which refutes it too). Rows decided for it beside rows the
    run could not decide make it *undecided*: those rows might yet contradict it."""
    if results and any(results) and not all(results):
        return "depends"
    if results and not any(results):
        return "does not hold"
    if undecided:
        return "undecided"
    if not results:
        return "not measured"
    return "holds" if all(results) else "does not hold"


def threads_speedup_bound(r: Cell) -> tuple[float, float, str] | None:
    """The thread pool's speedup over serial, as (interval low, point, how): from the
    serial baseline, or, where a figure exposed that baseline as unreliable, from the
    machine's ceiling: its share of the ceiling times the cores it could use, an upper
    bound (the ceiling is at best a perfect speedup), so a row found below `NO_SPEEDUP`
    by it is below by any measure. None with neither yardstick."""
    base = r["baseline"]
    if base is None:
        return None
    if not base.unreliable:
        return base.speedup_ci95[0], base.speedup, "over serial"
    if base.ceiling_efficiency is None or base.ceiling_unreliable:
        return None
    cores = min(r["workers"], _cores(r))
    low = (base.ceiling_efficiency_ci95 or (base.ceiling_efficiency,) * 2)[0]
    return cores * low, cores * base.ceiling_efficiency, "at most, by the ceiling"


def threads_do_not_speed_up_cpu(records: Records) -> Finding:
    """Per CPU row of the thread pool: no speedup (the interval reaches below 1.1).
    GIL-bound and GIL-releasing work are stated apart: the GIL explains only the first.
    A row whose serial baseline is unreliable is judged by the ceiling instead
    (`threads_speedup_bound`), and named as unjudged when that is unreliable too."""
    checks, notes, unjudged = [], [], []
    for category in CPU_CATEGORIES:
        judged = []
        for r in ok_rows(records, backend="threads", category=category):
            if r["workers"] <= 1 or r["baseline"] is None:
                continue
            bound = threads_speedup_bound(r)
            if bound is None:
                unjudged.append(f"{r['workload']} (baseline and ceiling unreliable)")
                continue
            low, point, how = bound
            checks.append(low <= NO_SPEEDUP)
            suffix = "" if how == "over serial" else f" {how}"
            judged.append(f"{r['workload']} with {r['workers']} threads {fmt.ratio(point)}{suffix}")
        if judged:
            notes.append(f"{category}: " + ", ".join(judged))
    if unjudged:
        notes.append("not judged: " + ", ".join(unjudged))
    return verdict_of(checks), "; ".join(notes) or "no threads cell on CPU work with >1 worker"


def processes_give_true_parallelism(records: Records) -> Finding:
    rows = [
        (r, speedup)
        for r in ok_rows(records, backend="processes")
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
    return verdict_of(checks), evidence or "no processes cell on CPU work with >1 worker"


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
    return (verdict_of(checks), "; ".join(notes)) if checks else missing


def _work_label(r: Cell) -> str:
    """The workload, with what each task carries: 'overhead.noop (empty tasks)',
    'overhead.transfer (16 MiB a task)'."""
    if r["measures_transfer"] and r["bytes_per_task"]:
        return f"{r['workload']} ({_size(r['bytes_per_task'])} a task)"
    if r.get("category") == Category.TINY_TASKS:
        return f"{r['workload']} (empty tasks)"
    return r["workload"]


def subinterpreters_match_processes_on_gil_bound_cpu(records: Records) -> Finding:
    """Per GIL-bound CPU cell both ran at the same in-flight count: subinterpreters are
    not meaningfully slower than processes (a tie or better)."""
    return _pairwise(
        records,
        SUBINTERPRETERS_AND_PROCESSES,
        (Category.GIL_BOUND_CPU,),
        holds=lambda slower: not (slower.meaningful and slower.ratio > 1),
        note=lambda sub, procs, slower: (
            f"{sub['workload']} at {in_flight_of(sub)} in flight: subinterpreters "
            f"{fmt.seconds(median_s(sub))}, processes "
            f"{fmt.seconds(median_s(procs))} ({fmt.ratio(slower.ratio)})"
        ),
        missing=_not_measured(records, "subinterpreters", "GIL-bound CPU work"),
    )


def subinterpreters_move_data_cheaper_than_processes(records: Records) -> Finding:
    """Per overhead cell (empty tasks, data sent to the worker) both ran at the same
    in-flight count, one dispatch per task on each side: subinterpreters meaningfully
    faster than processes' per-task row (`processes:executor`, not `Pool.map`'s chunks)."""
    return per_task_claim(
        records,
        SUBINTERPRETERS_AND_PROCESSES,
        OVERHEAD_CATEGORIES,
        holds=lambda faster: faster.meaningful and faster.ratio < 1,
        what=_work_label,
        missing=_not_measured(records, "subinterpreters", "overhead workloads"),
    )


def subinterpreters_start_cheaper_than_processes(records: Records) -> Finding:
    """Per row both ran (same work, same in-flight count): a pool of subinterpreters'
    set-up (creating its interpreters and their threads) meaningfully below a process
    pool's (`processes`, this platform's default start method) holds; above it by more
    than the tie band does not; within the band neither wins, and the claim of in-process
    efficiency does not hold there either. Set-up is one value per fresh process: the
    medians are compared, the start method named."""
    checks, notes = [], []
    for sub, procs in _pairs(records, *SUBINTERPRETERS_AND_PROCESSES):
        if not sub["setup_s"] or not procs["setup_s"]:
            continue
        ratio = sub["setup_s"] / procs["setup_s"]
        checks.append(ratio < 1 / (1 + PRACTICAL_THRESHOLD))
        method = (procs.get("backend_info") or {}).get("start_method", "default")
        notes.append(
            f"{sub['workload']} at {in_flight_of(sub)}: subinterpreters "
            f"{fmt.seconds(sub['setup_s'])}, processes ({method}) "
            f"{fmt.seconds(procs['setup_s'])} (×{ratio:.2f})"
        )
    if not checks:
        return _not_measured(records, "subinterpreters", "any work (their set-up)")
    shown = notes[:3] + ([f"… {len(notes) - 3} more"] if len(notes) > 3 else [])
    return verdict_of(checks), "; ".join(shown)


def _size(nbytes: int) -> str:
    return f"{nbytes / 2**20:g} MiB" if nbytes >= 2**20 else f"{nbytes / 2**10:g} KiB"


def _cores(r: Cell) -> int:
    return (r.get("env") or {}).get("usable_cores") or r["workers"]


def processes_cost_more_per_task(records: Records) -> Finding:
    """Per message (empty tasks) and per byte (arrays sent to the worker), processes
    against a thread pool at the same in-flight count, one dispatch per task on each
    side: IPC shows as a meaningful cost. Pool.map's batches are stated apart."""
    return per_task_claim(
        records,
        PROCESSES_AND_THREADS,
        OVERHEAD_CATEGORIES,
        holds=lambda slower: slower.meaningful and slower.ratio > 1,
        what=_work_label,
        missing=("not measured", "needs overhead.noop or overhead.transfer"),
        aside="; threads in-process, nothing moves",
    )


# --- per-task costs, one dispatch per task -------------------------------------------


def batch_size(r: Cell) -> int | None:
    """Tasks per message of a row, as its record states it (`Pool.map`'s `chunksize`,
    `ray:batched`'s `batch_size`, `dask:bag`'s `partitions`); None when not stated."""
    info = r.get("backend_info") or {}
    for key in ("chunksize", "batch_size"):
        value = info.get(key)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    partitions = info.get("partitions")
    if isinstance(partitions, int) and partitions > 0:
        return math.ceil(r["tasks"] / partitions)
    return None


def dispatch_of(r: Cell) -> str | None:
    """How a row's tasks reached its workers: its backend's declared `dispatch`, except
    that a batched idiom whose record shows batches of one task (Pool.map's own rule
    gives chunks of 1 for 8 tasks on 2 workers) dispatched per task in fact. None for a
    backend no longer registered."""
    if r["backend"] not in REGISTRY:
        return None
    declared = backend_class(r["backend"]).dispatch
    if declared == BATCHED and batch_size(r) == 1:
        return PER_TASK
    return declared


def _model(r: Cell) -> str:
    return r.get("model") or model_of(r["backend"])


def _one_per_task_pool(r: Cell) -> bool:
    """A row that hands each task over on its own to a pool or loop of `workers` (not a
    thread or process started per task, whose cost is the start, not the message)."""
    if dispatch_of(r) != PER_TASK:
        return False
    return not backend_class(r["backend"]).one_worker_per_task


def per_task_backends(model: str) -> list[str]:
    """The registered idioms of `model` that hand each task over on its own to a pool:
    what a run needs to state the model's cost of one dispatch."""
    names = [n for n in REGISTRY if model_of(n) == model and twin_of(n) is None]
    return [
        n
        for n in names
        if backend_class(n).dispatch == PER_TASK and not backend_class(n).one_worker_per_task
    ]


def _suite_runs(entry: Any, wanted: Collection[str]) -> bool:
    """True when a suite's `backends` entry (a name, "all", "variants", "model:*", or a
    list of them) names one of `wanted`."""
    entries = entry if isinstance(entry, list) else [entry]
    for name in entries:
        try:
            if set(expand_backend_name(str(name))) & set(wanted):
                return True
        except UnknownBackend:
            continue
    return False


def suites_measuring(backends: Collection[str], workload: str) -> list[str]:
    """The built-in suites with a cell of `workload` on one of `backends`."""
    found = []
    for path in sorted(SUITES_DIR.glob("*.toml")):
        try:
            tables = tomllib.loads(path.read_text()).get("cells") or []
        except (OSError, tomllib.TOMLDecodeError):
            continue
        if any(
            t.get("workload") == workload and _suite_runs(t.get("backends", "all"), backends)
            for t in tables
            if isinstance(t, dict)
        ):
            found.append(path.stem)
    return found


def _where_measured(model: str, workload: str) -> str:
    """Which suite measures `model` one dispatch per task on `workload`."""
    names = per_task_backends(model)
    if not names:
        return f"{model} has no idiom that sends one task at a time"
    idioms = " or ".join(names)
    suites = suites_measuring(names, workload)
    if not suites:
        return f"no built-in suite runs {idioms} on {workload}"
    return f"{workload} on {idioms} is in {', '.join(f'SUITE={s}' for s in suites)}"


def per_task_s(r: Cell) -> float:
    return median_s(r) / r["tasks"]


def _per_task_name(r: Cell) -> str:
    """A per-task row's backend, marked when a batching idiom sent one task a message
    here: 'processes (chunks of 1)'."""
    if backend_class(r["backend"]).dispatch == BATCHED:
        return f"{r['backend']} ({batching(r)})"
    return r["backend"]


def batching(r: Cell) -> str:
    """How a batched row batched, as its record says: 'chunks of 38', 'batch_size auto'."""
    size = batch_size(r)
    if size is not None:
        return f"chunks of {size}"
    stated = (r.get("backend_info") or {}).get("batch_size")
    return f"batch_size {stated}" if stated is not None else "batched"


def _batched_figure(r: Cell) -> str:
    """A batched row as its own figure: 'processes 2.50 µs (chunks of 38)'."""
    return f"{r['backend']} {fmt.seconds(per_task_s(r))} ({batching(r)})"


def per_task_claim(
    records: Records,
    pair: tuple[str, str],
    categories: Collection[str],
    holds: Callable[[Ratio], bool],
    what: Callable[[Cell], str],
    missing: Finding,
    aside: str = "",
) -> Finding:
    """A claim about the per-task cost of two models, judged per piece of work (same
    workload, tasks, parameters and in-flight count) in `categories` on each model's
    best row that dispatches one task at a time: `holds` reads the ratio of the first's
    median to the second's. Batched rows of either model are quoted beside, labelled;
    where a model ran only batched, the work says so and which suite measures it, and
    decides nothing. `missing` when neither model has a row to speak of; `aside` ends
    each measured comparison."""
    by_work: dict[tuple[Any, ...], Records] = {}
    for r in ok_rows(records):
        if r.get("category") in categories and _model(r) in pair:
            by_work.setdefault(same_work(r), []).append(r)
    checks, notes = [], []
    for _, rows in sorted(by_work.items(), key=lambda item: str(item[0])):
        mine = {m: [r for r in rows if _model(r) == m] for m in pair}
        if not all(mine.values()):
            continue  # a model did not run this work at all: nothing to say about it
        best = {
            m: min((r for r in mine[m] if _one_per_task_pool(r)), key=median_s, default=None)
            for m in pair
        }
        batched = sorted(
            (r for r in rows if dispatch_of(r) == BATCHED), key=lambda r: str(r["backend"])
        )
        head = f"{what(mine[pair[0]][0])} at {in_flight_of(rows[0])} in flight"
        extra = f"; batched: {', '.join(map(_batched_figure, batched))}" if batched else ""
        first, second = best[pair[0]], best[pair[1]]
        if first is None or second is None:
            lacking = [m for m in pair if best[m] is None]
            notes.append(
                f"{head}: not measured one task at a time for {' and '.join(lacking)} "
                f"({'; '.join(_where_measured(m, rows[0]['workload']) for m in lacking)})" + extra
            )
            continue
        result = ratio_of_medians(samples_of(first), samples_of(second))
        checks.append(holds(result))
        notes.append(
            f"{head}, one dispatch per task: {_per_task_name(first)} "
            f"{fmt.seconds(per_task_s(first))} vs {_per_task_name(second)} "
            f"{fmt.seconds(per_task_s(second))} per task ({fmt.ratio(result.ratio)}{aside})" + extra
        )
    if not notes:
        return missing
    return (verdict_of(checks) if checks else "not measured"), "; ".join(notes)


def threads_help_io(records: Records) -> Finding:
    rows = [
        r
        for r in ok_rows(records, backend="threads", kind="io")
        if in_flight_of(r) > 1 and _speedup(r) is not None
    ]
    checks = [baseline_of(r).speedup_ci95[0] > 1.5 for r in rows]
    evidence = "; ".join(
        f"{r['workload']} ({r['tasks']} tasks, {in_flight_of(r)} threads): {fmt.ratio(_speedup(r))}"
        for r in rows
    )
    return verdict_of(checks), evidence or "no threads cell on I/O with a serial baseline"


def asyncio_suits_high_concurrency_io(records: Records) -> Finding:
    """At 100 or more in flight, asyncio is the fastest model or tied with it."""
    rows = [
        r
        for r in ok_rows(records)
        if waits_on_peers(r["kind"], r.get("category")) and in_flight_of(r) >= HIGH_CONCURRENCY
    ]
    by_work: dict[tuple, Records] = {}
    for r in rows:
        if not r.get("yardstick"):
            by_work.setdefault(same_work(r), []).append(r)
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
    return verdict_of(checks), "; ".join(notes)


def _loop_lag(r: Cell | None) -> float | None:
    """The event loop's worst lag over a row's runs, as its record states it."""
    return (r.get("backend_info") or {}).get("loop_lag_max_s") if r else None


def asyncio_blocks_on_cpu(records: Records) -> Finding:
    """Per piece of CPU work that `asyncio` (coroutines that never await) and
    `asyncio:cooperative` (the same work awaiting `asyncio.sleep(0)` between chunks) both
    ran at the same in-flight count: the loop's worst lag without awaits reaches one
    task's CPU time (`STALL_SHARE` of it), and the awaiting form's is at least
    `AWAIT_FACTOR` times smaller, so the stall comes from not awaiting, not from the work
    or the machine. Fails where the non-awaiting lag stays small, or where the awaiting
    form stalls the loop nearly as long. The lag with `to_thread` is quoted beside,
    deciding nothing."""
    checks, notes = [], []
    cooperative = {same_work(r): r for r in ok_rows(records, backend=COOPERATIVE)}
    threaded = {same_work(r): r for r in ok_rows(records, backend="asyncio:to-thread")}
    for r in ok_rows(records, backend="asyncio"):
        lag, base = _loop_lag(r), r["baseline"]
        awaiting = _loop_lag(cooperative.get(same_work(r)))
        if not r["blocks_event_loop"] or lag is None or base is None or awaiting is None:
            continue
        task = base.median_s / r["tasks"]
        checks.append(lag >= STALL_SHARE * task and lag >= AWAIT_FACTOR * awaiting)
        smaller = f" ({_ratio_range([lag / awaiting])} smaller)" if awaiting > 0 else ""
        other = _loop_lag(threaded.get(same_work(r)))
        notes.append(
            f"{r['workload']} at {in_flight_of(r)} in flight: the loop waited up to "
            f"{fmt.seconds(lag)} with coroutines that never await (one task: "
            f"{fmt.seconds(task)}); {fmt.seconds(awaiting)} when they await every chunk"
            + smaller
            + (f"; {fmt.seconds(other)} with to_thread" if other is not None else "")
        )
    if not checks:
        suites = suites_measuring([COOPERATIVE], "cpu.primes")
        where = (
            f"{' and '.join(f'SUITE={s}' for s in suites)} run{'s' if len(suites) == 1 else ''}"
            if suites
            else "no built-in suite runs"
        )
        return (
            "not measured",
            f"no asyncio and {COOPERATIVE} rows with the loop's lag on the same CPU work "
            f"({where} both on cpu.primes)",
        )
    return verdict_of(checks), "; ".join(notes)


def _ratio_range(ratios: list[float]) -> str:
    """'1.2-20x' (two significant figures, whole numbers from 10)."""

    def short(value: float) -> str:
        return f"{value:.0f}" if value >= 10 else f"{value:.2g}"

    low, high = min(ratios), max(ratios)
    return f"{short(low)}x" if short(low) == short(high) else f"{short(low)}-{short(high)}x"


def pair_memory(a: Cell, b: Cell) -> tuple[int | None, int | None, str]:
    """Both rows' peak memory by one measure: the kernel's peak counter where both have
    it (no spike between samples escapes it), else the sampled peak PSS."""
    kernel_a, kernel_b = kernel_peak_bytes(a), kernel_peak_bytes(b)
    if kernel_a and kernel_b:
        return kernel_a, kernel_b, "kernel peak"
    return memory_bytes(a), memory_bytes(b), "PSS"


def _memory_claim(records: Records, heavier: str, lighter: str, minimum_level: int) -> Finding:
    """A count over the pairs of rows doing the same work at the same in-flight count
    (at least `minimum_level`): `heavier`'s peak memory over `MEMORY_MARGIN` above
    `lighter`'s, both by the kernel's peak counter where both have it, else by sampled
    PSS (`pair_memory`). Holds when at least `MEMORY_HOLDS_SHARE` of the pairs show it,
    does not hold when at most `MEMORY_FAILS_SHARE` do, depends in between; the evidence
    gives the count, the range of ratios over every pair, the measure of each pair and
    the pairs that did not show it."""
    ratios, exceptions, measures = [], [], []
    for a, b in _pairs(records, heavier, lighter):
        mem_a, mem_b, measure = pair_memory(a, b)
        if in_flight_of(a) < minimum_level or not mem_a or not mem_b:
            continue
        ratios.append(mem_a / mem_b)
        measures.append(measure)
        if mem_a <= mem_b * (1 + MEMORY_MARGIN):
            exceptions.append(
                f"{a['workload']} ({in_flight_of(a)} in flight): {heavier} "
                f"{fmt.mebibytes(mem_a)}, {lighter} {fmt.mebibytes(mem_b)}"
            )
    if not ratios:
        return "not measured", f"no {heavier} and {lighter} cells doing the same work"
    above = len(ratios) - len(exceptions)
    share = above / len(ratios)
    if share >= MEMORY_HOLDS_SHARE:
        verdict = "holds"
    elif share <= MEMORY_FAILS_SHARE:
        verdict = "does not hold"
    else:
        verdict = "depends"
    by = ", ".join(
        f"{name} on {measures.count(name)}" if len(set(measures)) > 1 else name
        for name in sorted(set(measures))
    )
    evidence = (
        f"{heavier} over {fmt.percent(MEMORY_MARGIN)} above {lighter} on {above} of "
        f"{len(ratios)} pairs ({heavier} / {lighter}: {_ratio_range(ratios)} over all "
        f"{len(ratios)}; {by})"
    )
    if exceptions:
        evidence += "; not on " + "; ".join(exceptions[:3])
        evidence += " …" if len(exceptions) > 3 else ""
    return verdict, evidence


def processes_use_more_memory(records: Records) -> Finding:
    return _memory_claim(records, "processes", "threads", 1)


def asyncio_memory_is_low(records: Records) -> Finding:
    return _memory_claim(records, "threads", "asyncio", HIGH_CONCURRENCY)


def tutorial_examples_take_two_seconds(records: Records) -> Finding:
    rows = [
        r
        for r in ok_rows(records, workload="io.sleep", tasks=3)
        if r["params"].get("latency") == 2.0
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
    return verdict_of(checks), evidence


TUTORIAL = "the tutorial (`shared/seed-tutorial.txt`)"
PEP_734 = "[PEP 734](https://peps.python.org/pep-0734/)"
INTERPRETERS_DOCS = (
    "[concurrent.interpreters docs](https://docs.python.org/3/library/"
    "concurrent.interpreters.html#concurrency-and-parallelism) (PEP 734)"
)


@dataclass(frozen=True)
class Claim:
    """A published claim: its words (`text`), where it is published (`source`, a document
    or an issue), how this run checks it (`rule`, a condition the run's cells could fail)
    and the check itself (`check`: the verdict and the numbers that decided it)."""

    text: str
    source: str
    rule: str
    check: Callable[[Records], Finding]


CLAIMS = (
    Claim(
        "Three tasks that each wait 2 s take about 2 s with threads, processes or asyncio "
        "(the tutorial's own examples), against 6 s one after another.",
        TUTORIAL,
        "each model's 3 x 2 s cell within 0.3 s of 2 s, serial within 0.3 s of 6 s",
        tutorial_examples_take_two_seconds,
    ),
    Claim(
        "Threads do not speed up CPU-bound work: the GIL lets one thread run bytecode at a time.",
        TUTORIAL,
        "the thread pool's speedup over serial reaches below 1.1x on every CPU row, "
        "GIL-bound and GIL-releasing work stated apart (by the ceiling where the serial "
        "baseline is unreliable)",
        threads_do_not_speed_up_cpu,
    ),
    Claim(
        "Threading is useful for I/O-bound tasks.",
        TUTORIAL,
        "the thread pool's speedup over serial above 1.5x (its whole interval) on every "
        "I/O row with more than one task in flight",
        threads_help_io,
    ),
    Claim(
        "Multiprocessing gives true parallelism for CPU-bound tasks.",
        TUTORIAL,
        f"the process pool's speedup at least {PARALLEL_SHARE:.0%} of its workers (or "
        "cores) on every CPU row",
        processes_give_true_parallelism,
    ),
    Claim(
        "Multiprocessing adds inter-process communication overhead.",
        TUTORIAL,
        "per task, one dispatch per task on each side: a ProcessPoolExecutor meaningfully "
        "slower than a thread pool on empty tasks and on data sent; Pool.map's batches "
        "stated apart",
        processes_cost_more_per_task,
    ),
    Claim(
        "Asyncio suits I/O-bound tasks that need high concurrency.",
        TUTORIAL,
        f"asyncio (its own loop or uvloop) not meaningfully slower than the fastest other "
        f"model on every row of waiting work at {HIGH_CONCURRENCY} or more in flight",
        asyncio_suits_high_concurrency_io,
    ),
    Claim(
        "Blocking work inside coroutines stalls asyncio.",
        TUTORIAL,
        "with CPU work in coroutines that never await, the event loop's worst lag reaches "
        f"one task's CPU time, and it is at least {AWAIT_FACTOR} times what the same work "
        "gives when it awaits asyncio.sleep(0) between chunks; the lag with to_thread is "
        "quoted beside",
        asyncio_blocks_on_cpu,
    ),
    Claim(
        "Multiprocessing has a higher memory footprint than threading.",
        TUTORIAL,
        "over 10% more peak memory on the same work, by the kernel's peak counter where "
        "the run read one, else peak PSS; holds when at least 80% of the pairs show it, "
        "does not hold when at most 20% do",
        processes_use_more_memory,
    ),
    Claim(
        "Asyncio's memory footprint is relatively low.",
        TUTORIAL,
        f"threads use over 10% more peak memory at {HIGH_CONCURRENCY} or more tasks in "
        "flight, by the kernel's peak counter where the run read one, else peak PSS; "
        "holds when at least 80% of the pairs show it, does not hold when at most 20% do",
        asyncio_memory_is_low,
    ),
    Claim(
        "Subinterpreters, one GIL each, run GIL-bound Python in parallel as processes do.",
        PEP_734,
        "subinterpreters not meaningfully slower than processes on every GIL-bound CPU row "
        "both ran (Python 3.13+)",
        subinterpreters_match_processes_on_gil_bound_cpu,
    ),
    Claim(
        "Tasks and data cost less to hand to another interpreter than to another process.",
        PEP_734,
        "subinterpreters meaningfully faster on empty tasks and on data sent to the task, "
        "one dispatch per task on each side: against a ProcessPoolExecutor, not Pool.map's "
        "batches",
        subinterpreters_move_data_cheaper_than_processes,
    ),
    Claim(
        "Interpreters are isolated like processes but still enjoy in-process efficiency, "
        "like threads.",
        INTERPRETERS_DOCS,
        "a pool of subinterpreters sets up (creates its interpreters and threads) more "
        f"than {PRACTICAL_THRESHOLD:.0%} faster than a process pool of the same workers, "
        "on every row both ran (this platform's default start method; Python 3.13+)",
        subinterpreters_start_cheaper_than_processes,
    ),
)
