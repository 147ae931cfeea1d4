"""Extra invocations for the verdict rows a run's planned invocations left undecided.

After every planned invocation has run, `runner.run_suite` asks `contested_rows` which
verdict rows are still in doubt and which cells decide each, runs one more fresh
process of each such cell, a whole row at a time, most ambiguous row first, and asks
again, within the suite's `extra_budget_s` of wall time. asv does the same with its
extra rounds for benchmarks whose result is unclear.

A comparison is in doubt when the 95% interval of the ratio of medians straddles the
edge of the practical band (1 + `PRACTICAL_THRESHOLD`): more data could move it to
either side, so "tie" or "slower" is a coin toss between two runs of one commit. A row
whose every comparison lies clearly inside the band (a tie) or clearly beyond it is
settled and gets nothing. Both sides of a doubtful comparison, the best row and the one
compared with it, get the extra process, so neither is favoured.
"""

from __future__ import annotations

from comparisons.measure.stats import PRACTICAL_THRESHOLD, Ratio, ratio_of_medians
from comparisons.records.cells import (
    cells_from,
    samples_of,
)
from comparisons.records.ranking import verdict_rows
from comparisons.records.schema import Record

# However much budget is left, a cell gets at most this many extra processes.
MAX_EXTRA_ROUNDS = 2


def in_doubt(ratio: Ratio) -> bool:
    """True when the ratio's interval straddles the edge of the practical band."""
    edge = 1 + PRACTICAL_THRESHOLD
    return ratio.ci95_low < edge < ratio.ci95_high


def ambiguity(ratio: Ratio) -> float:
    """How close a doubtful comparison sits to the band's edge, in widths of its own
    interval: 0 when the edge is at its point estimate."""
    edge = 1 + PRACTICAL_THRESHOLD
    width = max(ratio.ci95_high - ratio.ci95_low, 1e-12)
    return abs(ratio.ratio - edge) / width


def contested_rows(records: list[Record]) -> list[list[str]]:
    """The cell keys of each verdict row in doubt, most ambiguous row first: the best
    cell and every cell compared with it (its co-winners and the runner-up) whose
    comparison is in doubt. A row is extended whole, both sides of each comparison,
    so that a budget running out never favours one side."""
    merged = cells_from(records)
    found: list[tuple[float, list[str]]] = []
    for row in verdict_rows(merged):
        best, *tied = row.winners
        compared = tied + ([row.runner] if row.runner else [])
        ratios = {r["key"]: ratio_of_medians(samples_of(r), samples_of(best)) for r in compared}
        doubtful = [key for key, ratio in ratios.items() if in_doubt(ratio)]
        if doubtful:
            closest = min(ambiguity(ratios[key]) for key in doubtful)
            found.append((closest, [best["key"], *doubtful]))
    found.sort(key=lambda item: item[0])
    return [keys for _, keys in found]


def contested_keys(records: list[Record]) -> list[str]:
    """Every cell key of `contested_rows`, most ambiguous row first, without repeats."""
    keys: list[str] = []
    for row in contested_rows(records):
        keys.extend(key for key in row if key not in keys)
    return keys


def extra_invocations_done(records: list[Record], planned: dict[str, int]) -> int:
    """How many records are extra invocations (beyond each cell's planned count)."""
    return sum(
        1
        for r in records
        if r.get("key") in planned and r.get("invocation", 0) >= planned[r["key"]]
    )
