"""The read side: a run's records as cells, merged, restated and compared with baselines.

`load_cells(path)` is the one pipeline every reader uses: load the records, join each
cell's invocations (`merge_invocations`), recompute their statistics from the raw
samples with today's code (`restate`), and attach the serial baseline and the machine's
ceiling (`attach_baselines`).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from comparisons.backends import BASELINE, backend_class
from comparisons.backends import REGISTRY as BACKENDS
from comparisons.cell.outcome import Status
from comparisons.errors import UserError
from comparisons.layout import RECORDS_FILE
from comparisons.measure.stats import ratio_of_medians, speedup, summarize
from comparisons.records.schema import CEILING
from comparisons.records.store import load_records, unique_records
from workloads import REGISTRY as WORKLOADS
from workloads import load_workload


def load_cells(run_dir: Path) -> list[dict[str, Any]]:
    """The cells of the run in `run_dir`, ready to read: the one loading path of every
    reader (the report, `make diff`). A folder that is not a run, or holds no records
    yet, is the user's error."""
    path = run_dir / RECORDS_FILE
    if not path.is_file():
        raise UserError(f"{run_dir} is not a run directory (it has no {RECORDS_FILE})")
    records = load_records(path)
    if not records:
        raise UserError(f"{path} holds no records yet")
    return cells_from(records)


def cells_from(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Records (as stored) to cells: invocations merged, statistics restated from the raw
    samples, serial baselines and the machine's ceiling attached."""
    return attach_baselines([restate(dict(cell)) for cell in merge_invocations(records)])


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
    """The machine's speed over a cell's invocations (`comparisons.measure.machine_speed`): the
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


def restate(record: dict[str, Any]) -> dict[str, Any]:
    """Recompute a record's statistics from its raw samples with the current code.

    Raw samples are the source of truth: a report rebuilt after the statistics improve
    shows the improved statistics for old runs too.
    """
    if not record.get("category") and record["workload"] in WORKLOADS:
        # Records written before workloads declared a category get today's.
        record["category"] = load_workload(record["workload"]).category
    if record["backend"] in BACKENDS:
        # Printed beside the rows, from today's backend code: notes, not measurements.
        caveats = backend_class(record["backend"]).caveats
        record["caveat"] = caveats.get(record.get("category") or "")
    if record["status"] == Status.OK and record["samples_s"]:
        record["stats"] = summarize(samples_of(record))
        record["throughput_tasks_per_s"] = record["tasks"] / record["stats"]["median"]
    return record
