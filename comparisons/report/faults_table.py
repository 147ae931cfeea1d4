"""The fault-semantics table: what each model did when a task raised, crashed or hung.

One row per model, one column per `fault.*` workload, each cell a sentence built from
the probe's finding (`comparisons.cell.faults`): how the failure reached the caller and how
fast, whether the traceback still names the task, what happened to the other tasks,
and whether a hung task kept running after the caller gave up.
"""

from __future__ import annotations

from typing import Any

from comparisons.backends import display_order
from comparisons.cell.faults import describe


def render_faults(records: list[dict[str, Any]]) -> list[str]:
    probes = [r for r in records if r.get("fault")]
    if not probes:
        return []
    workloads = sorted({r["workload"] for r in probes})
    backends = sorted({r["backend"] for r in probes}, key=display_order)
    cells = {(r["backend"], r["workload"]): describe(r["fault"]) for r in probes}
    lines = [
        "| model | " + " | ".join(f"`{w}`" for w in workloads) + " |",
        "|---|" + "---|" * len(workloads),
    ]
    for backend in backends:
        row = [cells.get((backend, w), "not run") for w in workloads]
        lines.append(f"| {backend} | " + " | ".join(row) + " |")
    return lines
