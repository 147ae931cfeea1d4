"""The crossover between two models along a task-size sweep, on made-up cells: a known
boundary is recovered with an interval around it, a grid with no change of side says
which side wins throughout, noisy points stay undecided, and the report's section reads
them. The rule is the subject, not the machine."""

from __future__ import annotations

import json

import made_up
import pytest

from comparisons.records.cells import Cell
from comparisons.records.crossover import (
    Answer,
    Boundary,
    Point,
    axis_points,
    crossing,
    crossover,
    nearest_boundary,
    placed_on_map,
    sweep_points,
)
from comparisons.report.sections import crossovers, verdict
from comparisons.report.sections.context import Context
from comparisons.report.verdict_export import render_verdict_json

WORK_S = 1.0  # serial seconds of the whole job at every task size
SIZES = (1e-5, 1e-4, 1e-3, 1e-2)  # serial seconds per task


def cell(backend: str, per_task: float, time_s: float, spread: float = 0.005) -> Cell:
    tasks = round(WORK_S / per_task)
    return made_up.around(
        backend,
        time_s,
        spread=spread,
        workload="cpu.primes",
        kind="cpu",
        tasks=tasks,
        workers=1 if backend == "serial" else 2,
        params={"span": tasks},
    )


def pool(per_task: float, overhead: float = 200e-6) -> float:
    """Two workers share the work; each task costs `overhead` of dispatch on top."""
    return WORK_S / 2 + WORK_S / per_task * overhead


def sweep(spread: float = 0.005) -> list[Cell]:
    return [cell("serial", x, WORK_S) for x in SIZES] + [
        cell("processes", x, pool(x), spread) for x in SIZES
    ]


def points(cells: list[Cell], first: str, second: str) -> list[Point]:
    """The sweep's points, each placed at its plain loop's time per task."""
    return sweep_points(cells, first, second)


def test_crossing_interpolates_in_log_space_and_says_which_side_wins_above():
    assert crossing([1.0, 100.0], [1.0, -1.0]) == [(pytest.approx(10.0), True)]
    assert crossing([1.0, 100.0], [-1.0, 1.0]) == [(pytest.approx(10.0), False)]
    assert crossing([1.0, 10.0, 100.0], [-1.0, -0.5, -0.1]) == []


def test_a_known_boundary_is_recovered_with_an_interval_around_it():
    found = crossover("processes", "serial", points(sweep(), "processes", "serial"))
    assert found is not None and found.answer is Answer.CROSSES
    # The pool pays from 400 µs per task (0.5 s + n * 200 µs = 1 s); the grid's
    # log-log interpolation between 100 µs and 1 ms puts it near 520 µs.
    assert found.at is not None and 1e-4 < found.at < 1e-3
    assert found.low is not None and found.high is not None
    assert found.low <= found.at <= found.high and found.first_wins_above is True
    assert found.agreement >= 0.95 and found.bracket == (1e-4, 1e-3)


def test_a_grid_with_no_change_of_side_says_who_wins_throughout():
    cheap = [cell("serial", x, WORK_S) for x in SIZES] + [
        cell("processes", x, pool(x, overhead=1e-7)) for x in SIZES
    ]
    found = crossover("processes", "serial", points(cheap, "processes", "serial"))
    assert found is not None and found.answer is Answer.FIRST_THROUGHOUT and found.at is None
    flipped = crossover("serial", "processes", points(cheap, "serial", "processes"))
    assert flipped is not None and flipped.answer is Answer.SECOND_THROUGHOUT


def test_points_too_noisy_to_place_the_boundary_stay_undecided():
    # Both sides within a few percent of each other at every size, with a wide spread.
    close = [cell("serial", x, WORK_S, spread=0.3) for x in SIZES] + [
        cell("processes", x, WORK_S * (1.02 if i % 2 else 0.98), spread=0.3)
        for i, x in enumerate(SIZES)
    ]
    found = crossover("processes", "serial", points(close, "processes", "serial"))
    assert found is not None and found.answer is Answer.UNDECIDED
    assert crossover("processes", "serial", points(close, "processes", "serial")[:1]) is None


def test_the_section_reads_a_sweep_and_leaves_a_run_without_one_out():
    cells = [
        *sweep(),
        *(cell("ray", x, pool(x, overhead=600e-6) + 0.05) for x in SIZES),
    ]
    lines = crossovers.render(cells, Context())
    text = "\n".join(lines)
    assert (
        "| cpu.primes, 2 workers | processes / serial | **processes** faster than serial above"
        in text
    )
    assert "| ray / processes |" in text
    assert crossovers.render(sweep()[:4] + sweep()[4:6], Context()) == []


def test_a_sweep_varies_one_parameter_only():
    point = ("cpu.shared", 16)
    keys = {
        (*point, (("megabytes", 64), ("per_task", 0))),
        (*point, (("megabytes", 256), ("per_task", 0))),
        (*point, (("megabytes", 64), ("per_task", 1))),
        (*point, (("megabytes", 256), ("per_task", 1))),
    }
    assert axis_points(keys) == set()  # two sizes of each form: no sweep
    spans = {("cpu.primes", 1000 // s, (("span", s),)) for s in (1, 10, 100)}
    assert axis_points(spans) == spans
    assert axis_points(spans | keys) == spans


def test_two_ways_within_the_band_at_every_size_are_tied_throughout():
    level = [cell("serial", x, WORK_S) for x in SIZES] + [
        cell("threads", x, WORK_S * (1.01 if i % 2 else 0.99)) for i, x in enumerate(SIZES)
    ]
    found = crossover("threads", "serial", points(level, "threads", "serial"))
    assert found is not None and found.answer is Answer.TIED
    assert "within 10% of each other over the whole grid" in crossovers.describe(found)


def test_make_diff_sets_each_boundary_of_two_runs_side_by_side():
    from comparisons.report.diff import _crossover_lines

    same = _crossover_lines(sweep(), sweep())
    assert any("processes / serial" in line and "intervals overlap" in line for line in same)
    moved = [cell("serial", x, WORK_S) for x in SIZES] + [
        cell("processes", x, pool(x, overhead=20e-6)) for x in SIZES
    ]
    apart = _crossover_lines(sweep(), moved)
    assert any("processes / serial" in line and "**intervals apart**" in line for line in apart)
    assert _crossover_lines(sweep()[:4], sweep()[:4]) == []


def test_each_verdict_row_of_a_sweep_says_where_it_sits_on_the_map():
    placed = placed_on_map(sweep())
    assert len(placed) == len(SIZES)
    x, boundaries = next(iter(placed.values()))
    assert [b.model for b in boundaries] == ["processes"] and boundaries[0].above
    at = boundaries[0].at
    assert nearest_boundary(1e-2, boundaries) == boundaries[0]
    # Threads beside the pool at every size, so each size is a verdict row.
    rows = sweep() + [cell("threads", x, WORK_S * 1.05) for x in SIZES]
    table = "\n".join(verdict.verdict_table(rows))
    # 10 ms tasks are ×(10 ms / boundary) above where the pool starts to beat the loop.
    assert f"×{1e-2 / at:.1f} above its winner's boundary, where processes starts to beat" in table
    assert f"×{at / 1e-5:.1f} below the nearest boundary" in table
    # A size inside the boundary's interval is not said to be on either side of it.
    b = boundaries[0]
    assert b.low is not None and b.high is not None
    inside = {k: (b.at, v[1]) for k, v in placed.items()}
    assert "inside the interval of the nearest boundary" in verdict.on_the_map(rows[0], inside)
    # A winner with a boundary of its own is read against it, though another model's
    # lies nearer; a winner without one, against the nearest.
    x = 1e-2
    mine = Boundary("processes", 1e-4, True, 5e-5, 2e-4)
    nearer = Boundary("ray", 5e-3, True, 4e-3, 6e-3)
    both = {k: (x, [nearer, mine]) for k in placed}
    winner = next(r for r in rows if r["backend"] == "processes")
    assert "its winner's boundary, where processes starts" in verdict.on_the_map(winner, both)
    loser = next(r for r in rows if r["backend"] == "threads")
    assert "the nearest boundary, where ray starts" in verdict.on_the_map(loser, both)
    # A row off every sweep says nothing of a map.
    alone = [
        cell("serial", 1e-3, WORK_S),
        cell("processes", 1e-3, pool(1e-3)),
        cell("threads", 1e-3, WORK_S * 1.05),
    ]
    alone_table = "\n".join(verdict.verdict_table(alone))
    assert "| 2 |" in alone_table and "on the map" not in alone_table
    assert nearest_boundary(1e-3, []) is None


def test_verdict_json_gives_each_sweep_row_its_place_on_the_map():
    rows = sweep() + [cell("threads", x, WORK_S * 1.05) for x in SIZES]
    found = json.loads(render_verdict_json(rows))["rows"]
    placed = [r["on_the_map"] for r in found]
    assert len(placed) == len(SIZES) and all(p is not None for p in placed)
    assert sorted(p["task_s"] for p in placed) == pytest.approx(sorted(SIZES), rel=0.05)
    assert {p["boundary"]["model"] for p in placed} == {"processes"}
    # The pool wins the largest size: that row is read against its own boundary.
    largest = max(placed, key=lambda p: p["task_s"])
    assert largest["boundary"]["the_winners_own"] and largest["boundary"]["ci95"][0] is not None
    alone = [
        cell("serial", 1e-3, WORK_S),
        cell("processes", 1e-3, pool(1e-3)),
        cell("threads", 1e-3, WORK_S * 1.05),
    ]
    assert json.loads(render_verdict_json(alone))["rows"][0]["on_the_map"] is None


def test_an_interval_past_its_bracket_says_so_and_one_inside_it_does_not() -> None:
    from comparisons.records.crossover import Answer, Crossover
    from comparisons.report.sections.crossovers import interval_text

    def crossing(low: float, high: float) -> Crossover:
        return Crossover(
            "asyncio",
            "threads",
            (10, 100, 1000),
            Answer.CROSSES,
            0.99,
            at=20,
            low=low,
            high=high,
            first_wins_above=True,
            bracket=(10, 100),
        )

    assert interval_text(crossing(11, 90), str) == "11–90, between the grid's 10 and 100"
    past = interval_text(crossing(11, 158), str)
    assert past.startswith("11–158: interpolated between the grid's 10 and 100")
    assert "beyond them" in past


def test_an_event_loop_running_the_work_itself_is_set_against_the_plain_loop_only() -> None:
    from comparisons.records.crossover import on_the_loop, sweep_pairs

    present = {"serial", "processes", "processes:executor", "threads", "asyncio"}
    pairs = sweep_pairs(present, {"asyncio"})
    assert ("asyncio", "serial") in pairs and ("threads", "processes:executor") in pairs
    assert not [p for p in pairs if p[0] == "asyncio" and p[1] != "serial"]
    assert ("asyncio", "processes:executor") in sweep_pairs(present)
    rows = [cell("asyncio", 1e-3, 0.1), cell("threads", 1e-3, 0.1)]
    rows[0]["blocks_event_loop"] = True
    assert on_the_loop(rows) == {"asyncio"}
