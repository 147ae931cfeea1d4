"""What each model costs on this machine before any work: per task, per set-up, per cell.

`comparisons.target.plan` estimates a TARGET run's wall time from these, so that a
function of 0.1 µs a task does not plan 27 s and take 108 s because Dask spends 1.6 ms
dispatching each of 10,000 tasks. The figures come from the newest run of this machine
(same CPU model and usable cores) and interpreter under the results folder that has the
empty-task cells
(`overhead.noop`, in the default, quick and full suites; the committed reference runs
count): each backend's median time per task there, its set-up plus teardown and the rest
of its cells' wall time (interpreter start, imports, verification) over every cell of
that run. A backend that run lacks falls back to its model's figure, then to
`REFERENCE`, read off the 2-core reference VM (`results/reference/…-191338-default-5e08`).
"""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from comparisons.backends import backend_class, model_of
from comparisons.records.store import load_records
from comparisons.target.placement import same_machine

NOOP = "overhead.noop"


@dataclass(frozen=True)
class Costs:
    """Per-backend seconds: dispatch per task, set-up plus teardown, the rest of a cell."""

    per_task_s: dict[str, float]
    setup_s: dict[str, float]
    overhead_s: dict[str, float]
    source: str = "the 2-core reference VM's figures"


# From the reference run named in the docstring: empty tasks at 2 workers, and medians
# over all its cells. Out-of-process models not listed cost like a pool with one message
# a task; in-process ones like threads.
REFERENCE = Costs(
    per_task_s={
        "serial": 0.0,
        "threads": 8e-6,
        "asyncio": 5.4e-6,
        "trio": 17e-6,
        "processes": 1.6e-6,
        "processes:executor": 100e-6,
        "processes:executor-chunked": 3e-6,
        "dask": 1.57e-3,
        "ray": 460e-6,
        "ray:batched": 26e-6,
    },
    setup_s={"ray": 4.8, "dask": 0.82, "ray:batched": 4.0, "trio:parallel": 0.12},
    overhead_s={"ray": 1.84, "dask": 0.91},
)
UNKNOWN_IN_PROCESS = {"per_task_s": 10e-6, "setup_s": 0.0, "overhead_s": 0.4}
UNKNOWN_OUT_OF_PROCESS = {"per_task_s": 100e-6, "setup_s": 0.1, "overhead_s": 0.5}


def lookup(costs: Costs, kind: str, backend: str) -> float:
    """`kind` ("per_task_s", "setup_s" or "overhead_s") of `backend`: its own figure, its
    model's, the reference VM's, or the unknown model's."""
    for table in (getattr(costs, kind), getattr(REFERENCE, kind)):
        for name in (backend, model_of(backend)):
            if name in table:
                return table[name]
    if kind != "per_task_s" and backend_class(backend).in_process:
        return 0.0 if kind == "setup_s" else UNKNOWN_IN_PROCESS[kind]
    known = UNKNOWN_IN_PROCESS if backend_class(backend).in_process else UNKNOWN_OUT_OF_PROCESS
    return known[kind]


def measured_costs(results_root: Path, machine: dict[str, Any], python: str) -> Costs:
    """This machine's figures from its newest run with empty-task cells under the same
    interpreter (`python`, the cells' executable), or `REFERENCE`."""
    for run in _runs_of(results_root, machine):
        records = [r for r in load_records(run / "records.jsonl") if r.get("python") == python]
        costs = costs_of(records)
        if costs is not None:
            return replace(costs, source=f"run {run.name} of this machine")
    return REFERENCE


def costs_of(records: Sequence[Mapping[str, Any]]) -> Costs | None:
    """Per-backend medians from one run's records; None without empty-task cells."""
    per_task: dict[str, list[float]] = defaultdict(list)
    setup: dict[str, list[float]] = defaultdict(list)
    rest: dict[str, list[float]] = defaultdict(list)
    for r in records:
        if r.get("status") != "ok" or not r.get("samples_s"):
            continue
        name = r["backend"]
        loops = r.get("loops") or 1
        timed = (sum(r["samples_s"]) * loops) + sum(r.get("warmup_s") or [])
        once = (r.get("setup_s") or 0.0) + (r.get("teardown_s") or 0.0)
        setup[name].append(once)
        rest[name].append(max(0.0, (r.get("cell_wall_s") or 0.0) - once - timed))
        if r["workload"] == NOOP:
            per_task[name].append(statistics.median(r["samples_s"]) / r["tasks"])
    if not per_task:
        return None
    return Costs(_medians(per_task), _medians(setup), _medians(rest))


def _medians(values: dict[str, list[float]]) -> dict[str, float]:
    return {k: statistics.median(v) for k, v in values.items() if v}


def _runs_of(results_root: Path, machine: dict[str, Any]) -> list[Path]:
    """Runs of this machine under `results_root` with records, newest first (run ids
    begin with their start time)."""
    found = []
    for env_file in results_root.glob("**/env.json"):
        run = env_file.parent
        if run.is_symlink() or not (run / "records.jsonl").exists():
            continue
        try:
            env = json.loads(env_file.read_text())["environment"]
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if same_machine(env, machine):
            found.append(run)
    return sorted(found, key=lambda p: p.name, reverse=True)
