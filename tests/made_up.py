"""Made-up records and cells for the tests of rules (verdict, claims, diff, ceiling):
complete in every field of the schema, so the code reads them as it reads real ones.

`record(...)` is one stored invocation as `load_records` returns it; `cell(...)` a cell
as `load_cells` returns it (before baselines are attached). Fields given override the
defaults: a successful, verified cell of `cpu.primes` on two workers.
"""

from __future__ import annotations

from typing import Any, cast

from comparisons.measure.stats import summarize
from comparisons.records.cells import Cell
from comparisons.records.schema import SCHEMA_VERSION, Record


def record(**fields: Any) -> Record:
    """One invocation's record; `samples_s` gives its timings and its `stats`."""
    samples = fields.get("samples_s", [1.0, 1.0, 1.0])
    workers, tasks = fields.get("workers", 2), fields.get("tasks", 32)
    backend = fields.get("backend", "threads")
    defaults: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "run_id": "made-up",
        "suite": "made-up",
        "key": f"{fields.get('workload', 'cpu.primes')}|{backend}|w={workers}|t={tasks}|",
        "workload": "cpu.primes",
        "kind": "cpu",
        "backend": backend,
        "model": backend.partition(":")[0],
        "variant": backend.partition(":")[2] or "default",
        "workers": workers,
        "tasks": tasks,
        "in_flight": min(workers, tasks),
        "params": {},
        "invocation": 0,
        "invocations": 1,
        "repeats": len(samples),
        "warmups": 1,
        "loops": 1,
        "min_repeat_s": 0.0,
        "timeout_s": 600.0,
        "status": "ok",
        "error": None,
        "samples_s": samples,
        "stats": summarize(samples) if samples else None,
        "throughput_tasks_per_s": None,
        "bytes_per_task": None,
        "services": [],
        "baseline": None,
        "fault": None,
        "setup_s": 0.0,
        "teardown_s": 0.0,
        "warmup_s": [samples[0]] if samples else [],
        "cell_wall_s": 1.0,
        "peak_rss_bytes": None,
        "peak_pss_bytes": None,
        "memory": None,
        "peak_processes": None,
        "cpu_s_per_repeat": [],
        "cpu_window_s": [],
        "cpu_utilisation": None,
        "cpu_s_total": None,
        "cpu_accounting": None,
        "service_cpu_s": None,
        "kernel_cpu_s": None,
        "load_before": None,
        "limits": None,
        "other_cpu_cores": None,
        "verification": {"ok": True, "detail": "made up"},
        "backend_info": {},
        "blocks_event_loop": False,
        "category": "GIL-bound CPU",
        "reference": backend == "ceiling",
        "yardstick": backend in ("serial", "ceiling"),
        "yardstick_reason": None,
        "measures_transfer": False,
        "in_process": backend in ("serial", "threads", "asyncio"),
        "ideal_s": None,
        "service_requests": None,
        "parallel": backend != "serial",
        "leftover_processes": [],
        "exit_code": 0,
        "python": "python",
        "env": None,
        "cluster": None,
        "started_at": "2026-01-01T00:00:00+00:00",
        "finished_at": "2026-01-01T00:00:01+00:00",
        "command": None,
        "machine": None,
        "share_s": None,
        "shared_input": None,
        "shared_process": [],
    }
    return cast(Record, {**defaults, **fields})


def cell(runs_s: list[list[float]] | None = None, **fields: Any) -> Cell:
    """A merged cell whose measured samples are `runs_s`, one list per invocation."""
    runs = runs_s if runs_s is not None else [[1.0, 1.0, 1.0]]
    samples = [v for run in runs for v in run]
    made = dict(record(samples_s=samples, **fields))
    made.update(
        runs_s=runs,
        invocations_done=len(runs),
        caveat=None,
        ceiling_beaten_by=None,
        stats=summarize(runs) if samples and fields.get("status", "ok") == "ok" else None,
    )
    made.update({k: v for k, v in fields.items() if k == "stats"})
    return cast(Cell, made)


def around(backend: str, time_s: float, spread: float = 0.005, **fields: Any) -> Cell:
    """A merged, successful cell of `backend`: three processes of three repeats around
    `time_s`, the processes `spread` apart and the repeats half that."""
    runs = [
        [time_s * (1 + spread * (i - 1) + spread * (j - 1) / 2) for j in range(3)] for i in range(3)
    ]
    return cell(runs, backend=backend, **fields)
