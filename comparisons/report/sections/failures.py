"""REPORT.md's "Failed cells": the last line of each failed or timed-out cell's error, or
a sentence saying every cell that ran was verified.

Skipped cells are not failures: their rows in "Results by workload" (`sections.workloads`)
say why they did not run.
"""

from __future__ import annotations

from comparisons.cell.outcome import Status
from comparisons.report.sections.context import Cells, Context

TITLE = "Failed cells"
INTRO = ""


def render(cells: Cells, context: Context) -> list[str]:
    """One bullet per failed cell, by key; one sentence when none failed."""
    failed = [r for r in cells if r["status"] not in (Status.OK, Status.SKIPPED)]
    if not failed:
        skipped = sum(r["status"] == Status.SKIPPED for r in cells)
        return [
            "Every cell that ran completed and every repeat's results were verified."
            + (f" {skipped} cell(s) were skipped; their rows say why." if skipped else "")
        ]
    lines = []
    for r in sorted(failed, key=lambda r: r["key"]):
        reason = (r.get("error") or "no reason recorded").strip()
        last = reason.splitlines()[-1] if reason else ""
        lines.append(f"- `{r['key']}`: **{r['status']}**: {last}")
    return lines
