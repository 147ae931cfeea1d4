"""The engines' published claims (uvloop, Dask, Ray, the standard library's advice), each
checked by its rule on made-up cells, both ways, and named with the suite that measures
it when the run lacks its rows."""

from __future__ import annotations

from typing import Any

import made_up

from comparisons.records.cells import Cell
from comparisons.report.sections import engine_claims as ec
from comparisons.report.sections import ledger

NOOP = {"workload": "overhead.noop", "category": "tiny tasks", "kind": "overhead", "tasks": 300}
HTTP = {
    "workload": "io.http",
    "category": "network I/O",
    "kind": "io",
    "tasks": 160,
    "workers": 160,
    "ideal_s": 0.05,  # the server's delay: the waits alone
}


def row(backend: str, median: float, **fields: Any) -> Cell:
    """A merged, successful cell on a two-core machine: three processes of three repeats
    around `median`."""
    return made_up.around(backend, median, **{"env": {"usable_cores": 2}, **fields})


def shared(backend: str, median: float, per_task: int) -> Cell:
    return row(
        backend,
        median,
        workload="cpu.shared",
        category="shared read-only input",
        tasks=16,
        params={"megabytes": 64, "passes": 10, "per_task": per_task},
        shared_input={"per_task_form": bool(per_task), "idiom": "x", "crossing": "once"},
    )


def test_uvloop_is_judged_on_the_loops_own_time_above_the_waits():
    # 250 ms against 50 ms above the 50 ms of waits: 5x, though 3x in total time.
    fast = [row("asyncio", 0.3, **HTTP), row("asyncio:uvloop", 0.1, **HTTP)]
    assert ec.uvloop_is_two_to_four_times_faster(fast)[0] == "holds"
    # 60 ms against 50 ms above the waits: 1.2x.
    close = [row("asyncio", 0.11, **HTTP), row("asyncio:uvloop", 0.1, **HTTP)]
    verdict, evidence = ec.uvloop_is_two_to_four_times_faster(close)
    assert verdict == "does not hold" and "io.http at 160 in flight: ×1.20" in evidence
    # One row decided at 5x, one whose interval straddles 2x: the run cannot say it holds.
    wide = {**HTTP, "tasks": 1000}
    straddling = [
        *fast,
        row("asyncio", 0.15, spread=0.2, **wide),
        row("asyncio:uvloop", 0.1, spread=0.2, **wide),
    ]
    verdict, evidence = ec.uvloop_is_two_to_four_times_faster(straddling)
    assert verdict == "undecided" and "undecided against 2x" in evidence, evidence
    assert evidence.startswith("at least 2x on 1, wholly below on 0, undecided on 1 of 2 rows")
    # A row wholly below 2x beside an undecided one: the claim, stated for every row, is
    # contradicted (the other could at most make it *depends*), and the tally says so.
    verdict, evidence = ec.uvloop_is_two_to_four_times_faster([*close, *straddling[2:]])
    assert verdict == "does not hold"
    assert evidence.startswith("at least 2x on 0, wholly below on 1, undecided on 1 of 2 rows")
    # A row at its floor (the waits alone) says nothing of the loop.
    floor = {**HTTP, "ideal_s": 0.2}
    at_floor = [row("asyncio", 0.11, **floor), row("asyncio:uvloop", 0.1, **floor)]
    assert ec.uvloop_is_two_to_four_times_faster(at_floor)[0] == "not measured"
    verdict, evidence = ec.uvloop_is_two_to_four_times_faster([row("asyncio", 0.1, **HTTP)])
    assert verdict == "not measured" and "SUITE=default" in evidence


def test_dask_per_task_cost_is_about_a_millisecond_within_twice():
    # 300 empty tasks in 0.45 s: 1.5 ms a task.
    assert (
        ec.dask_distributed_costs_about_a_millisecond_per_task([row("dask", 0.45, **NOOP)])[0]
        == "holds"
    )
    verdict, evidence = ec.dask_distributed_costs_about_a_millisecond_per_task(
        [row("dask", 1.5, **NOOP)]
    )
    assert verdict == "does not hold" and "5.00 ms per empty task (more)" in evidence
    verdict, evidence = ec.dask_threaded_scheduler_costs_about_200_us_per_task(
        [row("dask", 0.45, **NOOP)]
    )
    assert verdict == "not measured" and "SUITE=variants" in evidence
    assert (
        ec.dask_threaded_scheduler_costs_about_200_us_per_task(
            [row("dask:threaded", 0.006, **NOOP)]
        )[0]
        == "does not hold"
    )  # 20 µs a task: over three times less


def test_passing_a_large_input_with_every_task_against_each_engines_idiom():
    assert (
        ec.ray_put_beats_passing_large_data([shared("ray", 0.5, 0), shared("ray", 1.4, 1)])[0]
        == "holds"
    )
    assert (
        ec.dask_scatter_beats_passing_large_data([shared("dask", 0.5, 0), shared("dask", 0.51, 1)])[
            0
        ]
        == "does not hold"
    )
    assert ec.ray_put_beats_passing_large_data([shared("ray", 0.5, 0)])[0] == "not measured"


def test_ray_ten_times_on_shared_data_in_kind():
    rows = [shared("ray", 0.5, 0), shared("ray", 1.4, 1)]
    slow_naive = [shared("processes", 0.4, 0), shared("processes", 6.0, 1)]
    verdict, evidence = ec.ray_is_ten_times_faster_on_shared_data(rows + slow_naive)
    assert verdict == "holds" and "×12.0" in evidence and "own idiom" in evidence
    close = [shared("processes", 0.4, 0), shared("processes", 1.0, 1)]
    assert ec.ray_is_ten_times_faster_on_shared_data(rows + close)[0] == "does not hold"


def test_ray_small_tasks_by_the_speedup_its_cost_model_predicts_at_5_ms():
    # 300 empty tasks in 1.5 s at 2 in flight: 5 ms a task, so 5 ms tasks would run
    # at 2 x 5 / (5 + 10) = 0.67x: no speedup.
    verdict, evidence = ec.ray_tasks_need_ten_milliseconds([row("ray", 1.5, **NOOP)])
    assert verdict == "holds" and "tasks of 5.00 ms would speed up ×0.67" in evidence
    # 0.5 ms a task: 5 ms tasks already run 1.67x faster.
    assert ec.ray_tasks_need_ten_milliseconds([row("ray", 0.15, **NOOP)])[0] == "does not hold"


def test_chunksize_advice_compares_one_executor_at_two_chunk_sizes():
    chunked = row("processes:executor-chunked", 0.0007, backend_info={"chunksize": 38}, **NOOP)
    one_each = row("processes:executor", 0.036, **NOOP)
    verdict, evidence = ec.larger_chunksize_is_much_faster([chunked, one_each])
    assert verdict == "holds" and "chunksize 38" in evidence
    similar = row("processes:executor", 0.001, **NOOP)
    assert ec.larger_chunksize_is_much_faster([chunked, similar])[0] == "does not hold"
    # Pool.map's chunks are another API: they do not stand in for the executor's.
    pool = row("processes", 0.0007, backend_info={"chunksize": 38}, **NOOP)
    verdict, evidence = ec.larger_chunksize_is_much_faster([pool, one_each])
    assert verdict == "not measured" and "SUITE=default" in evidence


def test_spawn_against_fork_set_up():
    fork = row("processes", 0.3, setup_s=0.05, backend_info={"start_method": "fork"})
    spawn = row("processes:spawn", 0.3, setup_s=0.4)
    assert ec.spawn_starts_slower_than_fork([fork, spawn])[0] == "holds"
    quick = row("processes:spawn", 0.3, setup_s=0.06)
    assert ec.spawn_starts_slower_than_fork([fork, quick])[0] == "does not hold"
    assert ec.spawn_starts_slower_than_fork([fork])[0] == "not measured"


def test_the_ledger_names_every_claim_with_a_source_and_a_rule():
    assert len(ec.ENGINE_CLAIMS) >= 8
    table = ledger.claims_table([])
    assert table[0] == "| claim | source | here | rule | evidence |"
    assert len(table) == 2 + len(ledger.LEDGER)
    assert all(claim.source and claim.rule for claim in ledger.LEDGER)
