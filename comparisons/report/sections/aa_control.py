"""REPORT.md's "A/A control": how often the design decides that a model differs from
itself (`SUITE=aa`, `comparisons.records.ranking.twin_checks`). Left out of runs
without twins."""

from __future__ import annotations

from comparisons.measure.stats import PRACTICAL_THRESHOLD
from comparisons.records.ranking import Outcome, twin_checks
from comparisons.report.sections.context import Cells, Context

TITLE = "A/A control"
INTRO = (
    "The same model under two names (a twin: the same class, its own fresh processes, "
    "interleaved with the rest), judged by the verdict's rule: the slower of the two over "
    f"the faster must come out tied (its interval wholly within {PRACTICAL_THRESHOLD:.0%}). "
    "Slower is a false decision, the rate at which this run's design would crown one "
    "model over an equal one; undecided is no decision."
)


def render(cells: Cells, context: Context) -> list[str]:
    checks = twin_checks(cells)
    if not checks:
        return []
    false = [c for c in checks if c.outcome is Outcome.SLOWER]
    undecided = [c for c in checks if c.outcome is Outcome.UNDECIDED]
    lines = [
        f"**False decisions: {len(false)} of {len(checks)} twin pairs"
        f" ({len(false) / len(checks):.0%}); undecided: {len(undecided)}"
        f" ({len(undecided) / len(checks):.0%}).**",
        "",
        "| work | in flight | model | slower twin / faster (95% CI) | decided |",
        "|---|---|---|---|---|",
    ]
    for c in checks:
        lines.append(
            f"| {c.work} | {c.in_flight} | {c.original} | ×{c.ratio.ratio:.3f} "
            f"({c.ratio.ci95_low:.3f}–{c.ratio.ci95_high:.3f}) | {c.outcome} |"
        )
    return lines
