"""REPORT.md's "Results by workload": one full table per piece of work, every row's
numbers and notes.

A piece of work is a group from `sections.rows.groups` (same workload, tasks, params),
ranked there by in-flight level and median. Above an I/O group's table stands its
ceiling: what the waits alone take, and the least CPU the latency server needs. A row
whose ratio to the fastest one is not significant (its 95% interval includes 1) is
marked as a tie rather than declared slower.

A figure against a yardstick that an impossible figure exposed is not printed: the
speedup and efficiency read "baseline unreliable", the share of the ceiling "ceiling
unreliable", and the notes say why (`comparisons.records.cells`). Where every model is
decided slower than the serial loop at an in-flight count, the fastest of them is not
crowned: its row says that every model is slower than a plain loop here. The CPU use of
a row run on an external cluster is its driver's alone; the cluster's own CPU on this
machine is named as the cluster's, not as a busy machine's (`sections.machine`).
"""

from __future__ import annotations

import re

from comparisons import formatting as fmt
from comparisons.backends import BASELINE, backend_class
from comparisons.backends import REGISTRY as BACKENDS
from comparisons.backends.base import BATCHED
from comparisons.cell.outcome import Status
from comparisons.measure.stats import PRACTICAL_THRESHOLD, ratio_of_medians
from comparisons.records.cells import (
    Cell,
    is_measured,
    median_s,
    memory_bytes,
    samples_of,
    stats_of,
)
from comparisons.records.ranking import Outcome, against_best, first_run_s, levels, outcome_of
from comparisons.records.service import SERVER_BOUND_SHARE, server_cpu_per_request, server_share
from comparisons.report.sections.context import Cells, Context
from comparisons.report.sections.machine import cluster_here, on_cluster
from comparisons.report.sections.rows import BUSY_NEIGHBOURS_CORES, LOOP_NOTE, groups, table_row
from workloads.vocabulary import Kind

TITLE = "Results by workload"
INTRO = ""
# The only section whose heading stands with nothing under it (a run of fault probes
# alone has no cells): REPORT.md has always had this heading.
SHOWN_WHEN_EMPTY = True
HEADER = [
    "| # | backend | in flight | lower quartile | median | 95% CI | IQR | CV | tasks/s | per task "
    "| speedup (95% CI) | efficiency | CPU use | set-up | first run | teardown "
    "| peak PSS | RSS sum | notes |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
]


def skipped_throughout(cells: Cells) -> dict[str, str]:
    """Backends skipped in every cell of the run, each with its one reason (a model this
    interpreter or machine cannot run): said once, not in every table."""
    reasons: dict[str, set[str]] = {}
    for r in cells:
        reasons.setdefault(r["backend"], set()).add(
            r["error"] or "" if r["status"] == Status.SKIPPED else "\0ran"
        )
    return {
        backend: next(iter(why))
        for backend, why in reasons.items()
        if len(why) == 1 and "\0ran" not in why
    }


def render(cells: Cells, context: Context) -> list[str]:
    """One line for each backend the run skipped throughout; then a `###` heading, the
    I/O ceiling if any and the table, per piece of work."""
    skipped = skipped_throughout(cells)
    counts = {b: sum(r["backend"] == b for r in cells) for b in skipped}
    lines = [
        f"- **{backend}** skipped in all {counts[backend]} of its cells: {why}"
        for backend, why in sorted(skipped.items())
    ]
    lines += [""] if lines else []
    cells = [r for r in cells if r["backend"] not in skipped]
    cluster_run = any(cluster_here(r) for r in cells)
    for title, rows in groups(cells):
        ceiling = _io_ceiling(rows)
        table = without_columns(_table(rows, cluster_run), columns_to_leave_out(rows))
        lines += [f"### {title}", "", *ceiling, *([""] if ceiling else []), *table, ""]
    return lines[:-1]  # the report closes every section with its blank line


# A table of a few tasks has no rate to speak of (the 3 x 2 s demo): under this many
# tasks, tasks/s and the per-task time are left out.
FEW_TASKS = 10


def columns_to_leave_out(rows: list[Cell]) -> set[str]:
    """The columns that say nothing for this piece of work: tasks/s and per task for a
    handful of tasks, efficiency (speedup per worker) where the work is not CPU work
    (a thousand waiting tasks are not a thousand cores' worth)."""
    leave: set[str] = set()
    if max(r["tasks"] for r in rows) < FEW_TASKS:
        leave |= {"tasks/s", "per task"}
    if rows[0]["kind"] != Kind.CPU:
        leave.add("efficiency")
    return leave


def without_columns(table: list[str], names: set[str]) -> list[str]:
    """The Markdown table less the named columns (by the header's names). Cells split on
    the pipes that separate them (a cell's own is escaped, `\\|`, as GFM requires)."""
    if not names:
        return table
    header = [cell.strip() for cell in _cells(table[0])]
    keep = [i for i, name in enumerate(header) if name not in names]
    return ["|" + "|".join(_cells(line)[i] for i in keep) + "|" for line in table]


def _cells(line: str) -> list[str]:
    return re.split(r"(?<!\\)\|", line.strip()[1:-1])


def serial_of(rows: list[Cell]) -> Cell | None:
    """The plain loop doing this work, measured, if the run has it."""
    return next((r for r in rows if r["backend"] == BASELINE and is_measured(r)), None)


def every_model_slower(contenders: list[Cell], serial: Cell | None) -> bool:
    """True when every contender is decided slower than the plain loop: its time over
    serial's has an interval wholly above the tie band (1 + `PRACTICAL_THRESHOLD`).
    Never on a transfer workload: there the loop moves no bytes, so it does not do the
    contenders' work (it is a yardstick, as every in-process row is)."""
    if serial is None or not contenders or serial["measures_transfer"]:
        return False
    edge = 1 + PRACTICAL_THRESHOLD
    return all(
        ratio_of_medians(samples_of(r), samples_of(serial)).ci95_low > edge for r in contenders
    )


def slower_than_a_loop(serial: Cell) -> str:
    """What a row says instead of crowning the fastest of models that all lose."""
    return f"every model is slower than a plain loop here (serial {fmt.seconds(median_s(serial))})"


def speedup_text(r: Cell) -> str:
    """A row's speedup over serial with its interval, as the tables print it."""
    base = r["baseline"]
    if base is None:
        return "no baseline"
    if base.unreliable:
        return "baseline unreliable"
    low, high = base.speedup_ci95
    return f"{fmt.ratio(base.speedup)} ({low:.2f}–{high:.2f})"


def _per_task(r: Cell, median: float) -> str:
    """Work time over tasks, marked where the tasks travelled in batches: then it is no
    cost of one dispatch."""
    text = fmt.seconds(median / r["tasks"])
    batched = r["backend"] in BACKENDS and backend_class(r["backend"]).dispatch == BATCHED
    return text + " (batched)" if batched else text


def efficiency_text(r: Cell) -> str:
    base = r["baseline"]
    if base is not None and base.unreliable:
        return "baseline unreliable"
    return fmt.percent(base.efficiency if base else None)


def _io_ceiling(rows: list[Cell]) -> list[str]:
    """For I/O work: the best any client could do here, per in-flight level, and which
    rows the server limited."""
    lines = []
    for level, at_level in levels(rows).items():
        measured = [r for r in at_level if is_measured(r)]
        ideal = measured[0]["ideal_s"] if measured else None
        if ideal is None:
            continue
        per_request = [p for r in measured if (p := server_cpu_per_request(r)) is not None]
        text = f"At {level} in flight the waits alone take {fmt.seconds(ideal)}"
        if per_request:
            server = min(per_request) * measured[0]["tasks"]
            text += (
                f"; the latency server needs at least {fmt.seconds(server)} of CPU for "
                f"these {measured[0]['tasks']} requests (its cheapest, one core)"
            )
            ideal = max(ideal, server)
        lines.append(f"- {text}: **I/O ceiling {fmt.seconds(ideal)}**.")
    if lines:
        lines.append(
            f"- Rows marked *server-bound* had the one-process server busy "
            f"{fmt.percent(SERVER_BOUND_SHARE)} of a core or more during a repeat: the "
            "server, sharing this machine's cores, limited them, not the model."
        )
    return lines


def _table(rows: list[Cell], cluster_run: bool = False) -> list[str]:
    """The group's table: contenders numbered per in-flight level, yardsticks and
    failures unnumbered. At a level where every model is slower than the serial loop,
    the first row says so instead of standing as the fastest."""
    lines = list(HEADER)
    fastest: dict[int, Cell] = {}
    position: dict[int, int] = {}
    serial = serial_of(rows)
    losing = {
        level
        for level, at_level in levels(rows).items()
        if every_model_slower([r for r in at_level if _contender(r)], serial)
    }
    for r in rows:
        level = r.get("in_flight") or r["workers"]
        if r["status"] != Status.OK:
            lines.append(_failed_row(r, level))
            continue
        loser_note = None
        if r.get("yardstick"):
            place = "–"  # a yardstick, not a contender
        else:
            position[level] = position.get(level, 0) + 1
            place = str(position[level])
            if level not in fastest and level in losing and serial is not None:
                loser_note = slower_than_a_loop(serial)
            fastest.setdefault(level, r)
        lines.append(_measured_row(r, place, level, fastest.get(level), cluster_run, loser_note))
    return lines


def _contender(r: Cell) -> bool:
    return is_measured(r) and not r.get("yardstick")


def _failed_row(r: Cell, level: int) -> str:
    """A cell that did not complete: its status where the lower quartile goes, its
    set-up and memory where it has them, the reason in the notes; one cell per column."""
    why = "see failures below" if r["status"] != Status.SKIPPED else r["error"]
    empty_timings = [""] * 9  # median to CPU use
    return table_row(
        [
            "–",
            r["backend"],
            str(level),
            f"**{r['status']}**",
            *empty_timings,
            fmt.seconds(r.get("setup_s")),
            "",
            "",
            fmt.mebibytes(memory_bytes(r)),
            "",
            why or "",
        ]
    )


def _measured_row(
    r: Cell,
    place: str,
    level: int,
    best: Cell | None,
    cluster_run: bool = False,
    loser_note: str | None = None,
) -> str:
    s = stats_of(r)
    cpu = fmt.percent(r.get("cpu_utilisation"))
    if on_cluster(r) and r.get("cpu_utilisation") is not None:
        cpu += " (driver only)"  # the cluster's workers are not in the cell's tree
    notes = ([loser_note] if loser_note else []) + _notes(r, best, cluster_run)
    return table_row(
        [
            place,
            r["backend"],
            str(level),
            fmt.seconds(s.q1),
            fmt.seconds(s.median),
            f"{fmt.seconds(s.ci95_low)} – {fmt.seconds(s.ci95_high)}",
            fmt.seconds(s.iqr),
            fmt.percent(s.cv),
            fmt.rate(r["throughput_tasks_per_s"]),
            _per_task(r, s.median),
            speedup_text(r),
            efficiency_text(r),
            cpu,
            fmt.seconds(r.get("setup_s")),
            fmt.seconds(first_run_s(r)),
            fmt.seconds(r.get("teardown_s")),
            fmt.mebibytes(memory_bytes(r)),
            fmt.mebibytes(r.get("peak_rss_bytes")),
            "; ".join(notes),
        ]
    )


def _notes(r: Cell, best: Cell | None, cluster_run: bool = False) -> list[str]:
    """What a reader should know about this row beyond its numbers; `best` is the
    fastest contender at its in-flight level; `cluster_run` says the run used a cluster
    whose daemons share this machine."""
    s, base = stats_of(r), r["baseline"]
    notes = []
    if r["yardstick"]:
        notes.append(r["yardstick_reason"] or "reference")
        if r["ceiling_beaten_by"]:
            why = base.ceiling_unreliable if base and base.ceiling_unreliable else None
            notes.append("ceiling unreliable: " + (why or f"beaten by {r['ceiling_beaten_by']}"))
    elif base and base.ceiling_unreliable:
        notes.append(f"ceiling unreliable: {base.ceiling_unreliable}")
    elif base and base.ceiling_efficiency is not None:
        bounds = base.ceiling_efficiency_ci95
        notes.append(
            f"{fmt.percent(base.ceiling_efficiency)} of the machine's ceiling"
            + (f" ({fmt.percent(bounds[0])}–{fmt.percent(bounds[1])})" if bounds else "")
        )
    if base and base.unreliable:
        notes.append(f"baseline unreliable: {base.unreliable}")
    if not r.get("yardstick") and best is not None and r is not best:
        notes += _against_fastest(r, best)
    share = server_share(r)
    if share is not None and share >= SERVER_BOUND_SHARE:
        notes.append(f"server-bound (server busy {fmt.percent(share)} of a core)")
    if r["caveat"]:
        notes.append(r["caveat"])
    lag = (r.get("backend_info") or {}).get("loop_lag_max_s")
    if lag is not None:
        notes.append(f"event loop's worst lag {fmt.seconds(lag)}")
    if s.unstable:
        notes.append("⚠ " + "; ".join(s.warnings))
    if s.outliers:
        notes.append(f"{s.outliers} outlier(s)")
    if r["bytes_per_task"]:
        rate = r["bytes_per_task"] * r["tasks"] / s.median
        notes.append(f"{rate / 1e9:.3g} GB/s")
    if r.get("blocks_event_loop"):
        notes.append(LOOP_NOTE)
    other = r["other_cpu_cores"] or 0
    if cluster_here(r):
        if other > BUSY_NEIGHBOURS_CORES:
            notes.append(f"the cluster's scheduler and workers on this machine: {other:.2f} cores")
    elif other > BUSY_NEIGHBOURS_CORES:
        others = "outside this cell, the cluster's daemons included" if cluster_run else "by others"
        notes.append(f"busy machine ({other:.2f} cores used {others})")
    if r.get("leftover_processes"):
        notes.append(f"left {len(r['leftover_processes'])} process(es), ended by harness")
    return notes


def _against_fastest(r: Cell, best: Cell) -> list[str]:
    """The row against the fastest at its level, by the verdict's own rule (its lower
    quartile, the whole interval against the tie band), so the table and the verdict
    never disagree: tied, or undecided with the interval; nothing when slower."""
    ratio = against_best(r, best)
    outcome = outcome_of(ratio)
    if outcome is Outcome.TIED:
        return ["tied with the fastest"]
    if outcome is Outcome.UNDECIDED:
        return [
            f"undecided against the fastest (×{ratio.ratio:.2f}, "
            f"{ratio.ci95_low:.2f}–{ratio.ci95_high:.2f})"
        ]
    return []
