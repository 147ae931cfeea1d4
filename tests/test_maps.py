"""Maps of two axes on made-up cells: a grid is found, each of its lines gets its
crossovers (a known boundary recovered inside its interval, along the task size and
along the bytes, and along the requests in flight of waiting I/O), a model ahead
everywhere says so, noise stays undecided, and a run without a grid has no section and
no figure. The rule is the subject, not the machine.

The made-up times are a power law in each axis (in the bytes plus 1 KiB, the shift the
bytes axis is interpolated with because it holds zero), so the grid's log-log
interpolation is exact and the known boundary must lie inside the computed interval.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import made_up
import pytest
from test_crossover import WORK_S
from test_crossover import cell as sweep_cell

from comparisons.records.cells import Cell, median_s
from comparisons.records.crossover import Answer, Crossover
from comparisons.records.maps import Grid, Line, grids, lines, memory_lines, point_winners
from comparisons.report import diff, plots
from comparisons.report.sections import SECTIONS, crossovers, maps
from comparisons.report.sections.context import Context

SIZES = (1e-5, 1e-4, 1e-3, 1e-2, 1e-1)  # the plain loop's seconds per task
KIB = (0, 64, 1024)  # KiB sent to and returned from each task
X0, B0 = 2e-3, 65 * 1024  # the pool ties the plain loop at X0 per task and B0 - 1 KiB


def pool_over_loop(per_task: float, kib: int) -> float:
    """The process pool's time over the plain loop's: slower for small tasks (dispatch)
    and for many bytes (pickling), as a power law in each."""
    return math.sqrt(X0 / per_task) * math.sqrt((kib * 1024 + 1024) / B0)


def cpu_cell(backend: str, per_task: float, kib: int, time_s: float, spread: float) -> Cell:
    """A cell of the task-size sweep's tests, with the KiB each task sends and returns."""
    made = sweep_cell(backend, per_task, time_s, spread)
    made["params"] = {**made["params"], "kilobytes": kib}
    return made


def cpu_grid(threads_s: float | None = None, dask_spread: float | None = None) -> list[Cell]:
    """The plain loop and the process pool at every point; threads at `threads_s`, and a
    dask as fast as the loop but `dask_spread` noisy, where asked."""
    made = []
    for x in SIZES:
        for kib in KIB:
            made.append(cpu_cell("serial", x, kib, WORK_S, 0.005))
            made.append(cpu_cell("processes", x, kib, WORK_S * pool_over_loop(x, kib), 0.005))
            if threads_s is not None:
                made.append(cpu_cell("threads", x, kib, threads_s, 0.005))
            if dask_spread is not None:
                made.append(cpu_cell("dask", x, kib, WORK_S, dask_spread))
    return made


def io_grid(tie_at: float = 200) -> list[Cell]:
    """Threads and asyncio at 10, 100, 1000 in flight and 10 ms, 100 ms of delay:
    asyncio's time over threads' is sqrt(tie_at / in flight), so they tie at `tie_at`."""
    made = []
    for workers in (10, 100, 1000):
        for delay in (0.01, 0.1):
            threads_s = delay * 1.2
            for backend, time_s in (
                ("threads", threads_s),
                ("asyncio", threads_s * math.sqrt(tie_at / workers)),
            ):
                made.append(http_cell(backend, time_s, workers, delay))
    return made


def http_cell(backend: str, time_s: float, workers: int, delay: float, **fields: Any) -> Cell:
    """An io.http cell at `workers` in flight and `delay` s of the server's wait."""
    return made_up.around(
        backend,
        time_s,
        workload="io.http",
        kind="io",
        category="waiting I/O",
        tasks=workers,
        workers=workers,
        params={"delay": delay, "kilobytes": 4},
        **fields,
    )


def one_grid(cells: list[Cell]) -> Grid:
    found = grids(cells)
    assert len(found) == 1
    return found[0]


def pair(line: Line, first: str, second: str) -> Crossover:
    return next(c for c in line.crossovers if (c.first, c.second) == (first, second))


def along(grid: Grid, axis: str) -> list[Line]:
    return [line for line in lines(grid) if line.varies.parameter == axis]


def test_a_cpu_grid_has_the_task_size_and_the_bytes_as_its_axes():
    grid = one_grid(cpu_grid())
    assert (grid.workload, grid.kind, grid.workers) == ("cpu.primes", "cpu", 2)
    assert (grid.x.parameter, grid.y.parameter) == ("span", "kilobytes")
    assert len(grid.points) == len(SIZES) * len(KIB)
    assert sorted({p.y for p in grid.points}) == [k * 1024 for k in KIB]
    assert sorted({p.x for p in grid.points}) == pytest.approx(SIZES)
    # Five lines along the bytes (one per size), three along the task size.
    assert len(along(grid, "kilobytes")) == len(SIZES) and len(along(grid, "span")) == len(KIB)


def test_cells_that_leave_the_bytes_out_at_their_default_are_its_zero_line():
    # cpu.primes records `kilobytes` only away from 0, so a task-size sweep's cells
    # keep their keys and are the grid's line at 0 KiB.
    cells = cpu_grid()
    for c in cells:
        if c["params"]["kilobytes"] == 0:
            c["params"] = {"span": c["params"]["span"]}
    grid = one_grid(cells)
    assert len(grid.points) == len(SIZES) * len(KIB) and grid.values(grid.y) == list(KIB)


def test_a_known_boundary_along_the_task_size_is_recovered_at_every_byte_count():
    for line in along(one_grid(cpu_grid()), "span"):
        found = pair(line, "processes", "serial")
        known = X0 * (line.fixed_at + 1024) / B0  # where pool_over_loop is 1
        assert found.answer is Answer.CROSSES and found.first_wins_above is True
        assert found.low is not None and found.high is not None
        assert found.low <= known <= found.high
        assert found.at == pytest.approx(known, rel=1e-6)


def test_a_known_boundary_along_the_bytes_is_recovered_inside_its_interval():
    by_size = {round(line.fixed_at, 9): line for line in along(one_grid(cpu_grid()), "kilobytes")}
    found = pair(by_size[1e-3], "processes", "serial")
    known = B0 * 1e-3 / X0 - 1024  # 32,256 bytes: between the grid's 0 and 64 KiB
    assert found.answer is Answer.CROSSES and found.first_wins_above is False
    assert found.low is not None and found.high is not None
    assert found.low <= known <= found.high and found.bracket == (0.0, 64 * 1024)
    assert found.at == pytest.approx(known, rel=1e-6)
    # At the largest tasks the pool is ahead over every byte count the grid has.
    assert pair(by_size[1e-1], "processes", "serial").answer is Answer.FIRST_THROUGHOUT


def test_a_model_slower_everywhere_says_so_and_has_no_crossover():
    grid = one_grid(cpu_grid(threads_s=2 * WORK_S))
    for line in lines(grid):
        found = pair(line, "threads", "serial")
        assert found.answer is Answer.SECOND_THROUGHOUT and found.at is None
    assert all(
        "threads" not in [r["backend"] for r in ranked.winners]
        for ranked in map(point_winners, grid.points)
        if ranked is not None
    )


def test_noisy_overlapping_samples_stay_undecided():
    for line in lines(one_grid(cpu_grid(dask_spread=0.3))):
        assert pair(line, "dask", "serial").answer is Answer.UNDECIDED


def test_an_io_grid_finds_where_asyncio_overtakes_the_thread_pool():
    grid = one_grid(io_grid())
    assert (grid.kind, grid.workers, grid.x.parameter, grid.y.parameter) == (
        "io",
        None,
        "workers",
        "delay",
    )
    for line in along(grid, "workers"):
        found = pair(line, "asyncio", "threads")
        assert found.answer is Answer.CROSSES and found.first_wins_above is True
        assert found.low is not None and found.high is not None
        assert found.low <= 200 <= found.high and found.bracket == (100, 1000)
    by_workers = {line.fixed_at: line for line in along(grid, "delay")}
    assert pair(by_workers[1000], "asyncio", "threads").answer is Answer.FIRST_THROUGHOUT
    assert pair(by_workers[10], "asyncio", "threads").answer is Answer.SECOND_THROUGHOUT


def test_points_scattered_one_per_row_and_column_are_no_grid():
    # As the default suite's io.sleep: 3 in flight for 2 s, 1,000 for 100 ms.
    diagonal = [
        c for c in io_grid() if (c["workers"], c["params"]["delay"]) in ((10, 0.1), (1000, 0.01))
    ]
    assert len(diagonal) == 4 and grids(diagonal) == []


def test_the_winner_at_each_point_is_the_faster_side():
    grid = one_grid(io_grid())
    for p in grid.points:
        ranked = point_winners(p)
        assert ranked is not None
        assert ranked.rows[0]["backend"] == ("asyncio" if p.x > 200 else "threads")


def test_a_sweep_of_one_parameter_is_no_grid_and_gets_no_section_and_no_figure(tmp_path: Path):
    sweep = [c for c in cpu_grid() if c["params"]["kilobytes"] == 0]
    assert grids(sweep) == []
    assert maps.render(sweep, Context()) == []
    target = tmp_path / "grid_maps.png"
    assert plots.grid_maps(sweep, target) is None and not target.exists()


def test_the_section_follows_the_crossovers_and_prints_each_line(tmp_path: Path):
    assert SECTIONS.index(maps) == SECTIONS.index(crossovers) + 1
    cells = cpu_grid(dask_spread=0.3) + io_grid()
    text = "\n".join(maps.render(cells, Context()))
    assert "| line | pair | where the answer changes |" in text
    assert "**processes** faster than serial above" in text
    assert "**asyncio** faster than threads above" in text
    assert "in flight" in text and "0 B" in text
    assert "undecided" in text and "dask / serial" in text
    target = tmp_path / "grid_maps.png"
    caption = plots.grid_maps(cells, target)
    assert caption and target.stat().st_size > 0


def test_the_front_page_gives_each_line_its_boundaries_against_the_yardstick():
    cells = cpu_grid(dask_spread=0.3) + io_grid()
    figure = ("plots/grid_maps.png", "the maps")
    text = "\n".join(maps.front(cells, Context(figures=(figure,))))
    assert text.startswith("![the maps](plots/grid_maps.png)")
    # CPU lines against the plain loop, I/O lines against the thread pool.
    cpu_line = "- **cpu.primes, 2 workers**, along task size, 64.0 KiB each way: against a plain"
    assert cpu_line in text
    assert "**processes** 10% ahead from" in text and "**processes** 10% ahead below" in text
    assert "- **io.http**, along requests in flight" in text
    # asyncio / threads = sqrt(200 / in flight): equal at 200, 10% ahead at 200 * 1.1^2.
    assert "against `threads`, **asyncio** 10% ahead from 242 (" in text
    assert "; equal at 200 (" in text
    # Undecided pairs and pairs decided throughout stay in the details.
    assert "dask" not in text
    assert maps.front(cpu_grid()[:2], Context()) == []


def test_an_io_grid_states_each_models_memory_and_what_a_request_adds():
    cells = io_grid()
    per_request = {"threads": 40 * 2**10, "asyncio": 8 * 2**10}
    for c in cells:
        # At the shorter wait a pool reuses its threads: fewer exist, less memory.
        held = 1.0 if c["params"]["delay"] == 0.1 else 0.5
        c["peak_pss_bytes"] = int(20 * 2**20 + held * per_request[c["backend"]] * c["workers"])
    grid = one_grid(cells)
    found = {m.backend: m for m in memory_lines(grid)}
    assert [n for n, _ in found["threads"].peaks] == [10, 100, 1000]
    assert found["threads"].peaks[0][1] == 20 * 2**20 + 40 * 2**10 * 10  # the longest wait
    slope = found["asyncio"].per_request_bytes
    assert slope is not None and abs(slope - 8 * 2**10) < 1
    text = "\n".join(maps.render(cells, Context()))
    assert "| model | 10 in flight | 100 in flight | 1,000 in flight | each request added |" in text
    assert "| asyncio | " in text and " | 8.00 KiB |" in text and " | 40.0 KiB |" in text
    assert memory_lines(one_grid(cpu_grid())) == []


def test_points_the_test_server_paced_are_named_and_others_are_not():
    cells = io_grid()
    text = "\n".join(maps.render(cells, Context()))
    assert "Server-bound" not in text
    for c in cells:
        # At 1,000 in flight and 10 ms, the server spends 90% of a core on the fastest.
        busy = c["workers"] == 1000 and c["params"]["delay"] == 0.01
        c["service_requests"] = c["tasks"]
        c["service_cpu_s"] = c["tasks"] * (0.9 if busy else 0.1) * median_s(c) / c["tasks"]
    text = "\n".join(maps.render(cells, Context()))
    assert "Server-bound points" in text
    assert "1,000 in flight at 10.0 ms of delay (asyncio, server busy 90% of a core)" in text
    assert text.count("server busy") == 1


def test_make_diff_checks_each_line_of_two_runs_maps():
    same = diff._grid_lines(io_grid(), io_grid())
    assert same[1].startswith("Maps of two axes: 5 (line, pair) answers in both runs; 2 cross")
    assert "2 of them with overlapping intervals; 0 decided for opposite sides" in same[1]
    assert len(same) == 2
    # The boundary moved from 200 to 150 in flight: far beyond the noise of either run.
    moved = diff._grid_lines(io_grid(), io_grid(tie_at=150))
    apart = [line for line in moved if "**intervals apart**" in line]
    assert len(apart) == 2 and "io.http, along requests in flight at delay=" in apart[0]
    assert diff._grid_lines(io_grid(), cpu_grid()) == []


def test_a_crossing_never_ten_percent_ahead_reads_as_a_practical_tie():
    # asyncio over threads: threads 20% ahead at 10, asyncio ahead above, never by 10%.
    ratios = {10: 1.2, 100: 0.97, 1000: 0.95}
    cells = [
        http_cell(
            backend,
            0.1 * (ratios[workers] if backend == "asyncio" else 1.0),
            workers,
            delay,
            spread=0.002,
        )
        for workers in ratios
        for delay in (0.01, 0.1)
        for backend in ("threads", "asyncio")
    ]
    text = "\n".join(maps.render(cells, Context()))
    assert "never 10% ahead along the line: tied for practical purposes" in text
    front = "\n".join(maps.front(cells, Context()))
    assert "**asyncio** ahead from" in front and "but never by 10% (equal at" in front


def test_a_grid_names_the_points_where_running_the_job_once_has_another_answer(tmp_path):
    from comparisons.records.maps import once_at_points

    # Without start-up costs the job run once has the answer of the job run many times.
    same = once_at_points(one_grid(io_grid()))
    assert len(same) == 6 and not any(o.differs for o in same)
    text = "\n".join(maps.render(io_grid(), Context()))
    assert "the cheapest is among the fastest run many times at each." in text
    # asyncio wins at 1,000 in flight run many times; with a second of set-up, a job run
    # once is cheapest on threads there (and only there: threads win elsewhere anyway).
    slow_start = io_grid()
    for c in slow_start:
        if c["backend"] == "asyncio":
            c["setup_s"] = 1.0
    found = once_at_points(one_grid(slow_start))
    differs = [o for o in found if o.differs]
    assert {o.point.x for o in differs} == {1000}
    assert all(o.once == ("threads",) and o.steady == ("asyncio",) for o in differs)
    text = "\n".join(maps.render(slow_start, Context()))
    assert "the cheapest differs from the fastest run many times at 2 of 6 points" in text
    assert "**threads**" in text and "many times: asyncio" in text
    # The figure gains the run-once panel beside the grid only where the answer differs.
    from matplotlib.image import imread

    plots.grid_maps(io_grid(), tmp_path / "same.png")
    plots.grid_maps(slow_start, tmp_path / "differs.png")
    assert imread(tmp_path / "same.png").shape != imread(tmp_path / "differs.png").shape
