"""The engines' own published claims, each with its source and a rule that could fail.

People who choose a model meet these beside the tutorial's: uvloop's README, Dask's and
Ray's documentation, Ray's blog, the standard library's documentation. Each `Claim` here
(`comparisons.report.sections.claims.Claim`) names its source, states the rule this
run's cells are held to, and decides *holds*, *does not hold*, *depends*, *undecided*
or *not measured* from the records alone; a claim whose rows the run lacks names the built-in
suite that measures them. Where this project's work differs from the claim's own (uvloop's
figure is for an echo server, io.http measures clients), the rule says so.

Per-task costs come from `overhead.noop`: a batch of empty tasks at the run's in-flight
count, one dispatch per task unless the row batches; the cost per task is the batch's
median time over its tasks, a throughput, not one task's latency.
"""

from __future__ import annotations

import math
from typing import Any

from comparisons import formatting as fmt
from comparisons.measure.stats import PRACTICAL_THRESHOLD, ratio_of_medians
from comparisons.records.cells import Cell, median_s, samples_of
from comparisons.records.ranking import work_key
from comparisons.report.sections.claims import (
    Claim,
    Finding,
    Records,
    in_flight_of,
    ok_rows,
    per_task_s,
    same_work,
    suites_measuring,
    verdict_of,
)
from workloads.vocabulary import waits_on_peers

NOOP = "overhead.noop"
SHARED = "cpu.shared"
# "About" a published figure: within this factor of it, either way.
ABOUT = 2.0
UVLOOP_FACTOR = 2.0  # the low end of uvloop's "2-4x"
RAY_SHARED_FACTOR = 10.0  # Ray's blog: "10x faster"
CHUNKSIZE_FACTOR = 2.0  # "significantly": batches at least twice as cheap per task
SPAWN_FACTOR = 2.0  # "rather slow": spawn's set-up at least twice fork's
# Ray's docs: tasks under about 10 ms are "unlikely" to see speedups. Held here to the
# speedup its cost model predicts for tasks of half that (`ray_speedup_at`): under this,
# no speedup worth the name.
RAY_SMALL_TASK_S = 0.010
RAY_SPEEDUP_FLOOR = 1.2


def _missing(backends: list[str], workload: str, what: str) -> Finding:
    """'not measured', naming the built-in suites that run `backends` on `workload`."""
    suites = suites_measuring(backends, workload)
    where = ", ".join(f"SUITE={s}" for s in suites) if suites else "no built-in suite"
    return "not measured", f"no {what} in this run ({where} measures it)"


def _about(value: float, published: float) -> bool:
    return published / ABOUT <= value <= published * ABOUT


def _noop_rows(records: Records, backend: str) -> Records:
    return ok_rows(records, workload=NOOP, backend=backend)


# --- uvloop --------------------------------------------------------------------------


def loop_time(r: Cell) -> list[list[float]] | None:
    """A row's time above the waits alone (`ideal_s`: what the sleeps or the server's
    delay take however fast the client is), per fresh process: the event loop's own
    share. None where the row states no such floor or reaches it."""
    ideal = r.get("ideal_s")
    if ideal is None:
        return None
    runs = [[v - ideal for v in run] for run in r["runs_s"]]
    return runs if all(v > 0 for run in runs for v in run) else None


def uvloop_is_two_to_four_times_faster(records: Records) -> Finding:
    """Per row of waiting work both ran at the same in-flight count: asyncio's time above
    the waits alone over uvloop's (`loop_time`; the waits take the same with any loop)
    at least 2x, the whole interval, holds for that row; an interval wholly below 2x
    does not; one straddling 2x is neither and is named."""
    uvloop = {same_work(r): r for r in ok_rows(records, backend="asyncio:uvloop")}
    checks, notes, undecided = [], [], 0
    for r in ok_rows(records, backend="asyncio"):
        other = uvloop.get(same_work(r))
        if other is None or not waits_on_peers(r["kind"], r.get("category")):
            continue
        mine, theirs = loop_time(r), loop_time(other)
        if mine is None or theirs is None:
            continue
        faster = ratio_of_medians(mine, theirs)
        head = f"{r['workload']} at {in_flight_of(r)} in flight: ×{faster.ratio:.2f}"
        interval = f" ({faster.ci95_low:.2f}–{faster.ci95_high:.2f})"
        if faster.ci95_low >= UVLOOP_FACTOR:
            checks.append(True)
        elif faster.ci95_high < UVLOOP_FACTOR:
            checks.append(False)
        else:
            head += " (undecided against 2x)"
            undecided += 1
        notes.append(head + interval)
    if not notes:
        return _missing(["asyncio:uvloop"], "io.http", "asyncio and uvloop rows on the same work")
    verdict = verdict_of(checks, undecided)
    held = sum(checks)
    tally = (
        f"at least 2x on {held}, wholly below on {len(checks) - held}, undecided on "
        f"{undecided} of {len(notes)} rows; "
    )
    return verdict, tally + "asyncio / uvloop, time above the waits alone: " + "; ".join(notes)


# --- Dask ----------------------------------------------------------------------------


def _per_task_about(records: Records, backend: str, published_s: float, what: str) -> Finding:
    """A backend's cost per empty task (`overhead.noop`) within `ABOUT` of a published
    figure holds; outside it does not, with the figure and which side."""
    rows = _noop_rows(records, backend)
    if not rows:
        return _missing([backend], NOOP, f"{backend} row of empty tasks")
    checks, notes = [], []
    for r in rows:
        cost = per_task_s(r)
        checks.append(_about(cost, published_s))
        side = "" if checks[-1] else (" (less)" if cost < published_s else " (more)")
        notes.append(
            f"{what} {fmt.seconds(cost)} per empty task{side}, {r['tasks']} tasks at "
            f"{in_flight_of(r)} in flight"
        )
    return verdict_of(checks), "; ".join(notes)


def dask_distributed_costs_about_a_millisecond_per_task(records: Records) -> Finding:
    return _per_task_about(records, "dask", 1e-3, "dask (distributed)")


def dask_threaded_scheduler_costs_about_200_us_per_task(records: Records) -> Finding:
    return _per_task_about(records, "dask:threaded", 200e-6, "dask:threaded")


def _idiom_pair(records: Records, backend: str) -> tuple[Cell, Cell] | None:
    """(idiom row, naive row) of `backend` on the shared input, same size and in flight."""
    forms: dict[tuple, dict[bool, Cell]] = {}
    for r in ok_rows(records, workload=SHARED, backend=backend):
        shared: dict[str, Any] = dict(r.get("shared_input") or {})
        forms.setdefault((work_key(r), in_flight_of(r)), {})[bool(shared.get("per_task_form"))] = r
    for pair in forms.values():
        if False in pair and True in pair:
            return pair[False], pair[True]
    return None


def _naive_is_slower(records: Records, backend: str, idiom: str) -> Finding:
    """`backend`'s naive form (the input passed with every task) meaningfully slower per
    run than its idiom (`idiom`) holds; a tie or better does not. The idiom's one-off
    delivery (`share_s`) is stated beside, with the runs from which it pays."""
    pair = _idiom_pair(records, backend)
    if pair is None:
        return _missing([backend], SHARED, f"{backend} rows of both forms on a shared input")
    good, naive = pair
    slower = ratio_of_medians(samples_of(naive), samples_of(good))
    holds = slower.meaningful and slower.ratio > 1
    mib = good["params"].get("megabytes")
    once = good.get("share_s")
    saved = median_s(naive) - median_s(good)
    delivery = ""
    if once:
        delivery = f"; delivering it once took {fmt.seconds(once)}"
        if saved > 0:
            delivery += f", repaid from run {max(1, math.ceil(once / saved))} of a job"
    return verdict_of([holds]), (
        f"{SHARED} ({mib} MiB, {good['tasks']} tasks at {in_flight_of(good)} in flight), "
        f"per run: passed with every task {fmt.seconds(median_s(naive))}, {idiom} "
        f"{fmt.seconds(median_s(good))} (×{slower.ratio:.1f}, "
        f"{slower.ci95_low:.1f}–{slower.ci95_high:.1f}){delivery}"
    )


def dask_scatter_beats_passing_large_data(records: Records) -> Finding:
    return _naive_is_slower(records, "dask", "scattered once")


# --- Ray -----------------------------------------------------------------------------


def ray_speedup_at(r: Cell, task_s: float) -> float:
    """Ray's speedup on tasks of `task_s` here, by a cost model read off its empty
    tasks: each task costs `c` (its cost per empty task at `N` in flight) beside its
    work, shared by the `N` workers, so the speedup is N·d / (d + N·c)."""
    workers, cost = in_flight_of(r), per_task_s(r)
    return workers * task_s / (task_s + workers * cost)


def ray_tasks_need_ten_milliseconds(records: Records) -> Finding:
    """Holds when, by that cost model (`ray_speedup_at`), tasks of half the docs' bound
    (5 ms) would speed up by less than `RAY_SPEEDUP_FLOOR` here; does not hold when they
    would speed up more (tasks well under 10 ms already pay)."""
    rows = _noop_rows(records, "ray")
    if not rows:
        return _missing(["ray"], NOOP, "ray row of empty tasks")
    checks, notes = [], []
    half = RAY_SMALL_TASK_S / 2
    for r in rows:
        speedup = ray_speedup_at(r, half)
        checks.append(speedup < RAY_SPEEDUP_FLOOR)
        notes.append(
            f"ray {fmt.seconds(per_task_s(r))} per empty task at {in_flight_of(r)} in flight: "
            f"tasks of {fmt.seconds(half)} would speed up ×{speedup:.2f}, of 1 ms "
            f"×{ray_speedup_at(r, 1e-3):.2f} (N·d / (d + N·c))"
        )
    return verdict_of(checks), "; ".join(notes)


def ray_put_beats_passing_large_data(records: Records) -> Finding:
    return _naive_is_slower(records, "ray", "ray.put once")


def ray_is_ten_times_faster_on_shared_data(records: Records) -> Finding:
    """The blog's comparison in kind: a multiprocessing pool that pickles the large
    input into every task against Ray with `ray.put` once. At least 10x (the whole
    interval) holds, wholly under 10x does not; processes' own idiom is quoted beside."""
    ray = _idiom_pair(records, "ray")
    processes = _idiom_pair(records, "processes")
    if ray is None or processes is None:
        return _missing(
            ["ray", "processes"], SHARED, "ray and processes rows of both forms on a shared input"
        )
    ray_idiom, naive = ray[0], processes[1]
    faster = ratio_of_medians(samples_of(naive), samples_of(ray_idiom))
    if faster.ci95_low >= RAY_SHARED_FACTOR:
        verdict = "holds"
    elif faster.ci95_high < RAY_SHARED_FACTOR:
        verdict = "does not hold"
    else:
        verdict = "depends"
    against_idiom = ratio_of_medians(samples_of(processes[0]), samples_of(ray_idiom))
    return verdict, (
        f"{SHARED} ({ray_idiom['params'].get('megabytes')} MiB): processes passing it with "
        f"every task {fmt.seconds(median_s(naive))}, ray with ray.put "
        f"{fmt.seconds(median_s(ray_idiom))}: ×{faster.ratio:.1f} "
        f"({faster.ci95_low:.1f}–{faster.ci95_high:.1f}); against processes' own idiom "
        f"({fmt.seconds(median_s(processes[0]))}) ×{against_idiom.ratio:.2f}"
    )


# --- the standard library ------------------------------------------------------------


def larger_chunksize_is_much_faster(records: Records) -> Finding:
    """Per-task cost of `ProcessPoolExecutor.map` at its default chunksize of 1 over the
    same executor's `map` with a chunksize (`processes:executor-chunked`, Pool.map's
    rule) on the same empty tasks: at least 2x, meaningfully, holds; one API at two chunk
    sizes, as the documentation's sentence compares them."""
    chunked = {same_work(r): r for r in _noop_rows(records, "processes:executor-chunked")}
    checks, notes = [], []
    for r in _noop_rows(records, "processes:executor"):
        other = chunked.get(same_work(r))
        if other is None:
            continue
        slower = ratio_of_medians(samples_of(r), samples_of(other))
        checks.append(slower.meaningful and slower.ratio >= CHUNKSIZE_FACTOR)
        chunks = (other.get("backend_info") or {}).get("chunksize")
        notes.append(
            f"{r['tasks']} empty tasks at {in_flight_of(r)} in flight: chunksize 1 "
            f"{fmt.seconds(per_task_s(r))} per task, chunksize {chunks} "
            f"{fmt.seconds(per_task_s(other))} (×{slower.ratio:.1f}, "
            f"{slower.ci95_low:.1f}–{slower.ci95_high:.1f})"
        )
    if not checks:
        return _missing(
            ["processes:executor", "processes:executor-chunked"],
            NOOP,
            "ProcessPoolExecutor rows of empty tasks at two chunk sizes",
        )
    return verdict_of(checks), "; ".join(notes)


def spawn_starts_slower_than_fork(records: Records) -> Finding:
    """A pool's set-up with spawn at least twice its set-up with fork (medians over the
    fresh processes; set-up has one value per process, so no interval) holds."""
    fork = {
        (r["workload"], r["workers"]): r
        for r in ok_rows(records, backend="processes")
        if (r.get("backend_info") or {}).get("start_method") == "fork" and r["setup_s"]
    }
    checks, notes = [], []
    for r in ok_rows(records, backend="processes:spawn"):
        other = fork.get((r["workload"], r["workers"]))
        if other is None or not r["setup_s"] or not other["setup_s"]:
            continue
        slower = r["setup_s"] / other["setup_s"]
        checks.append(slower >= SPAWN_FACTOR)
        notes.append(
            f"{r['workload']}, {r['workers']} workers: spawn {fmt.seconds(r['setup_s'])}, "
            f"fork {fmt.seconds(other['setup_s'])} (×{slower:.1f})"
        )
    if not checks:
        return _missing(["processes:spawn"], "cpu.primes", "pools set up with both fork and spawn")
    # One verdict for the claim: pools of different work start alike.
    return verdict_of(checks), "; ".join(notes[:3]) + (" …" if len(notes) > 3 else "")


UVLOOP = "[uvloop's README](https://github.com/MagicStack/uvloop#performance)"
DASK_DISTRIBUTED = "[Dask.distributed docs](https://distributed.dask.org/en/stable/)"
DASK_THREADED = "[Dask docs, shared memory](https://docs.dask.org/en/stable/shared.html)"
DASK_SCATTER = (
    "[Dask.distributed docs, data locality](https://distributed.dask.org/en/stable/locality.html)"
)
RAY_SMALL_TASKS = (
    "[Ray docs, optimizing performance](https://docs.ray.io/en/latest/ray-observability/"
    "user-guides/debug-apps/optimize-performance.html)"
)
RAY_LARGE_ARG = (
    "[Ray docs, anti-pattern](https://docs.ray.io/en/latest/ray-core/patterns/"
    "pass-large-arg-by-value.html)"
)
RAY_BLOG = 'Ray\'s blog, "10x Faster Parallel Python Without Python Multiprocessing" (2019)'
CHUNKSIZE = (
    "[concurrent.futures docs](https://docs.python.org/3/library/concurrent.futures.html"
    "#concurrent.futures.Executor.map)"
)
START_METHODS = (
    "[multiprocessing docs](https://docs.python.org/3/library/multiprocessing.html"
    "#contexts-and-start-methods)"
)


ENGINE_CLAIMS = (
    Claim(
        "uvloop makes asyncio 2-4x faster.",
        UVLOOP,
        f"asyncio's time above the waits alone over uvloop's at least {UVLOOP_FACTOR:g}x "
        "(the whole interval) on every row of waiting work both ran; the README's figure "
        "is an echo server's, these rows are clients (io.http) and timers (io.sleep)",
        uvloop_is_two_to_four_times_faster,
    ),
    Claim(
        "Each task suffers about 1 ms of overhead (Dask's distributed scheduler).",
        DASK_DISTRIBUTED,
        f"dask's cost per empty task within {ABOUT:g}x of 1 ms (a throughput over a batch, "
        "not one task's latency)",
        dask_distributed_costs_about_a_millisecond_per_task,
    ),
    Claim(
        "The threaded scheduler's overhead is about 200 µs per task.",
        DASK_THREADED,
        f"dask:threaded's cost per empty task within {ABOUT:g}x of 200 µs",
        dask_threaded_scheduler_costs_about_200_us_per_task,
    ),
    Claim(
        "Scatter large data to the workers ahead of time instead of passing it with the tasks.",
        DASK_SCATTER,
        "on a shared input, dask passing it with every task meaningfully slower per run "
        "than client.scatter once (the one-off scatter stated beside)",
        dask_scatter_beats_passing_large_data,
    ),
    Claim(
        "Tasks that take less than ten milliseconds are unlikely to see speedups.",
        RAY_SMALL_TASKS,
        "by ray's cost per empty task (c) at N in flight, tasks of 5 ms (half the docs' "
        f"bound) would speed up less than {RAY_SPEEDUP_FLOOR:g}x (cost model "
        "N·d / (d + N·c), stated in the evidence)",
        ray_tasks_need_ten_milliseconds,
    ),
    Claim(
        "Passing the same large argument by value repeatedly harms performance; ray.put it once.",
        RAY_LARGE_ARG,
        "on a shared input, ray passing it with every task meaningfully slower per run than "
        "ray.put once (the one-off put stated beside)",
        ray_put_beats_passing_large_data,
    ),
    Claim(
        "Ray is 10x faster than Python multiprocessing on large shared numerical data.",
        RAY_BLOG,
        f"in kind, on this machine's cores: a process pool that pickles the input into "
        f"every task at least {RAY_SHARED_FACTOR:g}x slower (the whole interval) than ray "
        "with ray.put; processes' own idiom quoted beside",
        ray_is_ten_times_faster_on_shared_data,
    ),
    Claim(
        "For very long iterables, a large chunksize can significantly improve performance "
        "compared to the default size of 1.",
        CHUNKSIZE,
        f"on empty tasks, ProcessPoolExecutor.map at chunksize 1 at least "
        f"{CHUNKSIZE_FACTOR:g}x slower per task than the same map with four chunks a worker "
        f"(Pool.map's own rule), and meaningfully (over {PRACTICAL_THRESHOLD:.0%})",
        larger_chunksize_is_much_faster,
    ),
    Claim(
        "Starting a process with spawn is rather slow compared to fork or forkserver.",
        START_METHODS,
        f"a pool's set-up with spawn at least {SPAWN_FACTOR:g}x its set-up with fork, same "
        "workers (medians over the fresh processes)",
        spawn_starts_slower_than_fork,
    ),
)
