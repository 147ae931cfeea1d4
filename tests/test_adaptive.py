"""Extra invocations for verdict rows still in doubt: which cells get them, and the
runner's rounds (numbering, budget, the cap on rounds). Rows come from records built
here, one per invocation, as a run writes them; the rule is the test's subject."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import made_up
from rich.console import Console

from comparisons.cell.contract import CellSpec
from comparisons.measure.stats import Ratio
from comparisons.records.schema import Record
from comparisons.records.store import append_record, load_records
from comparisons.run.adaptive import (
    MAX_EXTRA_ROUNDS,
    contested_keys,
    contested_rows,
    in_doubt,
    unreliable_yardsticks,
)
from comparisons.run.runner import run_extra_rounds


def invocation(backend: str, number: int, median: float, spread: float) -> Record:
    """One process's record of cpu.primes at 2 in flight: three samples around `median`."""
    return made_up.record(
        backend=backend,
        invocation=number,
        invocations=3,
        samples_s=[median * (1 + spread * k) for k in (-1, 0, 1)],
        warmup_s=[median],
    )


def cell(backend: str, medians: list[float], spread: float = 0.002) -> list[Record]:
    return [invocation(backend, i, m, spread) for i, m in enumerate(medians)]


def test_an_interval_across_the_band_edge_is_in_doubt_one_on_either_side_is_not():
    assert in_doubt(interval(1.02, 1.2))
    assert not in_doubt(interval(1.01, 1.08))  # a tie, settled
    assert not in_doubt(interval(1.15, 1.3))  # slower, settled


def interval(low: float, high: float) -> Ratio:
    return Ratio((low + high) / 2, low, high, significant=low > 1, meaningful=False)


def test_a_settled_row_gets_nothing():
    clear_winner = cell("processes", [1.0, 1.0, 1.0]) + cell("threads", [2.0, 2.0, 2.0])
    assert contested_keys(clear_winner) == []
    clear_tie = cell("processes", [1.0, 1.0, 1.0]) + cell("threads", [1.01, 1.0, 1.02])
    assert contested_keys(clear_tie) == []


def test_a_row_in_doubt_names_its_best_cell_and_the_one_compared_with_it():
    # threads' three processes at 1.0, 1.1 and 1.3 x processes: its margin's interval
    # straddles 1.1, so one more process of each could settle "tie" or "slower".
    doubtful = cell("processes", [1.0, 1.0, 1.0]) + cell("threads", [1.0, 1.1, 1.3])
    doubtful += cell("ray", [3.0, 3.0, 3.0])  # far behind the runner-up: never in doubt
    assert contested_keys(doubtful) == [
        "cpu.primes|processes|w=2|t=32|",
        "cpu.primes|threads|w=2|t=32|",
    ]


def specs() -> list[CellSpec]:
    return [CellSpec("cpu.primes", b, 2, 32, invocations=3) for b in ("processes", "threads")]


def rounds(tmp_path: Path, records: list[dict[str, Any]], budget_s: float) -> list[tuple]:
    """Run the extra rounds with a `run_one` that writes what a run of that cell gave
    (its last invocation's record again, as the next invocation); the calls made."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "records.jsonl"
    for record in records:
        append_record(path, record)
    calls: list[tuple[str, int]] = []
    run_extra_rounds(
        specs(), path, budget_s, {"seed": 1}, copying_run_one(path, calls), Console(quiet=True)
    )
    return calls


def copying_run_one(path: Path, calls: list[tuple[str, int]]) -> Callable[[CellSpec, str], None]:
    """A `run_one` that records the call and writes the cell's last record again as its
    next invocation."""

    def run_one(spec: CellSpec, label: str) -> None:
        calls.append((spec.backend, spec.invocation))
        last = max(
            (
                r
                for r in load_records(path)
                if r["backend"] == spec.backend and r["workload"] == spec.workload
            ),
            key=lambda r: r["invocation"],
        )
        append_record(path, {**last, "invocation": spec.invocation})

    return run_one


def test_rounds_number_the_extra_processes_after_the_planned_ones_and_stop_at_the_cap(tmp_path):
    doubtful = cell("processes", [1.0, 1.0, 1.0]) + cell("threads", [1.0, 1.1, 1.3])
    calls = rounds(tmp_path, doubtful, budget_s=600)
    # The rewritten copies leave the row in doubt, so every round runs both cells.
    assert len(calls) == 2 * MAX_EXTRA_ROUNDS
    assert sorted(calls) == sorted(
        (b, 3 + n) for b in ("processes", "threads") for n in range(MAX_EXTRA_ROUNDS)
    )


def test_no_round_runs_when_nothing_is_in_doubt_or_no_budget_is_left(tmp_path):
    settled = cell("processes", [1.0, 1.0, 1.0]) + cell("threads", [2.0, 2.0, 2.0])
    assert rounds(tmp_path / "a", settled, budget_s=600) == []
    doubtful = cell("processes", [1.0, 1.0, 1.0]) + cell("threads", [1.0, 1.1, 1.3])
    assert rounds(tmp_path / "b", doubtful, budget_s=0) == []


def test_rows_come_most_ambiguous_first_and_each_row_whole():
    # By the verdict's estimator (the lower quartile of each cell's repeats) threads sits
    # on the edge (point 1.10); ray is in doubt but far from it (point 1.00, interval to 1.6).
    near = cell("processes", [1.0, 1.0, 1.0]) + cell("threads", [1.1, 1.1, 1.2])
    far = [
        {**r, "key": r["key"].replace("cpu.primes", "cpu.hash"), "workload": "cpu.hash"}
        for r in cell("serial", [1.0, 1.0, 1.0]) + cell("ray", [1.0, 1.3, 1.6])
    ]
    far = [r for r in far if r["backend"] == "ray"] + [
        {**r, "key": r["key"].replace("cpu.primes", "cpu.hash"), "workload": "cpu.hash"}
        for r in cell("processes", [1.0, 1.0, 1.0])
    ]
    rows = contested_rows(far + near)
    assert rows[0] == ["cpu.primes|processes|w=2|t=32|", "cpu.primes|threads|w=2|t=32|"]
    assert rows[1] == ["cpu.hash|processes|w=2|t=32|", "cpu.hash|ray|w=2|t=32|"]


def on(workload: str, records: list[Record], wall_s: float) -> list[Record]:
    """The records as another workload's, each invocation taking `wall_s`."""
    return [
        {
            **r,
            "key": r["key"].replace("cpu.primes", workload),
            "workload": workload,
            "cell_wall_s": wall_s,
        }
        for r in records
    ]


def test_a_cheap_row_comes_before_a_costly_one_and_a_row_past_the_budget_is_passed_over(
    tmp_path,
):
    # Both rows equally in doubt; one more process of the costly row's cells takes 60 s
    # (Ray's start-up), of the cheap row's 2 s.
    doubtful = cell("processes", [1.0, 1.0, 1.0]) + cell("threads", [1.0, 1.1, 1.3])
    costly = on("cpu.hash", doubtful, 60.0)
    cheap = on("cpu.numpy", doubtful, 2.0)
    rows = contested_rows(costly + cheap)
    assert [row[0].split("|")[0] for row in rows] == ["cpu.numpy", "cpu.hash"]
    path = tmp_path / "records.jsonl"
    for record in costly + cheap:
        append_record(path, record)
    calls: list[tuple[str, int]] = []
    cells = [
        CellSpec(w, b, 2, 32, invocations=3)
        for w in ("cpu.hash", "cpu.numpy")
        for b in ("processes", "threads")
    ]
    ran: list[str] = []

    def run_one(spec: CellSpec, label: str) -> None:
        ran.append(spec.workload)
        copying_run_one(path, calls)(spec, label)

    # 30 s of budget: the cheap row runs (4 s a round), the costly one (120 s) never.
    run_extra_rounds(cells, path, 30, {"seed": 1}, run_one, Console(quiet=True))
    assert ran and set(ran) == {"cpu.numpy"}


TWO_CORES = {"usable_cores": 2, "logical_cores": 2}


def timed(backend: str, medians: list[float], workers: int = 2) -> list[Record]:
    """A cell's processes on a recorded two-core machine (the speedup's bound)."""
    return [
        {**r, "workers": workers, "in_flight": workers, "env": TWO_CORES}
        for r in cell(backend, medians)
    ]


def keyed(records: list[Record]) -> list[Record]:
    return [{**r, "key": r["key"].replace("w=2", f"w={r['workers']}")} for r in records]


def test_a_serial_cell_an_impossible_speedup_exposed_is_measured_again():
    # serial at 0.56 s, processes at 0.25 s with two workers on two cores: 2.24x.
    broken = keyed(timed("serial", [0.56] * 3, workers=1) + timed("processes", [0.25] * 3))
    assert unreliable_yardsticks(broken) == ["cpu.primes|serial|w=1|t=32|"]
    sound = keyed(timed("serial", [0.48] * 3, workers=1) + timed("processes", [0.25] * 3))
    assert unreliable_yardsticks(sound) == []


def test_a_beaten_ceiling_is_measured_again():
    loop = timed("serial", [1.5] * 3, workers=1)  # shares of the ceiling ride on a baseline
    beaten = keyed(loop + timed("ceiling", [1.0] * 3) + timed("processes", [0.8] * 3))
    assert unreliable_yardsticks(beaten) == ["cpu.primes|ceiling|w=2|t=32|"]
    held = keyed(loop + timed("ceiling", [1.0] * 3) + timed("processes", [1.2] * 3))
    assert unreliable_yardsticks(held) == []


def test_an_unreliable_yardstick_runs_before_the_rows_in_doubt(tmp_path):
    records = keyed(
        timed("serial", [0.56] * 3, workers=1)
        + timed("processes", [0.25] * 3)
        + timed("threads", [0.25, 0.275, 0.325])  # in doubt against processes
    )
    path = tmp_path / "records.jsonl"
    for record in records:
        append_record(path, record)
    calls: list[tuple[str, int]] = []
    specs = [
        CellSpec("cpu.primes", "serial", 1, 32, invocations=3),
        *(CellSpec("cpu.primes", b, 2, 32, invocations=3) for b in ("processes", "threads")),
    ]
    run_extra_rounds(
        specs, path, 600, {"seed": 1}, copying_run_one(path, calls), Console(quiet=True)
    )
    # The copies leave both as they were: each round re-runs the serial cell first.
    assert calls[0] == ("serial", 3) and calls[3] == ("serial", 4)
    assert sorted(calls[1:3]) == [("processes", 3), ("threads", 3)]
    assert len(calls) == 3 * MAX_EXTRA_ROUNDS
    # No budget, no extra process, however broken the yardstick.
    calls.clear()
    run_extra_rounds(specs, path, 0, {"seed": 1}, copying_run_one(path, calls), Console(quiet=True))
    assert calls == []
