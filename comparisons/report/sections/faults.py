"""REPORT.md's "When things go wrong": what each model did when a task raised, crashed or
hung; left out of a run without fault probes.

One row per model, one column per `fault.*` workload, each cell a sentence built from
the probe's finding (`comparisons.cell.faults`): how the failure reached the caller and how
fast, whether the traceback still names the task, what happened to the other tasks,
and whether a hung task kept running after the caller gave up. The probes come in
through `Context.probes`: they are not cells, and no other section sees them.
"""

from __future__ import annotations

from comparisons.backends import display_order
from comparisons.cell.faults import describe
from comparisons.records.cells import Cell
from comparisons.report.sections.context import Cells, Context
from comparisons.report.sections.rows import table_row

TITLE = "When things go wrong"
INTRO = (
    "Fault probes: in each batch one task raises, kills its own process, or never "
    "returns, while the others work for a second; the caller waits with the "
    "model's own deadline tools. What reached the caller, how fast, and what was "
    "left:"
)


def render(cells: Cells, context: Context) -> list[str]:
    """The fault table over the run's probes."""
    return fault_table(list(context.probes))


def fault_table(records: list[Cell]) -> list[str]:
    """One row per model, one column per `fault.*` workload; empty without probes."""
    probes = [r for r in records if r.get("fault")]
    if not probes:
        return []
    workloads = sorted({r["workload"] for r in probes})
    backends = sorted({r["backend"] for r in probes}, key=display_order)
    cells = {(r["backend"], r["workload"]): describe(r["fault"] or {}) for r in probes}
    lines = [
        "| model | " + " | ".join(f"`{w}`" for w in workloads) + " |",
        "|---|" + "---|" * len(workloads),
    ]
    for backend in backends:
        row = [cells.get((backend, w), "not run") for w in workloads]
        lines.append(table_row([backend, *row]))
    return lines
