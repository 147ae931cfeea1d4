"""The changes page's decisions: which runs are consecutive runs of one machine and
suite, and what changed between them, by `make diff`'s own rules (`paired`,
`run_drift`, `classify`, `compare_verdicts`), never a second rule.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from comparisons.measure.stats import PRACTICAL_THRESHOLD
from comparisons.records.cache import cached
from comparisons.records.cells import Cell, median_s
from comparisons.report.diff import classify, compare_verdicts, machine_ratio, paired, run_drift
from comparisons.site.collect import Run


def series(runs: list[Run]) -> dict[tuple[str, str], list[Run]]:
    """Runs grouped by (machine, suite), each group in time order. A run of another
    interpreter, host or suite is never "the next run" of this one."""
    groups: dict[tuple[str, str], list[Run]] = defaultdict(list)
    for run in sorted(runs, key=lambda r: r.run_id):
        groups[(run.machine, run.suite)].append(run)
    return dict(groups)


def consecutive(runs: list[Run]) -> list[tuple[Run, Run]]:
    """Each run with the one before it on the same machine and suite."""
    return [pair for group in series(runs).values() for pair in zip(group, group[1:], strict=False)]


@dataclass(frozen=True)
class Moved:
    key: str
    a_median_s: float
    b_median_s: float
    relative: float  # B/A once the drift is divided out
    verdict: str  # faster or slower
    machine_too: bool


@dataclass(frozen=True)
class Found:
    """What `make diff`'s rules say of two runs' cells (the part worth caching)."""

    drift: float
    compared: int  # cells timed in both
    moved: list[Moved]
    contradictions: list[str]
    verdict_rows: int


@dataclass(frozen=True)
class PairChanges:
    a: Run
    b: Run
    drift: float
    compared: int  # cells timed in both
    moved: list[Moved]
    contradictions: list[str]
    verdict_rows: int


def compare_cells(a: list[Cell], b: list[Cell], threshold: float) -> Found:
    """Cells beyond the machine's drift, and verdict rows that contradict each other
    over the models completed in both."""
    matched = paired(a, b)
    drift = run_drift(matched.pairs)
    moved = []
    for ra, rb in matched.pairs:
        change = classify(ra, rb, threshold, drift, machine_ratio(ra, rb))
        if change.verdict != "same":
            moved.append(
                Moved(
                    ra["key"],
                    median_s(ra),
                    median_s(rb),
                    change.relative,
                    change.verdict,
                    change.machine_too,
                )
            )
    completed = {ra["key"] for ra, _ in matched.pairs}
    agreed = compare_verdicts(
        [c for c in a if c["key"] in completed], [c for c in b if c["key"] in completed]
    )
    return Found(drift, len(matched.pairs), moved, agreed.contradictions, agreed.rows)


def changes_between(a: Run, b: Run, threshold: float = PRACTICAL_THRESHOLD) -> PairChanges:
    """What `make diff A B` would call a change (`compare_cells`), from the cache when
    both runs' records were seen before with this code."""
    if a.digest and b.digest:
        found, _ = cached(
            f"changes:{a.digest}:{b.digest}:{threshold!r}",
            lambda: compare_cells(a.cells, b.cells, threshold),
        )
    else:
        found = compare_cells(a.cells, b.cells, threshold)
    return PairChanges(
        a, b, found.drift, found.compared, found.moved, found.contradictions, found.verdict_rows
    )
