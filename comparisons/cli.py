"""Command line: `python -m comparisons {list,run,compare,report,diff,site}`.

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
from dataclasses import replace
from pathlib import Path
from typing import NoReturn

from comparisons.backends import REGISTRY as BACKENDS
from comparisons.backends import TWINS, backend_class
from comparisons.cell.contract import CellSpec
from comparisons.cell.outcome import Status
from comparisons.errors import UserError
from comparisons.measure.stats import PRACTICAL_THRESHOLD
from comparisons.run.suite import DEFAULT_MIN_REPEAT_S, split_names
from workloads import REGISTRY as WORKLOADS
from workloads import all_names, load_workload

EXIT_USER_ERROR = 2
EXIT_CELL_FAILED = 1
# Per cluster engine: its address's form, what the address names, what runs without one.
CLUSTER_ADDRESSES = {
    "dask": ("tcp://HOST:PORT", "scheduler", "a LocalCluster per cell"),
    "ray": ("HOST:PORT", "cluster, GCS host:port or ray://host:port", "a local Ray per cell"),
}
# What may go with --target (and only with it), by destination: (metavar, help).
TARGET_SETTINGS = {
    "inputs": (
        "MODULE:FN|FILE.py:FN|FILE.jsonl|.json|.pkl",
        "task inputs: a function called with the task count, or a file of items "
        "(default: FN_inputs in the target's module, else range(tasks))",
    ),
    "tolerance": (
        "REL",
        "results match serial's within this relative difference (default: equal)",
    ),
    "matches": ("MODULE:FN", "(got, expected) -> bool"),
    "asyncio_form": ("MODULE:FN", "async def for asyncio"),
    "trio_form": ("MODULE:FN", "async def for Trio"),
    "budget": ("TIME", "wall time the target's run may take, e.g. 90s, 5m (default 5m)"),
}


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
        dest="command",
        required=True,
        parser_class=Parser,
        metavar="{list,run,compare,report,diff,site}",
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
    run.add_argument("--json", action="store_true", help="print the record as one JSON object")
    _add_placement_arguments(run, "cell")

    compare = commands.add_parser("compare", help="run a suite and write results and a report")
    compare.add_argument("--suite", default="default", help="suite name or .toml path")
    _add_target_arguments(compare)
    compare.add_argument("--backends", default="", help="comma-separated subset of backends")
    compare.add_argument("--workloads", default="", help="comma-separated subset of workloads")
    compare.add_argument("--repeats", type=int, default=None, help="override measured repeats")
    compare.add_argument(
        "--seed",
        type=int,
        default=None,
        help="the interleaved order's seed (default: the suite's, or one drawn per run)",
    )
    compare.add_argument("--results", default="results", help="output root (default results)")
    compare.add_argument(
        "--resume",
        default=None,
        metavar="RUN",
        help="finish an interrupted run (a run id under --results, or its path)",
    )
    _add_placement_arguments(compare, "cells")

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

    site = commands.add_parser("site", help="every run side by side: a static site")
    site.add_argument("--results", default="results", help="the runs' root (default results)")
    site.add_argument("--out", default=None, help="where to write it (default RESULTS/site)")
    site.add_argument("runs", nargs="*", help="more run folders or folders of runs")

    return parser


def _add_target_arguments(parser: argparse.ArgumentParser) -> None:
    target = parser.add_argument_group(
        "your own function (replaces --suite; see workloads/target.py for the conventions)"
    )
    target.add_argument(
        "--target",
        metavar="MODULE:FN|FILE.py:FN",
        help="race this function on every model that can run it, sized by a probe",
    )
    for dest, (metavar, text) in TARGET_SETTINGS.items():
        target.add_argument(f"--{dest.replace('_', '-')}", metavar=metavar, help=text)


def _add_placement_arguments(parser: argparse.ArgumentParser, cells: str) -> None:
    """Where the cells run: the interpreter, an existing cluster per engine, this
    machine's address for the services the cells reach."""
    parser.add_argument(
        "--python",
        default=sys.executable,
        help=f"interpreter that runs the {cells} (default: this one)",
    )
    for engine, (metavar, what, otherwise) in CLUSTER_ADDRESSES.items():
        variable = f"{engine.upper()}_ADDRESS"
        parser.add_argument(
            f"--{engine}-address",
            default=os.environ.get(variable) or None,
            metavar=metavar,
            help=f"run {engine.capitalize()} cells on this existing {what} "
            f"(default: ${variable}, else {otherwise})",
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

    addresses = check_addresses(
        {engine: getattr(args, f"{engine}_address") for engine in CLUSTER_ADDRESSES}
    )
    return [
        replace(
            cell,
            address=addresses.get(backend_class(cell.backend).cluster_engine or ""),
            service_host=args.service_host,
        )
        for cell in cells
    ]


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
        if name in TWINS:
            continue
        backend = backend_class(name)
        indent = "    " if ":" in name else "  "
        label = f"{indent}{name}"
        print(f"{label:<26} {backend.summary}")
        if backend.source:
            print(f"{'':<26}   source: {backend.source}")
    print("A/A twins: the same class under another name, for SUITE=aa only:")
    for twin, original in TWINS.items():
        print(f"  {twin:<24} = {original}")
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
        from comparisons.target.command import compare_target

        return compare_target(args, results_root, place=lambda cells: place_cells(cells, args))
    if not args.target and any(getattr(args, dest) is not None for dest in TARGET_SETTINGS):
        raise UserError(
            "--inputs, --tolerance, --matches, the async forms and --budget go with --target"
        )
    if args.resume:
        run_dir, suite, cells = load_run(args.resume, results_root)
    else:
        suite, cells = expand_suite(
            resolve_suite_path(args.suite),
            backends=split_names(args.backends),
            workloads=split_names(args.workloads),
            repeats=args.repeats,
            seed=args.seed,
        )
        cells = place_cells(cells, args)
        run_dir = start_run(cells, suite=suite, results_root=results_root)
    try:
        run_suite(run_dir, cells, suite=suite, python=args.python, report=build_report)
    except KeyboardInterrupt:
        return 130
    return 0


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


def command_site(args: argparse.Namespace) -> int:
    from comparisons.site import build_site

    results = Path(args.results)
    roots = [results, *(Path(r) for r in args.runs if r)]
    build_site(roots, Path(args.out) if args.out else results / "site")
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
        if args.command == "site":
            return command_site(args)
        return command_diff(args)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
