"""The verdict's decisions and the tutorial's claims, on made-up records, both ways.

Every rule that names a winner or judges a claim is checked where it must hold, where it
must not, and where the data cannot decide (a tie, not measured), so a rule that cannot
fail is caught here.
"""

from __future__ import annotations

from typing import Any

import made_up

from comparisons.records.cells import Cell, attach_baselines, merge_invocations
from comparisons.records.ranking import VerdictRow, break_even_s, one_shot_s, speed_s, verdict_rows
from comparisons.records.service import server_cpu_per_request
from comparisons.records.store import upgrade
from comparisons.report.diff import classify, drift_cells, run_drift
from comparisons.report.sections import claims


def row(
    backend: str,
    median: float,
    *,
    workload: str = "cpu.primes",
    workers: int = 2,
    tasks: int = 32,
    category: str = "GIL-bound CPU",
    kind: str = "cpu",
    spread: float = 0.005,
    params: dict[str, Any] | None = None,
    **extra: Any,
) -> Cell:
    """A merged, successful cell: three processes of three repeats around `median`."""
    runs = [
        [median * (1 + spread * (i - 1) + spread * (j - 1) / 2) for j in range(3)] for i in range(3)
    ]
    return made_up.cell(
        runs,
        backend=backend,
        workload=workload,
        workers=workers,
        tasks=tasks,
        category=category,
        kind=kind,
        params=params or {},
        **{"warmup_s": [median], "env": {"usable_cores": 2}, **extra},
    )


def the(verdicts: list[VerdictRow], level: int) -> VerdictRow:
    return next(v for v in verdicts if v.in_flight == level)


# --- verdict -------------------------------------------------------------------------


def test_rows_at_different_concurrency_are_never_ranked_together():
    records = [
        row("serial", 8.0, workers=1, workload="io.http", category="network I/O", kind="io"),
        row("asyncio", 0.55, workers=16, workload="io.http", category="network I/O", kind="io"),
        row("threads", 0.56, workers=16, workload="io.http", category="network I/O", kind="io"),
        row(
            "threads:per-task",
            0.09,
            workers=160,
            tasks=160,
            workload="io.http",
            category="network I/O",
            kind="io",
        ),
    ]
    # The per-task row has other tasks, so it is other work; at 16 in flight: a tie.
    verdicts = verdict_rows(records)
    at_16 = the(verdicts, 16)
    assert {r["backend"] for r in at_16.winners} == {"asyncio", "threads"}
    assert all(v.in_flight != 1 for v in verdicts)  # serial is a yardstick


def test_a_same_work_row_at_more_in_flight_is_its_own_verdict_row():
    records = [
        row("asyncio", 0.55, workers=16, tasks=160),
        row("threads", 0.66, workers=16, tasks=160),
        row("threads:per-task", 0.09, workers=160, tasks=160),
        row("asyncio:uvloop", 0.08, workers=160, tasks=160),
    ]
    verdicts = verdict_rows(records)
    assert [v.in_flight for v in verdicts] == [16, 160]
    assert [r["backend"] for r in the(verdicts, 16).winners] == ["asyncio"]
    assert the(verdicts, 16).runner["backend"] == "threads"


def test_a_small_difference_is_a_tie_a_large_one_is_not():
    tie = verdict_rows([row("processes", 1.00), row("ray", 1.07), row("dask", 1.30)])[0]
    assert [r["backend"] for r in tie.winners] == ["processes", "ray"]
    assert tie.runner["backend"] == "dask"
    assert tie.margin.ratio > 1.25
    clear = verdict_rows([row("processes", 1.00), row("ray", 1.15)])[0]
    assert [r["backend"] for r in clear.winners] == ["processes"]


def test_a_noisy_slower_model_does_not_tie_past_a_steady_faster_one():
    rows = [
        row("dask", 1.00),
        row("processes", 1.5),  # steady: meaningfully slower than dask
        row("ray", 1.8, spread=0.5),  # noisy: its own interval reaches dask's time
    ]
    (verdict,) = verdict_rows(rows)
    assert [r["backend"] for r in verdict.winners] == ["dask"]
    assert verdict.runner["backend"] == "processes"


def test_a_noisy_difference_is_undecided_not_a_tie_nor_a_loss():
    noisy = verdict_rows([row("processes", 1.0, spread=0.3), row("ray", 1.15, spread=0.3)])[0]
    assert [r["backend"] for r in noisy.winners] == ["processes"] and noisy.runner is None
    assert [s.cell["backend"] for s in noisy.undecided] == ["ray"]


def test_a_model_is_represented_by_its_best_idiom_and_yardsticks_never_win():
    verdicts = verdict_rows(
        [
            row("ceiling", 0.5),
            row("serial", 0.4, workers=2),
            row("processes", 1.0),
            row("processes:spawn", 0.8),
            row("threads", 2.0),
        ]
    )
    (v,) = verdicts
    assert [r["backend"] for r in v.winners] == ["processes:spawn"]
    assert v.runner["backend"] == "threads"


def test_run_once_and_run_many_times_can_have_different_winners():
    ray = row("ray", 0.85, setup_s=2.3, teardown_s=1.3, warmup_s=[1.5])
    processes = row("processes", 0.95, setup_s=0.01, teardown_s=0.0, warmup_s=[0.96])
    v = verdict_rows([ray, processes])[0]
    assert [r["backend"] for r in v.winners] == ["ray"]
    assert [r["backend"] for r in v.once] == ["processes"]
    assert one_shot_s(ray) == 2.3 + 1.5 + 1.3
    # Ray pays off after (5.1 - 0.97) / (gain per run) + 1 runs, each run timed by the
    # verdict's estimator (about 0.1 s gained on about 0.85 s).
    gain = speed_s(processes) - speed_s(ray)
    assert abs(gain - 0.1) < 0.01
    assert abs(v.break_even_s - ((5.1 - 0.97) / gain + 1) * speed_s(ray)) < 1e-9
    same = verdict_rows([row("ray", 0.85), row("processes", 0.95)])[0]
    assert same.break_even_s is None and same.once[0]["backend"] == "ray"
    assert break_even_s(processes, ray) is None  # ray is not slower per run
    # The cheapest to run once only undecided against the best (its interval across the
    # 10% edge): no job length from a difference the run cannot tell from noise.
    noisy = row("processes", 0.935, spread=0.15, setup_s=0.01, teardown_s=0.0, warmup_s=[0.9])
    close = verdict_rows([row("ray", 0.85, setup_s=2.3, teardown_s=1.3, warmup_s=[1.5]), noisy])
    assert [str(s.outcome) for s in close[0].standings][1] == "undecided"
    assert close[0].once[0]["backend"] == "processes" and close[0].break_even_s is None


def test_transfer_ranks_only_models_that_move_data():
    kwargs = {"workload": "overhead.transfer", "category": "data transfer", "kind": "overhead"}
    records = [
        row("threads", 0.013, yardstick=True, **kwargs),
        row("asyncio:to-thread", 0.011, yardstick=True, **kwargs),
        row("processes", 0.30, bytes_per_task=2**26, measures_transfer=True, **kwargs),
        row("ray", 0.20, bytes_per_task=2**26, measures_transfer=True, **kwargs),
    ]
    (v,) = verdict_rows(records)
    assert [r["backend"] for r in v.winners] == ["ray"]
    assert v.runner["backend"] == "processes"


# --- claims --------------------------------------------------------------------------


def with_baseline(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return attach_baselines(records)


def test_threads_and_cpu_state_gil_bound_and_gil_releasing_apart():
    gil = [row("serial", 1.0, workers=1), row("threads", 1.0)]
    verdict, evidence = claims.threads_do_not_speed_up_cpu(with_baseline(gil))
    assert verdict == "holds" and "GIL-bound CPU" in evidence
    free = [
        row("serial", 1.0, workers=1, workload="cpu.numpy", category="GIL-releasing CPU"),
        row("threads", 0.52, workload="cpu.numpy", category="GIL-releasing CPU"),
    ]
    assert claims.threads_do_not_speed_up_cpu(with_baseline(free))[0] == "does not hold"
    both = claims.threads_do_not_speed_up_cpu(with_baseline(gil + free))
    assert both[0] == "depends" and "GIL-releasing CPU" in both[1]
    assert claims.threads_do_not_speed_up_cpu([])[0] == "not measured"


def io_row(backend: str, median: float, level: int, **extra: Any) -> dict[str, Any]:
    return row(
        backend,
        median,
        workers=level,
        tasks=1000,
        workload="io.sleep",
        category="waiting I/O",
        kind="io",
        **extra,
    )


def test_asyncio_at_high_concurrency_holds_when_it_ties_and_fails_when_behind():
    tied = [io_row("asyncio", 0.10, 1000), io_row("threads", 0.101, 1000)]
    assert claims.asyncio_suits_high_concurrency_io(tied)[0] == "holds"
    behind = [io_row("asyncio", 0.20, 1000), io_row("threads", 0.10, 1000)]
    assert claims.asyncio_suits_high_concurrency_io(behind)[0] == "does not hold"
    low = [io_row("asyncio", 0.20, 16), io_row("threads", 0.10, 16)]
    assert claims.asyncio_suits_high_concurrency_io(low)[0] == "not measured"
    # Another level's faster row is not compared: 100 vs 1,000 in flight.
    mixed = [io_row("asyncio", 0.2, 1000), io_row("threads", 0.1, 100)]
    assert claims.asyncio_suits_high_concurrency_io(mixed)[0] == "not measured"


def loop_row(backend: str, lag: float, **extra: Any) -> dict[str, Any]:
    """A row of an asyncio idiom whose loop's worst lag was `lag` (one task: 20 ms)."""
    return row(
        backend,
        1.0,
        blocks_event_loop=backend in ("asyncio", "asyncio:cooperative"),
        backend_info={"loop_lag_max_s": lag},
        **extra,
    )


def stall_rows(blocking: float, awaiting: float, **extra: Any) -> list[dict[str, Any]]:
    """Serial (one task: 0.64 s / 32 = 20 ms), coroutines that never await and the same
    work awaiting between chunks, with those worst lags."""
    return [
        row("serial", 0.64, workers=1, **extra),
        loop_row("asyncio", blocking, **extra),
        loop_row("asyncio:cooperative", awaiting, **extra),
    ]


def test_blocking_asyncio_holds_when_only_the_form_that_never_awaits_stalls_the_loop():
    verdict, evidence = claims.asyncio_blocks_on_cpu(with_baseline(stall_rows(0.5, 0.002)))
    assert verdict == "holds"
    assert evidence == (
        "cpu.primes at 2 in flight: the loop waited up to 500 ms with coroutines that never "
        "await (one task: 20.0 ms); 2.00 ms when they await every chunk (250x smaller)"
    )
    # to_thread's lag is quoted, and decides nothing: here it is close to asyncio's.
    threaded = [*stall_rows(0.5, 0.002), loop_row("asyncio:to-thread", 0.4)]
    verdict, evidence = claims.asyncio_blocks_on_cpu(with_baseline(threaded))
    assert verdict == "holds" and evidence.endswith("; 400 ms with to_thread")


def test_blocking_asyncio_does_not_hold_when_the_loop_stays_responsive_without_awaits():
    # Four times the awaiting form's lag, but under one task: no stall.
    rows = stall_rows(0.008, 0.001)
    assert claims.asyncio_blocks_on_cpu(with_baseline(rows))[0] == "does not hold"


def test_blocking_asyncio_does_not_hold_when_awaiting_between_chunks_stalls_too():
    # The loop stalls either way: the lag is not the not awaiting's.
    rows = stall_rows(0.5, 0.3)
    verdict, evidence = claims.asyncio_blocks_on_cpu(with_baseline(rows))
    assert verdict == "does not hold" and "300 ms when they await every chunk" in evidence
    # One piece of work where it holds, one where the awaiting form stalls too.
    other = {"workload": "cpu.mandelbrot"}
    mixed = stall_rows(0.5, 0.002) + stall_rows(0.5, 0.3, **other)
    verdict, evidence = claims.asyncio_blocks_on_cpu(with_baseline(mixed))
    assert verdict == "depends" and "cpu.mandelbrot at 2 in flight" in evidence


def test_blocking_asyncio_is_not_measured_without_both_forms_on_the_same_work():
    serial = row("serial", 0.64, workers=1)
    alone = [serial, loop_row("asyncio", 0.5), loop_row("asyncio:to-thread", 0.01)]
    verdict, evidence = claims.asyncio_blocks_on_cpu(with_baseline(alone))
    assert verdict == "not measured" and "SUITE=default" in evidence
    # The forms at different concurrency are different work.
    apart = [serial, loop_row("asyncio", 0.5), loop_row("asyncio:cooperative", 0.002, workers=4)]
    assert claims.asyncio_blocks_on_cpu(with_baseline(apart))[0] == "not measured"
    # Without a serial baseline there is no task length to measure the stall by.
    assert claims.asyncio_blocks_on_cpu(stall_rows(0.5, 0.002)[1:])[0] == "not measured"


def test_memory_claims_need_a_real_difference_on_the_same_work():
    heavy = [
        row("processes", 1.0, peak_pss_bytes=60 << 20),
        row("threads", 1.0, peak_pss_bytes=30 << 20),
    ]
    assert claims.processes_use_more_memory(heavy)[0] == "holds"
    equal = [
        row("processes", 1.0, peak_pss_bytes=32 << 20),
        row("threads", 1.0, peak_pss_bytes=32 << 20),
    ]
    assert claims.processes_use_more_memory(equal)[0] == "does not hold"
    elsewhere = [
        row("processes", 1.0, workers=4, peak_pss_bytes=60 << 20),
        row("threads", 1.0, peak_pss_bytes=30 << 20),
    ]
    assert claims.processes_use_more_memory(elsewhere)[0] == "not measured"
    low = [
        io_row("asyncio", 0.1, 1000, peak_pss_bytes=30 << 20),
        io_row("threads", 0.1, 1000, peak_pss_bytes=90 << 20),
    ]
    assert claims.asyncio_memory_is_low(low)[0] == "holds"
    same = [
        io_row("asyncio", 0.1, 1000, peak_pss_bytes=30 << 20),
        io_row("threads", 0.1, 1000, peak_pss_bytes=31 << 20),
    ]
    assert claims.asyncio_memory_is_low(same)[0] == "does not hold"
    assert claims.asyncio_memory_is_low([io_row("asyncio", 0.1, 16)])[0] == "not measured"


def test_ipc_overhead_is_measured_against_threads_at_the_same_concurrency():
    kwargs = {
        "workload": "overhead.noop",
        "category": "tiny tasks",
        "kind": "overhead",
        "tasks": 2000,
    }
    # One dispatch per task on each side (tests/test_per_task_claims.py: batched rows).
    costly = [row("processes:executor", 0.02, **kwargs), row("threads", 0.01, **kwargs)]
    assert claims.processes_cost_more_per_task(costly)[0] == "holds"
    cheap = [row("processes:executor", 0.0004, **kwargs), row("threads", 0.01, **kwargs)]
    assert claims.processes_cost_more_per_task(cheap)[0] == "does not hold"
    assert claims.processes_cost_more_per_task([])[0] == "not measured"


def test_subinterpreters_are_judged_against_processes_on_the_same_gil_bound_work():
    tie = [row("subinterpreters", 0.25), row("processes", 0.245)]
    verdict, evidence = claims.subinterpreters_match_processes_on_gil_bound_cpu(tie)
    assert verdict == "holds" and "cpu.primes at 2 in flight" in evidence
    behind = [row("subinterpreters", 0.40), row("processes", 0.25)]
    assert claims.subinterpreters_match_processes_on_gil_bound_cpu(behind)[0] == "does not hold"
    other_level = [row("subinterpreters", 0.25, workers=4), row("processes", 0.25)]
    verdict = claims.subinterpreters_match_processes_on_gil_bound_cpu(other_level)[0]
    assert verdict == "not measured"


def test_subinterpreters_hand_off_cost_needs_a_meaningful_gain_over_processes():
    kwargs = {"workload": "overhead.noop", "category": "tiny tasks", "kind": "overhead"}
    procs = "processes:executor"  # one dispatch per task, as subinterpreters' map
    cheaper = [row("subinterpreters", 0.010, **kwargs), row(procs, 0.020, **kwargs)]
    assert claims.subinterpreters_move_data_cheaper_than_processes(cheaper)[0] == "holds"
    same = [row("subinterpreters", 0.0195, **kwargs), row(procs, 0.020, **kwargs)]
    assert claims.subinterpreters_move_data_cheaper_than_processes(same)[0] == "does not hold"
    assert claims.subinterpreters_move_data_cheaper_than_processes([])[0] == "not measured"


# --- records and diff ----------------------------------------------------------------


def test_invocations_merge_into_one_cell_and_one_failure_fails_it():
    first = row("threads", 1.0) | {"invocation": 0, "samples_s": [1.0, 1.1], "runs_s": None}
    second = row("threads", 1.0) | {"invocation": 1, "samples_s": [1.2, 1.3], "runs_s": None}
    for r in (first, second):
        del r["runs_s"]
        r.update(setup_s=0.1, teardown_s=0.2, cpu_s_per_repeat=[1, 1], leftover_processes=[])
        r.update(service_cpu_s=1.0, service_requests=100)
    (cell,) = merge_invocations([first, second])
    assert cell["runs_s"] == [[1.0, 1.1], [1.2, 1.3]] and cell["stats"].runs == 2
    # The server's CPU per request is over all processes' requests, not the first's.
    assert server_cpu_per_request(cell) == 0.01
    broken = dict(second, status="error", error="boom", samples_s=[])
    (failed,) = merge_invocations([first, broken])
    assert failed["status"] == "error" and "invocation 1: boom" in failed["error"]


def test_old_records_are_upgraded_to_the_current_schema():
    old = {"schema_version": 1, "backend": "serial", "workers": 1, "tasks": 4}
    new = upgrade(old)
    assert new["schema_version"] == 2 and new["invocation"] == 0 and new["yardstick"] is True
    assert new["peak_pss_bytes"] is None and new["in_flight"] == 1


def test_cells_moved_onto_a_cluster_do_not_count_toward_the_drift():
    a = [row(f"b{i}", 1.0) for i in range(10)]
    b = [row(f"b{i}", 1.02) for i in range(3)] + [row(f"b{i}", 5.0) for i in range(3, 10)]
    for moved in b[3:]:
        moved["cluster"] = {"address": "tcp://10.213.0.2:8786"}
    pairs = list(zip(a, b, strict=True))
    assert len(drift_cells(pairs)) == 3
    assert abs(run_drift(pairs) - 1.02) < 1e-9  # the seven moved cells would make it 5.0
    for moved in b[:3]:
        moved["cluster"] = {"address": "tcp://10.213.0.2:8786"}
    assert len(drift_cells(pairs)) == 10 and run_drift(pairs) == 5.0  # nothing stayed


def test_diff_divides_out_the_machines_drift():
    a = [row(f"b{i}", 1.0) for i in range(10)]
    b = [row(f"b{i}", 1.18) for i in range(9)] + [row("b9", 1.8)]
    drift = run_drift(list(zip(a, b, strict=True)))
    assert abs(drift - 1.18) < 1e-9
    assert [classify(x, y, 0.05, drift).verdict for x, y in zip(a, b, strict=True)].count(
        "same"
    ) == 9
    assert classify(a[9], b[9], 0.05, drift).verdict == "slower"
    # Without the correction every cell would be called slower.
    assert all(classify(x, y, 0.05).verdict == "slower" for x, y in zip(a, b, strict=True))
