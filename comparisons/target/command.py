"""`python -m comparisons compare --target ...` (`make compare TARGET=...`): the race of a
user's function, from the command line to the report.

`comparisons.cli` defines the options and calls `compare_target`; this module probes the
function (`comparisons.target.characterise`), says what the probe found, plans cells
within the budget (`comparisons.target.plan`), and runs them like any suite
(`comparisons.run.runner`), the expected results cached for the run.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rich.console import Console

from comparisons import formatting as fmt
from comparisons.cell.contract import CellSpec
from comparisons.errors import UserError
from comparisons.measure.environment import cpu_model
from comparisons.report import build_report
from comparisons.run.budget import Deadline
from comparisons.run.runner import run_suite, start_run
from comparisons.run.suite import expand_names, split_names, usable_cores
from comparisons.target.characterise import characterise
from comparisons.target.costs import measured_costs
from comparisons.target.placement import MAPPED_KINDS, find_map, read_map
from comparisons.target.plan import (
    DEFAULT_BUDGET_S,
    cell_estimate_s,
    items_problem,
    parse_budget,
    plan_target,
)
from workloads import load_workload
from workloads.target import CACHE_VARIABLE, WORK, TargetSpec, parse_tolerance

# Writing the report and plots after the last cell.
REPORT_ALLOWANCE_S = 10.0


def compare_target(
    args: argparse.Namespace,
    results_root: Path,
    place: Callable[[list[CellSpec]], list[CellSpec]],
) -> int:
    """Probe the user's function, plan a suite for it within the budget, run it."""
    budget_s = parse_budget(args.budget) if args.budget else DEFAULT_BUDGET_S
    spec = TargetSpec(
        function=args.target,
        inputs=args.inputs,
        asyncio=args.asyncio_form,
        trio=args.trio_form,
        matches=args.matches,
        tolerance=parse_tolerance(args.tolerance) if args.tolerance is not None else None,
    )
    name = TargetSpec.parse(spec.name).name
    backends = expand_names(split_names(args.backends) or [], "BACKENDS") if args.backends else None
    console = Console(soft_wrap=True, highlight=False)
    workload = load_workload(name)
    cores = usable_cores()
    console.print(
        f"Probing {spec.function} serially (a first call, then batches on 1 and 2 threads)..."
    )
    began = time.monotonic()
    found = characterise(workload, args.python, cores)
    if not found["deterministic"]:
        raise UserError(
            f"{spec.function} gave different results for the same inputs on two runs "
            f"({found['determinism_detail']}); every model is checked against serial, so give "
            "--tolerance or a --matches function"
        )
    problem = items_problem(found)
    if problem and not found.get("crossing_problem"):
        found["crossing_problem"] = problem
    console.print(describe_probe(found))
    # What is left for the cells: the probe has run, and the report still has to be written.
    left_s = budget_s - (time.monotonic() - began) - REPORT_ALLOWANCE_S
    machine = {"cpu_model": cpu_model(), "usable_cores": cores}
    costs = measured_costs(results_root, machine, args.python)
    plan = plan_target(
        found, budget_s=max(left_s, 1.0), cores=cores, backends=backends, costs=costs
    )
    plan.settings["budget_s"] = budget_s
    plan.settings["map"] = (
        this_machines_map(results_root, machine, found["work"])
        if found["work"] in MAPPED_KINDS
        else None
    )
    console.print(
        f"Plan: {len(plan.cells)} cells, about {plan.estimate_s:.0f} s "
        f"for a {budget_s:.0f} s budget, from {costs.source}"
        + (f" (trimmed: {'; '.join(plan.trimmed)})" if plan.trimmed else "")
    )
    if plan.estimate_s > left_s:
        console.print(
            f"Note: even the models alone are estimated at {plan.estimate_s:.0f} s, over the "
            f"{max(left_s, 0):.0f} s left after the probe; "
            "give a larger BUDGET or smaller inputs."
        )
    cells = place(plan.cells)
    run_dir = start_run(cells, suite=plan.settings, results_root=results_root)
    # The cells may use what is left of the budget when they start, less the report's
    # share; each is estimated as the plan did.
    deadline = Deadline.after(
        budget_s - (time.monotonic() - began) - REPORT_ALLOWANCE_S,
        budget_s,
        lambda spec: cell_estimate_s(spec, found, cores, costs),
    )
    with tempfile.TemporaryDirectory(prefix="cmp-expected-") as cache:
        os.environ[CACHE_VARIABLE] = cache
        try:
            run_suite(
                run_dir,
                cells,
                suite=plan.settings,
                python=args.python,
                report=build_report,
                deadline=deadline,
            )
        except KeyboardInterrupt:
            return 130
        finally:
            os.environ.pop(CACHE_VARIABLE, None)
    return 0


def this_machines_map(
    results_root: Path, machine: dict[str, Any], kind: str
) -> dict[str, Any] | None:
    """The boundaries of the newest task-size map of this machine for this kind of
    work, if one was drawn."""
    run = find_map(results_root, machine, kind)
    return read_map(run, kind) if run is not None else None


def describe_probe(found: dict[str, Any]) -> str:
    """The probe's findings in a line or two, printed before the race begins."""
    sizes = ", ".join(
        f"{label} {fmt.size(found[key]) if found.get(key) is not None else 'not picklable'}"
        for label, key in (("input", "input_bytes"), ("result", "result_bytes"))
    )
    lines = [
        f"Your function: {fmt.seconds(found['task_s'])} a task "
        f"(first call {fmt.seconds(found['first_call_s'])}), {sizes}; "
        f"{found['why']} -> filed as {WORK[found['work']][1]}.",
    ]
    if found.get("crossing_problem"):
        lines.append(
            f"It cannot be sent to other processes ({found['crossing_problem']}): the "
            "process, Dask, Ray and subinterpreter cells are left out with that reason; "
            "threads, asyncio and Trio run it in this process."
        )
    return "\n".join(lines)
