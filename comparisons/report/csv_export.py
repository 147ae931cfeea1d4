"""`summary.csv`: one flat row per cell, for spreadsheets and pandas.

`COLUMNS` declares each column beside what it reads, so a column is added in one place.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from typing import Any

from comparisons.measure.stats import Summary
from comparisons.records.cells import Cell, kernel_peak_bytes


def _stat(name: str) -> Callable[[Cell], Any]:
    return lambda c: getattr(c["stats"], name) if c["stats"] else None


def _gb_per_s(c: Cell) -> float | None:
    stats: Summary | None = c["stats"]
    if not c["bytes_per_task"] or not stats or not stats.median:
        return None
    return c["bytes_per_task"] * c["tasks"] / stats.median / 1e9


def _speedup_bound(index: int) -> Callable[[Cell], Any]:
    return lambda c: c["baseline"].speedup_ci95[index] if c["baseline"] else None


def _last_error_line(c: Cell) -> str:
    error = (c["error"] or "").strip()
    return error.splitlines()[-1] if error else ""


COLUMNS: tuple[tuple[str, Callable[[Cell], Any]], ...] = (
    ("run_id", lambda c: c["run_id"]),
    ("suite", lambda c: c["suite"]),
    ("workload", lambda c: c["workload"]),
    ("kind", lambda c: c["kind"]),
    ("backend", lambda c: c["backend"]),
    ("variant", lambda c: c["variant"]),
    ("workers", lambda c: c["workers"]),
    ("tasks", lambda c: c["tasks"]),
    ("params", lambda c: json.dumps(c["params"], sort_keys=True)),
    ("status", lambda c: c["status"]),
    ("verified", lambda c: c["verification"].get("ok")),
    ("median_s", _stat("median")),
    ("ci95_low_s", _stat("ci95_low")),
    ("ci95_high_s", _stat("ci95_high")),
    ("iqr_s", _stat("iqr")),
    ("cv", _stat("cv")),
    ("min_s", _stat("min")),
    ("max_s", _stat("max")),
    ("n", _stat("n")),
    ("outliers", _stat("outliers")),
    ("unstable", _stat("unstable")),
    ("throughput_tasks_per_s", lambda c: c["throughput_tasks_per_s"]),
    ("gb_per_s", _gb_per_s),
    ("speedup", lambda c: c["baseline"].speedup if c["baseline"] else None),
    ("speedup_ci95_low", _speedup_bound(0)),
    ("speedup_ci95_high", _speedup_bound(1)),
    ("efficiency", lambda c: c["baseline"].efficiency if c["baseline"] else None),
    # Why the speedup above is no finding (a figure no machine can reach), if it is not.
    ("baseline_unreliable", lambda c: c["baseline"].unreliable if c["baseline"] else None),
    ("ceiling_unreliable", lambda c: c["baseline"].ceiling_unreliable if c["baseline"] else None),
    ("setup_s", lambda c: c["setup_s"]),
    ("teardown_s", lambda c: c["teardown_s"]),
    ("peak_pss_bytes", lambda c: c["peak_pss_bytes"]),
    ("peak_rss_bytes", lambda c: c["peak_rss_bytes"]),
    # The kernel's peak counter of the tree's cgroup, where one could be read.
    ("kernel_peak_bytes", kernel_peak_bytes),
    ("in_flight", lambda c: c["in_flight"]),
    ("invocations", lambda c: len(c["runs_s"]) or None),
    ("first_run_s", lambda c: c["warmup_s"][0] if c["warmup_s"] else None),
    ("cpu_utilisation", lambda c: c["cpu_utilisation"]),
    ("cpu_s_total", lambda c: c["cpu_s_total"]),
    ("error", _last_error_line),
)


def row(cell: Cell) -> dict[str, Any]:
    """The cell's CSV row, column by column."""
    return {name: value(cell) for name, value in COLUMNS}


def render_csv(cells: list[Cell]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=[name for name, _ in COLUMNS], lineterminator="\n")
    writer.writeheader()
    for cell in cells:
        writer.writerow(row(cell))
    return buffer.getvalue()
