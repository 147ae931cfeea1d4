"""Per-task costs compared one dispatch per task, and memory as a count over pairs, on
made-up cells, both ways.

The IPC claim and PEP 734's hand-off claim judge each model by its row that sends one
task at a time (`processes:executor`, not `Pool.map`'s chunks); a batched row is quoted
beside, labelled, and never decides. A run that has only batched rows for a model says
"not measured" and which suite measures it. The memory claim holds on at least 80% of
its pairs, does not hold on at most 20%, and depends in between.
"""

from __future__ import annotations

import math
from typing import Any

import made_up

from comparisons.measure.stats import ratio_of_medians
from comparisons.records.cells import Cell, attach_baselines, samples_of
from comparisons.report.sections import claims, granularity, ledger
from comparisons.report.sections.context import Context

NOOP = {"workload": "overhead.noop", "category": "tiny tasks", "kind": "overhead", "tasks": 300}
MiB16 = 16 * 2**20
TRANSFER = {
    "workload": "overhead.transfer",
    "category": "data transfer",
    "kind": "overhead",
    "tasks": 8,
    "measures_transfer": True,
    "bytes_per_task": MiB16,
}


def row(backend: str, median: float, **fields: Any) -> Cell:
    """A merged, successful cell on a two-core machine: three processes of three repeats
    around `median`."""
    return made_up.around(backend, median, **{"env": {"usable_cores": 2}, **fields})


def pool_map(median: float, tasks: int = 300, workers: int = 2, **fields: Any) -> Cell:
    """`processes` (Pool.map) with the chunk size its record states."""
    chunks = max(1, math.ceil(tasks / (4 * workers)))
    info = {"chunksize": chunks, "start_method": "fork"}
    return row("processes", median, tasks=tasks, workers=workers, backend_info=info, **fields)


# --- the IPC claim -------------------------------------------------------------------


def test_ipc_claim_holds_on_per_task_rows_where_the_batched_row_says_otherwise():
    batched = pool_map(0.0007, **NOOP)  # 2.3 µs a task: under threads' 10 µs
    per_task = row("processes:executor", 0.036, **NOOP)  # 120 µs a task
    threads = row("threads", 0.003, **NOOP)
    verdict, evidence = claims.processes_cost_more_per_task([batched, per_task, threads])
    assert verdict == "holds"
    assert "one dispatch per task: processes:executor 120 µs vs threads 10.0 µs" in evidence
    assert "batched: processes 2.33 µs (chunks of 38)" in evidence
    # The batched row alone would have said the opposite: it is the faster of the two.
    assert ratio_of_medians(samples_of(batched), samples_of(threads)).ratio < 1


def test_ipc_claim_does_not_hold_on_per_task_rows_where_the_batched_row_says_it_would():
    slow_batches = pool_map(0.02, **NOOP)
    fast_per_task = row("processes:executor", 0.0004, **NOOP)
    threads = row("threads", 0.003, **NOOP)
    verdict, _ = claims.processes_cost_more_per_task([slow_batches, fast_per_task, threads])
    assert verdict == "does not hold"


def test_ipc_claim_with_only_batched_rows_is_not_measured_and_names_the_suite():
    verdict, evidence = claims.processes_cost_more_per_task(
        [pool_map(0.0007, **NOOP), row("ray:batched", 0.008, **NOOP), row("threads", 0.003, **NOOP)]
    )
    assert verdict == "not measured"
    assert "not measured one task at a time for processes" in evidence
    assert "processes:executor is in SUITE=default" in evidence
    assert "batched: processes 2.33 µs (chunks of 38)" in evidence
    assert "ray:batched" not in evidence  # another model's batching is not this claim's


def test_a_pool_map_that_sent_one_task_a_message_is_a_per_task_row():
    # 8 tasks on 2 workers: Pool.map's own rule gives chunks of 1.
    procs = pool_map(0.30, **TRANSFER)
    threads = row("threads", 0.004, yardstick=True, **TRANSFER)
    verdict, evidence = claims.processes_cost_more_per_task([procs, threads])
    assert verdict == "holds"
    assert "overhead.transfer (16 MiB a task) at 2 in flight, one dispatch per task: " in evidence
    assert "processes (chunks of 1) 37.5 ms vs threads 500 µs" in evidence


def test_rows_at_another_concurrency_or_a_thread_per_task_decide_nothing():
    other_level = [
        row("processes:executor", 0.036, workers=4, **NOOP),
        row("threads", 0.003, **NOOP),
    ]
    assert claims.processes_cost_more_per_task(other_level) == (
        "not measured",
        "needs overhead.noop or overhead.transfer",
    )
    # A thread started per task pays a start, not a dispatch to a pool.
    per_thread = [
        row("processes:executor", 0.036, workers=300, **NOOP),
        row("threads:per-task", 0.5, workers=300, **NOOP),
    ]
    verdict, evidence = claims.processes_cost_more_per_task(per_thread)
    assert verdict == "not measured"
    assert "not measured one task at a time for threads" in evidence


# --- PEP 734's hand-off claim --------------------------------------------------------


def test_subinterpreters_are_judged_against_the_per_task_process_pool():
    sub = row("subinterpreters", 0.010, **NOOP)  # 33 µs a task
    batched = pool_map(0.0007, **NOOP)  # 2.3 µs: would make subinterpreters the slower
    per_task = row("processes:executor", 0.036, **NOOP)  # 120 µs
    verdict, evidence = claims.subinterpreters_move_data_cheaper_than_processes(
        [sub, batched, per_task]
    )
    assert verdict == "holds"
    assert "subinterpreters 33.3 µs vs processes:executor 120 µs per task" in evidence
    assert "batched: processes 2.33 µs (chunks of 38)" in evidence
    slower = row("subinterpreters", 0.05, **NOOP)
    assert (
        claims.subinterpreters_move_data_cheaper_than_processes([slower, batched, per_task])[0]
        == "does not hold"
    )


def test_subinterpreters_against_only_a_batched_pool_are_not_measured():
    verdict, evidence = claims.subinterpreters_move_data_cheaper_than_processes(
        [row("subinterpreters", 0.010, **NOOP), pool_map(0.0007, **NOOP)]
    )
    assert verdict == "not measured"
    assert "for processes (overhead.noop on processes:executor is in SUITE=" in evidence


# --- memory as a count over pairs ----------------------------------------------------


def memory_pairs(heavier: list[float]) -> list[Cell]:
    """processes and threads on one distinct work each; processes' PSS is `heavier[i]`
    times threads' 40 MiB."""
    rows = []
    for i, times in enumerate(heavier):
        work = {"tasks": 10 + i}
        rows.append(row("processes", 1.0, peak_pss_bytes=int(40 * 2**20 * times), **work))
        rows.append(row("threads", 1.0, peak_pss_bytes=40 * 2**20, **work))
    return rows


def test_memory_claim_holds_on_most_pairs_with_the_count_and_range():
    ratios = [1.2, 1.5, 2.0, 3.0, 5.0, 8.0, 10.0, 12.0, 15.0, 20.0, 1.3, 1.4, 0.99, 1.05]
    verdict, evidence = claims.processes_use_more_memory(memory_pairs(ratios))
    assert verdict == "holds"  # 12 of 14 = 86% >= 80%
    assert "on 12 of 14 pairs" in evidence and "0.99-20x over all 14" in evidence
    assert "not on cpu.primes (2 in flight): processes 40 MiB, threads 40 MiB" in evidence


def test_memory_claim_depends_in_between_and_fails_on_few_pairs():
    verdict, evidence = claims.processes_use_more_memory(memory_pairs([2.0, 2.0, 1.0, 1.0, 2.0]))
    assert verdict == "depends" and "on 3 of 5 pairs" in evidence  # 60%
    assert claims.processes_use_more_memory(memory_pairs([2.0, 1.0, 1.0, 1.0, 1.0]))[0] == (
        "does not hold"  # 1 of 5 = 20%
    )
    assert claims.processes_use_more_memory(memory_pairs([2.0, 2.0, 2.0, 2.0, 1.0]))[0] == (
        "holds"  # 4 of 5 = 80%
    )


def test_memory_claim_reads_the_kernels_peak_where_both_rows_have_it():
    """Sampled PSS missed threads' 48 MiB buffer (40 vs 80 MiB); the kernel's counter
    did not (120 vs 80 MiB): the pair is judged by the counter and says so."""
    work = {"tasks": 10}
    processes = row(
        "processes",
        1.0,
        peak_pss_bytes=80 * 2**20,
        memory={"kernel_peak_bytes": 80 * 2**20},
        **work,
    )
    threads = row(
        "threads", 1.0, peak_pss_bytes=40 * 2**20, memory={"kernel_peak_bytes": 120 * 2**20}, **work
    )
    verdict, evidence = claims.processes_use_more_memory([processes, threads])
    assert verdict == "does not hold" and "on 0 of 1 pairs" in evidence
    assert "kernel peak" in evidence and "threads 120 MiB" in evidence
    # One side without the counter: both by PSS, named so.
    threads["memory"] = {}
    verdict, evidence = claims.processes_use_more_memory([processes, threads])
    assert verdict == "holds" and "PSS" in evidence and "kernel" not in evidence


# --- claims leave A/A twins out ------------------------------------------------------


def test_claims_leave_the_aa_twins_out():
    io = {"workload": "io.sleep", "category": "waiting I/O", "kind": "io"}
    rows = [
        row("asyncio", 0.10, workers=1000, tasks=1000, **io),
        row("twin-asyncio", 0.05, workers=1000, tasks=1000, **io),
    ]
    # Read as a model of its own, the twin would be "the best other model".
    assert "twin-asyncio" in claims.asyncio_suits_high_concurrency_io(rows)[1]
    table = "\n".join(ledger.render(rows, Context()))
    assert "twin" not in table


# --- the granularity table labels batching -------------------------------------------


def test_granularity_table_labels_batched_rows():
    cells = []
    for tasks, span in ((8, 1000), (32, 250), (128, 62)):
        span_of = {"params": {"span": span}}
        cells.append(row("serial", 1.0, workers=1, tasks=tasks, **span_of))
        cells.append(pool_map(0.55, tasks=tasks, **span_of))
        per_task_s = 0.55 if tasks < 128 else 0.9
        cells.append(row("processes:executor", per_task_s, tasks=tasks, **span_of))
    lines = granularity.render(attach_baselines(cells), Context())
    by_backend = {line.split(" | ")[1]: line for line in lines[2:]}
    assert "| batched (chunks of 1-16) |" in by_backend["processes"]
    assert "| one per task |" in by_backend["processes:executor"]
    assert by_backend["processes"].endswith("of serial work per task |")


def test_a_model_never_faster_than_a_plain_loop_affords_no_task_size():
    cells = []
    for tasks, span in ((8, 1000), (32, 250), (128, 62)):
        span_of = {"params": {"span": span}}
        cells.append(row("serial", 1.0, workers=1, tasks=tasks, **span_of))
        # An event loop runs the pure-Python tasks one at a time: a plain loop's pace.
        cells.append(row("asyncio", 0.97, tasks=tasks, **span_of))
        cells.append(row("threads", 0.85 if tasks == 8 else 1.0, tasks=tasks, **span_of))
    lines = granularity.render(attach_baselines(cells), Context())
    by_backend = {line.split(" | ")[1]: line for line in lines[2:]}
    assert "none: never 10% faster than a plain loop" in by_backend["asyncio"]
    # 1.18x at the largest tasks: the smallest size reaching 80% of that is named.
    assert by_backend["threads"].endswith("of serial work per task |")


# --- the interpreters docs' in-process efficiency, as start-up -------------------------


def test_subinterpreters_start_up_is_held_against_the_process_pool():
    sub = row("subinterpreters", 0.2, setup_s=0.004, **NOOP)
    procs = pool_map(0.0007, setup_s=0.012, **NOOP)
    verdict, evidence = claims.subinterpreters_start_cheaper_than_processes([sub, procs])
    assert verdict == "holds"
    assert "subinterpreters 4.00 ms, processes (fork) 12.0 ms (×0.33)" in evidence
    # Within the tie band of the pool: no in-process advantage to speak of.
    close = row("subinterpreters", 0.2, setup_s=0.0115, **NOOP)
    assert claims.subinterpreters_start_cheaper_than_processes([close, procs])[0] == (
        "does not hold"
    )
    verdict, evidence = claims.subinterpreters_start_cheaper_than_processes([procs])
    assert verdict == "not measured" and "subinterpreters" in evidence


def test_a_task_size_whose_plain_loop_is_unreliable_is_named_as_left_out():
    cells = []
    for tasks, span, serial_s in ((8, 1000, 1.0), (32, 250, 1.0), (128, 62, 1.5)):
        span_of = {"params": {"span": span}}
        cells.append(row("serial", serial_s, workers=1, tasks=tasks, **span_of))
        # 1.5 / 0.5 = 3x on 2 cores at the smallest tasks: that plain loop ran slow.
        cells.append(pool_map(0.5 if tasks == 128 else 0.55, tasks=tasks, **span_of))
    lines = granularity.render(attach_baselines(cells), Context())
    assert lines[-1].startswith("Task sizes left out, their plain loop exposed as unreliable")
    assert lines[-1].endswith("cpu.primes, 2 workers: 11.7 ms per task."), lines[-1]
    for c in cells:
        if c["backend"] == "serial" and c["tasks"] == 128:
            c.update(row("serial", 1.0, workers=1, tasks=128, params={"span": 62}))
    fine = granularity.render(attach_baselines(cells), Context())
    assert len(fine) > 2 and not any("left out" in line for line in fine)
