"""REPORT.md's "Fastest per workload": one line per piece of work and in-flight count,
the short form of the tables in "Results by workload" (`sections.workloads`).

Unlike the verdict, which groups by kind of work, it names every workload and size; it
ranks the same way (`comparisons.records.ranking`: each model by its best idiom, ties
named). Where every model is decided slower than the serial loop at that work, no model
is crowned: the line says so and points at the loop, and names the least slow model
with its time against the loop's. A speedup against a serial cell shown broken
(`Baseline.unreliable`) reads "baseline unreliable", its reason listed under the table.
"""

from __future__ import annotations

from comparisons import formatting as fmt
from comparisons.measure.stats import ratio_of_medians
from comparisons.records.cells import median_s, samples_of
from comparisons.records.ranking import best_per_model, contenders, levels, rank
from comparisons.report.sections.context import Cells, Context
from comparisons.report.sections.rows import groups
from comparisons.report.sections.workloads import (
    every_model_slower,
    serial_of,
    slower_than_a_loop,
)

TITLE = "Fastest per workload"
INTRO = ""


def render(cells: Cells, context: Context) -> list[str]:
    """The table; its header stands even when no group has a winner."""
    lines = [
        "| work | in flight | fastest here (ties named) | median | speedup vs serial | runner-up |",
        "|---|---|---|---|---|---|",
    ]
    unreliable: dict[str, str] = {}
    for title, rows in groups(cells):
        serial = serial_of(rows)
        for level, at_level in levels(rows).items():
            ranked = rank(best_per_model(at_level))
            if ranked is None:
                continue
            best = ranked.winners[0]
            if serial is not None and every_model_slower(contenders(at_level), serial):
                loop = ratio_of_medians(samples_of(best), samples_of(serial))
                lines.append(
                    f"| {title} | {level} | {slower_than_a_loop(serial)} | "
                    f"{fmt.seconds(median_s(serial))} | – | least slow: {best['backend']}, "
                    f"{fmt.ratio(loop.ratio)} serial's time ({loop.ci95_low:.2f}–"
                    f"{loop.ci95_high:.2f}) |"
                )
                continue
            base = best["baseline"]
            speed = fmt.ratio(base.speedup if base else None)
            if base is not None and base.unreliable:
                speed = "baseline unreliable"
                unreliable[title] = base.unreliable
            names = ", ".join(f"**{r['backend']}**" for r in ranked.winners)
            runner, margin = ranked.runner, ranked.margin
            gap = f"{runner['backend']} ×{margin.ratio:.2f} slower" if runner and margin else "–"
            lines.append(
                f"| {title} | {level} | {names} | {fmt.seconds(median_s(best))} | {speed} | {gap} |"
            )
    if unreliable:
        lines += ["", *(f"- Baseline unreliable, {t}: {why}." for t, why in unreliable.items())]
    return lines
