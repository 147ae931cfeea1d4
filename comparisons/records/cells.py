"""The read side: a run's records as cells, merged, restated and compared with baselines.

`load_cells(run_dir)` is the one pipeline every reader uses (the report, `make diff`;
the adaptive rounds call `cells_from` on the records they hold): load the records, join
each cell's invocations by the merge rule each field of the schema declares
(`merge_invocations`, refusing invocations that ran on different machines or
interpreters, as pyperf refuses such runs), recompute the statistics from the raw
samples with today's code (`restate`), and attach the serial baseline and the machine's
ceiling (`attach_baselines`). What comes out is a `Cell`.

A yardstick can be broken by the machine: a serial cell measured in a slow spell makes
every row look faster than it is. A figure no machine can reach exposes it: on CPU
work, a speedup above the usable cores marks the serial baseline unreliable
(`Baseline.unreliable`, for every row of that work), and a row faster than the ceiling
marks the ceiling unreliable (`ceiling_unreliable`,
the row named in `ceiling_beaten_by`). The numbers stay as measured, the ceiling stays
the ceiling, and no interval is widened: readers print the reason instead of the figure,
and a run re-measures the yardstick (`comparisons.run.adaptive`).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

from comparisons import formatting as fmt
from comparisons.backends import BASELINE, backend_class
from comparisons.backends import REGISTRY as BACKENDS
from comparisons.cell.outcome import Status
from comparisons.errors import UserError
from comparisons.layout import RECORDS_FILE
from comparisons.measure.stats import Ratio, Summary, ratio_of_medians, summarize
from comparisons.records.schema import (
    CARRIED_OVER_FIELDS,
    CARRIED_OVER_INFO,
    CEILING,
    Baseline,
    Merge,
    Record,
    carried_over,
    merge_rules,
)
from comparisons.records.store import CorruptRecords, load_records, unique_records
from workloads import REGISTRY as WORKLOADS
from workloads import load_workload
from workloads.vocabulary import Kind


class Cell(Record):
    """A cell as every reader sees it: a `Record` whose fields hold the merged values of
    its invocations, plus what only the read side knows."""

    runs_s: list[list[float]]  # the measured samples, grouped by invocation
    invocations_done: int  # fresh processes run, planned and extra
    caveat: str | None  # today's note of the backend for this kind of work
    # On a ceiling cell: the row that beat it, over 100% of it (the ceiling is then
    # unreliable, and stays the ceiling), if any.
    ceiling_beaten_by: str | None


def load_cells(run_dir: Path) -> list[Cell]:
    """The cells of the run in `run_dir`, ready to read. A folder that is not a run, or
    holds no records yet, is the user's error."""
    path = run_dir / RECORDS_FILE
    if not path.is_file():
        raise UserError(f"{run_dir} is not a run directory (it has no {RECORDS_FILE})")
    records = load_records(path)
    if not records:
        raise UserError(f"{path} holds no records yet")
    return cells_from(records)


def cells_from(records: Iterable[Record]) -> list[Cell]:
    """Records (as loaded) to cells: invocations merged, statistics restated from the
    raw samples, serial baselines and the machine's ceiling attached."""
    return attach_baselines([restate(cell) for cell in merge_invocations(records)])


def is_measured(row: Record) -> bool:
    """A row with timings to compare: it ran, passed verification and has samples."""
    return row["status"] == Status.OK and row["stats"] is not None


def samples_of(row: Record) -> list[list[float]]:
    """A row's measured samples grouped by invocation (one group for one process); a
    record not yet merged is one process."""
    runs = cast(dict[str, Any], row).get("runs_s")  # a Cell's; a Record has none
    return runs or [row["samples_s"]]


def stats_of(row: Record) -> Summary:
    """The statistics of a measured row (`is_measured`): asking for an unmeasured row's
    is a bug in the caller, not a user's mistake."""
    stats = row["stats"]
    if stats is None:
        raise ValueError(f"{row['key']} has no measured samples")
    return stats


def baseline_of(row: Record) -> Baseline:
    """The serial baseline of a row that has one (`row["baseline"]` set): asking for
    another's is a bug in the caller."""
    baseline = row["baseline"]
    if baseline is None:
        raise ValueError(f"{row['key']} has no serial baseline")
    return baseline


def median_s(row: Record) -> float:
    """A measured row's median time of one run of its tasks."""
    return stats_of(row).median


def memory_bytes(row: Record) -> int | None:
    """The headline memory of a row: peak PSS of the tree, else summed RSS (marked by
    `memory_measure`)."""
    return row["peak_pss_bytes"] or row["peak_rss_bytes"]


def kernel_peak_bytes(row: Record) -> int | None:
    """The kernel's own peak of the memory charged to the row's tree (a cgroup's peak
    counter, `comparisons.measure.process_tree.MemoryCgroup`), which no spike between two
    samples escapes; None where the run could not read one."""
    return (row["memory"] or {}).get("kernel_peak_bytes")


def memory_measure(row: Record) -> str:
    if row["peak_pss_bytes"]:
        return "PSS"
    return "RSS (PSS not readable)" if row["memory"] else "RSS (schema 1)"


def baseline_key(row: Record) -> tuple[Any, ...]:
    """Cells that share this key share a serial baseline: same work, same size."""
    params = tuple(sorted((row["params"] or {}).items()))
    return (row["workload"], row["tasks"], params)


def usable_cores(row: Record) -> float | None:
    """How many cores the row's work could use at most: the usable cores of its recorded
    environment (CPU affinity), else its logical cores, and no more than a cgroup's CPU
    limit; None when the row recorded no environment."""
    env = row["env"] or {}
    cores = env.get("usable_cores") or env.get("logical_cores")
    limit = env.get("cgroup_cpu_limit")
    if cores and limit:
        return min(float(cores), float(limit))
    return float(cores) if cores else None


def invocations_text(row: Record) -> str:
    """A row's samples as a reader checks them: each invocation's repeats joined by "/",
    invocations by ", ", in the unit of the row's median ("668/667/619, 464/475/534 ms")."""
    runs = samples_of(row)
    scale, unit = fmt.time_unit(statistics.median(v for run in runs for v in run))
    joined = ", ".join("/".join(f"{v / scale:.3g}" for v in run) for run in runs)
    return f"{joined} {unit}"


def _impossible_speedup(row: Record, baseline: Record, ratio: Ratio) -> str | None:
    """Why `baseline` cannot be the serial baseline of CPU work, when `row`'s speedup
    over it is above the usable cores (the point, whatever its interval: such a figure
    is never published as a finding); None otherwise (other work overlaps waits, so its
    speedups have no such bound)."""
    cores = usable_cores(row) or usable_cores(baseline)
    if row["kind"] != Kind.CPU or not cores or ratio.ratio <= cores:
        return None
    return (
        f"{baseline['backend']}'s invocations {invocations_text(baseline)}: a speedup of "
        f"{fmt.ratio(ratio.ratio)} ({ratio.ci95_low:.2f}–{ratio.ci95_high:.2f}) for "
        f"{row['backend']} on {cores:g} usable cores"
    )


def attach_baseline(row: Record, baseline: Record | None) -> None:
    """Set `row["baseline"]` to its speedup and efficiency against `baseline` (None when
    either has no timings, as a fault probe has not), marked unreliable when the speedup
    is one no machine can reach (`_impossible_speedup`)."""
    if baseline is None or not is_measured(baseline) or not is_measured(row):
        row["baseline"] = None
        return
    ratio = ratio_of_medians(samples_of(baseline), samples_of(row))
    row["baseline"] = Baseline(
        backend=baseline["backend"],
        key=baseline["key"],
        median_s=median_s(baseline),
        speedup=ratio.ratio,
        speedup_ci95=(ratio.ci95_low, ratio.ci95_high),
        efficiency=ratio.ratio / row["workers"],
        unreliable=_impossible_speedup(row, baseline, ratio),
    )


def attach_baselines(cells: list[Cell]) -> list[Cell]:
    """Attach the serial baseline, and the machine's ceiling where measured, to each cell;
    one impossible speedup marks the baseline unreliable for every row of its work."""
    baselines = {baseline_key(c): c for c in cells if c["backend"] == BASELINE and is_measured(c)}
    for cell in cells:
        attach_baseline(cell, baselines.get(baseline_key(cell)))
    _spread_unreliable(cells)
    ceilings = {
        (baseline_key(c), c["workers"]): c
        for c in cells
        if c["backend"] == CEILING and is_measured(c)
    }
    for (key, workers), ceiling in ceilings.items():
        rows = [
            c
            for c in cells
            if baseline_key(c) == key
            and c["workers"] == workers
            and is_measured(c)
            and not c["yardstick"]
            and c["baseline"]
        ]
        attach_ceiling(ceiling, rows)
    return cells


def _spread_unreliable(cells: list[Cell]) -> None:
    """Every row measured against a serial cell that some row's speedup exposed gets the
    same reason: the most convincing one (the highest low end of its interval)."""
    by_key: dict[tuple[Any, ...], list[Cell]] = {}
    for cell in cells:
        if cell["baseline"] is not None:
            by_key.setdefault(baseline_key(cell), []).append(cell)
    for rows in by_key.values():
        exposed = [r for r in rows if baseline_of(r).unreliable]
        if not exposed:
            continue
        worst = max(exposed, key=lambda r: baseline_of(r).speedup)
        reason = baseline_of(worst).unreliable
        for r in rows:
            r["baseline"] = replace(baseline_of(r), unreliable=reason)


def attach_ceiling(ceiling: Cell, rows: list[Cell]) -> None:
    """Each row's share of the machine's ceiling (ceiling time / row time) with its
    interval. A row faster than the ceiling (over 100% of it, whatever its interval: no
    model can beat the machine) shows the ceiling was measured slow: the ceiling stays
    the ceiling (its time is never replaced by the row's), marked unreliable with the
    reason, and the row that beat it is named (`ceiling_beaten_by`, on the ceiling cell
    and on every row)."""
    shares = {r["key"]: ratio_of_medians(samples_of(ceiling), samples_of(r)) for r in rows}
    beaten = [r for r in rows if shares[r["key"]].ratio > 1]
    beaten_by, reason = None, None
    if beaten:
        fastest = max(beaten, key=lambda r: shares[r["key"]].ratio)
        share = shares[fastest["key"]]
        beaten_by = fastest["backend"]
        reason = (
            f"{ceiling['backend']}'s invocations {invocations_text(ceiling)}: "
            f"{beaten_by} reached {fmt.percent(share.ratio)} of it "
            f"({fmt.percent(share.ci95_low)}–{fmt.percent(share.ci95_high)})"
        )
    for r in rows:
        share = shares[r["key"]]
        base = baseline_of(r)  # the caller passes rows with a baseline
        r["baseline"] = replace(
            base,
            ceiling_speedup=base.median_s / median_s(ceiling),
            ceiling_efficiency=share.ratio,
            ceiling_efficiency_ci95=(share.ci95_low, share.ci95_high),
            ceiling_beaten_by=beaten_by,
            ceiling_unreliable=reason,
        )
    ceiling["ceiling_beaten_by"] = beaten_by
    if ceiling["baseline"] is not None:
        ceiling["baseline"] = replace(
            ceiling["baseline"], ceiling_beaten_by=beaten_by, ceiling_unreliable=reason
        )


def merge_invocations(records: Iterable[Record]) -> list[Cell]:
    """One cell per key: its invocations joined, samples grouped by invocation.

    With several invocations each field takes its declared `Merge` rule: status is ok
    only when every invocation is (a cell that failed once is not quietly averaged),
    one-off costs and memory are medians, CPU and requests totals, samples concatenated.
    Invocations that ran under different interpreters or on different machines are
    refused: their samples do not measure one thing.
    """
    by_key: dict[str, list[Record]] = {}
    for record in unique_records(records):
        by_key.setdefault(record["key"], []).append(record)
    rules = merge_rules()
    merged = []
    for runs in by_key.values():
        runs.sort(key=lambda r: r["invocation"])
        _check_same_environment(runs)
        shared = any(carried_over(r) for r in runs)
        cell = (
            _merge(runs, rules) if len(runs) > 1 or shared else cast(dict[str, Any], dict(runs[0]))
        )
        measured = _measured(runs)
        cell.update(_first_failure(runs))
        cell["runs_s"] = [list(r["samples_s"]) for r in measured]
        cell["samples_s"] = [v for r in measured for v in r["samples_s"]]
        cell["stats"] = summarize(cell["runs_s"]) if cell["samples_s"] else None
        cell["invocations_done"] = len(runs)
        cell["caveat"] = None
        cell["ceiling_beaten_by"] = None
        if len(runs) > 1:
            cell["throughput_tasks_per_s"] = (
                cell["tasks"] / cell["stats"].median if cell["stats"] else None
            )
        machine = _merge_machine(runs)
        if machine:
            cell["machine"] = machine
        merged.append(cast(Cell, cell))
    return merged


def _measured(runs: list[Record]) -> list[Record]:
    return [r for r in runs if r["status"] == Status.OK and r["samples_s"]]


def _merge(runs: list[Record], rules: dict[str, Merge]) -> dict[str, Any]:
    """Every field of several invocations by its rule."""
    measured = _measured(runs)
    alone = [r for r in runs if not carried_over(r)]
    cell: dict[str, Any] = {}
    for name, rule in rules.items():
        source = measured if rule in (Merge.CONCAT_MEASURED, Merge.MEDIAN_MEASURED) else runs
        if name in CARRIED_OVER_FIELDS:
            source = [r for r in source if not carried_over(r)]
        values = [r.get(name) for r in source]
        if name == "backend_info":
            values = [
                r["backend_info"] if r in alone else _without_lag(r["backend_info"]) for r in source
            ]
        cell[name] = MERGERS[rule](values) if values else _EMPTY.get(rule)
    return cell


_EMPTY: dict[Merge, Any] = {Merge.FIRST_OF_EACH: [], Merge.CONCAT: []}


def _without_lag(info: dict[str, Any] | None) -> dict[str, Any]:
    """A backend's description without what it kept over earlier points of its process."""
    return {k: v for k, v in (info or {}).items() if k not in CARRIED_OVER_INFO}


def _first_failure(runs: list[Record]) -> dict[str, Any]:
    """Status and error of the cell: the first failed invocation's, named, if any."""
    failed = [r for r in runs if r["status"] != Status.OK]
    if not failed:
        return {"status": runs[0]["status"], "error": runs[0]["error"]}
    error = failed[0]["error"]
    if failed[0] is not runs[0]:
        error = f"invocation {failed[0]['invocation']}: {error}"
    return {"status": failed[0]["status"], "error": error}


def _check_same_environment(runs: list[Record]) -> None:
    """Refuse a cell whose invocations ran on different machines or interpreters (a run
    resumed elsewhere): one median over them would measure neither."""
    seen = {_identity(r["env"]) for r in runs if r["env"]}
    if len(seen) > 1:
        first, other = sorted(seen)[:2]
        raise CorruptRecords(
            f"cell {runs[0]['key']} mixes invocations from different machines or "
            f"interpreters ({' / '.join(first)} against {' / '.join(other)}); "
            "run it again in a fresh run on one machine"
        )


def _identity(env: dict[str, Any]) -> tuple[str, ...]:
    python = env.get("python") or {}
    return (
        str(env.get("hostname")),
        str(env.get("cpu_model")),
        f"{env.get('logical_cores')} cores",
        f"{python.get('implementation')} {python.get('version')}",
        "free-threaded" if python.get("gil_disabled_build") else "with GIL",
    )


def _median(values: list[Any]) -> Any:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def _sum(values: list[Any]) -> Any:
    present = [v for v in values if v is not None]
    return sum(present) if present else None


def _worst(values: list[Any]) -> Any:
    return max((v for v in values if v is not None), default=None)


def _median_each(memories: list[Any]) -> dict[str, Any] | None:
    present = [m for m in memories if m]
    if not present:
        return None
    merged = dict(present[0])
    for name, value in present[0].items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            merged[name] = _median([m.get(name) for m in present])
    return merged


def _first_with_worst_lag(infos: list[Any]) -> dict[str, Any]:
    """The first invocation's settings; a worst-case figure (the loop's lag) over all."""
    present = [i or {} for i in infos]
    merged = dict(present[0]) if present else {}
    lags = [i["loop_lag_max_s"] for i in present if i.get("loop_lag_max_s") is not None]
    if lags:
        merged["loop_lag_max_s"] = max(lags)
    return merged


MERGERS: dict[Merge, Callable[[list[Any]], Any]] = {
    Merge.FIRST: lambda values: values[0],
    Merge.LAST: lambda values: values[-1],
    Merge.MEDIAN: _median,
    Merge.MEDIAN_MEASURED: _median,
    Merge.MEDIAN_EACH: _median_each,
    Merge.SUM: _sum,
    Merge.WORST: _worst,
    Merge.CONCAT: lambda lists: [v for values in lists for v in values or []],
    Merge.CONCAT_MEASURED: lambda lists: [v for values in lists for v in values or []],
    Merge.FIRST_OF_EACH: lambda lists: [v for values in lists for v in (values or [])[:1]],
    Merge.FIRST_WORST_LAG: _first_with_worst_lag,
    # Merged from the whole records by `merge_invocations` (they need more than one field):
    Merge.MACHINE: lambda values: values[0],
    Merge.FIRST_FAILURE: lambda values: values[0],
    Merge.DERIVED: lambda values: values[0],
}


PROBED_BESIDE = "every 0.25 s beside each cell"


def _merge_machine(runs: list[Record]) -> dict[str, Any] | None:
    """The machine's speed over a cell's invocations (`comparisons.measure.machine_speed`):
    the median slowdown, each invocation's, and the share of probes in a slow spell."""
    seen = [r["machine"] for r in runs if r["machine"]]
    if not seen:
        return None
    return {
        "slowdown": statistics.median(m["slowdown"] for m in seen),
        "run_slowdowns": [m["slowdown"] for m in seen],
        "slow_share": statistics.fmean(m["slow_share"] for m in seen),
        "usual_probe_cpu_s": statistics.median(m["usual_probe_cpu_s"] for m in seen),
        "probes": sum(m["probes"] for m in seen),
        # Records from before the probe moved into the cell say nothing: it then ran
        # every 0.25 s in the harness, beside the cell.
        "taken": seen[0].get("taken", PROBED_BESIDE),
    }


def restate(cell: Cell) -> Cell:
    """Recompute a cell's statistics from its raw samples with the current code.

    Raw samples are the source of truth: a report rebuilt after the statistics improve
    shows the improved statistics for old runs too.
    """
    if not cell["category"] and cell["workload"] in WORKLOADS:
        # Records written before workloads declared a category get today's.
        cell["category"] = load_workload(cell["workload"]).category
    if cell["backend"] in BACKENDS:
        # Printed beside the rows, from today's backend code: notes, not measurements.
        caveats = backend_class(cell["backend"]).caveats
        cell["caveat"] = caveats.get(cell["category"] or "")
    if cell["status"] == Status.OK and cell["samples_s"]:
        cell["stats"] = summarize(samples_of(cell))
        cell["throughput_tasks_per_s"] = cell["tasks"] / median_s(cell)
    return cell
