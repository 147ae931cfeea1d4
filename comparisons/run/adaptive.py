"""Extra invocations for the verdict rows a run's planned invocations left undecided.

After every planned invocation has run, `runner.run_suite` asks `contested_rows` which
verdict rows are still in doubt and which cells decide each, runs one more fresh
process of each such cell, a whole row at a time, and asks again, within the suite's
`extra_budget_s` of wall time. asv does the same with its extra rounds for benchmarks
whose result is unclear. Rows come cheapest first, by the seconds one more process of
each of its cells costs per comparison in doubt (a row of Ray and Dask cells pays their
start-up again; a row of pools settles as many comparisons for a fraction of that), the
most ambiguous first among rows that cost alike; a row that no longer fits in the
budget left is passed over for a cheaper one.

A comparison is in doubt when the verdict calls it *undecided*
(`comparisons.records.ranking.outcome_of`): the 95% interval of the row's time over the
best's, by the verdict's own estimator, straddles an edge of the practical band (1 +
`PRACTICAL_THRESHOLD`): more data could move it to either side, so "tied" or "slower"
would be a coin toss between two runs of one commit. A row whose every comparison lies
clearly inside the band (tied) or clearly beyond it (slower) is settled and gets
nothing. Both sides of a doubtful comparison, the best row and the one compared with
it, get the extra process, so neither is favoured.

Before those rows come the yardsticks a figure exposed (`unreliable_yardsticks`): a
serial cell against which CPU work ran faster than the machine's cores allow, or a
ceiling a row beat (over 100% of it, `comparisons.records.cells`). Each gets a fresh
process of its own, so the run measures it again rather than publish what it implies;
if it stays broken, the report prints "baseline unreliable" or "ceiling unreliable".
"""

from __future__ import annotations

from comparisons.measure.stats import PRACTICAL_THRESHOLD, Ratio
from comparisons.records.cells import Cell, cells_from
from comparisons.records.ranking import Outcome, outcome_of, verdict_rows
from comparisons.records.schema import CEILING, Record

# However much budget is left, a cell gets at most this many extra processes.
MAX_EXTRA_ROUNDS = 2


def in_doubt(ratio: Ratio) -> bool:
    """True when the ratio's interval straddles an edge of the practical band: the
    verdict calls it undecided."""
    return outcome_of(ratio) is Outcome.UNDECIDED


def ambiguity(ratio: Ratio) -> float:
    """How close a doubtful comparison sits to the band's nearer edge, in widths of its
    own interval: 0 when the edge is at its point estimate."""
    edges = (1 + PRACTICAL_THRESHOLD, 1 / (1 + PRACTICAL_THRESHOLD))
    width = max(ratio.ci95_high - ratio.ci95_low, 1e-12)
    return min(abs(ratio.ratio - edge) for edge in edges) / width


def contested_rows(records: list[Record]) -> list[list[str]]:
    """The cell keys of each verdict row in doubt, cheapest row per comparison in doubt
    first, then most ambiguous: the best cell and every cell whose comparison with it is
    in doubt (undecided). A row is extended whole, both sides of each comparison, so
    that a budget running out never favours one side."""
    merged = cells_from(records)
    return _contested(merged, invocation_costs(merged))


def invocation_costs(merged: list[Cell]) -> dict[str, float]:
    """What one more fresh process of each cell costs: the mean wall time of its
    invocations so far, start-up and teardown included."""
    return {c["key"]: c["cell_wall_s"] / max(1, c["invocations_done"]) for c in merged}


def _contested(merged: list[Cell], costs: dict[str, float]) -> list[list[str]]:
    found: list[tuple[float, float, list[str]]] = []
    for row in verdict_rows(merged):
        best = row.rows[0]
        ratios = {s.cell["key"]: s.ratio for s in row.standings if s.ratio is not None}
        doubtful = [key for key, ratio in ratios.items() if in_doubt(ratio)]
        if doubtful:
            keys = [best["key"], *doubtful]
            per_comparison = sum(costs.get(key, 0.0) for key in keys) / len(doubtful)
            closest = min(ambiguity(ratios[key]) for key in doubtful)
            found.append((round(per_comparison, 1), closest, keys))
    found.sort(key=lambda item: item[:2])
    return [keys for *_, keys in found]


def unreliable_yardsticks(records: list[Record]) -> list[str]:
    """The keys of the serial cells marked unreliable (`Baseline.unreliable`: a speedup
    against them above the usable cores), then of the ceiling cells
    a row beat, each once, in the order of the cells."""
    return _unreliable(cells_from(records))


def _unreliable(merged: list[Cell]) -> list[str]:
    serial = [b.key for c in merged if (b := c["baseline"]) is not None and b.unreliable]
    ceilings = [c["key"] for c in merged if c["backend"] == CEILING and c["ceiling_beaten_by"]]
    return list(dict.fromkeys(serial + ceilings))


def extra_rows(records: list[Record]) -> tuple[list[str], list[list[str]], dict[str, float]]:
    """What an extra round runs: the unreliable yardsticks (`unreliable_yardsticks`),
    then the verdict's rows in doubt (`contested_rows`), from one reading of the records,
    with what one more process of each cell costs (`invocation_costs`)."""
    merged = cells_from(records)
    costs = invocation_costs(merged)
    return _unreliable(merged), _contested(merged, costs), costs


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
