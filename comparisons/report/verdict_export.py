"""`verdict.json`: the verdict as data, for tools (`make diff`, a site, a CI check).

One entry per verdict row (a kind of work at one in-flight count, `verdict_rows`), each
model's standing in it: its outcome (best, tied, slower, undecided), its time by the
verdict's estimator and its ratio to the best with the 95% interval; a row of a
task-size sweep also its place on the map (the plain loop's time per task, the nearest
boundary against it). Written beside REPORT.md by `make report`, from the same records,
so the two never disagree.
"""

from __future__ import annotations

import json
from typing import Any

from comparisons.measure.stats import PRACTICAL_THRESHOLD
from comparisons.records.cells import Cell, median_s
from comparisons.records.crossover import placed_on_map
from comparisons.records.ranking import (
    Standing,
    VerdictRow,
    executor_of,
    model,
    speed_s,
    twin_checks,
    verdict_rows,
)
from comparisons.report.sections.verdict import map_place

ESTIMATOR = "lower quartile of the repeats (25th percentile), over fresh processes"


def _standing(s: Standing, executor: str) -> dict[str, Any]:
    return {
        "model": model(s.cell),
        "backend": s.cell["backend"],
        "executor": executor,
        "outcome": str(s.outcome),
        "time_s": speed_s(s.cell),
        "median_s": median_s(s.cell),
        "ratio": s.ratio.ratio if s.ratio else None,
        "ci95": [s.ratio.ci95_low, s.ratio.ci95_high] if s.ratio else None,
    }


def _on_the_map(v: VerdictRow, placed: dict[Any, Any]) -> dict[str, Any] | None:
    """A sweep row's place on its map: the plain loop's time per task and the boundary
    against it that the row is read against (`verdict.map_place`); None off every
    sweep."""
    place = map_place(v.rows[0], placed)
    if place is None:
        return None
    x, boundary, own = place
    return {
        "task_s": x,
        "boundary": None
        if boundary is None
        else {
            "model": boundary.model,
            "at_s": boundary.at,
            "ci95": [boundary.low, boundary.high],
            "model_faster_above": boundary.above,
            "the_winners_own": own,
        },
    }


def _row(v: VerdictRow, placed: dict[Any, Any]) -> dict[str, Any]:
    best = v.rows[0]
    return {
        "on_the_map": _on_the_map(v, placed),
        "category": v.category,
        "work": v.work,
        "workload": best["workload"],
        "tasks": best["tasks"],
        "params": best["params"],
        "in_flight": v.in_flight,
        "every_model_slower_than_serial": v.slower_than_serial is not None,
        "models": [_standing(s, executor_of(s.cell)) for s in v.standings],
        "run_once": [r["backend"] for r in v.once],
        "break_even_s": v.break_even_s,
    }


def render_verdict_json(cells: list[Cell]) -> str:
    """The verdict of `cells` as JSON text."""
    placed = placed_on_map(cells)
    document = {
        "estimator": ESTIMATOR,
        "tie_band": PRACTICAL_THRESHOLD,
        "rows": [_row(v, placed) for v in verdict_rows(cells)],
        # Twins (SUITE=aa): a model against itself under another name; anything but
        # "tied" is a false decision.
        "aa_control": [
            {
                "work": c.work,
                "in_flight": c.in_flight,
                "model": c.original,
                "outcome": str(c.outcome),
                "ratio": c.ratio.ratio,
                "ci95": [c.ratio.ci95_low, c.ratio.ci95_high],
            }
            for c in twin_checks(cells)
        ],
    }
    return json.dumps(document, indent=1, sort_keys=True) + "\n"
