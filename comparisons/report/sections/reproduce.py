"""REPORT.md's "Reproduce": the command lines that made the run, as the cells recorded
them; left out when none did.
"""

from __future__ import annotations

from comparisons.report.sections.context import Cells, Context

TITLE = "Reproduce"
INTRO = ""


def render(cells: Cells, context: Context) -> list[str]:
    """Each distinct command, indented as a Markdown code block."""
    commands = sorted({c for r in cells if (c := r["command"])})
    return [f"    {c}" for c in commands]
