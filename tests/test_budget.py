"""The budget of a TARGET run is kept: planned from what each model costs on this machine,
and enforced while the cells run (cells that no longer fit are left out with the reason,
a started one is stopped at the end), with the report saying what was cut."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import pytest
from made_up import cell, record

from comparisons.backends import model_names
from comparisons.cell.contract import CellSpec
from comparisons.cell.outcome import Status
from comparisons.records.store import append_record, load_records
from comparisons.report.sections.target import _budget
from comparisons.run.budget import SKIP_PREFIX, STOP_PREFIX, Deadline, by_priority
from comparisons.run.runner import run_order, run_suite, start_run
from comparisons.target.costs import REFERENCE, Costs, costs_of, lookup, measured_costs
from comparisons.target.plan import cell_estimate_s, plan_target

BLUR = "target:examples/blur.py:blur"


@pytest.fixture(autouse=True)
def _restore_paths(monkeypatch):
    """Planning for a target loads it, which puts its directory on sys.path and
    PYTHONPATH: undo it after, as tests/test_target.py does."""
    monkeypatch.setenv("PYTHONPATH", os.environ.get("PYTHONPATH", ""))
    monkeypatch.setattr(sys, "path", list(sys.path))


MACHINE = {"cpu_model": "Made-up CPU", "usable_cores": 2}
PYTHON = "/made-up/bin/python"


def _noop(backend: str, per_task_s: float, **fields) -> dict:
    return record(
        **{
            "workload": "overhead.noop",
            "backend": backend,
            "tasks": 300,
            "samples_s": [per_task_s * 300] * 3,
            "python": PYTHON,
            **fields,
        }
    )


# --- what each model costs ----------------------------------------------------------


def test_costs_come_from_the_empty_task_cells_and_every_cell_s_set_up():
    records = [
        _noop("dask", 2e-3, setup_s=1.0, teardown_s=0.5, cell_wall_s=6.0, warmup_s=[0.6]),
        _noop("threads", 1e-5, setup_s=0.0, teardown_s=0.0, cell_wall_s=1.0, warmup_s=[0.003]),
        record(backend="ray", setup_s=4.0, teardown_s=1.0, cell_wall_s=12.0, warmup_s=[1.0]),
        record(backend="dask", status=Status.ERROR, samples_s=[]),
    ]
    costs = costs_of(records)
    assert costs is not None
    assert abs(costs.per_task_s["dask"] - 2e-3) < 1e-12
    assert costs.setup_s["dask"] == 1.5 and costs.setup_s["ray"] == 5.0
    # Wall time beyond set-up and the timed runs: 12 - 5 - 3 x 1 s - 1 s of warm-up.
    assert abs(costs.overhead_s["ray"] - 3.0) < 1e-9
    # Ray had no empty-task cell here: its per-task cost is the reference VM's.
    assert "ray" not in costs.per_task_s
    assert lookup(costs, "per_task_s", "ray") == REFERENCE.per_task_s["ray"]
    assert costs_of([record(backend="ray")]) is None


def test_a_variant_without_a_figure_costs_what_its_model_does():
    costs = Costs(per_task_s={"dask": 5e-3}, setup_s={}, overhead_s={})
    assert lookup(costs, "per_task_s", "dask:processes") == 5e-3
    assert lookup(costs, "setup_s", "threads") == 0.0
    assert lookup(REFERENCE, "per_task_s", "subinterpreters") > lookup(
        REFERENCE, "per_task_s", "processes"
    )


def _run(root: Path, name: str, machine: dict, records: list[dict]) -> None:
    run = root / name
    run.mkdir(parents=True)
    (run / "env.json").write_text(json.dumps({"environment": machine}))
    for r in records:
        append_record(run / "records.jsonl", r)


def test_the_newest_run_of_this_machine_with_empty_tasks_sets_the_costs(tmp_path):
    assert measured_costs(tmp_path, MACHINE, PYTHON) is REFERENCE
    _run(tmp_path, "20260101-000000-default-aaaa", MACHINE, [_noop("dask", 1e-3)])
    _run(tmp_path, "20260102-000000-default-bbbb", MACHINE, [_noop("dask", 3e-3)])
    # Newer, but its cells ran under another interpreter.
    other_python = [_noop("dask", 7e-3, python="/opt/python3.13")]
    _run(tmp_path, "20260102-100000-default-ffff", MACHINE, other_python)
    # Newer, but another machine's, and a newer run of this one without empty tasks.
    other = {**MACHINE, "usable_cores": 64}
    _run(tmp_path, "20260103-000000-default-cccc", other, [_noop("dask", 9e-3)])
    _run(tmp_path / "reference", "20260104-000000-target-dddd", MACHINE, [record()])
    costs = measured_costs(tmp_path, MACHINE, PYTHON)
    assert "20260102-000000-default-bbbb" in costs.source
    assert abs(costs.per_task_s["dask"] - 3e-3) < 1e-12


# --- the plan -------------------------------------------------------------------------


def _found(task_s: float) -> dict:
    return {"target": BLUR, "work": "gil", "task_s": task_s, "async_forms": {}}


def test_a_tiny_function_is_planned_with_each_model_s_dispatch_cost():
    # 0.1 µs a task: 10,000 tasks are 1 ms of work, and seconds of Dask's dispatch.
    found = _found(1e-7)
    plan = plan_target(found, budget_s=60, cores=2)
    dask = next(c for c in plan.cells if c.backend == "dask")
    per_run = dask.tasks * REFERENCE.per_task_s["dask"]
    assert cell_estimate_s(dask, found, 2) >= (dask.warmups + dask.repeats) * per_run
    assert plan.estimate_s <= 60
    assert {c.backend for c in plan.cells} >= set(model_names())
    # Without the dispatch cost the same plan would have kept every task.
    free = Costs(dict.fromkeys(REFERENCE.per_task_s, 0.0), {}, {})
    assert plan_target(found, budget_s=60, cores=2, costs=free).cells[0].tasks > dask.tasks


# --- keeping it while the cells run ------------------------------------------------


def _spec(backend: str, invocation: int = 0, **fields) -> CellSpec:
    return CellSpec(
        "overhead.noop",
        backend,
        1 if backend == "serial" else 2,
        8,
        repeats=1,
        invocation=invocation,
        invocations=2,
        **fields,
    )


def test_a_cell_that_no_longer_fits_is_named_and_a_started_one_is_bounded():
    deadline = Deadline.after(30.0, 60.0, lambda spec: 40.0 if spec.backend == "ray" else 5.0)
    assert deadline.why_not(_spec("threads")) is None
    why = deadline.why_not(_spec("ray"))
    assert why is not None and why.startswith(SKIP_PREFIX) and "about 40 s needed" in why
    assert deadline.bounded(_spec("threads", timeout_s=600)).timeout_s <= 30.0
    # What an earlier process of the cell took replaces the estimate.
    deadline.learn(_spec("ray"), 3.0)
    assert deadline.why_not(_spec("ray", invocation=1)) is None
    assert Deadline.after(0.0, 60.0, lambda spec: 0.1).why_not(_spec("threads")) is not None


def test_within_each_round_models_go_before_the_ceiling_and_the_variants():
    cells = [
        _spec(b)
        for b in ("processes:executor", "ceiling", "threads", "serial", "dask", "ray:batched")
    ]
    order = by_priority(run_order(cells, seed=3))
    rounds = [[c.backend for c in order if c.invocation == n] for n in (0, 1)]
    assert [c.invocation for c in order] == [0] * 6 + [1] * 6
    for backends in rounds:
        assert backends[0] == "serial"
        assert set(backends[1:3]) == {"threads", "dask"} and backends[3] == "ceiling"
        assert set(backends[4:]) == {"processes:executor", "ray:batched"}


def test_a_run_under_a_deadline_skips_what_does_not_fit_and_stops_what_overruns(tmp_path):
    """Real cells: serial fits; Ray is estimated beyond the budget and is left out with
    the reason; a 30 s wait is started with 6 s left and stopped there."""
    sleep = CellSpec("io.sleep", "threads", 2, 2, {"latency": 30.0}, repeats=1, warmups=0)
    cells = [_spec("serial"), _spec("ray"), sleep]
    guesses = {"serial": 1.0, "ray": 1000.0, "threads": 2.0}
    suite = {"name": "target", "path": "", "seed": 1}
    run_dir = start_run(cells, suite=suite, results_root=tmp_path)
    deadline = Deadline.after(8.0, 10.0, lambda spec: guesses[spec.backend])
    begin = time.monotonic()
    run_suite(run_dir, cells, suite=suite, deadline=deadline)
    assert time.monotonic() - begin < 60  # the 30 s wait did not run out its 30 s x 2
    records = load_records(run_dir / "records.jsonl")
    by = {(r["backend"], r["invocation"]): r for r in records}
    assert by[("serial", 0)]["status"] == Status.OK
    assert by[("ray", 0)]["status"] == Status.SKIPPED
    assert by[("ray", 0)]["error"].startswith(SKIP_PREFIX)
    stopped = by[("threads", 0)]
    assert stopped["status"] == Status.TIMEOUT and stopped["error"].startswith(STOP_PREFIX)
    # Ray's second process is not run once its first was left out for time, and nothing
    # runs after the deadline.
    assert ("ray", 1) not in by or by[("ray", 1)]["status"] == Status.SKIPPED


# --- what the report says -----------------------------------------------------------


def test_the_report_says_what_the_budget_cut_and_whose_costs_planned_it():
    suite = {"budget_s": 60.0, "estimate_s": 55.0, "costs_from": "run X of this machine"}
    cells = [
        cell(
            backend="serial",
            workers=1,
            started_at="2026-01-01T00:00:00+00:00",
            finished_at="2026-01-01T00:00:50+00:00",
        ),
        cell(backend="ray", status=Status.SKIPPED, error=f"{SKIP_PREFIX} (60 s): about 9 s"),
        cell(backend="dask", invocations=2),
    ]
    lines = _budget(suite, cells)
    assert "each model's costs from run X of this machine" in lines[0]
    assert "took 50 s" in lines[0]
    assert "1 not started: ray at 2" in lines[1]
    assert "1 with fewer fresh processes than planned: dask at 2" in lines[1]
    assert len(_budget(suite, cells[:1])) == 1
