"""Runs a suite: one fresh subprocess per cell, records appended as they finish.

`run_suite` makes `results/<run-id>/`, writes `env.json`, runs each cell through
`harness.run_cell` with a live progress display on stderr, attaches the serial baseline
as soon as it exists, appends every record the moment it is complete (so an interrupted
run keeps everything finished), then builds the report and points `results/latest` at
the run.
"""

from __future__ import annotations

import json
import os
import secrets
import shlex
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

from comparisons.backends import BASELINE
from comparisons.cell import CellSpec
from comparisons.environment import capture_environment
from comparisons.errors import UserError
from comparisons.harness import run_cell
from comparisons.records import append_record, attach_baseline, baseline_key
from comparisons.report import RECORDS_FILE, build_report
from comparisons.report import formatting as fmt


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
    link = results_root / "latest"
    temporary = results_root / f".latest-{os.getpid()}"
    temporary.unlink(missing_ok=True)
    temporary.symlink_to(run_dir.name)
    temporary.replace(link)


def describe_cell(spec: CellSpec) -> str:
    params = " ".join(f"{k}={v}" for k, v in sorted(spec.params.items()))
    return f"{spec.backend} · {spec.workload} · workers={spec.workers} tasks={spec.tasks} {params}"


def summarize_record(record: dict[str, Any]) -> str:
    if record["status"] != "ok":
        reason = (record.get("error") or "").strip().splitlines()
        return f"[red]{record['status']}[/red]: {reason[-1] if reason else ''}"
    stats = record["stats"]
    base = record.get("baseline")
    speed = f", {base['speedup']:.2f}x serial" if base else ""
    return (
        f"[green]ok[/green] median {fmt.seconds(stats['median'])} "
        f"(CV {stats['cv'] * 100:.0f}%){speed}, set-up {fmt.seconds(record['setup_s'])}"
    )


def run_suite(
    cells: list[CellSpec],
    *,
    suite: dict[str, Any],
    results_root: Path,
    python: str = sys.executable,
) -> Path:
    """Run every cell, write records and the report; return the run directory."""
    run_id = new_run_id(suite["name"])
    run_dir = make_run_dir(results_root, run_id)
    command = shlex.join(["python", "-m", "comparisons", *sys.argv[1:]])
    context = {"run_id": run_id, "suite": suite["name"], "command": command}
    env = capture_environment()
    (run_dir / "env.json").write_text(
        json.dumps({**context, "suite_path": suite["path"], "environment": env}, indent=2) + "\n"
    )
    records_path = run_dir / RECORDS_FILE
    console = Console(stderr=True, soft_wrap=True)
    console.print(f"run [bold]{run_id}[/bold]: {len(cells)} cells -> {run_dir}")
    baselines: dict[tuple, dict[str, Any]] = {}
    begin = time.monotonic()
    interrupted = False
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not console.is_terminal,
    ) as progress:
        bar = progress.add_task("starting", total=len(cells))
        for index, spec in enumerate(cells, start=1):
            label = f"[{index}/{len(cells)}] {describe_cell(spec)}"
            progress.update(bar, description=label)
            if not console.is_terminal:
                console.print(f"{label} ...", highlight=False)
            try:
                record = run_cell(spec, python=python, context=context)
            except KeyboardInterrupt:
                interrupted = True
                break
            key = baseline_key(record)
            if spec.backend == BASELINE and record["status"] == "ok":
                baselines[key] = record
            attach_baseline(record, baselines.get(key))
            append_record(records_path, record)
            progress.advance(bar)
            console.print(f"{label}: {summarize_record(record)}", highlight=False)
    elapsed = time.monotonic() - begin
    if records_path.exists():
        report = build_report(run_dir)
        point_latest(results_root, run_dir)
        console.print(f"report: {report} ({elapsed:.0f} s)")
    if interrupted:
        console.print(f"[yellow]interrupted[/yellow]: records so far kept in {records_path}")
        raise KeyboardInterrupt
    return run_dir
