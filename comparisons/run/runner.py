"""Runs a suite: fresh subprocesses per cell, in a seeded interleaved order.

`run_suite` makes `results/<run-id>/`, writes `env.json`, runs every invocation of every
cell through `harness.run_cell` with a live progress display on stderr, attaches the
serial baseline as soon as it exists, appends every record the moment it is complete
(so an interrupted run keeps everything finished), then has the caller's report built and points
`results/latest` at the run.

Order (`run_order`): a cell runs as `invocations` fresh processes; round r holds every
cell's r-th invocation, shuffled with the suite's seed. A suite with `shared_processes`
(the maps) runs the points of one model and worker count in a round in one fresh process,
the model set up once for them (`process_units`). Slow drift of the machine
(another tenant, thermal state) then spreads over every model instead of favouring
whichever ran first, and a cell's spread includes it. A suite with `extra_budget_s`
then spends up to that much on extra rounds: first for the serial and ceiling cells a
figure showed broken (a speedup above the cores, a ceiling beaten), then for the cells
of verdict rows still in doubt (`run_extra_rounds`, `comparisons.run.adaptive`).
"""

from __future__ import annotations

import json
import os
import random
import secrets
import shlex
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from comparisons import formatting as fmt
from comparisons.backends import BASELINE
from comparisons.cell.contract import CellSpec, can_share_process, process_key
from comparisons.cell.outcome import Status
from comparisons.errors import UserError
from comparisons.layout import CELLS_FILE, ENV_FILE, LATEST_LINK, RECORDS_FILE
from comparisons.measure.environment import capture_environment
from comparisons.records.cells import attach_baseline, baseline_key, is_measured, stats_of
from comparisons.records.schema import CEILING, Record
from comparisons.records.store import append_record, invocation_id, load_records
from comparisons.run.adaptive import MAX_EXTRA_ROUNDS, extra_rows
from comparisons.run.budget import STOP_PREFIX, Deadline, by_priority
from comparisons.run.harness import run_cell, run_points
from comparisons.run.suite import DEFAULT_SEED


def new_run_id(suite: str) -> str:
    """Time-ordered and unique even for two runs started in the same second."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return f"{stamp}-{suite}-{secrets.token_hex(2)}"


def make_run_dir(results_root: Path, run_id: str) -> Path:
    try:
        results_root.mkdir(parents=True, exist_ok=True)
        run_dir = results_root / run_id
        run_dir.mkdir()
        probe = run_dir / ".writable"
        probe.write_text("")
        probe.unlink()
    except OSError as exc:
        raise UserError(f"cannot write results under {results_root}: {exc.strerror}") from None
    return run_dir


def point_latest(results_root: Path, run_dir: Path) -> None:
    """Atomically repoint `results/latest` at `run_dir` (a relative symlink)."""
    link = results_root / LATEST_LINK
    temporary = results_root / f".latest-{os.getpid()}"
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(run_dir.name)
    temporary.replace(link)


def describe_cell(spec: CellSpec) -> str:
    params = " ".join(f"{k}={v}" for k, v in sorted(spec.params.items()))
    return f"{spec.backend} · {spec.workload} · workers={spec.workers} tasks={spec.tasks} {params}"


def summarize_record(record: Record) -> str:
    """One progress line: the status, or the median, spread, speedup and set-up."""
    if record["status"] != Status.OK:
        reason = (record["error"] or "").strip().splitlines()
        return f"[red]{record['status']}[/red]: {reason[-1] if reason else ''}"
    if record["fault"]:
        from comparisons.cell.faults import describe

        return f"[green]probed[/green]: {describe(record['fault'])}"
    stats = stats_of(record)
    base = record["baseline"]
    speed = f", {base.speedup:.2f}x serial" if base else ""
    if base and base.unreliable:
        speed = f", {base.speedup:.2f}x serial (above the usable cores: baseline unreliable)"
    return (
        f"[green]ok[/green] median {fmt.seconds(stats.median)} "
        f"(CV {stats.cv * 100:.0f}%){speed}, set-up {fmt.seconds(record['setup_s'])}"
    )


def run_order(cells: list[CellSpec], seed: int = DEFAULT_SEED) -> list[CellSpec]:
    """Every invocation of every cell, round by round, each round shuffled by `seed`.

    Baselines lead the first round, so speedups are shown live from the start.
    """
    rounds = max((c.invocations for c in cells), default=0)
    order: list[CellSpec] = []
    for number in range(rounds):
        round_cells = [replace(c, invocation=number) for c in cells if number < c.invocations]
        random.Random(seed * 1_000 + number).shuffle(round_cells)
        if number == 0:
            round_cells.sort(key=lambda c: c.backend != BASELINE)
        order.extend(round_cells)
    return order


def process_units(
    order: list[CellSpec], shared: bool, seed: int = DEFAULT_SEED
) -> list[list[CellSpec]]:
    """The fresh processes to start, in `order`: with `shared`, the points of one
    `process_key` in a round share processes (a model's set-up paid once for several of
    them), each process placed where its first point stood; points that cannot share
    (`can_share_process`) keep a process each.

    A point's first run, memory and loop lag are read only where it came first in its
    process (`schema.carried_over`), so every point must lead a process in some round:
    the points of a model are dealt to the rounds by a seeded permutation
    (`_leading_round`), and a round splits the model's points into as many processes as
    it has leaders, each leader first and the other points shared out between them in
    the shuffled round's order. With 11 points and 3 rounds that is 4, 4 and 3 processes
    a round, not 1 (then 8 of 11 points never came first) nor 11."""
    if not shared:
        return [[spec] for spec in order]
    position = {spec.invocation_key: i for i, spec in enumerate(order)}
    units: list[list[CellSpec]] = []
    by_key: dict[tuple[Any, ...], list[CellSpec]] = {}
    for spec in order:
        if not can_share_process(spec.resolve()):
            units.append([spec])
        else:
            by_key.setdefault(process_key(spec), []).append(spec)
    for points in by_key.values():
        units.extend(_split_by_leaders(points, seed))
    units.sort(key=lambda unit: position[unit[0].invocation_key])
    return units


def _leading_round(points: list[CellSpec], seed: int) -> dict[str, int]:
    """The round in which each of a model's points leads its process: the points, in a
    permutation seeded by the suite's seed and the model, dealt to rounds in turn."""
    keys = sorted(spec.key for spec in points)
    model = repr(process_key(replace(points[0], invocation=0)))
    random.Random(f"{seed}|{model}").shuffle(keys)
    rounds = max(spec.invocations for spec in points)
    return {key: i % rounds for i, key in enumerate(keys)}


def _split_by_leaders(points: list[CellSpec], seed: int) -> list[list[CellSpec]]:
    """One round's points of one model (in the round's order) as processes: one per
    point that leads in this round, the others dealt to them in turn."""
    number = points[0].invocation
    leads = _leading_round(points, seed)
    leaders = [spec for spec in points if leads[spec.key] == number]
    others = [spec for spec in points if leads[spec.key] != number]
    if not leaders:
        return [points]
    groups = [[leader] for leader in leaders]
    for i, spec in enumerate(others):
        groups[i % len(groups)].append(spec)
    return groups


def _with_seed(argv: list[str], suite: dict[str, Any]) -> list[str]:
    """The command line with the order's seed on it, so the recorded command reruns the
    same order (a suite run draws a seed unless given one)."""
    given = {a.split("=")[0] for a in argv}
    if "seed" not in suite or given & {"--seed", "--resume", "--target"}:
        return argv
    return [*argv, "--seed", str(suite["seed"])]


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def start_run(cells: list[CellSpec], *, suite: dict[str, Any], results_root: Path) -> Path:
    """Create the run directory with `env.json` and the cell list a resume will need."""
    run_id = new_run_id(suite["name"])
    run_dir = make_run_dir(results_root, run_id)
    command = shlex.join(["python", "-m", "comparisons", *_with_seed(sys.argv[1:], suite)])
    env = capture_environment()
    (run_dir / ENV_FILE).write_text(
        json.dumps(
            {
                "run_id": run_id,
                "suite": suite["name"],
                "command": command,
                "suite_path": suite["path"],
                "environment": env,
            },
            indent=2,
        )
        + "\n"
    )
    (run_dir / CELLS_FILE).write_text(
        json.dumps({"suite": suite, "cells": [c.to_json() for c in cells]}, indent=1) + "\n"
    )
    return run_dir


def load_run(run: str, results_root: Path) -> tuple[Path, dict[str, Any], list[CellSpec]]:
    """Find an earlier run by id or path, with its suite and full cell list."""
    candidates = [Path(run), results_root / run]
    run_dir = next((p for p in candidates if (p / CELLS_FILE).is_file()), None)
    if run_dir is None:
        raise UserError(
            f"{run!r} is not a run that can be resumed (no {CELLS_FILE} under it or under "
            f"{results_root / run})"
        )
    try:
        data = json.loads((run_dir / CELLS_FILE).read_text())
        cells = [CellSpec.from_json(c) for c in data["cells"]]
        suite = data["suite"]
    except (ValueError, KeyError, TypeError) as exc:
        raise UserError(f"{run_dir / CELLS_FILE} is damaged: {exc}") from None
    return run_dir.resolve(), suite, cells


def _run_by(
    deadline: Deadline, spec: CellSpec, python: str, context: dict[str, Any]
) -> Record | None:
    """One cell under a deadline: skipped with the reason when it would not fit, else
    run with the time left as its timeout and its wall time learnt. A later process of a
    cell that already has one is simply not run (None): the cell keeps what it measured,
    and the report counts the processes the budget cut."""
    why = deadline.why_not(spec)
    if why and (spec.invocation >= spec.invocations or spec.key in deadline.measured):
        return None
    if why:
        return run_cell(spec, python=python, context=context, skip_reason=why)
    bounded = deadline.bounded(spec)
    record = run_cell(bounded, python=python, context=context)
    deadline.learn(spec, record.get("cell_wall_s"))
    if record["status"] == Status.TIMEOUT and bounded.timeout_s < spec.timeout_s:
        record["error"] = (
            f"{STOP_PREFIX} ({deadline.budget_s:.0f} s) after {bounded.timeout_s:.0f} s: "
            f"{record['error']}"
        )
    return record


def run_extra_rounds(
    cells: list[CellSpec],
    records_path: Path,
    budget_s: float,
    suite: dict[str, Any],
    run_one: Callable[[CellSpec, str], None],
    console: Console,
) -> None:
    """Extra fresh processes, a round at a time, until nothing needs one, a cell has had
    `MAX_EXTRA_ROUNDS`, or `budget_s` of wall time is spent (`comparisons.run.adaptive`):
    first one for each serial or ceiling cell a figure showed unreliable, so it is
    measured again before anything is compared with it, then for the cells of verdict
    rows still in doubt, cheapest first. The budget is checked before each yardstick and
    each row, never inside a row: a row's cells all get their extra process, in a seeded
    shuffled order, so no side of a comparison is favoured; a row whose processes cost
    more than the budget left is passed over."""
    by_key = {c.key: c for c in cells}
    deadline = time.monotonic() + budget_s
    for extra_round in range(MAX_EXTRA_ROUNDS):
        records = load_records(records_path)
        yardsticks, contested, costs = extra_rows(records)
        yardsticks = [k for k in yardsticks if k in by_key]
        rows = [[k for k in row if k in by_key] for row in contested]
        rows = [row for row in rows if len(row) > 1]
        if not yardsticks and not rows:
            return
        last = {c: max(r.get("invocation", 0) for r in records if r["key"] == c) for c in by_key}
        doubt = f"{len(rows)} verdict rows still in doubt"
        if yardsticks:
            doubt = f"{len(yardsticks)} unreliable baselines or ceilings, " + doubt
        console.print(
            f"extra round {extra_round + 1}: {doubt} "
            f"({max(0.0, deadline - time.monotonic()):.0f} s of budget left)",
            highlight=False,
        )
        for key in yardsticks:
            if time.monotonic() >= deadline:
                console.print("extra rounds: budget spent", highlight=False)
                return
            if costs.get(key, 0.0) > deadline - time.monotonic():
                continue
            spec = replace(by_key[key], invocation=last[key] + 1)
            why = "an unreliable ceiling" if spec.backend == CEILING else "an unreliable baseline"
            run_one(
                spec,
                f"{describe_cell(spec)} (extra run {spec.invocation + 1}: measuring {why} "
                f"again, round {extra_round + 1})",
            )
        order = random.Random(suite.get("seed", DEFAULT_SEED) * 1_000 + 500 + extra_round)
        done: set[str] = set(yardsticks)
        for number, row in enumerate(rows, start=1):
            if time.monotonic() >= deadline:
                console.print("extra rounds: budget spent", highlight=False)
                return
            todo = [k for k in row if k not in done]
            if sum(costs.get(k, 0.0) for k in todo) > deadline - time.monotonic():
                continue
            order.shuffle(todo)
            for key in todo:
                done.add(key)
                spec = replace(by_key[key], invocation=last[key] + 1)
                run_one(
                    spec,
                    f"{describe_cell(spec)} (extra run {spec.invocation + 1}: row "
                    f"{number}/{len(rows)}, round {extra_round + 1})",
                )


def run_suite(
    run_dir: Path,
    cells: list[CellSpec],
    *,
    suite: dict[str, Any],
    python: str = sys.executable,
    report: Callable[[Path], Path] | None = None,
    deadline: Deadline | None = None,
) -> Path:
    """Run every cell of `run_dir` that has no record yet; write records, then the
    report (`report(run_dir)`, given by the caller: the command line passes
    `comparisons.report.build_report`) and point `latest` at the run.

    With a `deadline` (a TARGET run's budget), a cell that would not finish in the time
    left is recorded as skipped with that reason, and a started one is stopped there
    (`comparisons.run.budget`).

    Raises KeyboardInterrupt after saving what finished when interrupted (Ctrl-C or
    SIGTERM); `--resume` then runs only the cells still missing.
    """
    run_id = run_dir.name
    results_root = run_dir.parent
    records_path = run_dir / RECORDS_FILE
    done: dict[str, Record] = {}
    if records_path.exists():
        done = {invocation_id(r): r for r in load_records(records_path)}
    todo = [
        c for c in run_order(cells, suite.get("seed", DEFAULT_SEED)) if c.invocation_key not in done
    ]
    if deadline is not None:
        todo = by_priority(todo)
    command = shlex.join(["python", "-m", "comparisons", *_with_seed(sys.argv[1:], suite)])
    context = {"run_id": run_id, "suite": suite["name"], "command": command}
    console = Console(stderr=True, soft_wrap=True)
    skipped = f", {len(done)} already done" if done else ""
    console.print(f"run [bold]{run_id}[/bold]: {len(todo)} cells to run{skipped} -> {run_dir}")
    baselines: dict[tuple[Any, ...], Record] = {
        baseline_key(r): r for r in done.values() if r["backend"] == BASELINE and is_measured(r)
    }
    begin = time.monotonic()
    interrupted = False
    on_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _interrupt) if on_main_thread else None
    try:
        with Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=not console.is_terminal,
        ) as progress:
            bar = progress.add_task("starting", total=len(todo))

            def keep(spec: CellSpec, record: Record, label: str) -> None:
                key = baseline_key(record)
                if spec.backend == BASELINE and is_measured(record):
                    baselines[key] = record
                attach_baseline(record, baselines.get(key))
                append_record(records_path, record)
                progress.advance(bar)
                console.print(f"{label}: {summarize_record(record)}", highlight=False)

            def run_one(spec: CellSpec, label: str) -> None:
                progress.update(bar, description=label)
                if not console.is_terminal:
                    console.print(f"{label} ...", highlight=False)
                if deadline is None:
                    record = run_cell(spec, python=python, context=context)
                else:
                    found = _run_by(deadline, spec, python, context)
                    if found is None:
                        progress.advance(bar)
                        return
                    record = found
                keep(spec, record, label)

            def run_shared(unit: list[CellSpec], labels: list[str]) -> None:
                head = (
                    f"{labels[0]} and {len(unit) - 1} more "
                    f"{'point' if len(unit) == 2 else 'points'} of {unit[0].backend} "
                    "in one process"
                )
                progress.update(bar, description=head)
                if not console.is_terminal:
                    console.print(f"{head} ...", highlight=False)
                for spec, record, label in zip(
                    unit, run_points(unit, python=python, context=context), labels, strict=True
                ):
                    keep(spec, record, label)

            shared = bool(suite.get("shared_processes")) and deadline is None
            index = 0
            for unit in process_units(todo, shared, suite.get("seed", DEFAULT_SEED)):
                labels = []
                for spec in unit:
                    index += 1
                    label = f"[{index}/{len(todo)}] {describe_cell(spec)}"
                    if spec.invocations > 1:
                        label += f" (run {spec.invocation + 1}/{spec.invocations})"
                    labels.append(label)
                if len(unit) == 1:
                    run_one(unit[0], labels[0])
                else:
                    run_shared(unit, labels)
            extra_budget_s = float(suite.get("extra_budget_s", 0))
            if deadline is not None:
                extra_budget_s = min(extra_budget_s, deadline.left_s())
            if extra_budget_s > 0:
                run_extra_rounds(cells, records_path, extra_budget_s, suite, run_one, console)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        if on_main_thread:
            signal.signal(signal.SIGTERM, previous)
    elapsed = time.monotonic() - begin
    if records_path.exists():
        if report is not None:
            console.print(f"report: {report(run_dir)} ({elapsed:.0f} s)")
        point_latest(results_root, run_dir)
    if interrupted:
        console.print(
            f"[yellow]interrupted[/yellow]: finished cells are kept in {records_path}; "
            f"finish the run with: make compare RESUME={run_id}"
            + (f" RESULTS={results_root}" if results_root.name != "results" else "")
        )
        raise KeyboardInterrupt
    return run_dir
