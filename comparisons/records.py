"""The record: one JSON object per cell, the source of truth for every table and plot.

`build_record` joins a cell's spec, what it measured inside (`comparisons.cell`) and
what the harness saw outside (`comparisons.harness`) into the schema below;
`attach_baseline` adds speedup and efficiency against the serial cell of the same
workload and size; `append_record` appends one line atomically to `records.jsonl`;
`load_records` reads them back and refuses a corrupt line with its line number.
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from comparisons.backends import BASELINE, backend_class, model_of, variant_of
from comparisons.cell import CellSpec
from comparisons.stats import speedup, summarize

CEILING = "ceiling"

SCHEMA_VERSION = 1
STATUSES = ("ok", "error", "timeout", "skipped")
REQUIRED_FIELDS = (
    "schema_version",
    "run_id",
    "suite",
    "key",
    "workload",
    "kind",
    "backend",
    "variant",
    "workers",
    "tasks",
    "params",
    "repeats",
    "warmups",
    "status",
    "error",
    "samples_s",
    "stats",
    "throughput_tasks_per_s",
    "baseline",
    "setup_s",
    "teardown_s",
    "cell_wall_s",
    "peak_rss_bytes",
    "cpu_s_per_repeat",
    "cpu_s_total",
    "verification",
    "backend_info",
    "blocks_event_loop",
    "leftover_processes",
    "env",
    "started_at",
    "finished_at",
    "timeout_s",
)


class CorruptRecords(ValueError):
    """A records file that cannot be read back (a user-facing problem)."""


def build_record(
    spec: CellSpec,
    outcome: dict[str, Any] | None,
    monitor: dict[str, Any],
    context: dict[str, Any],
) -> dict[str, Any]:
    """Assemble a record; `outcome` is None when the cell died without a result."""
    from workloads import load_workload

    workload = load_workload(spec.workload)
    backend = backend_class(spec.backend)
    outcome = outcome or {}
    samples = outcome.get("samples_s") or []
    cpu = outcome.get("cpu_s") or []

    fault = outcome.get("fault")
    if (
        workload.kind == "fault"
        and fault is None
        and not (monitor.get("skip_reason") or outcome.get("skip_reason"))
    ):
        # For a fault probe, the cell dying or blocking is the finding, not a failure
        # (a blocked cell stopped by the harness reports SystemExit; that is not news).
        if monitor["timed_out"]:
            fault = {
                "outcome": "blocked",
                "detail": "the caller cannot give up on the hung "
                f"task; the harness killed the cell after {spec.timeout_s:g} s",
            }
        elif not outcome and monitor.get("exit_code") is not None:
            fault = {
                "outcome": "program died",
                "detail": f"the whole process {describe_exit(monitor['exit_code'])}",
            }
    skip_reason = monitor.get("skip_reason") or outcome.get("skip_reason")
    if skip_reason:
        status, error = "skipped", skip_reason
    elif monitor.get("start_error"):
        status, error = "error", monitor["start_error"]
    elif fault is not None:
        status, error = "ok", None
    elif monitor["timed_out"]:
        status, error = "timeout", f"cell exceeded its {spec.timeout_s:g} s timeout; tree killed"
    elif not outcome:
        status = "error"
        error = (
            f"cell process {describe_exit(monitor['exit_code'])} and left no result; "
            f"last output: {monitor['output_tail'][-600:].strip() or '(none)'}"
        )
    elif outcome.get("error"):
        status, error = "error", outcome["error"]
    elif not samples:
        status, error = "error", "no measured repeats"
    else:
        status, error = "ok", None

    stats = summarize(samples) if samples else None
    params = outcome.get("params") or workload.resolve_params(spec.params)
    utilisation = (
        [c / s for c, s in zip(cpu, samples, strict=False) if s > 0] if samples and cpu else []
    )
    return {
        "schema_version": SCHEMA_VERSION,
        "run_id": context.get("run_id"),
        "suite": context.get("suite"),
        "key": spec.key,
        "workload": spec.workload,
        "kind": workload.kind,
        "backend": spec.backend,
        "model": model_of(spec.backend),
        "variant": variant_of(spec.backend),
        "workers": spec.workers,
        "tasks": spec.tasks,
        "params": params,
        "repeats": spec.repeats,
        "warmups": spec.warmups,
        "loops": outcome.get("loops", 1),
        "min_repeat_s": spec.min_repeat_s,
        "timeout_s": spec.timeout_s,
        "status": status,
        "error": error,
        "samples_s": samples,
        "stats": stats,
        "throughput_tasks_per_s": spec.tasks / stats["median"] if stats else None,
        "bytes_per_task": workload.bytes_per_task(params) if workload.bytes_per_task else None,
        "services": monitor.get("services") or [],
        "baseline": None,
        "fault": fault,
        "setup_s": outcome.get("setup_s"),
        "teardown_s": outcome.get("teardown_s"),
        "cell_wall_s": monitor["cell_wall_s"],
        "peak_rss_bytes": monitor["peak_rss_bytes"],
        "peak_processes": monitor["peak_processes"],
        "cpu_s_per_repeat": cpu,
        "cpu_utilisation": summarize(utilisation)["median"] if utilisation else None,
        "cpu_s_total": monitor["cpu_s_total"],
        "load_before": monitor.get("load_before"),
        "limits": outcome.get("limits"),
        "other_cpu_cores": monitor.get("other_cpu_cores"),
        "verification": outcome.get("verification")
        or {"ok": False, "detail": "no result", "repeats_checked": 0},
        "backend_info": outcome.get("backend_info") or {},
        "blocks_event_loop": workload.blocks_event_loop and backend.event_loop,
        "category": workload.category,
        "reference": backend.reference,
        "parallel": backend.parallel,
        "leftover_processes": [
            *(outcome.get("leftover_processes") or []),
            *monitor["leftover_processes"],
        ],
        "exit_code": monitor["exit_code"],
        "python": monitor["python"],
        "env": outcome.get("env"),
        "cluster": (outcome.get("backend_info") or {}).get("cluster")
        or ({"address": spec.address} if spec.address else None),
        "started_at": monitor["started_at"],
        "finished_at": monitor["finished_at"],
        "command": context.get("command"),
    }


def describe_exit(code: int | None) -> str:
    """'exited with code 1', or 'was killed by SIGSEGV' for a negative Popen code."""
    if code is None or code >= 0:
        return f"exited with code {code}"
    try:
        name = signal.Signals(-code).name
    except ValueError:
        name = f"signal {-code}"
    hint = " (the kernel's out-of-memory killer sends this)" if name == "SIGKILL" else ""
    return f"was killed by {name}{hint}"


def baseline_key(record: dict[str, Any]) -> tuple:
    """Cells that share this key share a serial baseline: same work, same size."""
    params = tuple(sorted((record.get("params") or {}).items()))
    return (record["workload"], record["tasks"], params)


def attach_baseline(record: dict[str, Any], baseline: dict[str, Any] | None) -> dict[str, Any]:
    """Fill `record["baseline"]` with speedup and efficiency against `baseline`."""
    measured = [r for r in (baseline, record) if r and r.get("status") == "ok" and r.get("stats")]
    if baseline is None or len(measured) < 2:  # a fault probe has no timings to compare
        record["baseline"] = None
        return record
    ratio = speedup(baseline["samples_s"], record["samples_s"])
    workers = record["workers"]
    record["baseline"] = {
        "backend": baseline["backend"],
        "key": baseline["key"],
        "median_s": baseline["stats"]["median"],
        "speedup": ratio["speedup"],
        "speedup_ci95": [ratio["ci95_low"], ratio["ci95_high"]],
        "efficiency": ratio["speedup"] / workers,
    }
    return record


def attach_baselines(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Attach the serial baseline, and the machine's ceiling where measured, to each record."""
    baselines = {
        baseline_key(r): r
        for r in records
        if r["backend"] == BASELINE and r["status"] == "ok" and r.get("stats")
    }
    attached = [attach_baseline(r, baselines.get(baseline_key(r))) for r in records]
    ceilings = {
        (baseline_key(r), r["workers"]): r
        for r in attached
        if r["backend"] == CEILING and r["status"] == "ok" and r.get("baseline")
    }
    for r in attached:
        ceiling = ceilings.get((baseline_key(r), r["workers"]))
        if r.get("baseline") and ceiling is not None:
            limit = ceiling["baseline"]["speedup"]
            r["baseline"]["ceiling_speedup"] = limit
            r["baseline"]["ceiling_efficiency"] = r["baseline"]["speedup"] / limit
    return attached


def append_record(path: Path, record: dict[str, Any]) -> None:
    """Append one record as one line with a single write, so a crash never leaves half."""
    line = (json.dumps(record, sort_keys=True, default=repr) + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


def load_records(path: Path) -> list[dict[str, Any]]:
    """Read `records.jsonl`; a line that is not a valid record raises `CorruptRecords`."""
    records = []
    try:
        lines = path.read_text().splitlines()
    except OSError as exc:
        raise CorruptRecords(f"cannot read {path}: {exc.strerror}") from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError:
            raise CorruptRecords(f"{path}:{number}: not valid JSON") from None
        missing = [f for f in REQUIRED_FIELDS if not isinstance(record, dict) or f not in record]
        if missing:
            raise CorruptRecords(f"{path}:{number}: record lacks {', '.join(missing[:5])}")
        if record["status"] not in STATUSES:
            raise CorruptRecords(f"{path}:{number}: unknown status {record['status']!r}")
        records.append(record)
    return records


def unique_records(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The last record of each cell key (a resumed or re-run cell replaces the earlier)."""
    latest: dict[str, dict[str, Any]] = {}
    for record in records:
        latest.pop(record["key"], None)
        latest[record["key"]] = record
    return list(latest.values())
