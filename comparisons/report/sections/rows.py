"""What several sections of REPORT.md share about rows: groups of comparable cells, ranked,
the marks a row can carry, and how a table row is written.

Groups are cells that do the same work at the same size (workload, tasks, params);
within a group, rows are ranked by median work time at each in-flight level. The
"Fastest per workload" and "Results by workload" sections both walk these groups, and
the machine section and the results tables speak of the same busy machine and the same
blocked event loop, so the thresholds and wording live here once.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable

from comparisons import formatting as fmt
from comparisons.records.cells import Cell, baseline_key, is_measured
from comparisons.records.ranking import levels, speed_s
from comparisons.report.sections.context import Cells

LOOP_NOTE = "CPU work runs on the event-loop thread"
# Other programs' CPU use, in cores, above which a cell's numbers are marked as suspect.
BUSY_NEIGHBOURS_CORES = 0.25


def groups(cells: Cells) -> list[tuple[str, Cells]]:
    """(title, ranked rows) per piece of work, in a fixed order across rebuilds."""
    grouped: dict[tuple, Cells] = defaultdict(list)
    for record in cells:
        grouped[baseline_key(record)].append(record)
    ordered = sorted(grouped.items(), key=lambda item: json.dumps(item[0], default=str))
    return [(fmt.group_title(rows[0]), _rank(rows)) for _, rows in ordered]


def _rank(rows: Cells) -> Cells:
    """By in-flight level; within it, contenders by the verdict's estimator (the lower
    quartile: the table ranks as the verdict does), then yardsticks, then failures."""

    def order(r: Cell) -> tuple:
        return (speed_s(r), r["backend"], r["workers"])

    ranked = []
    for _level, at_level in levels(rows).items():
        ok = [r for r in at_level if is_measured(r)]
        contenders = sorted((r for r in ok if not r.get("yardstick")), key=order)
        yardsticks = sorted((r for r in ok if r.get("yardstick")), key=order)
        failed = sorted((r for r in at_level if r not in ok), key=lambda r: r["backend"])
        ranked += contenders + yardsticks + failed
    return ranked


def table_row(cells: Iterable[str]) -> str:
    """One Markdown table row from its cells' text."""
    return "| " + " | ".join(cells) + " |"
