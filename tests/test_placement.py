"""Your function on the map: the newest task-size map of this machine is found (another
machine's or another suite's is not), and the report places the function's task time
among its boundaries, saying whether the function's own race agrees. Made-up maps and
cells: the placement rule is the subject."""

from __future__ import annotations

import json
from pathlib import Path

import made_up

from comparisons.report.sections.target import on_the_map
from comparisons.target.placement import find_map, kind_sweeps, map_runs, nearest_winners

MACHINE = {"cpu_model": "AMD EPYC", "usable_cores": 2}
PLACED = {
    "run": "20261130-194952-map-413c",
    "work": "cpu.primes, 2 workers",
    "grid": [2.4e-05, 0.32],
    "boundaries": [
        {"model": "processes:executor", "at": 2.7e-4, "low": 2.4e-4, "high": 3.0e-4, "above": True},
        {"model": "ray", "at": 1.4e-3, "low": 1.2e-3, "high": 1.7e-3, "above": True},
        {"model": "dask", "at": 2.6e-3, "low": 2.4e-3, "high": 2.8e-3, "above": True},
    ],
    "throughout": ["processes"],
    "winners": [[2.4e-05, ["processes"]], [3.0e-3, ["processes"]], [0.32, ["ray", "processes"]]],
}


def run_dir(root: Path, name: str, suite: str, machine: dict) -> Path:
    run = root / name
    run.mkdir(parents=True)
    (run / "cells.json").write_text(json.dumps({"suite": {"name": suite}, "cells": []}))
    (run / "env.json").write_text(json.dumps({"environment": machine}))
    return run


def test_the_newest_map_of_this_machine_comes_first_then_the_default_suite_s(tmp_path: Path):
    assert map_runs(tmp_path, MACHINE) == []
    older = run_dir(tmp_path, "20261130-100000-map-aaaa", "map", MACHINE)
    newest = run_dir(tmp_path / "reference", "20261130-110000-map-bbbb", "map", MACHINE)
    default = run_dir(tmp_path, "20261130-120000-default-cccc", "default", MACHINE)
    run_dir(tmp_path, "20261130-130000-map-dddd", "map", {**MACHINE, "usable_cores": 64})
    run_dir(tmp_path, "20261130-140000-shared-eeee", "shared", MACHINE)
    assert map_runs(tmp_path, MACHINE) == [newest, older, default]
    # None of them has a sweep in its records: no map.
    assert find_map(tmp_path, MACHINE) is None


def test_a_function_is_placed_among_the_boundaries_and_checked_against_its_race():
    found = {"work": "gil", "task_s": 1.55e-3}
    race = [made_up.around("processes", 0.1), made_up.around("ray", 0.2)]
    (line,) = on_the_map(found, PLACED, race)
    assert "beating a plain loop there: processes, processes:executor, ray" in line
    assert "not yet: dask (from 2.60 ms, 2.40 ms–2.80 ms)" in line
    assert "the map's winner is processes; your own race agrees" in line
    other = [made_up.around("threads", 0.1), made_up.around("ray", 0.2)]
    (line,) = on_the_map(found, PLACED, other)
    assert "your own race crowned threads instead, and this report trusts the race" in line
    hashing = {**PLACED, "kind": "released", "work": "cpu.hash, 2 workers"}
    (released,) = on_the_map({"work": "released", "task_s": 1e-3}, hashing, other)
    assert "(run 20261130-194952-map-413c, cpu.hash, 2 workers)" in released
    assert "trusts the race: it ran your function" in released and "the map ran hashing" in released
    (outside,) = on_the_map({"work": "gil", "task_s": 2.0}, PLACED, race)
    assert "lies outside its grid" in outside
    assert nearest_winners(2.0, PLACED) == (0.32, ["ray", "processes"])


def test_without_a_map_the_line_says_how_to_draw_one_and_other_work_has_none():
    (line,) = on_the_map({"work": "gil", "task_s": 1e-3}, None, [])
    assert "make compare SUITE=map" in line
    (waiting,) = on_the_map({"work": "waiting", "task_s": 1e-3}, PLACED, [])
    assert "not placed" in waiting and "waiting" in waiting
    (released,) = on_the_map({"work": "released", "task_s": 1e-3}, None, [])
    assert "no task-size map of GIL-releasing work" in released


def test_each_kind_of_work_is_placed_on_the_sweep_of_its_own_kind():
    def sweep(workload: str, category: str) -> list:
        cells = []
        for per_task in (1e-5, 1e-4, 1e-3):
            tasks = round(1.0 / per_task)
            for backend, time_s in (("serial", 1.0), ("processes", 0.6)):
                cells.append(
                    made_up.around(
                        backend,
                        time_s,
                        workload=workload,
                        category=category,
                        tasks=tasks,
                        workers=1 if backend == "serial" else 2,
                        params={"size": tasks},
                        key=f"{workload}|{backend}|{tasks}",
                    )
                )
        return cells

    cells = sweep("cpu.primes", "GIL-bound CPU") + sweep("cpu.hash", "GIL-releasing CPU")
    assert list(kind_sweeps(cells, "gil")) == [("cpu.primes", 2)]
    assert list(kind_sweeps(cells, "released")) == [("cpu.hash", 2)]
    assert kind_sweeps(cells, "waiting") == {}
