"""The record: one JSON object per cell run, the source of truth for every table and plot.

`build_record` joins a resolved cell, what it measured inside (a `CellOutcome`) and
what the harness saw outside (a `Monitor`), classified by `comparisons.outcome.classify`,
into the schema below. A cell runs
as several fresh processes ("invocations", pyperf's runs), each written as its own
record the moment it ends; `merge_invocations` joins a cell's records into one, with its
samples grouped by invocation so intervals cover run-to-run variance. `attach_baseline`
adds speedup and efficiency against the serial cell of the same workload and size;
`append_record` appends one line atomically to `records.jsonl`; `load_records` reads
them back, upgrades records of older schema versions (`upgrade`), and refuses a corrupt
line with its line number.

Schema versions: 1, one record per cell, memory as summed RSS; 2 (now), one record per
invocation, memory as PSS/USS (`memory`), warm-up times, CPU over the same window as
wall time, service CPU, the backend's `in_process` and `yardstick` flags; later in 2,
an optional `machine` (the machine's own speed during the invocation,
`comparisons.machine_speed`), None or absent in records written before it, which every
reader takes as "not measured".
"""

from __future__ import annotations

import json
import os
import statistics
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypedDict

from comparisons.backends import BASELINE, model_of, variant_of
from comparisons.backends.base import Backend
from comparisons.cell import ResolvedCell, in_flight
from comparisons.errors import UserError
from comparisons.outcome import CellOutcome, Checked, Monitor, Status, classify
from comparisons.stats import ratio_of_medians, speedup, summarize
from workloads.spec import Workload
from workloads.vocabulary import Category, Kind

CEILING = "ceiling"

SCHEMA_VERSION = 2
STATUSES = tuple(Status)
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


class Record(TypedDict):
    """One invocation's record as `build_record` writes it (schema `SCHEMA_VERSION`).

    The declared schema: mypy checks `build_record` against it, so a field cannot be
    added, renamed or retyped in one place only. Merging (`merge_invocations`) and the
    report add derived fields to the dicts they read (`runs_s`, `caveat`, ...); those
    are not part of what is stored.
    """

    schema_version: int
    run_id: str | None
    suite: str | None
    key: str
    workload: str
    kind: str
    backend: str
    model: str
    variant: str
    workers: int
    tasks: int
    in_flight: int
    params: dict[str, Any]
    invocation: int
    invocations: int
    repeats: int
    warmups: int
    loops: int
    min_repeat_s: float
    timeout_s: float
    status: Status
    error: str | None
    samples_s: list[float]
    stats: dict[str, Any] | None
    throughput_tasks_per_s: float | None
    bytes_per_task: int | None
    services: list[str]
    baseline: dict[str, Any] | None
    fault: dict[str, Any] | None
    setup_s: float | None
    teardown_s: float | None
    warmup_s: list[float]
    cell_wall_s: float
    peak_rss_bytes: int | None
    peak_pss_bytes: int | None
    memory: dict[str, Any] | None
    peak_processes: int | None
    cpu_s_per_repeat: list[float]
    cpu_window_s: list[float]
    cpu_utilisation: float | None
    cpu_s_total: float | None
    cpu_accounting: str | None
    service_cpu_s: float | None
    kernel_cpu_s: float | None
    load_before: list[float] | None
    limits: dict[str, list[int]] | None
    other_cpu_cores: float | None
    verification: dict[str, Any]
    backend_info: dict[str, Any]
    blocks_event_loop: bool
    category: str | None
    reference: bool
    yardstick: bool
    yardstick_reason: str | None
    measures_transfer: bool
    in_process: bool
    ideal_s: float | None
    service_requests: int | None
    parallel: bool
    leftover_processes: list[str]
    exit_code: int | None
    python: str
    env: dict[str, Any] | None
    cluster: dict[str, Any] | None
    started_at: str
    finished_at: str
    command: str | None
    # The machine's own speed during the invocation (`comparisons.machine_speed`).
    machine: dict[str, float | int] | None
    # Workloads with one shared read-only input (cpu.shared): its delivery (`shared`).
    share_s: float | None
    shared_input: dict[str, Any] | None


class CorruptRecords(UserError, ValueError):
    """A records file that cannot be read back (a user-facing problem)."""


def build_record(
    cell: ResolvedCell,
    outcome: CellOutcome | None,
    monitor: Monitor,
    context: dict[str, Any],
) -> Record:
    """Assemble a record; `outcome` is None when the cell died without a result."""
    spec, workload, backend = cell.spec, cell.workload, cell.backend
    verdict = classify(
        is_fault_probe=workload.kind == Kind.FAULT,
        timeout_s=spec.timeout_s,
        outcome=outcome,
        monitor=monitor,
    )
    measured = outcome or CellOutcome()
    samples, cpu = measured.samples_s, measured.cpu_s
    stats = summarize(samples) if samples else None
    params = measured.params or cell.params
    utilisation = (
        [c / w for c, w in zip(cpu, measured.cpu_window_s, strict=False) if w > 0]
        if samples and cpu
        else []
    )
    memory = monitor.memory
    runs = len(measured.warmup_s) + len(samples) * measured.loops
    record: Record = {
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
        "in_flight": cell.in_flight,
        "params": params,
        "invocation": spec.invocation,
        "invocations": spec.invocations,
        "repeats": spec.repeats,
        "warmups": spec.warmups,
        "loops": measured.loops,
        "min_repeat_s": spec.min_repeat_s,
        "timeout_s": spec.timeout_s,
        "status": verdict.status,
        "error": verdict.error,
        "samples_s": samples,
        "stats": stats,
        "throughput_tasks_per_s": spec.tasks / stats["median"] if stats else None,
        "bytes_per_task": workload.bytes_per_task(params) if workload.bytes_per_task else None,
        "services": monitor.services,
        "baseline": None,
        "fault": verdict.fault,
        "setup_s": measured.setup_s,
        "teardown_s": measured.teardown_s,
        "warmup_s": measured.warmup_s,
        "cell_wall_s": monitor.cell_wall_s,
        "peak_rss_bytes": monitor.peak_rss_bytes,
        "peak_pss_bytes": memory.get("peak_pss_bytes"),
        "memory": memory or None,
        "peak_processes": monitor.peak_processes,
        "cpu_s_per_repeat": cpu,
        "cpu_window_s": measured.cpu_window_s,
        "cpu_utilisation": summarize(utilisation)["median"] if utilisation else None,
        "cpu_s_total": monitor.cpu_s_total,
        "cpu_accounting": monitor.cpu_accounting,
        "service_cpu_s": monitor.service_cpu_s,
        "kernel_cpu_s": monitor.kernel_cpu_s,
        "load_before": monitor.load_before,
        "limits": measured.limits,
        "other_cpu_cores": monitor.other_cpu_cores,
        "verification": (measured.verification or Checked(detail="no result")).to_json(),
        "backend_info": measured.backend_info,
        "blocks_event_loop": workload.blocks_event_loop and backend.event_loop,
        "category": workload.category,
        "reference": backend.reference,
        "yardstick": backend.yardstick or (workload.measures_transfer and backend.in_process),
        "yardstick_reason": yardstick_reason(backend, workload),
        "measures_transfer": workload.measures_transfer,
        "in_process": backend.in_process,
        "ideal_s": (
            workload.ideal_s(spec.tasks, cell.in_flight, params) if workload.ideal_s else None
        ),
        "service_requests": spec.tasks * runs if monitor.services else None,
        "parallel": backend.parallel,
        "leftover_processes": [*measured.leftover_processes, *monitor.leftover_processes],
        "exit_code": monitor.exit_code,
        "python": monitor.python,
        "env": measured.env,
        "cluster": measured.backend_info.get("cluster")
        or ({"address": spec.address} if spec.address else None),
        "started_at": monitor.started_at,
        "finished_at": monitor.finished_at,
        "command": context.get("command"),
        "machine": monitor.machine,
        "share_s": measured.share_s,
        "shared_input": shared_input(cell, measured, params),
    }
    return record


# Bytes of the shared input copied (pickled, sent, written) by each crossing kind:
# (once per job, per run), as functions of (bytes, workers, tasks).
CROSSINGS = {
    "per task": (lambda b, w, t: 0, lambda b, w, t: b * t),
    "per run": (lambda b, w, t: 0, lambda b, w, t: b),
    "per worker": (lambda b, w, t: b * w, lambda b, w, t: 0),
    "once": (lambda b, w, t: b, lambda b, w, t: 0),
    "inherited": (lambda b, w, t: 0, lambda b, w, t: 0),
    "none": (lambda b, w, t: 0, lambda b, w, t: 0),
}


def shared_input(
    cell: ResolvedCell, measured: CellOutcome, params: dict[str, Any]
) -> dict[str, Any] | None:
    """How a workload's shared input reached the tasks: the idiom, its crossing kind,
    and the bytes that implies (by construction of the idiom, not measured)."""
    workload = cell.workload
    if workload.shared_bytes is None or measured.shared_crossing is None:
        return None
    size = workload.shared_bytes(params)
    once, per_run = CROSSINGS[measured.shared_crossing]
    args = (size, cell.spec.workers, cell.spec.tasks)
    return {
        "idiom": measured.shared_idiom,
        "crossing": measured.shared_crossing,
        "per_task_form": bool(params.get("per_task")),
        "bytes": size,
        "bytes_copied_once": once(*args),
        "bytes_copied_per_run": per_run(*args),
    }


def yardstick_reason(backend: type[Backend], workload: Workload) -> str | None:
    """Why a row is shown but never ranked, or None for a contender."""
    if backend.reference:
        return "the machine's ceiling (reference)"
    if backend.yardstick:
        return "the serial baseline (reference)"
    if workload.measures_transfer and backend.in_process:
        return "in-process: no bytes move (reference)"
    return None


def is_measured(record: dict[str, Any]) -> bool:
    """A row with timings to compare: it ran, passed verification and has samples."""
    return record["status"] == Status.OK and bool(record.get("stats"))


def samples_of(record: dict[str, Any]) -> list[list[float]]:
    """A record's measured samples grouped by invocation (one group for one process)."""
    return record.get("runs_s") or [record["samples_s"]]


def memory_bytes(record: dict[str, Any]) -> int | None:
    """The headline memory of a row: peak PSS of the tree, else summed RSS (marked by
    `memory_measure`)."""
    return record.get("peak_pss_bytes") or record.get("peak_rss_bytes")


def memory_measure(record: dict[str, Any]) -> str:
    if record.get("peak_pss_bytes"):
        return "PSS"
    return "RSS (PSS not readable)" if record.get("memory") else "RSS (schema 1)"


def baseline_key(record: dict[str, Any]) -> tuple:
    """Cells that share this key share a serial baseline: same work, same size."""
    params = tuple(sorted((record.get("params") or {}).items()))
    return (record["workload"], record["tasks"], params)


def attach_baseline(record: dict[str, Any], baseline: dict[str, Any] | None) -> dict[str, Any]:
    """Fill `record["baseline"]` with speedup and efficiency against `baseline`."""
    measured = [r for r in (baseline, record) if r and is_measured(r)]
    if baseline is None or len(measured) < 2:  # a fault probe has no timings to compare
        record["baseline"] = None
        return record
    ratio = speedup(samples_of(baseline), samples_of(record))
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
    baselines = {baseline_key(r): r for r in records if r["backend"] == BASELINE and is_measured(r)}
    attached = [attach_baseline(r, baselines.get(baseline_key(r))) for r in records]
    ceilings = {
        (baseline_key(r), r["workers"]): r
        for r in attached
        if r["backend"] == CEILING and is_measured(r)
    }
    for (key, workers), ceiling in ceilings.items():
        rows = [
            r
            for r in attached
            if baseline_key(r) == key
            and r["workers"] == workers
            and is_measured(r)
            and not r.get("yardstick")
            and r.get("baseline")
        ]
        attach_ceiling(ceiling, rows)
    return attached


def attach_ceiling(ceiling: dict[str, Any], rows: list[dict[str, Any]]) -> None:
    """Each row's share of the machine's ceiling (ceiling time / row time) with its
    interval. A row faster than the ceiling beyond the interval makes the ceiling wrong:
    the fastest such row becomes the ceiling instead, and every row says so."""
    limit, beaten_by = ceiling, None
    for r in sorted(rows, key=lambda r: r["stats"]["median"]):
        if ratio_of_medians(samples_of(limit), samples_of(r))["ci95_low"] > 1:
            limit, beaten_by = r, r["backend"]
    for r in rows:
        share = ratio_of_medians(samples_of(limit), samples_of(r))
        r["baseline"]["ceiling_speedup"] = r["baseline"]["median_s"] / limit["stats"]["median"]
        r["baseline"]["ceiling_efficiency"] = share["ratio"]
        r["baseline"]["ceiling_efficiency_ci95"] = [share["ci95_low"], share["ci95_high"]]
        r["baseline"]["ceiling_beaten_by"] = beaten_by
    ceiling["ceiling_beaten_by"] = beaten_by


def append_record(path: Path, record: dict[str, Any]) -> None:
    """Append one record as one line with a single write, so a crash never leaves half."""
    line = (json.dumps(record, sort_keys=True, default=repr) + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


def upgrade(record: dict[str, Any]) -> dict[str, Any]:
    """A record of any earlier schema version in today's shape (fields it lacks are
    None or empty, so readers need no version checks)."""
    version = record.get("schema_version", 1)
    if version < 2:
        record.setdefault("invocation", 0)
        record.setdefault("invocations", 1)
        record.setdefault("warmup_s", [])
        record.setdefault("cpu_window_s", [])
        record.setdefault("peak_pss_bytes", None)
        record.setdefault("memory", None)
        record.setdefault("service_cpu_s", None)
        record.setdefault("yardstick", record["backend"] in (BASELINE, CEILING))
        record.setdefault("in_process", None)
        record.setdefault("in_flight", in_flight(record["workers"], record["tasks"]))
        record.setdefault("measures_transfer", record.get("category") == Category.DATA_TRANSFER)
        record.setdefault("yardstick_reason", None)
        record["schema_version"] = 2
    record.setdefault("share_s", None)
    record.setdefault("shared_input", None)
    return record


def load_records(path: Path) -> list[dict[str, Any]]:
    """Read `records.jsonl`, upgraded to the current schema; a line that is not a valid
    record raises `CorruptRecords`."""
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
        if (
            not isinstance(record["schema_version"], int)
            or record["schema_version"] > SCHEMA_VERSION
        ):
            raise CorruptRecords(
                f"{path}:{number}: schema version {record['schema_version']!r} is newer than "
                f"this code reads ({SCHEMA_VERSION}); update the project"
            )
        records.append(upgrade(record))
    return records


def invocation_id(record: dict[str, Any]) -> str:
    return f"{record['key']}#{record.get('invocation', 0)}"


def unique_records(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """The last record of each cell invocation (a resumed or re-run one replaces the
    earlier)."""
    latest: dict[str, dict[str, Any]] = {}
    for record in records:
        latest.pop(invocation_id(record), None)
        latest[invocation_id(record)] = record
    return list(latest.values())


def _median(values: list[Any]) -> Any:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def merge_invocations(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One record per cell: its invocations joined, samples grouped by invocation.

    Status is ok only when every invocation is; otherwise the first failure's status and
    error stand for the cell (a cell that failed once is not quietly averaged). One-off
    costs (set-up, teardown, first run) and memory are medians over invocations.
    """
    by_key: dict[str, list[dict[str, Any]]] = {}
    for record in unique_records(records):
        by_key.setdefault(record["key"], []).append(record)
    merged = []
    for runs in by_key.values():
        runs.sort(key=lambda r: r.get("invocation", 0))
        first = runs[0]
        cell = dict(first)
        failed = [r for r in runs if r["status"] != Status.OK]
        if failed:
            cell.update(status=failed[0]["status"], error=failed[0]["error"])
            if failed[0] is not first:
                cell["error"] = f"invocation {failed[0].get('invocation', 0)}: {failed[0]['error']}"
        measured = [r for r in runs if r["status"] == Status.OK and r["samples_s"]]
        cell["runs_s"] = [list(r["samples_s"]) for r in measured]
        cell["samples_s"] = [v for r in measured for v in r["samples_s"]]
        cell["stats"] = summarize(cell["runs_s"]) if cell["samples_s"] else None
        cell["invocations_done"] = len(runs)
        machine = _merge_machine(runs)
        if machine:
            cell["machine"] = machine
        if len(runs) > 1:
            cell["throughput_tasks_per_s"] = (
                cell["tasks"] / cell["stats"]["median"] if cell["stats"] else None
            )
            for name in ("setup_s", "share_s", "teardown_s", "peak_rss_bytes", "peak_pss_bytes"):
                cell[name] = _median([r.get(name) for r in runs])
            cell["setup_runs_s"] = [r.get("setup_s") for r in runs]
            cell["warmup_s"] = [v for r in runs for v in (r.get("warmup_s") or [])[:1]]
            cell["memory"] = _merge_memory([r.get("memory") for r in runs])
            cell["cpu_s_per_repeat"] = [v for r in measured for v in r["cpu_s_per_repeat"]]
            cell["cpu_window_s"] = [v for r in measured for v in r.get("cpu_window_s") or []]
            cell["cpu_utilisation"] = _median([r.get("cpu_utilisation") for r in measured])
            cell["cpu_s_total"] = _sum([r.get("cpu_s_total") for r in runs])
            cell["service_cpu_s"] = _sum([r.get("service_cpu_s") for r in runs])
            cell["service_requests"] = _sum([r.get("service_requests") for r in runs])
            cell["cell_wall_s"] = sum(r.get("cell_wall_s") or 0 for r in runs)
            cell["other_cpu_cores"] = max(
                (r["other_cpu_cores"] for r in runs if r.get("other_cpu_cores") is not None),
                default=None,
            )
            cell["leftover_processes"] = [p for r in runs for p in r["leftover_processes"]]
            cell["backend_info"] = _merge_info([r.get("backend_info") or {} for r in runs])
            cell["finished_at"] = runs[-1].get("finished_at")
        merged.append(cell)
    return merged


def _merge_machine(runs: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The machine's speed over a cell's invocations (`comparisons.machine_speed`): the
    median slowdown, each invocation's, and the share of probes in a slow spell."""
    seen = [r["machine"] for r in runs if r.get("machine")]
    if not seen:
        return None
    return {
        "slowdown": statistics.median(m["slowdown"] for m in seen),
        "run_slowdowns": [m["slowdown"] for m in seen],
        "slow_share": statistics.fmean(m["slow_share"] for m in seen),
        "usual_probe_cpu_s": statistics.median(m["usual_probe_cpu_s"] for m in seen),
        "probes": sum(m["probes"] for m in seen),
    }


def _sum(values: list[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def _merge_memory(memories: list[dict[str, Any] | None]) -> dict[str, Any] | None:
    present = [m for m in memories if m]
    if not present:
        return None
    merged = dict(present[0])
    for name, value in present[0].items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            merged[name] = _median([m.get(name) for m in present])
    return merged


def _merge_info(infos: list[dict[str, Any]]) -> dict[str, Any]:
    """The first invocation's settings; a worst-case figure (the loop's lag) over all."""
    merged = dict(infos[0]) if infos else {}
    lags = [i["loop_lag_max_s"] for i in infos if i.get("loop_lag_max_s") is not None]
    if lags:
        merged["loop_lag_max_s"] = max(lags)
    return merged
