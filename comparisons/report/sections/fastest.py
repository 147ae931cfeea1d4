"""REPORT.md's "Fastest per workload": one line per piece of work and in-flight count,
the short form of the tables in "Results by workload" (`sections.workloads`).

Unlike the verdict, which groups by kind of work, it names every workload and size; it
ranks the same way (`comparisons.records.ranking`: each model by its best idiom, ties
named).
"""

from __future__ import annotations

from comparisons import formatting as fmt
from comparisons.records.cells import median_s
from comparisons.records.ranking import best_per_model, levels, rank
from comparisons.report.sections.context import Cells, Context
from comparisons.report.sections.rows import groups

TITLE = "Fastest per workload"
INTRO = ""


def render(cells: Cells, context: Context) -> list[str]:
    """The table; its header stands even when no group has a winner."""
    lines = [
        "| work | in flight | fastest here (ties named) | median | speedup vs serial | runner-up |",
        "|---|---|---|---|---|---|",
    ]
    for title, rows in groups(cells):
        for level, at_level in levels(rows).items():
            ranked = rank(best_per_model(at_level))
            if ranked is None:
                continue
            best = ranked.winners[0]
            names = ", ".join(f"**{r['backend']}**" for r in ranked.winners)
            speed = best["baseline"].speedup if best["baseline"] else None
            runner, margin = ranked.runner, ranked.margin
            gap = f"{runner['backend']} ×{margin.ratio:.2f} slower" if runner and margin else "–"
            lines.append(
                f"| {title} | {level} | {names} | {fmt.seconds(median_s(best))} | "
                f"{fmt.ratio(speed)} | {gap} |"
            )
    return lines
