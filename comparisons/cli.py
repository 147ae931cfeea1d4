"""Command line: `python -m comparisons {list,run,compare,report,diff}`.

This is the edge where a user's mistakes are caught: an unknown name, a bad value or
file gives one `error: ...` line naming what is wrong and what is valid, and exit
status 2, never a traceback. The Makefile's targets call these commands.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import NoReturn

from comparisons.backends import REGISTRY as BACKENDS
from comparisons.backends import backend_class
from comparisons.cell.contract import CellSpec
from comparisons.cell.outcome import Status
from comparisons.errors import UserError
from comparisons.measure.stats import PRACTICAL_THRESHOLD
from comparisons.run.suite import DEFAULT_MIN_REPEAT_S
from workloads import REGISTRY as WORKLOADS
from workloads import all_names, load_workload

EXIT_USER_ERROR = 2
EXIT_CELL_FAILED = 1


class Parser(argparse.ArgumentParser):
    """argparse that reports a bad command line in one line, not usage plus error."""

    def error(self, message: str) -> NoReturn:
        raise UserError(f"{message} (see `{self.prog} --help`)")


def build_parser() -> Parser:
    parser = Parser(
        prog="python -m comparisons",
        description="Run the same workloads on Python's concurrency models and compare them.",
    )
    commands = parser.add_subparsers(
        dest="command", required=True, parser_class=Parser, metavar="{list,run,compare,report,diff}"
    )

    commands.add_parser("list", help="name every workload, backend and suite")

    run = commands.add_parser("run", help="run one cell in a fresh subprocess, print its record")
    run.add_argument(
        "--workload",
        required=True,
        help=f"one of: {', '.join(WORKLOADS)}, or target:MODULE:FUNCTION",
    )
    run.add_argument("--backend", required=True, help=f"one of: {', '.join(BACKENDS)}")
    run.add_argument("--workers", type=int, default=1, help="parallel workers (default 1)")
    run.add_argument("--tasks", type=int, default=8, help="number of tasks (default 8)")
    run.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a workload parameter; repeat for several",
    )
    run.add_argument("--repeats", type=int, default=5, help="measured repeats (default 5)")
    run.add_argument("--warmups", type=int, default=1, help="warm-up repeats (default 1)")
    run.add_argument("--timeout", type=float, default=600.0, help="cell timeout, s")
    run.add_argument(
        "--min-repeat",
        type=float,
        default=DEFAULT_MIN_REPEAT_S,
        metavar="S",
        help="loop shorter runs within a repeat until it lasts S seconds "
        f"(default {DEFAULT_MIN_REPEAT_S})",
    )
    run.add_argument(
        "--python",
        default=sys.executable,
        help="interpreter that runs the cell (default: this one)",
    )
    run.add_argument("--json", action="store_true", help="print the record as one JSON object")
    _add_placement_arguments(run)

    compare = commands.add_parser("compare", help="run a suite and write results and a report")
    compare.add_argument("--suite", default="default", help="suite name or .toml path")
    _add_target_arguments(compare)
    compare.add_argument("--backends", default="", help="comma-separated subset of backends")
    compare.add_argument("--workloads", default="", help="comma-separated subset of workloads")
    compare.add_argument("--repeats", type=int, default=None, help="override measured repeats")
    compare.add_argument("--results", default="results", help="output root (default results)")
    compare.add_argument(
        "--resume",
        default=None,
        metavar="RUN",
        help="finish an interrupted run (a run id under --results, or its path)",
    )
    compare.add_argument(
        "--python",
        default=sys.executable,
        help="interpreter that runs the cells (default: this one)",
    )
    _add_placement_arguments(compare)

    report = commands.add_parser("report", help="rebuild summary.csv and REPORT.md of a run")
    report.add_argument("run_dir", help="a results/<run-id> directory")

    diff = commands.add_parser("diff", help="per-cell change between two runs, with intervals")
    diff.add_argument("run_a", help="the earlier run directory (A)")
    diff.add_argument("run_b", help="the later run directory (B)")
    diff.add_argument(
        "--threshold",
        type=float,
        default=PRACTICAL_THRESHOLD,
        help="smallest change that counts, as a fraction (default "
        f"{PRACTICAL_THRESHOLD:g}: the report's tie band)",
    )

    return parser


def _add_target_arguments(parser: argparse.ArgumentParser) -> None:
    target = parser.add_argument_group(
        "your own function (replaces --suite; see workloads/target.py for the conventions)"
    )
    target.add_argument(
        "--target",
        default=None,
        metavar="MODULE:FN|FILE.py:FN",
        help="race this function on every model that can run it, sized by a probe",
    )
    target.add_argument(
        "--inputs",
        default=None,
        metavar="MODULE:FN|FILE.py:FN|FILE.jsonl|.json|.pkl",
        help="task inputs: a function called with the task count, or a file of items "
        "(default: FN_inputs in the target's module, else range(tasks))",
    )
    target.add_argument(
        "--tolerance",
        default=None,
        metavar="REL",
        help="results match serial's within this relative difference (default: equal)",
    )
    target.add_argument(
        "--matches", default=None, metavar="MODULE:FN", help="(got, expected) -> bool"
    )
    target.add_argument(
        "--asyncio-form", default=None, metavar="MODULE:FN", help="async def for asyncio"
    )
    target.add_argument("--trio-form", default=None, metavar="MODULE:FN", help="async def for Trio")
    target.add_argument(
        "--budget",
        default=None,
        metavar="TIME",
        help="wall time the target's run may take, e.g. 90s, 5m (default 5m)",
    )


def _add_placement_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--dask-address",
        default=os.environ.get("DASK_ADDRESS") or None,
        metavar="tcp://HOST:PORT",
        help="run Dask cells on this existing scheduler (default: $DASK_ADDRESS, else a "
        "LocalCluster per cell)",
    )
    parser.add_argument(
        "--ray-address",
        default=os.environ.get("RAY_ADDRESS") or None,
        metavar="HOST:PORT",
        help="run Ray cells on this existing cluster, GCS host:port or ray://host:port "
        "(default: $RAY_ADDRESS, else a local Ray per cell)",
    )
    parser.add_argument(
        "--service-host",
        default=os.environ.get("SERVICE_HOST") or "127.0.0.1",
        metavar="ADDRESS",
        help="address of this machine the latency server listens on and advertises; "
        "set it when cluster workers on other machines must reach it (default 127.0.0.1)",
    )


def place_cells(cells: list[CellSpec], args: argparse.Namespace) -> list[CellSpec]:
    """Point each Dask or Ray cell at its external cluster, when one was given."""
    from comparisons.backends.clusters import check_addresses

    addresses = check_addresses({"dask": args.dask_address, "ray": args.ray_address})
    return [
        replace(
            cell,
            address=addresses.get(backend_class(cell.backend).cluster_engine or ""),
            service_host=args.service_host,
        )
        for cell in cells
    ]


def _split(value: str) -> list[str] | None:
    names = [v.strip() for v in value.split(",") if v.strip()]
    return names or None


def _parse_params(pairs: list[str]) -> dict[str, str]:
    params = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise UserError(f"--param {pair!r} is not NAME=VALUE")
        params[name.strip()] = value.strip()
    return params


def command_list() -> int:
    from comparisons.run.suite import builtin_suites, suite_description

    print("workloads (and target:MODULE:FUNCTION for your own function):")
    for name in all_names():
        workload = load_workload(name)
        print(f"  {name:<18} [{workload.kind}] {workload.description}")
        for pname, param in workload.params.items():
            print(f"  {'':<18}   {pname}: {param.describe()}")
    print("backends (model, then its variants as model:variant; 'all' in a suite = the models):")
    for name in BACKENDS:
        backend = backend_class(name)
        indent = "    " if ":" in name else "  "
        label = f"{indent}{name}"
        print(f"{label:<26} {backend.summary}")
        if backend.source:
            print(f"{'':<26}   source: {backend.source}")
    print("suites:")
    for name, path in builtin_suites().items():
        print(f"  {name:<18} {suite_description(path)}")
    return 0


def command_run(args: argparse.Namespace) -> int:
    from comparisons.run.harness import run_cell
    from comparisons.run.suite import check_cell

    spec = check_cell(
        CellSpec(
            workload=args.workload,
            backend=args.backend,
            workers=args.workers,
            tasks=args.tasks,
            params=_parse_params(args.param),
            repeats=args.repeats,
            warmups=args.warmups,
            timeout_s=args.timeout,
            min_repeat_s=args.min_repeat,
        )
    )
    spec = place_cells([spec], args)[0]
    _check_python(args.python)
    record = run_cell(
        spec,
        python=args.python,
        context={"command": shlex.join(["python", "-m", "comparisons", *sys.argv[1:]])},
    )
    if args.json:
        print(json.dumps(record, sort_keys=True, default=repr))
    else:
        from rich.console import Console

        from comparisons.run.runner import summarize_record

        Console(soft_wrap=True).print(f"{spec.key}: {summarize_record(record)}", highlight=False)
    return 0 if record["status"] == Status.OK else EXIT_CELL_FAILED


def command_compare(args: argparse.Namespace) -> int:
    from comparisons.report import build_report
    from comparisons.run.runner import load_run, run_suite, start_run
    from comparisons.run.suite import expand_suite, resolve_suite_path

    _check_python(args.python)
    results_root = Path(args.results)
    if args.target and not args.resume:
        return compare_target(args, results_root)
    if not args.target and any(
        getattr(args, name) is not None
        for name in ("inputs", "tolerance", "matches", "asyncio_form", "trio_form", "budget")
    ):
        raise UserError(
            "--inputs, --tolerance, --matches, the async forms and --budget go with --target"
        )
    if args.resume:
        run_dir, suite, cells = load_run(args.resume, results_root)
    else:
        suite, cells = expand_suite(
            resolve_suite_path(args.suite),
            backends=_split(args.backends),
            workloads=_split(args.workloads),
            repeats=args.repeats,
        )
        cells = place_cells(cells, args)
        run_dir = start_run(cells, suite=suite, results_root=results_root)
    try:
        run_suite(run_dir, cells, suite=suite, python=args.python, report=build_report)
    except KeyboardInterrupt:
        return 130
    return 0


# Writing the report and plots after the last cell.
REPORT_ALLOWANCE_S = 10.0


def compare_target(args: argparse.Namespace, results_root: Path) -> int:
    """Probe the user's function, plan a suite for it within the budget, run it."""
    import tempfile

    from rich.console import Console

    from comparisons.report import build_report
    from comparisons.run.runner import run_suite, start_run
    from comparisons.run.suite import expand_names, usable_cores
    from comparisons.target.characterise import characterise
    from comparisons.target.plan import DEFAULT_BUDGET_S, parse_budget, plan_target
    from workloads.target import CACHE_VARIABLE, TargetSpec, parse_tolerance

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
    backends = expand_names(_split(args.backends) or [], "BACKENDS") if args.backends else None
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
    console.print(describe_probe(found))
    # What is left for the cells: the probe has run, and the report still has to be written.
    left_s = budget_s - (time.monotonic() - began) - REPORT_ALLOWANCE_S
    plan = plan_target(found, budget_s=max(left_s, 1.0), cores=cores, backends=backends)
    plan.settings["budget_s"] = budget_s
    console.print(
        f"Plan: {len(plan.cells)} cells, about {plan.estimate_s:.0f} s "
        f"for a {budget_s:.0f} s budget"
        + (f" (trimmed: {'; '.join(plan.trimmed)})" if plan.trimmed else "")
    )
    if plan.estimate_s > left_s:
        console.print(
            f"Note: even the models alone are estimated at {plan.estimate_s:.0f} s, over the "
            f"{max(left_s, 0):.0f} s left after the probe; "
            "give a larger BUDGET or smaller inputs."
        )
    cells = place_cells(plan.cells, args)
    run_dir = start_run(cells, suite=plan.settings, results_root=results_root)
    with tempfile.TemporaryDirectory(prefix="cmp-expected-") as cache:
        os.environ[CACHE_VARIABLE] = cache
        try:
            run_suite(run_dir, cells, suite=plan.settings, python=args.python, report=build_report)
        except KeyboardInterrupt:
            return 130
        finally:
            os.environ.pop(CACHE_VARIABLE, None)
    return 0


def describe_probe(found: dict) -> str:
    """The probe's findings in two lines, as the console and the report open with."""
    from comparisons import formatting as fmt
    from workloads.target import WORK

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
            "process, Dask, Ray and subinterpreter cells are skipped with that reason."
        )
    return "\n".join(lines)


def command_report(args: argparse.Namespace) -> int:
    from comparisons.report import build_report

    print(build_report(Path(args.run_dir)))
    return 0


def command_diff(args: argparse.Namespace) -> int:
    from comparisons.report.diff import render_diff

    if not 0 <= args.threshold < 1:
        raise UserError(f"--threshold must be a fraction in [0, 1), got {args.threshold}")
    print(render_diff(Path(args.run_a), Path(args.run_b), args.threshold), end="")
    return 0


def _check_python(python: str) -> None:
    """The interpreter exists and can import the project (one line if not)."""
    if not Path(python).is_file():
        raise UserError(f"--python {python!r} is not an interpreter file")
    if Path(python).absolute() == Path(sys.executable).absolute():
        return
    from comparisons.measure.environment import PROJECT_ROOT
    from comparisons.run.worker_env import worker_environment

    done = subprocess.run(
        [python, "-c", "import comparisons.cell.child"],
        capture_output=True,
        text=True,
        cwd=PROJECT_ROOT,
        env=worker_environment(pinned=False),
        timeout=120,
    )
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["it does not run"])[-1]
        raise UserError(
            f"--python {python} cannot run the project ({last}); prepare an environment "
            f"for it with: make python-env PYTHON={python}"
        )


def main(argv: list[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        if args.command == "list":
            return command_list()
        if args.command == "run":
            return command_run(args)
        if args.command == "compare":
            return command_compare(args)
        if args.command == "report":
            return command_report(args)
        return command_diff(args)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
