"""One cell, measured inside its own fresh interpreter (the child side of the harness).

A cell is one (workload, backend, workers, tasks, params) point. `measure_cell` sets the
model up (timed as set-up), runs warm-ups, then the measured repeats, each timed with
`time.perf_counter()` around the backend's `run` only and each verified against the
workload's expected results, then tears the model down (timed). It also reads the CPU
seconds the cell's process tree spent in each repeat. `comparisons.harness` starts this
in a subprocess (`python -m comparisons _cell SPEC RESULT`) and adds what can only be
seen from outside: peak memory of the whole tree, timeouts, crashes.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import psutil

from comparisons.backends import backend_class
from comparisons.environment import capture_environment
from workloads import load_workload


@dataclass(frozen=True)
class CellSpec:
    """Everything that defines a cell; its `key` identifies it across runs."""

    workload: str
    backend: str
    workers: int
    tasks: int
    params: dict[str, Any] = field(default_factory=dict)
    repeats: int = 5
    warmups: int = 1
    timeout_s: float = 600.0

    @property
    def key(self) -> str:
        params = ",".join(f"{k}={self.params[k]}" for k in sorted(self.params))
        return f"{self.workload}|{self.backend}|w={self.workers}|t={self.tasks}|{params}"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CellSpec:
        return cls(**data)


def tree_cpu_seconds() -> float:
    """User+system CPU seconds of this process, its reaped children and live descendants."""
    me = psutil.Process()
    times = me.cpu_times()
    total = times.user + times.system + times.children_user + times.children_system
    for child in me.children(recursive=True):
        try:
            child_times = child.cpu_times()
        except psutil.Error:
            continue  # exited between listing and reading: its time is lost, not doubled
        total += child_times.user + child_times.system
    return total


def measure_cell(spec: CellSpec) -> dict[str, Any]:
    """Set up, warm up, measure, verify and tear down one cell; return the raw results."""
    workload = load_workload(spec.workload)
    params = workload.resolve_params(spec.params)
    inputs = workload.make_inputs(spec.tasks, params)
    expected = workload.expected(spec.tasks, params)
    backend = backend_class(spec.backend)(spec.workers)

    outcome: dict[str, Any] = {
        "params": params,
        "samples_s": [],
        "cpu_s": [],
        "verification": {"ok": False, "detail": "not run", "repeats_checked": 0},
        "setup_s": None,
        "teardown_s": None,
        "error": None,
    }
    started = time.perf_counter()
    try:
        backend.setup()
    except BaseException:
        outcome["error"] = "set-up failed: " + traceback.format_exc(limit=8)
        _safe_teardown(backend, outcome)
        return outcome
    outcome["setup_s"] = time.perf_counter() - started

    try:
        checked = 0
        for repeat in range(spec.warmups + spec.repeats):
            cpu_before = tree_cpu_seconds()
            begin = time.perf_counter()
            results = backend.run(workload, inputs)
            elapsed = time.perf_counter() - begin
            cpu_spent = tree_cpu_seconds() - cpu_before
            verdict = workload.verify(results, expected)
            checked += 1
            outcome["verification"] = {
                "ok": verdict.ok,
                "detail": verdict.detail,
                "repeats_checked": checked,
            }
            if not verdict.ok:
                outcome["error"] = f"verification failed on repeat {repeat}: {verdict.detail}"
                break
            if repeat >= spec.warmups:
                outcome["samples_s"].append(elapsed)
                outcome["cpu_s"].append(cpu_spent)
        outcome["backend_info"] = backend.describe()
    except BaseException:
        outcome["error"] = "run failed: " + traceback.format_exc(limit=8)
    _safe_teardown(backend, outcome)
    return outcome


def _safe_teardown(backend: Any, outcome: dict[str, Any]) -> None:
    begin = time.perf_counter()
    try:
        backend.teardown()
    except BaseException:
        if outcome["error"] is None:
            outcome["error"] = "teardown failed: " + traceback.format_exc(limit=8)
        return
    outcome["teardown_s"] = time.perf_counter() - begin


def cell_main(spec_path: str, result_path: str) -> int:
    """Entry point of the cell subprocess: read the spec, measure, write the result."""
    spec = CellSpec.from_json(json.loads(Path(spec_path).read_text()))
    try:
        outcome = measure_cell(spec)
    except BaseException:
        outcome = {"error": "cell failed: " + traceback.format_exc(limit=8)}
    outcome["env"] = capture_environment()
    # Written to a file rather than stdout: Ray and Dask may print there.
    Path(result_path).write_text(json.dumps(outcome, default=repr))
    sys.stdout.flush()
    return 0
