"""The front page's answer lines ("Which model for which work") on made-up cells, each
state both ways: decided, tied, undecided, depends (and not for a model the run did not
try at every in-flight count), and no model where a plain loop wins."""

from __future__ import annotations

import made_up

from comparisons.records.cells import Cell, attach_baselines
from comparisons.records.ranking import verdict_rows
from comparisons.report.sections import answers
from comparisons.report.sections.context import Context

row = made_up.around


def line(cells: list[Cell]) -> str:
    # The first line: a line of variant names may follow.
    return answers.render(cells, Context())[0]


def span_of(backend: str, time_s: float, span: int) -> Cell:
    """A cpu.primes row of 32 tasks of `span` integers each."""
    key = f"cpu.primes|{backend}|w=2|t=32|span={span}"
    return row(backend, time_s, params={"span": span}, key=key)


def test_one_way_of_running_the_work_alone_at_the_top_is_decided():
    text = line([row("serial", 0.5, workers=1), row("processes", 0.25), row("threads", 0.5)])
    assert text.startswith("- **Pure-Python CPU work (a CPU-heavy batch job)**: **a process pool**")
    assert "(processes)" in text and "2.0x a plain loop" in text and text.endswith("*decided*")
    assert "the nearest model decided slower, threads, ×2.00" in text


def test_two_ways_within_the_band_are_tied_and_an_interval_across_its_edge_is_undecided():
    gil_free = {"category": "GIL-releasing CPU", "workload": "cpu.numpy"}
    tied = line([row("processes", 0.25, **gil_free), row("threads", 0.251, **gil_free)])
    assert "**a process pool** (processes) or **threads** (threads)" in tied
    assert tied.endswith("*tied*")
    unsure = line([row("processes", 0.25), row("threads", 0.28, spread=0.2)])
    assert unsure.endswith("*undecided*") and "undecided: threads" in unsure


def io(
    backend: str,
    time_s: float,
    level: int,
    workload: str = "io.http",
    category: str = "network I/O",
) -> Cell:
    return row(
        backend,
        time_s,
        workload=workload,
        kind="io",
        category=category,
        workers=level,
        tasks=level,
        in_flight=level,
    )


def test_an_answer_that_changes_with_the_tasks_in_flight_depends():
    text = line(
        [
            io("threads", 0.1, 16),
            io("asyncio", 0.2, 16),
            io("threads", 0.4, 1000),
            io("asyncio", 0.1, 1000),
        ]
    )
    assert "at 16 in flight **threads** (threads)" in text
    assert "at 1000 in flight **an event loop** (asyncio)" in text and text.endswith("*depends*")


def test_a_model_not_tried_at_every_count_does_not_make_the_answer_depend():
    mixed = {"workload": "mixed.pipeline", "kind": "mixed", "category": "mixed I/O + CPU"}

    def at(backend: str, time_s: float, level: int) -> Cell:
        return row(backend, time_s, workers=level, tasks=16, in_flight=level, **mixed)

    text = line(
        [
            at("processes", 0.3, 4),
            at("ray", 0.3, 4),
            at("threads", 0.6, 4),
            at("processes", 0.2, 16),
            at("threads", 0.5, 16),
        ]
    )
    assert "*depends*" not in text and text.endswith("*tied*")
    assert "**Ray worker processes** (ray)" in text


def test_where_every_model_loses_to_a_plain_loop_the_line_says_no_model():
    noop = {"workload": "overhead.noop", "kind": "overhead", "category": "tiny tasks", "tasks": 300}
    text = line(
        [
            row("serial", 0.004, workers=1, **noop),
            row("processes", 0.12, **noop),
            row("threads", 0.4, **noop),
        ]
    )
    assert "**Many tiny tasks**: **no model**: a plain loop is faster (3.99 ms)" in text
    assert "the fastest model at 2 in flight, processes, ×30.0 slower" in text


def test_verdict_rows_feed_one_line_per_kind_of_work():
    cells = [
        row("processes", 0.25),
        row("threads", 0.5),
        io("threads", 0.1, 16),
        io("asyncio", 0.3, 16),
    ]
    assert len(verdict_rows(cells)) == 2 and len(answers.render(cells, Context())) == 2


def test_tables_leave_out_the_columns_that_say_nothing_for_their_work():
    from comparisons.report.sections import workloads

    wait = {"workload": "io.sleep", "kind": "io", "category": "waiting I/O", "tasks": 3}
    rows = [row("serial", 6.0, workers=1, **wait), row("threads", 2.0, workers=3, **wait)]
    assert workloads.columns_to_leave_out(rows) == {"tasks/s", "per task", "efficiency"}
    table = "\n".join(workloads.render(rows, Context()))
    header = next(line for line in table.splitlines() if line.startswith("| #"))
    assert "tasks/s" not in header and "efficiency" not in header and "median" in header
    widths = {line.count("|") for line in table.splitlines() if line.startswith("|")}
    assert len(widths) == 1  # every row lost the same cells
    cpu = [row("serial", 0.5, workers=1), row("processes", 0.25)]
    assert workloads.columns_to_leave_out(cpu) == set()


def test_a_winning_variant_names_its_models_default_only_where_that_ties():
    def timers(backend: str, time_s: float) -> Cell:
        return io(backend, time_s, 1000, workload="io.sleep", category="waiting I/O")

    tied = answers.render(
        [timers("asyncio:uvloop", 0.100), timers("asyncio", 0.101), timers("trio", 0.2)],
        Context(),
    )
    assert "(asyncio:uvloop, stock asyncio tied)" in tied[0]
    assert tied[-1].startswith("Variants named above: `asyncio:uvloop`, the same asyncio code")
    slower = answers.render(
        [timers("asyncio:uvloop", 0.100), timers("asyncio", 0.15), timers("trio", 0.2)],
        Context(),
    )
    assert "(asyncio:uvloop)" in slower[0] and "stock asyncio" not in slower[0]


def test_a_default_tied_in_one_of_two_rows_is_named_with_that_row_only():
    def timers(backend: str, time_s: float, latency: float) -> Cell:
        made = io(backend, time_s, 1000, workload="io.sleep", category="waiting I/O")
        made["params"] = {"latency": latency}
        made["key"] = f"io.sleep|{backend}|{latency}"
        return made

    text = answers.render(
        [
            timers("asyncio:uvloop", 0.100, 0.05),
            timers("asyncio", 0.101, 0.05),
            timers("trio", 0.2, 0.05),
            timers("asyncio:uvloop", 0.300, 0.25),
            timers("asyncio", 0.45, 0.25),
            timers("trio", 0.6, 0.25),
        ],
        Context(),
    )[0]
    assert "(asyncio:uvloop; at io.sleep (1000 tasks, latency=0.05): stock asyncio tied)" in text


def test_sending_data_names_what_not_moving_it_costs_and_a_fork_inherited_input_says_so():
    transfer = {
        "workload": "overhead.transfer",
        "kind": "overhead",
        "category": "data transfer",
        "measures_transfer": True,
        "tasks": 8,
    }
    text = line(
        [
            row("ray", 0.095, **transfer),
            row("processes", 0.2, **transfer),
            row("threads", 0.0036, yardstick=True, **transfer),
        ]
    )
    assert "not moving the data at all, threads reads it in place in 3.59 ms" in text
    without = line([row("ray", 0.095, **transfer), row("processes", 0.2, **transfer)])
    assert "in place" not in without

    shared = {"workload": "cpu.shared", "category": "shared read-only input", "tasks": 16}
    forked = {"idiom": "x", "crossing": "inherited", "per_task_form": False}
    scattered = {"idiom": "x", "crossing": "once", "per_task_form": False}
    by_fork = line(
        [
            row("processes", 0.3, shared_input=forked, **shared),
            row("dask", 0.5, shared_input=scattered, **shared),
        ]
    )
    assert "processes inherited the input by fork (under spawn" in by_fork
    by_scatter = line(
        [
            row("processes", 0.5, shared_input=forked, **shared),
            row("dask", 0.3, shared_input=scattered, **shared),
        ]
    )
    assert "by fork" not in by_scatter


def test_a_kinds_other_rows_are_quoted_with_the_models_they_did_not_run():
    mixed = {"workload": "mixed.pipeline", "category": "mixed I/O + CPU", "tasks": 16}
    text = line(
        [
            row("processes", 0.38, workers=4, in_flight=4, **mixed),
            row("ray", 0.39, workers=4, in_flight=4, **mixed),
            row("threads", 0.6, workers=4, in_flight=4, **mixed),
            row("processes", 0.25, workers=16, in_flight=16, **mixed),
            row("threads", 0.5, workers=16, in_flight=16, **mixed),
        ]
    )
    assert "processes 379 ms on mixed.pipeline at 4 in flight" in text
    assert "mixed.pipeline at 16 in flight: processes 249 ms, the nearest decided slower, " in text
    assert "(ray not run there)" in text


def test_an_idiom_that_wins_only_some_of_a_kinds_rows_is_named_with_them():
    text = line(
        [
            span_of("serial", 1.0, 60),
            span_of("processes", 0.5, 60),
            span_of("processes:executor", 2.0, 60),
            span_of("threads", 1.0, 60),
            span_of("serial", 1.0, 7000),
            span_of("threads", 1.0, 7000),
            span_of("processes", 0.5, 7000),
            span_of("processes:executor", 0.49, 7000),
            span_of("trio:parallel", 0.5, 7000),
        ]
    )
    # The executor ties at the large tasks and loses at the small ones: qualified. Pool.map
    # wins both; trio:parallel wins the only row it ran in: both named plainly.
    # Both rows' serial loops take 1 s for 32 tasks; the row is named by its task size.
    assert "**a process pool** (processes, trio:parallel; at cpu.primes" in text
    assert "at cpu.primes, 32 tasks of 31.2 ms: processes:executor)" in text
    # The executor best in both rows: no row named.
    both = line(
        [
            span_of("serial", 1.0, 60),
            span_of("threads", 1.0, 60),
            span_of("processes:executor", 0.49, 60),
            span_of("serial", 1.0, 7000),
            span_of("threads", 1.0, 7000),
            span_of("processes:executor", 0.49, 7000),
        ]
    )
    assert "**a process pool** (processes:executor):" in both


def test_rows_of_one_task_size_that_carry_different_payloads_are_named_apart():
    def at(backend: str, time_s: float, kib: int) -> Cell:
        params = {"span": 1500, **({"kilobytes": kib} if kib else {})}
        key = f"cpu.primes|{backend}|w=2|t=32|kib={kib}"
        # As cpu.primes records it: the payload there and back.
        return row(backend, time_s, params=params, key=key, bytes_per_task=2 * kib * 2**10)

    text = line(
        [
            at("serial", 1.0, 0),
            at("processes", 0.5, 0),
            at("threads", 1.0, 0),
            at("serial", 1.0, 1024),
            at("processes", 2.0, 1024),
            at("threads", 1.0, 1024),
        ]
    )
    assert "32 tasks of 31.2 ms with 1.00 MiB each way" in text
    plain = "cpu.primes, 32 tasks of 31.2 ms"
    assert f"{plain} at" in text or f"{plain}:" in text


def test_a_buffer_each_worker_builds_is_no_payload_sent():
    # cpu.hash's kilobytes is the size of the buffer each task hashes (built and cached
    # by each process): its record carries no bytes per task, and no row says "each way".
    def at(backend: str, time_s: float, kib: int) -> Cell:
        key = f"cpu.hash|{backend}|w=2|t=32|kib={kib}"
        return row(
            backend,
            time_s,
            workload="cpu.hash",
            category="GIL-releasing CPU",
            params={"kilobytes": kib},
            key=key,
        )

    text = line(
        [
            at("serial", 1.0, 64),
            at("threads", 0.5, 64),
            at("processes", 0.9, 64),
            at("serial", 8.0, 512),
            at("threads", 4.0, 512),
            at("processes", 4.4, 512),
        ]
    )
    assert "cpu.hash, 32 tasks of" in text and "each way" not in text


def test_a_row_whose_best_is_undecided_against_a_plain_loop_crowns_no_one():
    text = line(
        [row("serial", 1.0, workers=1), row("threads", 1.0, spread=0.3), row("asyncio", 3.0)]
    )
    assert text.startswith(
        "- **Pure-Python CPU work (a CPU-heavy batch job)**: **no model decided faster than a "
        "plain loop**"
    )


def test_a_row_whose_best_is_no_faster_than_a_plain_loop_says_so_in_its_evidence():
    text = line(
        [
            span_of("serial", 1.0, 1500),
            span_of("processes", 0.5, 1500),
            span_of("threads", 1.0, 1500),
            span_of("serial", 0.1, 15),
            span_of("processes", 0.2, 15),
            span_of("threads", 0.104, 15),
        ]
    )
    # At the small tasks threads are best, 4% behind the plain loop: within the band.
    assert "threads 104 ms" in text and "0.96x a plain loop: no faster" in text, text
    # ... so the line crowns the loop there, not threads: they only tie with it.
    assert "**a process pool** (at cpu.primes, 32 tasks of 31.2 ms: processes)" in text
    assert "**a plain loop** (tied with it: at cpu.primes, 32 tasks of 3.12 ms: threads)" in text
    assert "**threads**" not in text


def test_a_model_that_beats_a_plain_loop_somewhere_is_still_crowned_there():
    text = line(
        [
            span_of("serial", 1.0, 1500),
            span_of("processes", 1.2, 1500),
            span_of("threads", 0.5, 1500),
            span_of("serial", 0.1, 15),
            span_of("processes", 0.2, 15),
            span_of("threads", 0.104, 15),
        ]
    )
    # Threads win outright at one size (2x the loop) and only tie with it at the other:
    # named as a winner where they won, as tied with the loop where they tied.
    assert "**threads** (" in text and "**a plain loop** (tied with it: " in text, text


def test_a_plain_loop_exposed_as_unreliable_gives_no_ratio_on_the_front_page():
    two = {"env": {"usable_cores": 2}}
    made = [row("serial", 1.0, workers=1, **two), row("processes", 0.3, **two), row("threads", 1.0)]
    text = line(attach_baselines(made))
    # 3.3x on 2 cores: the loop ran slow, and no "3.3x a plain loop" is published.
    assert "no ratio to a plain loop (its time was exposed as unreliable)" in text
    assert "3.3x a plain loop" not in text
