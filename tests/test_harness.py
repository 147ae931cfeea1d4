"""The harness survives what cells do: timeouts kill the whole tree, crashes are recorded."""

from __future__ import annotations

import psutil
import pytest

from comparisons.cell.contract import CellSpec
from comparisons.run.harness import run_cell


def own_descendants() -> list[psutil.Process]:
    return [
        p
        for p in psutil.Process().children(recursive=True)
        if p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    ]


@pytest.mark.parametrize("backend", ["processes", "ray"])
def test_a_hung_cell_times_out_and_its_whole_tree_is_ended(backend):
    spec = CellSpec(
        "io.sleep",
        backend,
        workers=2,
        tasks=2,
        params={"latency": 120.0},
        repeats=1,
        warmups=0,
        timeout_s=6 if backend == "ray" else 2,
    )
    record = run_cell(spec)
    assert record["status"] == "timeout"
    assert "timeout" in record["error"]
    assert record["samples_s"] == [] and record["stats"] is None
    assert record["peak_processes"] > 1  # the pool or the Ray daemons were running
    assert own_descendants() == []


def test_a_cell_that_dies_without_a_result_is_an_error_with_its_exit_code():
    spec = CellSpec("io.sleep", "threads", workers=2, tasks=2, params={"latency": 0.0})
    record = run_cell(spec, python="/bin/false")
    assert record["status"] == "error"
    assert record["exit_code"] == 1 and "no result" in record["error"]
    assert record["verification"]["ok"] is False


def test_short_runs_are_looped_until_a_repeat_lasts_long_enough():
    spec = CellSpec(
        "cpu.primes",
        "serial",
        workers=1,
        tasks=2,
        params={"span": 50},
        repeats=3,
        warmups=1,
        min_repeat_s=0.05,
    )
    record = run_cell(spec)
    assert record["status"] == "ok", record["error"]
    assert record["loops"] > 1
    assert record["verification"]["repeats_checked"] == 1 + 3 * record["loops"]
    # Each sample is the time of one run of the tasks, not of the whole loop.
    assert max(record["samples_s"]) * record["loops"] >= 0.05 * 0.5


def test_a_model_that_cannot_run_that_many_workers_is_skipped_with_its_reason():
    spec = CellSpec("io.sleep", "processes", workers=1_000_000, tasks=2, params={"latency": 0.0})
    record = run_cell(spec)
    assert record["status"] == "skipped"
    assert "1000000 processes worker processes would need" in record["error"]
    assert record["samples_s"] == [] and record["exit_code"] is None
    assert own_descendants() == []


def test_a_cell_killed_by_a_signal_is_an_error_naming_the_signal(tmp_path):
    crasher = tmp_path / "segfaulting-python"
    crasher.write_text("#!/bin/sh\nkill -SEGV $$\n")
    crasher.chmod(0o755)
    spec = CellSpec("io.sleep", "threads", workers=2, tasks=2, params={"latency": 0.0})
    record = run_cell(spec, python=str(crasher))
    assert record["status"] == "error"
    assert "was killed by SIGSEGV" in record["error"]
    assert own_descendants() == []
