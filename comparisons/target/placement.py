"""Your function on the map: the newest task-size map measured on this machine (a
`SUITE=map` run under the results folder, the committed reference runs included, else
the default suite's coarse map), its
boundaries against the plain loop, and where the function's own task time falls among
them.

Found when a `TARGET` run starts (the map is another run's records) and stored in the
run's settings (`cells.json`, under "map"), so the report is still rebuilt from the
run's own files alone; `sections.target` prints the placement. A function is placed on
the map of its kind of work, as the probe filed it: GIL-bound work on a sweep of
GIL-bound Python (`cpu.primes`), work that releases the GIL on one of C code that does
(`cpu.hash`, in `SUITE=map`); waiting work has no task-size map and says so.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from comparisons.backends import BASELINE
from comparisons.errors import UserError
from comparisons.records.cells import load_cells
from comparisons.records.crossover import (
    Answer,
    sizes,
    sweep_crossovers,
    sweeps,
    winners_at,
)
from comparisons.records.ranking import model
from workloads.vocabulary import Category

MAP_SUITE = "map"
# Suites that draw a task-size map, finest first: the default suite carries a coarse one.
MAP_SUITES = (MAP_SUITE, "default")
# The probe's kind of work (`target.characterise.classify`) and the sweeps that map it.
MAPPED_KINDS = {"gil": Category.GIL_BOUND_CPU, "released": Category.GIL_RELEASING_CPU}


def same_machine(env: dict[str, Any], machine: dict[str, Any]) -> bool:
    """A map is this machine's when the CPU model and the usable cores match."""
    return all(env.get(k) == machine.get(k) for k in ("cpu_model", "usable_cores"))


def map_runs(results_root: Path, machine: dict[str, Any]) -> list[Path]:
    """Runs of this machine under `results_root` that may hold a task-size map: the
    `SUITE=map` runs, newest first, then the default suite's (run ids begin with their
    start time, so the largest is the newest)."""
    found = []
    for settings in results_root.glob("**/cells.json"):
        run = settings.parent
        try:
            suite = json.loads(settings.read_text())["suite"]
            env = json.loads((run / "env.json").read_text())["environment"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        name = suite.get("name")
        if name in MAP_SUITES and same_machine(env, machine) and not run.is_symlink():
            found.append((MAP_SUITES.index(name), run))
    found.sort(key=lambda p: p[1].name, reverse=True)
    return [run for _, run in sorted(found, key=lambda p: p[0])]


def kind_sweeps(cells: list[Any], kind: str) -> dict[tuple[str, int], list[Any]]:
    """The run's task-size sweeps of this kind of work (`MAPPED_KINDS`); none for a kind
    without a map."""
    category = MAPPED_KINDS.get(kind)
    return {
        key: rows
        for key, rows in sweeps(cells).items()
        if category is not None and rows[0]["category"] == category
    }


def find_map(results_root: Path, machine: dict[str, Any], kind: str = "gil") -> Path | None:
    """The newest run of this machine that drew a map of this kind of work: a
    `SUITE=map` run if there is one, else the default suite's coarse map."""
    for run in map_runs(results_root, machine):
        try:
            if kind_sweeps(load_cells(run), kind):
                return run
        except UserError:  # a run with no records yet, or damaged ones: not a map
            continue
    return None


def read_map(run: Path, kind: str = "gil") -> dict[str, Any] | None:
    """The map's boundaries against the plain loop and its winners per size, in the form
    the run's settings keep; None when the run has no sweep of this kind of work."""
    found = kind_sweeps(load_cells(run), kind)
    if not found:
        return None
    (workload, workers), rows = next(iter(found.items()))
    winners = []
    for x, at in sizes(rows):
        ranked = winners_at(at)
        if ranked is not None:
            winners.append([x, [model(r) for r in ranked.winners]])
    boundaries, throughout = [], []
    for c in sweep_crossovers(rows):
        if c.second != BASELINE:
            continue
        if c.answer is Answer.CROSSES:
            boundaries.append(
                {
                    "model": c.first,
                    "at": c.at,
                    "low": c.low,
                    "high": c.high,
                    "above": c.first_wins_above,
                }
            )
        elif c.answer is Answer.FIRST_THROUGHOUT:
            throughout.append(c.first)
    return {
        "run": run.name,
        "work": f"{workload}, {workers} workers",
        "kind": kind,
        "grid": [winners[0][0], winners[-1][0]] if winners else [],
        "boundaries": boundaries,
        "throughout": throughout,
        "winners": winners,
    }


def nearest_winners(task_s: float, placed: dict[str, Any]) -> tuple[float, list[str]] | None:
    """The map's size nearest the function's task time (in log distance) and who wins
    there."""
    points = placed.get("winners") or []
    if not points:
        return None
    x, names = min(points, key=lambda p: abs(math.log(p[0]) - math.log(task_s)))
    return x, names
