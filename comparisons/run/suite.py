"""Suites are data: TOML files that name cells and sweeps, expanded here into `CellSpec`s.

A `granularity` table instead of `tasks` keeps the total work fixed while the task size
varies (see `_task_sizes`). In `backends`, "all" means the models' default idioms,
"variants" every registered way of using them, "processes:*" every variant of one model;
the `ceiling` yardstick runs only where a suite names it.

A suite file has top-level defaults (`description`, `repeats`, `warmups`, `timeout_s`,
`min_repeat_s`, `invocations`: fresh processes per cell, `seed`: fixes the interleaved order
(without it each run draws one and records it),
`extra_budget_s`: extra rounds for rows in doubt, `shared_processes`: points of one model
and worker count share a fresh process per round, the model set up once)
and a list of `[[cells]]` tables. In a cell table, `backends`, `workers`, `tasks` and each
entry of `params` may be one value or a list; the cell expands to their Cartesian
product. `workers` accepts integers, the words `cores` and `N*cores` (the number of
CPUs this process may use), and `sweep` (1, 2, 4, ... up to the cores, then twice the
cores), so one suite fits any machine. The serial baseline always
runs with one worker. Built-in suites live in `comparisons/suites/`; any path works too.
"""

from __future__ import annotations

import itertools
import os
import re
import secrets
import tomllib
from dataclasses import replace
from pathlib import Path
from typing import Any

from comparisons.backends import BASELINE, UnknownBackend, backend_class, expand_backend_name
from comparisons.cell.contract import CellSpec
from comparisons.errors import UserError
from workloads import load_workload

SUITES_DIR = Path(__file__).resolve().parents[1] / "suites"
SUITE_KEYS = {
    "description",
    "repeats",
    "warmups",
    "timeout_s",
    "min_repeat_s",
    "invocations",
    "seed",
    "extra_budget_s",
    "shared_processes",
    "cells",
}
CELL_KEYS = {
    "workload",
    "backends",
    "workers",
    "tasks",
    "params",
    "repeats",
    "warmups",
    "timeout_s",
    "min_repeat_s",
    "granularity",
    "invocations",
    "note",
}
# Like pyperf's minimum time per value: shorter runs are looped within a repeat.
DEFAULT_MIN_REPEAT_S = 0.1
# The order of a TARGET run and of tests that need one; a suite run draws its own.
DEFAULT_SEED = 20261125
CORES_PATTERN = re.compile(r"^\s*(?:(\d+)\s*\*\s*)?cores\s*$")


def usable_cores() -> int:
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def builtin_suites() -> dict[str, Path]:
    return {path.stem: path for path in sorted(SUITES_DIR.glob("*.toml"))}


def suite_description(path: Path) -> str:
    return str(tomllib.loads(path.read_text()).get("description", ""))


def resolve_suite_path(name_or_path: str) -> Path:
    suites = builtin_suites()
    if name_or_path in suites:
        return suites[name_or_path]
    path = Path(name_or_path)
    if path.suffix == ".toml" and path.is_file():
        return path
    raise UserError(
        f"unknown suite {name_or_path!r} (valid: {', '.join(suites)}, or a path to a .toml file)"
    )


def resolve_workers(value: Any, where: str) -> int:
    if isinstance(value, bool):
        raise UserError(f"{where}: workers {value!r} is not a whole number or 'cores'")
    if isinstance(value, int):
        workers = value
    elif isinstance(value, str) and (match := CORES_PATTERN.match(value)):
        workers = int(match.group(1) or 1) * usable_cores()
    else:
        raise UserError(f"{where}: workers {value!r} is not a whole number, 'cores' or 'N*cores'")
    if workers < 1:
        raise UserError(f"{where}: workers must be at least 1, got {workers}")
    return workers


def worker_sweep() -> list[int]:
    """1, 2, 4, ... below the core count, the core count, then twice it (oversubscribed)."""
    cores = usable_cores()
    counts, power = [], 1
    while power < cores:
        counts.append(power)
        power *= 2
    return [*counts, cores, 2 * cores]


def expand_names(names: list[Any], where: str) -> list[str]:
    """Backend entries ("all", "variants", "model:*", names) as registered names."""
    expanded: list[str] = []
    for name in names:
        if not isinstance(name, str):
            raise UserError(f"{where}: backend names must be strings, got {name!r}")
        try:
            for found in expand_backend_name(name):
                backend_class(found)
                if found not in expanded:
                    expanded.append(found)
        except UnknownBackend as exc:
            raise UserError(f"{where}: {str(exc).strip(chr(34) + chr(39))}") from None
    return expanded


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def _positive_int(value: Any, name: str, where: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise UserError(f"{where}: {name} must be a whole number >= {minimum}, got {value!r}")
    return value


def _positive_number(value: Any, name: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
        raise UserError(f"{where}: {name} must be a number > 0, got {value!r}")
    return float(value)


def check_cell(spec: CellSpec) -> CellSpec:
    """Validate names and values of one cell before anything runs; normalise params."""
    workload = load_workload(spec.workload)
    backend = backend_class(spec.backend)
    params = workload.resolve_params(spec.params)
    where = f"{spec.workload} on {spec.backend}"
    _positive_int(spec.tasks, "tasks", where)
    _positive_int(spec.workers, "workers", where)
    _positive_int(spec.repeats, "repeats", where)
    _positive_int(spec.warmups, "warmups", where, minimum=0)
    _positive_number(spec.timeout_s, "timeout_s", where)
    _positive_int(spec.invocations, "invocations", where)
    if (
        isinstance(spec.min_repeat_s, bool)
        or not isinstance(spec.min_repeat_s, (int, float))
        or spec.min_repeat_s < 0
    ):
        raise UserError(f"{where}: min_repeat_s must be >= 0 s, got {spec.min_repeat_s!r}")
    if backend.fixed_workers is not None and spec.workers != backend.fixed_workers:
        raise UserError(
            f"backend {spec.backend} runs with exactly {backend.fixed_workers} worker(s), "
            f"got {spec.workers}"
        )
    return replace(spec, params=params)


def draw_seed() -> int:
    """A fresh seed for a run whose suite fixes none."""
    return secrets.randbelow(1_000_000)


def expand_suite(
    path: Path,
    *,
    backends: list[str] | None = None,
    workloads: list[str] | None = None,
    repeats: int | None = None,
    seed: int | None = None,
) -> tuple[dict[str, Any], list[CellSpec]]:
    """Read a suite file and return its settings and its validated cells, baseline first.

    `backends` and `workloads` narrow the suite; the serial baseline is kept whenever a
    workload is kept, because speedup is meaningless without it. `seed` (the command
    line's) fixes the interleaved order over the suite's own `seed`; with neither, each
    run draws one (`draw_seed`), so two runs of a suite meet the machine in different
    orders, and the run records it for a rerun in the same order.
    """
    try:
        data = tomllib.loads(path.read_text())
    except tomllib.TOMLDecodeError as exc:
        raise UserError(f"suite {path} is not valid TOML: {exc}") from None
    except OSError as exc:
        raise UserError(f"cannot read suite {path}: {exc.strerror}") from None
    unknown = sorted(set(data) - SUITE_KEYS)
    if unknown:
        raise UserError(
            f"suite {path.name}: unknown key {', '.join(unknown)} "
            f"(valid: {', '.join(sorted(SUITE_KEYS))})"
        )
    tables = data.get("cells")
    if not isinstance(tables, list) or not tables:
        raise UserError(f"suite {path.name}: needs at least one [[cells]] table")
    if backends:
        backends = expand_names(backends, "BACKENDS")
    for name in workloads or []:
        load_workload(name)
    if repeats is not None:
        _positive_int(repeats, "repeats", "REPEATS")

    defaults = {
        "repeats": data.get("repeats", 5),
        "warmups": data.get("warmups", 1),
        "timeout_s": data.get("timeout_s", 600.0),
        "min_repeat_s": data.get("min_repeat_s", DEFAULT_MIN_REPEAT_S),
        "invocations": data.get("invocations", 1),
    }
    suite_seed = data.get("seed")
    if suite_seed is not None and (isinstance(suite_seed, bool) or not isinstance(suite_seed, int)):
        raise UserError(f"suite {path.name}: seed must be a whole number, got {suite_seed!r}")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int) or seed < 0):
        raise UserError(f"SEED must be a whole number of 0 or more, got {seed!r}")
    seed = seed if seed is not None else suite_seed if suite_seed is not None else draw_seed()
    cells: list[CellSpec] = []
    for index, table in enumerate(tables, start=1):
        cells.extend(_expand_table(table, f"suite {path.name}, cell {index}", defaults, repeats))

    if workloads:
        cells = [c for c in cells if c.workload in workloads]
    if backends:
        keep = set(backends) | {BASELINE}
        cells = [c for c in cells if c.backend in keep]
    if not cells:
        raise UserError(f"suite {path.name}: no cells left after BACKENDS/WORKLOADS filters")
    first_of_key: dict[str, CellSpec] = {}
    for cell in cells:
        first_of_key.setdefault(cell.key, cell)
    unique = list(first_of_key.values())
    # The baseline of each workload runs first, so later cells get their speedup at once.
    unique.sort(key=lambda c: c.backend != BASELINE)
    extra_budget_s = data.get("extra_budget_s", 0)
    if isinstance(extra_budget_s, bool) or not isinstance(extra_budget_s, int | float):
        raise UserError(
            f"suite {path.name}: extra_budget_s must be a number of seconds, got {extra_budget_s!r}"
        )
    if extra_budget_s < 0:
        raise UserError(
            f"suite {path.name}: extra_budget_s must be 0 or more, got {extra_budget_s}"
        )
    shared_processes = data.get("shared_processes", False)
    if not isinstance(shared_processes, bool):
        raise UserError(
            f"suite {path.name}: shared_processes must be true or false, got {shared_processes!r}"
        )
    settings = {
        "name": path.stem,
        "path": str(path),
        "description": data.get("description", ""),
        "seed": seed,
        "extra_budget_s": extra_budget_s,
        "shared_processes": shared_processes,
    }
    return settings, unique


def _task_sizes(table: dict[str, Any], where: str) -> list[tuple[int, dict[str, Any]]]:
    """(tasks, params) pairs: `tasks` as given, or a granularity sweep.

    `granularity = { param = "span", total = 1200000, sizes = [50, 500] }` keeps the total
    work fixed and splits it into tasks of each size: tasks = total // size, with the
    workload parameter `param` set to the size.
    """
    sweep = table.get("granularity")
    if sweep is None:
        return [(tasks, {}) for tasks in _as_list(table.get("tasks", 1))]
    if "tasks" in table:
        raise UserError(f"{where}: give either tasks or granularity, not both")
    if not isinstance(sweep, dict) or set(sweep) != {"param", "total", "sizes"}:
        raise UserError(f"{where}: granularity needs exactly param, total and sizes")
    total = _positive_int(sweep["total"], "granularity total", where)
    pairs = []
    for size in _as_list(sweep["sizes"]):
        size = _positive_int(size, "granularity size", where)
        if size > total:
            raise UserError(f"{where}: granularity size {size} exceeds total {total}")
        pairs.append((total // size, {str(sweep["param"]): size}))
    return pairs


def _expand_table(
    table: Any, where: str, defaults: dict[str, Any], repeats_override: int | None
) -> list[CellSpec]:
    if not isinstance(table, dict):
        raise UserError(f"{where}: must be a table")
    unknown = sorted(set(table) - CELL_KEYS)
    if unknown:
        raise UserError(
            f"{where}: unknown key {', '.join(unknown)} (valid: {', '.join(sorted(CELL_KEYS))})"
        )
    if "workload" not in table:
        raise UserError(f"{where}: missing 'workload'")
    backend_names = expand_names(_as_list(table.get("backends", "all")), where)
    workers_list = []
    for value in _as_list(table.get("workers", 1)):
        for workers in worker_sweep() if value == "sweep" else [resolve_workers(value, where)]:
            if workers not in workers_list:
                workers_list.append(workers)
    params = table.get("params", {})
    if not isinstance(params, dict):
        raise UserError(f"{where}: params must be a table")
    sizes = _task_sizes(table, where)
    param_names = sorted(params)
    param_values = [_as_list(params[name]) for name in param_names]
    repeats = repeats_override or table.get("repeats", defaults["repeats"])

    cells = []
    for backend, workers, (tasks, size_param), combo in itertools.product(
        backend_names, workers_list, sizes, itertools.product(*param_values)
    ):
        if backend == BASELINE:
            workers = 1
        spec = CellSpec(
            workload=table["workload"],
            backend=backend,
            workers=workers,
            tasks=tasks,
            params={**dict(zip(param_names, combo, strict=True)), **size_param},
            repeats=repeats,
            warmups=table.get("warmups", defaults["warmups"]),
            timeout_s=table.get("timeout_s", defaults["timeout_s"]),
            min_repeat_s=table.get("min_repeat_s", defaults["min_repeat_s"]),
            invocations=table.get("invocations", defaults["invocations"]),
        )
        cells.append(check_cell(spec))
    return cells


def split_names(value: str) -> list[str] | None:
    """`a, b,c` -> ["a", "b", "c"]; None when it names nothing (BACKENDS=, WORKLOADS=)."""
    names = [v.strip() for v in value.split(",") if v.strip()]
    return names or None
