"""REPORT.md's opening, before any `##` heading: the run's title and how its cells ended.

The first section of `comparisons.report.sections.SECTIONS`; untitled, since its first
line is the document's own `#` title.
"""

from __future__ import annotations

from comparisons.cell.outcome import Status
from comparisons.report.sections.context import Cells, Context

TITLE = None
INTRO = ""


def render(cells: Cells, context: Context) -> list[str]:
    """The `#` title naming the run(s), then one line counting the cells by outcome."""
    run_ids = sorted({str(r["run_id"]) for r in cells})
    suites = sorted({str(r["suite"]) for r in cells})
    ok = sum(r["status"] == Status.OK for r in cells)
    skipped = sum(r["status"] == Status.SKIPPED for r in cells)
    return [
        f"# Concurrency comparison: {', '.join(run_ids)}",
        "",
        f"Suite `{', '.join(suites)}`: {len(cells)} cells, {ok} completed and verified, "
        f"{skipped} skipped (each row says why), {len(cells) - ok - skipped} failed or "
        "timed out.",
    ]
