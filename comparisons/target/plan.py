"""The suite for a user's function, sized from its characterisation and a time budget.

`comparisons.target.characterise` says how long a task takes and what kind of work it is; this
module turns that into cells every model runs at the same concurrency and the same task
count: CPU work at half the usable cores and all of them, waiting work at the cores and
at a higher in-flight count (never thousands of processes for one slow call), enough
tasks for a run of about a second, and the variants that can run it. It then estimates
the wall time and trims, in order, until the estimate fits `BUDGET`: a second fresh
process per cell, the variants (last listed first), the lower in-flight level, repeats,
tasks, the ceiling. The models themselves are
never dropped; when even they do not fit, the plan says by how much.

The estimate of each cell counts what the model costs on this machine
(`comparisons.target.costs`: its dispatch time per task, set-up and teardown, and the
rest of a cell's process, from this machine's newest run with empty-task cells, else the
reference VM's): a 0.1 µs function split into 10,000 tasks costs Dask 16 s a repeat in
dispatch alone. While the cells run, `comparisons.run.budget` keeps the budget: a cell
that no longer fits is left out with that reason, and a started one is stopped at the
end of the budget.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from typing import Any

from comparisons.backends import BASELINE, backend_class, model_names, model_of
from comparisons.backends import REGISTRY as BACKENDS
from comparisons.cell.contract import CellSpec
from comparisons.errors import UserError
from comparisons.records.schema import CEILING
from comparisons.run.suite import DEFAULT_MIN_REPEAT_S, DEFAULT_SEED, check_cell
from comparisons.target.costs import REFERENCE, Costs, lookup
from workloads.target import TargetSpec, is_data_file, load_input_file

DEFAULT_BUDGET_S = 300.0
# One measured run of the tasks lasts about this long serially.
RUN_SERIAL_S = 1.0
MAX_TASKS = 10_000
# Waiting work is also compared at this many in flight (or the cores, if more).
WAITING_IN_FLIGHT = 16
REPEATS, FEWER_REPEATS, INVOCATIONS = 5, 3, 2
# Importing the user's module in each cell's fresh interpreter, beyond what the
# empty-task cells' processes took.
IMPORT_ALLOWANCE_S = 0.3
# Variants that cannot run a plain function at equal footing (one worker per task, a
# shared-input idiom, a cooperative form no target module gives) or only restate a model
# when there is no async form.
NEVER = {
    "threads:per-task",
    "processes:per-task",
    "processes:shared-memory",
    "asyncio:cooperative",
}
ASYNC_ONLY = {
    "asyncio:uvloop",
    "asyncio:anyio",
    "trio:anyio",
    "asyncio:to-thread",
    "trio:to-thread",
}
BUDGET_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h)?\s*$", re.IGNORECASE)
UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600}


def parse_budget(text: str) -> float:
    """Seconds from `90s`, `5m`, `1h` or a plain number of seconds."""
    match = BUDGET_PATTERN.match(str(text))
    if not match or float(match.group(1)) <= 0:
        raise UserError(f"BUDGET={text!r} is not a time such as 90s, 5m or 1h")
    return float(match.group(1)) * UNITS[(match.group(2) or "s").lower()]


@dataclass
class Plan:
    """The cells, the suite settings the run records, and how the budget was met."""

    cells: list[CellSpec]
    settings: dict[str, Any]
    estimate_s: float
    trimmed: list[str] = field(default_factory=list)


def in_flight_levels(work: str, cores: int) -> list[int]:
    """Concurrency the models are compared at: CPU work at half the cores and all of
    them (how each model scales), waiting work at the cores and at more in flight."""
    if work == "waiting":
        return sorted({cores, max(cores, WAITING_IN_FLIGHT)})
    return sorted({max(1, cores // 2), cores})


def task_count(task_s: float, levels: list[int], available: int | None) -> int:
    """Tasks for a serial run of about `RUN_SERIAL_S`, at least four per worker."""
    tasks = max(4 * max(levels), math.ceil(RUN_SERIAL_S / max(task_s, 1e-6)))
    tasks = min(tasks, MAX_TASKS)
    return min(tasks, available) if available else tasks


def candidates(work: str, has_async_form: bool) -> list[str]:
    """Models first (they are never trimmed), the ceiling for CPU work, then variants."""
    names = list(dict.fromkeys([BASELINE, *model_names()]))
    if work != "waiting":
        names.append(CEILING)
    for name in BACKENDS:
        if ":" not in name or name in NEVER or model_of(name) not in names:
            continue
        if name in ASYNC_ONLY and not has_async_form:
            continue
        names.append(name)
    return names


def _run_estimate_s(backend: str, work: str, level: int, serial_s: float, cores: int) -> float:
    shares_one_thread = backend_class(backend).in_process and work in ("gil", "")
    if backend == BASELINE or shares_one_thread:
        return serial_s
    if work == "waiting":
        return serial_s / level
    return serial_s / min(level, cores)


def cell_estimate_s(
    cell: CellSpec, found: dict[str, Any], cores: int, costs: Costs = REFERENCE
) -> float:
    """Wall time of one fresh process of `cell`: its runs of the tasks (the probe's task
    time spread over the workers, plus the model's dispatch cost per task), its set-up
    and teardown, and the rest of its process."""
    run = _run_estimate_s(
        cell.backend, found.get("work", ""), cell.workers, cell.tasks * found["task_s"], cores
    )
    run += cell.tasks * lookup(costs, "per_task_s", cell.backend)
    repeat = max(run, cell.min_repeat_s)
    fixed = lookup(costs, "setup_s", cell.backend) + lookup(costs, "overhead_s", cell.backend)
    return IMPORT_ALLOWANCE_S + fixed + (cell.warmups + cell.repeats) * repeat


def estimate_s(
    cells: list[CellSpec], found: dict[str, Any], cores: int, costs: Costs = REFERENCE
) -> float:
    """Wall time the cells will take, every fresh process of each."""
    return sum(c.invocations * cell_estimate_s(c, found, cores, costs) for c in cells)


def _cells(
    name: str, backends: list[str], levels: list[int], tasks: int, repeats: int, invocations: int
) -> list[CellSpec]:
    # Warm-ups and the timeout are CellSpec's defaults, as in a suite that sets neither.
    return [
        check_cell(
            CellSpec(
                name,
                backend,
                level,
                tasks,
                repeats=repeats,
                min_repeat_s=DEFAULT_MIN_REPEAT_S,
                invocations=invocations,
            )
        )
        for backend in backends
        # The baseline runs once, at one worker, whatever the levels.
        for level in ([1] if backend == BASELINE else levels)
    ]


def items_problem(found: dict[str, Any]) -> str | None:
    """Why a task's input or result cannot be sent to another process, from the probe
    (the pickled sizes it could not take), or None."""
    bad = [
        what
        for what, key in (("inputs", "input_bytes"), ("results", "result_bytes"))
        if key in found and found[key] is None
    ]
    return f"its {' and '.join(bad)} cannot be pickled" if bad else None


def plan_target(
    found: dict[str, Any],
    *,
    budget_s: float,
    cores: int,
    backends: list[str] | None = None,
    costs: Costs = REFERENCE,
) -> Plan:
    """The cells for the characterised target `found`, trimmed to fit `budget_s`."""
    spec = TargetSpec.parse(found["target"])
    name = replace(spec, work=found["work"]).name
    available = (
        len(load_input_file(spec.inputs)) if spec.inputs and is_data_file(spec.inputs) else None
    )
    levels = in_flight_levels(found["work"], cores)
    tasks = task_count(found["task_s"], levels, available)
    has_async = any((found.get("async_forms") or {}).values())
    names = candidates(found["work"], has_async)
    if backends:
        names = [n for n in names if n in backends or n == BASELINE]
    problem = items_problem(found)
    # Nothing can reach another process: only what runs in this one is planned.
    left_out = [n for n in names if problem and n != BASELINE and not backend_class(n).in_process]
    names = [n for n in names if n not in left_out]
    models = [n for n in names if ":" not in n and n != CEILING]
    variants = [n for n in names if ":" in n]
    ceiling = [n for n in names if n == CEILING]
    repeats, invocations, trimmed = REPEATS, INVOCATIONS, []

    def build() -> list[CellSpec]:
        return _cells(name, models + ceiling + variants, levels, tasks, repeats, invocations)

    cells = build()
    steps = [("one fresh process per cell instead of two", "invocations")]
    steps += [(f"variant {v} left out", v) for v in reversed(variants)]
    steps += [("one in-flight level", "levels")]
    steps += [(f"{FEWER_REPEATS} repeats instead of {REPEATS}", "repeats")]
    steps += [("fewer tasks", "tasks")] * 8 + [("the ceiling left out", "ceiling")]
    dropped: list[str] = []
    for label, step in steps:
        if estimate_s(cells, found, cores, costs) <= budget_s:
            break
        if step == "invocations":
            invocations = 1
        elif step == "repeats":
            repeats = FEWER_REPEATS
        elif step == "tasks":
            if tasks <= 4 * max(levels):
                continue
            tasks = max(4 * max(levels), tasks // 2)
            label = f"{tasks} tasks"
        elif step == "levels":
            if len(levels) == 1:
                continue
            # CPU work keeps all the cores; waiting work keeps its most in flight.
            levels = levels[-1:]
            label = f"only {levels[0]} in flight"
        elif step == "ceiling":
            if not ceiling:
                continue
            ceiling = []
        else:
            variants.remove(step)
            dropped.append(step)
            cells = build()
            continue
        trimmed.append(label)
        cells = build()
    if dropped:
        where = 1 if trimmed[:1] == ["one fresh process per cell instead of two"] else 0
        trimmed.insert(
            where,
            f"{len(dropped)} variant{'s' if len(dropped) > 1 else ''} left out "
            f"({', '.join(reversed(dropped))})",
        )
    if left_out:
        trimmed.insert(0, f"{', '.join(left_out)} left out: {problem}")
    cells = build()
    estimate = estimate_s(cells, found, cores, costs)
    settings = {
        "name": "target",
        "path": "",
        "description": f"your function {spec.function}, sized by its probe to a "
        f"{budget_s:g} s budget",
        "seed": DEFAULT_SEED,
        "extra_budget_s": max(0.0, min(0.1 * budget_s, budget_s - estimate)),
        "target": found,
        "budget_s": budget_s,
        "estimate_s": estimate,
        "trimmed": trimmed,
        "costs_from": costs.source,
    }
    return Plan(cells, settings, estimate, trimmed)
