"""REPORT.md's "Results by workload": one full table per piece of work, every row's
numbers and notes.

A piece of work is a group from `sections.rows.groups` (same workload, tasks, params),
ranked there by in-flight level and median. Above an I/O group's table stands its
ceiling: what the waits alone take, and the least CPU the latency server needs. A row
whose ratio to the fastest one is not significant (its 95% interval includes 1) is
marked as a tie rather than declared slower.
"""

from __future__ import annotations

from comparisons import formatting as fmt
from comparisons.cell.outcome import Status
from comparisons.measure.stats import ratio_of_medians
from comparisons.records.cells import (
    Cell,
    is_measured,
    median_s,
    memory_bytes,
    samples_of,
    stats_of,
)
from comparisons.records.ranking import first_run_s, levels
from comparisons.report.sections.context import Cells, Context
from comparisons.report.sections.rows import BUSY_NEIGHBOURS_CORES, LOOP_NOTE, groups, table_row

TITLE = "Results by workload"
INTRO = ""
# The only section whose heading stands with nothing under it (a run of fault probes
# alone has no cells): REPORT.md has always had this heading.
SHOWN_WHEN_EMPTY = True
# A service (the latency server, one process) busy this share of a core during a repeat
# is the limit of the cell, not the client being measured.
SERVER_BOUND_SHARE = 0.8
HEADER = [
    "| # | backend | in flight | median | 95% CI | IQR | CV | tasks/s | per task "
    "| speedup (95% CI) | efficiency | CPU use | set-up | first run | teardown "
    "| peak PSS | RSS sum | notes |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
]


def render(cells: Cells, context: Context) -> list[str]:
    """A `###` heading, the I/O ceiling if any and the table, per piece of work."""
    lines = []
    for title, rows in groups(cells):
        ceiling = _io_ceiling(rows)
        lines += [f"### {title}", "", *ceiling, *([""] if ceiling else []), *_table(rows), ""]
    return lines[:-1]  # the report closes every section with its blank line


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


def server_cpu_per_request(r: Cell) -> float | None:
    """CPU seconds the latency server spent per request it answered for this row."""
    requests, cpu = r["service_requests"], r["service_cpu_s"]
    if not requests or cpu is None:
        return None
    return cpu / requests


def server_share(r: Cell) -> float | None:
    """Share of a core the service used during one repeat of this row."""
    per_request = server_cpu_per_request(r)
    if per_request is None or not r["stats"]:
        return None
    return per_request * r["tasks"] / median_s(r)


def _table(rows: list[Cell]) -> list[str]:
    """The group's table: contenders numbered per in-flight level, yardsticks and
    failures unnumbered."""
    lines = list(HEADER)
    fastest: dict[int, Cell] = {}
    position: dict[int, int] = {}
    for r in rows:
        level = r.get("in_flight") or r["workers"]
        if r["status"] != Status.OK:
            lines.append(_failed_row(r, level))
            continue
        if r.get("yardstick"):
            place = "–"  # a yardstick, not a contender
        else:
            position[level] = position.get(level, 0) + 1
            place = str(position[level])
            fastest.setdefault(level, r)
        lines.append(_measured_row(r, place, level, fastest.get(level)))
    return lines


def _failed_row(r: Cell, level: int) -> str:
    why = "see failures below" if r["status"] != Status.SKIPPED else r["error"]
    return (
        f"| – | {r['backend']} | {level} | **{r['status']}** | | | | | | | | | | "
        f"{fmt.seconds(r.get('setup_s'))} | | {fmt.mebibytes(memory_bytes(r))} | | "
        f"{why} |"
    )


def _measured_row(r: Cell, place: str, level: int, best: Cell | None) -> str:
    s, base = stats_of(r), r["baseline"]
    speed = "no baseline"
    if base:
        low, high = base.speedup_ci95
        speed = f"{fmt.ratio(base.speedup)} ({low:.2f}–{high:.2f})"
    return table_row(
        [
            place,
            r["backend"],
            str(level),
            fmt.seconds(s.median),
            f"{fmt.seconds(s.ci95_low)} – {fmt.seconds(s.ci95_high)}",
            fmt.seconds(s.iqr),
            fmt.percent(s.cv),
            fmt.rate(r["throughput_tasks_per_s"]),
            fmt.seconds(s.median / r["tasks"]),
            speed,
            fmt.percent(base.efficiency if base else None),
            fmt.percent(r.get("cpu_utilisation")),
            fmt.seconds(r.get("setup_s")),
            fmt.seconds(first_run_s(r)),
            fmt.seconds(r.get("teardown_s")),
            fmt.mebibytes(memory_bytes(r)),
            fmt.mebibytes(r.get("peak_rss_bytes")),
            "; ".join(_notes(r, best)),
        ]
    )


def _notes(r: Cell, best: Cell | None) -> list[str]:
    """What a reader should know about this row beyond its numbers; `best` is the
    fastest contender at its in-flight level."""
    s, base = stats_of(r), r["baseline"]
    notes = []
    if r["yardstick"]:
        notes.append(r["yardstick_reason"] or "reference")
        if r["ceiling_beaten_by"]:
            notes.append(f"beaten by {r['ceiling_beaten_by']} beyond its interval")
    elif base and base.ceiling_efficiency is not None:
        bounds = base.ceiling_efficiency_ci95
        notes.append(
            f"{fmt.percent(base.ceiling_efficiency)} of the machine's ceiling"
            + (f" ({fmt.percent(bounds[0])}–{fmt.percent(bounds[1])})" if bounds else "")
        )
    if not r.get("yardstick") and best is not None and r is not best and _tied(r, best):
        notes.append("tie with the fastest")
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
    if (r["other_cpu_cores"] or 0) > BUSY_NEIGHBOURS_CORES:
        notes.append(f"busy machine ({r['other_cpu_cores']:.2f} cores used by others)")
    if r.get("leftover_processes"):
        notes.append(f"left {len(r['leftover_processes'])} process(es), ended by harness")
    return notes


def _tied(a: Cell, b: Cell) -> bool:
    """True when the two medians do not differ meaningfully (a tie)."""
    return not ratio_of_medians(samples_of(a), samples_of(b)).meaningful
