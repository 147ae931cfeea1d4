"""Subinterpreters (PEP 734) as a model: under the newest CPython 3.13+ on this machine
(its environment prepared by `make python-env`, which installs the interpreters-pep-734
backport on 3.13), real cells run verified, a NumPy workload is skipped with NumPy's own
reason, and the three fault probes say what the caller sees. Under an older Python the
cells are skipped before anything starts, saying which version is needed.
"""

from __future__ import annotations

import dataclasses
import sys

import pytest
from python_helper import other_cpython, prepared

from comparisons.backends.subinterpreters import InterpreterPoolBackend
from comparisons.cell.contract import CellSpec
from comparisons.run.harness import run_cell
from workloads import load_workload

NEWER = other_cpython((3, 13)) if sys.version_info < (3, 13) else sys.executable
needs_newer = pytest.mark.skipif(NEWER is None, reason="no CPython 3.13+ on this machine")


def cell(workload: str, params: dict | None = None, **settings) -> dict:
    python = prepared(NEWER) if NEWER != sys.executable else NEWER
    spec = CellSpec(
        workload,
        "subinterpreters",
        settings.pop("workers", 2),
        settings.pop("tasks", 4),
        params=params or {},
        repeats=settings.pop("repeats", 2),
        warmups=settings.pop("warmups", 1),
        timeout_s=settings.pop("timeout_s", 120),
    )
    return run_cell(spec, python=python)


def test_an_older_python_is_refused_before_anything_starts_with_the_version_needed():
    reason = InterpreterPoolBackend.too_old((3, 11, 7))
    assert reason is not None
    assert reason.startswith("subinterpreters needs Python 3.13+")
    assert "ran under 3.11.7" in reason and "PYTHON=<a 3.13+ interpreter>" in reason
    assert InterpreterPoolBackend.too_old((3, 13, 0)) is None
    assert InterpreterPoolBackend.too_old((3, 14, 1)) is None


@pytest.mark.skipif(sys.version_info >= (3, 13), reason="this Python runs subinterpreters")
def test_cells_under_this_older_python_are_skipped_with_the_reason():
    record = run_cell(CellSpec("cpu.mandelbrot", "subinterpreters", 2, 4, repeats=1))
    assert record["status"] == "skipped"
    assert "needs Python 3.13+" in record["error"]
    assert record["exit_code"] is None  # no cell process was started


def test_a_function_defined_in_main_is_refused_with_what_to_do():
    workload = load_workload("overhead.noop")

    def identity(item: int) -> int:
        return item

    identity.__module__ = "__main__"
    reason = InterpreterPoolBackend(2).cannot_run_workload(
        dataclasses.replace(workload, sync=identity)
    )
    assert reason is not None and "__main__" in reason and "move it into a module" in reason


@needs_newer
@pytest.mark.parametrize(
    ("workload", "params"),
    [
        ("cpu.primes", {"span": 500}),
        ("io.http", {"delay": 0.01, "kilobytes": 2}),
        ("overhead.bytes", {"kilobytes": 64}),
    ],
)
def test_cpu_network_and_transfer_work_runs_verified_in_subinterpreters(workload, params):
    record = cell(workload, params)
    assert record["status"] == "ok", record["error"]
    assert record["verification"]["ok"] and record["verification"]["repeats_checked"] == 3
    implementation = record["backend_info"]["implementation"]
    assert implementation == "stdlib" or implementation.startswith("interpreters-pep-734 ")
    assert tuple(map(int, record["env"]["python"]["version"].split(".")[:2])) >= (3, 13)
    assert record["leftover_processes"] == []


@needs_newer
def test_a_numpy_workload_is_skipped_with_numpys_reason():
    record = cell("cpu.numpy", {"size": 16, "products": 3})
    assert record["status"] == "skipped"
    assert "workloads.cpu_numpy does not import in a subinterpreter" in record["error"]
    assert "numpy" in record["error"]


@needs_newer
def test_a_raising_task_reaches_the_caller_from_another_interpreter():
    finding = cell("fault.raise", workers=4, repeats=1, warmups=0, timeout_s=60)["fault"]
    assert finding["outcome"] == "raised", finding
    assert finding["message_reached_caller"] and finding["others_completed"] == 3


@needs_newer
def test_a_crashing_task_takes_the_whole_process_down():
    record = cell("fault.crash", workers=4, repeats=1, warmups=0, timeout_s=60)
    assert record["fault"]["outcome"] == "program died", record["fault"]
    assert record["exit_code"] == 3


@needs_newer
def test_a_hung_task_is_timed_out_and_its_interpreter_keeps_running():
    finding = cell("fault.hang", {"patience": 2.0}, workers=4, repeats=1, warmups=0, timeout_s=60)[
        "fault"
    ]
    assert finding["outcome"] == "timed out", finding
    assert finding["hung_task_still_running"] is True
    assert finding["others_completed"] == 3


# --- free-threaded builds: what can be tested without one ---------------------------


def test_the_gil_is_read_from_the_interpreter_and_reported_with_the_build(monkeypatch):
    from comparisons.measure.environment import gil_enabled
    from comparisons.report.sections.machine import python_build

    monkeypatch.setattr(sys, "_is_gil_enabled", lambda: False, raising=False)
    assert gil_enabled() is False
    monkeypatch.setattr(sys, "_is_gil_enabled", lambda: True, raising=False)
    assert gil_enabled() is True
    monkeypatch.delattr(sys, "_is_gil_enabled", raising=False)
    assert gil_enabled() is True  # before 3.13 there is no switch: the GIL is on

    free = {"gil_disabled_build": True, "gil_enabled": False}
    assert python_build(free) == "free-threaded build, GIL disabled"
    assert "re-enabled" in python_build({**free, "gil_enabled": True})
    assert python_build({"gil_disabled_build": False, "gil_enabled": True}) == "GIL enabled"


def test_a_pool_that_fails_to_start_says_what_its_initializer_raised():
    # The executor only logs an initializer's exception; the set-up error must carry it.
    # A thread pool fails the same way an interpreter pool does (BrokenExecutor).
    from concurrent.futures import BrokenExecutor, ThreadPoolExecutor
    from functools import partial

    def boom() -> None:
        raise RuntimeError("no interpreter for you")

    with pytest.raises(BrokenExecutor, match="RuntimeError: no interpreter for you"):
        InterpreterPoolBackend(2)._started(partial(ThreadPoolExecutor, initializer=boom))
