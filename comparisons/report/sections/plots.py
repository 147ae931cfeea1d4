"""REPORT.md's "Plots": the figures drawn for this build, each with its caption; left out
when the run had the data for none.

The figures themselves are drawn beforehand by `comparisons.report.plots` (the same
records, written to the run's `plots/`), which hands the (path, caption) pairs in through
`Context.figures`.
"""

from __future__ import annotations

from comparisons.report.sections.context import Cells, Context

TITLE = "Plots"
INTRO = ""


def render(cells: Cells, context: Context) -> list[str]:
    """Each figure embedded by its relative path, its caption in italics below."""
    lines: list[str] = []
    for path, caption in context.figures:
        lines += [f"![{caption}]({path})", "", f"*{caption}*", ""]
    return lines[:-1]  # the report closes every section with its blank line
