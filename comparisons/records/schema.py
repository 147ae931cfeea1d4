"""The record: one JSON object per cell run, the source of truth for every table and plot.

`build_record` joins a resolved cell, what it measured inside (a `CellOutcome`) and
what the harness saw outside (a `Monitor`), classified by `comparisons.cell.outcome.classify`,
into the schema below. A cell runs as several fresh processes ("invocations", pyperf's
runs), each written as its own record the moment it ends (`comparisons.records.store`);
`comparisons.records.cells` joins them again for the readers.

Schema versions: 1, one record per cell, memory as summed RSS; 2 (now), one record per
invocation, memory as PSS/USS (`memory`), warm-up times, CPU over the same window as
wall time, service CPU, the backend's `in_process` and `yardstick` flags; later in 2,
an optional `machine` (the machine's own speed during the invocation,
`comparisons.measure.machine_speed`), None or absent in records written before it, which every
reader takes as "not measured".
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Annotated, Any, TypedDict, get_type_hints

from comparisons.backends import model_of, variant_of
from comparisons.backends.base import Backend
from comparisons.cell.contract import ResolvedCell
from comparisons.cell.outcome import CellOutcome, Checked, Monitor, Status, classify
from comparisons.measure.stats import Summary, summarize
from workloads.spec import Workload
from workloads.vocabulary import Kind

CEILING = "ceiling"


class Merge(StrEnum):
    """How a field of a cell's several invocations (fresh processes) becomes the cell's.

    Declared on each field of `Record` (`Annotated[type, Merge.X]`; a field without one is
    `FIRST`) and carried out by `comparisons.records.cells.merge_invocations`.
    """

    FIRST = "the first invocation's"  # settings and identity: the same in every one
    LAST = "the last invocation's"
    MEDIAN = "median over invocations"  # one-off costs and memory
    MEDIAN_MEASURED = "median over measured invocations"
    MEDIAN_EACH = "median of each number over invocations"
    SUM = "total over invocations"
    WORST = "worst over invocations"
    CONCAT = "every invocation's, concatenated"
    CONCAT_MEASURED = "measured invocations', concatenated"
    FIRST_OF_EACH = "the first of each invocation's"  # the first run of each process
    FIRST_WORST_LAG = "the first invocation's, with the worst loop lag of all"
    MACHINE = "median slowdown, each invocation's, mean slow share, total probes"
    FIRST_FAILURE = "ok only if every invocation is; else the first failure's"
    DERIVED = "recomputed from the merged samples"


@dataclass(frozen=True)
class Baseline:
    """A cell against the serial cell of the same work and size (and, where the run
    measured it, against the machine's ceiling: `ceiling_*`, None otherwise).

    `unreliable` says why the serial cell cannot be a baseline (a figure against it that
    no machine could reach: a speedup above the usable cores beyond its interval), and
    `ceiling_unreliable` why the ceiling cannot be one (a row was faster than it,
    whatever the interval, named in `ceiling_beaten_by`); None when nothing is wrong. The numbers
    stay as measured; readers print the reason instead of them
    (`comparisons.records.cells.attach_baselines`)."""

    backend: str
    key: str
    median_s: float
    speedup: float
    speedup_ci95: tuple[float, float]
    efficiency: float  # speedup per worker
    ceiling_speedup: float | None = None
    ceiling_efficiency: float | None = None  # the ceiling's time / this cell's
    ceiling_efficiency_ci95: tuple[float, float] | None = None
    ceiling_beaten_by: str | None = None  # the row that beat the ceiling, if any
    unreliable: str | None = None
    ceiling_unreliable: str | None = None

    def to_json(self) -> dict[str, Any]:
        """The stored form: the ceiling's fields only where they were measured, and a
        reason only where there is one."""
        return {
            name: list(value) if isinstance(value, tuple) else value
            for name, value in asdict(self).items()
            if value is not None or not (name.startswith("ceiling_") or name == "unreliable")
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Baseline:
        fields = dict(data)
        fields["speedup_ci95"] = tuple(fields["speedup_ci95"])
        if fields.get("ceiling_efficiency_ci95") is not None:
            fields["ceiling_efficiency_ci95"] = tuple(fields["ceiling_efficiency_ci95"])
        return cls(**fields)


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


class SharedInput(TypedDict):
    """How a workload's shared input reached the tasks (`shared_input`): the idiom, its
    crossing kind, and the bytes that implies (by construction of the idiom)."""

    idiom: str | None
    crossing: str
    per_task_form: bool
    bytes: int
    bytes_copied_once: int
    bytes_copied_per_run: int


class Record(TypedDict):
    """One invocation's record as `build_record` writes it (schema `SCHEMA_VERSION`).

    The declared schema: mypy checks `build_record` against it, so a field cannot be
    added, renamed or retyped in one place only. Each field says how a cell's
    invocations merge into one (`Merge`, read by `merge_rules`). `stats` and `baseline`
    are typed values in memory and plain mappings on disk (`store`). The read side's
    own fields are `comparisons.records.cells.Cell`'s.
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
    status: Annotated[Status, Merge.FIRST_FAILURE]
    error: Annotated[str | None, Merge.FIRST_FAILURE]
    samples_s: Annotated[list[float], Merge.CONCAT_MEASURED]
    stats: Annotated[Summary | None, Merge.DERIVED]
    throughput_tasks_per_s: Annotated[float | None, Merge.DERIVED]
    bytes_per_task: int | None
    services: list[str]
    baseline: Baseline | None
    fault: dict[str, Any] | None
    setup_s: Annotated[float | None, Merge.MEDIAN]
    teardown_s: Annotated[float | None, Merge.MEDIAN]
    warmup_s: Annotated[list[float], Merge.FIRST_OF_EACH]
    cell_wall_s: Annotated[float, Merge.SUM]
    peak_rss_bytes: Annotated[int | None, Merge.MEDIAN]
    peak_pss_bytes: Annotated[int | None, Merge.MEDIAN]
    memory: Annotated[dict[str, Any] | None, Merge.MEDIAN_EACH]
    peak_processes: int | None
    cpu_s_per_repeat: Annotated[list[float], Merge.CONCAT_MEASURED]
    cpu_window_s: Annotated[list[float], Merge.CONCAT_MEASURED]
    cpu_utilisation: Annotated[float | None, Merge.MEDIAN_MEASURED]
    cpu_s_total: Annotated[float | None, Merge.SUM]
    cpu_accounting: str | None
    service_cpu_s: Annotated[float | None, Merge.SUM]
    kernel_cpu_s: float | None
    load_before: list[float] | None
    limits: dict[str, list[int]] | None
    other_cpu_cores: Annotated[float | None, Merge.WORST]
    verification: dict[str, Any]
    backend_info: Annotated[dict[str, Any], Merge.FIRST_WORST_LAG]
    blocks_event_loop: bool
    category: str | None
    reference: bool
    yardstick: bool
    yardstick_reason: str | None
    measures_transfer: bool
    in_process: bool
    ideal_s: float | None
    service_requests: Annotated[int | None, Merge.SUM]
    parallel: bool
    leftover_processes: Annotated[list[str], Merge.CONCAT]
    exit_code: int | None
    python: str
    env: dict[str, Any] | None
    cluster: dict[str, Any] | None
    started_at: str
    finished_at: Annotated[str, Merge.LAST]
    command: str | None
    # The machine's own speed during the invocation (`comparisons.measure.machine_speed`).
    machine: Annotated[dict[str, Any] | None, Merge.MACHINE]
    # Workloads with one shared read-only input (cpu.shared): its delivery (`shared`).
    share_s: Annotated[float | None, Merge.MEDIAN]
    shared_input: SharedInput | None
    # Invocations that measured this point in a process shared with other points of the
    # same model, set up once (`comparisons.cell.child.measure_points`): per invocation
    # the points in the process, this one's place among them and the process's wall time.
    shared_process: Annotated[list[dict[str, Any]], Merge.CONCAT]


# What a point in a shared process (`shared_process`) measures on top of the points before
# it in that process: its memory (what they left allocated), its first run (warm already)
# and the event loop's worst lag (kept by the backend over every point). A cell takes
# these only from the invocations that measured them alone: an own process, or the first
# point of a shared one (`carried_over`).
CARRIED_OVER_FIELDS = ("memory", "peak_rss_bytes", "peak_pss_bytes", "peak_processes", "warmup_s")
CARRIED_OVER_INFO = ("loop_lag_max_s",)


def carried_over(record: Record) -> bool:
    """Whether the record's process had measured other points before this one."""
    return any(entry.get("position", 0) > 0 for entry in record.get("shared_process") or [])


def merge_rules() -> dict[str, Merge]:
    """Every field of `Record` with its merge rule (`FIRST` where none is declared)."""
    hints = get_type_hints(Record, include_extras=True)
    return {
        name: next(
            (m for m in getattr(hint, "__metadata__", ()) if isinstance(m, Merge)), Merge.FIRST
        )
        for name, hint in hints.items()
    }


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
        "throughput_tasks_per_s": spec.tasks / stats.median if stats else None,
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
        "cpu_utilisation": summarize(utilisation).median if utilisation else None,
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
        "shared_process": (
            [
                {
                    "points": measured.process_points,
                    "position": measured.process_position,
                    "process_wall_s": monitor.process_wall_s,
                }
            ]
            if measured.process_points > 1
            else []
        ),
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
) -> SharedInput | None:
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
